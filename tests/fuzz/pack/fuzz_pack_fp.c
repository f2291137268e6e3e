/* libFuzzer target: bitgen_fp_pack_gguf of a float format (-DFUZZ_FORMAT=
 * "f16" or "bf16", bitgen_fmt_more.h) on arbitrary bytes.
 *
 * Input: 3 header bytes, then the row bytes (src, in an allocation of
 * exactly their length, so that a read past src_size is an ASan error).
 *   h[0] % 8 + 1 = M,  (h[1] % 8 + 1) * 16 = K,  h[2] % 40 + 1 = prows.
 * Expected status: E_SIZE for a short source, then E_VALUE for any Inf or
 * NaN value, else OK.  On an error nothing is written; on success export
 * gives the bytes back, unpack gives the values decoded here from their
 * bits, and the reference accepts them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=\"f16\" (or bf16)"
#endif

#define REQUIRE(c)                                                                             \
  do {                                                                                         \
    if (!(c)) {                                                                                \
      fprintf(stderr, "fuzz_pack_fp(%s): %s:%d: %s\n", FUZZ_FORMAT, __FILE__, __LINE__, #c); \
      abort();                                                                                 \
    }                                                                                          \
  } while (0)

static int is_bf16(void) { return strcmp(FUZZ_FORMAT, "bf16") == 0; }

/* The value of 16 bits, from the format's definition (exact in f32). */
static float value(uint16_t h) {
  if (is_bf16()) {
    const uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
  }
  const int e = h >> 10 & 31, m = h & 1023;
  const float mag = e == 0 ? ldexpf((float)m, -24) : ldexpf((float)(1024 + m), e - 25);
  return h & 0x8000 ? -mag : mag;
}

static int finite_bits(uint16_t h) { return is_bf16() ? (h & 0x7f80) != 0x7f80 : (h & 0x7c00) != 0x7c00; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const bitgen_format *f = bitgen_format_by_name(FUZZ_FORMAT);
  REQUIRE(f != NULL && f->kind == BITGEN_KIND_FP);
  if (size < 3) return 0;
  const size_t M = data[0] % 8 + 1, K = (size_t)(data[1] % 8 + 1) * 16, prows = data[2] % 40 + 1;
  const size_t n = size - 3, gsize = M * K * 2, psize = bitgen_fp_packed_size(f, M, K, prows);
  REQUIRE(psize > 0 && bitgen_fp_gguf_size(f, M, K) == gsize);
  uint8_t *src = malloc(n ? n : 1), *packed = bitgen_alloc(psize), *out = malloc(gsize);
  float *w = malloc(M * K * sizeof *w), *x = malloc(K * sizeof *x), *y = malloc(M * sizeof *y);
  REQUIRE(src && packed && out && w && x && y);
  memcpy(src, data + 3, n);
  memset(packed, 0xA7, psize);

  int want = BITGEN_OK;
  if (n < gsize) {
    want = BITGEN_E_SIZE;
  } else {
    for (size_t e = 0; e < M * K; e++)
      if (!finite_bits((uint16_t)(src[2 * e] | src[2 * e + 1] << 8))) want = BITGEN_E_VALUE;
  }
  const int st = bitgen_fp_pack_gguf(f, M, K, prows, src, n, packed, psize);
  REQUIRE(st == want);
  if (st != BITGEN_OK) {
    for (size_t i = 0; i < psize; i++) REQUIRE(packed[i] == 0xA7);
  } else {
    REQUIRE(bitgen_fp_export_gguf(f, M, K, prows, packed, psize, out, gsize) == BITGEN_OK);
    REQUIRE(memcmp(out, src, gsize) == 0);
    REQUIRE(bitgen_fp_unpack(f, M, K, prows, packed, psize, w) == BITGEN_OK);
    for (size_t e = 0; e < M * K; e++) {
      const float v = value((uint16_t)(src[2 * e] | src[2 * e + 1] << 8));
      REQUIRE(memcmp(&w[e], &v, sizeof v) == 0);
    }
    for (size_t k = 0; k < K; k++) x[k] = (float)((int)(k * 37 % 19) - 9) * 0.125f;
    REQUIRE(bitgen_ref_fp(M, K, w, x, 1, y) == BITGEN_OK);
  }
  free(src), bitgen_free(packed), free(out), free(w), free(x), free(y);
  return 0;
}
