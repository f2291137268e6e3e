/* bitgen-bench: how fast is each kernel of a generated package on this CPU,
 * and how far is it from the memory bound?
 *
 * Build against any generated package:
 *   cc -std=c11 -O2 -I<pkg> -DBITGEN_PKG_HEADER='"bitgen_<model>.h"' \
 *      -DBITGEN_PKG_PREFIX=bitgen_<model> bench/bench.c bench/check.c bench/probe.c bench/report.c \
 *      <pkg lib> -lpthread -lm
 *
 * Measures, in one run:
 *   - clock estimate and read-bandwidth probes (L2, LLC, DRAM 1 thread and
 *     all threads), see probe.c;
 *   - the activation quantizer per distinct K (the format's: i2s
 *     bitgen_quantize, block formats bitgen_quantize_blocks, tl
 *     bitgen_quantize + bitgen_tl_tables);
 *   - hot GEMV: each kernel x each ISA variant this CPU runs, on one
 *     cache-resident matrix, with and without quantizing the token;
 *   - cold sweep: every matrix of every layer in its own buffer, one GEMV
 *     each in model order, per ISA; each sweep is paired with streaming-
 *     read passes over the same buffers with the same threads, timed just
 *     before it, which give its bound;
 *   - prefill: each shape's general GEMM kernel at N = 128 tokens;
 * each with 1 thread and, when the package runtime has a thread pool, with
 * all cores; and writes a table (stdout), a JSON file and an SVG chart
 * (report.c).  Every timed path is checked against the scalar reference
 * first (check.c); a mismatch or an error status ends the run with exit
 * status 1 and no results.  See bench/README.md. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BITGEN_PKG_HEADER
#error "define BITGEN_PKG_HEADER, e.g. -DBITGEN_PKG_HEADER='\"bitgen_model.h\"'"
#endif
#ifndef BITGEN_PKG_PREFIX
#error "define BITGEN_PKG_PREFIX, e.g. -DBITGEN_PKG_PREFIX=bitgen_model"
#endif
#include BITGEN_PKG_HEADER

#define BG_CAT2(a, b) a##b
#define BG_CAT(a, b) BG_CAT2(a, b)
#define PKG_FN(suffix) BG_CAT(BITGEN_PKG_PREFIX, suffix)
#define BG_STR2(x) #x
#define BG_STR(x) BG_STR2(x)

/* Weight scale used for every call: any positive value; it only enters the
 * final multiply. */
#define WSCALE 0.75f
/* Distinct quantized tokens per kernel used by the cold sweep. */
#define POOL_TOKENS 8

typedef struct {
  int probe_samples, clock_samples;
  double hot_sample_ns;   /* each hot sample lasts at least this long */
  int hot_samples;        /* per variant and thread count (fewer if slow) */
  double hot_budget_ns;   /* per variant and thread count, kernel-only + with-quant samples */
  int quant_samples;
  int sweep_min, sweep_max;
  double sweep_budget_ns; /* per ISA and thread count */
} bench_cfg;

static const bench_cfg cfg_quick = {21, 9, 1e6, 31, 0.6e9, 31, 3, 31, 4e9};
static const bench_cfg cfg_full = {41, 31, 2e6, 101, 4e9, 101, 5, 61, 20e9};

static void die(const char *what) {
  fprintf(stderr, "bitgen-bench: %s\n", what);
  exit(1);
}

static void *xalloc(size_t bytes) {
  void *p = bitgen_alloc(bytes);
  if (p == NULL) die("out of memory");
  return p;
}

/* ---- checks ----------------------------------------------------------------------------------
 * Every runtime call's status is checked, and every timed path's output is
 * compared with the scalar reference (check.c) before it is timed and
 * again after; any difference ends the run with exit status 1 and nothing
 * written. */
static bench_checks *g_checks; /* the run's counts (bench_results.checks) */

static void check(int st, const char *what) {
  if (st != BITGEN_OK) {
    fprintf(stderr, "bitgen-bench: FAIL: %s: status %d (%s); no results are written\n", what, st,
            bitgen_strerror(st));
    exit(1);
  }
  if (g_checks) g_checks->statuses++;
}

/* *first keeps the first non-zero status of a series of calls. */
static inline void keep_status(int *first, int st) {
  if (st != BITGEN_OK && *first == BITGEN_OK) *first = st;
}

/* ---- test-only fault injection (--inject-fault WHAT) ------------------------------------------
 * For tests/test_bench.py, which must see the checks fail: one output is
 * corrupted after a kernel ran, or one call gets a NULL argument so that
 * the runtime returns a real error status.  Off unless the option names a
 * fault; a run whose fault went unnoticed exits 3, never 0. */
enum { FAULT_NONE, FAULT_QUANT, FAULT_HOT, FAULT_SWEEP, FAULT_PREFILL, FAULT_STATUS_QUANT, FAULT_STATUS_DRIVE, NFAULT };
static const char *const fault_names[NFAULT] = {"", "quant", "hot", "sweep", "prefill", "status-quant", "status-drive"};
static int g_fault, g_fault_applied;

/* True once, at the first place the named fault can be applied. */
static int fault_fire(int what) {
  if (g_fault != what || g_fault_applied) return 0;
  g_fault_applied = 1;
  fprintf(stderr, "bitgen-bench: --inject-fault %s: applied now (test only)\n", fault_names[what]);
  return 1;
}

/* got must equal want bit for bit (n floats), else the run ends. */
static void check_output(const float *got, const float *want, size_t n, const char *what, long *count) {
  const long i = bench_first_mismatch(got, want, n);
  if (i >= 0) {
    fprintf(stderr,
            "bitgen-bench: FAIL: %s: output %ld is %.9g (%a) but the scalar reference gives %.9g (%a); "
            "no results are written\n",
            what, i, (double)got[i], (double)got[i], (double)want[i], (double)want[i]);
    exit(1);
  }
  (*count)++;
}

/* xorshift64*: fixed seed, so every run packs the same matrices. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static float rng_float(void) { /* roughly normal, with a few large values */
  double u = 0;
  for (int i = 0; i < 4; i++) u += (double)(rng() >> 11) / 9007199254740992.0;
  float v = (float)(u - 2.0);
  if ((rng() & 255) == 0) v *= 8.0f;
  return v;
}

/* ---- package API -------------------------------------------------------------------------
 * Two generations of the runtime are supported: the first has one GEMV
 * kernel per matrix shape (bitgen_variant.fn, bitgen_matrix.kernel); the
 * second adds GEMM kernels, shapes and a thread pool (bitgen_pool.h,
 * included by bitgen_rt.h, whose guard tells them apart).  A runtime with
 * bitgen_fmt.h also has the formats beside i2s: their variants have `run`
 * (bitgen_kfn, GEMV and GEMM alike) instead of gemv/gemm. */
#if defined(BITGEN_POOL_H)
#define BENCH_POOL 1
#define VARIANT_GEMV(v) ((v)->gemv)
#define MATRIX_GEMV_KERNEL(pkg, j) ((pkg)->shapes[(pkg)->matrices[j].shape].gemv)
static bitgen_pool *g_pool; /* all cores, for the threads > 1 runs */
#else
#define BENCH_POOL 0
#define VARIANT_GEMV(v) ((v)->fn)
#define MATRIX_GEMV_KERNEL(pkg, j) ((pkg)->matrices[j].kernel)
#endif
#if defined(BITGEN_FMT_H)
#define BENCH_FMT 1
static const bitgen_format *g_fmt; /* the package's format */
static int g_run;                  /* its kernels are called through v->run (kinds BLOCK, TL) */
#define KIND_IS(k) (g_fmt->kind == BITGEN_KIND_##k)
#else
#define BENCH_FMT 0
#define g_run 0
#define KIND_IS(k) (BITGEN_KIND_##k == 0) /* i2s only */
enum { BITGEN_KIND_I2S = 0, BITGEN_KIND_BLOCK, BITGEN_KIND_TL, BITGEN_KIND_FP };
#endif
/* the scalar block quantizer, where this runtime has SIMD paths beside it */
#if BENCH_FMT && defined(__has_include)
#if __has_include("quant_internal.h")
#include "quant_internal.h"
#define BENCH_BLK_REF 1
#endif
#endif
#ifndef BENCH_BLK_REF
#define BENCH_BLK_REF 0
#endif

static int is_gemv(const bitgen_kernel *k) {
  return strcmp(k->op, "gemv") == 0;
}

