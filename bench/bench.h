/* bitgen-bench: shared declarations of the benchmark.
 *
 * bench.c   main: command line, hot GEMV, quantizer, cold model sweep
 * probe.c   timing, statistics, machine description, clock estimate and
 *           the memory bandwidth probes
 * report.c  terminal table, JSON and SVG writers
 *
 * Only bench.c includes the generated package header; the other files see
 * the runtime API (bitgen_rt.h) and the result structures below.
 * check.c   the scalar references the outputs are checked against
 *
 * Optional compile-time macros:
 *   BITGEN_BENCH_CFLAGS  the flags the build used, recorded in the JSON
 *                        (otherwise the predefined ISA/optimization macros
 *                        are recorded instead). */
#ifndef BITGEN_BENCH_H
#define BITGEN_BENCH_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitgen_rt.h"

#define BENCH_SCHEMA "bitgen-bench/1"
#define BENCH_MAX_CACHES 8
#define BENCH_SWEEP_TARGET_RATIO 0.9 /* team target: cold sweep >= 0.9 of the bound */

/* ---- timing and statistics ------------------------------------------- */
double bench_now_ns(void); /* CLOCK_MONOTONIC, in ns */

typedef struct {
  double median, min, max, p10, p90, mean;
  int n;
} bench_stat;

/* Statistics of x[0..n) (x is not modified).  n == 0 gives all zeros. */
bench_stat bench_stat_of(const double *x, int n);
/* The same statistic with every value mapped through num / v (rates from
 * times: the median of the rates is num / median time, min and max swap). */
bench_stat bench_stat_inverse(bench_stat t, double num);

/* ---- machine ------------------------------------------------------------- */
typedef struct {
  int level;
  char type[16];   /* Data, Instruction, Unified */
  size_t size;     /* bytes */
  char shared[64]; /* shared_cpu_list */
} bench_cache;

typedef struct {
  char cpu_model[160];
  char *cpu_flags; /* the kernel's flags line (malloc'ed; "" if unknown) */
  int ncpu;        /* online logical CPUs */
  uint32_t features;
  char features_str[256];
  double cpuinfo_mhz; /* the first "cpu MHz" line, 0 if absent */
  bench_cache caches[BENCH_MAX_CACHES];
  int ncaches;
  size_t l1d, l2, llc; /* per-core L1d and L2, last level (bytes) */
  int llc_shared_cpus; /* CPUs sharing the last-level cache */
  const char *cache_source; /* "sysfs" or a note that defaults were assumed */
  char compiler[160];
  char cflags[512];
  char os[256];
  char thp[32]; /* transparent huge pages mode, "unknown" if absent */
  char timestamp[40];
  double steal_percent; /* CPU time the hypervisor took during the run, -1 if unknown */
  double loadavg_start; /* 1-minute load average when the bench started, -1 if unknown */
  double others_cpu_percent; /* CPU time other processes used during the run, % of one CPU; -1 if unknown */
  char busy[256];       /* why the figures may be disturbed ("" if nothing was seen) */
} bench_machine;

void bench_machine_read(bench_machine *m);
void bench_machine_free(bench_machine *m);

/* ---- clock estimate ------------------------------------------------------
 * Run at the start and at the end of the bench.  A dependent-add chain
 * cannot run faster than one add per cycle, and interruptions (other
 * tenants, the hypervisor) only slow it down, so the highest sample is the
 * estimate; the medians show how steady the core was. */
typedef struct {
  const char *method;
  double ghz;              /* max over all samples: used for per-cycle figures (0 if unavailable) */
  double ghz_median_start; /* median of the samples at the start */
  double ghz_median_end;   /* and at the end */
  int samples;             /* in all */
  long adds_per_sample;
} bench_clock;

/* Adds samples to c (start: 1 for the first call, 0 for the last). */
void bench_clock_estimate(bench_clock *c, int samples, int start);

