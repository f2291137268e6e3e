/* The GGUF reader (runtime/gguf.c) against files written by the independent
 * test writer (tests/gguf_writer.c): the reader's metadata and tensor table
 * equal what was written; every malformed file is a clear error (status,
 * the field's byte offset, a message naming it), never a crash, an overread
 * (each bad file is an exact-size heap copy, so ASan sees one) or a leak. */
#define _POSIX_C_SOURCE 200809L
#include "bitgen_gguf.h"
#include "check.h"
#include "gguf_writer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int verbose;

/* ---- helpers ------------------------------------------------------------- */
static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

typedef struct {
  uint8_t *p;
  size_t n;
} file;

static file write_mem(gguf_w *w) {
  file f;
  if (gw_write_mem(w, &f.p, &f.n)) {
    fprintf(stderr, "writer failed\n");
    exit(1);
  }
  return f;
}

/* Opens an exact-size copy of the first n bytes of f (ASan catches any read
 * past it); expects failure with `status`, a message containing `needle`
 * and, unless `at` is UINT64_MAX, the error offset `at`. */
static void expect_bad_n(const file *f, size_t n, int status, const char *needle, uint64_t at, const char *label,
                         int line) {
  uint8_t *copy = malloc(n ? n : 1);
  if (n) memcpy(copy, f->p, n);
  bitgen_gguf *g = (bitgen_gguf *)1;
  bitgen_gguf_error err;
  int st = bitgen_gguf_open_memory(copy, n, "bad.gguf", &g, &err);
  check_at(st == status, line, "%s: status %d (%s), want %d: %s", label, st, bitgen_gguf_strerror(st), status,
           err.message);
  check_at(g == NULL, line, "%s: output not NULL on error", label);
  check_at(err.status == st, line, "%s: err.status %d vs %d", label, err.status, st);
  check_at(!needle || strstr(err.message, needle) != NULL, line, "%s: message '%s' lacks '%s'", label, err.message,
           needle);
  check_at(strncmp(err.message, "bad.gguf: ", 10) == 0, line, "%s: message '%s' does not name the file", label,
           err.message);
  if (at != UINT64_MAX)
    check_at(err.offset == at, line, "%s: error offset 0x%llx, want 0x%llx (%s)", label,
             (unsigned long long)err.offset, (unsigned long long)at, err.message);
  if (verbose) printf("     %-28s %s\n", label, err.message);
  if (st == 0) bitgen_gguf_close(g);
  free(copy);
}
#define EXPECT_BAD(f, status, needle, at, label) expect_bad_n(f, (f)->n, status, needle, at, label, __LINE__)

static bitgen_gguf *open_ok(const file *f, int line) {
  bitgen_gguf *g = NULL;
  bitgen_gguf_error err;
  int st = bitgen_gguf_open_memory(f->p, f->n, "ok.gguf", &g, &err);
  check_at(st == 0 && g, line, "open failed: %s", err.message);
  return st ? NULL : g;
}

