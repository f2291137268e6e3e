/* Load bench of a model package's generated loader (docs/MODEL_RUNTIME.md):
 * loads a GGUF file with 1 and 2 threads (or --threads N), and prints the
 * load time, GB/s (tensor bytes of the file per second) and the peak
 * resident memory of each load against the bound "packed model + one tensor
 * of scratch".  The page cache is warmed by an untimed first load.
 * Compiled per package with -DBITGEN_PKG_HEADER / -DBITGEN_PKG_PREFIX.
 * usage: bitgen-load-bench FILE.gguf [--threads N] */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include BITGEN_PKG_HEADER

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* kB of a /proc/self/status field, or -1 */
static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
  fclose(f);
  return v;
}

/* Resets the peak (VmHWM) to the current RSS; 0 if the kernel allows it. */
static int reset_peak(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return -1;
  int ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* the largest matrix's packed bytes: the bound's "one tensor of scratch" */
static size_t largest(const PKG(model) *m) {
  size_t s = m->token_embd.size > m->output.size ? m->token_embd.size : m->output.size;
  const PKG(layer) *L = &m->layer[0];
  const PKG(weight) *w[] = {&L->attn_q, &L->attn_k, &L->attn_v, &L->attn_output, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
  for (size_t i = 0; i < sizeof w / sizeof *w; i++)
    if (w[i]->size > s) s = w[i]->size;
  return s;
}

static int load_once(const char *path, size_t threads, int report) {
  bitgen_pool *pool;
  if (PKG(pool_create)(threads, &pool)) return 1;
  char err[512] = "";
  PKG(load_options) o = {0};
  o.pool = pool, o.error = err, o.error_size = sizeof err;
  PKG(model) m;
  int peak_ok = reset_peak() == 0;
  long base = status_kb("VmRSS");
  double t0 = now();
  int rc = PKG(load)(path, &o, &m);
  double dt = now() - t0;
  if (rc) {
    fprintf(stderr, "load failed: %s (%s)\n", err, PKG(strerror)(rc));
    PKG(pool_destroy)(pool);
    return 1;
  }
  long hwm = status_kb("VmHWM");
  if (report) {
    double gb = (double)m.file_bytes / 1e9;
    double bound = (double)(m.arena_size + largest(&m)) / 1048576.0;
    printf("load, %zu thread%s: %.3f s, %.2f GB of tensors, %.2f GB/s; arena %.1f MiB (%s)\n", threads,
           threads == 1 ? "" : "s", dt, gb, gb / dt, (double)m.arena_size / 1048576.0,
           m.tied ? "output tied to token_embd" : "untied output");
    if (peak_ok && hwm > 0 && base >= 0)
      printf("  peak RSS during the load: %.1f MiB above the %.1f MiB before it; bound (arena + largest tensor) "
             "%.1f MiB: %s\n", (double)(hwm - base) / 1024.0, (double)base / 1024.0, bound,
             (double)(hwm - base) / 1024.0 <= bound ? "within" : "EXCEEDED");
    else {
      struct rusage ru;
      getrusage(RUSAGE_SELF, &ru);
      printf("  peak RSS of the process: %.1f MiB (no per-load peak on this kernel); bound %.1f MiB\n",
             (double)ru.ru_maxrss / 1024.0, bound);
    }
  }
  PKG(model_free)(&m);
  PKG(pool_destroy)(pool);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE.gguf [--threads N]\n", argv[0]);
    return 2;
  }
  size_t only = 0;
  for (int i = 2; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--threads") == 0) only = (size_t)strtoul(argv[i + 1], NULL, 10);
  PKG(info_t) info;
  PKG(info)(&info);
  printf("model %s (%s, %d layers): loading %s\n", info.model, CAT(BITGEN_PKG_PREFIX_UPPER, ARCH),
         CAT(BITGEN_PKG_PREFIX_UPPER, N_LAYER), argv[1]);
  if (load_once(argv[1], 2, 0)) return 1; /* warms the page cache */
  if (only) return load_once(argv[1], only, 1);
  return load_once(argv[1], 1, 1) || load_once(argv[1], 2, 1);
}
