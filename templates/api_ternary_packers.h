$ -- Packer declarations of the per-tensor-scale ternary formats (i2s, tl).
/* Bytes of packed weights for a shape (0 for a bad id). */
size_t ${F}_packed_size(size_t shape);

/* Pack M x K weights (row-major) for a shape; M and K must match it.  The
 * packed bytes serve the GEMV and GEMM kernels of every ISA alike.
 *   _ternary: values in {-1, 0, 1}; the caller keeps its own scale.
 *   _f32:     BitNet absmean quantization; *scale receives gamma.
 *   _gguf:    the canonical I2_S tensor bytes of a BitNet GGUF file.
 * A scale that is not finite or is zero (from _gguf's bytes, or the absmean of
 * an all-zero matrix in _f32), a non-finite weight or code 3 is BITGEN_E_VALUE,
 * and nothing is written. */
int ${F}_pack_ternary(size_t shape, size_t M, size_t K, const int8_t *w, void *packed, size_t packed_size);
int ${F}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size,
                  float *scale);
int ${F}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size, float *scale);

/* Embedding lookup: row `row` of the packed matrix as K floats, w * wscale
 * (the scale the packer gave or the caller keeps; finite and nonzero). */
int ${F}_row(size_t shape, const void *packed, size_t packed_size, float wscale, size_t row, float *out);
