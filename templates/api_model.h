$ -- The model loader's declarations (model specs only; docs/MODEL_RUNTIME.md).
$ local U = P:upper()

/* ---- the model: ${P}_load (docs/MODEL_RUNTIME.md) ----
 * A GGUF file of this model (architecture ${spec.arch}, the hyper-parameters
 * and tensors above) loaded into one arena of packed weights. */

/* Each weight matrix's format, by GGUF role (tied: output is token_embd). */
$ for _, e in ipairs(model.tensors) do
$   if e.format then
#define ${U}_FORMAT_${e.field:upper()} "${e.format}"
$   end
$ end
$ if spec.hparams.tied_embeddings then
#define ${U}_FORMAT_OUTPUT ${U}_FORMAT_TOKEN_EMBD
$ end

/* One weight matrix, packed for its format's functions. */
typedef struct {
  const void *data;   /* packed bytes in the arena, ${align}-byte aligned */
  size_t size;        /* bytes: the format's _packed_size(shape) */
  size_t shape;       /* ${U}_SHAPE_* id for the format's gemv / gemm / row */
  float scale;        /* i2s and tl: the per-tensor weight scale (wscale); 1.0f for the others */
  const char *format; /* its bitgen format */
} ${P}_weight;

/* One layer.  Norms: f32 RMSNorm weights as in the file; NULL where the
 * architecture has none (sub-norms). */
typedef struct {
  ${P}_weight attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down;
  const float *attn_norm;     /* n_embd */
  const float *attn_sub_norm; /* n_embd, or NULL */
  const float *ffn_norm;      /* n_embd */
  const float *ffn_sub_norm;  /* n_ff, or NULL */
} ${P}_layer;

typedef struct {
  ${P}_layer layer[${spec.layers}];
  ${P}_weight token_embd;   /* n_vocab x n_embd: rows with the format's _row */
  ${P}_weight output;       /* n_vocab x n_embd; tied: equals token_embd (same data, not separately owned) */
  const float *output_norm; /* n_embd */
  int tied;                 /* ${U}_TIED_EMBEDDINGS */
  void *arena;              /* owns every pointer above */
  size_t arena_size;        /* bytes, whole 2 MiB pages */
  uint64_t file_bytes;      /* tensor bytes read from the file */
} ${P}_model;

typedef struct {
  bitgen_pool *pool;        /* packs in parallel on it; NULL: ${P}_pool_default() */
  /* optional: called on the calling thread with bytes packed so far and in
   * all; done increases, the last call has done == total */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  void *progress_ctx;
  char *error;              /* optional: a NUL-terminated message on failure */
  size_t error_size;
} ${P}_load_options;

/* Checks that the file is this model (architecture, hyper-parameters, every
 * tensor's name, shape and type, no other tensor; the first mismatch is
 * named) and packs every tensor.  Returns BITGEN_OK, or BITGEN_E_NULL,
 * _E_IO, _E_FORMAT (not readable GGUF), _E_MISMATCH, _E_VALUE (bytes the
 * format refuses), _E_NOMEM; on error *model is untouched and nothing stays
 * allocated.  options may be NULL. */
int ${P}_load(const char *path, const ${P}_load_options *options, ${P}_model *model);
/* The same from a buffer holding the file (only read during the call). */
int ${P}_load_memory(const void *data, size_t size, const ${P}_load_options *options, ${P}_model *model);
/* Frees the arena and zeroes *model (a zeroed model or NULL is fine). */
void ${P}_model_free(${P}_model *model);
