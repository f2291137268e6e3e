/* The model runtime of a generated package (templates/model_run.c) and its
 * decoder ops (templates/ops.c) on a tiny model of the package's spec
 * (tests/specs/decoder-*.lua):
 *   - a reference forward pass written here, independently: plain loops in
 *     double precision from the test's own integer weights and scales, the
 *     same int8 activation quantization rules (per token for i2s / tl,
 *     Q8_K-style blocks for the ggml formats, none for f16) and an f16 KV
 *     cache.  It checks every value the runtime quantizes or caches (the
 *     runtime's trace) within float error, follows the runtime's rounding
 *     only where the two values straddle a rounding boundary, and counts
 *     those; logits at every step of a 64-token greedy run agree within
 *     1e-4 of their RMS (float error only, derived below), and the greedy
 *     tokens are the same;
 *   - prefill (one call, and blocks of 5) == token by token, bit for bit;
 *     1, 2, 3 threads and the scalar ISA give the same bits;
 *   - every op's SIMD variants == its scalar variant, bit for bit, and the
 *     fused quantization == the runtime's quantizers;
 *   - errors: a full context, bad tokens, rewind; the sampler.
 * Weights are packed straight into a P_model with the runtime's packers
 * (the loader, P_load, is tested on its own). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include BITGEN_PKG_HEADER
#include "check.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)
#define UP(name) CAT(BITGEN_PKG_UPPER, name)

enum { E = UP(N_EMBD), NH = UP(N_HEAD), NKV = UP(N_HEAD_KV), HD = UP(HEAD_DIM), FF = UP(N_FF), NV = UP(N_VOCAB),
       NCTX = UP(N_CTX), NL = UP(N_LAYER), QD = NH * HD, KVD = NKV * HD };
#define STEPS 64

static uint64_t rs = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}
static double unif(double a, double b) { return a + (b - a) * (double)(rnd() >> 11) * 0x1.0p-53; }
static int irange(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }
static uint16_t f16_bits(double v) {
  _Float16 h = (_Float16)v;
  uint16_t b;
  memcpy(&b, &h, 2);
  return b;
}
static double f16_val(uint16_t b) {
  _Float16 h;
  memcpy(&h, &b, 2);
  return (double)h;
}

/* ---- the test's matrices: its own values, and their packing ---------------- */
enum { K_TERN, K_BLK, K_Q6K, K_FP };
typedef struct {
  int kind;
  size_t M, K, B;
  int8_t *w, *sc;   /* integer weights (q6_k: q) and q6_k sub-scales */
  double *wd;       /* block scales, M x K/B */
  double wscale;    /* ternary */
  double *wf;       /* f16 values */
} rmat;

/* The format of a package matrix, and the pack rows of that format. */
static const char *matrix_format(size_t m, size_t *prows) {
  const bitgen_package *pkg = PKG(package)();
  const char *fmt = pkg->kernels[pkg->shapes[pkg->matrices[m].shape].gemv].format;
  for (size_t i = 0;; i++) {
    const bitgen_package *v = PKG(format_package)(i);
    if (!v) break;
    if (strcmp(v->format, fmt) == 0) *prows = v->prows;
  }
  return fmt;
}

static size_t matrix_index(const char *role) {
  const bitgen_package *pkg = PKG(package)();
  for (size_t m = 0; m < pkg->nmatrices; m++) {
    char t[64];
    snprintf(t, sizeof t, "%s", pkg->matrices[m].name);
    if (strcmp(t, role) == 0) return m;
  }
  return (size_t)-1;
}

static void make_matrix(const char *role, rmat *r, PKG(weight) *out) {
  size_t prows = 0, m = matrix_index(role);
  const char *fmt = matrix_format(m, &prows);
  const bitgen_package *pkg = PKG(package)();
  const bitgen_format *f = bitgen_format_by_name(fmt);
  const size_t M = pkg->shapes[pkg->matrices[m].shape].M, K = pkg->shapes[pkg->matrices[m].shape].K;
  memset(r, 0, sizeof *r);
  r->M = M;
  r->K = K;
  size_t psize = 0;
  void *packed = NULL;
  int rc = -100;
  float scale = 1.0f;
  if (f->kind == BITGEN_KIND_I2S || f->kind == BITGEN_KIND_TL) {
    r->kind = K_TERN;
    r->w = malloc(M * K);
    for (size_t i = 0; i < M * K; i++) r->w[i] = (int8_t)irange(-1, 1);
    scale = (float)unif(0.05, 0.15);
    r->wscale = scale;
    psize = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_packed_size(M, K, prows) : bitgen_tl_packed_size(M, K, prows);
    packed = PKG(alloc)(psize);
    rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_pack_ternary(M, K, prows, r->w, packed, psize)
                                    : bitgen_tl_pack_ternary(M, K, prows, r->w, packed, psize);
  } else if (f->kind == BITGEN_KIND_BLOCK) {
    const int q6 = strcmp(fmt, "q6_k") == 0;
    r->kind = q6 ? K_Q6K : K_BLK;
    r->B = f->block;
    r->w = malloc(M * K);
    r->wd = malloc(M * K / r->B * sizeof(double));
    uint16_t *d16 = malloc(M * K / r->B * 2);
    const double base = q6 ? 0.001 : f->vmax <= 8 ? 0.02 : 0.001;
    for (size_t i = 0; i < M * K / r->B; i++) {
      d16[i] = f16_bits(unif(0.5, 1.5) * base);
      r->wd[i] = f16_val(d16[i]);
    }
    for (size_t i = 0; i < M * K; i++) r->w[i] = (int8_t)(q6 ? irange(-32, 31) : irange(f->vmin, f->vmax));
    const size_t gsize = bitgen_blk_gguf_size(f, M, K);
    uint8_t *src = malloc(gsize);
    if (q6) {
      r->sc = malloc(M * K / 16);
      for (size_t i = 0; i < M * K / 16; i++) r->sc[i] = (int8_t)(irange(4, 16) * (rnd() & 1 ? 1 : -1));
      rc = bitgen_q6k_encode_gguf(M, K, r->w, r->sc, d16, src, gsize);
    } else {
      rc = bitgen_blk_encode_gguf(f, M, K, r->w, d16, src, gsize);
    }
    psize = bitgen_blk_packed_size(f, M, K, prows);
    packed = PKG(alloc)(psize);
    if (rc == BITGEN_OK) rc = bitgen_blk_pack_gguf(f, M, K, prows, src, gsize, packed, psize);
    free(src);
    free(d16);
  } else {
    r->kind = K_FP;
    r->wf = malloc(M * K * sizeof(double));
    uint8_t *src = malloc(M * K * 2);
    for (size_t i = 0; i < M * K; i++) {
      const uint16_t b = f16_bits(unif(-0.1, 0.1));
      r->wf[i] = f16_val(b);
      src[2 * i] = (uint8_t)b;
      src[2 * i + 1] = (uint8_t)(b >> 8);
    }
    psize = bitgen_fp_packed_size(f, M, K, prows);
    packed = PKG(alloc)(psize);
    rc = bitgen_fp_pack_gguf(f, M, K, prows, src, M * K * 2, packed, psize);
    free(src);
  }
  if (rc != BITGEN_OK) {
    printf("Bail out: packing %s (%s): %s\n", role, fmt, PKG(strerror)(rc));
    exit(1);
  }
  out->data = packed;
  out->size = psize;
  out->shape = pkg->matrices[m].shape;
  out->scale = scale;
  out->format = fmt;
}

