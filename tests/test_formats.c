/* Tests of the weight formats beside i2s (bitgen_fmt.h): f16 conversion,
 * the format table, the ggml block packers, the block activation quantizer
 * and the block reference.
 *
 * The ggml encoders/decoders here are written from the format description
 * element by element (where is element e?), while the runtime works byte by
 * byte, so the two share no code and no structure. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_rt.h"
#include "check.h"
#include "quant_internal.h"

/* ---- helpers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }
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

/* Equal floats, NaN equal to NaN, and -0 distinct from +0. */
static int same_float(float a, float b) { return (isnan(a) && isnan(b)) || fbits(a) == fbits(b); }

static void *xalloc(size_t n) {
  void *p = bitgen_alloc(n);
  if (p == NULL) {
    printf("out of memory\n");
    exit(2);
  }
  return p;
}

/* ---- independent f16 ---- */

/* Through double arithmetic: nearbyint rounds half to even. */
static uint16_t soft_to_f16(float f) {
  double a = fabs((double)f);
  uint16_t sign = signbit(f) ? 0x8000 : 0;
  int e;
  double m;
  if (isnan(f)) return (uint16_t)(sign | 0x7e00);
  if (a >= 65520.0) return (uint16_t)(sign | 0x7c00);
  if (a < ldexp(1.0, -14)) return (uint16_t)(sign | (uint16_t)nearbyint(a * ldexp(1.0, 24)));
  frexp(a, &e); /* a = [0.5, 1) * 2^e */
  m = nearbyint(ldexp(a, 11 - e)); /* 1024 .. 2048 */
  if (m == 2048.0) {
    m = 1024.0;
    e++;
  }
  if (e - 1 > 15) return (uint16_t)(sign | 0x7c00);
  return (uint16_t)(sign | (e - 1 + 15) << 10 | ((uint16_t)m - 1024));
}

static float soft_from_f16(uint16_t h) {
  int exp = h >> 10 & 31, mant = h & 1023;
  float s = h & 0x8000 ? -1.0f : 1.0f;
  if (exp == 31) return mant ? NAN : s * INFINITY;
  if (exp == 0) return s * (float)ldexp(mant, -24);
  return s * (float)ldexp(1024 + mant, exp - 25);
}

#if defined(__FLT16_MAX__) && (defined(__x86_64__) || defined(__aarch64__))
#define HAVE_FLOAT16 1
static uint16_t t_to_f16(float f) {
  _Float16 h = (_Float16)f;
  uint16_t u;
  memcpy(&u, &h, 2);
  return u;
}
static float t_from_f16(uint16_t u) {
  _Float16 h;
  memcpy(&h, &u, 2);
  return (float)h;
}
#else
#define HAVE_FLOAT16 0
#define t_to_f16 soft_to_f16
#define t_from_f16 soft_from_f16
#endif

/* f16 results compare equal, any NaN matching any NaN. */
static int same_f16(uint16_t a, uint16_t b) {
  int na = (a & 0x7c00) == 0x7c00 && (a & 0x3ff), nb = (b & 0x7c00) == 0x7c00 && (b & 0x3ff);
  return na ? nb : a == b;
}

static void test_f16(void) {
  group_begin("f16");
  for (uint32_t h = 0; h < 65536; h++) {
    float f = bitgen_f16_to_f32((uint16_t)h);
    int is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    CHECK(same_float(f, t_from_f16((uint16_t)h)), "f16 %04x -> %g", h, f);
    CHECK(same_float(f, soft_from_f16((uint16_t)h)), "f16 %04x -> %g (soft)", h, f);
    if (is_nan)
      CHECK(isnan(f) && same_f16(bitgen_f32_to_f16(f), (uint16_t)h), "NaN %04x", h);
    else
      CHECK(bitgen_f32_to_f16(f) == h, "round trip %04x -> %04x", h, bitgen_f32_to_f16(f));
  }
  /* Random bit patterns over every exponent, then values near the f16 range. */
  for (int t = 0; t < 400000; t++) {
    float f = t % 2 ? bitsf((uint32_t)rnd()) : ldexpf(frand(-1.0f, 1.0f), (int)rnd_below(50) - 30);
    uint16_t got = bitgen_f32_to_f16(f);
    CHECK(same_f16(got, t_to_f16(f)), "f32 %a -> %04x, want %04x", f, got, t_to_f16(f));
    if (HAVE_FLOAT16) CHECK(same_f16(soft_to_f16(f), t_to_f16(f)), "soft f16 of %a", f);
  }
  /* Exact ties between neighbours (subnormal, normal, the top: 65520). */
  for (uint32_t h = 0; h < 0x7c00; h++) {
    float mid = (float)(((double)t_from_f16((uint16_t)h) + (double)t_from_f16((uint16_t)(h + 1))) / 2);
    uint16_t want = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
    CHECK(bitgen_f32_to_f16(mid) == want, "tie %a -> %04x, want %04x", mid, bitgen_f32_to_f16(mid), want);
    CHECK(bitgen_f32_to_f16(-mid) == (want | 0x8000), "tie -%a", mid);
    CHECK(t_to_f16(mid) == want, "independent tie %a", mid);
  }
  CHECK(bitgen_f32_to_f16(65520.0f) == 0x7c00, "65520 -> inf");
  CHECK(bitgen_f32_to_f16(nextafterf(65520.0f, 0.0f)) == 0x7bff, "just below 65520");
  CHECK(bitgen_f32_to_f16(ldexpf(1.0f, -25)) == 0, "2^-25 -> 0");
  CHECK(bitgen_f32_to_f16(nextafterf(ldexpf(1.0f, -25), 1.0f)) == 1, "just above 2^-25");
  CHECK(bitgen_f32_to_f16(-0.0f) == 0x8000, "-0");
  CHECK(bitgen_f32_to_f16(INFINITY) == 0x7c00 && bitgen_f32_to_f16(-INFINITY) == 0xfc00, "inf");
  CHECK(isnan(bitgen_f16_to_f32(bitgen_f32_to_f16(NAN))), "NaN stays NaN");
  CHECK(isnan(bitgen_f16_to_f32(bitgen_f32_to_f16(bitsf(0x7f800001u)))), "signalling NaN stays NaN");
  group_end();
}

/* ---- format table ---- */

static void test_table(void) {
  static const struct {
    const char *name;
    bitgen_kind kind;
    size_t block, qbytes, gguf;
    int vmin, vmax;
  } want[] = {
      {"i2s", BITGEN_KIND_I2S, 128, 32, 0, -1, 1},      {"tq2_0", BITGEN_KIND_BLOCK, 256, 64, 66, -1, 1},
      {"tq1_0", BITGEN_KIND_BLOCK, 256, 52, 54, -1, 1}, {"q4_0", BITGEN_KIND_BLOCK, 32, 16, 18, -8, 7},
      {"q8_0", BITGEN_KIND_BLOCK, 32, 32, 34, -128, 127}, {"tl", BITGEN_KIND_TL, 1, 0, 0, -1, 1},
  };
  group_begin("format table");
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const bitgen_format *f = bitgen_format_by_name(want[i].name);
    if (!CHECK(f != NULL, "%s missing", want[i].name)) continue;
    CHECK(strcmp(f->name, want[i].name) == 0 && f->kind == want[i].kind && f->block == want[i].block &&
              f->qbytes == want[i].qbytes && f->gguf_bytes == want[i].gguf && f->vmin == want[i].vmin &&
              f->vmax == want[i].vmax,
          "%s fields", want[i].name);
  }
  CHECK(bitgen_format_by_name(NULL) == NULL, "NULL name");
  CHECK(bitgen_format_by_name("q4_1") == NULL && bitgen_format_by_name("") == NULL &&
            bitgen_format_by_name("TQ2_0") == NULL,
        "unknown names");
  group_end();
}

/* ---- the test's own ggml blocks ---- */

