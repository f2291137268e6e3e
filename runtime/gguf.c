/* GGUF reader (bitgen_gguf.h).  Two passes over the header: the first checks
 * every field and counts what the second needs (names, value nodes, string
 * offsets), so the second fills exactly-sized arrays; then the tensor data
 * offsets are checked against the alignment, the file size and each other.
 * All multi-byte fields are decoded byte by byte (little-endian on any host,
 * no unaligned loads). */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "bitgen_gguf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define NONE UINT64_MAX

struct bitgen_gguf {
  const uint8_t *base;
  uint64_t size;
  void *map;          /* mapping (or malloc'ed copy) owned by the reader, else NULL */
  size_t map_size;
  int map_is_malloc;
  uint32_t version;
  uint64_t alignment, data_offset;
  size_t n_kv, n_tensors;
  bitgen_gguf_kv *kv;
  bitgen_gguf_tensor *tensors;
  char *names;                 /* NUL-terminated keys and tensor names */
  bitgen_gguf_value *nodes;    /* elements of arrays of arrays */
  uint64_t *str_offsets;       /* elements of arrays of strings */
  size_t *kv_hash, *tensor_hash; /* open addressing: index + 1, 0 = empty */
  size_t kv_hash_cap, tensor_hash_cap;
};

/* ---- type tables -------------------------------------------------------- */
static const char *const value_type_names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                               "bool", "str", "arr", "u64", "i64", "f64"};
static const uint8_t value_type_size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *bitgen_gguf_type_name(uint32_t type) {
  return type < sizeof value_type_names / sizeof *value_type_names ? value_type_names[type] : NULL;
}

/* ggml types still valid in GGUF files (gguf-py GGML_QUANT_SIZES, ggml.h),
 * plus bitnet.cpp's I2_S; see docs/GGUF.md. */
typedef struct {
  const char *name;
  uint32_t block, bytes;
} ggml_type_row;
static const ggml_type_row ggml_types[] = {
  [0] = {"F32", 1, 4},        [1] = {"F16", 1, 2},        [2] = {"Q4_0", 32, 18},
  [3] = {"Q4_1", 32, 20},     [6] = {"Q5_0", 32, 22},     [7] = {"Q5_1", 32, 24},
  [8] = {"Q8_0", 32, 34},     [9] = {"Q8_1", 32, 40},     [10] = {"Q2_K", 256, 84},
  [11] = {"Q3_K", 256, 110},  [12] = {"Q4_K", 256, 144},  [13] = {"Q5_K", 256, 176},
  [14] = {"Q6_K", 256, 210},  [15] = {"Q8_K", 256, 292},  [16] = {"IQ2_XXS", 256, 66},
  [17] = {"IQ2_XS", 256, 74}, [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},
  [20] = {"IQ4_NL", 32, 18},  [21] = {"IQ3_S", 256, 110}, [22] = {"IQ2_S", 256, 82},
  [23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},       [25] = {"I16", 1, 2},
  [26] = {"I32", 1, 4},       [27] = {"I64", 1, 8},       [28] = {"F64", 1, 8},
  [29] = {"IQ1_M", 256, 56},  [30] = {"BF16", 1, 2},      [34] = {"TQ1_0", 256, 54},
  [35] = {"TQ2_0", 256, 66},  [36] = {"I2_S", 128, 32},
};
#define N_GGML_TYPES (sizeof ggml_types / sizeof *ggml_types)

const char *bitgen_ggml_type_name(uint32_t type) {
  return type < N_GGML_TYPES ? ggml_types[type].name : NULL;
}

int bitgen_ggml_type_block(uint32_t type, uint32_t *block, uint32_t *block_bytes) {
  if (!bitgen_ggml_type_name(type)) return BITGEN_GGUF_E_UNSUPPORTED;
  if (block) *block = ggml_types[type].block;
  if (block_bytes) *block_bytes = ggml_types[type].bytes;
  return BITGEN_GGUF_OK;
}

int bitgen_ggml_nbytes(uint32_t type, uint64_t row, uint64_t n_elements, uint64_t *bytes) {
  if (!bitgen_ggml_type_name(type)) return BITGEN_GGUF_E_UNSUPPORTED;
  const ggml_type_row *t = &ggml_types[type];
  if (row % t->block != 0 || (row == 0 && n_elements != 0) || (row != 0 && n_elements % row != 0))
    return BITGEN_GGUF_E_FORMAT;
  uint64_t n;
  if (type == BITGEN_GGML_I2_S) {
    /* bitnet.cpp: ggml_nbytes = n_elements / 4 + 32 (codes, then the scale) */
    n = n_elements / 4 + 32;
  } else {
    uint64_t blocks = n_elements / t->block;
    if (blocks > UINT64_MAX / t->bytes) return BITGEN_GGUF_E_FORMAT;
    n = blocks * t->bytes;
  }
  if (bytes) *bytes = n;
  return BITGEN_GGUF_OK;
}

const char *bitgen_gguf_strerror(int status) {
  switch (status) {
  case BITGEN_GGUF_OK: return "ok";
  case BITGEN_GGUF_E_NULL: return "required pointer is NULL";
  case BITGEN_GGUF_E_NOMEM: return "out of memory";
  case BITGEN_GGUF_E_IO: return "cannot read the file";
  case BITGEN_GGUF_E_FORMAT: return "malformed GGUF file";
  case BITGEN_GGUF_E_UNSUPPORTED: return "unsupported GGUF file";
  case BITGEN_GGUF_E_NOTFOUND: return "no such key or tensor";
  case BITGEN_GGUF_E_TYPE: return "value has another type";
  default: return "unknown status";
  }
}

