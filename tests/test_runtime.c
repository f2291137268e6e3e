/* Standalone tests of the hand-written bitgen runtime.
 *
 * Build: cc -std=c11 -O2 -Iruntime runtime/[all .c files] tests/test_runtime.c -lpthread -lm
 * Prints one line per check group and a summary; exit code 0 only if every
 * check passed.  The expected values here come from encoders and formulas
 * written independently in this file, straight from the layout texts in
 * bitgen_rt.h and FORMATS.md, never from the runtime's own helpers. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bitgen_rt.h"
#include "quant_internal.h"

#include "check.h"
#define CHECK_ST(call, want)                                                     \
  do {                                                                           \
    int st_ = (call);                                                            \
    CHECK(st_ == (want), "%s = %d (%s), want %d", #call, st_, bitgen_strerror(st_), \
          (int)(want));                                                          \
  } while (0)

/* ---- helpers ------------------------------------------------------------ */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static float rnd_unit(void) { return (float)((double)(rnd() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }
static int8_t rnd_trit(void) { return (int8_t)((int)(rnd() % 3) - 1); }

static void *xalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static uint32_t fbits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

/* Independent encoder of the bitgen i2s layout, written from the header
 * text: walk tiles, chunks, rows, bytes in storage order; byte p of a row's
 * chunk holds element 128*chunk + 32f + p in bits 2f+1:2f; rows past M are
 * weight 0.  Returns the number of bytes written. */
static size_t encode_i2s(size_t M, size_t K, size_t prows, const int8_t *w, uint8_t *out) {
  size_t n = 0;
  for (size_t t = 0; t < div_up(M, prows); t++)
    for (size_t ch = 0; ch < K / 128; ch++)
      for (size_t r = 0; r < prows; r++)
        for (size_t p = 0; p < 32; p++) {
          unsigned byte = 0;
          for (unsigned f = 0; f < 4; f++) {
            size_t row = t * prows + r, col = 128 * ch + 32 * f + p;
            unsigned code = row < M ? (unsigned)(w[row * K + col] + 1) : 1u;
            byte |= code << (2 * f);
          }
          out[n++] = (uint8_t)byte;
        }
  return n;
}

/* Independent encoder of canonical I2_S (FORMATS.md): blocks of 128
 * consecutive row-major elements, byte p holds p, p+32, p+64, p+96 in bits
 * 7:6, 5:4, 3:2, 1:0; then the f32 scale little-endian; then 28 bytes of
 * padding (filled with `pad` to prove it is ignored). */
static size_t encode_gguf(size_t M, size_t K, const int8_t *w, float scale, uint8_t pad,
                          uint8_t *out) {
  size_t nbytes = M * K / 4;
  uint32_t sb = fbits(scale);
  for (size_t b = 0; b < M * K / 128; b++)
    for (size_t p = 0; p < 32; p++) {
      const int8_t *e = w + 128 * b + p;
      out[32 * b + p] = (uint8_t)((e[0] + 1) << 6 | (e[32] + 1) << 4 | (e[64] + 1) << 2 | (e[96] + 1));
    }
  for (int i = 0; i < 4; i++) out[nbytes + (size_t)i] = (uint8_t)(sb >> (8 * i));
  memset(out + nbytes + 4, pad, 28);
  return nbytes + 32;
}

/* Round half to even without the FP environment (the test's own rule). */
static double round_half_even(double v) {
  double f = floor(v), d = v - f;
  if (d > 0.5) return f + 1.0;
  if (d < 0.5) return f;
  return fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

/* Naive BitNet absmean ternarization, per FORMATS.md. */
static float naive_absmean(size_t n, const float *w, int8_t *t) {
  double sum = 0.0;
  float gamma;
  for (size_t e = 0; e < n; e++) sum += fabs((double)w[e]);
  gamma = (float)(sum / (double)n);
  for (size_t e = 0; e < n; e++) {
    double r = gamma == 0.0f ? 0.0 : round_half_even((double)(w[e] / gamma));
    t[e] = (int8_t)(r > 1.0 ? 1 : r < -1.0 ? -1 : r);
  }
  return gamma;
}

/* ---- status ------------------------------------------------------------- */
static void test_status(void) {
  static const int codes[] = {BITGEN_OK,     BITGEN_E_NULL, BITGEN_E_SIZE,
                              BITGEN_E_ALIGN, BITGEN_E_VALUE, BITGEN_E_ISA,
                              BITGEN_E_UNSUPPORTED, BITGEN_E_KERNEL, BITGEN_E_NOMEM,
                              BITGEN_E_IO,    BITGEN_E_FORMAT, BITGEN_E_MISMATCH, BITGEN_E_FULL};
  const size_t n = sizeof codes / sizeof codes[0];
  group_begin("strerror");
  for (size_t i = 0; i < n; i++) {
    const char *s = bitgen_strerror(codes[i]);
    CHECK(s != NULL && s[0] != '\0', "code %d has no text", codes[i]);
    if (s == NULL) continue;
    CHECK(strcmp(s, "unknown status") != 0, "code %d reads as unknown", codes[i]);
    for (size_t j = 0; j < i; j++)
      CHECK(strcmp(s, bitgen_strerror(codes[j])) != 0, "codes %d and %d share a text", codes[i],
            codes[j]);
  }
  CHECK(strcmp(bitgen_strerror(1), "unknown status") == 0, "1");
  CHECK(strcmp(bitgen_strerror(BITGEN_E_FULL - 1), "unknown status") == 0, "one past the last code");
  CHECK(strcmp(bitgen_strerror(-12345), "unknown status") == 0, "-12345");
  group_end();
}

/* ---- CPU features ----------------------------------------------------- */
static void *features_thread(void *arg) {
  *(uint32_t *)arg = bitgen_cpu_features();
  return NULL;
}

static void test_features(void) {
  char buf[512];
  uint32_t f = bitgen_cpu_features(), all = 0, seen[4];
  pthread_t th[4];
  group_begin("cpu features");
  bitgen_features_string(f, buf, sizeof buf);
  printf("     cpu: %s\n", f ? buf : "(none)");

  for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, features_thread, &seen[i]) == 0, "thread");
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK(seen[i] == f, "thread %d saw %#x, want %#x", i, seen[i], f);
  }
  CHECK(bitgen_cpu_features() == f, "not stable");

#if defined(__x86_64__)
  CHECK(f & BITGEN_FEAT_SSE2, "x86-64 without SSE2");
#endif
  if (f & (BITGEN_FEAT_AVX2 | BITGEN_FEAT_FMA | BITGEN_FEAT_AVXVNNI | BITGEN_FEAT_AVX512F))
    CHECK(f & BITGEN_FEAT_AVX, "AVX-class feature without AVX: %#x", f);
  if (f & (BITGEN_FEAT_AVX512BW | BITGEN_FEAT_AVX512VL | BITGEN_FEAT_AVX512VNNI |
           BITGEN_FEAT_AVX512VBMI))
    CHECK(f & BITGEN_FEAT_AVX512F, "AVX-512 extension without F: %#x", f);
#if !defined(__x86_64__) && !defined(__i386__)
  CHECK((f & 0xFFFu) == 0, "x86 bits on another arch");
#endif

  CHECK(strcmp(bitgen_feature_name(0) ? bitgen_feature_name(0) : "", "SSE2") == 0, "name 0");
  CHECK(strcmp(bitgen_feature_name(3) ? bitgen_feature_name(3) : "", "AVX2") == 0, "name 3");
  CHECK(strcmp(bitgen_feature_name(9) ? bitgen_feature_name(9) : "", "AVX512VNNI") == 0, "name 9");
  CHECK(strcmp(bitgen_feature_name(24) ? bitgen_feature_name(24) : "", "RVV") == 0, "name 24");
  CHECK(strcmp(bitgen_feature_name(11) ? bitgen_feature_name(11) : "", "F16C") == 0, "name 11");
  CHECK(bitgen_feature_name(12) == NULL && bitgen_feature_name(31) == NULL &&
            bitgen_feature_name(32) == NULL && bitgen_feature_name(1000) == NULL,
        "unused bits must have no name");
  for (uint32_t b = 0; b < 32; b++)
    if (bitgen_feature_name(b)) all |= 1u << b;
  CHECK(all == 0x010F0FFFu, "named bits %#x", all);

  bitgen_features_string(0, buf, sizeof buf);
  CHECK(strcmp(buf, "") == 0, "empty mask gave '%s'", buf);
  bitgen_features_string(BITGEN_FEAT_FMA | BITGEN_FEAT_AVX2, buf, sizeof buf);
  CHECK(strcmp(buf, "AVX2 FMA") == 0, "'%s'", buf);
  bitgen_features_string(BITGEN_FEAT_SSE2 | BITGEN_FEAT_NEON | BITGEN_FEAT_RVV | (1u << 30), buf,
                         sizeof buf);
  CHECK(strcmp(buf, "SSE2 NEON RVV") == 0, "'%s'", buf);
  bitgen_features_string(all, buf, sizeof buf);
  CHECK(strcmp(buf, "SSE2 SSSE3 AVX AVX2 FMA AVXVNNI AVX512F AVX512BW AVX512VL AVX512VNNI "
                    "AVX512VBMI F16C NEON DOTPROD I8MM SVE RVV") == 0,
        "'%s'", buf);
  memset(buf, 'x', sizeof buf);
  bitgen_features_string(BITGEN_FEAT_AVX2 | BITGEN_FEAT_FMA, buf, 6);
  CHECK(strcmp(buf, "AVX2 ") == 0 && buf[6] == 'x', "truncated to 6: '%s'", buf);
  memset(buf, 'x', sizeof buf);
  bitgen_features_string(BITGEN_FEAT_AVX2, buf, 1);
  CHECK(buf[0] == '\0' && buf[1] == 'x', "size 1 must give an empty string");
  bitgen_features_string(BITGEN_FEAT_AVX2, NULL, 10); /* must not crash */
  bitgen_features_string(BITGEN_FEAT_AVX2, buf, 0);
  group_end();
}

