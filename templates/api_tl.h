/* Activations: quantized per token with ${F}_quantize() (q, act), then
 * ${F}_tables() builds each token's lookup tables from q.
 * Output: y[i] = (float)(sum_k w[i][k] * q[k]) * (wscale / act.scale), the
 * same numbers as the i2s format gives.
 * Scales: wscale finite and nonzero, act[j].scale finite and > 0 and
 * wscale / act[j].scale finite, else BITGEN_E_VALUE with y unwritten.  Not
 * checked: that lut holds the tables of the q that act describes. */

${include("api_ternary_packers.h")}

/* int16 table entries per token for length K, and the tables of N tokens
 * (q: N x K from ${F}_quantize; lut: N x ${F}_lut_size(K)). */
size_t ${F}_lut_size(size_t K);
int ${F}_tables(const int8_t *q, size_t N, size_t K, int16_t *lut);

/* One token (decode): y (M floats) = W (packed, scale wscale) x the token's
 * tables (lut) and act.  Rows are split across pool's threads (the caller
 * takes part); NULL means ${P}_pool_default().  Results are bit-identical
 * for every thread count. */
int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const int16_t *lut, size_t K,
              const bitgen_act *act, float *y, size_t M, bitgen_pool *pool);

/* N tokens (prefill): lut is N x ${F}_lut_size(K), act[N], y is N x M.
 * The AVX2 / AVX-VNNI GEMM decodes the weights into scratch memory it
 * allocates per call, one buffer per thread (about 16 x K bytes plus K per
 * token): BITGEN_E_NOMEM with y unwritten if that cannot be had. */
int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const int16_t *lut, size_t K,
              size_t N, const bitgen_act *act, float *y, size_t M, bitgen_pool *pool);
