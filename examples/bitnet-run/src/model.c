/* The package binding: P(x) is the package's x (P_load, P_ctx_create, ...). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BITNET_RUN_HEADER

#define BR_CAT2(a, b) a##b
#define BR_CAT(a, b) BR_CAT2(a, b)
#define P(name) BR_CAT(BITNET_RUN_PKG, BR_CAT(_, name))
#define U(name) BR_CAT(BITNET_RUN_PKG_UPPER, BR_CAT(_, name))
#define BR_STR2(x) #x
#define BR_STR(x) BR_STR2(x)

struct br_model {
  P(model) model;
  P(ctx) *ctx;
  P(sampler) *sampler;
  size_t threads;
};

size_t br_default_threads(void) {
  bitgen_pool *pool = NULL;
  size_t n = 1;
  if (P(pool_create)(0, &pool) == BITGEN_OK) n = P(pool_threads)(pool);
  P(pool_destroy)(pool);
  return n;
}

int br_open(const char *path, size_t n_ctx, size_t threads, br_model **out, char *err, size_t err_size) {
  *out = NULL;
  err[0] = 0;
  br_model *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, err_size, "out of memory");
    return BITGEN_E_NOMEM;
  }
  bitgen_pool *pool = NULL;
  int rc = P(pool_create)(threads, &pool);
  if (rc == BITGEN_OK) {
    P(load_options) lo;
    memset(&lo, 0, sizeof lo);
    lo.pool = pool;
    lo.error = err;
    lo.error_size = err_size;
    rc = P(load)(path, &lo, &m->model);
    P(pool_destroy)(pool);
  }
  if (rc == BITGEN_OK) {
    P(ctx_options) co;
    memset(&co, 0, sizeof co);
    co.n_ctx = n_ctx;
    co.n_threads = threads;
    co.profile = 1;
    rc = P(ctx_create)(&m->model, &co, &m->ctx);
    if (rc != BITGEN_OK) snprintf(err, err_size, "context of %zu positions: %s", n_ctx ? n_ctx : (size_t)U(N_CTX),
                                  P(strerror)(rc));
  } else if (!err[0]) {
    snprintf(err, err_size, "%s", P(strerror)(rc));
  }
  if (rc != BITGEN_OK) {
    br_close(m);
    return rc;
  }
  m->threads = threads;
  *out = m;
  return BITGEN_OK;
}

void br_close(br_model *m) {
  if (!m) return;
  P(sampler_free)(m->sampler);
  P(ctx_free)(m->ctx);
  P(model_free)(&m->model);
  free(m);
}

static uint64_t weight_bytes(const P(weight) *w) { return w->size; }

void br_get_info(const br_model *m, br_info *info) {
  memset(info, 0, sizeof *info);
  info->package = BR_STR(BITNET_RUN_PKG);
  static P(info_t) pi; /* large; filled once */
  info->isa = P(info)(&pi) == BITGEN_OK && pi.nkernels ? pi.kernels[0].isa : "?";
  info->n_layer = U(N_LAYER);
  info->n_embd = U(N_EMBD);
  info->n_vocab = U(N_VOCAB);
  info->n_ctx_train = U(N_CTX);
  info->threads = m->threads;
  uint64_t b = 0;
  for (size_t l = 0; l < U(N_LAYER); l++) {
    const P(layer) *L = &m->model.layer[l];
    b += weight_bytes(&L->attn_q) + weight_bytes(&L->attn_k) + weight_bytes(&L->attn_v) +
         weight_bytes(&L->attn_output) + weight_bytes(&L->ffn_gate) + weight_bytes(&L->ffn_up) +
         weight_bytes(&L->ffn_down);
    b += (uint64_t)U(N_EMBD) * sizeof(float) * (1 + 1 + (L->attn_sub_norm != NULL));
    if (L->ffn_sub_norm) b += (uint64_t)U(N_FF) * sizeof(float);
  }
  b += (uint64_t)U(N_EMBD) * sizeof(float) + weight_bytes(&m->model.output);
  info->weight_bytes = b;
  info->arena = m->model.arena;
  info->arena_size = m->model.arena_size;
  /* f16 keys and values of every layer */
  info->kv_bytes_per_pos = (uint64_t)U(N_LAYER) * 2 * U(N_HEAD_KV) * U(HEAD_DIM) * 2;
}

size_t br_n_ctx(const br_model *m) { return P(ctx_n_ctx)(m->ctx); }
size_t br_pos(const br_model *m) { return P(ctx_pos)(m->ctx); }

int br_eval(br_model *m, const int32_t *tokens, size_t n, float *logits) {
  return P(eval)(m->ctx, tokens, n, logits);
}

void br_get_profile(const br_model *m, br_profile *p) {
  P(profile) q;
  memset(p, 0, sizeof *p);
  if (P(ctx_profile)(m->ctx, &q) != BITGEN_OK) return;
  p->matmul_ns = q.matmul_ns, p->attention_ns = q.attention_ns, p->ops_ns = q.ops_ns;
  p->output_ns = q.output_ns, p->total_ns = q.total_ns, p->tokens = q.tokens, p->calls = q.calls;
}

int br_sampler(br_model *m, float temperature, size_t top_k, float top_p, uint64_t seed) {
  P(sampler_params) sp = {temperature, top_k, top_p, seed};
  P(sampler_free)(m->sampler);
  m->sampler = NULL;
  return P(sampler_create)(&sp, &m->sampler);
}

int br_sample(br_model *m, const float *logits, int32_t *token) { return P(sample)(m->sampler, logits, token); }

const char *br_strerror(int status) { return P(strerror)(status); }

int br_status_full(int status) { return status == BITGEN_E_FULL; }
