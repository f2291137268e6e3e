/* AVX2 and AVX-512 block quantizers (bitgen_quantize_blocks), bit-identical
 * to the scalar one in quant_blk.c.  Per-function target attributes: the
 * file needs no special flags; quant_blk.c checks CPU features first.
 *
 * Blocks of 32k floats go in batches of 8 (AVX2) or 16 (AVX-512) blocks:
 *
 * Pass 1 needs the first element of largest |x| of each block, i.e. the
 * magnitude m and the sign of the first element holding it.  Two integer
 * maxima of the raw float bits give both without an index: the unsigned
 * maximum U is a negative float (sign bit set) of largest |x| among the
 * negatives if any, and the signed maximum S is the positive float of
 * largest |x| if any (else negative).  negabs = U & 0x7fffffff when U's sign
 * is set, posabs = max(S, 0); m = max(negabs, posabs) and the sign is
 * negabs > posabs.  Only when both equal (a +m and a -m, m != 0) does the
 * order matter: that block's sign comes from the scalar search.  Bit
 * patterns >= 0x7f800000 are Inf or NaN.  Per-block vectors are reduced
 * together by a transpose tree, and -127/x and 1/iscale are one vector
 * division per batch (IEEE division is correctly rounded: same bits).
 *
 * Pass 2: cvtps2dq rounds half to even in the default MXCSR (as the scalar
 * 1.5*2^23 trick), saturating packs 32->16->8 and a dword permute.  The
 * packs clamp to [-128, 127] where the scalar clamps only above 127; they
 * agree because every v >= -127: |iscale * x| <= |iscale * xmax| and
 * iscale * xmax = -127/xmax * xmax is within one rounding of -127, whose
 * nearest integer is -127.  bsums: psadbw of q ^ 0x80 (= q + 128 unsigned)
 * gives sums of 8 bytes; adding pairs gives the 16-element sums, each in
 * [-2032, 2032], minus 16 * 128. */
#include "quant_internal.h"

#ifdef BITGEN_QUANT_X86
#include <immintrin.h>
#include <string.h>

#define NONFINITE 0x7F800000 /* |x| bit patterns >= this are Inf or NaN */

/* ---- AVX2 ------------------------------------------------------------- */

