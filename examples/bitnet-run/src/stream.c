/* Streaming-read probe: T threads each XOR-fold their slice of one buffer
 * at least 8x the last-level cache (so it comes from DRAM), with the widest
 * vector loads the CPU has; a sample is all slices' bytes over the time
 * from the first thread's start to the last one's end; the result is the
 * fastest of 9 samples after a warm-up pass. */
#define _DEFAULT_SOURCE /* madvise */
#include "stream.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define SAMPLES 9
#define HUGE ((size_t)2 << 20)

typedef uint64_t (*read_fn)(const void *buf, size_t bytes); /* bytes: a multiple of 256 */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#if !defined(__x86_64__)
static uint64_t read_u64(const void *buf, size_t bytes) {
  const uint64_t *p = buf;
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i < bytes / 8; i += 4) a0 ^= p[i], a1 ^= p[i + 1], a2 ^= p[i + 2], a3 ^= p[i + 3];
  return a0 ^ a1 ^ a2 ^ a3;
}
#endif

#if defined(__x86_64__)
static uint64_t read_sse2(const void *buf, size_t bytes) {
  const __m128i *p = buf;
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 16; i += 4) {
    a0 = _mm_xor_si128(a0, _mm_load_si128(p + i));
    a1 = _mm_xor_si128(a1, _mm_load_si128(p + i + 1));
    a2 = _mm_xor_si128(a2, _mm_load_si128(p + i + 2));
    a3 = _mm_xor_si128(a3, _mm_load_si128(p + i + 3));
  }
  a0 = _mm_xor_si128(_mm_xor_si128(a0, a1), _mm_xor_si128(a2, a3));
  return (uint64_t)_mm_cvtsi128_si64(a0) ^ (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(a0, a0));
}

__attribute__((target("avx2"))) static uint64_t read_avx2(const void *buf, size_t bytes) {
  const __m256i *p = buf;
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 32; i += 4) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(p + i));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(p + i + 1));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(p + i + 2));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(p + i + 3));
  }
  a0 = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  uint64_t o[4];
  _mm256_storeu_si256((__m256i *)o, a0);
  return o[0] ^ o[1] ^ o[2] ^ o[3];
}

__attribute__((target("avx512f"))) static uint64_t read_avx512(const void *buf, size_t bytes) {
  const __m512i *p = buf;
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 64; i += 4) {
    a0 = _mm512_xor_si512(a0, _mm512_load_si512((const void *)(p + i)));
    a1 = _mm512_xor_si512(a1, _mm512_load_si512((const void *)(p + i + 1)));
    a2 = _mm512_xor_si512(a2, _mm512_load_si512((const void *)(p + i + 2)));
    a3 = _mm512_xor_si512(a3, _mm512_load_si512((const void *)(p + i + 3)));
  }
  a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
  uint64_t o[8];
  _mm512_storeu_si512((void *)o, a0);
  return o[0] ^ o[1] ^ o[2] ^ o[3] ^ o[4] ^ o[5] ^ o[6] ^ o[7];
}
#endif

/* __builtin_cpu_supports also checks that the OS saves the registers. */
static read_fn pick(const char **name) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return *name = "avx512", read_avx512;
  if (__builtin_cpu_supports("avx2")) return *name = "avx2", read_avx2;
  return *name = "sse2", read_sse2;
#else
  return *name = "64-bit", read_u64;
#endif
}

/* The largest cache's size from sysfs; 32 MiB when it cannot be read. */
static size_t llc_bytes(void) {
  size_t best = 0;
  int best_level = 0;
  for (int i = 0; i < 16; i++) {
    char path[96], buf[64];
    int level = 0;
    unsigned long long kb = 0;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fscanf(f, "%d", &level) != 1) level = 0;
    fclose(f);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (!(f = fopen(path, "r"))) continue;
    if (fgets(buf, sizeof buf, f) && sscanf(buf, "%lluK", &kb) == 1 && level >= best_level) {
      best_level = level;
      best = (size_t)kb << 10;
    }
    fclose(f);
  }
  return best ? best : (size_t)32 << 20;
}

