/* bitgen runtime: q6_k, the float formats f16 / bf16, and embedding row
 * lookup for every format.  Included by bitgen_fmt.h; include bitgen_rt.h.
 *
 *   q6_k        ggml's Q6_K super-blocks of 256 (210 bytes), kind BLOCK:
 *               bitgen_blk_packed_size / _gguf_size / _pack_gguf /
 *               _export_gguf / _pack_f32 serve it like the other ggml
 *               blocks; values and sub-scales go through the q6k calls.
 *   f16, bf16   row-major 16-bit floats, kind FP, f32 activations.
 *
 * Every packed layout is the same bytes on every ISA. */
#ifndef BITGEN_FMT_MORE_H
#define BITGEN_FMT_MORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- q6_k ----------------------------------------------------------------
 * ggml block (210 bytes, little-endian): ql[128], qh[64], s8 scales[16],
 * f16 d.  6-bit code u = q + 32 (q in [-32, 31]) of element e = 128h + 32f
 * + l (h = e/128, f = (e%128)/32, l = e%32): low nibble of
 * ql[64h + 32(f&1) + l] (f < 2) or its high nibble (f >= 2), top two bits
 * in qh[32h + l] bits 2f+1..2f.  Sub-block j = e/16 has scale scales[j];
 * the value is d * scales[j] * q.
 * Packed: the tiled block layout of bitgen_fmt.h with 208 code bytes per
 * row and block (ql, qh, scales as ggml orders them), then the f16 d's.
 * Kernels: isum = sum_j scales[j] * (sum over sub-block j of q * a), exact
 * in int32 (|isum| <= 16 * 128 * 16 * 32 * 128 = 2^27), then
 * acc += (float)isum * (d * ad) block by block, as bitgen_ref_blocks. */
#define BITGEN_Q6K_CODE 208 /* code bytes per block: ql, qh, scales */

/* Values q (M*K, in [-32, 31]), sub-scales sc (M*K/16) and f16 d bits
 * (M*K/256) -> ggml block bytes.  A non-finite d is BITGEN_E_VALUE. */
int bitgen_q6k_encode_gguf(size_t M, size_t K, const int8_t *q, const int8_t *sc, const uint16_t *d16, uint8_t *dst,
                           size_t dst_size);
/* Decode a packed matrix: q (M*K), sc (M*K/16) and d (M*K/256; sc and d
 * may be NULL).  A non-finite d is BITGEN_E_VALUE (nothing written). */
int bitgen_q6k_unpack(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, int8_t *q,
                      int8_t *sc, float *d);
/* Reference: y[j*M + i] = sum over blocks b in order, from 0.0f, of
 * (float)isum * (wd[i][b] * ad[j][b]) with isum as above. */
int bitgen_ref_q6k(size_t M, size_t K, const int8_t *q, const int8_t *sc, const float *wd, const int8_t *a,
                   const float *ad, size_t N, float *y);
/* The bitgen_blk_* entry points for q6_k (bitgen_blk_* forward to these). */
size_t bitgen_q6k_packed_size(size_t M, size_t K, size_t prows);
size_t bitgen_q6k_gguf_size(size_t M, size_t K);
int bitgen_q6k_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src, size_t src_size, void *packed,
                         size_t packed_size);
int bitgen_q6k_export_gguf(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, uint8_t *dst,
                           size_t dst_size);
/* ggml's reference quantizer (quantize_row_q6_K_ref), byte-exact.
 * Non-finite weights, and a block whose d would round to f16 Inf, are
 * BITGEN_E_VALUE (nothing written). */
int bitgen_q6k_pack_f32(size_t M, size_t K, size_t prows, const float *w, void *packed, size_t packed_size);

/* ---- f16 / bf16 (kind BITGEN_KIND_FP) -----------------------------------
 * GGUF bytes: M rows of K little-endian 16-bit floats.  Packed: the same
 * rows, M padded with zero rows up to a multiple of prows (so kernels run
 * whole row tiles); K must be a multiple of 16.  Inf and NaN weights are
 * BITGEN_E_VALUE in every packer (non-finite values are never data).
 * Activations: f32, N x K, finite.
 *
 * Canonical sum (every kernel on every ISA, and the reference): for row i
 * and token n, 16 lane sums s[l] = sum over k = l, l+16, l+32, ... in
 * increasing k of p = w[i][k] * x[n][k] (w converted exactly to f32; the
 * product rounded to f32, then added: s[l] = s[l] + p, from +0.0f), then
 * t[l] = s[l] + s[l+8] (l < 8), u[l] = t[l] + t[l+4] (l < 4),
 * v[l] = u[l] + u[l+2] (l < 2), y = v[0] + v[1].  No FMA anywhere
 * (packages compile with -ffp-contract=off). */
#define BITGEN_FP_LANES 16
float bitgen_bf16_to_f32(uint16_t h);  /* exact */
uint16_t bitgen_f32_to_bf16(float f);  /* round to nearest even, NaN made quiet (as ggml) */
size_t bitgen_fp_packed_size(const bitgen_format *f, size_t M, size_t K, size_t prows);
size_t bitgen_fp_gguf_size(const bitgen_format *f, size_t M, size_t K);
int bitgen_fp_pack_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const uint8_t *src,
                        size_t src_size, void *packed, size_t packed_size);
int bitgen_fp_export_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                          size_t packed_size, uint8_t *dst, size_t dst_size);
/* Rounds to nearest even; a weight that is not finite or rounds to Inf is
 * BITGEN_E_VALUE. */
int bitgen_fp_pack_f32(const bitgen_format *f, size_t M, size_t K, size_t prows, const float *w, void *packed,
                       size_t packed_size);
/* The weights as f32 (M*K), exact. */
int bitgen_fp_unpack(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                     size_t packed_size, float *w);
/* Reference in the canonical order: w M x K (f32 values of the format),
 * x N x K, y N x M.  Non-finite w or x is BITGEN_E_VALUE. */
int bitgen_ref_fp(size_t M, size_t K, const float *w, const float *x, size_t N, float *y);
/* n activations: finite (BITGEN_E_VALUE otherwise). */
int bitgen_check_fp_acts(const float *x, size_t n);

/* ---- embedding row lookup, every format ----------------------------------
 * Row `row` of a packed M x K matrix as K floats, exactly as the format's
 * dequantization defines each value:
 *   i2s, tl   w * wscale (w in {-1, 0, 1});
 *   tq2_0, tq1_0, q4_0, q8_0   (float)w * d (ggml's dequantize_row_*);
 *   q6_k      (d * (float)scale) * (float)q, as ggml's dequantize_row_q6_K;
 *   f16, bf16 the value itself.
 * bitgen_row: BLOCK and FP formats; the ternary ones take their wscale
 * (finite, nonzero, as everywhere).  A row >= M is BITGEN_E_SIZE; bytes the
 * format's unpack would reject (tq2_0 code 3, a non-finite scale or value)
 * are BITGEN_E_VALUE. */
int bitgen_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
               size_t row, float *out);
/* The same per kind (bitgen_row forwards to these). */
int bitgen_blk_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
                   size_t row, float *out);
int bitgen_q6k_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, size_t row, float *out);
int bitgen_fp_row(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed, size_t packed_size,
                  size_t row, float *out);
int bitgen_i2s_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, float wscale,
                   size_t row, float *out);
int bitgen_tl_row(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, float wscale,
                  size_t row, float *out);

#ifdef __cplusplus
}
#endif
#endif
