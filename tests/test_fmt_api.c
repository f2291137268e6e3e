/* The public API of a block-format (tq2_0, tq1_0, q4_0, q8_0) or tl package:
 * packers (f32, GGUF import/export), quantizer, GEMV and GEMM for
 * N = 1..9, 17, 33 at every shape, equal to the scalar reference and
 * byte-identical for 1, 2, 3 and 8 threads and the default pool; and every
 * argument error.  Built with -DTEST_KIND_BLOCK or -DTEST_KIND_TL. */
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
  if (N == 1) return PKG(gemv)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, y, t->M, pool);
  return PKG(gemm)(t->s, t->packed, t->size, t->q, t->d, t->bsums, t->K, N, y, t->M, pool);
#else
  if (N == 1) return PKG(gemv)(t->s, t->packed, t->size, t->wscale, t->lut, t->K, t->act, y, t->M, pool);
  return PKG(gemm)(t->s, t->packed, t->size, t->wscale, t->lut, t->K, N, t->act, y, t->M, pool);
#endif
}

/* Packs, quantizes and computes the reference for NMAX tokens. */
static void prepare(shape *t, const bitgen_package *pkg) {
  const size_t M = t->M, K = t->K;
  for (size_t i = 0; i < M * K; i++) t->w[i] = (float)((int)(next() % 20001) - 10000) / 3001.0f;
  for (size_t i = 0; i < NMAX * K; i++) t->x[i] = (float)((int)(next() % 20001) - 10000) / 997.0f;
#ifdef TEST_KIND_BLOCK
  const bitgen_format *f = bitgen_format_by_name(pkg->format);
  CHECK(PKG(pack_f32)(t->s, M, K, t->w, t->packed, t->size) == BITGEN_OK, "pack_f32");
  /* export, then import again: the same GGUF bytes and the same packed bytes */
  CHECK(PKG(export_gguf)(t->s, M, K, t->packed, t->size, t->gguf, t->gsize) == BITGEN_OK, "export");
  uint8_t *again = bitgen_alloc(t->size);
  CHECK(again && PKG(pack_gguf)(t->s, M, K, t->gguf, t->gsize, again, t->size) == BITGEN_OK, "import");
  CHECK(again && memcmp(again, t->packed, t->size) == 0, "import(export(p)) != p");
  CHECK(PKG(export_gguf)(t->s, M, K, again, t->size, t->gguf2, t->gsize) == BITGEN_OK, "export 2");
  CHECK(memcmp(t->gguf, t->gguf2, t->gsize) == 0, "export not stable");
  bitgen_free(again);
  CHECK(PKG(quantize)(t->x, NMAX, K, t->q, t->d, t->bsums) == BITGEN_OK, "quantize");
  CHECK(bitgen_blk_unpack(f, M, K, pkg->prows, t->packed, t->size, t->wt, t->wd) == BITGEN_OK, "unpack");
  CHECK(bitgen_ref_blocks(M, K, f->block, t->wt, t->wd, t->q, t->d, NMAX, t->want) == BITGEN_OK, "reference");
#else
  CHECK(PKG(pack_f32)(t->s, M, K, t->w, t->packed, t->size, &t->wscale) == BITGEN_OK, "pack_f32");
  CHECK(bitgen_tl_unpack(M, K, pkg->prows, t->packed, t->size, t->wt) == BITGEN_OK, "unpack");
  /* the ternary packer gives the same bytes */
  uint8_t *again = bitgen_alloc(t->size);
  CHECK(again && PKG(pack_ternary)(t->s, M, K, t->wt, again, t->size) == BITGEN_OK, "pack_ternary");
  CHECK(again && memcmp(again, t->packed, t->size) == 0, "pack_ternary != pack_f32");
  bitgen_free(again);
  CHECK(bitgen_quantize(t->x, NMAX, K, t->q, t->act) == BITGEN_OK, "quantize");
  CHECK(PKG(tables)(t->q, NMAX, K, t->lut) == BITGEN_OK, "tables");
  CHECK(bitgen_ref_gemm(M, K, t->wt, t->wscale, t->q, NMAX, t->act, t->want) == BITGEN_OK, "reference");
#endif
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
  CHECK(PKG(packed_size)(999) == 0, "bad shape size");
#ifdef TEST_KIND_BLOCK
  const int8_t *q = t->q;
  const float *d = t->d;
  const int16_t *b = t->bsums;
  CHECK(PKG(gemv)(999, t->packed, size, q, d, b, K, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(PKG(gemv)(s, NULL, size, q, d, b, K, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(PKG(gemv)(s, t->packed, size, NULL, d, b, K, y, M, NULL) == BITGEN_E_NULL, "q");
  CHECK(PKG(gemv)(s, t->packed, size, q, NULL, b, K, y, M, NULL) == BITGEN_E_NULL, "d");
  CHECK(PKG(gemv)(s, t->packed, size, q, d, NULL, K, y, M, NULL) == BITGEN_E_NULL, "bsums");
  CHECK(PKG(gemv)(s, t->packed, size, q, d, b, K, NULL, M, NULL) == BITGEN_E_NULL, "y");
  CHECK(PKG(gemv)(s, t->packed, size - 1, q, d, b, K, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(PKG(gemv)(s, t->packed, size, q, d, b, K + 1, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(PKG(gemv)(s, t->packed, size, q, d, b, K, y, M + 1, NULL) == BITGEN_E_SIZE, "M");
  CHECK(PKG(gemm)(s, t->packed, size, q, d, b, K, 0, y, M, NULL) == BITGEN_E_SIZE, "N = 0");
  CHECK(PKG(gemv)(s, t->packed + 1, size, q, d, b, K, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  CHECK(PKG(pack_f32)(s, M + 1, K, t->w, t->packed, size) == BITGEN_E_SIZE, "pack M");
  CHECK(PKG(pack_gguf)(s, M, K, t->gguf, t->gsize - 1, t->packed, size) == BITGEN_E_SIZE, "gguf size");
  CHECK(PKG(export_gguf)(s, M, K, t->packed, size, NULL, t->gsize) == BITGEN_E_NULL, "export dst");
  CHECK(PKG(quantize)(t->x, 1, K + 1, t->q, t->d, t->bsums) != BITGEN_OK, "quantize K");
  const float saved = t->w[0];
  t->w[0] = NAN;
  uint8_t *scratch = bitgen_alloc(size);
  CHECK(PKG(pack_f32)(s, M, K, t->w, scratch, size) == BITGEN_E_VALUE, "pack NaN");
  t->w[0] = saved;
  bitgen_free(scratch);
#else
  const int16_t *lut = t->lut;
  bitgen_act *act = t->act;
  const float ws = t->wscale;
  CHECK(PKG(gemv)(999, t->packed, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  CHECK(PKG(gemv)(s, NULL, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_NULL, "packed");
  CHECK(PKG(gemv)(s, t->packed, size, ws, NULL, K, act, y, M, NULL) == BITGEN_E_NULL, "lut");
  CHECK(PKG(gemv)(s, t->packed, size, ws, lut, K, NULL, y, M, NULL) == BITGEN_E_NULL, "act");
  CHECK(PKG(gemv)(s, t->packed, size, ws, lut, K, act, NULL, M, NULL) == BITGEN_E_NULL, "y");
  CHECK(PKG(gemv)(s, t->packed, size + 1, ws, lut, K, act, y, M, NULL) == BITGEN_E_SIZE, "size");
  CHECK(PKG(gemv)(s, t->packed, size, ws, lut, K + 1, act, y, M, NULL) == BITGEN_E_SIZE, "K");
  CHECK(PKG(gemv)(s, t->packed, size, ws, lut, K, act, y, M + 1, NULL) == BITGEN_E_SIZE, "M");
  CHECK(PKG(gemm)(s, t->packed, size, ws, lut, K, 0, act, y, M, NULL) == BITGEN_E_SIZE, "N = 0");
  CHECK(PKG(gemv)(s, t->packed + 1, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_ALIGN, "alignment");
  CHECK(PKG(gemv)(s, t->packed, size, NAN, lut, K, act, y, M, NULL) == BITGEN_E_VALUE, "wscale NaN");
  const float saved = act[0].scale;
  act[0].scale = 0.0f;
  CHECK(PKG(gemv)(s, t->packed, size, ws, lut, K, act, y, M, NULL) == BITGEN_E_VALUE, "act scale 0");
  act[0].scale = saved;
  CHECK(PKG(tables)(NULL, 1, K, t->lut) == BITGEN_E_NULL, "tables q");
  CHECK(PKG(pack_ternary)(s, M, K + 1, t->wt, t->packed, size) == BITGEN_E_SIZE, "pack K");
  int8_t keep = t->wt[0];
  t->wt[0] = 2;
  uint8_t *scratch = bitgen_alloc(size);
  CHECK(PKG(pack_ternary)(s, M, K, t->wt, scratch, size) == BITGEN_E_VALUE, "pack value 2");
  t->wt[0] = keep;
  bitgen_free(scratch);
#endif
}

int main(void) {
  static const size_t thread_counts[POOLS] = {1, 2, 3, 8};
  bitgen_pool *pools[POOLS];
  for (int p = 0; p < POOLS; p++) CHECK(bitgen_pool_create(thread_counts[p], &pools[p]) == BITGEN_OK, "pool %d", p);
  CHECK(PKG(init)() == BITGEN_OK, "init");
  const bitgen_package *pkg = PKG(package)();
  for (size_t s = 0; s < pkg->nshapes; s++) {
    shape t = {.s = s, .M = pkg->shapes[s].M, .K = pkg->shapes[s].K, .size = PKG(packed_size)(s), .wscale = 1.0f};
    const size_t M = t.M, K = t.K;
    t.w = bitgen_alloc(M * K * sizeof(float)), t.x = bitgen_alloc(NMAX * K * sizeof(float));
    t.want = bitgen_alloc(NMAX * M * sizeof(float)), t.y0 = bitgen_alloc(NMAX * M * sizeof(float));
    t.y = bitgen_alloc(NMAX * M * sizeof(float)), t.wt = bitgen_alloc(M * K), t.q = bitgen_alloc(NMAX * K);
    t.packed = bitgen_alloc(t.size);
#ifdef TEST_KIND_BLOCK
    const size_t nb = K / bitgen_format_by_name(pkg->format)->block;
    t.gsize = PKG(gguf_size)(s);
    t.wd = bitgen_alloc(M * nb * sizeof(float)), t.d = bitgen_alloc(NMAX * nb * sizeof(float));
    t.bsums = bitgen_alloc(NMAX * K / 16 * sizeof(int16_t));
    t.gguf = bitgen_alloc(t.gsize), t.gguf2 = bitgen_alloc(t.gsize);
    const int ok = t.wd && t.d && t.bsums && t.gguf && t.gguf2;
#else
    t.act = bitgen_alloc(NMAX * sizeof(bitgen_act));
    t.lut = bitgen_alloc(NMAX * PKG(lut_size)(K) * sizeof(int16_t));
    const int ok = t.act && t.lut;
#endif
    if (!ok || !t.w || !t.x || !t.want || !t.y0 || !t.y || !t.wt || !t.q || !t.packed) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    prepare(&t, pkg);
    check_threads(&t, pools);
    check_errors(&t);
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
