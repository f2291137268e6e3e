/* Cross-platform digest: the packed bytes and the outputs of each kernel
 * for one fixed input, hashed, so runs on different CPU families (x86, Arm,
 * RISC-V) can be compared line by line.  The input goes through the public
 * packer and quantizer, so they are covered too; each output is also checked
 * against the reference, so a digest never vouches for a wrong result. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bitgen_rt.h"

uint64_t bitgen_fnv1a64(uint64_t h, const void *data, size_t n) {
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* splitmix64 of the index: the input depends on nothing but the position. */
static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

enum { GENERAL_N = 5 }; /* tokens for a GEMM kernel that takes any N: odd, past one tile */

/* The variant to run: only_isa's if the CPU has it, else the selected one. */
static const bitgen_variant *pick(const bitgen_kernel *k, size_t sel, const char *only_isa, uint32_t cpu) {
  for (size_t v = 0; only_isa && v < k->nvariants; v++) {
    const bitgen_variant *var = &k->variants[v];
    if (strcmp(var->isa, only_isa) == 0 && (var->features & cpu) == var->features) return var;
  }
  return &k->variants[sel];
}

static int digest_shape(const bitgen_package *pkg, size_t s, const size_t *selected, const char *only_isa,
                        FILE *out) {
  const bitgen_shape *sh = &pkg->shapes[s];
  const size_t M = sh->M, K = sh->K, psize = bitgen_i2s_packed_size(M, K, pkg->prows);
  size_t ids[64], nids = 0, nmax = GENERAL_N;
  ids[nids++] = sh->gemv;
  ids[nids++] = sh->gemm;
  for (size_t b = 0; b < sh->nbatched && nids < 64; b++) {
    ids[nids++] = sh->batched[b];
    if (pkg->kernels[sh->batched[b]].N > nmax) nmax = pkg->kernels[sh->batched[b]].N;
  }
  float *w = bitgen_alloc(M * K * sizeof(float)), *x = bitgen_alloc(nmax * K * sizeof(float));
  float *y = bitgen_alloc(nmax * M * sizeof(float));
  int8_t *q = bitgen_alloc(nmax * K);
  bitgen_act *act = bitgen_alloc(nmax * sizeof(bitgen_act));
  uint8_t *packed = bitgen_alloc(psize);
  int8_t *wt = bitgen_alloc(M * K);
  float *want = bitgen_alloc(nmax * M * sizeof(float));
  float wscale = 0.0f;
  int rc = BITGEN_E_NOMEM, bad = 0;
  if (w && x && y && q && act && packed && wt && want) {
    /* weights in [-1.5, 1.5] and activations in [-16, 16): exact floats */
    for (size_t i = 0; i < M * K; i++) w[i] = (float)((int)(mix(i) % 13) - 6) * 0.25f;
    for (size_t i = 0; i < nmax * K; i++) x[i] = (float)((int)(mix(i ^ 0x5EED) % 2048) - 1024) / 64.0f;
    rc = bitgen_i2s_pack_f32(M, K, pkg->prows, w, packed, psize, &wscale);
    if (rc == BITGEN_OK) rc = bitgen_quantize(x, nmax, K, q, act);
    if (rc == BITGEN_OK) rc = bitgen_i2s_unpack(M, K, pkg->prows, packed, psize, wt);
    if (rc == BITGEN_OK) rc = bitgen_ref_gemm(M, K, wt, wscale, q, nmax, act, want);
  }
  if (rc != BITGEN_OK) {
    if (out) fprintf(out, "digest shape %zux%zu: %s\n", M, K, bitgen_strerror(rc));
  } else {
    const uint64_t hp = bitgen_fnv1a64(0xcbf29ce484222325ULL, packed, psize);
    const uint32_t cpu = bitgen_cpu_features();
    for (size_t i = 0; i < nids; i++) {
      const bitgen_kernel *k = &pkg->kernels[ids[i]];
      const bitgen_variant *v = pick(k, selected[ids[i]], only_isa, cpu);
      const size_t N = k->N == 0 ? GENERAL_N : k->N;
      if (v->gemv)
        v->gemv(packed, q, act[0].sum, wscale / act[0].scale, y, 0, v->tiles);
      else
        v->gemm(packed, q, act, wscale, y, M, 0, v->tiles, 0, N);
      const uint64_t hy = bitgen_fnv1a64(0xcbf29ce484222325ULL, y, N * M * sizeof(float));
      const int same = memcmp(y, want, N * M * sizeof(float)) == 0;
      bad += !same;
      if (out)
        fprintf(out, "digest %s %s packed=%016" PRIx64 " out=%016" PRIx64 "%s\n", k->name, v->isa, hp, hy,
                same ? "" : " FAIL: differs from the reference");
    }
  }
  bitgen_free(w), bitgen_free(x), bitgen_free(y), bitgen_free(q), bitgen_free(act), bitgen_free(packed);
  bitgen_free(wt), bitgen_free(want);
  return (rc != BITGEN_OK) + bad;
}

/* Returns the number of kernels that differ from the reference, plus one
 * per shape that could not be set up. */
int bitgen_digest_package(const bitgen_package *pkg, const size_t *selected, const char *only_isa, FILE *out) {
  int failures = 0;
  if (!pkg || !selected) return 1;
  for (size_t s = 0; s < pkg->nshapes; s++) failures += digest_shape(pkg, s, selected, only_isa, out);
  return failures;
}