/* The function a variant is called through for its op (GEMV or GEMM). */
static int has_fn(const bitgen_variant *v, int gemm) {
#if BENCH_FMT
  if (g_run) return v->run != NULL;
#endif
#if BENCH_POOL
  if (gemm) return v->gemm != NULL;
#endif
  (void)gemm;
  return VARIANT_GEMV(v) != NULL;
}

static int runnable(const bitgen_variant *v, uint32_t cpu) {
  return (v->features & cpu) == v->features && has_fn(v, 0);
}

static size_t g_prows;

/* ---- the format: packed size, packer, activations --------------------------------------- */
static size_t fmt_packed_size(size_t M, size_t K, size_t prows) {
#if BENCH_FMT
  if (KIND_IS(BLOCK)) return bitgen_blk_packed_size(g_fmt, M, K, prows);
  if (KIND_IS(TL)) return bitgen_tl_packed_size(M, K, prows);
  if (KIND_IS(FP)) return bitgen_fp_packed_size(g_fmt, M, K, prows);
#endif
  return bitgen_i2s_packed_size(M, K, prows);
}

#if BENCH_FMT
/* Packed bytes per weight row, as the package API passes them to
 * bitgen_drive_run (sizes its tasks). */
static size_t fmt_row_bytes(size_t K) {
  if (KIND_IS(BLOCK)) return K / g_fmt->block * (g_fmt->qbytes + 2);
  if (KIND_IS(TL)) return bitgen_tl_words(K) * 2;
  if (KIND_IS(FP)) return K * 2;
  return K / 4;
}
#endif

/* The format as check.c takes it. */
static int fmt_kind(void) {
#if BENCH_FMT
  return (int)g_fmt->kind;
#else
  return 0;
#endif
}
static const void *fmt_desc(void) {
#if BENCH_FMT
  return g_fmt;
#else
  return NULL;
#endif
}

/* Random weights of M x K, packed with the format's runtime packer:
 * i2s uniform ternary codes (bitgen_i2s_pack_ternary, as always); the block
 * formats and tl f32 weights through their f32 quantizers
 * (bitgen_blk_pack_f32, bitgen_tl_pack_f32). */
static void fmt_pack_random(size_t M, size_t K, size_t prows, uint8_t *packed, size_t psize);

/* Quantized activations of n tokens in the format's layout, and one view
 * per token (what a GEMV takes). */
typedef struct {
  const int8_t *q;       /* K int8 */
  const bitgen_act *act; /* i2s, tl */
#if BENCH_FMT
  bitgen_acts acts;      /* block, tl: what v->run takes (token j's pointers) */
#endif
} bench_tok;

typedef struct {
  size_t n, K;
  int8_t *q;        /* n x K */
  bitgen_act *act;  /* n (i2s, tl) */
  float *d;         /* n x K/block (block) */
  int16_t *bsums;   /* n x K/16 (block) */
  int16_t *lut;     /* n x bitgen_tl_lut_size(K) (tl) */
  float *x;         /* n x K f32 activations (f16, bf16: used as they are) */
  bench_tok *tok;   /* n views */
} tokset;

static void tokset_alloc(tokset *t, size_t n, size_t K);
static void tokset_free(tokset *t);
/* Quantizes x (n x K floats) into t with the format's quantizer: the
 * activation work a caller does per token before a multiply. */
static int fmt_prepare(const float *x, tokset *t);
static const char *fmt_prepare_name(void);

/* The one place a GEMV is issued.  threads == 1: the variant is called
 * directly on the whole matrix.  threads > 1: the package's driver splits
 * the row tiles over the all-cores pool (only with the runtime that has
 * one; the JSON's "threads" field says which figure is which). */
static inline int gemv(const bitgen_kernel *k, const bitgen_variant *v, const uint8_t *packed, const bench_tok *t,
                       float *y, int threads) {
#if BENCH_FMT
  if (g_run) {
    if (threads > 1)
      return bitgen_drive_run(g_pool, k, v, g_prows, fmt_row_bytes(k->K), packed, &t->acts, 1, WSCALE, y, k->M);
    return bitgen_variant_run(v, packed, &t->acts, WSCALE, y, k->M, 0, v->tiles, 0, 1);
  }
#endif
#if BENCH_POOL
  if (threads > 1) return bitgen_drive_gemv(g_pool, k, v, g_prows, packed, t->q, t->act->sum, WSCALE / t->act->scale, y);
#endif
  (void)k;
  (void)threads;
  VARIANT_GEMV(v)(packed, t->q, t->act->sum, WSCALE / t->act->scale, y, 0, v->tiles);
  return BITGEN_OK;
}

/* ---- the format: implementations -------------------------------------------------------- */
static void fmt_pack_random(size_t M, size_t K, size_t prows, uint8_t *packed, size_t psize) {
#if BENCH_FMT
  if (!KIND_IS(I2S)) {
    float *w = malloc(M * K * sizeof(float)), scale;
    if (w == NULL) die("out of memory");
    for (size_t i = 0; i < M * K; i++) w[i] = rng_float();
    if (KIND_IS(BLOCK)) check(bitgen_blk_pack_f32(g_fmt, M, K, prows, w, packed, psize), "pack");
    else if (KIND_IS(FP)) check(bitgen_fp_pack_f32(g_fmt, M, K, prows, w, packed, psize), "pack");
    else check(bitgen_tl_pack_f32(M, K, prows, w, packed, psize, &scale), "pack");
    free(w);
    return;
  }
#endif
  int8_t *w = malloc(M * K);
  if (w == NULL) die("out of memory");
  for (size_t i = 0; i < M * K; i++) w[i] = (int8_t)((int)(rng() % 3) - 1);
  check(bitgen_i2s_pack_ternary(M, K, prows, w, packed, psize), "pack");
  free(w);
}

static void tokset_alloc(tokset *t, size_t n, size_t K) {
  memset(t, 0, sizeof *t);
  t->n = n, t->K = K;
  t->q = xalloc(n * K);
  t->act = xalloc(n * sizeof(bitgen_act));
  t->tok = xalloc(n * sizeof(bench_tok));
#if BENCH_FMT
  const size_t lsz = KIND_IS(TL) ? bitgen_tl_lut_size(K) : 0;
  if (KIND_IS(BLOCK)) {
    t->d = xalloc(n * (K / g_fmt->block) * sizeof(float));
    t->bsums = xalloc(n * (K / 16) * sizeof(int16_t));
  }
  if (KIND_IS(TL)) t->lut = xalloc(n * lsz * sizeof(int16_t));
  if (KIND_IS(FP)) t->x = xalloc(n * K * sizeof(float));
#endif
  for (size_t j = 0; j < n; j++) {
    bench_tok *v = &t->tok[j];
    v->q = t->q + j * K;
    v->act = &t->act[j];
#if BENCH_FMT
    if (KIND_IS(BLOCK))
      v->acts = (bitgen_acts){.q = v->q, .d = t->d + j * (K / g_fmt->block), .bsums = t->bsums + j * (K / 16)};
    if (KIND_IS(TL)) v->acts = (bitgen_acts){.q = v->q, .lut = t->lut + j * lsz, .act = v->act};
    if (KIND_IS(FP)) v->acts = (bitgen_acts){.x = t->x + j * K};
#endif
  }
}

static void tokset_free(tokset *t) {
  bitgen_free(t->q);
  bitgen_free(t->act);
  bitgen_free(t->tok);
  bitgen_free(t->d);
  bitgen_free(t->bsums);
  bitgen_free(t->lut);
  bitgen_free(t->x);
}

static int fmt_prepare(const float *x, tokset *t) {
#if BENCH_FMT
  if (KIND_IS(BLOCK)) return bitgen_quantize_blocks(x, t->n, t->K, g_fmt->block, t->q, t->d, t->bsums);
  if (KIND_IS(TL)) {
    int st = bitgen_quantize(x, t->n, t->K, t->q, t->act);
    return st != BITGEN_OK ? st : bitgen_tl_tables(t->q, t->n, t->K, t->lut);
  }
  if (KIND_IS(FP)) { /* nothing to quantize: the copy stands for the caller's buffer */
    memcpy(t->x, x, t->n * t->K * sizeof(float));
    return bitgen_check_fp_acts(t->x, t->n * t->K);
  }
#endif
  return bitgen_quantize(x, t->n, t->K, t->q, t->act);
}

