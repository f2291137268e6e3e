/* Unit tests of the "tl" table-lookup format: packers (ternary, f32
 * absmean, I2_S GGUF import), unpacker, per-token tables (every SIMD
 * version this CPU has, and the dispatched one) and the identity the
 * kernels rely on.  The encoder, decoder, I2_S encoder and table reference
 * here are written from the format description, not from the runtime. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bitgen_rt.h"
#include "tl_internal.h"

#include "check.h"

#define CHECK_ST(call, want)                                                                  \
  do {                                                                                        \
    int st_ = (call);                                                                         \
    CHECK(st_ == (want), "%s -> %d (%s), want %d", #call, st_, bitgen_strerror(st_), (want)); \
  } while (0)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* ---- independent model of the layout ------------------------------------ */

static size_t ref_words(size_t K) { return (K + 8) / 9; }

static size_t ref_tile_bytes(size_t K, size_t prows) { return (ref_words(K) * prows * 2 + 63) / 64 * 64; }

static size_t ref_size(size_t M, size_t K, size_t prows) {
  return (M + prows - 1) / prows * ref_tile_bytes(K, prows);
}

/* Weight of row i, element k of the padded matrix (zero outside M x K). */
static int ref_w(const int8_t *w, size_t M, size_t K, size_t i, size_t k) {
  return i < M && k < K ? w[i * K + k] : 0;
}

/* The packed bytes, built tile by tile in storage order. */
static void ref_encode(size_t M, size_t K, size_t prows, const int8_t *w, uint8_t *out) {
  size_t tb = ref_tile_bytes(K, prows), tiles = (M + prows - 1) / prows;
  memset(out, 0, tiles * tb);
  for (size_t t = 0; t < tiles; t++) {
    uint8_t *p = out + t * tb;
    for (size_t j = 0; j < ref_words(K); j++)
      for (size_t r = 0; r < prows; r++, p += 2) {
        size_t i = t * prows + r;
        unsigned word = 0;
        for (unsigned f = 0; f < 3; f++) {
          size_t g = 3 * j + f; /* group within the row */
          unsigned c0 = (unsigned)(ref_w(w, M, K, i, 3 * g) + 1);
          unsigned c1 = (unsigned)(ref_w(w, M, K, i, 3 * g + 1) + 1);
          unsigned c2 = (unsigned)(ref_w(w, M, K, i, 3 * g + 2) + 1);
          word += (c0 + 3 * c1 + 9 * c2) << (5 * f);
        }
        p[0] = (uint8_t)word;
        p[1] = (uint8_t)(word >> 8);
      }
  }
}

/* Index of group g of row i, read from the packed bytes. */
static unsigned ref_index(const uint8_t *packed, size_t K, size_t prows, size_t i, size_t g) {
  size_t j = g / 3;
  const uint8_t *p = packed + i / prows * ref_tile_bytes(K, prows) + (j * prows + i % prows) * 2;
  unsigned word = p[0] | (unsigned)p[1] << 8;
  return word >> (5 * (g % 3)) & 31u;
}

/* Ternary weights back from the packed bytes; -1 on a malformed index. */
static int ref_decode(const uint8_t *packed, size_t M, size_t K, size_t prows, int8_t *w) {
  for (size_t i = 0; i < M; i++)
    for (size_t g = 0; g < 3 * ref_words(K); g++) {
      unsigned idx = ref_index(packed, K, prows, i, g);
      if (idx > 26) return -1;
      for (size_t e = 0; e < 3; e++, idx /= 3)
        if (3 * g + e < K) w[i * K + 3 * g + e] = (int8_t)((int)(idx % 3) - 1);
    }
  return 0;
}

/* Canonical I2_S bytes: M*K/4 code bytes, the f32 scale, 28 zero bytes. */
static size_t ref_i2s_gguf(size_t M, size_t K, const int8_t *w, float scale, uint8_t *out) {
  size_t n = M * K / 4;
  uint32_t bits;
  memset(out, 0, n + 32);
  for (size_t e = 0; e < M * K; e++) {
    size_t blk = e / 128, r = e % 128;
    out[blk * 32 + r % 32] |= (uint8_t)((w[e] + 1) << (6 - 2 * (r / 32)));
  }
  memcpy(&bits, &scale, sizeof bits);
  for (int b = 0; b < 4; b++) out[n + (size_t)b] = (uint8_t)(bits >> (8 * b));
  return n + 32;
}

