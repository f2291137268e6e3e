/* bitgen thread pool: runs the index range of a kernel call in parallel.
 *
 * A pool has `nthreads` participants: nthreads-1 worker threads, created
 * once and reused for every call, plus the thread that calls
 * bitgen_pool_run, which takes part in the work.  Indices are handed out one
 * at a time from an atomic counter, so the caller should pass tasks that are
 * already sized (e.g. a few row tiles each).  Which thread runs an index is
 * not deterministic; results do not depend on it as long as every index
 * writes its own outputs.
 *
 * Idle workers spin briefly on the job counter (a pause instruction per
 * iteration; BITGEN_POOL_SPIN iterations, tunable at compile time) and then
 * sleep on a condition variable, so an idle pool costs no CPU.  A call
 * never waits for a worker that has not started on it: if the workers are
 * slow to wake, the caller runs the remaining indices itself.
 *
 * Status codes are the bitgen_status values of bitgen_rt.h. */
#ifndef BITGEN_POOL_H
#define BITGEN_POOL_H

#include <stddef.h>

#include "bitgen_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BITGEN_POOL_MAX_THREADS 1024

typedef struct bitgen_pool bitgen_pool;

/* nthreads = 0: bitgen_pool_default_threads().  More threads than cores is
 * allowed.  Returns BITGEN_E_NULL (out is NULL), BITGEN_E_SIZE (nthreads >
 * BITGEN_POOL_MAX_THREADS), BITGEN_E_VALUE (nthreads = 0 and a malformed
 * BITGEN_THREADS) or BITGEN_E_NOMEM (memory or threads could not be had);
 * *out is NULL on failure. */
int bitgen_pool_create(size_t nthreads, bitgen_pool **out);

/* Stops and joins the workers and frees the pool.  NULL is fine.  Must not
 * be called while a bitgen_pool_run on the pool is in progress. */
void bitgen_pool_destroy(bitgen_pool *pool);

/* Number of participants (workers + caller); 1 for NULL. */
size_t bitgen_pool_threads(const bitgen_pool *pool);

/* The default number of participants: BITGEN_THREADS if set (1 ..
 * BITGEN_POOL_MAX_THREADS; anything else is BITGEN_E_VALUE), else the CPUs
 * of the process's affinity mask, capped by its cgroup CPU quota rounded up
 * (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max, the tightest from
 * its cgroup up to the hierarchy's root), at least 1. */
int bitgen_pool_default_threads(size_t *out);

/* The CPU quota (quota / period, e.g. 1.5) of the cgroup that the given
 * /proc/self/cgroup and /proc/self/mountinfo texts describe, or 0 for no
 * quota (or nothing readable).  Paths are parameters for the tests. */
double bitgen_cgroup_cpu_limit(const char *proc_cgroup, const char *mountinfo);

/* Runs fn(ctx, i) for every i in [0, n) exactly once, spread over the
 * pool's participants (the caller takes part), and returns when all have
 * finished; everything fn wrote is then visible to the caller.
 * pool == NULL, a 1-thread pool or n == 1: runs inline on the caller.
 * Calls from several threads on one pool are serialized (a mutex), never
 * interleaved; this includes the inline cases of a non-NULL pool.
 * A call made from inside fn (on any thread of this pool's job) on the same
 * pool runs inline.  (Cycles through two pools -- pool A's fn calling pool B
 * whose fn calls pool A -- are not supported.)
 * Returns BITGEN_E_NULL if fn is NULL, BITGEN_E_VALUE if pool is not a pool
 * of this runtime's layout (a package of another bitgen version made it),
 * else BITGEN_OK. */
int bitgen_pool_run(bitgen_pool *pool, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* After fork(), a pool made in the parent runs every call inline in the
 * child (the child has no workers), and destroying it there only frees it. */

/* A process-wide pool (per package) of bitgen_pool_default_threads(), created on first use
 * (thread safe), never destroyed.  NULL only if it could not be created,
 * which bitgen_pool_run treats as "run inline". */
bitgen_pool *bitgen_pool_default(void);

#ifdef __cplusplus
}
#endif
#endif
