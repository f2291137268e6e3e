$ -- The model runtime (model specs only): contexts, eval, sampling.
$ -- docs/MODEL_RUNTIME.md, "Runtime / context"; the ops: gen/ops.lua.
$ local h, U, O = spec.hparams, P:upper(), plan.ops
$ local E, HD, QD, KVD, F = h.n_embd, h.head_dim, O.q_dim, O.kv_dim, h.n_ff
$ local NMAX = math.max(E, QD, F)
$ local by_role = {}
$ for _, m in ipairs(plan.matrices) do by_role[m.role] = m end
$ local function grp(role) return (by_role[role] or by_role.token_embd).shape.group end
$ local has_tl = false
$ for _, g in ipairs(plan.groups) do if g.kind == "tl" then has_tl = true end end
$ -- C statements: y (n x M) = W (the weight expression w) x the activations
$ -- of the A slot (K per token), for role's format.
$ local function mm(role, w, K, M, y)
$   local g = grp(role)
$   local F_ = g.F
$   if g.kind == "i2s" then
  rc = n == 1 ? ${F_}_gemv(${w}.shape, ${w}.data, ${w}.size, ${w}.scale, c->aq, ${K}, c->aact, ${y}, ${M}, c->pool)
              : ${F_}_gemm(${w}.shape, ${w}.data, ${w}.size, ${w}.scale, c->aq, ${K}, n, c->aact, ${y}, ${M}, c->pool);
$   elseif g.kind == "tl" then
  rc = ${F_}_tables(c->aq, n, ${K}, c->alut);
  if (rc == BITGEN_OK)
    rc = n == 1 ? ${F_}_gemv(${w}.shape, ${w}.data, ${w}.size, ${w}.scale, c->alut, ${K}, c->aact, ${y}, ${M}, c->pool)
                : ${F_}_gemm(${w}.shape, ${w}.data, ${w}.size, ${w}.scale, c->alut, ${K}, n, c->aact, ${y}, ${M}, c->pool);
$   elseif g.kind == "block" then
  rc = n == 1 ? ${F_}_gemv(${w}.shape, ${w}.data, ${w}.size, c->aq, c->ad, c->absum, ${K}, ${y}, ${M}, c->pool)
              : ${F_}_gemm(${w}.shape, ${w}.data, ${w}.size, c->aq, c->ad, c->absum, ${K}, n, ${y}, ${M}, c->pool);
$   else
  rc = n == 1 ? ${F_}_gemv(${w}.shape, ${w}.data, ${w}.size, c->ah, ${K}, ${y}, ${M}, c->pool)
              : ${F_}_gemm(${w}.shape, ${w}.data, ${w}.size, c->ah, ${K}, n, ${y}, ${M}, c->pool);
$   end
  if (rc != BITGEN_OK) return rc;
