/* Packers for the bitgen "i2s" layout (see bitgen_rt.h).
 *
 * Every packer validates all of its input before writing anything, so on
 * error the output buffers are left untouched. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bitgen_rt.h"

#define CHUNK_BYTES (BITGEN_I2S_BLOCK / 4) /* 32 bytes per row per chunk */
#define ZERO_BYTE 0x55u                    /* four codes of 1 (weight 0) */

/* 0 when the shape is invalid or the size does not fit in size_t. */
size_t bitgen_i2s_packed_size(size_t M, size_t K, size_t prows) {
  size_t tiles, rows;
  if (M == 0 || K == 0 || prows == 0 || K % BITGEN_I2S_BLOCK != 0) return 0;
  tiles = M / prows + (M % prows != 0);
  if (tiles > SIZE_MAX / prows) return 0;
  rows = tiles * prows;
  if (rows > SIZE_MAX / (K / 4)) return 0;
  return rows * (K / 4);
}

/* Shape, size and alignment checks shared by all four entry points. */
static int check_packed(size_t M, size_t K, size_t prows, const void *packed,
                        size_t packed_size) {
  size_t want = bitgen_i2s_packed_size(M, K, prows);
  if (want == 0 || packed_size != want) return BITGEN_E_SIZE;
  if (M > SIZE_MAX / K) return BITGEN_E_SIZE; /* M*K elements must be countable */
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  return BITGEN_OK;
}

/* Where row i's 32 bytes of chunk ch start. */
static size_t chunk_offset(size_t K, size_t prows, size_t i, size_t ch) {
  size_t nch = K / BITGEN_I2S_BLOCK;
  size_t tile = i / prows, r = i % prows;
  return ((tile * nch + ch) * prows + r) * CHUNK_BYTES;
}

/* codes: 128 codes of one row chunk -> its 32 packed bytes. */
static void put_chunk(uint8_t *dst, const uint8_t *codes) {
  for (size_t p = 0; p < CHUNK_BYTES; p++)
    dst[p] = (uint8_t)(codes[p] | codes[p + 32] << 2 | codes[p + 64] << 4 | codes[p + 96] << 6);
}

/* Rows M..Mpad-1 of the last tile hold weight 0. */
static void put_padding(uint8_t *out, size_t M, size_t K, size_t prows) {
  size_t mpad = bitgen_i2s_packed_size(M, K, prows) / (K / 4);
  for (size_t i = M; i < mpad; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++)
      memset(out + chunk_offset(K, prows, i, ch), ZERO_BYTE, CHUNK_BYTES);
}

int bitgen_i2s_pack_ternary(size_t M, size_t K, size_t prows, const int8_t *w,
                            void *packed, size_t packed_size) {
  uint8_t *out = packed;
  uint8_t codes[BITGEN_I2S_BLOCK];
  int st;
  if (w == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++)
    if (w[e] < -1 || w[e] > 1) return BITGEN_E_VALUE;

  for (size_t i = 0; i < M; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++) {
      const int8_t *src = w + i * K + ch * BITGEN_I2S_BLOCK;
      for (size_t j = 0; j < BITGEN_I2S_BLOCK; j++) codes[j] = (uint8_t)(src[j] + 1);
      put_chunk(out + chunk_offset(K, prows, i, ch), codes);
    }
  put_padding(out, M, K, prows);
  return BITGEN_OK;
}

/* BitNet absmean, computed exactly as follows:
 *   gamma = (float)(sum |W| / (M*K)), the sum and division in double;
 *   t = W / gamma as a float division; w_t = nearbyintf(t) clamped to
 *   [-1, 1].  nearbyintf rounds in the current FP rounding mode, which is
 *   round-half-to-even unless the caller changed it; so 0.5*gamma -> 0 and
 *   1.5*gamma -> 2 -> 1.
 * If gamma is 0 as a float (all-zero matrix, or a mean that underflows)
 * the matrix has no usable scale: BITGEN_E_VALUE, as a zero scale is
 * everywhere else (docs/DESIGN.md, "Caller contracts"). */
