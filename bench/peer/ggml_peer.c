/* bitgen-peer-ggml: ggml's own CPU kernels, for a side-by-side with bitgen.
 *
 * Loads the prebuilt llama.cpp CPU libraries that the npm package
 * @node-llama-cpp/linux-x64 ships (libggml-base.so and one
 * libggml-cpu-<variant>.so per x86 level: haswell = AVX2, zen4 = AVX-512 ...)
 * and calls, through ggml's public test/bench interface
 * (ggml_get_type_traits_cpu: from_float, vec_dot), the kernel ggml runs for
 * one weight row against one quantized activation row.  A GEMV is M such
 * calls, as ggml's mul_mat does for one token (without its thread split).
 *
 *   bitgen-peer-ggml check DIR      each supported variant's TQ2_0, TQ1_0,
 *       Q4_0, Q8_0 dot products against bitgen's block reference on the same
 *       integer inputs (ggml's own quantized weights and activations): the
 *       formats mean the same thing in both.  Exit 0, 1 on a mismatch, 77
 *       when DIR has no libraries or the CPU runs no variant.
 *   bitgen-peer-ggml bench DIR [--variant V]... [--format F]... [--layers N] [--json PATH]
 *       hot GEMV per BitNet 2B4T shape (us per call, GB/s, bytes/cycle) and
 *       the cold sweep over N layers (default 30) of distinct buffers in one
 *       2 MiB-page arena, with its streaming-read bound measured on the same
 *       buffers just before each sweep (bitgen-bench's method), 1 thread.
 *       Variants default to haswell and the best one this CPU runs.
 *
 * ggml is not linked: the libraries are opened at run time, and only the
 * few declarations below (ggml's public ABI) are needed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../bench.h"
#include "bitgen_fmt.h"

/* ---- ggml's ABI (ggml.h / ggml-cpu.h) ------------------------------------ */
enum { GT_F16 = 1, GT_Q4_0 = 2, GT_Q8_0 = 8, GT_Q8_K = 15, GT_TQ1_0 = 34, GT_TQ2_0 = 35 };
typedef void (*gg_from_float)(const float *x, void *y, int64_t k);
typedef void (*gg_vec_dot)(int n, float *s, size_t bs, const void *x, size_t bx, const void *y, size_t by, int nrc);
typedef struct {
  gg_from_float from_float;
  gg_vec_dot vec_dot;
  int vec_dot_type;
  int64_t nrows;
} gg_traits_cpu;

typedef struct {
  void *base, *cpu;
  size_t (*quantize_chunk)(int type, const float *src, void *dst, int64_t start, int64_t nrows, int64_t n_per_row,
                           const float *imatrix);
  size_t (*row_size)(int type, int64_t ne);
  void (*cpu_init)(void);
  const gg_traits_cpu *(*traits)(int type);
  int (*score)(void);
} gg_lib;

static const char *const variants_all[] = {"haswell", "skylakex", "icelake", "cascadelake", "cooperlake",
                                           "cannonlake", "alderlake", "sapphirerapids", "zen4", "sse42", "x64"};

typedef struct {
  const char *name; /* bitgen's format name */
  int type;         /* ggml type */
} fmt_row;
static const fmt_row formats_all[] = {{"tq2_0", GT_TQ2_0}, {"tq1_0", GT_TQ1_0}, {"q4_0", GT_Q4_0}, {"q8_0", GT_Q8_0}};

static void *sym(void *h, const char *name, const char *lib) {
  void *p = dlsym(h, name);
  if (p == NULL) fprintf(stderr, "bitgen-peer-ggml: %s has no %s\n", lib, name);
  return p;
}

