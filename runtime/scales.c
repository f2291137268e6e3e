/* The one rule for the scales a caller passes (docs/DESIGN.md, "Caller
 * contracts"): a non-finite scale is BITGEN_E_VALUE everywhere; a zero one
 * is BITGEN_E_VALUE where it stands for a whole tensor or token, and
 * accepted where it stands for one block, because ggml and bitgen's own
 * quantizers write d = 0 for an all-zero block. */
#include <math.h>

#include "bitgen_rt.h"

int bitgen_check_f16_scale(uint16_t d16) { return (d16 & 0x7c00u) == 0x7c00u ? BITGEN_E_VALUE : BITGEN_OK; }

int bitgen_check_block_scales(const float *d, size_t n) {
  if (d == NULL) return BITGEN_E_NULL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(d[i])) return BITGEN_E_VALUE;
  return BITGEN_OK;
}

/* The kernels multiply by wscale / act[j].scale: that factor must be finite
 * too (it overflows for a huge wscale over a tiny activation scale). */
int bitgen_check_ternary_scales(float wscale, const bitgen_act *act, size_t N) {
  if (act == NULL) return BITGEN_E_NULL;
  if (!isfinite(wscale) || wscale == 0.0f) return BITGEN_E_VALUE;
  for (size_t j = 0; j < N; j++) {
    const float s = act[j].scale;
    if (!isfinite(s) || !(s > 0.0f) || !isfinite(wscale / s)) return BITGEN_E_VALUE;
  }
  return BITGEN_OK;
}
