/* The generated model loader (P_load, docs/MODEL_RUNTIME.md) of a model
 * package, on files of the independent test writer (tests/gguf_writer.c) in
 * the official layout of the package's spec:
 *   - every tensor decodes back to the written bytes: ternary I2_S codes and
 *     scale decoded here independently; ggml blocks and f16/bf16 exported
 *     back byte-identical; norms equal as f32;
 *   - load_memory equals load; 1, 2 and 3 threads give identical arenas;
 *   - the progress callback runs on the caller, increasing, ending at total;
 *   - a wrong architecture, hyper-parameter, missing / extra tensor, wrong
 *     shape, wrong type, truncated file, refused bytes, missing file: each an
 *     error code and a message naming it; the model untouched; no leak (the
 *     ASan build).
 * Compiled per model package with -DBITGEN_PKG_HEADER / -DBITGEN_PKG_PREFIX. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include BITGEN_PKG_HEADER
#include "gguf_writer.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)
#define PU(name) CAT(BITGEN_PKG_PREFIX_UPPER, name)

typedef PKG(model) model_t;
typedef PKG(weight) weight_t;
typedef PKG(load_options) opts_t;

static int failures;
#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                       \
      fputc('\n', stderr);                                                \
      failures++;                                                         \
    }                                                                     \
  } while (0)

/* ---- the package's model, as the test sees it --------------------------- */

/* A matrix's format and pack rows: the view of the format of its shape. */
static const bitgen_package *view_of(size_t shape) {
  const char *f = PKG(package)()->kernels[PKG(package)()->shapes[shape].gemv].format;
  /* model specs here have several formats (the layers' and token_embd's) */
  for (size_t i = 0; i < PU(NUM_FORMATS); i++) {
    const bitgen_package *v = PKG(format_package)(i);
    if (strcmp(v->format, f) == 0) return v;
  }
  fprintf(stderr, "test-load: no view of format %s\n", f);
  exit(2);
}

static uint32_t ggml_of(const char *format) {
  static const struct { const char *f; uint32_t t; } tab[] = {
    {"i2s", GW_T_I2_S}, {"tl", GW_T_I2_S}, {"tq1_0", GW_T_TQ1_0}, {"tq2_0", GW_T_TQ2_0}, {"q4_0", GW_T_Q4_0},
    {"q8_0", GW_T_Q8_0}, {"q6_k", GW_T_Q6_K}, {"f16", GW_T_F16}, {"bf16", GW_T_BF16}};
  for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
    if (strcmp(tab[i].f, format) == 0) return tab[i].t;
  fprintf(stderr, "test-load: no GGUF type for format %s\n", format);
  exit(2);
}

/* The format of a GGUF role's matrix (NULL: not a matrix). */
static const char *format_of_role(const char *role) {
  static const struct { const char *role, *format; } tab[] = {
    {"attn_q", PU(FORMAT_ATTN_Q)}, {"attn_k", PU(FORMAT_ATTN_K)}, {"attn_v", PU(FORMAT_ATTN_V)},
    {"attn_output", PU(FORMAT_ATTN_OUTPUT)}, {"ffn_gate", PU(FORMAT_FFN_GATE)}, {"ffn_up", PU(FORMAT_FFN_UP)},
    {"ffn_down", PU(FORMAT_FFN_DOWN)}, {"token_embd", PU(FORMAT_TOKEN_EMBD)}, {"output", PU(FORMAT_OUTPUT)}};
  for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
    if (strcmp(tab[i].role, role) == 0) return tab[i].format;
  return NULL;
}

/* role of "blk.N.<role>.weight" or "<role>.weight" */
static void role_of(const char *name, char *role, size_t n) {
  const char *p = name;
  if (strncmp(p, "blk.", 4) == 0) {
    p += 4;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '.') p++;
  }
  snprintf(role, n, "%s", p);
  char *dot = strstr(role, ".weight");
  if (dot) *dot = '\0';
}

/* The writer's model for the package's spec: its layout, then each matrix
 * retyped to its spec format (gw_add_model has one type for the layers and
 * one for token_embd / output). */
