/* bitgen-bench: timing, statistics, machine description, clock estimate and
 * memory bandwidth probes.
 *
 * The probes read a buffer with the widest vector loads the CPU has (chosen
 * at run time; the file itself builds with baseline flags) so that they
 * measure the memory hierarchy, not the instruction set. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) where the C library has it */
#include "bench.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

/* ---- timing ---------------------------------------------------------------- */
double bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (s sorted, n >= 1). */
static double quantile(const double *s, int n, double q) {
  const double pos = q * (double)(n - 1);
  const int i = (int)pos;
  if (i + 1 >= n) return s[n - 1];
  return s[i] + (pos - (double)i) * (s[i + 1] - s[i]);
}

bench_stat bench_stat_of(const double *x, int n) {
  bench_stat st;
  memset(&st, 0, sizeof st);
  if (n <= 0) return st;
  double *s = malloc(sizeof(double) * (size_t)n);
  if (s == NULL) return st;
  memcpy(s, x, sizeof(double) * (size_t)n);
  qsort(s, (size_t)n, sizeof(double), cmp_double);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += s[i];
  st.n = n;
  st.min = s[0];
  st.max = s[n - 1];
  st.median = quantile(s, n, 0.5);
  st.p10 = quantile(s, n, 0.1);
  st.p90 = quantile(s, n, 0.9);
  st.mean = sum / n;
  free(s);
  return st;
}

bench_stat bench_stat_inverse(bench_stat t, double num) {
  bench_stat r;
  r.n = t.n;
  r.median = t.median > 0 ? num / t.median : 0;
  r.min = t.max > 0 ? num / t.max : 0;
  r.max = t.min > 0 ? num / t.min : 0;
  r.p10 = t.p90 > 0 ? num / t.p90 : 0;
  r.p90 = t.p10 > 0 ? num / t.p10 : 0;
  r.mean = t.mean > 0 ? num / t.mean : 0; /* rate at the mean time */
  return r;
}

/* ---- machine ----------------------------------------------------------------- */
static void trim(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  size_t i = 0;
  while (s[i] == ' ' || s[i] == '\t') i++;
  if (i) memmove(s, s + i, n - i + 1);
}

static int read_line_file(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  if (fgets(buf, (int)size, f) == NULL) {
    fclose(f);
    return -1;
  }
  fclose(f);
  trim(buf);
  return 0;
}

/* "32K", "1024K", "32M", "1G" or a plain number -> bytes. */
static size_t parse_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  switch (*end) {
  case 'K': case 'k': v <<= 10; break;
  case 'M': case 'm': v <<= 20; break;
  case 'G': case 'g': v <<= 30; break;
  default: break;
  }
  return (size_t)v;
}

/* CPUs in a list like "0-3,8,10-11". */
static int count_cpu_list(const char *s) {
  int n = 0;
  while (*s) {
    char *end;
    long a = strtol(s, &end, 10), b;
    if (end == s) break;
    b = a;
    if (*end == '-') {
      s = end + 1;
      b = strtol(s, &end, 10);
    }
    n += (int)(b - a + 1);
    s = end;
    if (*s == ',') s++;
  }
  return n;
}

static void read_cpuinfo(bench_machine *m) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[8192];
  strcpy(m->cpu_model, "unknown");
  m->cpu_flags = NULL;
  if (f == NULL) return;
  int have_model = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    char *colon = strchr(line, ':');
    if (colon == NULL) continue;
    *colon = 0;
    char *key = line, *val = colon + 1;
    trim(key);
    trim(val);
    if (!have_model && (strcmp(key, "model name") == 0 || strcmp(key, "Model") == 0 ||
                        strcmp(key, "uarch") == 0)) {
      snprintf(m->cpu_model, sizeof m->cpu_model, "%s", val);
      have_model = 1;
    } else if (m->cpu_flags == NULL && (strcmp(key, "flags") == 0 || strcmp(key, "Features") == 0 ||
                                        strcmp(key, "isa") == 0)) {
      m->cpu_flags = malloc(strlen(val) + 1);
      if (m->cpu_flags) strcpy(m->cpu_flags, val);
    } else if (m->cpuinfo_mhz == 0 && strcmp(key, "cpu MHz") == 0) {
      m->cpuinfo_mhz = atof(val);
    }
  }
  fclose(f);
}