enum { TQ2, TQ1, Q4, Q8, NFMT };
static const char *const fmt_names[NFMT] = {"tq2_0", "tq1_0", "q4_0", "q8_0"};
static const size_t fmt_block[NFMT] = {256, 256, 32, 32};
static const size_t fmt_gguf[NFMT] = {66, 54, 18, 34};
static const size_t fmt_qbytes[NFMT] = {64, 52, 16, 32};
static const size_t fmt_d_at[NFMT] = {64, 52, 0, 0};   /* f16 d in the block */
static const size_t fmt_q_at[NFMT] = {0, 0, 2, 2};     /* code bytes in the block */
static const int fmt_vmin[NFMT] = {-1, -1, -8, -128};
static const int fmt_vmax[NFMT] = {1, 1, 7, 127};
/* |weight| that makes ggml's block scale d exactly 1.0 (d = amax, |max|/8, amax/127) */
static const float fmt_d_unit[NFMT] = {1.0f, 1.0f, 8.0f, 127.0f};
#define F16_MAX 65504.0f   /* largest finite f16 */
#define F16_ROUND_INF 65520.0f /* the smallest float that rounds to f16 Inf */

/* tq1_0: which byte and which base-3 digit (0 = most significant) hold element e. */
static void tq1_where(size_t e, size_t *byte, unsigned *digit) {
  if (e < 160) {
    *byte = e % 32;
    *digit = (unsigned)(e / 32);
  } else if (e < 240) {
    *byte = 32 + (e - 160) % 16;
    *digit = (unsigned)((e - 160) / 16);
  } else {
    *byte = 48 + (e - 240) % 4;
    *digit = (unsigned)((e - 240) / 4);
  }
}

static unsigned pow3u(unsigned n) { return n == 0 ? 1 : 3 * pow3u(n - 1); }

static int tq1_digit_of(uint8_t byte, unsigned n) {
  uint8_t q = (uint8_t)(byte * pow3u(n));
  return (uint16_t)(q * 3) >> 8;
}

/* Values (in range) and f16 bits -> block bytes, element by element. */
static void t_encode(int fmt, const int8_t *v, uint16_t d16, uint8_t *blk) {
  unsigned acc[52] = {0};
  memset(blk, 0, fmt_gguf[fmt]);
  blk[fmt_d_at[fmt]] = (uint8_t)d16;
  blk[fmt_d_at[fmt] + 1] = (uint8_t)(d16 >> 8);
  for (size_t e = 0; e < fmt_block[fmt]; e++) {
    switch (fmt) {
    case TQ2:
      blk[32 * (e / 128) + e % 128 % 32] |= (uint8_t)((v[e] + 1) << (2 * (e % 128 / 32)));
      break;
    case TQ1: {
      size_t byte;
      unsigned n;
      tq1_where(e, &byte, &n);
      acc[byte] += (unsigned)(v[e] + 1) * pow3u(4 - n);
      break;
    }
    case Q4:
      blk[2 + e % 16] |= (uint8_t)((v[e] + 8) << (e < 16 ? 0 : 4));
      break;
    default:
      blk[2 + e] = (uint8_t)v[e];
    }
  }
  if (fmt == TQ1)
    for (size_t b = 0; b < 52; b++) blk[b] = (uint8_t)((acc[b] * 256 + 242) / 243);
}

static uint16_t t_decode(int fmt, const uint8_t *blk, int8_t *v) {
  for (size_t e = 0; e < fmt_block[fmt]; e++) {
    switch (fmt) {
    case TQ2:
      v[e] = (int8_t)((blk[32 * (e / 128) + e % 128 % 32] >> (2 * (e % 128 / 32)) & 3) - 1);
      break;
    case TQ1: {
      size_t byte;
      unsigned n;
      tq1_where(e, &byte, &n);
      v[e] = (int8_t)(tq1_digit_of(blk[byte], n) - 1);
      break;
    }
    case Q4:
      v[e] = (int8_t)((e < 16 ? blk[2 + e] & 15 : blk[2 + e - 16] >> 4) - 8);
      break;
    default:
      v[e] = (int8_t)blk[2 + e];
    }
  }
  return (uint16_t)(blk[fmt_d_at[fmt]] | blk[fmt_d_at[fmt] + 1] << 8);
}

/* ggml's reference quantizers, from the description. */
static void t_quantize(int fmt, const float *x, uint8_t *blk) {
  int8_t v[256];
  size_t n = fmt_block[fmt];
  float amax = 0.0f, max = 0.0f, d, id;
  for (size_t j = 0; j < n; j++)
    if (fabsf(x[j]) > amax) {
      amax = fabsf(x[j]);
      max = x[j];
    }
  if (fmt == TQ2 || fmt == TQ1) {
    d = amax;
    id = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < n; j++) v[j] = (int8_t)lroundf(x[j] * id);
    t_encode(fmt, v, t_to_f16(d), blk);
  } else if (fmt == Q4) {
    d = max / -8.0f;
    id = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < n; j++) {
      int8_t q = (int8_t)(x[j] * id + 8.5f);
      v[j] = (int8_t)((q < 15 ? q : 15) - 8);
    }
    t_encode(fmt, v, t_to_f16(d), blk);
  } else {
    d = amax / 127.0f;
    id = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < n; j++) v[j] = (int8_t)roundf(x[j] * id);
    t_encode(fmt, v, t_to_f16(d), blk);
  }
}

/* The tq1_0 byte code: every v < 243 decodes to its own five digits. */
static void test_tq1_code(void) {
  group_begin("tq1_0 byte code");
  for (unsigned v = 0; v < 243; v++) {
    uint8_t byte = (uint8_t)((v * 256 + 242) / 243);
    for (unsigned n = 0; n < 5; n++)
      CHECK(tq1_digit_of(byte, n) == (int)(v / pow3u(4 - n) % 3), "v %u digit %u", v, n);
  }
  group_end();
}

/* ---- weight generators: one block of n values, of a given kind ---- */

enum { G_RANDOM, G_ZERO, G_POS, G_NEG, G_TIES, G_NEGMAX, G_SINGLE, G_OPPOSITE, G_HUGE, G_TINY, G_NKINDS };

static void gen_block(int fmt, int kind, float *x, size_t n) {
  float mag = powf(10.0f, frand(-3.0f, 3.0f));
  for (size_t j = 0; j < n; j++) x[j] = frand(-1.0f, 1.0f) * mag;
  switch (kind) {
  case G_ZERO:
    memset(x, 0, n * sizeof *x);
    break;
  case G_POS:
    for (size_t j = 0; j < n; j++) x[j] = fabsf(x[j]);
    break;
  case G_NEG:
    for (size_t j = 0; j < n; j++) x[j] = -fabsf(x[j]);
    break;
  case G_TIES: { /* x/d exactly half-way between two levels */
    float sgn = rnd() & 1 ? 1.0f : -1.0f;
    size_t at = rnd_below(n);
    for (size_t j = 0; j < n; j++) {
      if (fmt == TQ2 || fmt == TQ1) /* amax = 4: x = +-2 is t = +-0.5 */
        x[j] = rnd() & 1 ? 2.0f : -2.0f;
      else if (fmt == Q4) /* max = -+2: d = +-0.25, x/d + 8.5 integral */
        x[j] = ((float)(int)rnd_below(16) - 8.0f + 0.5f) * 0.25f;
      else /* amax = 15.875: d = 0.125 */
        x[j] = ((float)(int)rnd_below(254) - 127.0f + 0.5f) * 0.125f;
    }
    x[at] = sgn * (fmt == Q4 ? 2.0f : fmt == Q8 ? 15.875f : 4.0f);
    break;
  }
  case G_NEGMAX:
    x[rnd_below(n)] = -2.0f * mag;
    break;
  case G_SINGLE: {
    size_t at = rnd_below(n);
    float v = x[at] != 0.0f ? x[at] : 1.0f;
    memset(x, 0, n * sizeof *x);
    x[at] = v;
    break;
  }
  case G_OPPOSITE: { /* two equal magnitudes: the first one sets the sign */
    size_t a = rnd_below(n - 1), b = a + 1 + rnd_below(n - 1 - a);
    x[a] = 3.0f * mag;
    x[b] = -3.0f * mag;
    if (rnd() & 1) {
      x[a] = -x[a];
      x[b] = -x[b];
    }
    break;
  }
  case G_HUGE: /* scales near the top of the f16 range (past it: test_scale_rules) */
    for (size_t j = 0; j < n; j++) x[j] *= 0.999f * F16_MAX * fmt_d_unit[fmt] / mag;
    break;
  case G_TINY: /* f16 subnormal or zero scales */
    for (size_t j = 0; j < n; j++) x[j] *= (rnd() & 1 ? 1e-6f : 1e-30f) / mag;
    break;
  default:
    break;
  }
}

