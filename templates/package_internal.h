/* ${P}_internal.h: the package's internals for model "${spec.model}" (the
 * dispatcher, the API, bitgen-verify, bitgen's own tests and bench); generated
 * by bitgen, do not edit.  Products use ${P}.h only.  Including this brings in
 * the runtime (bitgen_rt.h), whose symbols bitgen_ns.h renames to ${P}_rt_*. */
#ifndef ${GUARD}_INTERNAL
#define ${GUARD}_INTERNAL

#include "${P}.h"
#include "bitgen_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The package description: kernels and their variants (best first), shapes, matrices. */
const bitgen_package *${P}_package(void);
$ if plan.mixed then

/* The package has several weight formats: view i (0..${#plan.groups - 1}) is the
 * package as seen by format i (${table.concat((function() local t = {} for _, g in ipairs(plan.groups) do t[#t + 1] = g.format end return t end)(), ", ")}): its
 * format and pack rows; view 0 is ${P}_package().  NULL past the end. */
#define ${P:upper()}_NUM_FORMATS ${#plan.groups}
const bitgen_package *${P}_format_package(size_t i);
$ end

/* The variant chosen for a kernel (an index into the package's kernels;
 * shape i's GEMV kernel is kernel i), or NULL (bad id or failed init). */
const bitgen_variant *${P}_selected(size_t kernel);

#ifdef __cplusplus
}
#endif
#endif