/* ---- little-endian decoding --------------------------------------------- */
static uint64_t le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* ---- parser state ------------------------------------------------------- */
typedef struct {
  bitgen_gguf *g;
  const char *src;       /* name for messages */
  bitgen_gguf_error *err;
  int fill;              /* second pass: write into g's arrays */
  uint64_t pos;          /* next byte to read */
  /* counts (pass 1) / cursors (pass 2) */
  size_t n_names, n_nodes, n_strs;
  uint64_t alignment_kv; /* index + 1 of general.alignment, 0 = none */
} parser;

static int fail(parser *p, int status, uint64_t off, const char *fmt, ...) {
  bitgen_gguf_error *e = p->err;
  if (!e) return status;
  e->status = status;
  e->offset = off;
  int n;
  if (off == NONE)
    n = snprintf(e->message, sizeof e->message, "%s: ", p->src);
  else
    n = snprintf(e->message, sizeof e->message, "%s: byte 0x%llx: ", p->src, (unsigned long long)off);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof e->message) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message + n, sizeof e->message - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return status;
}

/* Context of the field being read, for messages: "key 3 'general.name'" or
 * "tensor 17 'blk.1.ffn_up.weight'". */
typedef struct {
  char text[160];
} where;

static void where_set(where *w, const char *what, size_t i, const uint8_t *name, uint64_t len) {
  /* printable bytes only; a name that is cut short ends in "..." */
  char buf[72];
  size_t n = 0;
  for (uint64_t k = 0; k < len && n < 64; k++) buf[n++] = (name[k] >= 0x20 && name[k] < 0x7f) ? (char)name[k] : '?';
  buf[n] = 0;
  if (name)
    snprintf(w->text, sizeof w->text, "%s %zu '%s%s'", what, i, buf, len > 64 ? "..." : "");
  else
    snprintf(w->text, sizeof w->text, "%s %zu", what, i);
}

static uint64_t remaining(const parser *p) { return p->g->size - p->pos; }

/* Reads n (<= 8) bytes of field `field` at p->pos. */
static int read_le(parser *p, unsigned n, uint64_t *v, const where *w, const char *field) {
  if (remaining(p) < n)
    return fail(p, BITGEN_GGUF_E_FORMAT, p->pos, "%s%s%s: truncated: needs %u bytes, file ends at 0x%llx",
                w ? w->text : "", w ? ": " : "", field, n, (unsigned long long)p->g->size);
  *v = le(p->g->base + p->pos, n);
  p->pos += n;
  return BITGEN_GGUF_OK;
}

/* A GGUF string: u64 length, then the bytes.  *s points into the file. */
static int read_string(parser *p, const uint8_t **s, uint64_t *len, const where *w, const char *field) {
  uint64_t at = p->pos;
  int st = read_le(p, 8, len, w, field);
  if (st) return st;
  if (*len > remaining(p))
    return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s%s%s: string length %llu past end of file (%llu bytes left)",
                w ? w->text : "", w ? ": " : "", field, (unsigned long long)*len,
                (unsigned long long)remaining(p));
  *s = p->g->base + p->pos;
  p->pos += *len;
  return BITGEN_GGUF_OK;
}

/* Smallest encoding of one element of `type`: bounds array counts before any
 * loop or allocation depends on them. */
static uint64_t min_size(uint32_t type) {
  if (type == BITGEN_GGUF_STRING) return 8;
  if (type == BITGEN_GGUF_ARRAY) return 12;
  return value_type_size[type];
}

static int valid_type(uint32_t t) { return t <= BITGEN_GGUF_FLOAT64; }

/* Parses one value of `type` at p->pos into *out (pass 2). */
static int parse_value(parser *p, uint32_t type, int depth, bitgen_gguf_value *out, const where *w) {
  bitgen_gguf *g = p->g;
  uint64_t at = p->pos;
  bitgen_gguf_value v = {0};
  v.type = type;
  if (type == BITGEN_GGUF_STRING) {
    const uint8_t *s = NULL;
    int st = read_string(p, &s, &v.count, w, "string value");
    if (st) return st;
    v.offset = (uint64_t)(s - g->base);
  } else if (type == BITGEN_GGUF_ARRAY) {
    if (depth >= BITGEN_GGUF_MAX_ARRAY_DEPTH)
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: arrays nested more than %d deep", w->text,
                  BITGEN_GGUF_MAX_ARRAY_DEPTH);
    uint64_t et = 0, n = 0;
    int st = read_le(p, 4, &et, w, "array element type");
    if (st) return st;
    if (!valid_type((uint32_t)et))
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: array element type %llu is no GGUF value type (0..12)",
                  w->text, (unsigned long long)et);
    uint64_t at_n = p->pos;
    st = read_le(p, 8, &n, w, "array length");
    if (st) return st;
    if (n > remaining(p) / min_size((uint32_t)et))
      return fail(p, BITGEN_GGUF_E_FORMAT, at_n,
                  "%s: array of %llu %s needs at least %llu bytes, %llu left in the file", w->text,
                  (unsigned long long)n, value_type_names[et],
                  (unsigned long long)(n > UINT64_MAX / min_size((uint32_t)et) ? UINT64_MAX : n * min_size((uint32_t)et)),
                  (unsigned long long)remaining(p));
    v.elem_type = (uint32_t)et;
    v.count = n;
    v.offset = p->pos;
    if (et == BITGEN_GGUF_STRING) {
      uint64_t *offs = p->fill ? g->str_offsets + p->n_strs : NULL;
      if (p->fill) v.str_offsets = offs;
      p->n_strs += (size_t)n;
      for (uint64_t i = 0; i < n; i++) {
        const uint8_t *s = NULL;
        uint64_t len = 0;
        st = read_string(p, &s, &len, w, "array string");
        if (st) return st;
        if (offs) offs[i] = (uint64_t)(s - g->base);
      }
    } else if (et == BITGEN_GGUF_ARRAY) {
      bitgen_gguf_value *items = p->fill ? g->nodes + p->n_nodes : NULL;
      if (p->fill) v.items = items;
      p->n_nodes += (size_t)n;
      for (uint64_t i = 0; i < n; i++) {
        st = parse_value(p, BITGEN_GGUF_ARRAY, depth + 1, items ? &items[i] : NULL, w);
        if (st) return st;
      }
    } else {
      uint64_t bytes = n * value_type_size[et]; /* fits: n <= remaining / size */
      if (et == BITGEN_GGUF_BOOL)
        for (uint64_t i = 0; i < n; i++)
          if (g->base[p->pos + i] > 1)
            return fail(p, BITGEN_GGUF_E_FORMAT, p->pos + i, "%s: bool element %llu is %u (must be 0 or 1)",
                        w->text, (unsigned long long)i, g->base[p->pos + i]);
      p->pos += bytes;
    }
  } else {
    unsigned sz = value_type_size[type];
    if (remaining(p) < sz)
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: %s value truncated: needs %u bytes, file ends at 0x%llx", w->text,
                  value_type_names[type], sz, (unsigned long long)g->size);
    if (type == BITGEN_GGUF_BOOL && g->base[at] > 1)
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: bool value is %u (must be 0 or 1)", w->text, g->base[at]);
    v.count = 1;
    v.offset = at;
    p->pos += sz;
  }
  v.data = g->base + v.offset;
  if (out) *out = v;
  return BITGEN_GGUF_OK;
}

