/* bitgen runtime: the hand-written part of every generated package.
 *
 * The package's internal header (bitgen_<model>_internal.h) includes this
 * one; its public header (bitgen_<model>.h) does not, and shows the public
 * runtime functions under the package's names.  In a package, bitgen_ns.h
 * renames every external symbol declared here to bitgen_<model>_rt_*.
 * Everything here is model independent: status codes, CPU feature
 * detection, aligned allocation, the packed weight layout and its packers,
 * the activation quantizer and a scalar reference written independently of
 * the kernel templates.
 *
 * Every public function that can fail returns a bitgen_status (0 = OK). */
#include "bitgen_ns.h" /* package builds: bitgen_X -> <package>_rt_X */
#ifndef BITGEN_RT_H
#define BITGEN_RT_H

#include <stddef.h>
#include <stdint.h>

#include "bitgen_types.h" /* status codes, bitgen_act, bitgen_pool */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes: bitgen_types.h ------------------------------------ */

const char *bitgen_strerror(int status);

/* ---- CPU features --------------------------------------------------- */
/* One bit per feature; an ISA variant needs a set of them.  X86 bits are
 * set only when the OS also saves the matching register state (XGETBV). */
#define BITGEN_FEATURE_LIST(X) \
  X(SSE2, 0)                   \
  X(SSSE3, 1)                  \
  X(AVX, 2)                    \
  X(AVX2, 3)                   \
  X(FMA, 4)                    \
  X(AVXVNNI, 5)                \
  X(AVX512F, 6)                \
  X(AVX512BW, 7)               \
  X(AVX512VL, 8)               \
  X(AVX512VNNI, 9)             \
  X(AVX512VBMI, 10)            \
  X(F16C, 11)                  \
  X(NEON, 16)                  \
  X(DOTPROD, 17)               \
  X(I8MM, 18)                  \
  X(SVE, 19)                   \
  X(RVV, 24)

enum {
#define BITGEN_FEATURE_ENUM(name, bit) BITGEN_FEAT_##name = (1u << (bit)),
  BITGEN_FEATURE_LIST(BITGEN_FEATURE_ENUM)
#undef BITGEN_FEATURE_ENUM
  BITGEN_FEAT_END_ = 0
};

/* Features of the running CPU and OS; detected once, thread safe. */
uint32_t bitgen_cpu_features(void);
/* Name of one feature bit ("AVX2"), or NULL. */
const char *bitgen_feature_name(uint32_t bit);
/* "AVX2 FMA ..." for the bits in mask, written into buf (always terminated). */
void bitgen_features_string(uint32_t mask, char *buf, size_t size);

/* ---- memory ---------------------------------------------------------- */
#define BITGEN_ALIGN 64
void *bitgen_alloc(size_t size);   /* BITGEN_ALIGN-aligned, zeroed; NULL on failure or size 0 */
void bitgen_free(void *p);

/* ---- packed ternary layout ("i2s" format, bitgen tiling) --------------
 * Weight codes c = w + 1 in {0,1,2}, 2 bits each.  Rows are grouped in
 * pack tiles of `prows` rows (M padded up with zero weights, code 1).  A pack
 * tile is stored as K/128 chunks in order; a chunk holds, for each of the
 * prows rows in order, 32 bytes: byte p (0..31) of row r holds element
 * 128*chunk + 32*f + p in bits 2f+1:2f (f = 0..3).  So one tile streams
 * sequentially and a 32-byte load gives 128 weights of one row whose field f
 * lines up with 32 consecutive activations.  Same bytes for every ISA. */
#define BITGEN_I2S_BLOCK 128
size_t bitgen_i2s_packed_size(size_t M, size_t K, size_t prows);

/* w: M*K row-major, values in {-1,0,1}. */
int bitgen_i2s_pack_ternary(size_t M, size_t K, size_t prows, const int8_t *w,
                            void *packed, size_t packed_size);
/* w: M*K f32; BitNet absmean: gamma = mean|W| (over the whole tensor),
 * w_t = clamp(round_half_even(W/gamma), -1, 1); *scale = gamma.
 * Non-finite weights, and a gamma of 0 (an all-zero matrix: no usable
 * scale), are BITGEN_E_VALUE. */
int bitgen_i2s_pack_f32(size_t M, size_t K, size_t prows, const float *w,
                        void *packed, size_t packed_size, float *scale);
/* src: the canonical I2_S tensor bytes of an official BitNet GGUF file
 * (M*K/4 code bytes, then the f32 scale, then padding: M*K/4 + 32 bytes).
 * Blocks of 128 elements -> 32 bytes; byte p holds element p in bits 7:6,
 * p+32 in 5:4, p+64 in 3:2, p+96 in 1:0.  *scale = the stored scale.
 * Code 3, and a stored scale that is not finite or is zero, are
 * BITGEN_E_VALUE. */
int bitgen_i2s_pack_gguf(size_t M, size_t K, size_t prows, const uint8_t *src,
                         size_t src_size, void *packed, size_t packed_size, float *scale);
/* Inverse of the packers: ternary values back out (M*K). */
int bitgen_i2s_unpack(size_t M, size_t K, size_t prows, const void *packed,
                      size_t packed_size, int8_t *w);

