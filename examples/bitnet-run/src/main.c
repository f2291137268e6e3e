/* bitnet-run MODEL.gguf -p PROMPT [-n N] ...: runs a generated package's
 * model on a prompt, streams the generated text to stdout, then prints the
 * speed against this machine's bytes-per-token bound (stderr).  Exit 0 on
 * success, 1 on a run error (a message names it), 2 on bad flags. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "bitgen_gguf.h" /* the package's runtime (symbols carry its prefix) */
#include "bitgen_tok.h"
#include "model.h"
#include "report.h"
#include "stream.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void profile_diff(br_profile *d, const br_profile *a, const br_profile *b) {
  d->matmul_ns = a->matmul_ns - b->matmul_ns, d->attention_ns = a->attention_ns - b->attention_ns;
  d->ops_ns = a->ops_ns - b->ops_ns, d->output_ns = a->output_ns - b->output_ns;
  d->total_ns = a->total_ns - b->total_ns, d->tokens = a->tokens - b->tokens, d->calls = a->calls - b->calls;
}

/* The tokenizer of the file's tokenizer.ggml.* metadata. */
static bitgen_tok *open_tokenizer(const char *path) {
  bitgen_gguf *g = NULL;
  bitgen_gguf_error ge;
  if (bitgen_gguf_open(path, &g, &ge) != BITGEN_GGUF_OK) {
    fprintf(stderr, "bitnet-run: %s\n", ge.message);
    return NULL;
  }
  bitgen_tok *t = NULL;
  bitgen_tok_error te;
  if (bitgen_tok_create_gguf(g, NULL, &t, &te) != BITGEN_TOK_OK)
    fprintf(stderr, "bitnet-run: %s: tokenizer: %s\n", path, te.message);
  bitgen_gguf_close(g); /* the tokenizer keeps copies of what it needs */
  return t;
}

/* The prompt's tokens (BOS first if the file says so); NULL after a message. */
static int32_t *encode_prompt(bitgen_tok *tok, const char *prompt, size_t *n) {
  const size_t len = strlen(prompt);
  const int bos = bitgen_tok_add_bos(tok) && bitgen_tok_bos(tok) >= 0;
  size_t cap = len + 2;
  int32_t *ids = malloc(cap * sizeof *ids);
  int rc = ids ? bitgen_tok_encode(tok, prompt, len, bos, 0, ids, cap, n) : BITGEN_TOK_E_NOMEM;
  if (rc == BITGEN_TOK_E_SIZE) { /* never more tokens than bytes, but do not rely on it */
    int32_t *more = realloc(ids, *n * sizeof *ids);
    rc = more ? bitgen_tok_encode(tok, prompt, len, bos, 0, more, *n, n) : BITGEN_TOK_E_NOMEM;
    ids = more ? more : ids;
  }
  if (rc != BITGEN_TOK_OK) {
    fprintf(stderr, "bitnet-run: the prompt cannot be tokenized: %s\n", bitgen_tok_strerror(rc));
    free(ids);
    return NULL;
  }
  return ids;
}

