/* Private: the "tl" table builders, declared so tests can call each one
 * directly (bitgen_tl_tables caches its choice on first use). */
#ifndef BITGEN_TL_INTERNAL_H
#define BITGEN_TL_INTERNAL_H

#include "bitgen_rt.h"
#include "cpu_internal.h"

typedef int (*bitgen_tl_tables_fn)(const int8_t *q, size_t N, size_t K, int16_t *lut);

/* Argument checks shared by every implementation: NULL -> BITGEN_E_NULL;
 * N or K zero, or N*K or N*lut_size overflowing -> BITGEN_E_SIZE. */
int bitgen_tl_tables_check(const int8_t *q, size_t N, size_t K, const int16_t *lut);

/* Always available; the reference for the others. */
int bitgen_tl_tables_scalar(const int8_t *q, size_t N, size_t K, int16_t *lut);

#ifdef BITGEN_RT_X86 /* cpu_internal.h */
#define BITGEN_TL_X86 1
/* Needs BITGEN_FEAT_AVX2. */
int bitgen_tl_tables_avx2(const int8_t *q, size_t N, size_t K, int16_t *lut);
/* Needs BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW. */
int bitgen_tl_tables_avx512(const int8_t *q, size_t N, size_t K, int16_t *lut);
#endif

/* Name of the entry bitgen_tl_tables uses ("avx512vnni", ..., "scalar"). */
const char *bitgen_tl_tables_isa(void);

#endif
