/* The public API of a q6_k, f16 or bf16 package (-DTEST_FP for the float
 * formats): packers (f32, GGUF import/export), the row lookup against a
 * decode of the whole matrix, GEMV and GEMM for N = 1..9, 17, 33 at every
 * shape equal to the scalar reference and byte-identical for 1, 2, 3 and 8
 * threads and the default pool, and the argument and value errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#include "pkg_check.h"

static const size_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 33};
enum { NN = sizeof ns / sizeof *ns, NMAX = 33, POOLS = 4 };

typedef struct {
  size_t s, M, K, size, gsize;
  float *w, *x, *want, *y0, *y, *wf; /* wf: the packed weights' values (FP), or dequantized rows (q6_k) */
  uint8_t *packed, *gguf, *gguf2;
#ifndef TEST_FP
  int8_t *wt, *sc, *q;
  float *wd, *d;
  int16_t *bsums;
#endif
} shape;

static int multiply(const shape *t, size_t N, float *y, bitgen_pool *pool) {
#ifdef TEST_FP
  if (N == 1) return LL(gemv)(t->s, t->packed, t->size, t->x, t->K, y, t->M, pool);
  return LL(gemm)(t->s, t->packed, t->size, t->x, t->K, N, y, t->M, pool);
#else
  if (N == 1) return LL(gemv)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, y, t->M, pool);
  return LL(gemm)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, N, y, t->M, pool);
#endif
}

static void prepare(shape *t, const bitgen_package *pkg) {
  const size_t M = t->M, K = t->K;
  const bitgen_format *f = bitgen_format_by_name(pkg->format);
  for (size_t i = 0; i < M * K; i++) t->w[i] = (float)((int)(next() % 20001) - 10000) / 3001.0f;
  for (size_t i = 0; i < NMAX * K; i++) t->x[i] = (float)((int)(next() % 20001) - 10000) / 997.0f;
  CHECK(LL(pack_f32)(t->s, M, K, t->w, t->packed, t->size) == BITGEN_OK, "pack_f32");
  CHECK(LL(export_gguf)(t->s, M, K, t->packed, t->size, t->gguf, t->gsize) == BITGEN_OK, "export");
  uint8_t *again = bitgen_alloc(t->size);
  CHECK(again && LL(pack_gguf)(t->s, M, K, t->gguf, t->gsize, again, t->size) == BITGEN_OK, "import");
  CHECK(again && memcmp(again, t->packed, t->size) == 0, "import(export(p)) != p");
  CHECK(LL(export_gguf)(t->s, M, K, again, t->size, t->gguf2, t->gsize) == BITGEN_OK, "export 2");
  CHECK(memcmp(t->gguf, t->gguf2, t->gsize) == 0, "export not stable");
  bitgen_free(again);
#ifdef TEST_FP
  CHECK(bitgen_fp_unpack(f, M, K, pkg->prows, t->packed, t->size, t->wf) == BITGEN_OK, "unpack");
  CHECK(bitgen_ref_fp(M, K, t->wf, t->x, NMAX, t->want) == BITGEN_OK, "reference");
#else
  CHECK(LL(quantize)(t->x, NMAX, K, t->q, t->d, t->bsums) == BITGEN_OK, "quantize");
  CHECK(bitgen_q6k_unpack(M, K, pkg->prows, t->packed, t->size, t->wt, t->sc, t->wd) == BITGEN_OK, "unpack");
  CHECK(bitgen_ref_q6k(M, K, t->wt, t->sc, t->wd, t->q, t->d, NMAX, t->want) == BITGEN_OK, "reference");
  for (size_t e = 0; e < M * K; e++) { /* ggml's dequantization: (d * scale) * q */
    const float ds = t->wd[e / 256] * (float)t->sc[e / 16];
    t->wf[e] = ds * (float)t->wt[e];
  }
  (void)f;
#endif
}

static void check_threads(const shape *t, bitgen_pool **pools) {
  for (size_t i = 0; i < NN; i++) {
    const size_t N = ns[i], bytes = N * t->M * sizeof(float);
    CHECK(multiply(t, N, t->y0, pools[0]) == BITGEN_OK, "N=%zu", N);
    CHECK(memcmp(t->y0, t->want, bytes) == 0, "shape %zu N=%zu differs from the reference", t->s, N);
    for (int p = 0; p <= POOLS; p++) {
      memset(t->y, 0xA5, bytes);
      CHECK(multiply(t, N, t->y, p < POOLS ? pools[p] : NULL) == BITGEN_OK, "N=%zu pool %d", N, p);
      CHECK(memcmp(t->y, t->y0, bytes) == 0, "shape %zu N=%zu pool %d: not bit-identical", t->s, N, p);
    }
  }
}

