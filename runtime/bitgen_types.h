/* The runtime's types that a package's public header shows: status codes,
 * per-token activation parameters, the opaque thread pool.  Types make no
 * link-time symbols, so packages may share them; bitgen inlines this file
 * into every public header, under this one guard, so two packages' headers
 * can be included in one translation unit. */
#ifndef BITGEN_TYPES_H
#define BITGEN_TYPES_H

#include <stdint.h>

/* Bumped whenever a type below changes layout: two packages whose headers
 * disagree refuse to compile together instead of sharing a wrong type. */
#define BITGEN_TYPES_VERSION 1

typedef enum {
  BITGEN_OK = 0,
  BITGEN_E_NULL = -1,        /* a required pointer is NULL */
  BITGEN_E_SIZE = -2,        /* a size or shape does not match */
  BITGEN_E_ALIGN = -3,       /* a buffer is not aligned as required */
  BITGEN_E_VALUE = -4,       /* an input value is out of range (non-ternary weight, NaN, ...) */
  BITGEN_E_ISA = -5,         /* the ISA asked for (BITGEN_ISA, set_max_isa) is not in this package */
  BITGEN_E_UNSUPPORTED = -6, /* BITGEN_ISA names a variant this CPU/OS cannot run */
  BITGEN_E_KERNEL = -7,      /* no such kernel id */
  BITGEN_E_NOMEM = -8,       /* allocation failed */
  BITGEN_E_IO = -9,          /* a file cannot be opened, read or mapped */
  BITGEN_E_FORMAT = -10,     /* a model file is malformed (not readable GGUF) */
  BITGEN_E_MISMATCH = -11,   /* inputs that do not belong together: a model file that is not the package's model
                                (arch, hparam, tensor name/shape/type); activations not quantized for the matrix */
  BITGEN_E_FULL = -12        /* the context's KV cache has no room for the tokens */
} bitgen_status;

/* Activations of one token, i2s and tl formats: q = x * scale, sum = sum of q. */
typedef struct {
  float scale; /* s: q = x * s */
  int32_t sum; /* sum of q */
} bitgen_act;

/* A thread pool (opaque); each package makes and runs its own. */
typedef struct bitgen_pool bitgen_pool;

#elif BITGEN_TYPES_VERSION != 1
#error "two bitgen packages with different runtime type versions in one translation unit"
#endif