/* ---- the reader's view equals what the writer wrote ---------------------- */
static void compare_with_writer(const gguf_w *w, const file *f, bitgen_gguf *g, const char *label) {
  CHECK(bitgen_gguf_version(g) == w->version, "%s: version %u", label, bitgen_gguf_version(g));
  CHECK(bitgen_gguf_alignment(g) == w->alignment, "%s: alignment %llu vs %u", label,
        (unsigned long long)bitgen_gguf_alignment(g), w->alignment);
  CHECK(bitgen_gguf_data_offset(g) == w->data_at, "%s: data offset %llu vs %llu", label,
        (unsigned long long)bitgen_gguf_data_offset(g), (unsigned long long)w->data_at);
  CHECK(bitgen_gguf_file_size(g) == f->n, "%s: file size", label);
  CHECK(bitgen_gguf_kv_count(g) == w->n_kv, "%s: %zu keys, wrote %llu", label, bitgen_gguf_kv_count(g),
        (unsigned long long)w->n_kv);
  for (size_t i = 0; i < bitgen_gguf_kv_count(g) && i < w->n_kv; i++) {
    const bitgen_gguf_kv *kv = bitgen_gguf_kv_at(g, i);
    const gw_kv_pos *p = &w->kvpos[i];
    uint64_t klen = get_le(f->p + p->key_len_at, 8);
    uint32_t type = (uint32_t)get_le(f->p + p->type_at, 4);
    CHECK(kv->offset == p->key_len_at, "%s: key %zu at %llu vs %llu", label, i, (unsigned long long)kv->offset,
          (unsigned long long)p->key_len_at);
    CHECK(kv->key_len == klen && memcmp(kv->key, f->p + p->key_len_at + 8, klen) == 0 && kv->key[klen] == 0,
          "%s: key %zu name", label, i);
    CHECK(kv->value.type == type, "%s: key %zu '%s' type %u vs %u", label, i, kv->key, kv->value.type, type);
    uint64_t want = type == GW_STR ? p->value_at + 8 : type == GW_ARR ? p->value_at + 12 : p->value_at;
    CHECK(kv->value.offset == want && kv->value.data == f->p + want, "%s: key '%s' value at %llu vs %llu", label,
          kv->key, (unsigned long long)kv->value.offset, (unsigned long long)want);
    if (type == GW_ARR) {
      CHECK(kv->value.elem_type == get_le(f->p + p->value_at, 4), "%s: key '%s' element type", label, kv->key);
      CHECK(kv->value.count == get_le(f->p + p->value_at + 4, 8), "%s: key '%s' count", label, kv->key);
    } else if (type == GW_STR) {
      CHECK(kv->value.count == get_le(f->p + p->value_at, 8), "%s: key '%s' length", label, kv->key);
    }
    CHECK(bitgen_gguf_find_kv(g, kv->key) == kv, "%s: find_kv('%s')", label, kv->key);
  }
  CHECK(bitgen_gguf_kv_at(g, w->n_kv) == NULL, "%s: kv_at past the end", label);
  CHECK(bitgen_gguf_tensor_count(g) == w->nt, "%s: %zu tensors, wrote %zu", label, bitgen_gguf_tensor_count(g), w->nt);
  for (size_t i = 0; i < bitgen_gguf_tensor_count(g) && i < w->nt; i++) {
    const bitgen_gguf_tensor *t = bitgen_gguf_tensor_at(g, i);
    const gw_tensor *e = &w->t[i];
    CHECK(strcmp(t->name, e->name) == 0 && t->name_len == strlen(e->name), "%s: tensor %zu name '%s' vs '%s'", label,
          i, t->name, e->name);
    CHECK(t->type == e->type && t->n_dims == e->n_dims, "%s: tensor '%s' type %u/%u dims %u/%u", label, e->name,
          t->type, e->type, t->n_dims, e->n_dims);
    uint64_t n = 1;
    for (int d = 0; d < 4; d++) {
      CHECK(t->dims[d] == e->dims[d], "%s: tensor '%s' dims[%d] %llu vs %llu", label, e->name, d,
            (unsigned long long)t->dims[d], (unsigned long long)e->dims[d]);
      n *= e->dims[d];
    }
    CHECK(t->n_elements == n, "%s: tensor '%s' elements", label, e->name);
    CHECK(t->size == e->size, "%s: tensor '%s' (%s) size %llu, writer %llu", label, e->name, gw_type_name(e->type),
          (unsigned long long)t->size, (unsigned long long)e->size);
    CHECK(t->offset == e->offset && t->file_offset == e->data_at && t->data == f->p + e->data_at,
          "%s: tensor '%s' offset", label, e->name);
    CHECK(t->info_offset == e->info_at, "%s: tensor '%s' info offset", label, e->name);
    uint8_t *want = malloc(e->size ? e->size : 1);
    gw_fill(e, want);
    CHECK(memcmp(t->data, want, e->size) == 0, "%s: tensor '%s' data", label, e->name);
    if (e->type == GW_T_I2_S) {
      float s = 0, ws;
      uint32_t b = (uint32_t)get_le(want + n / 4, 4);
      memcpy(&ws, &b, 4);
      CHECK(bitgen_gguf_i2s_scale(t, &s) == 0 && s == ws && s >= 0.5f && s < 1.5f, "%s: '%s' I2_S scale %g vs %g",
            label, e->name, s, ws);
      int ok = 1;
      for (uint64_t k = 0; k < n / 4; k++) ok &= ((want[k] & 3) != 3) & ((want[k] >> 2 & 3) != 3) &
                                                ((want[k] >> 4 & 3) != 3) & ((want[k] >> 6) != 3);
      CHECK(ok, "%s: '%s' I2_S codes all ternary", label, e->name);
    } else {
      float s;
      CHECK(bitgen_gguf_i2s_scale(t, &s) == BITGEN_GGUF_E_TYPE, "%s: i2s_scale on %s", label, gw_type_name(e->type));
    }
    free(want);
    CHECK(bitgen_gguf_find_tensor(g, e->name) == t, "%s: find_tensor('%s')", label, e->name);
  }
  CHECK(bitgen_gguf_find_tensor(g, "no.such.tensor") == NULL && bitgen_gguf_find_kv(g, "no.such.key") == NULL,
        "%s: lookups of absent names", label);
}