/* The per-token tables, entry by entry from the definition. */
static void ref_tables(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  size_t groups = 3 * ref_words(K);
  for (size_t n = 0; n < N; n++)
    for (size_t g = 0; g < groups; g++)
      for (unsigned idx = 0; idx < 32; idx++) {
        int v = 0;
        if (idx < 27) {
          unsigned c = idx;
          for (size_t i = 0; i < 3; i++, c /= 3) {
            size_t k = 3 * g + i;
            v += ((int)(c % 3) - 1) * (k < K ? q[n * K + k] : 0);
          }
        }
        lut[(n * groups + g) * 32 + idx] = (int16_t)v;
      }
}

/* ---- fixtures -------------------------------------------------------------- */

enum { PAT_RANDOM, PAT_PLUS, PAT_MINUS, PAT_ZERO, PAT_COUNT };

static void fill_ternary(int8_t *w, size_t n, int pat) {
  for (size_t e = 0; e < n; e++)
    w[e] = pat == PAT_RANDOM ? (int8_t)((int)(rnd() % 3) - 1) : pat == PAT_PLUS ? 1 : pat == PAT_MINUS ? -1 : 0;
}

/* Random q with the extremes -128 and 127 well represented. */
static void fill_q(int8_t *q, size_t n) {
  for (size_t k = 0; k < n; k++) {
    uint64_t r = rnd();
    q[k] = r % 8 == 0 ? -128 : r % 8 == 1 ? 127 : (int8_t)(r >> 8);
  }
}

/* ---- sizes ----------------------------------------------------------------- */

static void test_sizes(void) {
  group_begin("tl sizes");
  CHECK(bitgen_tl_words(1) == 1 && bitgen_tl_words(9) == 1 && bitgen_tl_words(10) == 2, "words small");
  CHECK(bitgen_tl_words(2560) == 285 && bitgen_tl_words(6912) == 768, "words big");
  for (size_t K = 1; K <= 40; K++)
    for (size_t prows = 1; prows <= 64; prows *= 2)
      for (size_t M = 1; M <= 70; M += 23)
        CHECK(bitgen_tl_packed_size(M, K, prows) == ref_size(M, K, prows), "size %zu %zu %zu", M, K, prows);
  CHECK(bitgen_tl_packed_size(37, 2560, 32) == 2 * 285 * 64, "2560 size");
  CHECK(bitgen_tl_packed_size(0, 9, 8) == 0 && bitgen_tl_packed_size(1, 0, 8) == 0, "zero shape");
  CHECK(bitgen_tl_packed_size(1, 9, 0) == 0, "zero prows");
  CHECK(bitgen_tl_packed_size(SIZE_MAX, SIZE_MAX / 2, 64) == 0, "overflow");
  CHECK(bitgen_tl_packed_size(SIZE_MAX / 1000, 9000, 64) == 0, "overflow 2");
  CHECK(bitgen_tl_lut_size(1) == 96 && bitgen_tl_lut_size(10) == 192, "lut small");
  CHECK(bitgen_tl_lut_size(2560) == 285 * 96, "lut 2560");
  CHECK(bitgen_tl_lut_size(0) == 0 && bitgen_tl_lut_size(SIZE_MAX) == 0, "lut zero/overflow");
  group_end();
}

/* ---- pack_ternary / unpack -------------------------------------------------- */

/* Packs w with the runtime, compares with the test encoder, unpacks back. */
static void check_pack(size_t M, size_t K, size_t prows, const int8_t *w) {
  size_t size = ref_size(M, K, prows);
  uint8_t *got = bitgen_alloc(size), *want = xmalloc(size);
  int8_t *back = xmalloc(M * K), *dec = xmalloc(M * K);
  memset(got, 0xA5, size);
  ref_encode(M, K, prows, w, want);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, got, size), BITGEN_OK);
  CHECK(memcmp(got, want, size) == 0, "bytes M=%zu K=%zu prows=%zu", M, K, prows);
  CHECK(ref_decode(got, M, K, prows, dec) == 0 && memcmp(dec, w, M * K) == 0, "test decode M=%zu K=%zu", M, K);
  memset(back, 7, M * K);
  CHECK_ST(bitgen_tl_unpack(M, K, prows, got, size, back), BITGEN_OK);
  CHECK(memcmp(back, w, M * K) == 0, "round trip M=%zu K=%zu prows=%zu", M, K, prows);
  bitgen_free(got);
  free(want);
  free(back);
  free(dec);
}

