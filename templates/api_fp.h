/* Weights: ${spec.format} (${spec.fmt.doc}); activations: f32, used as they
 * are (no quantization: the output layer keeps full activation precision;
 * the weights, 2 bytes each, are what the multiply streams).
 * Output: y[i] = the canonical sum of w[i][k] * x[k] (16 lane sums over k,
 * then a fixed tree; docs/DESIGN.md), the same bits on every ISA.
 * Values: Inf or NaN weights (in GGUF bytes, or f32 weights that round to
 * Inf) and non-finite activations are BITGEN_E_VALUE; nothing is written. */

/* Bytes of packed weights for a shape (0 for a bad id: rows padded to the
 * pack tile), and of the same matrix as GGUF ${spec.format:upper()} bytes (M x K x 2). */
size_t ${F}_packed_size(size_t shape);
size_t ${F}_gguf_size(size_t shape);

/* Pack M x K weights (row-major) for a shape; M and K must match it.
 *   _f32:  rounded to nearest even, as ggml's conversion;
 *   _gguf: the tensor's little-endian 16-bit values (${F}_gguf_size bytes).
 * _export_gguf writes them back (byte-identical to an import). */
int ${F}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size);
int ${F}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size);
int ${F}_export_gguf(size_t shape, size_t M, size_t K, const void *packed, size_t packed_size, uint8_t *dst,
                     size_t dst_size);

/* Embedding lookup: row `row` of the packed matrix as K floats (exact). */
int ${F}_row(size_t shape, const void *packed, size_t packed_size, size_t row, float *out);

/* One token (decode): y (M floats) = W x (K floats).  Rows are split across
 * pool's threads (NULL: bitgen_pool_default()); bit-identical results for
 * every thread count and every ISA. */
int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, const float *x, size_t K, float *y, size_t M,
              bitgen_pool *pool);
/* N tokens: x is N x K, y is N x M (row-major). */
int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, const float *x, size_t K, size_t N, float *y,
              size_t M, bitgen_pool *pool);