/* ---- allocation --------------------------------------------------------- */
static void test_alloc(void) {
  static const size_t sizes[] = {1, 3, 63, 64, 65, 1000, 4096, 1u << 20};
  group_begin("alloc");
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = bitgen_alloc(sizes[i]);
    int zero = 1;
    if (!CHECK(p != NULL, "alloc(%zu) failed", sizes[i])) continue;
    CHECK((uintptr_t)p % BITGEN_ALIGN == 0, "alloc(%zu) = %p not aligned", sizes[i], (void *)p);
    for (size_t j = 0; j < sizes[i]; j++) zero &= p[j] == 0;
    CHECK(zero, "alloc(%zu) not zeroed", sizes[i]);
    memset(p, 0xFF, sizes[i]);
    bitgen_free(p);
  }
  CHECK(bitgen_alloc(0) == NULL, "size 0");
  CHECK(bitgen_alloc(SIZE_MAX) == NULL, "SIZE_MAX");
  CHECK(bitgen_alloc(SIZE_MAX - 10) == NULL, "SIZE_MAX - 10");
  bitgen_free(NULL);
  group_end();
}

/* ---- i2s layout ----------------------------------------------------------- */
static void test_i2s_layout(void) {
  static const size_t prows_list[] = {1, 2, 4, 8, 16}, M_list[] = {1, 7, 13, 33},
                      K_list[] = {128, 384, 2560};
  group_begin("i2s pack/unpack layout");
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 4; b++)
      for (size_t c = 0; c < 3; c++) {
        size_t prows = prows_list[a], M = M_list[b], K = K_list[c];
        size_t size = div_up(M, prows) * prows * K / 4;
        int8_t *w = xalloc(M * K), *back = xalloc(M * K);
        uint8_t *want = xalloc(size + 1);
        uint8_t *packed = bitgen_alloc(size);
        for (size_t e = 0; e < M * K; e++) w[e] = rnd_trit();
        CHECK(bitgen_i2s_packed_size(M, K, prows) == size, "packed_size(%zu,%zu,%zu)", M, K, prows);
        CHECK(encode_i2s(M, K, prows, w, want) == size, "test encoder size");
        CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, packed, size), BITGEN_OK);
        CHECK(memcmp(packed, want, size) == 0, "bytes differ M=%zu K=%zu prows=%zu", M, K, prows);
        memset(back, 9, M * K);
        CHECK_ST(bitgen_i2s_unpack(M, K, prows, packed, size, back), BITGEN_OK);
        CHECK(memcmp(back, w, M * K) == 0, "round trip M=%zu K=%zu prows=%zu", M, K, prows);
        bitgen_free(packed);
        free(w);
        free(back);
        free(want);
      }

  /* A hand-checked corner: M=1, K=128, prows=2; element 0 = +1 (code 2 at
   * byte 0 bits 1:0), element 33 = -1 (code 0 at byte 1 bits 3:2), element
   * 127 = +1 (code 2 at byte 31 bits 7:6); the padding row is all 0x55. */
  {
    int8_t w[128] = {0};
    uint8_t *p = bitgen_alloc(64);
    w[0] = 1;
    w[33] = -1;
    w[127] = 1;
    CHECK_ST(bitgen_i2s_pack_ternary(1, 128, 2, w, p, 64), BITGEN_OK);
    CHECK(p[0] == 0x56 && p[1] == 0x51 && p[31] == 0x95 && p[2] == 0x55, "bytes %02x %02x %02x",
          p[0], p[1], p[31]);
    for (int i = 32; i < 64; i++) CHECK(p[i] == 0x55, "padding byte %d = %02x", i, p[i]);
    bitgen_free(p);
  }

  /* Shape rules of packed_size: invalid shapes give 0. */
  CHECK(bitgen_i2s_packed_size(0, 128, 1) == 0, "M=0");
  CHECK(bitgen_i2s_packed_size(1, 0, 1) == 0, "K=0");
  CHECK(bitgen_i2s_packed_size(1, 100, 1) == 0, "K=100");
  CHECK(bitgen_i2s_packed_size(1, 128, 0) == 0, "prows=0");
  CHECK(bitgen_i2s_packed_size(SIZE_MAX / 2, 1024, 1) == 0, "overflow");
  CHECK(bitgen_i2s_packed_size(SIZE_MAX, 128, 16) == 0, "overflow in padding");
  CHECK(bitgen_i2s_packed_size(2560, 6912, 8) == 2560u * 6912u / 4, "2560x6912");
  group_end();
}