/* Every row through _row equals the decode of the whole matrix. */
static void check_rows(const shape *t) {
  float *row = bitgen_alloc(t->K * sizeof(float));
  for (size_t i = 0; row && i < t->M; i++) {
    CHECK(LL(row)(t->s, t->packed, t->size, i, row) == BITGEN_OK, "row %zu", i);
    CHECK(memcmp(row, t->wf + i * t->K, t->K * sizeof(float)) == 0, "shape %zu row %zu != decode", t->s, i);
  }
  if (row) {
    CHECK(LL(row)(t->s, t->packed, t->size, t->M, row) == BITGEN_E_SIZE, "row M");
    CHECK(LL(row)(999, t->packed, t->size, 0, row) == BITGEN_E_KERNEL, "row shape");
    CHECK(LL(row)(t->s, NULL, t->size, 0, row) == BITGEN_E_NULL, "row packed");
    CHECK(LL(row)(t->s, t->packed, t->size - 1, 0, row) == BITGEN_E_SIZE, "row size");
  }
  bitgen_free(row);
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

static void check_errors(shape *t) {
  const size_t s = t->s, M = t->M, K = t->K, size = t->size;
  static const float bad[] = {NAN, INFINITY, -INFINITY};
  float *y = t->y;
  uint8_t *scratch = bitgen_alloc(size);
  memset(scratch, 0x5a, size);
  CHECK(LL(packed_size)(999) == 0 && LL(gguf_size)(999) == 0, "bad shape size");
  CHECK(LL(pack_f32)(s, M + 1, K, t->w, scratch, size) == BITGEN_E_SIZE, "pack M");
  CHECK(LL(pack_gguf)(s, M, K, t->gguf, t->gsize - 1, scratch, size) == BITGEN_E_SIZE, "gguf size");
  CHECK(LL(export_gguf)(s, M, K, t->packed, size, NULL, t->gsize) == BITGEN_E_NULL, "export dst");
  for (size_t i = 0; i < 3; i++) { /* a non-finite f32 weight */
    const float keep = t->w[M * K - 1];
    t->w[M * K - 1] = bad[i];
    CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack_f32 %g", bad[i]);
    t->w[M * K - 1] = keep;
  }
#ifdef TEST_FP
  const float *x = t->x;
  CHECK(LL(gemv)(999, t->packed, size, x, K, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(LL(gemv)(s, NULL, size, x, K, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(LL(gemv)(s, t->packed, size, NULL, K, y, M, NULL) == BITGEN_E_NULL, "x");
  CHECK(LL(gemv)(s, t->packed, size, x, K, NULL, M, NULL) == BITGEN_E_NULL, "y");
  CHECK(LL(gemv)(s, t->packed, size - 2, x, K, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(LL(gemv)(s, t->packed, size, x, K + 16, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(LL(gemv)(s, t->packed, size, x, K, y, M + 1, NULL) == BITGEN_E_SIZE, "M");
  CHECK(LL(gemm)(s, t->packed, size, x, K, 0, y, M, NULL) == BITGEN_E_SIZE, "N = 0");
  CHECK(LL(gemv)(s, t->packed + 1, size, x, K, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  for (size_t i = 0; i < M; i++) y[i] = -7.0f;
  for (size_t i = 0; i < 3; i++) { /* a non-finite activation: nothing written */
    const float keep = t->x[2 * K - 1];
    t->x[2 * K - 1] = bad[i];
    CHECK(multiply(t, 2, y, NULL) == BITGEN_E_VALUE, "gemm x %g", bad[i]);
    t->x[2 * K - 1] = keep;
  }
  CHECK(y[0] == -7.0f && y[M - 1] == -7.0f, "y written on a value error");
  /* GGUF bytes holding Inf / NaN, and an f32 weight rounding to Inf */
  const int bf = strcmp(PKG(package)()->format, "bf16") == 0;
  const uint16_t infs[] = {bf ? 0x7f80 : 0x7c00, bf ? 0xffc1 : 0xfe01};
  for (size_t i = 0; i < 2; i++) {
    uint8_t keep0 = t->gguf[t->gsize - 2], keep1 = t->gguf[t->gsize - 1];
    t->gguf[t->gsize - 2] = (uint8_t)infs[i], t->gguf[t->gsize - 1] = (uint8_t)(infs[i] >> 8);
    CHECK(LL(pack_gguf)(s, M, K, t->gguf, t->gsize, scratch, size) == BITGEN_E_VALUE, "gguf %04x", infs[i]);
    t->gguf[t->gsize - 2] = keep0, t->gguf[t->gsize - 1] = keep1;
  }
  const float keep = t->w[0];
  t->w[0] = bf ? 3.4e38f : 70000.0f;
  CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack_f32 overflow");
  t->w[0] = keep;
#else
  const int8_t *q = t->q;
  const float *d = t->d;
  const int16_t *b = t->bsums;
  CHECK(LL(gemv)(999, t->packed, size, q, d, b, K, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(LL(gemv)(s, NULL, size, q, d, b, K, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(LL(gemv)(s, t->packed, size, q, d, NULL, K, y, M, NULL) == BITGEN_E_NULL, "bsums");
  CHECK(LL(gemv)(s, t->packed, size - 1, q, d, b, K, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(LL(gemv)(s, t->packed, size, q, d, b, K + 256, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(LL(gemv)(s, t->packed + 1, size, q, d, b, K, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  for (size_t i = 0; i < 3; i++) {
    const float keep = t->d[0];
    t->d[0] = bad[i];
    CHECK(multiply(t, 1, y, NULL) == BITGEN_E_VALUE, "gemv d %g", bad[i]);
    t->d[0] = keep;
  }
  /* a non-finite d in the GGUF bytes (last block), and weights whose d overflows f16 */
  uint8_t keep0 = t->gguf[t->gsize - 2], keep1 = t->gguf[t->gsize - 1];
  t->gguf[t->gsize - 2] = 0x00, t->gguf[t->gsize - 1] = 0x7c;
  CHECK(LL(pack_gguf)(s, M, K, t->gguf, t->gsize, scratch, size) == BITGEN_E_VALUE, "gguf d Inf");
  t->gguf[t->gsize - 2] = keep0, t->gguf[t->gsize - 1] = keep1;
  const float keep = t->w[0];
  t->w[0] = 1e12f;
  CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack_f32 d overflow");
  t->w[0] = keep;
  /* all-zero weights: d = 0 everywhere, y = 0 */
  float *zero = bitgen_alloc(M * K * sizeof(float));
  uint8_t *zp = bitgen_alloc(size);
  CHECK(zero && zp && LL(pack_f32)(s, M, K, zero, zp, size) == BITGEN_OK, "pack_f32 all zero");
  CHECK(zp && LL(gemv)(s, zp, size, q, d, b, K, y, M, NULL) == BITGEN_OK, "gemv zero weights");
  int zeros = 1;
  for (size_t i = 0; i < M; i++) zeros &= y[i] == 0.0f;
  CHECK(zeros, "zero weights give y = 0");
  bitgen_free(zero), bitgen_free(zp);
#endif
  CHECK(all_bytes(scratch, size, 0x5a), "packed written on an error");
  bitgen_free(scratch);
}

int main(void) {
  static const size_t thread_counts[POOLS] = {1, 2, 3, 8};
  bitgen_pool *pools[POOLS];
  for (int p = 0; p < POOLS; p++) CHECK(bitgen_pool_create(thread_counts[p], &pools[p]) == BITGEN_OK, "pool %d", p);
  CHECK(PKG(init)() == BITGEN_OK, "init");
  const bitgen_package *pkg = PKG(package)();
  for (size_t s = 0; s < pkg->nshapes; s++) {
    shape t = {.s = s, .M = pkg->shapes[s].M, .K = pkg->shapes[s].K, .size = LL(packed_size)(s),
               .gsize = LL(gguf_size)(s)};
    const size_t M = t.M, K = t.K;
    t.w = bitgen_alloc(M * K * sizeof(float)), t.x = bitgen_alloc(NMAX * K * sizeof(float));
    t.want = bitgen_alloc(NMAX * M * sizeof(float)), t.y0 = bitgen_alloc(NMAX * M * sizeof(float));
    t.y = bitgen_alloc(NMAX * M * sizeof(float)), t.wf = bitgen_alloc(M * K * sizeof(float));
    t.packed = bitgen_alloc(t.size), t.gguf = bitgen_alloc(t.gsize), t.gguf2 = bitgen_alloc(t.gsize);
    int ok = t.w && t.x && t.want && t.y0 && t.y && t.wf && t.packed && t.gguf && t.gguf2;
#ifndef TEST_FP
    t.wt = bitgen_alloc(M * K), t.sc = bitgen_alloc(M * K / 16), t.q = bitgen_alloc(NMAX * K);
    t.wd = bitgen_alloc(M * K / 256 * sizeof(float)), t.d = bitgen_alloc(NMAX * K / 256 * sizeof(float));
    t.bsums = bitgen_alloc(NMAX * K / 16 * sizeof(int16_t));
    ok = ok && t.wt && t.sc && t.q && t.wd && t.d && t.bsums;
#endif
    if (!ok) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    prepare(&t, pkg);
    check_threads(&t, pools);
    check_rows(&t);
    check_errors(&t);
    printf("shape %zux%zu: GEMV and GEMM N=1..9,17,33 with 1/2/3/8 threads and the default pool; rows\n", M, K);
    bitgen_free(t.w), bitgen_free(t.x), bitgen_free(t.want), bitgen_free(t.y0), bitgen_free(t.y), bitgen_free(t.wf);
    bitgen_free(t.packed), bitgen_free(t.gguf), bitgen_free(t.gguf2);
#ifndef TEST_FP
    bitgen_free(t.wt), bitgen_free(t.sc), bitgen_free(t.q), bitgen_free(t.wd), bitgen_free(t.d), bitgen_free(t.bsums);
#endif
  }
  for (int p = 0; p < POOLS; p++) bitgen_pool_destroy(pools[p]);
  printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures != 0;
}