static void test_pack_ternary(void) {
  static const size_t prows_list[] = {32, 64, 8};
  static const size_t M_list[] = {1, 5, 37, 64};
  static const size_t big_K[] = {2560, 6912};
  group_begin("tl pack_ternary/unpack");
  for (size_t K = 1; K <= 40; K++)
    for (size_t a = 0; a < 3; a++)
      for (size_t b = 0; b < 4; b++)
        for (int pat = 0; pat < PAT_COUNT; pat++) {
          size_t M = M_list[b];
          int8_t *w = xmalloc(M * K);
          fill_ternary(w, M * K, pat);
          check_pack(M, K, prows_list[a], w);
          free(w);
        }
  for (size_t a = 0; a < 2; a++)
    for (int pat = 0; pat < PAT_COUNT; pat++) {
      size_t M = 37, K = big_K[a];
      int8_t *w = xmalloc(M * K);
      fill_ternary(w, M * K, pat);
      check_pack(M, K, prows_list[(size_t)pat % 3], w);
      free(w);
    }
  group_end();
}

/* ---- pack_f32 -------------------------------------------------------------- */

/* tl_pack_f32 against i2s_pack_f32 + i2s_unpack: same weights, same scale bits. */
/* Both packers give the same status (want); on success the same weights and scale. */
static void check_f32_vs_i2s(size_t M, size_t K, size_t prows, const float *x, int want) {
  size_t ts = bitgen_tl_packed_size(M, K, prows), is = bitgen_i2s_packed_size(M, K, prows);
  uint8_t *tp = bitgen_alloc(ts), *ip = bitgen_alloc(is);
  int8_t *tw = xmalloc(M * K), *iw = xmalloc(M * K);
  float tscale = -1.0f, iscale = -2.0f;
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, tp, ts, &tscale), want);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, x, ip, is, &iscale), want);
  if (want == BITGEN_OK) {
    CHECK_ST(bitgen_i2s_unpack(M, K, prows, ip, is, iw), BITGEN_OK);
    CHECK(ref_decode(tp, M, K, prows, tw) == 0 && memcmp(tw, iw, M * K) == 0, "weights M=%zu K=%zu", M, K);
    CHECK(memcmp(&tscale, &iscale, sizeof tscale) == 0, "scale %a vs %a", (double)tscale, (double)iscale);
  } else {
    CHECK(tscale == -1.0f && iscale == -2.0f, "scale written on error");
  }
  bitgen_free(tp);
  bitgen_free(ip);
  free(tw);
  free(iw);
}

static void test_pack_f32(void) {
  static const size_t shapes[][3] = {{1, 128, 32}, {5, 256, 8}, {37, 2560, 32}, {70, 384, 64}};
  group_begin("tl pack_f32");
  for (size_t s = 0; s < 4; s++) {
    size_t M = shapes[s][0], K = shapes[s][1], prows = shapes[s][2];
    float *x = xmalloc(M * K * sizeof *x);
    /* Random values over several magnitudes. */
    for (size_t e = 0; e < M * K; e++) x[e] = (float)((double)((int64_t)rnd() >> 11) / 4.5e15 * ((double)(e % 7) + 0.1));
    check_f32_vs_i2s(M, K, prows, x, BITGEN_OK);
    /* Exact ties: |x| in {0.5, 1.5} in equal numbers, so gamma = 1 and
     * 0.5 -> 0, 1.5 -> 2 -> 1 under round half to even. */
    for (size_t e = 0; e < M * K; e++) x[e] = (e % 2 ? 1.5f : 0.5f) * (rnd() & 1 ? 1.0f : -1.0f);
    check_f32_vs_i2s(M, K, prows, x, BITGEN_OK);
    /* All zero: gamma 0 is no usable scale, an error for both packers. */
    memset(x, 0, M * K * sizeof *x);
    check_f32_vs_i2s(M, K, prows, x, BITGEN_E_VALUE);
    free(x);
  }
  {
    /* K not a multiple of 128: check against the absmean rule directly. */
    size_t M = 7, K = 100, prows = 8, ts = bitgen_tl_packed_size(M, K, prows);
    float x[700], scale = 0.0f;
    int8_t w[700];
    double sum = 0.0;
    float gamma;
    uint8_t *tp = bitgen_alloc(ts);
    for (size_t e = 0; e < M * K; e++) {
      x[e] = (float)((double)((int64_t)rnd() >> 11) / 4.5e15);
      sum += fabs((double)x[e]);
    }
    gamma = (float)(sum / (double)(M * K));
    CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, tp, ts, &scale), BITGEN_OK);
    CHECK(scale == gamma, "scale K=100");
    CHECK(ref_decode(tp, M, K, prows, w) == 0, "decode K=100");
    for (size_t e = 0; e < M * K; e++) {
      float t = nearbyintf(x[e] / gamma);
      int want = t > 1.0f ? 1 : t < -1.0f ? -1 : (int)t;
      if (!CHECK(w[e] == want, "K=100 element %zu: %d want %d", e, w[e], want)) break;
    }
    bitgen_free(tp);
  }
  group_end();
}

