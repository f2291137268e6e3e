/* Activations: int8 blocks of ${spec.fmt.block} per token from ${F}_quantize()
 * (Q8_K-style: per block, iscale = -127 / the value of largest magnitude,
 * q = min(127, round(iscale * x)), d = 1 / iscale, and 16-element sums).
 * Output: y[i] = sum over blocks b, in order, of (float)(sum_k w[i][k] * q[k])
 * * (weight scale[i][b] * d[b]), w the signed integer weights.
 * Scales: a non-finite block scale (an f16 in GGUF bytes, one that f32
 * weights would need beyond f16 range, or an activation d) is BITGEN_E_VALUE
 * and nothing is written; a zero block scale is valid (an all-zero block, as
 * ggml and ${F}_quantize write it).  Not checked: that bsums are the sums of q. */

/* Bytes of packed weights for a shape (0 for a bad id), and of the same
 * matrix as ggml ${spec.format:upper()} blocks. */
size_t ${F}_packed_size(size_t shape);
size_t ${F}_gguf_size(size_t shape);

/* Pack M x K weights (row-major) for a shape; M and K must match it.  The
 * packed bytes serve the GEMV and GEMM kernels of every ISA alike.
 *   _f32:  quantized exactly as ggml's reference quantizer for ${spec.format:upper()};
 *   _gguf: the ggml ${spec.format:upper()} block bytes of a GGUF tensor (${F}_gguf_size bytes).
 * _export_gguf writes the ggml block bytes back (byte-identical to an import). */
int ${F}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size);
int ${F}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size);
int ${F}_export_gguf(size_t shape, size_t M, size_t K, const void *packed, size_t packed_size, uint8_t *dst,
                     size_t dst_size);

/* Embedding lookup: row `row` of the packed matrix as K floats, as ggml
 * dequantizes it ((float)w * d; q6_k: (d * scale) * q). */
int ${F}_row(size_t shape, const void *packed, size_t packed_size, size_t row, float *out);

/* Quantizes N tokens of K floats (x: N x K): q is N x K, d is N x K/${spec.fmt.block},
 * bsums is N x K/16.  The multiplies need bsums to be the sums of q. */
int ${F}_quantize(const float *x, size_t N, size_t K, int8_t *q, float *d, int16_t *bsums);

/* One token (decode): y (M floats) = W (packed) x the token (q, d, bsums).
 * M and K must match the shape.  Rows are split across pool's threads (the
 * caller takes part); NULL means ${P}_pool_default().  Results are
 * bit-identical for every thread count. */
int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, const int8_t *q, const float *d,
              const int16_t *bsums, size_t K, float *y, size_t M, bitgen_pool *pool);

/* N tokens (prefill): q, d, bsums as from ${F}_quantize for N tokens; y is
 * N x M (row-major).  Uses the kernel specialized for N if the spec has one. */
int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, const int8_t *q, const float *d,
              const int16_t *bsums, size_t K, size_t N, float *y, size_t M, bitgen_pool *pool);
