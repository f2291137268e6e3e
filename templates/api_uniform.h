$ -- The uniform multiply API of <P>.h: one call shape for every format and
$ -- every matrix of the package (templates/api_uniform.c implements it).
$ local U = P:upper()
/* ---- weights and multiplies: one call shape for every format ----
 * The same calls serve every shape of this package, whatever its weight
 * format, so a product changes format by regenerating the package, not by
 * editing code.  The per-format calls (ternary packers, GGUF export, the
 * activation arrays themselves) are in ${P}_lowlevel.h.
 *
 * Weight scale: every packer returns a wscale and every multiply and row
 * lookup takes it back, for every format.  Formats with one scale per
 * tensor (i2s, tl) multiply the output by it; the others keep their scales
 * in the packed bytes, their packers return 1.0f, and any other wscale is
 * BITGEN_E_VALUE (a scale meant for another matrix).  Keep it with the
 * packed pointer and its size.
 *
 * Activations: an opaque ${P}_act, made once for up to max_tokens tokens of
 * any K of this package (its buffers are sized from the largest K), filled
 * by ${P}_quantize and read by any number of multiplies.  A quantize of
 * length K fills what every format with a matrix of that K reads (int8 with
 * scale and sum: i2s; plus lookup tables: tl; int8 blocks with scales and
 * 16-element sums: the block formats; the floats themselves: f16, bf16),
 * so one object serves every matrix of that K.  Nothing is allocated per
 * call.  Threads: ${P}_quantize writes the object and must not run while
 * anything else uses it; any number of multiplies may read one object at
 * the same time.  Objects are independent of each other.
 *
 * Errors (nothing is written): BITGEN_E_NULL (a NULL pointer),
 * BITGEN_E_KERNEL (no such shape), BITGEN_E_SIZE (M, K, N, ldy, a buffer
 * size or a token count that does not fit), BITGEN_E_ALIGN (packed weights
 * not ${align}-byte aligned), BITGEN_E_VALUE (a scale or value outside its
 * rule, docs/DESIGN.md "Caller contracts"), BITGEN_E_MISMATCH (the
 * activations were not quantized for this matrix: nothing quantized yet,
 * another K, or another package's object). */

/* The weight format of a shape ("${spec.format}", ...), or NULL for a bad id. */
const char *${P}_shape_format(size_t shape);

/* Bytes of packed weights for a shape (0 for a bad id), and of the same
 * matrix as the GGUF tensor the shape's format imports (0 if it has none:
 * i2s and tl import BitNet I2_S bytes, which need K a multiple of 128). */
size_t ${P}_packed_size(size_t shape);
size_t ${P}_gguf_size(size_t shape);

/* Pack M x K weights (row-major) for a shape; M and K must match it, and
 * packed_size must be ${P}_packed_size(shape).  *wscale receives the weight
 * scale to pass to the multiplies (see above).
 *   _f32:  quantized as the format's reference quantizer does (BitNet
 *          absmean for i2s and tl; ggml's quantizers for the others);
 *   _gguf: the tensor bytes of a GGUF file in the shape's format
 *          (${P}_gguf_size bytes). */
int ${P}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size,
                  float *wscale);
int ${P}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size, float *wscale);

/* Embedding lookup: row `row` of a packed matrix as K floats. */
int ${P}_row(size_t shape, const void *packed, size_t packed_size, float wscale, size_t row, float *out);

/* Activations for up to max_tokens tokens (1 .. 1 << 20) of any K of this
 * package; BITGEN_E_NOMEM if they cannot be had.  *out is NULL on failure.
 * ${P}_act_free(NULL) is fine. */
typedef struct ${P}_act ${P}_act;
int ${P}_act_create(size_t max_tokens, ${P}_act **out);
void ${P}_act_free(${P}_act *a);

/* Quantizes n tokens of K floats each (x: n x K, row-major) into a, for
 * every format with a matrix of K columns.  K must be a K of this package
 * and n at most the object's max_tokens (else BITGEN_E_SIZE); non-finite
 * x is BITGEN_E_VALUE.  Tokens are spread over pool's threads (NULL: the
 * default pool); the result does not depend on it.  On any error (but a
 * NULL or foreign a) a holds no activations until the next successful call. */
int ${P}_quantize(const float *x, size_t n, size_t K, ${P}_act *a, bitgen_pool *pool);

/* One token (decode): y (M floats) = W x the first token of a.  M must be
 * the shape's M.  Rows are split across pool's threads (the caller takes
 * part; NULL: ${P}_pool_default()); results are bit-identical for every
 * thread count. */
int ${P}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const ${P}_act *a, float *y,
              size_t M, bitgen_pool *pool);

/* N tokens (prefill): the first N tokens of a (N at most the tokens
 * quantized); y[j * ldy + i] for token j and row i (ldy >= the shape's M;
 * rows M .. ldy-1 are not written).  Uses the kernel specialized for N if
 * the spec has one. */
int ${P}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const ${P}_act *a, size_t N,
              float *y, size_t ldy, bitgen_pool *pool);
