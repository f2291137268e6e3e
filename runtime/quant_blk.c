/* Block activations for the ggml block formats (Q8_K-style, any block size
 * that is a multiple of 16); see bitgen_quantize_blocks in bitgen_fmt.h. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "bitgen_rt.h"
#include "quant_internal.h"

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
size_t bitgen_quant_blk_find_max(const float *x, size_t n) {
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
  size_t at = bitgen_quant_blk_find_max(x, n);
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

int bitgen_quant_blk_check(const float *x, size_t N, size_t K, size_t block, const int8_t *q, const float *d,
                           const int16_t *bsums) {
  if (x == NULL || q == NULL || d == NULL || bsums == NULL) return BITGEN_E_NULL;
  if (N == 0 || K == 0 || block == 0 || block % 16 != 0 || K % block != 0 || N > SIZE_MAX / K)
    return BITGEN_E_SIZE;
  return BITGEN_OK;
}

int bitgen_quant_blk_scalar_from(const float *x, size_t nblk, size_t block, size_t from, int8_t *q, float *d,
                                 int16_t *bsums) {
  for (size_t b = from; b < nblk; b++)
    if (!quant_block(x + b * block, block, q + b * block, d + b, bsums + b * (block / 16))) return BITGEN_E_VALUE;
  return BITGEN_OK;
}

/* A non-finite value stops at its block before any of that block's outputs
 * is written (earlier blocks are done), as bitgen_quantize_scalar. */
int bitgen_quantize_blocks_scalar(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                  int16_t *bsums) {
  int st = bitgen_quant_blk_check(x, N, K, block, q, d, bsums);
  if (st != BITGEN_OK) return st;
  return bitgen_quant_blk_scalar_from(x, N * K / block, block, 0, q, d, bsums);
}

/* One implementation per runtime level (cpu_internal.h), in its order;
 * quant_blk_x86.c has the SIMD ones. */
static const bitgen_quant_blk_fn quant_blk_fns[BITGEN_NLEVELS] = {
#ifdef BITGEN_RT_X86
    bitgen_quantize_blocks_avx512, bitgen_quantize_blocks_avx2, bitgen_quantize_blocks_avx2,
#endif
    bitgen_quantize_blocks_scalar,
};

static pthread_once_t quant_blk_once = PTHREAD_ONCE_INIT;
static size_t quant_blk_choice;

static void quant_blk_init(void) { quant_blk_choice = bitgen_runtime_level(); }

int bitgen_quantize_blocks(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d, int16_t *bsums) {
  pthread_once(&quant_blk_once, quant_blk_init);
  return quant_blk_fns[quant_blk_choice](x, N, K, block, q, d, bsums);
}

const char *bitgen_quantize_blocks_isa(void) {
  pthread_once(&quant_blk_once, quant_blk_init);
  return bitgen_levels[quant_blk_choice].name;
}