/* CPU time of all CPUs from /proc/stat, in seconds: stolen by the
 * hypervisor, busy (not idle, not stolen) and in all; returns 0 if unknown. */
int bench_cpu_times(double *steal, double *busy, double *total);
/* CPU seconds this process used so far (all its threads). */
double bench_self_cpu_s(void);

/* ---- bandwidth probes ---------------------------------------------------- */
typedef struct {
  const char *key;  /* JSON key: l2, llc, stream_1t, stream_1t_alloc, stream_all */
  const char *what; /* human description */
  size_t bytes;     /* buffer size */
  int threads;
  int passes;       /* passes over the buffer per sample */
  int samples;
  bench_stat gbs;   /* GB/s = 1e9 bytes per second */
} bench_probe;

typedef struct {
  const char *load; /* vector width the read loop used: avx512, avx2, sse2, c */
  /* stream_1t and stream_all read memory with 2 MiB pages requested: the
   * DRAM limit with page walks out of the way (the sweep's bound);
   * stream_1t_alloc reads bitgen_alloc memory, as the sweep's buffers are
   * by default (its page size is the runtime's and the kernel's choice). */
  bench_probe l2, llc, stream_1t, stream_1t_alloc, stream_all;
  size_t huge_bytes;       /* bytes of the stream buffer backed by huge pages */
  size_t alloc_huge_bytes; /* the same for the bitgen_alloc buffer */
} bench_probes;

/* Runs the four read probes.  samples per probe; threads for stream_all. */
int bench_probe_run(bench_probes *p, const bench_machine *m, int samples, int threads);
/* One timed pass of the probes' read loop over buf (64-byte aligned, bytes
 * a multiple of 256), in GB/s: the cold sweep interleaves these with its
 * sweeps so that its bound is measured at the same time as the sweeps. */
double bench_read_pass_gbs(const void *buf, size_t bytes);
/* The probes' read loop over any buffer (any alignment and size); returns
 * a fold of the bytes so that no load is dead.  The cold sweep's bound
 * reads the sweep's own buffers with it. */
uint64_t bench_read_any(const void *buf, size_t bytes);

/* 2 MiB aligned, zeroed memory with transparent huge pages requested
 * (madvise; a no-op where unsupported); free with bench_free_huge. */
void *bench_alloc_huge(size_t bytes);
void bench_free_huge(void *p);
/* Bytes of [p, p+bytes) backed by huge pages (/proc/self/smaps), 0 if unknown. */
size_t bench_huge_bytes(const void *p, size_t bytes);
/* The same for n buffers (each mapping counted once). */
size_t bench_huge_bytes_multi(uint8_t *const *p, const size_t *bytes, size_t n);

/* ---- results --------------------------------------------------------------- */
typedef struct {
  size_t K;
  const char *fn;   /* the format's activation work (bench_results.quant_fn: "bitgen_quantize",
                       "bitgen_quantize_blocks", "bitgen_quantize+bitgen_tl_tables") or a part
                       of it or the scalar reference ("bitgen_quantize_scalar") */
  int calls_per_sample, samples;
  bench_stat ns;    /* per token */
} bench_quant;

typedef struct {
  const bitgen_variant *v;
  int selected;      /* what <prefix>_selected() returns for the kernel */
  int threads;       /* 1: direct kernel call; > 1: bitgen_drive_gemv / bitgen_drive_run on a pool */
  int calls_per_sample, samples;
  int output_matches; /* y equals the scalar reference, before and after timing (else the bench stops) */
  bench_stat ns;      /* kernel only, per call */
  bench_stat ns_quant; /* the format's quantization of the token (tl: and its tables) + kernel, per call */
  /* derived */
  double gbs, gops, gbs_quant, gops_quant, quant_share;
  double bytes_per_cycle, ops_per_cycle;
  double bound_gbs;      /* of the cache level the matrix fits in, for this many threads */
  const char *bound_how;
  double ratio_to_bound; /* gbs / bound_gbs */
} bench_hot;

