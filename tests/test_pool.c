/* Standalone tests of the bitgen thread pool (runtime/pool.c).
 *
 * Build: cc -std=c11 -O2 -Iruntime runtime/pool.c runtime/status.c tests/test_pool.c -lpthread
 * Run:   ./test_pool          all checks; exit 0 only if every one passed
 *        ./test_pool bench    also the latency of bitgen_pool_run (no checks)
 *
 * Callbacks run on pool threads, so they only record into atomics or their
 * own slots; every CHECK happens on the main thread after the run. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bitgen_pool.h"
#include "bitgen_rt.h"

#include "check.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_us(long us) {
  struct timespec ts;
  ts.tv_sec = us / 1000000;
  ts.tv_nsec = (us % 1000000) * 1000;
  nanosleep(&ts, NULL);
}

static size_t online(void) {
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  if (c < 1) return 1;
  if (c > BITGEN_POOL_MAX_THREADS) return BITGEN_POOL_MAX_THREADS;
  return (size_t)c;
}

static const size_t thread_counts[] = {1, 2, 3, 8};
#define N_THREAD_COUNTS (sizeof thread_counts / sizeof thread_counts[0])

/* ---- every index exactly once ---------------------------------------------- */
#define MAX_N 1000
typedef struct {
  atomic_int counts[MAX_N];
  atomic_int out_of_range;
  size_t n;
} count_ctx;

static void count_fn(void *p, size_t i) {
  count_ctx *c = p;
  if (i >= c->n) {
    atomic_fetch_add(&c->out_of_range, 1);
    return;
  }
  atomic_fetch_add_explicit(&c->counts[i], 1, memory_order_relaxed);
}

/* Runs n indices through pool and checks the counts; returns 1 if all good. */
static int run_and_count(bitgen_pool *pool, size_t n, count_ctx *c, const char *what) {
  size_t i, bad = 0, first_bad = 0;
  int st;
  for (i = 0; i < MAX_N; i++) atomic_store(&c->counts[i], 0);
  atomic_store(&c->out_of_range, 0);
  c->n = n;
  st = bitgen_pool_run(pool, n, count_fn, c);
  CHECK(st == BITGEN_OK, "%s n=%zu: status %d", what, n, st);
  for (i = 0; i < n; i++)
    if (atomic_load(&c->counts[i]) != 1 && bad++ == 0) first_bad = i;
  for (i = n; i < MAX_N; i++)
    if (atomic_load(&c->counts[i]) != 0 && bad++ == 0) first_bad = i;
  CHECK(bad == 0, "%s n=%zu: %zu indices not run exactly once (first %zu ran %d times)", what,
        n, bad, first_bad, bad ? atomic_load(&c->counts[first_bad]) : 0);
  CHECK(atomic_load(&c->out_of_range) == 0, "%s n=%zu: fn called with i >= n", what, n);
  return bad == 0;
}

