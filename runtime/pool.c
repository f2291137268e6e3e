/* Thread pool: nthreads-1 persistent workers plus the calling thread.
 *
 * Protocol (all atomics are in struct bitgen_pool):
 *
 *   state   job counter; odd while a job is open, even when none is.  The
 *           caller publishes a job (fn, ctx, n, next = 0) and then stores an
 *           odd state (release); workers wait for an odd state they have not
 *           seen yet.
 *   inside  number of workers inside the current job.  A worker increments
 *           it *before* it re-reads state, and reads the job fields only if
 *           that state is odd; the caller closes the job (even state) and
 *           then waits for inside == 0.  Both sides use seq_cst for the
 *           increment/store and the following load, so either the caller
 *           sees the worker inside (and waits for it) or the worker sees the
 *           job closed (and touches nothing).  Hence the caller can rewrite
 *           the job fields for the next call without a race, and a worker
 *           that wakes up late never runs a stale job.
 *   next    the next index to hand out (fetch_add, one index at a time).
 *
 * Every index < n is claimed exactly once by the fetch_add; the caller keeps
 * claiming until next >= n, so a call never waits for a worker that is
 * asleep: it waits only for workers that actually entered the job.  When
 * inside reaches 0 after the close, every claimed index has finished, and
 * the release/acquire on inside makes fn's writes visible to the caller.
 *
 * Sleeping uses the same store-then-load pattern: a worker announces itself
 * in `sleepers` (under the mutex) before its last look at state, and the
 * caller looks at `sleepers` after opening a job and, if anyone sleeps,
 * takes and drops the mutex (so the sleeper is waiting by then) and signals,
 * so no wake-up is lost.  The caller's own wait for inside == 0 (spin, then
 * `done_cond`) is symmetric, with `waiting`. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitgen_pool.h"
#include "bitgen_rt.h"

/* Iterations of the idle spin before sleeping (each one a pause).  About
 * 10-100 us on current x86 (pause is 3-40 ns); `yield` on aarch64 is
 * cheaper, so more iterations there. */
#ifndef BITGEN_POOL_SPIN
#if defined(__x86_64__) || defined(__i386__)
#define BITGEN_POOL_SPIN 4096
#else
#define BITGEN_POOL_SPIN 16384
#endif
#endif

#define POOL_LINE 64

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* One spin iteration.  Now and then give the CPU away: a thread we wait
 * for may have been woken onto this very CPU (the scheduler likes to put a
 * wakee next to its waker), and pausing alone would keep it off until our
 * time slice ends. */
#define POOL_YIELD_EVERY 256
static inline void spin_pause(unsigned k) {
  if (k % POOL_YIELD_EVERY == 0)
    sched_yield();
  else
    cpu_relax();
}

typedef void (*pool_fn)(void *ctx, size_t i);

/* First word of every pool: packages whose runtimes share this pool layout
 * may pass pools to each other; any other pointer is refused. */
#define POOL_MAGIC UINT64_C(0x62676e706f6f6c01) /* "bgnpool" + layout 1 */

struct bitgen_pool {
  uint64_t magic;
  /* Read by spinning workers; written once per job by the caller. */
  alignas(POOL_LINE) atomic_uint state;
  atomic_int stop;
  /* Job fields: written by the caller only while no worker is inside. */
  pool_fn fn;
  void *ctx;
  size_t base; /* index offset (nonzero only for n > SIZE_MAX / 2) */
  size_t n;
  /* Claimed by every participant. */
  alignas(POOL_LINE) atomic_size_t next;
  /* Entered/left by workers. */
  alignas(POOL_LINE) atomic_uint inside;
  /* Sleeping bookkeeping. */
  alignas(POOL_LINE) atomic_uint sleepers; /* workers blocked (or about to) on wake_cond */
  atomic_int waiting;                       /* the caller blocks on done_cond */
  unsigned spin;                            /* idle spin iterations */
  size_t nthreads;                          /* participants, caller included */
  size_t nworkers;                          /* workers created */
  pthread_t *threads;
  pthread_mutex_t mutex;     /* guards the two condition variables */
  pthread_cond_t wake_cond;  /* workers wait for a job */
  pthread_cond_t done_cond;  /* the caller waits for inside == 0 */
  pthread_mutex_t run_lock;  /* serializes bitgen_pool_run */
  unsigned fork_epoch;       /* fork_epoch at creation */
};

