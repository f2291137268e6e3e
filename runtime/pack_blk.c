/* Packers for the ggml block formats tq2_0, tq1_0, q4_0 and q8_0 (see
 * bitgen_fmt.h for the ggml block bytes and bitgen's tiled layout).
 *
 * Each format is a small codec: code bytes <-> integer values, plus ggml's
 * reference quantizer.  Every entry point validates all of its input before
 * writing anything, so on error the output buffers are left untouched.  A
 * NULL or non-block format is a shape error (BITGEN_E_SIZE), like K % block.
 * A non-finite f16 block scale is BITGEN_E_VALUE wherever one comes in or
 * goes out; a zero one is valid data (an all-zero block). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bitgen_rt.h"

#define TILE_ALIGN 64
#define MAX_BLOCK 256 /* largest block of the formats here */
#define MAX_GGUF 66   /* largest ggml block (tq2_0) */

typedef struct {
  const char *name;
  size_t d_off, q_off;                            /* f16 d and code bytes in the ggml block */
  void (*encode)(const int8_t *w, uint8_t *code); /* values in [vmin, vmax] -> code bytes */
  void (*decode)(const uint8_t *code, int8_t *w); /* code bytes -> values */
  int (*valid)(const uint8_t *code);              /* 0: the bytes hold an impossible code */
  float (*scale)(const float *x);                 /* ggml's f32 block scale d, before f16 */
  void (*quantize)(const float *x, float d, int8_t *w); /* ggml's reference quantizer, given d */
} codec;

/* ---- helpers shared by the quantizers ---- */

static float max_abs(const float *x, size_t n) {
  float amax = 0.0f;
  for (size_t j = 0; j < n; j++)
    if (fabsf(x[j]) > amax) amax = fabsf(x[j]);
  return amax;
}

/* The value of largest magnitude; the first one wins a tie, as in ggml. */
static float max_signed(const float *x, size_t n) {
  float amax = 0.0f, max = 0.0f;
  for (size_t j = 0; j < n; j++)
    if (fabsf(x[j]) > amax) {
      amax = fabsf(x[j]);
      max = x[j];
    }
  return max;
}

/* lroundf(v) for |v| < 1.5 (all a ternary quantizer sees, since |x| <= amax).
 * Outside it (id = 1/amax overflowed for a subnormal amax; the f16 scale is
 * then 0 anyway) clamp, and NaN gives 0, instead of ggml's undefined casts. */
static int8_t round_trit(float v) {
  if (v >= 0.5f) return 1;
  if (v <= -0.5f) return -1;
  return 0;
}

/* ---- tq2_0: 4 trits per byte, element 128c + 32f + m in qs[32c + m] bits 2f ---- */

static void tq2_encode(const int8_t *w, uint8_t *code) {
  for (size_t c = 0; c < 2; c++)
    for (size_t m = 0; m < 32; m++) {
      unsigned b = 0;
      for (unsigned f = 0; f < 4; f++) b |= (unsigned)(w[128 * c + 32 * f + m] + 1) << (2 * f);
      code[32 * c + m] = (uint8_t)b;
    }
}

static void tq2_decode(const uint8_t *code, int8_t *w) {
  for (size_t c = 0; c < 2; c++)
    for (size_t m = 0; m < 32; m++)
      for (unsigned f = 0; f < 4; f++) w[128 * c + 32 * f + m] = (int8_t)((code[32 * c + m] >> (2 * f) & 3) - 1);
}

/* A field is 3 iff both of its bits are set. */
static int tq2_valid(const uint8_t *code) {
  for (size_t p = 0; p < 64; p++)
    if (code[p] & (code[p] >> 1) & 0x55u) return 0;
  return 1;
}

/* d = amax, t = lroundf(x / d) via id = 1/d as ggml. */
static float tq_scale(const float *x) { return max_abs(x, 256); }

static void tq_quantize(const float *x, float amax, int8_t *w) {
  float id = amax != 0.0f ? 1.0f / amax : 0.0f;
  for (size_t j = 0; j < 256; j++) w[j] = round_trit(x[j] * id);
}

/* ---- tq1_0: 5 trits per byte as a base-3 fraction ---- */

static const uint8_t pow3[5] = {1, 3, 9, 27, 81};

/* ceil(v * 256 / 243): the top digit lands in the top bits of the byte. */
static uint8_t tq1_byte(unsigned v) { return (uint8_t)((v * 256 + 242) / 243); }

