/* Tests of q6_k, f16 / bf16 and the embedding row lookup of every format
 * (runtime/bitgen_fmt_more.h).
 *
 * The encoders, the q6_k quantizer, the f16 / bf16 conversions and the
 * canonical float sum here are written again from the format descriptions
 * (ggml's ggml-common.h layout and quantize_row_q6_K_ref, element by
 * element), sharing no code with the runtime. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"
#include "check.h"

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static float frand(float lo, float hi) { return lo + (hi - lo) * (float)((rnd() >> 40) * (1.0 / 16777216.0)); }

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static float bitsf(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static int same_float(float a, float b) { return fbits(a) == fbits(b); }

static void *xalloc(size_t n) {
  void *p = bitgen_alloc(n ? n : 1);
  if (p == NULL) {
    printf("out of memory\n");
    exit(2);
  }
  return p;
}

/* ---- independent 16-bit float conversions (double arithmetic) ---- */

static float t_from_f16(uint16_t h) {
  int e = h >> 10 & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
  return (float)(h & 0x8000 ? -v : v); /* exact: every f16 is an f32 */
}

static float t_from_bf16(uint16_t h) { return bitsf((uint32_t)h << 16); }

/* Round to nearest even via nearbyint on the scaled significand. */
static uint16_t t_to_f16(float f) {
  double a = fabs((double)f);
  uint16_t s = signbit(f) ? 0x8000 : 0;
  if (a >= 65520.0) return s | 0x7c00;
  if (a < ldexp(1, -14)) return s | (uint16_t)nearbyint(a * ldexp(1, 24)); /* may carry into 0x400 */
  int e;
  double fr = frexp(a, &e); /* a = fr * 2^e, fr in [0.5, 1) */
  double m = nearbyint(fr * 2048.0); /* 11 significant bits */
  if (m == 2048.0) m = 1024.0, e++;
  if (e + 14 >= 31) return s | 0x7c00;
  return s | (uint16_t)((e + 14) << 10 | ((unsigned)m - 1024));
}

/* bf16: the nearest of the two bf16 neighbours, ties to the even one. */
static uint16_t t_to_bf16(float f) {
  uint32_t u = fbits(f);
  uint16_t lo = (uint16_t)(u >> 16), hi = (uint16_t)(lo + 1);
  double dl = fabs((double)f - (double)t_from_bf16(lo));
  if ((u & 0xffff) == 0) return lo;
  if ((hi & 0x7f80) == 0x7f80 && (lo & 0x7f80) != 0x7f80 && (hi & 0x7f) == 0) { /* rounding up to Inf */
    double half = (double)t_from_bf16(lo) * 0 + ldexp(1, 127) * (2.0 - ldexp(1, -8)); /* |bf16 max| + half ulp */
    return fabs((double)f) >= half ? hi : lo;
  }
  double dh = fabs((double)t_from_bf16(hi) - (double)f);
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return (lo & 1) ? hi : lo;
}

static void test_conversions(void) {
  group_begin("f16-bf16-every-pattern");
  for (uint32_t h = 0; h < 65536; h++) {
    const int bf_fin = (h & 0x7f80) != 0x7f80;
    if (bf_fin) check_at(same_float(bitgen_bf16_to_f32((uint16_t)h), t_from_bf16((uint16_t)h)), __LINE__, "bf16 %x", h);
    if (bf_fin) check_at(bitgen_f32_to_bf16(t_from_bf16((uint16_t)h)) == h, __LINE__, "bf16 round trip %x", h);
    if ((h & 0x7c00) != 0x7c00)
      check_at(t_to_f16(t_from_f16((uint16_t)h)) == h, __LINE__, "f16 test round trip %x", h);
  }
  /* values between the patterns, ties included */
  for (int i = 0; i < 400000; i++) {
    float f = bitsf((uint32_t)rnd());
    if (!isfinite(f)) continue;
    if (i % 4 == 0) f = bitsf((fbits(f) & 0xffff0000u) | 0x8000u); /* an exact bf16 tie */
    check_at(bitgen_f32_to_bf16(f) == t_to_bf16(f), __LINE__, "bf16 of %a: %x want %x", (double)f,
             bitgen_f32_to_bf16(f), t_to_bf16(f));
    float g = frand(-70000.0f, 70000.0f) * (i % 3 == 0 ? 1e-6f : 1.0f);
    check_at(bitgen_f32_to_f16(g) == t_to_f16(g), __LINE__, "f16 of %a", (double)g);
  }
  /* NaN: quiet, sign and top payload kept (ggml) */
  check_at(bitgen_f32_to_bf16(bitsf(0x7f800001u)) == 0x7fc0, __LINE__, "sNaN -> qNaN");
  check_at(bitgen_f32_to_bf16(bitsf(0xff812345u)) == 0xffc1, __LINE__, "NaN payload");
  group_end();
}