/* FNV-1a over a name; the tables hold index + 1. */
static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

static size_t hash_cap(size_t n) {
  size_t c = 16;
  while (c < 2 * n) c *= 2;
  return c;
}

/* Copies a name (key or tensor name) into the names arena (pass 2). */
static const char *keep_name(parser *p, const uint8_t *s, uint64_t len) {
  char *d = NULL;
  if (p->fill) {
    d = p->g->names + p->n_names;
    memcpy(d, s, (size_t)len);
    d[len] = 0;
  }
  p->n_names += (size_t)len + 1;
  return d;
}

static int parse_header(parser *p, uint64_t *n_tensors, uint64_t *n_kv) {
  bitgen_gguf *g = p->g;
  uint64_t v = 0;
  if (g->size < 4)
    return fail(p, BITGEN_GGUF_E_FORMAT, 0, "magic: truncated: file has %llu bytes, a GGUF header needs 24",
                (unsigned long long)g->size);
  if (memcmp(g->base, "GGUF", 4) != 0) {
    char shown[20];
    snprintf(shown, sizeof shown, "%02x %02x %02x %02x", g->base[0], g->base[1], g->base[2], g->base[3]);
    return fail(p, BITGEN_GGUF_E_FORMAT, 0, "magic: bytes %s are not 'GGUF' (47 47 55 46): not a GGUF file", shown);
  }
  p->pos = 4;
  int st = read_le(p, 4, &v, NULL, "version");
  if (st) return st;
  /* A big-endian file (gguf-py --bigendian) keeps the 'GGUF' bytes but
   * stores every number big-endian: its version 2 or 3 reads here as
   * 0x02000000 / 0x03000000, i.e. with zero low 16 bits (upstream's test). */
  if (v != 0 && (v & 0xffff) == 0) {
    uint32_t be = (uint32_t)(((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | ((v << 24) & 0xff000000u));
    return fail(p, BITGEN_GGUF_E_UNSUPPORTED, 4,
                "version: reads 0x%08llx little-endian, %u big-endian: a big-endian GGUF file; only little-endian "
                "files are supported",
                (unsigned long long)v, be);
  }
  if (v != 2 && v != 3)
    return fail(p, BITGEN_GGUF_E_UNSUPPORTED, 4, "version: GGUF version %llu is not supported (only 2 and 3)%s",
                (unsigned long long)v, v == 1 ? ": version 1 has 32-bit counts and lengths" : "");
  g->version = (uint32_t)v;
  uint64_t at = p->pos;
  if ((st = read_le(p, 8, n_tensors, NULL, "tensor count"))) return st;
  uint64_t at_kv = p->pos;
  if ((st = read_le(p, 8, n_kv, NULL, "metadata key-value count"))) return st;
  /* a key-value pair takes >= 8 + 1 + 4 + 1 bytes, a tensor info >= 8 + 1 + 4 + 4 + 8 */
  if (*n_kv > remaining(p) / 14)
    return fail(p, BITGEN_GGUF_E_FORMAT, at_kv,
                "metadata key-value count %llu: needs at least 14 bytes each, %llu bytes left in the file",
                (unsigned long long)*n_kv, (unsigned long long)remaining(p));
  if (*n_tensors > remaining(p) / 25)
    return fail(p, BITGEN_GGUF_E_FORMAT, at,
                "tensor count %llu: needs at least 25 bytes each, %llu bytes left in the file",
                (unsigned long long)*n_tensors, (unsigned long long)remaining(p));
  return BITGEN_GGUF_OK;
}

static int parse_kvs(parser *p, uint64_t n_kv) {
  bitgen_gguf *g = p->g;
  for (uint64_t i = 0; i < n_kv; i++) {
    where w;
    uint64_t at = p->pos, len = 0, type = 0;
    const uint8_t *key = NULL;
    where_set(&w, "key", (size_t)i, NULL, 0);
    int st = read_string(p, &key, &len, &w, "key");
    if (st) return st;
    where_set(&w, "key", (size_t)i, key, len);
    if (len == 0) return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: empty key", w.text);
    if (len > BITGEN_GGUF_MAX_KEY)
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: key of %llu bytes (at most %d)", w.text, (unsigned long long)len,
                  BITGEN_GGUF_MAX_KEY);
    if (memchr(key, 0, (size_t)len))
      return fail(p, BITGEN_GGUF_E_FORMAT, at + 8, "%s: key holds a NUL byte", w.text);
    uint64_t at_t = p->pos;
    if ((st = read_le(p, 4, &type, &w, "value type"))) return st;
    if (!valid_type((uint32_t)type) || type > 0xffffffffu)
      return fail(p, BITGEN_GGUF_E_FORMAT, at_t, "%s: value type %llu is no GGUF value type (0..12)", w.text,
                  (unsigned long long)type);
    const char *name = keep_name(p, key, len);
    bitgen_gguf_kv *kv = p->fill ? &g->kv[i] : NULL;
    if ((st = parse_value(p, (uint32_t)type, 0, kv ? &kv->value : NULL, &w))) return st;
    if (len == 17 && memcmp(key, "general.alignment", 17) == 0) p->alignment_kv = i + 1;
    if (kv) {
      kv->key = name;
      kv->key_len = (size_t)len;
      kv->offset = at;
      /* duplicate keys: the table looks names up through g->kv */
      size_t m = g->kv_hash_cap - 1, k = (size_t)hash(name, (size_t)len) & m;
      while (g->kv_hash[k]) {
        size_t j = g->kv_hash[k] - 1;
        if (g->kv[j].key_len == len && memcmp(g->kv[j].key, name, (size_t)len) == 0)
          return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: duplicate key (also key %zu at byte 0x%llx)", w.text, j,
                      (unsigned long long)g->kv[j].offset);
        k = (k + 1) & m;
      }
      g->kv_hash[k] = (size_t)i + 1;
    }
  }
  return BITGEN_GGUF_OK;
}