static void free_matrix(rmat *r, PKG(weight) *w) {
  free(r->w);
  free(r->sc);
  free(r->wd);
  free(r->wf);
  PKG(free)((void *)w->data);
}

/* weight (i, k) as a value, and as the integer the kernels multiply */
static double wval(const rmat *r, size_t i, size_t k) {
  const size_t e = i * r->K + k;
  if (r->kind == K_TERN) return r->w[e] * r->wscale;
  if (r->kind == K_FP) return r->wf[e];
  if (r->kind == K_Q6K) return r->wd[e / r->B] * r->sc[e / 16] * r->w[e];
  return r->wd[e / r->B] * r->w[e];
}

/* ---- following the runtime's roundings ----------------------------------- */
/* The runtime and the reference compute the same values, in float and in
 * double.  Where a value lies that close to a rounding boundary (an int8
 * code's half-integer, an f16 midpoint of the KV cache), the two may round
 * it to neighbouring codes; the difference is then one quantum, not float
 * noise, and the f16 cache or the next int8 quantization carries it on (one
 * flipped code of a 256-wide int8 activation moves every output of the
 * next matmul by up to wscale / s, ~3e-3; the quantization after it turns
 * that into several flips, and so on: 0.1 of the logits' RMS two layers
 * later).  So the runtime traces (P_ctx_set_trace) every value it quantizes
 * or stores in the cache, with its codes and f16 bits, and the reference
 * checks each site: the runtime's values within RHO of the largest
 * magnitude of the reference's (float error: measured below 2e-6), its
 * codes the rounding of its values, and where a code differs from the
 * reference's, the two values on either side of the half-integer between
 * them and the reference's within EPS_Q of it; there the reference takes
 * the runtime's code (counted), anywhere else a different code fails.
 * EPS_Q follows from RHO: x s moves by 127 RHO with x and by as much with
 * the scale, 254 RHO = 2.5e-3 of a step per token (a block's is scaled by
 * the vector's largest over the block's largest).  The f16 cache: ref_kv.
 * What remains between runtime and reference is float error. */
#define RHO 1e-5 /* runtime vs reference values at a site, relative to their largest magnitude */
#define EPS_Q (254 * RHO) /* a followed value's distance from its half-integer, in steps */
enum { NS = UP(NUM_TRACE_SITES), NMAXV = E > FF ? (E > QD ? E : QD) : (FF > QD ? FF : QD) };
static const char *const site_name[NS] = {"attn_norm", "attn_out", "ffn_norm", "ffn_out", "out_norm", "k", "v"};

typedef struct {
  int seen, has_q, has_f16;
  size_t n;
  float x[NMAXV];
  int8_t q[NMAXV];
  uint16_t f16[KVD];
} tevent;
static tevent tev[NL + 1][NS]; /* the step's trace */
static size_t trace_pos, trace_bad;

static void on_trace(void *user, const PKG(trace) *ev) {
  (void)user;
  if (ev->site < 0 || ev->site >= NS || ev->layer > NL || ev->n > NMAXV || ev->pos != trace_pos ||
      tev[ev->layer][ev->site].seen) {
    trace_bad++;
    return;
  }
  tevent *e = &tev[ev->layer][ev->site];
  e->seen = 1;
  e->n = ev->n;
  memcpy(e->x, ev->x, ev->n * sizeof(float));
  e->has_q = ev->q != NULL;
  if (ev->q) memcpy(e->q, ev->q, ev->n);
  e->has_f16 = ev->f16 != NULL && ev->n <= KVD;
  if (e->has_f16) memcpy(e->f16, ev->f16, ev->n * 2);
}

static struct {
  size_t step;
  size_t codes, halves;         /* roundings followed: int8 codes, f16 cache values */
  double code_dist, half_dist;  /* the largest distance of a followed value from its boundary */
  double rho[NS];               /* the largest runtime-vs-reference error per site */
} fl;

/* The runtime's values of site (layer) against the reference's x: max |x_rt
 * - x| <= RHO max |x|.  The event, or NULL when there is none. */
static const tevent *site_event(int site, size_t layer, const double *x, size_t n) {
  const tevent *e = &tev[layer][site];
  if (!CHECK(e->seen && e->n == n, "step %zu layer %zu %s: no trace of %zu values", fl.step, layer, site_name[site], n))
    return NULL;
  double amax = 0, md = 0;
  for (size_t i = 0; i < n; i++) {
    amax = fmax(amax, fabs(x[i]));
    md = fmax(md, fabs(x[i] - e->x[i]));
  }
  const double rho = md / (amax > 0 ? amax : 1);
  fl.rho[site] = fmax(fl.rho[site], rho);
  CHECK(rho <= RHO, "step %zu layer %zu %s: runtime values off by %.3g of their largest (bound %.0e)", fl.step, layer,
        site_name[site], rho, RHO);
  return e;
}