/* ---- canonical I2_S (gguf) --------------------------------------------- */
static void test_i2s_gguf(void) {
  static const size_t M_list[] = {1, 7, 13, 33}, K_list[] = {128, 384, 2560},
                      prows_list[] = {1, 4, 8, 16};
  group_begin("i2s gguf import");
  for (size_t a = 0; a < 4; a++)
    for (size_t b = 0; b < 3; b++) {
      size_t M = M_list[a], K = K_list[b], prows = prows_list[(a + b) % 4];
      size_t size = bitgen_i2s_packed_size(M, K, prows), srcn = M * K / 4 + 32;
      int8_t *w = xalloc(M * K);
      uint8_t *src = xalloc(srcn);
      uint8_t *p1 = bitgen_alloc(size), *p2 = bitgen_alloc(size);
      float want = 0.0123f * (float)(a + 1) + (float)b, got = -1.0f;
      for (size_t e = 0; e < M * K; e++) w[e] = rnd_trit();
      CHECK(encode_gguf(M, K, w, want, (uint8_t)(a ? 0xFF : 0x00), src) == srcn, "encoder size");
      CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, p1, size), BITGEN_OK);
      CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, srcn, p2, size, &got), BITGEN_OK);
      CHECK(memcmp(p1, p2, size) == 0, "gguf != ternary M=%zu K=%zu prows=%zu", M, K, prows);
      CHECK(fbits(got) == fbits(want), "scale %g want %g", (double)got, (double)want);
      /* The minimum accepted source: codes plus the scale, no padding. */
      memset(p2, 0, size);
      CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, M * K / 4 + 4, p2, size, &got), BITGEN_OK);
      CHECK(memcmp(p1, p2, size) == 0, "short source");
      free(w);
      free(src);
      bitgen_free(p1);
      bitgen_free(p2);
    }
  /* Hand-checked: one block, element 0 = +1 -> byte 0 bits 7:6 = 2; element
   * 96 = -1 -> byte 0 bits 1:0 = 0; all else code 1. */
  {
    uint8_t src[32 + 32], *p = bitgen_alloc(32);
    int8_t w[128];
    float s = 0.0f;
    memset(src, 0x55, 32);
    src[0] = 0x94; /* 10 01 01 00 */
    memcpy(src + 32, "\x00\x00\x80\x3f", 4); /* 1.0f little-endian */
    CHECK_ST(bitgen_i2s_pack_gguf(1, 128, 1, src, 36, p, 32, &s), BITGEN_OK);
    CHECK(s == 1.0f, "scale %g", (double)s);
    CHECK_ST(bitgen_i2s_unpack(1, 128, 1, p, 32, w), BITGEN_OK);
    CHECK(w[0] == 1 && w[96] == -1 && w[1] == 0 && w[32] == 0 && w[64] == 0, "decode");
    bitgen_free(p);
  }
  group_end();
}

/* ---- pack_f32 (absmean) ---------------------------------------------- */
static void check_f32_case(size_t M, size_t K, size_t prows, const float *w, const char *what) {
  size_t size = bitgen_i2s_packed_size(M, K, prows);
  int8_t *t = xalloc(M * K);
  uint8_t *p1 = bitgen_alloc(size), *p2 = bitgen_alloc(size);
  float want = naive_absmean(M * K, w, t), got = -1.0f;
  if (want == 0.0f) { /* no usable scale: an error, nothing written */
    int untouched = 1;
    memset(p1, 0x3c, size);
    CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, w, p1, size, &got), BITGEN_E_VALUE);
    for (size_t i = 0; i < size; i++) untouched &= p1[i] == 0x3c;
    CHECK(untouched && got == -1.0f, "%s: written on error", what);
    free(t);
    bitgen_free(p1);
    bitgen_free(p2);
    return;
  }
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, w, p1, size, &got), BITGEN_OK);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, t, p2, size), BITGEN_OK);
  CHECK(memcmp(p1, p2, size) == 0, "%s: codes differ from the naive absmean", what);
  CHECK(fbits(got) == fbits(want), "%s: scale %.9g want %.9g", what, (double)got, (double)want);
  free(t);
  bitgen_free(p1);
  bitgen_free(p2);
}

