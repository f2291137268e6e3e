/* libFuzzer target: the two packers that read BitNet I2_S tensor bytes,
 * bitgen_i2s_pack_gguf and bitgen_tl_pack_gguf, on arbitrary bytes.
 *
 * Input: 4 header bytes, then the tensor bytes (src, in an allocation of
 * exactly their length, so that a read past src_size is an ASan error).
 *   h[0] % 8 + 1 = M,  h[1] % 4 + 1 = K / 128,  h[2] % 40 + 1 = prows,
 *   h[3] % 128 = extra elements added to K for tl only (K % 128 != 0 is a
 *   size error for an I2_S source).
 * The harness computes the status each packer must return from the bytes
 * (E_SIZE, then E_VALUE for a code 3 or a scale that is not finite or is
 * zero, else OK) and checks it; on an error nothing is written; on success
 * the packed bytes are the documented layout of the decoded weights (i2s:
 * built here from bitgen_rt.h's description; tl: bitgen_tl_pack_ternary of
 * the same weights, and bitgen_tl_unpack gives them back). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

#define REQUIRE(c)                                                                  \
  do {                                                                              \
    if (!(c)) {                                                                     \
      fprintf(stderr, "fuzz_pack_ternary: %s:%d: %s\n", __FILE__, __LINE__, #c); \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* Element e of the I2_S source: block e/128 is 32 bytes, byte p holds
 * elements p, p+32, p+64, p+96 in bits 7:6, 5:4, 3:2, 1:0. */
static int code_at(const uint8_t *src, size_t e) {
  size_t r = e % 128;
  return src[e / 128 * 32 + r % 32] >> (6 - 2 * (r / 32)) & 3;
}

/* The status the packers owe this input, in their documented order. */
static int expected(const uint8_t *src, size_t n, size_t M, size_t K, float *scale) {
  size_t codes = M * K / 4;
  uint32_t bits = 0;
  if (K % 128 != 0 || n < codes + 4) return BITGEN_E_SIZE;
  for (size_t e = 0; e < M * K; e++)
    if (code_at(src, e) == 3) return BITGEN_E_VALUE;
  for (int i = 0; i < 4; i++) bits |= (uint32_t)src[codes + (size_t)i] << (8 * i);
  memcpy(scale, &bits, sizeof bits);
  if (!isfinite(*scale) || *scale == 0.0f) return BITGEN_E_VALUE;
  return BITGEN_OK;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

static void check_i2s(const uint8_t *src, size_t n, size_t M, size_t K, size_t prows) {
  const size_t size = bitgen_i2s_packed_size(M, K, prows), nch = K / 128;
  uint8_t *packed = bitgen_alloc(size), *want = malloc(size);
  float scale = 7.0f, want_scale = 0.0f;
  int8_t *w = malloc(M * K);
  REQUIRE(packed && want && w);
  memset(packed, 0xA7, size);
  const int st = bitgen_i2s_pack_gguf(M, K, prows, src, n, packed, size, &scale);
  REQUIRE(st == expected(src, n, M, K, &want_scale));
  if (st != BITGEN_OK) {
    REQUIRE(all_bytes(packed, size, 0xA7) && scale == 7.0f);
  } else {
    /* bitgen_rt.h: chunk ch of row i (tile i/prows, row i%prows) is 32 bytes at
     * ((tile*nch + ch)*prows + i%prows)*32; byte p holds element 32f + p of the
     * chunk in bits 2f+1:2f; padding rows hold code 1 (0x55). */
    memset(want, 0x55, size);
    for (size_t i = 0; i < M; i++)
      for (size_t ch = 0; ch < nch; ch++)
        for (size_t p = 0; p < 32; p++) {
          unsigned b = 0;
          for (unsigned f = 0; f < 4; f++) b |= (unsigned)code_at(src, i * K + ch * 128 + 32 * f + p) << (2 * f);
          want[((i / prows * nch + ch) * prows + i % prows) * 32 + p] = (uint8_t)b;
        }
    REQUIRE(memcmp(packed, want, size) == 0);
    REQUIRE(memcmp(&scale, &want_scale, sizeof scale) == 0);
    REQUIRE(bitgen_i2s_unpack(M, K, prows, packed, size, w) == BITGEN_OK);
    for (size_t e = 0; e < M * K; e++) REQUIRE(w[e] == code_at(src, e) - 1);
  }
  bitgen_free(packed);
  free(want);
  free(w);
}

static void check_tl(const uint8_t *src, size_t n, size_t M, size_t K, size_t prows) {
  const size_t size = bitgen_tl_packed_size(M, K, prows);
  uint8_t *packed = bitgen_alloc(size), *again = bitgen_alloc(size);
  float scale = 7.0f, want_scale = 0.0f;
  int8_t *w = malloc(M * K), *back = malloc(M * K);
  REQUIRE(packed && again && w && back);
  memset(packed, 0xA7, size);
  const int st = bitgen_tl_pack_gguf(M, K, prows, src, n, packed, size, &scale);
  REQUIRE(st == expected(src, n, M, K, &want_scale));
  if (st != BITGEN_OK) {
    REQUIRE(all_bytes(packed, size, 0xA7) && scale == 7.0f);
  } else {
    for (size_t e = 0; e < M * K; e++) w[e] = (int8_t)(code_at(src, e) - 1);
    REQUIRE(bitgen_tl_pack_ternary(M, K, prows, w, again, size) == BITGEN_OK);
    REQUIRE(memcmp(packed, again, size) == 0);
    REQUIRE(memcmp(&scale, &want_scale, sizeof scale) == 0);
    REQUIRE(bitgen_tl_unpack(M, K, prows, packed, size, back) == BITGEN_OK);
    REQUIRE(memcmp(back, w, M * K) == 0);
  }
  bitgen_free(packed);
  bitgen_free(again);
  free(w);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  const size_t M = data[0] % 8 + 1, K = (size_t)(data[1] % 4 + 1) * 128, prows = data[2] % 40 + 1;
  const size_t n = size - 4;
  uint8_t *src = malloc(n ? n : 1);
  REQUIRE(src);
  memcpy(src, data + 4, n);
  check_i2s(src, n, M, K, prows);
  check_tl(src, n, M, K + data[3] % 128, prows);
  free(src);
  return 0;
}