int bitgen_i2s_pack_f32(size_t M, size_t K, size_t prows, const float *w,
                        void *packed, size_t packed_size, float *scale) {
  uint8_t *out = packed;
  uint8_t codes[BITGEN_I2S_BLOCK];
  double sum = 0.0;
  float gamma;
  int st;
  if (w == NULL || packed == NULL || scale == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++) {
    if (!isfinite(w[e])) return BITGEN_E_VALUE;
    sum += fabs((double)w[e]);
  }
  gamma = (float)(sum / (double)(M * K));
  if (gamma == 0.0f) return BITGEN_E_VALUE; /* all zero (or an underflowing mean): no scale */

  for (size_t i = 0; i < M; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++) {
      const float *src = w + i * K + ch * BITGEN_I2S_BLOCK;
      for (size_t j = 0; j < BITGEN_I2S_BLOCK; j++) {
        float t = nearbyintf(src[j] / gamma);
        if (t > 1.0f) t = 1.0f;
        if (t < -1.0f) t = -1.0f;
        codes[j] = (uint8_t)((int)t + 1);
      }
      put_chunk(out + chunk_offset(K, prows, i, ch), codes);
    }
  put_padding(out, M, K, prows);
  *scale = gamma;
  return BITGEN_OK;
}

/* A canonical I2_S byte holds its four elements in the opposite field
 * order to ours (element p in bits 7:6 there, 1:0 here), and a 128-element
 * block of the row-major array is exactly one row chunk (K % 128 == 0):
 * each source byte maps to one packed byte with its 2-bit fields reversed. */
static uint8_t reverse_fields(uint8_t b) {
  return (uint8_t)((b & 0x03u) << 6 | (b & 0x0Cu) << 2 | (b & 0x30u) >> 2 | (b & 0xC0u) >> 6);
}

int bitgen_i2s_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src,
                         size_t src_size, void *packed, size_t packed_size, float *scale) {
  uint8_t *out = packed;
  size_t code_bytes;
  float s;
  int st;
  if (src == NULL || packed == NULL || scale == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  code_bytes = M * K / 4;
  if (code_bytes > SIZE_MAX - sizeof(float) || src_size < code_bytes + sizeof(float))
    return BITGEN_E_SIZE;
  /* A byte has a field equal to 3 iff some pair has both bits set. */
  for (size_t b = 0; b < code_bytes; b++)
    if (src[b] & (src[b] >> 1) & 0x55u) return BITGEN_E_VALUE;
  /* GGUF is little-endian: assemble the bits, then reinterpret them. */
  {
    const uint8_t *sb = src + code_bytes;
    uint32_t bits = (uint32_t)sb[0] | (uint32_t)sb[1] << 8 | (uint32_t)sb[2] << 16 |
                    (uint32_t)sb[3] << 24;
    memcpy(&s, &bits, sizeof s);
  }
  if (!isfinite(s) || s == 0.0f) return BITGEN_E_VALUE; /* no usable per-tensor scale */

  for (size_t i = 0; i < M; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++) {
      const uint8_t *blk = src + (i * K + ch * BITGEN_I2S_BLOCK) / 4;
      uint8_t *dst = out + chunk_offset(K, prows, i, ch);
      for (size_t p = 0; p < CHUNK_BYTES; p++) dst[p] = reverse_fields(blk[p]);
    }
  put_padding(out, M, K, prows);
  *scale = s;
  return BITGEN_OK;
}

/* Padding rows are not read.  A code 3 in a real row is BITGEN_E_VALUE
 * (checked before w is written). */
int bitgen_i2s_unpack(size_t M, size_t K, size_t prows, const void *packed,
                      size_t packed_size, int8_t *w) {
  const uint8_t *in = packed;
  int st;
  if (packed == NULL || w == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size)) != BITGEN_OK) return st;
  for (size_t i = 0; i < M; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++) {
      const uint8_t *b = in + chunk_offset(K, prows, i, ch);
      for (size_t p = 0; p < CHUNK_BYTES; p++)
        if (b[p] & (b[p] >> 1) & 0x55u) return BITGEN_E_VALUE;
    }

  for (size_t i = 0; i < M; i++)
    for (size_t ch = 0; ch < K / BITGEN_I2S_BLOCK; ch++) {
      const uint8_t *b = in + chunk_offset(K, prows, i, ch);
      int8_t *dst = w + i * K + ch * BITGEN_I2S_BLOCK;
      for (size_t f = 0; f < 4; f++)
        for (size_t p = 0; p < CHUNK_BYTES; p++)
          dst[32 * f + p] = (int8_t)((b[p] >> (2 * f) & 3) - 1);
    }
  return BITGEN_OK;
}
