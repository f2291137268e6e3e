/* Variant selection: BLIS-style, the generated tables say what exists, this
 * portable code decides what runs. */
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"
#include "cpu_internal.h"

/* Case-insensitive: the lower-case copy lives in a per-thread buffer (a
 * longer name cannot be an ISA and is returned as it is). */
const char *bitgen_forced_isa(void) {
  static _Thread_local char lower[32];
  const char *s = getenv("BITGEN_ISA");
  if (!s || !*s) return NULL;
  size_t n = strlen(s);
  if (n >= sizeof lower) return s;
  for (size_t i = 0; i <= n; i++) lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
  return lower;
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

const bitgen_level bitgen_levels[BITGEN_NLEVELS] = {
#ifdef BITGEN_RT_X86
    {"avx512vnni", BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW},
    {"avx2", BITGEN_FEAT_AVX2},
    {"avxvnni", BITGEN_FEAT_AVX2},
#endif
    {"scalar", 0},
};

size_t bitgen_runtime_level(void) {
  const uint32_t cpu = bitgen_cpu_features();
  const char *forced = bitgen_forced_isa(); /* same reading as the kernels' */
  size_t best = BITGEN_NLEVELS - 1;
  for (size_t i = BITGEN_NLEVELS; i-- > 0;)
    if ((bitgen_levels[i].features & cpu) == bitgen_levels[i].features) best = i;
  for (size_t i = 0; forced != NULL && i < BITGEN_NLEVELS; i++)
    if (strcmp(forced, bitgen_levels[i].name) == 0 && (bitgen_levels[i].features & cpu) == bitgen_levels[i].features)
      best = i;
  return best;
}