/* ---- activations ----------------------------------------------------
 * Per token (row of X): amax = max(1e-5, max|x|); s = 127/amax;
 * q = clamp(round_half_even(x*s), -128, 127); sum = sum(q).
 * A kernel output is y = (float)(dot(c, q) - sum) * (wscale / s). */
/* bitgen_act (bitgen_types.h): scale s and sum of q per token. */

/* Quantizes n tokens of K values each (x row stride K, q row stride K).
 * Uses the best quantizer the CPU supports (or the one BITGEN_ISA forces). */
int bitgen_quantize(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act);
/* Scalar quantizer, always available (also the reference for the others). */
int bitgen_quantize_scalar(const float *x, size_t n, size_t K, int8_t *q, bitgen_act *act);

#ifdef __cplusplus
}
#endif
#include "bitgen_fmt.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- scalar reference (independent of the generated kernels) --------- */
/* dot[i] = sum_k w[i*K+k] * q[k] (w ternary, unpacked). */
int bitgen_ref_dot(size_t M, size_t K, const int8_t *w, const int8_t *q, int64_t *dot);
/* y = reference output for one token, using the same final float formula
 * as the kernels: y[i] = (float)dot[i] * (wscale / act->scale).  Scales as
 * bitgen_check_ternary_scales (bitgen_fmt.h), else BITGEN_E_VALUE. */
int bitgen_ref_gemv(size_t M, size_t K, const int8_t *w, float wscale, const int8_t *q,
                    const bitgen_act *act, float *y);
/* The same for N tokens: q is N x K, act[N], y is N x M (row-major). */
int bitgen_ref_gemm(size_t M, size_t K, const int8_t *w, float wscale, const int8_t *q, size_t N,
                    const bitgen_act *act, float *y);

/* ---- generated kernels, as seen by the runtime, tests and bench -------- */
/* GEMV over kernel row tiles [t0, t1): reads packed weights (whole matrix),
 * one token q (K int8), writes y[row] = (float)(dot - xsum) * scale. */
typedef void (*bitgen_gemv_fn)(const uint8_t *packed, const int8_t *q, int32_t xsum, float scale, float *y,
                               size_t t0, size_t t1);
/* GEMM over row tiles [t0, t1) and tokens [n0, n1): token j is q + j*K with
 * act[j]; writes y[j*ldy + row] = (float)(dot_j - act[j].sum) * (wscale / act[j].scale).
 * A kernel specialized for a batch size N (bitgen_kernel.N > 1) must be
 * called with n0 = 0, n1 = N. */
typedef void (*bitgen_gemm_fn)(const uint8_t *packed, const int8_t *q, const bitgen_act *act, float wscale,
                               float *y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1);

typedef struct {
  const char *name;   /* canonical name, e.g. i2s_gemv_2560x2560_r8u2__avx512vnni */
  const char *isa;    /* "avx512vnni" */
  uint32_t features;  /* BITGEN_FEAT_* the variant needs */
  bitgen_gemv_fn gemv; /* set for op "gemv" */
  bitgen_gemm_fn gemm; /* set for op "gemm" */
  uint32_t rows;      /* kernel row tile */
  uint32_t tokens;    /* kernel token tile (1 for GEMV) */
  uint32_t unroll;    /* K unroll, in 128-element chunks */
  size_t tiles;       /* ceil(M / rows): the t1 of a whole-matrix call */
  bitgen_kfn run;     /* set instead of gemv/gemm for the formats of bitgen_fmt.h */
  /* Stated instruction budget of the inner loop (gen/formats.lua costs), per
   * 32 bytes of packed weights and token: vector ALU ops, all instructions,
   * and the ALU ops per cycle assumed for the ISA; 0 = not stated. */
  float alu32, instr32;
  uint32_t alu_per_cycle;
  /* Scratch one call of run needs (bitgen_acts.scratch): scratch_fixed +
   * scratch_token x tokens bytes; both 0 for kernels without scratch. */
  size_t scratch_fixed, scratch_token;
} bitgen_variant;
#define BITGEN_VARIANT_HAS_COST 1

typedef struct {
  const char *name;   /* canonical name without ISA, e.g. i2s_gemv_2560x2560, i2s_gemm_2560x2560xn */
  const char *op;     /* "gemv" or "gemm" */
  const char *format; /* "i2s" */
  size_t M, K;
  size_t N;           /* tokens: 1 for GEMV, 0 for any (general GEMM), else the specialized batch */
  const bitgen_variant *variants; /* best first */
  size_t nvariants;
} bitgen_kernel;

/* A distinct matrix shape and its kernels (indices into bitgen_package.kernels).
 * Shape i's GEMV kernel is kernel i. */
typedef struct {
  size_t M, K;
  size_t gemv, gemm;      /* GEMV, general GEMM */
  const size_t *batched;  /* GEMM kernels specialized for a batch size */
  size_t nbatched;
} bitgen_shape;

typedef struct {
  const char *name; /* spec matrix name, e.g. "ffn_down" */
  size_t shape;     /* index into package shapes */
} bitgen_matrix;