typedef struct {
  char name[32];
  char isa[32];
  char reason[160];
} bench_skip;

typedef struct {
  const bitgen_kernel *k;
  size_t id; /* index into the package's kernels */
  size_t packed_bytes;
  double ops_per_call; /* 2*M*K */
  const char *residency; /* "L2", "LLC" or "DRAM": where the hot matrix lives */
  const bench_probe *bound; /* the probe of that level */
  bench_hot *hot;
  int nhot;
  bench_skip *skip;
  int nskip;
} bench_kernel;

typedef struct {
  size_t kernel;
  size_t calls;  /* GEMVs of this kernel per sweep */
  size_t bytes;  /* packed bytes they read */
  bench_stat ms; /* time spent in them per sweep */
  double gbs;
} bench_sweep_kernel;

typedef struct {
  char isa[32];
  int selected; /* every kernel's selected variant has this ISA */
  int threads;
  int samples;
  double bound_gbs, bound_ms; /* median bound pass (the sweep's buffers, its threads) paired with the sweeps */
  bench_stat ms;
  bench_stat probe_gbs; /* per sweep: the median of the BENCH_BOUND_PASSES bound passes just before it */
  bench_stat ratio;     /* per sweep: (bytes / that pass's GB/s) / sweep time */
  bench_stat alloc_gbs, alloc_ratio; /* the same with a pass over bitgen_alloc memory (1 thread only; else n = 0) */
  bench_sweep_kernel *per_kernel; /* nkernels entries */
  /* derived */
  double gbs, ratio_to_bound, ratio_to_all_threads, ratio_to_alloc_probe;
  int meets_target;
} bench_sweep_isa;

typedef struct {
  size_t layers, matrices, gemv;
  size_t bytes;
  int pool_tokens;
  double setup_s;
  int hugepages;       /* buffers from bench_alloc_huge (--hugepages) */
  size_t huge_bytes;   /* of the sweep's buffers, bytes backed by huge pages */
  size_t alloc_pass_huge_bytes; /* of the paired bitgen_alloc pass buffer */
  bench_stat bound_gbs_stat;          /* the 1-thread sweeps' paired bound passes (their per-sweep medians) */
  double bound_gbs, bound_ms;         /* their median, and bytes / median */
  double bound_ms_all_threads;        /* from the stream_all probe */
  bench_stat alloc_gbs_stat;          /* 1-thread passes over bitgen_alloc memory, interleaved too */
  double bound_ms_alloc;              /* bytes / their median */
  double quant_ms_upper;              /* one best-quantizer call per GEMV */
  bench_sweep_isa *isa;
  int nisa;
} bench_sweep;

typedef struct {
  const char *isa;
  double assumed_bytes_per_cycle, assumed_ops_per_cycle;
  const char *text;
  /* derived from the run */
  double measured_bytes_per_cycle, measured_ops_per_cycle; /* best hot variant of this ISA */
  double model_limit_gbs; /* min(assumed instruction bound * clock, stream_1t) */
  double stated_measured_bpc; /* measured B/cycle of the variant whose budget gives the bound */
  char textbuf[640];
} bench_isa_model;

#define BENCH_PREFILL_TARGET_GOPS 250.0 /* issue target: one thread, N = 128 */

/* Prefill: a general GEMM kernel at N tokens, 1 thread (direct call) or
 * all cores (bitgen_drive_gemm on the pool). */
typedef struct {
  const bitgen_kernel *k;
  const bitgen_variant *v;
  int selected, threads, samples;
  size_t N;
  bench_stat ms;
  double gops, ops_per_cycle; /* 2*M*K*N / median; per core per cycle */
} bench_prefill;

/* ---- reference checks (check.c) -----------------------------------------
 * Every timed path is first run once and compared, bit for bit, with the
 * scalar reference; a mismatch or a non-zero status ends the bench with
 * exit status 1 before anything is written. */
