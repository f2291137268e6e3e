/* Variant selection: BLIS-style, the generated tables say what exists, this
 * portable code decides what runs. */
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

const char *bitgen_forced_isa(void) {
  const char *s = getenv("BITGEN_ISA");
  return (s && *s) ? s : NULL;
}

int bitgen_select(const bitgen_package *pkg, uint32_t cpu, const char *forced, size_t *selected) {
  if (!pkg || !selected) return BITGEN_E_NULL;
  int status = BITGEN_OK;
  for (size_t k = 0; k < pkg->nkernels; k++) {
    const bitgen_kernel *kern = &pkg->kernels[k];
    size_t best = kern->nvariants; /* the last variant is scalar: needs nothing */
    for (size_t v = 0; v < kern->nvariants; v++) {
      if ((kern->variants[v].features & cpu) == kern->variants[v].features) {
        best = v;
        break;
      }
    }
    if (best == kern->nvariants) best = kern->nvariants - 1;
    selected[k] = best;
    if (!forced) continue;
    size_t v = 0;
    while (v < kern->nvariants && strcmp(kern->variants[v].isa, forced) != 0) v++;
    if (v == kern->nvariants) {
      status = BITGEN_E_ISA;
    } else if ((kern->variants[v].features & cpu) != kern->variants[v].features) {
      if (status == BITGEN_OK) status = BITGEN_E_UNSUPPORTED;
    } else {
      selected[k] = v;
    }
  }
  return status;
}
