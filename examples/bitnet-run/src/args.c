/* bitnet-run's flags: every value parsed whole and range-checked, so a typo
 * is an error with the usage, never a silent default. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
  "usage: bitnet-run MODEL.gguf -p PROMPT [-n N] [-t THREADS] [-c N_CTX] [--seed N] [--temp T]\n"
  "                  [--top-k K] [--top-p P]\n"
  "  -p, --prompt TEXT    the prompt (tokenized with the GGUF's tokenizer; BOS as the file says)\n"
  "  -n, --n-predict N    generate at most N tokens (default 128); stops earlier at end of text\n"
  "  -t, --threads N      threads (default: BITGEN_THREADS, else the CPUs this process may use)\n"
  "  -c, --ctx-size N     KV cache positions (default: the model's context length)\n"
  "      --seed N         sampler seed (default 0: runs are reproducible)\n"
  "      --temp T         temperature (default 0.8; 0 = greedy)\n"
  "      --top-k K        sample among the K most likely tokens (default 40; 0 = all)\n"
  "      --top-p P        ... and the fewest whose probability reaches P (default 0.95; 0 < P <= 1)\n"
  "  -h, --help           this text\n"
  "The generated text goes to stdout as it is produced; the speed figures to stderr.\n";

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bitnet-run: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n%s", usage);
  va_end(ap);
  return -1;
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *v) {
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 10);
  if (!*s || *end || *s == '-' || *s == '+' || errno || x > max) {
    char lim[32];
    snprintf(lim, sizeof lim, "%llu", (unsigned long long)max);
    fprintf(stderr, "bitnet-run: %s: '%s' is not an integer in 0..%s\n%s", opt, s, lim, usage);
    return -1;
  }
  *v = x;
  return 0;
}

static int parse_float(const char *opt, const char *s, float lo, int lo_open, float hi, float *v) {
  char *end;
  errno = 0;
  float x = strtof(s, &end);
  if (!*s || *end || errno || !isfinite(x) || x < lo || (lo_open && x == lo) || x > hi) {
    fprintf(stderr, "bitnet-run: %s: '%s' is not a number in %s%g, %g]\n%s", opt, s, lo_open ? "(" : "[",
            (double)lo, (double)hi, usage);
    return -1;
  }
  *v = x;
  return 0;
}

int br_args_parse(int argc, char **argv, br_args *a) {
  memset(a, 0, sizeof *a);
  a->n_predict = 128;
  a->temp = 0.8f;
  a->top_k = 40;
  a->top_p = 0.95f;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      fputs(usage, stdout);
      return 1;
    }
    if (o[0] != '-' || !o[1]) {
      if (a->model) return fail("one model file only: '%s' and '%s'", a->model, o);
      a->model = o;
      continue;
    }
    if (!strcmp(o, "--")) {
      if (i + 1 < argc && !a->model) a->model = argv[++i];
      if (i + 1 < argc) return fail("unexpected argument '%s'", argv[i + 1]);
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t u;
    int known = 1, rc = 0;
    if (!strcmp(o, "-p") || !strcmp(o, "--prompt")) {
      if (v) a->prompt = v;
    } else if (!strcmp(o, "-n") || !strcmp(o, "--n-predict")) {
      if (v && !(rc = parse_u64(o, v, 1u << 20, &u))) a->n_predict = (size_t)u;
    } else if (!strcmp(o, "-t") || !strcmp(o, "--threads")) {
      if (v && !(rc = parse_u64(o, v, 1024, &u))) a->threads = (size_t)u;
      if (v && !rc && u == 0) return fail("%s: the thread count must be at least 1", o);
    } else if (!strcmp(o, "-c") || !strcmp(o, "--ctx-size")) {
      if (v && !(rc = parse_u64(o, v, 1u << 20, &u))) a->n_ctx = (size_t)u;
      if (v && !rc && u == 0) return fail("%s: the context must hold at least 1 token", o);
    } else if (!strcmp(o, "--seed")) {
      if (v) rc = parse_u64(o, v, UINT64_MAX, &a->seed);
    } else if (!strcmp(o, "--temp")) {
      if (v) rc = parse_float(o, v, 0.0f, 0, 1e6f, &a->temp);
    } else if (!strcmp(o, "--top-k")) {
      if (v && !(rc = parse_u64(o, v, 1u << 31, &u))) a->top_k = (size_t)u;
    } else if (!strcmp(o, "--top-p")) {
      if (v) rc = parse_float(o, v, 0.0f, 1, 1.0f, &a->top_p);
    } else {
      known = 0;
    }
    if (!known) return fail("unknown option '%s'", o);
    if (!v) return fail("%s needs a value", o);
    if (rc) return -1;
    i++;
  }
  if (!a->model) return fail("no model file given");
  if (!a->prompt) return fail("no prompt given (-p TEXT)");
  return 0;
}
