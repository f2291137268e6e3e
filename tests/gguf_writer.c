/* GGUF writer for tests and demos (gguf_writer.h).  Independent of the
 * reader: the layout follows the GGUF spec (ggml docs/gguf.md) and the type
 * sizes ggml's block structs (see docs/GGUF.md). */
#include "gguf_writer.h"

#include <stdlib.h>
#include <string.h>

static void die_oom(void) {
  fprintf(stderr, "gguf_writer: out of memory\n");
  exit(2);
}

static void buf_put(gw_buf *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + n) c *= 2;
    uint8_t *q = realloc(b->p, c);
    if (!q) die_oom();
    b->p = q;
    b->cap = c;
  }
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void le_bytes(uint8_t *o, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) o[i] = (uint8_t)(v >> (8 * i));
}

void gw_init(gguf_w *w, uint32_t version) {
  memset(w, 0, sizeof *w);
  w->version = version;
  w->alignment = 32;
}

void gw_free(gguf_w *w) {
  free(w->kv.p);
  free(w->kvpos);
  free(w->t);
  memset(w, 0, sizeof *w);
}

void gw_put(gguf_w *w, const void *bytes, size_t n) { buf_put(&w->kv, bytes, n); }
void gw_put_u8(gguf_w *w, uint8_t v) { buf_put(&w->kv, &v, 1); }
void gw_put_u32(gguf_w *w, uint32_t v) {
  uint8_t b[4];
  le_bytes(b, v, 4);
  buf_put(&w->kv, b, 4);
}
void gw_put_u64(gguf_w *w, uint64_t v) {
  uint8_t b[8];
  le_bytes(b, v, 8);
  buf_put(&w->kv, b, 8);
}
void gw_put_str(gguf_w *w, const char *s, size_t n) {
  gw_put_u64(w, n);
  buf_put(&w->kv, s, n);
}
void gw_put_arr(gguf_w *w, uint32_t elem_type, uint64_t count) {
  gw_put_u32(w, elem_type);
  gw_put_u64(w, count);
}

void gw_key(gguf_w *w, const char *key, uint32_t type) {
  if (w->n_kv == w->kvpos_cap) {
    w->kvpos_cap = w->kvpos_cap ? 2 * w->kvpos_cap : 64;
    gw_kv_pos *q = realloc(w->kvpos, w->kvpos_cap * sizeof *q);
    if (!q) die_oom();
    w->kvpos = q;
  }
  gw_kv_pos *p = &w->kvpos[w->n_kv++];
  p->key_len_at = w->kv.n;
  gw_put_str(w, key, strlen(key));
  p->type_at = w->kv.n;
  gw_put_u32(w, type);
  p->value_at = w->kv.n;
}

void gw_kv_u32(gguf_w *w, const char *key, uint32_t v) { gw_key(w, key, GW_U32); gw_put_u32(w, v); }
void gw_kv_i32(gguf_w *w, const char *key, int32_t v) { gw_key(w, key, GW_I32); gw_put_u32(w, (uint32_t)v); }
void gw_kv_f32(gguf_w *w, const char *key, float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  gw_key(w, key, GW_F32);
  gw_put_u32(w, b);
}
void gw_kv_str(gguf_w *w, const char *key, const char *s) { gw_key(w, key, GW_STR); gw_put_str(w, s, strlen(s)); }
void gw_kv_bool(gguf_w *w, const char *key, int v) { gw_key(w, key, GW_BOOL); gw_put_u8(w, v ? 1 : 0); }
void gw_alignment(gguf_w *w, uint32_t a) {
  gw_kv_u32(w, "general.alignment", a);
  w->alignment = a;
}