/* q: the reference's code for v (its value times its scale), qt the
 * runtime's for vt (its float value times its float scale).  The runtime's
 * code is taken where v and vt lie on either side of the half-integer
 * between the two (or vt on it) and v within eps of it; elsewhere a
 * different code counts in bad. */
static double follow_code(double q, int qt, double v, float vt, double eps, size_t k, int site, size_t layer,
                          size_t *bad) {
  if (q == qt) return q;
  const double b = (q + qt) / 2.0;
  if (fabs(q - qt) != 1 || (v - b) * ((double)vt - b) > 0 || fabs(v - b) > eps) {
    ++*bad;
    return q;
  }
  fl.codes++;
  fl.code_dist = fmax(fl.code_dist, fabs(v - b));
  if (getenv("DECODER_VERBOSE"))
    printf("     step %zu layer %zu %s [%zu]: runtime %.7f -> %d, reference %.7f -> %g: followed\n", fl.step, layer,
           site_name[site], k, (double)vt, qt, v, q);
  return qt;
}

/* An activation as the consumer matrix's kernels read it: int8 per token
 * (i2s, tl: scale s), int8 blocks of r->B (ggml formats: ad = 1 / iscale
 * per block) or the values themselves (f16 weights). */
typedef struct {
  double x[NMAXV], q[NMAXV], ad[NMAXV], s;
} ract;

/* x (n values) of site (layer) quantized for r by the runtime's rules,
 * following the runtime's codes at rounding boundaries. */
static void ref_act(const double *x, size_t n, const rmat *r, int site, size_t layer, ract *a) {
  const tevent *e = site_event(site, layer, x, n);
  memcpy(a->x, x, n * sizeof(double));
  if (r->kind == K_FP) {
    CHECK(!e || !e->has_q, "%s: int8 codes for an f16 matrix", site_name[site]);
    return;
  }
  if (e && !CHECK(e->has_q, "step %zu layer %zu %s: no codes", fl.step, layer, site_name[site])) e = NULL;
  size_t bad = 0, inconsistent = 0;
  double vmax = 0;
  for (size_t k = 0; k < n; k++) vmax = fmax(vmax, fabs(x[k]));
  if (r->kind == K_TERN) { /* s = 127 / max(1e-5, max|x|), q = clamp(rint(x s), -128, 127) */
    double amax = 1e-5;
    float famax = 1e-5f;
    for (size_t k = 0; k < n; k++) {
      amax = fmax(amax, fabs(x[k]));
      if (e) famax = fmaxf(famax, fabsf(e->x[k]));
    }
    a->s = 127.0 / amax;
    const float st = 127.0f / famax; /* the runtime's scale, from its own values */
    for (size_t k = 0; k < n; k++) {
      const double v = x[k] * a->s;
      a->q[k] = fmin(127, fmax(-128, rint(v)));
      if (!e) continue;
      const float vt = e->x[k] * st;
      inconsistent += e->q[k] != (int)fminf(127, fmaxf(-128, nearbyintf(vt)));
      a->q[k] = follow_code(a->q[k], e->q[k], v, vt, EPS_Q, k, site, layer, &bad);
    }
  } else { /* blocks: iscale = -127 / (the first value of largest magnitude), q = min(127, rint(iscale x)) */
    const size_t B = r->B;
    for (size_t b = 0; b < n / B; b++) {
      size_t at = b * B, att = b * B;
      for (size_t k = b * B; k < b * B + B; k++) {
        if (fabs(x[k]) > fabs(x[at])) at = k;
        if (e && fabsf(e->x[k]) > fabsf(e->x[att])) att = k;
      }
      const double is = x[at] != 0 ? -127.0 / x[at] : 0;
      const float ist = e && e->x[att] != 0.0f ? -127.0f / e->x[att] : 0.0f;
      for (size_t k = b * B; k < b * B + B; k++) {
        const double v = is * x[k];
        a->q[k] = fmin(127, rint(v));
        if (!e) continue;
        const float vt = ist * e->x[k];
        inconsistent += e->q[k] != (int)fminf(127, nearbyintf(vt));
        a->q[k] = follow_code(a->q[k], e->q[k], v, vt, EPS_Q * vmax / fabs(x[at]), k, site, layer, &bad);
      }
      a->ad[b] = is != 0 ? 1.0 / is : 0;
    }
  }
  CHECK(inconsistent == 0, "step %zu layer %zu %s: %zu runtime codes are not the rounding of its traced values",
        fl.step, layer, site_name[site], inconsistent);
  CHECK(bad == 0, "step %zu layer %zu %s: %zu codes differ from the reference's away from a rounding boundary",
        fl.step, layer, site_name[site], bad);
}

/* k or v of one token (KVD values) as the f16 cache holds it.  The
 * runtime's f16 bits must be the rounding of its traced values (which
 * site_event checked within RHO of the reference's); the reference then
 * caches the runtime's f16 values, so its cache is the runtime's.  Those
 * that differ from its own rounding are counted: a value at an f16 midpoint,
 * or one so small that the float error spans f16 steps (f16 steps shrink
 * with the value, the float error does not). */
static void ref_kv(int site, size_t layer, const double *x, double *cache) {
  const tevent *e = site_event(site, layer, x, KVD);
  if (e && !CHECK(e->has_f16, "step %zu layer %zu %s: no f16 bits", fl.step, layer, site_name[site])) e = NULL;
  size_t inconsistent = 0;
  double amax = 0;
  for (size_t i = 0; i < KVD; i++) amax = fmax(amax, fabs(x[i]));
  for (size_t i = 0; i < KVD; i++) {
    uint16_t h = f16_bits(x[i]);
    if (e) {
      inconsistent += e->f16[i] != f16_bits(e->x[i]);
      if (h != e->f16[i]) {
        fl.halves++;
        fl.half_dist = fmax(fl.half_dist, fabs(f16_val(h) - f16_val(e->f16[i])) / amax);
        if (getenv("DECODER_VERBOSE"))
          printf("     step %zu layer %zu %s [%zu]: runtime %.9g -> %.9g, reference %.12g -> %.9g: followed\n", fl.step,
                 layer, site_name[site], i, (double)e->x[i], f16_val(e->f16[i]), x[i], f16_val(h));
        h = e->f16[i];
      }
    }
    cache[i] = f16_val(h);
  }
  CHECK(inconsistent == 0, "step %zu layer %zu %s: %zu cached f16 are not the rounding of the traced values", fl.step,
        layer, site_name[site], inconsistent);
}