/* Digits n = 0..ndig-1 of w[0], w[stride], ... (most significant first),
 * padded with zero digits to five. */
static uint8_t tq1_pack(const int8_t *w, size_t stride, unsigned ndig) {
  unsigned v = 0;
  for (unsigned n = 0; n < 5; n++) v = v * 3 + (n < ndig ? (unsigned)(w[n * stride] + 1) : 0);
  return tq1_byte(v);
}

/* Multiplying by 3^n drops the n leading digits (mod 256); the next digit is
 * then the top third of the byte.  16-bit arithmetic, as ggml. */
static int8_t tq1_digit(uint8_t b, unsigned n) {
  uint16_t q = (uint8_t)(b * pow3[n]);
  return (int8_t)(((q * 3) >> 8) - 1);
}

static void tq1_encode(const int8_t *w, uint8_t *code) {
  for (size_t m = 0; m < 32; m++) code[m] = tq1_pack(w + m, 32, 5);
  for (size_t m = 0; m < 16; m++) code[32 + m] = tq1_pack(w + 160 + m, 16, 5);
  for (size_t j = 0; j < 4; j++) code[48 + j] = tq1_pack(w + 240 + j, 4, 4);
}

static void tq1_decode(const uint8_t *code, int8_t *w) {
  for (unsigned n = 0; n < 5; n++) {
    for (size_t m = 0; m < 32; m++) w[m + 32 * n] = tq1_digit(code[m], n);
    for (size_t m = 0; m < 16; m++) w[160 + m + 16 * n] = tq1_digit(code[32 + m], n);
  }
  for (unsigned n = 0; n < 4; n++)
    for (size_t j = 0; j < 4; j++) w[240 + j + 4 * n] = tq1_digit(code[48 + j], n);
}

/* Every byte decodes to digits 0..2. */
static int any_valid(const uint8_t *code) {
  (void)code;
  return 1;
}

/* ---- q4_0: q = value + 8; element j in the low nibble of qs[j % 16], j >= 16 high ---- */

static void q4_encode(const int8_t *w, uint8_t *code) {
  for (size_t j = 0; j < 16; j++) code[j] = (uint8_t)((w[j] + 8) | (w[j + 16] + 8) << 4);
}

static void q4_decode(const uint8_t *code, int8_t *w) {
  for (size_t j = 0; j < 16; j++) {
    w[j] = (int8_t)((code[j] & 15) - 8);
    w[j + 16] = (int8_t)((code[j] >> 4) - 8);
  }
}

/* ggml's q = MIN(15, (int8_t)(v)) for v = x*id + 8.5 (always in [0.49, 16.5]
 * for a normal id; clamped otherwise rather than an undefined cast). */
static int q4_code(float v) {
  if (!(v >= 0.0f)) return 0;
  if (v >= 15.0f) return 15;
  return (int)v;
}

static float q4_scale(const float *x) { return max_signed(x, 32) / -8.0f; }

static void q4_quantize(const float *x, float d, int8_t *w) {
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (size_t j = 0; j < 32; j++) w[j] = (int8_t)(q4_code(x[j] * id + 8.5f) - 8);
}

/* ---- q8_0: the codes are the values ---- */

static void q8_encode(const int8_t *w, uint8_t *code) { memcpy(code, w, 32); }

static void q8_decode(const uint8_t *code, int8_t *w) { memcpy(w, code, 32); }

/* roundf (ties away); |v| <= 127 for a normal id, clamped otherwise. */
static int8_t q8_code(float v) {
  if (!(v == v)) return 0;
  if (v >= 127.0f) return 127;
  if (v <= -128.0f) return -128;
  return (int8_t)roundf(v);
}

static float q8_scale(const float *x) { return max_abs(x, 32) / 127.0f; }

static void q8_quantize(const float *x, float d, int8_t *w) {
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (size_t j = 0; j < 32; j++) w[j] = q8_code(x[j] * id);
}

static const codec codecs[] = {
    {"tq2_0", 64, 0, tq2_encode, tq2_decode, tq2_valid, tq_scale, tq_quantize},
    {"tq1_0", 52, 0, tq1_encode, tq1_decode, any_valid, tq_scale, tq_quantize},
    {"q4_0", 0, 2, q4_encode, q4_decode, any_valid, q4_scale, q4_quantize},
    {"q8_0", 0, 2, q8_encode, q8_decode, any_valid, q8_scale, q8_quantize},
};

