/* Per-token lookup tables of the "tl" format (see bitgen_fmt.h): for each
 * group of 3 activations a0..a2, the 27 sums T[c0 + 3c1 + 9c2] =
 * (c0-1)a0 + (c1-1)a1 + (c2-1)a2, padded to 32 int16 (zeros).
 *
 * The SIMD versions rest on one identity.  With u_i = q_i ^ 0x80 = a_i + 128
 * (as an unsigned byte) and d_i = c_i - 1:
 *   T = d0*u0 + d1*u1 + d2*u2 + (-(d0+d1+d2)) * 128,
 * four products of an unsigned byte by a signed constant byte, which is
 * what pmaddubsw sums in pairs into int16 lanes (|pair| <= 639: never
 * saturates).  Per group we broadcast the dword X = (u0, u1, u2, 128) and
 * its halves swapped, Xs = (u2, 128, u0, u1): an even lane of X sees
 * (u0, u1) and an odd lane (u2, 128), Xs the other way round, so
 *   T = maddubs(X, E1) + maddubs(Xs, E2)
 * with constant coefficient vectors E1, E2 chosen by lane parity.  The X
 * dwords of 16 (8) groups are built at once with a dword permute and a byte
 * shuffle, stored, and broadcast by loads, which cost no ALU slot. */
#include <pthread.h>
#include <string.h>

#include "bitgen_rt.h"
#include "cpu_internal.h"
#include "tl_internal.h"

#define TL_ENTRIES 32 /* int16 per group table: 27 sums, 5 zeros */

size_t bitgen_tl_lut_size(size_t K) {
  size_t words = bitgen_tl_words(K);
  if (K == 0 || words > SIZE_MAX / (3 * TL_ENTRIES)) return 0;
  return words * 3 * TL_ENTRIES;
}

int bitgen_tl_tables_check(const int8_t *q, size_t N, size_t K, const int16_t *lut) {
  size_t ls;
  if (q == NULL || lut == NULL) return BITGEN_E_NULL;
  if (N == 0 || K == 0 || N > SIZE_MAX / K) return BITGEN_E_SIZE;
  ls = bitgen_tl_lut_size(K);
  if (ls == 0 || N > SIZE_MAX / sizeof(int16_t) / ls) return BITGEN_E_SIZE;
  return BITGEN_OK;
}

/* ---- scalar ------------------------------------------------------------ */

/* Table of group g of one token (q[k] for k >= K counts as 0). */
static void group_scalar(const int8_t *q, size_t K, size_t g, int16_t *t) {
  int a[3];
  for (size_t i = 0; i < 3; i++) a[i] = 3 * g + i < K ? q[3 * g + i] : 0;
  for (int d2 = -1; d2 <= 1; d2++)
    for (int d1 = -1; d1 <= 1; d1++) {
      int base = d1 * a[1] + d2 * a[2];
      *t++ = (int16_t)(base - a[0]);
      *t++ = (int16_t)base;
      *t++ = (int16_t)(base + a[0]);
    }
  memset(t, 0, (TL_ENTRIES - 27) * sizeof *t);
}

int bitgen_tl_tables_scalar(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  int st = bitgen_tl_tables_check(q, N, K, lut);
  size_t ls = bitgen_tl_lut_size(K);
  if (st != BITGEN_OK) return st;
  for (size_t n = 0; n < N; n++)
    for (size_t g = 0; g < ls / TL_ENTRIES; g++) group_scalar(q + n * K, K, g, lut + n * ls + g * TL_ENTRIES);
  return BITGEN_OK;
}

/* ---- x86 ------------------------------------------------------------------ */
#ifdef BITGEN_TL_X86
#include <immintrin.h>

/* Digits of entry e (0 past the 27 real entries, so those lanes sum to 0). */
#define D0(e) ((e) < 27 ? (e) % 3 - 1 : 0)
#define D1(e) ((e) < 27 ? (e) / 3 % 3 - 1 : 0)
#define D2(e) ((e) < 27 ? (e) / 9 - 1 : 0)
#define DS(e) (-(D0(e) + D1(e) + D2(e)))
/* Coefficient byte pairs of lane e against X (E1) and against Xs (E2). */
#define E1(e) ((e) % 2 ? D2(e) : D0(e)), ((e) % 2 ? DS(e) : D1(e))
#define E2(e) ((e) % 2 ? D0(e) : D2(e)), ((e) % 2 ? D1(e) : DS(e))
#define LANES8(M, b) M(b), M(b + 1), M(b + 2), M(b + 3), M(b + 4), M(b + 5), M(b + 6), M(b + 7)
#define LANES32(M) LANES8(M, 0), LANES8(M, 8), LANES8(M, 16), LANES8(M, 24)

