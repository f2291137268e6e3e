/* Activations: quantized per token with ${F}_quantize().
 * Output: y[i] = (float)(sum_k w[i][k] * q[k]) * (wscale / act.scale).
 * Scales: wscale finite and nonzero, act[j].scale finite and > 0 (as
 * bitgen_quantize writes them) and wscale / act[j].scale finite, else
 * BITGEN_E_VALUE with y unwritten.  Not checked (a pass over q per call):
 * that act[j].sum is the sum of q; a wrong sum gives wrong outputs. */

${include("api_ternary_packers.h")}

/* One token (decode): y (M floats) = W (packed, scale wscale) x q (K int8,
 * from ${F}_quantize with act).  M and K must match the shape.  Rows are
 * split across pool's threads (the caller takes part); NULL means
 * ${P}_pool_default(); a pool made with ${P}_pool_create(1, ...) keeps the
 * work on the calling thread.  Results are bit-identical for every thread
 * count. */
int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q, size_t K,
              const bitgen_act *act, float *y, size_t M, bitgen_pool *pool);

/* N tokens (prefill): q is N x K (row-major, from ${F}_quantize with
 * act[N]), y is N x M (row-major).  Uses the kernel specialized for N if
 * the spec has one, else the general one; pool as for gemv. */
int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q, size_t K,
              size_t N, const bitgen_act *act, float *y, size_t M, bitgen_pool *pool);

/* GEMV over kernel row tiles [t0, t1) only (t1 <= the selected GEMV
 * variant's tiles), for callers that split rows across their own threads. */
int ${F}_gemv_tiles(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q,
                    size_t K, const bitgen_act *act, float *y, size_t M, size_t t0, size_t t1);

