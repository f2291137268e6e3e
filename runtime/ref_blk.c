/* Scalar reference for the block formats: the test oracle of their
 * kernels.  Plain loops on purpose; shares nothing with the templates. */
#include "bitgen_rt.h"

/* isum of one block in int32: |w * q| <= 128 * 128 = 2^14 and a block holds
 * at most MAX_BLOCK values, so |isum| <= 131071 * 2^14 < 2^31 is exact. */
#define MAX_BLOCK ((size_t)INT32_MAX / (128 * 128))

static int32_t block_dot(const int8_t *w, const int8_t *q, size_t n) {
  int32_t s = 0;
  for (size_t k = 0; k < n; k++) s += (int32_t)w[k] * q[k];
  return s;
}

/* The scale product, the product with isum and the sum are each rounded to
 * float in that order (separate statements; the project builds with
 * -std=c11, so GCC does not contract them into an FMA). */
static float row_dot(const int8_t *w, const float *wd, const int8_t *q, const float *ad, size_t K, size_t block) {
  float acc = 0.0f;
  for (size_t b = 0; b < K / block; b++) {
    int32_t isum = block_dot(w + b * block, q + b * block, block);
    float s = wd[b] * ad[b];
    float p = (float)isum * s;
    acc = acc + p;
  }
  return acc;
}

/* Non-finite scales are BITGEN_E_VALUE, as everywhere (zero is a block's
 * valid scale). */
int bitgen_ref_blocks(size_t M, size_t K, size_t block, const int8_t *w, const float *wd, const int8_t *q,
                      const float *ad, size_t N, float *y) {
  size_t nblk;
  if (w == NULL || wd == NULL || q == NULL || ad == NULL || y == NULL) return BITGEN_E_NULL;
  if (M == 0 || K == 0 || N == 0 || block == 0 || block > MAX_BLOCK || K % block != 0) return BITGEN_E_SIZE;
  if (M > SIZE_MAX / K || N > SIZE_MAX / K || N > SIZE_MAX / M) return BITGEN_E_SIZE;
  nblk = K / block;
  if (bitgen_check_block_scales(wd, M * nblk) != BITGEN_OK || bitgen_check_block_scales(ad, N * nblk) != BITGEN_OK)
    return BITGEN_E_VALUE;
  for (size_t j = 0; j < N; j++)
    for (size_t i = 0; i < M; i++)
      y[j * M + i] = row_dot(w + i * K, wd + i * nblk, q + j * K, ad + j * nblk, K, block);
  return BITGEN_OK;
}
