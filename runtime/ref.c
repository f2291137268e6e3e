/* Scalar reference: the test oracle for the generated kernels.  Kept as
 * plain loops on purpose; it shares nothing with the kernel templates. */
#include "bitgen_rt.h"

/* Pointers were checked by the caller. */
static int check_args(size_t M, size_t K, const int8_t *w) {
  if (M == 0 || K == 0 || M > SIZE_MAX / K) return BITGEN_E_SIZE;
  for (size_t e = 0; e < M * K; e++)
    if (w[e] < -1 || w[e] > 1) return BITGEN_E_VALUE;
  return BITGEN_OK;
}

/* sum_k w[k] * q[k] in int64.  Partial sums of at most 2^15 products
 * (|w*q| <= 128) fit int32 exactly, which lets the compiler vectorize. */
static int64_t dot_row(const int8_t *w, const int8_t *q, size_t K) {
  int64_t acc = 0;
  for (size_t k0 = 0; k0 < K; k0 += 32768) {
    size_t k1 = K - k0 < 32768 ? K : k0 + 32768;
    int32_t part = 0;
    for (size_t k = k0; k < k1; k++) part += (int32_t)w[k] * q[k];
    acc += part;
  }
  return acc;
}

int bitgen_ref_dot(size_t M, size_t K, const int8_t *w, const int8_t *q, int64_t *dot) {
  int st;
  if (w == NULL || q == NULL || dot == NULL) return BITGEN_E_NULL;
  if ((st = check_args(M, K, w)) != BITGEN_OK) return st;
  for (size_t i = 0; i < M; i++) dot[i] = dot_row(w + i * K, q, K);
  return BITGEN_OK;
}

/* The dot here multiplies the ternary weight w = c - 1, so it already
 * equals the kernels' dot(c, q) - sum(q); no correction term is applied.
 * The factor wscale / s is one float division per token, as in the kernels. */
int bitgen_ref_gemm(size_t M, size_t K, const int8_t *w, float wscale, const int8_t *q, size_t N,
                    const bitgen_act *act, float *y) {
  int st;
  if (w == NULL || q == NULL || act == NULL || y == NULL) return BITGEN_E_NULL;
  if ((st = check_args(M, K, w)) != BITGEN_OK) return st;
  if (N == 0 || N > SIZE_MAX / K || N > SIZE_MAX / M) return BITGEN_E_SIZE;
  if ((st = bitgen_check_ternary_scales(wscale, act, N)) != BITGEN_OK) return st;
  for (size_t j = 0; j < N; j++) {
    const float factor = wscale / act[j].scale;
    for (size_t i = 0; i < M; i++) y[j * M + i] = (float)dot_row(w + i * K, q + j * K, K) * factor;
  }
  return BITGEN_OK;
}

int bitgen_ref_gemv(size_t M, size_t K, const int8_t *w, float wscale, const int8_t *q,
                    const bitgen_act *act, float *y) {
  return bitgen_ref_gemm(M, K, w, wscale, q, 1, act, y);
}