/* A forked child has none of the parent's workers, and the parent may have
 * held a pool mutex at the time of the fork.  The child handler bumps this
 * counter; a pool made before the fork then runs inline, never locking. */
static atomic_uint fork_epoch;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_child(void) { atomic_fetch_add_explicit(&fork_epoch, 1, memory_order_relaxed); }
static void atfork_init(void) { pthread_atfork(NULL, NULL, atfork_child); }

static int forked_away(const bitgen_pool *pool) {
  return atomic_load_explicit(&fork_epoch, memory_order_relaxed) != pool->fork_epoch;
}

/* Pools whose job this thread is part of (a worker: its pool, for life; a
 * caller: while its call runs).  Used to run nested calls inline. */
struct pool_frame {
  const bitgen_pool *pool;
  const struct pool_frame *prev;
};
static _Thread_local const struct pool_frame *tls_frames;

static int in_pool(const bitgen_pool *pool) {
  const struct pool_frame *f;
  for (f = tls_frames; f != NULL; f = f->prev)
    if (f->pool == pool) return 1;
  return 0;
}

static size_t online_cores(void) {
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  if (c < 1) return 1;
  if ((unsigned long)c > BITGEN_POOL_MAX_THREADS) return BITGEN_POOL_MAX_THREADS;
  return (size_t)c;
}

/* ---- default size: affinity mask, cgroup CPU quota, BITGEN_THREADS ---- */

/* CPUs the process may run on (its affinity mask), else the online cores. */
static size_t allowed_cores(void) {
  size_t n = online_cores();
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int c = CPU_COUNT(&set);
    if (c >= 1 && (size_t)c < n) n = (size_t)c;
  }
#endif
  return n;
}

/* Quota of one cgroup directory in CPUs (quota / period), or 0 for none.
 * v2: cpu.max holds "max PERIOD" or "QUOTA PERIOD"; v1: cpu.cfs_quota_us
 * (-1 for none) and cpu.cfs_period_us. */
static double dir_quota(const char *dir, int v2) {
  char path[4096 + 32]; /* dir is at most 4095 bytes */
  long long quota = -1, period = 0;
  FILE *f;
  if (v2) {
    char first[32] = "";
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (!(f = fopen(path, "r"))) return 0;
    if (fscanf(f, "%31s %lld", first, &period) == 2 && strcmp(first, "max") != 0) quota = strtoll(first, NULL, 10);
    fclose(f);
  } else {
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (!(f = fopen(path, "r"))) return 0;
    if (fscanf(f, "%lld", &quota) != 1) quota = -1;
    fclose(f);
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    if (!(f = fopen(path, "r"))) return 0;
    if (fscanf(f, "%lld", &period) != 1) period = 0;
    fclose(f);
  }
  return (quota > 0 && period > 0) ? (double)quota / (double)period : 0;
}

/* Whether the comma-separated list holds the word. */
static int has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, word, n) == 0) return 1;
    p = e ? e + 1 : NULL;
  }
  return 0;
}

/* The mount point and root of the cgroup hierarchy holding the cpu
 * controller (v1: fstype cgroup with option cpu; v2: fstype cgroup2). */