static void test_i2s_f32(void) {
  group_begin("i2s pack_f32 absmean");
  for (int round = 0; round < 12; round++) {
    size_t M = 1 + (size_t)(rnd() % 40), K = 128 * (1 + (size_t)(rnd() % 6)), prows = (size_t)1 << (rnd() % 5);
    float mag = ldexpf(1.0f, (int)(rnd() % 40) - 20);
    float *w = xalloc(M * K * sizeof *w);
    for (size_t e = 0; e < M * K; e++) w[e] = rnd_unit() * mag;
    if (round % 3 == 0) /* sparse: many exact zeros */
      for (size_t e = 0; e < M * K; e++)
        if (rnd() % 2) w[e] = 0.0f;
    check_f32_case(M, K, prows, w, "random");
    free(w);
  }

  /* Ties: per 8 values |w| sums to 8*g, so gamma is exactly g and W/gamma
   * is exactly +-0.5, +-1.5, +-1, 0, 2.  Half to even: 0.5 -> 0, 1.5 -> 2
   * -> clamp 1, 2 -> 1. */
  {
    static const float pattern[8] = {0.5f, -0.5f, 1.5f, -1.5f, 1.0f, -1.0f, 0.0f, 2.0f};
    static const int8_t expect[8] = {0, 0, 1, -1, 1, -1, 0, 1};
    static const float gs[] = {1.0f, 0.75f, 0.0625f, 3.0f};
    const size_t M = 3, K = 256;
    float *w = xalloc(M * K * sizeof *w);
    int8_t *back = xalloc(M * K);
    uint8_t *p = bitgen_alloc(bitgen_i2s_packed_size(M, K, 2));
    for (size_t gi = 0; gi < sizeof gs / sizeof gs[0]; gi++) {
      float s = 0.0f;
      int ok = 1;
      for (size_t e = 0; e < M * K; e++) w[e] = pattern[e % 8] * gs[gi];
      check_f32_case(M, K, 2, w, "ties");
      CHECK_ST(bitgen_i2s_pack_f32(M, K, 2, w, p, bitgen_i2s_packed_size(M, K, 2), &s), BITGEN_OK);
      CHECK(s == gs[gi], "tie scale %g want %g", (double)s, (double)gs[gi]);
      CHECK_ST(bitgen_i2s_unpack(M, K, 2, p, bitgen_i2s_packed_size(M, K, 2), back), BITGEN_OK);
      for (size_t e = 0; e < M * K; e++) ok &= back[e] == expect[e % 8];
      CHECK(ok, "tie values (gamma %g)", (double)gs[gi]);
    }
    free(w);
    free(back);
    bitgen_free(p);
  }

  /* All zero (with some -0.0): gamma 0 is no usable scale, BITGEN_E_VALUE
   * with nothing written (docs/DESIGN.md, "Caller contracts"). */
  {
    const size_t M = 5, K = 128, size = bitgen_i2s_packed_size(M, K, 4);
    float *w = xalloc(M * K * sizeof *w);
    uint8_t *p = bitgen_alloc(size);
    float s = -1.0f;
    int ok = 1;
    for (size_t e = 0; e < M * K; e++) w[e] = (e % 3) ? 0.0f : -0.0f;
    memset(p, 0x11, size);
    CHECK_ST(bitgen_i2s_pack_f32(M, K, 4, w, p, size, &s), BITGEN_E_VALUE);
    CHECK(s == -1.0f, "zero matrix: scale written");
    for (size_t i = 0; i < size; i++) ok &= p[i] == 0x11;
    CHECK(ok, "zero matrix: bytes written");
    check_f32_case(M, K, 4, w, "all zero");
    /* one nonzero weight is enough for a scale */
    w[M * K - 1] = -3.0f;
    check_f32_case(M, K, 4, w, "one nonzero");
    free(w);
    bitgen_free(p);
  }

  /* Extremes: huge finite values and subnormals. */
  {
    const size_t M = 2, K = 128;
    float *w = xalloc(M * K * sizeof *w);
    for (size_t e = 0; e < M * K; e++) w[e] = (e % 2 ? -FLT_MAX : FLT_MAX) / 4.0f * (float)(e % 5);
    check_f32_case(M, K, 1, w, "huge");
    for (size_t e = 0; e < M * K; e++) w[e] = (e % 7 == 0) ? FLT_TRUE_MIN * (float)(e % 3) : 0.0f;
    check_f32_case(M, K, 1, w, "subnormal");
    free(w);
  }
  group_end();
}

/* ---- error paths of the packers ------------------------------------------ */
static void test_i2s_errors(void) {
  const size_t M = 3, K = 256, prows = 2, size = 4 * K / 4; /* 2 tiles of 2 rows */
  int8_t w[3 * 256], back[3 * 256];
  float wf[3 * 256], s = 42.0f;
  uint8_t src[3 * 256 / 4 + 32];
  uint8_t *buf = bitgen_alloc(size + 64), *mis = buf + 1;
  int untouched;
  group_begin("i2s error paths");
  for (size_t e = 0; e < M * K; e++) {
    w[e] = rnd_trit();
    wf[e] = (float)w[e];
  }
  encode_gguf(M, K, w, 0.5f, 0, src);
  CHECK(bitgen_i2s_packed_size(M, K, prows) == size, "size");

  /* NULL */
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, NULL, buf, size), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, NULL, size), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, NULL, buf, size, &s), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, NULL, size, &s), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size, NULL), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, NULL, sizeof src, buf, size, &s), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, NULL, size, &s), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, buf, size, NULL), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, NULL, size, back), BITGEN_E_NULL);
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, buf, size, NULL), BITGEN_E_NULL);
  /* NULL wins over a bad size */
  CHECK_ST(bitgen_i2s_pack_ternary(0, K, prows, NULL, buf, size), BITGEN_E_NULL);

  /* shapes and sizes */
  CHECK_ST(bitgen_i2s_pack_ternary(0, K, prows, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, 0, prows, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, 100, prows, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, 192, prows, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, 0, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size - 1), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size + 1), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, M * K / 4), BITGEN_E_SIZE); /* unpadded */
  CHECK_ST(bitgen_i2s_pack_ternary(SIZE_MAX / 64, 1024, 1, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_ternary(SIZE_MAX, 128, 3, w, buf, size), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size + 32, &s), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_f32(M, 64, prows, wf, buf, size, &s), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, M * K / 4 + 3, buf, size, &s), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, 0, buf, size, &s), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, 0, src, sizeof src, buf, size, &s), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, buf, size - 32, back), BITGEN_E_SIZE);
  CHECK_ST(bitgen_i2s_unpack(M, 130, prows, buf, size, back), BITGEN_E_SIZE);

  /* alignment (buffer has room; only the address is wrong) */
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, mis, size), BITGEN_E_ALIGN);
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf + 32, size), BITGEN_E_ALIGN);
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, mis, size, &s), BITGEN_E_ALIGN);
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, mis, size, &s), BITGEN_E_ALIGN);
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, mis, size, back), BITGEN_E_ALIGN);

  /* values; the output must stay untouched on error */
  memset(buf, 0xAB, size);
  w[M * K - 1] = 2;
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size), BITGEN_E_VALUE);
  w[M * K - 1] = -2;
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size), BITGEN_E_VALUE);
  w[M * K - 1] = 0;
  w[0] = INT8_MIN;
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size), BITGEN_E_VALUE);
  w[0] = 1;
  wf[K + 5] = NAN;
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size, &s), BITGEN_E_VALUE);
  wf[K + 5] = -INFINITY;
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size, &s), BITGEN_E_VALUE);
  wf[K + 5] = INFINITY;
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size, &s), BITGEN_E_VALUE);
  wf[K + 5] = 0.0f;
  src[M * K / 4 - 1] |= 0x03; /* last element of the last block -> code 3 */
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, buf, size, &s), BITGEN_E_VALUE);
  src[M * K / 4 - 1] &= 0xFC;
  src[5] |= 0xC0;
  CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, buf, size, &s), BITGEN_E_VALUE);
  src[5] = 0x55;
  {
    /* the stored scale: NaN, +-Inf, +-0 are BITGEN_E_VALUE (a zero per-tensor scale is no scale) */
    static const float bad[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      uint32_t b = fbits(bad[i]);
      for (int j = 0; j < 4; j++) src[M * K / 4 + (size_t)j] = (uint8_t)(b >> (8 * j));
      CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, buf, size, &s), BITGEN_E_VALUE);
    }
  }
  for (size_t e = 0; e < M * K; e++) wf[e] = e % 2 ? 0.0f : -0.0f; /* all zero: no scale */
  CHECK_ST(bitgen_i2s_pack_f32(M, K, prows, wf, buf, size, &s), BITGEN_E_VALUE);
  for (size_t e = 0; e < M * K; e++) wf[e] = (float)w[e];
  untouched = 1;
  for (size_t i = 0; i < size; i++) untouched &= buf[i] == 0xAB;
  CHECK(untouched, "packed buffer written on error");
  CHECK(s == 42.0f, "scale written on error");
  {
    /* any other finite scale is data: negative, subnormal, the largest */
    static const float good[] = {-0.5f, FLT_TRUE_MIN, -FLT_MAX, FLT_MAX};
    uint8_t *ok = bitgen_alloc(size);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
      float got = 0.0f;
      encode_gguf(M, K, w, good[i], 0, src);
      CHECK_ST(bitgen_i2s_pack_gguf(M, K, prows, src, sizeof src, ok, size, &got), BITGEN_OK);
      CHECK(fbits(got) == fbits(good[i]), "scale %g", (double)good[i]);
    }
    bitgen_free(ok);
  }
  /* 0xAB = 10 10 10 11: a code 3 in field 0 of every byte */
  memset(back, 7, sizeof back);
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, buf, size, back), BITGEN_E_VALUE);
  CHECK(back[0] == 7 && back[M * K - 1] == 7, "unpack wrote on error");
  /* a code 3 only in the padding row is not an error */
  CHECK_ST(bitgen_i2s_pack_ternary(M, K, prows, w, buf, size), BITGEN_OK);
  memset(buf + 128 + 32, 0xFF, 32); /* tile 1, chunk 0, row 1 (row 3: padding) */
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, buf, size, back), BITGEN_OK);
  CHECK(memcmp(back, w, M * K) == 0, "unpack after padding garbage");
  memset(buf + 128, 0xFF, 1); /* tile 1, chunk 0, row 0 (row 2: real) */
  CHECK_ST(bitgen_i2s_unpack(M, K, prows, buf, size, back), BITGEN_E_VALUE);
  bitgen_free(buf);
  group_end();
}

