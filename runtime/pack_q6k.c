/* q6_k: ggml's Q6_K super-blocks (bitgen_fmt_more.h has the bytes and the
 * packed layout): codec, ggml's reference quantizer (byte-exact), packers,
 * decode and the scalar reference.  Every entry point checks all of its
 * input before writing anything. */
#include <math.h>
#include <string.h>

#include "bitgen_rt.h"

#define QK 256
#define SUB 16
#define NSUB (QK / SUB)
#define GGUF_BYTES 210
#define CODE BITGEN_Q6K_CODE /* ql 128, qh 64, scales 16 */
#define D_OFF 208
#define TILE_ALIGN 64

/* ---- codec: values q in [-32, 31] and sub-scales <-> the 208 code bytes ---- */

static void encode_codes(const int8_t *q, const int8_t *sc, uint8_t *c) {
  uint8_t *ql = c, *qh = c + 128;
  for (int h = 0; h < 2; h++)
    for (int l = 0; l < 32; l++) {
      unsigned u[4];
      for (int f = 0; f < 4; f++) u[f] = (unsigned)(q[128 * h + 32 * f + l] + 32);
      ql[64 * h + l] = (uint8_t)((u[0] & 15) | (u[2] & 15) << 4);
      ql[64 * h + 32 + l] = (uint8_t)((u[1] & 15) | (u[3] & 15) << 4);
      qh[32 * h + l] = (uint8_t)(u[0] >> 4 | (u[1] >> 4) << 2 | (u[2] >> 4) << 4 | (u[3] >> 4) << 6);
    }
  memcpy(c + 192, sc, NSUB);
}

static void decode_codes(const uint8_t *c, int8_t *q, int8_t *sc) {
  const uint8_t *ql = c, *qh = c + 128;
  for (int e = 0; e < QK; e++) {
    int h = e / 128, f = (e % 128) / 32, l = e % 32;
    unsigned lo = ql[64 * h + 32 * (f & 1) + l] >> (4 * (f >> 1)) & 15;
    unsigned hi = qh[32 * h + l] >> (2 * f) & 3;
    q[e] = (int8_t)((int)(lo | hi << 4) - 32);
  }
  if (sc) memcpy(sc, c + 192, NSUB);
}

static uint16_t get_f16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- ggml's reference quantizer ---- */

/* Round half to even for |v| < 2^22 (ggml's nearest_int). */
static int nearest(float v) {
  float t = v + 12582912.0f;
  int32_t i;
  memcpy(&i, &t, sizeof i);
  return (i & 0x7fffff) - 0x400000;
}

static int clamp_q(int l) { return l < -32 ? -32 : l > 31 ? 31 : l; }

/* make_qx_quants(16, 32, x, L, rmse_type 1, no weights): the sub-block's
 * scale, with L = q + 32.  Separate statements keep ggml's float order. */
