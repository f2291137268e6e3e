/* bitgen model loader (bitgen_load.h): check a GGUF file against the
 * package's model table, then pack every tensor into one arena on the pool. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* madvise, MAP_ANONYMOUS */
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "bitgen_rt.h"
#include "bitgen_fmt.h"
#include "bitgen_gguf.h"
#include "bitgen_load.h"
#include "bitgen_pool.h"

#define HUGE_PAGE ((size_t)2 << 20)
/* Source bytes per packing task: about 1/256 of the model, between 16 KiB
 * and 4 MiB: small enough that 2-3 threads share the big embedding evenly
 * and a chunk's file pages are few, large enough that the pool's hand-out
 * costs nothing (and a tiny test model still packs in several chunks). */
#define CHUNK_MIN ((uint64_t)16 << 10)
#define CHUNK_MAX ((uint64_t)4 << 20)
/* Progress is reported (and errors noticed) between waves of tasks. */
#define WAVES 16

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_MALLOC 1 /* so LeakSanitizer sees the arena */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_MALLOC 1
#endif
#endif
#if !defined(ARENA_MALLOC) && !defined(__linux__)
#define ARENA_MALLOC 1
#endif

/* ---- the arena ------------------------------------------------------------ */

void *bitgen_arena_alloc(size_t size, size_t *rounded) {
  if (size == 0 || size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
  size_t r = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
#if defined(ARENA_MALLOC)
  void *p = aligned_alloc(HUGE_PAGE, r);
  if (!p) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, r, MADV_HUGEPAGE);
#endif
  memset(p, 0, r);
#else
  /* An anonymous mapping is zero and costs no pass over it; trimmed to a
   * 2 MiB boundary so every page can be a huge page. */
  uint8_t *m = mmap(NULL, r + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  uintptr_t a = ((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
  size_t head = (size_t)(a - (uintptr_t)m), tail = HUGE_PAGE - head;
  if (head) munmap(m, head);
  if (tail) munmap((uint8_t *)a + r, tail);
  void *p = (void *)a;
#if defined(MADV_HUGEPAGE)
  (void)madvise(p, r, MADV_HUGEPAGE);
#endif
#endif
  if (rounded) *rounded = r;
  return p;
}

void bitgen_arena_free(void *arena, size_t rounded) {
  if (!arena) return;
#if defined(ARENA_MALLOC)
  (void)rounded;
  free(arena);
#else
  munmap(arena, rounded);
#endif
}

/* ---- formats ---------------------------------------------------------------- */

enum { K_VEC, K_I2S, K_TL, K_BLK, K_FP };

/* The GGUF tensor type a format imports (tl packs from I2_S). */
static const struct {
  const char *name;
  uint32_t ggml;
} TYPES[] = {
  {"i2s", BITGEN_GGML_I2_S}, {"tl", BITGEN_GGML_I2_S}, {"tq1_0", BITGEN_GGML_TQ1_0}, {"tq2_0", BITGEN_GGML_TQ2_0},
  {"q4_0", BITGEN_GGML_Q4_0}, {"q8_0", BITGEN_GGML_Q8_0}, {"q6_k", BITGEN_GGML_Q6_K}, {"f16", BITGEN_GGML_F16},
  {"bf16", BITGEN_GGML_BF16},
};

/* Per table entry: what the file must hold and how it packs. */
typedef struct {
  int kind;
  const bitgen_format *f;
  uint32_t ggml;
  size_t packed;    /* bytes in the arena */
  uint64_t src;     /* bytes in the file */
  size_t row_src;   /* chunkable: source bytes per row; 0: one task */
  size_t tile;      /* chunkable: packed bytes per pack tile */
} entry_info;

static size_t packed_size(const entry_info *e, size_t M, size_t K, size_t prows) {
  switch (e->kind) {
  case K_I2S: return bitgen_i2s_packed_size(M, K, prows);
  case K_TL: return bitgen_tl_packed_size(M, K, prows);
  case K_BLK: return bitgen_blk_packed_size(e->f, M, K, prows);
  case K_FP: return bitgen_fp_packed_size(e->f, M, K, prows);
  default: return K <= SIZE_MAX / 4 ? 4 * K : 0;
  }
}

/* 0, or a message for a table the generator got wrong (never a file's fault). */
static const char *entry_setup(const bitgen_load_tensor *t, entry_info *e) {
  memset(e, 0, sizeof *e);
  if (!t->format) {
    e->kind = K_VEC;
    e->ggml = BITGEN_GGML_F32;
    if (t->M != 1 || t->K == 0) return "an f32 vector has M = 1 and K > 0";
    e->packed = packed_size(e, 1, t->K, 1);
    e->src = (uint64_t)t->K * 4;
    return e->packed ? NULL : "size overflows";
  }
  e->f = bitgen_format_by_name(t->format);
  if (!e->f) return "unknown format";
  e->ggml = UINT32_MAX;
  for (size_t i = 0; i < sizeof TYPES / sizeof *TYPES; i++)
    if (strcmp(TYPES[i].name, t->format) == 0) e->ggml = TYPES[i].ggml;
  if (e->ggml == UINT32_MAX) return "format without a GGUF type";
  switch (e->f->kind) {
  case BITGEN_KIND_I2S: e->kind = K_I2S; break;
  case BITGEN_KIND_TL: e->kind = K_TL; break;
  case BITGEN_KIND_BLOCK: e->kind = K_BLK; break;
  case BITGEN_KIND_FP: e->kind = K_FP; break;
  default: return "unknown format kind";
  }
  if (t->M == 0 || t->K == 0 || t->prows == 0) return "empty shape";
  e->packed = packed_size(e, t->M, t->K, t->prows);
  if (!e->packed) return "the format refuses the shape";
  if (e->kind == K_I2S || e->kind == K_TL) {
    e->src = (uint64_t)t->M * t->K / 4 + 32; /* codes, then the f32 scale and 28 zero bytes */
    return NULL;
  }
  e->row_src = e->kind == K_BLK ? bitgen_blk_gguf_size(e->f, 1, t->K) : bitgen_fp_gguf_size(e->f, 1, t->K);
  if (!e->row_src) return "the format refuses the row length";
  e->src = (uint64_t)e->row_src * t->M;
  /* chunks of whole pack tiles when tiles are independent and 64-byte aligned */
  size_t tile = packed_size(e, t->prows, t->K, t->prows);
  size_t tiles = (t->M + t->prows - 1) / t->prows;
  if (tile && tile % BITGEN_ALIGN == 0 && tiles <= SIZE_MAX / tile && tile * tiles == e->packed) e->tile = tile;
  else e->row_src = 0;
  return NULL;
}

/* ---- errors ----------------------------------------------------------------- */

typedef struct {
  const bitgen_load_opts *o;
  const char *src;
} ctx_t;

static int fail(const ctx_t *c, int status, const char *fmt, ...) {
  if (c->o && c->o->error && c->o->error_size) {
    int n = snprintf(c->o->error, c->o->error_size, "%s: ", c->src);
    if (n >= 0 && (size_t)n < c->o->error_size) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(c->o->error + n, c->o->error_size - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return status;
}

static int from_gguf(const ctx_t *c, int st, const bitgen_gguf_error *e) {
  int status = st == BITGEN_GGUF_E_IO ? BITGEN_E_IO : st == BITGEN_GGUF_E_NOMEM ? BITGEN_E_NOMEM
             : st == BITGEN_GGUF_E_NULL ? BITGEN_E_NULL : BITGEN_E_FORMAT;
  /* the reader's message already starts with the source */
  if (c->o && c->o->error && c->o->error_size) snprintf(c->o->error, c->o->error_size, "%s", e->message);
  return status;
}

/* ---- checks ----------------------------------------------------------------- */

static int check_hparams(const ctx_t *c, const bitgen_gguf *g, const bitgen_load_spec *s) {
  const char *a;
  size_t alen;
  int st = bitgen_gguf_get_str(g, "general.architecture", &a, &alen);
  if (st == BITGEN_GGUF_E_NOTFOUND) return fail(c, BITGEN_E_MISMATCH, "general.architecture: missing; the package is %s", s->arch);
  if (st) return fail(c, BITGEN_E_MISMATCH, "general.architecture: not a string; the package is %s", s->arch);
  if (alen != strlen(s->arch) || memcmp(a, s->arch, alen) != 0)
    return fail(c, BITGEN_E_MISMATCH, "general.architecture: '%.*s', the package is %s", (int)(alen > 64 ? 64 : alen), a,
                s->arch);
  for (size_t i = 0; i < s->nhparams; i++) {
    const bitgen_load_hparam *h = &s->hparams[i];
    char key[160];
    snprintf(key, sizeof key, "%s.%s", s->arch, h->key);
    if (!bitgen_gguf_find_kv(g, key)) {
      if (h->required) return fail(c, BITGEN_E_MISMATCH, "%s: missing (the package's model has it)", key);
      continue;
    }
    if (h->is_float) {
      double v;
      if (bitgen_gguf_get_float(g, key, &v)) return fail(c, BITGEN_E_MISMATCH, "%s: not a number", key);
      if ((float)v != (float)h->f)
        return fail(c, BITGEN_E_MISMATCH, "%s: %.9g, the package expects %.9g", key, v, (double)(float)h->f);
    } else {
      uint64_t v;
      if (bitgen_gguf_get_uint(g, key, &v)) return fail(c, BITGEN_E_MISMATCH, "%s: not a non-negative integer", key);
      if (v != h->u)
        return fail(c, BITGEN_E_MISMATCH, "%s: %llu, the package expects %llu", key, (unsigned long long)v,
                    (unsigned long long)h->u);
    }
  }
  return BITGEN_OK;
}

/* An instance's tensor name. */
static void inst_name(const bitgen_load_tensor *t, size_t layer, char *buf, size_t n) {
  if (t->per_layer) {
    /* the pattern is the generator's (one %d); written by hand to need no format string from data */
    const char *p = strstr(t->name, "%d");
    if (p) {
      snprintf(buf, n, "%.*s%zu%s", (int)(p - t->name), t->name, layer, p + 2);
      return;
    }
  }
  snprintf(buf, n, "%s", t->name);
}

static const char *type_name(uint32_t type) {
  const char *n = bitgen_ggml_type_name(type);
  return n ? n : "unknown";
}

static int check_tensor(const ctx_t *c, const bitgen_gguf_tensor *gt, const char *name, const bitgen_load_tensor *t,
                        const entry_info *e) {
  if (!gt) return fail(c, BITGEN_E_MISMATCH, "tensor '%s': missing (the package's model has it)", name);
  if (!t->format) {
    if (gt->n_dims != 1 || gt->dims[0] != t->K)
      return fail(c, BITGEN_E_MISMATCH, "tensor '%s': shape %s%llu%s, the package expects a vector of %zu", name,
                  gt->n_dims == 1 ? "" : "of more than one dimension, ", (unsigned long long)gt->dims[0],
                  gt->n_dims == 1 ? "" : " x ...", t->K);
  } else if (gt->n_dims != 2 || gt->dims[0] != t->K || gt->dims[1] != t->M) {
    if (gt->n_dims != 2)
      return fail(c, BITGEN_E_MISMATCH, "tensor '%s': %u dimensions, the package expects a %zu x %zu (M x K) matrix",
                  name, gt->n_dims, t->M, t->K);
    return fail(c, BITGEN_E_MISMATCH, "tensor '%s': shape %llu x %llu (M x K), the package expects %zu x %zu", name,
                (unsigned long long)gt->dims[1], (unsigned long long)gt->dims[0], t->M, t->K);
  }
  if (gt->type != e->ggml)
    return fail(c, BITGEN_E_MISMATCH, "tensor '%s': type %s (ggml %u), the package expects %s (ggml %u%s%s)", name,
                type_name(gt->type), gt->type, type_name(e->ggml), e->ggml, t->format ? ", format " : "",
                t->format ? t->format : "");
  if (gt->size != e->src)
    return fail(c, BITGEN_E_MISMATCH, "tensor '%s': %llu data bytes, the package expects %llu", name,
                (unsigned long long)gt->size, (unsigned long long)e->src);
  return BITGEN_OK;
}

/* ---- packing ------------------------------------------------------------------ */

typedef struct {
  size_t inst, entry;
  size_t rows;          /* rows of this chunk (whole tensor: M) */
  const uint8_t *src;
  size_t src_size;
  uint8_t *dst;
  size_t dst_size;
  int status;
} task;

typedef struct {
  task *tasks;
  size_t first;
  const bitgen_load_spec *s;
  const entry_info *info;
  bitgen_loaded *out;
  const uint8_t *map;   /* the file's mapping (drop packed pages), or NULL */
  size_t page;
} job;

static void drop_pages(const job *j, const uint8_t *p, size_t n) {
#if defined(__linux__) && defined(MADV_DONTNEED)
  if (!j->map || !j->page) return;
  uintptr_t a = ((uintptr_t)p + j->page - 1) & ~(uintptr_t)(j->page - 1);
  uintptr_t b = ((uintptr_t)p + n) & ~(uintptr_t)(j->page - 1);
  /* a read-only file mapping: the pages refault from the page cache if read again */
  if (b > a) (void)madvise((void *)a, (size_t)(b - a), MADV_DONTNEED);
#else
  (void)j, (void)p, (void)n;
#endif
}

static void run_task(void *ctx, size_t i) {
  const job *j = ctx;
  task *k = &j->tasks[j->first + i];
  const bitgen_load_tensor *t = &j->s->tensors[k->entry];
  const entry_info *e = &j->info[k->entry];
  float scale = 1.0f;
  switch (e->kind) {
  case K_VEC: {
    memcpy(k->dst, k->src, k->dst_size);
    const float *v = (const float *)(const void *)k->dst;
    k->status = BITGEN_OK;
    for (size_t x = 0; x < t->K; x++)
      if (!isfinite(v[x])) k->status = BITGEN_E_VALUE;
    break;
  }
  case K_I2S:
    k->status = bitgen_i2s_pack_gguf(t->M, t->K, t->prows, k->src, k->src_size, k->dst, k->dst_size, &scale);
    break;
  case K_TL:
    k->status = bitgen_tl_pack_gguf(t->M, t->K, t->prows, k->src, k->src_size, k->dst, k->dst_size, &scale);
    break;
  case K_BLK:
    k->status = bitgen_blk_pack_gguf(e->f, k->rows, t->K, t->prows, k->src, k->src_size, k->dst, k->dst_size);
    break;
  default:
    k->status = bitgen_fp_pack_gguf(e->f, k->rows, t->K, t->prows, k->src, k->src_size, k->dst, k->dst_size);
    break;
  }
  if (e->kind == K_I2S || e->kind == K_TL) j->out[k->inst].scale = scale; /* one task per such tensor */
  drop_pages(j, k->src, k->src_size);
}

static const char *value_reason(int kind) {
  switch (kind) {
  case K_VEC: return "an f32 value that is not finite";
  case K_I2S: case K_TL: return "I2_S code 3, or a per-tensor scale that is not finite or is zero";
  case K_BLK: return "a block scale that is not finite (or TQ2_0 code 3)";
  default: return "a value that is Inf or NaN";
  }
}

/* ---- the loader --------------------------------------------------------------- */

/* Rows per task of a chunkable tensor: whole pack tiles, about `chunk` bytes. */
static size_t rows_per_chunk(const bitgen_load_tensor *t, const entry_info *e, uint64_t chunk) {
  uint64_t tile_src = (uint64_t)e->row_src * t->prows;
  uint64_t tiles = chunk / tile_src;
  return (size_t)(tiles ? tiles : 1) * t->prows;
}

size_t bitgen_load_instances(const bitgen_load_spec *s) {
  size_t per = 0;
  for (size_t i = 0; i < s->ntensors; i++) per += s->tensors[i].per_layer != 0;
  return per * s->n_layer + (s->ntensors - per);
}

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
  return x < y ? -1 : x > y;
}

int bitgen_load_model(const bitgen_load_spec *s, const char *path, const void *data, size_t size, const char *name,
                      const bitgen_load_opts *o, bitgen_loaded *out, void **arena, size_t *arena_size,
                      uint64_t *file_bytes) {
  ctx_t c = {o, path ? path : (name ? name : "(memory)")}; /* as the GGUF reader names it */
  if (o && o->error && o->error_size) o->error[0] = '\0';
  if (!s || !out || !arena || !arena_size || !file_bytes) return fail(&c, BITGEN_E_NULL, "no output pointer");
  if (!path && !data) return fail(&c, BITGEN_E_NULL, "no file name and no buffer");

  /* the table, per entry (a generator bug if it fails) */
  size_t ninst = bitgen_load_instances(s), nper = 0;
  entry_info *info = calloc(s->ntensors ? s->ntensors : 1, sizeof *info);
  const bitgen_gguf_tensor **found = calloc(ninst ? ninst : 1, sizeof *found);
  bitgen_loaded *res = calloc(ninst ? ninst : 1, sizeof *res);
  size_t *offs = calloc(ninst ? ninst : 1, sizeof *offs);
  size_t *ent = calloc(ninst ? ninst : 1, sizeof *ent);
  task *tasks = NULL;
  bitgen_gguf *g = NULL;
  void *mem = NULL;
  size_t rounded = 0;
  int st = BITGEN_OK;
  if (!info || !found || !res || !offs || !ent) {
    st = fail(&c, BITGEN_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < s->ntensors; i++) {
    const char *why = entry_setup(&s->tensors[i], &info[i]);
    if (why) {
      st = fail(&c, BITGEN_E_VALUE, "the package's model table: tensor '%s': %s", s->tensors[i].name, why);
      goto done;
    }
    if (s->tensors[i].per_layer) {
      if (i != nper) {
        st = fail(&c, BITGEN_E_VALUE, "the package's model table: per-layer tensors must come first");
        goto done;
      }
      nper++;
    }
  }

  /* the file */
  bitgen_gguf_error ge;
  int gs = path ? bitgen_gguf_open(path, &g, &ge) : bitgen_gguf_open_memory(data, size, name, &g, &ge);
  if (gs) {
    st = from_gguf(&c, gs, &ge);
    goto done;
  }
  if ((st = check_hparams(&c, g, s))) goto done;

  /* every tensor, in arena order; offsets 64-byte aligned */
  size_t cursor = 0;
  uint64_t total = 0;
  size_t ntasks = 0;
  for (size_t n = 0; n < ninst; n++) {
    size_t e = n < nper * s->n_layer ? n % nper : nper + (n - nper * s->n_layer);
    size_t layer = n < nper * s->n_layer ? n / nper : 0;
    char tname[BITGEN_GGUF_MAX_NAME + 32];
    inst_name(&s->tensors[e], layer, tname, sizeof tname);
    found[n] = bitgen_gguf_find_tensor(g, tname);
    if ((st = check_tensor(&c, found[n], tname, &s->tensors[e], &info[e]))) goto done;
    ent[n] = e;
    cursor = (cursor + BITGEN_ALIGN - 1) & ~(size_t)(BITGEN_ALIGN - 1);
    if (cursor > SIZE_MAX - info[e].packed) {
      st = fail(&c, BITGEN_E_NOMEM, "the model does not fit the address space");
      goto done;
    }
    offs[n] = cursor;
    cursor += info[e].packed;
    total += info[e].src;
  }
  uint64_t chunk = total / 256 < CHUNK_MIN ? CHUNK_MIN : total / 256 > CHUNK_MAX ? CHUNK_MAX : total / 256;
  for (size_t n = 0; n < ninst; n++) {
    const bitgen_load_tensor *t = &s->tensors[ent[n]];
    ntasks += info[ent[n]].row_src ? (t->M + rows_per_chunk(t, &info[ent[n]], chunk) - 1) / rows_per_chunk(t, &info[ent[n]], chunk) : 1;
  }
  /* no tensor the package does not know */
  if (bitgen_gguf_tensor_count(g) != ninst) {
    qsort(found, ninst, sizeof *found, cmp_ptr);
    for (size_t i = 0; i < bitgen_gguf_tensor_count(g); i++) {
      const bitgen_gguf_tensor *t = bitgen_gguf_tensor_at(g, i);
      if (!bsearch(&t, found, ninst, sizeof *found, cmp_ptr)) {
        st = fail(&c, BITGEN_E_MISMATCH, "tensor '%s': not a tensor of the package's model (%s)", t->name, s->arch);
        goto done;
      }
    }
  }

  /* the arena and the tasks */
  mem = bitgen_arena_alloc(cursor ? cursor : 1, &rounded);
  tasks = calloc(ntasks ? ntasks : 1, sizeof *tasks);
  if (!mem || !tasks) {
    st = fail(&c, BITGEN_E_NOMEM, "out of memory for the %zu-byte arena", cursor);
    goto done;
  }
  size_t nt = 0;
  for (size_t n = 0; n < ninst; n++) {
    /* found[] may be sorted now: look the tensor up again */
    size_t e = ent[n];
    const bitgen_load_tensor *t = &s->tensors[e];
    const entry_info *inf = &info[e];
    size_t layer = n < nper * s->n_layer ? n / nper : 0;
    char tname[BITGEN_GGUF_MAX_NAME + 32];
    inst_name(t, layer, tname, sizeof tname);
    const bitgen_gguf_tensor *gt = bitgen_gguf_find_tensor(g, tname);
    uint8_t *dst = (uint8_t *)mem + offs[n];
    res[n].data = dst;
    res[n].size = inf->packed;
    res[n].scale = 1.0f;
    if (!inf->row_src) {
      tasks[nt++] = (task){n, e, t->M, gt->data, (size_t)gt->size, dst, inf->packed, 0};
      continue;
    }
    size_t rows_per = rows_per_chunk(t, inf, chunk);
    for (size_t r0 = 0; r0 < t->M; r0 += rows_per) {
      size_t rows = t->M - r0 < rows_per ? t->M - r0 : rows_per;
      size_t tiles = (rows + t->prows - 1) / t->prows;
      tasks[nt++] = (task){n, e, rows, gt->data + r0 * inf->row_src, rows * inf->row_src,
                           dst + r0 / t->prows * inf->tile, tiles * inf->tile, 0};
    }
  }

  /* pack, wave by wave: progress and errors between waves */
  int mapped = path != NULL;
  job j = {tasks, 0, s, info, res, mapped ? bitgen_gguf_file_data(g) : NULL, 0};
#if defined(__linux__)
  if (mapped) {
    long pg = sysconf(_SC_PAGESIZE);
    j.page = pg > 0 ? (size_t)pg : 0;
  }
#endif
  bitgen_pool *pool = o ? o->pool : NULL;
  uint64_t done_bytes = 0, wave = total / WAVES ? total / WAVES : 1;
  for (size_t a = 0; a < nt;) {
    size_t b = a;
    uint64_t bytes = 0;
    while (b < nt && (bytes < wave || b == a)) bytes += tasks[b++].src_size;
    j.first = a;
    if (pool) {
      int rs = bitgen_pool_run(pool, b - a, run_task, &j);
      if (rs) {
        st = fail(&c, rs, "the thread pool refused the work");
        goto done;
      }
    } else {
      for (size_t i = 0; i < b - a; i++) run_task(&j, i);
    }
    for (size_t i = a; i < b; i++) {
      if (tasks[i].status == BITGEN_OK) continue;
      const task *k = &tasks[i];
      char tname[BITGEN_GGUF_MAX_NAME + 32];
      inst_name(&s->tensors[k->entry], k->entry < nper ? k->inst / nper : 0, tname, sizeof tname);
      if (k->status == BITGEN_E_VALUE)
        st = fail(&c, BITGEN_E_VALUE, "tensor '%s': data the format %s refuses: %s", tname,
                  s->tensors[k->entry].format ? s->tensors[k->entry].format : "f32", value_reason(info[k->entry].kind));
      else
        st = fail(&c, k->status, "tensor '%s': packing failed: %s", tname, bitgen_strerror(k->status));
      goto done;
    }
    done_bytes += bytes;
    if (o && o->progress) o->progress(o->progress_ctx, done_bytes, total);
    a = b;
  }
  if (nt == 0 && o && o->progress) o->progress(o->progress_ctx, 0, 0);

  memcpy(out, res, ninst * sizeof *out);
  *arena = mem;
  *arena_size = rounded;
  *file_bytes = total;
  mem = NULL;
done:
  if (mem) bitgen_arena_free(mem, rounded);
  bitgen_gguf_close(g);
  free(tasks);
  free(ent);
  free(offs);
  free(res);
  free((void *)found);
  free(info);
  return st;
}