typedef struct {
  int kind;        /* bitgen_kind (0 = i2s) */
  const void *fmt; /* the bitgen_format (block formats) */
  size_t M, K;
  int8_t *w;       /* M x K integer weights, unpacked */
  float *wd;       /* block formats: M x K/block scales */
  int8_t *sc;      /* q6_k: M x K/16 sub-block scales */
  float *wf;       /* f16 / bf16: M x K weights as f32 */
} bench_refmat;

/* Unpacks a packed matrix of the package's format for the reference. */
int bench_refmat_unpack(bench_refmat *m, int kind, const void *fmt, size_t M, size_t K, size_t prows,
                        const uint8_t *packed, size_t psize);
/* Reference outputs of N tokens (y: N x M): i2s and tl from q and act
 * (bitgen_ref_gemv), block formats from q and the block scales ad, f16 /
 * bf16 from the f32 activations x. */
int bench_refmat_run(const bench_refmat *m, const int8_t *q, const bitgen_act *act, const float *ad, const float *x, size_t N,
                     float wscale, float *y);
void bench_refmat_free(bench_refmat *m);
/* Index of the first element whose bits differ, or -1. */
long bench_first_mismatch(const float *got, const float *want, size_t n);
#if defined(BITGEN_FMT_H)
/* The tl tables from their definition (bitgen_fmt.h), for N tokens. */
int bench_ref_tl_tables(const int8_t *q, size_t N, size_t K, int16_t *lut);
#endif

/* What the run checked against the reference (counts of comparisons). */
typedef struct {
  long quant, hot, sweep, prefill; /* outputs compared (a whole y or token set each) */
  long statuses;                   /* status codes of runtime calls checked (all were 0) */
} bench_checks;

/* ---- bounds that bound ---------------------------------------------------
 * A measured rate above its bound is a measurement problem (or a bound that
 * is not one): every ratio_to_bound-like figure above 1 + this margin is
 * listed (bench_results.over) and printed as a WARNING. */
#define BENCH_BOUND_MARGIN 0.05
#define BENCH_BOUND_PASSES 3 /* streaming-read passes paired with each sweep (their median) */
#define BENCH_MAX_OVER 64
typedef struct {
  char where[96]; /* JSON path of the figure */
  double ratio;
} bench_over;

typedef struct {
  const char *prefix, *header;
  const bitgen_package *pkg;
  const char *kind;     /* the format's kind: "i2s", "block" or "tl" */
  const char *quant_fn; /* the format's activation work per token, the name of its quant[] entries */
  int full;
  int threads;
  int hugepages; /* --hugepages: sweep buffers in memory with huge pages requested */
  const char *isa_filter;
  int threads_all;       /* participants of the all-cores runs; 0 = not run */
  const char *threading; /* how threads were used, or why not */
  size_t *matrix_kernel; /* per matrix of a layer: index into kernels[] below */
  bench_skip *not_benched; /* package kernels that are not GEMV */
  int nnot_benched;
  bench_machine machine;
  bench_clock clock;
  bench_probes probe;
  bench_quant *quant;
  int nquant;
  bench_kernel *kernels;
  int nkernels;
  bench_sweep sweep;
  bench_isa_model *models;
  int nmodels;
  bench_prefill *prefill;
  int nprefill;
  double wall_s;
  bench_checks checks;
  int nratios;                      /* ratio figures compared with 1 + BENCH_BOUND_MARGIN */
  bench_over over[BENCH_MAX_OVER];  /* those above it (bench_derive) */
  int nover;
} bench_results;

/* report.c */
void bench_derive(bench_results *r);
double bench_bits_per_weight(const bench_results *r);
void bench_print_table(FILE *f, const bench_results *r);
int bench_write_json(const char *path, const bench_results *r);
int bench_write_svg(const char *path, const bench_results *r);

#endif
