/* bitgen GGUF reader: the header and tensor table of a GGUF model file.
 *
 * Versions 2 and 3, little-endian.  A file is mapped read-only (or a caller's
 * buffer is borrowed); every count, length, offset and size is checked
 * against the file size with overflow-safe arithmetic before it is used, so
 * a malformed file gives an error and is never read past its end.  Tensor
 * data is not touched by bitgen_gguf_open: reading only the header of a
 * mapped file costs only the pages the header occupies.
 *
 * Errors: a status (BITGEN_GGUF_E_*) and a message naming the source, the
 * byte offset and the field, e.g.
 *   model.gguf: byte 0x1f3a: tensor 17 'blk.1.ffn_up.weight': data offset
 *   0x40000000 + size 0x2000 past end of file (0x3ffff000 bytes)
 * Format facts and where they were checked: docs/GGUF.md. */
#ifndef BITGEN_GGUF_H
#define BITGEN_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "bitgen_ns.h" /* package builds: bitgen_X -> <package>_rt_X */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ----------------------------------------------------------- */
/* OK, NULL and NOMEM have the values of bitgen_status (bitgen_rt.h). */
enum {
  BITGEN_GGUF_OK = 0,
  BITGEN_GGUF_E_NULL = -1,         /* a required pointer is NULL */
  BITGEN_GGUF_E_NOMEM = -8,        /* allocation failed */
  BITGEN_GGUF_E_IO = -20,          /* cannot open, stat or map the file */
  BITGEN_GGUF_E_FORMAT = -21,      /* malformed: truncated, bad magic, out-of-range count, length or offset, duplicate */
  BITGEN_GGUF_E_UNSUPPORTED = -22, /* well formed but not readable here: version, big-endian, tensor type */
  BITGEN_GGUF_E_NOTFOUND = -23,    /* no such key or tensor */
  BITGEN_GGUF_E_TYPE = -24,        /* the value has another type, or an index is out of range */
};
const char *bitgen_gguf_strerror(int status);

typedef struct {
  int status;         /* BITGEN_GGUF_E_*, 0 when fine */
  uint64_t offset;    /* byte offset of the offending field (UINT64_MAX: none) */
  char message[384];  /* "SOURCE: byte 0x..: FIELD: reason" */
} bitgen_gguf_error;

/* ---- limits (beyond the file size, which bounds everything else) -------- */
#define BITGEN_GGUF_MAX_DIMS 4          /* GGML_MAX_DIMS */
#define BITGEN_GGUF_MAX_NAME 64         /* tensor name bytes (spec) */
#define BITGEN_GGUF_MAX_KEY 65535       /* metadata key bytes (spec) */
#define BITGEN_GGUF_MAX_ARRAY_DEPTH 4   /* arrays nested at most 4 deep (as @huggingface/gguf) */

/* ---- metadata value types (gguf_metadata_value_type) -------------------- */
typedef enum {
  BITGEN_GGUF_UINT8 = 0, BITGEN_GGUF_INT8 = 1, BITGEN_GGUF_UINT16 = 2, BITGEN_GGUF_INT16 = 3,
  BITGEN_GGUF_UINT32 = 4, BITGEN_GGUF_INT32 = 5, BITGEN_GGUF_FLOAT32 = 6, BITGEN_GGUF_BOOL = 7,
  BITGEN_GGUF_STRING = 8, BITGEN_GGUF_ARRAY = 9, BITGEN_GGUF_UINT64 = 10, BITGEN_GGUF_INT64 = 11,
  BITGEN_GGUF_FLOAT64 = 12,
} bitgen_gguf_type;
/* "u8", "i8", ... "str", "arr", ...; NULL for an id that is no type. */
const char *bitgen_gguf_type_name(uint32_t type);