/* the known values of gw_add_all_types, through the typed getters */
static void check_all_types_values(bitgen_gguf *g) {
  uint32_t u32;
  int32_t i32;
  uint64_t u64;
  int64_t i64;
  double d;
  float f;
  int b;
  const char *s;
  size_t len;
  CHECK(bitgen_gguf_get_uint(g, "test.u8", &u64) == 0 && u64 == 255, "u8");
  CHECK(bitgen_gguf_get_int(g, "test.i8", &i64) == 0 && i64 == -128, "i8");
  CHECK(bitgen_gguf_get_uint(g, "test.u16", &u64) == 0 && u64 == 65534, "u16");
  CHECK(bitgen_gguf_get_int(g, "test.i16", &i64) == 0 && i64 == -32768, "i16");
  CHECK(bitgen_gguf_get_u32(g, "test.u32", &u32) == 0 && u32 == 0xfffffffeu, "u32");
  CHECK(bitgen_gguf_get_i32(g, "test.i32", &i32) == 0 && i32 == INT32_MIN, "i32");
  CHECK(bitgen_gguf_get_f32(g, "test.f32", &f) == 0 && f == -1.5f, "f32");
  CHECK(bitgen_gguf_get_bool(g, "test.bool.true", &b) == 0 && b == 1, "bool true");
  CHECK(bitgen_gguf_get_bool(g, "test.bool.false", &b) == 0 && b == 0, "bool false");
  static const char utf8[] = "bitgen \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 utf-8";
  CHECK(bitgen_gguf_get_str(g, "test.str", &s, &len) == 0 && len == strlen(utf8) && memcmp(s, utf8, len) == 0, "str");
  CHECK(bitgen_gguf_get_str(g, "test.str.empty", &s, &len) == 0 && len == 0, "empty str");
  CHECK(bitgen_gguf_get_u64(g, "test.u64", &u64) == 0 && u64 == 0xfffffffffffffffeull, "u64");
  CHECK(bitgen_gguf_get_int(g, "test.i64", &i64) == 0 && i64 == INT64_MIN, "i64");
  CHECK(bitgen_gguf_get_float(g, "test.f64", &d) == 0 && d == 3.141592653589793, "f64");
  CHECK(bitgen_gguf_get_float(g, "test.f32", &d) == 0 && d == -1.5, "f32 as float");
  CHECK(bitgen_gguf_get_f32(g, "test.f32.negzero", &f) == 0 && f == 0 && 1 / f < 0, "-0");
  CHECK(bitgen_gguf_get_f32(g, "test.f32.inf", &f) == 0 && f < -3e38f, "-inf");
  CHECK(bitgen_gguf_get_f32(g, "test.f32.denormal", &f) == 0 && f > 0 && f < 1e-44f, "denormal");
  /* wrong types, absent keys, conversions that do not fit */
  CHECK(bitgen_gguf_get_u32(g, "test.i32", &u32) == BITGEN_GGUF_E_TYPE, "u32 of an i32");
  CHECK(bitgen_gguf_get_uint(g, "test.i8", &u64) == BITGEN_GGUF_E_TYPE, "uint of -128");
  CHECK(bitgen_gguf_get_int(g, "test.u64", &i64) == BITGEN_GGUF_E_TYPE, "int of 2^64-2");
  CHECK(bitgen_gguf_get_float(g, "test.u32", &d) == BITGEN_GGUF_E_TYPE, "float of u32");
  CHECK(bitgen_gguf_get_str(g, "test.u32", &s, &len) == BITGEN_GGUF_E_TYPE, "str of u32");
  CHECK(bitgen_gguf_get_u32(g, "no.key", &u32) == BITGEN_GGUF_E_NOTFOUND, "absent key");
  CHECK(bitgen_gguf_get_u32(NULL, "test.u32", &u32) == BITGEN_GGUF_E_NULL, "NULL reader");
  CHECK(bitgen_gguf_get_uint(g, "test.arr.u32", &u64) == BITGEN_GGUF_E_TYPE, "uint of an array");
  /* arrays */
  const bitgen_gguf_value *a;
  CHECK(bitgen_gguf_get_array(g, "test.arr.str", BITGEN_GGUF_STRING, &a) == 0 && a->count == 13, "str array");
  if (!bitgen_gguf_get_array(g, "test.arr.str", BITGEN_GGUF_STRING, &a)) {
    CHECK(bitgen_gguf_value_str(a, 0, &s, &len) == 0 && len == 0, "str array [0] empty");
    int ok = 1;
    for (uint64_t i = 1; i < a->count; i++) ok &= bitgen_gguf_value_str(a, i, &s, &len) == 0 && len >= 2 && s[0] == 's';
    CHECK(ok, "str array elements");
    CHECK(bitgen_gguf_value_str(a, a->count, &s, &len) == BITGEN_GGUF_E_TYPE, "str array index past the end");
  }
  CHECK(bitgen_gguf_get_array(g, "test.arr.str", BITGEN_GGUF_UINT32, &a) == BITGEN_GGUF_E_TYPE, "wrong element type");
  CHECK(bitgen_gguf_get_array(g, "test.arr.empty", BITGEN_GGUF_UINT32, &a) == 0 && a->count == 0 &&
            bitgen_gguf_value_uint(a, 0, &u64) == BITGEN_GGUF_E_TYPE, "empty array");
  CHECK(bitgen_gguf_get_array(g, "test.arr.i16", BITGEN_GGUF_INT16, &a) == 0 && a->count == 8, "i16 array");
  if (!bitgen_gguf_get_array(g, "test.arr.i16", BITGEN_GGUF_INT16, &a)) {
    int ok = 1;
    for (uint64_t i = 0; i < a->count; i++) {
      int16_t raw = (int16_t)(uint16_t)get_le(a->data + 2 * i, 2);
      ok &= bitgen_gguf_value_int(a, i, &i64) == 0 && i64 == raw;
    }
    CHECK(ok, "i16 array elements sign-extended");
  }
  CHECK(bitgen_gguf_get_array(g, "test.arr.nested", BITGEN_GGUF_ARRAY, &a) == 0 && a->count == 3, "nested");
  if (!bitgen_gguf_get_array(g, "test.arr.nested", BITGEN_GGUF_ARRAY, &a)) {
    const bitgen_gguf_value *x = bitgen_gguf_value_item(a, 0), *y = bitgen_gguf_value_item(a, 1),
                            *z = bitgen_gguf_value_item(a, 2);
    uint64_t v0, v1, v2;
    CHECK(x && y && z && x->count == 2 && y->count == 0 && z->count == 1 && !bitgen_gguf_value_uint(x, 0, &v0) &&
              !bitgen_gguf_value_uint(x, 1, &v1) && !bitgen_gguf_value_uint(z, 0, &v2) && v0 == 1 && v1 == 2 &&
              v2 == 3,
          "nested [[1,2],[],[3]]");
    CHECK(bitgen_gguf_value_item(a, 3) == NULL, "nested index past the end");
  }
  CHECK(bitgen_gguf_get_array(g, "test.arr.nested3", BITGEN_GGUF_ARRAY, &a) == 0, "nested3");
  if (!bitgen_gguf_get_array(g, "test.arr.nested3", BITGEN_GGUF_ARRAY, &a)) {
    const bitgen_gguf_value *x = bitgen_gguf_value_item(bitgen_gguf_value_item(a, 1), 0);
    CHECK(x && x->elem_type == BITGEN_GGUF_STRING && x->count == 2 && !bitgen_gguf_value_str(x, 1, &s, &len) &&
              len == 2 && memcmp(s, "bc", 2) == 0,
          "nested3 [1][0][1] == 'bc'");
  }
}

