/* bitnet-run's command line. */
#ifndef BITNET_RUN_ARGS_H
#define BITNET_RUN_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *model;  /* MODEL.gguf */
  const char *prompt; /* -p */
  size_t n_predict;   /* -n: tokens to generate at most */
  size_t threads;     /* -t: 0 = the package's default */
  size_t n_ctx;       /* -c: 0 = the model's context length */
  uint64_t seed;      /* --seed */
  float temp;         /* --temp: 0 = greedy */
  size_t top_k;       /* --top-k: 0 = all */
  float top_p;        /* --top-p: (0, 1] */
} br_args;

/* Parses argv into *a.  Returns 0 to run, 1 after printing the help (exit
 * 0), -1 after printing an error and the usage to stderr (exit 2). */
int br_args_parse(int argc, char **argv, br_args *a);

#endif