/* ---- quantizer ------------------------------------------------------------ */
typedef struct {
  const char *name;
  bitgen_quant_fn fn;
} impl;
static impl impls[4];
static size_t nimpls;

static void find_impls(void) {
  uint32_t f = bitgen_cpu_features();
  impls[nimpls++] = (impl){"dispatched", bitgen_quantize};
#ifdef BITGEN_QUANT_X86
  if (f & BITGEN_FEAT_AVX2) impls[nimpls++] = (impl){"avx2", bitgen_quantize_avx2};
  if ((f & (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW)) == (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW))
    impls[nimpls++] = (impl){"avx512", bitgen_quantize_avx512};
#endif
  (void)f;
  const char *ran[4];
  size_t n = 0;
  for (size_t i = 0; i < nimpls; i++)
    if (impls[i].name[0] == 'a') ran[n++] = impls[i].name; /* avx2, avx512 */
  report_paths("i2s-quantizer", ran, n);
}

/* Runs every implementation on x and compares q (plus canaries past the
 * end) and act against the scalar quantizer, bit for bit. */
static void compare_quant(const float *x, size_t n, size_t K, const char *what) {
  const size_t pad = 80;
  int8_t *q0 = xalloc(n * K + 1), *q = xalloc(n * K + pad + 1);
  bitgen_act *a0 = xalloc(n * sizeof *a0), *a = xalloc((n + 1) * sizeof *a);
  int st0 = bitgen_quantize_scalar(x, n, K, q0, a0);
  CHECK(st0 == BITGEN_OK, "%s: scalar status %d", what, st0);
  for (size_t i = 0; i < nimpls; i++) {
    int st, same = 1, canary = 1;
    /* odd offset: vector code must not assume aligned outputs */
    int8_t *qo = q + 1;
    memset(q, 0x5A, n * K + pad + 1);
    memset(a, 0x5A, (n + 1) * sizeof *a);
    st = impls[i].fn(x, n, K, qo, a);
    CHECK(st == BITGEN_OK, "%s/%s: status %d", what, impls[i].name, st);
    same = memcmp(qo, q0, n * K) == 0;
    for (size_t t = 0; t < n; t++)
      same &= fbits(a[t].scale) == fbits(a0[t].scale) && a[t].sum == a0[t].sum;
    CHECK(same, "%s/%s (n=%zu K=%zu): differs from scalar", what, impls[i].name, n, K);
    canary = q[0] == 0x5A;
    for (size_t j = n * K + 1; j < n * K + pad + 1; j++) canary &= q[j] == 0x5A;
    CHECK(canary, "%s/%s (K=%zu): wrote outside q", what, impls[i].name, K);
  }
  free(q0);
  free(q);
  free(a0);
  free(a);
}

/* The scalar quantizer against values worked out by hand. */
static void test_quant_hand(void) {
  int8_t q[8];
  bitgen_act a[2];
  group_begin("quantizer hand examples");
  {
    /* amax 4, s = 31.75: 31.75 -> 32, -63.5 -> -64 (tie to even), 15.875 -> 16,
     * 127 -> 127; sum 111. */
    const float x[4] = {1.0f, -2.0f, 0.5f, 4.0f};
    CHECK_ST(bitgen_quantize_scalar(x, 1, 4, q, a), BITGEN_OK);
    CHECK(q[0] == 32 && q[1] == -64 && q[2] == 16 && q[3] == 127, "q = %d %d %d %d", q[0], q[1], q[2],
          q[3]);
    CHECK(a[0].scale == 31.75f && a[0].sum == 111, "scale %g sum %d", (double)a[0].scale, a[0].sum);
    compare_quant(x, 1, 4, "hand 1");
  }
  {
    /* amax 127, s = 1: ties 2.5 -> 2, -3.5 -> -4, 0.5 -> 0, -0.5 -> 0, 1.5 -> 2;
     * token 2: amax 0.5 -> s = 254; 0.25*254 = 63.5 -> 64, -0.5 -> -127. */
    const float x[12] = {-127.0f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f,
                         0.25f,   -0.5f, 0.0f, -0.0f, 0.001f, 0.125f};
    static const int8_t want[12] = {-127, 2, -4, 0, 0, 2, 64, -127, 0, 0, 0, 32};
    {
      int8_t qq[12];
      CHECK_ST(bitgen_quantize_scalar(x, 2, 6, qq, a), BITGEN_OK);
      CHECK(memcmp(qq, want, 12) == 0, "token ties: %d %d %d %d %d %d | %d %d %d %d %d %d", qq[0],
            qq[1], qq[2], qq[3], qq[4], qq[5], qq[6], qq[7], qq[8], qq[9], qq[10], qq[11]);
      CHECK(a[0].scale == 1.0f && a[0].sum == -127 && a[1].scale == 254.0f && a[1].sum == -31,
            "acts %g %d %g %d", (double)a[0].scale, a[0].sum, (double)a[1].scale, a[1].sum);
    }
    compare_quant(x, 2, 6, "hand 2");
  }
  {
    /* all zero: amax clamps to 1e-5, s = 127/1e-5f, q = 0 */
    const float x[3] = {0.0f, -0.0f, 0.0f};
    CHECK_ST(bitgen_quantize_scalar(x, 1, 3, q, a), BITGEN_OK);
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0 && a[0].sum == 0, "zero q");
    CHECK(a[0].scale == 127.0f / 1e-5f, "zero scale %g", (double)a[0].scale);
  }
  {
    /* below the floor: amax = 1e-5, x = 5e-6 -> 63.5 (about) */
    const float x[2] = {5e-6f, -1e-6f};
    float s = 127.0f / 1e-5f;
    CHECK_ST(bitgen_quantize_scalar(x, 1, 2, q, a), BITGEN_OK);
    CHECK(q[0] == (int8_t)round_half_even((double)(x[0] * s)) && q[1] == -13, "tiny q %d %d", q[0],
          q[1]);
  }
  group_end();
}

