/* RISC-V CPU feature detection.  Linux reports the vector extension only
 * when it also saves the vector state, through riscv_hwprobe (Linux 6.4+)
 * and as bit 'V' - 'A' of AT_HWCAP; hwprobe is asked first, and AT_HWCAP
 * answers where the syscall does not exist (older kernels, qemu-user 7). */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* syscall() under -std=c11 */
#endif
#include "bitgen_rt.h"
#include "cpu_internal.h"

#ifdef BITGEN_ARCH_RISCV

#if defined(__linux__)
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From the Linux uapi <asm/hwprobe.h> and <asm/unistd.h>, spelled out so
 * the file builds against headers older than the syscall. */
#define HWPROBE_SYSCALL 258          /* __NR_riscv_hwprobe */
#define HWPROBE_KEY_IMA_EXT_0 4      /* RISCV_HWPROBE_KEY_IMA_EXT_0 */
#define HWPROBE_IMA_V (1ull << 2)    /* RISCV_HWPROBE_IMA_V */

struct hwprobe_pair {
  int64_t key;
  uint64_t value;
};

/* 1 or 0 when the kernel answers, -1 when it cannot. */
static int hwprobe_v(void) {
  struct hwprobe_pair p = {HWPROBE_KEY_IMA_EXT_0, 0};
  if (syscall(HWPROBE_SYSCALL, &p, 1, 0, (void *)0, 0) != 0 || p.key != HWPROBE_KEY_IMA_EXT_0) return -1;
  return (p.value & HWPROBE_IMA_V) != 0;
}

uint32_t bitgen_cpu_detect_arch(void) {
  int v = hwprobe_v();
  if (v < 0) v = (getauxval(AT_HWCAP) & (1ul << ('V' - 'A'))) != 0;
  return v ? (uint32_t)BITGEN_FEAT_RVV : 0u;
}
#else
uint32_t bitgen_cpu_detect_arch(void) { return 0; }
#endif

#else
typedef int bitgen_cpu_riscv_unused_; /* ISO C forbids an empty file */
#endif
