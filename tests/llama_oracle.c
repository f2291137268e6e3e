/* llama-oracle: llama.cpp's logits for a GGUF model and a token sequence, to
 * cross-check bitgen's generated decoder (tests/test_llama_oracle.sh), and
 * llama.cpp's decode speed (bench/peer/llama_vs_bitgen.sh).
 *
 *   llama-oracle logits LIBDIR MODEL.gguf OUT.f32 TOKEN...
 *       evaluates the tokens as one batch (positions 0..n-1, one sequence,
 *       1 thread, CPU only) and writes the logits of every position to OUT
 *       as n x n_vocab little-endian float32.
 *   llama-oracle bench LIBDIR MODEL.gguf N_PROMPT N_DECODE [THREADS]
 *       a prompt of N_PROMPT tokens, then N_DECODE tokens one at a time
 *       (greedy); prints "decode: N tokens in S s, T tokens/s".
 *
 * LIBDIR holds the prebuilt llama.cpp CPU libraries of the npm package
 * @node-llama-cpp/linux-x64 3.21.1 (libllama.v0.4.0.so, libggml.v0.4.0.so,
 * libggml-base.so, libggml-cpu-<microarch>.so; scripts/setup.sh installs
 * them).  Nothing is linked: the libraries are opened at run time and only
 * the declarations below are needed, the C ABI of that build: llama.cpp
 * "0.4.0-dev" (llama_version()), commit 5b4ebc5 (ggml_commit()).  The
 * struct layouts are those of its include/llama.h; the program refuses any
 * other build (exit 77) and also checks the defaults the library returns
 * and the values a context reports back, so a layout it does not know
 * cannot pass silently.
 *
 * Exit status: 0 done; 1 an error (message on stderr); 2 usage; 77 skip
 * (not x86-64 Linux, no libraries, another llama.cpp build), one line
 * saying why. */
#if defined(__linux__) && defined(__x86_64__)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "oracle_common.h"

#define ORACLE_LLAMA_VERSION "0.4.0-dev"
#define ORACLE_GGML_COMMIT "5b4ebc5"

/* ---- the ABI of that build (include/llama.h, ggml.h) ------------------------ */
typedef int32_t lo_token;
typedef struct lo_model lo_model;
typedef struct lo_ctx lo_ctx;
typedef struct lo_vocab lo_vocab;

typedef struct { /* struct llama_model_params: 80 bytes */
  void *devices;                 /*  0 */
  const void *tensor_buft_overrides; /* 8 */
  int32_t n_gpu_layers;          /* 16, default -1 */
  int32_t split_mode;            /* 20, default 1 (layer) */
  int32_t load_mode;             /* 24 */
  int32_t lazy_mode;             /* 28 */
  int32_t main_gpu;              /* 32, default 0 */
  const float *tensor_split;     /* 40 */
  void *progress_callback;       /* 48 */
  void *progress_callback_user_data; /* 56 */
  const void *kv_overrides;      /* 64 */
  bool vocab_only;               /* 72 */
  bool check_tensors;            /* 73 */
  bool use_extra_bufts;          /* 74, default true */
  bool no_host;                  /* 75 */
  bool no_alloc;                 /* 76 */
  bool load_mtp;                 /* 77 */
} lo_model_params;
_Static_assert(sizeof(lo_model_params) == 80, "llama_model_params is 80 bytes");
_Static_assert(offsetof(lo_model_params, vocab_only) == 72, "bools at 72");

typedef struct { /* struct llama_context_params: 160 bytes */
  uint32_t n_ctx, n_batch, n_ubatch, n_seq_max; /* 0 4 8 12: defaults 512 2048 512 1 */
  uint32_t n_rs_seq, n_outputs_max;             /* 16 20 */
  uint32_t n_outputs_max_per_seq;               /* 24, default 1 */
  int32_t n_threads, n_threads_batch;           /* 28 32, defaults 4 4 */
  int32_t ctx_type;                             /* 36 */
  int32_t rope_scaling_type, pooling_type, attention_type, flash_attn_type; /* 40..52, defaults -1 */
  float rope_freq_base, rope_freq_scale;        /* 56 60 */
  float yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow; /* 64..76 */
  uint32_t yarn_orig_ctx;                       /* 80 */
  float defrag_thold;                           /* 84 */
  void *cb_eval, *cb_eval_user_data;            /* 88 96 */
  int32_t type_k, type_v;                       /* 104 108, default 1 (f16) */
  void *abort_callback, *abort_callback_data;   /* 112 120 */
  bool embeddings, offload_kqv, no_perf, op_offload, swa_full, kv_unified; /* 128..133 */
  void *samplers;                               /* 136 */
  size_t n_samplers;                            /* 144 */
  void *ctx_other;                              /* 152 */
} lo_ctx_params;
_Static_assert(sizeof(lo_ctx_params) == 160, "llama_context_params is 160 bytes");
_Static_assert(offsetof(lo_ctx_params, n_threads) == 28, "n_threads at 28");
_Static_assert(offsetof(lo_ctx_params, type_k) == 104, "type_k at 104");

