/* Activation quantizer: scalar reference and the once-only choice of the
 * implementation bitgen_quantize uses. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "bitgen_rt.h"
#include "cpu_internal.h"
#include "quant_internal.h"

int bitgen_quant_check(const float *x, size_t n, size_t K, const int8_t *q,
                       const bitgen_act *act) {
  if (x == NULL || q == NULL || act == NULL) return BITGEN_E_NULL;
  if (n == 0 || K == 0 || n > SIZE_MAX / K) return BITGEN_E_SIZE;
  if (K > (size_t)INT32_MAX / 128) return BITGEN_E_SIZE;
  return BITGEN_OK;
}

/* Every step is a single float operation so that vector versions can
 * reproduce it exactly: s = 127/amax rounded to float, v = x*s rounded to
 * float, then round half to even (nearbyintf in the default rounding mode,
 * as cvtps2dq in the default MXCSR).  A non-finite value stops at that
 * token before any of its outputs is written (earlier tokens are done). */
int bitgen_quantize_scalar(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act) {
  int st = bitgen_quant_check(x, n, K, q, act);
  if (st != BITGEN_OK) return st;
  for (size_t t = 0; t < n; t++) {
    const float *xr = x + t * K;
    int8_t *qr = q + t * K;
    float m = 0.0f, amax, s;
    int32_t sum = 0;
    for (size_t k = 0; k < K; k++) {
      float a = fabsf(xr[k]);
      if (!isfinite(a)) return BITGEN_E_VALUE;
      if (a > m) m = a;
    }
    amax = m > BITGEN_QUANT_AMAX_MIN ? m : BITGEN_QUANT_AMAX_MIN;
    s = 127.0f / amax;
    for (size_t k = 0; k < K; k++) {
      float v = xr[k] * s;
      float r = nearbyintf(v);
      if (r > 127.0f) r = 127.0f;
      if (r < -128.0f) r = -128.0f;
      qr[k] = (int8_t)r;
      sum += qr[k];
    }
    act[t].scale = s;
    act[t].sum = sum;
  }
  return BITGEN_OK;
}

/* One implementation per runtime level (cpu_internal.h), in its order. */
static const bitgen_quant_fn quant_fns[BITGEN_NLEVELS] = {
#ifdef BITGEN_RT_X86
    bitgen_quantize_avx512, bitgen_quantize_avx2, bitgen_quantize_avx2,
#endif
    bitgen_quantize_scalar,
};

static pthread_once_t quant_once = PTHREAD_ONCE_INIT;
static size_t quant_choice;

static void quant_init(void) { quant_choice = bitgen_runtime_level(); }

int bitgen_quantize(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act) {
  pthread_once(&quant_once, quant_init);
  return quant_fns[quant_choice](x, n, K, q, act);
}

const char *bitgen_quantize_isa(void) {
  pthread_once(&quant_once, quant_init);
  return bitgen_levels[quant_choice].name;
}