static const char *fmt_prepare_name(void) {
  if (KIND_IS(BLOCK)) return "bitgen_quantize_blocks";
  if (KIND_IS(TL)) return "bitgen_quantize+bitgen_tl_tables";
  if (KIND_IS(FP)) return "none (f32 activations; a copy and a finiteness check)";
  return "bitgen_quantize";
}

/* The block activations in t against the scalar block quantizer, which
 * every SIMD path of bitgen_quantize_blocks must equal bit for bit. */
static const char *check_block_tokens(const float *x, tokset *t) {
#if BENCH_BLK_REF
  const size_t n = t->n, K = t->K, nb = n * K / g_fmt->block;
  int8_t *q = xalloc(n * K);
  float *d = xalloc(nb * sizeof *d);
  int16_t *bs = xalloc(n * K / 16 * sizeof *bs);
  check(bitgen_quantize_blocks_scalar(x, n, K, g_fmt->block, q, d, bs), "bitgen_quantize_blocks_scalar (reference)");
  const char *bad = memcmp(q, t->q, n * K) != 0                           ? "q"
                    : memcmp(d, t->d, nb * sizeof *d) != 0                ? "the block scales"
                    : memcmp(bs, t->bsums, n * K / 16 * sizeof *bs) != 0 ? "the block sums"
                                                                          : NULL;
  bitgen_free(q);
  bitgen_free(d);
  bitgen_free(bs);
  return bad;
#else
  (void)x, (void)t;
  return NULL;
#endif
}

/* The activations in t, prepared from x, against the reference quantizer
 * (i2s and tl: bitgen_quantize_scalar; block formats: the scalar block
 * quantizer) and the tl tables' definition.  f16/bf16 take f32 as given. */
static void check_tokens(const float *x, tokset *t, const char *what) {
  if (KIND_IS(FP)) return;
  const size_t n = t->n, K = t->K;
  if (fault_fire(FAULT_QUANT)) t->q[n * K - 1] ^= 1;
  if (KIND_IS(BLOCK)) {
    const char *bad = check_block_tokens(x, t);
    if (bad != NULL) {
      fprintf(stderr, "bitgen-bench: FAIL: %s: %s of %zu token(s) of K = %zu differ from the scalar block quantizer; "
                      "no results are written\n", what, bad, n, K);
      exit(1);
    }
    g_checks->quant++;
    return;
  }
  int8_t *q = xalloc(n * K);
  bitgen_act *act = xalloc(n * sizeof *act);
  check(bitgen_quantize_scalar(x, n, K, q, act), "bitgen_quantize_scalar (reference)");
  const char *bad = NULL;
  if (memcmp(q, t->q, n * K) != 0) bad = "q";
  else if (memcmp(act, t->act, n * sizeof *act) != 0) bad = "the scale or sum (bitgen_act)";
#if BENCH_FMT
  if (bad == NULL && KIND_IS(TL)) {
    const size_t ls = bitgen_tl_lut_size(K);
    int16_t *lut = xalloc(n * ls * sizeof(int16_t));
    check(bench_ref_tl_tables(q, n, K, lut), "tl tables (reference)");
    if (memcmp(lut, t->lut, n * ls * sizeof(int16_t)) != 0) bad = "the tl tables";
    bitgen_free(lut);
  }
#endif
  bitgen_free(q);
  bitgen_free(act);
  if (bad != NULL) {
    fprintf(stderr, "bitgen-bench: FAIL: %s: %s of %zu token(s) of K = %zu differ from the scalar reference; "
                    "no results are written\n", what, bad, n, K);
    exit(1);
  }
  g_checks->quant++;
}

/* Flips the lowest bit of *y (--inject-fault). */
static void corrupt(float *y) {
  uint32_t b;
  memcpy(&b, y, sizeof b);
  b ^= 1;
  memcpy(y, &b, sizeof b);
}

/* ---- per-kernel inputs --------------------------------------------------------------- */
typedef struct {
  const bitgen_kernel *k;
  uint8_t *packed; /* the hot matrix and the template of every sweep buffer */
  size_t psize;
  float *x;        /* one token, K floats */
  tokset hot;      /* its quantization */
  tokset pool;     /* POOL_TOKENS quantized tokens for the sweep */
  float *y;        /* M floats */
  float *want;     /* M: the reference output for the hot token */
  float *want_pool; /* POOL_TOKENS x M: the same for the pool's tokens */
} kernel_input;

static void make_input(kernel_input *in, const bitgen_kernel *k, size_t prows) {
  const size_t M = k->M, K = k->K;
  in->k = k;
  in->psize = fmt_packed_size(M, K, prows);
  in->packed = xalloc(in->psize);
  fmt_pack_random(M, K, prows, in->packed, in->psize);
  in->x = xalloc(K * sizeof(float));
  for (size_t i = 0; i < K; i++) in->x[i] = rng_float();
  tokset_alloc(&in->hot, 1, K);
  check(fmt_prepare(in->x, &in->hot), "quantize");
  check_tokens(in->x, &in->hot, "quantize the hot token");
  float *xs = xalloc(POOL_TOKENS * K * sizeof(float));
  for (size_t i = 0; i < POOL_TOKENS * K; i++) xs[i] = rng_float();
  tokset_alloc(&in->pool, POOL_TOKENS, K);
  check(fmt_prepare(xs, &in->pool), "quantize pool");
  check_tokens(xs, &in->pool, "quantize the sweep's tokens");
  bitgen_free(xs);
  in->y = xalloc(M * sizeof(float));
  /* reference outputs, from the unpacked matrix */
  bench_refmat ref;
  check(bench_refmat_unpack(&ref, fmt_kind(), fmt_desc(), M, K, prows, in->packed, in->psize), "unpack (reference)");
  in->want = xalloc(M * sizeof(float));
  in->want_pool = xalloc(POOL_TOKENS * M * sizeof(float));
  check(bench_refmat_run(&ref, in->hot.q, in->hot.act, in->hot.d, in->hot.x, 1, WSCALE, in->want), "reference GEMV");
  check(bench_refmat_run(&ref, in->pool.q, in->pool.act, in->pool.d, in->pool.x, POOL_TOKENS, WSCALE, in->want_pool),
        "reference GEMV (sweep tokens)");
  bench_refmat_free(&ref);
}

static void free_input(kernel_input *in) {
  bitgen_free(in->packed);
  bitgen_free(in->x);
  tokset_free(&in->hot);
  tokset_free(&in->pool);
  bitgen_free(in->y);
  bitgen_free(in->want);
  bitgen_free(in->want_pool);
}

/* ---- quantizer ------------------------------------------------------------------------
 * Each entry times one token's activation work through a wrapper over the
 * runtime function(s) it names. */
typedef int (*quant_fn)(const float *x, tokset *t);

static int q_i2s_scalar(const float *x, tokset *t) {
  return bitgen_quantize_scalar(x, t->n, t->K, t->q, t->act);
}
#if BENCH_FMT
static int q_plain(const float *x, tokset *t) { /* bitgen_quantize alone (tl: without the tables) */
  return bitgen_quantize(x, t->n, t->K, t->q, t->act);
}
static int q_tables(const float *x, tokset *t) { /* bitgen_tl_tables alone (q from the last call) */
  (void)x;
  return bitgen_tl_tables(t->q, t->n, t->K, t->lut);
}
#endif

static void bench_quant_one(bench_quant *out, quant_fn fn, const char *name, size_t K,
                            const bench_cfg *cfg) {
  float *x = xalloc(K * sizeof(float));
  tokset t;
  tokset_alloc(&t, 1, K);
  for (size_t i = 0; i < K; i++) x[i] = rng_float();
  check(fmt_prepare(x, &t), "quantize");
  char what[96];
  snprintf(what, sizeof what, "%s, K = %zu", name, K);
  /* warm-up and calibration */
  int calls = 0, st = BITGEN_OK;
  double t0 = bench_now_ns(), t1;
  do {
    keep_status(&st, fn(x, &t));
    calls++;
    t1 = bench_now_ns();
  } while (t1 - t0 < 2e6 || calls < 3);
  check(st, what);
  check_tokens(x, &t, what);
  const double est = (t1 - t0) / calls;
  const int per = (int)ceil(cfg->hot_sample_ns / est);
  double *ns = malloc(sizeof(double) * (size_t)cfg->quant_samples);
  if (ns == NULL) die("out of memory");
  for (int s = 0; s < cfg->quant_samples; s++) {
    const float *xs = fault_fire(FAULT_STATUS_QUANT) ? NULL : x;
    double a = bench_now_ns();
    for (int i = 0; i < per; i++) keep_status(&st, fn(xs, &t));
    ns[s] = (bench_now_ns() - a) / per;
    check(st, what);
  }
  check_tokens(x, &t, what);
  out->K = K;
  out->fn = name;
  out->calls_per_sample = per;
  out->samples = cfg->quant_samples;
  out->ns = bench_stat_of(ns, cfg->quant_samples);
  free(ns);
  bitgen_free(x);
  tokset_free(&t);
}