/* ---- tensor types (ggml_type ids) that bitgen maps to its formats -------- */
enum {
  BITGEN_GGML_F32 = 0, BITGEN_GGML_F16 = 1, BITGEN_GGML_Q4_0 = 2, BITGEN_GGML_Q8_0 = 8,
  BITGEN_GGML_Q6_K = 14, BITGEN_GGML_BF16 = 30, BITGEN_GGML_TQ1_0 = 34, BITGEN_GGML_TQ2_0 = 35,
  BITGEN_GGML_I2_S = 36, /* bitnet.cpp's fork of ggml; not in upstream ggml */
};
/* Name of a ggml type id ("Q6_K", "I2_S"), NULL when unknown.  Every upstream
 * type still valid in GGUF files is known (their sizes too), so a file with,
 * say, Q4_K tensors opens and the caller decides what it supports. */
const char *bitgen_ggml_type_name(uint32_t type);
/* Elements per block and bytes per block; BITGEN_GGUF_E_UNSUPPORTED when
 * unknown.  I2_S reports block 128, 32 bytes: its codes take elements/4 bytes,
 * and the tensor carries 32 more (the f32 scale, then zeros). */
int bitgen_ggml_type_block(uint32_t type, uint32_t *block, uint32_t *block_bytes);
/* Bytes of a tensor of `type` with `row` elements per row and n_elements in
 * all: BITGEN_GGUF_E_FORMAT if row is not a multiple of the block or the size
 * overflows 64 bits, BITGEN_GGUF_E_UNSUPPORTED for an unknown type. */
int bitgen_ggml_nbytes(uint32_t type, uint64_t row, uint64_t n_elements, uint64_t *bytes);

/* ---- opening ----------------------------------------------------------- */
typedef struct bitgen_gguf bitgen_gguf;

/* Maps `path` read-only and parses its header and tensor table.  On error
 * *out is NULL and err (optional) says why. */
int bitgen_gguf_open(const char *path, bitgen_gguf **out, bitgen_gguf_error *err);
/* The same over a caller's buffer, which must stay valid and unchanged until
 * bitgen_gguf_close.  `name` (optional) is used in messages. */
int bitgen_gguf_open_memory(const void *data, size_t size, const char *name, bitgen_gguf **out,
                            bitgen_gguf_error *err);
void bitgen_gguf_close(bitgen_gguf *g); /* NULL is fine */

uint32_t bitgen_gguf_version(const bitgen_gguf *g);
uint64_t bitgen_gguf_file_size(const bitgen_gguf *g);
const uint8_t *bitgen_gguf_file_data(const bitgen_gguf *g); /* the whole file */
uint64_t bitgen_gguf_alignment(const bitgen_gguf *g);   /* general.alignment or 32 */
uint64_t bitgen_gguf_data_offset(const bitgen_gguf *g); /* where tensor data starts */

/* ---- metadata ---------------------------------------------------------- */
/* A value.  Scalars: count 1, data points at its little-endian bytes.
 * Strings: count = bytes, data = the bytes (not NUL-terminated, may hold any
 * byte).  Arrays: elem_type and count; fixed-size elements lie at data one
 * after another; an array of strings or of arrays is read through the
 * accessors below.  Pointers into the file: unaligned, little-endian. */
typedef struct bitgen_gguf_value {
  uint32_t type;      /* bitgen_gguf_type */
  uint32_t elem_type; /* arrays: type of the elements */
  uint64_t count;
  uint64_t offset;    /* file offset of data */
  const uint8_t *data;
  const uint64_t *str_offsets;            /* array of strings: file offset of each string's bytes */
  const struct bitgen_gguf_value *items;  /* array of arrays: each element */
} bitgen_gguf_value;

typedef struct {
  const char *key;    /* NUL-terminated copy (keys hold no NUL byte) */
  size_t key_len;
  uint64_t offset;    /* file offset of the key-value pair */
  bitgen_gguf_value value;
} bitgen_gguf_kv;

size_t bitgen_gguf_kv_count(const bitgen_gguf *g);
const bitgen_gguf_kv *bitgen_gguf_kv_at(const bitgen_gguf *g, size_t i); /* file order; NULL past the end */
const bitgen_gguf_kv *bitgen_gguf_find_kv(const bitgen_gguf *g, const char *key); /* NULL when absent */

