/* Public API of a generated package: every error path returns its code,
 * never undefined behaviour; the dispatcher honours BITGEN_ISA.
 * usage: test-api [--expect-init CODE | --expect-isa ISA] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)
/* the per-format (low-level) calls of the package's format: <prefix>_<format>_name */
#define LL(name) CAT(CAT(BITGEN_PKG_PREFIX, BITGEN_PKG_FORMAT), name)

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
  size_t size = LL(packed_size)(0);
  void *packed = bitgen_alloc(size);
  int8_t *q = bitgen_alloc(k->K);
  float *y = bitgen_alloc(k->M * sizeof(float));
  bitgen_act act = {1.0f, 0};
  CHECK(LL(gemv)(0, packed, size, 1.0f, q, k->K, &act, y, k->M, NULL) == want);
  bitgen_free(packed), bitgen_free(q), bitgen_free(y);
  printf("init with BITGEN_ISA=%s: %s\n", getenv("BITGEN_ISA") ? getenv("BITGEN_ISA") : "", bitgen_strerror(rc));
  return failures != 0;
}

/* Canonical I2_S tensor bytes (BitNet GGUF): block b of 128 weights is
 * bytes 32b..32b+31, element p in bits 7:6, p+32 in 5:4, p+64 in 3:2, p+96
 * in 1:0 (code w + 1); then the f32 scale, little-endian.  Returns the size. */
static size_t i2s_gguf(size_t M, size_t K, const int8_t *w, float scale, uint8_t *out) {
  uint32_t bits;
  memcpy(&bits, &scale, sizeof bits);
  for (size_t e = 0; e < M * K; e++) {
    size_t r = e % 128, byte = e / 128 * 32 + r % 32;
    if (r < 32) out[byte] = 0;
    out[byte] |= (uint8_t)((w[e] + 1) << (6 - 2 * (r / 32)));
  }
  for (int i = 0; i < 4; i++) out[M * K / 4 + (size_t)i] = (uint8_t)(bits >> (8 * i));
  return M * K / 4 + 4;
}

static int unchanged(const float *y, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (y[i] != -7.0f) return 0;
  return 1;
}

/* The scale rule (docs/DESIGN.md, "Caller contracts") at every entry point:
 * a non-finite or zero wscale, a non-finite or non-positive activation
 * scale, an overflowing wscale / scale, a non-finite or zero stored scale,
 * non-finite or all-zero f32 weights, non-finite activations: BITGEN_E_VALUE
 * and nothing written.  packed holds w packed; x is one token. */