static void read_caches(bench_machine *m) {
  char path[128], buf[128];
  m->ncaches = 0;
  for (int i = 0; i < 16 && m->ncaches < BENCH_MAX_CACHES; i++) {
    bench_cache c;
    memset(&c, 0, sizeof c);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (read_line_file(path, buf, sizeof buf) != 0) continue;
    c.level = atoi(buf);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (read_line_file(path, c.type, sizeof c.type) != 0) strcpy(c.type, "unknown");
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (read_line_file(path, buf, sizeof buf) != 0) continue;
    c.size = parse_size(buf);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", i);
    if (read_line_file(path, c.shared, sizeof c.shared) != 0) strcpy(c.shared, "");
    m->caches[m->ncaches++] = c;
  }
  int top = 0;
  for (int i = 0; i < m->ncaches; i++) {
    const bench_cache *c = &m->caches[i];
    if (strcmp(c->type, "Instruction") == 0) continue;
    if (c->level == 1) m->l1d = c->size;
    if (c->level == 2) m->l2 = c->size;
    if (c->level >= top) {
      top = c->level;
      m->llc = c->size;
      m->llc_shared_cpus = count_cpu_list(c->shared);
    }
  }
  m->cache_source = "sysfs /sys/devices/system/cpu/cpu0/cache";
  if (m->l2 == 0 || m->llc == 0) {
    /* No sysfs (containers without /sys, other OSes): assume typical sizes
     * so the probes still run, and say so in the report. */
    if (m->l1d == 0) m->l1d = 32 << 10;
    if (m->l2 == 0) m->l2 = 1 << 20;
    if (m->llc == 0) m->llc = 32 << 20;
    if (m->llc_shared_cpus == 0) m->llc_shared_cpus = m->ncpu;
    m->cache_source = "ASSUMED defaults (sysfs cache description unavailable): L2 1 MiB, LLC 32 MiB";
  }
  if (m->llc_shared_cpus <= 0) m->llc_shared_cpus = 1;
}

#define BENCH_STR2(x) #x
#define BENCH_STR(x) BENCH_STR2(x)

static void describe_compiler(bench_machine *m) {
#if defined(__clang__)
  snprintf(m->compiler, sizeof m->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
  snprintf(m->compiler, sizeof m->compiler, "gcc %s", __VERSION__);
#else
  snprintf(m->compiler, sizeof m->compiler, "unknown C compiler");
#endif
#if defined(BITGEN_BENCH_CFLAGS)
  snprintf(m->cflags, sizeof m->cflags, "%s", BITGEN_BENCH_CFLAGS);
#else
  /* The build did not pass its flags: record what the compiler tells us. */
  const char *parts[] = {
#if defined(__OPTIMIZE__)
    "optimized (__OPTIMIZE__)",
#else
    "not optimized (no __OPTIMIZE__)",
#endif
#if defined(__AVX512F__)
    "__AVX512F__",
#endif
#if defined(__AVX2__)
    "__AVX2__",
#endif
#if defined(__AVX__)
    "__AVX__",
#endif
#if defined(__SSE4_2__)
    "__SSE4_2__",
#endif
#if defined(__SSE2__)
    "__SSE2__",
#endif
#if defined(__ARM_NEON)
    "__ARM_NEON",
#endif
    "(bench flags not recorded by the build; predefined macros shown; kernels use the package's per-ISA flags)",
  };
  size_t len = 0;
  m->cflags[0] = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    int w = snprintf(m->cflags + len, sizeof m->cflags - len, "%s%s", i ? " " : "", parts[i]);
    if (w < 0 || (size_t)w >= sizeof m->cflags - len) break;
    len += (size_t)w;
  }
#endif
}

