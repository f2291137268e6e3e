/* Shared by the tests that link a generated package: the package's
 * functions by suffix (PKG(gemv) -> <prefix>_gemv, from -DBITGEN_PKG_PREFIX),
 * a CHECK that reports and counts failures, and a fixed-seed xorshift. */
#ifndef BITGEN_TESTS_PKG_CHECK_H
#define BITGEN_TESTS_PKG_CHECK_H

#include <stdint.h>
#include <stdio.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define PKG(name) CAT(BITGEN_PKG_PREFIX, name)
/* the low-level calls of the package's (first) format, <prefix>_<format>_name
 * (<prefix>_lowlevel.h), from -DBITGEN_PKG_FORMAT */
#define LL(name) CAT(CAT(BITGEN_PKG_PREFIX, BITGEN_PKG_FORMAT), name)

static int failures;
#define CHECK(cond, ...)                                         \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                              \
      fputc('\n', stderr);                                       \
      failures++;                                                \
    }                                                            \
  } while (0)

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

#endif
