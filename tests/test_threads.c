/* Prefill and threads through the public API of a generated package: GEMM
 * for N = 1..17, 32, 64, 128, 200 and GEMV, every shape, equal to the scalar
 * reference, and byte-identical for 1, 2, 3 and 8 threads (own pools) and
 * the default pool.  usage: test-threads [--quick] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#include "pkg_check.h"

int main(int argc, char **argv) {
  const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  static const size_t ns_full[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 32, 64, 128, 200};
  static const size_t ns_quick[] = {1, 2, 5, 8, 17, 33};
  const size_t *ns = quick ? ns_quick : ns_full;
  const size_t nn = quick ? sizeof ns_quick / sizeof *ns_quick : sizeof ns_full / sizeof *ns_full;
  const size_t nmax = ns[nn - 1];
  static const size_t thread_counts[] = {1, 2, 3, 8};
  bitgen_pool *pools[4];
  for (int p = 0; p < 4; p++) CHECK(bitgen_pool_create(thread_counts[p], &pools[p]) == BITGEN_OK, "pool %d", p);
  CHECK(PKG(init)() == BITGEN_OK, "init");
  const bitgen_package *pkg = PKG(package)();
  for (size_t s = 0; s < pkg->nshapes; s++) {
    const size_t M = pkg->shapes[s].M, K = pkg->shapes[s].K, size = LL(packed_size)(s);
    int8_t *w = bitgen_alloc(M * K), *q = bitgen_alloc(nmax * K);
    float *x = bitgen_alloc(nmax * K * sizeof(float)), *want = bitgen_alloc(nmax * M * sizeof(float));
    float *y0 = bitgen_alloc(nmax * M * sizeof(float)), *y = bitgen_alloc(nmax * M * sizeof(float));
    bitgen_act *act = bitgen_alloc(nmax * sizeof(bitgen_act));
    void *packed = bitgen_alloc(size);
    for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(next() % 3) - 1);
    for (size_t i = 0; i < nmax * K; i++) x[i] = (float)((int)(next() % 20001) - 10000) / 997.0f;
    const float wscale = 0.731f;
    CHECK(LL(pack_ternary)(s, M, K, w, packed, size) == BITGEN_OK, "pack");
    CHECK(bitgen_quantize(x, nmax, K, q, act) == BITGEN_OK, "quantize");
    for (size_t j = 0; j < nmax; j++) bitgen_ref_gemv(M, K, w, wscale, q + j * K, &act[j], want + j * M);

    /* GEMV: reference, then every pool gives the same bytes */
    CHECK(LL(gemv)(s, packed, size, wscale, q, K, act, y0, M, pools[0]) == BITGEN_OK, "gemv");
    CHECK(memcmp(y0, want, M * sizeof(float)) == 0, "gemv %zux%zu differs from the reference", M, K);
    for (int p = 0; p <= 4; p++) {
      memset(y, 0, M * sizeof(float));
      bitgen_pool *pool = p < 4 ? pools[p] : NULL; /* NULL: the default pool */
      CHECK(LL(gemv)(s, packed, size, wscale, q, K, act, y, M, pool) == BITGEN_OK, "gemv pool");
      CHECK(memcmp(y, y0, M * sizeof(float)) == 0, "gemv %zux%zu with pool %d differs", M, K, p);
    }
    /* GEMM at every N: reference, then every pool */
    for (size_t i = 0; i < nn; i++) {
      const size_t N = ns[i];
      memset(y0, 0, N * M * sizeof(float));
      CHECK(LL(gemm)(s, packed, size, wscale, q, K, N, act, y0, M, pools[0]) == BITGEN_OK, "gemm");
      CHECK(memcmp(y0, want, N * M * sizeof(float)) == 0, "gemm %zux%zu N=%zu differs from the reference", M, K, N);
      for (int p = 0; p <= 4; p++) {
        memset(y, 0, N * M * sizeof(float));
        bitgen_pool *pool = p < 4 ? pools[p] : NULL;
        CHECK(LL(gemm)(s, packed, size, wscale, q, K, N, act, y, M, pool) == BITGEN_OK, "gemm pool");
        CHECK(memcmp(y, y0, N * M * sizeof(float)) == 0, "gemm %zux%zu N=%zu pool %d differs", M, K, N, p);
      }
    }
    printf("shape %zux%zu: gemv and gemm N=1..%zu, threads 1/2/3/8/default: %s\n", M, K, nmax,
           failures ? "FAIL" : "identical and exact");
    bitgen_free(w), bitgen_free(q), bitgen_free(x), bitgen_free(want), bitgen_free(y0), bitgen_free(y);
    bitgen_free(act), bitgen_free(packed);
  }
  /* bad arguments of the new entry points */
  const size_t M = pkg->shapes[0].M, K = pkg->shapes[0].K, size = LL(packed_size)(0);
  void *packed = bitgen_alloc(size);
  int8_t *q = bitgen_alloc(K);
  float *y = bitgen_alloc(M * sizeof(float));
  bitgen_act a = {1.0f, 0};
  CHECK(LL(gemm)(0, packed, size, 1.0f, q, K, 0, &a, y, M, NULL) == BITGEN_E_SIZE, "N=0");
  CHECK(LL(gemm)(0, packed, size, 1.0f, q, K, 1, NULL, y, M, NULL) == BITGEN_E_NULL, "act NULL");
  CHECK(LL(gemm)(pkg->nshapes, packed, size, 1.0f, q, K, 1, &a, y, M, NULL) == BITGEN_E_KERNEL, "shape");
  bitgen_free(packed), bitgen_free(q), bitgen_free(y);
  for (int p = 0; p < 4; p++) bitgen_pool_destroy(pools[p]);
  printf("threads: %d failures\n", failures);
  return failures != 0;
}