/* ---- hot GEMV ----------------------------------------------------------------------------- */
/* ns per call; *st: the first non-zero status of the calls. */
static double hot_batch(const bench_hot *h, kernel_input *in, int calls, int quant, int *st) {
  const bench_tok *t = &in->hot.tok[0];
  float *y = h->threads > 1 && fault_fire(FAULT_STATUS_DRIVE) ? NULL : in->y;
  double t0 = bench_now_ns();
  if (quant) { /* the format's whole activation work (tl: with the tables) */
    for (int i = 0; i < calls; i++) {
      keep_status(st, fmt_prepare(in->x, &in->hot));
      keep_status(st, gemv(in->k, h->v, in->packed, t, y, h->threads));
    }
  } else {
    for (int i = 0; i < calls; i++) keep_status(st, gemv(in->k, h->v, in->packed, t, y, h->threads));
  }
  return (bench_now_ns() - t0) / calls;
}

static void hot_what(char *buf, size_t size, const bitgen_kernel *k, const bench_hot *h, const char *when) {
  snprintf(buf, size, "hot %s, %s, %d thread%s, %s", k->name, h->v->name, h->threads, h->threads > 1 ? "s" : "",
           when);
}

static void bench_hot_kernel(bench_results *r, bench_kernel *bk, kernel_input *in, const bench_cfg *cfg) {
  const bitgen_kernel *k = in->k;
  const bitgen_variant *sel = PKG_FN(_selected)(bk->id);
  const uint32_t cpu = r->machine.features;
  const int nthr = r->threads_all > 1 ? 2 : 1;
  bk->k = k;
  bk->packed_bytes = in->psize;
  bk->ops_per_call = 2.0 * (double)k->M * (double)k->K;
  bk->hot = calloc(k->nvariants * (size_t)nthr, sizeof(bench_hot));
  bk->skip = calloc(k->nvariants, sizeof(bench_skip));
  if (bk->hot == NULL || bk->skip == NULL) die("out of memory");

  for (size_t i = 0; i < k->nvariants; i++) {
    const bitgen_variant *v = &k->variants[i];
    if (r->isa_filter != NULL && strcmp(v->isa, r->isa_filter) != 0) continue;
    if (!runnable(v, cpu)) {
      bench_skip *s = &bk->skip[bk->nskip++];
      char need[128];
      bitgen_features_string(v->features & ~cpu, need, sizeof need);
      snprintf(s->name, sizeof s->name, "%s", v->name);
      snprintf(s->isa, sizeof s->isa, "%s", v->isa);
      snprintf(s->reason, sizeof s->reason, "CPU lacks %s", need);
      continue;
    }
    for (int t = 0; t < nthr; t++) {
      bench_hot *h = &bk->hot[bk->nhot++];
      h->v = v;
      h->selected = sel == v;
      h->threads = t == 0 ? 1 : r->threads_all;
    }
  }
  if (bk->nhot == 0) return;

  /* Output check before timing: every variant and thread count against
   * the scalar reference, bit for bit (y starts as NaN bits, so a kernel
   * that writes nothing cannot pass). */
  char what[192];
  for (int i = 0; i < bk->nhot; i++) {
    bench_hot *h = &bk->hot[i];
    hot_what(what, sizeof what, k, h, "before timing");
    memset(in->y, 0xff, k->M * sizeof(float));
    check(gemv(k, h->v, in->packed, &in->hot.tok[0], in->y, h->threads), what);
    if (i == bk->nhot - 1 && fault_fire(FAULT_HOT)) corrupt(&in->y[k->M - 1]);
    check_output(in->y, in->want, k->M, what, &g_checks->hot);
  }

  /* Warm-up and calibration: calls per sample so a sample lasts >= hot_sample_ns. */
  int maxs = 0;
  for (int i = 0; i < bk->nhot; i++) {
    bench_hot *h = &bk->hot[i];
    int calls = 0, st = BITGEN_OK;
    double t0 = bench_now_ns(), t1;
    do {
      keep_status(&st, gemv(k, h->v, in->packed, &in->hot.tok[0], in->y, h->threads));
      calls++;
      t1 = bench_now_ns();
    } while (t1 - t0 < 5e6 || calls < 3);
    hot_what(what, sizeof what, k, h, "warm-up");
    check(st, what);
    const double est = (t1 - t0) / calls;
    h->calls_per_sample = (int)ceil(cfg->hot_sample_ns / est);
    const double sample_ns = est * h->calls_per_sample * 2; /* kernel-only + with quant */
    int s = (int)(cfg->hot_budget_ns / sample_ns);
    if (s > cfg->hot_samples) s = cfg->hot_samples;
    if (s < 5) s = 5;
    h->samples = s;
    if (s > maxs) maxs = s;
  }
  /* Samples round-robin over the entries, so slow drifts of a shared
   * machine spread over all of them.  After each batch (untimed): its
   * statuses, and its last output against the reference. */
  double *ns = calloc((size_t)bk->nhot * (size_t)maxs * 2, sizeof(double));
  if (ns == NULL) die("out of memory");
  for (int s = 0; s < maxs; s++)
    for (int i = 0; i < bk->nhot; i++) {
      bench_hot *h = &bk->hot[i];
      if (s >= h->samples) continue;
      double *row = ns + (size_t)i * (size_t)maxs * 2;
      for (int quant = 0; quant < 2; quant++) {
        int st = BITGEN_OK;
        row[quant * maxs + s] = hot_batch(h, in, h->calls_per_sample, quant, &st);
        hot_what(what, sizeof what, k, h, quant ? "timed with the quantizer" : "timed");
        check(st, what);
        check_output(in->y, in->want, k->M, what, &g_checks->hot);
      }
    }
  check_tokens(in->x, &in->hot, "quantize the hot token (timed)");
  for (int i = 0; i < bk->nhot; i++) {
    bench_hot *h = &bk->hot[i];
    const double *row = ns + (size_t)i * (size_t)maxs * 2;
    h->ns = bench_stat_of(row, h->samples);
    h->ns_quant = bench_stat_of(row + maxs, h->samples);
    h->output_matches = 1; /* else the run would have ended above */
  }
  free(ns);
}

/* ---- cold sweep ------------------------------------------------------------------------------ */
typedef struct {
  const bitgen_package *pkg;
  size_t layers, nmat;
  const size_t *mk; /* per matrix: bench kernel index */
  uint8_t **buf;    /* layers * nmat, model order */
  kernel_input *in;
  size_t token;     /* advances through the pools */
  size_t bytes;     /* of all buffers */
} sweep_ctx;

/* One sweep; adds each kernel's time to kern_ns.  Returns the total ns.
 * *st keeps the first non-zero status; last[b] is the pool token of
 * kernel b's last call (SIZE_MAX: none), whose output stays in in[b].y. */
static double sweep_once(sweep_ctx *c, const bitgen_variant **vsel, double *kern_ns, int threads, int *st,
                         size_t *last) {
  const double t0 = bench_now_ns();
  double prev = t0;
  for (size_t l = 0; l < c->layers; l++)
    for (size_t j = 0; j < c->nmat; j++) {
      const size_t b = c->mk[j];
      kernel_input *in = &c->in[b];
      const size_t p = c->token++ % POOL_TOKENS;
      keep_status(st, gemv(in->k, vsel[b], c->buf[l * c->nmat + j], &in->pool.tok[p], in->y, threads));
      last[b] = p;
      const double now = bench_now_ns();
      kern_ns[b] += now - prev;
      prev = now;
    }
  return prev - t0;
}

/* Before timing: one sweep with every output compared with the reference
 * right after its call. */