static int parse_tensor_infos(parser *p, uint64_t n_tensors) {
  bitgen_gguf *g = p->g;
  for (uint64_t i = 0; i < n_tensors; i++) {
    where w;
    uint64_t at = p->pos, len = 0, nd = 0, type = 0, off = 0;
    const uint8_t *name = NULL;
    where_set(&w, "tensor", (size_t)i, NULL, 0);
    int st = read_string(p, &name, &len, &w, "name");
    if (st) return st;
    where_set(&w, "tensor", (size_t)i, name, len);
    if (len == 0) return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: empty tensor name", w.text);
    if (len > BITGEN_GGUF_MAX_NAME)
      return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: name of %llu bytes (at most %d)", w.text, (unsigned long long)len,
                  BITGEN_GGUF_MAX_NAME);
    if (memchr(name, 0, (size_t)len))
      return fail(p, BITGEN_GGUF_E_FORMAT, at + 8, "%s: name holds a NUL byte", w.text);
    uint64_t at_nd = p->pos;
    if ((st = read_le(p, 4, &nd, &w, "n_dims"))) return st;
    if (nd > BITGEN_GGUF_MAX_DIMS)
      return fail(p, BITGEN_GGUF_E_FORMAT, at_nd, "%s: n_dims %llu (at most %d)", w.text, (unsigned long long)nd,
                  BITGEN_GGUF_MAX_DIMS);
    uint64_t dims[BITGEN_GGUF_MAX_DIMS] = {1, 1, 1, 1}, n = 1;
    int zero = 0;
    for (unsigned d = 0; d < nd; d++) {
      uint64_t at_d = p->pos;
      char field[16];
      snprintf(field, sizeof field, "dims[%u]", d);
      if ((st = read_le(p, 8, &dims[d], &w, field))) return st;
      if (dims[d] > (uint64_t)INT64_MAX)
        return fail(p, BITGEN_GGUF_E_FORMAT, at_d, "%s: %s = %llu is negative as int64", w.text, field,
                    (unsigned long long)dims[d]);
      if (dims[d] == 0) zero = 1;
      else if (!zero && n > (uint64_t)INT64_MAX / dims[d])
        return fail(p, BITGEN_GGUF_E_FORMAT, at_d, "%s: element count overflows int64 at %s = %llu", w.text, field,
                    (unsigned long long)dims[d]);
      else n *= dims[d];
    }
    if (zero) n = 0;
    uint64_t at_t = p->pos;
    if ((st = read_le(p, 4, &type, &w, "type"))) return st;
    const char *tname = bitgen_ggml_type_name((uint32_t)type);
    if (!tname)
      return fail(p, BITGEN_GGUF_E_UNSUPPORTED, at_t, "%s: unknown tensor type id %llu%s", w.text,
                  (unsigned long long)type,
                  type == 4 || type == 5 || (type >= 31 && type <= 33) ? " (removed from ggml)" : "");
    uint64_t size;
    st = bitgen_ggml_nbytes((uint32_t)type, dims[0], n, &size);
    if (st)
      return fail(p, BITGEN_GGUF_E_FORMAT, at_nd, "%s: %s row of %llu elements is not a multiple of its block of %u",
                  w.text, tname, (unsigned long long)dims[0], ggml_types[type].block);
    if ((st = read_le(p, 8, &off, &w, "data offset"))) return st;
    const char *kept = keep_name(p, name, len);
    if (p->fill) {
      bitgen_gguf_tensor *t = &g->tensors[i];
      t->name = kept;
      t->name_len = (size_t)len;
      t->type = (uint32_t)type;
      t->n_dims = (uint32_t)nd;
      memcpy(t->dims, dims, sizeof dims);
      t->n_elements = n;
      t->offset = off;
      t->size = size;
      t->info_offset = at;
      size_t m = g->tensor_hash_cap - 1, k = (size_t)hash(kept, (size_t)len) & m;
      while (g->tensor_hash[k]) {
        size_t j = g->tensor_hash[k] - 1;
        if (g->tensors[j].name_len == len && memcmp(g->tensors[j].name, kept, (size_t)len) == 0)
          return fail(p, BITGEN_GGUF_E_FORMAT, at, "%s: duplicate tensor name (also tensor %zu at byte 0x%llx)",
                      w.text, j, (unsigned long long)g->tensors[j].info_offset);
        k = (k + 1) & m;
      }
      g->tensor_hash[k] = (size_t)i + 1;
    }
  }
  return BITGEN_GGUF_OK;
}

