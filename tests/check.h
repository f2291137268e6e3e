/* A tiny check harness shared by the C unit tests: checks are grouped, a
 * group prints one line, the first failures print their line number, and
 * check_summary() gives the exit status. */
#ifndef BITGEN_TESTS_CHECK_H
#define BITGEN_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static const char *group_name;
static long group_checks, group_failed, total_checks, total_failed, groups_failed;

static void group_begin(const char *name) {
  group_name = name;
  group_checks = group_failed = 0;
}

static void group_end(void) {
  printf("%-4s %-30s %ld checks", group_failed ? "FAIL" : "ok", group_name, group_checks);
  if (group_failed) printf(", %ld failed", group_failed);
  printf("\n");
  fflush(stdout);
  total_checks += group_checks;
  total_failed += group_failed;
  groups_failed += group_failed != 0;
}

/* For the suite's closing summary (tests/summary.py): the SIMD paths of a
 * runtime routine this run compared with scalar (`ran`, by name), and those
 * of the x86 paths (avx2, avx512) this CPU could not run. */
static void report_paths(const char *what, const char *const *ran, size_t n) {
  static const char *const x86[] = {"avx2", "avx512"};
  printf("quantizer paths run: %s:scalar", what);
  for (size_t i = 0; i < n; i++) printf(" %s:%s", what, ran[i]);
  printf("\n");
#if defined(__x86_64__) || defined(__i386__)
  for (size_t j = 0; j < 2; j++) {
    int found = 0;
    for (size_t i = 0; i < n; i++) found |= ran[i][0] == x86[j][0] && ran[i][3] == x86[j][3];
    if (!found) printf("quantizer path not run: %s:%s (CPU lacks %s)\n", what, x86[j], j ? "AVX512F+BW" : "AVX2");
  }
#endif
}

/* Records one check; prints the first few failures of a group. */
static int check_at(int ok, int line, const char *fmt, ...) {
  group_checks++;
  if (!ok) {
    if (group_failed < 10) {
      va_list ap;
      printf("     line %d: ", line);
      va_start(ap, fmt);
      vprintf(fmt, ap);
      va_end(ap);
      printf("\n");
    }
    group_failed++;
  }
  return ok;
}
#define CHECK(cond, ...) check_at((cond) != 0, __LINE__, __VA_ARGS__)

/* Prints the totals; returns the process exit status. */
static int check_summary(void) {
  printf("%s: %ld checks, %ld failed, %ld group(s) failed\n", total_failed ? "FAIL" : "PASS", total_checks,
         total_failed, groups_failed);
  return total_failed ? 1 : 0;
}

#endif
