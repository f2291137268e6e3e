/* Thread drivers: cut a multiply into tasks and run them on a pool.  Task
 * boundaries fall on pack tiles (rows) and on the kernel's token tile, so
 * every output element is computed by one kernel call with the same
 * arithmetic whatever the thread count: results are bit-identical. */
#include <math.h>

#include "bitgen_rt.h"

/* At least this many packed weight bytes per task: below it, waking a
 * thread costs more than it saves. */
#define MIN_TASK_BYTES (32u * 1024u)

typedef struct {
  const bitgen_variant *v;
  const uint8_t *packed;
  const int8_t *q;
  const bitgen_act *act;
  const bitgen_acts *acts; /* bitgen_drive_run */
  float *y;
  int32_t xsum;
  float scale;
  size_t K, M, N, ldy;
  size_t row_tasks, tiles_per_task; /* rows: kernel tiles per task */
  size_t tok_tasks, toks_per_task;  /* tokens per task (GEMM) */
  int specialized;
} job;

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* Splits the kernel's row tiles into at most `want` tasks of whole pack
 * tiles, each worth at least MIN_TASK_BYTES of weight traffic (times the
 * tokens it serves). */
static void split_rows(job *j, size_t prows, size_t row_bytes, size_t tokens, size_t want) {
  size_t per_pack = prows / j->v->rows; /* kernel tiles per pack tile (rows divides prows) */
  if (per_pack == 0) per_pack = 1;
  size_t packs = ceil_div(j->v->tiles, per_pack);
  size_t min_packs = ceil_div(MIN_TASK_BYTES, prows * row_bytes * tokens);
  size_t tasks = want < packs ? want : packs;
  if (tasks > packs / min_packs) tasks = packs / min_packs;
  if (tasks == 0) tasks = 1;
  j->tiles_per_task = ceil_div(packs, tasks) * per_pack;
  j->row_tasks = ceil_div(j->v->tiles, j->tiles_per_task);
}

static void gemv_task(void *ctx, size_t i) {
  const job *j = ctx;
  size_t t0 = i * j->tiles_per_task, t1 = t0 + j->tiles_per_task;
  if (t1 > j->v->tiles) t1 = j->v->tiles;
  j->v->gemv(j->packed, j->q, j->xsum, j->scale, j->y, t0, t1);
}

int bitgen_drive_gemv(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                      const uint8_t *packed, const int8_t *q, int32_t xsum, float scale, float *y) {
  if (!k || !v || !v->gemv || !packed || !q || !y) return BITGEN_E_NULL;
  if (!isfinite(scale)) return BITGEN_E_VALUE; /* wscale / act.scale, checked by the caller */
  if (!pool) pool = bitgen_pool_default();
  size_t threads = bitgen_pool_threads(pool);
  if (threads <= 1) {
    v->gemv(packed, q, xsum, scale, y, 0, v->tiles);
    return BITGEN_OK;
  }
  job j = {.v = v, .packed = packed, .q = q, .y = y, .xsum = xsum, .scale = scale};
  split_rows(&j, prows, k->K / 4, 1, 2 * threads);
  return bitgen_pool_run(pool, j.row_tasks, gemv_task, &j);
}

/* Tasks of a GEMM-like call: rows first (weights are read once per row
 * task); tokens only when the rows alone cannot feed `want` tasks. */
static void split_tasks(job *j, size_t prows, size_t row_bytes, size_t want) {
  split_rows(j, prows, row_bytes, j->N, want);
  j->tok_tasks = 1;
  j->toks_per_task = j->N;
  if (!j->specialized && j->N > 1 && j->row_tasks < want) {
    size_t tok_tiles = ceil_div(j->N, j->v->tokens);
    size_t split = ceil_div(want, j->row_tasks);
    if (split > tok_tiles) split = tok_tiles;
    j->toks_per_task = ceil_div(tok_tiles, split) * j->v->tokens;
    j->tok_tasks = ceil_div(j->N, j->toks_per_task);
  }
}

/* Row tiles [t0, t1) and tokens [n0, n1) of task i. */
static void task_range(const job *j, size_t i, size_t *t0, size_t *t1, size_t *n0, size_t *n1) {
  size_t r = i % j->row_tasks, c = i / j->row_tasks;
  *t0 = r * j->tiles_per_task, *t1 = *t0 + j->tiles_per_task;
  if (*t1 > j->v->tiles) *t1 = j->v->tiles;
  *n0 = c * j->toks_per_task, *n1 = *n0 + j->toks_per_task;
  if (*n1 > j->N) *n1 = j->N;
}

static void gemm_task(void *ctx, size_t i) {
  const job *j = ctx;
  size_t t0, t1, n0, n1;
  task_range(j, i, &t0, &t1, &n0, &n1);
  j->v->gemm(j->packed, j->q, j->act, j->scale, j->y, j->ldy, t0, t1, n0, n1);
}