typedef struct { /* struct llama_batch: 56 bytes */
  int32_t n_tokens;
  lo_token *token;
  float *embd;
  int32_t *pos;
  int32_t *n_seq_id;
  int32_t **seq_id;
  int8_t *logits;
} lo_batch;
_Static_assert(sizeof(lo_batch) == 56, "llama_batch is 56 bytes");

typedef void (*lo_log_fn)(int level, const char *text, void *user);

typedef struct {
  void *base, *llama;
  const char *(*ggml_commit)(void);
  const char *(*llama_version)(void);
  void (*load_all_from_path)(const char *dir);
  size_t (*dev_count)(void);
  void *(*dev_get)(size_t i);
  int (*dev_type)(void *dev);
  const char *(*dev_description)(void *dev);
  void (*log_set)(lo_log_fn fn, void *user);
  void (*backend_init)(void);
  void (*backend_free)(void);
  lo_model_params (*model_default_params)(void);
  lo_ctx_params (*context_default_params)(void);
  lo_model *(*model_load)(const char *path, lo_model_params p);
  void (*model_free)(lo_model *m);
  lo_ctx *(*init_from_model)(lo_model *m, lo_ctx_params p);
  void (*free_ctx)(lo_ctx *c);
  const lo_vocab *(*get_vocab)(const lo_model *m);
  int32_t (*vocab_n_tokens)(const lo_vocab *v);
  uint32_t (*n_ctx)(const lo_ctx *c);
  uint32_t (*n_batch)(const lo_ctx *c);
  uint32_t (*n_ubatch)(const lo_ctx *c);
  int32_t (*n_threads)(lo_ctx *c);
  int32_t (*n_threads_batch)(lo_ctx *c);
  lo_batch (*batch_init)(int32_t n_tokens, int32_t embd, int32_t n_seq_max);
  void (*batch_free)(lo_batch b);
  lo_batch (*batch_get_one)(lo_token *tokens, int32_t n);
  int32_t (*decode)(lo_ctx *c, lo_batch b);
  float *(*get_logits_ith)(lo_ctx *c, int32_t i);
  const char *(*system_info)(void);
} lo_lib;

static char log_tail[8192]; /* llama.cpp's recent messages, printed when something fails
                               (all as they come with LLAMA_ORACLE_VERBOSE set) */
static size_t log_len;
static int log_verbose;

static void log_cb(int level, const char *text, void *user) {
  (void)user;
  (void)level; /* errors too are printed with the tail, when a call fails */
  if (log_verbose) fputs(text, stderr);
  size_t n = strlen(text);
  if (n >= sizeof log_tail) text += n - (sizeof log_tail - 1), n = sizeof log_tail - 1;
  if (log_len + n >= sizeof log_tail) { /* keep the newer half */
    size_t keep = sizeof log_tail / 2 > n ? sizeof log_tail / 2 - n : 0;
    memmove(log_tail, log_tail + log_len - keep, keep);
    log_len = keep;
  }
  memcpy(log_tail + log_len, text, n);
  log_len += n;
  log_tail[log_len] = 0;
}

static void print_log_tail(void) {
  if (log_len && !log_verbose) fprintf(stderr, "llama-oracle: llama.cpp's last messages:\n%s", log_tail);
}

static int skip(const char *fmt, const char *a, const char *b) {
  printf("SKIP: ");
  printf(fmt, a, b);
  printf("\n");
  return 77;
}

/* dlsym or a message naming the symbol; *ok cleared on failure */
static void *sym(void *h, const char *name, int *ok) {
  void *p = dlsym(h, name);
  if (p == NULL) {
    fprintf(stderr, "llama-oracle: the library has no symbol %s\n", name);
    *ok = 0;
  }
  return p;
}

