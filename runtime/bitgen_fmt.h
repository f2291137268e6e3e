/* bitgen runtime: the weight formats beside i2s.  Included by bitgen_rt.h
 * (after bitgen_act); include that header, not this one.
 *
 *   tq2_0, tq1_0  ggml's ternary blocks of 256 (f16 block scale)
 *   q4_0, q8_0    ggml's 4- and 8-bit blocks of 32 (f16 block scale)
 *   tl            bitgen's table-lookup ternary format (per-tensor scale)
 *
 * Every packed layout is the same bytes on every ISA. */
#ifndef BITGEN_FMT_H
#define BITGEN_FMT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- half precision (IEEE binary16), exact both ways where possible ---- */
float bitgen_f16_to_f32(uint16_t h);        /* exact */
uint16_t bitgen_f32_to_f16(float f);        /* round to nearest even, as F16C and ggml */

/* ---- format table ------------------------------------------------------ */
typedef enum {
  BITGEN_KIND_I2S = 0, /* 2-bit codes, per-tensor scale, bitgen_gemv_fn / bitgen_gemm_fn */
  BITGEN_KIND_BLOCK,   /* ggml blocks with an f16 scale each, bitgen_kfn over bitgen_acts.q/d/bsums */
  BITGEN_KIND_TL,      /* table lookup, per-tensor scale, bitgen_kfn over bitgen_acts.lut/act */
  BITGEN_KIND_FP       /* f16 / bf16 rows, f32 activations, bitgen_kfn over bitgen_acts.x (bitgen_fmt_more.h) */
} bitgen_kind;

typedef struct {
  const char *name;   /* "tq2_0" */
  bitgen_kind kind;
  size_t block;       /* K must be a multiple of this */
  size_t qbytes;      /* BLOCK: code bytes per row and block (ggml's qs[, qh]) */
  size_t gguf_bytes;  /* BLOCK: bytes of one ggml block (0: the format has none) */
  int vmin, vmax;     /* integer weight values (after the offset) */
} bitgen_format;

/* NULL for an unknown name. */
const bitgen_format *bitgen_format_by_name(const char *name);

/* ---- block formats (kind BITGEN_KIND_BLOCK) -----------------------------
 * ggml block bytes (little-endian), elements e of a block of 256 / 32:
 *   tq2_0 (66 B): qs[64], f16 d.  Trit t = w + 1 of element e = 128c + r
 *                 (c = e/128, r = e%128) in qs[32c + r%32] bits 2(r/32)+1..
 *   tq1_0 (54 B): qs[48], qh[4], f16 d.  Five trits per byte as the base-3
 *                 fraction byte = (v*256 + 242) / 243; digit n of a byte is
 *                 ((u8)(byte * 3^n) * 3) >> 8 (docs/DESIGN.md, "Weight formats").
 *   q4_0  (18 B): f16 d, qs[16]: q[j] | q[j+16] << 4, value q - 8.
 *   q8_0  (34 B): f16 d, s8 qs[32].
 * bitgen's packed layout: rows in pack tiles of prows rows (M padded with
 * zero weights and zero scales).  A tile holds, for each block b in order,
 * the code bytes of its prows rows (qbytes each, ggml's order: tq1_0 is qs
 * then qh), then, for each block b, the prows f16 scales; the tile is padded
 * to a multiple of 64 bytes. */
size_t bitgen_blk_packed_size(const bitgen_format *f, size_t M, size_t K, size_t prows);
size_t bitgen_blk_gguf_size(const bitgen_format *f, size_t M, size_t K); /* M*K/block * gguf_bytes */
/* Import ggml block bytes (M rows of K/block blocks).  tq2_0 code 3 and a
 * non-finite f16 scale are rejected (BITGEN_E_VALUE); any other bytes are
 * accepted, a zero scale included (an all-zero block). */
int bitgen_blk_pack_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const uint8_t *src,
                         size_t src_size, void *packed, size_t packed_size);
/* Export: the ggml block bytes back (byte-identical to what was imported);
 * a non-finite scale in the packed bytes is BITGEN_E_VALUE. */
int bitgen_blk_export_gguf(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                           size_t packed_size, uint8_t *dst, size_t dst_size);
/* Quantize f32 weights exactly as ggml's reference quantizer for the format.
 * Non-finite weights, and blocks whose scale rounds to f16 Inf (where ggml
 * would store Inf), are BITGEN_E_VALUE; an all-zero block gets d = 0. */
int bitgen_blk_pack_f32(const bitgen_format *f, size_t M, size_t K, size_t prows, const float *w, void *packed,
                        size_t packed_size);
/* Encode integer values (M*K, within [vmin, vmax]) and finite f16 scale bits
 * (M*K/block) as ggml block bytes; anything else is BITGEN_E_VALUE. */
int bitgen_blk_encode_gguf(const bitgen_format *f, size_t M, size_t K, const int8_t *w, const uint16_t *d16,
                           uint8_t *dst, size_t dst_size);
/* Decode: integer values w (M*K) and f32 scales d (M*K/block; may be NULL).
 * tq2_0 code 3 or a non-finite scale is BITGEN_E_VALUE. */
int bitgen_blk_unpack(const bitgen_format *f, size_t M, size_t K, size_t prows, const void *packed,
                      size_t packed_size, int8_t *w, float *d);