static void fill_random(float *x, size_t n, int mode) {
  for (size_t i = 0; i < n; i++) {
    switch (mode) {
    case 0: x[i] = rnd_unit(); break;
    case 1: x[i] = rnd_unit() * 1e30f; break;
    case 2: x[i] = rnd_unit() * 1e-9f; break;                                /* under the floor */
    case 3: x[i] = ldexpf(rnd_unit(), (int)(rnd() % 200) - 100); break;      /* mixed scales */
    case 4: x[i] = (float)((int)(rnd() % 255) - 127) + 0.5f; break;           /* ties near s=1 */
    default: x[i] = rnd_unit() * FLT_MAX; break;                              /* huge */
    }
  }
}

static void test_quant_vector(void) {
  static const size_t K_list[] = {1, 3, 31, 32, 33, 64, 100, 2560, 6912};
  char what[64];
  group_begin("quantizer vs scalar");
  printf("     quantizer: %s; compared:", bitgen_quantize_isa());
  for (size_t i = 0; i < nimpls; i++) printf(" %s", impls[i].name);
  printf(" (against scalar)\n");
  for (size_t ki = 0; ki < sizeof K_list / sizeof K_list[0]; ki++) {
    size_t K = K_list[ki];
    float *x = xalloc(5 * K * sizeof *x + 64);
    for (size_t n = 1; n <= 5; n++) {
      for (int mode = 0; mode < 6; mode++) {
        fill_random(x, n * K, mode);
        snprintf(what, sizeof what, "random mode %d", mode);
        compare_quant(x, n, K, what);
        /* unaligned input */
        memmove(x + 1, x, n * K * sizeof *x);
        compare_quant(x + 1, n, K, "unaligned x");
      }
    }
    /* exact ties: amax 127 -> s = 1 and x = k + 0.5; amax 63.5 -> s = 2 */
    for (size_t i = 0; i < K; i++) x[i] = (float)((int)(i % 254) - 127) + 0.5f;
    x[K / 2] = -127.0f;
    compare_quant(x, 1, K, "ties s=1");
    for (size_t i = 0; i < K; i++) x[i] = ((float)((int)(i % 127) - 63) + 0.5f) / 2.0f;
    x[K - 1] = 63.5f;
    compare_quant(x, 1, K, "ties s=2");
    /* all equal, all zero, signed zeros, huge, subnormal */
    for (size_t i = 0; i < K; i++) x[i] = 3.7f;
    compare_quant(x, 1, K, "all equal");
    for (size_t i = 0; i < K; i++) x[i] = -2.0f;
    compare_quant(x, 1, K, "all equal negative");
    for (size_t i = 0; i < K; i++) x[i] = (i % 2) ? -0.0f : 0.0f;
    compare_quant(x, 1, K, "all zero");
    for (size_t i = 0; i < K; i++) x[i] = (i % 3) ? FLT_MAX : -FLT_MAX;
    compare_quant(x, 1, K, "max magnitude");
    for (size_t i = 0; i < K; i++) x[i] = FLT_TRUE_MIN * (float)(i % 4);
    compare_quant(x, 1, K, "subnormal");
    free(x);
  }

  /* A whole token of 127s: sum = 127*K must come out exactly. */
  {
    const size_t K = 6912;
    float *x = xalloc(K * sizeof *x);
    int8_t *q = xalloc(K);
    bitgen_act a;
    for (size_t i = 0; i < K; i++) x[i] = 1.0f;
    CHECK_ST(bitgen_quantize(x, 1, K, q, &a), BITGEN_OK);
    CHECK(a.sum == 127 * (int32_t)K && a.scale == 127.0f, "sum %d", a.sum);
    for (size_t i = 0; i < K; i++) x[i] = -1.0f;
    CHECK_ST(bitgen_quantize(x, 1, K, q, &a), BITGEN_OK);
    CHECK(a.sum == -127 * (int32_t)K, "sum %d", a.sum);
    free(x);
    free(q);
  }
  group_end();
}

static void test_quant_errors(void) {
  static const size_t K_list[] = {1, 33, 64, 100, 2560};
  float x[3 * 2560];
  int8_t q[3 * 2560];
  bitgen_act a[3];
  impl all[5];
  size_t nall = 0;
  group_begin("quantizer error paths");
  all[nall++] = (impl){"scalar", bitgen_quantize_scalar};
  for (size_t i = 0; i < nimpls; i++) all[nall++] = impls[i];
  for (size_t i = 0; i < nall; i++) {
    bitgen_quant_fn fn = all[i].fn;
    for (size_t e = 0; e < 3 * 2560; e++) x[e] = rnd_unit();
    CHECK_ST(fn(NULL, 1, 8, q, a), BITGEN_E_NULL);
    CHECK_ST(fn(x, 1, 8, NULL, a), BITGEN_E_NULL);
    CHECK_ST(fn(x, 1, 8, q, NULL), BITGEN_E_NULL);
    CHECK_ST(fn(NULL, 0, 0, q, a), BITGEN_E_NULL);
    CHECK_ST(fn(x, 0, 8, q, a), BITGEN_E_SIZE);
    CHECK_ST(fn(x, 1, 0, q, a), BITGEN_E_SIZE);
    CHECK_ST(fn(x, SIZE_MAX / 2, 4, q, a), BITGEN_E_SIZE);
    CHECK_ST(fn(x, 1, (size_t)INT32_MAX, q, a), BITGEN_E_SIZE);
    for (size_t ki = 0; ki < sizeof K_list / sizeof K_list[0]; ki++) {
      size_t K = K_list[ki];
      size_t where[4] = {0, K / 2, K - 1, 2 * K + K - 1}; /* last in the 3rd token */
      const float bad[4] = {NAN, -NAN, INFINITY, -INFINITY};
      for (int w = 0; w < 4; w++)
        for (int b = 0; b < 4; b++) {
          float keep = x[where[w]];
          x[where[w]] = bad[b];
          CHECK(fn(x, 3, K, q, a) == BITGEN_E_VALUE, "%s: K=%zu bad value %d at %zu accepted",
                all[i].name, K, b, where[w]);
          x[where[w]] = keep;
        }
      CHECK_ST(fn(x, 3, K, q, a), BITGEN_OK);
    }
  }
  group_end();
}