/* 0: loaded; 77: no such files; 1: broken. */
static int gg_open(gg_lib *g, const char *dir, const char *variant) {
  char path[4096];
  memset(g, 0, sizeof *g);
  snprintf(path, sizeof path, "%s/libggml-base.so", dir);
  g->base = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (g->base == NULL) return 77;
  snprintf(path, sizeof path, "%s/libggml-cpu-%s.so", dir, variant);
  g->cpu = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (g->cpu == NULL) return 77;
  g->quantize_chunk = (size_t(*)(int, const float *, void *, int64_t, int64_t, int64_t, const float *))sym(
      g->base, "ggml_quantize_chunk", "libggml-base.so");
  g->row_size = (size_t(*)(int, int64_t))sym(g->base, "ggml_row_size", "libggml-base.so");
  g->cpu_init = (void (*)(void))sym(g->cpu, "ggml_cpu_init", path);
  g->traits = (const gg_traits_cpu *(*)(int))sym(g->cpu, "ggml_get_type_traits_cpu", path);
  g->score = (int (*)(void))sym(g->cpu, "ggml_backend_score", path);
  if (!g->quantize_chunk || !g->row_size || !g->cpu_init || !g->traits || !g->score) return 1;
  return 0;
}

/* The variant runs on this CPU (ggml's own score: 0 = a feature is missing). */
static int gg_usable(gg_lib *g) {
  if (g->score() <= 0) return 0;
  g->cpu_init();
  return 1;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* xorshift64*, uniform in [-1, 1) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (float)((double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 4503599627370496.0 - 1.0);
}

/* ggml-quantized weights, M rows of K; NULL on failure. */
static uint8_t *make_weights(gg_lib *g, int type, size_t M, size_t K, size_t *row_bytes, void *into) {
  float *w = malloc(sizeof(float) * M * K);
  if (w == NULL) return NULL;
  for (size_t i = 0; i < M * K; i++) w[i] = frand();
  *row_bytes = g->row_size(type, (int64_t)K);
  uint8_t *q = into ? into : malloc(*row_bytes * M);
  if (q != NULL) g->quantize_chunk(type, w, q, 0, (int64_t)M, (int64_t)K, NULL);
  free(w);
  return q;
}

/* One activation row quantized to the weight type's vec_dot_type. */
static uint8_t *make_act(gg_lib *g, int type, size_t K) {
  const gg_traits_cpu *t = g->traits(type);
  const gg_traits_cpu *a = g->traits(t->vec_dot_type);
  uint8_t *q = malloc(g->row_size(t->vec_dot_type, (int64_t)K));
  float *x = malloc(sizeof(float) * K);
  if (q && x) {
    for (size_t k = 0; k < K; k++) x[k] = frand();
    a->from_float(x, q, (int64_t)K);
  }
  free(x);
  return q;
}

static void gemv(const gg_traits_cpu *t, size_t M, size_t K, const uint8_t *w, size_t row_bytes, const uint8_t *a,
                 float *y) {
  for (size_t i = 0; i < M; i++) t->vec_dot((int)K, &y[i], 0, w + i * row_bytes, 0, a, 0, 1);
}

/* ---- check: ggml's dot products against bitgen's reference ----------------- */
static int check_format(gg_lib *g, const char *variant, const fmt_row *fr) {
  const size_t M = 16, K = 1024;
  const bitgen_format *f = bitgen_format_by_name(fr->name);
  const gg_traits_cpu *t = g->traits(fr->type);
  size_t rb = 0;
  uint8_t *w = make_weights(g, fr->type, M, K, &rb, NULL);
  uint8_t *a = make_act(g, fr->type, K);
  const size_t nb = K / f->block, psize = bitgen_blk_packed_size(f, M, K, M);
  void *packed = aligned_alloc(64, (psize + 63) / 64 * 64);
  int8_t *wi = malloc(M * K), *q = malloc(K);
  float *wd = malloc(sizeof(float) * M * nb), *ad = malloc(sizeof(float) * nb), y[16], yref[16];
  int bad = 0;
  if (!w || !a || !packed || !wi || !q || !wd || !ad) {
    fprintf(stderr, "bitgen-peer-ggml: out of memory\n");
    return 1;
  }
  int rc = bitgen_blk_pack_gguf(f, M, K, M, w, rb * M, packed, psize);
  if (rc == 0) rc = bitgen_blk_unpack(f, M, K, M, packed, psize, wi, wd);
  if (rc != 0) {
    fprintf(stderr, "bitgen-peer-ggml: %s: bitgen cannot import ggml's %s rows (%zu bytes each): %s\n", variant,
            fr->name, rb, bitgen_strerror(rc));
    return 1;
  }
  /* the activation blocks, as ggml laid them out: Q8_K {f32 d, qs[256],
   * bsums[16]} (292 B), Q8_0 {f16 d, qs[32]} (34 B) */
  for (size_t b = 0; b < nb; b++) {
    if (t->vec_dot_type == GT_Q8_K) {
      memcpy(&ad[b], a + b * 292, 4);
      memcpy(q + b * 256, a + b * 292 + 4, 256);
    } else {
      uint16_t h;
      memcpy(&h, a + b * 34, 2);
      ad[b] = bitgen_f16_to_f32(h);
      memcpy(q + b * 32, a + b * 34 + 2, 32);
    }
  }
  gemv(t, M, K, w, rb, a, y);
  if (bitgen_ref_blocks(M, K, f->block, wi, wd, q, ad, 1, yref) != 0) bad = 1;
  for (size_t i = 0; i < M && !bad; i++) {
    /* both sum the same exact block products in float, in different
     * orders: the difference is a few roundings of the magnitudes summed */
    double mag = 0;
    for (size_t b = 0; b < nb; b++) {
      long isum = 0;
      for (size_t k = 0; k < f->block; k++) isum += (long)wi[i * K + b * f->block + k] * q[b * f->block + k];
      mag += fabs((double)isum * wd[i * nb + b] * ad[b]);
    }
    if (!(fabs((double)y[i] - (double)yref[i]) <= 1e-5 * mag + 1e-30)) {
      fprintf(stderr, "bitgen-peer-ggml: FAIL %s %s row %zu: ggml %.9g, bitgen reference %.9g (magnitude %.3g)\n",
              variant, fr->name, i, y[i], yref[i], mag);
      bad = 1;
    }
  }
  if (!bad) printf("  %-10s %-6s %zu rows x %zu: ggml's vec_dot = bitgen's reference (within 1e-5 of the magnitude)\n",
                   variant, fr->name, M, K);
  free(w), free(a), free(packed), free(wi), free(q), free(wd), free(ad);
  return bad;
}

static int run_check(const char *dir) {
  int ran = 0, bad = 0;
  for (size_t v = 0; v < sizeof variants_all / sizeof variants_all[0]; v++) {
    gg_lib g;
    const int rc = gg_open(&g, dir, variants_all[v]);
    if (rc == 77) continue;
    if (rc != 0) return 1;
    if (!gg_usable(&g)) {
      printf("  %-10s skipped: this CPU lacks a feature it needs (ggml_backend_score = 0)\n", variants_all[v]);
      continue;
    }
    for (size_t i = 0; i < sizeof formats_all / sizeof formats_all[0]; i++) bad |= check_format(&g, variants_all[v], &formats_all[i]);
    ran++;
  }
  if (ran == 0) {
    printf("bitgen-peer-ggml: SKIP: no ggml CPU library in %s that this CPU runs\n", dir);
    return 77;
  }
  printf("bitgen-peer-ggml: %d variants x %zu formats checked: %s\n", ran, sizeof formats_all / sizeof formats_all[0],
         bad ? "FAIL" : "ok");
  return bad;
}

/* ---- bench ------------------------------------------------------------------- */
typedef struct {
  size_t M, K;
  int per_layer;
} shape;
/* BitNet b1.58 2B4T, one layer: q, k, v, o, gate, up, down (docs: ../shared/MODELS.md) */
static const shape shapes[] = {{2560, 2560, 2}, {640, 2560, 2}, {6912, 2560, 2}, {2560, 6912, 1}};

static double median_of(double *x, int n) {
  return bench_stat_of(x, n).median;
}

static void bench_variant(FILE *js, int first_variant, gg_lib *g, const char *variant, const char **fmts, int nfmt,
                          int layers, double ghz) {
  fprintf(js, "%s\n    {\"variant\": \"%s\", \"score\": %d, \"formats\": [", first_variant ? "" : ",", variant,
          g->score());
  for (int fi = 0; fi < nfmt; fi++) {
    const fmt_row *fr = NULL;
    for (size_t i = 0; i < sizeof formats_all / sizeof formats_all[0]; i++)
      if (strcmp(formats_all[i].name, fmts[fi]) == 0) fr = &formats_all[i];
    if (fr == NULL) continue;
    const gg_traits_cpu *t = g->traits(fr->type);
    fprintf(js, "%s\n      {\"format\": \"%s\", \"hot\": [", fi ? "," : "", fr->name);
    /* hot: one matrix per shape, called over and over */
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      size_t rb = 0;
      uint8_t *w = make_weights(g, fr->type, shapes[s].M, shapes[s].K, &rb, NULL);
      uint8_t *a = make_act(g, fr->type, shapes[s].K);
      float *y = malloc(sizeof(float) * shapes[s].M);
      double smp[25];
      int calls = 1;
      gemv(t, shapes[s].M, shapes[s].K, w, rb, a, y);
      for (double t0 = bench_now_ns(); bench_now_ns() - t0 < 1e6; calls *= 2) /* calls per >= 1 ms sample */
        for (int c = 0; c < calls; c++) gemv(t, shapes[s].M, shapes[s].K, w, rb, a, y);
      for (int r = 0; r < 25; r++) {
        const double t0 = bench_now_ns();
        for (int c = 0; c < calls; c++) gemv(t, shapes[s].M, shapes[s].K, w, rb, a, y);
        smp[r] = (bench_now_ns() - t0) / calls;
      }
      const double ns = median_of(smp, 25), bytes = (double)rb * shapes[s].M;
      printf("  %-10s %-6s hot %5zux%-5zu %9.1f us %7.2f GB/s %6.2f B/cycle\n", variant, fr->name, shapes[s].M,
             shapes[s].K, ns / 1e3, bytes / ns, ghz > 0 ? bytes / ns / ghz : 0);
      fprintf(js, "%s\n        {\"M\": %zu, \"K\": %zu, \"bytes\": %.0f, \"us\": %.3f, \"gbs\": %.3f, \"bytes_per_cycle\": %.3f}",
              s ? "," : "", shapes[s].M, shapes[s].K, bytes, ns / 1e3, bytes / ns, ghz > 0 ? bytes / ns / ghz : 0);
      free(w), free(a), free(y);
    }
    fprintf(js, "\n      ]");
    /* cold: every matrix of every layer in its own place of one arena */
    size_t total = 0, nmat = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      total += g->row_size(fr->type, (int64_t)shapes[s].K) * shapes[s].M * (size_t)shapes[s].per_layer * (size_t)layers;
      nmat += (size_t)shapes[s].per_layer * (size_t)layers;
    }
    const size_t arena_bytes = (total + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
    uint8_t *arena = mmap(NULL, arena_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED) {
      fprintf(js, "}");
      continue;
    }
#ifdef MADV_HUGEPAGE
    madvise(arena, arena_bytes, MADV_HUGEPAGE);
#endif
    /* layer 0 quantized by ggml, the others copies of it: distinct
     * addresses are what makes the sweep cold */
    size_t off = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int r = 0; r < shapes[s].per_layer; r++) {
        size_t rb = 0;
        make_weights(g, fr->type, shapes[s].M, shapes[s].K, &rb, arena + off);
        off += rb * shapes[s].M;
      }
    for (int l = 1; l < layers; l++) memcpy(arena + (size_t)l * off, arena, off);
    off *= (size_t)layers;
    uint8_t *acts[2] = {make_act(g, fr->type, 2560), make_act(g, fr->type, 6912)};
    float *y = malloc(sizeof(float) * 6912);
    double ms[15], ratio[15];
    for (int rep = -1; rep < 15; rep++) {
      double pass[3];
      for (int p = 0; p < 3; p++) pass[p] = bench_read_pass_gbs(arena, (off / 256) * 256);
      const double bound_gbs = median_of(pass, 3);
      const double t0 = bench_now_ns();
      size_t o = 0;
      for (int l = 0; l < layers; l++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
          for (int r = 0; r < shapes[s].per_layer; r++) {
            const size_t rb = g->row_size(fr->type, (int64_t)shapes[s].K);
            gemv(t, shapes[s].M, shapes[s].K, arena + o, rb, acts[shapes[s].K == 6912], y);
            o += rb * shapes[s].M;
          }
      const double dt = bench_now_ns() - t0;
      if (rep >= 0) {
        ms[rep] = dt / 1e6;
        ratio[rep] = ((double)off / bound_gbs) / dt; /* bound time / sweep time */
      }
    }
    const double msm = median_of(ms, 15), rm = median_of(ratio, 15);
    printf("  %-10s %-6s cold %d layers, %zu GEMV, %.1f MB: %.2f ms/token, %.2f GB/s, %.3f of the streaming bound\n",
           variant, fr->name, layers, nmat, (double)off / 1e6, msm, (double)off / msm / 1e6, rm);
    fprintf(js, ",\n       \"cold\": {\"layers\": %d, \"bytes\": %zu, \"ms\": %.4f, \"gbs\": %.3f, \"ratio_to_bound\": %.4f}}",
            layers, off, msm, (double)off / msm / 1e6, rm);
    munmap(arena, arena_bytes);
    free(acts[0]), free(acts[1]), free(y);
  }
  fprintf(js, "\n    ]}");
}

