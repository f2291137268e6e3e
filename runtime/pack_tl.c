/* Packers for the bitgen "tl" table-lookup layout (see bitgen_fmt.h).
 *
 * As in pack_i2s.c, every packer validates all of its input before writing
 * anything, so on error the output buffers are left untouched.  Each one
 * turns a row into ternary values and hands it to put_row; the f32 and
 * GGUF packers decode one row at a time into a bitgen_alloc'ed buffer. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bitgen_rt.h"

#define TL_GROUP 3       /* elements per group (one table index) */
#define TL_WORD_ELEMS 9  /* elements per 16-bit word (three groups) */
#define TL_ZERO_INDEX 13 /* trits 1,1,1: three zero weights */
#define TL_ZERO_WORD (TL_ZERO_INDEX | TL_ZERO_INDEX << 5 | TL_ZERO_INDEX << 10)
#define TL_TILE_ALIGN 64

size_t bitgen_tl_words(size_t K) { return K / TL_WORD_ELEMS + (K % TL_WORD_ELEMS != 0); }

/* Bytes of one pack tile; 0 when it does not fit in size_t. */
static size_t tile_bytes(size_t K, size_t prows) {
  size_t words = bitgen_tl_words(K), raw;
  if (prows > SIZE_MAX / 2 / words) return 0;
  raw = words * prows * 2;
  if (raw > SIZE_MAX - (TL_TILE_ALIGN - 1)) return 0;
  return (raw + TL_TILE_ALIGN - 1) / TL_TILE_ALIGN * TL_TILE_ALIGN;
}

/* 0 when the shape is invalid or the size does not fit in size_t. */
size_t bitgen_tl_packed_size(size_t M, size_t K, size_t prows) {
  size_t tiles, tb;
  if (M == 0 || K == 0 || prows == 0) return 0;
  if ((tb = tile_bytes(K, prows)) == 0) return 0;
  tiles = M / prows + (M % prows != 0);
  if (tiles > SIZE_MAX / tb) return 0;
  return tiles * tb;
}

/* Shape, size and alignment checks shared by all entry points. */
static int check_packed(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size) {
  size_t want = bitgen_tl_packed_size(M, K, prows);
  if (want == 0 || packed_size != want) return BITGEN_E_SIZE;
  if (M > SIZE_MAX / K) return BITGEN_E_SIZE; /* M*K elements must be countable */
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  return BITGEN_OK;
}

/* Byte offset of word j of row i. */
static size_t word_offset(size_t K, size_t prows, size_t i, size_t j) {
  return i / prows * tile_bytes(K, prows) + (j * prows + i % prows) * 2;
}

static void put_word(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v & 0xFFu); /* little-endian on every host */
  p[1] = (uint8_t)(v >> 8);
}