/* ---- q6_k: an independent encoder (where is element e?) ---- */

static void t_q6k_encode(const int8_t *q, const int8_t *sc, uint16_t d16, uint8_t *blk) {
  memset(blk, 0, 210);
  for (int e = 0; e < 256; e++) {
    unsigned u = (unsigned)(q[e] + 32), half = e / 128, quarter = e % 128 / 32, l = e % 32;
    unsigned qlbyte = 64 * half + (quarter % 2 ? 32 : 0) + l;
    blk[qlbyte] |= (uint8_t)((u & 15) << (quarter >= 2 ? 4 : 0));
    blk[128 + 32 * half + l] |= (uint8_t)((u >> 4) << (2 * quarter));
  }
  for (int j = 0; j < 16; j++) blk[192 + j] = (uint8_t)sc[j];
  blk[208] = (uint8_t)d16;
  blk[209] = (uint8_t)(d16 >> 8);
}

/* ggml's quantize_row_q6_K_ref, one block, written again.  nearbyint rounds
 * half to even like ggml's nearest_int in the default rounding mode. */
static int t_near(float v) { return (int)nearbyintf(v); }
static int t_clamp(int l) { return l > 31 ? 31 : (l < -32 ? -32 : l); }

static float t_make_qx(const float *x, int8_t *L) {
  float max = 0, amax = 0;
  for (int i = 0; i < 16; ++i)
    if (fabsf(x[i]) > amax) amax = fabsf(x[i]), max = x[i];
  if (amax < 1e-15f) {
    for (int i = 0; i < 16; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -32.0f / max, sumlx = 0, suml2 = 0;
  for (int i = 0; i < 16; ++i) {
    int l = t_clamp(t_near(iscale * x[i]));
    L[i] = (int8_t)(32 + l);
    float w = x[i] * x[i];
    float wx = w * x[i], wl = w * (float)l;
    sumlx = sumlx + wx * (float)l;
    suml2 = suml2 + wl * (float)l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (!is) continue;
    float tenth = 0.1f * (float)is;
    float it = -(32.0f + tenth) / max, slx = 0, sl2 = 0;
    for (int i = 0; i < 16; ++i) {
      int l = t_clamp(t_near(it * x[i]));
      float w = x[i] * x[i];
      float wx = w * x[i], wl = w * (float)l;
      slx = slx + wx * (float)l;
      sl2 = sl2 + wl * (float)l;
    }
    float a = slx * slx, b = best * sl2;
    if (sl2 > 0 && a > b) {
      for (int i = 0; i < 16; ++i) L[i] = (int8_t)(32 + t_clamp(t_near(it * x[i])));
      scale = slx / sl2;
      best = scale * slx;
    }
  }
  return scale;
}

/* 0: ok; 1: d overflows f16 (the runtime must refuse the matrix). */
static int t_q6k_quantize(const float *x, uint8_t *blk) {
  int8_t L[256], q[256], sc[16];
  float scales[16], max_scale = 0, max_abs = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = t_make_qx(x + 16 * j, L + 16 * j);
    if (fabsf(scales[j]) > max_abs) max_abs = fabsf(scales[j]), max_scale = scales[j];
  }
  if (max_abs < 1e-15f) {
    memset(blk, 0, 210);
    return 0;
  }
  float iscale = -128.f / max_scale;
  uint16_t d16 = t_to_f16(1.0f / iscale);
  if ((d16 & 0x7c00) == 0x7c00) return 1;
  for (int j = 0; j < 16; ++j) {
    int v = t_near(iscale * scales[j]);
    sc[j] = (int8_t)(v > 127 ? 127 : v);
  }
  for (int j = 0; j < 16; ++j) {
    float d = t_from_f16(d16) * (float)sc[j];
    if (d == 0.0f) continue;
    for (int i = 0; i < 16; ++i) L[16 * j + i] = (int8_t)(32 + t_clamp(t_near(x[16 * j + i] / d)));
  }
  for (int e = 0; e < 256; e++) q[e] = (int8_t)(L[e] - 32);
  t_q6k_encode(q, sc, d16, blk);
  return 0;
}

/* Edge blocks: zero, one value, one sign, ties, tiny and huge magnitudes,
 * a zero sub-block, values at the rounding boundaries of 1/d. */
static void gen_q6k_block(int kind, float *x) {
  float s = kind % 2 ? 1.0f : -1.0f;
  for (int i = 0; i < 256; i++) {
    switch (kind) {
    case 0: x[i] = 0.0f; break;
    case 1: x[i] = i == 77 ? 3.5f : 0.0f; break;
    case 2: case 3: x[i] = s * frand(0.0f, 2.0f); break;
    case 4: x[i] = (float)((int)(rnd() % 65) - 32) * 0.25f; break; /* on the grid: ties */
    case 5: x[i] = frand(-1.0f, 1.0f) * 1e-30f; break;
    case 6: x[i] = frand(-1.0f, 1.0f) * 1e5f; break;
    case 7: x[i] = i < 16 || (i >= 96 && i < 112) ? 0.0f : frand(-3.0f, 3.0f); break;
    case 8: x[i] = frand(-1.0f, 1.0f) * 1e-12f; break; /* around GROUP_MAX_EPS and f16 subnormal d */
    case 9: x[i] = (i % 16 == 0 ? 100.0f : 0.01f) * frand(-1.0f, 1.0f); break;
    default: x[i] = frand(-1.0f, 1.0f) * (rnd() % 4 ? 1.0f : 40.0f);
    }
  }
}

static const bitgen_format *fmt(const char *n) { return bitgen_format_by_name(n); }

static void test_q6k(void) {
  const bitgen_format *f = fmt("q6_k");
  group_begin("q6_k-encode-pack-export");
  check_at(f && f->kind == BITGEN_KIND_BLOCK && f->block == 256 && f->gguf_bytes == 210, __LINE__, "table");
  const size_t shapes[][3] = {{1, 1, 1}, {3, 2, 16}, {17, 3, 32}, {33, 1, 16}}; /* M, blocks, prows */
  for (size_t si = 0; si < 4; si++) {
    const size_t M = shapes[si][0], K = 256 * shapes[si][1], pr = shapes[si][2], nb = M * K / 256;
    int8_t *q = xalloc(M * K), *sc = xalloc(nb * 16), *q2 = xalloc(M * K), *sc2 = xalloc(nb * 16);
    uint16_t *d16 = xalloc(nb * 2);
    float *d2 = xalloc(nb * 4);
    uint8_t *want = xalloc(nb * 210), *got = xalloc(nb * 210), *back = xalloc(nb * 210);
    size_t ps = bitgen_blk_packed_size(f, M, K, pr);
    uint8_t *packed = xalloc(ps);
    check_at(ps == bitgen_q6k_packed_size(M, K, pr) && bitgen_blk_gguf_size(f, M, K) == nb * 210, __LINE__, "sizes");
    for (size_t e = 0; e < M * K; e++) q[e] = (int8_t)((int)(rnd() % 64) - 32);
    for (size_t j = 0; j < nb * 16; j++) sc[j] = (int8_t)rnd();
    for (size_t b = 0; b < nb; b++) d16[b] = (uint16_t)(rnd() % 0x7c00) | (rnd() & 1 ? 0x8000 : 0);
    if (nb > 1) d16[1] = 0; /* zero d: valid data */
    for (size_t b = 0; b < nb; b++) t_q6k_encode(q + 256 * b, sc + 16 * b, d16[b], want + 210 * b);
    check_at(bitgen_q6k_encode_gguf(M, K, q, sc, d16, got, nb * 210) == BITGEN_OK, __LINE__, "encode");
    check_at(memcmp(got, want, nb * 210) == 0, __LINE__, "encode bytes M=%zu", M);
    check_at(bitgen_blk_pack_gguf(f, M, K, pr, want, nb * 210, packed, ps) == BITGEN_OK, __LINE__, "pack_gguf");
    check_at(bitgen_blk_export_gguf(f, M, K, pr, packed, ps, back, nb * 210) == BITGEN_OK, __LINE__, "export");
    check_at(memcmp(back, want, nb * 210) == 0, __LINE__, "export = import");
    check_at(bitgen_q6k_unpack(M, K, pr, packed, ps, q2, sc2, d2) == BITGEN_OK, __LINE__, "unpack");
    check_at(memcmp(q, q2, M * K) == 0 && memcmp(sc, sc2, nb * 16) == 0, __LINE__, "unpack values");
    for (size_t b = 0; b < nb; b++) check_at(same_float(d2[b], t_from_f16(d16[b])), __LINE__, "unpack d");
    /* the tiled layout: block b of row i's codes, then its d */
    size_t tile = (shapes[si][1] * pr * 210 + 63) / 64 * 64;
    for (size_t i = 0; i < M; i++)
      for (size_t b = 0; b < shapes[si][1]; b++) {
        const uint8_t *blk = want + (i * shapes[si][1] + b) * 210;
        check_at(memcmp(packed + i / pr * tile + (b * pr + i % pr) * 208, blk, 208) == 0, __LINE__, "codes at");
        check_at(memcmp(packed + i / pr * tile + shapes[si][1] * pr * 208 + (b * pr + i % pr) * 2, blk + 208, 2) == 0,
                 __LINE__, "d at");
      }
    /* a non-finite d anywhere: refused, nothing written */
    memcpy(got, want, nb * 210);
    got[(nb - 1) * 210 + 209] = 0x7c;
    memset(packed, 0xAB, ps);
    check_at(bitgen_blk_pack_gguf(f, M, K, pr, got, nb * 210, packed, ps) == BITGEN_E_VALUE, __LINE__, "inf d");
    check_at(packed[0] == 0xAB && packed[ps - 1] == 0xAB, __LINE__, "nothing written");
    q[0] = 32;
    check_at(bitgen_q6k_encode_gguf(M, K, q, sc, d16, got, nb * 210) == BITGEN_E_VALUE, __LINE__, "q out of range");
    check_at(bitgen_blk_pack_gguf(f, M, K + 16, pr, want, nb * 210, packed, ps) == BITGEN_E_SIZE, __LINE__, "K");
    check_at(bitgen_blk_pack_gguf(f, M, K, pr, want, nb * 210 - 1, packed, ps) == BITGEN_E_SIZE, __LINE__, "src");
    bitgen_free(q), bitgen_free(sc), bitgen_free(q2), bitgen_free(sc2), bitgen_free(d16), bitgen_free(d2);
    bitgen_free(want), bitgen_free(got), bitgen_free(back), bitgen_free(packed);
  }
  group_end();

  group_begin("q6_k-quantizer-byte-exact");
  {
    const size_t M = 3, K = 512, pr = 16;
    float *x = xalloc(M * K * 4);
    uint8_t want[6 * 210], got[6 * 210];
    size_t ps = bitgen_blk_packed_size(f, M, K, pr);
    uint8_t *packed = xalloc(ps);
    for (int round = 0; round < 120; round++) {
      int over = 0;
      for (size_t b = 0; b < 6; b++) gen_q6k_block((int)((round * 6 + b) % 14), x + 256 * b);
      for (size_t b = 0; b < 6; b++) over |= t_q6k_quantize(x + 256 * b, want + 210 * b);
      check_at(!over, __LINE__, "no overflow expected");
      check_at(bitgen_blk_pack_f32(f, M, K, pr, x, packed, ps) == BITGEN_OK, __LINE__, "pack_f32");
      check_at(bitgen_blk_export_gguf(f, M, K, pr, packed, ps, got, sizeof got) == BITGEN_OK, __LINE__, "export");
      for (size_t b = 0; b < 6; b++)
        check_at(memcmp(got + 210 * b, want + 210 * b, 210) == 0, __LINE__, "round %d block %zu (kind %d)", round, b,
                 (int)((round * 6 + b) % 14));
    }
    /* d beyond f16 (ggml would write Inf), and non-finite weights: refused */
    for (size_t e = 0; e < M * K; e++) x[e] = 1e9f * frand(-1.0f, 1.0f);
    memset(packed, 0xCD, ps);
    check_at(bitgen_blk_pack_f32(f, M, K, pr, x, packed, ps) == BITGEN_E_VALUE, __LINE__, "f16 overflow");
    check_at(packed[0] == 0xCD, __LINE__, "nothing written");
    for (size_t e = 0; e < M * K; e++) x[e] = 0.5f;
    x[300] = NAN;
    check_at(bitgen_blk_pack_f32(f, M, K, pr, x, packed, ps) == BITGEN_E_VALUE, __LINE__, "NaN weight");
    bitgen_free(x), bitgen_free(packed);
  }
  group_end();

  group_begin("q6_k-reference");
  {
    const size_t M = 5, K = 512, N = 3, nb = K / 256;
    int8_t q[5 * 512], sc[5 * 32], a[3 * 512];
    float wd[10], ad[6], y[15];
    for (size_t e = 0; e < M * K; e++) q[e] = (int8_t)((int)(rnd() % 64) - 32);
    for (size_t j = 0; j < M * K / 16; j++) sc[j] = (int8_t)rnd();
    for (size_t e = 0; e < N * K; e++) a[e] = (int8_t)rnd();
    for (size_t b = 0; b < M * nb; b++) wd[b] = frand(-0.01f, 0.01f);
    for (size_t b = 0; b < N * nb; b++) ad[b] = frand(0.001f, 0.02f);
    q[0] = -32, a[0] = -128, sc[0] = -128; /* extremes: exact in int32 */
    check_at(bitgen_ref_q6k(M, K, q, sc, wd, a, ad, N, y) == BITGEN_OK, __LINE__, "ref");
    for (size_t j = 0; j < N; j++)
      for (size_t i = 0; i < M; i++) {
        float acc = 0.0f;
        for (size_t b = 0; b < nb; b++) {
          int64_t is = 0;
          for (size_t k = b * 256; k < b * 256 + 256; k++) is += (int64_t)sc[(i * K + k) / 16] * q[i * K + k] * a[j * K + k];
          float s = wd[i * nb + b] * ad[j * nb + b];
          float p = (float)is * s;
          acc = acc + p;
        }
        check_at(same_float(acc, y[j * M + i]), __LINE__, "ref y[%zu][%zu]", j, i);
      }
    wd[3] = INFINITY;
    check_at(bitgen_ref_q6k(M, K, q, sc, wd, a, ad, N, y) == BITGEN_E_VALUE, __LINE__, "inf wd");
  }
  group_end();
}

/* ---- f16 / bf16 ---- */

/* The canonical sum written as a recursion over halves of the 16 lanes. */
static float t_lanes(const float *s, int n) {
  if (n == 1) return s[0];
  float h[8];
  for (int l = 0; l < n / 2; l++) h[l] = s[l] + s[l + n / 2];
  return t_lanes(h, n / 2);
}

static float t_dot(const float *w, const float *x, size_t K) {
  float s[16];
  for (int l = 0; l < 16; l++) {
    float acc = 0.0f;
    for (size_t k = (size_t)l; k < K; k += 16) {
      float p = w[k] * x[k];
      acc = acc + p;
    }
    s[l] = acc;
  }
  return t_lanes(s, 16);
}

static void test_fp(const char *name) {
  const bitgen_format *f = fmt(name);
  const int bf = strcmp(name, "bf16") == 0;
  char gname[64];
  snprintf(gname, sizeof gname, "%s-packers", name);
  group_begin(gname);
  check_at(f && f->kind == BITGEN_KIND_FP && f->block == 16, __LINE__, "table");
  /* every 16-bit pattern as one 4096 x 16 matrix */
  {
    const size_t M = 4096, K = 16, pr = 16;
    uint8_t *src = xalloc(M * K * 2), *back = xalloc(M * K * 2);
    size_t ps = bitgen_fp_packed_size(f, M, K, pr);
    uint8_t *packed = xalloc(ps);
    float *w = xalloc(M * K * 4);
    check_at(ps == M * K * 2 && bitgen_fp_gguf_size(f, M, K) == M * K * 2, __LINE__, "sizes");
    size_t bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
      uint16_t v = (uint16_t)h;
      int fin = bf ? (v & 0x7f80) != 0x7f80 : (v & 0x7c00) != 0x7c00;
      if (!fin) v = bf ? (uint16_t)(v & 0x807f) : (uint16_t)(v & 0x83ff), bad++; /* finite stand-in */
      src[2 * h] = (uint8_t)v, src[2 * h + 1] = (uint8_t)(v >> 8);
    }
    check_at(bad == (bf ? 256u : 2048u), __LINE__, "non-finite patterns");
    check_at(bitgen_fp_pack_gguf(f, M, K, pr, src, M * K * 2, packed, ps) == BITGEN_OK, __LINE__, "pack");
    check_at(bitgen_fp_export_gguf(f, M, K, pr, packed, ps, back, M * K * 2) == BITGEN_OK, __LINE__, "export");
    check_at(memcmp(src, back, M * K * 2) == 0, __LINE__, "export = import");
    check_at(bitgen_fp_unpack(f, M, K, pr, packed, ps, w) == BITGEN_OK, __LINE__, "unpack");
    for (size_t e = 0; e < M * K; e++) {
      uint16_t v = (uint16_t)(src[2 * e] | src[2 * e + 1] << 8);
      check_at(same_float(w[e], bf ? t_from_bf16(v) : t_from_f16(v)), __LINE__, "value %x", v);
    }
    /* pack_f32 of the decoded values gives the same bits (exact round trip) */
    memset(packed, 0, ps);
    check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed, ps) == BITGEN_OK, __LINE__, "pack_f32");
    check_at(memcmp(packed, src, M * K * 2) == 0, __LINE__, "pack_f32 round trip");
    /* every non-finite pattern, alone in the matrix, is refused */
    for (uint32_t h = 0; h < 65536; h++) {
      uint16_t v = (uint16_t)h;
      if (bf ? (v & 0x7f80) != 0x7f80 : (v & 0x7c00) != 0x7c00) continue;
      uint8_t keep0 = src[2 * 5], keep1 = src[2 * 5 + 1];
      src[10] = (uint8_t)v, src[11] = (uint8_t)(v >> 8);
      check_at(bitgen_fp_pack_gguf(f, M, K, pr, src, M * K * 2, packed, ps) == BITGEN_E_VALUE, __LINE__, "refuse %x", v);
      src[10] = keep0, src[11] = keep1;
    }
    bitgen_free(src), bitgen_free(back), bitgen_free(packed), bitgen_free(w);
  }
  /* pack_f32 rounding against the independent conversion; overflow refused */
  {
    const size_t M = 5, K = 48, pr = 4;
    float w[5 * 48];
    size_t ps = bitgen_fp_packed_size(f, M, K, pr);
    uint8_t *packed = xalloc(ps);
    check_at(ps == 8 * 48 * 2, __LINE__, "padded to the pack tile");
    for (int round = 0; round < 200; round++) {
      for (size_t e = 0; e < M * K; e++)
        w[e] = bf ? bitsf((uint32_t)rnd() & 0xbf7fffffu) : frand(-60000.0f, 60000.0f) * (e % 3 ? 1.0f : 1e-6f);
      check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed, ps) == BITGEN_OK, __LINE__, "pack_f32");
      for (size_t e = 0; e < M * K; e++) {
        uint16_t got = (uint16_t)(packed[2 * e] | packed[2 * e + 1] << 8);
        uint16_t want = bf ? t_to_bf16(w[e]) : t_to_f16(w[e]);
        check_at(got == want, __LINE__, "%a -> %x, want %x", (double)w[e], got, want);
      }
      int zero_pad = 1;
      for (size_t e = M * K * 2; e < ps; e++) zero_pad &= packed[e] == 0;
      check_at(zero_pad, __LINE__, "padding rows zero");
    }
    w[7] = bf ? 3.4e38f : 65520.0f; /* rounds to Inf */
    check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed, ps) == BITGEN_E_VALUE, __LINE__, "overflow");
    w[7] = INFINITY;
    check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed, ps) == BITGEN_E_VALUE, __LINE__, "inf");
    check_at(bitgen_fp_pack_f32(f, M, K + 8, pr, w, packed, ps) == BITGEN_E_SIZE, __LINE__, "K % 16");
    check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed, ps - 2) == BITGEN_E_SIZE, __LINE__, "size");
    check_at(bitgen_fp_pack_f32(f, M, K, pr, w, packed + 1, ps) == BITGEN_E_ALIGN, __LINE__, "alignment");
    bitgen_free(packed);
  }
  group_end();

  snprintf(gname, sizeof gname, "%s-reference-order", name);
  group_begin(gname);
  {
    const size_t M = 7, K = 160, N = 3;
    float w[7 * 160], x[3 * 160], y[21];
    for (size_t e = 0; e < M * K; e++) w[e] = bf ? t_from_bf16(t_to_bf16(frand(-2, 2))) : t_from_f16(t_to_f16(frand(-2, 2)));
    for (size_t e = 0; e < N * K; e++) x[e] = frand(-3.0f, 3.0f) * (e % 7 ? 1.0f : 1e6f); /* cancellation */
    check_at(bitgen_ref_fp(M, K, w, x, N, y) == BITGEN_OK, __LINE__, "ref");
    for (size_t j = 0; j < N; j++)
      for (size_t i = 0; i < M; i++) check_at(same_float(y[j * M + i], t_dot(w + i * K, x + j * K, K)), __LINE__, "order");
    x[5] = NAN;
    check_at(bitgen_ref_fp(M, K, w, x, N, y) == BITGEN_E_VALUE, __LINE__, "NaN activation");
  }
  group_end();
}