$ end
$ -- A normq site as two static functions of token t of the block: run_tok_<site>
$ -- (the op; its status) and run_trace_<site> (the trace of what it quantized);
$ -- x, b and w as C expressions of c, l (layer) and t; pos: the token's
$ -- position (also of p0, the block's first); j: its row of the A slot.
$ local function normq(site, x, b, w)
$   local op = O.sites[site]
$   local K = op.n
$   -- the values the op quantized: its input when it neither adds, activates nor norms
$   local src = (op.pre == "none" and not op.norm) and x or ("c->ah + j * " .. K)
static int run_tok_${site}(${P}_ctx *c, size_t l, size_t t, size_t j) {
  const ${P}_layer *L = l < ${spec.layers} ? &c->model->layer[l] : NULL;
  (void)L, (void)t, (void)j;
  return c->op_${site}(${x}, ${b}, ${w}, c->ah + j * ${K}, c->aq + j * ${K}, c->aact + j,
$   if op.block > 0 then
                     c->ad + j * ${K // op.block}, c->absum + j * ${K // 16});
$   else
                     NULL, NULL);
$   end
}

static void run_trace_${site}(${P}_ctx *c, size_t l, size_t t, size_t j, size_t p0) {
  run_trace(c, ${U}_TRACE_${site:upper()}, l, p0 + t, ${K}, ${src}, ${op.out == "f32" and "NULL" or ("c->aq + j * " .. K)}, NULL);
}

$ end
$ local G, QMAX = h.n_head // h.n_head_kv, O.sites.attn.qmax
$ local NKV = h.n_head_kv
/* ---- the model runtime (docs/MODEL_RUNTIME.md, "Runtime / context") ---- */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bitgen_run.h"

#define RUN_LD(n_ctx) (((n_ctx) + 15) / 16 * 16) /* cache positions: attention reads whole 16s */
#define RUN_MAX (1u << 20)
#define RUN_QSETS_MAX 8 /* attention tasks per KV head, at most */

struct ${P}_ctx {
  const ${P}_model *model;
  bitgen_pool *pool;
  size_t n_ctx, ld, n_batch, pos, threads;
  size_t qsets;          /* attention tasks per KV head (query sets) */
  const int32_t *tok;    /* the block's tokens, during run_block */
  int profile;
  ${P}_profile prof;
  void *arena;
  float *rope;           /* n_ctx x ${HD}: cos then sin of each pair's angle */
  /* per layer and KV head: keys in blocks of 16 positions [ld / 16][${HD}][16],
   * values [ld][${HD}] (f16) */
  uint16_t *kc, *vc;
  float *x, *r;          /* n_batch x ${E}: the residual stream, a matmul's output added to it */
  float *q, *k, *v, *att; /* n_batch x ${QD} / ${KVD} / ${KVD} / ${QD} */
  float *g, *u;          /* n_batch x ${F} */
  /* the A slot: activations of the matrix about to run (n_batch x up to ${NMAX}) */
  int8_t *aq;
  bitgen_act *aact;
  float *ad, *ah;
  int16_t *absum, *alut;
  float *scores;         /* per attention task (${NKV} x qsets): ${G} x ${QMAX} rows of ld */
  uint16_t *kbuf, *vbuf; /* n_batch x ${KVD}: the tokens' keys and values as f16, before the cache */
  int *tok_rc;           /* n_batch: per-token status of ops run on the pool */
$ for _, site in ipairs({ "attn_norm", "attn_out", "ffn_norm", "ffn_out", "out_norm" }) do
  ${P}_op_normq_fn op_${site};
$ end
  ${P}_op_rope_fn op_rope_q, op_rope_k;
  ${P}_op_f16store_fn op_kv_store;
  ${P}_op_attn_fn op_attn;
  ${P}_trace_fn trace;   /* ${P}_ctx_set_trace (tests); NULL: off */
  void *trace_user;
};

static uint64_t run_now(void) { return bitgen_now_ns(); }

static size_t run_up64(size_t n) { return (n + 63) / 64 * 64; }

int ${P}_ctx_create(const ${P}_model *model, const ${P}_ctx_options *opt, ${P}_ctx **out) {
  if (!out) return BITGEN_E_NULL;
  *out = NULL;
  if (!model || !model->output_norm) return BITGEN_E_NULL;
  int rc = ${P}_init();
  if (rc) return rc;
  const size_t n_ctx = opt && opt->n_ctx ? opt->n_ctx : ${h.n_ctx};
  const size_t nb = opt && opt->n_batch ? opt->n_batch : 64;
  if (n_ctx > RUN_MAX || nb > RUN_MAX) return BITGEN_E_SIZE;
  const size_t ld = RUN_LD(n_ctx);
  bitgen_pool *pool;
  rc = ${P}_pool_create(opt ? opt->n_threads : 0, &pool);
  if (rc != BITGEN_OK) return rc;
  const size_t threads = bitgen_pool_threads(pool);
  /* attention: enough tasks (KV heads x query sets) for about 4 per thread */
  size_t qsets = (4 * threads + ${NKV - 1}) / ${NKV};
  qsets = qsets < 1 ? 1 : qsets > RUN_QSETS_MAX ? RUN_QSETS_MAX : qsets;
$ if has_tl then
  const size_t lut = bitgen_tl_lut_size(${NMAX});
$ else
  const size_t lut = 0;
$ end
  /* one arena: the context, then each buffer at a 64-byte boundary */
  const size_t sizes[] = {
    sizeof(${P}_ctx), n_ctx * ${HD} * sizeof(float),
    (size_t)${spec.layers} * ${KVD} * ld * 2, (size_t)${spec.layers} * ld * ${KVD} * 2,
    nb * ${E} * sizeof(float), nb * ${E} * sizeof(float),
    nb * ${QD} * sizeof(float), nb * ${KVD} * sizeof(float), nb * ${KVD} * sizeof(float), nb * ${QD} * sizeof(float),
    nb * ${F} * sizeof(float), nb * ${F} * sizeof(float),
    nb * ${NMAX}, nb * sizeof(bitgen_act), nb * ${NMAX // 16} * sizeof(float), nb * ${NMAX} * sizeof(float),
    nb * ${NMAX // 16} * sizeof(int16_t), nb * lut * sizeof(int16_t),
    ${NKV} * qsets * ${G * QMAX} * ld * sizeof(float), nb * ${KVD} * sizeof(uint16_t), nb * ${KVD} * sizeof(uint16_t),
    nb * sizeof(int),
  };
  enum { N_PARTS = sizeof sizes / sizeof sizes[0] };
  size_t offs[N_PARTS], total = 0;
  for (size_t i = 0; i < N_PARTS; i++) {
    offs[i] = total;
    total += run_up64(sizes[i]);
  }
  uint8_t *a = ${P}_alloc(total);
  if (!a) {
    ${P}_pool_destroy(pool);
    return BITGEN_E_NOMEM;
  }
  ${P}_ctx *c = (${P}_ctx *)a;
  c->arena = a;
  c->model = model;
  c->n_ctx = n_ctx;
  c->ld = ld;
  c->n_batch = nb;
  c->pool = pool;
  c->threads = threads;
  c->qsets = qsets;
  c->profile = opt ? opt->profile : 0;
  c->rope = (float *)(a + offs[1]);
  c->kc = (uint16_t *)(a + offs[2]);
  c->vc = (uint16_t *)(a + offs[3]);
  c->x = (float *)(a + offs[4]);
  c->r = (float *)(a + offs[5]);
  c->q = (float *)(a + offs[6]);
  c->k = (float *)(a + offs[7]);
  c->v = (float *)(a + offs[8]);
  c->att = (float *)(a + offs[9]);
  c->g = (float *)(a + offs[10]);
  c->u = (float *)(a + offs[11]);
  c->aq = (int8_t *)(a + offs[12]);
  c->aact = (bitgen_act *)(a + offs[13]);
  c->ad = (float *)(a + offs[14]);
  c->ah = (float *)(a + offs[15]);
  c->absum = (int16_t *)(a + offs[16]);
  c->alut = (int16_t *)(a + offs[17]);
  c->scores = (float *)(a + offs[18]);
  c->kbuf = (uint16_t *)(a + offs[19]);
  c->vbuf = (uint16_t *)(a + offs[20]);
  c->tok_rc = (int *)(a + offs[21]);
  /* RoPE: pair i turns by pos * theta^(-2i/head_dim), in double, rounded once */
  for (size_t p = 0; p < n_ctx; p++)
    for (size_t i = 0; i < ${HD // 2}; i++) {
      const double ang = (double)p * pow(${string.format("%.17g", h.rope_theta)}, -2.0 * (double)i / ${HD}.0);
      c->rope[p * ${HD} + i] = (float)cos(ang);
      c->rope[p * ${HD} + ${HD // 2} + i] = (float)sin(ang);
    }
$ for _, site in ipairs({ "attn_norm", "attn_out", "ffn_norm", "ffn_out", "out_norm" }) do
  c->op_${site} = (${P}_op_normq_fn)${P}_op_selected(${U}_OP_${O.sites[site].name:upper()})->fn;
$ end
  c->op_rope_q = (${P}_op_rope_fn)${P}_op_selected(${U}_OP_${O.sites.rope_q.name:upper()})->fn;
  c->op_rope_k = (${P}_op_rope_fn)${P}_op_selected(${U}_OP_${O.sites.rope_k.name:upper()})->fn;
  c->op_kv_store = (${P}_op_f16store_fn)${P}_op_selected(${U}_OP_${O.sites.kv_store.name:upper()})->fn;
  c->op_attn = (${P}_op_attn_fn)${P}_op_selected(${U}_OP_${O.sites.attn.name:upper()})->fn;
  *out = c;
  return BITGEN_OK;
}

void ${P}_ctx_free(${P}_ctx *ctx) {
  if (!ctx) return;
  ${P}_pool_destroy(ctx->pool);
  ${P}_free(ctx->arena);
}

size_t ${P}_ctx_pos(const ${P}_ctx *ctx) { return ctx ? ctx->pos : 0; }
size_t ${P}_ctx_n_ctx(const ${P}_ctx *ctx) { return ctx ? ctx->n_ctx : 0; }

int ${P}_ctx_rewind(${P}_ctx *ctx, size_t pos) {
  if (!ctx) return BITGEN_E_NULL;
  if (pos > ctx->pos) return BITGEN_E_SIZE;
  ctx->pos = pos;
  return BITGEN_OK;
}

int ${P}_ctx_set_trace(${P}_ctx *ctx, ${P}_trace_fn fn, void *user) {
  if (!ctx) return BITGEN_E_NULL;
  ctx->trace = fn;
  ctx->trace_user = user;
  return BITGEN_OK;
}

static void run_trace(${P}_ctx *c, int site, size_t layer, size_t pos, size_t n, const float *x, const int8_t *q,
                      const uint16_t *f16) {
  const ${P}_trace ev = {site, layer, pos, n, x, q, f16};
  c->trace(c->trace_user, &ev);
}

int ${P}_ctx_profile(const ${P}_ctx *ctx, ${P}_profile *out) {
  if (!ctx || !out) return BITGEN_E_NULL;
  *out = ctx->prof;
  return BITGEN_OK;
}

#define RUN_TIME(field, stmt)                                    \
  do {                                                           \
    const uint64_t t0_ = c->profile ? run_now() : 0;             \
    stmt;                                                        \
    if (c->profile) c->prof.field += run_now() - t0_;            \
  } while (0)

/* ---- per-token work: token t of the block, j its row among those asked ---- */
typedef int (*run_tok_fn)(${P}_ctx *c, size_t l, size_t t, size_t j);
typedef void (*run_tok_trace_fn)(${P}_ctx *c, size_t l, size_t t, size_t j, size_t p0);

/* the normq sites (x, b, w: C expressions of c, L, l, t) */
$ normq("attn_norm", "c->x + t * " .. E, "l ? c->r + t * " .. E .. " : NULL", "L->attn_norm")
$ normq("attn_out", "c->att + t * " .. QD, "NULL", h.sub_norms and "L->attn_sub_norm" or "NULL")
$ normq("ffn_norm", "c->x + t * " .. E, "c->r + t * " .. E, "L->ffn_norm")
$ normq("ffn_out", "c->g + t * " .. F, "c->u + t * " .. F, h.sub_norms and "L->ffn_sub_norm" or "NULL")
$ normq("out_norm", "c->x + t * " .. E, "c->r + t * " .. E, "c->model->output_norm")
/* The embedding row of token t into x. */
static int run_tok_embed(${P}_ctx *c, size_t l, size_t t, size_t j) {
  const ${P}_weight *w = &c->model->token_embd;
  (void)l, (void)j;
$ if grp("token_embd").kind == "i2s" or grp("token_embd").kind == "tl" then
  return ${grp("token_embd").F}_row(w->shape, w->data, w->size, w->scale, (size_t)c->tok[t], c->x + t * ${E});
$ else
  return ${grp("token_embd").F}_row(w->shape, w->data, w->size, (size_t)c->tok[t], c->x + t * ${E});
$ end
}

/* RoPE on token t's q and k, then its k and v (as f16) into layer l's cache. */
static int run_tok_rope_store(${P}_ctx *c, size_t l, size_t t, size_t j) {
  const size_t pos = c->pos + t;
  uint16_t *kb = c->kbuf + t * ${KVD}, *vb = c->vbuf + t * ${KVD};
  (void)j;
  c->op_rope_q(c->q + t * ${QD}, c->rope + pos * ${HD});
  c->op_rope_k(c->k + t * ${KVD}, c->rope + pos * ${HD});
  c->op_kv_store(c->k + t * ${KVD}, kb);
  c->op_kv_store(c->v + t * ${KVD}, vb);
  for (size_t kvh = 0; kvh < ${NKV}; kvh++) {
    const size_t head = (l * ${NKV} + kvh) * c->ld * ${HD};
    uint16_t *kc = c->kc + head + pos / 16 * ${HD * 16} + pos % 16;
    for (size_t d = 0; d < ${HD}; d++) kc[d * 16] = kb[kvh * ${HD} + d];
    memcpy(c->vc + head + pos * ${HD}, vb + kvh * ${HD}, ${HD} * sizeof(uint16_t));
  }
  return BITGEN_OK;
}

static void run_trace_rope_store(${P}_ctx *c, size_t l, size_t t, size_t j, size_t p0) {
  (void)j;
  run_trace(c, ${U}_TRACE_K, l, p0 + t, ${KVD}, c->k + t * ${KVD}, NULL, c->kbuf + t * ${KVD});
  run_trace(c, ${U}_TRACE_V, l, p0 + t, ${KVD}, c->v + t * ${KVD}, NULL, c->vbuf + t * ${KVD});
}

typedef struct {
  ${P}_ctx *c;
  run_tok_fn fn;
  size_t l, t0, n, per;
} run_tok_job;

static void run_tok_task(void *arg, size_t i) {
  const run_tok_job *jb = arg;
  const size_t a = jb->t0 + i * jb->per, b = a + jb->per < jb->n ? a + jb->per : jb->n;
  for (size_t t = a; t < b; t++) jb->c->tok_rc[t] = jb->fn(jb->c, jb->l, t, t - jb->t0);
}

/* fn for tokens [t0, n) of the block: on the pool (each token's work is
 * independent, so the results do not depend on it), or with a trace on the
 * calling thread, in order, tracing each token after it. */
static int run_tokens(${P}_ctx *c, size_t l, size_t t0, size_t n, run_tok_fn fn, run_tok_trace_fn tr) {
  if (c->trace || n - t0 < 2 || c->threads < 2) {
    for (size_t t = t0; t < n; t++) {
      const int rc = fn(c, l, t, t - t0);
      if (rc != BITGEN_OK) return rc;
      if (c->trace && tr) tr(c, l, t, t - t0, c->pos);
    }
    return BITGEN_OK;
  }
  const size_t want = 2 * c->threads, per = (n - t0 + want - 1) / want;
  run_tok_job jb = {c, fn, l, t0, n, per};
  const int rc = bitgen_pool_run(c->pool, (n - t0 + per - 1) / per, run_tok_task, &jb);
  if (rc != BITGEN_OK) return rc;
  for (size_t t = t0; t < n; t++)
    if (c->tok_rc[t] != BITGEN_OK) return c->tok_rc[t];
  return BITGEN_OK;
}

/* Attention of one layer for the block's n tokens (positions p0 ..): one
 * pool task per KV head and query set; set s takes the runs of ${QMAX}
 * queries s, s + qsets, ... (interleaved: later queries see more
 * positions), each with its own scores rows.  Each (query, head) is
 * computed by the same arithmetic whatever the split. */
typedef struct {
  ${P}_ctx *c;
  size_t layer, n, p0, qsets;
} run_attn_job;

static void run_attn_task(void *arg, size_t task) {
  const run_attn_job *j = arg;
  ${P}_ctx *c = j->c;
  const size_t kvh = task % ${NKV}, s = task / ${NKV};
  const size_t head = (j->layer * ${NKV} + kvh) * c->ld * ${HD};
  float *sc = c->scores + task * ${G * QMAX} * c->ld;
  for (size_t i0 = s * ${QMAX}; i0 < j->n; i0 += j->qsets * ${QMAX}) {
    const size_t nq = j->n - i0 < ${QMAX} ? j->n - i0 : ${QMAX};
    c->op_attn(c->q + i0 * ${QD} + kvh * ${G * HD}, nq, ${QD}, c->kc + head, c->vc + head, j->p0 + i0 + 1, sc, c->ld,
               c->att + i0 * ${QD} + kvh * ${G * HD});
  }
}

/* One layer over the block: attention then FFN, the residual in x.  The
 * previous layer's FFN output (r) is added by this layer's first norm. */
static int run_layer(${P}_ctx *c, size_t l, size_t n) {
  const ${P}_layer *L = &c->model->layer[l];
  const size_t p0 = c->pos;
  int rc = BITGEN_OK;
  uint64_t t0 = c->profile ? run_now() : 0, t1;
#define RUN_LAP(field)                      \
  if (c->profile) {                         \
    t1 = run_now();                         \
    c->prof.field += t1 - t0;               \
    t0 = t1;                                \
  }
#define RUN_TOKENS(site)                                                              \
  if ((rc = run_tokens(c, l, 0, n, run_tok_##site, run_trace_##site)) != BITGEN_OK) \
    return rc;
  RUN_TOKENS(attn_norm)
  RUN_LAP(ops_ns)
$ mm("attn_q", "L->attn_q", E, QD, "c->q")
$ mm("attn_k", "L->attn_k", E, KVD, "c->k")
$ mm("attn_v", "L->attn_v", E, KVD, "c->v")
  RUN_LAP(matmul_ns)
  RUN_TOKENS(rope_store)
  const size_t qsets = (n + ${QMAX - 1}) / ${QMAX} < c->qsets ? (n + ${QMAX - 1}) / ${QMAX} : c->qsets;
  run_attn_job job = {c, l, n, p0, qsets};
  rc = bitgen_pool_run(c->pool, ${NKV} * qsets, run_attn_task, &job);
  if (rc != BITGEN_OK) return rc;
  RUN_LAP(attention_ns)
  RUN_TOKENS(attn_out)
  RUN_LAP(ops_ns)
$ mm("attn_output", "L->attn_output", QD, E, "c->r")
  RUN_LAP(matmul_ns)
  RUN_TOKENS(ffn_norm)
  RUN_LAP(ops_ns)
$ mm("ffn_gate", "L->ffn_gate", E, F, "c->g")
$ mm("ffn_up", "L->ffn_up", E, F, "c->u")
  RUN_LAP(matmul_ns)
  RUN_TOKENS(ffn_out)
  RUN_LAP(ops_ns)
$ mm("ffn_down", "L->ffn_down", F, E, "c->r")
  RUN_LAP(matmul_ns)
#undef RUN_TOKENS
#undef RUN_LAP
  (void)L;
  return BITGEN_OK;
}

/* The final norm (adding the last layer's FFN output) of tokens [t0, n)
 * and their logits. */
static int run_output(${P}_ctx *c, size_t t0, size_t n_all, float *logits) {
  const size_t n = n_all - t0;
  int rc = run_tokens(c, ${spec.layers}, t0, n_all, run_tok_out_norm, run_trace_out_norm);
  if (rc != BITGEN_OK) return rc;
$ mm("output", "c->model->output", E, h.n_vocab, "logits")
  return BITGEN_OK;
}

static int run_block(${P}_ctx *c, const int32_t *tok, size_t n, float *logits, int all) {
  int rc = BITGEN_OK;
  c->tok = tok;
  RUN_TIME(ops_ns, rc = run_tokens(c, 0, 0, n, run_tok_embed, NULL));
  if (rc != BITGEN_OK) return rc;
  for (size_t l = 0; l < ${spec.layers}; l++)
    if ((rc = run_layer(c, l, n)) != BITGEN_OK) return rc;
  if (logits) RUN_TIME(output_ns, rc = run_output(c, all ? 0 : n - 1, n, logits));
  return rc;
}

static int run_eval(${P}_ctx *c, const int32_t *tokens, size_t n, float *logits, int all) {
  if (!c || (!tokens && n)) return BITGEN_E_NULL;
  if (n == 0) return BITGEN_E_SIZE;
  if (n > c->n_ctx - c->pos) return BITGEN_E_FULL;
  for (size_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= ${h.n_vocab}) return BITGEN_E_VALUE;
  const uint64_t start = c->profile ? run_now() : 0;
  const size_t pos0 = c->pos;
  int rc = BITGEN_OK;
  for (size_t b = 0; b < n && rc == BITGEN_OK; b += c->n_batch) {
    const size_t nb = n - b < c->n_batch ? n - b : c->n_batch;
    float *lg = NULL;
    if (logits && all) lg = logits + b * ${h.n_vocab};
    else if (logits && b + nb == n) lg = logits;
    rc = run_block(c, tokens + b, nb, lg, all);
    c->pos += nb;
  }
  if (rc != BITGEN_OK) {
    c->pos = pos0;
    return rc;
  }
  if (c->profile) {
    c->prof.total_ns += run_now() - start;
    c->prof.tokens += n;
    c->prof.calls++;
  }
  return BITGEN_OK;
}

int ${P}_eval(${P}_ctx *ctx, const int32_t *tokens, size_t n, float *logits) {
  return run_eval(ctx, tokens, n, logits, 0);
}

int ${P}_eval_all(${P}_ctx *ctx, const int32_t *tokens, size_t n, float *logits) {
  if (!logits) return BITGEN_E_NULL;
  return run_eval(ctx, tokens, n, logits, 1);
}

/* ---- sampling: the runtime's sampler (runtime/sample.c) ---- */
struct ${P}_sampler {
  bitgen_sampler *s;
};

int ${P}_sampler_create(const ${P}_sampler_params *params, ${P}_sampler **out) {
  if (!params || !out) return BITGEN_E_NULL;
  *out = NULL;
  bitgen_sampler *s;
  int rc = bitgen_sampler_create(${h.n_vocab}, params->temperature, params->top_k, params->top_p, params->seed, &s);
  if (rc != BITGEN_OK) return rc;
  ${P}_sampler *w = malloc(sizeof *w);
  if (!w) {
    bitgen_sampler_free(s);
    return BITGEN_E_NOMEM;
  }
  w->s = s;
  *out = w;
  return BITGEN_OK;
}

void ${P}_sampler_free(${P}_sampler *s) {
  if (!s) return;
  bitgen_sampler_free(s->s);
  free(s);
}

int ${P}_sample(${P}_sampler *s, const float *logits, int32_t *token) {
  if (!s) return BITGEN_E_NULL;
  return bitgen_sample(s->s, logits, token);
}