/* ---- the documented packed layout, checked from outside ---- */

typedef struct {
  int fmt;
  const bitgen_format *f;
  size_t M, K, prows, nblk, tile, packed, gguf;
} shape;

static shape make_shape(int fmt, size_t M, size_t nblk, size_t prows) {
  shape s;
  size_t raw;
  s.fmt = fmt;
  s.f = bitgen_format_by_name(fmt_names[fmt]);
  s.M = M;
  s.nblk = nblk;
  s.K = nblk * fmt_block[fmt];
  s.prows = prows;
  raw = nblk * prows * (fmt_qbytes[fmt] + 2);
  s.tile = (raw + 63) / 64 * 64;
  s.packed = (M + prows - 1) / prows * s.tile;
  s.gguf = M * nblk * fmt_gguf[fmt];
  return s;
}

static const uint8_t *t_code_at(const shape *s, const uint8_t *p, size_t i, size_t b) {
  return p + i / s->prows * s->tile + (b * s->prows + i % s->prows) * fmt_qbytes[s->fmt];
}

static const uint8_t *t_scale_at(const shape *s, const uint8_t *p, size_t i, size_t b) {
  return p + i / s->prows * s->tile + s->nblk * s->prows * fmt_qbytes[s->fmt] + (b * s->prows + i % s->prows) * 2;
}

/* Every real block sits where the layout says; padding rows decode to 0
 * with scale 0; the tile tails are 0. */
static void check_layout(const shape *s, const uint8_t *packed, const uint8_t *gguf) {
  size_t mpad = s->packed / s->tile * s->prows, raw = s->nblk * s->prows * (fmt_qbytes[s->fmt] + 2);
  uint8_t blk[66];
  int8_t v[256];
  for (size_t i = 0; i < mpad; i++)
    for (size_t b = 0; b < s->nblk; b++) {
      const uint8_t *code = t_code_at(s, packed, i, b), *sc = t_scale_at(s, packed, i, b);
      if (i < s->M) {
        const uint8_t *g = gguf + (i * s->nblk + b) * fmt_gguf[s->fmt];
        CHECK(memcmp(code, g + fmt_q_at[s->fmt], fmt_qbytes[s->fmt]) == 0 &&
                  memcmp(sc, g + fmt_d_at[s->fmt], 2) == 0,
              "%s row %zu block %zu misplaced", fmt_names[s->fmt], i, b);
      } else {
        int zero = 1;
        memcpy(blk + fmt_q_at[s->fmt], code, fmt_qbytes[s->fmt]);
        memcpy(blk + fmt_d_at[s->fmt], sc, 2);
        CHECK(t_decode(s->fmt, blk, v) == 0, "%s padding row %zu scale", fmt_names[s->fmt], i);
        for (size_t e = 0; e < fmt_block[s->fmt]; e++) zero &= v[e] == 0;
        CHECK(zero, "%s padding row %zu not zero", fmt_names[s->fmt], i);
      }
    }
  for (size_t t = 0; t < s->packed / s->tile; t++) {
    int zero = 1;
    for (size_t o = raw; o < s->tile; o++) zero &= packed[t * s->tile + o] == 0;
    CHECK(zero, "%s tile %zu tail not zero", fmt_names[s->fmt], t);
  }
}

/* Unpack gives the test's decoding of the gguf bytes. */
static void check_unpack(const shape *s, const uint8_t *packed, const uint8_t *gguf) {
  int8_t *w = malloc(s->M * s->K);
  float *d = malloc(s->M * s->nblk * sizeof *d);
  int8_t v[256];
  int st = bitgen_blk_unpack(s->f, s->M, s->K, s->prows, packed, s->packed, w, d);
  if (CHECK(st == BITGEN_OK, "%s unpack: %d", fmt_names[s->fmt], st))
    for (size_t n = 0; n < s->M * s->nblk; n++) {
      uint16_t h = t_decode(s->fmt, gguf + n * fmt_gguf[s->fmt], v);
      CHECK(memcmp(v, w + n * fmt_block[s->fmt], fmt_block[s->fmt]) == 0, "%s unpack values, block %zu",
            fmt_names[s->fmt], n);
      CHECK(same_float(d[n], t_from_f16(h)), "%s unpack scale %04x -> %g", fmt_names[s->fmt], h, d[n]);
    }
  CHECK(bitgen_blk_unpack(s->f, s->M, s->K, s->prows, packed, s->packed, w, NULL) == BITGEN_OK, "unpack d NULL");
  free(w);
  free(d);
}

static const size_t shapes[][3] = {/* M, blocks per row, prows */
                                   {1, 1, 1}, {3, 2, 8},  {7, 1, 16}, {17, 3, 32}, {33, 2, 32},
                                   {8, 1, 8}, {5, 2, 1},  {40, 1, 16}, {2, 4, 32}, {64, 1, 32}};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* pack_f32 -> export equals the test's quantizer; the layout is as documented. */
static void test_pack_f32(int fmt) {
  char name[40];
  snprintf(name, sizeof name, "%s pack_f32", fmt_names[fmt]);
  group_begin(name);
  for (size_t si = 0; si < NSHAPES; si++)
    for (int rep = 0; rep < 3; rep++) {
      shape s = make_shape(fmt, shapes[si][0], shapes[si][1], shapes[si][2]);
      float *x = malloc(s.M * s.K * sizeof *x);
      uint8_t *want = malloc(s.gguf), *got = malloc(s.gguf), *packed = xalloc(s.packed);
      int st;
      CHECK(bitgen_blk_packed_size(s.f, s.M, s.K, s.prows) == s.packed, "packed size");
      CHECK(bitgen_blk_gguf_size(s.f, s.M, s.K) == s.gguf, "gguf size");
      for (size_t n = 0; n < s.M * s.nblk; n++) {
        float *xb = x + n * fmt_block[fmt];
        gen_block(fmt, (int)((n + (size_t)rep * 3) % G_NKINDS), xb, fmt_block[fmt]);
        t_quantize(fmt, xb, want + n * fmt_gguf[fmt]);
      }
      st = bitgen_blk_pack_f32(s.f, s.M, s.K, s.prows, x, packed, s.packed);
      if (CHECK(st == BITGEN_OK, "pack_f32 %zux%zu/%zu: %d", s.M, s.K, s.prows, st)) {
        st = bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, got, s.gguf);
        CHECK(st == BITGEN_OK, "export %d", st);
        for (size_t n = 0; n < s.M * s.nblk; n++)
          CHECK(memcmp(got + n * fmt_gguf[fmt], want + n * fmt_gguf[fmt], fmt_gguf[fmt]) == 0,
                "shape %zu block %zu (kind %d) differs from the reference quantizer", si, n,
                (int)((n + (size_t)rep * 3) % G_NKINDS));
        check_layout(&s, packed, want);
        check_unpack(&s, packed, want);
      }
      free(x);
      free(want);
      free(got);
      bitgen_free(packed);
    }
  group_end();
}

/* Random ggml bytes (any bytes; tq2_0 without code 3) and any finite f16
 * bits, zero (either sign) in about one block of eight. */
static void random_gguf_block(int fmt, uint8_t *blk) {
  for (size_t b = 0; b < fmt_gguf[fmt]; b++) blk[b] = (uint8_t)rnd();
  if ((blk[fmt_d_at[fmt] + 1] & 0x7c) == 0x7c) blk[fmt_d_at[fmt] + 1] &= 0xbf; /* exponent 31: Inf/NaN */
  if (rnd_below(8) == 0) {
    blk[fmt_d_at[fmt]] = 0;
    blk[fmt_d_at[fmt] + 1] &= 0x80;
  }
  if (fmt == TQ2)
    for (size_t b = 0; b < 64; b++)
      for (unsigned f = 0; f < 4; f++)
        if ((blk[b] >> (2 * f) & 3) == 3) blk[b] = (uint8_t)((blk[b] & ~(3u << (2 * f))) | rnd_below(3) << (2 * f));
}

