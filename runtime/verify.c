/* Package self-check: every variant this CPU can run, against the scalar
 * reference, through the public packer.  Shipped in every package so a
 * product can prove its kernels on its own target CPU. */
#include <stdio.h>
#include <string.h>

#include "bitgen_rt.h"

static uint64_t next(uint64_t *s) { /* xorshift64*: deterministic, portable */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

enum { GUARD = 16 };

/* Fills weights/activations for a trial: kinds 0..3 are the worst cases
 * (w all +1 or -1) x (q all 127 or -128); others are random. */
static void fill(int kind, size_t M, size_t K, int8_t *w, int8_t *q, uint64_t *rng) {
  if (kind < 4) {
    memset(w, (kind & 1) ? -1 : 1, M * K);
    memset(q, (kind & 2) ? -128 : 127, K);
    return;
  }
  for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(next(rng) % 3) - 1);
  for (size_t k = 0; k < K; k++) q[k] = (int8_t)(next(rng) & 0xff);
  if (kind == 4) /* extremes only: the largest products in every lane */
    for (size_t k = 0; k < K; k++) q[k] = (next(rng) & 1) ? 127 : -128;
}

/* Runs one variant over [t0, t1) and checks y against want on those rows
 * and that nothing else was written. */
static int run(const bitgen_variant *v, size_t M, const uint8_t *packed, const int8_t *q, const bitgen_act *act,
               float wscale, const float *want, float *y, size_t t0, size_t t1) {
  const float sentinel = -12345.0f;
  for (size_t i = 0; i < M + GUARD; i++) y[i] = sentinel;
  v->fn(packed, q, act->sum, wscale / act->scale, y, t0, t1);
  size_t lo = t0 * v->rows, hi = t1 * v->rows < M ? t1 * v->rows : M;
  for (size_t i = 0; i < M + GUARD; i++) {
    int inside = i >= lo && i < hi;
    if (inside ? memcmp(&y[i], &want[i], sizeof(float)) != 0 : y[i] != sentinel) return (int)i + 1;
  }
  return 0;
}

static int verify_kernel(const bitgen_package *pkg, const bitgen_kernel *kern, size_t selected, int quick,
                         FILE *out) {
  const size_t M = kern->M, K = kern->K;
  const size_t psize = bitgen_i2s_packed_size(M, K, pkg->prows);
  int8_t *w = bitgen_alloc(M * K), *q = bitgen_alloc(K);
  uint8_t *packed = bitgen_alloc(psize);
  float *want = bitgen_alloc((M + GUARD) * sizeof(float)), *y = bitgen_alloc((M + GUARD) * sizeof(float));
  if (!w || !q || !packed || !want || !y) {
    if (out) fprintf(out, "  %s: out of memory\n", kern->name);
    bitgen_free(w), bitgen_free(q), bitgen_free(packed), bitgen_free(want), bitgen_free(y);
    return 1;
  }
  const uint32_t cpu = bitgen_cpu_features();
  const int trials = 4 + (quick ? 2 : 8);
  int failures = 0;
  for (size_t vi = 0; vi < kern->nvariants; vi++) {
    const bitgen_variant *v = &kern->variants[vi];
    const char *mark = vi == selected ? " [selected]" : "";
    if ((v->features & cpu) != v->features) {
      char lack[128];
      bitgen_features_string(v->features & ~cpu, lack, sizeof lack);
      if (out) fprintf(out, "  %-44s skipped: CPU lacks %s\n", v->name, lack);
      continue;
    }
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(M * 131 + K);
    int bad = 0, checks = 0;
    char why[160] = "";
    for (int kind = 0; kind < trials && !bad; kind++) {
      fill(kind, M, K, w, q, &rng);
      bitgen_act act = {1.0f, 0};
      for (size_t k = 0; k < K; k++) act.sum += q[k];
      /* worst cases with unit scales compare the integer dot itself */
      float wscale = kind < 4 ? 1.0f : 0.5f + (float)(next(&rng) % 1000) / 997.0f;
      if (kind >= 4) act.scale = 1.0f + (float)(next(&rng) % 1000) / 7.0f;
      int rc = bitgen_i2s_pack_ternary(M, K, pkg->prows, w, packed, psize);
      if (rc == BITGEN_OK) rc = bitgen_ref_gemv(M, K, w, wscale, q, &act, want);
      if (rc != BITGEN_OK) {
        snprintf(why, sizeof why, "setup failed: %s", bitgen_strerror(rc));
        bad = 1;
        break;
      }
      /* whole matrix, then split at a tile boundary as a threaded caller would */
      size_t half = v->tiles / 2;
      size_t ranges[3][2] = {{0, v->tiles}, {0, half}, {half, v->tiles}};
      for (int r = 0; r < 3 && !bad; r++) {
        if (ranges[r][0] == ranges[r][1]) continue;
        int at = run(v, M, packed, q, &act, wscale, want, y, ranges[r][0], ranges[r][1]);
        checks++;
        if (at) {
          size_t i = (size_t)at - 1;
          snprintf(why, sizeof why, "trial %d tiles [%zu,%zu): row %zu got %.9g want %.9g", kind, ranges[r][0],
                   ranges[r][1], i, (double)y[i], i < M ? (double)want[i] : -12345.0);
          bad = 1;
        }
      }
    }
    failures += bad;
    if (out)
      fprintf(out, "  %-44s %s%s (%d checks, bit-exact vs reference)%s%s\n", v->name, bad ? "FAIL" : "ok", mark,
              checks, bad ? ": " : "", why);
  }
  bitgen_free(w), bitgen_free(q), bitgen_free(packed), bitgen_free(want), bitgen_free(y);
  return failures;
}

int bitgen_verify_package(const bitgen_package *pkg, const size_t *selected, int quick, FILE *out) {
  if (!pkg) return 1;
  char feats[256];
  bitgen_features_string(bitgen_cpu_features(), feats, sizeof feats);
  if (out) fprintf(out, "bitgen-verify: model %s, CPU features: %s\n", pkg->model, feats);
  int failures = 0;
  for (size_t k = 0; k < pkg->nkernels; k++) {
    const bitgen_kernel *kern = &pkg->kernels[k];
    if (out)
      fprintf(out, "%s (M=%zu K=%zu) uses %s\n", kern->name, kern->M, kern->K,
              selected ? kern->variants[selected[k]].isa : "?");
    failures += verify_kernel(pkg, kern, selected ? selected[k] : (size_t)-1, quick, out);
  }
  if (out) fprintf(out, "bitgen-verify: %s (%d failing variants)\n", failures ? "FAILED" : "all verified", failures);
  return failures;
}
