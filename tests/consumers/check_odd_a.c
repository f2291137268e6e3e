/* A product's use of the i2s package of tests/specs/odd-a.lua through its
 * public header only: pack, quantize, GEMV, checked bit-exact against a
 * reference computed here from the unpacked ternary weights; then again
 * with the ISA capped at scalar.  Valid C11 and C++ (the C++ product
 * includes this file).  Returns the number of failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_test_odd_a.h"

static unsigned odd_a_rng = 12345u;
static unsigned odd_a_next(void) { return odd_a_rng = odd_a_rng * 1103515245u + 12345u; }

static int odd_a_gemv(size_t shape, const char *label) {
  size_t M = 0, K = 0;
  if (bitgen_test_odd_a_shape_dims(shape, &M, &K) != BITGEN_OK) return 1;
  size_t size = bitgen_test_odd_a_packed_size(shape);
  int8_t *w = (int8_t *)malloc(M * K), *q = (int8_t *)malloc(K);
  float *x = (float *)malloc(K * sizeof(float)), *y = (float *)malloc(M * sizeof(float));
  float *ref = (float *)malloc(M * sizeof(float));
  void *packed = bitgen_test_odd_a_alloc(size);
  const float wscale = 0.8125f;
  bitgen_act act;
  int fail = 0;
  for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(odd_a_next() >> 16) % 3 - 1);
  for (size_t k = 0; k < K; k++) x[k] = (float)((int)(odd_a_next() >> 16) % 2001 - 1000) / 997.0f;
  int rc = bitgen_test_odd_a_pack_ternary(shape, M, K, w, packed, size);
  if (rc == BITGEN_OK) rc = bitgen_test_odd_a_quantize(x, 1, K, q, &act);
  for (size_t i = 0; rc == BITGEN_OK && i < M; i++) { /* reference: exact dot, then the documented formula */
    long long dot = 0;
    for (size_t k = 0; k < K; k++) dot += (long long)w[i * K + k] * q[k];
    ref[i] = (float)dot * (wscale / act.scale);
  }
  if (rc == BITGEN_OK)
    rc = bitgen_test_odd_a_gemv(shape, packed, size, wscale, q, K, &act, y, M, bitgen_test_odd_a_pool_default());
  if (rc != BITGEN_OK) {
    printf("FAIL odd-a %s: %s\n", label, bitgen_test_odd_a_strerror(rc));
    fail = 1;
  } else if (memcmp(y, ref, M * sizeof(float)) != 0) {
    printf("FAIL odd-a %s: GEMV %zux%zu differs from the reference\n", label, M, K);
    fail = 1;
  } else {
    printf("ok   odd-a %s: GEMV %zux%zu bit-exact (%zu threads)\n", label, M, K,
           bitgen_test_odd_a_pool_threads(bitgen_test_odd_a_pool_default()));
  }
  bitgen_test_odd_a_free(packed);
  free(w);
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