static void sweep_verify(sweep_ctx *c, const bitgen_variant **vsel, const bench_sweep_isa *si, int inject) {
  char what[256];
  for (size_t l = 0; l < c->layers; l++)
    for (size_t j = 0; j < c->nmat; j++) {
      const size_t b = c->mk[j];
      kernel_input *in = &c->in[b];
      const size_t p = c->token++ % POOL_TOKENS, M = in->k->M;
      snprintf(what, sizeof what, "cold sweep %s, %d thread%s, before timing: layer %zu, matrix %s, %s", si->isa,
               si->threads, si->threads > 1 ? "s" : "", l, c->pkg->matrices[j].name, vsel[b]->name);
      memset(in->y, 0xff, M * sizeof(float));
      check(gemv(in->k, vsel[b], c->buf[l * c->nmat + j], &in->pool.tok[p], in->y, si->threads), what);
      if (inject && l + 1 == c->layers && j + 1 == c->nmat && fault_fire(FAULT_SWEEP)) corrupt(&in->y[M - 1]);
      check_output(in->y, in->want_pool + p * M, M, what, &g_checks->sweep);
    }
}

/* After a timed sweep: its statuses, and each kernel's last output. */
static void sweep_check_after(const sweep_ctx *c, const bench_sweep_isa *si, int st, const size_t *last, size_t nk) {
  char what[192];
  snprintf(what, sizeof what, "cold sweep %s, %d thread%s, timed", si->isa, si->threads, si->threads > 1 ? "s" : "");
  check(st, what);
  for (size_t b = 0; b < nk; b++)
    if (last[b] != SIZE_MAX) {
      const kernel_input *in = &c->in[b];
      check_output(in->y, in->want_pool + last[b] * in->k->M, in->k->M, what, &g_checks->sweep);
    }
}

/* ---- the sweep's bound ---------------------------------------------------------------------
 * A streaming read of the sweep's own buffers, in its order, with its
 * threads: 1 thread reads them directly; more read through the same pool,
 * each buffer cut as the driver cuts a GEMV (at most 2 tasks per thread,
 * at least 32 KiB each), one pool call per buffer as the sweep makes one
 * driver call per matrix.  Same bytes, pages and threads, warm (it runs
 * right after the previous sweep or pass), BENCH_BOUND_PASSES passes per sweep
 * and their median: a kernel that also computes cannot beat it except by
 * timing noise (BENCH_BOUND_MARGIN). */
#define BOUND_TASK_MIN ((size_t)32 * 1024)
static uint64_t g_read_sink;

#if BENCH_POOL
typedef struct {
  const uint8_t *p;
  size_t bytes, chunk;
} read_job;

static void read_task(void *ctx, size_t i) {
  const read_job *j = ctx;
  const size_t a = i * j->chunk, n = j->bytes - a < j->chunk ? j->bytes - a : j->chunk;
  __atomic_fetch_xor(&g_read_sink, bench_read_any(j->p + a, n), __ATOMIC_RELAXED);
}
#endif

/* One pass, in GB/s. */
static double bound_pass_gbs(const sweep_ctx *c, int threads) {
  uint64_t acc = 0;
  int st = BITGEN_OK;
  const double t0 = bench_now_ns();
  for (size_t b = 0; b < c->layers * c->nmat; b++) {
    const size_t bytes = c->in[c->mk[b % c->nmat]].psize;
#if BENCH_POOL
    if (threads > 1) {
      size_t tasks = 2 * (size_t)threads;
      if (tasks > bytes / BOUND_TASK_MIN) tasks = bytes / BOUND_TASK_MIN;
      if (tasks == 0) tasks = 1;
      read_job j = {c->buf[b], bytes, (bytes / tasks + 255) / 256 * 256};
      keep_status(&st, bitgen_pool_run(g_pool, (bytes + j.chunk - 1) / j.chunk, read_task, &j));
      continue;
    }
#endif
    acc ^= bench_read_any(c->buf[b], bytes);
  }
  const double ns = bench_now_ns() - t0;
  check(st, "bitgen_pool_run (bound pass)");
  __atomic_fetch_xor(&g_read_sink, acc, __ATOMIC_RELAXED);
  return (double)c->bytes / ns;
}

/* The bound paired with one sweep: the median of BENCH_BOUND_PASSES passes. */
static double bound_gbs(const sweep_ctx *c, int threads) {
  double g[BENCH_BOUND_PASSES];
  for (int i = 0; i < BENCH_BOUND_PASSES; i++) g[i] = bound_pass_gbs(c, threads);
  return bench_stat_of(g, BENCH_BOUND_PASSES).median;
}

