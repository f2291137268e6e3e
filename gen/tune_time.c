/* bitgen-tune-time: the timing driver of `bitgen tune` (gen/tune.lua).  It
 * is compiled against one candidate package (its public header and static
 * library) after that package's bitgen-verify passed, and times every
 * matrix kernel of it with one thread, hot (the same weights every call):
 * GEMV per shape, GEMM at N = TUNE_TOKENS (or the specialized batch); a
 * GEMV also cold, as a decode step runs it: over copies of its packed
 * weights that together span four times the last-level cache (64 MiB at
 * least), each called once in turn, so every call streams its weights
 * from memory (what a software prefetch distance changes).
 * Each shape's weights are random, packed once.  One line per kernel on stdout:
 *   kernel NAME variant VARIANT isa ISA ns MEDIAN [cold COLD] digest HEX
 * MEDIAN: median over the samples of ns per call (COLD: of a cold sweep,
 * per call); HEX: FNV-1a 64 of the output bytes for fixed inputs (the same
 * for every candidate of a kernel, since every candidate is bit-exact: tune
 * compares them; a cold sweep's last output must equal it too).
 * usage: bitgen-tune-time [--quick]   (exit 0, or 1 with a message on stderr)
 * Built with -DTUNE_PREFIX=bitgen_<model> -DTUNE_HEADER="\"bitgen_<model>.h\"". */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include TUNE_HEADER

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define F(name) CAT(TUNE_PREFIX, CAT(_, name))