/* pack_gguf of the test's bytes -> export is byte-identical; unpack decodes. */
static void test_pack_gguf(int fmt) {
  char name[40];
  snprintf(name, sizeof name, "%s pack_gguf", fmt_names[fmt]);
  group_begin(name);
  for (size_t si = 0; si < NSHAPES; si++) {
    shape s = make_shape(fmt, shapes[si][0], shapes[si][1], shapes[si][2]);
    uint8_t *src = malloc(s.gguf + 7), *got = malloc(s.gguf), *packed = xalloc(s.packed);
    int st;
    for (size_t n = 0; n < s.M * s.nblk; n++) random_gguf_block(fmt, src + n * fmt_gguf[fmt]);
    memset(packed, 0xa5, s.packed); /* padding must be written, not inherited */
    st = bitgen_blk_pack_gguf(s.f, s.M, s.K, s.prows, src, s.gguf + 7 * (si & 1), packed, s.packed);
    if (CHECK(st == BITGEN_OK, "pack_gguf %d", st)) {
      CHECK(bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, got, s.gguf) == BITGEN_OK, "export");
      CHECK(memcmp(got, src, s.gguf) == 0, "export differs from import, shape %zu", si);
      check_layout(&s, packed, src);
      check_unpack(&s, packed, src);
    }
    free(src);
    free(got);
    bitgen_free(packed);
  }
  group_end();
}

/* encode_gguf of random values matches the test's encoder, and unpack
 * gives the values back (ternary formats: exactly the trits). */
static void test_encode(int fmt) {
  char name[40];
  snprintf(name, sizeof name, "%s encode/unpack", fmt_names[fmt]);
  group_begin(name);
  for (size_t si = 0; si < NSHAPES; si++) {
    shape s = make_shape(fmt, shapes[si][0], shapes[si][1], shapes[si][2]);
    size_t nb = s.M * s.nblk;
    int8_t *w = malloc(s.M * s.K), *back = malloc(s.M * s.K);
    uint16_t *d16 = malloc(nb * sizeof *d16);
    float *d = malloc(nb * sizeof *d);
    uint8_t *dst = malloc(s.gguf), *want = malloc(s.gguf), *packed = xalloc(s.packed);
    int st;
    for (size_t e = 0; e < s.M * s.K; e++)
      w[e] = (int8_t)(fmt_vmin[fmt] + (int)rnd_below((size_t)(fmt_vmax[fmt] - fmt_vmin[fmt] + 1)));
    if (si == 0) /* the extremes everywhere */
      for (size_t e = 0; e < s.M * s.K; e++) w[e] = (int8_t)(e & 1 ? fmt_vmax[fmt] : fmt_vmin[fmt]);
    for (size_t n = 0; n < nb; n++) {
      d16[n] = (uint16_t)rnd();
      if ((d16[n] & 0x7c00) == 0x7c00) d16[n] &= 0xbfff; /* finite, to compare the floats simply */
      t_encode(fmt, w + n * fmt_block[fmt], d16[n], want + n * fmt_gguf[fmt]);
    }
    st = bitgen_blk_encode_gguf(s.f, s.M, s.K, w, d16, dst, s.gguf);
    CHECK(st == BITGEN_OK, "encode %d", st);
    CHECK(memcmp(dst, want, s.gguf) == 0, "encode differs from the test's encoder, shape %zu", si);
    st = bitgen_blk_pack_gguf(s.f, s.M, s.K, s.prows, dst, s.gguf, packed, s.packed);
    if (CHECK(st == BITGEN_OK, "pack_gguf %d", st)) {
      CHECK(bitgen_blk_unpack(s.f, s.M, s.K, s.prows, packed, s.packed, back, d) == BITGEN_OK, "unpack");
      CHECK(memcmp(back, w, s.M * s.K) == 0, "values do not round-trip, shape %zu", si);
      for (size_t n = 0; n < nb; n++) CHECK(fbits(d[n]) == fbits(t_from_f16(d16[n])), "scale %zu", n);
      check_layout(&s, packed, want);
    }
    free(w);
    free(back);
    free(d16);
    free(d);
    free(dst);
    free(want);
    bitgen_free(packed);
  }
  group_end();
}

/* ---- block activations ---- */

/* Independent Q8_K-style quantizer; |max| so small that -127/max overflows
 * gives d = 0 and q = 0, as documented in quant_blk.c. */
static void t_quant_blocks(const float *x, size_t total, size_t block, int8_t *q, float *d, int16_t *bsums) {
  for (size_t b = 0; b < total / block; b++) {
    const float *xb = x + b * block;
    float amax = 0.0f, max = 0.0f, iscale;
    for (size_t j = 0; j < block; j++)
      if (fabsf(xb[j]) > amax) {
        amax = fabsf(xb[j]);
        max = xb[j];
      }
    iscale = amax != 0.0f ? -127.0f / max : 0.0f;
    if (isinf(iscale)) iscale = 0.0f;
    for (size_t j = 0; j < block; j++) {
      float r = nearbyintf(iscale * xb[j]);
      q[b * block + j] = (int8_t)(r < 127.0f ? r : 127.0f);
    }
    d[b] = iscale != 0.0f ? 1.0f / iscale : 0.0f;
  }
  for (size_t g = 0; g < total / 16; g++) {
    int s = 0;
    for (size_t j = 0; j < 16; j++) s += q[16 * g + j];
    bsums[g] = (int16_t)s;
  }
}

static void test_quantize_blocks(void) {
  static const size_t cases[][3] = {{1, 256, 256}, {3, 512, 256}, {2, 64, 32}, {4, 96, 32}, {2, 48, 16}, {1, 32, 32}};
  group_begin("quantize_blocks");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int rep = 0; rep < 20; rep++) {
      size_t N = cases[c][0], K = cases[c][1], block = cases[c][2], total = N * K;
      float *x = malloc(total * sizeof *x), *d = malloc(total / block * sizeof *d),
            *dw = malloc(total / block * sizeof *dw);
      int8_t *q = malloc(total), *qw = malloc(total);
      int16_t *bs = malloc(total / 16 * sizeof *bs), *bsw = malloc(total / 16 * sizeof *bsw);
      for (size_t b = 0; b < total / block; b++) {
        float *xb = x + b * block;
        int kind = (int)((b + (size_t)rep) % 6);
        float mag = powf(10.0f, frand(-4.0f, 4.0f));
        for (size_t j = 0; j < block; j++) xb[j] = frand(-1.0f, 1.0f) * mag;
        if (kind == 1) memset(xb, 0, block * sizeof *xb);
        if (kind == 2) { /* max -127: iscale 1, so x = k + 0.5 are exact ties */
          for (size_t j = 0; j < block; j++) xb[j] = (float)(int)rnd_below(254) - 127.0f + 0.5f;
          xb[rnd_below(block)] = -127.0f;
        }
        if (kind == 3) xb[rnd_below(block)] = 2.0f * mag; /* positive max: q of it is -127 */
        if (kind == 4) { /* max tied in magnitude: the first one wins */
          xb[0] = -mag * 2.0f;
          xb[block - 1] = mag * 2.0f;
        }
        if (kind == 5 && rep == 0) /* -127/max overflows */
          for (size_t j = 0; j < block; j++) xb[j] = frand(-1.0f, 1.0f) * 1e-38f;
      }
      t_quant_blocks(x, total, block, qw, dw, bsw);
      CHECK(bitgen_quantize_blocks(x, N, K, block, q, d, bs) == BITGEN_OK, "status");
      CHECK(memcmp(q, qw, total) == 0, "q, case %zu", c);
      CHECK(memcmp(d, dw, total / block * sizeof *d) == 0, "d, case %zu", c);
      CHECK(memcmp(bs, bsw, total / 16 * sizeof *bs) == 0, "bsums, case %zu", c);
      for (size_t b = 0; b < total / block; b++)
        if ((b + (size_t)rep) % 6 == 1) {
          int zero = d[b] == 0.0f;
          for (size_t j = 0; j < block; j++) zero &= q[b * block + j] == 0;
          CHECK(zero, "all-zero block gives d 0, q 0");
        }
      /* NaN and Inf anywhere are rejected. */
      x[rnd_below(total)] = rep & 1 ? NAN : -INFINITY;
      CHECK(bitgen_quantize_blocks(x, N, K, block, q, d, bs) == BITGEN_E_VALUE, "non-finite");
      free(x);
      free(d);
      free(dw);
      free(q);
      free(qw);
      free(bs);
      free(bsw);
    }
  group_end();
}