static void bench_sweep_run(bench_results *r, kernel_input *in, size_t layers, const bench_cfg *cfg) {
  const bitgen_package *pkg = r->pkg;
  const size_t nk = (size_t)r->nkernels, nm = pkg->nmatrices;
  const uint32_t cpu = r->machine.features;
  const int nthr = r->threads_all > 1 ? 2 : 1;
  bench_sweep *sw = &r->sweep;
  sw->layers = layers;
  sw->matrices = nm;
  sw->gemv = layers * nm;
  sw->pool_tokens = POOL_TOKENS;
  for (size_t j = 0; j < nm; j++) sw->bytes += in[r->matrix_kernel[j]].psize * layers;

  /* The ISAs every GEMV kernel has and this CPU runs, in the first
   * kernel's order; each with 1 thread and, if there is a pool, all. */
  const bitgen_kernel *k0 = in[0].k;
  const size_t cap = k0->nvariants * (size_t)nthr;
  sw->isa = calloc(cap, sizeof(bench_sweep_isa));
  const bitgen_variant **vsel = calloc(cap * nk, sizeof(*vsel));
  if (sw->isa == NULL || vsel == NULL) die("out of memory");
  for (size_t i = 0; i < k0->nvariants; i++) {
    const char *isa = k0->variants[i].isa;
    if (r->isa_filter != NULL && strcmp(isa, r->isa_filter) != 0) continue;
    const bitgen_variant **vs = vsel + (size_t)sw->nisa * nk;
    int ok = 1, all_selected = 1;
    for (size_t b = 0; b < nk && ok; b++) {
      const bitgen_kernel *k = in[b].k;
      vs[b] = NULL;
      for (size_t j = 0; j < k->nvariants; j++)
        if (strcmp(k->variants[j].isa, isa) == 0) vs[b] = &k->variants[j];
      if (vs[b] == NULL || !runnable(vs[b], cpu)) ok = 0;
      else if (PKG_FN(_selected)(r->kernels[b].id) != vs[b]) all_selected = 0;
    }
    if (!ok) continue;
    for (int t = 0; t < nthr; t++) {
      if (t > 0) memcpy(vsel + (size_t)sw->nisa * nk, vs, nk * sizeof(*vs));
      bench_sweep_isa *si = &sw->isa[sw->nisa++];
      snprintf(si->isa, sizeof si->isa, "%s", isa);
      si->selected = all_selected;
      si->threads = t == 0 ? 1 : r->threads_all;
      si->per_kernel = calloc(nk, sizeof(bench_sweep_kernel));
      if (si->per_kernel == NULL) die("out of memory");
    }
  }
  if (sw->nisa == 0) {
    free(vsel);
    return;
  }

  /* Distinct buffers for every matrix of every layer; the bytes are a copy
   * of the kernel's hot matrix (distinct addresses are what matters).
   * Default: one bitgen_alloc per matrix, as a user of the package would.
   * --hugepages: one arena with huge pages requested, matrices in model
   * order at 4 KiB aligned offsets (like a loaded model file). */
  fprintf(stderr, "bitgen-bench: sweep setup: %zu buffers, %.1f MB\n", layers * nm, sw->bytes / 1e6);
  const double ts = bench_now_ns();
  sweep_ctx c = {pkg, layers, nm, r->matrix_kernel, calloc(layers * nm, sizeof(uint8_t *)), in, 0, sw->bytes};
  if (c.buf == NULL) die("out of memory");
  uint8_t *arena = NULL;
  size_t arena_bytes = 0;
  sw->hugepages = r->hugepages;
  if (r->hugepages) {
    for (size_t j = 0; j < nm; j++) arena_bytes += (in[r->matrix_kernel[j]].psize + 4095) / 4096 * 4096;
    arena_bytes *= layers;
    arena = bench_alloc_huge(arena_bytes);
    if (arena == NULL) die("out of memory");
    sw->huge_bytes = bench_huge_bytes(arena, arena_bytes);
  }
  size_t off = 0;
  for (size_t l = 0; l < layers; l++)
    for (size_t j = 0; j < nm; j++) {
      const kernel_input *src = &in[r->matrix_kernel[j]];
      if (arena) {
        c.buf[l * nm + j] = arena + off;
        off += (src->psize + 4095) / 4096 * 4096;
      } else {
        c.buf[l * nm + j] = xalloc(src->psize);
      }
      memcpy(c.buf[l * nm + j], src->packed, src->psize);
    }
  sw->setup_s = (bench_now_ns() - ts) / 1e9;
  if (!arena) {
    size_t *sizes = calloc(layers * nm, sizeof(size_t));
    if (sizes == NULL) die("out of memory");
    for (size_t b = 0; b < layers * nm; b++) sizes[b] = in[r->matrix_kernel[b % nm]].psize;
    sw->huge_bytes = bench_huge_bytes_multi(c.buf, sizes, layers * nm);
    free(sizes);
  }

  /* Every entry is checked against the reference before any is timed. */
  for (int i = 0; i < sw->nisa; i++) sweep_verify(&c, vsel + (size_t)i * nk, &sw->isa[i], i == sw->nisa - 1);

  /* The bound is measured alongside: BENCH_BOUND_PASSES passes over the sweep's
   * buffers with its threads just before every sweep (bound_gbs above), so
   * a neighbour's load on a shared machine hits both alike.  For the
   * 1-thread sweeps also a pass over one bitgen_alloc buffer of the
   * stream_1t probe's size (DRAM, the runtime's allocator), for reference. */
  const size_t pbytes = r->probe.stream_1t.bytes;
  uint8_t *abuf = xalloc(pbytes);
  memset(abuf, 0x3c, pbytes);
  sw->alloc_pass_huge_bytes = bench_huge_bytes(abuf, pbytes);
  bench_read_pass_gbs(abuf, pbytes);

  /* Warm-up sweep and bound pass per entry, also the time estimate for
   * the sample count. */
  double *kern = calloc(nk, sizeof(double));
  int *nsamp = calloc((size_t)sw->nisa, sizeof(int));
  size_t *last = malloc(nk * sizeof(size_t));
  if (kern == NULL || nsamp == NULL || last == NULL) die("out of memory");
  int maxs = 0, total = 0;
  for (int i = 0; i < sw->nisa; i++) {
    int st = BITGEN_OK;
    const double tb = bench_now_ns();
    bound_pass_gbs(&c, sw->isa[i].threads);
    const double tp = bench_now_ns() - tb;
    for (size_t b = 0; b < nk; b++) last[b] = SIZE_MAX;
    double t = sweep_once(&c, vsel + (size_t)i * nk, kern, sw->isa[i].threads, &st, last);
    sweep_check_after(&c, &sw->isa[i], st, last, nk);
    t += BENCH_BOUND_PASSES * tp;
    int s = (int)(cfg->sweep_budget_ns / t);
    if (s > cfg->sweep_max) s = cfg->sweep_max;
    if (s < cfg->sweep_min) s = cfg->sweep_min;
    nsamp[i] = s;
    total += s;
    if (s > maxs) maxs = s;
  }
  const size_t cells = (size_t)sw->nisa * (size_t)maxs;
  double *ms = calloc(cells, sizeof(double));
  double *pg = calloc(cells, sizeof(double));
  double *ratio = calloc(cells, sizeof(double));
  double *p1 = calloc((size_t)total, sizeof(double));
  double *ag = calloc(cells, sizeof(double)), *aratio = calloc(cells, sizeof(double));
  double *a1 = calloc((size_t)total, sizeof(double));
  if (ag == NULL || aratio == NULL || a1 == NULL) die("out of memory");
  double *kms = calloc(cells * nk, sizeof(double));
  if (ms == NULL || pg == NULL || ratio == NULL || p1 == NULL || kms == NULL) die("out of memory");
  int np1 = 0, na1 = 0;
  for (int s = 0; s < maxs; s++)
    for (int i = 0; i < sw->nisa; i++) {
      if (s >= nsamp[i]) continue;
      const int thr = sw->isa[i].threads;
      const size_t at = (size_t)i * maxs + s;
      if (thr == 1) ag[at] = a1[na1++] = bench_read_pass_gbs(abuf, pbytes);
      pg[at] = bound_gbs(&c, thr);
      if (thr == 1) p1[np1++] = pg[at];
      memset(kern, 0, nk * sizeof(double));
      for (size_t b = 0; b < nk; b++) last[b] = SIZE_MAX;
      int st = BITGEN_OK;
      ms[at] = sweep_once(&c, vsel + (size_t)i * nk, kern, thr, &st, last) / 1e6;
      sweep_check_after(&c, &sw->isa[i], st, last, nk);
      ratio[at] = (double)sw->bytes / pg[at] / 1e6 / ms[at];
      if (thr == 1) aratio[at] = (double)sw->bytes / ag[at] / 1e6 / ms[at];
      for (size_t b = 0; b < nk; b++) kms[((size_t)i * nk + b) * maxs + s] = kern[b] / 1e6;
    }
  sw->bound_gbs_stat = bench_stat_of(p1, np1);
  sw->alloc_gbs_stat = bench_stat_of(a1, na1);
  for (int i = 0; i < sw->nisa; i++) {
    bench_sweep_isa *si = &sw->isa[i];
    si->samples = nsamp[i];
    si->ms = bench_stat_of(ms + (size_t)i * maxs, nsamp[i]);
    si->probe_gbs = bench_stat_of(pg + (size_t)i * maxs, nsamp[i]);
    si->ratio = bench_stat_of(ratio + (size_t)i * maxs, nsamp[i]);
    if (si->threads == 1) {
      si->alloc_gbs = bench_stat_of(ag + (size_t)i * maxs, nsamp[i]);
      si->alloc_ratio = bench_stat_of(aratio + (size_t)i * maxs, nsamp[i]);
    }
    for (size_t b = 0; b < nk; b++) {
      bench_sweep_kernel *pk = &si->per_kernel[b];
      pk->kernel = b;
      for (size_t j = 0; j < nm; j++)
        if (r->matrix_kernel[j] == b) pk->calls += layers;
      pk->bytes = pk->calls * in[b].psize;
      pk->ms = bench_stat_of(kms + ((size_t)i * nk + b) * maxs, nsamp[i]);
    }
  }
  bitgen_free(abuf);
  free(last);
  free(ag);
  free(aratio);
  free(a1);
  free(pg);
  free(ratio);
  free(p1);
  free(ms);
  free(kms);
  free(kern);
  free(nsamp);
  if (arena) bench_free_huge(arena);
  else
    for (size_t b = 0; b < layers * nm; b++) bitgen_free(c.buf[b]);
  free(c.buf);
  free(vsel);
}

/* ---- main ----------------------------------------------------------------------------------------- */
#if BENCH_POOL
/* Prefill: every shape's general GEMM kernel at N = PREFILL_N tokens, each
 * runnable variant, 1 thread (a direct call) and all cores (the driver on
 * the pool).  Samples are whole GEMMs (milliseconds each). */