void bench_machine_read(bench_machine *m) {
  memset(m, 0, sizeof *m);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  m->ncpu = n > 0 ? (int)n : 1;
  read_cpuinfo(m);
  if (m->cpu_flags == NULL) {
    m->cpu_flags = malloc(1);
    if (m->cpu_flags) m->cpu_flags[0] = 0;
  }
  m->features = bitgen_cpu_features();
  bitgen_features_string(m->features, m->features_str, sizeof m->features_str);
  read_caches(m);
  describe_compiler(m);
  struct utsname u;
  if (uname(&u) == 0)
    snprintf(m->os, sizeof m->os, "%s %s %s", u.sysname, u.release, u.machine);
  else
    strcpy(m->os, "unknown");
  char thp[128];
  strcpy(m->thp, "unknown");
  if (read_line_file("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp) == 0) {
    char *a = strchr(thp, '['), *b = a ? strchr(a, ']') : NULL;
    if (a && b && (size_t)(b - a - 1) < sizeof m->thp) {
      memcpy(m->thp, a + 1, (size_t)(b - a - 1));
      m->thp[b - a - 1] = 0;
    }
  }
  char la[128];
  m->loadavg_start = -1;
  if (read_line_file("/proc/loadavg", la, sizeof la) == 0) m->loadavg_start = atof(la);
  time_t now = time(NULL);
  struct tm tmv;
  if (gmtime_r(&now, &tmv) != NULL)
    strftime(m->timestamp, sizeof m->timestamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

void bench_machine_free(bench_machine *m) {
  free(m->cpu_flags);
  m->cpu_flags = NULL;
}

/* ---- clock estimate -------------------------------------------------------------
 * A chain of dependent register adds retires one add per cycle on every
 * out-of-order core we know of (1-cycle integer add latency); the loop
 * counter is a separate chain.  adds / time = cycles per ns. */
#define CHAIN_ADDS_PER_ITER 16

static int add_chain(long iters) {
#if defined(__x86_64__)
  unsigned long x = 0, n = (unsigned long)iters;
  __asm__ volatile("1:\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "dec %1\n\t"
                   "jnz 1b\n\t"
                   : "+r"(x), "+r"(n)
                   :
                   : "cc");
  return 1;
#elif defined(__aarch64__)
  unsigned long x = 0, n = (unsigned long)iters;
  __asm__ volatile("1:\n\t"
                   "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                   "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                   "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                   "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                   "subs %1, %1, #1\n\t"
                   "b.ne 1b\n\t"
                   : "+r"(x), "+r"(n)
                   :
                   : "cc");
  return 1;
#else
  (void)iters;
  return 0;
#endif
}

void bench_clock_estimate(bench_clock *c, int samples, int start) {
  const long iters = 1000000; /* 16M adds: ~5 ms at 3 GHz */
  double *ghz = malloc(sizeof(double) * (size_t)samples);
  if (start) {
    memset(c, 0, sizeof *c);
    c->method = "unavailable on this architecture";
  }
  if (ghz == NULL || !add_chain(1000)) {
    free(ghz);
    return;
  }
  c->method = "dependent-add chain (16 adds per loop iteration, 1 cycle each): adds / time, highest sample";
  c->adds_per_sample = iters * CHAIN_ADDS_PER_ITER;
  add_chain(iters); /* wake the core up */
  for (int i = 0; i < samples; i++) {
    double t0 = bench_now_ns();
    add_chain(iters);
    double t1 = bench_now_ns();
    ghz[i] = (double)c->adds_per_sample / (t1 - t0);
  }
  bench_stat st = bench_stat_of(ghz, samples);
  if (start) c->ghz_median_start = st.median;
  else c->ghz_median_end = st.median;
  if (st.max > c->ghz) c->ghz = st.max;
  c->samples += samples;
  free(ghz);
}

int bench_cpu_times(double *steal, double *busy, double *total) {
  unsigned long long v[10] = {0};
  const long hz = sysconf(_SC_CLK_TCK);
  FILE *f = fopen("/proc/stat", "r");
  *steal = *busy = *total = 0;
  if (f == NULL || hz <= 0) {
    if (f) fclose(f);
    return 0;
  }
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (n < 8) return 0;
  /* user nice system idle iowait irq softirq steal (guest time is inside user) */
  unsigned long long t = 0;
  for (int i = 0; i < 8; i++) t += v[i];
  *total = (double)t / (double)hz;
  *steal = (double)v[7] / (double)hz;
  *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)hz;
  return 1;
}

double bench_self_cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- read loops -------------------------------------------------------------------
 * Each reads bytes (a multiple of 256) from a 64-byte aligned buffer and
 * folds everything into a value the caller keeps, so no load is dead. */
typedef uint64_t (*read_fn)(const void *buf, size_t bytes);

static uint64_t read_c(const void *buf, size_t bytes) {
  const uint64_t *p = buf;
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (size_t i = 0; i < bytes / 8; i += 8) {
    a0 ^= p[i + 0];
    a1 ^= p[i + 1];
    a2 ^= p[i + 2];
    a3 ^= p[i + 3];
    a4 ^= p[i + 4];
    a5 ^= p[i + 5];
    a6 ^= p[i + 6];
    a7 ^= p[i + 7];
  }
  return a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

#if defined(BENCH_X86)
static uint64_t read_sse2(const void *buf, size_t bytes) {
  const __m128i *p = buf;
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 16; i += 4) {
    a0 = _mm_xor_si128(a0, _mm_load_si128(p + i + 0));
    a1 = _mm_xor_si128(a1, _mm_load_si128(p + i + 1));
    a2 = _mm_xor_si128(a2, _mm_load_si128(p + i + 2));
    a3 = _mm_xor_si128(a3, _mm_load_si128(p + i + 3));
  }
  a0 = _mm_xor_si128(_mm_xor_si128(a0, a1), _mm_xor_si128(a2, a3));
  uint64_t out[2];
  _mm_storeu_si128((__m128i *)out, a0);
  return out[0] ^ out[1];
}

__attribute__((target("avx2"))) static uint64_t read_avx2(const void *buf, size_t bytes) {
  const __m256i *p = buf;
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 32; i += 4) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(p + i + 0));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(p + i + 1));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(p + i + 2));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(p + i + 3));
  }
  a0 = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  uint64_t out[4];
  _mm256_storeu_si256((__m256i *)out, a0);
  return out[0] ^ out[1] ^ out[2] ^ out[3];
}

