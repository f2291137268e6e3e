/* The public API of a block-format (tq2_0, tq1_0, q4_0, q8_0) or tl package:
 * packers (f32, GGUF import/export), quantizer, GEMV and GEMM for
 * N = 1..9, 17, 33 at every shape, equal to the scalar reference and
 * byte-identical for 1, 2, 3 and 8 threads and the default pool; and every
 * argument error.  Built with -DTEST_KIND_BLOCK or -DTEST_KIND_TL.  With
 * BITGEN_ISA set (a variant forced, e.g. the AVX2 tl GEMM, whose driver gives
 * each thread its scratch, on a host that would pick AVX-512) and not
 * runnable here: exit 77. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#include "pkg_check.h"

static const size_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 33};
enum { NN = sizeof ns / sizeof *ns, NMAX = 33, POOLS = 4 };

/* One shape's buffers: weights, activations and their quantized forms. */
typedef struct {
  size_t s, M, K, size;
  float *w, *x, *want, *y0, *y, wscale;
  int8_t *wt, *q;
  uint8_t *packed;
#ifdef TEST_KIND_BLOCK
  float *wd, *d;
  int16_t *bsums;
  uint8_t *gguf, *gguf2;
  size_t gsize;
#else
  bitgen_act *act;
  int16_t *lut;
#endif
} shape;

/* y for N tokens through the API with one pool (NULL: the default). */
static int multiply(const shape *t, size_t N, float *y, bitgen_pool *pool) {
#ifdef TEST_KIND_BLOCK
  if (N == 1) return LL(gemv)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, y, t->M, pool);
  return LL(gemm)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, N, y, t->M, pool);
#else
  if (N == 1) return LL(gemv)(t->s, t->packed, t->size, t->wscale, t->lut, t->K, t->act, y, t->M, pool);
  return LL(gemm)(t->s, t->packed, t->size, t->wscale, t->lut, t->K, N, t->act, y, t->M, pool);
#endif
}

/* Packs, quantizes and computes the reference for NMAX tokens. */
static void prepare(shape *t, const bitgen_package *pkg) {
  const size_t M = t->M, K = t->K;
  for (size_t i = 0; i < M * K; i++) t->w[i] = (float)((int)(next() % 20001) - 10000) / 3001.0f;
  for (size_t i = 0; i < NMAX * K; i++) t->x[i] = (float)((int)(next() % 20001) - 10000) / 997.0f;
#ifdef TEST_KIND_BLOCK
  const bitgen_format *f = bitgen_format_by_name(pkg->format);
  CHECK(LL(pack_f32)(t->s, M, K, t->w, t->packed, t->size) == BITGEN_OK, "pack_f32");
  /* export, then import again: the same GGUF bytes and the same packed bytes */
  CHECK(LL(export_gguf)(t->s, M, K, t->packed, t->size, t->gguf, t->gsize) == BITGEN_OK, "export");
  uint8_t *again = bitgen_alloc(t->size);
  CHECK(again && LL(pack_gguf)(t->s, M, K, t->gguf, t->gsize, again, t->size) == BITGEN_OK, "import");
  CHECK(again && memcmp(again, t->packed, t->size) == 0, "import(export(p)) != p");
  CHECK(LL(export_gguf)(t->s, M, K, again, t->size, t->gguf2, t->gsize) == BITGEN_OK, "export 2");
  CHECK(memcmp(t->gguf, t->gguf2, t->gsize) == 0, "export not stable");
  bitgen_free(again);
  CHECK(LL(quantize)(t->x, NMAX, K, t->q, t->d, t->bsums) == BITGEN_OK, "quantize");
  CHECK(bitgen_blk_unpack(f, M, K, pkg->prows, t->packed, t->size, t->wt, t->wd) == BITGEN_OK, "unpack");
  CHECK(bitgen_ref_blocks(M, K, f->block, t->wt, t->wd, t->q, t->d, NMAX, t->want) == BITGEN_OK, "reference");
#else
  CHECK(LL(pack_f32)(t->s, M, K, t->w, t->packed, t->size, &t->wscale) == BITGEN_OK, "pack_f32");
  CHECK(bitgen_tl_unpack(M, K, pkg->prows, t->packed, t->size, t->wt) == BITGEN_OK, "unpack");
  /* the ternary packer gives the same bytes */
  uint8_t *again = bitgen_alloc(t->size);
  CHECK(again && LL(pack_ternary)(t->s, M, K, t->wt, again, t->size) == BITGEN_OK, "pack_ternary");
  CHECK(again && memcmp(again, t->packed, t->size) == 0, "pack_ternary != pack_f32");
  bitgen_free(again);
  CHECK(bitgen_quantize(t->x, NMAX, K, t->q, t->act) == BITGEN_OK, "quantize");
  CHECK(LL(tables)(t->q, NMAX, K, t->lut) == BITGEN_OK, "tables");
  CHECK(bitgen_ref_gemm(M, K, t->wt, t->wscale, t->q, NMAX, t->act, t->want) == BITGEN_OK, "reference");
#endif
}

