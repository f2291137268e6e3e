/* This machine's streaming-read bandwidth, measured in the run itself: the
 * denominator of the bytes-per-token bound. */
#ifndef BITNET_RUN_STREAM_H
#define BITNET_RUN_STREAM_H

#include <stddef.h>

typedef struct {
  double gbs;          /* the fastest of the samples, GB/s (1e9 bytes) */
  size_t bytes;        /* bytes read per sample (>= br_stream_min_bytes()) */
  const char *what;    /* "the model's weights" or "a buffer" */
  size_t threads;
  const char *loads;   /* the vector loads used: "avx512", "avx2", "sse2", "64-bit" */
} br_stream;

/* Bytes a probe reads at least: 8x the last-level cache, 256 MiB or more. */
size_t br_stream_min_bytes(void);
/* `threads` threads each read their slice of buf (64-byte aligned, e.g. the
 * model's packed weights: the very bytes and pages decode streams) if it
 * has at least br_stream_min_bytes(), else of a buffer of that size made
 * for the probe.  0 on success, -1 out of memory. */
int br_stream_measure(const void *buf, size_t bytes, size_t threads, br_stream *out);

#endif
