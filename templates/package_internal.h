/* ${P}_internal.h: the package's internals for model "${spec.model}" (the
 * dispatcher, the API, bitgen-verify, bitgen's own tests and bench); generated
 * by bitgen, do not edit.  Products use ${P}.h (and ${P}_lowlevel.h for the
 * per-format calls) only.  Including this brings in
 * the runtime (bitgen_rt.h), whose symbols bitgen_ns.h renames to ${P}_rt_*. */
#ifndef ${GUARD}_INTERNAL
#define ${GUARD}_INTERNAL

#include "${P}.h"
#include "${P}_lowlevel.h"
#include "bitgen_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The package description: kernels and their variants (best first), shapes, matrices. */
const bitgen_package *${P}_package(void);


/* View i (0..${#plan.groups - 1}) of the package as seen by its format i
 * (${table.concat((function() local t = {} for _, g in ipairs(plan.groups) do t[#t + 1] = g.format end return t end)(), ", ")}): its format and pack rows; view 0 is
 * ${P}_package().  NULL past the end.  Several views: a model spec. */
#define ${P:upper()}_NUM_FORMATS ${#plan.groups}
const bitgen_package *${P}_format_package(size_t i);

/* The variant chosen for a kernel (an index into the package's kernels;
 * shape i's GEMV kernel is kernel i), or NULL (bad id or failed init). */
const bitgen_variant *${P}_selected(size_t kernel);
$ if plan.ops then

/* Decoder ops (gen/ops.lua, templates/ops.c): per op a table of variants,
 * one per ISA family, best first (the last is scalar). */
typedef void (*${P}_op_fn)(void); /* cast to the op kind's type below */
$   local kinds = {}
$   for _, op in ipairs(plan.ops.list) do
$     if not kinds[op.kind] then
$       kinds[op.kind] = true
typedef ${opsig(op, "(*" .. P .. "_op_" .. op.kind .. "_fn)")};
$     end
$   end
typedef struct {
  const char *name; /* e.g. add_norm_2560_tok__avx512 */
  const char *isa;  /* the package ISA whose flags compiled it */
  uint32_t features;
  ${P}_op_fn fn;
} ${P}_op_variant;
typedef struct {
  const char *name; /* e.g. add_norm_2560_tok */
  const char *kind; /* normq, rope, f16store, attn */
  const ${P}_op_variant *variants;
  size_t nvariants;
} ${P}_op_table;
enum {
$   for _, op in ipairs(plan.ops.list) do
  ${P:upper()}_OP_${op.name:upper()} = ${op.index},
$   end
  ${P:upper()}_NUM_OPS = ${#plan.ops.list}
};
/* The table of an op (NULL past the end), and its selected variant (NULL
 * if init failed). */
const ${P}_op_table *${P}_op_table_get(size_t op);
const ${P}_op_variant *${P}_op_selected(size_t op);

/* Tracing a context (tests/test_decoder.c follows the runtime's roundings
 * with it): eval calls fn(user, &ev) on the calling thread, per token, after
 * each activation quantization site and each KV-cache store. */
enum {
  ${P:upper()}_TRACE_ATTN_NORM, ${P:upper()}_TRACE_ATTN_OUT, ${P:upper()}_TRACE_FFN_NORM, ${P:upper()}_TRACE_FFN_OUT,
  ${P:upper()}_TRACE_OUT_NORM, /* layer ${P:upper()}_N_LAYER */
  ${P:upper()}_TRACE_K, ${P:upper()}_TRACE_V, ${P:upper()}_NUM_TRACE_SITES
};
typedef struct {
  int site;            /* ${P:upper()}_TRACE_* */
  size_t layer, pos;   /* the token's position */
  size_t n;            /* values */
  const float *x;      /* the values quantized (or passed as f32, or rounded to f16 for the cache) */
  const int8_t *q;     /* their int8 codes; NULL for f32 activations and the cache */
  const uint16_t *f16; /* K, V: the f16 bits stored in the cache; else NULL */
} ${P}_trace;
typedef void (*${P}_trace_fn)(void *user, const ${P}_trace *ev);
int ${P}_ctx_set_trace(${P}_ctx *ctx, ${P}_trace_fn fn, void *user); /* fn NULL: off; BITGEN_E_NULL */
$ end

#ifdef __cplusplus
}
#endif
#endif
