/* A GGUF writer for tests and demos, written independently of the reader
 * (runtime/gguf.c): its own type table, its own encoders of random but valid
 * tensor data (ternary codes only in {0,1,2}, finite f16/bf16 scales), and
 * the positions of every field it wrote, so tests can corrupt one field
 * exactly.  Little-endian output, GGUF versions 2 and 3. */
#ifndef GGUF_WRITER_H
#define GGUF_WRITER_H

#include <stdint.h>
#include <stdio.h>

/* metadata value types and tensor type ids, as the format defines them */
enum { GW_U8, GW_I8, GW_U16, GW_I16, GW_U32, GW_I32, GW_F32, GW_BOOL, GW_STR, GW_ARR, GW_U64, GW_I64, GW_F64 };
enum { GW_T_F32 = 0, GW_T_F16 = 1, GW_T_Q4_0 = 2, GW_T_Q8_0 = 8, GW_T_Q6_K = 14, GW_T_BF16 = 30,
       GW_T_TQ1_0 = 34, GW_T_TQ2_0 = 35, GW_T_I2_S = 36 };

typedef struct {
  uint8_t *p;
  size_t n, cap;
} gw_buf;

/* Where a key-value pair's fields landed in the file. */
typedef struct {
  uint64_t key_len_at, type_at, value_at;
} gw_kv_pos;

typedef struct {
  char name[80];
  uint32_t type, n_dims;
  uint64_t dims[4];
  uint64_t size;    /* data bytes */
  uint64_t offset;  /* relative to the data section */
  uint64_t seed;    /* random content from this seed (bytes == NULL) */
  const uint8_t *bytes; /* or these bytes */
  /* positions in the file (after gw_layout) */
  uint64_t info_at, n_dims_at, type_at, offset_at, data_at;
} gw_tensor;

typedef struct {
  uint32_t version, alignment;
  gw_buf kv;           /* encoded key-value pairs */
  uint64_t n_kv;
  gw_kv_pos *kvpos;    /* relative to the kv section until gw_layout, then absolute */
  size_t kvpos_cap;
  int laid_out;
  gw_tensor *t;
  size_t nt, tcap;
  uint64_t data_at;    /* start of the data section (after gw_layout) */
  uint64_t header_bytes; /* header + kv + infos + padding */
} gguf_w;

void gw_init(gguf_w *w, uint32_t version);
void gw_free(gguf_w *w);

/* key-value pairs; a value after gw_key is written with the gw_put_* calls */
void gw_key(gguf_w *w, const char *key, uint32_t type);
void gw_put(gguf_w *w, const void *bytes, size_t n);
void gw_put_u8(gguf_w *w, uint8_t v);
void gw_put_u32(gguf_w *w, uint32_t v);
void gw_put_u64(gguf_w *w, uint64_t v);
void gw_put_str(gguf_w *w, const char *s, size_t n);
void gw_put_arr(gguf_w *w, uint32_t elem_type, uint64_t count); /* then the elements */
void gw_kv_u32(gguf_w *w, const char *key, uint32_t v);
void gw_kv_i32(gguf_w *w, const char *key, int32_t v);
void gw_kv_f32(gguf_w *w, const char *key, float v);
void gw_kv_str(gguf_w *w, const char *key, const char *s);
void gw_kv_bool(gguf_w *w, const char *key, int v);
/* writes general.alignment (u32) and uses it */
void gw_alignment(gguf_w *w, uint32_t a);

/* Bytes of a tensor (type, K elements per row, n elements); 0 if unknown. */
uint64_t gw_type_size(uint32_t type, uint64_t row, uint64_t n);
const char *gw_type_name(uint32_t type);
/* A tensor with random valid content (seed) or the given bytes (size bytes). */
gw_tensor *gw_tensor_add(gguf_w *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *dims,
                         uint64_t seed, const uint8_t *bytes);

/* Lays the file out (positions, offsets), then writes it to f or into out
 * (malloc'ed).  Returns 0, or -1 on a write error. */
void gw_layout(gguf_w *w);
int gw_write(gguf_w *w, FILE *f);
int gw_write_mem(gguf_w *w, uint8_t **out, size_t *size);

/* Random valid data for a tensor: bytes [0, size) of tensor t's content. */
void gw_fill(const gw_tensor *t, uint8_t *out);

/* A model in bitnet.cpp's / llama.cpp's layout with random weights. */
typedef struct {
  const char *arch;       /* "bitnet-b1.58" (bitnet.cpp, 2B4T) or "llama" */
  const char *name;
  uint64_t n_embd, n_ff, n_layer, n_head, n_head_kv, vocab, ctx;
  uint32_t wtype;         /* ternary/quantized matrices */
  uint32_t etype;         /* token_embd (and output, when untied) */
  int tied;               /* no output.weight: logits use token_embd */
  float rope_theta, rms_eps;
  uint64_t seed;
} gw_model;

/* The official BitNet b1.58 2B4T layout (ggml-model-i2_s.gguf). */
gw_model gw_model_2b4t(void);
/* Writes the model's metadata and tensors into w. */
void gw_add_model(gguf_w *w, const gw_model *m);
/* A file with every metadata value type (scalars, strings, arrays of each,
 * nested arrays, empty ones) and one tensor of each supported type. */
void gw_add_all_types(gguf_w *w, uint64_t seed);

#endif