/* ---- block quantizer: every SIMD path against the scalar one ---- */

typedef struct {
  const char *name;
  bitgen_quant_blk_fn fn;
} blk_impl;

/* One block of a kind that stresses a step of the SIMD paths. */
static void fill_block(float *xb, size_t B, int kind) {
  float mag = powf(10.0f, frand(-6.0f, 6.0f));
  for (size_t j = 0; j < B; j++) xb[j] = frand(-1.0f, 1.0f) * mag;
  switch (kind) {
  case 1: memset(xb, 0, B * sizeof *xb); break;
  case 2: /* +0 and -0 only */
    for (size_t j = 0; j < B; j++) xb[j] = rnd() & 1 ? -0.0f : 0.0f;
    break;
  case 3: /* max -127 (iscale 1): x = k + 0.5 are exact ties of the rounding */
    for (size_t j = 0; j < B; j++) xb[j] = (float)(int)rnd_below(254) - 127.0f + 0.5f;
    xb[rnd_below(B)] = -127.0f;
    break;
  case 4: /* +m and -m, several of each: the first decides the sign */
    for (int i = 0; i < 4; i++) xb[rnd_below(B)] = (rnd() & 1 ? 2.0f : -2.0f) * mag;
    break;
  case 5: xb[rnd_below(B)] = 3.0e38f * (rnd() & 1 ? 1.0f : -1.0f); break; /* huge */
  case 6: /* subnormal only: -127/max overflows, d = 0 */
    for (size_t j = 0; j < B; j++) xb[j] = bitsf((uint32_t)rnd_below(0x800000) | (uint32_t)(rnd() & 1) << 31);
    break;
  case 7: /* max near the overflow edge of -127/max (~3.7e-37) */
    for (size_t j = 0; j < B; j++) xb[j] = frand(-1.0f, 1.0f) * 4e-37f;
    break;
  case 8: /* random finite bit patterns: any exponent */
    for (size_t j = 0; j < B; j++) {
      uint32_t u = (uint32_t)rnd();
      if ((u & 0x7F800000u) == 0x7F800000u) u &= 0xBFFFFFFFu;
      xb[j] = bitsf(u);
    }
    break;
  case 9: /* all equal magnitude, mixed signs */
    for (size_t j = 0; j < B; j++) xb[j] = rnd() & 1 ? mag : -mag;
    break;
  default: break;
  }
}

/* Runs fn and the scalar quantizer on the same input into canary-filled
 * buffers; every byte (outputs and what lies past them) must agree. */
static void compare_blk(const blk_impl *im, const float *x, size_t N, size_t K, size_t block, const char *what) {
  size_t total = N * K, nb = total / block, ng = total / 16;
  int8_t *q[2];
  float *d[2];
  int16_t *bs[2];
  int st[2];
  for (int i = 0; i < 2; i++) {
    q[i] = malloc(total + 64), d[i] = malloc((nb + 16) * sizeof(float)), bs[i] = malloc((ng + 16) * sizeof(int16_t));
    memset(q[i], 0x5a, total + 64), memset(d[i], 0x5a, (nb + 16) * sizeof(float));
    memset(bs[i], 0x5a, (ng + 16) * sizeof(int16_t));
  }
  st[0] = bitgen_quantize_blocks_scalar(x, N, K, block, q[0], d[0], bs[0]);
  st[1] = im->fn(x, N, K, block, q[1], d[1], bs[1]);
  CHECK(st[0] == st[1], "%s %s N=%zu K=%zu B=%zu: status %d, scalar %d", im->name, what, N, K, block, st[1], st[0]);
  CHECK(memcmp(q[0], q[1], total + 64) == 0, "%s %s N=%zu K=%zu B=%zu: q", im->name, what, N, K, block);
  CHECK(memcmp(d[0], d[1], (nb + 16) * sizeof(float)) == 0, "%s %s N=%zu K=%zu B=%zu: d", im->name, what, N, K,
        block);
  CHECK(memcmp(bs[0], bs[1], (ng + 16) * sizeof(int16_t)) == 0, "%s %s N=%zu K=%zu B=%zu: bsums", im->name, what,
        N, K, block);
  for (int i = 0; i < 2; i++) free(q[i]), free(d[i]), free(bs[i]);
}

static void test_quantize_blocks_paths(void) {
  /* block sizes: 16 (scalar fallback), 32 (q4_0, q8_0), 64, 96 (odd 32s), 256 (tq*, q6_k);
   * block counts around the batch sizes 8 and 16 */
  static const size_t blocks[] = {16, 32, 64, 96, 256};
  static const size_t counts[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 80};
  blk_impl im[3];
  const char *ran[2];
  size_t nim = 0, nran = 0;
  uint32_t f = bitgen_cpu_features();
  im[nim++] = (blk_impl){"dispatched", bitgen_quantize_blocks};
#ifdef BITGEN_QUANT_X86
  if (f & BITGEN_FEAT_AVX2) im[nim++] = (blk_impl){"avx2", bitgen_quantize_blocks_avx2};
  if ((f & (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW)) == (BITGEN_FEAT_AVX512F | BITGEN_FEAT_AVX512BW))
    im[nim++] = (blk_impl){"avx512", bitgen_quantize_blocks_avx512};
#endif
  (void)f;
  for (size_t i = 0; i < nim; i++)
    if (im[i].name[0] == 'a') ran[nran++] = im[i].name;
  group_begin("quantize_blocks paths");
  printf("     block quantizer: %s; compared with scalar:", bitgen_quantize_blocks_isa());
  for (size_t i = 0; i < nim; i++) printf(" %s", im[i].name);
  printf("\n");
  report_paths("block-quantizer", ran, nran);
  for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++)
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++)
      for (int rep = 0; rep < 6; rep++) {
        size_t B = blocks[bi], nb = counts[ci], N = rep % 3 == 2 && nb % 2 == 0 ? 2 : 1, K = nb * B / N;
        float *buf = malloc((nb * B + 1) * sizeof *buf), *x = buf + (rep & 1); /* odd address half the time */
        for (size_t b = 0; b < nb; b++) fill_block(x + b * B, B, (int)((b * 7 + (size_t)rep * 3 + ci) % 12));
        for (size_t i = 0; i < nim; i++) compare_blk(&im[i], x, N, K, B, "mixed");
        /* one block of each kind throughout */
        for (int kind = 1; kind < 10 && rep == 0; kind++) {
          for (size_t b = 0; b < nb; b++) fill_block(x + b * B, B, kind);
          for (size_t i = 0; i < nim; i++) compare_blk(&im[i], x, N, K, B, "one kind");
        }
        /* NaN / Inf in a random block: the same status, earlier blocks written, that block not */
        for (size_t b = 0; b < nb; b++) fill_block(x + b * B, B, (int)((b + (size_t)rep) % 12));
        {
          static const float bad[] = {NAN, -NAN, INFINITY, -INFINITY};
          x[rnd_below(nb * B)] = bad[rep % 4];
          for (size_t i = 0; i < nim; i++) compare_blk(&im[i], x, N, K, B, "non-finite");
        }
        free(buf);
      }
  group_end();
}

/* ---- block reference ---- */