static void check_scale_rule(const int8_t *w, const uint8_t *packed, size_t size, const float *x) {
  const bitgen_package *pkg = PKG(package)();
  const bitgen_kernel *k = &pkg->kernels[pkg->shapes[0].gemv];
  const size_t M = k->M, K = k->K, tiles = PKG(selected)(pkg->shapes[0].gemv)->tiles;
  static const float bad_w[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
  static const float bad_s[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f};
  int8_t *q = bitgen_alloc(2 * K);
  float *y = bitgen_alloc(2 * M * sizeof(float)), *x2 = bitgen_alloc(2 * K * sizeof(float));
  float *wf = bitgen_alloc(M * K * sizeof(float));
  uint8_t *src = bitgen_alloc(M * K / 4 + 4), *scratch = bitgen_alloc(size);
  bitgen_act act[2];
  float scale = 3.0f;
  memcpy(x2, x, K * sizeof(float));
  memcpy(x2 + K, x, K * sizeof(float));
  CHECK(bitgen_quantize(x2, 2, K, q, act) == BITGEN_OK);
  for (size_t i = 0; i < 2 * M; i++) y[i] = -7.0f;
  for (size_t i = 0; i < sizeof bad_w / sizeof *bad_w; i++) {
    CHECK(LL(gemv)(0, packed, size, bad_w[i], q, K, act, y, M, NULL) == BITGEN_E_VALUE);
    CHECK(LL(gemm)(0, packed, size, bad_w[i], q, K, 2, act, y, M, NULL) == BITGEN_E_VALUE);
    CHECK(LL(gemv_tiles)(0, packed, size, bad_w[i], q, K, act, y, M, 0, tiles) == BITGEN_E_VALUE);
  }
  for (size_t i = 0; i < sizeof bad_s / sizeof *bad_s; i++) {
    const bitgen_act keep = act[1];
    act[1].scale = bad_s[i];
    CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, act + 1, y, M, NULL) == BITGEN_E_VALUE);
    CHECK(LL(gemm)(0, packed, size, 0.5f, q, K, 2, act, y, M, NULL) == BITGEN_E_VALUE); /* token 1 of 2 */
    CHECK(LL(gemv_tiles)(0, packed, size, 0.5f, q, K, act + 1, y, M, 0, tiles) == BITGEN_E_VALUE);
    act[1] = keep;
  }
  {
    /* each scale finite, their ratio not */
    const bitgen_act keep = act[1];
    act[1].scale = 1e-30f;
    CHECK(LL(gemv)(0, packed, size, 1e10f, q, K, act + 1, y, M, NULL) == BITGEN_E_VALUE);
    CHECK(LL(gemm)(0, packed, size, 1e10f, q, K, 2, act, y, M, NULL) == BITGEN_E_VALUE);
    act[1] = keep;
  }
  CHECK(unchanged(y, 2 * M));
  /* a negative per-tensor scale is a value: y is the reference's */
  {
    float *want = bitgen_alloc(2 * M * sizeof(float));
    CHECK(LL(gemm)(0, packed, size, -0.75f, q, K, 2, act, y, M, NULL) == BITGEN_OK);
    CHECK(bitgen_ref_gemm(M, K, w, -0.75f, q, 2, act, want) == BITGEN_OK);
    CHECK(memcmp(y, want, 2 * M * sizeof(float)) == 0);
    bitgen_free(want);
  }

  /* packers */
  memset(scratch, 0x5a, size);
  for (size_t i = 0; i < sizeof bad_w / sizeof *bad_w; i++) {
    size_t n = i2s_gguf(M, K, w, bad_w[i], src);
    CHECK(LL(pack_gguf)(0, M, K, src, n, scratch, size, &scale) == BITGEN_E_VALUE);
  }
  for (size_t e = 0; e < M * K; e++) wf[e] = 0.0f; /* all zero: no scale */
  CHECK(LL(pack_f32)(0, M, K, wf, scratch, size, &scale) == BITGEN_E_VALUE);
  for (size_t e = 0; e < M * K; e++) wf[e] = (float)w[e];
  wf[M * K - 1] = NAN;
  CHECK(LL(pack_f32)(0, M, K, wf, scratch, size, &scale) == BITGEN_E_VALUE);
  wf[M * K - 1] = -INFINITY;
  CHECK(LL(pack_f32)(0, M, K, wf, scratch, size, &scale) == BITGEN_E_VALUE);
  int untouched = scale == 3.0f;
  for (size_t i = 0; i < size; i++) untouched &= scratch[i] == 0x5a;
  CHECK(untouched);
  CHECK(LL(pack_gguf)(0, M, K, src, i2s_gguf(M, K, w, -0.75f, src), scratch, size, &scale) == BITGEN_OK);
  CHECK(scale == -0.75f && memcmp(scratch, packed, size) == 0);

  /* the quantizer: non-finite activations */
  x2[K + 3] = NAN;
  CHECK(bitgen_quantize(x2, 2, K, q, act) == BITGEN_E_VALUE);
  x2[K + 3] = INFINITY;
  CHECK(bitgen_quantize(x2, 2, K, q, act) == BITGEN_E_VALUE);
  bitgen_free(q), bitgen_free(y), bitgen_free(x2), bitgen_free(wf), bitgen_free(src), bitgen_free(scratch);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--expect-init") == 0) return expect_init(code_of(argv[2]));
  CHECK(PKG(init)() == BITGEN_OK);
  const bitgen_package *pkg = PKG(package)();
  CHECK(pkg && pkg->nkernels > 0 && pkg->nshapes > 0 && pkg->nmatrices > 0);
  if (argc == 3 && strcmp(argv[1], "--expect-isa") == 0)
    for (size_t k = 0; k < pkg->nkernels; k++) CHECK(strcmp(PKG(selected)(k)->isa, argv[2]) == 0);

  const bitgen_kernel *k = &pkg->kernels[pkg->shapes[0].gemv];
  const size_t M = k->M, K = k->K, size = LL(packed_size)(0);
  CHECK(size >= M * K / 4);
  CHECK(LL(packed_size)(pkg->nshapes) == 0);
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
  CHECK(LL(pack_ternary)(pkg->nshapes, M, K, w, packed, size) == BITGEN_E_KERNEL);
  CHECK(LL(pack_ternary)(0, M + 1, K, w, packed, size) == BITGEN_E_SIZE);
  CHECK(LL(pack_ternary)(0, M, K + 128, w, packed, size) == BITGEN_E_SIZE);
  CHECK(LL(pack_ternary)(0, M, K, NULL, packed, size) == BITGEN_E_NULL);
  CHECK(LL(pack_ternary)(0, M, K, w, NULL, size) == BITGEN_E_NULL);
  CHECK(LL(pack_ternary)(0, M, K, w, packed, size - 1) == BITGEN_E_SIZE);
  CHECK(LL(pack_ternary)(0, M, K, w, packed + 1, size) == BITGEN_E_ALIGN);
  w[5] = 2;
  CHECK(LL(pack_ternary)(0, M, K, w, packed, size) == BITGEN_E_VALUE);
  w[5] = (int8_t)((int)(5 * 7919 % 3) - 1);
  float scale = 0.0f;
  CHECK(LL(pack_f32)(0, M, K, wf, packed, size, NULL) == BITGEN_E_NULL);
  CHECK(LL(pack_f32)(0, M, K, wf, packed, size, &scale) == BITGEN_OK);
  CHECK(scale > 0.0f);
  CHECK(LL(pack_gguf)(0, M, K, (const uint8_t *)wf, 10, packed, size, &scale) == BITGEN_E_SIZE);
  CHECK(LL(pack_ternary)(0, M, K, w, packed, size) == BITGEN_OK);

  /* gemv: quantize, run, compare with the reference; then every bad argument */
  bitgen_act act;
  CHECK(bitgen_quantize(x, 1, K, q, &act) == BITGEN_OK);
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_OK);
  CHECK(bitgen_ref_gemv(M, K, w, 0.5f, q, &act, want) == BITGEN_OK);
  CHECK(memcmp(y, want, M * sizeof(float)) == 0);
  CHECK(LL(gemv)(pkg->nshapes, packed, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_KERNEL);
  CHECK(LL(gemv)(0, NULL, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_NULL);
  CHECK(LL(gemv)(0, packed, size, 0.5f, NULL, K, &act, y, M, NULL) == BITGEN_E_NULL);
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, NULL, y, M, NULL) == BITGEN_E_NULL);
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, &act, NULL, M, NULL) == BITGEN_E_NULL);
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K - 1, &act, y, M, NULL) == BITGEN_E_SIZE);
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, &act, y, M - 1, NULL) == BITGEN_E_SIZE);
  CHECK(LL(gemv)(0, packed, size + 1, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_SIZE);
  CHECK(LL(gemv)(0, packed + 1, size, 0.5f, q, K, &act, y, M, NULL) == BITGEN_E_ALIGN);
  bitgen_act bad = {0.0f, 0};
  CHECK(LL(gemv)(0, packed, size, 0.5f, q, K, &bad, y, M, NULL) == BITGEN_E_VALUE);
  const bitgen_variant *v = PKG(selected)(pkg->shapes[0].gemv);
  CHECK(LL(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 0, v->tiles + 1) == BITGEN_E_SIZE);
  CHECK(LL(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 2, 1) == BITGEN_E_SIZE);
  /* tiles split by hand give the same bytes */
  memset(y, 0, M * sizeof(float));
  CHECK(LL(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, 0, v->tiles / 3) == BITGEN_OK);
  CHECK(LL(gemv_tiles)(0, packed, size, 0.5f, q, K, &act, y, M, v->tiles / 3, v->tiles) == BITGEN_OK);
  CHECK(memcmp(y, want, M * sizeof(float)) == 0);
  check_scale_rule(w, packed, size, x);

  bitgen_free(w), bitgen_free(q), bitgen_free(wf), bitgen_free(packed), bitgen_free(y), bitgen_free(want);
  bitgen_free(x);
  printf("api: %d failures (kernel %s uses %s)\n", failures, k->name, v->isa);
  return failures != 0;
}