__attribute__((target("avx512f"))) static uint64_t read_avx512(const void *buf, size_t bytes) {
  const __m512i *p = buf;
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 64; i += 4) {
    a0 = _mm512_xor_si512(a0, _mm512_load_si512((const void *)(p + i + 0)));
    a1 = _mm512_xor_si512(a1, _mm512_load_si512((const void *)(p + i + 1)));
    a2 = _mm512_xor_si512(a2, _mm512_load_si512((const void *)(p + i + 2)));
    a3 = _mm512_xor_si512(a3, _mm512_load_si512((const void *)(p + i + 3)));
  }
  a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
  uint64_t out[8];
  _mm512_storeu_si512((void *)out, a0);
  return out[0] ^ out[1] ^ out[2] ^ out[3] ^ out[4] ^ out[5] ^ out[6] ^ out[7];
}
#endif

static read_fn pick_read(uint32_t cpu, const char **name) {
#if defined(BENCH_X86)
  if (cpu & BITGEN_FEAT_AVX512F) {
    *name = "avx512";
    return read_avx512;
  }
  if (cpu & BITGEN_FEAT_AVX2) {
    *name = "avx2";
    return read_avx2;
  }
  if (cpu & BITGEN_FEAT_SSE2) {
    *name = "sse2";
    return read_sse2;
  }
#else
  (void)cpu;
#endif
  *name = "c (64-bit scalar)";
  return read_c;
}

static volatile uint64_t probe_sink;
static read_fn chosen_read; /* set by bench_probe_run */

double bench_read_pass_gbs(const void *buf, size_t bytes) {
  if (chosen_read == NULL) {
    const char *name;
    chosen_read = pick_read(bitgen_cpu_features(), &name);
  }
  const double t0 = bench_now_ns();
  probe_sink ^= chosen_read(buf, bytes);
  return (double)bytes / (bench_now_ns() - t0);
}

uint64_t bench_read_any(const void *buf, size_t bytes) {
  if (chosen_read == NULL) {
    const char *name;
    chosen_read = pick_read(bitgen_cpu_features(), &name);
  }
  const uint8_t *p = buf;
  uint64_t acc = 0;
  /* bytes up to a 64-byte boundary, whole 256-byte blocks, the rest */
  while (((uintptr_t)p & 63) != 0 && bytes > 0) acc += *p++, bytes--;
  const size_t body = bytes / 256 * 256;
  if (body > 0) acc ^= chosen_read(p, body);
  for (size_t i = body; i < bytes; i++) acc += p[i];
  return acc;
}

/* ---- single-thread probes --------------------------------------------------------- */
static void fill(uint8_t *buf, size_t bytes) {
  for (size_t i = 0; i < bytes; i++) buf[i] = (uint8_t)(i * 131u + 7u);
}

static size_t round_down(size_t v, size_t a) { return v / a * a; }

/* passes: fixed (> 0) or calibrated so that one sample takes >= 2 ms (0).
 * buf: the caller's buffer, or NULL to use a bitgen_alloc'ed one. */