static int run_bench(const char *dir, const char **vars, int nvar, const char **fmts, int nfmt, int layers,
                     const char *json) {
  static const char *def_fmts[] = {"tq2_0", "tq1_0", "q4_0", "q8_0"};
  if (nfmt == 0) fmts = def_fmts, nfmt = 4;
  const char *best = NULL;
  int best_score = 0;
  if (nvar == 0) { /* haswell (AVX2) and the variant ggml would pick here */
    for (size_t v = 0; v < sizeof variants_all / sizeof variants_all[0]; v++) {
      gg_lib g;
      if (gg_open(&g, dir, variants_all[v]) == 0 && g.score() > best_score) best = variants_all[v], best_score = g.score();
    }
    static const char *dv[2];
    dv[nvar++] = "haswell";
    if (best && strcmp(best, "haswell") != 0) dv[nvar++] = best;
    vars = dv;
  }
  bench_clock clk;
  memset(&clk, 0, sizeof clk);
  bench_clock_estimate(&clk, 20, 1);
  FILE *js = fopen(json, "w");
  if (js == NULL) {
    perror(json);
    return 1;
  }
  fprintf(js, "{\"schema\": \"bitgen-peer-ggml/1\", \"lib_dir\": \"%s\", \"ghz\": %.4f, \"threads\": 1, \"variants\": [",
          dir, clk.ghz);
  printf("ggml's CPU kernels from %s, 1 thread, clock %.2f GHz\n", dir, clk.ghz);
  int done = 0;
  for (int v = 0; v < nvar; v++) {
    gg_lib g;
    const int rc = gg_open(&g, dir, vars[v]);
    if (rc != 0 || !gg_usable(&g)) {
      printf("  %-10s skipped: %s\n", vars[v], rc == 77 ? "no such library" : rc ? "broken library" : "this CPU cannot run it");
      continue;
    }
    bench_variant(js, done == 0, &g, vars[v], fmts, nfmt, layers, clk.ghz);
    done++;
  }
  fprintf(js, "\n]}\n");
  fclose(js);
  printf("JSON: %s\n", json);
  return done ? 0 : 77;
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "bench") != 0)) {
    fprintf(stderr, "usage: bitgen-peer-ggml check DIR\n"
                    "       bitgen-peer-ggml bench DIR [--variant V]... [--format F]... [--layers N] [--json PATH]\n");
    return 2;
  }
  if (strcmp(argv[1], "check") == 0) return run_check(argv[2]);
  const char *vars[16], *fmts[16], *json = "peer-ggml.json";
  int nvar = 0, nfmt = 0, layers = 30;
  for (int i = 3; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--variant") == 0 && nvar < 16) vars[nvar++] = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--format") == 0 && nfmt < 16) fmts[nfmt++] = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--layers") == 0) layers = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--json") == 0) json = argv[++i];
    else {
      fprintf(stderr, "bitgen-peer-ggml: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  if (layers < 1) layers = 1;
  return run_bench(argv[2], vars, nvar, fmts, nfmt, layers, json);
}
