/* Public API of a generated package: every error path returns its code,
 * never undefined behaviour; the dispatcher honours BITGEN_ISA.
 * usage: test-api [--expect-init CODE | --expect-isa ISA] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)

static int failures;
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                    \
    }                                                                \
  } while (0)

static int code_of(const char *name) {
  static const struct { const char *name; int code; } codes[] = {
      {"BITGEN_OK", BITGEN_OK}, {"BITGEN_E_ISA", BITGEN_E_ISA}, {"BITGEN_E_UNSUPPORTED", BITGEN_E_UNSUPPORTED}};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(codes[i].name, name) == 0) return codes[i].code;
  fprintf(stderr, "unknown code %s\n", name);
  exit(2);
}

/* With a failed init every entry point reports the same error. */
static int expect_init(int want) {
  int rc = PKG(init)();
  CHECK(rc == want);
  CHECK(PKG(selected)(0) == NULL);
  const bitgen_kernel *k = &PKG(package)()->kernels[0];
  size_t size = PKG(packed_size)(0);
  void *packed = bitgen_alloc(size);
  int8_t *q = bitgen_alloc(k->K);
  float *y = bitgen_alloc(k->M * sizeof(float));
  bitgen_act act = {1.0f, 0};
  CHECK(PKG(gemv)(0, packed, size, 1.0f, q, k->K, &act, y, k->M, NULL) == want);
  bitgen_free(packed), bitgen_free(q), bitgen_free(y);
  printf("init with BITGEN_ISA=%s: %s\n", getenv("BITGEN_ISA") ? getenv("BITGEN_ISA") : "", bitgen_strerror(rc));
  return failures != 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--expect-init") == 0) return expect_init(code_of(argv[2]));
  CHECK(PKG(init)() == BITGEN_OK);
  const bitgen_package *pkg = PKG(package)();
  CHECK(pkg && pkg->nkernels > 0 && pkg->nshapes > 0 && pkg->nmatrices > 0);
  if (argc == 3 && strcmp(argv[1], "--expect-isa") == 0)
    for (size_t k = 0; k < pkg->nkernels; k++) CHECK(strcmp(PKG(selected)(k)->isa, argv[2]) == 0);

  const bitgen_kernel *k = &pkg->kernels[pkg->shapes[0].gemv];
  const size_t M = k->M, K = k->K, size = PKG(packed_size)(0);
  CHECK(size >= M * K / 4);
  CHECK(PKG(packed_size)(pkg->nshapes) == 0);
  CHECK(PKG(selected)(pkg->nkernels) == NULL);
  CHECK(PKG(matrix_shape)(pkg->nmatrices) == (size_t)-1);
  for (size_t m = 0; m < pkg->nmatrices; m++) CHECK(PKG(matrix_shape)(m) == pkg->matrices[m].shape);

  int8_t *w = bitgen_alloc(M * K), *q = bitgen_alloc(K);
  float *wf = bitgen_alloc(M * K * sizeof(float));
  uint8_t *packed = bitgen_alloc(size + BITGEN_ALIGN);
  float *y = bitgen_alloc((M + 1) * sizeof(float)), *want = bitgen_alloc(M * sizeof(float));
  float *x = bitgen_alloc(K * sizeof(float));
  for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(i * 7919 % 3) - 1);
  for (size_t i = 0; i < M * K; i++) wf[i] = (float)w[i] * 0.25f;
  for (size_t i = 0; i < K; i++) x[i] = (float)((int)(i * 31 % 255) - 127) / 17.0f;

  /* packers: shape, null, size, alignment, value errors */
  CHECK(PKG(pack_ternary)(pkg->nshapes, M, K, w, packed, size) == BITGEN_E_KERNEL);
  CHECK(PKG(pack_ternary)(0, M + 1, K, w, packed, size) == BITGEN_E_SIZE);
  CHECK(PKG(pack_ternary)(0, M, K + 128, w, packed, size) == BITGEN_E_SIZE);
  CHECK(PKG(pack_ternary)(0, M, K, NULL, packed, size) == BITGEN_E_NULL);
  CHECK(PKG(pack_ternary)(0, M, K, w, NULL, size) == BITGEN_E_NULL);
  CHECK(PKG(pack_ternary)(0, M, K, w, packed, size - 1) == BITGEN_E_SIZE);
  CHECK(PKG(pack_ternary)(0, M, K, w, packed + 1, size) == BITGEN_E_ALIGN);
  w[5] = 2;
  CHECK(PKG(pack_ternary)(0, M, K, w, packed, size) == BITGEN_E_VALUE);
  w[5] = (int8_t)((int)(5 * 7919 % 3) - 1);
  float scale = 0.0f;
  CHECK(PKG(pack_f32)(0, M, K, wf, packed, size, NULL) == BITGEN_E_NULL);
  CHECK(PKG(pack_f32)(0, M, K, wf, packed, size, &scale) == BITGEN_OK);
  CHECK(scale > 0.0f);
  CHECK(PKG(pack_gguf)(0, M, K, (const uint8_t *)wf, 10, packed, size, &scale) == BITGEN_E_SIZE);
  CHECK(PKG(pack_ternary)(0, M, K, w, packed, size) == BITGEN_OK);

  /* gemv: quantize, run, compare with the reference; then every bad argument */
  bitgen_act act;
  CHECK(bitgen_quantize(x, 1, K, q, &act) == BITGEN_OK);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_OK);
  CHECK(bitgen_ref_gemv(M, K, w, 0.5f, q, &act, want) == BITGEN_OK);
  CHECK(memcmp(y, want, M * sizeof(float)) == 0);
  CHECK(PKG(gemv)(pkg->nshapes, packed, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_KERNEL);
  CHECK(PKG(gemv)(0, NULL, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_NULL);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, NULL, K, &act, y, M, NULL) == BITGEN_E_NULL);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K, NULL, y, M, NULL) == BITGEN_E_NULL);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K, &act, NULL, M, NULL) == BITGEN_E_NULL);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K - 1, &act, y, M, NULL) == BITGEN_E_SIZE);
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K, &act, y, M - 1, NULL) == BITGEN_E_SIZE);
  CHECK(PKG(gemv)(0, packed, size + 1, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_SIZE);
  CHECK(PKG(gemv)(0, packed + 1, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_ALIGN);
  bitgen_act bad = {0.0f, 0};
  CHECK(PKG(gemv)(0, packed, size, 0.5f, q, K, &bad, y, M, NULL) == BITGEN_E_VALUE);
  const bitgen_variant *v = PKG(selected)(pkg->shapes[0].gemv);
  CHECK(PKG(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 0, v->tiles + 1) == BITGEN_E_SIZE);
  CHECK(PKG(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 2, 1) == BITGEN_E_SIZE);
  /* tiles split by hand give the same bytes */
  memset(y, 0, M * sizeof(float));
  CHECK(PKG(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 0, v->tiles / 3) == BITGEN_OK);
  CHECK(PKG(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, v->tiles / 3, v->tiles) == BITGEN_OK);
  CHECK(memcmp(y, want, M * sizeof(float)) == 0);

  bitgen_free(w), bitgen_free(q), bitgen_free(wf), bitgen_free(packed), bitgen_free(y), bitgen_free(want);
  bitgen_free(x);
  printf("api: %d failures (kernel %s uses %s)\n", failures, k->name, v->isa);
  return failures != 0;
}
