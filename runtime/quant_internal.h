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

#endif