static void test_exactly_once(void) {
  static const size_t ns[] = {0, 1, 2, 3, 7, 64, 1000};
  static count_ctx c;
  size_t t, k, rep;
  char what[64];
  group_begin("every index exactly once");
  for (k = 0; k < sizeof ns / sizeof ns[0]; k++) run_and_count(NULL, ns[k], &c, "NULL pool");
  for (t = 0; t < N_THREAD_COUNTS; t++) {
    bitgen_pool *pool = NULL;
    int st = bitgen_pool_create(thread_counts[t], &pool);
    if (!CHECK(st == BITGEN_OK && pool != NULL, "create(%zu): %d", thread_counts[t], st)) continue;
    CHECK(bitgen_pool_threads(pool) == thread_counts[t], "threads() = %zu, want %zu",
          bitgen_pool_threads(pool), thread_counts[t]);
    snprintf(what, sizeof what, "%zu threads", thread_counts[t]);
    for (rep = 0; rep < 30; rep++) {
      /* Back to back (workers spinning), and now and then after a pause
       * long enough for them to fall asleep. */
      if (rep % 10 == 9) sleep_us(3000);
      for (k = 0; k < sizeof ns / sizeof ns[0]; k++) run_and_count(pool, ns[k], &c, what);
    }
    bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- the caller takes part ------------------------------------------------- */
/* Each index waits until all n have arrived, so the n indices must run on n
 * different threads at once: with nthreads == n that needs the caller. */
typedef struct {
  atomic_size_t arrived;
  atomic_int timed_out;
  atomic_int caller_ran;
  pthread_t caller;
  size_t n;
  pthread_t who[64];
} barrier_ctx;

static void barrier_fn(void *p, size_t i) {
  barrier_ctx *b = p;
  double t0;
  b->who[i] = pthread_self();
  if (pthread_equal(b->who[i], b->caller)) atomic_fetch_add(&b->caller_ran, 1);
  atomic_fetch_add(&b->arrived, 1);
  t0 = now_s();
  while (atomic_load(&b->arrived) < b->n) {
    if (now_s() - t0 > 20.0) {
      atomic_store(&b->timed_out, 1);
      return;
    }
    sched_yield();
  }
}

typedef struct {
  atomic_int ran_elsewhere;
  pthread_t caller;
} self_ctx;

static void self_fn(void *p, size_t i) {
  self_ctx *s = p;
  (void)i;
  if (!pthread_equal(pthread_self(), s->caller)) atomic_store(&s->ran_elsewhere, 1);
}

static void test_caller_participates(void) {
  static const size_t ts[] = {2, 3, 8};
  size_t t, rep, i, j;
  group_begin("caller participates");
  for (t = 0; t < sizeof ts / sizeof ts[0]; t++) {
    bitgen_pool *pool = NULL;
    if (!CHECK(bitgen_pool_create(ts[t], &pool) == BITGEN_OK, "create(%zu)", ts[t])) continue;
    for (rep = 0; rep < 6; rep++) {
      barrier_ctx b;
      size_t distinct = 0;
      if (rep % 2) sleep_us(3000); /* also from sleeping workers */
      memset(&b, 0, sizeof b);
      atomic_init(&b.arrived, 0);
      atomic_init(&b.timed_out, 0);
      atomic_init(&b.caller_ran, 0);
      b.caller = pthread_self();
      b.n = ts[t];
      CHECK(bitgen_pool_run(pool, b.n, barrier_fn, &b) == BITGEN_OK, "run");
      CHECK(!atomic_load(&b.timed_out), "%zu threads: %zu indices never ran concurrently", ts[t],
            b.n);
      CHECK(atomic_load(&b.caller_ran) == 1, "%zu threads: caller ran %d indices, want 1", ts[t],
            atomic_load(&b.caller_ran));
      for (i = 0; i < b.n; i++) {
        for (j = 0; j < i; j++)
          if (pthread_equal(b.who[i], b.who[j])) break;
        distinct += j == i;
      }
      CHECK(distinct == b.n, "%zu threads: %zu distinct threads ran, want %zu", ts[t], distinct,
            b.n);
    }
    bitgen_pool_destroy(pool);
  }
  /* Inline cases: 1-thread pool, n == 1, NULL pool. */
  {
    bitgen_pool *one = NULL, *eight = NULL;
    self_ctx s;
    atomic_init(&s.ran_elsewhere, 0);
    s.caller = pthread_self();
    CHECK(bitgen_pool_create(1, &one) == BITGEN_OK, "create(1)");
    CHECK(bitgen_pool_create(8, &eight) == BITGEN_OK, "create(8)");
    bitgen_pool_run(one, 50, self_fn, &s);
    CHECK(!atomic_load(&s.ran_elsewhere), "1-thread pool ran off the caller");
    for (rep = 0; rep < 50; rep++) bitgen_pool_run(eight, 1, self_fn, &s);
    CHECK(!atomic_load(&s.ran_elsewhere), "n == 1 ran off the caller");
    bitgen_pool_run(NULL, 50, self_fn, &s);
    CHECK(!atomic_load(&s.ran_elsewhere), "NULL pool ran off the caller");
    bitgen_pool_destroy(one);
    bitgen_pool_destroy(eight);
  }
  group_end();
}

/* ---- nested calls run inline ----------------------------------------------- */
#define OUTER_N 12
#define INNER_N 5
typedef struct {
  bitgen_pool *pool;  /* the pool of the outer call */
  bitgen_pool *other; /* a second pool, or NULL */
  atomic_int inner[OUTER_N][INNER_N];
  atomic_int inner2[OUTER_N][INNER_N];
  atomic_int off_thread; /* inner ran on another thread than its outer index */
  atomic_int bad_status;
} nest_ctx;

typedef struct {
  nest_ctx *n;
  size_t outer;
  pthread_t thread;
  int level;
} inner_ctx;

static void inner_fn(void *p, size_t j) {
  inner_ctx *in = p;
  if (!pthread_equal(pthread_self(), in->thread)) atomic_store(&in->n->off_thread, 1);
  if (in->level == 1) {
    atomic_fetch_add(&in->n->inner[in->outer][j], 1);
    /* Two levels deep, still the same pool. */
    if (j == 0) {
      inner_ctx deeper = *in;
      deeper.level = 2;
      if (bitgen_pool_run(in->n->pool, INNER_N, inner_fn, &deeper) != BITGEN_OK)
        atomic_store(&in->n->bad_status, 1);
    }
  } else {
    atomic_fetch_add(&in->n->inner2[in->outer][j], 1);
  }
}

static void outer_fn(void *p, size_t i) {
  nest_ctx *n = p;
  inner_ctx in;
  in.n = n;
  in.outer = i;
  in.thread = pthread_self();
  in.level = 1;
  if (bitgen_pool_run(n->pool, INNER_N, inner_fn, &in) != BITGEN_OK)
    atomic_store(&n->bad_status, 1);
}

/* Outer on one pool, inner on another (which is free, so it may spread). */
static void cross_inner_fn(void *p, size_t j) {
  nest_ctx *n = p;
  (void)j;
  atomic_fetch_add(&n->inner2[0][0], 1);
}

static void cross_outer_fn(void *p, size_t i) {
  nest_ctx *n = p;
  (void)i;
  if (bitgen_pool_run(n->other, 10, cross_inner_fn, n) != BITGEN_OK)
    atomic_store(&n->bad_status, 1);
}

static void test_nested(void) {
  static nest_ctx n;
  size_t t, i, j, rep;
  group_begin("nested calls run inline");
  for (t = 0; t < N_THREAD_COUNTS; t++) {
    bitgen_pool *pool = NULL;
    if (!CHECK(bitgen_pool_create(thread_counts[t], &pool) == BITGEN_OK, "create")) continue;
    for (rep = 0; rep < 5; rep++) {
      size_t bad1 = 0, bad2 = 0;
      memset(&n, 0, sizeof n);
      n.pool = pool;
      CHECK(bitgen_pool_run(pool, OUTER_N, outer_fn, &n) == BITGEN_OK, "outer run");
      for (i = 0; i < OUTER_N; i++)
        for (j = 0; j < INNER_N; j++) {
          bad1 += atomic_load(&n.inner[i][j]) != 1;
          bad2 += atomic_load(&n.inner2[i][j]) != 1;
        }
      CHECK(bad1 == 0 && bad2 == 0, "%zu threads: %zu/%zu nested indices not run once",
            thread_counts[t], bad1, bad2);
      CHECK(!atomic_load(&n.off_thread), "%zu threads: nested call left its thread",
            thread_counts[t]);
      CHECK(!atomic_load(&n.bad_status), "%zu threads: nested call failed", thread_counts[t]);
    }
    bitgen_pool_destroy(pool);
  }
  {
    bitgen_pool *a = NULL, *b = NULL;
    CHECK(bitgen_pool_create(3, &a) == BITGEN_OK && bitgen_pool_create(2, &b) == BITGEN_OK,
          "create");
    memset(&n, 0, sizeof n);
    n.pool = a;
    n.other = b;
    CHECK(bitgen_pool_run(a, 8, cross_outer_fn, &n) == BITGEN_OK, "cross run");
    CHECK(atomic_load(&n.inner2[0][0]) == 80, "pool inside another pool: %d inner runs, want 80",
          atomic_load(&n.inner2[0][0]));
    CHECK(!atomic_load(&n.bad_status), "cross-pool call failed");
    bitgen_pool_destroy(a);
    bitgen_pool_destroy(b);
  }
  group_end();
}

/* ---- concurrent callers on one pool ---------------------------------------- */
#define CALLERS 4
#define CALLS 300
typedef struct {
  int id;
  atomic_int counts[64];
  size_t n;
} conc_run;

static atomic_int conc_active[CALLERS];
static atomic_int conc_interleaved;

static void conc_fn(void *p, size_t i) {
  conc_run *r = p;
  int k;
  atomic_fetch_add(&conc_active[r->id], 1);
  for (k = 0; k < CALLERS; k++)
    if (k != r->id && atomic_load(&conc_active[k]) != 0) atomic_store(&conc_interleaved, 1);
  atomic_fetch_add_explicit(&r->counts[i], 1, memory_order_relaxed);
  atomic_fetch_sub(&conc_active[r->id], 1);
}

typedef struct {
  bitgen_pool *pool;
  int id;
  long bad; /* written by the caller thread, read after join */
} conc_arg;

static void *conc_caller(void *p) {
  conc_arg *a = p;
  conc_run r;
  int call;
  size_t i;
  uint32_t seed = 12345u + (uint32_t)a->id;
  r.id = a->id;
  for (call = 0; call < CALLS; call++) {
    seed = seed * 1664525u + 1013904223u;
    r.n = 1 + (seed >> 16) % 64; /* includes n == 1 (inline under the lock) */
    for (i = 0; i < 64; i++) atomic_store(&r.counts[i], 0);
    if (bitgen_pool_run(a->pool, r.n, conc_fn, &r) != BITGEN_OK) a->bad++;
    for (i = 0; i < 64; i++)
      if (atomic_load(&r.counts[i]) != (i < r.n ? 1 : 0)) a->bad++;
  }
  return NULL;
}

static void test_concurrent(void) {
  static const size_t ts[] = {1, 3, 8};
  size_t t;
  int k;
  group_begin("concurrent callers, one pool");
  for (t = 0; t < sizeof ts / sizeof ts[0]; t++) {
    bitgen_pool *pool = NULL;
    pthread_t th[CALLERS];
    conc_arg args[CALLERS];
    long bad = 0;
    if (!CHECK(bitgen_pool_create(ts[t], &pool) == BITGEN_OK, "create")) continue;
    atomic_store(&conc_interleaved, 0);
    for (k = 0; k < CALLERS; k++) {
      atomic_store(&conc_active[k], 0);
      args[k].pool = pool;
      args[k].id = k;
      args[k].bad = 0;
      if (pthread_create(&th[k], NULL, conc_caller, &args[k]) != 0) {
        CHECK(0, "pthread_create");
        args[k].pool = NULL;
      }
    }
    for (k = 0; k < CALLERS; k++)
      if (args[k].pool != NULL) pthread_join(th[k], NULL);
    for (k = 0; k < CALLERS; k++) bad += args[k].bad;
    CHECK(bad == 0, "%zu threads: %ld bad counts/statuses", ts[t], bad);
    CHECK(!atomic_load(&conc_interleaved), "%zu threads: calls from two threads interleaved",
          ts[t]);
    bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- lifecycle ----------------------------------------------------------------- */
static void test_create_destroy(void) {
  static count_ctx c;
  int iter;
  group_begin("create/destroy loop");
  for (iter = 0; iter < 120; iter++) {
    bitgen_pool *pool = NULL;
    size_t nt = thread_counts[iter % N_THREAD_COUNTS];
    int st = bitgen_pool_create(nt, &pool);
    if (!CHECK(st == BITGEN_OK && pool != NULL, "create(%zu): %d", nt, st)) continue;
    /* Some pools are destroyed before their workers ever ran (or started). */
    if (iter % 3 != 0) run_and_count(pool, (size_t)(iter % 17) + 1, &c, "fresh pool");
    if (iter % 5 == 0) {
      sleep_us(2000);
      run_and_count(pool, 9, &c, "after sleep");
    }
    bitgen_pool_destroy(pool);
  }
  bitgen_pool_destroy(NULL);
  CHECK(1, "destroy(NULL)");
  group_end();
}

/* ---- default pool ------------------------------------------------------------- */
static void *get_default(void *p) {
  *(bitgen_pool **)p = bitgen_pool_default();
  return NULL;
}

static void test_default(void) {
  static count_ctx c;
  bitgen_pool *d[4];
  pthread_t th[4];
  int k, started[4];
  group_begin("default pool");
  /* First use from several threads at once: one pool. */
  for (k = 0; k < 4; k++) started[k] = pthread_create(&th[k], NULL, get_default, &d[k]) == 0;
  for (k = 0; k < 4; k++)
    if (started[k]) pthread_join(th[k], NULL);
  for (k = 0; k < 4; k++) {
    CHECK(started[k], "pthread_create");
    if (started[k]) CHECK(d[k] == bitgen_pool_default(), "default pool differs between threads");
  }
  CHECK(bitgen_pool_default() != NULL, "default pool is NULL");
  CHECK(bitgen_pool_threads(bitgen_pool_default()) >= 1, "default pool has no threads");
  CHECK(bitgen_pool_threads(bitgen_pool_default()) == online(), "default pool: %zu threads, %zu cores",
        bitgen_pool_threads(bitgen_pool_default()), online());
  run_and_count(bitgen_pool_default(), 1000, &c, "default pool");
  run_and_count(bitgen_pool_default(), 2, &c, "default pool");
  group_end();
}

/* ---- errors and edge values ------------------------------------------------------ */
static void test_errors(void) {
  static count_ctx c;
  bitgen_pool *pool = (bitgen_pool *)&pool; /* must be overwritten */
  int st;
  group_begin("error codes");
  CHECK(bitgen_pool_create(1, NULL) == BITGEN_E_NULL, "create(out NULL)");
  CHECK(bitgen_pool_create(0, NULL) == BITGEN_E_NULL, "create(0, out NULL)");
  st = bitgen_pool_create(BITGEN_POOL_MAX_THREADS + 1, &pool);
  CHECK(st == BITGEN_E_SIZE, "create(%d): %d, want BITGEN_E_SIZE", BITGEN_POOL_MAX_THREADS + 1, st);
  CHECK(pool == NULL, "create failure leaves *out non-NULL");
  CHECK(bitgen_pool_create(SIZE_MAX, &pool) == BITGEN_E_SIZE, "create(SIZE_MAX)");
  st = bitgen_pool_create(0, &pool);
  if (CHECK(st == BITGEN_OK && pool != NULL, "create(0): %d", st)) {
    CHECK(bitgen_pool_threads(pool) == online(), "create(0): %zu threads, %zu online cores",
          bitgen_pool_threads(pool), online());
    CHECK(bitgen_pool_run(pool, 5, NULL, NULL) == BITGEN_E_NULL, "run(fn NULL)");
    CHECK(bitgen_pool_run(pool, 0, NULL, NULL) == BITGEN_E_NULL, "run(n 0, fn NULL)");
    run_and_count(pool, 64, &c, "create(0)");
    bitgen_pool_destroy(pool);
  }
  CHECK(bitgen_pool_run(NULL, 5, NULL, NULL) == BITGEN_E_NULL, "run(NULL pool, fn NULL)");
  CHECK(bitgen_pool_threads(NULL) == 1, "threads(NULL)");
  /* 64 threads (the top of the intended range), heavily oversubscribed. */
  st = bitgen_pool_create(64, &pool);
  if (CHECK(st == BITGEN_OK, "create(64): %d", st)) {
    CHECK(bitgen_pool_threads(pool) == 64, "threads");
    run_and_count(pool, 1000, &c, "64 threads");
    run_and_count(pool, 64, &c, "64 threads");
    run_and_count(pool, 3, &c, "64 threads");
    bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- idle workers sleep -------------------------------------------------------------- */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_idle(void) {
  static count_ctx c;
  static const size_t ts[] = {2, 8};
  size_t t;
  group_begin("idle workers sleep");
  for (t = 0; t < sizeof ts / sizeof ts[0]; t++) {
    bitgen_pool *pool = NULL;
    double c0, used;
    if (!CHECK(bitgen_pool_create(ts[t], &pool) == BITGEN_OK, "create")) continue;
    run_and_count(pool, 64, &c, "before idling");
    c0 = cpu_s();
    sleep_us(300000);
    used = cpu_s() - c0;
    /* A bounded spin costs well under a millisecond per worker. */
    CHECK(used < 0.03, "%zu threads: %.1f ms of CPU while idle for 300 ms", ts[t], 1e3 * used);
    run_and_count(pool, 64, &c, "after idling");
    bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- fork: a child cannot use the parent's workers -------------------------------- */
typedef struct {
  bitgen_pool *pool;
  atomic_int stop;
} busy_arg;

static void *keep_busy(void *p) {
  busy_arg *b = p;
  static count_ctx c; /* only this thread touches it */
  size_t i;
  c.n = 50;
  while (!atomic_load(&b->stop)) {
    for (i = 0; i < 50; i++) atomic_store(&c.counts[i], 0);
    bitgen_pool_run(b->pool, 50, count_fn, &c);
  }
  return NULL;
}

/* In the child: run on the pool (the parent's other thread may have held
 * its lock, its workers do not exist here); exit 0 if all ran once. */
static void child_body(bitgen_pool *pool) {
  static count_ctx c;
  bitgen_pool *pools[2];
  size_t i, k;
  pools[0] = pool;
  pools[1] = bitgen_pool_default();
  for (k = 0; k < 2; k++) {
    for (i = 0; i < MAX_N; i++) atomic_store(&c.counts[i], 0);
    c.n = 100;
    if (bitgen_pool_run(pools[k], 100, count_fn, &c) != BITGEN_OK) _exit(2);
    for (i = 0; i < 100; i++)
      if (atomic_load(&c.counts[i]) != 1) _exit(3);
  }
  bitgen_pool_destroy(pool); /* only frees: no workers to join here */
  _exit(0);
}

static void test_fork(void) {
  bitgen_pool *pool = NULL;
  busy_arg b;
  pthread_t th;
  int rep;
  group_begin("fork");
  (void)bitgen_pool_default(); /* exists before the fork */
  if (!CHECK(bitgen_pool_create(3, &pool) == BITGEN_OK, "create")) {
    group_end();
    return;
  }
  b.pool = pool;
  atomic_init(&b.stop, 0);
  if (!CHECK(pthread_create(&th, NULL, keep_busy, &b) == 0, "pthread_create")) {
    bitgen_pool_destroy(pool);
    group_end();
    return;
  }
  for (rep = 0; rep < 5; rep++) {
    int status = 0, done = 0;
    double t0;
    pid_t pid;
    sleep_us(2000);
    fflush(stdout);
    pid = fork();
    if (pid == 0) child_body(pool);
    if (!CHECK(pid > 0, "fork")) break;
    t0 = now_s();
    while (!done && now_s() - t0 < 20.0) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) done = 1;
      else sleep_us(1000);
    }
    if (!done) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    CHECK(done, "child %d hung on a pool inherited from the parent", rep);
    CHECK(done && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child %d: exit status 0x%x", rep, status);
  }
  atomic_store(&b.stop, 1);
  pthread_join(th, NULL);
  bitgen_pool_destroy(pool);
  group_end();
}

/* ---- long tasks: the caller sleeps while workers finish -------------------------- */
typedef struct {
  atomic_int counts[8];
} slow_ctx;

static void slow_fn(void *p, size_t i) {
  slow_ctx *s = p;
  if (i % 2 == 1) sleep_us(20000); /* a worker holds an index for a while */
  atomic_fetch_add(&s->counts[i], 1);
}

static void test_long_tasks(void) {
  size_t t, i, rep;
  group_begin("long tasks");
  for (t = 1; t < N_THREAD_COUNTS; t++) {
    bitgen_pool *pool = NULL;
    if (!CHECK(bitgen_pool_create(thread_counts[t], &pool) == BITGEN_OK, "create")) continue;
    for (rep = 0; rep < 3; rep++) {
      slow_ctx s;
      size_t bad = 0;
      for (i = 0; i < 8; i++) atomic_init(&s.counts[i], 0);
      CHECK(bitgen_pool_run(pool, 8, slow_fn, &s) == BITGEN_OK, "run");
      for (i = 0; i < 8; i++) bad += atomic_load(&s.counts[i]) != 1;
      CHECK(bad == 0, "%zu threads: %zu indices not run once (or not finished at return)",
            thread_counts[t], bad);
    }
    bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- deterministic reduction ------------------------------------------------- */
#define RED_LEN 100003
#define RED_CHUNKS 97
typedef struct {
  const float *x;
  float slot[RED_CHUNKS];       /* plain memory: each index owns one slot */
  double wide[RED_CHUNKS];
} red_ctx;

static void red_fn(void *p, size_t i) {
  red_ctx *r = p;
  size_t lo = i * RED_LEN / RED_CHUNKS, hi = (i + 1) * RED_LEN / RED_CHUNKS, k;
  float s = 0.0f;
  double w = 0.0;
  for (k = lo; k < hi; k++) {
    s += r->x[k] * r->x[(k * 7) % RED_LEN];
    w += (double)r->x[k];
  }
  r->slot[i] = s;
  r->wide[i] = w;
}

static float red_total(const red_ctx *r) {
  float t = 0.0f;
  size_t i;
  for (i = 0; i < RED_CHUNKS; i++) t += r->slot[i];
  return t;
}

static void test_reduction(void) {
  static float x[RED_LEN];
  static red_ctx ref, got;
  uint32_t seed = 42;
  size_t i, t, rep;
  float ref_total;
  group_begin("deterministic reduction");
  for (i = 0; i < RED_LEN; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((int32_t)(seed >> 8) - (1 << 23)) / (float)(1 << 20);
  }
  /* Reference: plain loop, no pool at all. */
  memset(&ref, 0, sizeof ref);
  ref.x = x;
  for (i = 0; i < RED_CHUNKS; i++) red_fn(&ref, i);
  ref_total = red_total(&ref);
  for (t = 0; t < N_THREAD_COUNTS + 2; t++) {
    bitgen_pool *pool = NULL;
    const char *label = "pool";
    size_t nt = 0;
    if (t < N_THREAD_COUNTS) {
      nt = thread_counts[t];
      if (!CHECK(bitgen_pool_create(nt, &pool) == BITGEN_OK, "create")) continue;
    } else if (t == N_THREAD_COUNTS) {
      label = "NULL pool";
    } else {
      label = "default pool";
      pool = bitgen_pool_default();
      nt = bitgen_pool_threads(pool);
    }
    for (rep = 0; rep < 10; rep++) {
      float total;
      memset(&got, 0xA5, sizeof got);
      got.x = x;
      CHECK(bitgen_pool_run(pool, RED_CHUNKS, red_fn, &got) == BITGEN_OK, "run");
      total = red_total(&got);
      CHECK(memcmp(got.slot, ref.slot, sizeof ref.slot) == 0 &&
                memcmp(got.wide, ref.wide, sizeof ref.wide) == 0,
            "%s (%zu threads) rep %zu: slots differ from the serial loop", label, nt, rep);
      CHECK(memcmp(&total, &ref_total, sizeof total) == 0,
            "%s (%zu threads): total %.9g, serial %.9g", label, nt, (double)total,
            (double)ref_total);
    }
    if (t < N_THREAD_COUNTS) bitgen_pool_destroy(pool);
  }
  group_end();
}

/* ---- latency --------------------------------------------------------------------- */
static void empty_fn(void *p, size_t i) {
  (void)p;
  (void)i;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Rendezvous: both indices must run at once, so every call really wakes a
 * worker and waits for it (the pure fork-join round trip). */
typedef struct {
  atomic_uint arrived;
} rv_ctx;

static void rendezvous_fn(void *p, size_t i) {
  rv_ctx *r = p;
  unsigned target;
  (void)i;
  /* Call k uses arrivals 2k+1, 2k+2: wait for the partner of this call. */
  target = (atomic_fetch_add(&r->arrived, 1) / 2 + 1) * 2;
  for (unsigned k = 1; atomic_load(&r->arrived) < target; k++)
    if (k % 256 == 0) sched_yield(); /* in case the partner waits for our CPU */
}

/* A fixed amount of arithmetic (not wall time, so preemption shows). */
typedef struct {
  unsigned long iters;
  atomic_uint sink;
} work_ctx;

static void work_fn(void *p, size_t i) {
  work_ctx *w = p;
  volatile unsigned x = (unsigned)i;
  unsigned long k;
  for (k = 0; k < w->iters; k++) x = x * 1664525u + 1013904223u;
  atomic_fetch_add_explicit(&w->sink, x, memory_order_relaxed);
}

/* Times `calls` empty runs of n indices; gap_us > 0 sleeps between calls
 * (so the workers are asleep when the call comes).  Prints percentiles. */
static void time_runs(bitgen_pool *pool, size_t n, void (*fn)(void *, size_t), void *ctx,
                      int calls, long gap_us, const char *label) {
  double *t = malloc((size_t)calls * sizeof *t);
  int k;
  if (t == NULL) return;
  for (k = 0; k < 200; k++) bitgen_pool_run(pool, n, fn, ctx); /* warm up */
  for (k = 0; k < calls; k++) {
    double t0;
    if (gap_us > 0) sleep_us(gap_us);
    t0 = now_s();
    bitgen_pool_run(pool, n, fn, ctx);
    t[k] = now_s() - t0;
  }
  qsort(t, (size_t)calls, sizeof *t, cmp_double);
  printf("     %-40s median %7.2f us  p10 %7.2f  p90 %7.2f  p99 %7.2f\n", label,
         1e6 * t[calls / 2], 1e6 * t[calls / 10], 1e6 * t[calls * 9 / 10],
         1e6 * t[calls * 99 / 100]);
  free(t);
}

static void bench(int full) {
  bitgen_pool *p1 = NULL, *p2 = NULL, *p8 = NULL;
  int calls = full ? 200000 : 20000;
  rv_ctx rv;
  work_ctx w;
  atomic_init(&w.sink, 0);
  w.iters = 20000; /* recalibrated below */
  printf("latency of bitgen_pool_run (informational)\n");
  if (bitgen_pool_create(1, &p1) == BITGEN_OK) {
    time_runs(p1, 2, empty_fn, NULL, calls, 0, "1 thread, n=2 empty (inline)");
    if (full) {
      /* Calibrate a ~20 us task. */
      double t0;
      w.iters = 100000;
      t0 = now_s();
      work_fn(&w, 0);
      w.iters = (unsigned long)(100000 * 20e-6 / (now_s() - t0));
      time_runs(p1, 1, work_fn, &w, 5000, 0, "1 thread, n=1 task of ~20 us");
    }
    bitgen_pool_destroy(p1);
  }
  if (bitgen_pool_create(2, &p2) == BITGEN_OK) {
    time_runs(p2, 2, empty_fn, NULL, calls, 0, "2 threads, n=2 empty");
    if (full) {
      /* Only on request: on a loaded machine every call waits for a
       * descheduled partner. */
      atomic_init(&rv.arrived, 0);
      time_runs(p2, 2, rendezvous_fn, &rv, calls, 0, "2 threads, n=2 rendezvous");
      time_runs(p2, 64, empty_fn, NULL, calls / 4, 0, "2 threads, n=64 empty");
      time_runs(p2, 2, work_fn, &w, 5000, 0, "2 threads, n=2 tasks of ~20 us");
      time_runs(p2, 2, work_fn, &w, 2000, 50, "2 threads, n=2 tasks, 50 us apart");
      time_runs(p2, 2, work_fn, &w, 1000, 2000, "2 threads, n=2 tasks, 2 ms apart");
      time_runs(p2, 2, empty_fn, NULL, 1000, 2000, "2 threads, n=2 empty, 2 ms apart");
      atomic_store(&rv.arrived, 0);
      time_runs(p2, 2, rendezvous_fn, &rv, 1000, 2000, "2 threads, n=2 rendezvous, 2 ms apart");
    }
    bitgen_pool_destroy(p2);
  }
  if (full && bitgen_pool_create(8, &p8) == BITGEN_OK) {
    time_runs(p8, 8, empty_fn, NULL, 20000, 0, "8 threads (oversubscribed), n=8 empty");
    time_runs(p8, 8, work_fn, &w, 2000, 0, "8 threads (oversubscribed), n=8 tasks");
    bitgen_pool_destroy(p8);
  }
}

int main(int argc, char **argv) {
  int full_bench = argc > 1 && strcmp(argv[1], "bench") == 0;
  test_errors();
  test_exactly_once();
  test_caller_participates();
  test_nested();
  test_concurrent();
  test_create_destroy();
  test_default();
  test_long_tasks();
  test_reduction();
  test_fork();
  test_idle();
  bench(full_bench);
  return check_summary();
}