static void build(gguf_w *w, const char *arch, uint64_t seed) {
  gw_model m = gw_model_2b4t();
  m.arch = arch;
  m.name = "test-load";
  m.n_embd = PU(N_EMBD), m.n_ff = PU(N_FF), m.n_layer = PU(N_LAYER), m.n_head = PU(N_HEAD);
  m.n_head_kv = PU(N_HEAD_KV), m.vocab = PU(N_VOCAB), m.ctx = PU(N_CTX);
  m.tied = PU(TIED_EMBEDDINGS);
  m.rope_theta = (float)PU(ROPE_THETA), m.rms_eps = (float)PU(NORM_EPS);
  m.wtype = GW_T_I2_S, m.etype = GW_T_F16;
  m.seed = seed;
  gw_init(w, 3);
  gw_add_model(w, &m);
  for (size_t i = 0; i < w->nt; i++) {
    gw_tensor *t = &w->t[i];
    char role[80];
    role_of(t->name, role, sizeof role);
    const char *f = format_of_role(role);
    if (!f) continue; /* a norm */
    t->type = ggml_of(f);
    t->size = gw_type_size(t->type, t->dims[0], t->dims[0] * t->dims[1]);
  }
}

static gw_tensor *find(gguf_w *w, const char *name) {
  for (size_t i = 0; i < w->nt; i++)
    if (strcmp(w->t[i].name, name) == 0) return &w->t[i];
  return NULL;
}

static void retype(gw_tensor *t, uint32_t type) {
  t->type = type;
  uint64_t n = 1;
  for (int d = 0; d < 4; d++) n *= t->dims[d];
  t->size = gw_type_size(type, t->dims[0], n);
}

static uint8_t *to_mem(gguf_w *w, size_t *size) {
  uint8_t *buf;
  if (gw_write_mem(w, &buf, size)) {
    fprintf(stderr, "test-load: gw_write_mem failed\n");
    exit(2);
  }
  return buf;
}

static char dir[256];
static int file_no;

static char *to_file(const uint8_t *buf, size_t size) {
  static char path[320];
  snprintf(path, sizeof path, "%s/m%d.gguf", dir, file_no++);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
    fprintf(stderr, "test-load: cannot write %s\n", path);
    exit(2);
  }
  return path;
}

/* ---- decoding ------------------------------------------------------------- */

/* I2_S bytes decoded here (docs/GGUF.md): block of 128 -> 32 bytes, byte p
 * holds elements p, p+32, p+64, p+96 in bits 7:6, 5:4, 3:2, 1:0; code - 1. */
static void i2s_decode(const uint8_t *src, size_t n, int8_t *w, float *scale) {
  for (size_t b = 0; b < n / 128; b++)
    for (size_t p = 0; p < 32; p++) {
      uint8_t v = src[32 * b + p];
      for (int f = 0; f < 4; f++) w[128 * b + 32 * f + p] = (int8_t)(((v >> (6 - 2 * f)) & 3) - 1);
    }
  memcpy(scale, src + n / 4, 4);
}

/* One loaded matrix against the written bytes src (size bytes). */
static void check_weight(const char *name, const weight_t *wt, const uint8_t *src, size_t size) {
  const bitgen_package *v = view_of(wt->shape);
  const bitgen_format *f = bitgen_format_by_name(v->format);
  size_t M = PKG(package)()->shapes[wt->shape].M, K = PKG(package)()->shapes[wt->shape].K;
  CHECK(f && strcmp(wt->format, v->format) == 0, "%s: format %s, the spec says %s", name, wt->format, v->format);
  CHECK(((uintptr_t)wt->data & 63) == 0, "%s: packed data not 64-byte aligned", name);
  if (!f) return;
  if (f->kind == BITGEN_KIND_I2S || f->kind == BITGEN_KIND_TL) {
    int8_t *want = malloc(M * K), *got = malloc(M * K);
    float scale;
    i2s_decode(src, M * K, want, &scale);
    int rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_unpack(M, K, v->prows, wt->data, wt->size, got)
                                        : bitgen_tl_unpack(M, K, v->prows, wt->data, wt->size, got);
    CHECK(rc == BITGEN_OK && memcmp(want, got, M * K) == 0, "%s: unpacked ternary weights differ from the file's", name);
    CHECK(memcmp(&scale, &wt->scale, 4) == 0, "%s: scale %g, the file has %g", name, wt->scale, scale);
    free(want);
    free(got);
    return;
  }
  CHECK(wt->scale == 1.0f, "%s: scale %g for a format without one", name, wt->scale);
  uint8_t *back = malloc(size);
  int rc = f->kind == BITGEN_KIND_FP ? bitgen_fp_export_gguf(f, M, K, v->prows, wt->data, wt->size, back, size)
                                     : bitgen_blk_export_gguf(f, M, K, v->prows, wt->data, wt->size, back, size);
  CHECK(rc == BITGEN_OK && memcmp(back, src, size) == 0, "%s: exported bytes differ from the file's (rc %d)", name, rc);
  free(back);
}

