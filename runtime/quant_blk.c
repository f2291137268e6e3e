/* Block activations for the ggml block formats (Q8_K-style, any block size
 * that is a multiple of 16); see bitgen_quantize_blocks in bitgen_fmt.h. */
#include <math.h>
#include <string.h>

#include "bitgen_rt.h"

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Round half to even for |v| < 2^22: adding 1.5*2^23 leaves the rounded
 * integer in the low mantissa bits (default rounding mode), without a libm
 * call. */
static int32_t round_even(float v) {
  float t = v + 12582912.0f;
  return (int32_t)(f32_bits(t) & 0x7fffffu) - 0x400000;
}

/* |x| as bits: for non-negative floats the integer order is the float
 * order, and anything >= 0x7f800000 is Inf or NaN.  Returns the index of
 * the first element of largest magnitude, or n when the block holds a
 * non-finite value. */
static size_t find_max(const float *x, size_t n) {
  uint32_t m = 0;
  size_t at = 0;
  for (size_t g = 0; g < n; g += 16) { /* n % 16 == 0: fixed inner trips vectorize */
    uint32_t u[16];
    memcpy(u, x + g, sizeof u);
    for (size_t j = 0; j < 16; j++) {
      uint32_t a = u[j] & 0x7fffffffu;
      m = a > m ? a : m;
    }
  }
  if (m >= 0x7f800000u) return n;
  /* The first 16 holding m (a branch-free test per 16), then the element. */
  for (;; at += 16) {
    uint32_t u[16], hit = 0;
    memcpy(u, x + at, sizeof u);
    for (size_t j = 0; j < 16; j++) hit |= (u[j] & 0x7fffffffu) == m;
    if (hit) break;
  }
  while ((f32_bits(x[at]) & 0x7fffffffu) != m) at++;
  return at;
}

/* One block: returns 0 on a non-finite value, before writing anything.
 * A block whose max is 0 (all zero), or so small that -127/max overflows
 * (|max| < ~3.7e-37), gives d = 0 and q = 0. */
static int quant_block(const float *restrict x, size_t n, int8_t *restrict q, float *restrict d,
                       int16_t *restrict bsums) {
  size_t at = find_max(x, n);
  float iscale;
  if (at == n) return 0;
  iscale = x[at] != 0.0f ? -127.0f / x[at] : 0.0f;
  if (!isfinite(iscale)) iscale = 0.0f;
  for (size_t g = 0; g < n / 16; g++) {
    int32_t s = 0;
    for (size_t j = 16 * g; j < 16 * g + 16; j++) {
      int32_t v = round_even(iscale * x[j]); /* |iscale * x| <= ~127 */
      v = v < 127 ? v : 127;
      q[j] = (int8_t)v;
      s += v;
    }
    bsums[g] = (int16_t)s; /* |s| <= 16 * 128 */
  }
  *d = iscale != 0.0f ? 1.0f / iscale : 0.0f;
  return 1;
}

/* A non-finite value stops at its block before any of that block's outputs
 * is written (earlier blocks are done), as bitgen_quantize_scalar. */
int bitgen_quantize_blocks(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d, int16_t *bsums) {
  size_t nblk;
  if (x == NULL || q == NULL || d == NULL || bsums == NULL) return BITGEN_E_NULL;
  if (N == 0 || K == 0 || block == 0 || block % 16 != 0 || K % block != 0 || N > SIZE_MAX / K)
    return BITGEN_E_SIZE;
  nblk = N * K / block;
  for (size_t b = 0; b < nblk; b++)
    if (!quant_block(x + b * block, block, q + b * block, d + b, bsums + b * (block / 16))) return BITGEN_E_VALUE;
  return BITGEN_OK;
}
