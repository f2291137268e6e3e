$ -- The model runtime's declarations (model specs only; docs/MODEL_RUNTIME.md, "Runtime / context").

/* ---- running the model: contexts, eval, sampling ----
 * A context holds a KV cache (f16) of n_ctx positions for one sequence and
 * every buffer a forward pass needs, allocated once by ${P}_ctx_create in
 * one arena, and a thread pool made once; ${P}_eval allocates nothing and
 * creates no thread.  Prefill (n > 1 tokens) runs the GEMM kernels on
 * blocks of n_batch tokens, decode (n = 1) the GEMV kernels.  Results do
 * not depend on the thread count, the ISA or on how tokens are split into
 * calls: feeding tokens one at a time gives the same bits as one call. */
typedef struct ${P}_ctx ${P}_ctx;

typedef struct {
  size_t n_ctx;     /* positions of the KV cache; 0: ${P:upper()}_N_CTX */
  size_t n_batch;   /* tokens per prefill block; 0: 64 */
  size_t n_threads; /* 0: the default (BITGEN_THREADS, else the CPUs usable) */
  int profile;      /* nonzero: time each part of eval (${P}_ctx_profile) */
} ${P}_ctx_options;

/* The context borrows model (it must outlive the context).  BITGEN_E_NULL,
 * BITGEN_E_SIZE (n_ctx or n_batch beyond 1 << 20), BITGEN_E_NOMEM; *out is
 * NULL on failure.  opt may be NULL. */
int ${P}_ctx_create(const ${P}_model *model, const ${P}_ctx_options *opt, ${P}_ctx **out);
void ${P}_ctx_free(${P}_ctx *ctx);

/* Runs tokens[0..n) at positions pos .. pos+n-1 (appending to the cache)
 * and writes the logits of the last one (${P:upper()}_N_VOCAB floats; logits
 * may be NULL to only fill the cache).  BITGEN_E_FULL if pos + n > n_ctx,
 * BITGEN_E_VALUE for a token outside [0, n_vocab): nothing is evaluated and
 * the cache is as it was.  BITGEN_E_VALUE also if an activation becomes
 * non-finite (the position is then unchanged). */
int ${P}_eval(${P}_ctx *ctx, const int32_t *tokens, size_t n, float *logits);
/* The same, writing the logits of every token: n x ${P:upper()}_N_VOCAB. */
int ${P}_eval_all(${P}_ctx *ctx, const int32_t *tokens, size_t n, float *logits);
/* Tokens in the cache; n_ctx of the context. */
size_t ${P}_ctx_pos(const ${P}_ctx *ctx);
size_t ${P}_ctx_n_ctx(const ${P}_ctx *ctx);
/* Keeps the first pos tokens of the cache (BITGEN_E_SIZE if pos is beyond
 * the current position): 0 starts a new sequence. */
int ${P}_ctx_rewind(${P}_ctx *ctx, size_t pos);

/* Time spent in eval since the context was made (profile on), in
 * nanoseconds: the layers' matmuls, attention (RoPE, cache store,
 * softmax), the other per-token ops (norms, quantization, activations,
 * embedding), the output layer (final norm and logits), and tokens run. */
typedef struct {
  uint64_t matmul_ns, attention_ns, ops_ns, output_ns, total_ns;
  uint64_t tokens, calls;
} ${P}_profile;
int ${P}_ctx_profile(const ${P}_ctx *ctx, ${P}_profile *out);

/* Sampling, reproducible: the same parameters, seed and logits give the
 * same tokens (scalar code in double precision; no ISA dependence).  temperature <= 0 (or top_k == 1): greedy
 * (the first largest logit).  Otherwise logits / temperature, the top_k
 * largest (0: all), of those the smallest set whose probability reaches
 * top_p (1: all), drawn with the sampler's own PRNG (xoshiro256** seeded by
 * splitmix64 from seed).  Ties are broken by the lower token id. */
typedef struct {
  float temperature;
  size_t top_k;
  float top_p;
  uint64_t seed;
} ${P}_sampler_params;
typedef struct ${P}_sampler ${P}_sampler;
/* BITGEN_E_VALUE for a non-finite temperature or top_p outside (0, 1]. */
int ${P}_sampler_create(const ${P}_sampler_params *params, ${P}_sampler **out);
void ${P}_sampler_free(${P}_sampler *s);
/* ${P:upper()}_N_VOCAB logits -> *token.  BITGEN_E_VALUE if a logit is NaN. */
int ${P}_sample(${P}_sampler *s, const float *logits, int32_t *token);
