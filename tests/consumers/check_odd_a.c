/* A product's use of the i2s package of tests/specs/odd-a.lua through its
 * public header only, with the one call shape every format has: pack_f32
 * (which returns the weight scale), an activation object, quantize, GEMV
 * and GEMM with a row stride, checked bit-exact against a reference
 * computed here from the documented rules (BitNet absmean codes, the
 * per-token int8 quantizer, y = dot * (wscale / scale)); then again with
 * the ISA capped at scalar.  Valid C11 and C++ (the C++ product includes
 * this file).  Returns the number of failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_test_odd_a.h"

static unsigned odd_a_rng = 12345u;
static unsigned odd_a_next(void) { return odd_a_rng = odd_a_rng * 1103515245u + 12345u; }

/* Round half to even, for |v| < 2^22 (the documented quantizer's rounding). */
static float odd_a_rhe(float v) {
  float t = (float)(long)v, f = v - t; /* exact: |v| < 2^22 */
  long odd = (long)t & 1;
  if (f > 0.5f || (f == 0.5f && odd)) t += 1.0f;
  if (f < -0.5f || (f == -0.5f && odd)) t -= 1.0f;
  return t;
}

enum { ODD_A_TOKENS = 3 };

static int odd_a_gemv(size_t shape, const char *label) {
  size_t M = 0, K = 0;
  if (bitgen_test_odd_a_shape_dims(shape, &M, &K) != BITGEN_OK) return 1;
  const size_t size = bitgen_test_odd_a_packed_size(shape), T = ODD_A_TOKENS, ldy = M + 2;
  int8_t *w = (int8_t *)malloc(M * K), *q = (int8_t *)malloc(T * K);
  float *wf = (float *)malloc(M * K * sizeof(float)), *x = (float *)malloc(T * K * sizeof(float));
  float *y = (float *)malloc(T * ldy * sizeof(float)), *ref = (float *)malloc(T * M * sizeof(float));
  void *packed = bitgen_test_odd_a_alloc(size);
  bitgen_test_odd_a_act *a = NULL;
  float wscale = 0.0f;
  int fail = 0;
  for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(odd_a_next() >> 16) % 3 - 1);
  for (size_t i = 0; i < M * K; i++) wf[i] = 0.8125f * (float)w[i]; /* absmean codes: w again */
  for (size_t k = 0; k < T * K; k++) x[k] = (float)((int)(odd_a_next() >> 16) % 2001 - 1000) / 997.0f;
  int rc = bitgen_test_odd_a_pack_f32(shape, M, K, wf, packed, size, &wscale);
  if (rc == BITGEN_OK) rc = bitgen_test_odd_a_act_create(T, &a);
  if (rc == BITGEN_OK) rc = bitgen_test_odd_a_quantize(x, T, K, a, NULL);
  for (size_t t = 0; rc == BITGEN_OK && t < T; t++) { /* reference: the documented rules */
    float amax = 1e-5f;
    for (size_t k = 0; k < K; k++) {
      float v = x[t * K + k] < 0 ? -x[t * K + k] : x[t * K + k];
      if (v > amax) amax = v;
    }
    const float s = 127.0f / amax;
    for (size_t k = 0; k < K; k++) {
      float r = odd_a_rhe(x[t * K + k] * s);
      q[t * K + k] = (int8_t)(r > 127.0f ? 127.0f : r < -128.0f ? -128.0f : r);
    }
    for (size_t i = 0; i < M; i++) {
      long long dot = 0;
      for (size_t k = 0; k < K; k++) dot += (long long)w[i * K + k] * q[t * K + k];
      ref[t * M + i] = (float)dot * (wscale / s);
    }
  }
  if (rc == BITGEN_OK)
    rc = bitgen_test_odd_a_gemv(shape, packed, size, wscale, a, y, M, bitgen_test_odd_a_pool_default());
  if (rc == BITGEN_OK && memcmp(y, ref, M * sizeof(float)) != 0) {
    printf("FAIL odd-a %s: GEMV %zux%zu differs from the reference\n", label, M, K);
    fail = 1;
  }
  if (rc == BITGEN_OK) rc = bitgen_test_odd_a_gemm(shape, packed, size, wscale, a, T, y, ldy, NULL);
  for (size_t t = 0; rc == BITGEN_OK && !fail && t < T; t++)
    if (memcmp(y + t * ldy, ref + t * M, M * sizeof(float)) != 0) {
      printf("FAIL odd-a %s: GEMM %zux%zu token %zu differs from the reference\n", label, M, K, t);
      fail = 1;
    }
  if (rc != BITGEN_OK) {
    printf("FAIL odd-a %s: %s\n", label, bitgen_test_odd_a_strerror(rc));
    fail = 1;
  } else if (!fail) {
    printf("ok   odd-a %s: GEMV and GEMM (%zu tokens) %zux%zu bit-exact (%zu threads)\n", label, T, M, K,
           bitgen_test_odd_a_pool_threads(bitgen_test_odd_a_pool_default()));
  }
  bitgen_test_odd_a_act_free(a);
  bitgen_test_odd_a_free(packed);
  free(w);
  free(wf);
  free(q);
  free(x);
  free(y);
  free(ref);
  return fail;
}

int check_odd_a(void) {
  bitgen_test_odd_a_info_t info;
  int fail = 0;
  if (bitgen_test_odd_a_info(&info) != BITGEN_OK) {
    printf("FAIL odd-a: init: %s\n", bitgen_test_odd_a_strerror(info.status));
    return 1;
  }
  const size_t shape = BITGEN_TEST_ODD_A_SHAPE_100X2688;
  printf("odd-a: bitgen %s, spec %s (%s), %s, ISAs built: %s; GEMV 100x2688 runs %s\n", info.bitgen_version,
         info.spec, info.spec_hash, info.format, info.isas_built, info.kernels[shape].variant);
  if (strcmp(info.bitgen_version, BITGEN_TEST_ODD_A_BITGEN_VERSION) != 0) fail++;
  fail += odd_a_gemv(shape, "selected");
  /* the cap, case-insensitive, per package */
  if (bitgen_test_odd_a_set_max_isa("SCALAR") != BITGEN_OK) fail++;
  bitgen_test_odd_a_info(&info);
  if (strcmp(info.kernels[shape].isa, "scalar") != 0) {
    printf("FAIL odd-a: capped at scalar, runs %s\n", info.kernels[shape].isa);
    fail++;
  }
  fail += odd_a_gemv(shape, "capped at scalar");
  if (bitgen_test_odd_a_set_max_isa("nosuch") != BITGEN_E_ISA) fail++;
  bitgen_test_odd_a_set_max_isa(NULL);
  return fail;
}
