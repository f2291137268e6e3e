/* oracle-run: bitgen's side of the llama.cpp cross-check
 * (tests/test_llama_oracle.sh) and speed comparison
 * (bench/peer/llama_vs_bitgen.sh): a generated model package's decoder,
 * called through its public header only.
 *
 *   oracle-run logits MODEL.gguf OUT.f32 TOKEN...
 *       evaluates the tokens in one call (P_eval_all, 1 thread) and writes
 *       the logits of every position to OUT as n x n_vocab float32, the
 *       layout llama-oracle writes.
 *   oracle-run bench MODEL.gguf N_PROMPT N_DECODE [THREADS]
 *       a prompt of N_PROMPT tokens, then N_DECODE tokens one at a time
 *       (greedy); prints "decode: N tokens in S s, T tokens/s" as
 *       llama-oracle bench does, with the same prompt tokens.
 *
 * Built against the package by the caller: -DORACLE_PKG=bitgen_<model>
 * -DORACLE_PKG_UPPER=BITGEN_<MODEL> -DORACLE_HEADER='"bitgen_<model>.h"'.
 * Exit status: 0 done; 1 an error (message on stderr); 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include ORACLE_HEADER
#include "oracle_common.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define P(name) CAT(ORACLE_PKG, CAT(_, name))
#define PU(name) CAT(ORACLE_PKG_UPPER, CAT(_, name))
#define N_VOCAB PU(N_VOCAB)

static int usage(void) {
  fprintf(stderr, "usage: oracle-run logits MODEL.gguf OUT.f32 TOKEN...\n"
                  "       oracle-run bench MODEL.gguf N_PROMPT N_DECODE [THREADS]\n");
  return 2;
}

typedef struct {
  P(model) model;
  P(ctx) *ctx;
} run;

static int run_open(run *r, const char *path, size_t n_ctx, size_t n_batch, size_t threads) {
  char err[512] = "";
  P(load_options) lo = {0};
  lo.error = err;
  lo.error_size = sizeof err;
  memset(r, 0, sizeof *r);
  int st = P(load)(path, &lo, &r->model);
  if (st != BITGEN_OK) {
    fprintf(stderr, "oracle-run: %s\n", err[0] ? err : P(strerror)(st));
    return 1;
  }
  P(ctx_options) co = {0};
  co.n_ctx = n_ctx;
  co.n_batch = n_batch;
  co.n_threads = threads;
  st = P(ctx_create)(&r->model, &co, &r->ctx);
  if (st != BITGEN_OK) {
    fprintf(stderr, "oracle-run: context of %zu positions: %s\n", n_ctx, P(strerror)(st));
    P(model_free)(&r->model);
    return 1;
  }
  P(info_t) info;
  fprintf(stderr, "oracle-run: %s (ISA %s), %zu thread(s)\n", path,
          P(info)(&info) == BITGEN_OK && info.nkernels ? info.kernels[0].isa : "?", threads);
  return 0;
}

static void run_free(run *r) {
  P(ctx_free)(r->ctx);
  P(model_free)(&r->model);
}

static int cmd_logits(int argc, char **argv) {
  if (argc < 5) return usage();
  size_t n = (size_t)argc - 4;
  int32_t *tok = malloc(sizeof *tok * n);
  float *logits = malloc(sizeof *logits * n * N_VOCAB);
  if (tok == NULL || logits == NULL) {
    free(tok), free(logits);
    return fprintf(stderr, "oracle-run: out of memory\n"), 1;
  }
  for (size_t i = 0; i < n; i++) {
    long v;
    if (oracle_parse_int(argv[4 + i], 0, N_VOCAB - 1, &v)) {
      fprintf(stderr, "oracle-run: token '%s' is not an integer in [0, %d)\n", argv[4 + i], N_VOCAB);
      free(tok), free(logits);
      return 2;
    }
    tok[i] = (int32_t)v;
  }
  run r;
  if (run_open(&r, argv[2], n, n, 1)) {
    free(tok), free(logits);
    return 1;
  }
  int st = P(eval_all)(r.ctx, tok, n, logits), ret = 0;
  if (st != BITGEN_OK) {
    fprintf(stderr, "oracle-run: eval_all of %zu tokens: %s\n", n, P(strerror)(st));
    ret = 1;
  }
  FILE *f = ret ? NULL : fopen(argv[3], "wb");
  if (!ret && f == NULL) {
    fprintf(stderr, "oracle-run: %s: %s\n", argv[3], strerror(errno));
    ret = 1;
  }
  if (f && fwrite(logits, sizeof *logits, n * N_VOCAB, f) != n * N_VOCAB) {
    fprintf(stderr, "oracle-run: %s: write failed\n", argv[3]);
    ret = 1;
  }
  if (f && fclose(f) != 0 && !ret) {
    fprintf(stderr, "oracle-run: %s: %s\n", argv[3], strerror(errno));
    ret = 1;
  }
  if (ret && f) remove(argv[3]);
  run_free(&r);
  free(tok), free(logits);
  return ret;
}

static int cmd_bench(int argc, char **argv) {
  long np, nd, th = 1;
  if (argc < 5 || argc > 6 || oracle_parse_int(argv[3], 1, 4096, &np) || oracle_parse_int(argv[4], 1, 4096, &nd) ||
      (argc == 6 && oracle_parse_int(argv[5], 1, 1024, &th)))
    return usage();
  run r;
  if (run_open(&r, argv[2], (size_t)(np + nd), (size_t)np, (size_t)th)) return 1;
  int32_t *tok = malloc(sizeof *tok * (size_t)np);
  float *logits = malloc(sizeof *logits * N_VOCAB);
  if (tok == NULL || logits == NULL) {
    free(tok), free(logits);
    run_free(&r);
    return fprintf(stderr, "oracle-run: out of memory\n"), 1;
  }
  for (long i = 0; i < np; i++) tok[i] = oracle_prompt_token(i, N_VOCAB);
  double t0 = oracle_now();
  int st = P(eval)(r.ctx, tok, (size_t)np, logits);
  double t1 = oracle_now(), t2 = t1;
  long done = 0;
  for (; st == BITGEN_OK && done < nd; done++) {
    int32_t next = oracle_argmax(logits, N_VOCAB);
    if (done == 0) t1 = oracle_now();
    st = P(eval)(r.ctx, &next, 1, logits);
    t2 = oracle_now();
  }
  free(tok), free(logits);
  if (st != BITGEN_OK) {
    fprintf(stderr, "oracle-run: eval: %s\n", P(strerror)(st));
    run_free(&r);
    return 1;
  }
  oracle_report(np, done, t0, t1, t2);
  run_free(&r);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "logits") == 0) return cmd_logits(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "bench") == 0) return cmd_bench(argc, argv);
  return usage();
}