enum { PREFILL_N = 128 };
static void bench_prefill_run(bench_results *r, const bench_cfg *cfg) {
  const bitgen_package *pkg = r->pkg;
  const int samples = cfg == &cfg_full ? 15 : 5;
  r->prefill = calloc(pkg->nshapes * 32, sizeof *r->prefill);
  if (r->prefill == NULL) die("out of memory");
  for (size_t s = 0; s < pkg->nshapes; s++) {
    const bitgen_kernel *k = &pkg->kernels[pkg->shapes[s].gemm];
    const size_t M = k->M, K = k->K, N = PREFILL_N, psize = fmt_packed_size(M, K, pkg->prows);
    uint8_t *packed = xalloc(psize);
    float *x = xalloc(N * K * sizeof(float)), *y = xalloc(N * M * sizeof(float));
    tokset ts;
    fmt_pack_random(M, K, pkg->prows, packed, psize);
    for (size_t i = 0; i < N * K; i++) x[i] = rng_float();
    tokset_alloc(&ts, N, K);
    check(fmt_prepare(x, &ts), "quantize");
    check_tokens(x, &ts, "quantize the prefill tokens");
    const bench_tok *tok = &ts.tok[0]; /* token 0's pointers: the bases of all N */
    const bitgen_variant *sel = PKG_FN(_selected)(pkg->shapes[s].gemm);
    /* the reference output of all N tokens, once per shape */
    float *want = xalloc(N * M * sizeof(float));
    bench_refmat ref;
    check(bench_refmat_unpack(&ref, fmt_kind(), fmt_desc(), M, K, pkg->prows, packed, psize), "unpack (reference)");
    check(bench_refmat_run(&ref, ts.q, ts.act, ts.d, ts.x, N, WSCALE, want), "reference GEMM");
    bench_refmat_free(&ref);
    for (size_t i = 0; i < k->nvariants && r->nprefill < (int)(pkg->nshapes * 32) - 1; i++) {
      const bitgen_variant *v = &k->variants[i];
      if ((v->features & r->machine.features) != v->features || !has_fn(v, 1)) continue;
      if (r->isa_filter && strcmp(v->isa, r->isa_filter) != 0) continue;
      if (strcmp(v->isa, "scalar") == 0 && !r->full) continue; /* seconds per sample */
      for (int threads = 1; threads <= (r->threads_all > 1 ? r->threads_all : 1); threads += r->threads_all - 1) {
        double ms[64];
        const int n = samples < 64 ? samples : 64;
        char what[192];
        for (int t = -1; t < n; t++) { /* t = -1: warm-up, checked against the reference before any timing */
          int st = BITGEN_OK;
          if (t < 0) memset(y, 0xff, N * M * sizeof(float));
          const double t0 = bench_now_ns();
#if BENCH_FMT
          if (g_run) {
            if (threads == 1)
              st = bitgen_variant_run(v, packed, &tok->acts, WSCALE, y, M, 0, v->tiles, 0, N);
            else
              st = bitgen_drive_run(g_pool, k, v, pkg->prows, fmt_row_bytes(K), packed, &tok->acts, N, WSCALE, y, M);
          } else
#endif
          if (threads == 1)
            v->gemm(packed, tok->q, tok->act, WSCALE, y, M, 0, v->tiles, 0, N);
          else
            st = bitgen_drive_gemm(g_pool, k, v, pkg->prows, packed, tok->q, N, tok->act, WSCALE, y, M);
          if (t >= 0) ms[t] = (bench_now_ns() - t0) / 1e6;
          snprintf(what, sizeof what, "prefill %s, %s, N = %zu, %d thread%s, %s", k->name, v->name, N, threads,
                   threads > 1 ? "s" : "", t < 0 ? "before timing" : "timed");
          check(st, what);
          if (t < 0 && fault_fire(FAULT_PREFILL)) corrupt(&y[N * M - 1]);
          if (t < 0 || t == n - 1) check_output(y, want, N * M, what, &g_checks->prefill);
        }
        bench_prefill *p = &r->prefill[r->nprefill++];
        p->k = k, p->v = v, p->selected = v == sel, p->threads = threads, p->samples = n, p->N = N;
        p->ms = bench_stat_of(ms, n);
        p->gops = 2.0 * (double)M * (double)K * (double)N / (p->ms.median * 1e6);
        p->ops_per_cycle = r->clock.ghz > 0 ? p->gops / r->clock.ghz / threads : 0;
        if (r->threads_all <= 1) break;
      }
    }
    tokset_free(&ts), bitgen_free(x), bitgen_free(y), bitgen_free(packed), bitgen_free(want);
  }
}
#endif

static void usage(FILE *f) {
  fprintf(f,
          "usage: bitgen-bench [--quick | --full] [--json PATH] [--svg PATH] [--layers N] [--isa NAME] [--hugepages]\n"
          "  --quick       fewer repetitions (the default)\n"
          "  --full        more repetitions\n"
          "  --json PATH   JSON results (default bench-results.json)\n"
          "  --svg PATH    SVG chart (default bench-results.svg)\n"
          "  --layers N    layers of the cold sweep (default: the model's)\n"
          "  --isa NAME    only the variants of this ISA\n"
          "  --hugepages   cold sweep buffers in memory with 2 MiB pages requested (default: bitgen_alloc)\n"
          "  --inject-fault WHAT  TEST ONLY: break one check on purpose (quant, hot, sweep, prefill,\n"
          "                status-quant, status-drive); the run must then fail (bench/README.md)\n");
}

static void remove_old_output(const char *path) {
  struct stat st;
  if (path && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) unlink(path);
}

