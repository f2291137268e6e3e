/* The table of weight formats (bitgen_fmt.h). */
#include <string.h>

#include "bitgen_rt.h"

static const bitgen_format formats[] = {
    {"i2s", BITGEN_KIND_I2S, 128, 32, 0, -1, 1},
    {"tq2_0", BITGEN_KIND_BLOCK, 256, 64, 66, -1, 1},
    {"tq1_0", BITGEN_KIND_BLOCK, 256, 52, 54, -1, 1},
    {"q4_0", BITGEN_KIND_BLOCK, 32, 16, 18, -8, 7},
    {"q8_0", BITGEN_KIND_BLOCK, 32, 32, 34, -128, 127},
    {"tl", BITGEN_KIND_TL, 1, 0, 0, -1, 1},
    {"q6_k", BITGEN_KIND_BLOCK, 256, 208, 210, -32, 31}, /* values q; sub-scales apart (bitgen_fmt_more.h) */
    {"f16", BITGEN_KIND_FP, 16, 0, 32, 0, 0},            /* block: the 16 lanes of the canonical sum */
    {"bf16", BITGEN_KIND_FP, 16, 0, 32, 0, 0},
};

const bitgen_format *bitgen_format_by_name(const char *name) {
  if (name == NULL) return NULL;
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (strcmp(formats[i].name, name) == 0) return &formats[i];
  return NULL;
}