/* ---- pack_gguf -------------------------------------------------------------- */

static void test_pack_gguf(void) {
  static const size_t shapes[][3] = {{1, 128, 32}, {5, 256, 8}, {37, 2560, 32}, {3, 6912, 64}};
  group_begin("tl pack_gguf");
  for (size_t s = 0; s < 4; s++)
    for (int pat = 0; pat < PAT_COUNT; pat++) {
      size_t M = shapes[s][0], K = shapes[s][1], prows = shapes[s][2], ts = bitgen_tl_packed_size(M, K, prows);
      int8_t *w = xmalloc(M * K), *back = xmalloc(M * K);
      uint8_t *src = xmalloc(M * K / 4 + 32), *tp = bitgen_alloc(ts), *want = xmalloc(ts);
      float scale = 0.0f, ws = 0.015625f * (float)(s + 1);
      size_t n;
      fill_ternary(w, M * K, pat);
      n = ref_i2s_gguf(M, K, w, ws, src);
      CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, n, tp, ts, &scale), BITGEN_OK);
      CHECK(scale == ws, "scale");
      CHECK(ref_decode(tp, M, K, prows, back) == 0 && memcmp(back, w, M * K) == 0, "weights M=%zu K=%zu", M, K);
      ref_encode(M, K, prows, w, want);
      CHECK(memcmp(tp, want, ts) == 0, "bytes as pack_ternary M=%zu K=%zu", M, K);
      /* Only the code bytes and the scale are needed. */
      CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, M * K / 4 + 4, tp, ts, &scale), BITGEN_OK);
      CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, M * K / 4 + 3, tp, ts, &scale), BITGEN_E_SIZE);
      free(w);
      free(back);
      free(src);
      bitgen_free(tp);
      free(want);
    }
  {
    /* Code 3, a non-finite scale, K not a multiple of 128: rejected, output untouched. */
    size_t M = 2, K = 128, prows = 8, ts = bitgen_tl_packed_size(M, K, prows);
    int8_t w[256];
    uint8_t src[64 + 32], *tp = bitgen_alloc(ts), *tl100;
    float scale = 5.0f, nan = NAN;
    uint32_t bits;
    memset(tp, 0x5A, ts);
    fill_ternary(w, M * K, PAT_RANDOM);
    ref_i2s_gguf(M, K, w, 1.0f, src);
    src[17] |= 0x30; /* one field = 3 */
    CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, sizeof src, tp, ts, &scale), BITGEN_E_VALUE);
    ref_i2s_gguf(M, K, w, 1.0f, src);
    memcpy(&bits, &nan, sizeof bits);
    for (int b = 0; b < 4; b++) src[64 + b] = (uint8_t)(bits >> (8 * b));
    CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, sizeof src, tp, ts, &scale), BITGEN_E_VALUE);
    {
      /* the other unusable per-tensor scales: +-Inf, +-0 */
      static const float bad[] = {INFINITY, -INFINITY, 0.0f, -0.0f};
      for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(&bits, &bad[i], sizeof bits);
        for (int b = 0; b < 4; b++) src[64 + b] = (uint8_t)(bits >> (8 * b));
        CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, sizeof src, tp, ts, &scale), BITGEN_E_VALUE);
      }
    }
    CHECK(tp[0] == 0x5A && tp[ts - 1] == 0x5A && scale == 5.0f, "untouched on error");
    {
      /* a negative or subnormal scale is a value like any other */
      static const float good[] = {-0.25f, 1e-45f};
      for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        float got = 0.0f;
        memcpy(&bits, &good[i], sizeof bits);
        for (int b = 0; b < 4; b++) src[64 + b] = (uint8_t)(bits >> (8 * b));
        CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, sizeof src, tp, ts, &got), BITGEN_OK);
        CHECK(got == good[i], "scale %g", (double)good[i]);
      }
    }
    tl100 = bitgen_alloc(bitgen_tl_packed_size(1, 100, 8));
    CHECK_ST(bitgen_tl_pack_gguf(1, 100, 8, src, sizeof src, tl100, bitgen_tl_packed_size(1, 100, 8), &scale),
             BITGEN_E_SIZE);
    CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, NULL, sizeof src, tp, ts, &scale), BITGEN_E_NULL);
    CHECK_ST(bitgen_tl_pack_gguf(M, K, prows, src, sizeof src, tp, ts, NULL), BITGEN_E_NULL);
    bitgen_free(tp);
    bitgen_free(tl100);
  }
  group_end();
}