static void test_all_types(void) {
  group_begin("all types, v2/v3, alignments");
  static const uint32_t aligns[] = {0, 1, 8, 64, 256};
  for (uint32_t version = 2; version <= 3; version++)
    for (size_t ai = 0; ai < sizeof aligns / sizeof *aligns; ai++) {
      gguf_w w;
      gw_init(&w, version);
      if (aligns[ai]) gw_alignment(&w, aligns[ai]);
      gw_add_all_types(&w, 7 + version);
      file f = write_mem(&w);
      char label[64];
      snprintf(label, sizeof label, "v%u align %u", version, aligns[ai] ? aligns[ai] : 32);
      bitgen_gguf *g = open_ok(&f, __LINE__);
      if (g) {
        compare_with_writer(&w, &f, g, label);
        check_all_types_values(g);
        bitgen_gguf_close(g);
      }
      free(f.p);
      gw_free(&w);
    }
  group_end();
}

static void test_models(void) {
  group_begin("tiny models, every type");
  static const uint32_t wtypes[] = {GW_T_I2_S, GW_T_TQ1_0, GW_T_TQ2_0, GW_T_Q4_0, GW_T_Q8_0,
                                    GW_T_Q6_K, GW_T_F16, GW_T_BF16, GW_T_F32};
  static const uint32_t etypes[] = {GW_T_F16, GW_T_Q6_K, GW_T_BF16, GW_T_F32, GW_T_Q8_0, GW_T_Q4_0, GW_T_F16,
                                    GW_T_Q6_K, GW_T_BF16};
  for (size_t i = 0; i < sizeof wtypes / sizeof *wtypes; i++)
    for (int arch = 0; arch < 2; arch++) {
      gw_model m = gw_model_2b4t();
      m.arch = arch ? "llama" : "bitnet-b1.58";
      m.n_embd = 256, m.n_ff = 512, m.n_layer = 3, m.n_head = 4, m.n_head_kv = 2, m.vocab = 333, m.ctx = 64;
      m.wtype = wtypes[i];
      m.etype = etypes[i];
      m.tied = !arch;
      m.seed = 100 + i;
      gguf_w w;
      gw_init(&w, 3);
      gw_add_model(&w, &m);
      file f = write_mem(&w);
      char label[64];
      snprintf(label, sizeof label, "%s %s/%s", m.arch, gw_type_name(m.wtype), gw_type_name(m.etype));
      bitgen_gguf *g = open_ok(&f, __LINE__);
      if (g) {
        compare_with_writer(&w, &f, g, label);
        char key[96];
        uint64_t v;
        const char *s;
        size_t len;
        snprintf(key, sizeof key, "%s.embedding_length", m.arch);
        CHECK(bitgen_gguf_get_uint(g, key, &v) == 0 && v == 256, "%s: %s", label, key);
        snprintf(key, sizeof key, "%s.block_count", m.arch);
        CHECK(bitgen_gguf_get_uint(g, key, &v) == 0 && v == 3, "%s: %s", label, key);
        CHECK(bitgen_gguf_get_str(g, "general.architecture", &s, &len) == 0 && len == strlen(m.arch) &&
                  memcmp(s, m.arch, len) == 0, "%s: architecture", label);
        const bitgen_gguf_value *tok, *tt;
        CHECK(bitgen_gguf_get_array(g, "tokenizer.ggml.tokens", BITGEN_GGUF_STRING, &tok) == 0 && tok->count == 333,
              "%s: tokens", label);
        CHECK(bitgen_gguf_get_array(g, "tokenizer.ggml.token_type", BITGEN_GGUF_INT32, &tt) == 0 && tt->count == 333,
              "%s: token types", label);
        if (tok->count == 333) {
          /* the writer's byte-level vocabulary: byte tokens in GPT-2's
           * byte-to-text map, merged tokens, then BOS and EOS at the top */
          static const struct { uint64_t id; const char *text; } want[] = {
              {97, "a"}, {32, "\xc4\xa0"}, {0, "\xc4\x80"}, {255, "\xc3\xbf"}, {256, "aa"}, {331, "<|bos|>"},
              {332, "<|eos|>"}};
          int ok = 1;
          for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            ok &= bitgen_gguf_value_str(tok, want[k].id, &s, &len) == 0 && len == strlen(want[k].text) &&
                  memcmp(s, want[k].text, len) == 0;
          CHECK(ok, "%s: token strings", label);
        }
        const bitgen_gguf_tensor *t = bitgen_gguf_find_tensor(g, "blk.2.ffn_down.weight");
        CHECK(t && t->dims[0] == 512 && t->dims[1] == 256 && t->type == m.wtype, "%s: blk.2.ffn_down", label);
        CHECK((bitgen_gguf_find_tensor(g, "output.weight") != NULL) == !m.tied, "%s: output.weight iff untied", label);
        bitgen_gguf_close(g);
      }
      free(f.p);
      gw_free(&w);
    }
  group_end();
}

