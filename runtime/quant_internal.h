/* Private: activation quantizer implementations, declared so tests can call
 * each one directly (bitgen_quantize caches its choice on first use). */
#ifndef BITGEN_QUANT_INTERNAL_H
#define BITGEN_QUANT_INTERNAL_H

#include "bitgen_rt.h"
#include "cpu_internal.h"

typedef int (*bitgen_quant_fn)(const float *x, size_t n, size_t K, int8_t *q,
                               bitgen_act *act);

/* Argument checks shared by every implementation (quant.c):
 * NULL -> BITGEN_E_NULL; n == 0, K == 0, n*K overflow or K so large that
 * an int32 sum could overflow (K > INT32_MAX/128) -> BITGEN_E_SIZE. */
int bitgen_quant_check(const float *x, size_t n, size_t K, const int8_t *q,
                       const bitgen_act *act);

/* Floor of amax: keeps s = 127/amax finite for an all-zero token. */
#define BITGEN_QUANT_AMAX_MIN 1e-5f

#ifdef BITGEN_RT_X86 /* cpu_internal.h */
#define BITGEN_QUANT_X86 1
/* Need BITGEN_FEAT_AVX2. */
int bitgen_quantize_avx2(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act);
/* Need BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW. */
int bitgen_quantize_avx512(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act);
#endif

/* Name of the table entry bitgen_quantize uses ("avx512vnni", ..., "scalar"). */
const char *bitgen_quantize_isa(void);

/* Block activations (bitgen_quantize_blocks): quant_blk.c, quant_blk_x86.c. */
typedef int (*bitgen_quant_blk_fn)(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                   int16_t *bsums);
/* bitgen_quantize_blocks' argument checks: BITGEN_E_NULL, BITGEN_E_SIZE. */
int bitgen_quant_blk_check(const float *x, size_t N, size_t K, size_t block, const int8_t *q, const float *d,
                           const int16_t *bsums);
/* Index of the first element of largest |x| in x[0..n) (n % 16 == 0), or n
 * when one is Inf or NaN. */
size_t bitgen_quant_blk_find_max(const float *x, size_t n);
/* The scalar quantizer over blocks from..nblk-1 (stops at a non-finite one). */
int bitgen_quant_blk_scalar_from(const float *x, size_t nblk, size_t block, size_t from, int8_t *q, float *d,
                                 int16_t *bsums);
int bitgen_quantize_blocks_scalar(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                  int16_t *bsums);
#ifdef BITGEN_QUANT_X86
/* Need BITGEN_FEAT_AVX2. */
int bitgen_quantize_blocks_avx2(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                int16_t *bsums);
/* Need BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW. */
int bitgen_quantize_blocks_avx512(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d,
                                  int16_t *bsums);
#endif
/* Name of the level bitgen_quantize_blocks uses. */
const char *bitgen_quantize_blocks_isa(void);

#endif