enum { TUNE_TOKENS = 128, MAX_SAMPLES = 15 };

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* xorshift64*: fixed inputs, the same in every candidate */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static float next_float(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (float)((rng * 0x2545f4914f6cdd1du) >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3u;
  return h;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int fail(const char *what, const char *kernel, int rc) {
  fprintf(stderr, "bitgen-tune-time: %s: %s: %s\n", kernel, what, F(strerror)(rc));
  return 1;
}

/* One call of the kernel: GEMV when n == 0, else GEMM over n tokens. */
struct job {
  size_t shape, M, n, size;
  const void *packed;
  float wscale;
  const F(act) *act;
  float *y;
  bitgen_pool *pool;
};

static int call(const struct job *j) {
  if (j->n == 0) return F(gemv)(j->shape, j->packed, j->size, j->wscale, j->act, j->y, j->M, j->pool);
  return F(gemm)(j->shape, j->packed, j->size, j->wscale, j->act, j->n, j->y, j->M, j->pool);
}

/* Median ns per call: calls per sample calibrated to at least target_ns. */
static int time_job(const struct job *j, int samples, uint64_t target_ns, uint64_t *median) {
  int rc = call(j); /* warm: weights and tables into cache, pages touched */
  if (rc != BITGEN_OK) return rc;
  uint64_t reps = 1;
  for (;;) {
    uint64_t t0 = now_ns();
    for (uint64_t r = 0; r < reps; r++)
      if ((rc = call(j)) != BITGEN_OK) return rc;
    uint64_t dt = now_ns() - t0;
    if (dt >= target_ns || reps >= ((uint64_t)1 << 30)) break;
    reps = dt == 0 ? reps * 16 : reps * (target_ns / dt + 1);
  }
  uint64_t s[MAX_SAMPLES];
  for (int i = 0; i < samples; i++) {
    uint64_t t0 = now_ns();
    for (uint64_t r = 0; r < reps; r++)
      if ((rc = call(j)) != BITGEN_OK) return rc;
    s[i] = (now_ns() - t0) / reps;
  }
  qsort(s, (size_t)samples, sizeof s[0], cmp_u64);
  *median = s[samples / 2];
  return BITGEN_OK;
}

/* The largest cache of cpu0 (sysfs), else 32 MiB. */
static size_t largest_cache(void) {
  size_t best = 0;
  for (int i = 0; i < 8; i++) {
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    unsigned long v = 0;
    char unit = 0;
    if (fscanf(f, "%lu%c", &v, &unit) >= 1) {
      size_t b = (size_t)v * (unit == 'K' ? 1024u : unit == 'M' ? 1048576u : 1u);
      if (b > best) best = b;
    }
    fclose(f);
  }
  return best ? best : (size_t)32 << 20;
}

/* Median ns per call of a GEMV over `copies` copies of its packed weights
 * (stride bytes apart), each called once per sweep; y: the last output. */
static int time_cold(const struct job *j, const unsigned char *copies, size_t n, size_t stride, int samples,
                     uint64_t *median) {
  uint64_t s[MAX_SAMPLES];
  for (int i = -1; i < samples; i++) { /* sweep -1 warms the pages and the TLB */
    uint64_t t0 = now_ns();
    for (size_t c = 0; c < n; c++) {
      struct job jc = *j;
      jc.packed = copies + c * stride;
      int rc = call(&jc);
      if (rc != BITGEN_OK) return rc;
    }
    if (i >= 0) s[i] = (now_ns() - t0) / n;
  }
  qsort(s, (size_t)samples, sizeof s[0], cmp_u64);
  *median = s[samples / 2];
  return BITGEN_OK;
}

/* Tokens a kernel is timed at: 1 (GEMV), its batch, or TUNE_TOKENS. */
static size_t tokens_of(const F(kernel_info) *k) {
  if (strcmp(k->op, "gemv") == 0) return 1;
  return k->N ? k->N : TUNE_TOKENS;
}

/* The shape of a kernel: the one with its M, K and format (names start with it). */
static int shape_of(const F(kernel_info) *k, size_t nshapes, size_t *shape) {
  for (size_t s = 0; s < nshapes; s++) {
    size_t M, K;
    const char *fmt = F(shape_format)(s);
    if (F(shape_dims)(s, &M, &K) != BITGEN_OK || !fmt) continue;
    size_t n = strlen(fmt);
    if (M == k->M && K == k->K && strncmp(k->name, fmt, n) == 0 && k->name[n] == '_') {
      *shape = s;
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  int quick = argc == 2 && strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
    return 2;
  }
  const int samples = quick ? 3 : 5;
  const uint64_t target = quick ? 1000000u : 2000000u;
  int rc = F(init)();
  if (rc != BITGEN_OK) return fail("init", "package", rc);
  static F(info_t) info;
  if ((rc = F(info)(&info)) != BITGEN_OK) return fail("info", "package", rc);
  size_t nshapes = 0;
  for (size_t k = 0; k < info.nkernels; k++) nshapes += strcmp(info.kernels[k].op, "gemv") == 0;
  bitgen_pool *pool = NULL;
  if ((rc = F(pool_create)(1, &pool)) != BITGEN_OK) return fail("pool_create", "package", rc);
  size_t cold = largest_cache() * 4;
  if (cold < ((size_t)64 << 20)) cold = (size_t)64 << 20;
  if (cold > ((size_t)1 << 30)) cold = (size_t)1 << 30;
  /* shape by shape: its weights packed once, then each of its kernels */
  for (size_t shape = 0; shape < nshapes; shape++) {
    size_t M, K;
    if ((rc = F(shape_dims)(shape, &M, &K)) != BITGEN_OK) return fail("shape_dims", "package", rc);
    size_t size = F(packed_size)(shape), max_tokens = 1;
    for (size_t k = 0; k < info.nkernels; k++) {
      size_t s;
      if (!shape_of(&info.kernels[k], nshapes, &s)) {
        fprintf(stderr, "bitgen-tune-time: %s: no shape of %zu x %zu\n", info.kernels[k].name, info.kernels[k].M,
                info.kernels[k].K);
        return 1;
      }
      size_t n = tokens_of(&info.kernels[k]);
      if (s == shape && n > max_tokens) max_tokens = n;
    }
    float *w = malloc(M * K * sizeof *w), *x = malloc(max_tokens * K * sizeof *x);
    void *packed = F(alloc)(size);
    float *y = F(alloc)(max_tokens * M * sizeof *y);
    F(act) *act = NULL;
    if (!w || !x || !packed || !y || (rc = F(act_create)(max_tokens, &act)) != BITGEN_OK) {
      fprintf(stderr, "bitgen-tune-time: shape %zu: out of memory\n", shape);
      return 1;
    }
    for (size_t i = 0; i < M * K; i++) w[i] = next_float();
    for (size_t i = 0; i < max_tokens * K; i++) x[i] = next_float() * 4.0f;
    float wscale;
    if ((rc = F(pack_f32)(shape, M, K, w, packed, size, &wscale)) != BITGEN_OK) return fail("pack_f32", "shape", rc);
    for (size_t k = 0; k < info.nkernels; k++) {
      const F(kernel_info) *ki = &info.kernels[k];
      size_t s;
      if (!shape_of(ki, nshapes, &s) || s != shape) continue;
      size_t n = strcmp(ki->op, "gemv") == 0 ? 0 : tokens_of(ki);
      if ((rc = F(quantize)(x, n ? n : 1, K, act, pool)) != BITGEN_OK) return fail("quantize", ki->name, rc);
      struct job j = {.shape = shape, .M = M, .n = n, .size = size, .packed = packed, .wscale = wscale, .act = act,
                      .y = y, .pool = pool};
      uint64_t median = 0;
      if ((rc = time_job(&j, samples, target, &median)) != BITGEN_OK) return fail(n ? "gemm" : "gemv", ki->name, rc);
      uint64_t digest = fnv1a(y, (n ? n : 1) * M * sizeof *y, 0xcbf29ce484222325u);
      char cold_text[40] = "";
      if (n == 0) { /* GEMV: cold too */
        size_t stride = (size + 63) / 64 * 64; /* the API wants 64-byte aligned weights */
        size_t ncopies = cold / stride + 1;
        unsigned char *copies = F(alloc)(ncopies * stride);
        if (!copies) {
          fprintf(stderr, "bitgen-tune-time: %s: out of memory for %zu cold copies\n", ki->name, ncopies);
          return 1;
        }
        for (size_t c = 0; c < ncopies; c++) memcpy(copies + c * stride, packed, size);
        uint64_t cold_ns = 0;
        if ((rc = time_cold(&j, copies, ncopies, stride, samples, &cold_ns)) != BITGEN_OK) return fail("gemv", ki->name, rc);
        F(free)(copies);
        if (fnv1a(y, M * sizeof *y, 0xcbf29ce484222325u) != digest) {
          fprintf(stderr, "bitgen-tune-time: %s: a cold call's output differs from the hot one's\n", ki->name);
          return 1;
        }
        snprintf(cold_text, sizeof cold_text, " cold %llu", (unsigned long long)cold_ns);
      }
      printf("kernel %s variant %s isa %s ns %llu%s digest %016llx\n", ki->name, ki->variant, ki->isa,
             (unsigned long long)median, cold_text, (unsigned long long)digest);
      fflush(stdout);
    }
    F(act_free)(act);
    F(free)(y);
    F(free)(packed);
    free(x);
    free(w);
  }
  F(pool_destroy)(pool);
  return 0;
}
