/* Private: per-architecture CPU feature detection hook.
 *
 * Exactly one translation unit defines bitgen_cpu_detect_arch(): the
 * cpu_<arch>.c file whose BITGEN_ARCH_* macro below is set, or the
 * fallback in cpu.c (returns 0) when none is.  Adding an architecture means
 * adding a branch here and a cpu_<arch>.c file. */
#ifndef BITGEN_CPU_INTERNAL_H
#define BITGEN_CPU_INTERNAL_H

#include <stddef.h>
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

/* The runtime's own SIMD code (activation quantizers, tl tables) comes in
 * levels, best first, named like the package ISAs so that one BITGEN_ISA
 * steers kernels and runtime alike; each asks only for what its code uses
 * ("avxvnni" shares the AVX2 code and follows "avx2", so an AVX2 CPU
 * reports "avx2").  x86 code is built with target attributes (GCC, clang). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BITGEN_RT_X86 1
#define BITGEN_NLEVELS 4 /* avx512vnni, avx2, avxvnni, scalar */
#else
#define BITGEN_NLEVELS 1 /* scalar */
#endif
typedef struct {
  const char *name;
  uint32_t features;
} bitgen_level;
extern const bitgen_level bitgen_levels[BITGEN_NLEVELS];
/* Index into bitgen_levels: BITGEN_ISA's level if this CPU runs it, else
 * the best level it runs.  Uncached: callers keep their choice. */
size_t bitgen_runtime_level(void);

#endif