/* The codec of f, if f is one of the table's block formats (a caller's copy
 * must agree with the table, or the codec would read past a block). */
static const codec *find_codec(const bitgen_format *f) {
  const bitgen_format *ref;
  if (f == NULL || f->name == NULL || f->kind != BITGEN_KIND_BLOCK) return NULL;
  ref = bitgen_format_by_name(f->name);
  if (ref == NULL || ref->kind != BITGEN_KIND_BLOCK || f->block != ref->block || f->qbytes != ref->qbytes ||
      f->gguf_bytes != ref->gguf_bytes || f->vmin != ref->vmin || f->vmax != ref->vmax)
    return NULL;
  for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
    if (strcmp(codecs[i].name, f->name) == 0) return &codecs[i];
  return NULL;
}

/* q6_k (runtime/pack_q6k.c) shares the tiled layout but not the codec:
 * its sub-block scales make it a codec of its own.  The entry points below
 * forward it there, so callers treat every ggml block format alike. */
static int is_q6k(const bitgen_format *f) {
  return f != NULL && f->name != NULL && f->kind == BITGEN_KIND_BLOCK && strcmp(f->name, "q6_k") == 0 &&
         f->block == 256 && f->qbytes == BITGEN_Q6K_CODE && f->gguf_bytes == 210;
}

/* ---- geometry ---- */

typedef struct {
  const codec *c;
  size_t qbytes, gguf_bytes, block;
  size_t nblk;      /* blocks per row */
  size_t scale_off; /* scales within a tile */
  size_t tile;      /* bytes per tile, padded */
  size_t packed;    /* whole packed size (0 without need_prows) */
  size_t gguf;      /* M * nblk * gguf_bytes */
} geom;

/* Shape checks; need_prows 0 skips the packed layout (the gguf-only calls).
 * Also guarantees M*K and every offset fit in size_t. */
static int geometry(const bitgen_format *f, size_t M, size_t K, size_t prows, int need_prows, geom *g) {
  size_t tiles, per_blk;
  g->c = find_codec(f);
  if (g->c == NULL || M == 0 || K == 0 || K % f->block != 0 || M > SIZE_MAX / K) return BITGEN_E_SIZE;
  g->qbytes = f->qbytes;
  g->gguf_bytes = f->gguf_bytes;
  g->block = f->block;
  g->nblk = K / f->block;
  if (M > SIZE_MAX / g->nblk || M * g->nblk > SIZE_MAX / g->gguf_bytes) return BITGEN_E_SIZE;
  g->gguf = M * g->nblk * g->gguf_bytes;
  g->packed = g->tile = g->scale_off = 0;
  if (!need_prows) return BITGEN_OK;
  if (prows == 0) return BITGEN_E_SIZE;
  per_blk = g->qbytes + 2; /* code bytes and one f16 per row and block */
  if (prows > SIZE_MAX / per_blk || g->nblk > SIZE_MAX / (prows * per_blk)) return BITGEN_E_SIZE;
  g->tile = g->nblk * prows * per_blk;
  if (g->tile > SIZE_MAX - (TILE_ALIGN - 1)) return BITGEN_E_SIZE;
  g->tile = (g->tile + TILE_ALIGN - 1) / TILE_ALIGN * TILE_ALIGN;
  g->scale_off = g->nblk * prows * g->qbytes;
  tiles = M / prows + (M % prows != 0);
  if (tiles > SIZE_MAX / g->tile) return BITGEN_E_SIZE;
  g->packed = tiles * g->tile;
  return BITGEN_OK;
}

/* The packed side: exact size and alignment, as bitgen_i2s_*. */
static int check_packed(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                        size_t packed_size, geom *g) {
  int st = geometry(f, M, K, prows, 1, g);
  if (st != BITGEN_OK) return st;
  if (packed_size != g->packed) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  return BITGEN_OK;
}

static size_t code_offset(const geom *g, size_t prows, size_t i, size_t b) {
  return (i / prows) * g->tile + (b * prows + i % prows) * g->qbytes;
}

static size_t scale_offset(const geom *g, size_t prows, size_t i, size_t b) {
  return (i / prows) * g->tile + g->scale_off + (b * prows + i % prows) * 2;
}

size_t bitgen_blk_packed_size(const bitgen_format *f, size_t M, size_t K, size_t prows) {
  geom g;
  if (is_q6k(f)) return bitgen_q6k_packed_size(M, K, prows);
  return geometry(f, M, K, prows, 1, &g) == BITGEN_OK ? g.packed : 0;
}