/* ---- the reference forward pass (double) ---------------------------------- */
/* y = W a: the integer dot products times the weight and activation scales. */
static void ref_mm(const rmat *r, const ract *a, double *y) {
  const size_t M = r->M, K = r->K;
  for (size_t i = 0; i < M; i++) {
    double s = 0;
    if (r->kind == K_FP) {
      for (size_t k = 0; k < K; k++) s += r->wf[i * K + k] * a->x[k];
    } else if (r->kind == K_TERN) {
      for (size_t k = 0; k < K; k++) s += r->w[i * K + k] * a->q[k];
      s = s * r->wscale / a->s;
    } else {
      const size_t B = r->B;
      for (size_t b = 0; b < K / B; b++) {
        double d = 0;
        for (size_t k = b * B; k < b * B + B; k++)
          d += (r->kind == K_Q6K ? r->sc[(i * K + k) / 16] * r->w[i * K + k] : r->w[i * K + k]) * a->q[k];
        s += d * r->wd[(i * K) / B + b] * a->ad[b];
      }
    }
    y[i] = s;
  }
}

static void ref_norm(const double *x, const float *w, size_t n, double eps, double *y) {
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += x[i] * x[i];
  const double r = 1.0 / sqrt(ss / (double)n + eps);
  for (size_t i = 0; i < n; i++) y[i] = x[i] * r * (w ? w[i] : 1.0);
}

static void ref_rope(double *v, size_t heads, size_t pos) {
  const int neox = strcmp(UP(ROPE_TYPE), "neox") == 0;
  for (size_t h = 0; h < heads; h++)
    for (size_t i = 0; i < HD / 2; i++) {
      const double a = (double)pos * pow(UP(ROPE_THETA), -2.0 * (double)i / HD), c = cos(a), s = sin(a);
      const size_t i0 = h * HD + (neox ? i : 2 * i), i1 = i0 + (neox ? HD / 2 : 1);
      const double x0 = v[i0], x1 = v[i1];
      v[i0] = x0 * c - x1 * s;
      v[i1] = x0 * s + x1 * c;
    }
}

typedef struct {
  rmat m[NL][7], emb, out;
  PKG(model) model;
  float *norms;
  double *kc, *vc; /* [NL][NCTX][KVD], f16-rounded */
} tmodel;

static const char *const roles[7] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

static void build_model(tmodel *t) {
  memset(&t->model, 0, sizeof t->model);
  t->norms = malloc((NL * (3 * E + FF) + E) * sizeof(float));
  for (size_t i = 0; i < NL * (3 * E + FF) + E; i++) t->norms[i] = (float)unif(0.5, 1.5);
  for (size_t l = 0; l < NL; l++) {
    PKG(layer) *L = &t->model.layer[l];
    PKG(weight) *ws[7] = {&L->attn_q, &L->attn_k, &L->attn_v, &L->attn_output, &L->ffn_gate, &L->ffn_up,
                          &L->ffn_down};
    for (int j = 0; j < 7; j++) make_matrix(roles[j], &t->m[l][j], ws[j]);
    float *n = t->norms + l * (3 * E + FF);
    L->attn_norm = n;
    L->attn_sub_norm = UP(SUB_NORMS) ? n + E : NULL;
    L->ffn_norm = n + 2 * E;
    L->ffn_sub_norm = UP(SUB_NORMS) ? n + 3 * E : NULL;
  }
  t->model.output_norm = t->norms + NL * (3 * E + FF);
  make_matrix("token_embd", &t->emb, &t->model.token_embd);
  if (UP(TIED_EMBEDDINGS)) {
    t->out = t->emb;
    t->model.output = t->model.token_embd;
    t->model.tied = 1;
  } else {
    make_matrix("output", &t->out, &t->model.output);
  }
  t->kc = calloc((size_t)NL * NCTX * KVD, sizeof(double));
  t->vc = calloc((size_t)NL * NCTX * KVD, sizeof(double));
}

static void free_model(tmodel *t) {
  for (size_t l = 0; l < NL; l++) {
    PKG(layer) *L = &t->model.layer[l];
    PKG(weight) *ws[7] = {&L->attn_q, &L->attn_k, &L->attn_v, &L->attn_output, &L->ffn_gate, &L->ffn_up,
                          &L->ffn_down};
    for (int j = 0; j < 7; j++) free_matrix(&t->m[l][j], ws[j]);
  }
  free_matrix(&t->emb, &t->model.token_embd);
  if (!UP(TIED_EMBEDDINGS)) free_matrix(&t->out, &t->model.output);
  free(t->norms);
  free(t->kc);
  free(t->vc);
}

/* One token at pos through the reference, checked against and following
 * the runtime's trace of the same token (tev); logits: NV doubles. */
