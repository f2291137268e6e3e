/* x86 CPU feature detection: CPUID for what the CPU implements, XGETBV for
 * what the OS saves on context switch (a CPU bit alone is not enough: using
 * YMM/ZMM registers the OS does not save faults or corrupts state). */
#include "bitgen_rt.h"
#include "cpu_internal.h"

#ifdef BITGEN_ARCH_X86
#include <cpuid.h>

/* XCR0 state components. */
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)
#define XCR0_OPMASK (1u << 5)
#define XCR0_ZMM_HI256 (1u << 6)
#define XCR0_HI16_ZMM (1u << 7)

/* Inline asm rather than _xgetbv so no -mxsave flag is needed. */
static uint32_t read_xcr0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
  (void)hi;
  return lo;
}

uint32_t bitgen_cpu_detect_arch(void) {
  unsigned a, b, c, d;
  uint32_t f = 0, xcr0 = 0;
  unsigned max7 = 0;
  int avx_os, avx512_os;

  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (d & (1u << 26)) f |= BITGEN_FEAT_SSE2;
  if (c & (1u << 9)) f |= BITGEN_FEAT_SSSE3;
  if (c & (1u << 27)) xcr0 = read_xcr0(); /* OSXSAVE: XGETBV is usable */
  avx_os = (xcr0 & (XCR0_SSE | XCR0_AVX)) == (XCR0_SSE | XCR0_AVX);
  avx512_os = avx_os && (xcr0 & (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)) ==
                            (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM);
  if (!avx_os || !(c & (1u << 28))) return f; /* no usable AVX: nothing above */
  f |= BITGEN_FEAT_AVX;
  if (c & (1u << 12)) f |= BITGEN_FEAT_FMA;
  if (c & (1u << 29)) f |= BITGEN_FEAT_F16C; /* vcvtph2ps: f16 block scales */

  /* __get_cpuid_count fails when leaf 7 is beyond the maximum leaf. */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  max7 = a;
  if (b & (1u << 5)) f |= BITGEN_FEAT_AVX2;
  if (avx512_os && (b & (1u << 16))) { /* every AVX-512 extension needs F */
    f |= BITGEN_FEAT_AVX512F;
    if (b & (1u << 30)) f |= BITGEN_FEAT_AVX512BW;
    if (b & (1u << 31)) f |= BITGEN_FEAT_AVX512VL;
    if (c & (1u << 1)) f |= BITGEN_FEAT_AVX512VBMI;
    if (c & (1u << 11)) f |= BITGEN_FEAT_AVX512VNNI;
  }
  if (max7 >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4)))
    f |= BITGEN_FEAT_AVXVNNI;
  return f;
}

#else
typedef int bitgen_cpu_x86_unused_; /* ISO C forbids an empty file */
#endif
