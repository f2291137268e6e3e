/* libFuzzer target: bitgen_blk_pack_gguf of q6_k (ggml Q6_K super-blocks,
 * bitgen_fmt_more.h) on arbitrary bytes.
 *
 * Input: 3 header bytes, then the block bytes (src, in an allocation of
 * exactly their length, so that a read past src_size is an ASan error).
 *   h[0] % 8 + 1 = M,  h[1] % 3 + 1 = blocks per row,  h[2] % 40 + 1 = prows.
 * Expected status: E_SIZE for a short source, then E_VALUE for an f16 d with
 * exponent 31 (Inf/NaN), else OK (every code and sub-scale byte is a value).
 * On an error nothing is written; on success export gives the bytes back,
 * unpack gives q in [-32, 31], the sub-scales and d as read here from the
 * bytes, q / sub-scales / d re-encode to the same bytes (the codes are one
 * to one), and the reference accepts them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

#define REQUIRE(c)                                                                 \
  do {                                                                             \
    if (!(c)) {                                                                    \
      fprintf(stderr, "fuzz_pack_q6k: %s:%d: %s\n", __FILE__, __LINE__, #c);     \
      abort();                                                                     \
    }                                                                              \
  } while (0)

enum { QK = 256, BLK = 210, SC_AT = 192, D_AT = 208 };

static uint16_t f16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static float f16_value(uint16_t h) {
  const int e = h >> 10 & 31, m = h & 1023;
  const float mag = e == 0 ? ldexpf((float)m, -24) : ldexpf((float)(1024 + m), e - 25);
  return h & 0x8000 ? -mag : mag;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const bitgen_format *f = bitgen_format_by_name("q6_k");
  REQUIRE(f != NULL);
  if (size < 3) return 0;
  const size_t M = data[0] % 8 + 1, nblk = data[1] % 3 + 1, prows = data[2] % 40 + 1, K = nblk * QK;
  const size_t n = size - 3, nb = M * nblk, gsize = nb * BLK, psize = bitgen_blk_packed_size(f, M, K, prows);
  REQUIRE(psize > 0 && bitgen_blk_gguf_size(f, M, K) == gsize);
  uint8_t *src = malloc(n ? n : 1), *packed = bitgen_alloc(psize), *out = malloc(gsize), *re = malloc(gsize);
  int8_t *q = malloc(M * K), *sc = malloc(M * K / 16), *a = malloc(K);
  float *d = malloc(nb * sizeof *d), *ad = malloc(nblk * sizeof *ad), *y = malloc(M * sizeof *y);
  uint16_t *d16 = malloc(nb * sizeof *d16);
  REQUIRE(src && packed && out && re && q && sc && a && d && ad && y && d16);
  memcpy(src, data + 3, n);
  memset(packed, 0xA7, psize);

  int want = BITGEN_OK;
  if (n < gsize) {
    want = BITGEN_E_SIZE;
  } else {
    for (size_t b = 0; b < nb; b++)
      if ((f16_at(src + b * BLK + D_AT) & 0x7c00) == 0x7c00) want = BITGEN_E_VALUE;
  }
  const int st = bitgen_blk_pack_gguf(f, M, K, prows, src, n, packed, psize);
  REQUIRE(st == want);
  if (st != BITGEN_OK) {
    for (size_t i = 0; i < psize; i++) REQUIRE(packed[i] == 0xA7);
  } else {
    REQUIRE(bitgen_blk_export_gguf(f, M, K, prows, packed, psize, out, gsize) == BITGEN_OK);
    REQUIRE(memcmp(out, src, gsize) == 0);
    REQUIRE(bitgen_q6k_unpack(M, K, prows, packed, psize, q, sc, d) == BITGEN_OK);
    for (size_t e = 0; e < M * K; e++) REQUIRE(q[e] >= -32 && q[e] <= 31);
    for (size_t b = 0; b < nb; b++) {
      const float dv = f16_value(d16[b] = f16_at(src + b * BLK + D_AT));
      REQUIRE(memcmp(&d[b], &dv, sizeof dv) == 0);
      for (size_t j = 0; j < 16; j++) REQUIRE(sc[b * 16 + j] == (int8_t)src[b * BLK + SC_AT + j]);
    }
    REQUIRE(bitgen_q6k_encode_gguf(M, K, q, sc, d16, re, gsize) == BITGEN_OK);
    REQUIRE(memcmp(re, src, gsize) == 0);
    for (size_t k = 0; k < K; k++) a[k] = (int8_t)(k * 37 + 11);
    for (size_t b = 0; b < nblk; b++) ad[b] = b % 2 ? -0.5f : 0.25f;
    REQUIRE(bitgen_ref_q6k(M, K, q, sc, d, a, ad, 1, y) == BITGEN_OK);
  }
  free(src), bitgen_free(packed), free(out), free(re), free(q), free(sc), free(a), free(d), free(ad), free(y);
  free(d16);
  return 0;
}