size_t bitgen_blk_gguf_size(const bitgen_format *f, size_t M, size_t K) {
  geom g;
  if (is_q6k(f)) return bitgen_q6k_gguf_size(M, K);
  return geometry(f, M, K, 0, 0, &g) == BITGEN_OK ? g.gguf : 0;
}

/* ---- placing ggml blocks in the tiles ---- */

/* Block b of row i from ggml bytes (the f16 is little-endian on both sides). */
static void put_block(const geom *g, size_t prows, uint8_t *out, size_t i, size_t b, const uint8_t *blk) {
  memcpy(out + code_offset(g, prows, i, b), blk + g->c->q_off, g->qbytes);
  memcpy(out + scale_offset(g, prows, i, b), blk + g->c->d_off, 2);
}

static void get_block(const geom *g, size_t prows, const uint8_t *in, size_t i, size_t b, uint8_t *blk) {
  memcpy(blk + g->c->q_off, in + code_offset(g, prows, i, b), g->qbytes);
  memcpy(blk + g->c->d_off, in + scale_offset(g, prows, i, b), 2);
}

/* Values + f16 bits -> one ggml block. */
static void make_block(const geom *g, const int8_t *w, uint16_t d16, uint8_t *blk) {
  g->c->encode(w, blk + g->c->q_off);
  blk[g->c->d_off] = (uint8_t)(d16 & 0xffu);
  blk[g->c->d_off + 1] = (uint8_t)(d16 >> 8);
}

/* Tile padding is zero; padding rows get the codes of weight 0 (whatever the
 * encoder makes of them) and scale 0. */
static void put_padding(const geom *g, size_t M, size_t prows, uint8_t *out) {
  int8_t zeros[MAX_BLOCK] = {0};
  uint8_t blk[MAX_GGUF];
  size_t mpad = g->packed / g->tile * prows;
  make_block(g, zeros, 0, blk);
  memset(out, 0, g->packed);
  for (size_t i = M; i < mpad; i++)
    for (size_t b = 0; b < g->nblk; b++) put_block(g, prows, out, i, b, blk);
}

static uint16_t get_f16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- entry points ---- */

int bitgen_blk_pack_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const uint8_t *src,
                         size_t src_size, void *packed, size_t packed_size) {
  if (is_q6k(f)) return bitgen_q6k_pack_gguf(M, K, prows, src, src_size, packed, packed_size);
  geom g;
  int st;
  if (src == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (src_size < g.gguf) return BITGEN_E_SIZE; /* at least, as bitgen_i2s_pack_gguf */
  for (size_t o = 0; o < g.gguf; o += g.gguf_bytes)
    if (!g.c->valid(src + o + g.c->q_off) || bitgen_check_f16_scale(get_f16(src + o + g.c->d_off)) != BITGEN_OK)
      return BITGEN_E_VALUE;

  put_padding(&g, M, prows, packed);
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) put_block(&g, prows, packed, i, b, src + (i * g.nblk + b) * g.gguf_bytes);
  return BITGEN_OK;
}

/* Every real row's scales are finite (what the packers write). */
static int packed_scales_ok(const geom *g, size_t M, size_t prows, const uint8_t *in) {
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g->nblk; b++)
      if (bitgen_check_f16_scale(get_f16(in + scale_offset(g, prows, i, b))) != BITGEN_OK) return 0;
  return 1;
}

/* Padding rows are not read; a non-finite scale is BITGEN_E_VALUE (checked
 * before dst is written). */
int bitgen_blk_export_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                           size_t packed_size, uint8_t *dst, size_t dst_size) {
  if (is_q6k(f)) return bitgen_q6k_export_gguf(M, K, prows, packed, packed_size, dst, dst_size);
  geom g;
  int st;
  if (packed == NULL || dst == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (dst_size < g.gguf) return BITGEN_E_SIZE;
  if (!packed_scales_ok(&g, M, prows, packed)) return BITGEN_E_VALUE;
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) get_block(&g, prows, packed, i, b, dst + (i * g.nblk + b) * g.gguf_bytes);
  return BITGEN_OK;
}

/* Each block is quantized to ggml bytes, then placed as bitgen_blk_pack_gguf
 * would place them.  Non-finite weights, and finite ones whose block scale
 * overflows f16 (ggml would write an Inf scale), are rejected before
 * anything is written. */
