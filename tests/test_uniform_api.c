/* The uniform API of a generated package (<P>.h: pack, P_act, quantize,
 * gemv, gemm, row), one source for every package: the same calls for every
 * format, with no per-format branch.  Only the reference is per format: it
 * decodes the packed bytes with the runtime's unpackers and runs its scalar
 * references (each tested against independent encoders elsewhere).
 *
 * Per distinct K: one quantize serves every shape of that K (a model spec's
 * shapes of several formats share it); GEMV and GEMM for several N equal
 * the reference bit for bit, with a row stride beyond M, and are
 * byte-identical for 1, 2, 3, 8 threads and the default pool, quantize
 * included; the row lookup equals the decoded weights; every argument
 * error returns its code and writes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#include "pkg_check.h"

static const size_t ns[] = {1, 2, 3, 5, 8, 17, 33};
enum { NN = sizeof ns / sizeof *ns, NMAX = 33, POOLS = 4, PAD = 5 };
#define WORK_MAX ((size_t)48 << 20) /* multiply-adds of the scalar reference per N */

typedef PKG(act) act_t;

/* The pack rows of a shape's format (the package view of that format). */
static size_t prows_of(size_t s) {
  const char *fmt = PKG(shape_format)(s);
  for (size_t i = 0;; i++) {
    const bitgen_package *v = PKG(format_package)(i);
    if (!v) return 0;
    if (strcmp(v->format, fmt) == 0) return v->prows;
  }
}

/* Reference for N tokens of x (N x K): want (N x M) and the dequantized
 * weights deq (M x K), from the packed bytes.  The one per-format place. */
static int reference(size_t s, const uint8_t *packed, size_t size, float ws, const float *x, size_t N, float *want,
                     float *deq) {
  size_t M = 0, K = 0;
  PKG(shape_dims)(s, &M, &K);
  const bitgen_format *f = bitgen_format_by_name(PKG(shape_format)(s));
  const size_t prows = prows_of(s);
  int8_t *w = malloc(M * K), *q = malloc(N * K), *sc = malloc(M * K / 16 + 1);
  float *wd = malloc((M * K / 16 + 1) * sizeof(float)), *d = malloc((N * K / 16 + 1) * sizeof(float));
  int16_t *bsums = malloc((N * K / 16 + 1) * sizeof(int16_t));
  bitgen_act *act = malloc(N * sizeof *act);
  int rc = (!f || !w || !q || !sc || !wd || !d || !bsums || !act) ? BITGEN_E_NOMEM : BITGEN_OK;
  if (rc == BITGEN_OK && (f->kind == BITGEN_KIND_I2S || f->kind == BITGEN_KIND_TL)) {
    rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_unpack(M, K, prows, packed, size, w)
                                    : bitgen_tl_unpack(M, K, prows, packed, size, w);
    if (rc == BITGEN_OK) rc = bitgen_quantize_scalar(x, N, K, q, act);
    if (rc == BITGEN_OK) rc = bitgen_ref_gemm(M, K, w, ws, q, N, act, want);
    for (size_t e = 0; e < M * K; e++) deq[e] = (float)w[e] * ws;
  } else if (rc == BITGEN_OK && f->kind == BITGEN_KIND_BLOCK) {
    const int q6 = strcmp(f->name, "q6_k") == 0;
    rc = q6 ? bitgen_q6k_unpack(M, K, prows, packed, size, w, sc, wd)
            : bitgen_blk_unpack(f, M, K, prows, packed, size, w, wd);
    if (rc == BITGEN_OK) rc = bitgen_quantize_blocks(x, N, K, f->block, q, d, bsums);
    if (rc == BITGEN_OK)
      rc = q6 ? bitgen_ref_q6k(M, K, w, sc, wd, q, d, N, want) : bitgen_ref_blocks(M, K, f->block, w, wd, q, d, N, want);
    for (size_t e = 0; e < M * K; e++) /* ggml's dequantization */
      deq[e] = q6 ? (wd[e / 256] * (float)sc[e / 16]) * (float)w[e] : (float)w[e] * wd[e / f->block];
  } else if (rc == BITGEN_OK) {
    rc = bitgen_fp_unpack(f, M, K, prows, packed, size, deq);
    if (rc == BITGEN_OK) rc = bitgen_ref_fp(M, K, deq, x, N, want);
  }
  free(w), free(q), free(sc), free(wd), free(d), free(bsums), free(act);
  return rc;
}

