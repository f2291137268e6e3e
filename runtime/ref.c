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

int bitgen_ref_dot(size_t M, size_t K, const int8_t *w, const int8_t *q, int64_t *dot) {
  int st;
  if (w == NULL || q == NULL || dot == NULL) return BITGEN_E_NULL;
  if ((st = check_args(M, K, w)) != BITGEN_OK) return st;
  for (size_t i = 0; i < M; i++) {
    int64_t acc = 0;
    for (size_t k = 0; k < K; k++) acc += (int64_t)w[i * K + k] * q[k];
    dot[i] = acc;
  }
  return BITGEN_OK;
}

/* The dot here multiplies the ternary weight w = c - 1, so it already
 * equals the kernels' dot(c, q) - sum(q); no correction term is applied.
 * The factor wscale / s is one float division, as in the kernels. */
int bitgen_ref_gemv(size_t M, size_t K, const int8_t *w, float wscale, const int8_t *q,
                    const bitgen_act *act, float *y) {
  float factor;
  int st;
  if (w == NULL || q == NULL || act == NULL || y == NULL) return BITGEN_E_NULL;
  if ((st = check_args(M, K, w)) != BITGEN_OK) return st;
  factor = wscale / act->scale;
  for (size_t i = 0; i < M; i++) {
    int64_t acc = 0;
    for (size_t k = 0; k < K; k++) acc += (int64_t)w[i * K + k] * q[k];
    y[i] = (float)acc * factor;
  }
  return BITGEN_OK;
}