int bitgen_blk_pack_f32(const bitgen_format *f, size_t M, size_t K, size_t prows, const float *w, void *packed,
                        size_t packed_size) {
  if (is_q6k(f)) return bitgen_q6k_pack_f32(M, K, prows, w, packed, packed_size);
  geom g;
  int8_t vals[MAX_BLOCK];
  uint8_t blk[MAX_GGUF];
  uint16_t d16;
  int st;
  if (w == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++)
    if (!isfinite(w[e])) return BITGEN_E_VALUE;
  for (size_t n = 0; n < M * g.nblk; n++) /* K % block == 0: the blocks of w in order */
    if (bitgen_check_f16_scale(bitgen_f32_to_f16(g.c->scale(w + n * g.block))) != BITGEN_OK) return BITGEN_E_VALUE;

  put_padding(&g, M, prows, packed);
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) {
      const float *x = w + i * K + b * g.block;
      const float d = g.c->scale(x);
      g.c->quantize(x, d, vals);
      d16 = bitgen_f32_to_f16(d);
      make_block(&g, vals, d16, blk);
      put_block(&g, prows, packed, i, b, blk);
    }
  return BITGEN_OK;
}

int bitgen_blk_encode_gguf(const bitgen_format *f, size_t M, size_t K, const int8_t *w, const uint16_t *d16,
                           uint8_t *dst, size_t dst_size) {
  geom g;
  int st;
  if (w == NULL || d16 == NULL || dst == NULL) return BITGEN_E_NULL;
  if ((st = geometry(f, M, K, 0, 0, &g)) != BITGEN_OK) return st;
  if (dst_size < g.gguf) return BITGEN_E_SIZE;
  for (size_t e = 0; e < M * K; e++)
    if (w[e] < f->vmin || w[e] > f->vmax) return BITGEN_E_VALUE;
  for (size_t n = 0; n < M * g.nblk; n++)
    if (bitgen_check_f16_scale(d16[n]) != BITGEN_OK) return BITGEN_E_VALUE;
  /* K % block == 0: the blocks of the rows are the consecutive blocks of w. */
  for (size_t n = 0; n < M * g.nblk; n++) make_block(&g, w + n * g.block, d16[n], dst + n * g.gguf_bytes);
  return BITGEN_OK;
}

/* Padding rows are not read.  tq2_0 code 3 and a non-finite scale are
 * BITGEN_E_VALUE (checked before w or d is written). */
int bitgen_blk_unpack(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                      size_t packed_size, int8_t *w, float *d) {
  const uint8_t *in = packed;
  geom g;
  int st;
  if (packed == NULL || w == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++)
      if (!g.c->valid(in + code_offset(&g, prows, i, b))) return BITGEN_E_VALUE;
  if (!packed_scales_ok(&g, M, prows, in)) return BITGEN_E_VALUE;

  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) {
      g.c->decode(in + code_offset(&g, prows, i, b), w + i * K + b * g.block);
      if (d != NULL) d[i * g.nblk + b] = bitgen_f16_to_f32(get_f16(in + scale_offset(&g, prows, i, b)));
    }
  return BITGEN_OK;
}

/* One row of dequantized values, (float)w * d as ggml's dequantize_row_*;
 * q6_k has its own (bitgen_q6k_row).  Checks as bitgen_blk_unpack, for
 * that row only. */
int bitgen_blk_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
                   size_t row, float *out) {
  const uint8_t *in = packed;
  int8_t vals[MAX_BLOCK];
  geom g;
  int st;
  if (is_q6k(f)) return bitgen_q6k_row(M, K, prows, packed, packed_size, row, out);
  if (packed == NULL || out == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (row >= M) return BITGEN_E_SIZE;
  for (size_t b = 0; b < g.nblk; b++)
    if (!g.c->valid(in + code_offset(&g, prows, row, b)) ||
        bitgen_check_f16_scale(get_f16(in + scale_offset(&g, prows, row, b))) != BITGEN_OK)
      return BITGEN_E_VALUE;
  for (size_t b = 0; b < g.nblk; b++) {
    const float d = bitgen_f16_to_f32(get_f16(in + scale_offset(&g, prows, row, b)));
    g.c->decode(in + code_offset(&g, prows, row, b), vals);
    for (size_t e = 0; e < g.block; e++) out[b * g.block + e] = (float)vals[e] * d;
  }
  return BITGEN_OK;
}