static int all_equal(const float *y, size_t n, float v) {
  for (size_t i = 0; i < n; i++)
    if (y[i] != v && !(isnan(v) && isnan(y[i]))) return 0;
  return 1;
}

/* One shape against an act holding NMAX tokens of x. */
static void check_shape(size_t s, const float *x, const act_t *a, act_t *const *acts_by_pool, bitgen_pool **pools) {
  size_t M = 0, K = 0;
  CHECK(PKG(shape_dims)(s, &M, &K) == BITGEN_OK, "dims");
  const size_t size = PKG(packed_size)(s), ldy = M + PAD;
  float *w = malloc(M * K * sizeof(float)), *deq = malloc(M * K * sizeof(float)), *row = malloc(K * sizeof(float));
  float *want = malloc(NMAX * M * sizeof(float)), *y = malloc(NMAX * ldy * sizeof(float));
  float *y2 = malloc(NMAX * ldy * sizeof(float));
  uint8_t *packed = PKG(alloc)(size + BITGEN_ALIGN);
  if (!w || !deq || !row || !want || !y || !y2 || !packed) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < M * K; i++) w[i] = (float)((int)(next() % 20001) - 10000) / 3001.0f;
  float ws = 0.0f;
  CHECK(PKG(pack_f32)(s, M, K, w, packed, size, &ws) == BITGEN_OK, "shape %zu pack_f32", s);
  CHECK(isfinite(ws) && ws != 0.0f, "wscale %g", ws);

  /* the largest N the scalar reference can afford here */
  size_t nmax = 1;
  for (size_t i = 0; i < NN; i++)
    if (ns[i] * M * K <= WORK_MAX) nmax = ns[i];
  CHECK(reference(s, packed, size, ws, x, nmax, want, deq) == BITGEN_OK, "shape %zu reference", s);

  for (size_t i = 0; i < NN && ns[i] <= nmax; i++) {
    const size_t N = ns[i];
    for (size_t e = 0; e < N * ldy; e++) y[e] = -7.0f;
    if (N == 1) CHECK(PKG(gemv)(s, packed, size, ws, a, y, M, pools[0]) == BITGEN_OK, "gemv");
    else CHECK(PKG(gemm)(s, packed, size, ws, a, N, y, ldy, pools[0]) == BITGEN_OK, "gemm N=%zu", N);
    const size_t ld = N == 1 ? M : ldy;
    int same = 1, pad = 1;
    for (size_t j = 0; j < N; j++) {
      same &= memcmp(y + j * ld, want + j * M, M * sizeof(float)) == 0;
      if (N > 1) pad &= all_equal(y + j * ld + M, PAD, -7.0f);
    }
    CHECK(same, "shape %zu (%s) N=%zu differs from the reference", s, PKG(shape_format)(s), N);
    CHECK(pad, "shape %zu N=%zu wrote past M in a row of ldy", s, N);
    /* other thread counts (quantized with the same pool) and the default pool: the same bytes */
    for (int p = 0; p <= POOLS; p++) {
      bitgen_pool *pool = p < POOLS ? pools[p] : NULL;
      const act_t *ap = acts_by_pool[p];
      for (size_t e = 0; e < N * ldy; e++) y2[e] = -7.0f;
      int rc = N == 1 ? PKG(gemv)(s, packed, size, ws, ap, y2, M, pool)
                      : PKG(gemm)(s, packed, size, ws, ap, N, y2, ldy, pool);
      CHECK(rc == BITGEN_OK && memcmp(y, y2, N * ld * sizeof(float)) == 0,
            "shape %zu N=%zu pool %d: not bit-identical", s, N, p);
    }
    /* GEMM of one token is the GEMV */
    if (N == 1) {
      CHECK(PKG(gemm)(s, packed, size, ws, a, 1, y2, ldy, NULL) == BITGEN_OK && memcmp(y, y2, M * sizeof(float)) == 0,
            "gemm N=1 != gemv");
    }
  }

  /* row lookup: the decoded weights */
  for (size_t r = 0; r < M; r += M > 1 ? M - 1 : 1) {
    CHECK(PKG(row)(s, packed, size, ws, r, row) == BITGEN_OK, "row %zu", r);
    CHECK(memcmp(row, deq + r * K, K * sizeof(float)) == 0, "shape %zu row %zu differs from the decoded weights", s, r);
  }
  CHECK(PKG(row)(s, packed, size, ws, M, row) != BITGEN_OK, "row M");

  /* a scale meant for another matrix: refused, or exactly twice the output */
  for (size_t e = 0; e < M; e++) y2[e] = -7.0f;
  int rc2 = PKG(gemv)(s, packed, size, 2.0f * ws, a, y2, M, NULL);
  CHECK(rc2 == BITGEN_E_VALUE ? all_equal(y2, M, -7.0f) : rc2 == BITGEN_OK, "gemv 2 wscale: %d", rc2);
  for (size_t e = 0; rc2 == BITGEN_OK && e < M; e++) CHECK(y2[e] == 2.0f * y[e], "gemv 2 wscale row %zu", e);
  rc2 = PKG(row)(s, packed, size, 2.0f * ws, 0, row);
  CHECK(rc2 == BITGEN_E_VALUE || rc2 == BITGEN_OK, "row 2 wscale: %d", rc2);
  for (size_t k = 0; rc2 == BITGEN_OK && k < K; k++) CHECK(row[k] == 2.0f * deq[k], "row 2 wscale");

  /* argument errors: the code, and y untouched */
  for (size_t e = 0; e < NMAX * ldy; e++) y2[e] = -7.0f;
  const size_t bad = PKG(package)()->nshapes;
  CHECK(PKG(gemv)(bad, packed, size, ws, a, y2, M, NULL) == BITGEN_E_KERNEL, "gemv shape");
  CHECK(PKG(gemm)(bad, packed, size, ws, a, 2, y2, ldy, NULL) == BITGEN_E_KERNEL, "gemm shape");
  CHECK(PKG(gemv)(s, NULL, size, ws, a, y2, M, NULL) == BITGEN_E_NULL, "gemv packed");
  CHECK(PKG(gemv)(s, packed, size, ws, NULL, y2, M, NULL) == BITGEN_E_NULL, "gemv act");
  CHECK(PKG(gemv)(s, packed, size, ws, a, NULL, M, NULL) == BITGEN_E_NULL, "gemv y");
  CHECK(PKG(gemm)(s, packed, size, ws, NULL, 2, y2, ldy, NULL) == BITGEN_E_NULL, "gemm act");
  CHECK(PKG(gemv)(s, packed, size, ws, a, y2, M + 1, NULL) == BITGEN_E_SIZE, "gemv M");
  CHECK(PKG(gemv)(s, packed, size + 1, ws, a, y2, M, NULL) == BITGEN_E_SIZE, "gemv size");
  CHECK(PKG(gemv)(s, packed + 1, size, ws, a, y2, M, NULL) == BITGEN_E_ALIGN, "gemv alignment");
  CHECK(PKG(gemm)(s, packed, size, ws, a, 0, y2, ldy, NULL) == BITGEN_E_SIZE, "gemm N=0");
  CHECK(PKG(gemm)(s, packed, size, ws, a, NMAX + 1, y2, ldy, NULL) == BITGEN_E_SIZE, "gemm N > tokens");
  CHECK(PKG(gemm)(s, packed, size, ws, a, 2, y2, M - 1, NULL) == BITGEN_E_SIZE, "gemm ldy < M");
  CHECK(PKG(gemv)(s, packed, size, NAN, a, y2, M, NULL) == BITGEN_E_VALUE, "gemv wscale NaN");
  CHECK(PKG(gemm)(s, packed, size, INFINITY, a, 2, y2, ldy, NULL) == BITGEN_E_VALUE, "gemm wscale Inf");
  {
    void *foreign = calloc(1, 4096); /* not an object of this package */
    CHECK(PKG(gemv)(s, packed, size, ws, (const act_t *)foreign, y2, M, NULL) == BITGEN_E_MISMATCH, "foreign act");
    CHECK(PKG(quantize)(x, 1, K, (act_t *)foreign, NULL) == BITGEN_E_MISMATCH, "quantize into a foreign act");
    free(foreign);
  }
  CHECK(all_equal(y2, NMAX * ldy, -7.0f), "y written on an error");
  /* packers */
  float wsx = 5.0f;
  uint8_t *scratch = PKG(alloc)(size);
  memset(scratch, 0x5a, size);
  CHECK(PKG(pack_f32)(bad, M, K, w, scratch, size, &wsx) == BITGEN_E_KERNEL, "pack shape");
  CHECK(PKG(pack_f32)(s, M, K, w, scratch, size, NULL) == BITGEN_E_NULL, "pack wscale NULL");
  CHECK(PKG(pack_f32)(s, M, K, NULL, scratch, size, &wsx) == BITGEN_E_NULL, "pack w NULL");
  CHECK(PKG(pack_f32)(s, M + 1, K, w, scratch, size, &wsx) == BITGEN_E_SIZE, "pack M");
  CHECK(PKG(pack_f32)(s, M, K, w, scratch, size - 1, &wsx) == BITGEN_E_SIZE, "pack size");
  w[M * K - 1] = NAN;
  CHECK(PKG(pack_f32)(s, M, K, w, scratch, size, &wsx) == BITGEN_E_VALUE, "pack NaN");
  const size_t gsize = PKG(gguf_size)(s);
  if (gsize > 0) {
    uint8_t *src = calloc(1, gsize);
    CHECK(src && PKG(pack_gguf)(s, M, K, src, gsize - 1, scratch, size, &wsx) == BITGEN_E_SIZE, "gguf size");
    CHECK(PKG(pack_gguf)(s, M, K, src, gsize, scratch, size, NULL) == BITGEN_E_NULL, "gguf wscale NULL");
    free(src);
  }
  int untouched = wsx == 5.0f;
  for (size_t i = 0; i < size; i++) untouched &= scratch[i] == 0x5a;
  CHECK(untouched, "pack wrote on an error");
  CHECK(PKG(packed_size)(bad) == 0 && PKG(gguf_size)(bad) == 0 && PKG(shape_format)(bad) == NULL, "bad shape queries");
  PKG(free)(scratch);
  free(w), free(deq), free(row), free(want), free(y), free(y2);
  PKG(free)(packed);
  printf("shape %zu %zux%zu (%s): GEMV and GEMM N<=%zu, ldy %zu, 1/2/3/8 threads and the default pool, row, errors\n",
         s, M, K, PKG(shape_format)(s), nmax, ldy);
}