/* The embedding lookup: every row through _row equals the decode of the
 * whole matrix (block: (float)w * d; tl: w * wscale). */
static void check_rows(const shape *t) {
  float *row = bitgen_alloc(t->K * sizeof(float));
  for (size_t i = 0; row && i < t->M; i++) {
#ifdef TEST_KIND_BLOCK
    const size_t B = bitgen_format_by_name(PKG(package)()->format)->block;
    CHECK(LL(row)(t->s, t->packed, t->size, i, row) == BITGEN_OK, "row %zu", i);
    for (size_t k = 0; k < t->K; k++) {
      const float want = (float)t->wt[i * t->K + k] * t->wd[(i * t->K + k) / B];
      CHECK(memcmp(&row[k], &want, sizeof want) == 0, "shape %zu row %zu k %zu", t->s, i, k);
    }
#else
    CHECK(LL(row)(t->s, t->packed, t->size, t->wscale, i, row) == BITGEN_OK, "row %zu", i);
    for (size_t k = 0; k < t->K; k++) {
      const int8_t w = t->wt[i * t->K + k];
      const float want = w == 0 ? 0.0f : w > 0 ? t->wscale : -t->wscale;
      CHECK(memcmp(&row[k], &want, sizeof want) == 0, "shape %zu row %zu k %zu", t->s, i, k);
    }
#endif
  }
#ifdef TEST_KIND_BLOCK
  CHECK(row && LL(row)(t->s, t->packed, t->size, t->M, row) == BITGEN_E_SIZE, "row M");
#else
  CHECK(row && LL(row)(t->s, t->packed, t->size, t->wscale, t->M, row) == BITGEN_E_SIZE, "row M");
  CHECK(row && LL(row)(t->s, t->packed, t->size, NAN, 0, row) == BITGEN_E_VALUE, "row wscale");
#endif
  bitgen_free(row);
}

/* Every N: the reference with one thread, the same bytes with the others. */
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