static float sub_scale(const float *x, uint8_t *L) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < SUB; i++) {
    float ax = fabsf(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < 1e-15f) { /* GROUP_MAX_EPS: all zero */
    memset(L, 0, SUB);
    return 0.0f;
  }
  float iscale = (float)-32 / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < SUB; i++) {
    int l = clamp_q(nearest(iscale * x[i]));
    L[i] = (uint8_t)(l + 32);
    float w = x[i] * x[i];
    float t = w * x[i];
    sumlx += t * (float)l;
    t = w * (float)l;
    suml2 += t * (float)l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; is++) {
    if (is == 0) continue;
    float step = 0.1f * (float)is;
    iscale = -((float)32 + step) / max;
    sumlx = suml2 = 0.0f;
    for (int i = 0; i < SUB; i++) {
      int l = clamp_q(nearest(iscale * x[i]));
      float w = x[i] * x[i];
      float t = w * x[i];
      sumlx += t * (float)l;
      t = w * (float)l;
      suml2 += t * (float)l;
    }
    float lhs = sumlx * sumlx, rhs = best * suml2;
    if (suml2 > 0.0f && lhs > rhs) {
      for (int i = 0; i < SUB; i++) L[i] = (uint8_t)(clamp_q(nearest(iscale * x[i])) + 32);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/* The f16 d the quantizer writes for x (0 for an all-zero block). */
static uint16_t block_d16(const float *x, float *scales, uint8_t *L, float *iscale_out) {
  float max_scale = 0.0f, max_abs = 0.0f;
  for (int j = 0; j < NSUB; j++) {
    float s = sub_scale(x + SUB * j, L + SUB * j);
    scales[j] = s;
    if (fabsf(s) > max_abs) {
      max_abs = fabsf(s);
      max_scale = s;
    }
  }
  if (max_abs < 1e-15f) {
    *iscale_out = 0.0f;
    return 0;
  }
  float iscale = -128.0f / max_scale;
  *iscale_out = iscale;
  return bitgen_f32_to_f16(1.0f / iscale);
}

/* One block of ggml bytes (quantize_row_q6_K_ref). */
static void quantize_block(const float *x, uint8_t *blk) {
  float scales[NSUB], iscale;
  uint8_t L[QK];
  int8_t q[QK], sc[NSUB];
  uint16_t d16 = block_d16(x, scales, L, &iscale);
  if (iscale == 0.0f) { /* ggml: the whole block zero, d = 0 */
    memset(blk, 0, GGUF_BYTES);
    return;
  }
  for (int j = 0; j < NSUB; j++) {
    int v = nearest(iscale * scales[j]);
    sc[j] = (int8_t)(v < 127 ? v : 127);
  }
  const float dd = bitgen_f16_to_f32(d16);
  for (int j = 0; j < NSUB; j++) {
    float d = dd * (float)sc[j];
    if (d == 0.0f) continue; /* keeps make_qx_quants' codes */
    for (int i = 0; i < SUB; i++) L[SUB * j + i] = (uint8_t)(clamp_q(nearest(x[SUB * j + i] / d)) + 32);
  }
  for (int e = 0; e < QK; e++) q[e] = (int8_t)(L[e] - 32);
  encode_codes(q, sc, blk);
  blk[D_OFF] = (uint8_t)(d16 & 0xff);
  blk[D_OFF + 1] = (uint8_t)(d16 >> 8);
}

/* ---- geometry: the block layout of bitgen_fmt.h with 208 code bytes ---- */

typedef struct {
  size_t nblk, tile, scale_off, packed, gguf;
} geom;

static int geometry(size_t M, size_t K, size_t prows, int need_prows, geom *g) {
  if (M == 0 || K == 0 || K % QK != 0 || M > SIZE_MAX / K) return BITGEN_E_SIZE;
  g->nblk = K / QK;
  if (M * g->nblk > SIZE_MAX / GGUF_BYTES) return BITGEN_E_SIZE;
  g->gguf = M * g->nblk * GGUF_BYTES;
  g->tile = g->scale_off = g->packed = 0;
  if (!need_prows) return BITGEN_OK;
  if (prows == 0 || prows > SIZE_MAX / (CODE + 2) || g->nblk > SIZE_MAX / (prows * (CODE + 2))) return BITGEN_E_SIZE;
  g->tile = g->nblk * prows * (CODE + 2);
  if (g->tile > SIZE_MAX - TILE_ALIGN) return BITGEN_E_SIZE;
  g->tile = (g->tile + TILE_ALIGN - 1) / TILE_ALIGN * TILE_ALIGN;
  g->scale_off = g->nblk * prows * CODE;
  size_t tiles = M / prows + (M % prows != 0);
  if (tiles > SIZE_MAX / g->tile) return BITGEN_E_SIZE;
  g->packed = tiles * g->tile;
  return BITGEN_OK;
}

static int check_packed(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, geom *g) {
  int st = geometry(M, K, prows, 1, g);
  if (st != BITGEN_OK) return st;
  if (packed_size != g->packed) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  return BITGEN_OK;
}

static size_t code_at(const geom *g, size_t prows, size_t i, size_t b) {
  return (i / prows) * g->tile + (b * prows + i % prows) * CODE;
}

static size_t d_at(const geom *g, size_t prows, size_t i, size_t b) {
  return (i / prows) * g->tile + g->scale_off + (b * prows + i % prows) * 2;
}

size_t bitgen_q6k_packed_size(size_t M, size_t K, size_t prows) {
  geom g;
  return geometry(M, K, prows, 1, &g) == BITGEN_OK ? g.packed : 0;
}

size_t bitgen_q6k_gguf_size(size_t M, size_t K) {
  geom g;
  return geometry(M, K, 0, 0, &g) == BITGEN_OK ? g.gguf : 0;
}

static void put_block(const geom *g, size_t prows, uint8_t *out, size_t i, size_t b, const uint8_t *blk) {
  memcpy(out + code_at(g, prows, i, b), blk, CODE);
  memcpy(out + d_at(g, prows, i, b), blk + D_OFF, 2);
}

/* Padding rows (and tile padding) are zero bytes: value -32 with scale 0
 * and d 0, so they contribute 0. */
static void clear(const geom *g, uint8_t *out) { memset(out, 0, g->packed); }

/* ---- entry points ---- */

int bitgen_q6k_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src, size_t src_size, void *packed,
                         size_t packed_size) {
  geom g;
  int st;
  if (src == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (src_size < g.gguf) return BITGEN_E_SIZE;
  for (size_t o = 0; o < g.gguf; o += GGUF_BYTES)
    if (bitgen_check_f16_scale(get_f16(src + o + D_OFF)) != BITGEN_OK) return BITGEN_E_VALUE;
  clear(&g, packed);
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) put_block(&g, prows, packed, i, b, src + (i * g.nblk + b) * GGUF_BYTES);
  return BITGEN_OK;
}

static int packed_d_ok(const geom *g, size_t M, size_t prows, const uint8_t *in) {
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g->nblk; b++)
      if (bitgen_check_f16_scale(get_f16(in + d_at(g, prows, i, b))) != BITGEN_OK) return 0;
  return 1;
}