static void test_ref_blocks(void) {
  int8_t w[2 * 32], q[2 * 32];
  float wd[4] = {0.5f, 2.0f, 1.0f, 0.5f}, ad[4] = {0.25f, 1.0f, 1.0f, 0.5f}, y[4];
  group_begin("ref_blocks");
  /* Row 0 all +1, row 1 all -1; token 0: block 0 all 2, block 1 all -1;
   * token 1: all 1.
   * y[token][row], blocks of 16:
   *   y[0][0] = 32*(0.5*0.25) + -16*(2*1)   = 4 - 32 = -28
   *   y[0][1] = -32*(1*0.25) + 16*(0.5*1)   = -8 + 8 = 0
   *   y[1][0] = 16*(0.5*1) + 16*(2*0.5)     = 8 + 16 = 24
   *   y[1][1] = -16*(1*1) + -16*(0.5*0.5)   = -16 - 4 = -20 */
  for (size_t k = 0; k < 32; k++) {
    w[k] = 1;
    w[32 + k] = -1;
    q[k] = k < 16 ? 2 : -1;
    q[32 + k] = 1;
  }
  CHECK(bitgen_ref_blocks(2, 32, 16, w, wd, q, ad, 2, y) == BITGEN_OK, "status");
  CHECK(y[0] == -28.0f && y[1] == 0.0f && y[2] == 24.0f && y[3] == -20.0f, "y = %g %g %g %g", y[0], y[1], y[2],
        y[3]);
  /* Order of rounding: (float)isum * (wd*ad), summed from block 0. */
  for (int rep = 0; rep < 50; rep++) {
    enum { M = 3, K = 128, B = 32, N = 2 };
    int8_t rw[M * K], rq[N * K];
    float rwd[M * K / B], rad[N * K / B], ry[N * M];
    for (size_t e = 0; e < M * K; e++) rw[e] = (int8_t)rnd();
    for (size_t e = 0; e < N * K; e++) rq[e] = (int8_t)rnd();
    for (size_t e = 0; e < M * K / B; e++) rwd[e] = frand(-2.0f, 2.0f);
    for (size_t e = 0; e < N * K / B; e++) rad[e] = frand(-2.0f, 2.0f);
    CHECK(bitgen_ref_blocks(M, K, B, rw, rwd, rq, rad, N, ry) == BITGEN_OK, "status");
    for (size_t j = 0; j < N; j++)
      for (size_t i = 0; i < M; i++) {
        volatile float acc = 0.0f;
        for (size_t b = 0; b < K / B; b++) {
          long isum = 0;
          volatile float s, p;
          for (size_t k = b * B; k < (b + 1) * B; k++) isum += (long)rw[i * K + k] * rq[j * K + k];
          s = rwd[i * (K / B) + b] * rad[j * (K / B) + b];
          p = (float)isum * s;
          acc = acc + p;
        }
        CHECK(fbits(ry[j * M + i]) == fbits(acc), "y[%zu][%zu] = %a, want %a", j, i, ry[j * M + i], (float)acc);
      }
  }
  /* Extreme products: -128 * -128 over a block of 256. */
  {
    static int8_t ew[256], eq[256];
    float one = 1.0f, ey;
    memset(ew, 0x80, sizeof ew);
    memset(eq, 0x80, sizeof eq);
    CHECK(bitgen_ref_blocks(1, 256, 256, ew, &one, eq, &one, 1, &ey) == BITGEN_OK && ey == 4194304.0f,
          "extreme %g", ey);
  }
  group_end();
}

/* ---- argument errors ---- */