/* ---- tensor types: elements per block and bytes per block --------------- */
static int type_block(uint32_t type, uint64_t *block, uint64_t *bytes) {
  switch (type) {
  case GW_T_F32: *block = 1; *bytes = 4; return 1;
  case GW_T_F16: case GW_T_BF16: *block = 1; *bytes = 2; return 1;
  case GW_T_Q4_0: *block = 32; *bytes = 2 + 16; return 1;          /* d, qs[16] */
  case GW_T_Q8_0: *block = 32; *bytes = 2 + 32; return 1;          /* d, qs[32] */
  case GW_T_Q6_K: *block = 256; *bytes = 128 + 64 + 16 + 2; return 1; /* ql, qh, scales, d */
  case GW_T_TQ1_0: *block = 256; *bytes = 48 + 4 + 2; return 1;    /* qs, qh, d */
  case GW_T_TQ2_0: *block = 256; *bytes = 64 + 2; return 1;        /* qs, d */
  case GW_T_I2_S: *block = 128; *bytes = 32; return 1;             /* codes; + 32-byte tail per tensor */
  default: return 0;
  }
}

const char *gw_type_name(uint32_t type) {
  switch (type) {
  case GW_T_F32: return "F32";
  case GW_T_F16: return "F16";
  case GW_T_BF16: return "BF16";
  case GW_T_Q4_0: return "Q4_0";
  case GW_T_Q8_0: return "Q8_0";
  case GW_T_Q6_K: return "Q6_K";
  case GW_T_TQ1_0: return "TQ1_0";
  case GW_T_TQ2_0: return "TQ2_0";
  case GW_T_I2_S: return "I2_S";
  default: return NULL;
  }
}

uint64_t gw_type_size(uint32_t type, uint64_t row, uint64_t n) {
  uint64_t block, bytes;
  if (!type_block(type, &block, &bytes) || row % block) return 0;
  return n / block * bytes + (type == GW_T_I2_S ? 32 : 0);
}