/* ---- argument and value errors ------------------------------------------- */

static void test_errors(void) {
  size_t M = 3, K = 20, prows = 8, ts = bitgen_tl_packed_size(M, K, prows);
  uint8_t *p = bitgen_alloc(ts + 64);
  int8_t w[60], back[60], q[20] = {0};
  int16_t lut[288];
  float x[60] = {0}, scale = 3.0f;
  group_begin("tl errors");
  fill_ternary(w, M * K, PAT_RANDOM);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, NULL, p, ts), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, NULL, ts), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts - 1), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts + 64), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_pack_ternary(0, K, prows, w, p, ts), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_pack_ternary(M, 0, prows, w, p, ts), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, 0, w, p, ts), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p + 2, ts), BITGEN_E_ALIGN);
  memset(p, 0x33, ts);
  w[41] = 2;
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_E_VALUE);
  w[41] = -2;
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_E_VALUE);
  CHECK(p[0] == 0x33 && p[ts - 1] == 0x33, "untouched on error");
  w[41] = 0;

  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts, NULL), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, NULL, p, ts, &scale), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts + 1, &scale), BITGEN_E_SIZE);
  x[7] = NAN;
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts, &scale), BITGEN_E_VALUE);
  x[7] = -INFINITY;
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts, &scale), BITGEN_E_VALUE);
  CHECK(scale == 3.0f && p[0] == 0x33, "untouched on f32 error");
  x[7] = 0.0f;
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts, &scale), BITGEN_E_VALUE); /* all zero: no scale */
  CHECK(scale == 3.0f && p[0] == 0x33, "untouched on all-zero error");
  x[7] = -0.5f;
  CHECK_ST(bitgen_tl_pack_f32(M, K, prows, x, p, ts, &scale), BITGEN_OK);
  CHECK(scale == (float)(0.5 / 60.0), "one nonzero weight: scale %g", (double)scale);
  x[7] = 0.0f;

  /* unpack: malformed words of real rows are rejected before w is written. */
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_OK);
  CHECK_ST(bitgen_tl_unpack(M, K, prows, NULL, ts, back), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts, NULL), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts - 64, back), BITGEN_E_SIZE);
  {
    uint8_t keep = p[2 * prows + 1]; /* word 1 of row 0, high byte */
    memset(back, 9, sizeof back);
    p[2 * prows + 1] |= 0x80; /* bit 15 */
    CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts, back), BITGEN_E_VALUE);
    p[2 * prows + 1] = keep;
    p[0] = (uint8_t)((p[0] & 0xE0u) | 27u); /* index 27 in field 0 */
    CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts, back), BITGEN_E_VALUE);
    CHECK(back[0] == 9, "w untouched on unpack error");
    CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_OK);
    /* K = 20: word 2 of row 0 holds groups 6..8 (elements 18..26); group 7
     * (field 1) lies past K, index 13; 13 ^ 1 = 12 makes element 21 a -1. */
    p[(2 * prows) * 2] = (uint8_t)(p[(2 * prows) * 2] ^ 0x20u);
    CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts, back), BITGEN_E_VALUE);
  }
  /* Padding rows are not read by unpack. */
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_OK);
  p[2 * 7] = 0xFF;
  p[2 * 7 + 1] = 0xFF; /* row 7 (padding) word 0 */
  CHECK_ST(bitgen_tl_unpack(M, K, prows, p, ts, back), BITGEN_OK);
  CHECK(memcmp(back, w, M * K) == 0, "padding ignored");

  /* tables */
  CHECK_ST(bitgen_tl_tables(NULL, 1, K, lut), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_tables(q, 1, K, NULL), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_tables(q, 0, K, lut), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_tables(q, 1, 0, lut), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_tables(q, SIZE_MAX / 4, 20, lut), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_tables(q, 2, SIZE_MAX / 2, lut), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_tables(q, 1, SIZE_MAX, lut), BITGEN_E_SIZE);
  CHECK_ST(bitgen_tl_tables_scalar(q, 0, K, lut), BITGEN_E_SIZE);
