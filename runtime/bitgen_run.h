/* bitgen model runtime helpers, model independent (a model package's
 * generated runtime, templates/model_run.c, uses them):
 *   - the sampler: greedy, temperature, top-k, top-p over a model's logits,
 *     seeded and reproducible (its own PRNG: xoshiro256** seeded by
 *     splitmix64); a package wraps it as P_sampler_* (its header documents
 *     the rules).  Buffers are allocated once, at creation;
 *   - a monotonic clock for the runtime's profile. */
#ifndef BITGEN_RUN_H
#define BITGEN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bitgen_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bitgen_sampler bitgen_sampler;

/* temperature <= 0 or top_k == 1: greedy.  top_k 0: all; top_p in (0, 1].
 * BITGEN_E_NULL, BITGEN_E_SIZE (n_vocab 0 or above 2^31), BITGEN_E_VALUE
 * (non-finite temperature, top_p outside (0, 1]), BITGEN_E_NOMEM. */
int bitgen_sampler_create(size_t n_vocab, float temperature, size_t top_k, float top_p, uint64_t seed,
                          bitgen_sampler **out);
void bitgen_sampler_free(bitgen_sampler *s);
/* n_vocab logits -> *token; BITGEN_E_VALUE if one is NaN (+-Inf are values). */
int bitgen_sample(bitgen_sampler *s, const float *logits, int32_t *token);
/* The next 64 bits of a sampler's PRNG (tests). */
uint64_t bitgen_sampler_next(bitgen_sampler *s);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t bitgen_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