/* Writes one token's bytes at once, so the text streams. */
static void put_piece(const bitgen_tok *tok, int32_t id) {
  char buf[256];
  size_t n = 0;
  if (bitgen_tok_piece(tok, id, 0, buf, sizeof buf, &n) == BITGEN_TOK_OK) {
    fwrite(buf, 1, n, stdout);
  } else if (n > 0) { /* a longer piece */
    char *big = malloc(n);
    if (big && bitgen_tok_piece(tok, id, 0, big, n, &n) == BITGEN_TOK_OK) fwrite(big, 1, n, stdout);
    free(big);
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  br_args a;
  int rc = br_args_parse(argc, argv, &a);
  if (rc) return rc > 0 ? 0 : 2;

  const size_t threads = a.threads ? a.threads : br_default_threads();

  char err[512];
  br_model *m = NULL;
  double t0 = now_ns();
  rc = br_open(a.model, a.n_ctx, threads, &m, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "bitnet-run: %s\n", err);
    return 1;
  }
  const double load_ns = now_ns() - t0;
  br_info info;
  br_get_info(m, &info);
  br_stream bw; /* after loading (a bad file fails at once), and after the run */
  if (br_stream_measure(info.arena, info.arena_size, threads, &bw) != 0) {
    fprintf(stderr, "bitnet-run: out of memory for the bandwidth probe\n");
    br_close(m);
    return 1;
  }
  bitgen_tok *tok = open_tokenizer(a.model);
  if (!tok) {
    br_close(m);
    return 1;
  }
  size_t n_prompt = 0;
  int32_t *prompt = encode_prompt(tok, a.prompt, &n_prompt);
  int status = 1;
  float *logits = malloc(info.n_vocab * sizeof *logits);
  br_timing t;
  memset(&t, 0, sizeof t);
  if (!prompt || !logits) goto out;
  const size_t n_ctx = br_n_ctx(m);
  fprintf(stderr, "bitnet-run: %s: %s (ISA %s), %zu layers, context %zu, %zu thread%s, loaded in %.2f s; "
                  "prompt %zu tokens\n",
          a.model, info.package, info.isa, info.n_layer, n_ctx, threads, threads == 1 ? "" : "s", load_ns / 1e9,
          n_prompt);
  if (n_prompt == 0) {
    fprintf(stderr, "bitnet-run: the prompt is empty and the model adds no BOS token: nothing to continue\n");
    goto out;
  }
  if (n_prompt > n_ctx) {
    fprintf(stderr, "bitnet-run: the prompt is %zu tokens, longer than the context of %zu (-c)\n", n_prompt, n_ctx);
    goto out;
  }
  if ((rc = br_sampler(m, a.temp, a.top_k, a.top_p, a.seed)) != 0) {
    fprintf(stderr, "bitnet-run: sampler: %s\n", br_strerror(rc));
    goto out;
  }

  br_profile p1, p2;
  t0 = now_ns();
  rc = br_eval(m, prompt, n_prompt, logits);
  t.prefill_ns = now_ns() - t0;
  if (rc != 0) {
    fprintf(stderr, "bitnet-run: prompt: %s\n", br_strerror(rc));
    goto out;
  }
  t.n_prompt = n_prompt;
  br_get_profile(m, &p1); /* the context is new: all of it is the prefill */
  t.prefill = p1;

  for (size_t i = 0; i < a.n_predict; i++) {
    int32_t id;
    double s0 = now_ns();
    rc = br_sample(m, logits, &id);
    t.sample_ns += now_ns() - s0;
    t.n_sampled++;
    if (rc != 0) {
      fprintf(stderr, "\nbitnet-run: sampling: %s\n", br_strerror(rc));
      goto out;
    }
    if (bitgen_tok_is_eog(tok, id)) {
      fprintf(stderr, "\nbitnet-run: end of text (token %d)\n", (int)id);
      break;
    }
    put_piece(tok, id);
    if (i + 1 == a.n_predict) break; /* the last token needs no eval */
    if (br_pos(m) == n_ctx) {
      fprintf(stderr, "\nbitnet-run: the context is full (%zu tokens, -c)\n", n_ctx);
      break;
    }
    t.kv_positions += (double)(br_pos(m) + 1);
    s0 = now_ns();
    rc = br_eval(m, &id, 1, logits);
    t.decode_ns += now_ns() - s0;
    if (rc != 0) {
      fprintf(stderr, "\nbitnet-run: decode at position %zu: %s\n", br_pos(m), br_strerror(rc));
      goto out;
    }
    t.n_decode++;
  }
  fputc('\n', stdout);
  fflush(stdout);
  br_get_profile(m, &p2);
  profile_diff(&t.decode, &p2, &p1);
  /* again after the run: other work on the machine moves the figure, and
   * the higher of the two is the stricter bound */
  br_stream bw2;
  if (br_stream_measure(info.arena, info.arena_size, threads, &bw2) == 0 && bw2.gbs > bw.gbs) bw = bw2;
  br_report(&info, &bw, &t);
  status = 0;
out:
  free(logits);
  free(prompt);
  bitgen_tok_free(tok);
  br_close(m);
  return status;
}