static void check_model(const model_t *m, gguf_w *w, const uint8_t *file) {
  for (size_t i = 0; i < w->nt; i++) {
    const gw_tensor *t = &w->t[i];
    const uint8_t *src = file + w->data_at + t->offset;
    char role[80];
    role_of(t->name, role, sizeof role);
    unsigned layer = 0;
    int per_layer = sscanf(t->name, "blk.%u.", &layer) == 1;
    const weight_t *wt = NULL;
    const float *vec = NULL;
    if (per_layer) {
      const PKG(layer) *L = &m->layer[layer];
#define R(x) else if (strcmp(role, #x) == 0) wt = &L->x;
#define N(x) else if (strcmp(role, #x) == 0) vec = L->x;
      if (0) {}
      R(attn_q) R(attn_k) R(attn_v) R(attn_output) R(ffn_gate) R(ffn_up) R(ffn_down)
      N(attn_norm) N(attn_sub_norm) N(ffn_norm) N(ffn_sub_norm)
#undef R
#undef N
    } else if (strcmp(role, "token_embd") == 0) {
      wt = &m->token_embd;
    } else if (strcmp(role, "output") == 0) {
      wt = &m->output;
    } else if (strcmp(role, "output_norm") == 0) {
      vec = m->output_norm;
    }
    if (wt) {
      check_weight(t->name, wt, src, (size_t)t->size);
    } else {
      CHECK(vec != NULL, "%s: not in the loaded model", t->name);
      if (vec) CHECK(memcmp(vec, src, (size_t)t->size) == 0, "%s: norm differs from the file's", t->name);
    }
  }
  CHECK(m->tied == PU(TIED_EMBEDDINGS), "tied %d", m->tied);
  if (m->tied) CHECK(memcmp(&m->output, &m->token_embd, sizeof m->output) == 0, "tied output is not token_embd");
  for (size_t l = 0; l < PU(N_LAYER); l++) {
    CHECK((m->layer[l].attn_sub_norm != NULL) == PU(SUB_NORMS), "layer %zu: sub-norms", l);
    CHECK((m->layer[l].ffn_sub_norm != NULL) == PU(SUB_NORMS), "layer %zu: sub-norms", l);
  }
  CHECK(m->arena && m->arena_size % (2u << 20) == 0 && ((uintptr_t)m->arena & ((2u << 20) - 1)) == 0,
        "arena %p of %zu bytes: not whole 2 MiB pages", m->arena, m->arena_size);
}

/* ---- progress ------------------------------------------------------------- */

typedef struct {
  int calls, bad;
  uint64_t last, total;
} prog;

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  prog *p = ctx;
  if (p->calls && (done <= p->last || total != p->total)) p->bad++;
  if (done > total) p->bad++;
  p->calls++;
  p->last = done;
  p->total = total;
}

/* ---- mismatches ------------------------------------------------------------ */

static int expect_error(const char *what, const uint8_t *buf, size_t size, int use_file, int want, const char *text) {
  model_t m;
  memset(&m, 0xab, sizeof m);
  model_t before = m;
  char err[512] = "";
  opts_t o = {0};
  o.error = err;
  o.error_size = sizeof err;
  int rc = use_file ? PKG(load)(to_file(buf, size), &o, &m) : PKG(load_memory)(buf, size, &o, &m);
  CHECK(rc == want, "%s: status %d (%s), want %d: %s", what, rc, PKG(strerror)(rc), want, err);
  CHECK(strstr(err, text) != NULL, "%s: message '%s' does not name '%s'", what, err, text);
  CHECK(memcmp(&m, &before, sizeof m) == 0, "%s: the model was written on error", what);
  printf("  %-22s %s\n", what, err);
  return rc;
}