/* Block activations (Q8_K-style, any block size): per block of `block`
 * values of a token, max = the value of largest magnitude, iscale = -127/max,
 * q = min(127, round_half_even(iscale * x)), d = 1/iscale (0 and q = 0 for an
 * all-zero block); bsums[i] = sum of q[16i .. 16i+15].
 * x: N x K; q: N x K; d: N x K/block; bsums: N x K/16. */
int bitgen_quantize_blocks(const float *x, size_t N, size_t K, size_t block, int8_t *q, float *d, int16_t *bsums);

/* Reference: y[j*M + i] = sum over blocks b, in order from 0.0f, of
 * (float)isum * (wd[i][b] * ad[j][b]), isum = sum_k w[i][k] * q[j][k] over the
 * block (exact integer).  The kernels apply the same arithmetic in the same
 * order (packages compile with -ffp-contract=off).  A non-finite wd or ad is
 * BITGEN_E_VALUE. */
int bitgen_ref_blocks(size_t M, size_t K, size_t block, const int8_t *w, const float *wd, const int8_t *q,
                      const float *ad, size_t N, float *y);

/* ---- table-lookup ternary (kind BITGEN_KIND_TL) ------------------------
 * K is cut into groups of 3 (the last ones padded with zero weights); the
 * trits of a group form the index c0 + 3*c1 + 9*c2 (c = w + 1, 0..26).  A
 * 16-bit word holds groups 3j, 3j+1, 3j+2 in bits 0-4, 5-9, 10-14 (bit 15
 * is 0): 16 bits per 9 weights.  Rows in pack tiles of prows rows (a
 * multiple of 32 is what the kernels want); a tile stores word j of its
 * prows rows together (prows x 2 bytes) for j = 0 .. words-1, padded to 64
 * bytes.  words = ceil(K/9). */
size_t bitgen_tl_words(size_t K);
size_t bitgen_tl_packed_size(size_t M, size_t K, size_t prows);
int bitgen_tl_pack_ternary(size_t M, size_t K, size_t prows, const int8_t *w, void *packed, size_t packed_size);
/* BitNet absmean, as bitgen_i2s_pack_f32. */
int bitgen_tl_pack_f32(size_t M, size_t K, size_t prows, const float *w, void *packed, size_t packed_size,
                       float *scale);
/* From the canonical I2_S tensor bytes of a BitNet GGUF file (see
 * bitgen_i2s_pack_gguf). */
int bitgen_tl_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src, size_t src_size, void *packed,
                        size_t packed_size, float *scale);
int bitgen_tl_unpack(size_t M, size_t K, size_t prows, const void *packed, size_t packed_size, int8_t *w);
/* Per token: one table of 32 int16 per group (3 * words groups):
 * T[c0 + 3c1 + 9c2] = sum_i (c_i - 1) * q[3g + i] (q past K is 0), T[27..31] = 0. */
size_t bitgen_tl_lut_size(size_t K); /* int16 entries per token */
int bitgen_tl_tables(const int8_t *q, size_t N, size_t K, int16_t *lut);

/* ---- scale checks (runtime/scales.c; docs/DESIGN.md, "Caller contracts") ----
 * Every packer, multiply and reference applies these before writing anything.
 * Each returns BITGEN_OK or BITGEN_E_VALUE (BITGEN_E_NULL for a NULL array). */
/* An f16 block scale: any finite value, zero included (an all-zero block). */
int bitgen_check_f16_scale(uint16_t d16);
/* n f32 block scales (weights or activations): finite, zero included. */
int bitgen_check_block_scales(const float *d, size_t n);
/* A per-tensor weight scale and N per-token activation scales (i2s, tl):
 * wscale finite and nonzero (either sign), act[j].scale finite and > 0,
 * and the kernels' factor wscale / act[j].scale finite. */
int bitgen_check_ternary_scales(float wscale, const bitgen_act *act, size_t N);

/* ---- kernels of the formats above --------------------------------------- */
typedef struct {
  const int8_t *q;       /* BLOCK: N x K int8; TL: the same, optional (NULL: read from lut) */
  const float *d;        /* BLOCK: N x K/block scales */
  const int16_t *bsums;  /* BLOCK: N x K/16 sums of q (must match q) */
  const int16_t *lut;    /* TL: N x bitgen_tl_lut_size(K) tables */
  const bitgen_act *act; /* TL: per-token scale */
  const float *x;        /* FP: N x K f32 activations */
  /* Working memory of kernels that need it (bitgen_variant.scratch_*, e.g.
   * the AVX2 tl GEMM): 64-byte aligned, bitgen_variant_scratch(v, n1 - n0)
   * bytes, one buffer per concurrent call.  The drivers set it per task;
   * other callers of a variant's run must too. */
  void *scratch;
} bitgen_acts;

/* Rows tiles [t0, t1) x tokens [n0, n1) (GEMV: n0 = 0, n1 = 1):
 * y[j*ldy + row].  BLOCK ignores wscale; TL writes (float)dot * (wscale / act[j].scale). */
typedef void (*bitgen_kfn)(const uint8_t *w, const bitgen_acts *a, float wscale, float *y, size_t ldy, size_t t0,
                           size_t t1, size_t n0, size_t n1);

#ifdef __cplusplus
}
#endif
#include "bitgen_fmt_more.h"
#endif
