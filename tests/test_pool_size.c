/* The default thread count (runtime/pool.c): BITGEN_THREADS, the affinity
 * mask, and the cgroup CPU quota read from /proc/self/cgroup and
 * /proc/self/mountinfo texts (here: fake ones over a temporary tree, v1 and
 * v2, nested quotas, a namespaced path). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitgen_pool.h"
#include "bitgen_rt.h"
#include "check.h"

static char root[256];

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *p = path + strlen(root) + 1; *p; p++) /* mkdir -p of the parent */
    if (*p == '/') {
      *p = '\0';
      mkdir(path, 0700);
      *p = '/';
    }
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

static double limit(const char *cgroup, const char *mountinfo) {
  char c[512], m[512];
  put("proc_cgroup", cgroup);
  put("mountinfo", mountinfo);
  snprintf(c, sizeof c, "%s/proc_cgroup", root);
  snprintf(m, sizeof m, "%s/mountinfo", root);
  return bitgen_cgroup_cpu_limit(c, m);
}

int main(void) {
  char line[1024], mi[2048];
  size_t n = 0;
  snprintf(root, sizeof root, "/tmp/bitgen-pool-size-XXXXXX");
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    return 1;
  }

  group_begin("cgroup v2");
  /* a quota in the process's cgroup, a tighter one above it */
  snprintf(mi, sizeof mi, "30 1 0:26 / %s/v2 rw - cgroup2 cgroup2 rw\n", root);
  put("v2/app/job/cpu.max", "150000 100000\n");
  CHECK(limit("0::/app/job\n", mi) == 1.5, "v2 quota 1.5");
  put("v2/app/cpu.max", "50000 100000\n");
  CHECK(limit("0::/app/job\n", mi) == 0.5, "v2: the parent's tighter quota");
  put("v2/app/cpu.max", "max 100000\n");
  put("v2/app/job/cpu.max", "max 100000\n");
  CHECK(limit("0::/app/job\n", mi) == 0, "v2 without quota");
  /* in a cgroup namespace the path is not under the mount's root: the mount itself */
  put("v2/cpu.max", "200000 100000\n");
  snprintf(mi, sizeof mi, "30 1 0:26 /other %s/v2 rw - cgroup2 cgroup2 rw\n", root);
  CHECK(limit("0::/\n", mi) == 2.0, "v2 namespaced: the mount's quota");

  group_end();
  group_begin("cgroup v1");
  /* the cpu controller (listed as cpu,cpuacct), mount root mapped */
  snprintf(mi, sizeof mi,
           "31 1 0:27 / %s/v1mem rw - cgroup cgroup rw,memory\n"
           "32 1 0:28 /ctr %s/v1cpu rw - cgroup cgroup rw,cpu,cpuacct\n", root, root);
  put("v1cpu/job/cpu.cfs_quota_us", "250000\n");
  put("v1cpu/job/cpu.cfs_period_us", "100000\n");
  CHECK(limit("4:memory:/ctr/job\n3:cpu,cpuacct:/ctr/job\n", mi) == 2.5, "v1 quota 2.5");
  put("v1cpu/job/cpu.cfs_quota_us", "-1\n");
  CHECK(limit("3:cpu,cpuacct:/ctr/job\n", mi) == 0, "v1 quota -1: none");
  CHECK(limit("3:cpuacct:/ctr/job\n", mi) == 0, "no cpu controller: none");
  CHECK(limit("garbage\n", mi) == 0, "unreadable: none");

  group_end();
  group_begin("BITGEN_THREADS");
  /* wins over everything; malformed is an error */
  setenv("BITGEN_THREADS", "3", 1);
  CHECK(bitgen_pool_default_threads(&n) == BITGEN_OK && n == 3, "BITGEN_THREADS=3: %zu", n);
  bitgen_pool *pool = NULL;
  CHECK(bitgen_pool_create(0, &pool) == BITGEN_OK && bitgen_pool_threads(pool) == 3, "create(0) with BITGEN_THREADS=3");
  bitgen_pool_destroy(pool);
  const char *bad[] = {"0", "-2", "x", "4x", "1025", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("BITGEN_THREADS", bad[i], 1);
    CHECK(bitgen_pool_default_threads(&n) == BITGEN_E_VALUE, "BITGEN_THREADS=%s rejected", bad[i]);
    CHECK(bitgen_pool_create(0, &pool) == BITGEN_E_VALUE && pool == NULL, "create(0), BITGEN_THREADS=%s", bad[i]);
  }
  unsetenv("BITGEN_THREADS");

  group_end();
  group_begin("affinity");
  /* one CPU allowed -> one thread */
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int first = 0;
    while (!CPU_ISSET(first, &set)) first++;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    if (sched_setaffinity(0, sizeof set, &set) == 0) {
      CHECK(bitgen_pool_default_threads(&n) == BITGEN_OK && n == 1, "affinity of one CPU: %zu threads", n);
    }
  }
  group_end();
  /* the process's own cgroup quota, if any, as the default would see it */
  double q = bitgen_cgroup_cpu_limit("/proc/self/cgroup", "/proc/self/mountinfo");
  printf("this process: cgroup CPU quota %s%g\n", q > 0 ? "" : "none ", q);

  snprintf(line, sizeof line, "rm -rf '%s'", root);
  if (system(line) != 0) fprintf(stderr, "could not remove %s\n", root);
  return check_summary();
}
