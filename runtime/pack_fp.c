/* f16 / bf16 weights (bitgen_fmt_more.h): conversions, packers, decode,
 * the reference in the canonical summation order.  Every entry point
 * checks all of its input before writing anything. */
#include <math.h>
#include <string.h>

#include "bitgen_rt.h"

#define LANES BITGEN_FP_LANES

float bitgen_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Round to nearest even on the 16 dropped bits; NaN keeps its top payload
 * and is made quiet.  Subnormals are rounded like any other value. */
uint16_t bitgen_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static int is_bf16(const bitgen_format *f) { return strcmp(f->name, "bf16") == 0; }

/* The format, if f is one of the table's FP formats. */
static const bitgen_format *fp_format(const bitgen_format *f) {
  const bitgen_format *ref;
  if (f == NULL || f->name == NULL || f->kind != BITGEN_KIND_FP) return NULL;
  ref = bitgen_format_by_name(f->name);
  return ref != NULL && ref->kind == BITGEN_KIND_FP ? ref : NULL;
}

static float to_f32(int bf16, uint16_t h) { return bf16 ? bitgen_bf16_to_f32(h) : bitgen_f16_to_f32(h); }

/* Exponent all ones: Inf or NaN, in either format. */
static int finite16(int bf16, uint16_t h) { return bf16 ? (h & 0x7f80u) != 0x7f80u : (h & 0x7c00u) != 0x7c00u; }

typedef struct {
  int bf16;
  size_t mpad, packed, gguf;
} geom;

static int geometry(const bitgen_format *f, size_t M, size_t K, size_t prows, int need_prows, geom *g) {
  if (fp_format(f) == NULL || M == 0 || K == 0 || K % LANES != 0 || M > SIZE_MAX / K || M * K > SIZE_MAX / 2)
    return BITGEN_E_SIZE;
  g->bf16 = is_bf16(f);
  g->gguf = M * K * 2;
  g->mpad = g->packed = 0;
  if (!need_prows) return BITGEN_OK;
  if (prows == 0) return BITGEN_E_SIZE;
  g->mpad = M / prows + (M % prows != 0);
  if (g->mpad > SIZE_MAX / prows) return BITGEN_E_SIZE;
  g->mpad *= prows;
  if (g->mpad > SIZE_MAX / K / 2) return BITGEN_E_SIZE;
  g->packed = g->mpad * K * 2;
  return BITGEN_OK;
}

static int check_packed(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                        size_t packed_size, geom *g) {
  int st = geometry(f, M, K, prows, 1, g);
  if (st != BITGEN_OK) return st;
  if (packed_size != g->packed) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN != 0) return BITGEN_E_ALIGN;
  return BITGEN_OK;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int all_finite(int bf16, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!finite16(bf16, get16(p + 2 * i))) return 0;
  return 1;
}

size_t bitgen_fp_packed_size(const bitgen_format *f, size_t M, size_t K, size_t prows) {
  geom g;
  return geometry(f, M, K, prows, 1, &g) == BITGEN_OK ? g.packed : 0;
}

size_t bitgen_fp_gguf_size(const bitgen_format *f, size_t M, size_t K) {
  geom g;
  return geometry(f, M, K, 0, 0, &g) == BITGEN_OK ? g.gguf : 0;
}

