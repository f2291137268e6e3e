/* Aligned, zeroed allocation for packed weights and activations. */
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

void *bitgen_alloc(size_t size) {
  size_t rounded;
  void *p;
  if (size == 0 || size > SIZE_MAX - (BITGEN_ALIGN - 1)) return NULL;
  /* C11 aligned_alloc wants a multiple of the alignment. */
  rounded = (size + (BITGEN_ALIGN - 1)) & ~(size_t)(BITGEN_ALIGN - 1);
  p = aligned_alloc(BITGEN_ALIGN, rounded);
  if (p != NULL) memset(p, 0, rounded);
  return p;
}

void bitgen_free(void *p) { free(p); }