int main(void) {
  static const size_t thread_counts[POOLS] = {1, 2, 3, 8};
  bitgen_pool *pools[POOLS];
  for (int p = 0; p < POOLS; p++) CHECK(PKG(pool_create)(thread_counts[p], &pools[p]) == BITGEN_OK, "pool %d", p);
  CHECK(PKG(init)() == BITGEN_OK, "init");
  const size_t nshapes = PKG(package)()->nshapes;

  /* act objects: argument errors */
  act_t *a = NULL, *acts[POOLS + 1];
  CHECK(PKG(act_create)(0, &a) == BITGEN_E_SIZE && a == NULL, "act_create 0");
  CHECK(PKG(act_create)(((size_t)1 << 20) + 1, &a) == BITGEN_E_SIZE && a == NULL, "act_create too many");
  CHECK(PKG(act_create)(NMAX, NULL) == BITGEN_E_NULL, "act_create NULL");
  PKG(act_free)(NULL);
  CHECK(PKG(act_create)(NMAX, &a) == BITGEN_OK && a, "act_create");
  for (int p = 0; p <= POOLS; p++) CHECK(PKG(act_create)(NMAX, &acts[p]) == BITGEN_OK, "act_create %d", p);

  size_t done = 0, kmax = 0;
  for (size_t s = 0; s < nshapes; s++) {
    size_t M, K;
    PKG(shape_dims)(s, &M, &K);
    if (K > kmax) kmax = K;
  }
  float *x = malloc(NMAX * kmax * sizeof(float));
  for (size_t i = 0; i < NMAX * kmax; i++) x[i] = (float)((int)(next() % 20001) - 10000) / 997.0f;
  for (size_t s0 = 0; s0 < nshapes; s0++) {
    size_t M0, K;
    PKG(shape_dims)(s0, &M0, &K);
    int first = 1; /* the first shape of this K */
    for (size_t t = 0; t < s0; t++) {
      size_t Mt, Kt;
      PKG(shape_dims)(t, &Mt, &Kt);
      first &= Kt != K;
    }
    if (!first) continue;
    /* quantize errors leave the object empty: a multiply is then a mismatch */
    float *y = malloc(M0 * sizeof(float));
    uint8_t *packed = PKG(alloc)(PKG(packed_size)(s0));
    CHECK(PKG(quantize)(x, 1, K, a, NULL) == BITGEN_OK, "quantize");
    CHECK(PKG(quantize)(NULL, 1, K, a, NULL) == BITGEN_E_NULL, "quantize x");
    CHECK(PKG(quantize)(x, 1, K, NULL, NULL) == BITGEN_E_NULL, "quantize act");
    CHECK(PKG(quantize)(x, 0, K, a, NULL) == BITGEN_E_SIZE, "quantize n=0");
    CHECK(PKG(quantize)(x, NMAX + 1, K, a, NULL) == BITGEN_E_SIZE, "quantize n > max_tokens");
    CHECK(PKG(quantize)(x, 1, 0, a, NULL) == BITGEN_E_SIZE, "quantize K=0");
    CHECK(PKG(gemv)(s0, packed, PKG(packed_size)(s0), 1.0f, a, y, M0, NULL) == BITGEN_E_MISMATCH, "empty act");
    const float keep = x[2 * K - 1];
    x[2 * K - 1] = NAN;
    CHECK(PKG(quantize)(x, 3, K, a, pools[2]) == BITGEN_E_VALUE, "quantize NaN");
    x[2 * K - 1] = keep;
    CHECK(PKG(gemv)(s0, packed, PKG(packed_size)(s0), 1.0f, a, y, M0, NULL) == BITGEN_E_MISMATCH, "act after NaN");
    PKG(free)(packed);
    free(y);

    CHECK(PKG(quantize)(x, NMAX, K, a, pools[0]) == BITGEN_OK, "quantize K=%zu", K);
    for (int p = 0; p <= POOLS; p++)
      CHECK(PKG(quantize)(x, NMAX, K, acts[p], p < POOLS ? pools[p] : NULL) == BITGEN_OK, "quantize pool %d", p);
    for (size_t s = s0; s < nshapes; s++) {
      size_t M, Ks;
      PKG(shape_dims)(s, &M, &Ks);
      if (Ks != K) continue;
      check_shape(s, x, a, acts, pools);
      done++;
      /* an act of another K is a mismatch */
      for (size_t o = 0; o < nshapes; o++) {
        size_t Mo, Ko;
        PKG(shape_dims)(o, &Mo, &Ko);
        if (Ko == K) continue;
        act_t *other = NULL;
        float *yo = malloc(M * sizeof(float));
        uint8_t *po = PKG(alloc)(PKG(packed_size)(s));
        CHECK(PKG(act_create)(1, &other) == BITGEN_OK && PKG(quantize)(x, 1, Ko, other, NULL) == BITGEN_OK, "other");
        CHECK(PKG(gemv)(s, po, PKG(packed_size)(s), 1.0f, other, yo, M, NULL) == BITGEN_E_MISMATCH, "act of K=%zu", Ko);
        PKG(act_free)(other);
        PKG(free)(po);
        free(yo);
        break;
      }
    }
  }
  CHECK(done == nshapes, "checked %zu of %zu shapes", done, nshapes);
  PKG(act_free)(a);
  for (int p = 0; p <= POOLS; p++) PKG(act_free)(acts[p]);
  for (int p = 0; p < POOLS; p++) PKG(pool_destroy)(pools[p]);
  free(x);
  printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures != 0;
}