static int probe_1t(bench_probe *p, read_fn rd, uint8_t *given, size_t bytes, int passes, int samples) {
  uint8_t *buf = given ? given : bitgen_alloc(bytes);
  if (buf == NULL) return -1;
  fill(buf, bytes);
  p->bytes = bytes;
  p->threads = 1;
  uint64_t acc = rd(buf, bytes); /* first touch and warm-up */
  acc ^= rd(buf, bytes);
  if (passes <= 0) {
    double t0 = bench_now_ns();
    acc ^= rd(buf, bytes);
    double one = bench_now_ns() - t0;
    passes = (int)(2e6 / (one > 1 ? one : 1)) + 1;
  }
  p->passes = passes;
  double *gbs = malloc(sizeof(double) * (size_t)samples);
  if (gbs == NULL) {
    if (!given) bitgen_free(buf);
    return -1;
  }
  for (int s = 0; s < samples; s++) {
    double t0 = bench_now_ns();
    for (int i = 0; i < passes; i++) acc ^= rd(buf, bytes);
    double t1 = bench_now_ns();
    gbs[s] = (double)bytes * passes / (t1 - t0);
  }
  probe_sink ^= acc;
  p->samples = samples;
  p->gbs = bench_stat_of(gbs, samples);
  free(gbs);
  if (!given) bitgen_free(buf);
  return 0;
}

/* ---- huge pages ------------------------------------------------------------------------
 * On a virtual machine every TLB miss walks two page tables; reading a
 * buffer of 4 KiB pages can cost a good part of the DRAM bandwidth.  These
 * let the probe (and the sweep, with --hugepages) ask for 2 MiB pages
 * whatever the runtime's allocator does, and count what was granted. */
#define HUGE_ALIGN ((size_t)2 << 20)

void *bench_alloc_huge(size_t bytes) {
  const size_t rounded = (bytes + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
  void *p = aligned_alloc(HUGE_ALIGN, rounded);
  if (p == NULL) return NULL;
#if defined(MADV_HUGEPAGE)
  madvise(p, rounded, MADV_HUGEPAGE);
#endif
  memset(p, 0, rounded); /* populate now, with huge pages where granted */
  return p;
}

void bench_free_huge(void *p) { free(p); }

size_t bench_huge_bytes_multi(uint8_t *const *p, const size_t *bytes, size_t n) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  size_t total = 0;
  int inside = 0;
  if (f == NULL) return 0;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long a, b;
    char c;
    /* a mapping's header: "start-end perms offset dev inode [path]" */
    if (sscanf(line, "%lx-%lx %c", &a, &b, &c) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      inside = 0;
      for (size_t i = 0; i < n && !inside; i++) {
        const uintptr_t lo = (uintptr_t)p[i], hi = lo + bytes[i];
        inside = a < hi && b > lo;
      }
      continue;
    }
    unsigned long kb;
    if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) total += (size_t)kb << 10;
  }
  fclose(f);
  return total;
}

size_t bench_huge_bytes(const void *p, size_t bytes) {
  uint8_t *q = (uint8_t *)(uintptr_t)p;
  return bench_huge_bytes_multi(&q, &bytes, 1);
}

/* ---- all-threads streaming probe --------------------------------------------------------
 * T threads each read their own contiguous slice of one buffer; a sample is
 * the bytes of all slices over the time from the first start to the last
 * end.  Barriers line the threads up before every sample. */
typedef struct {
  pthread_barrier_t *bar;
  read_fn rd;
  const uint8_t *slice;
  size_t bytes;
  int rounds; /* warm-up + samples */
  double *start, *end; /* per round */
  uint64_t acc;
} stream_worker;

static void *stream_thread(void *arg) {
  stream_worker *w = arg;
  for (int r = 0; r < w->rounds; r++) {
    pthread_barrier_wait(w->bar);
    w->start[r] = bench_now_ns();
    w->acc ^= w->rd(w->slice, w->bytes);
    w->end[r] = bench_now_ns();
    pthread_barrier_wait(w->bar);
  }
  return NULL;
}

