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

/* The fixed input of a shape, packed and quantized through the public
 * functions of the package's format, and the reference outputs. */
typedef struct {
  size_t M, K, nmax, psize;
  float *w, *x, *y, *want, *wd, *ad;
  int8_t *q, *wt, *sc; /* sc: q6_k sub-block scales */
  bitgen_act *act;
  uint8_t *packed;
  int16_t *bsums, *lut;
  float wscale;
  bitgen_acts acts;
} input;

static int make_input(const bitgen_package *pkg, const bitgen_format *f, input *in) {
  const size_t M = in->M, K = in->K, n = in->nmax, nb = f->kind == BITGEN_KIND_BLOCK ? K / f->block : 1;
  const int q6k = strcmp(f->name, "q6_k") == 0;
  in->psize = f->kind == BITGEN_KIND_BLOCK ? bitgen_blk_packed_size(f, M, K, pkg->prows)
              : f->kind == BITGEN_KIND_TL  ? bitgen_tl_packed_size(M, K, pkg->prows)
              : f->kind == BITGEN_KIND_FP  ? bitgen_fp_packed_size(f, M, K, pkg->prows)
                                           : bitgen_i2s_packed_size(M, K, pkg->prows);
  in->w = bitgen_alloc(M * K * sizeof(float)), in->x = bitgen_alloc(n * K * sizeof(float));
  in->y = bitgen_alloc(n * M * sizeof(float)), in->want = bitgen_alloc(n * M * sizeof(float));
  in->q = bitgen_alloc(n * K), in->wt = bitgen_alloc(M * K);
  in->act = bitgen_alloc(n * sizeof(bitgen_act));
  in->packed = bitgen_alloc(in->psize);
  in->wd = bitgen_alloc(M * nb * sizeof(float)), in->ad = bitgen_alloc(n * nb * sizeof(float));
  in->bsums = bitgen_alloc(n * (K / 16 + 1) * sizeof(int16_t));
  in->lut = f->kind == BITGEN_KIND_TL ? bitgen_alloc(n * bitgen_tl_lut_size(K) * sizeof(int16_t)) : NULL;
  in->sc = q6k ? bitgen_alloc(M * K / 16) : NULL;
  if (!in->w || !in->x || !in->y || !in->want || !in->q || !in->wt || !in->act || !in->packed || !in->wd ||
      !in->ad || !in->bsums || (f->kind == BITGEN_KIND_TL && !in->lut) || (q6k && !in->sc))
    return BITGEN_E_NOMEM;
  /* weights in [-1.5, 1.5] and activations in [-16, 16): exact floats */
  for (size_t i = 0; i < M * K; i++) in->w[i] = (float)((int)(mix(i) % 13) - 6) * 0.25f;
  for (size_t i = 0; i < n * K; i++) in->x[i] = (float)((int)(mix(i ^ 0x5EED) % 2048) - 1024) / 64.0f;
  in->acts = (bitgen_acts){in->q, in->ad, in->bsums, in->lut, in->act, in->x};
  int rc;
  switch (f->kind) {
  case BITGEN_KIND_BLOCK:
    in->wscale = 1.0f;
    rc = bitgen_blk_pack_f32(f, M, K, pkg->prows, in->w, in->packed, in->psize);
    if (rc == BITGEN_OK) rc = bitgen_quantize_blocks(in->x, n, K, f->block, in->q, in->ad, in->bsums);
    if (q6k) {
      if (rc == BITGEN_OK) rc = bitgen_q6k_unpack(M, K, pkg->prows, in->packed, in->psize, in->wt, in->sc, in->wd);
      if (rc == BITGEN_OK) rc = bitgen_ref_q6k(M, K, in->wt, in->sc, in->wd, in->q, in->ad, n, in->want);
      return rc;
    }
    if (rc == BITGEN_OK) rc = bitgen_blk_unpack(f, M, K, pkg->prows, in->packed, in->psize, in->wt, in->wd);
    if (rc == BITGEN_OK) rc = bitgen_ref_blocks(M, K, f->block, in->wt, in->wd, in->q, in->ad, n, in->want);
    return rc;
  case BITGEN_KIND_FP: /* the weights are multiples of 0.25: exact in f16 and bf16 */
    in->wscale = 1.0f;
    rc = bitgen_fp_pack_f32(f, M, K, pkg->prows, in->w, in->packed, in->psize);
    if (rc == BITGEN_OK) rc = bitgen_ref_fp(M, K, in->w, in->x, n, in->want);
    return rc;
  case BITGEN_KIND_TL:
    rc = bitgen_tl_pack_f32(M, K, pkg->prows, in->w, in->packed, in->psize, &in->wscale);
    if (rc == BITGEN_OK) rc = bitgen_quantize(in->x, n, K, in->q, in->act);
    if (rc == BITGEN_OK) rc = bitgen_tl_tables(in->q, n, K, in->lut);
    if (rc == BITGEN_OK) rc = bitgen_tl_unpack(M, K, pkg->prows, in->packed, in->psize, in->wt);
    break;
  default:
    rc = bitgen_i2s_pack_f32(M, K, pkg->prows, in->w, in->packed, in->psize, &in->wscale);
    if (rc == BITGEN_OK) rc = bitgen_quantize(in->x, n, K, in->q, in->act);
    if (rc == BITGEN_OK) rc = bitgen_i2s_unpack(M, K, pkg->prows, in->packed, in->psize, in->wt);
  }
  if (rc == BITGEN_OK) rc = bitgen_ref_gemm(M, K, in->wt, in->wscale, in->q, n, in->act, in->want);
  return rc;
}