static int find_mount(const char *mountinfo, int v2, char *mnt, char *root, size_t size) {
  char line[4096];
  int found = 0;
  FILE *f = fopen(mountinfo, "r");
  if (!f) return 0;
  while (!found && fgets(line, sizeof line, f)) {
    char r[1024], m[1024], fstype[64], source[1024], opts[1024];
    const char *dash = strstr(line, " - ");
    if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2) continue;
    if (sscanf(dash + 3, "%63s %1023s %1023s", fstype, source, opts) != 3) continue;
    if (v2 ? strcmp(fstype, "cgroup2") == 0 : (strcmp(fstype, "cgroup") == 0 && has_word(opts, "cpu"))) {
      snprintf(mnt, size, "%s", m);
      snprintf(root, size, "%s", r);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

double bitgen_cgroup_cpu_limit(const char *proc_cgroup, const char *mountinfo) {
  char line[4096], path[2048] = "", mnt[1024], root[1024], dir[4096];
  int v2 = -1;
  FILE *f = fopen(proc_cgroup, "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!b) continue;
    *a = *b = '\0';
    b[1 + strcspn(b + 1, "\n")] = '\0';
    if (strcmp(line, "0") == 0 && a[1] == '\0') {
      if (v2 < 0) { v2 = 1; snprintf(path, sizeof path, "%s", b + 1); }
    } else if (has_word(a + 1, "cpu")) {
      v2 = 0; /* a v1 cpu controller takes precedence in hybrid set-ups */
      snprintf(path, sizeof path, "%s", b + 1);
    }
  }
  fclose(f);
  if (v2 < 0 || !find_mount(mountinfo, v2, mnt, root, sizeof mnt)) return 0;
  /* The cgroup's directory under the mount; inside a cgroup namespace the
   * path may not lie under the mount's root: then the mount itself. */
  size_t rl = strlen(root);
  const char *rel = path;
  if (strcmp(root, "/") != 0) rel = (strncmp(path, root, rl) == 0 && (path[rl] == '/' || !path[rl])) ? path + rl : "";
  snprintf(dir, sizeof dir, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
  /* The tightest quota from the cgroup up to the mount. */
  double limit = 0;
  for (;;) {
    double q = dir_quota(dir, v2);
    if (q > 0 && (limit == 0 || q < limit)) limit = q;
    if (strlen(dir) <= strlen(mnt)) break;
    char *slash = strrchr(dir, '/');
    if (!slash) break;
    *slash = '\0';
  }
  return limit;
}

int bitgen_pool_default_threads(size_t *out) {
  if (out == NULL) return BITGEN_E_NULL;
  const char *env = getenv("BITGEN_THREADS");
  if (env && *env) {
    char *end;
    unsigned long long v = strtoull(env, &end, 10);
    if (*end != '\0' || env[0] == '-' || v < 1 || v > BITGEN_POOL_MAX_THREADS) return BITGEN_E_VALUE;
    *out = (size_t)v;
    return BITGEN_OK;
  }
  size_t n = allowed_cores();
#ifdef __linux__
  double q = bitgen_cgroup_cpu_limit("/proc/self/cgroup", "/proc/self/mountinfo");
  if (q > 0) {
    size_t c = (size_t)q;
    if ((double)c < q) c++; /* 1.5 CPUs: 2 threads */
    if (c < n) n = c;
  }
#endif
  *out = n < 1 ? 1 : n;
  return BITGEN_OK;
}

/* Claims and runs indices of the open job until none are left. */
static void run_indices(bitgen_pool *pool, pool_fn fn, void *ctx, size_t base, size_t n) {
  for (;;) {
    size_t i = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
    if (i >= n) return;
    fn(ctx, base + i);
  }
}

/* A job is available to a worker that last saw `seen`. */
static int job_ready(unsigned s, unsigned seen) { return (s & 1u) != 0 && s != seen; }

/* Waits until a new job is open or the pool stops.  Returns 0 on stop. */
static int worker_wait(bitgen_pool *pool, unsigned seen) {
  unsigned k;
  for (k = 1; k <= pool->spin; k++) {
    if (job_ready(atomic_load_explicit(&pool->state, memory_order_acquire), seen)) return 1;
    if (atomic_load_explicit(&pool->stop, memory_order_relaxed)) return 0;
    spin_pause(k);
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add_explicit(&pool->sleepers, 1, memory_order_seq_cst);
  while (!job_ready(atomic_load_explicit(&pool->state, memory_order_seq_cst), seen) &&
         !atomic_load_explicit(&pool->stop, memory_order_relaxed))
    pthread_cond_wait(&pool->wake_cond, &pool->mutex);
  atomic_fetch_sub_explicit(&pool->sleepers, 1, memory_order_relaxed);
  pthread_mutex_unlock(&pool->mutex);
  return !atomic_load_explicit(&pool->stop, memory_order_relaxed);
}

static void *worker_main(void *arg) {
  bitgen_pool *pool = arg;
  struct pool_frame frame;
  unsigned seen = 0;
  frame.pool = pool;
  frame.prev = NULL;
  tls_frames = &frame;
  while (worker_wait(pool, seen)) {
    unsigned s;
    atomic_fetch_add_explicit(&pool->inside, 1, memory_order_seq_cst);
    s = atomic_load_explicit(&pool->state, memory_order_seq_cst);
    if (job_ready(s, seen)) {
      seen = s;
      run_indices(pool, pool->fn, pool->ctx, pool->base, pool->n);
    }
    /* The last one out tells a caller that went to sleep. */
    if (atomic_fetch_sub_explicit(&pool->inside, 1, memory_order_seq_cst) == 1 &&
        atomic_load_explicit(&pool->waiting, memory_order_seq_cst)) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done_cond);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
  tls_frames = NULL;
  return NULL;
}

/* Stops and joins the first `started` workers. */
static void stop_workers(bitgen_pool *pool, size_t started) {
  size_t t;
  pthread_mutex_lock(&pool->mutex);
  atomic_store_explicit(&pool->stop, 1, memory_order_relaxed);
  pthread_cond_broadcast(&pool->wake_cond);
  pthread_mutex_unlock(&pool->mutex);
  for (t = 0; t < started; t++) pthread_join(pool->threads[t], NULL);
}

static void free_pool(bitgen_pool *pool) {
  pthread_mutex_destroy(&pool->run_lock);
  pthread_cond_destroy(&pool->done_cond);
  pthread_cond_destroy(&pool->wake_cond);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->threads);
  free(pool);
}

int bitgen_pool_create(size_t nthreads, bitgen_pool **out) {
  bitgen_pool *pool;
  size_t cores, t;
  sigset_t all, old;
  if (out == NULL) return BITGEN_E_NULL;
  *out = NULL;
  if (nthreads > BITGEN_POOL_MAX_THREADS) return BITGEN_E_SIZE;
  cores = online_cores();
  if (nthreads == 0) {
    int st = bitgen_pool_default_threads(&nthreads);
    if (st != BITGEN_OK) return st;
  }
  pthread_once(&atfork_once, atfork_init);

  /* sizeof is a multiple of the 64-byte member alignment. */
  pool = aligned_alloc(alignof(bitgen_pool), sizeof(bitgen_pool));
  if (pool == NULL) return BITGEN_E_NOMEM;
  memset(pool, 0, sizeof *pool);
  pool->magic = POOL_MAGIC;
  atomic_init(&pool->state, 0u);
  atomic_init(&pool->stop, 0);
  atomic_init(&pool->next, 0);
  atomic_init(&pool->inside, 0u);
  atomic_init(&pool->sleepers, 0u);
  atomic_init(&pool->waiting, 0);
  pool->nthreads = nthreads;
  pool->nworkers = nthreads - 1;
  pool->fork_epoch = atomic_load_explicit(&fork_epoch, memory_order_relaxed);
  /* Oversubscribed, a spinning idle worker only takes a core from one that
   * still has work: spin much less. */
  pool->spin = nthreads > cores ? BITGEN_POOL_SPIN / 64 : BITGEN_POOL_SPIN;

  /* These cannot fail on Linux with default attributes; elsewhere, undo
   * exactly what succeeded. */
  if (pthread_mutex_init(&pool->mutex, NULL) != 0) goto fail_mutex;
  if (pthread_cond_init(&pool->wake_cond, NULL) != 0) goto fail_wake;
  if (pthread_cond_init(&pool->done_cond, NULL) != 0) goto fail_done;
  if (pthread_mutex_init(&pool->run_lock, NULL) != 0) goto fail_run;
  if (pool->nworkers > 0) {
    pool->threads = calloc(pool->nworkers, sizeof *pool->threads);
    if (pool->threads == NULL) {
      free_pool(pool);
      return BITGEN_E_NOMEM;
    }
  }

  /* Workers block all signals; they belong to the application's threads. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (t = 0; t < pool->nworkers; t++)
    if (pthread_create(&pool->threads[t], NULL, worker_main, pool) != 0) break;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (t < pool->nworkers) {
    stop_workers(pool, t);
    free_pool(pool);
    return BITGEN_E_NOMEM;
  }
  *out = pool;
  return BITGEN_OK;

fail_run:
  pthread_cond_destroy(&pool->done_cond);
fail_done:
  pthread_cond_destroy(&pool->wake_cond);
fail_wake:
  pthread_mutex_destroy(&pool->mutex);
fail_mutex:
  free(pool);
  return BITGEN_E_NOMEM;
}

void bitgen_pool_destroy(bitgen_pool *pool) {
  if (pool == NULL) return;
  if (forked_away(pool)) {
    /* In a child: no workers to join, and the mutexes may be unusable. */
    free(pool->threads);
    free(pool);
    return;
  }
  stop_workers(pool, pool->nworkers);
  free_pool(pool);
}

size_t bitgen_pool_threads(const bitgen_pool *pool) { return pool == NULL ? 1 : pool->nthreads; }

/* One job: indices base .. base+n-1.  Each participant overshoots next by
 * at most one, so n <= SIZE_MAX / 2 keeps it from wrapping. */
static void run_job(bitgen_pool *pool, size_t base, size_t n, pool_fn fn, void *ctx) {
  unsigned s, k, sleeping;
  size_t wake;

  pool->fn = fn;
  pool->ctx = ctx;
  pool->base = base;
  pool->n = n;
  atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
  s = atomic_load_explicit(&pool->state, memory_order_relaxed) + 1u; /* odd: open */
  atomic_store_explicit(&pool->state, s, memory_order_seq_cst);

  /* Wake sleepers, as many as there is work for (the caller takes one). */
  if (atomic_load_explicit(&pool->sleepers, memory_order_seq_cst) > 0) {
    wake = n - 1 < pool->nworkers ? n - 1 : pool->nworkers;
    /* Taking the mutex once orders this after the sleeper's last look at
     * state (it holds the mutex from its increment of sleepers until it
     * waits), so it is waiting by now and the signal reaches it.  The
     * signal itself goes out after the unlock: a woken worker must not
     * block on a mutex that we still hold. */
    pthread_mutex_lock(&pool->mutex);
    sleeping = atomic_load_explicit(&pool->sleepers, memory_order_relaxed);
    pthread_mutex_unlock(&pool->mutex);
    if (wake >= sleeping) {
      pthread_cond_broadcast(&pool->wake_cond);
    } else {
      while (wake-- > 0) pthread_cond_signal(&pool->wake_cond);
    }
  }

  run_indices(pool, fn, ctx, base, n);

  /* Close, then wait for the workers that got in. */
  atomic_store_explicit(&pool->state, s + 1u, memory_order_seq_cst);
  for (k = 1; k <= pool->spin; k++) {
    if (atomic_load_explicit(&pool->inside, memory_order_seq_cst) == 0) return;
    spin_pause(k);
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_store_explicit(&pool->waiting, 1, memory_order_seq_cst);
  while (atomic_load_explicit(&pool->inside, memory_order_seq_cst) != 0)
    pthread_cond_wait(&pool->done_cond, &pool->mutex);
  atomic_store_explicit(&pool->waiting, 0, memory_order_relaxed);
  pthread_mutex_unlock(&pool->mutex);
}

int bitgen_pool_run(bitgen_pool *pool, size_t n, void (*fn)(void *ctx, size_t i), void *ctx) {
  struct pool_frame frame;
  size_t base, m, i;
  if (fn == NULL) return BITGEN_E_NULL;
  if (pool != NULL && pool->magic != POOL_MAGIC) return BITGEN_E_VALUE; /* not a pool of this layout */
  if (n == 0) return BITGEN_OK;
  if (pool == NULL || in_pool(pool) || forked_away(pool)) {
    for (i = 0; i < n; i++) fn(ctx, i);
    return BITGEN_OK;
  }

  /* Inline runs on a pool are serialized too, so the guarantee holds for
   * every call; the frame makes calls from inside fn run inline. */
  pthread_mutex_lock(&pool->run_lock);
  frame.pool = pool;
  frame.prev = tls_frames;
  tls_frames = &frame;
  if (pool->nworkers == 0 || n == 1) {
    for (i = 0; i < n; i++) fn(ctx, i);
  } else {
    /* One job, unless absurdly many indices: then in pieces. */
    for (base = 0; n > 0; base += m, n -= m) {
      m = n < SIZE_MAX / 2 ? n : SIZE_MAX / 2;
      run_job(pool, base, m, fn, ctx);
    }
  }
  tls_frames = frame.prev;
  pthread_mutex_unlock(&pool->run_lock);
  return BITGEN_OK;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static bitgen_pool *default_pool;

static void default_init(void) {
  if (bitgen_pool_create(0, &default_pool) != BITGEN_OK) default_pool = NULL;
}

bitgen_pool *bitgen_pool_default(void) {
  pthread_once(&default_once, default_init);
  return default_pool;
}