/* through a real file: mmap, the same view as from memory; I/O errors */
static void test_files(void) {
  group_begin("open from a path");
  gguf_w w;
  gw_init(&w, 3);
  gw_add_all_types(&w, 5);
  char path[] = "/tmp/bitgen-test-gguf-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
  CHECK(fp && gw_write(&w, fp) == 0 && fclose(fp) == 0, "write %s", path);
  bitgen_gguf *g = NULL;
  bitgen_gguf_error err;
  CHECK(bitgen_gguf_open(path, &g, &err) == 0, "open: %s", err.message);
  if (g) {
    file f = {(uint8_t *)bitgen_gguf_file_data(g), (size_t)bitgen_gguf_file_size(g)};
    compare_with_writer(&w, &f, g, "mapped");
    check_all_types_values(g);
    bitgen_gguf_close(g);
  }
  unlink(path);
  CHECK(bitgen_gguf_open(path, &g, &err) == BITGEN_GGUF_E_IO && g == NULL && strstr(err.message, path) &&
            strstr(err.message, "cannot open"), "absent file: %s", err.message);
  CHECK(bitgen_gguf_open("/tmp", &g, &err) == BITGEN_GGUF_E_IO && strstr(err.message, "not a regular file"),
        "directory: %s", err.message);
  strcpy(path, "/tmp/bitgen-test-gguf-XXXXXX");
  fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  if (fd >= 0) close(fd);
  CHECK(bitgen_gguf_open(path, &g, &err) == BITGEN_GGUF_E_FORMAT && strstr(err.message, "truncated"),
        "empty file: %s", err.message);
  unlink(path);
  CHECK(bitgen_gguf_open(NULL, &g, &err) == BITGEN_GGUF_E_NULL, "NULL path");
  CHECK(bitgen_gguf_open(path, NULL, &err) == BITGEN_GGUF_E_NULL, "NULL output");
  CHECK(bitgen_gguf_open_memory(NULL, 5, NULL, &g, &err) == BITGEN_GGUF_E_NULL, "NULL data");
  bitgen_gguf_close(NULL);
  gw_free(&w);
  group_end();
}

/* ---- malformed files ------------------------------------------------------ */
/* A small file: a few keys (string, array of strings, u32), three tensors. */
static void small_file(gguf_w *w, uint32_t version) {
  gw_init(w, version);
  gw_kv_str(w, "general.architecture", "llama");
  gw_key(w, "tokenizer.ggml.tokens", GW_ARR);
  gw_put_arr(w, GW_STR, 3);
  gw_put_str(w, "a", 1);
  gw_put_str(w, "bb", 2);
  gw_put_str(w, "ccc", 3);
  gw_kv_u32(w, "llama.block_count", 1);
  gw_kv_bool(w, "flag", 1);
  uint64_t d[2] = {256, 2};
  gw_tensor_add(w, "blk.0.attn_q.weight", GW_T_Q4_0, 2, d, 1, NULL);
  gw_tensor_add(w, "blk.0.ffn_up.weight", GW_T_I2_S, 2, d, 2, NULL);
  gw_tensor_add(w, "token_embd.weight", GW_T_F16, 2, d, 3, NULL);
}

