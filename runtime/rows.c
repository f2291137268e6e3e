/* Embedding row lookup (bitgen_fmt_more.h): row i of a packed matrix as
 * floats, what a decoder does with token_embd.  Reads only that row's
 * bytes; checks them as the format's unpack does. */
#include <math.h>

#include "bitgen_rt.h"

int bitgen_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
               size_t row, float *out) {
  if (f == NULL) return BITGEN_E_SIZE;
  if (f->kind == BITGEN_KIND_BLOCK) return bitgen_blk_row(f, M, K, prows, packed, packed_size, row, out);
  if (f->kind == BITGEN_KIND_FP) return bitgen_fp_row(f, M, K, prows, packed, packed_size, row, out);
  return BITGEN_E_SIZE; /* i2s / tl need their wscale: bitgen_i2s_row, bitgen_tl_row */
}

static int check_wscale(float wscale) {
  return isfinite(wscale) && wscale != 0.0f ? BITGEN_OK : BITGEN_E_VALUE;
}

/* i2s: chunk ch of row i at ((tile * K/128 + ch) * prows + i % prows) * 32;
 * byte p holds element 32f + p in bits 2f+1..2f, code w + 1. */
int bitgen_i2s_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, float wscale,
                   size_t row, float *out) {
  const uint8_t *in = packed;
  size_t want = bitgen_i2s_packed_size(M, K, prows), nch = K / BITGEN_I2S_BLOCK;
  if (packed == NULL || out == NULL) return BITGEN_E_NULL;
  if (want == 0 || packed_size != want || M > SIZE_MAX / K || row >= M) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  if (check_wscale(wscale) != BITGEN_OK) return BITGEN_E_VALUE;
  const uint8_t *base = in + (row / prows * nch * prows + row % prows) * 32;
  for (size_t ch = 0; ch < nch; ch++)
    for (size_t p = 0; p < 32; p++) {
      const uint8_t b = base[ch * prows * 32 + p];
      if (b & (b >> 1) & 0x55u) return BITGEN_E_VALUE; /* code 3 */
    }
  const float vals[3] = {-wscale, 0.0f, wscale};
  for (size_t ch = 0; ch < nch; ch++)
    for (size_t f = 0; f < 4; f++)
      for (size_t p = 0; p < 32; p++) out[ch * 128 + 32 * f + p] = vals[base[ch * prows * 32 + p] >> (2 * f) & 3];
  return BITGEN_OK;
}

/* tl: word j of row i at tile * tile_bytes + (j * prows + i % prows) * 2;
 * groups of three trits, index c0 + 3 c1 + 9 c2 in bits 5g..5g+4. */
int bitgen_tl_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, float wscale,
                  size_t row, float *out) {
  const uint8_t *in = packed;
  const size_t words = bitgen_tl_words(K), want = bitgen_tl_packed_size(M, K, prows);
  if (packed == NULL || out == NULL) return BITGEN_E_NULL;
  if (want == 0 || packed_size != want || M > SIZE_MAX / K || row >= M) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  if (check_wscale(wscale) != BITGEN_OK) return BITGEN_E_VALUE;
  const size_t tiles = M / prows + (M % prows != 0), tile = want / tiles;
  const uint8_t *base = in + row / prows * tile + row % prows * 2;
  for (size_t j = 0; j < words; j++) { /* as bitgen_tl_unpack: bit 15 clear, indices < 27, zeros past K */
    const unsigned w = (unsigned)base[j * prows * 2] | (unsigned)base[j * prows * 2 + 1] << 8;
    if (w >> 15) return BITGEN_E_VALUE;
    for (size_t g = 0; g < 3; g++) {
      unsigned idx = w >> (5 * g) & 31u;
      if (idx >= 27) return BITGEN_E_VALUE;
      for (size_t e = 0; e < 3; e++, idx /= 3)
        if (9 * j + 3 * g + e >= K && idx % 3 != 1) return BITGEN_E_VALUE;
    }
  }
  const float vals[3] = {-wscale, 0.0f, wscale};
  for (size_t j = 0; j < words; j++) {
    const unsigned w = (unsigned)base[j * prows * 2] | (unsigned)base[j * prows * 2 + 1] << 8;
    for (size_t g = 0; g < 3; g++) {
      unsigned idx = w >> (5 * g) & 31u;
      for (size_t e = 0; e < 3; e++, idx /= 3) {
        const size_t k = 9 * j + 3 * g + e;
        if (k < K) out[k] = vals[idx % 3];
      }
    }
  }
  return BITGEN_OK;
}
