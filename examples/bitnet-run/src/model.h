/* The generated package behind a package-neutral interface: only model.c
 * names the package (its prefix comes from the build as BITNET_RUN_PKG). */
#ifndef BITNET_RUN_MODEL_H
#define BITNET_RUN_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct br_model br_model;

typedef struct {
  const char *package;       /* the package prefix, e.g. bitgen_ggml_model_i2_s */
  const char *isa;           /* the ISA its kernels run (the first GEMV's variant) */
  size_t n_layer, n_embd, n_vocab, n_ctx_train, threads;
  uint64_t weight_bytes;     /* read once per token: every layer matrix and norm, the output layer */
  uint64_t kv_bytes_per_pos; /* KV cache bytes one decode step reads per cached position */
  const void *arena;         /* the packed weights (read-only), arena_size bytes */
  size_t arena_size;
} br_info;

typedef struct {
  uint64_t matmul_ns, attention_ns, ops_ns, output_ns, total_ns, tokens, calls;
} br_profile;

/* Default thread count of the package (BITGEN_THREADS, else the usable CPUs). */
size_t br_default_threads(void);
/* Loads the GGUF file with the package's loader and makes a context of
 * n_ctx positions (0: the model's) running on `threads` threads, profiling
 * on.  On error returns the status and err holds the loader's message. */
int br_open(const char *path, size_t n_ctx, size_t threads, br_model **out, char *err, size_t err_size);
void br_close(br_model *m);
void br_get_info(const br_model *m, br_info *info);
size_t br_n_ctx(const br_model *m);
size_t br_pos(const br_model *m);
/* tokens at the next positions; logits of the last (n_vocab floats) */
int br_eval(br_model *m, const int32_t *tokens, size_t n, float *logits);
void br_get_profile(const br_model *m, br_profile *p);
int br_sampler(br_model *m, float temperature, size_t top_k, float top_p, uint64_t seed);
int br_sample(br_model *m, const float *logits, int32_t *token);
const char *br_strerror(int status);
int br_status_full(int status); /* the KV cache is full */

#endif