gw_tensor *gw_tensor_add(gguf_w *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *dims,
                         uint64_t seed, const uint8_t *bytes) {
  if (w->nt == w->tcap) {
    w->tcap = w->tcap ? 2 * w->tcap : 64;
    gw_tensor *q = realloc(w->t, w->tcap * sizeof *q);
    if (!q) die_oom();
    w->t = q;
  }
  gw_tensor *t = &w->t[w->nt++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  t->type = type;
  t->n_dims = n_dims;
  uint64_t n = 1;
  for (uint32_t d = 0; d < 4; d++) {
    t->dims[d] = d < n_dims ? dims[d] : 1;
    n *= t->dims[d];
  }
  t->size = gw_type_size(type, t->dims[0], n);
  t->seed = seed;
  t->bytes = bytes;
  return t;
}

/* ---- random valid content -------------------------------------------------- */
static uint64_t rng_next(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* the 81 bytes whose four 2-bit fields are all in {0,1,2} */
static uint8_t ternary_bytes[81];
static uint8_t tq1_bytes[243], tq1_tail[81];
static void init_tables(void) {
  static int done;
  if (done) return;
  for (int v = 0; v < 81; v++)
    ternary_bytes[v] = (uint8_t)((v % 3) | (v / 3 % 3) << 2 | (v / 9 % 3) << 4 | (v / 27) << 6);
  /* TQ1_0: five base-3 digits v as the fraction (v * 256 + 242) / 243; the
   * qh bytes hold four digits (the fifth is 0) */
  for (int v = 0; v < 243; v++) tq1_bytes[v] = (uint8_t)((v * 256 + 242) / 243);
  for (int v = 0; v < 81; v++) tq1_tail[v] = (uint8_t)((v * 3 * 256 + 242) / 243);
  done = 1;
}

/* a finite positive f16 scale in [2^-10, 2^-2) */
static uint16_t rand_scale_f16(uint64_t *s) {
  uint64_t r = rng_next(s);
  return (uint16_t)((5 + r % 8) << 10 | (r >> 8 & 0x3ff));
}

static void put_f16(uint8_t *o, uint16_t h) { o[0] = (uint8_t)h; o[1] = (uint8_t)(h >> 8); }

/* nblocks blocks of type t->type into out */
static void gen_blocks(uint32_t type, uint64_t *s, uint8_t *o, uint64_t nblocks) {
  uint64_t r;
  switch (type) {
  case GW_T_F32:
    for (uint64_t i = 0; i < nblocks; i++) {
      r = rng_next(s);
      float f = (float)((int64_t)(r >> 40) - (1 << 23)) / (float)(1 << 23); /* [-1, 1) */
      uint32_t b;
      memcpy(&b, &f, 4);
      le_bytes(o + 4 * i, b, 4);
    }
    break;
  case GW_T_F16: /* sign, exponent 10..17 (2^-5 .. 2^2), random mantissa: finite */
  case GW_T_BF16: /* sign, exponent 120..127, random mantissa */
    for (uint64_t i = 0; i < nblocks; i += 4) {
      r = rng_next(s);
      for (uint64_t k = 0; k < 4 && i + k < nblocks; k++, r >>= 16) {
        uint16_t h = type == GW_T_F16 ? (uint16_t)((r & 0x8000) | ((10 + (r >> 10 & 7)) << 10) | (r & 0x3ff))
                                      : (uint16_t)((r & 0x8000) | ((120 + (r >> 7 & 7)) << 7) | (r & 0x7f));
        put_f16(o + 2 * (i + k), h);
      }
    }
    break;
  case GW_T_I2_S: /* 32 bytes of codes per 128 weights; any byte of 4 ternary fields */
  case GW_T_TQ2_0:
    for (uint64_t i = 0; i < nblocks; i++) {
      uint8_t *b = type == GW_T_I2_S ? o + 32 * i : o + 66 * i;
      unsigned n = type == GW_T_I2_S ? 32 : 64;
      for (unsigned k = 0; k < n; k += 8) {
        r = rng_next(s);
        for (unsigned j = 0; j < 8; j++, r >>= 8) b[k + j] = ternary_bytes[((r & 0xff) * 81) >> 8];
      }
      if (type == GW_T_TQ2_0) put_f16(b + 64, rand_scale_f16(s));
    }
    break;
  case GW_T_TQ1_0:
    for (uint64_t i = 0; i < nblocks; i++) {
      uint8_t *b = o + 54 * i;
      for (unsigned k = 0; k < 48; k++) b[k] = tq1_bytes[rng_next(s) % 243];
      for (unsigned k = 0; k < 4; k++) b[48 + k] = tq1_tail[rng_next(s) % 81];
      put_f16(b + 52, rand_scale_f16(s));
    }
    break;
  case GW_T_Q4_0:
  case GW_T_Q8_0:
  case GW_T_Q6_K: {
    unsigned bytes = type == GW_T_Q4_0 ? 18 : type == GW_T_Q8_0 ? 34 : 210;
    for (uint64_t i = 0; i < nblocks; i++) {
      uint8_t *b = o + bytes * i;
      unsigned q0 = type == GW_T_Q6_K ? 0 : 2, qn = type == GW_T_Q6_K ? 208 : bytes;
      for (unsigned k = q0; k < qn; k += 8) {
        r = rng_next(s);
        for (unsigned j = 0; j < 8 && k + j < qn; j++, r >>= 8) b[k + j] = (uint8_t)r;
      }
      if (type == GW_T_Q8_0) /* ggml's quantizer writes -127..127 */
        for (unsigned k = 2; k < 34; k++) if (b[k] == 0x80) b[k] = 0x81;
      put_f16(type == GW_T_Q6_K ? b + 208 : b, rand_scale_f16(s));
    }
    break;
  }
  default: break;
  }
}

/* Streams tensor t's content through `sink` in chunks. */
typedef int (*sink_fn)(void *ctx, const uint8_t *p, size_t n);
static int stream_tensor(const gw_tensor *t, sink_fn sink, void *ctx) {
  if (t->bytes) return sink(ctx, t->bytes, (size_t)t->size);
  init_tables();
  uint64_t block, bytes, s = t->seed;
  if (!type_block(t->type, &block, &bytes)) return -1;
  uint64_t body = t->size - (t->type == GW_T_I2_S ? 32 : 0), nblocks = body / bytes;
  enum { CHUNK = 1 << 20 };
  uint8_t *buf = malloc(CHUNK + 64);
  if (!buf) die_oom();
  uint64_t per = CHUNK / bytes;
  int st = 0;
  for (uint64_t b = 0; b < nblocks && !st; b += per) {
    uint64_t n = nblocks - b < per ? nblocks - b : per;
    gen_blocks(t->type, &s, buf, n);
    st = sink(ctx, buf, (size_t)(n * bytes));
  }
  if (!st && t->type == GW_T_I2_S) { /* the per-tensor scale, then zeros */
    memset(buf, 0, 32);
    float scale = 0.5f + (float)(rng_next(&s) >> 40) / (float)(1 << 24);
    uint32_t b;
    memcpy(&b, &scale, 4);
    le_bytes(buf, b, 4);
    st = sink(ctx, buf, 32);
  }
  free(buf);
  return st;
}

static int sink_mem(void *ctx, const uint8_t *p, size_t n) {
  uint8_t **o = ctx;
  memcpy(*o, p, n);
  *o += n;
  return 0;
}
void gw_fill(const gw_tensor *t, uint8_t *out) {
  uint8_t *o = out;
  stream_tensor(t, sink_mem, &o);
}

/* ---- layout and output ------------------------------------------------------ */
static uint64_t pad_to(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

void gw_layout(gguf_w *w) {
  uint64_t pos = 24;
  for (uint64_t i = 0; i < w->n_kv && !w->laid_out; i++) { /* relative -> absolute, once */
    w->kvpos[i].key_len_at += 24;
    w->kvpos[i].type_at += 24;
    w->kvpos[i].value_at += 24;
  }
  w->laid_out = 1;
  pos += w->kv.n;
  uint64_t data = 0;
  for (size_t i = 0; i < w->nt; i++) {
    gw_tensor *t = &w->t[i];
    t->info_at = pos;
    t->n_dims_at = pos + 8 + strlen(t->name);
    t->type_at = t->n_dims_at + 4 + 8 * t->n_dims;
    t->offset_at = t->type_at + 4;
    pos = t->offset_at + 8;
    t->offset = data;
    data = pad_to(data + t->size, w->alignment);
  }
  w->data_at = pad_to(pos, w->alignment);
  w->header_bytes = w->data_at;
  for (size_t i = 0; i < w->nt; i++) w->t[i].data_at = w->data_at + w->t[i].offset;
}

static int emit_header(gguf_w *w, sink_fn sink, void *ctx) {
  gw_buf h = {0};
  uint8_t b[8];
  buf_put(&h, "GGUF", 4);
  le_bytes(b, w->version, 4);
  buf_put(&h, b, 4);
  le_bytes(b, w->nt, 8);
  buf_put(&h, b, 8);
  le_bytes(b, w->n_kv, 8);
  buf_put(&h, b, 8);
  buf_put(&h, w->kv.p, w->kv.n);
  for (size_t i = 0; i < w->nt; i++) {
    const gw_tensor *t = &w->t[i];
    size_t n = strlen(t->name);
    le_bytes(b, n, 8);
    buf_put(&h, b, 8);
    buf_put(&h, t->name, n);
    le_bytes(b, t->n_dims, 4);
    buf_put(&h, b, 4);
    for (uint32_t d = 0; d < t->n_dims; d++) {
      le_bytes(b, t->dims[d], 8);
      buf_put(&h, b, 8);
    }
    le_bytes(b, t->type, 4);
    buf_put(&h, b, 4);
    le_bytes(b, t->offset, 8);
    buf_put(&h, b, 8);
  }
  while (h.n < w->data_at) buf_put(&h, "", 1);
  int st = sink(ctx, h.p, h.n);
  free(h.p);
  return st;
}

static int emit(gguf_w *w, sink_fn sink, void *ctx) {
  gw_layout(w);
  int st = emit_header(w, sink, ctx);
  static const uint8_t zeros[4096];
  for (size_t i = 0; i < w->nt && !st; i++) {
    const gw_tensor *t = &w->t[i];
    st = stream_tensor(t, sink, ctx);
    uint64_t end = i + 1 < w->nt ? w->t[i + 1].offset : pad_to(t->offset + t->size, w->alignment);
    for (uint64_t k = t->offset + t->size; k < end && !st;) {
      uint64_t n = end - k < sizeof zeros ? end - k : sizeof zeros;
      st = sink(ctx, zeros, (size_t)n);
      k += n;
    }
  }
  return st;
}

static int sink_file(void *ctx, const uint8_t *p, size_t n) { return fwrite(p, 1, n, ctx) == n ? 0 : -1; }
int gw_write(gguf_w *w, FILE *f) { return emit(w, sink_file, f); }

int gw_write_mem(gguf_w *w, uint8_t **out, size_t *size) {
  gw_layout(w);
  uint64_t total = w->data_at;
  if (w->nt) total = w->data_at + pad_to(w->t[w->nt - 1].offset + w->t[w->nt - 1].size, w->alignment);
  uint8_t *p = malloc(total ? total : 1);
  if (!p) die_oom();
  uint8_t *o = p;
  int st = emit(w, sink_mem, &o);
  *out = p;
  *size = (size_t)(o - p);
  return st;
}

/* ---- models ------------------------------------------------------------------- */
gw_model gw_model_2b4t(void) {
  /* microsoft/bitnet-b1.58-2B-4T (shared/MODELS.md; bitnet.cpp's converter) */
  gw_model m = {"bitnet-b1.58", "bitnet-b1.58-2B-4T (synthetic weights)", 2560, 6912, 30, 20, 5, 128256, 4096,
                GW_T_I2_S, GW_T_F16, 1, 500000.0f, 1e-5f, 1};
  return m;
}

static void kv_u32a(gguf_w *w, const char *arch, const char *suffix, uint64_t v) {
  char key[128];
  snprintf(key, sizeof key, "%s.%s", arch, suffix);
  gw_kv_u32(w, key, (uint32_t)v);
}

static void add_2d(gguf_w *w, const char *name, uint32_t type, uint64_t K, uint64_t M, uint64_t seed) {
  uint64_t d[2] = {K, M}; /* ggml order: the row (K) first */
  gw_tensor_add(w, name, type, 2, d, seed, NULL);
}

/* layer numbers in the order of their names as text: 0, 1, 10, 11, ..., 2, 20 */
static int cmp_as_text(const void *x, const void *y) {
  char a[24], b[24];
  snprintf(a, sizeof a, "%llu", (unsigned long long)*(const uint64_t *)x);
  snprintf(b, sizeof b, "%llu", (unsigned long long)*(const uint64_t *)y);
  return strcmp(a, b);
}


/* GPT-2's byte-to-text map of byte-level BPE: printable Latin-1 bytes stand
 * for themselves, the other 68 take code points 256, 257, ... in byte order.
 * Writes the UTF-8 text of byte b; returns its length. */
static size_t byte_text(unsigned b, char *o) {
  unsigned cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
    cp = 256;
    for (unsigned x = 0; x < b; x++)
      if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) cp++;
  }
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  o[0] = (char)(0xC0 | (cp >> 6));
  o[1] = (char)(0x80 | (cp & 0x3F));
  return 2;
}

/* A valid llama-3 style byte-level vocabulary of exactly `vocab` tokens:
 * the 256 byte tokens, then merged tokens (space+letter and letter+letter
 * pairs, then each of those extended by a letter, ...) whose merges are
 * listed in rank order, then CONTROL specials at the top (BOS, EOS, reserved),
 * as llama-3 places them (BOS 128000, EOS 128001 for a 128256 vocabulary). */
enum { TOKMAX = 32, NSPECIAL_SMALL = 2 };
static void put_vocab(gguf_w *w, uint64_t vocab) {
  const uint64_t nspecial = vocab >= 128256 ? vocab - 128000 : vocab >= 256 + NSPECIAL_SMALL ? NSPECIAL_SMALL : 0;
  const uint64_t nnormal = vocab - nspecial; /* bytes + merged */
  char *text = calloc(vocab, TOKMAX);
  uint64_t *left = calloc(vocab, sizeof *left), *right = calloc(vocab, sizeof *right);
  if (!text || !left || !right) die_oom();
  uint64_t n = 0;
  for (unsigned b = 0; b < 256 && n < nnormal; b++, n++) byte_text(b, text + n * TOKMAX);
  /* extend tokens of the previous length by one letter; the first round
   * joins a space or a letter with a letter */
  const uint64_t letters = 'a', space = ' ';
  uint64_t lo = 0, hi = 0; /* the previous round's merged tokens */
  for (int round = 0; n < nnormal && round < 6; round++) {
    uint64_t start = n;
    uint64_t firsts = round == 0 ? 27 : hi - lo;
    for (uint64_t f = 0; f < firsts && n < nnormal; f++) {
      uint64_t a = round == 0 ? (f == 26 ? space : letters + f) : lo + f;
      for (uint64_t c = 0; c < 26 && n < nnormal; c++, n++) {
        uint64_t b = letters + c;
        size_t la = strlen(text + a * TOKMAX), lb = strlen(text + b * TOKMAX);
        if (la + lb >= TOKMAX) break;
        memcpy(text + n * TOKMAX, text + a * TOKMAX, la);
        memcpy(text + n * TOKMAX + la, text + b * TOKMAX, lb);
        left[n] = a, right[n] = b;
      }
    }
    lo = start, hi = n;
  }
  for (uint64_t i = n; i < nnormal; i++) { /* not reached for vocabularies below ~12 M */
    snprintf(text + i * TOKMAX, TOKMAX, "<|unused_%llu|>", (unsigned long long)i);
  }
  for (uint64_t i = 0; i < nspecial; i++) {
    char *t = text + (nnormal + i) * TOKMAX;
    if (i == 0) snprintf(t, TOKMAX, "<|bos|>");
    else if (i == 1) snprintf(t, TOKMAX, "<|eos|>");
    else snprintf(t, TOKMAX, "<|rsv_%llu|>", (unsigned long long)i);
  }
  gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
  gw_kv_str(w, "tokenizer.ggml.pre", "llama-bpe");
  gw_key(w, "tokenizer.ggml.tokens", GW_ARR);
  gw_put_arr(w, GW_STR, vocab);
  for (uint64_t i = 0; i < vocab; i++) gw_put_str(w, text + i * TOKMAX, strlen(text + i * TOKMAX));
  gw_key(w, "tokenizer.ggml.token_type", GW_ARR);
  gw_put_arr(w, GW_I32, vocab);
  for (uint64_t i = 0; i < vocab; i++) gw_put_u32(w, i < n ? 1 : i < nnormal ? 5 : 3); /* normal, unused, control */
  gw_key(w, "tokenizer.ggml.merges", GW_ARR);
  gw_put_arr(w, GW_STR, n > 256 ? n - 256 : 0);
  for (uint64_t i = 256; i < n; i++) {
    char merge[2 * TOKMAX + 1];
    int len = snprintf(merge, sizeof merge, "%s %s", text + left[i] * TOKMAX, text + right[i] * TOKMAX);
    gw_put_str(w, merge, (size_t)len);
  }
  if (nspecial >= 2) {
    gw_kv_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)nnormal);
    gw_kv_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(nnormal + 1));
  }
  free(text), free(left), free(right);
}

