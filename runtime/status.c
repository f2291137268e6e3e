/* Status code texts. */
#include "bitgen_rt.h"

const char *bitgen_strerror(int status) {
  switch (status) {
  case BITGEN_OK: return "ok";
  case BITGEN_E_NULL: return "required pointer is NULL";
  case BITGEN_E_SIZE: return "size or shape mismatch";
  case BITGEN_E_ALIGN: return "buffer not aligned";
  case BITGEN_E_VALUE: return "input value out of range";
  case BITGEN_E_ISA: return "BITGEN_ISA names a variant this package lacks";
  case BITGEN_E_UNSUPPORTED: return "BITGEN_ISA names a variant this CPU cannot run";
  case BITGEN_E_KERNEL: return "no such kernel";
  case BITGEN_E_NOMEM: return "out of memory";
  case BITGEN_E_IO: return "cannot open, read or map the file";
  case BITGEN_E_FORMAT: return "malformed model file";
  case BITGEN_E_MISMATCH: return "inputs do not match (a model file not the package's model, or activations not quantized for the matrix)";
  case BITGEN_E_FULL: return "the context is full (KV cache)";
  default: return "unknown status";
  }
}