static int probe_threads(bench_probe *p, read_fn rd, uint8_t *buf, size_t bytes, int threads,
                         int samples, int warmup) {
  const int rounds = samples + warmup;
  pthread_barrier_t bar;
  stream_worker *w = calloc((size_t)threads, sizeof *w);
  pthread_t *tid = calloc((size_t)threads, sizeof *tid);
  double *times = calloc((size_t)threads * 2 * (size_t)rounds, sizeof(double));
  double *gbs = calloc((size_t)samples, sizeof(double));
  int rc = -1, started = 0;
  if (w == NULL || tid == NULL || times == NULL || gbs == NULL) goto out;
  if (pthread_barrier_init(&bar, NULL, (unsigned)threads) != 0) goto out;
  const size_t slice = round_down(bytes / (size_t)threads, 256);
  for (int t = 0; t < threads; t++) {
    w[t].bar = &bar;
    w[t].rd = rd;
    w[t].slice = buf + (size_t)t * slice;
    w[t].bytes = slice;
    w[t].rounds = rounds;
    w[t].start = times + (size_t)t * 2 * (size_t)rounds;
    w[t].end = w[t].start + rounds;
  }
  for (int t = 0; t < threads; t++) {
    if (pthread_create(&tid[t], NULL, stream_thread, &w[t]) != 0) break;
    started++;
  }
  if (started < threads) {
    /* The started threads would wait forever at the barrier: give up. */
    fprintf(stderr, "bitgen-bench: could not start %d probe threads\n", threads);
    exit(1);
  }
  for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
  pthread_barrier_destroy(&bar);
  for (int s = 0; s < samples; s++) {
    const int r = s + warmup; /* round 0 is the warm-up, if any */
    double t0 = w[0].start[r], t1 = w[0].end[r];
    for (int t = 1; t < threads; t++) {
      if (w[t].start[r] < t0) t0 = w[t].start[r];
      if (w[t].end[r] > t1) t1 = w[t].end[r];
    }
    gbs[s] = (double)slice * threads / (t1 - t0);
  }
  for (int t = 0; t < threads; t++) probe_sink ^= w[t].acc;
  p->bytes = slice * (size_t)threads;
  p->threads = threads;
  p->passes = 1;
  p->samples = samples;
  p->gbs = bench_stat_of(gbs, samples);
  rc = 0;
out:
  free(w);
  free(tid);
  free(times);
  free(gbs);
  return rc;
}

int bench_probe_run(bench_probes *p, const bench_machine *m, int samples, int threads) {
  read_fn rd = pick_read(m->features, &p->load);
  chosen_read = rd;
  if (threads < 1) threads = 1;

  /* L2: half of it, so the activations and stack stay resident too. */
  p->l2.key = "l2";
  p->l2.what = "L2-resident read (1/2 of L2), 1 thread";
  if (probe_1t(&p->l2, rd, NULL, round_down(m->l2 / 2, 256), 0, samples) != 0) return -1;

  /* LLC: a quarter of it (a share of a cache other cores also use), but
   * well above L2. */
  size_t llc_bytes = m->llc / 4;
  if (llc_bytes < 4 * m->l2) llc_bytes = 4 * m->l2;
  p->llc.key = "llc";
  p->llc.what = "LLC-resident read (1/4 of LLC), 1 thread";
  if (probe_1t(&p->llc, rd, NULL, round_down(llc_bytes, 256), 0, samples) != 0) return -1;

  /* Streaming: at least 4x the LLC, at least 64 MiB, with 2 MiB pages
   * requested: on a virtual machine a 4 KiB-page buffer's rate depends on
   * how the host happens to back it (two page tables to walk), so that is
   * measured separately (stream_1t_alloc) and not used as the bound. */
  size_t big = 4 * m->llc;
  if (big < ((size_t)64 << 20)) big = (size_t)64 << 20;
  big = round_down(big, 4096);
  uint8_t *hbuf = bench_alloc_huge(big);
  if (hbuf == NULL) return -1;
  p->huge_bytes = bench_huge_bytes(hbuf, big);
  p->stream_1t.key = "stream_1t";
  p->stream_1t.what = "DRAM streaming read (>= 4x LLC), 1 thread";
  int rc = probe_1t(&p->stream_1t, rd, hbuf, big, 1, samples);
  if (rc == 0) {
    p->stream_all.key = "stream_all";
    p->stream_all.what = "DRAM streaming read (>= 4x LLC), all threads";
    rc = probe_threads(&p->stream_all, rd, hbuf, big, threads, samples, 1);
  }
  bench_free_huge(hbuf);
  if (rc != 0) return -1;

  uint8_t *abuf = bitgen_alloc(big);
  if (abuf == NULL) return -1;
  p->alloc_huge_bytes = bench_huge_bytes(abuf, big);
  p->stream_1t_alloc.key = "stream_1t_alloc";
  p->stream_1t_alloc.what = "DRAM streaming read, bitgen_alloc memory, 1 thr";
  rc = probe_1t(&p->stream_1t_alloc, rd, abuf, big, 1, samples);
  bitgen_free(abuf);
  return rc;
}
