/* This machine's streaming-read bandwidth, measured in the run itself: the
 * denominator of the bytes-per-token bound. */
#ifndef BITNET_RUN_STREAM_H
#define BITNET_RUN_STREAM_H

#include <stddef.h>

typedef struct {
  double gbs;          /* median of the samples, GB/s (1e9 bytes) */
  size_t bytes;        /* buffer read per sample (>= 4x the last-level cache) */
  size_t threads;
  const char *loads;   /* the vector loads used: "avx512", "avx2", "sse2", "64-bit" */
} br_stream;

/* threads threads each read their slice of one buffer; 0 on success. */
int br_stream_measure(size_t threads, br_stream *out);

#endif
