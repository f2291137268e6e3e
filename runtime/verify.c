/* Package self-check: every variant this CPU can run, GEMV and GEMM, against
 * the scalar reference, through the public packer.  Shipped in every
 * package so a product can prove its kernels on its own target CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

static uint64_t next(uint64_t *s) { /* xorshift64*: deterministic, portable */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

enum { GUARD = 16, WORST = 4 };
static const float SENTINEL = -12345.0f;

/* GEMM batch sizes per trial kind.  The full list (the random trial) is
 * 1..17, 32, 64, 128, 200; the worst cases and --quick (for emulators) use
 * shorter ones.  Calls are also split at a row and a token boundary for N
 * up to SPLIT_MAX, as the thread drivers split them. */
typedef struct {
  const size_t *n;
  size_t count;
} nlist;
#define NLIST(a) {a, sizeof a / sizeof a[0]}
static const size_t n_all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 32, 64, 128, 200};
static const size_t n_small[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const size_t n_worst[] = {1, 2, 7, 17};
static const size_t n_quick[] = {1, 2, 3, 5, 8, 9, 17};
static const size_t n_quick_worst[] = {1, 17};
enum { SPLIT_MAX = 17 };

static nlist batch_sizes(int kind, int quick) {
  static const nlist all = NLIST(n_all), small = NLIST(n_small), worst = NLIST(n_worst), q = NLIST(n_quick),
                     qw = NLIST(n_quick_worst);
  if (kind < WORST) return quick ? qw : worst;
  if (quick) return q;
  return kind == WORST + 1 ? all : small;
}

typedef struct {
  size_t M, K, nmax, psize, prows;
  const bitgen_format *fmt; /* kind I2S, BLOCK or TL */
  int8_t *w, *q;
  bitgen_act *act;
  uint8_t *packed;
  float wscale;
  float *want, *y; /* nmax x M; y has a guard */
  /* BLOCK: f16 scale bits and their values, ggml bytes, activation scales and sums */
  uint16_t *d16;
  float *wd, *ad;
  uint8_t *gguf;
  int16_t *bsums;
  int16_t *lut; /* TL: tables */
  int8_t *sc;   /* q6_k: sub-block scales */
  float *wf, *xf; /* FP: weights and activations as f32 */
  bitgen_acts acts;
} trial;

/* FP trials: random finite 16-bit weights over a few binades (worst cases:
 * large values of alternating sign, so the lanes cancel) and f32
 * activations; the reference sums in the canonical order. */
static int prepare_fp(trial *t, int kind, uint64_t *rng) {
  const bitgen_format *f = t->fmt;
  const int bf = strcmp(f->name, "bf16") == 0;
  const size_t M = t->M, K = t->K, n = kind < WORST ? 1 : t->nmax;
  for (size_t i = 0; i < M * K; i++) {
    uint16_t h;
    if (kind < WORST)
      h = (uint16_t)((bf ? 0x4700 : 0x7800) | ((i + (size_t)kind) & 1 ? 0x8000 : 0) | (next(rng) & 0xff));
    else
      h = (uint16_t)((bf ? 0x3c00 + next(rng) % 0x600 : 0x2000 + next(rng) % 0x3000) | ((next(rng) & 1) << 15));
    t->gguf[2 * i] = (uint8_t)h, t->gguf[2 * i + 1] = (uint8_t)(h >> 8);
    t->wf[i] = bf ? bitgen_bf16_to_f32(h) : bitgen_f16_to_f32(h);
  }
  for (size_t i = 0; i < t->nmax * K; i++)
    t->xf[i] = kind < WORST ? (kind & 2 ? -1.0f : 1.0f) * (float)(1 + i % 7)
                            : ((next(rng) & 1) ? -1.0f : 1.0f) * (float)(next(rng) % 100000) / 4096.0f;
  int rc = bitgen_fp_pack_gguf(f, M, K, t->prows, t->gguf, M * K * 2, t->packed, t->psize);
  if (rc == BITGEN_OK) rc = bitgen_ref_fp(M, K, t->wf, t->xf, n, t->want);
  for (size_t j = 1; rc == BITGEN_OK && kind < WORST && j < t->nmax; j++) /* identical tokens */
    memcpy(t->want + j * M, t->want, M * sizeof(float));
  for (size_t j = 1; kind < WORST && j < t->nmax; j++) memcpy(t->xf + j * K, t->xf, K * sizeof(float));
  return rc;
}

/* Weights, scales, packing and reference of a BLOCK format trial; q is set. */
static int prepare_block(trial *t, int kind, uint64_t *rng) {
  const bitgen_format *f = t->fmt;
  const size_t M = t->M, K = t->K, nb = K / f->block, n = kind < WORST ? 1 : t->nmax;
  const int span = f->vmax - f->vmin + 1;
  for (size_t i = 0; i < M * K; i++)
    t->w[i] = (int8_t)(kind < WORST ? ((kind & 1) ? f->vmin : f->vmax) : f->vmin + (int)(next(rng) % (uint64_t)span));
  /* worst cases: unit scales, so y is the integer dot itself; else f16
   * scales of either sign over a few binades, activation scales likewise */
  for (size_t i = 0; i < M * nb; i++) {
    t->d16[i] = kind < WORST ? 0x3C00 : (uint16_t)(0x3000 + next(rng) % 0x1400 + ((next(rng) & 1) << 15));
    t->wd[i] = bitgen_f16_to_f32(t->d16[i]);
  }
  for (size_t i = 0; i < t->nmax * nb; i++)
    t->ad[i] = kind < WORST ? 1.0f : ((next(rng) & 1) ? -1.0f : 1.0f) * (float)(1 + next(rng) % 4096) / 65536.0f;
  for (size_t i = 0; i < t->nmax * K / 16; i++) {
    int s = 0;
    for (size_t k = 0; k < 16; k++) s += t->q[16 * i + k];
    t->bsums[i] = (int16_t)s;
  }
  size_t gsize = bitgen_blk_gguf_size(f, M, K);
  if (t->sc) { /* q6_k: int8 sub-block scales, extremes in the worst cases */
    for (size_t i = 0; i < M * K / 16; i++) t->sc[i] = (int8_t)(kind < WORST ? ((kind & 1) ? 127 : -128) : (int)next(rng));
    int rc = bitgen_q6k_encode_gguf(M, K, t->w, t->sc, t->d16, t->gguf, gsize);
    if (rc == BITGEN_OK) rc = bitgen_blk_pack_gguf(f, M, K, t->prows, t->gguf, gsize, t->packed, t->psize);
    if (rc == BITGEN_OK) rc = bitgen_ref_q6k(M, K, t->w, t->sc, t->wd, t->q, t->ad, n, t->want);
    return rc;
  }
  int rc = bitgen_blk_encode_gguf(f, M, K, t->w, t->d16, t->gguf, gsize);
  if (rc == BITGEN_OK) rc = bitgen_blk_pack_gguf(f, M, K, t->prows, t->gguf, gsize, t->packed, t->psize);
  if (rc == BITGEN_OK) rc = bitgen_ref_blocks(M, K, f->block, t->w, t->wd, t->q, t->ad, n, t->want);
  return rc;
}

/* Trial kinds 0..3: all weights at one extreme (+1 or -1 for ternary) with
 * all activations 127 or -128 (the largest sums, which would overflow
 * 16-bit accumulators); 4: random weights with activations only at the
 * extremes; others: random. */
static int prepare(trial *t, int kind, uint64_t *rng) {
  const size_t M = t->M, K = t->K;
  if (kind < WORST) {
    memset(t->q, (kind & 2) ? -128 : 127, t->nmax * K);
  } else {
    for (size_t i = 0; i < t->nmax * K; i++)
      t->q[i] = kind == WORST ? ((next(rng) & 1) ? 127 : -128) : (int8_t)(next(rng) & 0xff);
  }
  if (t->fmt->kind == BITGEN_KIND_FP) return prepare_fp(t, kind, rng);
  if (t->fmt->kind == BITGEN_KIND_BLOCK) {
    int rc = prepare_block(t, kind, rng);
    for (size_t j = 1; rc == BITGEN_OK && kind < WORST && j < t->nmax; j++) /* identical tokens */
      memcpy(t->want + j * M, t->want, M * sizeof(float));
    return rc;
  }
  if (kind < WORST)
    memset(t->w, (kind & 1) ? -1 : 1, M * K);
  else
    for (size_t i = 0; i < M * K; i++) t->w[i] = (int8_t)((int)(next(rng) % 3) - 1);
  /* worst cases use unit scales, so y is the integer dot itself */
  t->wscale = kind < WORST ? 1.0f : 0.5f + (float)(next(rng) % 1000) / 997.0f;
  for (size_t j = 0; j < t->nmax; j++) {
    t->act[j].scale = kind < WORST ? 1.0f : 1.0f + (float)(next(rng) % 1000) / 7.0f;
    t->act[j].sum = 0;
    for (size_t k = 0; k < K; k++) t->act[j].sum += t->q[j * K + k];
  }
  int rc;
  if (t->fmt->kind == BITGEN_KIND_TL) {
    rc = bitgen_tl_pack_ternary(M, K, t->prows, t->w, t->packed, t->psize);
    if (rc == BITGEN_OK) rc = bitgen_tl_tables(t->q, t->nmax, K, t->lut);
  } else {
    rc = bitgen_i2s_pack_ternary(M, K, t->prows, t->w, t->packed, t->psize);
  }
  if (rc == BITGEN_OK) rc = bitgen_ref_gemm(M, K, t->w, t->wscale, t->q, kind < WORST ? 1 : t->nmax, t->act, t->want);
  for (size_t j = 1; kind < WORST && j < t->nmax; j++) /* identical tokens */
    memcpy(t->want + j * M, t->want, M * sizeof(float));
  return rc;
}

/* Checks rows [r0, r1) of tokens [n0, n1) against want, and that nothing
 * else in the N x M output (plus guard) was written.  0 or 1 + bad index. */
static size_t compare(const trial *t, size_t N, size_t r0, size_t r1, size_t n0, size_t n1) {
  const size_t M = t->M;
  for (size_t i = 0; i < N * M + GUARD; i++) {
    size_t j = i / M, r = i % M;
    int inside = j >= n0 && j < n1 && r >= r0 && r < r1 && i < N * M;
    if (inside ? memcmp(&t->y[i], &t->want[i], sizeof(float)) != 0 : t->y[i] != SENTINEL) return i + 1;
  }
  return 0;
}

static void reset(const trial *t, size_t N) {
  for (size_t i = 0; i < N * t->M + GUARD; i++) t->y[i] = SENTINEL;
}

/* One call of a variant on tiles [t0, t1) x tokens [n0, n1); returns 0 or
 * writes why it failed. */
static int check_call(const trial *t, const bitgen_kernel *k, const bitgen_variant *v, size_t N, size_t t0,
                      size_t t1, size_t n0, size_t n1, int kind, char *why, size_t why_size) {
  reset(t, N);
  if (v->run && t->acts.lut && t->acts.q) {
    /* tl: q is optional (kernels that decode the words read it, or read it
     * back from the tables without it): both ways give the same bits */
    bitgen_acts no_q = t->acts;
    no_q.q = NULL;
    if (bitgen_variant_run(v, t->packed, &no_q, t->wscale, t->y, t->M, t0, t1, n0, n1)) {
      snprintf(why, why_size, "no memory for the kernel's scratch");
      return 1;
    }
    size_t r1 = t1 * v->rows < t->M ? t1 * v->rows : t->M;
    size_t at = compare(t, N, t0 * v->rows, r1, n0, n1);
    if (at) {
      size_t i = at - 1;
      snprintf(why, why_size, "trial %d N=%zu tiles [%zu,%zu) tokens [%zu,%zu), tables only: y[%zu][%zu] = %.9g, "
               "want %.9g", kind, N, t0, t1, n0, n1, i / t->M, i % t->M, (double)t->y[i],
               i < N * t->M ? (double)t->want[i] : SENTINEL);
      return 1;
    }
    reset(t, N);
  }
  if (v->run) {
    if (bitgen_variant_run(v, t->packed, &t->acts, t->wscale, t->y, t->M, t0, t1, n0, n1)) {
      snprintf(why, why_size, "no memory for the kernel's scratch");
      return 1;
    }
  } else if (v->gemv)
    v->gemv(t->packed, t->q, t->act[0].sum, t->wscale / t->act[0].scale, t->y, t0, t1);
  else
    v->gemm(t->packed, t->q, t->act, t->wscale, t->y, t->M, t0, t1, n0, n1);
  size_t r1 = t1 * v->rows < t->M ? t1 * v->rows : t->M;
  size_t at = compare(t, N, t0 * v->rows, r1, n0, n1);
  if (!at) return 0;
  size_t i = at - 1;
  snprintf(why, why_size, "trial %d N=%zu tiles [%zu,%zu) tokens [%zu,%zu): y[%zu][%zu] = %.9g, want %.9g", kind, N,
           t0, t1, n0, n1, i / t->M, i % t->M, (double)t->y[i], i < N * t->M ? (double)t->want[i] : SENTINEL);
  (void)k;
  return 1;
}

/* Every call a variant gets in one trial: the whole matrix, and splits at a
 * tile and a token boundary as the thread drivers make them. */
static int check_variant(const trial *t, const bitgen_kernel *k, const bitgen_variant *v, int quick, int kind,
                         int *checks, char *why, size_t why_size) {
  const size_t half = v->tiles / 2;
  if (k->N == 1) { /* GEMV */
    size_t r[3][2] = {{0, v->tiles}, {0, half}, {half, v->tiles}};
    for (int i = 0; i < 3; i++) {
      if (r[i][0] == r[i][1]) continue;
      ++*checks;
      if (check_call(t, k, v, 1, r[i][0], r[i][1], 0, 1, kind, why, why_size)) return 1;
    }
    return 0;
  }
  if (k->N > 1) { /* specialized: its own batch size only, rows split */
    size_t r[3][2] = {{0, v->tiles}, {0, half}, {half, v->tiles}};
    for (int i = 0; i < 3; i++) {
      if (r[i][0] == r[i][1]) continue;
      ++*checks;
      if (check_call(t, k, v, k->N, r[i][0], r[i][1], 0, k->N, kind, why, why_size)) return 1;
    }
    return 0;
  }
  const nlist ns = batch_sizes(kind, quick);
  for (size_t i = 0; i < ns.count && ns.n[i] <= t->nmax; i++) {
    const size_t N = ns.n[i];
    ++*checks;
    if (check_call(t, k, v, N, 0, v->tiles, 0, N, kind, why, why_size)) return 1;
    if (N > 1 && N <= SPLIT_MAX) { /* token split, then row split */
      size_t nh = N / 2;
      *checks += 4;
      if (check_call(t, k, v, N, 0, v->tiles, 0, nh, kind, why, why_size) ||
          check_call(t, k, v, N, 0, v->tiles, nh, N, kind, why, why_size) ||
          (half && check_call(t, k, v, N, 0, half, 0, N, kind, why, why_size)) ||
          check_call(t, k, v, N, half, v->tiles, 0, N, kind, why, why_size))
        return 1;
    }
  }
  return 0;
}

/* All kernels of one shape share the trials' data and reference. */
/* What one run proved: checks per ISA, and kernels whose selected variant
 * went unchecked (a self-check that checked nothing proves nothing). */
enum { MAXISA = 16 };
typedef struct {
  const char *isa[MAXISA];
  long checks[MAXISA];
  size_t nisa;
  long total;
  int unverified_selected;
} vstats;

static void count_checks(vstats *st, const char *isa, long n) {
  size_t i = 0;
  while (i < st->nisa && strcmp(st->isa[i], isa) != 0) i++;
  if (i == st->nisa) {
    if (st->nisa == MAXISA) return;
    st->isa[st->nisa++] = isa;
  }
  st->checks[i] += n;
  st->total += n;
}

static int verify_shape(const bitgen_package *pkg, size_t s, const size_t *selected, int quick,
                        const char *only_isa, FILE *out, vstats *st) {
  const bitgen_shape *sh = &pkg->shapes[s];
  trial t = {.M = sh->M, .K = sh->K, .prows = pkg->prows, .fmt = bitgen_format_by_name(pkg->format)};
  if (!t.fmt) {
    if (out) fprintf(out, "  unknown format %s\n", pkg->format);
    return 1;
  }
  const int block = t.fmt->kind == BITGEN_KIND_BLOCK, tl = t.fmt->kind == BITGEN_KIND_TL;
  const int fp = t.fmt->kind == BITGEN_KIND_FP;
  t.psize = fp ? bitgen_fp_packed_size(t.fmt, t.M, t.K, t.prows)
            : block ? bitgen_blk_packed_size(t.fmt, t.M, t.K, t.prows)
            : tl  ? bitgen_tl_packed_size(t.M, t.K, t.prows)
                  : bitgen_i2s_packed_size(t.M, t.K, t.prows);
  t.nmax = quick ? n_quick[sizeof n_quick / sizeof *n_quick - 1] : n_all[sizeof n_all / sizeof *n_all - 1];
  size_t ids[64], nids = 0;
  ids[nids++] = sh->gemv;
  ids[nids++] = sh->gemm;
  for (size_t b = 0; b < sh->nbatched && nids < 64; b++) {
    ids[nids++] = sh->batched[b];
    if (pkg->kernels[sh->batched[b]].N > t.nmax) t.nmax = pkg->kernels[sh->batched[b]].N;
  }
  t.w = bitgen_alloc(t.M * t.K);
  t.q = bitgen_alloc(t.nmax * t.K);
  t.act = bitgen_alloc(t.nmax * sizeof(bitgen_act));
  t.packed = bitgen_alloc(t.psize);
  t.want = bitgen_alloc(t.nmax * t.M * sizeof(float));
  t.y = bitgen_alloc((t.nmax * t.M + GUARD) * sizeof(float));
  int extra_ok = 1;
  if (block) {
    const size_t nb = t.K / t.fmt->block;
    t.d16 = bitgen_alloc(t.M * nb * sizeof(uint16_t));
    t.wd = bitgen_alloc(t.M * nb * sizeof(float));
    t.ad = bitgen_alloc(t.nmax * nb * sizeof(float));
    t.bsums = bitgen_alloc(t.nmax * t.K / 16 * sizeof(int16_t));
    t.gguf = bitgen_alloc(bitgen_blk_gguf_size(t.fmt, t.M, t.K));
    extra_ok = t.d16 && t.wd && t.ad && t.bsums && t.gguf;
    if (strcmp(t.fmt->name, "q6_k") == 0) extra_ok = extra_ok && (t.sc = bitgen_alloc(t.M * t.K / 16)) != NULL;
    t.wscale = 1.0f;
  } else if (fp) {
    t.gguf = bitgen_alloc(t.M * t.K * 2);
    t.wf = bitgen_alloc(t.M * t.K * sizeof(float));
    t.xf = bitgen_alloc(t.nmax * t.K * sizeof(float));
    extra_ok = t.gguf && t.wf && t.xf;
    t.wscale = 1.0f;
  } else if (tl) {
    t.lut = bitgen_alloc(t.nmax * bitgen_tl_lut_size(t.K) * sizeof(int16_t));
    extra_ok = t.lut != NULL;
  }
  t.acts = (bitgen_acts){t.q, t.ad, t.bsums, t.lut, t.act, t.xf};
  int failures = 0;
  if (!t.w || !t.q || !t.act || !t.packed || !t.want || !t.y || !extra_ok) {
    if (out) fprintf(out, "  shape %zux%zu: out of memory\n", t.M, t.K);
    failures = 1;
    goto done;
  }
  const uint32_t cpu = bitgen_cpu_features();
  enum { MAXV = 64 * 16 };
  int bad[MAXV] = {0}, checks[MAXV] = {0};
  char first_why[200] = "";
  const int trials = WORST + (quick ? 2 : 3);
  uint64_t rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(t.M * 131 + t.K);
  for (int kind = 0; kind < trials; kind++) {
    int rc = prepare(&t, kind, &rng);
    if (rc != BITGEN_OK) {
      if (out) fprintf(out, "  shape %zux%zu: reference failed: %s\n", t.M, t.K, bitgen_strerror(rc));
      failures = 1;
      goto done;
    }
    size_t slot = 0;
    for (size_t i = 0; i < nids; i++) {
      const bitgen_kernel *k = &pkg->kernels[ids[i]];
      for (size_t vi = 0; vi < k->nvariants && slot < MAXV; vi++, slot++) {
        const bitgen_variant *v = &k->variants[vi];
        if ((v->features & cpu) != v->features || bad[slot]) continue;
        if (only_isa && strcmp(v->isa, only_isa) != 0) continue;
        if (check_variant(&t, k, v, quick, kind, &checks[slot], first_why, sizeof first_why)) {
          bad[slot] = 1;
          if (out) fprintf(out, "  %-48s FAIL: %s\n", v->name, first_why);
        }
      }
    }
  }
  size_t slot = 0;
  for (size_t i = 0; i < nids; i++) {
    const bitgen_kernel *k = &pkg->kernels[ids[i]];
    if (out)
      fprintf(out, "%s (M=%zu K=%zu%s) uses %s\n", k->name, k->M, k->K,
              k->N == 1 ? "" : k->N == 0 ? " N=any" : " N=fixed", selected ? k->variants[selected[ids[i]]].isa : "?");
    for (size_t vi = 0; vi < k->nvariants && slot < MAXV; vi++, slot++) {
      const bitgen_variant *v = &k->variants[vi];
      const char *mark = selected && vi == selected[ids[i]] ? " [selected]" : "";
      if ((v->features & cpu) != v->features) {
        char lack[128];
        bitgen_features_string(v->features & ~cpu, lack, sizeof lack);
        if (out) fprintf(out, "  %-48s skipped: CPU lacks %s\n", v->name, lack);
        continue;
      }
      if (only_isa && strcmp(v->isa, only_isa) != 0) {
        if (out) fprintf(out, "  %-48s not checked (only %s)\n", v->name, only_isa);
        continue;
      }
      failures += bad[slot];
      count_checks(st, v->isa, checks[slot]);
      if (out)
        fprintf(out, "  %-48s %s%s (%d checks, bit-exact vs reference)\n", v->name, bad[slot] ? "FAIL" : "ok", mark,
                checks[slot]);
    }
    /* the variant that runs must be one this run proved */
    if (selected) {
      const bitgen_variant *v = &k->variants[selected[ids[i]]];
      const int ran = (v->features & cpu) == v->features && (!only_isa || strcmp(v->isa, only_isa) == 0);
      if (!ran) {
        st->unverified_selected++;
        if (out)
          fprintf(out, "  FAIL: the selected variant %s was not verified in this run%s\n", v->name,
                  (v->features & cpu) != v->features ? " (this CPU cannot run it: dispatcher bug)" : "");
      }
    }
  }
done:
  bitgen_free(t.w), bitgen_free(t.q), bitgen_free(t.act), bitgen_free(t.packed), bitgen_free(t.want);
  bitgen_free(t.y), bitgen_free(t.d16), bitgen_free(t.wd), bitgen_free(t.ad), bitgen_free(t.bsums);
  bitgen_free(t.gguf), bitgen_free(t.lut), bitgen_free(t.sc), bitgen_free(t.wf), bitgen_free(t.xf);
  return failures;
}

int bitgen_verify_package(const bitgen_package *pkg, const size_t *selected, int quick, const char *only_isa,
                          FILE *out) {
  if (!pkg) return 1;
  char feats[256];
  bitgen_features_string(bitgen_cpu_features(), feats, sizeof feats);
  if (out) fprintf(out, "bitgen-verify: model %s, CPU features: %s%s\n", pkg->model, feats, quick ? " (quick)" : "");
  int failures = 0;
  vstats st = {0};
  /* a package of several formats is verified one view (format) at a time:
   * the shapes of the other formats belong to the other views */
  for (size_t s = 0; s < pkg->nshapes; s++)
    if (strcmp(pkg->kernels[pkg->shapes[s].gemv].format, pkg->format) == 0) failures += verify_shape(pkg, s, selected, quick, only_isa, out, &st);
  if (out) {
    fprintf(out, "bitgen-verify: checks per ISA:");
    for (size_t i = 0; i < st.nisa; i++) fprintf(out, " %s %ld%s", st.isa[i], st.checks[i], i + 1 < st.nisa ? "," : "");
    fprintf(out, "%s\n", st.nisa ? "" : " none");
  }
  if (st.total == 0) {
    if (out) fprintf(out, "bitgen-verify: FAILED: no kernel was checked\n");
    return failures + 1;
  }
  failures += st.unverified_selected;
  if (out)
    fprintf(out, "bitgen-verify: %s (%d failing variants, %d selected variants unverified, %ld checks)\n",
            failures ? "FAILED" : "all verified", failures - st.unverified_selected, st.unverified_selected,
            st.total);
  return failures;
}