static void test_truncated(void) {
  group_begin("truncated at every byte");
  for (uint32_t version = 2; version <= 3; version++) {
    gguf_w w;
    small_file(&w, version);
    file f = write_mem(&w);
    bitgen_gguf *g = open_ok(&f, __LINE__);
    bitgen_gguf_close(g);
    long before = group_failed;
    /* every cut inside the header and tensor infos, then through the data */
    for (size_t n = 0; n < f.n; n += n < w.data_at + 64 ? 1 : 37) {
      char label[80];
      snprintf(label, sizeof label, "v%u cut at %zu of %zu", version, n, f.n);
      expect_bad_n(&f, n, BITGEN_GGUF_E_FORMAT, n < w.data_at - 8 ? NULL : "past end", UINT64_MAX, label, __LINE__);
      if (group_failed - before > 5) break;
    }
    /* the error names where the file ended: cut in the middle of a field */
    expect_bad_n(&f, 6, BITGEN_GGUF_E_FORMAT, "version: truncated", 4, "cut in version", __LINE__);
    expect_bad_n(&f, 20, BITGEN_GGUF_E_FORMAT, "metadata key-value count: truncated", 16, "cut in kv count", __LINE__);
    gguf_w s;
    gw_init(&s, version);
    gw_kv_str(&s, "general.name", "abcdef");
    file fs = write_mem(&s);
    expect_bad_n(&fs, (size_t)s.kvpos[0].value_at + 11, BITGEN_GGUF_E_FORMAT,
                 "key 0 'general.name': string value: string length 6 past end of file (3 bytes left)",
                 s.kvpos[0].value_at, "cut in a string", __LINE__);
    free(fs.p);
    gw_free(&s);
    expect_bad_n(&f, (size_t)w.t[1].type_at + 2, BITGEN_GGUF_E_FORMAT, "tensor 1 'blk.0.ffn_up.weight': type: truncated",
                 w.t[1].type_at, "cut in a tensor type", __LINE__);
    free(f.p);
    gw_free(&w);
  }
  group_end();
}