void gw_add_model(gguf_w *w, const gw_model *m) {
  const char *a = m->arch;
  uint64_t head_dim = m->n_embd / m->n_head, kv_dim = head_dim * m->n_head_kv;
  gw_kv_str(w, "general.architecture", a);
  gw_kv_str(w, "general.name", m->name);
  kv_u32a(w, a, "vocab_size", m->vocab);
  kv_u32a(w, a, "context_length", m->ctx);
  kv_u32a(w, a, "embedding_length", m->n_embd);
  kv_u32a(w, a, "block_count", m->n_layer);
  kv_u32a(w, a, "feed_forward_length", m->n_ff);
  kv_u32a(w, a, "rope.dimension_count", head_dim);
  kv_u32a(w, a, "attention.head_count", m->n_head);
  kv_u32a(w, a, "attention.head_count_kv", m->n_head_kv);
  char key[128];
  snprintf(key, sizeof key, "%s.rope.freq_base", a);
  gw_kv_f32(w, key, m->rope_theta);
  snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", a);
  gw_kv_f32(w, key, m->rms_eps);
  gw_kv_u32(w, "general.file_type", m->wtype == GW_T_I2_S ? 40 : 1);
  put_vocab(w, m->vocab);
  gw_kv_u32(w, "general.quantization_version", 2);

  /* tensors in the converter's order: the checkpoint's names sorted
   * (model.embed_tokens, model.layers.N.* with N sorted as text, model.norm) */
  uint64_t seed = m->seed * 1000003u;
  add_2d(w, "token_embd.weight", m->etype, m->n_embd, m->vocab, seed++);
  uint64_t *order = malloc((m->n_layer + 1) * sizeof *order);
  if (!order) die_oom();
  for (uint64_t l = 0; l < m->n_layer; l++) order[l] = l;
  qsort(order, m->n_layer, sizeof *order, cmp_as_text);
  for (uint64_t i = 0; i < m->n_layer; i++) {
    char n[96];
    unsigned long long L = order[i];
    uint64_t d1[1];
    int bitnet = strcmp(a, "bitnet-b1.58") == 0 || strcmp(a, "bitnet") == 0; /* sub-norms */
#define NAME(x) (snprintf(n, sizeof n, "blk.%llu." x ".weight", L), n)
    d1[0] = m->n_embd;
    gw_tensor_add(w, NAME("attn_norm"), GW_T_F32, 1, d1, seed++, NULL);      /* input_layernorm */
    add_2d(w, NAME("ffn_down"), m->wtype, m->n_ff, m->n_embd, seed++);       /* mlp.down_proj */
    if (bitnet) {
      d1[0] = m->n_ff;
      gw_tensor_add(w, NAME("ffn_sub_norm"), GW_T_F32, 1, d1, seed++, NULL); /* mlp.ffn_sub_norm */
    }
    add_2d(w, NAME("ffn_gate"), m->wtype, m->n_embd, m->n_ff, seed++);       /* mlp.gate_proj */
    add_2d(w, NAME("ffn_up"), m->wtype, m->n_embd, m->n_ff, seed++);         /* mlp.up_proj */
    d1[0] = m->n_embd;
    gw_tensor_add(w, NAME("ffn_norm"), GW_T_F32, 1, d1, seed++, NULL);       /* post_attention_layernorm */
    if (bitnet) gw_tensor_add(w, NAME("attn_sub_norm"), GW_T_F32, 1, d1, seed++, NULL); /* self_attn.attn_sub_norm */
    add_2d(w, NAME("attn_k"), m->wtype, m->n_embd, kv_dim, seed++);          /* self_attn.k_proj */
    add_2d(w, NAME("attn_output"), m->wtype, m->n_embd, m->n_embd, seed++);  /* self_attn.o_proj */
    add_2d(w, NAME("attn_q"), m->wtype, m->n_embd, m->n_embd, seed++);       /* self_attn.q_proj */
    add_2d(w, NAME("attn_v"), m->wtype, m->n_embd, kv_dim, seed++);          /* self_attn.v_proj */
#undef NAME
  }
  free(order);
  uint64_t d1[1] = {m->n_embd};
  gw_tensor_add(w, "output_norm.weight", GW_T_F32, 1, d1, seed++, NULL);
  if (!m->tied) add_2d(w, "output.weight", m->etype, m->n_embd, m->vocab, seed++);
}