int bitgen_drive_gemm(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                      const uint8_t *packed, const int8_t *q, size_t N, const bitgen_act *act, float wscale,
                      float *y, size_t M) {
  return bitgen_drive_gemm_ld(pool, k, v, prows, packed, q, N, act, wscale, y, M, M);
}

int bitgen_drive_gemm_ld(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                         const uint8_t *packed, const int8_t *q, size_t N, const bitgen_act *act, float wscale,
                         float *y, size_t M, size_t ldy) {
  if (!k || !v || !v->gemm || !packed || !q || !act || !y) return BITGEN_E_NULL;
  if (N == 0 || (k->N > 1 && k->N != N) || k->M != M || ldy < M) return BITGEN_E_SIZE;
  int st = bitgen_check_ternary_scales(wscale, act, N);
  if (st != BITGEN_OK) return st;
  if (!pool) pool = bitgen_pool_default();
  size_t threads = bitgen_pool_threads(pool);
  job j = {.v = v, .packed = packed, .q = q, .act = act, .y = y, .scale = wscale, .K = k->K, .M = M, .N = N,
           .ldy = ldy, .specialized = k->N > 1};
  if (threads <= 1) {
    v->gemm(packed, q, act, wscale, y, ldy, 0, v->tiles, 0, N);
    return BITGEN_OK;
  }
  split_tasks(&j, prows, k->K / 4, 4 * threads);
  return bitgen_pool_run(pool, j.row_tasks * j.tok_tasks, gemm_task, &j);
}

static void run_task(void *ctx, size_t i) {
  const job *j = ctx;
  size_t t0, t1, n0, n1;
  task_range(j, i, &t0, &t1, &n0, &n1);
  j->v->run(j->packed, j->acts, j->scale, j->y, j->ldy, t0, t1, n0, n1);
}

/* The scales a run kernel reads: block formats' activation d (N x K/block),
 * tl's wscale and act[N]; other kinds take none here. */
static int run_scales(const bitgen_kernel *k, const bitgen_acts *a, size_t N, float wscale) {
  const bitgen_format *f = bitgen_format_by_name(k->format);
  if (f == NULL) return BITGEN_E_KERNEL;
  if (f->kind == BITGEN_KIND_TL) return bitgen_check_ternary_scales(wscale, a->act, N);
  if (f->kind == BITGEN_KIND_FP) { /* f32 activations: finite (a NaN's bits would differ by ISA) */
    if (N > SIZE_MAX / k->K) return BITGEN_E_SIZE;
    return bitgen_check_fp_acts(a->x, N * k->K);
  }
  if (f->kind != BITGEN_KIND_BLOCK) return BITGEN_OK;
  if (k->K % f->block != 0 || N > SIZE_MAX / (k->K / f->block)) return BITGEN_E_SIZE;
  return bitgen_check_block_scales(a->d, N * (k->K / f->block));
}

/* The bitgen_fmt.h formats: one kernel type for GEMV and GEMM; the same
 * task split as bitgen_drive_gemm (a GEMV is one token). */
int bitgen_drive_run(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                     size_t row_bytes, const uint8_t *packed, const bitgen_acts *a, size_t N, float wscale,
                     float *y, size_t M) {
  return bitgen_drive_run_ld(pool, k, v, prows, row_bytes, packed, a, N, wscale, y, M, M);
}

int bitgen_drive_run_ld(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                        size_t row_bytes, const uint8_t *packed, const bitgen_acts *a, size_t N, float wscale,
                        float *y, size_t M, size_t ldy) {
  if (!k || !v || !v->run || !packed || !a || !y) return BITGEN_E_NULL;
  if (N == 0 || (k->N > 1 && k->N != N) || (k->N == 1 && N != 1) || k->M != M || ldy < M) return BITGEN_E_SIZE;
  int st = run_scales(k, a, N, wscale);
  if (st != BITGEN_OK) return st;
  if (!pool) pool = bitgen_pool_default();
  size_t threads = bitgen_pool_threads(pool);
  if (threads <= 1) {
    v->run(packed, a, wscale, y, ldy, 0, v->tiles, 0, N);
    return BITGEN_OK;
  }
  job j = {.v = v, .packed = packed, .acts = a, .y = y, .scale = wscale, .K = k->K, .M = M, .N = N, .ldy = ldy,
           .specialized = k->N > 1};
  split_tasks(&j, prows, row_bytes, (N == 1 ? 2 : 4) * threads); /* GEMV: as bitgen_drive_gemv */
  return bitgen_pool_run(pool, j.row_tasks * j.tok_tasks, run_task, &j);
}