/* Lane j of the result = max over the 8 lanes of v[j]; sgn picks signed. */
__attribute__((target("avx2"))) static inline __m256i max8_tree(const __m256i v[8], int sgn) {
#define BG_MAX(a, b) (sgn ? _mm256_max_epi32((a), (b)) : _mm256_max_epu32((a), (b)))
  __m256i t[4], u[2];
  for (int i = 0; i < 4; i++) /* per 128-bit lane: v0|v2 of a, of b, v1|v3 of a, of b */
    t[i] = BG_MAX(_mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 2; i++) /* per 128-bit lane: one max per input */
    u[i] = BG_MAX(_mm256_unpacklo_epi64(t[2 * i], t[2 * i + 1]), _mm256_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
  return BG_MAX(_mm256_permute2x128_si256(u[0], u[1], 0x20), _mm256_permute2x128_si256(u[0], u[1], 0x31));
#undef BG_MAX
}

/* Four steps' psadbw results (4 x 64-bit sums of 8 biased bytes) -> the 8
 * 16-element sums in order: hadd twice gives [a0 b0 c0 d0 | a1 b1 c1 d1]
 * (step a's groups 0 and 1, ...), then an interleave and a pack. */
__attribute__((target("avx2"))) static inline __m128i group_sums(__m256i a, __m256i b, __m256i c, __m256i d) {
  __m256i x = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  __m128i lo, hi;
  x = _mm256_sub_epi32(x, _mm256_set1_epi32(16 * 128));
  lo = _mm256_castsi256_si128(x);
  hi = _mm256_extracti128_si256(x, 1);
  return _mm_packs_epi32(_mm_unpacklo_epi32(lo, hi), _mm_unpackhi_epi32(lo, hi));
}

/* nb (1..8) blocks of B floats (B % 32 == 0).  Returns 0, before writing
 * anything, when a block holds a non-finite value. */
__attribute__((target("avx2"))) static int batch_avx2(const float *x, size_t B, size_t nb, int8_t *q, float *d,
                                                      int16_t *bsums) {
  __m256i U[8], S[8], u, s, negabs, posabs, m, sign;
  float xm[8], isc[8], dv[8];
  int ties;
  for (size_t j = 0; j < 8; j++) {
    const float *xb = x + j * B;
    if (j >= nb) {
      U[j] = S[j] = _mm256_setzero_si256();
      continue;
    }
    __m256i u0 = _mm256_loadu_si256((const __m256i *)xb), u1 = _mm256_loadu_si256((const __m256i *)(xb + 8));
    __m256i s0 = u0, s1 = u1;
    for (size_t k = 16; k < B; k += 16) {
      __m256i a = _mm256_loadu_si256((const __m256i *)(xb + k)), b = _mm256_loadu_si256((const __m256i *)(xb + k + 8));
      u0 = _mm256_max_epu32(u0, a);
      s0 = _mm256_max_epi32(s0, a);
      u1 = _mm256_max_epu32(u1, b);
      s1 = _mm256_max_epi32(s1, b);
    }
    U[j] = _mm256_max_epu32(u0, u1);
    S[j] = _mm256_max_epi32(s0, s1);
  }
  u = max8_tree(U, 0);
  s = max8_tree(S, 1);
  negabs = _mm256_and_si256(_mm256_and_si256(u, _mm256_srai_epi32(u, 31)), _mm256_set1_epi32(0x7FFFFFFF));
  posabs = _mm256_max_epi32(s, _mm256_setzero_si256());
  m = _mm256_max_epi32(negabs, posabs);
  if (_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(m, _mm256_set1_epi32(NONFINITE - 1)))) != 0)
    return 0;
  sign = _mm256_slli_epi32(_mm256_cmpgt_epi32(negabs, posabs), 31);
  ties = _mm256_movemask_ps(_mm256_castsi256_ps(
      _mm256_andnot_si256(_mm256_cmpeq_epi32(m, _mm256_setzero_si256()), _mm256_cmpeq_epi32(negabs, posabs))));
  __m256 vx = _mm256_castsi256_ps(_mm256_or_si256(m, sign));
  if (ties) {
    _mm256_storeu_ps(xm, vx);
    for (size_t j = 0; j < nb; j++)
      if (ties >> j & 1) xm[j] = x[j * B + bitgen_quant_blk_find_max(x + j * B, B)];
    vx = _mm256_loadu_ps(xm);
  }
  {
    /* iscale = -127/xmax, 0 when not finite (xmax 0 or tiny); d = 1/iscale or 0 */
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 inf = _mm256_castsi256_ps(_mm256_set1_epi32(NONFINITE));
    __m256 is = _mm256_div_ps(_mm256_set1_ps(-127.0f), vx);
    is = _mm256_and_ps(is, _mm256_cmp_ps(_mm256_and_ps(is, absmask), inf, _CMP_LT_OQ));
    _mm256_storeu_ps(isc, is);
    _mm256_storeu_ps(dv, _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), is),
                                       _mm256_cmp_ps(is, _mm256_setzero_ps(), _CMP_NEQ_OQ)));
    memcpy(d, dv, nb * sizeof *d);
  }
  {
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    __m256i sad[4];
    size_t t = 0, steps = nb * B / 32;
    for (size_t j = 0; j < nb; j++) {
      const __m256 vs = _mm256_broadcast_ss(isc + j);
      for (size_t k = j * B; k < (j + 1) * B; k += 32, t++) {
        __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), vs));
        __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8), vs));
        __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 16), vs));
        __m256i e = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 24), vs));
        /* lanes: a0-3 b0-3 c0-3 e0-3 | a4-7 b4-7 c4-7 e4-7 -> a b c e */
        __m256i v = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, e));
        v = _mm256_permutevar8x32_epi32(v, perm);
        _mm256_storeu_si256((__m256i *)(q + k), v);
        sad[t & 3] = _mm256_sad_epu8(_mm256_xor_si256(v, bias), _mm256_setzero_si256());
        if ((t & 3) == 3) _mm_storeu_si128((__m128i *)(bsums + 2 * (t - 3)), group_sums(sad[0], sad[1], sad[2], sad[3]));
      }
    }
    if (steps & 3) { /* the last 1-3 steps: unused slots hold a sum of 0 bytes -> -2048, not stored */
      int16_t tmp[8];
      for (size_t i = steps & 3; i < 4; i++) sad[i] = _mm256_setzero_si256();
      _mm_storeu_si128((__m128i *)tmp, group_sums(sad[0], sad[1], sad[2], sad[3]));
      memcpy(bsums + 2 * (steps & ~(size_t)3), tmp, 2 * (steps & 3) * sizeof *tmp);
    }
  }
  return 1;
}

