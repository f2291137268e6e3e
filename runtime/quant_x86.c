/* AVX2 and AVX-512 activation quantizers, bit-identical to
 * bitgen_quantize_scalar.  Compiled with per-function target attributes so
 * the file needs no special flags; callers check CPU features first.
 *
 * Two passes per token.  Pass 1: max|x| as an unsigned max of the sign-
 * cleared bit patterns (ordered like the floats for non-negative values,
 * and NaN/Inf patterns sort above every finite one, so one compare at the
 * end catches them).  Pass 2: v = x*s, cvtps2dq (round half to even in the
 * default MXCSR, like nearbyintf), saturating packs 32->16->8 (= the clamp),
 * a dword permute to undo the per-128-bit-lane interleave of the packs, and
 * the sum from psadbw over q^0x80 (= q+128 as unsigned bytes). */
#include "quant_internal.h"

#ifdef BITGEN_QUANT_X86
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define ABS_MASK 0x7FFFFFFFu
#define NONFINITE 0x7F800000u /* |x| bit patterns >= this are Inf or NaN */

static uint32_t abs_bits(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b & ABS_MASK;
}

/* amax and s from the largest |x| bit pattern, as the scalar code does. */
static float scale_from_max(uint32_t maxbits) {
  float m, amax;
  memcpy(&m, &maxbits, sizeof m);
  amax = m > BITGEN_QUANT_AMAX_MIN ? m : BITGEN_QUANT_AMAX_MIN;
  return 127.0f / amax;
}

/* The scalar steps, for tails. */
static int8_t quant_one(float x, float s) {
  float r = nearbyintf(x * s);
  if (r > 127.0f) r = 127.0f;
  if (r < -128.0f) r = -128.0f;
  return (int8_t)r;
}

/* ---- AVX2: 8 floats per vector, 32 per pass-2 step ------------------- */

__attribute__((target("avx2"))) static int token_avx2(const float *x, size_t K, int8_t *q,
                                                      bitgen_act *act) {
  const __m256i absmask = _mm256_set1_epi32((int)ABS_MASK);
  __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
  uint32_t maxbits;
  size_t k = 0;
  for (; k + 16 <= K; k += 16) {
    m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + k)), absmask));
    m1 = _mm256_max_epu32(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + k + 8)), absmask));
  }
  for (; k + 8 <= K; k += 8)
    m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + k)), absmask));
  {
    __m128i m = _mm_max_epu32(_mm256_castsi256_si128(_mm256_max_epu32(m0, m1)),
                              _mm256_extracti128_si256(_mm256_max_epu32(m0, m1), 1));
    m = _mm_max_epu32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_epu32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    maxbits = (uint32_t)_mm_cvtsi128_si32(m);
  }
  for (; k < K; k++)
    if (abs_bits(x[k]) > maxbits) maxbits = abs_bits(x[k]);
  if (maxbits >= NONFINITE) return BITGEN_E_VALUE;

  {
    const float s = scale_from_max(maxbits);
    const __m256 vs = _mm256_set1_ps(s);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    __m256i acc = _mm256_setzero_si256();
    int64_t sum;
    for (k = 0; k + 32 <= K; k += 32) {
      __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), vs));
      __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8), vs));
      __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 16), vs));
      __m256i d = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 24), vs));
      /* lanes: a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7 -> a b c d */
      __m256i v = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
      v = _mm256_permutevar8x32_epi32(v, perm);
      _mm256_storeu_si256((__m256i *)(q + k), v);
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_xor_si256(v, bias), _mm256_setzero_si256()));
    }
    {
      __m128i h = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
      sum = (int64_t)_mm_cvtsi128_si64(h) - 128 * (int64_t)k;
    }
    for (; k < K; k++) {
      q[k] = quant_one(x[k], s);
      sum += q[k];
    }
    act->scale = s;
    act->sum = (int32_t)sum;
  }
  return BITGEN_OK;
}

int bitgen_quantize_avx2(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act) {
  int st = bitgen_quant_check(x, n, K, q, act);
  for (size_t t = 0; st == BITGEN_OK && t < n; t++)
    st = token_avx2(x + t * K, K, q + t * K, act + t);
  return st;
}

/* ---- AVX-512 (F+BW): 16 floats per vector, 64 per pass-2 step ---------- */

/* Masked tails: masked-off lanes load 0, which quantizes to 0 and adds 0. */
static __mmask16 tail_mask(size_t rem) {
  return rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1u);
}

__attribute__((target("avx512f,avx512bw"))) static int token_avx512(const float *x, size_t K,
                                                                    int8_t *q, bitgen_act *act) {
  static const int32_t perm_idx[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
  const __m512i absmask = _mm512_set1_epi32((int)ABS_MASK);
  __m512i m0 = _mm512_setzero_si512(), m1 = _mm512_setzero_si512();
  uint32_t maxbits;
  size_t k = 0;
  for (; k + 32 <= K; k += 32) {
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + k), absmask));
    m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_loadu_si512(x + k + 16), absmask));
  }
  for (; k < K; k += 16)
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_maskz_loadu_epi32(tail_mask(K - k), x + k),
                                               absmask));
  maxbits = _mm512_reduce_max_epu32(_mm512_max_epu32(m0, m1));
  if (maxbits >= NONFINITE) return BITGEN_E_VALUE;

  {
    const float s = scale_from_max(maxbits);
    const __m512 vs = _mm512_set1_ps(s);
    const __m512i perm = _mm512_loadu_si512(perm_idx);
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    const __m512i lo = _mm512_set1_epi32(-128), hi = _mm512_set1_epi32(127);
    __m512i acc = _mm512_setzero_si512(), tail = _mm512_setzero_si512();
    int64_t sum;
    for (k = 0; k + 64 <= K; k += 64) {
      __m512i a = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k), vs));
      __m512i b = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 16), vs));
      __m512i c = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 32), vs));
      __m512i d = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 48), vs));
      /* 128-bit lane L holds dwords a_L b_L c_L d_L (4 bytes each) -> a b c d */
      __m512i v = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
      v = _mm512_permutexvar_epi32(perm, v);
      _mm512_storeu_si512(q + k, v);
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(v, bias), _mm512_setzero_si512()));
    }
    sum = _mm512_reduce_add_epi64(acc) - 128 * (int64_t)k;
    for (; k < K; k += 16) {
      __mmask16 m = tail_mask(K - k);
      __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + k), vs));
      v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
      _mm512_mask_cvtepi32_storeu_epi8(q + k, m, v);
      tail = _mm512_add_epi32(tail, v);
    }
    sum += _mm512_reduce_add_epi32(tail);
    act->scale = s;
    act->sum = (int32_t)sum;
  }
  return BITGEN_OK;
}

int bitgen_quantize_avx512(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act) {
  int st = bitgen_quant_check(x, n, K, q, act);
  for (size_t t = 0; st == BITGEN_OK && t < n; t++)
    st = token_avx512(x + t * K, K, q + t * K, act + t);
  return st;
}

#else
typedef int bitgen_quant_x86_unused_; /* ISO C forbids an empty file */
#endif