/* BITGEN_ISA: forked children set it before their first quantizer call
 * (the choice is cached per process), then report what was picked. */
static void test_quant_forced(void) {
  static const char *names[] = {"scalar", "avx2", "avxvnni", "avx512vnni", "bogus", ""};
  uint32_t f = bitgen_cpu_features();
  int avx2 = 0, avx512 = 0;
#ifdef BITGEN_QUANT_X86
  avx2 = (f & BITGEN_FEAT_AVX2) != 0;
  avx512 = (f & (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW)) ==
           (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW);
#endif
  const char *best = avx512 ? "avx512vnni" : avx2 ? "avx2" : "scalar";
  (void)f;
  group_begin("quantizer BITGEN_ISA");
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
      const char *isa;
      float x[40];
      int8_t q[40];
      bitgen_act a;
      close(fd[0]);
      setenv("BITGEN_ISA", n, 1);
      for (int k = 0; k < 40; k++) x[k] = (float)k - 19.5f;
      isa = bitgen_quantize(x, 1, 40, q, &a) == BITGEN_OK ? bitgen_quantize_isa() : "error";
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
  /* This process: the environment it was started with. */
  {
    const char *env = getenv("BITGEN_ISA");
    if (env == NULL) CHECK(strcmp(bitgen_quantize_isa(), best) == 0, "default pick %s", bitgen_quantize_isa());
  }
  group_end();
}