static void ref_token(tmodel *t, int32_t tok, size_t pos, double *logits) {
  static double x[E], h[E], q[QD], k[KVD], v[KVD], a[QD], o[E], g[FF], u[FF], f[FF], sc[NCTX];
  static ract act;
  const double eps = UP(NORM_EPS);
  enum { AN = UP(TRACE_ATTN_NORM), AO = UP(TRACE_ATTN_OUT), FN = UP(TRACE_FFN_NORM), FO = UP(TRACE_FFN_OUT) };
  for (size_t i = 0; i < E; i++) x[i] = wval(&t->emb, (size_t)tok, i);
  for (size_t l = 0; l < NL; l++) {
    const PKG(layer) *L = &t->model.layer[l];
    ref_norm(x, L->attn_norm, E, eps, h);
    ref_act(h, E, &t->m[l][0], AN, l, &act);
    ref_mm(&t->m[l][0], &act, q);
    ref_mm(&t->m[l][1], &act, k);
    ref_mm(&t->m[l][2], &act, v);
    ref_rope(q, NH, pos);
    ref_rope(k, NKV, pos);
    double *kc = t->kc + ((size_t)l * NCTX) * KVD, *vc = t->vc + ((size_t)l * NCTX) * KVD;
    ref_kv(UP(TRACE_K), l, k, kc + pos * KVD);
    ref_kv(UP(TRACE_V), l, v, vc + pos * KVD);
    for (size_t hh = 0; hh < NH; hh++) {
      const size_t kv = hh / (NH / NKV) * HD;
      double m = -INFINITY, sum = 0;
      for (size_t p = 0; p <= pos; p++) {
        double s = 0;
        for (size_t d = 0; d < HD; d++) s += q[hh * HD + d] * kc[p * KVD + kv + d];
        sc[p] = s / sqrt((double)HD);
        m = fmax(m, sc[p]);
      }
      for (size_t p = 0; p <= pos; p++) sum += (sc[p] = exp(sc[p] - m));
      for (size_t d = 0; d < HD; d++) {
        double s = 0;
        for (size_t p = 0; p <= pos; p++) s += sc[p] * vc[p * KVD + kv + d];
        a[hh * HD + d] = s / sum;
      }
    }
    if (UP(SUB_NORMS)) ref_norm(a, L->attn_sub_norm, QD, eps, a);
    ref_act(a, QD, &t->m[l][3], AO, l, &act);
    ref_mm(&t->m[l][3], &act, o);
    for (size_t i = 0; i < E; i++) x[i] += o[i];
    ref_norm(x, L->ffn_norm, E, eps, h);
    ref_act(h, E, &t->m[l][4], FN, l, &act);
    ref_mm(&t->m[l][4], &act, g);
    ref_mm(&t->m[l][5], &act, u);
    for (size_t i = 0; i < FF; i++)
      f[i] = (strcmp(UP(FFN_ACT), "relu2") == 0 ? (g[i] > 0 ? g[i] * g[i] : 0) : g[i] / (1 + exp(-g[i]))) * u[i];
    if (UP(SUB_NORMS)) ref_norm(f, L->ffn_sub_norm, FF, eps, f);
    ref_act(f, FF, &t->m[l][6], FO, l, &act);
    ref_mm(&t->m[l][6], &act, o);
    for (size_t i = 0; i < E; i++) x[i] += o[i];
  }
  ref_norm(x, t->model.output_norm, E, eps, h);
  ref_act(h, E, &t->out, UP(TRACE_OUT_NORM), NL, &act);
  ref_mm(&t->out, &act, logits);
}

static size_t argmax_f(const float *l) {
  size_t b = 0;
  for (size_t i = 1; i < NV; i++)
    if (l[i] > l[b]) b = i;
  return b;
}

static PKG(ctx) *make_ctx(tmodel *t, size_t threads, size_t n_batch) {
  PKG(ctx_options) o = {0};
  o.n_threads = threads;
  o.n_batch = n_batch;
  PKG(ctx) *c = NULL;
  int rc = PKG(ctx_create)(&t->model, &o, &c);
  if (rc != BITGEN_OK) {
    printf("Bail out: ctx_create: %s\n", PKG(strerror)(rc));
    exit(1);
  }
  return c;
}

/* Token by token: the logits of each step (STEPS x NV), the greedy tokens. */
static void run_steps(tmodel *t, size_t threads, int32_t *toks, float *logits) {
  PKG(ctx) *c = make_ctx(t, threads, 0);
  for (size_t s = 0; s < STEPS; s++) {
    int rc = PKG(eval)(c, &toks[s], 1, logits + s * NV);
    CHECK(rc == BITGEN_OK, "eval step %zu: %s", s, PKG(strerror)(rc));
    toks[s + 1] = (int32_t)argmax_f(logits + s * NV);
  }
  PKG(ctx_free)(c);
}

/* ---- the ops: SIMD variants against scalar -------------------------------- */
static void fill(float *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)unif(lo, hi);
}

static int same(const void *a, const void *b, size_t n) { return memcmp(a, b, n) == 0; }