/* 0 opened and the build is the declared one; 77 skip; 1 error */
static int lib_open(lo_lib *L, const char *dir) {
  struct stat st;
  char path[4096];
  memset(L, 0, sizeof *L);
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return skip("no llama.cpp library directory %s%s (scripts/setup.sh installs node-llama-cpp's)", dir, "");
  snprintf(path, sizeof path, "%s/libggml-base.so", dir);
  L->base = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (L->base == NULL) return skip("cannot load %s: %s", path, dlerror());
  snprintf(path, sizeof path, "%s/libllama.v0.4.0.so", dir);
  L->llama = dlopen(path, RTLD_NOW | RTLD_LOCAL); /* finds libggml.v0.4.0.so beside it ($ORIGIN) */
  if (L->llama == NULL) return skip("cannot load %s: %s", path, dlerror());
  int ok = 1;
  L->ggml_commit = (const char *(*)(void))sym(L->base, "ggml_commit", &ok);
  L->llama_version = (const char *(*)(void))sym(L->llama, "llama_version", &ok);
  if (!ok) return skip("%s is not llama.cpp %s (no version symbols)", dir, ORACLE_LLAMA_VERSION);
  const char *v = L->llama_version(), *c = L->ggml_commit();
  if (v == NULL || c == NULL || strcmp(v, ORACLE_LLAMA_VERSION) != 0 || strcmp(c, ORACLE_GGML_COMMIT) != 0) {
    printf("SKIP: %s is llama.cpp %s commit %s; this program declares the ABI of %s commit %s only\n", dir,
           v ? v : "(null)", c ? c : "(null)", ORACLE_LLAMA_VERSION, ORACLE_GGML_COMMIT);
    return 77;
  }
#define S(field, name) *(void **)&L->field = sym(L->llama, name, &ok)
  S(load_all_from_path, "ggml_backend_load_all_from_path");
  S(dev_count, "ggml_backend_dev_count");
  S(dev_get, "ggml_backend_dev_get");
  S(dev_type, "ggml_backend_dev_type");
  S(dev_description, "ggml_backend_dev_description");
  S(log_set, "llama_log_set");
  S(backend_init, "llama_backend_init");
  S(backend_free, "llama_backend_free");
  S(model_default_params, "llama_model_default_params");
  S(context_default_params, "llama_context_default_params");
  S(model_load, "llama_model_load_from_file");
  S(model_free, "llama_model_free");
  S(init_from_model, "llama_init_from_model");
  S(free_ctx, "llama_free");
  S(get_vocab, "llama_model_get_vocab");
  S(vocab_n_tokens, "llama_vocab_n_tokens");
  S(n_ctx, "llama_n_ctx");
  S(n_batch, "llama_n_batch");
  S(n_ubatch, "llama_n_ubatch");
  S(n_threads, "llama_n_threads");
  S(n_threads_batch, "llama_n_threads_batch");
  S(batch_init, "llama_batch_init");
  S(batch_free, "llama_batch_free");
  S(batch_get_one, "llama_batch_get_one");
  S(decode, "llama_decode");
  S(get_logits_ith, "llama_get_logits_ith");
  S(system_info, "llama_print_system_info");
#undef S
  if (!ok) return skip("%s: a llama.cpp %s function is missing (above)", dir, ORACLE_LLAMA_VERSION);
  return 0;
}

/* The defaults this build returns, at the declared offsets: a layout that
 * moved shows here before anything is passed to the library. */
static int check_defaults(const lo_model_params *m, const lo_ctx_params *c) {
  struct { const char *what; long got, want; } t[] = {
    {"model_params.n_gpu_layers", m->n_gpu_layers, -1},
    {"model_params.split_mode", m->split_mode, 1},
    {"model_params.main_gpu", m->main_gpu, 0},
    {"model_params.use_extra_bufts", m->use_extra_bufts, 1},
    {"model_params.vocab_only", m->vocab_only, 0},
    {"context_params.n_ctx", (long)c->n_ctx, 512},
    {"context_params.n_batch", (long)c->n_batch, 2048},
    {"context_params.n_ubatch", (long)c->n_ubatch, 512},
    {"context_params.n_seq_max", (long)c->n_seq_max, 1},
    {"context_params.n_threads", c->n_threads, 4},
    {"context_params.n_threads_batch", c->n_threads_batch, 4},
    {"context_params.pooling_type", c->pooling_type, -1},
    {"context_params.type_k", c->type_k, 1},
    {"context_params.type_v", c->type_v, 1},
    {"context_params.embeddings", c->embeddings, 0},
    {"context_params.offload_kqv", c->offload_kqv, 1},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++)
    if (t[i].got != t[i].want) {
      printf("SKIP: llama.cpp's default %s is %ld, the declared ABI says %ld: another struct layout\n", t[i].what,
             t[i].got, t[i].want);
      return 77;
    }
  if (m->devices || m->tensor_buft_overrides || m->tensor_split || m->kv_overrides || c->cb_eval || c->samplers ||
      c->ctx_other) {
    printf("SKIP: llama.cpp's default parameters have non-NULL pointers where the declared ABI has NULL\n");
    return 77;
  }
  return 0;
}

