/* libFuzzer target: the GGUF reader (runtime/gguf.c) over arbitrary bytes.
 * The input is an exact-size heap copy, so ASan sees any read past its end.
 * A file that opens is walked through every accessor: each value and array
 * element (nested too), each tensor (lookups by name, first and last data
 * byte, the I2_S scale), so everything the reader hands out is in bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_gguf.h"

static volatile uint64_t sink;

static void walk(const bitgen_gguf_value *v, int depth) {
  const char *s;
  size_t len;
  int64_t x;
  uint64_t u;
  double d;
  int b;
  if (depth > BITGEN_GGUF_MAX_ARRAY_DEPTH + 1) abort(); /* the reader's limit */
  if (v->type == BITGEN_GGUF_STRING) {
    if (bitgen_gguf_value_str(v, 0, &s, &len)) abort();
    for (size_t i = 0; i < len; i++) sink += (uint8_t)s[i];
    return;
  }
  uint64_t n = v->type == BITGEN_GGUF_ARRAY ? v->count : 1;
  for (uint64_t i = 0; i < n; i++) {
    if (v->type == BITGEN_GGUF_ARRAY && v->elem_type == BITGEN_GGUF_ARRAY) {
      const bitgen_gguf_value *item = bitgen_gguf_value_item(v, i);
      if (!item) abort();
      walk(item, depth + 1);
    } else if (v->type == BITGEN_GGUF_ARRAY && v->elem_type == BITGEN_GGUF_STRING) {
      if (bitgen_gguf_value_str(v, i, &s, &len)) abort();
      if (len) sink += (uint8_t)s[0] + (uint8_t)s[len - 1];
    } else {
      if (!bitgen_gguf_value_int(v, i, &x)) sink += (uint64_t)x;
      if (!bitgen_gguf_value_uint(v, i, &u)) sink += u;
      if (!bitgen_gguf_value_float(v, i, &d)) sink += (uint64_t)(d == d);
      if (!bitgen_gguf_value_bool(v, i, &b)) sink += (uint64_t)b;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy) return 0;
  memcpy(copy, data, size);
  bitgen_gguf *g = NULL;
  bitgen_gguf_error err;
  int st = bitgen_gguf_open_memory(copy, size, "fuzz", &g, &err);
  if (st) {
    if (g || !err.message[0] || err.status != st) abort(); /* every error explains itself */
  } else {
    for (size_t i = 0; i < bitgen_gguf_kv_count(g); i++) {
      const bitgen_gguf_kv *kv = bitgen_gguf_kv_at(g, i);
      if (bitgen_gguf_find_kv(g, kv->key) != kv) abort(); /* keys are unique */
      walk(&kv->value, 0);
      uint64_t u;
      (void)bitgen_gguf_get_uint(g, kv->key, &u);
    }
    for (size_t i = 0; i < bitgen_gguf_tensor_count(g); i++) {
      const bitgen_gguf_tensor *t = bitgen_gguf_tensor_at(g, i);
      if (bitgen_gguf_find_tensor(g, t->name) != t) abort();
      if (t->file_offset + t->size > bitgen_gguf_file_size(g) || t->file_offset % bitgen_gguf_alignment(g)) abort();
      if (t->size) sink += t->data[0] + t->data[t->size - 1];
      float scale;
      if (!bitgen_gguf_i2s_scale(t, &scale)) sink += (uint64_t)(scale == scale);
    }
    bitgen_gguf_close(g);
  }
  free(copy);
  return 0;
}
