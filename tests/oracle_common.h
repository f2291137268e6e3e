/* What both sides of the llama.cpp cross-check share (tests/llama_oracle.c,
 * tests/oracle_run.c): argument parsing, and for the bench its prompt, clock,
 * greedy pick and report, so the two time the same work.  Include after the
 * feature-test macros (CLOCK_MONOTONIC). */
#ifndef ORACLE_COMMON_H
#define ORACLE_COMMON_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* s as a decimal integer in [lo, hi]: 0, else -1 */
static inline int oracle_parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!*s || *end || errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static inline double oracle_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* token i of the bench's prompt */
static inline int32_t oracle_prompt_token(long i, int32_t n_vocab) { return (int32_t)((i * 7919 + 13) % n_vocab); }

/* the greedy pick: the first largest logit */
static inline int32_t oracle_argmax(const float *logits, int32_t n_vocab) {
  int32_t best = 0;
  for (int32_t v = 1; v < n_vocab; v++)
    if (logits[v] > logits[best]) best = v;
  return best;
}

/* t0 .. t1 the prompt, t1 .. t2 the decoded tokens (from the first on) */
static inline void oracle_report(long n_prompt, long n_decoded, double t0, double t1, double t2) {
  printf("prompt: %ld tokens in %.3f s, %.2f tokens/s\n", n_prompt, t1 - t0, (double)n_prompt / (t1 - t0));
  printf("decode: %ld tokens in %.3f s, %.2f tokens/s\n", n_decoded, t2 - t1, (double)n_decoded / (t2 - t1));
}
#endif