typedef struct {
  lo_lib L;
  lo_model *model;
  lo_ctx *ctx;
  int32_t n_vocab;
} lo_run;

static void run_free(lo_run *r) {
  if (r->ctx) r->L.free_ctx(r->ctx);
  if (r->model) r->L.model_free(r->model);
  if (r->L.backend_free) r->L.backend_free();
}

/* libraries, the CPU backend, the model, a context of n_ctx positions with
 * n_threads threads: 0, 77 or 1 */
static int run_open(lo_run *r, const char *dir, const char *model, uint32_t n_ctx, uint32_t n_batch, int n_threads) {
  memset(r, 0, sizeof *r);
  log_verbose = getenv("LLAMA_ORACLE_VERBOSE") != NULL;
  int st = lib_open(&r->L, dir);
  if (st) return st;
  lo_lib *L = &r->L;
  L->log_set(log_cb, NULL);
  lo_model_params mp = L->model_default_params();
  lo_ctx_params cp = L->context_default_params();
  if ((st = check_defaults(&mp, &cp))) return st;
  L->load_all_from_path(dir); /* the best libggml-cpu-<microarch>.so this CPU runs */
  void *cpu = NULL;
  for (size_t i = 0; i < L->dev_count(); i++)
    if (L->dev_type(L->dev_get(i)) == 0 /* GGML_BACKEND_DEVICE_TYPE_CPU */) cpu = L->dev_get(i);
  if (cpu == NULL) {
    print_log_tail();
    printf("SKIP: no llama.cpp CPU backend in %s runs on this CPU\n", dir);
    return 77;
  }
  L->backend_init();
  mp.n_gpu_layers = 0;
  r->model = L->model_load(model, mp);
  if (r->model == NULL) {
    print_log_tail();
    fprintf(stderr, "llama-oracle: %s: llama.cpp cannot load the model\n", model);
    return 1;
  }
  cp.n_ctx = n_ctx;
  cp.n_batch = n_batch;
  cp.n_ubatch = n_batch;
  cp.n_threads = n_threads;
  cp.n_threads_batch = n_threads;
  r->ctx = L->init_from_model(r->model, cp);
  if (r->ctx == NULL) {
    print_log_tail();
    fprintf(stderr, "llama-oracle: %s: llama.cpp cannot create a context\n", model);
    return 1;
  }
  /* the fields set above, read back through the library's own accessors */
  if (L->n_ctx(r->ctx) < n_ctx || L->n_batch(r->ctx) != n_batch || L->n_ubatch(r->ctx) != n_batch ||
      L->n_threads(r->ctx) != n_threads || L->n_threads_batch(r->ctx) != n_threads) {
    printf("SKIP: the llama.cpp context reports n_ctx %u n_batch %u n_ubatch %u threads %d/%d, asked %u %u %u %d: "
           "another struct layout\n", L->n_ctx(r->ctx), L->n_batch(r->ctx), L->n_ubatch(r->ctx), L->n_threads(r->ctx),
           L->n_threads_batch(r->ctx), n_ctx, n_batch, n_batch, n_threads);
    return 77;
  }
  r->n_vocab = L->vocab_n_tokens(L->get_vocab(r->model));
  if (r->n_vocab <= 0) {
    fprintf(stderr, "llama-oracle: %s: vocabulary of %d tokens\n", model, r->n_vocab);
    return 1;
  }
  fprintf(stderr, "llama-oracle: llama.cpp %s (%s), CPU backend: %s, %d thread(s); %s\n", L->llama_version(),
          L->ggml_commit(), L->dev_description(cpu), n_threads, L->system_info());
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: llama-oracle logits LIBDIR MODEL.gguf OUT.f32 TOKEN...\n"
                  "       llama-oracle bench LIBDIR MODEL.gguf N_PROMPT N_DECODE [THREADS]\n");
  return 2;
}