int bitgen_q6k_export_gguf(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, uint8_t *dst,
                           size_t dst_size) {
  const uint8_t *in = packed;
  geom g;
  int st;
  if (packed == NULL || dst == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (dst_size < g.gguf) return BITGEN_E_SIZE;
  if (!packed_d_ok(&g, M, prows, in)) return BITGEN_E_VALUE;
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) {
      uint8_t *blk = dst + (i * g.nblk + b) * GGUF_BYTES;
      memcpy(blk, in + code_at(&g, prows, i, b), CODE);
      memcpy(blk + D_OFF, in + d_at(&g, prows, i, b), 2);
    }
  return BITGEN_OK;
}

int bitgen_q6k_pack_f32(size_t M, size_t K, size_t prows, const float *w, void *packed, size_t packed_size) {
  geom g;
  uint8_t blk[GGUF_BYTES], L[QK];
  float scales[NSUB], iscale;
  int st;
  if (w == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++)
    if (!isfinite(w[e])) return BITGEN_E_VALUE;
  for (size_t n = 0; n < M * g.nblk; n++) /* d = max_scale / -128 must fit f16 */
    if (bitgen_check_f16_scale(block_d16(w + n * QK, scales, L, &iscale)) != BITGEN_OK) return BITGEN_E_VALUE;
  clear(&g, packed);
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) {
      quantize_block(w + i * K + b * QK, blk);
      put_block(&g, prows, packed, i, b, blk);
    }
  return BITGEN_OK;
}

