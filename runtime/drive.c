/* Thread drivers: cut a multiply into tasks and run them on a pool.  Task
 * boundaries fall on pack tiles (rows) and on the kernel's token tile, so
 * every output element is computed by one kernel call with the same
 * arithmetic whatever the thread count: results are bit-identical. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

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
  /* bitgen_drive_run, variants with scratch: one buffer of scratch_bytes per
   * slot; a task takes a free slot (at most `slots` tasks run at once: one
   * per pool thread) and gives it back */
  uint8_t *scratch;
  size_t scratch_bytes, slots;
  atomic_uint *busy;
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
  if (!j->scratch) {
    j->v->run(j->packed, j->acts, j->scale, j->y, j->ldy, t0, t1, n0, n1);
    return;
  }
  size_t s = i % j->slots;
  while (atomic_exchange_explicit(&j->busy[s], 1u, memory_order_acquire)) s = (s + 1) % j->slots;
  bitgen_acts a = *j->acts;
  a.scratch = j->scratch + s * j->scratch_bytes;
  j->v->run(j->packed, &a, j->scale, j->y, j->ldy, t0, t1, n0, n1);
  atomic_store_explicit(&j->busy[s], 0u, memory_order_release);
}

int bitgen_variant_run(const bitgen_variant *v, const uint8_t *packed, const bitgen_acts *a, float wscale,
                       float *y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1) {
  const size_t bytes = bitgen_variant_scratch(v, n1 - n0);
  bitgen_acts own = *a;
  own.scratch = NULL;
  /* not bitgen_alloc: a kernel writes its scratch before reading it */
  if (bytes && (bytes == SIZE_MAX || !(own.scratch = aligned_alloc(64, bytes)))) return BITGEN_E_NOMEM;
  v->run(packed, &own, wscale, y, ldy, t0, t1, n0, n1);
  free(own.scratch);
  return BITGEN_OK;
}

size_t bitgen_variant_scratch(const bitgen_variant *v, size_t ntok) {
  if (!v || (v->scratch_fixed == 0 && v->scratch_token == 0)) return 0;
  if (v->scratch_token && ntok > (SIZE_MAX - 64 - v->scratch_fixed) / v->scratch_token) return SIZE_MAX;
  return (v->scratch_fixed + v->scratch_token * ntok + 63) / 64 * 64;
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
  job j = {.v = v, .packed = packed, .acts = a, .y = y, .scale = wscale, .K = k->K, .M = M, .N = N, .ldy = ldy,
           .specialized = k->N > 1, .row_tasks = 1, .tiles_per_task = v->tiles, .tok_tasks = 1, .toks_per_task = N};
  if (threads > 1) split_tasks(&j, prows, row_bytes, (N == 1 ? 2 : 4) * threads); /* GEMV: as bitgen_drive_gemv */
  size_t tasks = j.row_tasks * j.tok_tasks;
  j.scratch_bytes = bitgen_variant_scratch(v, j.toks_per_task);
  if (j.scratch_bytes) {
    j.slots = threads < tasks ? threads : tasks;
    if (j.scratch_bytes == SIZE_MAX || j.slots > SIZE_MAX / j.scratch_bytes) return BITGEN_E_NOMEM;
    /* not bitgen_alloc: a kernel writes its scratch before reading it */
    j.scratch = aligned_alloc(64, j.slots * j.scratch_bytes);
    j.busy = malloc(j.slots * sizeof *j.busy);
    if (!j.scratch || !j.busy) {
      free(j.scratch);
      free(j.busy);
      return BITGEN_E_NOMEM;
    }
    for (size_t s = 0; s < j.slots; s++) atomic_init(&j.busy[s], 0u);
  }
  if (threads <= 1 || tasks == 1) {
    run_task(&j, 0);
    st = BITGEN_OK;
  } else {
    st = bitgen_pool_run(pool, tasks, run_task, &j);
  }
  free(j.scratch);
  free((void *)j.busy);
  return st;
}