/* Packed rows are the GGUF rows; padding rows are zero. */
int bitgen_fp_pack_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const uint8_t *src,
                        size_t src_size, void *packed, size_t packed_size) {
  geom g;
  int st;
  if (src == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (src_size < g.gguf) return BITGEN_E_SIZE;
  if (!all_finite(g.bf16, src, M * K)) return BITGEN_E_VALUE;
  memcpy(packed, src, g.gguf);
  memset((uint8_t *)packed + g.gguf, 0, g.packed - g.gguf);
  return BITGEN_OK;
}

int bitgen_fp_export_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                          size_t packed_size, uint8_t *dst, size_t dst_size) {
  geom g;
  int st;
  if (packed == NULL || dst == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (dst_size < g.gguf) return BITGEN_E_SIZE;
  if (!all_finite(g.bf16, packed, M * K)) return BITGEN_E_VALUE;
  memcpy(dst, packed, g.gguf);
  return BITGEN_OK;
}

int bitgen_fp_pack_f32(const bitgen_format *f, size_t M, size_t K, size_t prows, const float *w, void *packed,
                       size_t packed_size) {
  geom g;
  int st;
  uint8_t *out = packed;
  if (w == NULL || packed == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  for (size_t e = 0; e < M * K; e++) { /* rounding to Inf is overflow, not data */
    uint16_t h = g.bf16 ? bitgen_f32_to_bf16(w[e]) : bitgen_f32_to_f16(w[e]);
    if (!isfinite(w[e]) || !finite16(g.bf16, h)) return BITGEN_E_VALUE;
  }
  for (size_t e = 0; e < M * K; e++) {
    uint16_t h = g.bf16 ? bitgen_f32_to_bf16(w[e]) : bitgen_f32_to_f16(w[e]);
    out[2 * e] = (uint8_t)(h & 0xff);
    out[2 * e + 1] = (uint8_t)(h >> 8);
  }
  memset(out + g.gguf, 0, g.packed - g.gguf);
  return BITGEN_OK;
}

int bitgen_fp_unpack(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                     size_t packed_size, float *w) {
  geom g;
  int st;
  const uint8_t *in = packed;
  if (packed == NULL || w == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (!all_finite(g.bf16, in, M * K)) return BITGEN_E_VALUE;
  for (size_t e = 0; e < M * K; e++) w[e] = to_f32(g.bf16, get16(in + 2 * e));
  return BITGEN_OK;
}

int bitgen_fp_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
                  size_t row, float *out) {
  geom g;
  int st;
  if (packed == NULL || out == NULL) return BITGEN_E_NULL;
  if ((st = check_packed(f, M, K, prows, packed, packed_size, &g)) != BITGEN_OK) return st;
  if (row >= M) return BITGEN_E_SIZE;
  const uint8_t *in = (const uint8_t *)packed + row * K * 2;
  if (!all_finite(g.bf16, in, K)) return BITGEN_E_VALUE;
  for (size_t k = 0; k < K; k++) out[k] = to_f32(g.bf16, get16(in + 2 * k));
  return BITGEN_OK;
}

int bitgen_check_fp_acts(const float *x, size_t n) {
  if (x == NULL) return BITGEN_E_NULL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return BITGEN_E_VALUE;
  return BITGEN_OK;
}

/* The canonical order, written out plainly (bitgen_fmt_more.h). */
static float canonical_dot(const float *w, const float *x, size_t K) {
  float s[LANES] = {0}, t[8], u[4], v[2];
  for (size_t k = 0; k < K; k += LANES)
    for (size_t l = 0; l < LANES; l++) {
      const float p = w[k + l] * x[k + l];
      s[l] = s[l] + p;
    }
  for (int l = 0; l < 8; l++) t[l] = s[l] + s[l + 8];
  for (int l = 0; l < 4; l++) u[l] = t[l] + t[l + 4];
  for (int l = 0; l < 2; l++) v[l] = u[l] + u[l + 2];
  return v[0] + v[1];
}

int bitgen_ref_fp(size_t M, size_t K, const float *w, const float *x, size_t N, float *y) {
  if (w == NULL || x == NULL || y == NULL) return BITGEN_E_NULL;
  if (M == 0 || K == 0 || N == 0 || K % LANES != 0 || M > SIZE_MAX / K || N > SIZE_MAX / K || N > SIZE_MAX / M)
    return BITGEN_E_SIZE;
  if (bitgen_check_fp_acts(w, M * K) != BITGEN_OK || bitgen_check_fp_acts(x, N * K) != BITGEN_OK)
    return BITGEN_E_VALUE;
  for (size_t j = 0; j < N; j++)
    for (size_t i = 0; i < M; i++) y[j * M + i] = canonical_dot(w + i * K, x + j * K, K);
  return BITGEN_OK;
}