static void test_errors(void) {
  const bitgen_format *tq2 = bitgen_format_by_name("tq2_0"), *q4 = bitgen_format_by_name("q4_0");
  const bitgen_format *i2s = bitgen_format_by_name("i2s"), *tl = bitgen_format_by_name("tl");
  bitgen_format fake = *q4;
  shape s = make_shape(TQ2, 5, 2, 4);
  uint8_t *src = calloc(s.gguf + 1, 1), *dst = malloc(s.gguf + 1), *packed = xalloc(s.packed + 64);
  int8_t *w = calloc(s.M * s.K, 1);
  uint16_t d16[32] = {0};
  float *x = calloc(s.M * s.K, sizeof *x), d[10];
  int16_t bs[64];
  int8_t q8[512];
  group_begin("argument errors");
  for (size_t n = 0; n < s.M * s.nblk; n++) random_gguf_block(TQ2, src + n * 66);

  /* sizes */
  CHECK(bitgen_blk_packed_size(NULL, 5, 512, 4) == 0 && bitgen_blk_packed_size(tq2, 0, 512, 4) == 0 &&
            bitgen_blk_packed_size(tq2, 5, 0, 4) == 0 && bitgen_blk_packed_size(tq2, 5, 512, 0) == 0 &&
            bitgen_blk_packed_size(tq2, 5, 500, 4) == 0 && bitgen_blk_packed_size(i2s, 5, 512, 4) == 0 &&
            bitgen_blk_packed_size(tl, 5, 512, 4) == 0,
        "packed_size of bad shapes");
  CHECK(bitgen_blk_packed_size(tq2, SIZE_MAX / 2, 512, 4) == 0 && bitgen_blk_gguf_size(tq2, SIZE_MAX / 256, 512) == 0 &&
            bitgen_blk_packed_size(tq2, 4, 256 * (SIZE_MAX / 1024), 32) == 0,
        "sizes that overflow");
  CHECK(bitgen_blk_gguf_size(NULL, 1, 256) == 0 && bitgen_blk_gguf_size(tq2, 1, 255) == 0 &&
            bitgen_blk_gguf_size(tl, 1, 255) == 0 && bitgen_blk_gguf_size(tq2, 3, 512) == 3 * 2 * 66,
        "gguf_size");
  fake.qbytes = 17; /* a caller's table that disagrees with the codec */
  CHECK(bitgen_blk_packed_size(&fake, 1, 32, 1) == 0, "foreign format struct");

  /* pack_gguf */
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, NULL, s.gguf, packed, s.packed) == BITGEN_E_NULL, "pack_gguf src NULL");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, NULL, s.packed) == BITGEN_E_NULL, "pack_gguf packed NULL");
  CHECK(bitgen_blk_pack_gguf(NULL, 5, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "pack_gguf f NULL");
  CHECK(bitgen_blk_pack_gguf(i2s, 5, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "pack_gguf i2s");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf - 1, packed, s.packed) == BITGEN_E_SIZE, "src short");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf + 1, packed, s.packed) == BITGEN_OK, "src longer is fine");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed, s.packed - 1) == BITGEN_E_SIZE, "packed short");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed, s.packed + 1) == BITGEN_E_SIZE, "packed long");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 384, 4, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "K % block");
  CHECK(bitgen_blk_pack_gguf(tq2, 0, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "M 0");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 0, 4, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "K 0");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 0, src, s.gguf, packed, s.packed) == BITGEN_E_SIZE, "prows 0");
  CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed + 1, s.packed) == BITGEN_E_ALIGN, "misaligned");
  {
    uint8_t before = packed[0];
    src[66 + 17] |= 0x30; /* code 3 in block 1 */
    CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_E_VALUE, "tq2_0 code 3");
    CHECK(packed[0] == before, "nothing written on error");
    src[66 + 17] &= (uint8_t)~0x30u;
    src[66 + 64] = 0xff; /* NaN scale */
    src[66 + 65] = 0xff;
    CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_E_VALUE, "NaN scale");
    CHECK(packed[0] == before, "nothing written on error");
    src[66 + 65] = 0x7b; /* the largest finite scale */
    CHECK(bitgen_blk_pack_gguf(tq2, 5, 512, 4, src, s.gguf, packed, s.packed) == BITGEN_OK, "finite scale bits");
  }

  /* export */
  CHECK(bitgen_blk_export_gguf(tq2, 5, 512, 4, NULL, s.packed, dst, s.gguf) == BITGEN_E_NULL, "export NULL");
  CHECK(bitgen_blk_export_gguf(tq2, 5, 512, 4, packed, s.packed, NULL, s.gguf) == BITGEN_E_NULL, "export dst NULL");
  CHECK(bitgen_blk_export_gguf(NULL, 5, 512, 4, packed, s.packed, dst, s.gguf) == BITGEN_E_SIZE, "export f NULL");
  CHECK(bitgen_blk_export_gguf(tq2, 5, 512, 4, packed, s.packed, dst, s.gguf - 1) == BITGEN_E_SIZE, "dst short");
  CHECK(bitgen_blk_export_gguf(tq2, 5, 512, 4, packed, s.packed - 64, dst, s.gguf) == BITGEN_E_SIZE, "export size");

  /* unpack */
  CHECK(bitgen_blk_unpack(tq2, 5, 512, 4, NULL, s.packed, w, d) == BITGEN_E_NULL, "unpack NULL");
  CHECK(bitgen_blk_unpack(tq2, 5, 512, 4, packed, s.packed, NULL, d) == BITGEN_E_NULL, "unpack w NULL");
  CHECK(bitgen_blk_unpack(tl, 5, 512, 4, packed, s.packed, w, d) == BITGEN_E_SIZE, "unpack tl");
  CHECK(bitgen_blk_unpack(tq2, 5, 512, 8, packed, s.packed, w, d) == BITGEN_E_SIZE, "unpack prows mismatch");
  {
    int8_t keep = w[0];
    packed[s.tile + 3] = 0xc0; /* code 3 in row 4 */
    CHECK(bitgen_blk_unpack(tq2, 5, 512, 4, packed, s.packed, w, d) == BITGEN_E_VALUE, "unpack code 3");
    CHECK(w[0] == keep, "w untouched on error");
  }

  /* pack_f32 */
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, NULL, packed, s.packed) == BITGEN_E_NULL, "pack_f32 NULL");
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, x, NULL, s.packed) == BITGEN_E_NULL, "pack_f32 packed NULL");
  CHECK(bitgen_blk_pack_f32(NULL, 5, 512, 4, x, packed, s.packed) == BITGEN_E_SIZE, "pack_f32 f NULL");
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, x, packed, s.packed + 64) == BITGEN_E_SIZE, "pack_f32 size");
  CHECK(bitgen_blk_pack_f32(tq2, 5, 640, 4, x, packed, s.packed) == BITGEN_E_SIZE, "pack_f32 K % block");
  x[700] = NAN;
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, x, packed, s.packed) == BITGEN_E_VALUE, "pack_f32 NaN");
  x[700] = INFINITY;
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, x, packed, s.packed) == BITGEN_E_VALUE, "pack_f32 Inf");
  x[700] = 0.0f;
  CHECK(bitgen_blk_pack_f32(tq2, 5, 512, 4, x, packed, s.packed) == BITGEN_OK, "pack_f32 zeros");

  /* encode_gguf */
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, NULL, d16, dst, s.gguf) == BITGEN_E_NULL, "encode w NULL");
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, w, NULL, dst, s.gguf) == BITGEN_E_NULL, "encode d NULL");
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, w, d16, NULL, s.gguf) == BITGEN_E_NULL, "encode dst NULL");
  CHECK(bitgen_blk_encode_gguf(NULL, 5, 512, w, d16, dst, s.gguf) == BITGEN_E_SIZE, "encode f NULL");
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, w, d16, dst, s.gguf - 1) == BITGEN_E_SIZE, "encode dst short");
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 300, w, d16, dst, s.gguf) == BITGEN_E_SIZE, "encode K % block");
  memset(w, 0, s.M * s.K);
  w[1000] = 2;
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, w, d16, dst, s.gguf) == BITGEN_E_VALUE, "encode 2 as ternary");
  w[1000] = -2;
  CHECK(bitgen_blk_encode_gguf(tq2, 5, 512, w, d16, dst, s.gguf) == BITGEN_E_VALUE, "encode -2 as ternary");
  w[1000] = 8;
  CHECK(bitgen_blk_encode_gguf(q4, 1, 1024, w, d16, dst, 32 * 18) == BITGEN_E_VALUE, "encode 8 as q4_0");
  w[1000] = -8;
  CHECK(bitgen_blk_encode_gguf(q4, 1, 1024, w, d16, dst, 32 * 18) == BITGEN_OK, "encode -8 as q4_0");

  /* quantize_blocks */
  memset(x, 0, 512 * sizeof *x);
  CHECK(bitgen_quantize_blocks(NULL, 1, 256, 256, q8, d, bs) == BITGEN_E_NULL, "qb x NULL");
  CHECK(bitgen_quantize_blocks(x, 1, 256, 256, NULL, d, bs) == BITGEN_E_NULL, "qb q NULL");
  CHECK(bitgen_quantize_blocks(x, 1, 256, 256, q8, NULL, bs) == BITGEN_E_NULL, "qb d NULL");
  CHECK(bitgen_quantize_blocks(x, 1, 256, 256, q8, d, NULL) == BITGEN_E_NULL, "qb bsums NULL");
  CHECK(bitgen_quantize_blocks(x, 0, 256, 256, q8, d, bs) == BITGEN_E_SIZE, "qb N 0");
  CHECK(bitgen_quantize_blocks(x, 1, 0, 256, q8, d, bs) == BITGEN_E_SIZE, "qb K 0");
  CHECK(bitgen_quantize_blocks(x, 1, 256, 0, q8, d, bs) == BITGEN_E_SIZE, "qb block 0");
  CHECK(bitgen_quantize_blocks(x, 1, 320, 256, q8, d, bs) == BITGEN_E_SIZE, "qb K % block");
  CHECK(bitgen_quantize_blocks(x, 1, 240, 24, q8, d, bs) == BITGEN_E_SIZE, "qb block % 16");
  CHECK(bitgen_quantize_blocks(x, SIZE_MAX / 2, 256, 256, q8, d, bs) == BITGEN_E_SIZE, "qb N*K overflow");

  /* ref_blocks */
  CHECK(bitgen_ref_blocks(1, 32, 32, NULL, d, q8, d, 1, d) == BITGEN_E_NULL, "ref w NULL");
  CHECK(bitgen_ref_blocks(1, 32, 32, q8, NULL, q8, d, 1, d) == BITGEN_E_NULL, "ref wd NULL");
  CHECK(bitgen_ref_blocks(1, 32, 32, q8, d, NULL, d, 1, d) == BITGEN_E_NULL, "ref q NULL");
  CHECK(bitgen_ref_blocks(1, 32, 32, q8, d, q8, NULL, 1, d) == BITGEN_E_NULL, "ref ad NULL");
  CHECK(bitgen_ref_blocks(1, 32, 32, q8, d, q8, d, 1, NULL) == BITGEN_E_NULL, "ref y NULL");
  CHECK(bitgen_ref_blocks(0, 32, 32, q8, d, q8, d, 1, d) == BITGEN_E_SIZE, "ref M 0");
  CHECK(bitgen_ref_blocks(1, 0, 32, q8, d, q8, d, 1, d) == BITGEN_E_SIZE, "ref K 0");
  CHECK(bitgen_ref_blocks(1, 32, 0, q8, d, q8, d, 1, d) == BITGEN_E_SIZE, "ref block 0");
  CHECK(bitgen_ref_blocks(1, 48, 32, q8, d, q8, d, 1, d) == BITGEN_E_SIZE, "ref K % block");
  CHECK(bitgen_ref_blocks(1, 32, 32, q8, d, q8, d, 0, d) == BITGEN_E_SIZE, "ref N 0");
  group_end();
  free(src);
  free(dst);
  bitgen_free(packed);
  free(w);
  free(x);
}

/* ---- the scale rule (docs/DESIGN.md, "Caller contracts") ----
 * A non-finite f16 block scale is BITGEN_E_VALUE at every entry point that
 * takes or gives one, with nothing written; a zero one is valid data. */

static const uint16_t bad_f16[] = {0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00, 0xffff}; /* +-Inf, NaNs */
static const uint16_t good_f16[] = {0x0000, 0x8000, 0x0001, 0x7bff, 0xfbff, 0x3c00};  /* zeros, subnormal, max */
#define NBAD (sizeof bad_f16 / sizeof *bad_f16)
#define NGOOD (sizeof good_f16 / sizeof *good_f16)

static int all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

static void put_f16(uint8_t *p, uint16_t h) {
  p[0] = (uint8_t)h;
  p[1] = (uint8_t)(h >> 8);
}