static const int8_t coef1[64] __attribute__((aligned(64))) = {LANES32(E1)};
static const int8_t coef2[64] __attribute__((aligned(64))) = {LANES32(E2)};

/* Within each 16-byte lane: dword m <- bytes 3m, 3m+1, 3m+2 and a zero
 * (the later ^0x80 turns a byte into u = q + 128 and the zero into 128). */
#define SHUF_LANE 0, 1, 2, -128, 3, 4, 5, -128, 6, 7, 8, -128, 9, 10, 11, -128

/* ---- AVX2: a group table is two ymm; 8 groups per X build ------------- */

/* X and Xs dwords of the 8 groups whose 24 activations start at src. */
__attribute__((target("avx2"))) static void build_x_avx2(const int8_t *src, uint32_t *x, uint32_t *xs) {
  const __m256i perm = _mm256_setr_epi32(0, 1, 2, 7, 3, 4, 5, 7);
  const __m256i shuf = _mm256_setr_epi8(SHUF_LANE, SHUF_LANE);
  __m256i v = _mm256_loadu_si256((const __m256i *)src);
  v = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(v, perm), shuf);
  v = _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
  _mm256_store_si256((__m256i *)x, v);
  _mm256_store_si256((__m256i *)xs, _mm256_or_si256(_mm256_slli_epi32(v, 16), _mm256_srli_epi32(v, 16)));
}

/* Groups per pass: their X dwords are built first, so that by the time a
 * broadcast loads one the vector store that wrote it has left the store
 * queue (a dword load forwarded from a wide store can stall). */
#define PASS_GROUPS 128

/* X and Xs of 8 groups starting at element k0 of a token of K. */
__attribute__((target("avx2"))) static void build8_avx2(const int8_t *q, size_t K, size_t k0, uint32_t *x,
                                                        uint32_t *xs) {
  if (k0 + 32 <= K) {
    build_x_avx2(q + k0, x, xs);
  } else { /* near the end: copy what is left, zeros past K */
    int8_t tail[32] = {0};
    if (k0 < K) memcpy(tail, q + k0, K - k0 < 24 ? K - k0 : 24);
    build_x_avx2(tail, x, xs);
  }
}

__attribute__((target("avx2"))) static void token_avx2(const int8_t *q, size_t K, size_t groups, int16_t *lut) {
  const __m256i c1lo = _mm256_load_si256((const __m256i *)coef1);
  const __m256i c1hi = _mm256_load_si256((const __m256i *)(coef1 + 32));
  const __m256i c2lo = _mm256_load_si256((const __m256i *)coef2);
  const __m256i c2hi = _mm256_load_si256((const __m256i *)(coef2 + 32));
  uint32_t x[PASS_GROUPS] __attribute__((aligned(32))), xs[PASS_GROUPS] __attribute__((aligned(32)));
  for (size_t p0 = 0; p0 < groups; p0 += PASS_GROUPS) {
    size_t n = groups - p0 < PASS_GROUPS ? groups - p0 : PASS_GROUPS;
    for (size_t g = 0; g < n; g += 8) build8_avx2(q, K, 3 * (p0 + g), x + g, xs + g);
    for (size_t i = 0; i < n; i++) {
      __m256i vx = _mm256_set1_epi32((int)x[i]), vs = _mm256_set1_epi32((int)xs[i]);
      __m256i lo = _mm256_add_epi16(_mm256_maddubs_epi16(vx, c1lo), _mm256_maddubs_epi16(vs, c2lo));
      __m256i hi = _mm256_add_epi16(_mm256_maddubs_epi16(vx, c1hi), _mm256_maddubs_epi16(vs, c2hi));
      int16_t *t = lut + (p0 + i) * TL_ENTRIES;
      _mm256_storeu_si256((__m256i *)t, lo);
      _mm256_storeu_si256((__m256i *)(t + 16), hi);
    }
  }
}