typedef struct {
  pthread_barrier_t *bar;
  read_fn rd;
  const uint8_t *slice;
  size_t bytes;
  double start[SAMPLES + 1], end[SAMPLES + 1]; /* a warm-up round, then the samples */
  uint64_t acc;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int r = 0; r <= SAMPLES; r++) {
    pthread_barrier_wait(w->bar);
    w->start[r] = now_ns();
    w->acc ^= w->rd(w->slice, w->bytes);
    w->end[r] = now_ns();
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static volatile uint64_t sink;

size_t br_stream_min_bytes(void) {
  /* 8x the cache, not the usual 4x: a margin against last-level caches
   * that are not plain LRU and keep part of a stream a few times their size */
  const size_t b = 8 * llc_bytes();
  return b > ((size_t)256 << 20) ? b : (size_t)256 << 20;
}

int br_stream_measure(const void *given, size_t given_bytes, size_t threads, br_stream *out) {
  memset(out, 0, sizeof *out);
  if (threads == 0) threads = 1;
  read_fn rd = pick(&out->loads);
  size_t bytes, slice;
  uint8_t *buf = NULL;
  if (given && given_bytes >= br_stream_min_bytes() && ((uintptr_t)given & 63) == 0) {
    slice = given_bytes / threads / 256 * 256; /* the read loops take whole 256-byte blocks */
    bytes = slice * threads;
  } else {
    given = NULL;
    slice = (br_stream_min_bytes() / threads + HUGE - 1) / HUGE * HUGE; /* whole 2 MiB pages per thread */
    bytes = slice * threads;
    buf = aligned_alloc(HUGE, bytes);
  }
  const uint8_t *src = given ? given : buf;
  worker *w = calloc(threads, sizeof *w);
  pthread_t *tid = calloc(threads, sizeof *tid);
  pthread_barrier_t bar;
  int rc = -1;
  size_t started = 0;
  if (!src || !w || !tid || pthread_barrier_init(&bar, NULL, (unsigned)threads) != 0) goto out;
  if (buf) {
#if defined(MADV_HUGEPAGE)
    madvise(buf, bytes, MADV_HUGEPAGE); /* as the model's arena: fewer TLB misses */
#endif
    memset(buf, 0x5a, bytes); /* populate: the probe must not time page faults */
  }
  for (size_t t = 0; t < threads; t++) {
    w[t] = (worker){.bar = &bar, .rd = rd, .slice = src + t * slice, .bytes = slice};
    if (pthread_create(&tid[t], NULL, work, &w[t]) != 0) break;
    started++;
  }
  if (started < threads) { /* cannot happen without resource exhaustion: the others wait forever */
    fprintf(stderr, "bitnet-run: cannot start the bandwidth probe's threads\n");
    exit(1);
  }
  for (size_t t = 0; t < threads; t++) pthread_join(tid[t], NULL);
  double gbs[SAMPLES];
  for (int r = 1; r <= SAMPLES; r++) {
    double s = w[0].start[r], e = w[0].end[r];
    for (size_t t = 1; t < threads; t++) {
      if (w[t].start[r] < s) s = w[t].start[r];
      if (w[t].end[r] > e) e = w[t].end[r];
    }
    gbs[r - 1] = (double)bytes / (e - s);
  }
  for (size_t t = 0; t < threads; t++) sink ^= w[t].acc;
  /* Other work only ever slows a pass down: the fastest pass is the
   * closest to what the memory can do, and the strictest bound. */
  qsort(gbs, SAMPLES, sizeof gbs[0], cmp);
  out->gbs = gbs[SAMPLES - 1];
  out->bytes = bytes;
  out->threads = threads;
  out->what = given ? "the model's weights" : "a buffer";
  pthread_barrier_destroy(&bar);
  rc = 0;
out:
  free(tid);
  free(w);
  free(buf);
  return rc;
}