static void test_bad_fields(void) {
  group_begin("malformed fields");
  gguf_w w;
  small_file(&w, 3);
  file good = write_mem(&w);
  file f = {malloc(good.n), good.n};
#define RESET() memcpy(f.p, good.p, good.n)
#define BAD(status, needle, at, label) (EXPECT_BAD(&f, status, needle, at, label), RESET())
  RESET();
  /* header */
  memcpy(f.p, "GGUG", 4);
  BAD(BITGEN_GGUF_E_FORMAT, "magic: bytes 47 47 55 47 are not 'GGUF'", 0, "wrong magic");
  memcpy(f.p, "\0\0\0\0", 4);
  BAD(BITGEN_GGUF_E_FORMAT, "not a GGUF file", 0, "zero magic");
  put_le(f.p + 4, 1, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "GGUF version 1 is not supported (only 2 and 3)", 4, "version 1");
  put_le(f.p + 4, 4, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "GGUF version 4 is not supported", 4, "version 4");
  put_le(f.p + 4, 0, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "GGUF version 0", 4, "version 0");
  put_le(f.p + 4, 0x03000000, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "3 big-endian: a big-endian GGUF file", 4, "big-endian v3");
  put_le(f.p + 4, 0x02000000, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "big-endian", 4, "big-endian v2");
  put_le(f.p + 8, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor count 9223372036854775808", 8, "tensor count 2^63");
  put_le(f.p + 8, UINT64_MAX, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor count 18446744073709551615", 8, "tensor count 2^64-1");
  put_le(f.p + 16, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "metadata key-value count 9223372036854775808", 16, "kv count 2^63");
  put_le(f.p + 16, w.n_kv + 1, 8);
  BAD(BITGEN_GGUF_E_FORMAT, NULL, UINT64_MAX, "kv count one too many");
  /* strings */
  put_le(f.p + w.kvpos[0].key_len_at, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "key 0: key: string length 9223372036854775808 past end of file", w.kvpos[0].key_len_at,
      "key length 2^63");
  put_le(f.p + w.kvpos[0].value_at, good.n, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "key 0 'general.architecture': string value: string length", w.kvpos[0].value_at,
      "string value past EOF");
  put_le(f.p + w.kvpos[1].value_at + 4, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "array of 9223372036854775808 str needs at least", w.kvpos[1].value_at + 4,
      "array count 2^63");
  put_le(f.p + w.kvpos[1].value_at + 12, 1ull << 62, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "array string: string length 4611686018427387904 past end", w.kvpos[1].value_at + 12,
      "array string past EOF");
  put_le(f.p + w.t[2].info_at, UINT64_MAX, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor 2: name: string length 18446744073709551615 past end", w.t[2].info_at,
      "tensor name length 2^64-1");
  put_le(f.p + w.kvpos[0].key_len_at, 0, 8);
  BAD(BITGEN_GGUF_E_FORMAT, NULL, UINT64_MAX, "empty key (rest misparsed)");
  f.p[w.kvpos[2].key_len_at + 8 + 3] = 0;
  BAD(BITGEN_GGUF_E_FORMAT, "key holds a NUL byte", w.kvpos[2].key_len_at + 8, "NUL in key");
  f.p[w.t[0].info_at + 8 + 2] = 0;
  BAD(BITGEN_GGUF_E_FORMAT, "name holds a NUL byte", w.t[0].info_at + 8, "NUL in tensor name");
  /* value types */
  put_le(f.p + w.kvpos[2].type_at, 13, 4);
  BAD(BITGEN_GGUF_E_FORMAT, "key 2 'llama.block_count': value type 13 is no GGUF value type", w.kvpos[2].type_at,
      "value type 13");
  put_le(f.p + w.kvpos[1].value_at, 99, 4);
  BAD(BITGEN_GGUF_E_FORMAT, "array element type 99", w.kvpos[1].value_at, "array element type 99");
  f.p[w.kvpos[3].value_at] = 2;
  BAD(BITGEN_GGUF_E_FORMAT, "key 3 'flag': bool value is 2 (must be 0 or 1)", w.kvpos[3].value_at, "bool 2");
  /* tensor infos */
  put_le(f.p + w.t[1].n_dims_at, 5, 4);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor 1 'blk.0.ffn_up.weight': n_dims 5 (at most 4)", w.t[1].n_dims_at, "n_dims 5");
  put_le(f.p + w.t[1].n_dims_at + 4, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "dims[0] = 9223372036854775808 is negative", w.t[1].n_dims_at + 4, "dim 2^63");
  put_le(f.p + w.t[1].n_dims_at + 4, 1ull << 32, 8);
  put_le(f.p + w.t[1].n_dims_at + 12, 1ull << 32, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "element count overflows int64 at dims[1]", w.t[1].n_dims_at + 12, "dims 2^32 x 2^32");
  put_le(f.p + w.t[0].type_at, 77, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "tensor 0 'blk.0.attn_q.weight': unknown tensor type id 77", w.t[0].type_at,
      "type id 77");
  put_le(f.p + w.t[0].type_at, 31, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "unknown tensor type id 31 (removed from ggml)", w.t[0].type_at, "type id 31");
  put_le(f.p + w.t[0].type_at, 0xffffffffu, 4);
  BAD(BITGEN_GGUF_E_UNSUPPORTED, "unknown tensor type id 4294967295", w.t[0].type_at, "type id 2^32-1");
  put_le(f.p + w.t[0].n_dims_at + 4, 48, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "Q4_0 row of 48 elements is not a multiple of its block of 32", w.t[0].n_dims_at,
      "Q4_0 row 48");
  put_le(f.p + w.t[1].n_dims_at + 4, 192, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "I2_S row of 192 elements is not a multiple of its block of 128", w.t[1].n_dims_at,
      "I2_S row 192");
  /* data offsets */
  put_le(f.p + w.t[2].offset_at, w.t[2].offset + 2, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor 2 'token_embd.weight': data offset 0x", w.t[2].offset_at, "misaligned offset");
  put_le(f.p + w.t[2].offset_at, w.t[2].offset + 2, 8);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "is not a multiple of the alignment 32", w.t[2].offset_at, "misaligned (text)");
  RESET();
  put_le(f.p + w.t[2].offset_at, w.t[2].offset + 1024, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor 2 'token_embd.weight': data offset 0x", w.t[2].offset_at, "offset past EOF");
  put_le(f.p + w.t[2].offset_at, w.t[2].offset + 1024, 8);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "past end of file", w.t[2].offset_at, "offset past EOF (text)");
  RESET();
  put_le(f.p + w.t[2].offset_at, 1ull << 63, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "past end of file", w.t[2].offset_at, "offset 2^63");
  put_le(f.p + w.t[2].offset_at, UINT64_MAX - 31, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "past end of file", w.t[2].offset_at, "offset 2^64-32 (overflow)");
  put_le(f.p + w.t[1].offset_at, w.t[0].offset, 8);
  BAD(BITGEN_GGUF_E_FORMAT, "tensor 1 'blk.0.ffn_up.weight': data [0x0, +0x", w.t[1].info_at, "overlapping tensors");
  free(f.p);
  free(good.p);
  gw_free(&w);

  /* fields the writer itself gets wrong on request */
  gguf_w b;
  gw_init(&b, 3);
  gw_kv_u32(&b, "a.key", 1);
  gw_kv_u32(&b, "b.key", 2);
  gw_kv_u32(&b, "a.key", 3);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "key 2 'a.key': duplicate key (also key 0 at byte 0x18)", b.kvpos[2].key_len_at,
             "duplicate key");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  uint64_t d[1] = {32};
  gw_tensor_add(&b, "x.weight", GW_T_F32, 1, d, 1, NULL);
  gw_tensor_add(&b, "y.weight", GW_T_F32, 1, d, 2, NULL);
  gw_tensor_add(&b, "x.weight", GW_T_F32, 1, d, 3, NULL);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "tensor 2 'x.weight': duplicate tensor name (also tensor 0", b.t[2].info_at,
             "duplicate tensor name");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  gw_tensor_add(&b, "this.name.is.sixty.five.bytes.long.which.is.one.more.than.allowed", GW_T_F32, 1, d, 1, NULL);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "name of 65 bytes (at most 64)", b.t[0].info_at, "name of 65 bytes");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  gw_tensor_add(&b, "", GW_T_F32, 1, d, 1, NULL);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "tensor 0 '': empty tensor name", b.t[0].info_at, "empty tensor name");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  gw_key(&b, "general.alignment", GW_U64);
  gw_put_u64(&b, 32);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "key 'general.alignment': type u64, must be u32", 24, "alignment as u64");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  gw_kv_u32(&b, "general.alignment", 48);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "key 'general.alignment': 48 is not a power of two", b.kvpos[0].value_at,
             "alignment 48");
  free(f.p);
  gw_free(&b);
  gw_init(&b, 3);
  gw_kv_u32(&b, "general.alignment", 0);
  f = write_mem(&b);
  EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "0 is not a power of two", b.kvpos[0].value_at, "alignment 0");
  free(f.p);
  gw_free(&b);
  /* arrays nested 4 deep are fine, 5 are not */
  for (int depth = 4; depth <= 5; depth++) {
    gw_init(&b, 3);
    gw_key(&b, "deep", GW_ARR);
    for (int k = 1; k < depth; k++) gw_put_arr(&b, GW_ARR, 1);
    gw_put_arr(&b, GW_U8, 1);
    gw_put_u8(&b, 42);
    f = write_mem(&b);
    if (depth == 4) {
      bitgen_gguf *g = open_ok(&f, __LINE__);
      const bitgen_gguf_value *v = g ? &bitgen_gguf_find_kv(g, "deep")->value : NULL;
      for (int k = 1; v && k < depth; k++) v = bitgen_gguf_value_item(v, 0);
      uint64_t x = 0;
      CHECK(v && bitgen_gguf_value_uint(v, 0, &x) == 0 && x == 42, "4-deep array value");
      bitgen_gguf_close(g);
    } else {
      EXPECT_BAD(&f, BITGEN_GGUF_E_FORMAT, "key 0 'deep': arrays nested more than 4 deep", b.kvpos[0].value_at + 48,
                 "arrays 5 deep");
    }
    free(f.p);
    gw_free(&b);
  }
  /* an empty file with no tensors and no keys is fine */
  gw_init(&b, 2);
  f = write_mem(&b);
  bitgen_gguf *g = open_ok(&f, __LINE__);
  CHECK(g && bitgen_gguf_kv_count(g) == 0 && bitgen_gguf_tensor_count(g) == 0, "header-only file");
  bitgen_gguf_close(g);
  free(f.p);
  gw_free(&b);
  group_end();
}