static int cmd_logits(int argc, char **argv) {
  if (argc < 6) return usage();
  const char *dir = argv[2], *model = argv[3], *out = argv[4];
  int n = argc - 5;
  lo_token *tok = malloc(sizeof *tok * (size_t)n);
  if (tok == NULL) return fprintf(stderr, "llama-oracle: out of memory\n"), 1;
  for (int i = 0; i < n; i++) {
    long v;
    if (oracle_parse_int(argv[5 + i], 0, INT32_MAX, &v)) {
      fprintf(stderr, "llama-oracle: token '%s' is not a non-negative integer\n", argv[5 + i]);
      free(tok);
      return 2;
    }
    tok[i] = (lo_token)v;
  }
  lo_run r;
  uint32_t n_ctx = (uint32_t)(n < 256 ? 256 : n);
  int st = run_open(&r, dir, model, n_ctx, (uint32_t)n, 1);
  if (st) {
    run_free(&r);
    free(tok);
    return st;
  }
  for (int i = 0; i < n; i++)
    if (tok[i] >= r.n_vocab) {
      fprintf(stderr, "llama-oracle: token %d is outside the vocabulary of %d\n", tok[i], r.n_vocab);
      run_free(&r);
      free(tok);
      return 2;
    }
  lo_batch b = r.L.batch_init(n, 0, 1);
  if (b.token == NULL || b.pos == NULL || b.seq_id == NULL || b.n_seq_id == NULL || b.logits == NULL) {
    fprintf(stderr, "llama-oracle: llama_batch_init failed\n");
    run_free(&r);
    free(tok);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    b.token[i] = tok[i];
    b.pos[i] = i;
    b.n_seq_id[i] = 1;
    b.seq_id[i][0] = 0;
    b.logits[i] = 1; /* every position's logits */
  }
  b.n_tokens = n;
  int32_t d = r.L.decode(r.ctx, b);
  st = 0;
  if (d != 0) {
    print_log_tail();
    fprintf(stderr, "llama-oracle: llama_decode returned %d\n", d);
    st = 1;
  }
  FILE *f = st ? NULL : fopen(out, "wb");
  if (!st && f == NULL) {
    fprintf(stderr, "llama-oracle: %s: %s\n", out, strerror(errno));
    st = 1;
  }
  for (int i = 0; !st && i < n; i++) {
    const float *lg = r.L.get_logits_ith(r.ctx, i);
    if (lg == NULL) {
      print_log_tail();
      fprintf(stderr, "llama-oracle: no logits for position %d\n", i);
      st = 1;
    } else if (fwrite(lg, sizeof *lg, (size_t)r.n_vocab, f) != (size_t)r.n_vocab) {
      fprintf(stderr, "llama-oracle: %s: write failed\n", out);
      st = 1;
    }
  }
  if (f && fclose(f) != 0 && !st) {
    fprintf(stderr, "llama-oracle: %s: %s\n", out, strerror(errno));
    st = 1;
  }
  if (st && f) remove(out);
  r.L.batch_free(b);
  run_free(&r);
  free(tok);
  return st;
}

static int cmd_bench(int argc, char **argv) {
  long np, nd, th = 1;
  if (argc < 6 || argc > 7 || oracle_parse_int(argv[4], 1, 4096, &np) || oracle_parse_int(argv[5], 1, 4096, &nd) ||
      (argc == 7 && oracle_parse_int(argv[6], 1, 1024, &th)))
    return usage();
  lo_run r;
  int st = run_open(&r, argv[2], argv[3], (uint32_t)(np + nd), (uint32_t)np, (int)th);
  if (st) {
    run_free(&r);
    return st;
  }
  lo_token *tok = malloc(sizeof *tok * (size_t)np);
  if (tok == NULL) {
    run_free(&r);
    return fprintf(stderr, "llama-oracle: out of memory\n"), 1;
  }
  for (long i = 0; i < np; i++) tok[i] = oracle_prompt_token(i, r.n_vocab);
  double t0 = oracle_now();
  int32_t d = r.L.decode(r.ctx, r.L.batch_get_one(tok, (int32_t)np));
  double t1 = oracle_now(), t2 = t1;
  long done = 0;
  for (; d == 0 && done < nd; done++) {
    const float *lg = r.L.get_logits_ith(r.ctx, -1);
    if (lg == NULL) { d = -1000; break; }
    lo_token next = oracle_argmax(lg, r.n_vocab);
    if (done == 0) t1 = oracle_now(); /* decode time from the first decoded token on */
    d = r.L.decode(r.ctx, r.L.batch_get_one(&next, 1));
    t2 = oracle_now();
  }
  free(tok);
  if (d != 0) {
    print_log_tail();
    fprintf(stderr, "llama-oracle: llama_decode returned %d\n", d);
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

#else
#include <stdio.h>
int main(void) {
  printf("SKIP: llama-oracle runs node-llama-cpp's x86-64 Linux libraries only\n");
  return 77;
}
#endif