/* Offsets of the tensor data: aligned, inside the file, not overlapping. */
typedef struct {
  uint64_t offset;
  size_t index;
} by_offset;
static int cmp_by_offset(const void *a, const void *b) {
  const by_offset *x = a, *y = b;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int check_data(parser *p) {
  bitgen_gguf *g = p->g;
  /* general.alignment: u32, a power of two (upstream's rule; the spec also
   * says a multiple of 8, which upstream does not enforce) */
  g->alignment = 32;
  if (p->alignment_kv) {
    const bitgen_gguf_kv *kv = &g->kv[p->alignment_kv - 1];
    if (kv->value.type != BITGEN_GGUF_UINT32)
      return fail(p, BITGEN_GGUF_E_FORMAT, kv->offset, "key 'general.alignment': type %s, must be u32",
                  value_type_names[kv->value.type]);
    uint64_t a = le(kv->value.data, 4);
    if (a == 0 || (a & (a - 1)) != 0)
      return fail(p, BITGEN_GGUF_E_FORMAT, kv->value.offset, "key 'general.alignment': %llu is not a power of two",
                  (unsigned long long)a);
    g->alignment = a;
  }
  /* data section: after the tensor infos, padded to the alignment */
  uint64_t pad = (g->alignment - p->pos % g->alignment) % g->alignment;
  g->data_offset = p->pos + pad; /* p->pos <= size < 2^64 - 2^32 in practice; checked below */
  if (g->data_offset < p->pos) g->data_offset = UINT64_MAX;
  if (g->n_tensors == 0) return BITGEN_GGUF_OK;
  if (g->data_offset > g->size)
    return fail(p, BITGEN_GGUF_E_FORMAT, p->pos, "tensor data: section would start at 0x%llx, past end of file (0x%llx)",
                (unsigned long long)g->data_offset, (unsigned long long)g->size);
  for (size_t i = 0; i < g->n_tensors; i++) {
    bitgen_gguf_tensor *t = &g->tensors[i];
    uint64_t field = t->info_offset + 8 + t->name_len + 4 + 8 * (uint64_t)t->n_dims + 4;
    if (t->offset % g->alignment != 0)
      return fail(p, BITGEN_GGUF_E_FORMAT, field, "tensor %zu '%s': data offset 0x%llx is not a multiple of the alignment %llu",
                  i, t->name, (unsigned long long)t->offset, (unsigned long long)g->alignment);
    uint64_t room = g->size - g->data_offset;
    if (t->offset > room || t->size > room - t->offset)
      return fail(p, BITGEN_GGUF_E_FORMAT, field,
                  "tensor %zu '%s': data offset 0x%llx + size 0x%llx past end of file (data section holds 0x%llx bytes)",
                  i, t->name, (unsigned long long)t->offset, (unsigned long long)t->size, (unsigned long long)room);
    t->file_offset = g->data_offset + t->offset;
    t->data = g->base + t->file_offset;
  }
  by_offset *order = malloc(g->n_tensors * sizeof *order);
  if (!order) return fail(p, BITGEN_GGUF_E_NOMEM, NONE, "out of memory sorting %zu tensors", g->n_tensors);
  for (size_t i = 0; i < g->n_tensors; i++) order[i] = (by_offset){g->tensors[i].offset, i};
  qsort(order, g->n_tensors, sizeof *order, cmp_by_offset);
  int st = BITGEN_GGUF_OK;
  for (size_t k = 1; k < g->n_tensors && !st; k++) {
    const size_t ia = order[k - 1].index, ib = order[k].index;
    const bitgen_gguf_tensor *a = &g->tensors[ia], *b = &g->tensors[ib];
    if (a->size > 0 && b->size > 0 && b->offset - a->offset < a->size)
      st = fail(p, BITGEN_GGUF_E_FORMAT, b->info_offset, "tensor %zu '%s': data [0x%llx, +0x%llx) overlaps tensor %zu '%s'",
                ib, b->name, (unsigned long long)b->offset, (unsigned long long)b->size, ia, a->name);
  }
  free(order);
  return st;
}

static int parse_all(parser *p, uint64_t *n_tensors, uint64_t *n_kv) {
  p->pos = 0;
  p->n_names = p->n_nodes = p->n_strs = 0;
  p->alignment_kv = 0;
  int st = parse_header(p, n_tensors, n_kv);
  if (!st) st = parse_kvs(p, *n_kv);
  if (!st) st = parse_tensor_infos(p, *n_tensors);
  return st;
}

static void release(bitgen_gguf *g) {
  free(g->kv);
  free(g->tensors);
  free(g->names);
  free(g->nodes);
  free(g->str_offsets);
  free(g->kv_hash);
  free(g->tensor_hash);
  if (g->map) {
#if !defined(_WIN32)
    if (!g->map_is_malloc) munmap(g->map, g->map_size);
    else
#endif
      free(g->map);
  }
  free(g);
}

void bitgen_gguf_close(bitgen_gguf *g) {
  if (g) release(g);
}

static int parse(bitgen_gguf *g, const char *src, bitgen_gguf_error *err) {
  parser p = {0};
  p.g = g;
  p.src = src ? src : "(memory)";
  p.err = err;
  uint64_t n_tensors, n_kv;
  int st = parse_all(&p, &n_tensors, &n_kv);
  if (st) return st;
  /* every count is bounded by the file size, so these products fit */
  g->n_kv = (size_t)n_kv;
  g->n_tensors = (size_t)n_tensors;
  g->kv_hash_cap = hash_cap(g->n_kv);
  g->tensor_hash_cap = hash_cap(g->n_tensors);
  g->kv = calloc(g->n_kv + 1, sizeof *g->kv);
  g->tensors = calloc(g->n_tensors + 1, sizeof *g->tensors);
  g->names = malloc(p.n_names + 1);
  g->nodes = calloc(p.n_nodes + 1, sizeof *g->nodes);
  g->str_offsets = malloc((p.n_strs + 1) * sizeof *g->str_offsets);
  g->kv_hash = calloc(g->kv_hash_cap, sizeof *g->kv_hash);
  g->tensor_hash = calloc(g->tensor_hash_cap, sizeof *g->tensor_hash);
  if (!g->kv || !g->tensors || !g->names || !g->nodes || !g->str_offsets || !g->kv_hash || !g->tensor_hash)
    return fail(&p, BITGEN_GGUF_E_NOMEM, NONE, "out of memory for %zu keys, %zu tensors", g->n_kv, g->n_tensors);
  p.fill = 1;
  if ((st = parse_all(&p, &n_tensors, &n_kv))) return st;
  return check_data(&p);
}

static int open_common(bitgen_gguf *g, const char *src, bitgen_gguf **out, bitgen_gguf_error *err) {
  int st = parse(g, src, err);
  if (st) {
    release(g);
    return st;
  }
  *out = g;
  return BITGEN_GGUF_OK;
}

static void clear_err(bitgen_gguf_error *err) {
  if (err) {
    err->status = 0;
    err->offset = NONE;
    err->message[0] = 0;
  }
}

int bitgen_gguf_open_memory(const void *data, size_t size, const char *name, bitgen_gguf **out,
                            bitgen_gguf_error *err) {
  clear_err(err);
  parser p = {0};
  p.src = name ? name : "(memory)";
  p.err = err;
  if (!out) return fail(&p, BITGEN_GGUF_E_NULL, NONE, "no output pointer");
  *out = NULL;
  if (!data && size) return fail(&p, BITGEN_GGUF_E_NULL, NONE, "no data");
  bitgen_gguf *g = calloc(1, sizeof *g);
  if (!g) return fail(&p, BITGEN_GGUF_E_NOMEM, NONE, "out of memory");
  g->base = data ? data : (const uint8_t *)"";
  g->size = size;
  return open_common(g, p.src, out, err);
}

int bitgen_gguf_open(const char *path, bitgen_gguf **out, bitgen_gguf_error *err) {
  clear_err(err);
  parser p = {0};
  p.src = path ? path : "(null)";
  p.err = err;
  if (!out) return fail(&p, BITGEN_GGUF_E_NULL, NONE, "no output pointer");
  *out = NULL;
  if (!path) return fail(&p, BITGEN_GGUF_E_NULL, NONE, "no path");
  bitgen_gguf *g = calloc(1, sizeof *g);
  if (!g) return fail(&p, BITGEN_GGUF_E_NOMEM, NONE, "out of memory");
#if !defined(_WIN32)
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    free(g);
    return fail(&p, BITGEN_GGUF_E_IO, NONE, "cannot open: %s", strerror(errno));
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    int e = errno;
    close(fd);
    free(g);
    return fail(&p, BITGEN_GGUF_E_IO, NONE, "%s", S_ISREG(sb.st_mode) ? strerror(e) : "not a regular file");
  }
  if ((uint64_t)sb.st_size > SIZE_MAX) {
    close(fd);
    free(g);
    return fail(&p, BITGEN_GGUF_E_IO, NONE, "file of %lld bytes does not fit the address space", (long long)sb.st_size);
  }
  g->size = (uint64_t)sb.st_size;
  if (g->size > 0) {
    void *m = mmap(NULL, (size_t)g->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      close(fd);
      free(g);
      return fail(&p, BITGEN_GGUF_E_IO, NONE, "cannot map %llu bytes: %s", (unsigned long long)sb.st_size, strerror(e));
    }
    g->map = m;
    g->map_size = (size_t)g->size;
    g->base = m;
  } else {
    g->base = (const uint8_t *)"";
  }
  close(fd);
#else
  FILE *f = fopen(path, "rb");
  if (!f) {
    free(g);
    return fail(&p, BITGEN_GGUF_E_IO, NONE, "cannot open: %s", strerror(errno));
  }
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  int bad = !buf || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    free(g);
    return fail(&p, BITGEN_GGUF_E_IO, NONE, "cannot read the file");
  }
  g->map = buf;
  g->map_is_malloc = 1;
  g->base = buf;
  g->size = n;
