/* The figures bitnet-run prints after the text (to stderr). */
#ifndef BITNET_RUN_REPORT_H
#define BITNET_RUN_REPORT_H

#include "model.h"
#include "stream.h"

typedef struct {
  size_t n_prompt;           /* tokens prefilled */
  double prefill_ns;         /* the prefill eval call */
  br_profile prefill;        /* the runtime's profile of the prefill */
  size_t n_decode;           /* single-token evals after the prefill */
  double decode_ns;          /* their eval calls */
  double sample_ns;          /* every sample call */
  size_t n_sampled;
  br_profile decode;         /* the runtime's profile of the decode evals */
  double kv_positions;       /* sum over decode evals of the positions each reads */
} br_timing;

void br_report(const br_info *info, const br_stream *bw, const br_timing *t);

#endif
