/* Arm CPU feature detection from the kernel's hardware capability words. */
#include "bitgen_rt.h"
#include "cpu_internal.h"

#ifdef BITGEN_ARCH_ARM

#if defined(__linux__)
#include <sys/auxv.h>

/* Bit values from the Linux uapi <asm/hwcap.h>, spelled out so the file
 * does not depend on how recent the installed headers are. */
#if defined(__aarch64__)
#define HWCAP_BIT_NEON (1ul << 1)     /* HWCAP_ASIMD */
#define HWCAP_BIT_DOTPROD (1ul << 20) /* HWCAP_ASIMDDP */
#define HWCAP_BIT_SVE (1ul << 22)     /* HWCAP_SVE */
#define HWCAP2_BIT_I8MM (1ul << 13)   /* HWCAP2_I8MM */
#else
#define HWCAP_BIT_NEON (1ul << 12)    /* HWCAP_NEON */
#define HWCAP_BIT_DOTPROD (1ul << 24) /* HWCAP_ASIMDDP */
#define HWCAP_BIT_SVE 0ul             /* no SVE in AArch32 */
#define HWCAP_BIT_I8MM32 (1ul << 27)  /* HWCAP_I8MM (AT_HWCAP on arm32) */
#endif

uint32_t bitgen_cpu_detect_arch(void) {
  unsigned long hw = getauxval(AT_HWCAP);
  uint32_t f = 0;
  if (hw & HWCAP_BIT_NEON) f |= BITGEN_FEAT_NEON;
  if (hw & HWCAP_BIT_DOTPROD) f |= BITGEN_FEAT_DOTPROD;
  if (hw & HWCAP_BIT_SVE) f |= BITGEN_FEAT_SVE;
#if defined(__aarch64__)
  if (getauxval(AT_HWCAP2) & HWCAP2_BIT_I8MM) f |= BITGEN_FEAT_I8MM;
#else
  if (hw & HWCAP_BIT_I8MM32) f |= BITGEN_FEAT_I8MM;
#endif
  return f;
}

#else
/* No portable way to ask elsewhere; AArch64 guarantees Advanced SIMD. */
uint32_t bitgen_cpu_detect_arch(void) {
#if defined(__aarch64__)
  return BITGEN_FEAT_NEON;
#else
  return 0;
#endif
}
#endif

#else
typedef int bitgen_cpu_arm_unused_; /* ISO C forbids an empty file */
#endif