/* ---- row lookup, every format: against decode of the whole matrix ---- */

static void test_rows(void) {
  static const char *const names[] = {"i2s", "tl", "tq2_0", "tq1_0", "q4_0", "q8_0", "q6_k", "f16", "bf16"};
  group_begin("row-lookup-every-format");
  for (size_t fi = 0; fi < sizeof names / sizeof *names; fi++) {
    const bitgen_format *f = fmt(names[fi]);
    const size_t M = 19, pr = 16, K = f->kind == BITGEN_KIND_TL ? 259 : (f->block >= 128 ? 2 * f->block : 96);
    float *x = xalloc(M * K * 4), *all = xalloc(M * K * 4), *row = xalloc(K * 4);
    int8_t *v = xalloc(M * K), *sc = xalloc(M * K / 16 + 1);
    float *d = xalloc((M * K / 16 + 1) * 4);
    size_t ps;
    void *packed;
    const float wscale = 0.37f;
    for (size_t e = 0; e < M * K; e++) x[e] = frand(-1.0f, 1.0f);
    int rc;
    if (f->kind == BITGEN_KIND_I2S || f->kind == BITGEN_KIND_TL) {
      for (size_t e = 0; e < M * K; e++) v[e] = (int8_t)((int)(rnd() % 3) - 1);
      ps = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_packed_size(M, K, pr) : bitgen_tl_packed_size(M, K, pr);
      packed = xalloc(ps);
      rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_pack_ternary(M, K, pr, v, packed, ps)
                                       : bitgen_tl_pack_ternary(M, K, pr, v, packed, ps);
      for (size_t e = 0; e < M * K; e++) all[e] = v[e] == 0 ? 0.0f : v[e] > 0 ? wscale : -wscale;
    } else if (f->kind == BITGEN_KIND_FP) {
      ps = bitgen_fp_packed_size(f, M, K, pr);
      packed = xalloc(ps);
      rc = bitgen_fp_pack_f32(f, M, K, pr, x, packed, ps);
      if (rc == BITGEN_OK) rc = bitgen_fp_unpack(f, M, K, pr, packed, ps, all);
    } else {
      ps = bitgen_blk_packed_size(f, M, K, pr);
      packed = xalloc(ps);
      rc = bitgen_blk_pack_f32(f, M, K, pr, x, packed, ps);
      if (strcmp(f->name, "q6_k") == 0) {
        if (rc == BITGEN_OK) rc = bitgen_q6k_unpack(M, K, pr, packed, ps, v, sc, d);
        for (size_t e = 0; e < M * K && rc == BITGEN_OK; e++) {
          float ds = d[e / 256] * (float)sc[e / 16];
          all[e] = ds * (float)v[e];
        }
      } else {
        if (rc == BITGEN_OK) rc = bitgen_blk_unpack(f, M, K, pr, packed, ps, v, d);
        for (size_t e = 0; e < M * K && rc == BITGEN_OK; e++) all[e] = (float)v[e] * d[e / f->block];
      }
    }
    check_at(rc == BITGEN_OK, __LINE__, "%s: pack/decode %d", names[fi], rc);
    for (size_t i = 0; i < M; i++) {
      memset(row, 0xEE, K * 4);
      rc = f->kind == BITGEN_KIND_I2S  ? bitgen_i2s_row(M, K, pr, packed, ps, wscale, i, row)
           : f->kind == BITGEN_KIND_TL ? bitgen_tl_row(M, K, pr, packed, ps, wscale, i, row)
                                       : bitgen_row(f, M, K, pr, packed, ps, i, row);
      check_at(rc == BITGEN_OK, __LINE__, "%s row %zu: %d", names[fi], i, rc);
      int same = 1;
      for (size_t k = 0; k < K; k++) same &= same_float(row[k], all[i * K + k]);
      check_at(same, __LINE__, "%s row %zu = decode of the whole matrix", names[fi], i);
    }
    /* errors: row past M, a bad wscale, a NULL */
    rc = f->kind == BITGEN_KIND_I2S  ? bitgen_i2s_row(M, K, pr, packed, ps, wscale, M, row)
         : f->kind == BITGEN_KIND_TL ? bitgen_tl_row(M, K, pr, packed, ps, wscale, M, row)
                                     : bitgen_row(f, M, K, pr, packed, ps, M, row);
    check_at(rc == BITGEN_E_SIZE, __LINE__, "%s row M", names[fi]);
    if (f->kind == BITGEN_KIND_I2S || f->kind == BITGEN_KIND_TL) {
      rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_row(M, K, pr, packed, ps, NAN, 0, row)
                                       : bitgen_tl_row(M, K, pr, packed, ps, 0.0f, 0, row);
      check_at(rc == BITGEN_E_VALUE, __LINE__, "%s wscale", names[fi]);
      check_at(bitgen_row(f, M, K, pr, packed, ps, 0, row) == BITGEN_E_SIZE, __LINE__, "needs its wscale");
      memset(packed, 0xFF, ps); /* code 3 / bit 15 */
      rc = f->kind == BITGEN_KIND_I2S ? bitgen_i2s_row(M, K, pr, packed, ps, wscale, 2, row)
                                       : bitgen_tl_row(M, K, pr, packed, ps, wscale, 2, row);
      check_at(rc == BITGEN_E_VALUE, __LINE__, "%s bad bytes", names[fi]);
    } else {
      check_at(bitgen_row(f, M, K, pr, packed, ps, 0, NULL) == BITGEN_E_NULL, __LINE__, "NULL out");
      memset(packed, 0xFF, ps); /* f16 scales / values 0xffff: NaN */
      check_at(bitgen_row(f, M, K, pr, packed, ps, 1, row) == BITGEN_E_VALUE, __LINE__, "%s NaN bytes", names[fi]);
    }
    bitgen_free(x), bitgen_free(all), bitgen_free(row), bitgen_free(v), bitgen_free(sc), bitgen_free(d);
    bitgen_free(packed);
  }
  group_end();
}

int main(void) {
  if (fegetround() != FE_TONEAREST) return 2;
  test_conversions();
  test_q6k();
  test_fp("f16");
  test_fp("bf16");
  test_rows();
  return check_summary();
}