#ifdef BITGEN_TL_X86
  CHECK_ST(bitgen_tl_tables_avx2(NULL, 1, K, lut), BITGEN_E_NULL);
  CHECK_ST(bitgen_tl_tables_avx512(q, 1, 0, lut), BITGEN_E_SIZE);
#endif
  group_end();
  bitgen_free(p);
}

/* ---- tables ----------------------------------------------------------------- */

typedef struct {
  const char *name;
  bitgen_tl_tables_fn fn;
} impl;

static size_t find_impls(impl *out) {
  size_t n = 0;
  uint32_t f = bitgen_cpu_features();
  out[n++] = (impl){"scalar", bitgen_tl_tables_scalar};
  out[n++] = (impl){"dispatched", bitgen_tl_tables};
#ifdef BITGEN_TL_X86
  if (f & BITGEN_FEAT_AVX2) out[n++] = (impl){"avx2", bitgen_tl_tables_avx2};
  if ((f & (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW)) == (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW))
    out[n++] = (impl){"avx512", bitgen_tl_tables_avx512};
#endif
  (void)f;
  const char *ran[4];
  size_t nr = 0;
  for (size_t i = 0; i < n; i++)
    if (out[i].name[0] == 'a') ran[nr++] = out[i].name; /* avx2, avx512 */
  report_paths("tl-tables", ran, nr);
  return n;
}

/* One shape: q is exactly N*K bytes (so ASan sees over-reads); the table
 * buffer has a guard zone after it that must stay untouched. */
static void check_tables(const impl *im, size_t N, size_t K, int extreme) {
  size_t ls = bitgen_tl_lut_size(K), guard = 64;
  int8_t *q = xmalloc(N * K);
  int16_t *want = xmalloc(N * ls * sizeof *want), *got = xmalloc((N * ls + guard) * sizeof *got);
  if (extreme == 0) fill_q(q, N * K);
  else memset(q, extreme > 0 ? 127 : -128, N * K);
  for (size_t i = 0; i < N * ls + guard; i++) got[i] = 0x7A7A;
  ref_tables(q, N, K, want);
  CHECK_ST(im->fn(q, N, K, got), BITGEN_OK);
  CHECK(memcmp(got, want, N * ls * sizeof *got) == 0, "%s N=%zu K=%zu extreme=%d", im->name, N, K, extreme);
  for (size_t i = N * ls; i < N * ls + guard; i++)
    if (!CHECK(got[i] == 0x7A7A, "%s wrote past the tables N=%zu K=%zu", im->name, N, K)) break;
  free(q);
  free(want);
  free(got);
}

static void test_tables(void) {
  impl impls[4];
  size_t n = find_impls(impls);
  group_begin("tl tables");
  printf("     tables: %s; compared:", bitgen_tl_tables_isa());
  for (size_t i = 0; i < n; i++) printf(" %s", impls[i].name);
  printf("\n");
  for (size_t i = 0; i < n; i++)
    for (size_t N = 1; N <= 3; N++) {
      for (size_t K = 1; K <= 40; K++)
        for (int ex = -1; ex <= 1; ex++) check_tables(&impls[i], N, K, ex);
      for (size_t K = 41; K <= 200; K += 53) check_tables(&impls[i], N, K, 0);
      check_tables(&impls[i], N, 2560, 0);
      check_tables(&impls[i], N, 6912, 0);
      check_tables(&impls[i], N, 6912, 1);
    }
  group_end();
}