#endif
  return open_common(g, path, out, err);
}

/* ---- accessors ----------------------------------------------------------- */
uint32_t bitgen_gguf_version(const bitgen_gguf *g) { return g ? g->version : 0; }
uint64_t bitgen_gguf_file_size(const bitgen_gguf *g) { return g ? g->size : 0; }
const uint8_t *bitgen_gguf_file_data(const bitgen_gguf *g) { return g ? g->base : NULL; }
uint64_t bitgen_gguf_alignment(const bitgen_gguf *g) { return g ? g->alignment : 0; }
uint64_t bitgen_gguf_data_offset(const bitgen_gguf *g) { return g ? g->data_offset : 0; }
size_t bitgen_gguf_kv_count(const bitgen_gguf *g) { return g ? g->n_kv : 0; }
size_t bitgen_gguf_tensor_count(const bitgen_gguf *g) { return g ? g->n_tensors : 0; }

const bitgen_gguf_kv *bitgen_gguf_kv_at(const bitgen_gguf *g, size_t i) {
  return g && i < g->n_kv ? &g->kv[i] : NULL;
}
const bitgen_gguf_tensor *bitgen_gguf_tensor_at(const bitgen_gguf *g, size_t i) {
  return g && i < g->n_tensors ? &g->tensors[i] : NULL;
}

