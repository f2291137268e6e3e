/* A product's use of the tq2_0 package of tests/specs/odd-tq2_0.lua through
 * its public header only, with the same calls as check_odd_a.c makes on an
 * i2s package (pack_f32 with its weight scale, an activation object,
 * quantize, GEMV): only the names differ.  Weights that TQ2_0 stores
 * exactly (ternary, each block's largest magnitude 1, so the f16 block
 * scale is 1); the reference is computed here from the documented rules:
 * the Q8_K-style block quantizer and acc += (float)isum * (1 * d) block by
 * block.  Valid C11 and C++.  Returns the number of failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_test_odd_tq2_0.h"

static unsigned tq2_rng = 777u;
static unsigned tq2_next(void) { return tq2_rng = tq2_rng * 1103515245u + 12345u; }

/* Round half to even, for |v| < 2^22. */
static float tq2_rhe(float v) {
  float t = (float)(long)v, f = v - t;
  long odd = (long)t & 1;
  if (f > 0.5f || (f == 0.5f && odd)) t += 1.0f;
  if (f < -0.5f || (f == -0.5f && odd)) t -= 1.0f;
  return t;
}

int check_odd_tq2_0(void) {
  const size_t shape = BITGEN_TEST_ODD_TQ2_0_SHAPE_100X2816, B = 256;
  size_t M = 0, K = 0;
  if (bitgen_test_odd_tq2_0_shape_dims(shape, &M, &K) != BITGEN_OK) return 1;
  const size_t size = bitgen_test_odd_tq2_0_packed_size(shape);
  float *w = (float *)malloc(M * K * sizeof(float)), *x = (float *)malloc(K * sizeof(float));
  float *y = (float *)malloc(M * sizeof(float)), *ref = (float *)malloc(M * sizeof(float));
  float *d = (float *)malloc(K / B * sizeof(float));
  int8_t *q = (int8_t *)malloc(K);
  void *packed = bitgen_test_odd_tq2_0_alloc(size);
  bitgen_test_odd_tq2_0_act *a = NULL;
  float wscale = 0.0f;
  int fail = 0;
  for (size_t i = 0; i < M * K; i++) w[i] = (float)((int)(tq2_next() >> 16) % 3 - 1);
  for (size_t i = 0; i < M * K; i += B) w[i] = 1.0f; /* every block's scale is 1 */
  for (size_t k = 0; k < K; k++) x[k] = (float)((int)(tq2_next() >> 16) % 2001 - 1000) / 613.0f;
  int rc = bitgen_test_odd_tq2_0_pack_f32(shape, M, K, w, packed, size, &wscale);
  if (rc == BITGEN_OK && wscale != 1.0f) printf("FAIL odd-tq2_0: pack_f32 gave wscale %g, documented 1\n", wscale);
  if (rc == BITGEN_OK) rc = bitgen_test_odd_tq2_0_act_create(1, &a);
  if (rc == BITGEN_OK) rc = bitgen_test_odd_tq2_0_quantize(x, 1, K, a, NULL);
  for (size_t b = 0; b < K / B; b++) { /* the documented block quantizer */
    float max = 0.0f, amax = 0.0f;
    for (size_t k = b * B; k < (b + 1) * B; k++) {
      float v = x[k] < 0 ? -x[k] : x[k];
      if (v > amax) amax = v, max = x[k];
    }
    const float iscale = max != 0.0f ? -127.0f / max : 0.0f;
    for (size_t k = b * B; k < (b + 1) * B; k++) {
      float r = tq2_rhe(iscale * x[k]);
      q[k] = (int8_t)(r < 127.0f ? r : 127.0f);
    }
    d[b] = iscale != 0.0f ? 1.0f / iscale : 0.0f;
  }
  for (size_t i = 0; rc == BITGEN_OK && i < M; i++) {
    float acc = 0.0f;
    for (size_t b = 0; b < K / B; b++) {
      int isum = 0;
      for (size_t k = b * B; k < (b + 1) * B; k++) isum += (int)w[i * K + k] * q[k];
      acc += (float)isum * (1.0f * d[b]);
    }
    ref[i] = acc;
  }
  if (rc == BITGEN_OK) rc = bitgen_test_odd_tq2_0_gemv(shape, packed, size, wscale, a, y, M, NULL);
  bitgen_test_odd_tq2_0_info_t info;
  bitgen_test_odd_tq2_0_info(&info);
  if (rc != BITGEN_OK) {
    printf("FAIL odd-tq2_0: %s\n", bitgen_test_odd_tq2_0_strerror(rc));
    fail = 1;
  } else if (wscale != 1.0f || memcmp(y, ref, M * sizeof(float)) != 0) {
    printf("FAIL odd-tq2_0: GEMV %zux%zu differs from the reference\n", M, K);
    fail = 1;
  } else {
    printf("ok   odd-tq2_0: GEMV %zux%zu bit-exact via %s (bitgen %s, %s)\n", M, K, info.kernels[shape].variant,
           info.bitgen_version, info.format);
  }
  bitgen_test_odd_tq2_0_act_free(a);
  bitgen_test_odd_tq2_0_free(packed);
  free(w);
  free(x);
  free(y);
  free(ref);
  free(d);
  free(q);
  return fail;
}
