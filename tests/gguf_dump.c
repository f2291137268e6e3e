/* gguf-dump FILE: what bitgen's reader sees, as JSON, for the interop test
 * (tests/gguf_interop.mjs compares it with @huggingface/gguf).  Values are
 * written without loss: integers as decimal strings, floats as their bit
 * patterns, strings as hex of their bytes.  On a reader error: the message
 * on stderr, exit 1. */
#include "bitgen_gguf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void hex(const uint8_t *p, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  putchar('"');
}

static uint64_t le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* v itself (elem = 0, i = 0) or its element i (elem = 1) */
static void value(const bitgen_gguf_value *v, uint32_t type, uint64_t i, int elem) {
  const char *s;
  size_t len;
  int64_t x;
  uint64_t u;
  int b;
  switch (type) {
  case BITGEN_GGUF_STRING:
    bitgen_gguf_value_str(v, i, &s, &len);
    hex((const uint8_t *)s, len);
    break;
  case BITGEN_GGUF_ARRAY: {
    const bitgen_gguf_value *a = elem ? bitgen_gguf_value_item(v, i) : v;
    printf("{\"type\":%u,\"items\":[", a->elem_type);
    for (uint64_t k = 0; k < a->count; k++) {
      if (k) putchar(',');
      value(a, a->elem_type, k, 1);
    }
    printf("]}");
    break;
  }
  case BITGEN_GGUF_FLOAT32:
    printf("\"f32:%08" PRIx64 "\"", le(v->data + 4 * i, 4));
    break;
  case BITGEN_GGUF_FLOAT64:
    printf("\"f64:%016" PRIx64 "\"", le(v->data + 8 * i, 8));
    break;
  case BITGEN_GGUF_BOOL:
    bitgen_gguf_value_bool(v, i, &b);
    printf(b ? "true" : "false");
    break;
  case BITGEN_GGUF_UINT64:
    bitgen_gguf_value_uint(v, i, &u);
    printf("\"%" PRIu64 "\"", u);
    break;
  default:
    bitgen_gguf_value_int(v, i, &x);
    printf("\"%" PRId64 "\"", x);
    break;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gguf-dump FILE\n");
    return 2;
  }
  bitgen_gguf *g;
  bitgen_gguf_error err;
  if (bitgen_gguf_open(argv[1], &g, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  printf("{\"version\":%u,\"alignment\":%" PRIu64 ",\"data_offset\":%" PRIu64 ",\"kv\":[", bitgen_gguf_version(g),
         bitgen_gguf_alignment(g), bitgen_gguf_data_offset(g));
  for (size_t i = 0; i < bitgen_gguf_kv_count(g); i++) {
    const bitgen_gguf_kv *kv = bitgen_gguf_kv_at(g, i);
    printf("%s\n{\"key\":", i ? "," : "");
    hex((const uint8_t *)kv->key, kv->key_len);
    printf(",\"type\":%u,\"value\":", kv->value.type);
    value(&kv->value, kv->value.type, 0, 0);
    putchar('}');
  }
  printf("],\"tensors\":[");
  for (size_t i = 0; i < bitgen_gguf_tensor_count(g); i++) {
    const bitgen_gguf_tensor *t = bitgen_gguf_tensor_at(g, i);
    printf("%s\n{\"name\":", i ? "," : "");
    hex((const uint8_t *)t->name, t->name_len);
    printf(",\"type\":%u,\"n_dims\":%u,\"dims\":[", t->type, t->n_dims);
    for (uint32_t d = 0; d < t->n_dims; d++) printf("%s\"%" PRIu64 "\"", d ? "," : "", t->dims[d]);
    printf("],\"offset\":\"%" PRIu64 "\",\"size\":\"%" PRIu64 "\"}", t->offset, t->size);
  }
  printf("]}\n");
  bitgen_gguf_close(g);
  return 0;
}