/* The identity the kernels use: for packed weights and tables of q, the sum
 * over a row's groups of T[index] is the plain dot product. */
static void check_identity(size_t M, size_t K, size_t prows, int wpat, int qext) {
  size_t ts = bitgen_tl_packed_size(M, K, prows), ls = bitgen_tl_lut_size(K);
  int8_t *w = xmalloc(M * K), *q = xmalloc(K);
  uint8_t *p = bitgen_alloc(ts);
  int16_t *lut = xmalloc(ls * sizeof *lut);
  fill_ternary(w, M * K, wpat);
  if (qext == 0) fill_q(q, K);
  else memset(q, qext > 0 ? 127 : -128, K);
  CHECK_ST(bitgen_tl_pack_ternary(M, K, prows, w, p, ts), BITGEN_OK);
  CHECK_ST(bitgen_tl_tables(q, 1, K, lut), BITGEN_OK);
  for (size_t i = 0; i < M; i++) {
    int64_t dot = 0, sum = 0;
    for (size_t k = 0; k < K; k++) dot += w[i * K + k] * q[k];
    for (size_t g = 0; g < ls / 32; g++) sum += lut[g * 32 + ref_index(p, K, prows, i, g)];
    if (!CHECK(sum == dot, "row %zu K=%zu: %lld vs %lld", i, K, (long long)sum, (long long)dot)) break;
  }
  free(w);
  free(q);
  bitgen_free(p);
  free(lut);
}

static void test_identity(void) {
  group_begin("tl lookup identity");
  for (size_t K = 1; K <= 40; K++) check_identity(9, K, 8, PAT_RANDOM, 0);
  for (int pat = 0; pat < PAT_COUNT; pat++)
    for (int ex = -1; ex <= 1; ex++) {
      check_identity(37, 2560, 32, pat, ex);
      check_identity(5, 6912, 64, pat, ex);
    }
  group_end();
}

/* BITGEN_ISA: forked children set it before their first table call (the
 * choice is cached per process), then report what was picked. */
static void test_forced(void) {
  static const char *names[] = {"scalar", "avx2", "avxvnni", "avx512vnni", "bogus"};
  uint32_t f = bitgen_cpu_features();
  int avx2 = 0, avx512 = 0;
#ifdef BITGEN_TL_X86
  avx2 = (f & BITGEN_FEAT_AVX2) != 0;
  avx512 = (f & (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW)) == (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW);
#endif
  const char *best = avx512 ? "avx512vnni" : avx2 ? "avx2" : "scalar";
  (void)f;
  group_begin("tl tables BITGEN_ISA");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char *n = names[i];
    int supported = strcmp(n, "scalar") == 0 || ((strcmp(n, "avx2") == 0 || strcmp(n, "avxvnni") == 0) && avx2) ||
                    (strcmp(n, "avx512vnni") == 0 && avx512);
    const char *want = supported ? n : best;
    int fd[2], status = 0;
    char got[32] = {0};
    pid_t pid;
    fflush(stdout);
    if (!CHECK(pipe(fd) == 0, "pipe")) continue;
    pid = fork();
    if (pid == 0) {
      int8_t q[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
      int16_t lut[192];
      const char *isa;
      close(fd[0]);
      setenv("BITGEN_ISA", n, 1);
      isa = bitgen_tl_tables(q, 1, 10, lut) == BITGEN_OK ? bitgen_tl_tables_isa() : "error";
      if (write(fd[1], isa, strlen(isa)) < 0) _exit(3);
      _exit(0);
    }
    close(fd[1]);
    if (!CHECK(pid > 0, "fork")) {
      close(fd[0]);
      continue;
    }
    if (read(fd[0], got, sizeof got - 1) < 0) got[0] = '\0';
    close(fd[0]);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child for '%s' failed", n);
    CHECK(strcmp(got, want) == 0, "BITGEN_ISA='%s' picked '%s', want '%s'", n, got, want);
  }
  if (getenv("BITGEN_ISA") == NULL)
    CHECK(strcmp(bitgen_tl_tables_isa(), best) == 0, "default pick %s", bitgen_tl_tables_isa());
  group_end();
}

int main(void) {
  test_forced(); /* before this process caches its choice */
  test_sizes();
  test_pack_ternary();
  test_pack_f32();
  test_pack_gguf();
  test_errors();
  test_tables();
  test_identity();
  return check_summary();
}
