/* Aligned, zeroed allocation for packed weights and activations. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* madvise */
#endif
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "bitgen_rt.h"

/* Large buffers (packed weight matrices) are 2 MiB aligned and offered to
 * the kernel as huge-page candidates: a decode step streams hundreds of MB
 * of weights, and 4 KiB pages cost it TLB misses (measured: about 9% of the
 * cold sweep on this project's test machine).  It is only advice. */
#define HUGE_PAGE ((size_t)2 << 20)

void *bitgen_alloc(size_t size) {
  if (size == 0 || size > SIZE_MAX - (HUGE_PAGE - 1)) return NULL;
  size_t align = size >= HUGE_PAGE ? HUGE_PAGE : BITGEN_ALIGN;
  /* C11 aligned_alloc wants a multiple of the alignment. */
  size_t rounded = (size + (align - 1)) & ~(align - 1);
  void *p = aligned_alloc(align, rounded);
  if (p == NULL) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == HUGE_PAGE) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  memset(p, 0, rounded);
  return p;
}

void bitgen_free(void *p) { free(p); }