const bitgen_gguf_kv *bitgen_gguf_find_kv(const bitgen_gguf *g, const char *key) {
  if (!g || !key) return NULL;
  size_t n = strlen(key), m = g->kv_hash_cap - 1, k = (size_t)hash(key, n) & m;
  while (g->kv_hash[k]) {
    const bitgen_gguf_kv *kv = &g->kv[g->kv_hash[k] - 1];
    if (kv->key_len == n && memcmp(kv->key, key, n) == 0) return kv;
    k = (k + 1) & m;
  }
  return NULL;
}

const bitgen_gguf_tensor *bitgen_gguf_find_tensor(const bitgen_gguf *g, const char *name) {
  if (!g || !name) return NULL;
  size_t n = strlen(name), m = g->tensor_hash_cap - 1, k = (size_t)hash(name, n) & m;
  while (g->tensor_hash[k]) {
    const bitgen_gguf_tensor *t = &g->tensors[g->tensor_hash[k] - 1];
    if (t->name_len == n && memcmp(t->name, name, n) == 0) return t;
    k = (k + 1) & m;
  }
  return NULL;
}

/* Bytes of scalar element i of v (an array of fixed-size elements, or a
 * scalar with i = 0), and its type; NULL when out of range or not fixed-size. */
static const uint8_t *element(const bitgen_gguf_value *v, uint64_t i, uint32_t *type) {
  if (!v) return NULL;
  uint32_t t = v->type == BITGEN_GGUF_ARRAY ? v->elem_type : v->type;
  if (t == BITGEN_GGUF_STRING || t == BITGEN_GGUF_ARRAY) return NULL;
  uint64_t n = v->type == BITGEN_GGUF_ARRAY ? v->count : 1;
  if (i >= n) return NULL;
  *type = t;
  return v->data + i * value_type_size[t];
}

int bitgen_gguf_value_int(const bitgen_gguf_value *v, uint64_t i, int64_t *out) {
  uint32_t t;
  const uint8_t *d = element(v, i, &t);
  if (!d || !out) return d ? BITGEN_GGUF_E_NULL : BITGEN_GGUF_E_TYPE;
  uint64_t u;
  switch (t) {
  case BITGEN_GGUF_UINT8: case BITGEN_GGUF_UINT16: case BITGEN_GGUF_UINT32:
    *out = (int64_t)le(d, value_type_size[t]);
    return BITGEN_GGUF_OK;
  case BITGEN_GGUF_UINT64:
    u = le(d, 8);
    if (u > (uint64_t)INT64_MAX) return BITGEN_GGUF_E_TYPE;
    *out = (int64_t)u;
    return BITGEN_GGUF_OK;
  case BITGEN_GGUF_INT8: case BITGEN_GGUF_INT16: case BITGEN_GGUF_INT32: case BITGEN_GGUF_INT64: {
    unsigned n = value_type_size[t];
    u = le(d, n);
    if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    /* two's complement to int64 without implementation-defined conversion */
    *out = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    return BITGEN_GGUF_OK;
  }
  default: return BITGEN_GGUF_E_TYPE;
  }
}

int bitgen_gguf_value_uint(const bitgen_gguf_value *v, uint64_t i, uint64_t *out) {
  uint32_t t;
  const uint8_t *d = element(v, i, &t);
  if (!d || !out) return d ? BITGEN_GGUF_E_NULL : BITGEN_GGUF_E_TYPE;
  if (t == BITGEN_GGUF_UINT64) {
    *out = le(d, 8);
    return BITGEN_GGUF_OK;
  }
  int64_t s;
  int st = bitgen_gguf_value_int(v, i, &s);
  if (st) return st;
  if (s < 0) return BITGEN_GGUF_E_TYPE;
  *out = (uint64_t)s;
  return BITGEN_GGUF_OK;
}

static float f32_of(uint64_t bits) {
  uint32_t b = (uint32_t)bits;
  float f;
  memcpy(&f, &b, 4);
  return f;
}