int bitgen_tl_tables_avx2(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  int st = bitgen_tl_tables_check(q, N, K, lut);
  size_t ls = bitgen_tl_lut_size(K);
  if (st != BITGEN_OK) return st;
  for (size_t n = 0; n < N; n++) token_avx2(q + n * K, K, ls / TL_ENTRIES, lut + n * ls);
  return BITGEN_OK;
}

/* ---- AVX-512 (F+BW): a group table is one zmm; 16 groups per X build --- */

/* X and Xs dwords of the 16 groups whose 48 activations start at src;
 * `avail` of them exist (masked-off bytes load as 0, i.e. q = 0). */
__attribute__((target("avx512f,avx512bw"))) static void build_x_avx512(const int8_t *src, size_t avail,
                                                                      uint32_t *x, uint32_t *xs) {
  const __m512i perm = _mm512_setr_epi32(0, 1, 2, 15, 3, 4, 5, 15, 6, 7, 8, 15, 9, 10, 11, 15);
  const __m512i shuf = _mm512_broadcast_i32x4(_mm_setr_epi8(SHUF_LANE));
  __mmask64 m = avail >= 48 ? (__mmask64)0xFFFFFFFFFFFFull : (((__mmask64)1 << avail) - 1);
  __m512i v = _mm512_maskz_loadu_epi8(m, src);
  v = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(perm, v), shuf);
  v = _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
  _mm512_store_si512(x, v);
  _mm512_store_si512(xs, _mm512_rol_epi32(v, 16));
}

__attribute__((target("avx512f,avx512bw"))) static void token_avx512(const int8_t *q, size_t K, size_t groups,
                                                                    int16_t *lut) {
  const __m512i c1 = _mm512_load_si512(coef1), c2 = _mm512_load_si512(coef2);
  uint32_t x[PASS_GROUPS] __attribute__((aligned(64))), xs[PASS_GROUPS] __attribute__((aligned(64)));
  for (size_t p0 = 0; p0 < groups; p0 += PASS_GROUPS) {
    size_t n = groups - p0 < PASS_GROUPS ? groups - p0 : PASS_GROUPS;
    for (size_t g = 0; g < n; g += 16) {
      size_t k0 = 3 * (p0 + g), avail = k0 < K ? K - k0 : 0;
      build_x_avx512(avail ? q + k0 : q, avail, x + g, xs + g); /* no pointer past q + K */
    }
    for (size_t i = 0; i < n; i++) {
      __m512i vx = _mm512_set1_epi32((int)x[i]), vs = _mm512_set1_epi32((int)xs[i]);
      __m512i t = _mm512_add_epi16(_mm512_maddubs_epi16(vx, c1), _mm512_maddubs_epi16(vs, c2));
      _mm512_storeu_si512(lut + (p0 + i) * TL_ENTRIES, t);
    }
  }
}

int bitgen_tl_tables_avx512(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  int st = bitgen_tl_tables_check(q, N, K, lut);
  size_t ls = bitgen_tl_lut_size(K);
  if (st != BITGEN_OK) return st;
  for (size_t n = 0; n < N; n++) token_avx512(q + n * K, K, ls / TL_ENTRIES, lut + n * ls);
  return BITGEN_OK;
}
#endif /* BITGEN_TL_X86 */

/* ---- choice: one implementation per runtime level (cpu_internal.h) ---- */
static const bitgen_tl_tables_fn tl_fns[BITGEN_NLEVELS] = {
#ifdef BITGEN_TL_X86
    bitgen_tl_tables_avx512, bitgen_tl_tables_avx2, bitgen_tl_tables_avx2,
#endif
    bitgen_tl_tables_scalar,
};

static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static size_t tl_choice;

static void tl_init(void) { tl_choice = bitgen_runtime_level(); }

int bitgen_tl_tables(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  pthread_once(&tl_once, tl_init);
  return tl_fns[tl_choice](q, N, K, lut);
}

const char *bitgen_tl_tables_isa(void) {
  pthread_once(&tl_once, tl_init);
  return bitgen_levels[tl_choice].name;
}