/* Typed getters by key: BITGEN_GGUF_E_NOTFOUND when absent, BITGEN_GGUF_E_TYPE
 * when the value has another type.  The exact ones want that type: */
int bitgen_gguf_get_u32(const bitgen_gguf *g, const char *key, uint32_t *v);
int bitgen_gguf_get_i32(const bitgen_gguf *g, const char *key, int32_t *v);
int bitgen_gguf_get_u64(const bitgen_gguf *g, const char *key, uint64_t *v);
int bitgen_gguf_get_f32(const bitgen_gguf *g, const char *key, float *v);
int bitgen_gguf_get_bool(const bitgen_gguf *g, const char *key, int *v);
int bitgen_gguf_get_str(const bitgen_gguf *g, const char *key, const char **s, size_t *len);
/* Any integer type whose value fits (the spec lets writers use u32 or u64 for
 * counts); any float type. */
int bitgen_gguf_get_uint(const bitgen_gguf *g, const char *key, uint64_t *v);
int bitgen_gguf_get_int(const bitgen_gguf *g, const char *key, int64_t *v);
int bitgen_gguf_get_float(const bitgen_gguf *g, const char *key, double *v);
/* An array whose elements have elem_type (BITGEN_GGUF_ARRAY: any nested). */
int bitgen_gguf_get_array(const bitgen_gguf *g, const char *key, uint32_t elem_type,
                          const bitgen_gguf_value **arr);

/* Element i of a value: of an array, or i = 0 of a scalar.  Integer and float
 * reads convert as get_int / get_uint / get_float do; BITGEN_GGUF_E_TYPE for
 * an index out of range or a type that does not convert. */
int bitgen_gguf_value_int(const bitgen_gguf_value *v, uint64_t i, int64_t *out);
int bitgen_gguf_value_uint(const bitgen_gguf_value *v, uint64_t i, uint64_t *out);
int bitgen_gguf_value_float(const bitgen_gguf_value *v, uint64_t i, double *out);
int bitgen_gguf_value_bool(const bitgen_gguf_value *v, uint64_t i, int *out);
int bitgen_gguf_value_str(const bitgen_gguf_value *v, uint64_t i, const char **s, size_t *len);
const bitgen_gguf_value *bitgen_gguf_value_item(const bitgen_gguf_value *v, uint64_t i); /* arrays of arrays */

/* ---- tensors ------------------------------------------------------------ */
typedef struct {
  const char *name;     /* NUL-terminated copy (names hold no NUL byte) */
  size_t name_len;
  uint32_t type;        /* ggml type id, known to bitgen_ggml_type_name */
  uint32_t n_dims;      /* 0..4 */
  uint64_t dims[BITGEN_GGUF_MAX_DIMS]; /* dims[0] innermost (a row: K of an M x K matrix); unused = 1 */
  uint64_t n_elements;
  uint64_t offset;      /* as stored: relative to the data section */
  uint64_t file_offset; /* absolute */
  uint64_t size;        /* bytes (bitgen_ggml_nbytes) */
  const uint8_t *data;  /* file data + file_offset */
  uint64_t info_offset; /* file offset of its tensor info, for messages */
} bitgen_gguf_tensor;

size_t bitgen_gguf_tensor_count(const bitgen_gguf *g);
const bitgen_gguf_tensor *bitgen_gguf_tensor_at(const bitgen_gguf *g, size_t i); /* file order */
const bitgen_gguf_tensor *bitgen_gguf_find_tensor(const bitgen_gguf *g, const char *name);
/* The per-tensor scale of an I2_S tensor: the f32 right after its
 * n_elements/4 code bytes.  BITGEN_GGUF_E_TYPE for another type. */
int bitgen_gguf_i2s_scale(const bitgen_gguf_tensor *t, float *scale);

#ifdef __cplusplus
}
#endif
#endif
