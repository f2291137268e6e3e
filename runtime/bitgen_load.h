/* bitgen model loader: a GGUF file into one arena of packed weights.
 *
 * The generated loader of a model package (P_load, docs/MODEL_RUNTIME.md)
 * describes its model as a table (bitgen_load_spec) and calls
 * bitgen_load_model, which
 *   1. opens the file (mapped) or a caller's buffer with the GGUF reader;
 *   2. checks general.architecture, the hyper-parameters and every tensor
 *      of the table (name, dims, GGUF type), then that the file has no other
 *      tensor, and names the first mismatch;
 *   3. allocates one arena (2 MiB aligned, whole 2 MiB pages, MADV_HUGEPAGE)
 *      laid out in table order: per layer its tensors, then the others;
 *   4. packs every tensor into it on the pool, in chunks of whole pack tiles
 *      where the format's source rows allow it, dropping each packed chunk's
 *      file pages from the process (MADV_DONTNEED; the page cache keeps
 *      them) so peak memory stays the arena plus a chunk per thread;
 *   5. on any error frees everything and writes nothing to *out.
 * Every status is a bitgen_status (bitgen_types.h). */
#ifndef BITGEN_LOAD_H
#define BITGEN_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "bitgen_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One tensor of the model.  Matrices: M rows of K (GGUF dims [K, M]), in
 * bitgen format `format`, packed with pack tiles of prows rows.  Norms and
 * other f32 vectors: format NULL, K elements (GGUF dims [K], type F32),
 * copied as they are. */
typedef struct {
  const char *name;   /* GGUF name; "%d" is the layer number when per_layer */
  int per_layer;
  const char *format; /* bitgen format name, or NULL for an f32 vector */
  size_t M, K, prows;
} bitgen_load_tensor;

/* A hyper-parameter: the key "<arch>.<key>" must hold `u` (an integer key)
 * or, as f32, (float)f (a float key).  Absent: an error if required. */
typedef struct {
  const char *key;
  int is_float, required;
  uint64_t u;
  double f;
} bitgen_load_hparam;

typedef struct {
  const char *arch;   /* general.architecture */
  size_t n_layer;
  const bitgen_load_tensor *tensors; /* per-layer ones first */
  size_t ntensors;
  const bitgen_load_hparam *hparams;
  size_t nhparams;
} bitgen_load_spec;

/* One loaded tensor instance.  Instances are numbered in arena order: layer
 * l's per-layer tensor j is l * n_per_layer + j, then global tensor j is
 * n_layer * n_per_layer + j. */
typedef struct {
  const void *data;   /* in the arena, 64-byte aligned */
  size_t size;        /* packed bytes (f32 vectors: 4 K) */
  float scale;        /* i2s / tl: the I2_S tensor's scale; 1.0f otherwise */
} bitgen_loaded;

typedef struct {
  bitgen_pool *pool;  /* NULL: packs on the calling thread */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  void *progress_ctx;
  char *error;        /* optional message buffer */
  size_t error_size;
} bitgen_load_opts;

/* Instances a spec has (n_layer x per-layer tensors + the others). */
size_t bitgen_load_instances(const bitgen_load_spec *s);

/* Loads from `path` (data NULL) or from data/size (path NULL; `name` labels
 * messages).  out: bitgen_load_instances(s) entries.  On success *arena,
 * *arena_size and *file_bytes are set; free with bitgen_arena_free. */
int bitgen_load_model(const bitgen_load_spec *s, const char *path, const void *data, size_t size, const char *name,
                      const bitgen_load_opts *o, bitgen_loaded *out, void **arena, size_t *arena_size,
                      uint64_t *file_bytes);

/* The arena: 2 MiB aligned, size rounded up to 2 MiB, zeroed, huge-page
 * advised (Linux: an anonymous mapping; elsewhere aligned_alloc). */
void *bitgen_arena_alloc(size_t size, size_t *rounded);
void bitgen_arena_free(void *arena, size_t rounded);

#ifdef __cplusplus
}
#endif
#endif