/* ---- reference ---------------------------------------------------------- */
static void test_ref(void) {
  group_begin("reference dot/gemv");
  {
    /* dot = [1*3 + 0*-2 + -1*5 + 1*127, -1*3 + -1*-2 + -1*5 + 0] = [125, -6] */
    const int8_t w[8] = {1, 0, -1, 1, -1, -1, -1, 0};
    const int8_t q[4] = {3, -2, 5, 127};
    int64_t dot[2];
    float y[2];
    bitgen_act act = {2.0f, 133};
    CHECK_ST(bitgen_ref_dot(2, 4, w, q, dot), BITGEN_OK);
    CHECK(dot[0] == 125 && dot[1] == -6, "dot %lld %lld", (long long)dot[0], (long long)dot[1]);
    CHECK_ST(bitgen_ref_gemv(2, 4, w, 0.5f, q, &act, y), BITGEN_OK);
    CHECK(y[0] == 31.25f && y[1] == -1.5f, "y %g %g", (double)y[0], (double)y[1]);
  }
  {
    /* The unsigned-code identity the kernels rely on: dot(c, q) - sum(q)
     * equals the ternary dot; and y uses one float factor wscale/s. */
    const size_t M = 9, K = 2560;
    int8_t *w = xalloc(M * K), *q = xalloc(K);
    float *x = xalloc(K * sizeof *x), *y = xalloc(M * sizeof *y);
    int64_t *dot = xalloc(M * sizeof *dot);
    bitgen_act act;
    /* several rounds: a different factor each time, so that a formula that
     * merely approximates wscale / s (e.g. wscale * (1/s)) shows up */
    for (int round = 0; round < 16; round++) {
      const float wscale = 0.8125f + 0.0371f * (float)round;
      int ok_dot = 1, ok_y = 1;
      for (size_t e = 0; e < M * K; e++) w[e] = rnd_trit();
      for (size_t k = 0; k < K; k++) x[k] = rnd_unit() * (float)(round + 1);
      CHECK_ST(bitgen_quantize(x, 1, K, q, &act), BITGEN_OK);
      CHECK_ST(bitgen_ref_dot(M, K, w, q, dot), BITGEN_OK);
      CHECK_ST(bitgen_ref_gemv(M, K, w, wscale, q, &act, y), BITGEN_OK);
      for (size_t i = 0; i < M; i++) {
        int64_t cdot = 0;
        float factor = wscale / act.scale;
        for (size_t k = 0; k < K; k++) cdot += (int64_t)(w[i * K + k] + 1) * q[k];
        ok_dot &= cdot - act.sum == dot[i];
        ok_y &= fbits(y[i]) == fbits((float)(int32_t)(cdot - act.sum) * factor);
      }
      CHECK(ok_dot, "dot(c,q) - sum != ternary dot");
      CHECK(ok_y, "gemv formula (round %d)", round);
    }
    free(w);
    free(q);
    free(x);
    free(y);
    free(dot);
  }
  {
    const int8_t w[4] = {1, 0, 2, 0}, q[2] = {1, 1};
    int64_t dot[2];
    float y[2];
    bitgen_act act = {1.0f, 2};
    CHECK_ST(bitgen_ref_dot(2, 2, w, q, dot), BITGEN_E_VALUE);
    CHECK_ST(bitgen_ref_gemv(2, 2, w, 1.0f, q, &act, y), BITGEN_E_VALUE);
    CHECK_ST(bitgen_ref_dot(2, 2, NULL, q, dot), BITGEN_E_NULL);
    CHECK_ST(bitgen_ref_dot(2, 2, w, NULL, dot), BITGEN_E_NULL);
    CHECK_ST(bitgen_ref_dot(2, 2, w, q, NULL), BITGEN_E_NULL);
    CHECK_ST(bitgen_ref_gemv(2, 2, w, 1.0f, q, NULL, y), BITGEN_E_NULL);
    CHECK_ST(bitgen_ref_gemv(2, 2, w, 1.0f, q, &act, NULL), BITGEN_E_NULL);
    CHECK_ST(bitgen_ref_dot(0, 2, w, q, dot), BITGEN_E_SIZE);
    CHECK_ST(bitgen_ref_gemv(2, 0, w, 1.0f, q, &act, y), BITGEN_E_SIZE);
    CHECK_ST(bitgen_ref_dot(SIZE_MAX, 2, w, q, dot), BITGEN_E_SIZE);
  }
  {
    /* the scale rule: wscale finite and nonzero, act scale finite and > 0,
     * wscale / scale finite; y untouched on error */
    const int8_t w[4] = {1, 0, -1, 1}, q[2] = {3, -2};
    static const float bad_w[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
    static const float bad_s[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f};
    bitgen_act act[2] = {{2.0f, 1}, {2.0f, 1}};
    float y[4] = {9.0f, 9.0f, 9.0f, 9.0f};
    for (size_t i = 0; i < sizeof bad_w / sizeof *bad_w; i++) {
      CHECK_ST(bitgen_ref_gemv(2, 2, w, bad_w[i], q, act, y), BITGEN_E_VALUE);
      CHECK_ST(bitgen_ref_gemm(2, 2, w, bad_w[i], q, 1, act, y), BITGEN_E_VALUE);
    }
    for (size_t i = 0; i < sizeof bad_s / sizeof *bad_s; i++) {
      act[1].scale = bad_s[i];
      CHECK_ST(bitgen_ref_gemv(2, 2, w, 1.0f, q, act + 1, y), BITGEN_E_VALUE);
      CHECK_ST(bitgen_ref_gemm(2, 2, w, 1.0f, q, 2, act, y), BITGEN_E_VALUE); /* token 1 of 2 */
    }
    act[1].scale = 1e-30f; /* 1e10 / 1e-30 overflows */
    CHECK_ST(bitgen_ref_gemv(2, 2, w, 1e10f, q, act + 1, y), BITGEN_E_VALUE);
    CHECK(y[0] == 9.0f && y[1] == 9.0f && y[3] == 9.0f, "reference wrote on error");
    /* negative and subnormal weight scales are values like any other */
    act[1].scale = 2.0f;
    CHECK_ST(bitgen_ref_gemv(2, 2, w, -0.5f, q, act, y), BITGEN_OK);
    CHECK(y[0] == -0.75f && y[1] == 1.25f, "negative wscale: y %g %g", (double)y[0], (double)y[1]);
    CHECK_ST(bitgen_ref_gemv(2, 2, w, FLT_TRUE_MIN, q, act, y), BITGEN_OK);
  }
  group_end();
}

/* ---- drivers: the same scale rule before any kernel runs ------------------ */
static int kernel_calls;
static void fake_gemv(const uint8_t *p, const int8_t *q, int32_t xsum, float scale, float *y, size_t t0, size_t t1) {
  (void)p, (void)q, (void)xsum, (void)scale, (void)y, (void)t0, (void)t1;
  kernel_calls++;
}
static void fake_gemm(const uint8_t *p, const int8_t *q, const bitgen_act *act, float wscale, float *y, size_t ldy,
                      size_t t0, size_t t1, size_t n0, size_t n1) {
  (void)p, (void)q, (void)act, (void)wscale, (void)y, (void)ldy, (void)t0, (void)t1, (void)n0, (void)n1;
  kernel_calls++;
}
static void fake_run(const uint8_t *p, const bitgen_acts *a, float wscale, float *y, size_t ldy, size_t t0, size_t t1,
                     size_t n0, size_t n1) {
  (void)p, (void)a, (void)wscale, (void)y, (void)ldy, (void)t0, (void)t1, (void)n0, (void)n1;
  kernel_calls++;
}

static void test_drive_scales(void) {
  static const uint8_t packed[64];
  static const int8_t q[2 * 64];
  static const int16_t lut[1];
  float y[2 * 8], d[4] = {0.5f, 0.0f, -2.0f, 1.0f}; /* zero is an all-zero block's scale */
  bitgen_act act[2] = {{3.0f, 0}, {3.0f, 0}};
  bitgen_variant v = {"fake", "scalar", 0, fake_gemv, fake_gemm, 8, 1, 1, 1, fake_run, 0, 0, 0};
  bitgen_kernel kv = {"i2s_gemv_8x64", "gemv", "i2s", 8, 64, 1, &v, 1};
  bitgen_kernel kg = {"i2s_gemm_8x64xn", "gemm", "i2s", 8, 64, 0, &v, 1};
  bitgen_kernel kt = {"tl_gemm_8x64xn", "gemm", "tl", 8, 64, 0, &v, 1};
  bitgen_kernel kb = {"q4_0_gemm_8x64xn", "gemm", "q4_0", 8, 64, 0, &v, 1};
  bitgen_acts tl_acts = {.lut = lut, .act = act}, blk_acts = {.q = q, .d = d};
  bitgen_pool *pool = NULL;
  group_begin("drivers: scale checks");
  CHECK_ST(bitgen_pool_create(1, &pool), BITGEN_OK);
  kernel_calls = 0;
  CHECK_ST(bitgen_drive_gemv(pool, &kv, &v, 8, packed, q, 0, INFINITY, y), BITGEN_E_VALUE);
  CHECK_ST(bitgen_drive_gemv(pool, &kv, &v, 8, packed, q, 0, NAN, y), BITGEN_E_VALUE);
  CHECK_ST(bitgen_drive_gemm(pool, &kg, &v, 8, packed, q, 2, act, -INFINITY, y, 8), BITGEN_E_VALUE);
  CHECK_ST(bitgen_drive_gemm(pool, &kg, &v, 8, packed, q, 2, act, 0.0f, y, 8), BITGEN_E_VALUE);
  CHECK_ST(bitgen_drive_run(pool, &kt, &v, 8, 16, packed, &tl_acts, 2, NAN, y, 8), BITGEN_E_VALUE);
  act[1].scale = INFINITY;
  CHECK_ST(bitgen_drive_gemm(pool, &kg, &v, 8, packed, q, 2, act, 1.0f, y, 8), BITGEN_E_VALUE);
  CHECK_ST(bitgen_drive_run(pool, &kt, &v, 8, 16, packed, &tl_acts, 2, 1.0f, y, 8), BITGEN_E_VALUE);
  act[1].scale = 3.0f;
  d[3] = NAN; /* block 1 of token 1 */
  CHECK_ST(bitgen_drive_run(pool, &kb, &v, 8, 36, packed, &blk_acts, 2, 1.0f, y, 8), BITGEN_E_VALUE);
  d[3] = -INFINITY;
  CHECK_ST(bitgen_drive_run(pool, &kb, &v, 8, 36, packed, &blk_acts, 2, 1.0f, y, 8), BITGEN_E_VALUE);
  CHECK(kernel_calls == 0, "a kernel ran with a bad scale (%d calls)", kernel_calls);
  d[3] = 1.0f;
  CHECK_ST(bitgen_drive_gemv(pool, &kv, &v, 8, packed, q, 0, 0.25f, y), BITGEN_OK);
  CHECK_ST(bitgen_drive_gemm(pool, &kg, &v, 8, packed, q, 2, act, -1.0f, y, 8), BITGEN_OK);
  CHECK_ST(bitgen_drive_run(pool, &kt, &v, 8, 16, packed, &tl_acts, 2, 1.0f, y, 8), BITGEN_OK);
  CHECK_ST(bitgen_drive_run(pool, &kb, &v, 8, 36, packed, &blk_acts, 2, 1.0f, y, 8), BITGEN_OK);
  CHECK(kernel_calls == 4, "valid calls ran %d kernels, want 4", kernel_calls);
  bitgen_pool_destroy(pool);
  group_end();
}

int main(void) {
  /* Before anything touches the cached quantizer choice (fork relies on it). */
  test_quant_forced();
  find_impls();
  test_status();
  test_features();
  test_alloc();
  test_i2s_layout();
  test_i2s_gguf();
  test_i2s_f32();
  test_i2s_errors();
  test_quant_hand();
  test_quant_vector();
  test_quant_errors();
  test_ref();
  test_drive_scales();
  return check_summary();
}