int bitgen_quantize_blocks_avx2(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                int16_t *bsums) {
  int st = bitgen_quant_blk_check(x, N, K, block, q, d, bsums);
  size_t nblk, g = block / 16;
  if (st != BITGEN_OK) return st;
  nblk = N * K / block;
  if (block % 32 != 0) return bitgen_quantize_blocks_scalar(x, N, K, block, q, d, bsums);
  for (size_t b = 0; b < nblk; b += 8) {
    size_t nb = nblk - b < 8 ? nblk - b : 8;
    if (!batch_avx2(x + b * block, block, nb, q + b * block, d + b, bsums + b * g))
      return bitgen_quant_blk_scalar_from(x, nblk, block, b, q, d, bsums);
  }
  return BITGEN_OK;
}

/* ---- AVX-512 (F+BW) --------------------------------------------------- */

/* Lane j of the result = max over the 16 lanes of v[j]. */
__attribute__((target("avx512f,avx512bw"))) static inline __m512i max16_tree(const __m512i v[16], int sgn) {
#define BG_MAX(a, b) (sgn ? _mm512_max_epi32((a), (b)) : _mm512_max_epu32((a), (b)))
  __m512i t[8], u[4], w[2];
  for (int i = 0; i < 8; i++)
    t[i] = BG_MAX(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; i++) /* per 128-bit lane L: inputs 4i..4i+3, each a max over lane L */
    u[i] = BG_MAX(_mm512_unpacklo_epi64(t[2 * i], t[2 * i + 1]), _mm512_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
  for (int i = 0; i < 2; i++) /* lanes: [u0 L0|L1, u1 L0|L1, u0 L2|L3, u1 L2|L3] as pairs */
    w[i] = BG_MAX(_mm512_shuffle_i32x4(u[2 * i], u[2 * i + 1], 0x88), _mm512_shuffle_i32x4(u[2 * i], u[2 * i + 1], 0xDD));
  /* w0 lanes: [in 0-3 (L0|L1), in 4-7 (L0|L1), in 0-3 (L2|L3), in 4-7 (L2|L3)] */
  return BG_MAX(_mm512_shuffle_i32x4(w[0], w[1], 0x88), _mm512_shuffle_i32x4(w[0], w[1], 0xDD));
#undef BG_MAX
}

/* nb (1..16) blocks of B floats (B % 32 == 0, nb * B % 64 == 0); as
 * batch_avx2, with pass 2 in steps of 64 floats. */
__attribute__((target("avx512f,avx512bw"))) static int batch_avx512(const float *x, size_t B, size_t nb, int8_t *q,
                                                                    float *d, int16_t *bsums) {
  __m512i U[16], S[16], u, s, negabs, posabs, m, sign;
  __m512 vx, is;
  float xm[16], isc[16];
  __mmask16 ties, live = (__mmask16)((1u << nb) - 1u);
  for (size_t j = 0; j < 16; j++) {
    const float *xb = x + j * B;
    if (j >= nb) {
      U[j] = S[j] = _mm512_setzero_si512();
      continue;
    }
    __m512i u0 = _mm512_loadu_si512(xb), u1 = _mm512_loadu_si512(xb + 16), s0 = u0, s1 = u1;
    for (size_t k = 32; k < B; k += 32) {
      __m512i a = _mm512_loadu_si512(xb + k), b = _mm512_loadu_si512(xb + k + 16);
      u0 = _mm512_max_epu32(u0, a);
      s0 = _mm512_max_epi32(s0, a);
      u1 = _mm512_max_epu32(u1, b);
      s1 = _mm512_max_epi32(s1, b);
    }
    U[j] = _mm512_max_epu32(u0, u1);
    S[j] = _mm512_max_epi32(s0, s1);
  }
  u = max16_tree(U, 0);
  s = max16_tree(S, 1);
  negabs = _mm512_maskz_and_epi32(_mm512_cmplt_epi32_mask(u, _mm512_setzero_si512()), u, _mm512_set1_epi32(0x7FFFFFFF));
  posabs = _mm512_max_epi32(s, _mm512_setzero_si512());
  m = _mm512_max_epi32(negabs, posabs);
  if (_mm512_cmpgt_epi32_mask(m, _mm512_set1_epi32(NONFINITE - 1))) return 0;
  sign = _mm512_maskz_mov_epi32(_mm512_cmpgt_epi32_mask(negabs, posabs), _mm512_set1_epi32((int)0x80000000u));
  ties = _mm512_mask_cmpeq_epi32_mask(_mm512_test_epi32_mask(m, m), negabs, posabs);
  vx = _mm512_castsi512_ps(_mm512_or_si512(m, sign));
  if (ties) {
    _mm512_storeu_ps(xm, vx);
    for (size_t j = 0; j < nb; j++)
      if (ties >> j & 1) xm[j] = x[j * B + bitgen_quant_blk_find_max(x + j * B, B)];
    vx = _mm512_loadu_ps(xm);
  }
  is = _mm512_div_ps(_mm512_set1_ps(-127.0f), vx);
  is = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(is), _mm512_castsi512_ps(_mm512_set1_epi32(NONFINITE)),
                                              _CMP_LT_OQ),
                           is);
  _mm512_storeu_ps(isc, is);
  _mm512_mask_storeu_ps(d, live,
                        _mm512_maskz_div_ps(_mm512_cmp_ps_mask(is, _mm512_setzero_ps(), _CMP_NEQ_OQ),
                                            _mm512_set1_ps(1.0f), is));
  {
    static const int32_t perm_idx[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
    const __m512i perm = _mm512_loadu_si512(perm_idx);
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    /* qword sums s0..s7 of two steps -> dword lanes: step a's groups 0-3, step b's 0-3 (even + odd qwords) */
    const __m512i ev = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), od = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    const __m512i lo32 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i vb = _mm512_set1_epi32(16 * 128);
    __m512i sad[4];
    size_t steps = nb * B / 64, t;
    for (t = 0; t < steps; t++) {
      size_t k = 64 * t;
      /* each 32-float half lies in one block (B % 32 == 0) */
      const __m512 s01 = _mm512_set1_ps(isc[k / B]), s23 = _mm512_set1_ps(isc[(k + 32) / B]);
      __m512i a = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k), s01));
      __m512i b = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 16), s01));
      __m512i c = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 32), s23));
      __m512i e = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k + 48), s23));
      __m512i v = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, e));
      v = _mm512_permutexvar_epi32(perm, v);
      _mm512_storeu_si512(q + k, v);
      sad[t & 3] = _mm512_sad_epu8(_mm512_xor_si512(v, bias), _mm512_setzero_si512());
      if ((t & 3) == 3 || t + 1 == steps) {
        size_t n = (t & 3) + 1; /* steps in this flush: 4 groups each */
        for (size_t i = n; i < 4; i++) sad[i] = _mm512_setzero_si512();
        __m512i g01 = _mm512_add_epi64(_mm512_permutex2var_epi64(sad[0], ev, sad[1]),
                                       _mm512_permutex2var_epi64(sad[0], od, sad[1]));
        __m512i g23 = _mm512_add_epi64(_mm512_permutex2var_epi64(sad[2], ev, sad[3]),
                                       _mm512_permutex2var_epi64(sad[2], od, sad[3]));
        __m512i g = _mm512_sub_epi32(_mm512_permutex2var_epi32(g01, lo32, g23), vb);
        _mm512_mask_cvtepi32_storeu_epi16(bsums + 4 * (t + 1 - n), (__mmask16)((1u << (4 * n)) - 1u), g);
      }
    }
  }
  return 1;
}

int bitgen_quantize_blocks_avx512(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                  int16_t *bsums) {
  int st = bitgen_quant_blk_check(x, N, K, block, q, d, bsums);
  size_t nblk, g = block / 16;
  if (st != BITGEN_OK) return st;
  nblk = N * K / block;
  if (block % 32 != 0) return bitgen_quantize_blocks_scalar(x, N, K, block, q, d, bsums);
  for (size_t b = 0; b < nblk;) {
    size_t nb = nblk - b < 16 ? nblk - b : 16;
    int ok;
    if (nb * block % 64 != 0) nb--; /* an odd last block of 32 x odd: alone, in ymm */
    ok = nb ? batch_avx512(x + b * block, block, nb, q + b * block, d + b, bsums + b * g)
            : batch_avx2(x + b * block, block, 1, q + b * block, d + b, bsums + b * g);
    if (!ok) return bitgen_quant_blk_scalar_from(x, nblk, block, b, q, d, bsums);
    b += nb ? nb : 1;
  }
  return BITGEN_OK;
}

#else
typedef int bitgen_quant_blk_x86_unused_; /* ISO C forbids an empty file */
#endif