static void test_ops(void) {
  group_begin("ops: SIMD == scalar");
  enum { MAXN = 1 << 16 };
  static float x0[MAXN], b[MAXN], w[MAXN], x[2][MAXN], h[2][MAXN], sc[2][MAXN], out[2][MAXN];
  static int8_t q[2][MAXN];
  static float d[2][MAXN];
  static int16_t bs[2][MAXN], ktab[MAXN], vtab[MAXN];
  static uint16_t kc[MAXN], vc[MAXN], f16[2][MAXN];
  const uint32_t cpu = bitgen_cpu_features();
  size_t ran = 0;
  (void)bs;
  for (size_t o = 0; o < UP(NUM_OPS); o++) {
    const PKG(op_table) *tb = PKG(op_table_get)(o);
    const PKG(op_variant) *sv = &tb->variants[tb->nvariants - 1];
    CHECK(strcmp(sv->isa, "scalar") == 0, "%s: last variant is %s", tb->name, sv->isa);
    for (size_t vi = 0; vi + 1 < tb->nvariants; vi++) {
      const PKG(op_variant) *v = &tb->variants[vi];
      if ((v->features & cpu) != v->features) {
        printf("     %s: this CPU cannot run it (skipped)\n", v->name);
        continue;
      }
      ran++;
      for (int trial = 0; trial < 12; trial++) {
        const double mag = trial % 4 == 0 ? 1e-30 : trial % 4 == 1 ? 1.0 : trial % 4 == 2 ? 100.0 : 1e4;
        if (strcmp(tb->kind, "normq") == 0) {
          PKG(op_normq_fn) fn[2] = {(PKG(op_normq_fn))sv->fn, (PKG(op_normq_fn))v->fn};
          int rc[2];
          bitgen_act act[2];
          fill(x0, MAXN / 4, -mag, mag);
          fill(b, MAXN / 4, -mag, mag);
          fill(w, MAXN / 4, 0.5, 1.5);
          if (trial == 11) x0[3] = b[3] = NAN; /* relu2 maps a NaN gate to 0: the up value carries it */
          if (trial == 10)
            for (size_t i = 0; i < MAXN / 4; i++) x0[i] = 0.0f;
          for (int s = 0; s < 2; s++) {
            memcpy(x[s], x0, MAXN / 4 * sizeof(float));
            memset(h[s], 0, sizeof h[s]);
            memset(q[s], 0, sizeof q[s]);
            memset(d[s], 0, sizeof d[s]);
            memset(bs[s], 0, sizeof bs[s]);
            memset(&act[s], 0, sizeof act[s]);
            /* b: the residual (may be NULL) or the up projection (required) */
            const int add = strncmp(tb->name, "add_", 4) == 0;
            rc[s] = fn[s](x[s], add && !(trial & 1) ? NULL : b, w, h[s], q[s], &act[s], d[s], bs[s]);
          }
          CHECK(rc[0] == rc[1], "%s trial %d: status %d vs %d", v->name, trial, rc[1], rc[0]);
          CHECK(same(x[0], x[1], sizeof x[0]) && same(h[0], h[1], sizeof h[0]) && same(q[0], q[1], sizeof q[0]) &&
                    same(d[0], d[1], sizeof d[0]) && same(bs[0], bs[1], sizeof bs[0]) &&
                    same(&act[0], &act[1], sizeof act[0]),
                "%s trial %d: outputs differ from scalar", v->name, trial);
          if (trial == 11) CHECK(rc[0] == BITGEN_E_VALUE, "%s: NaN gives %d", v->name, rc[0]);
        } else if (strcmp(tb->kind, "rope") == 0) {
          PKG(op_rope_fn) fn[2] = {(PKG(op_rope_fn))sv->fn, (PKG(op_rope_fn))v->fn};
          fill(x0, NH * HD, -mag, mag);
          fill(w, HD, -1, 1);
          for (int s = 0; s < 2; s++) {
            memcpy(x[s], x0, NH * HD * sizeof(float));
            fn[s](x[s], w);
          }
          CHECK(same(x[0], x[1], NH * HD * sizeof(float)), "%s trial %d differs", v->name, trial);
        } else if (strcmp(tb->kind, "f16store") == 0) {
          PKG(op_f16store_fn) fn[2] = {(PKG(op_f16store_fn))sv->fn, (PKG(op_f16store_fn))v->fn};
          fill(x0, KVD, -mag * 10, mag * 10); /* 1e5: beyond f16, Inf */
          for (int s = 0; s < 2; s++) fn[s](x0, f16[s]);
          CHECK(same(f16[0], f16[1], KVD * 2), "%s trial %d differs", v->name, trial);
        } else {
          /* nq queries (rows QD apart) of the NH / NKV heads of one KV head, query
           * i over positions [0, npos + i); keys in blocks of 16 positions */
          PKG(op_attn_fn) fn[2] = {(PKG(op_attn_fn))sv->fn, (PKG(op_attn_fn))v->fn};
          const size_t ld = 208, nq = trial < 2 ? 1 : 1 + rnd() % 9;
          const size_t npos = trial == 0 ? 1 : trial == 1 ? 16 : 1 + rnd() % (ld - nq + 1);
          for (size_t i = 0; i < HD * ld; i++) kc[i] = f16_bits(unif(-2, 2));
          for (size_t i = 0; i < ld * HD; i++) vc[i] = f16_bits(unif(-2, 2));
          fill(x0, nq * QD, -mag > -8 ? -mag : -8, mag < 8 ? mag : 8);
          for (int s = 0; s < 2; s++) {
            memset(out[s], 0, nq * QD * sizeof(float));
            fn[s](x0, nq, QD, kc, vc, npos, sc[s], ld, out[s]);
          }
          CHECK(same(out[0], out[1], nq * QD * sizeof(float)), "%s nq %zu npos %zu differs", v->name, nq, npos);
          /* a block of queries gives each one's bits alone (the op blocks them in registers) */
          for (int s = 0; s < 2; s++) {
            memset(h[s], 0, nq * QD * sizeof(float));
            for (size_t i = 0; i < nq; i++) fn[s](x0 + i * QD, 1, QD, kc, vc, npos + i, sc[s], ld, h[s] + i * QD);
            CHECK(same(h[s], out[s], nq * QD * sizeof(float)), "%s: %zu queries at once differ from one by one (npos %zu)",
                  s ? v->name : sv->name, nq, npos);
          }
        }
      }
    }
  }
  (void)ktab, (void)vtab;
  printf("     %zu SIMD op variants compared\n", ran);
  group_end();

  /* the fused quantization is the runtime's: the scalar op's h quantized by
   * bitgen_quantize_scalar / bitgen_quantize_blocks gives its q, act, d, bsums */
  group_begin("ops: quantizer rules");
  for (size_t o = 0; o < UP(NUM_OPS); o++) {
    const PKG(op_table) *tb = PKG(op_table_get)(o);
    if (strcmp(tb->kind, "normq") != 0) continue;
    size_t n = 0, blk = 0;
    char out_kind[16] = "";
    const char *p = strchr(tb->name, '_');
    p = strchr(p + 1, '_');
    sscanf(p + 1, "%zu_%15s", &n, out_kind);
    if (out_kind[0] == 'b') blk = (size_t)atoi(out_kind + 1);
    PKG(op_normq_fn) fn = (PKG(op_normq_fn))tb->variants[tb->nvariants - 1].fn;
    for (int trial = 0; trial < 8; trial++) {
      bitgen_act act, ract;
      fill(x0, n, -3, 3);
      fill(b, n, -3, 3);
      fill(w, n, 0.5, 1.5);
      CHECK(fn(x0, b, w, h[0], q[0], &act, d[0], bs[0]) == BITGEN_OK, "%s", tb->name);
      const float *src = strncmp(tb->name, "none_plain", 10) == 0 ? x0 : h[0]; /* what was quantized */
      if (strcmp(out_kind, "tok") == 0) {
        CHECK(bitgen_quantize_scalar(src, 1, n, q[1], &ract) == BITGEN_OK, "quantize");
        CHECK(same(q[0], q[1], n) && act.scale == ract.scale && act.sum == ract.sum, "%s: != bitgen_quantize",
              tb->name);
      } else if (blk) {
        CHECK(bitgen_quantize_blocks(src, 1, n, blk, q[1], d[1], bs[1]) == BITGEN_OK, "quantize_blocks");
        CHECK(same(q[0], q[1], n) && same(d[0], d[1], n / blk * 4) && same(bs[0], bs[1], n / 16 * 2),
              "%s: != bitgen_quantize_blocks", tb->name);
      }
    }
  }
  group_end();
}