static void test_types(void) {
  group_begin("type table");
  uint32_t block, bytes;
  static const struct { uint32_t id; const char *name; uint32_t block, bytes; } want[] = {
    {0, "F32", 1, 4}, {1, "F16", 1, 2}, {2, "Q4_0", 32, 18}, {8, "Q8_0", 32, 34}, {14, "Q6_K", 256, 210},
    {30, "BF16", 1, 2}, {34, "TQ1_0", 256, 54}, {35, "TQ2_0", 256, 66}, {36, "I2_S", 128, 32}};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    CHECK(bitgen_ggml_type_name(want[i].id) && strcmp(bitgen_ggml_type_name(want[i].id), want[i].name) == 0 &&
              bitgen_ggml_type_block(want[i].id, &block, &bytes) == 0 && block == want[i].block &&
              bytes == want[i].bytes, "type %u %s", want[i].id, want[i].name);
    uint64_t row = want[i].block < 256 ? 256 : want[i].block, n;
    CHECK(bitgen_ggml_nbytes(want[i].id, row, row * 3, &n) == 0 && n == gw_type_size(want[i].id, row, row * 3),
          "nbytes %s agrees with the writer", want[i].name);
  }
  uint64_t n;
  CHECK(bitgen_ggml_nbytes(36, 2560, 2560 * 6912, &n) == 0 && n == 2560ull * 6912 / 4 + 32, "I2_S 6912x2560 bytes");
  CHECK(bitgen_ggml_nbytes(14, 2560, 2560ull * 128256, &n) == 0 && n == 2560ull * 128256 / 256 * 210, "Q6_K embd");
  CHECK(bitgen_ggml_type_name(4) == NULL && bitgen_ggml_type_name(31) == NULL && bitgen_ggml_type_name(37) == NULL &&
            bitgen_ggml_type_name(1000) == NULL, "removed and unknown ids");
  CHECK(bitgen_ggml_nbytes(2, 33, 33, &n) == BITGEN_GGUF_E_FORMAT, "Q4_0 row 33");
  CHECK(bitgen_ggml_nbytes(15, 256, UINT64_MAX / 256 * 256, &n) == BITGEN_GGUF_E_FORMAT, "size overflow");
  CHECK(bitgen_ggml_nbytes(99, 1, 1, &n) == BITGEN_GGUF_E_UNSUPPORTED, "unknown type");
  CHECK(strcmp(bitgen_gguf_type_name(BITGEN_GGUF_FLOAT64), "f64") == 0 && bitgen_gguf_type_name(13) == NULL, "value types");
  CHECK(strcmp(bitgen_gguf_strerror(BITGEN_GGUF_E_FORMAT), "malformed GGUF file") == 0, "strerror");
  group_end();
}

int main(int argc, char **argv) {
  verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  (void)report_paths; /* check.h helper other tests use */
  test_types();
  test_all_types();
  test_models();
  test_files();
  test_truncated();
  test_bad_fields();
  return check_summary();
}