static unsigned get_word(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* Word j of a row of K ternary values; elements past K are zero weights. */
static unsigned encode_word(const int8_t *row, size_t K, size_t j) {
  unsigned word = 0;
  for (size_t f = 0; f < 3; f++) {
    unsigned idx = 0, pow3 = 1;
    for (size_t i = 0; i < TL_GROUP; i++, pow3 *= 3) {
      size_t k = j * TL_WORD_ELEMS + f * TL_GROUP + i;
      idx += (unsigned)((k < K ? row[k] : 0) + 1) * pow3;
    }
    word |= idx << (5 * f);
  }
  return word;
}

static void put_row(uint8_t *out, size_t K, size_t prows, size_t i, const int8_t *row) {
  size_t words = bitgen_tl_words(K);
  for (size_t j = 0; j < words; j++) put_word(out + word_offset(K, prows, i, j), encode_word(row, K, j));
}

/* Rows M..Mpad-1 hold zero weights; the tile tails (alignment) are 0. */
static void put_padding(uint8_t *out, size_t M, size_t K, size_t prows) {
  size_t words = bitgen_tl_words(K), tb = tile_bytes(K, prows);
  size_t tiles = bitgen_tl_packed_size(M, K, prows) / tb;
  for (size_t i = M; i < tiles * prows; i++)
    for (size_t j = 0; j < words; j++) put_word(out + word_offset(K, prows, i, j), TL_ZERO_WORD);
  for (size_t t = 0; t < tiles; t++) memset(out + t * tb + words * prows * 2, 0, tb - words * prows * 2);
}

int bitgen_tl_pack_ternary(size_t M, size_t K, size_t prows, const int8_t *w, void *packed,
                           size_t packed_size) {
  int st;
  if (w == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++)
    if (w[e] < -1 || w[e] > 1) return BITGEN_E_VALUE;
  for (size_t i = 0; i < M; i++) put_row(packed, K, prows, i, w + i * K);
  put_padding(packed, M, K, prows);
  return BITGEN_OK;
}

/* BitNet absmean, step for step as bitgen_i2s_pack_f32 (see its comment)
 * so that both packers give the same ternary weights and scale. */
static int8_t absmean_trit(float x, float gamma) {
  float t = nearbyintf(x / gamma); /* gamma > 0 */
  if (t > 1.0f) t = 1.0f;
  if (t < -1.0f) t = -1.0f;
  return (int8_t)t;
}

int bitgen_tl_pack_f32(size_t M, size_t K, size_t prows, const float *w, void *packed, size_t packed_size,
                       float *scale) {
  double sum = 0.0;
  float gamma;
  int8_t *row;
  int st;
  if (w == NULL || packed == NULL || scale == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++) {
    if (!isfinite(w[e])) return BITGEN_E_VALUE;
    sum += fabs((double)w[e]);
  }
  gamma = (float)(sum / (double)(M * K));
  if (gamma == 0.0f) return BITGEN_E_VALUE; /* all zero (or an underflowing mean): no scale */
  if ((row = bitgen_alloc(K)) == NULL) return BITGEN_E_NOMEM;

  for (size_t i = 0; i < M; i++) {
    for (size_t k = 0; k < K; k++) row[k] = absmean_trit(w[i * K + k], gamma);
    put_row(packed, K, prows, i, row);
  }
  put_padding(packed, M, K, prows);
  bitgen_free(row);
  *scale = gamma;
  return BITGEN_OK;
}

/* Canonical I2_S: block b of 128 elements is bytes 32b..32b+31; byte p
 * holds element p in bits 7:6, p+32 in 5:4, p+64 in 3:2, p+96 in 1:0. */
static int i2s_code(const uint8_t *src, size_t e) {
  size_t r = e % BITGEN_I2S_BLOCK;
  uint8_t b = src[e / BITGEN_I2S_BLOCK * 32 + r % 32];
  return b >> (6 - 2 * (r / 32)) & 3;
}

int bitgen_tl_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src, size_t src_size, void *packed,
                        size_t packed_size, float *scale) {
  size_t code_bytes;
  int8_t *row;
  float s;
  int st;
  if (src == NULL || packed == NULL || scale == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  if (K % BITGEN_I2S_BLOCK != 0) return BITGEN_E_SIZE;
  code_bytes = M * K / 4;
  if (code_bytes > SIZE_MAX - sizeof(float) || src_size < code_bytes + sizeof(float)) return BITGEN_E_SIZE;
  /* A byte has a field equal to 3 iff some pair has both bits set. */
  for (size_t b = 0; b < code_bytes; b++)
    if (src[b] & (src[b] >> 1) & 0x55u) return BITGEN_E_VALUE;
  {
    /* GGUF is little-endian: assemble the bits, then reinterpret them. */
    const uint8_t *sb = src + code_bytes;
    uint32_t bits = (uint32_t)sb[0] | (uint32_t)sb[1] << 8 | (uint32_t)sb[2] << 16 | (uint32_t)sb[3] << 24;
    memcpy(&s, &bits, sizeof s);
  }
  if (!isfinite(s) || s == 0.0f) return BITGEN_E_VALUE; /* no usable per-tensor scale */
  if ((row = bitgen_alloc(K)) == NULL) return BITGEN_E_NOMEM;

  for (size_t i = 0; i < M; i++) {
    for (size_t k = 0; k < K; k++) row[k] = (int8_t)(i2s_code(src, i * K + k) - 1);
    put_row(packed, K, prows, i, row);
  }
  put_padding(packed, M, K, prows);
  bitgen_free(row);
  *scale = s;
  return BITGEN_OK;
}

/* A word of a real row is valid when bit 15 is clear, every index is below
 * 27 and the elements past K are zero weights (what put_row writes).  The
 * padding rows are not read. */
static int word_valid(unsigned word, size_t K, size_t j) {
  if (word >> 15) return 0;
  for (size_t f = 0; f < 3; f++) {
    unsigned idx = word >> (5 * f) & 31u;
    if (idx >= 27) return 0;
    for (size_t i = 0; i < TL_GROUP; i++, idx /= 3)
      if (j * TL_WORD_ELEMS + f * TL_GROUP + i >= K && idx % 3 != 1) return 0;
  }
  return 1;
}

int bitgen_tl_unpack(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, int8_t *w) {
  const uint8_t *in = packed;
  size_t words = bitgen_tl_words(K);
  int st;
  if (packed == NULL || w == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t i = 0; i < M; i++)
    for (size_t j = 0; j < words; j++)
      if (!word_valid(get_word(in + word_offset(K, prows, i, j)), K, j)) return BITGEN_E_VALUE;

  for (size_t i = 0; i < M; i++)
    for (size_t j = 0; j < words; j++) {
      unsigned word = get_word(in + word_offset(K, prows, i, j));
      for (size_t f = 0; f < 3; f++) {
        unsigned idx = word >> (5 * f) & 31u;
        for (size_t e = 0; e < TL_GROUP; e++, idx /= 3) {
          size_t k = j * TL_WORD_ELEMS + f * TL_GROUP + e;
          if (k < K) w[i * K + k] = (int8_t)((int)(idx % 3) - 1);
        }
      }
    }
  return BITGEN_OK;
}