static void mismatches(void) {
  const char *arch = PU(ARCH);
  const char *other = strcmp(arch, "llama") ? "llama" : "bitnet-b1.58";
  gguf_w w;
  size_t size;
  uint8_t *buf;
  char name[256], expect[320];

  build(&w, other, 5);
  buf = to_mem(&w, &size);
  snprintf(expect, sizeof expect, "general.architecture: '%s', the package is %s", other, arch);
  expect_error("wrong architecture", buf, size, 0, BITGEN_E_MISMATCH, expect);
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  gw_tensor *t = find(&w, "blk.1.ffn_up.weight");
  memmove(t, t + 1, (size_t)(w.t + w.nt - (t + 1)) * sizeof *t);
  w.nt--;
  buf = to_mem(&w, &size);
  expect_error("missing tensor", buf, size, 1, BITGEN_E_MISMATCH, "tensor 'blk.1.ffn_up.weight': missing");
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  t = find(&w, "blk.0.attn_k.weight");
  t->dims[1] += PKG(package)()->prows * 8;
  retype(t, t->type);
  buf = to_mem(&w, &size);
  expect_error("wrong shape", buf, size, 1, BITGEN_E_MISMATCH, "tensor 'blk.0.attn_k.weight': shape");
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  snprintf(name, sizeof name, "blk.%d.attn_q.weight", PU(N_LAYER) - 1);
  t = find(&w, name);
  retype(t, t->type == GW_T_Q8_0 ? GW_T_Q4_0 : GW_T_Q8_0);
  buf = to_mem(&w, &size);
  snprintf(expect, sizeof expect, "tensor '%s': type %s", name, t->type == GW_T_Q8_0 ? "Q8_0" : "Q4_0");
  expect_error("wrong type", buf, size, 0, BITGEN_E_MISMATCH, expect);
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  t = find(&w, "blk.0.ffn_norm.weight");
  t->dims[0] *= 2;
  retype(t, t->type);
  buf = to_mem(&w, &size);
  expect_error("wrong norm shape", buf, size, 0, BITGEN_E_MISMATCH, "tensor 'blk.0.ffn_norm.weight': shape");
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  uint64_t d1[1] = {PU(N_EMBD)};
  gw_tensor_add(&w, "blk.0.extra_norm.weight", GW_T_F32, 1, d1, 9, NULL);
  buf = to_mem(&w, &size);
  expect_error("extra tensor", buf, size, 0, BITGEN_E_MISMATCH, "tensor 'blk.0.extra_norm.weight': not a tensor");
  free(buf);
  gw_free(&w);

  /* a hyper-parameter: the writer's layout with one more context */
  build(&w, arch, 5);
  buf = to_mem(&w, &size);
  /* patch <arch>.context_length's u32 value in place: find the key text */
  snprintf(expect, sizeof expect, "%s.context_length", arch);
  uint8_t *k = NULL;
  for (size_t i = 0; i + strlen(expect) < size; i++)
    if (memcmp(buf + i, expect, strlen(expect)) == 0) { k = buf + i; break; }
  CHECK(k != NULL, "no %s key in the written file", expect);
  if (k) {
    uint8_t *val = k + strlen(expect) + 4; /* then the u32 type id, then the value */
    uint32_t ctx;
    memcpy(&ctx, val, 4);
    ctx += 1;
    memcpy(val, &ctx, 4);
    snprintf(name, sizeof name, "%s: %u, the package expects %u", expect, ctx, (unsigned)PU(N_CTX));
    expect_error("wrong hyper-parameter", buf, size, 0, BITGEN_E_MISMATCH, name);
  }
  free(buf);
  gw_free(&w);

  build(&w, arch, 5);
  buf = to_mem(&w, &size);
  expect_error("truncated data", buf, size - 100, 1, BITGEN_E_FORMAT, "past end of file");
  expect_error("truncated header", buf, 40, 0, BITGEN_E_FORMAT, "(memory): byte 0x10: metadata key-value count");
  free(buf);
  gw_free(&w);

  /* bytes the format refuses, found while packing (after the arena exists):
   * token_embd's first value made NaN / its first scale Inf, or I2_S code 3 */
  build(&w, arch, 5);
  t = find(&w, "token_embd.weight");
  uint8_t *bytes = malloc((size_t)t->size);
  gw_fill(t, bytes);
  switch (t->type) {
  case GW_T_I2_S: bytes[0] = 0xff; break;                     /* code 3 */
  case GW_T_F16: bytes[0] = 0x00, bytes[1] = 0x7e; break;     /* NaN */
  case GW_T_BF16: bytes[0] = 0xc0, bytes[1] = 0x7f; break;    /* NaN */
  case GW_T_Q6_K: bytes[208] = 0x00, bytes[209] = 0x7c; break; /* d = Inf */
  case GW_T_TQ1_0: bytes[52] = 0x00, bytes[53] = 0x7c; break;
  case GW_T_TQ2_0: bytes[64] = 0x00, bytes[65] = 0x7c; break;
  default: bytes[0] = 0x00, bytes[1] = 0x7c; break;           /* q4_0 / q8_0: d first */
  }
  t->bytes = bytes;
  buf = to_mem(&w, &size);
  expect_error("refused bytes", buf, size, 1, BITGEN_E_VALUE, "tensor 'token_embd.weight': data the format");
  free(buf);
  free(bytes);
  gw_free(&w);

  char missing[320];
  snprintf(missing, sizeof missing, "%s/no-such.gguf", dir);
  model_t m;
  memset(&m, 0, sizeof m);
  char err[256] = "";
  opts_t o = {0};
  o.error = err, o.error_size = sizeof err;
  CHECK(PKG(load)(missing, &o, &m) == BITGEN_E_IO && strstr(err, "no-such.gguf"), "missing file: %s", err);
  CHECK(PKG(load)(NULL, NULL, &m) == BITGEN_E_NULL, "NULL path");
  CHECK(PKG(load_memory)("GGUF", 4, NULL, NULL) == BITGEN_E_NULL, "NULL model");
  PKG(model_free)(NULL);
  PKG(model_free)(&m);
}