static void test_scale_rules(int fmt) {
  char name[40];
  shape s = make_shape(fmt, 5, 2, 4);
  const size_t nb = s.M * s.nblk, B = fmt_block[fmt], G = fmt_gguf[fmt];
  uint8_t *src = malloc(s.gguf), *dst = malloc(s.gguf), *packed = xalloc(s.packed), *good = xalloc(s.packed);
  int8_t *w = malloc(s.M * s.K);
  float *x = malloc(s.M * s.K * sizeof *x), *wd = malloc(nb * sizeof *wd), ad[2] = {1.0f, 1.0f}, y[5];
  uint16_t *d16 = malloc(nb * sizeof *d16);
  int8_t q[512] = {0};
  int16_t bs[32];
  snprintf(name, sizeof name, "%s scale rules", fmt_names[fmt]);
  group_begin(name);
  for (size_t n = 0; n < nb; n++) random_gguf_block(fmt, src + n * G);

  /* pack_gguf: a non-finite scale in the first or the last block */
  for (size_t i = 0; i < NBAD; i++)
    for (size_t at = 0; at < nb; at += nb - 1) {
      uint8_t keep[2];
      memcpy(keep, src + at * G + fmt_d_at[fmt], 2);
      put_f16(src + at * G + fmt_d_at[fmt], bad_f16[i]);
      memset(packed, 0x5a, s.packed);
      CHECK(bitgen_blk_pack_gguf(s.f, s.M, s.K, s.prows, src, s.gguf, packed, s.packed) == BITGEN_E_VALUE,
            "pack_gguf scale %04x in block %zu", bad_f16[i], at);
      CHECK(all_bytes(packed, s.packed, 0x5a), "pack_gguf wrote on error");
      memcpy(src + at * G + fmt_d_at[fmt], keep, 2);
    }
  /* zero, subnormal and the largest scales are data: imported and exported as they are */
  for (size_t i = 0; i < NGOOD; i++) {
    put_f16(src + (nb - 1) * G + fmt_d_at[fmt], good_f16[i]);
    CHECK(bitgen_blk_pack_gguf(s.f, s.M, s.K, s.prows, src, s.gguf, packed, s.packed) == BITGEN_OK,
          "pack_gguf scale %04x", good_f16[i]);
    CHECK(bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, dst, s.gguf) == BITGEN_OK &&
              memcmp(dst, src, s.gguf) == 0,
          "scale %04x round trip", good_f16[i]);
  }
  memcpy(good, packed, s.packed);

  /* unpack and export of packed bytes holding a non-finite scale (not the packers' output) */
  for (size_t i = 0; i < NBAD; i++) {
    memcpy(packed, good, s.packed);
    put_f16(packed + s.tile + s.nblk * s.prows * fmt_qbytes[fmt], bad_f16[i]); /* row 4, block 0 */
    memset(w, 0x11, s.M * s.K);
    memset(dst, 0x22, s.gguf);
    CHECK(bitgen_blk_unpack(s.f, s.M, s.K, s.prows, packed, s.packed, w, wd) == BITGEN_E_VALUE, "unpack %04x",
          bad_f16[i]);
    CHECK(bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, dst, s.gguf) == BITGEN_E_VALUE,
          "export %04x", bad_f16[i]);
    CHECK(all_bytes((uint8_t *)w, s.M * s.K, 0x11) && all_bytes(dst, s.gguf, 0x22), "written on error");
  }

  /* encode_gguf: non-finite scale bits */
  for (size_t e = 0; e < s.M * s.K; e++) w[e] = (int8_t)fmt_vmin[fmt];
  for (size_t n = 0; n < nb; n++) d16[n] = good_f16[n % NGOOD];
  CHECK(bitgen_blk_encode_gguf(s.f, s.M, s.K, w, d16, dst, s.gguf) == BITGEN_OK, "encode finite scales");
  for (size_t i = 0; i < NBAD; i++) {
    d16[nb - 1] = bad_f16[i];
    memset(dst, 0x22, s.gguf);
    CHECK(bitgen_blk_encode_gguf(s.f, s.M, s.K, w, d16, dst, s.gguf) == BITGEN_E_VALUE, "encode %04x", bad_f16[i]);
    CHECK(all_bytes(dst, s.gguf, 0x22), "encode wrote on error");
  }

  /* pack_f32: non-finite weights, and finite ones whose scale overflows f16
   * (ggml would write Inf); just below the edge is fine, as is all zero */
  {
    const float edge_ok = F16_MAX * fmt_d_unit[fmt], edge_bad = F16_ROUND_INF * fmt_d_unit[fmt];
    const float bad_x[] = {NAN, INFINITY, -INFINITY, edge_bad, -edge_bad, 1e30f, FLT_MAX};
    memset(x, 0, s.M * s.K * sizeof *x);
    CHECK(bitgen_blk_pack_f32(s.f, s.M, s.K, s.prows, x, packed, s.packed) == BITGEN_OK, "pack_f32 all zero");
    CHECK(bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, dst, s.gguf) == BITGEN_OK, "export");
    for (size_t n = 0; n < nb; n++) {
      uint8_t want[66];
      t_quantize(fmt, x + n * B, want);
      CHECK(memcmp(dst + n * G, want, G) == 0 && dst[n * G + fmt_d_at[fmt]] == 0 &&
                (dst[n * G + fmt_d_at[fmt] + 1] & 0x7f) == 0, /* q4_0: 0 / -8 = -0 */
            "all-zero block %zu: ggml's bytes with d = 0", n);
    }
    for (size_t e = 0; e < s.M * s.K; e++) x[e] = frand(-1.0f, 1.0f);
    x[s.M * s.K - 1] = -edge_ok;
    x[0] = edge_ok;
    CHECK(bitgen_blk_pack_f32(s.f, s.M, s.K, s.prows, x, packed, s.packed) == BITGEN_OK, "pack_f32 edge %g", edge_ok);
    CHECK(bitgen_blk_export_gguf(s.f, s.M, s.K, s.prows, packed, s.packed, dst, s.gguf) == BITGEN_OK &&
              (t_decode(fmt, dst, (int8_t *)q) & 0x7fff) == 0x7bff,
          "largest scale");
    for (size_t i = 0; i < sizeof bad_x / sizeof *bad_x; i++)
      for (size_t at = 0; at < s.M * s.K; at += s.M * s.K - 1) {
        const float keep = x[at];
        x[at] = bad_x[i];
        memset(packed, 0x5a, s.packed);
        CHECK(bitgen_blk_pack_f32(s.f, s.M, s.K, s.prows, x, packed, s.packed) == BITGEN_E_VALUE,
              "pack_f32 weight %g at %zu", bad_x[i], at);
        CHECK(all_bytes(packed, s.packed, 0x5a), "pack_f32 wrote on error");
        x[at] = keep;
      }
  }

  /* quantize_blocks: non-finite activations */
  for (size_t i = 0; i < 3; i++) {
    float xa[512];
    float da[2] = {7.0f, 7.0f};
    for (size_t k = 0; k < 2 * B; k++) xa[k] = frand(-3.0f, 3.0f);
    xa[B + 5] = i == 0 ? NAN : i == 1 ? INFINITY : -INFINITY;
    CHECK(bitgen_quantize_blocks(xa, 1, 2 * B, B, q, da, bs) == BITGEN_E_VALUE, "quantize_blocks %zu", i);
    CHECK(da[1] == 7.0f, "the bad block was written");
  }

  /* ref_blocks: weight and activation scales; zero is fine */
  memset(w, 1, B);
  wd[0] = 0.0f;
  CHECK(bitgen_ref_blocks(1, B, B, w, wd, q, ad, 1, y) == BITGEN_OK, "ref zero wd");
  for (size_t i = 0; i < 3; i++) {
    const float bad = i == 0 ? NAN : i == 1 ? INFINITY : -INFINITY;
    y[0] = 5.0f;
    wd[0] = bad;
    CHECK(bitgen_ref_blocks(1, B, B, w, wd, q, ad, 1, y) == BITGEN_E_VALUE, "ref wd %g", bad);
    wd[0] = 1.0f;
    ad[0] = bad;
    CHECK(bitgen_ref_blocks(1, B, B, w, wd, q, ad, 1, y) == BITGEN_E_VALUE, "ref ad %g", bad);
    ad[0] = 1.0f;
    CHECK(y[0] == 5.0f, "ref wrote on error");
  }
  group_end();
  free(src), free(dst), bitgen_free(packed), bitgen_free(good), free(w), free(x), free(wd), free(d16);
}

int main(void) {
  test_f16();
  test_table();
  test_tq1_code();
  for (int fmt = 0; fmt < NFMT; fmt++) {
    test_pack_f32(fmt);
    test_pack_gguf(fmt);
    test_encode(fmt);
    test_scale_rules(fmt);
  }
  test_quantize_blocks();
  test_quantize_blocks_paths();
  test_ref_blocks();
  test_errors();
  return check_summary();
}