void gw_add_all_types(gguf_w *w, uint64_t seed) {
  /* every scalar type, with edge values */
  gw_key(w, "test.u8", GW_U8); gw_put_u8(w, 0xff);
  gw_key(w, "test.i8", GW_I8); gw_put_u8(w, 0x80);
  gw_key(w, "test.u16", GW_U16); gw_put(w, "\xfe\xff", 2);
  gw_key(w, "test.i16", GW_I16); gw_put(w, "\x00\x80", 2);
  gw_key(w, "test.u32", GW_U32); gw_put_u32(w, 0xfffffffeu);
  gw_key(w, "test.i32", GW_I32); gw_put_u32(w, 0x80000000u);
  gw_kv_f32(w, "test.f32", -1.5f);
  gw_kv_bool(w, "test.bool.true", 1);
  gw_kv_bool(w, "test.bool.false", 0);
  gw_kv_str(w, "test.str", "bitgen \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 utf-8");
  gw_kv_str(w, "test.str.empty", "");
  gw_key(w, "test.u64", GW_U64); gw_put_u64(w, 0xfffffffffffffffeull);
  gw_key(w, "test.i64", GW_I64); gw_put_u64(w, 0x8000000000000000ull);
  gw_key(w, "test.f64", GW_F64); gw_put_u64(w, 0x400921fb54442d18ull); /* pi */
  gw_key(w, "test.f32.inf", GW_F32); gw_put_u32(w, 0xff800000u);
  gw_key(w, "test.f32.negzero", GW_F32); gw_put_u32(w, 0x80000000u);
  gw_key(w, "test.f32.denormal", GW_F32); gw_put_u32(w, 0x00000001u);
  /* an array of each element type */
  static const uint32_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"};
  uint64_t s = seed;
  for (uint32_t t = 0; t <= GW_F64; t++) {
    if (t == GW_ARR) continue;
    char key[64];
    snprintf(key, sizeof key, "test.arr.%s", names[t]);
    gw_key(w, key, GW_ARR);
    uint64_t n = 5 + t;
    gw_put_arr(w, t, n);
    for (uint64_t i = 0; i < n; i++) {
      uint64_t r = rng_next(&s);
      if (t == GW_STR) {
        char str[32];
        int len = snprintf(str, sizeof str, "s%llu", (unsigned long long)(r % 1000));
        gw_put_str(w, str, (size_t)(i == 0 ? 0 : len)); /* an empty string too */
      } else if (t == GW_BOOL) {
        gw_put_u8(w, (uint8_t)(r & 1));
      } else if (t == GW_F32) {
        float f = (float)(int64_t)(r % 2001) / 8.0f - 125.0f;
        uint32_t b;
        memcpy(&b, &f, 4);
        gw_put_u32(w, b);
      } else if (t == GW_F64) {
        double d = (double)(int64_t)(r % 20001) / 16.0 - 625.0;
        uint64_t b;
        memcpy(&b, &d, 8);
        gw_put_u64(w, b);
      } else {
        uint8_t b[8];
        le_bytes(b, r, 8);
        gw_put(w, b, sizes[t]);
      }
    }
  }
  gw_key(w, "test.arr.empty", GW_ARR);
  gw_put_arr(w, GW_U32, 0);
  /* arrays of arrays: [[1, 2], [], [3]] of u32, and depth 3 of strings */
  gw_key(w, "test.arr.nested", GW_ARR);
  gw_put_arr(w, GW_ARR, 3);
  gw_put_arr(w, GW_U32, 2); gw_put_u32(w, 1); gw_put_u32(w, 2);
  gw_put_arr(w, GW_U32, 0);
  gw_put_arr(w, GW_U32, 1); gw_put_u32(w, 3);
  gw_key(w, "test.arr.nested3", GW_ARR);
  gw_put_arr(w, GW_ARR, 2);
  for (int i = 0; i < 2; i++) {
    gw_put_arr(w, GW_ARR, 1);
    gw_put_arr(w, GW_STR, 2);
    gw_put_str(w, "a", 1);
    gw_put_str(w, i ? "bc" : "", i ? 2 : 0);
  }
  /* one tensor per type, small shapes; a 1-d, a 3-d and a 4-d one too */
  static const uint32_t types[] = {GW_T_F32, GW_T_F16, GW_T_BF16, GW_T_Q4_0, GW_T_Q8_0,
                                   GW_T_Q6_K, GW_T_TQ1_0, GW_T_TQ2_0, GW_T_I2_S};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    uint64_t block, bytes;
    type_block(types[i], &block, &bytes);
    uint64_t K = block < 256 ? 256 : block, d[2] = {K, 3 + i};
    char name[64];
    snprintf(name, sizeof name, "t.%s.weight", gw_type_name(types[i]));
    gw_tensor_add(w, name, types[i], 2, d, seed + 17 * i, NULL);
  }
  uint64_t d1[1] = {7}, d3[3] = {64, 2, 3}, d4[4] = {32, 1, 2, 2};
  gw_tensor_add(w, "t.norm", GW_T_F32, 1, d1, seed + 1000, NULL);
  gw_tensor_add(w, "t.cube", GW_T_F16, 3, d3, seed + 1001, NULL);
  gw_tensor_add(w, "t.four", GW_T_Q8_0, 4, d4, seed + 1002, NULL);
}