/* ---- main ---------------------------------------------------------------- */

int main(void) {
  snprintf(dir, sizeof dir, "%s/bitgen-test-load-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  gguf_w w;
  build(&w, PU(ARCH), 1);
  size_t size;
  uint8_t *buf = to_mem(&w, &size);
  const char *path = to_file(buf, size);
  printf("model %s (%s): %zu tensors, %zu bytes\n", PKG(package)()->model, PU(ARCH), w.nt, size);

  /* load from the file, 1 thread, with progress */
  bitgen_pool *pools[3];
  for (size_t i = 0; i < 3; i++)
    if (PKG(pool_create)(i + 1, &pools[i])) return 2;
  model_t m[3], mm;
  prog pr = {0};
  opts_t o = {0};
  char err[512] = "";
  o.pool = pools[0], o.progress = on_progress, o.progress_ctx = &pr, o.error = err, o.error_size = sizeof err;
  int rc = PKG(load)(path, &o, &m[0]);
  CHECK(rc == BITGEN_OK, "load: %s", err);
  if (rc) return 1;
  check_model(&m[0], &w, buf);
  CHECK(pr.calls >= 2 && pr.bad == 0 && pr.last == pr.total && pr.total == m[0].file_bytes,
        "progress: %d calls, %d out of order, last %llu of %llu, file bytes %llu", pr.calls, pr.bad,
        (unsigned long long)pr.last, (unsigned long long)pr.total, (unsigned long long)m[0].file_bytes);
  printf("load: %zu-byte arena, %llu bytes of tensors, %d progress calls\n", m[0].arena_size,
         (unsigned long long)m[0].file_bytes, pr.calls);

  /* 2 and 3 threads, and from memory: the same arena */
  for (size_t i = 1; i < 3; i++) {
    o.pool = pools[i], o.progress = NULL;
    CHECK(PKG(load)(path, &o, &m[i]) == BITGEN_OK, "load with %zu threads: %s", i + 1, err);
    CHECK(m[i].arena_size == m[0].arena_size && memcmp(m[i].arena, m[0].arena, m[0].arena_size) == 0,
          "%zu threads: the arena differs from 1 thread's", i + 1);
  }
  CHECK(PKG(load_memory)(buf, size, NULL, &mm) == BITGEN_OK, "load_memory");
  CHECK(mm.arena_size == m[0].arena_size && memcmp(mm.arena, m[0].arena, m[0].arena_size) == 0,
        "load_memory: the arena differs from load's");
  check_model(&mm, &w, buf);
  for (size_t i = 0; i < 3; i++) PKG(model_free)(&m[i]);
  PKG(model_free)(&mm);
  CHECK(mm.arena == NULL && mm.arena_size == 0, "model_free leaves a zeroed model");
  free(buf);
  gw_free(&w);

  mismatches();
  for (size_t i = 0; i < 3; i++) PKG(pool_destroy)(pools[i]);
  /* the temporary files */
  for (int i = 0; i < file_no; i++) {
    char p[320];
    snprintf(p, sizeof p, "%s/m%d.gguf", dir, i);
    unlink(p);
  }
  rmdir(dir);
  printf("%s\n", failures ? "FAIL" : "ok");
  return failures ? 1 : 0;
}