static void free_input(input *in) {
  bitgen_free(in->w), bitgen_free(in->x), bitgen_free(in->y), bitgen_free(in->want), bitgen_free(in->q);
  bitgen_free(in->wt), bitgen_free(in->act), bitgen_free(in->packed), bitgen_free(in->wd), bitgen_free(in->ad);
  bitgen_free(in->bsums), bitgen_free(in->lut), bitgen_free(in->sc);
}

static int digest_shape(const bitgen_package *pkg, size_t s, const size_t *selected, const char *only_isa,
                        FILE *out) {
  const bitgen_shape *sh = &pkg->shapes[s];
  const bitgen_format *f = bitgen_format_by_name(pkg->format);
  input in = {.M = sh->M, .K = sh->K, .nmax = GENERAL_N};
  size_t ids[64], nids = 0;
  ids[nids++] = sh->gemv;
  ids[nids++] = sh->gemm;
  for (size_t b = 0; b < sh->nbatched && nids < 64; b++) {
    ids[nids++] = sh->batched[b];
    if (pkg->kernels[sh->batched[b]].N > in.nmax) in.nmax = pkg->kernels[sh->batched[b]].N;
  }
  int rc = f ? make_input(pkg, f, &in) : BITGEN_E_VALUE, bad = 0;
  const size_t M = in.M;
  if (rc != BITGEN_OK) {
    if (out) fprintf(out, "digest shape %zux%zu: %s\n", M, in.K, bitgen_strerror(rc));
  } else {
    const uint64_t hp = bitgen_fnv1a64(0xcbf29ce484222325ULL, in.packed, in.psize);
    const uint32_t cpu = bitgen_cpu_features();
    for (size_t i = 0; i < nids; i++) {
      const bitgen_kernel *k = &pkg->kernels[ids[i]];
      const bitgen_variant *v = pick(k, selected[ids[i]], only_isa, cpu);
      const size_t N = k->N == 0 ? GENERAL_N : k->N;
      if (v->run) {
        if (bitgen_variant_run(v, in.packed, &in.acts, in.wscale, in.y, M, 0, v->tiles, 0, N))
          memset(in.y, 0xff, N * M * sizeof(float)); /* NaNs: counted as a mismatch below */
      } else if (v->gemv)
        v->gemv(in.packed, in.q, in.act[0].sum, in.wscale / in.act[0].scale, in.y, 0, v->tiles);
      else
        v->gemm(in.packed, in.q, in.act, in.wscale, in.y, M, 0, v->tiles, 0, N);
      const uint64_t hy = bitgen_fnv1a64(0xcbf29ce484222325ULL, in.y, N * M * sizeof(float));
      const int same = memcmp(in.y, in.want, N * M * sizeof(float)) == 0;
      bad += !same;
      if (out)
        fprintf(out, "digest %s %s packed=%016" PRIx64 " out=%016" PRIx64 "%s\n", k->name, v->isa, hp, hy,
                same ? "" : " FAIL: differs from the reference");
    }
  }
  free_input(&in);
  return (rc != BITGEN_OK) + bad;
}

/* Returns the number of kernels that differ from the reference, plus one
 * per shape that could not be set up. */
int bitgen_digest_package(const bitgen_package *pkg, const size_t *selected, const char *only_isa, FILE *out) {
  int failures = 0;
  if (!pkg || !selected) return 1;
  /* a package of several formats is verified one view (format) at a time:
   * the shapes of the other formats belong to the other views */
  for (size_t s = 0; s < pkg->nshapes; s++)
    if (strcmp(pkg->kernels[pkg->shapes[s].gemv].format, pkg->format) == 0) failures += digest_shape(pkg, s, selected, only_isa, out);
  return failures;
}