int main(int argc, char **argv) {
  const char *json_path = "bench-results.json", *svg_path = "bench-results.svg";
  long layers_opt = -1;
  bench_results r;
  memset(&r, 0, sizeof r);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--full") == 0) r.full = 1;
    else if (strcmp(a, "--quick") == 0) r.full = 0;
    else if (strcmp(a, "--hugepages") == 0) r.hugepages = 1;
    else if (strcmp(a, "--json") == 0 && i + 1 < argc) json_path = argv[++i];
    else if (strcmp(a, "--svg") == 0 && i + 1 < argc) svg_path = argv[++i];
    else if (strcmp(a, "--isa") == 0 && i + 1 < argc) r.isa_filter = argv[++i];
    else if (strcmp(a, "--inject-fault") == 0 && i + 1 < argc) {
      const char *w = argv[++i];
      for (int f = 1; f < NFAULT; f++)
        if (strcmp(w, fault_names[f]) == 0) g_fault = f;
      if (g_fault == FAULT_NONE) {
        fprintf(stderr, "bitgen-bench: --inject-fault: unknown fault %s\n", w);
        return 2;
      }
      fprintf(stderr, "bitgen-bench: TEST ONLY: --inject-fault %s: this run must fail\n", w);
    }
    else if (strcmp(a, "--layers") == 0 && i + 1 < argc) {
      char *end;
      layers_opt = strtol(argv[++i], &end, 10);
      if (*end != 0 || layers_opt < 1) {
        fprintf(stderr, "bitgen-bench: --layers wants a positive integer\n");
        return 2;
      }
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  const bench_cfg *cfg = r.full ? &cfg_full : &cfg_quick;
  const double wall0 = bench_now_ns();
  g_checks = &r.checks;
  /* A run that fails writes nothing: outputs of an earlier run at these
   * paths must not pass for this run's.  Only regular files are removed: an
   * output path may name /dev/null or another special file. */
  remove_old_output(json_path);
  remove_old_output(svg_path);

  int st = PKG_FN(_init)();
  if (st != BITGEN_OK)
    fprintf(stderr, "bitgen-bench: WARNING: package init: %s (BITGEN_ISA=%s); no variant is marked selected\n",
            bitgen_strerror(st), bitgen_forced_isa() ? bitgen_forced_isa() : "");
  r.pkg = PKG_FN(_package)();
  r.prefix = BG_STR(BITGEN_PKG_PREFIX);
  r.header = BITGEN_PKG_HEADER;
  r.threads = 1;
  g_prows = r.pkg->prows;
#if BENCH_FMT
  g_fmt = bitgen_format_by_name(r.pkg->format);
  if (g_fmt == NULL) {
    fprintf(stderr, "bitgen-bench: the runtime does not know the package's format %s\n", r.pkg->format);
    return 1;
  }
  g_run = g_fmt->kind != BITGEN_KIND_I2S;
#endif
  r.kind = KIND_IS(BLOCK) ? "block" : KIND_IS(TL) ? "tl" : KIND_IS(FP) ? "fp" : "i2s";
  r.quant_fn = fmt_prepare_name();
  bench_machine_read(&r.machine);

  /* The GEMV kernels (with the first runtime, all of them). */
  const bitgen_package *pkg = r.pkg;
  int *bidx = malloc(sizeof(int) * (pkg->nkernels + 1));
  r.kernels = calloc(pkg->nkernels + 1, sizeof(bench_kernel));
  r.not_benched = calloc(pkg->nkernels + 1, sizeof(bench_skip));
  r.matrix_kernel = calloc(pkg->nmatrices + 1, sizeof(size_t));
  if (bidx == NULL || r.kernels == NULL || r.not_benched == NULL || r.matrix_kernel == NULL) die("out of memory");
  for (size_t id = 0; id < pkg->nkernels; id++) {
    const bitgen_kernel *k = &pkg->kernels[id];
    bidx[id] = -1;
    if (is_gemv(k)) {
      bidx[id] = r.nkernels;
      r.kernels[r.nkernels++].id = id;
    } else {
      bench_skip *s = &r.not_benched[r.nnot_benched++];
      snprintf(s->name, sizeof s->name, "%s", k->name);
      snprintf(s->isa, sizeof s->isa, "%s", k->op);
      snprintf(s->reason, sizeof s->reason, "op %s: hot and cold rows are GEMV (one token); GEMM is in the prefill table", k->op);
    }
  }
  if (r.nkernels == 0) die("the package has no GEMV kernels");
  for (size_t j = 0; j < pkg->nmatrices; j++) {
    const size_t id = MATRIX_GEMV_KERNEL(pkg, j);
    if (id >= pkg->nkernels || bidx[id] < 0) die("a matrix has no GEMV kernel");
    r.matrix_kernel[j] = (size_t)bidx[id];
  }
  free(bidx);

  if (r.isa_filter != NULL) {
    int found = 0, can = 0;
    for (int b = 0; b < r.nkernels; b++) {
      const bitgen_kernel *k = &pkg->kernels[r.kernels[b].id];
      for (size_t i = 0; i < k->nvariants; i++)
        if (strcmp(k->variants[i].isa, r.isa_filter) == 0) {
          found = 1;
          can |= runnable(&k->variants[i], r.machine.features);
        }
    }
    if (!found || !can) {
      fprintf(stderr, "bitgen-bench: --isa %s: %s\n", r.isa_filter,
              found ? "this CPU cannot run it" : "no such variant in the package");
      return 2;
    }
  }

  /* All cores: through the package's pool and driver, when it has them. */
#if BENCH_POOL
  if (r.machine.ncpu > 1 && bitgen_pool_create(0, &g_pool) == BITGEN_OK && bitgen_pool_threads(g_pool) > 1) {
    r.threads_all = (int)bitgen_pool_threads(g_pool);
    r.threading = g_run ? "threads > 1: bitgen_drive_run on a bitgen_pool of all online cores (the caller takes part)"
                        : "threads > 1: bitgen_drive_gemv on a bitgen_pool of all online cores (the caller takes part)";
  } else {
    r.threads_all = 0;
    r.threading = "1 thread only: one online CPU, or the pool could not be created";
  }
#else
  r.threads_all = 0;
  r.threading = "1 thread only: this package's runtime has no thread pool (bitgen_pool.h)";
#endif

  fprintf(stderr, "bitgen-bench: %s mode; clock estimate and bandwidth probes...\n", r.full ? "full" : "quick");
  double steal0, busy0, total0, steal1, busy1, total1;
  const int have_times = bench_cpu_times(&steal0, &busy0, &total0);
  const double self0 = bench_self_cpu_s(), wall_start = bench_now_ns();
  bench_clock_estimate(&r.clock, cfg->clock_samples, 1);
  if (bench_probe_run(&r.probe, &r.machine, cfg->probe_samples, r.machine.ncpu) != 0)
    die("bandwidth probe failed (out of memory?)");

  /* Inputs for every kernel (packed once; the same bytes serve every ISA). */
  const size_t nk = (size_t)r.nkernels;
  kernel_input *in = calloc(nk, sizeof *in);
  if (in == NULL) die("out of memory");
  for (size_t b = 0; b < nk; b++) make_input(&in[b], &pkg->kernels[r.kernels[b].id], pkg->prows);

  /* Quantizer per distinct K: the dispatched one and the scalar reference. */
  fprintf(stderr, "bitgen-bench: quantizer...\n");
  r.quant = calloc(nk * 3, sizeof(bench_quant));
  if (r.quant == NULL) die("out of memory");
  for (size_t b = 0; b < nk; b++) {
    const size_t K = in[b].k->K;
    int seen = 0;
    for (int i = 0; i < r.nquant; i++) seen |= r.quant[i].K == K;
    if (seen) continue;
    /* first the format's whole activation work per token (r.quant_fn) */
    bench_quant_one(&r.quant[r.nquant++], fmt_prepare, r.quant_fn, K, cfg);
    if (KIND_IS(I2S)) {
      bench_quant_one(&r.quant[r.nquant++], q_i2s_scalar, "bitgen_quantize_scalar", K, cfg);
    }
#if BENCH_FMT
    if (KIND_IS(TL)) { /* its two parts */
      bench_quant_one(&r.quant[r.nquant++], q_plain, "bitgen_quantize", K, cfg);
      bench_quant_one(&r.quant[r.nquant++], q_tables, "bitgen_tl_tables", K, cfg);
    }
#endif
  }

  for (size_t b = 0; b < nk; b++) {
    fprintf(stderr, "bitgen-bench: hot %s...\n", in[b].k->name);
    bench_hot_kernel(&r, &r.kernels[b], &in[b], cfg);
  }

  const size_t layers = layers_opt > 0 ? (size_t)layers_opt : pkg->layers;
  fprintf(stderr, "bitgen-bench: cold sweep, %zu layers x %zu matrices...\n", layers, pkg->nmatrices);
  bench_sweep_run(&r, in, layers, cfg);

  for (size_t b = 0; b < nk; b++) free_input(&in[b]);
  free(in);
#if BENCH_POOL
  fprintf(stderr, "bitgen-bench: prefill, N = %d...\n", PREFILL_N);
  bench_prefill_run(&r, cfg);
  bitgen_pool_destroy(g_pool);
  g_pool = NULL;
#endif
  bench_clock_estimate(&r.clock, cfg->clock_samples, 0);
  r.machine.steal_percent = r.machine.others_cpu_percent = -1;
  if (have_times && bench_cpu_times(&steal1, &busy1, &total1) && total1 > total0) {
    const double others = (busy1 - busy0) - (bench_self_cpu_s() - self0);
    const double span = (bench_now_ns() - wall_start) / 1e9;
    r.machine.steal_percent = 100.0 * (steal1 - steal0) / (total1 - total0);
    r.machine.others_cpu_percent = span > 0 ? 100.0 * (others > 0 ? others : 0) / span : 0;
  }
  r.wall_s = (bench_now_ns() - wall0) / 1e9;

  /* Signs that something else ran: CPU time of other processes during the
   * run, a dependent-add loop that often ran slower than its best, stolen
   * time. */
  {
    const bench_machine *m = &r.machine;
    const bench_clock *ck = &r.clock;
    size_t n = 0;
    /* The load average lags (it still counts a run that just ended), so it
     * only speaks when the CPU time of the others could not be measured. */
    if (m->others_cpu_percent < 0 && m->loadavg_start >= 0.5 * m->ncpu)
      n += (size_t)snprintf(r.machine.busy + n, sizeof r.machine.busy - n, "load average %.2f at start; ",
                            m->loadavg_start);
    if (ck->ghz > 0 && (ck->ghz_median_start < 0.9 * ck->ghz || ck->ghz_median_end < 0.9 * ck->ghz) &&
        n < sizeof r.machine.busy)
      n += (size_t)snprintf(r.machine.busy + n, sizeof r.machine.busy - n,
                            "clock loop medians %.2f/%.2f GHz vs best %.2f (CPU shared); ", ck->ghz_median_start,
                            ck->ghz_median_end, ck->ghz);
    if (m->others_cpu_percent > 10 && n < sizeof r.machine.busy)
      n += (size_t)snprintf(r.machine.busy + n, sizeof r.machine.busy - n,
                            "other processes used %.0f%% of a CPU during the run; ", m->others_cpu_percent);
    if (m->steal_percent > 2 && n < sizeof r.machine.busy)
      n += (size_t)snprintf(r.machine.busy + n, sizeof r.machine.busy - n, "%.1f%% steal time; ", m->steal_percent);
    if (n >= 2 && n < sizeof r.machine.busy) r.machine.busy[n - 2] = 0;
  }

  /* An injected fault that reached this point was not caught: never exit 0. */
  if (g_fault != FAULT_NONE) {
    fprintf(stderr, "bitgen-bench: --inject-fault %s was %s; nothing is written\n", fault_names[g_fault],
            g_fault_applied ? "applied but NOT detected: a check is missing"
                            : "never applied (this package or CPU has no such path)");
    return 3;
  }

  bench_derive(&r);
  bench_print_table(stdout, &r);
  int rc = 0;
  if (bench_write_json(json_path, &r) != 0) {
    fprintf(stderr, "bitgen-bench: cannot write %s\n", json_path);
    rc = 1;
  }
  if (bench_write_svg(svg_path, &r) != 0) {
    fprintf(stderr, "bitgen-bench: cannot write %s\n", svg_path);
    rc = 1;
  }
  printf("\nJSON: %s\nSVG:  %s\n", json_path, svg_path);
  bench_machine_free(&r.machine);
  return rc;
}
