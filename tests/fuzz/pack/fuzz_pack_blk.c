/* libFuzzer target: bitgen_blk_pack_gguf of one ggml block format
 * (-DFUZZ_FORMAT="tq2_0", "tq1_0", "q4_0" or "q8_0") on arbitrary bytes.
 *
 * Input: 3 header bytes, then the ggml block bytes (src, in an allocation
 * of exactly their length, so that a read past src_size is an ASan error).
 *   h[0] % 8 + 1 = M,  h[1] % 4 + 1 = blocks per row,  h[2] % 40 + 1 = prows.
 * The harness computes the status the packer must return (E_SIZE for a
 * short source, then E_VALUE for a tq2_0 code 3 or an f16 scale with
 * exponent 31 (Inf/NaN), else OK) and checks it; on an error nothing is
 * written; on success export gives the source bytes back byte for byte,
 * unpack gives values in range and the scales decoded here from their
 * bits, the values re-encode to the same bytes (tq2_0, q4_0, q8_0, whose
 * codes are one-to-one) or to bytes that decode the same (tq1_0), and the
 * reference accepts the weights and scales. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=\"tq2_0\" (or tq1_0, q4_0, q8_0)"
#endif

#define REQUIRE(c)                                                                \
  do {                                                                            \
    if (!(c)) {                                                                   \
      fprintf(stderr, "fuzz_pack_blk(%s): %s:%d: %s\n", FUZZ_FORMAT, __FILE__, __LINE__, #c); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

/* Where the f16 scale sits in a ggml block (bitgen_fmt.h): after the codes
 * for tq2_0 (66 B) and tq1_0 (54 B), first for q4_0 and q8_0. */
static size_t d_offset(size_t gguf_bytes) { return gguf_bytes == 66 ? 64 : gguf_bytes == 54 ? 52 : 0; }

static uint16_t f16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* binary16 -> float from the definition (exact). */
static float f16_value(uint16_t h) {
  const int e = h >> 10 & 31, m = h & 1023;
  const float mag = e == 0 ? ldexpf((float)m, -24) : ldexpf((float)(1024 + m), e - 25);
  return h & 0x8000 ? -mag : mag;
}

/* tq2_0: a code of 3 anywhere in the 64 code bytes. */
static int has_code3(const uint8_t *blk) {
  for (size_t p = 0; p < 64; p++)
    for (unsigned f = 0; f < 4; f++)
      if ((blk[p] >> (2 * f) & 3) == 3) return 1;
  return 0;
}

static int expected(const bitgen_format *f, const uint8_t *src, size_t n, size_t nblocks) {
  const size_t G = f->gguf_bytes, d_at = d_offset(G);
  if (nblocks > n / G) return BITGEN_E_SIZE;
  for (size_t b = 0; b < nblocks; b++) {
    if ((f16_at(src + b * G + d_at) & 0x7c00) == 0x7c00) return BITGEN_E_VALUE;
    if (G == 66 && has_code3(src + b * G)) return BITGEN_E_VALUE;
  }
  return BITGEN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const bitgen_format *f = bitgen_format_by_name(FUZZ_FORMAT);
  REQUIRE(f && f->kind == BITGEN_KIND_BLOCK);
  if (size < 3) return 0;
  const size_t M = data[0] % 8 + 1, nblk = data[1] % 4 + 1, prows = data[2] % 40 + 1, K = nblk * f->block;
  const size_t n = size - 3, G = f->gguf_bytes, psize = bitgen_blk_packed_size(f, M, K, prows);
  const size_t gsize = bitgen_blk_gguf_size(f, M, K);
  REQUIRE(psize > 0 && gsize == M * nblk * G);
  uint8_t *src = malloc(n ? n : 1), *packed = bitgen_alloc(psize), *out = malloc(gsize), *re = malloc(gsize);
  int8_t *w = malloc(M * K), *w2 = malloc(M * K), q[256];
  float *d = malloc(M * nblk * sizeof *d), *y = malloc(M * sizeof *y), ad[4] = {1.0f, -0.5f, 0.25f, 3.0f};
  uint16_t *d16 = malloc(M * nblk * sizeof *d16);
  REQUIRE(src && packed && out && re && w && w2 && d && y && d16);
  memcpy(src, data + 3, n);
  memset(packed, 0xA7, psize);

  const int st = bitgen_blk_pack_gguf(f, M, K, prows, src, n, packed, psize);
  REQUIRE(st == expected(f, src, n, M * nblk));
  if (st != BITGEN_OK) {
    for (size_t i = 0; i < psize; i++) REQUIRE(packed[i] == 0xA7);
  } else {
    REQUIRE(bitgen_blk_export_gguf(f, M, K, prows, packed, psize, out, gsize) == BITGEN_OK);
    REQUIRE(memcmp(out, src, gsize) == 0);
    REQUIRE(bitgen_blk_unpack(f, M, K, prows, packed, psize, w, d) == BITGEN_OK);
    for (size_t e = 0; e < M * K; e++) REQUIRE(w[e] >= f->vmin && w[e] <= f->vmax);
    for (size_t b = 0; b < M * nblk; b++) {
      d16[b] = f16_at(src + b * G + d_offset(G));
      const float want = f16_value(d16[b]);
      REQUIRE(memcmp(&d[b], &want, sizeof want) == 0);
    }
    REQUIRE(bitgen_blk_encode_gguf(f, M, K, w, d16, re, gsize) == BITGEN_OK);
    if (G != 54) {
      REQUIRE(memcmp(re, src, gsize) == 0);
    } else { /* tq1_0: several bytes decode alike; the canonical ones decode the same */
      REQUIRE(bitgen_blk_pack_gguf(f, M, K, prows, re, gsize, packed, psize) == BITGEN_OK);
      REQUIRE(bitgen_blk_unpack(f, M, K, prows, packed, psize, w2, NULL) == BITGEN_OK);
      REQUIRE(memcmp(w, w2, M * K) == 0);
    }
    /* whatever the packer accepts, the reference accepts: one token */
    for (size_t k = 0; k < f->block; k++) q[k] = (int8_t)(k * 37 + 11);
    int8_t *qk = malloc(K);
    float *adk = malloc(nblk * sizeof *adk);
    REQUIRE(qk && adk);
    for (size_t k = 0; k < K; k++) qk[k] = q[k % f->block];
    for (size_t b = 0; b < nblk; b++) adk[b] = ad[b];
    REQUIRE(bitgen_ref_blocks(M, K, f->block, w, d, qk, adk, 1, y) == BITGEN_OK);
    free(qk);
    free(adk);
  }
  free(src), bitgen_free(packed), free(out), free(re), free(w), free(w2), free(d), free(y), free(d16);
  return 0;
}