int bitgen_q6k_encode_gguf(size_t M, size_t K, const int8_t *q, const int8_t *sc, const uint16_t *d16, uint8_t *dst,
                           size_t dst_size) {
  geom g;
  int st;
  if (q == NULL || sc == NULL || d16 == NULL || dst == NULL) return BITGEN_E_NULL;
  if ((st = geometry(M, K, 0, 0, &g)) != BITGEN_OK) return st;
  if (dst_size < g.gguf) return BITGEN_E_SIZE;
  for (size_t e = 0; e < M * K; e++)
    if (q[e] < -32 || q[e] > 31) return BITGEN_E_VALUE;
  for (size_t n = 0; n < M * g.nblk; n++)
    if (bitgen_check_f16_scale(d16[n]) != BITGEN_OK) return BITGEN_E_VALUE;
  for (size_t n = 0; n < M * g.nblk; n++) {
    uint8_t *blk = dst + n * GGUF_BYTES;
    encode_codes(q + n * QK, sc + n * NSUB, blk);
    blk[D_OFF] = (uint8_t)(d16[n] & 0xff);
    blk[D_OFF + 1] = (uint8_t)(d16[n] >> 8);
  }
  return BITGEN_OK;
}

int bitgen_q6k_unpack(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, int8_t *q,
                      int8_t *sc, float *d) {
  const uint8_t *in = packed;
  geom g;
  int st;
  if (packed == NULL || q == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (!packed_d_ok(&g, M, prows, in)) return BITGEN_E_VALUE;
  for (size_t i = 0; i < M; i++)
    for (size_t b = 0; b < g.nblk; b++) {
      size_t n = i * g.nblk + b;
      decode_codes(in + code_at(&g, prows, i, b), q + n * QK, sc ? sc + n * NSUB : NULL);
      if (d) d[n] = bitgen_f16_to_f32(get_f16(in + d_at(&g, prows, i, b)));
    }
  return BITGEN_OK;
}

/* One row of dequantized values: (d * scale) * q as ggml's dequantizer. */
int bitgen_q6k_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, size_t row,
                   float *out) {
  const uint8_t *in = packed;
  geom g;
  int8_t q[QK], sc[NSUB];
  int st;
  if (packed == NULL || out == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (row >= M) return BITGEN_E_SIZE;
  for (size_t b = 0; b < g.nblk; b++)
    if (bitgen_check_f16_scale(get_f16(in + d_at(&g, prows, row, b))) != BITGEN_OK) return BITGEN_E_VALUE;
  for (size_t b = 0; b < g.nblk; b++) {
    const float d = bitgen_f16_to_f32(get_f16(in + d_at(&g, prows, row, b)));
    decode_codes(in + code_at(&g, prows, row, b), q, sc);
    for (int e = 0; e < QK; e++) {
      const float ds = d * (float)sc[e / SUB];
      out[b * QK + e] = ds * (float)q[e];
    }
  }
  return BITGEN_OK;
}

/* ---- reference ---- */

int bitgen_ref_q6k(size_t M, size_t K, const int8_t *q, const int8_t *sc, const float *wd, const int8_t *a,
                   const float *ad, size_t N, float *y) {
  if (q == NULL || sc == NULL || wd == NULL || a == NULL || ad == NULL || y == NULL) return BITGEN_E_NULL;
  if (M == 0 || K == 0 || N == 0 || K % QK != 0 || M > SIZE_MAX / K || N > SIZE_MAX / K || N > SIZE_MAX / M)
    return BITGEN_E_SIZE;
  const size_t nb = K / QK;
  if (bitgen_check_block_scales(wd, M * nb) != BITGEN_OK || bitgen_check_block_scales(ad, N * nb) != BITGEN_OK)
    return BITGEN_E_VALUE;
  for (size_t j = 0; j < N; j++)
    for (size_t i = 0; i < M; i++) {
      float acc = 0.0f;
      for (size_t b = 0; b < nb; b++) {
        int32_t isum = 0;
        for (size_t s = 0; s < NSUB; s++) {
          const size_t k0 = b * QK + s * SUB;
          int32_t dot = 0;
          for (size_t k = k0; k < k0 + SUB; k++) dot += (int32_t)q[i * K + k] * a[j * K + k];
          isum += (int32_t)sc[(i * K + k0) / SUB] * dot;
        }
        const float s = wd[i * nb + b] * ad[j * nb + b];
        const float p = (float)isum * s;
        acc = acc + p;
      }
      y[j * M + i] = acc;
    }
  return BITGEN_OK;
}