typedef struct {
  const char *model;  /* spec model name */
  const char *format; /* weight format */
  size_t prows;       /* pack tile rows */
  size_t layers;      /* layers of the model (matrices repeat per layer) */
  const bitgen_kernel *kernels;
  size_t nkernels;
  const bitgen_shape *shapes;
  size_t nshapes;
  const bitgen_matrix *matrices; /* one layer, in model order */
  size_t nmatrices;
} bitgen_package;

/* ---- threads (runtime/pool.c, runtime/drive.c) ------------------------ */
/* A pool of worker threads (bitgen_pool.h).  The drivers split a multiply
 * into tasks aligned to the pack tile (and to the kernel's token tile), run
 * them on the pool (NULL: bitgen_pool_default(), all online cores), and so
 * give bit-identical results for every thread count.  Scales are checked
 * first (bitgen_fmt.h, "scale checks"; drive_gemv's combined scale must be
 * finite): BITGEN_E_VALUE, and nothing runs. */
typedef struct bitgen_pool bitgen_pool;
int bitgen_drive_gemv(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                      const uint8_t *packed, const int8_t *q, int32_t xsum, float scale, float *y);
/* y: N x M, row stride M; the _ld forms take a row stride ldy >= M (rows
 * M .. ldy-1 of y are not written). */
int bitgen_drive_gemm(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                      const uint8_t *packed, const int8_t *q, size_t N, const bitgen_act *act, float wscale,
                      float *y, size_t M);
int bitgen_drive_gemm_ld(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                         const uint8_t *packed, const int8_t *q, size_t N, const bitgen_act *act, float wscale,
                         float *y, size_t M, size_t ldy);

/* Any kernel with a run function (bitgen_fmt.h formats), GEMV or GEMM.
 * row_bytes: packed bytes per weight row (to size the tasks). */
/* Bytes of scratch a call of v->run over ntok tokens needs, a multiple of
 * 64 (0: none); SIZE_MAX if that does not fit in size_t. */
size_t bitgen_variant_scratch(const bitgen_variant *v, size_t ntok);
/* One call of v->run on this thread, with scratch of its own if v needs
 * some: BITGEN_OK, or BITGEN_E_NOMEM (nothing written). */
int bitgen_variant_run(const bitgen_variant *v, const uint8_t *packed, const bitgen_acts *a, float wscale,
                       float *y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1);
/* The drivers of bitgen_fmt.h's kernels (v->run): each concurrent task gets
 * its own scratch (allocated per call; BITGEN_E_NOMEM if it cannot be). */
int bitgen_drive_run(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                     size_t row_bytes, const uint8_t *packed, const bitgen_acts *a, size_t N, float wscale,
                     float *y, size_t M);
int bitgen_drive_run_ld(bitgen_pool *pool, const bitgen_kernel *k, const bitgen_variant *v, size_t prows,
                        size_t row_bytes, const uint8_t *packed, const bitgen_acts *a, size_t N, float wscale,
                        float *y, size_t M, size_t ldy);

/* ---- variant selection (runtime/select.c) ---------------------------- */
/* BITGEN_ISA from the environment, or NULL when unset or empty. */
const char *bitgen_forced_isa(void);
/* For each kernel, the index of the first (best) variant whose features are
 * all in cpu; with forced != NULL, the variant of that ISA instead.  Returns
 * BITGEN_E_ISA if a kernel has no variant of the forced ISA, and
 * BITGEN_E_UNSUPPORTED if the CPU lacks its features (selected[] then holds
 * the unforced choice, but callers must report the error). */
int bitgen_select(const bitgen_package *pkg, uint32_t cpu, const char *forced, size_t *selected);

/* ---- self-check (runtime/verify.c) --------------------------------------- */
/* Checks every variant of every kernel that this CPU can run against the
 * reference, on random and worst-case inputs (all weights +1 or -1 with all
 * activations 127 or -128), through the public packers.  Prints one line per
 * variant to out (if not NULL), marking the selected one.  quick: fewer
 * trials and batch sizes (for emulators); only_isa: check only that ISA's
 * variants (NULL: all).  Returns the number of failures. */
#include <stdio.h>
int bitgen_verify_package(const bitgen_package *pkg, const size_t *selected, int quick, const char *only_isa,
                          FILE *out);

/* ---- cross-platform digest (runtime/digest.c) ------------------------------ */
/* FNV-1a 64 of n bytes, continuing from h (start: 0xcbf29ce484222325). */
uint64_t bitgen_fnv1a64(uint64_t h, const void *data, size_t n);
/* Per kernel, runs one variant (only_isa's if this CPU has it, else the
 * selected one) on a fixed input made through the public packer and
 * quantizer, and prints "digest KERNEL ISA packed=HASH out=HASH".  Equal
 * lines on two machines mean the same packed bytes gave the same outputs.
 * Each output is also compared with the reference (a line then ends in
 * "FAIL: ...").  Returns the number of failures. */
int bitgen_digest_package(const bitgen_package *pkg, const size_t *selected, const char *only_isa, FILE *out);

#ifdef __cplusplus
}
#endif

#include "bitgen_pool.h"
#endif