/* ---- the model ---------------------------------------------------------- */
int main(void) {
  int rc = PKG(init)();
  (void)report_paths;
  if (rc != BITGEN_OK) {
    printf("SKIP: init: %s\n", PKG(strerror)(rc));
    return 77;
  }
  printf("model %s (%s), %d layers, n_embd %d, heads %d/%d, n_ff %d, vocab %d\n", UP(ARCH), PKG(package)()->format,
         NL, E, NH, NKV, FF, NV);
  test_ops();

  static tmodel t;
  build_model(&t);
  static float logits[STEPS * NV], lg2[STEPS * NV];
  static double ref[NV];
  static int32_t toks[STEPS + 1], toks2[STEPS + 1];

  /* Tolerance.  With the roundings followed (above: each one checked and
   * counted), runtime and reference multiply the same int8 codes into the
   * logits (an f16 output layer: f32 activations within RHO), so the logits
   * differ by float error only.  An int8 output activation's scale is
   * within 2 RHO relative, which moves logit y by 2 RHO |y|, and max |y| is
   * about 4 RMS for these 512 logits; f32 activations within RHO of their
   * largest (about 4 RMS) move a logit by a sum of random-sign terms of the
   * same size.  So the bound is LOGIT_TOL = 10 RHO = 1e-4 of the RMS at
   * every step (measured: below 3e-6; before the roundings were followed,
   * one f16 or int8 flip cost up to 0.12 RMS).  Greedy tokens: the
   * runtime's must be the reference's argmax wherever the reference's top
   * two are further apart than twice the step's error (every step here). */
  group_begin("reference: 64 greedy steps");
  const double LOGIT_TOL = 10 * RHO;
  double worst = 0;
  int ties = 0;
  {
    PKG(ctx) *c = make_ctx(&t, 1, 0);
    CHECK(PKG(ctx_set_trace)(c, on_trace, NULL) == BITGEN_OK, "set_trace");
    toks[0] = 1;
    for (size_t s = 0; s < STEPS; s++) {
      memset(tev, 0, sizeof tev);
      trace_pos = s;
      rc = PKG(eval)(c, &toks[s], 1, logits + s * NV);
      CHECK(rc == BITGEN_OK, "eval step %zu: %s", s, PKG(strerror)(rc));
      toks[s + 1] = (int32_t)argmax_f(logits + s * NV);
      fl.step = s;
      ref_token(&t, toks[s], s, ref);
      double rms = 0, err = 0;
      size_t rb = 0, r2 = NV;
      for (size_t i = 0; i < NV; i++) {
        rms += ref[i] * ref[i];
        err = fmax(err, fabs(ref[i] - logits[s * NV + i]));
        if (ref[i] > ref[rb]) rb = i;
      }
      for (size_t i = 0; i < NV; i++)
        if (i != rb && (r2 == NV || ref[i] > ref[r2])) r2 = i;
      rms = sqrt(rms / NV);
      worst = fmax(worst, err / rms);
      if (getenv("DECODER_VERBOSE"))
        printf("     step %zu: max err / rms %.3g, ref top-2 gap / rms %.4f\n", s, err / rms,
               (ref[rb] - ref[r2]) / rms);
      CHECK(err <= LOGIT_TOL * rms, "step %zu: max |logit - ref| = %.3g RMS > %.0e", s, err / rms, LOGIT_TOL);
      if (ref[rb] - ref[r2] > 2 * err)
        CHECK((size_t)toks[s + 1] == rb, "step %zu: greedy token %d, reference %zu", s, toks[s + 1], rb);
      else
        ties++;
    }
    CHECK(trace_bad == 0, "%zu unexpected trace events", trace_bad);
    PKG(ctx_set_trace)(c, NULL, NULL);
    PKG(ctx_free)(c);
  }
  printf("     max|logit - ref| / RMS(ref): worst step %.2g (bound %.0e); greedy checked at %d of %d steps\n", worst,
         LOGIT_TOL, STEPS - ties, STEPS);
  printf("     runtime vs reference per site, of the largest magnitude (bound %.0e):", RHO);
  for (int i = 0; i < NS; i++) printf(" %s %.2g", site_name[i], fl.rho[i]);
  printf("\n     roundings followed at a boundary: %zu int8 codes (at most %.2g of a step from the half-integer),"
         " %zu f16 cache values (they differ by at most %.2g of the largest)\n",
         fl.codes, fl.code_dist, fl.halves, fl.half_dist);
  group_end();

  group_begin("threads 2, 3 == 1");
  for (size_t th = 2; th <= 3; th++) {
    toks2[0] = toks[0];
    run_steps(&t, th, toks2, lg2);
    CHECK(same(logits, lg2, sizeof logits) && same(toks, toks2, sizeof toks), "%zu threads differ", th);
  }
  group_end();

  group_begin("prefill == token by token");
  {
    const size_t batches[] = {0, 5, 1};
    for (size_t bi = 0; bi < 3; bi++)
      for (size_t th = 1; th <= 3; th += 2) {
        PKG(ctx) *c = make_ctx(&t, th, batches[bi]);
        memset(lg2, 0, sizeof lg2);
        rc = PKG(eval_all)(c, toks, STEPS, lg2);
        CHECK(rc == BITGEN_OK, "eval_all: %s", PKG(strerror)(rc));
        CHECK(same(logits, lg2, sizeof logits), "eval_all of %d tokens (n_batch %zu, %zu threads) differs", STEPS,
              batches[bi], th);
        /* then a second prefill appended to a first, last logits only */
        PKG(ctx_rewind)(c, 0);
        rc = PKG(eval)(c, toks, 20, NULL);
        CHECK(rc == BITGEN_OK && PKG(ctx_pos)(c) == 20, "eval 20");
        rc = PKG(eval)(c, toks + 20, STEPS - 20, lg2);
        CHECK(rc == BITGEN_OK && same(lg2, logits + (STEPS - 1) * NV, NV * sizeof(float)),
              "prefill 20 + %d differs", STEPS - 20);
        PKG(ctx_free)(c);
      }
  }
  group_end();

  group_begin("scalar ISA == best");
  if (PKG(set_max_isa)("scalar") == BITGEN_OK) {
    toks2[0] = toks[0];
    run_steps(&t, 2, toks2, lg2);
    CHECK(same(logits, lg2, sizeof logits), "scalar kernels and ops differ from the selected ones");
    PKG(set_max_isa)(NULL);
  }
  group_end();

  group_begin("errors");
  {
    PKG(ctx_options) o = {0};
    o.n_ctx = 10;
    PKG(ctx) *c = NULL;
    CHECK(PKG(ctx_create)(NULL, &o, &c) == BITGEN_E_NULL && c == NULL, "NULL model");
    CHECK(PKG(ctx_create)(&t.model, &o, &c) == BITGEN_OK, "create");
    CHECK(PKG(ctx_n_ctx)(c) == 10, "n_ctx");
    CHECK(PKG(eval)(c, toks, 11, lg2) == BITGEN_E_FULL && PKG(ctx_pos)(c) == 0, "11 tokens in 10: full");
    CHECK(PKG(eval)(c, toks, 10, lg2) == BITGEN_OK && PKG(ctx_pos)(c) == 10, "10 in 10");
    CHECK(PKG(eval)(c, toks, 1, lg2) == BITGEN_E_FULL, "one more: full");
    CHECK(same(lg2, logits + 9 * NV, NV * sizeof(float)), "logits of 10 tokens in a 10-context");
    CHECK(PKG(ctx_rewind)(c, 11) == BITGEN_E_SIZE && PKG(ctx_rewind)(c, 3) == BITGEN_OK, "rewind");
    CHECK(PKG(eval)(c, toks + 3, 1, lg2) == BITGEN_OK && same(lg2, logits + 3 * NV, NV * sizeof(float)),
          "rewind to 3, eval token 3");
    int32_t bad[2] = {toks[4], NV};
    CHECK(PKG(eval)(c, bad, 2, lg2) == BITGEN_E_VALUE && PKG(ctx_pos)(c) == 4, "token n_vocab");
    bad[1] = -1;
    CHECK(PKG(eval)(c, bad, 2, lg2) == BITGEN_E_VALUE, "token -1");
    CHECK(PKG(eval)(c, toks, 0, lg2) == BITGEN_E_SIZE, "0 tokens");
    CHECK(PKG(eval)(c, NULL, 1, lg2) == BITGEN_E_NULL, "NULL tokens");
    CHECK(PKG(eval_all)(c, toks, 1, NULL) == BITGEN_E_NULL, "eval_all NULL logits");
    PKG(ctx_free)(c);
    o.n_ctx = (size_t)1 << 21;
    CHECK(PKG(ctx_create)(&t.model, &o, &c) == BITGEN_E_SIZE, "n_ctx 2^21");
    PKG(ctx_free)(NULL);
  }
  group_end();

  group_begin("sampler");
  {
    PKG(sampler) *s = NULL, *s2 = NULL;
    PKG(sampler_params) p = {0.0f, 0, 1.0f, 42};
    int32_t tk = -1, tk2 = -1;
    CHECK(PKG(sampler_create)(&p, &s) == BITGEN_OK, "create greedy");
    CHECK(PKG(sample)(s, logits, &tk) == BITGEN_OK && tk == toks[1], "greedy = argmax");
    PKG(sampler_free)(s);
    p.temperature = 0.8f;
    p.top_k = 40;
    p.top_p = 0.9f;
    CHECK(PKG(sampler_create)(&p, &s) == BITGEN_OK && PKG(sampler_create)(&p, &s2) == BITGEN_OK, "create");
    int differ = 0, outside = 0;
    for (size_t i = 0; i < 200; i++) {
      const float *l = logits + (i % STEPS) * NV;
      CHECK(PKG(sample)(s, l, &tk) == BITGEN_OK && PKG(sample)(s2, l, &tk2) == BITGEN_OK, "sample");
      differ += tk != tk2;
      size_t above = 0; /* tokens with a larger logit: must be fewer than top_k */
      for (size_t j = 0; j < NV; j++) above += l[j] > l[tk];
      outside += above >= 40;
    }
    CHECK(differ == 0, "same seed, %d different tokens", differ);
    CHECK(outside == 0, "%d tokens outside the top 40", outside);
    PKG(sampler_free)(s2);
    p.seed = 43;
    CHECK(PKG(sampler_create)(&p, &s2) == BITGEN_OK, "create");
    PKG(sampler_free)(s);
    p.seed = 42;
    PKG(sampler_create)(&p, &s);
    differ = 0;
    for (size_t i = 0; i < 200; i++) {
      PKG(sample)(s, logits + (i % STEPS) * NV, &tk);
      PKG(sample)(s2, logits + (i % STEPS) * NV, &tk2);
      differ += tk != tk2;
    }
    CHECK(differ > 0, "seeds 42 and 43 gave the same 200 tokens");
    PKG(sampler_free)(s);
    PKG(sampler_free)(s2);
    p.top_p = 0.0f;
    CHECK(PKG(sampler_create)(&p, &s) == BITGEN_E_VALUE && s == NULL, "top_p 0");
    p.top_p = 1.0f;
    p.temperature = NAN;
    CHECK(PKG(sampler_create)(&p, &s) == BITGEN_E_VALUE, "temperature NaN");
    p.temperature = 1.0f;
    p.top_k = 1;
    CHECK(PKG(sampler_create)(&p, &s) == BITGEN_OK, "top_k 1");
    CHECK(PKG(sample)(s, logits + 5 * NV, &tk) == BITGEN_OK && tk == toks[6], "top_k 1 = greedy");
    lg2[0] = NAN;
    memcpy(lg2 + 1, logits + 1, (NV - 1) * sizeof(float));
    CHECK(PKG(sample)(s, lg2, &tk) == BITGEN_E_VALUE, "NaN logit");
    PKG(sampler_free)(s);
  }
  group_end();

  free_model(&t);
  return check_summary();
}
