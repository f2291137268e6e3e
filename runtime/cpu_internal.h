/* Private: per-architecture CPU feature detection hook.
 *
 * Exactly one translation unit defines bitgen_cpu_detect_arch(): the
 * cpu_<arch>.c file whose BITGEN_ARCH_* macro below is set, or the
 * fallback in cpu.c (returns 0) when none is.  Adding an architecture means
 * adding a branch here and a cpu_<arch>.c file. */
#ifndef BITGEN_CPU_INTERNAL_H
#define BITGEN_CPU_INTERNAL_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define BITGEN_ARCH_X86 1
#define BITGEN_ARCH_DETECT 1
#elif defined(__aarch64__) || defined(__arm__)
#define BITGEN_ARCH_ARM 1
#define BITGEN_ARCH_DETECT 1
#elif defined(__riscv)
#define BITGEN_ARCH_RISCV 1
#define BITGEN_ARCH_DETECT 1
#endif

/* Raw detection, uncached: BITGEN_FEAT_* bits the CPU and OS support. */
uint32_t bitgen_cpu_detect_arch(void);

#endif
