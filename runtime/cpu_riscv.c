/* RISC-V CPU feature detection: Linux reports single-letter ISA extensions
 * as bits of AT_HWCAP (bit 'V' - 'A' for the vector extension). */
#include "bitgen_rt.h"
#include "cpu_internal.h"

#ifdef BITGEN_ARCH_RISCV

#if defined(__linux__)
#include <sys/auxv.h>

uint32_t bitgen_cpu_detect_arch(void) {
  unsigned long hw = getauxval(AT_HWCAP);
  return (hw & (1ul << ('V' - 'A'))) ? (uint32_t)BITGEN_FEAT_RVV : 0u;
}
#else
uint32_t bitgen_cpu_detect_arch(void) { return 0; }
#endif

#else
typedef int bitgen_cpu_riscv_unused_; /* ISO C forbids an empty file */
#endif