int bitgen_gguf_value_float(const bitgen_gguf_value *v, uint64_t i, double *out) {
  uint32_t t;
  const uint8_t *d = element(v, i, &t);
  if (!d || !out) return d ? BITGEN_GGUF_E_NULL : BITGEN_GGUF_E_TYPE;
  if (t == BITGEN_GGUF_FLOAT32) {
    *out = f32_of(le(d, 4));
  } else if (t == BITGEN_GGUF_FLOAT64) {
    uint64_t b = le(d, 8);
    memcpy(out, &b, 8);
  } else {
    return BITGEN_GGUF_E_TYPE;
  }
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_value_bool(const bitgen_gguf_value *v, uint64_t i, int *out) {
  uint32_t t;
  const uint8_t *d = element(v, i, &t);
  if (!d || t != BITGEN_GGUF_BOOL) return BITGEN_GGUF_E_TYPE;
  if (!out) return BITGEN_GGUF_E_NULL;
  *out = d[0];
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_value_str(const bitgen_gguf_value *v, uint64_t i, const char **s, size_t *len) {
  if (!v || !s || !len) return BITGEN_GGUF_E_NULL;
  if (v->type == BITGEN_GGUF_STRING && i == 0) {
    *s = (const char *)v->data;
    *len = (size_t)v->count;
    return BITGEN_GGUF_OK;
  }
  if (v->type != BITGEN_GGUF_ARRAY || v->elem_type != BITGEN_GGUF_STRING || i >= v->count) return BITGEN_GGUF_E_TYPE;
  /* offsets point at the bytes; the length is the u64 before them */
  const uint8_t *p = v->data - v->offset + v->str_offsets[i];
  *s = (const char *)p;
  *len = (size_t)le(p - 8, 8);
  return BITGEN_GGUF_OK;
}

const bitgen_gguf_value *bitgen_gguf_value_item(const bitgen_gguf_value *v, uint64_t i) {
  if (!v || v->type != BITGEN_GGUF_ARRAY || v->elem_type != BITGEN_GGUF_ARRAY || i >= v->count) return NULL;
  return &v->items[i];
}

/* ---- getters by key ------------------------------------------------------- */
static int lookup(const bitgen_gguf *g, const char *key, uint32_t type, const bitgen_gguf_value **v) {
  if (!g || !key) return BITGEN_GGUF_E_NULL;
  const bitgen_gguf_kv *kv = bitgen_gguf_find_kv(g, key);
  if (!kv) return BITGEN_GGUF_E_NOTFOUND;
  if (type != UINT32_MAX && kv->value.type != type) return BITGEN_GGUF_E_TYPE;
  *v = &kv->value;
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_get_u32(const bitgen_gguf *g, const char *key, uint32_t *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_UINT32, &v);
  if (st) return st;
  if (!out) return BITGEN_GGUF_E_NULL;
  *out = (uint32_t)le(v->data, 4);
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_get_i32(const bitgen_gguf *g, const char *key, int32_t *out) {
  const bitgen_gguf_value *v;
  int64_t x;
  int st = lookup(g, key, BITGEN_GGUF_INT32, &v);
  if (!st) st = bitgen_gguf_value_int(v, 0, &x);
  if (!st && !out) st = BITGEN_GGUF_E_NULL;
  if (!st) *out = (int32_t)x;
  return st;
}

int bitgen_gguf_get_u64(const bitgen_gguf *g, const char *key, uint64_t *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_UINT64, &v);
  if (st) return st;
  if (!out) return BITGEN_GGUF_E_NULL;
  *out = le(v->data, 8);
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_get_f32(const bitgen_gguf *g, const char *key, float *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_FLOAT32, &v);
  if (st) return st;
  if (!out) return BITGEN_GGUF_E_NULL;
  *out = f32_of(le(v->data, 4));
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_get_bool(const bitgen_gguf *g, const char *key, int *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_BOOL, &v);
  return st ? st : bitgen_gguf_value_bool(v, 0, out);
}

int bitgen_gguf_get_str(const bitgen_gguf *g, const char *key, const char **s, size_t *len) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_STRING, &v);
  return st ? st : bitgen_gguf_value_str(v, 0, s, len);
}

int bitgen_gguf_get_uint(const bitgen_gguf *g, const char *key, uint64_t *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, UINT32_MAX, &v);
  if (st) return st;
  if (v->type == BITGEN_GGUF_ARRAY) return BITGEN_GGUF_E_TYPE;
  return bitgen_gguf_value_uint(v, 0, out);
}

int bitgen_gguf_get_int(const bitgen_gguf *g, const char *key, int64_t *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, UINT32_MAX, &v);
  if (st) return st;
  if (v->type == BITGEN_GGUF_ARRAY) return BITGEN_GGUF_E_TYPE;
  return bitgen_gguf_value_int(v, 0, out);
}

int bitgen_gguf_get_float(const bitgen_gguf *g, const char *key, double *out) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, UINT32_MAX, &v);
  if (st) return st;
  if (v->type == BITGEN_GGUF_ARRAY) return BITGEN_GGUF_E_TYPE;
  return bitgen_gguf_value_float(v, 0, out);
}

int bitgen_gguf_get_array(const bitgen_gguf *g, const char *key, uint32_t elem_type, const bitgen_gguf_value **arr) {
  const bitgen_gguf_value *v;
  int st = lookup(g, key, BITGEN_GGUF_ARRAY, &v);
  if (st) return st;
  if (v->elem_type != elem_type) return BITGEN_GGUF_E_TYPE;
  if (!arr) return BITGEN_GGUF_E_NULL;
  *arr = v;
  return BITGEN_GGUF_OK;
}

int bitgen_gguf_i2s_scale(const bitgen_gguf_tensor *t, float *scale) {
  if (!t || !scale) return BITGEN_GGUF_E_NULL;
  if (t->type != BITGEN_GGML_I2_S || !t->data) return BITGEN_GGUF_E_TYPE;
  *scale = f32_of(le(t->data + t->n_elements / 4, 4)); /* size = n/4 + 32, so in range */
  return BITGEN_GGUF_OK;
}