static void check_errors(shape *t) {
  const size_t s = t->s, M = t->M, K = t->K, size = t->size;
  float *y = t->y;
  CHECK(LL(packed_size)(999) == 0, "bad shape size");
#ifdef TEST_KIND_BLOCK
  const int8_t *q = t->q;
  const float *d = t->d;
  const int16_t *b = t->bsums;
  CHECK(LL(gemv)(999, t->packed, size, q, d, b, K, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(LL(gemv)(s, NULL, size, q, d, b, K, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(LL(gemv)(s, t->packed, size, NULL, d, b, K, y, M, NULL) == BITGEN_E_NULL, "q");
  CHECK(LL(gemv)(s, t->packed, size, q, NULL, b, K, y, M, NULL) == BITGEN_E_NULL, "d");
  CHECK(LL(gemv)(s, t->packed, size, q, d, NULL, K, y, M, NULL) == BITGEN_E_NULL, "bsums");
  CHECK(LL(gemv)(s, t->packed, size, q, d, b, K, NULL, M, NULL) == BITGEN_E_NULL, "y");
  CHECK(LL(gemv)(s, t->packed, size - 1, q, d, b, K, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(LL(gemv)(s, t->packed, size, q, d, b, K + 1, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(LL(gemv)(s, t->packed, size, q, d, b, K, y, M + 1, NULL) == BITGEN_E_SIZE, "M");
  CHECK(LL(gemm)(s, t->packed, size, q, d, b, K, 0, y, M, NULL) == BITGEN_E_SIZE, "N = 0");
  CHECK(LL(gemv)(s, t->packed + 1, size, q, d, b, K, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  CHECK(LL(pack_f32)(s, M + 1, K, t->w, t->packed, size) == BITGEN_E_SIZE, "pack M");
  CHECK(LL(pack_gguf)(s, M, K, t->gguf, t->gsize - 1, t->packed, size) == BITGEN_E_SIZE, "gguf size");
  CHECK(LL(export_gguf)(s, M, K, t->packed, size, NULL, t->gsize) == BITGEN_E_NULL, "export dst");
  CHECK(LL(quantize)(t->x, 1, K + 1, t->q, t->d, t->bsums) != BITGEN_OK, "quantize K");
  const float saved = t->w[0];
  t->w[0] = NAN;
  uint8_t *scratch = bitgen_alloc(size);
  CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack NaN");
  t->w[0] = saved;
  bitgen_free(scratch);
#else
  const int16_t *lut = t->lut;
  bitgen_act *act = t->act;
  const float ws = t->wscale;
  CHECK(LL(gemv)(999, t->packed, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(LL(gemv)(s, NULL, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(LL(gemv)(s, t->packed, size, ws, NULL, K, act, y, M, NULL) == BITGEN_E_NULL, "lut");
  CHECK(LL(gemv)(s, t->packed, size, ws, lut, K, NULL, y, M, NULL) == BITGEN_E_NULL, "act");
  CHECK(LL(gemv)(s, t->packed, size, ws, lut, K, act, NULL, M, NULL) == BITGEN_E_NULL, "y");
  CHECK(LL(gemv)(s, t->packed, size + 1, ws, lut, K, act, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(LL(gemv)(s, t->packed, size, ws, lut, K + 1, act, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(LL(gemv)(s, t->packed, size, ws, lut, K, act, y, M + 1, NULL) == BITGEN_E_SIZE, "M");
  CHECK(LL(gemm)(s, t->packed, size, ws, lut, K, 0, act, y, M, NULL) == BITGEN_E_SIZE, "N = 0");
  CHECK(LL(gemv)(s, t->packed + 1, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  CHECK(LL(gemv)(s, t->packed, size, NAN, lut, K, act, y, M, NULL) == BITGEN_E_VALUE, "wscale NaN");
  const float saved = act[0].scale;
  act[0].scale = 0.0f;
  CHECK(LL(gemv)(s, t->packed, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_VALUE, "act scale 0");
  act[0].scale = saved;
  CHECK(LL(tables)(NULL, 1, K, t->lut) == BITGEN_E_NULL, "tables q");
  CHECK(LL(pack_ternary)(s, M, K + 1, t->wt, t->packed, size) == BITGEN_E_SIZE, "pack K");
  int8_t keep = t->wt[0];
  t->wt[0] = 2;
  uint8_t *scratch = bitgen_alloc(size);
  CHECK(LL(pack_ternary)(s, M, K, t->wt, scratch, size) == BITGEN_E_VALUE, "pack value 2");
  t->wt[0] = keep;
  bitgen_free(scratch);
#endif
}

/* y still holds the sentinel: nothing was written. */
static int unchanged(const float *y, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (y[i] != -7.0f) return 0;
  return 1;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

/* The scale rule (docs/DESIGN.md, "Caller contracts") at every entry point
 * of the package: BITGEN_E_VALUE with nothing written. */
static void check_scale_rule(shape *t) {
  const size_t s = t->s, M = t->M, K = t->K, size = t->size, N = 3;
  static const float bad[] = {NAN, INFINITY, -INFINITY};
  float *y = t->y;
  uint8_t *scratch = bitgen_alloc(size);
  for (size_t i = 0; i < N * M; i++) y[i] = -7.0f;
  memset(scratch, 0x5a, size);
#ifdef TEST_KIND_BLOCK
  const bitgen_format *f = bitgen_format_by_name(PKG(package)()->format);
  const size_t nb = K / f->block, G = f->gguf_bytes, d_at = f->block == 256 ? G - 2 : 0;
  static const uint16_t bad16[] = {0x7c00, 0xfc00, 0x7e00, 0xfc01};
  /* activation scales: the first block of token 0, the last of token N-1 */
  for (size_t i = 0; i < 3; i++)
    for (size_t at = 0; at < N * nb; at += N * nb - 1) {
      const float keep = t->d[at];
      t->d[at] = bad[i];
      if (at < nb) CHECK(multiply(t, 1, y, NULL) == BITGEN_E_VALUE, "gemv d[%zu] = %g", at, bad[i]);
      CHECK(multiply(t, N, y, NULL) == BITGEN_E_VALUE, "gemm d[%zu] = %g", at, bad[i]);
      t->d[at] = keep;
    }
  CHECK(unchanged(y, N * M), "y written on a scale error");
  {
    /* a zero activation scale is an all-zero block's: accepted, and as the reference */
    float *want = bitgen_alloc(N * M * sizeof(float));
    const float keep = t->d[nb];
    t->d[nb] = 0.0f;
    CHECK(multiply(t, N, y, NULL) == BITGEN_OK, "gemm with d = 0");
    CHECK(bitgen_ref_blocks(M, K, f->block, t->wt, t->wd, t->q, t->d, N, want) == BITGEN_OK, "reference d = 0");
    CHECK(memcmp(y, want, N * M * sizeof(float)) == 0, "d = 0 differs from the reference");
    t->d[nb] = keep;
    bitgen_free(want);
  }
  /* weight scales in GGUF bytes: first and last block */
  for (size_t i = 0; i < sizeof bad16 / sizeof *bad16; i++)
    for (size_t at = 0; at < M * nb; at += M * nb - 1 ? M * nb - 1 : 1) {
      uint8_t keep[2];
      memcpy(keep, t->gguf + at * G + d_at, 2);
      t->gguf[at * G + d_at] = (uint8_t)bad16[i];
      t->gguf[at * G + d_at + 1] = (uint8_t)(bad16[i] >> 8);
      CHECK(LL(pack_gguf)(s, M, K, t->gguf, t->gsize, scratch, size) == BITGEN_E_VALUE, "pack_gguf %04x", bad16[i]);
      memcpy(t->gguf + at * G + d_at, keep, 2);
    }
  /* f32 weights: non-finite, or finite with a block scale beyond f16 */
  for (size_t i = 0; i < 4; i++) {
    const float keep = t->w[M * K - 1];
    t->w[M * K - 1] = i < 3 ? bad[i] : 1e30f;
    CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack_f32 weight %g", t->w[M * K - 1]);
    t->w[M * K - 1] = keep;
  }
  CHECK(all_bytes(scratch, size, 0x5a), "packed written on a scale error");
  /* all zero is fine for block formats: every block gets d = 0 and y = 0 */
  {
    float *zero = bitgen_alloc(M * K * sizeof(float));
    CHECK(zero && LL(pack_f32)(s, M, K, zero, scratch, size) == BITGEN_OK, "pack_f32 all zero");
    CHECK(LL(gemv)(s, scratch, size, t->q, t->d, t->bsums, K, y, M, NULL) == BITGEN_OK, "gemv zero weights");
    int zeros = 1;
    for (size_t i = 0; i < M; i++) zeros &= y[i] == 0.0f;
    CHECK(zeros, "zero weights give y = 0");
    bitgen_free(zero);
  }
  /* the quantizer: non-finite activations */
  for (size_t i = 0; i < 3; i++) {
    const float keep = t->x[2 * K - 1];
    t->x[2 * K - 1] = bad[i];
    CHECK(LL(quantize)(t->x, 2, K, t->q, t->d, t->bsums) == BITGEN_E_VALUE, "quantize %g", bad[i]);
    t->x[2 * K - 1] = keep;
  }
#else
  static const float bad_w[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
  static const float bad_s[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f};
  const float ws = t->wscale;
  for (size_t i = 0; i < sizeof bad_w / sizeof *bad_w; i++) {
    t->wscale = bad_w[i];
    CHECK(multiply(t, 1, y, NULL) == BITGEN_E_VALUE, "gemv wscale %g", bad_w[i]);
    CHECK(multiply(t, N, y, NULL) == BITGEN_E_VALUE, "gemm wscale %g", bad_w[i]);
  }
  t->wscale = ws;
  for (size_t i = 0; i < sizeof bad_s / sizeof *bad_s; i++) {
    const float keep = t->act[N - 1].scale;
    t->act[N - 1].scale = bad_s[i];
    CHECK(multiply(t, N, y, NULL) == BITGEN_E_VALUE, "gemm act scale %g", bad_s[i]);
    t->act[N - 1].scale = keep;
    t->act[0].scale = bad_s[i];
    CHECK(multiply(t, 1, y, NULL) == BITGEN_E_VALUE, "gemv act scale %g", bad_s[i]);
    t->act[0].scale = keep;
  }
  {
    /* each finite, the ratio not */
    const float keep = t->act[0].scale;
    t->act[0].scale = 1e-30f;
    t->wscale = 1e10f;
    CHECK(multiply(t, 1, y, NULL) == BITGEN_E_VALUE, "gemv wscale / scale overflows");
    t->act[0].scale = keep;
    t->wscale = ws;
  }
  CHECK(unchanged(y, N * M), "y written on a scale error");
  {
    /* the I2_S tensor's stored scale */
    uint8_t *src = bitgen_alloc(M * K / 4 + 4);
    float scale = 3.0f;
    for (size_t e = 0; src && K % 128 == 0 && e < M * K; e++) {
      size_t r = e % 128, byte = e / 128 * 32 + r % 32;
      if (r < 32) src[byte] = 0;
      src[byte] |= (uint8_t)((t->wt[e] + 1) << (6 - 2 * (r / 32)));
    }
    for (size_t i = 0; src && K % 128 == 0 && i < sizeof bad_w / sizeof *bad_w; i++) {
      uint32_t bits;
      memcpy(&bits, &bad_w[i], 4);
      for (int b = 0; b < 4; b++) src[M * K / 4 + (size_t)b] = (uint8_t)(bits >> (8 * b)); /* little-endian */
      CHECK(LL(pack_gguf)(s, M, K, src, M * K / 4 + 4, scratch, size, &scale) == BITGEN_E_VALUE,
            "pack_gguf scale %g", bad_w[i]);
    }
    float *zero = bitgen_alloc(M * K * sizeof(float));
    CHECK(zero && LL(pack_f32)(s, M, K, zero, scratch, size, &scale) == BITGEN_E_VALUE, "pack_f32 all zero");
    for (size_t i = 0; i < 3; i++) {
      const float keep = t->w[0];
      t->w[0] = bad[i];
      CHECK(LL(pack_f32)(s, M, K, t->w, scratch, size, &scale) == BITGEN_E_VALUE, "pack_f32 %g", bad[i]);
      t->w[0] = keep;
    }
    CHECK(all_bytes(scratch, size, 0x5a) && scale == 3.0f, "packed written on a scale error");
    bitgen_free(src);
    bitgen_free(zero);
  }
  for (size_t i = 0; i < 3; i++) {
    const float keep = t->x[2 * K - 1];
    t->x[2 * K - 1] = bad[i];
    CHECK(bitgen_quantize(t->x, 2, K, t->q, t->act) == BITGEN_E_VALUE, "quantize %g", bad[i]);
    t->x[2 * K - 1] = keep;
  }
#endif
  bitgen_free(scratch);
}

int main(void) {
  static const size_t thread_counts[POOLS] = {1, 2, 3, 8};
  bitgen_pool *pools[POOLS];
  for (int p = 0; p < POOLS; p++) CHECK(bitgen_pool_create(thread_counts[p], &pools[p]) == BITGEN_OK, "pool %d", p);
  const int init = PKG(init)();
  if ((init == BITGEN_E_ISA || init == BITGEN_E_UNSUPPORTED) && getenv("BITGEN_ISA")) {
    printf("SKIP: BITGEN_ISA=%s: %s\n", getenv("BITGEN_ISA"), bitgen_strerror(init));
    return 77;
  }
  CHECK(init == BITGEN_OK, "init");
  const bitgen_package *pkg = PKG(package)();
  PKG(info_t) info;
  PKG(info)(&info);
  for (size_t i = 0; i < info.nkernels; i++)
    if (info.kernels[i].isa) printf("%s: %s\n", info.kernels[i].name, info.kernels[i].variant);
  for (size_t s = 0; s < pkg->nshapes; s++) {
    shape t = {.s = s, .M = pkg->shapes[s].M, .K = pkg->shapes[s].K, .size = LL(packed_size)(s), .wscale = 1.0f};
    const size_t M = t.M, K = t.K;
    t.w = bitgen_alloc(M * K * sizeof(float)), t.x = bitgen_alloc(NMAX * K * sizeof(float));
    t.want = bitgen_alloc(NMAX * M * sizeof(float)), t.y0 = bitgen_alloc(NMAX * M * sizeof(float));
    t.y = bitgen_alloc(NMAX * M * sizeof(float)), t.wt = bitgen_alloc(M * K), t.q = bitgen_alloc(NMAX * K);
    t.packed = bitgen_alloc(t.size);
#ifdef TEST_KIND_BLOCK
    const size_t nb = K / bitgen_format_by_name(pkg->format)->block;
    t.gsize = LL(gguf_size)(s);
    t.wd = bitgen_alloc(M * nb * sizeof(float)), t.d = bitgen_alloc(NMAX * nb * sizeof(float));
    t.bsums = bitgen_alloc(NMAX * K / 16 * sizeof(int16_t));
    t.gguf = bitgen_alloc(t.gsize), t.gguf2 = bitgen_alloc(t.gsize);
    const int ok = t.wd && t.d && t.bsums && t.gguf && t.gguf2;
#else
    t.act = bitgen_alloc(NMAX * sizeof(bitgen_act));
    t.lut = bitgen_alloc(NMAX * LL(lut_size)(K) * sizeof(int16_t));
    const int ok = t.act && t.lut;
#endif
    if (!ok || !t.w || !t.x || !t.want || !t.y0 || !t.y || !t.wt || !t.q || !t.packed) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    prepare(&t, pkg);
    check_rows(&t);
    check_threads(&t, pools);
    check_errors(&t);
    check_scale_rule(&t);
    printf("shape %zux%zu: GEMV and GEMM N=1..9,17,33 with 1/2/3/8 threads and the default pool\n", M, K);
    bitgen_free(t.w), bitgen_free(t.x), bitgen_free(t.want), bitgen_free(t.y0), bitgen_free(t.y);
    bitgen_free(t.wt), bitgen_free(t.q), bitgen_free(t.packed);
#ifdef TEST_KIND_BLOCK
    bitgen_free(t.wd), bitgen_free(t.d), bitgen_free(t.bsums), bitgen_free(t.gguf), bitgen_free(t.gguf2);
#else
    bitgen_free(t.act), bitgen_free(t.lut);
#endif
  }
  for (int p = 0; p < POOLS; p++) bitgen_pool_destroy(pools[p]);
  printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures != 0;
}
