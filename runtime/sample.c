/* Sampling (bitgen_sample.h).  Every step is deterministic: candidates are
 * ordered by (logit desc, id asc), probabilities are computed in double in
 * that order, and the draw is 53 bits of the sampler's own PRNG. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "bitgen_run.h"

uint64_t bitgen_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct bitgen_sampler {
  size_t n, top_k;
  float temp, top_p;
  uint64_t s[4];  /* xoshiro256** state */
  int32_t *ids;   /* n: candidates (a heap of the top k, then sorted) */
  double *p;      /* n: their probabilities */
};

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bitgen_sampler_next(bitgen_sampler *s) {
  const uint64_t r = rotl(s->s[1] * 5, 7) * 9, t = s->s[1] << 17;
  s->s[2] ^= s->s[0];
  s->s[3] ^= s->s[1];
  s->s[1] ^= s->s[2];
  s->s[0] ^= s->s[3];
  s->s[2] ^= t;
  s->s[3] = rotl(s->s[3], 45);
  return r;
}

int bitgen_sampler_create(size_t n_vocab, float temperature, size_t top_k, float top_p, uint64_t seed,
                          bitgen_sampler **out) {
  if (out == NULL) return BITGEN_E_NULL;
  *out = NULL;
  if (n_vocab == 0 || n_vocab > ((size_t)1 << 31)) return BITGEN_E_SIZE;
  if (!isfinite(temperature) || !(top_p > 0.0f && top_p <= 1.0f)) return BITGEN_E_VALUE;
  bitgen_sampler *s = calloc(1, sizeof *s);
  if (s == NULL) return BITGEN_E_NOMEM;
  s->ids = malloc(n_vocab * sizeof *s->ids);
  s->p = malloc(n_vocab * sizeof *s->p);
  if (s->ids == NULL || s->p == NULL) {
    bitgen_sampler_free(s);
    return BITGEN_E_NOMEM;
  }
  s->n = n_vocab;
  s->temp = temperature;
  s->top_k = top_k == 0 || top_k > n_vocab ? n_vocab : top_k;
  s->top_p = top_p;
  for (int i = 0; i < 4; i++) s->s[i] = splitmix64(&seed);
  *out = s;
  return BITGEN_OK;
}

void bitgen_sampler_free(bitgen_sampler *s) {
  if (s == NULL) return;
  free(s->ids);
  free(s->p);
  free(s);
}

/* a before b in the candidate order: larger logit, then lower id */
static int before(const float *l, int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); }

/* Min-heap by the candidate order (the root is the worst kept). */
static void sift_down(const float *l, int32_t *h, size_t n, size_t i) {
  for (;;) {
    size_t c = 2 * i + 1, w = i;
    if (c < n && before(l, h[w], h[c])) w = c;
    if (c + 1 < n && before(l, h[w], h[c + 1])) w = c + 1;
    if (w == i) return;
    const int32_t t = h[i];
    h[i] = h[w];
    h[w] = t;
    i = w;
  }
}

int bitgen_sample(bitgen_sampler *s, const float *logits, int32_t *token) {
  if (s == NULL || logits == NULL || token == NULL) return BITGEN_E_NULL;
  size_t best = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (isnan(logits[i])) return BITGEN_E_VALUE;
    if (logits[i] > logits[best]) best = i;
  }
  if (s->temp <= 0.0f || s->top_k == 1) {
    *token = (int32_t)best;
    return BITGEN_OK;
  }
  /* the top k: a heap of k candidates, each later id replaces the worst
   * if it comes before it; then heap-sorted into candidate order */
  const size_t k = s->top_k;
  int32_t *h = s->ids;
  for (size_t i = 0; i < k; i++) h[i] = (int32_t)i;
  for (size_t i = k / 2; i-- > 0;) sift_down(logits, h, k, i);
  for (size_t i = k; i < s->n; i++)
    if (before(logits, (int32_t)i, h[0])) {
      h[0] = (int32_t)i;
      sift_down(logits, h, k, 0);
    }
  for (size_t n = k; n > 1; n--) { /* pops the worst to the end: best first */
    const int32_t t = h[0];
    h[0] = h[n - 1];
    h[n - 1] = t;
    sift_down(logits, h, n - 1, 0);
  }
  const double inv_t = 1.0 / (double)s->temp, top = (double)logits[h[0]] * inv_t;
  double total = 0.0;
  for (size_t i = 0; i < k; i++) {
    const double l = (double)logits[h[i]] * inv_t;
    s->p[i] = isinf(top) ? (logits[h[i]] == logits[h[0]] ? 1.0 : 0.0) : exp(l - top);
    total += s->p[i];
  }
  size_t keep = k;
  if (s->top_p < 1.0f) { /* the shortest prefix whose probability reaches top_p */
    double cum = 0.0;
    for (size_t i = 0; i < k; i++) {
      cum += s->p[i];
      if (cum >= (double)s->top_p * total) {
        keep = i + 1;
        break;
      }
    }
    total = 0.0;
    for (size_t i = 0; i < keep; i++) total += s->p[i];
  }
  const double u = (double)(bitgen_sampler_next(s) >> 11) * 0x1.0p-53 * total;
  double cum = 0.0;
  for (size_t i = 0; i < keep; i++) {
    cum += s->p[i];
    if (u < cum) {
      *token = h[i];
      return BITGEN_OK;
    }
  }
  *token = h[keep - 1]; /* u rounded up to the total */
  return BITGEN_OK;
}
