-- Decoder ops of a model spec (one with arch): the per-token work around the
-- matmuls (RMSNorm fused with the next matmul's activation quantization,
-- residual adds, the FFN activation, RoPE, the KV-cache store, attention),
-- specialized on the model's dimensions.  One record per op; each op has one
-- variant per ISA family the spec targets (best first), all rendered from
-- one body (templates/ops.c) over a 16-lane vector layer per family
-- (templates/ops_vec_<family>.inc), so every variant performs the same
-- float operations in the same order: results are bit-identical across ISAs.
local M = {}

-- ISA families of the ops.  A family's variant is compiled with the flags of
-- the first spec ISA listed in `isas` (the lowest-ranked one the spec has)
-- and needs that ISA's CPU features; scalar is always there.
-- acc: 16-lane accumulators an op keeps in registers at once (attention's
-- register blocking; it changes no result, only speed).
M.families = {
  { name = "scalar", inc = "ops_vec_scalar.inc", isas = { "scalar" }, acc = 16 },
  { name = "avx2", inc = "ops_vec_ymm.inc", isas = { "avx2", "avxvnni" }, acc = 8 },
  { name = "avx512", inc = "ops_vec_zmm.inc", isas = { "avx512vnni" }, acc = 16 },
}

-- Queries attention takes at once in a family (its G heads each): as many
-- (query, head) rows as it has accumulators.
function M.attn_block(fam, g) return math.max(1, fam.acc // g) end

-- The activation an op writes for the matrix that reads it: int8 per token
-- (i2s, tl), int8 blocks of the format's block (ggml block formats, q6_k
-- included), or f32 (f16 / bf16).
local function out_of(fmt)
  if fmt.kind == "i2s" or fmt.kind == "tl" then return "tok" end
  if fmt.kind == "block" then return "b" .. fmt.block end
  return "f32"
end

local function fail(msg) error("decoder ops: " .. msg, 0) end

-- plan: kernels.plan's result.  Returns the ops (list, sites: which op the
-- model runtime calls where, files: one per ISA family), or nil and why
-- the package gets no model runtime (the spec is no model, or one the ops
-- do not cover: its kernels are still generated).
function M.plan(spec, plan)
  if not spec.arch then return nil, "not a model spec (no arch)" end
  local ok, res = pcall(M.plan_model, spec, plan)
  if ok then return res end
  if type(res) == "string" and res:match("^decoder ops: ") then return nil, res:sub(14) end
  error(res, 0)
end

function M.plan_model(spec, plan)
  local h = spec.hparams
  local by_role = {}
  for _, m in ipairs(plan.matrices) do by_role[m.role] = m end
  local function fmt_of(role)
    local m = by_role[role] or (role == "output" and by_role.token_embd)
    return m.shape.group.fmt, m.format
  end
  local function same(roles, what)
    local f0, n0 = fmt_of(roles[1])
    for i = 2, #roles do
      local _, n = fmt_of(roles[i])
      if n ~= n0 then fail(string.format("%s must share one format (the same activations feed them): %s is %s, %s is %s",
        what, roles[1], n0, roles[i], n)) end
    end
    return f0
  end
  local q_dim, kv_dim = h.n_head * h.head_dim, h.n_head_kv * h.head_dim
  for _, d in ipairs({ { "n_embd", h.n_embd }, { "n_ff", h.n_ff }, { "head_dim", h.head_dim } }) do
    if d[2] % 16 ~= 0 then fail(string.format("hparams.%s = %d: the ops need a multiple of 16", d[1], d[2])) end
  end
  if h.head_dim % 2 ~= 0 then fail("hparams.head_dim must be even (RoPE rotates pairs)") end

  local ops, by_name = {}, {}
  local function add(op)
    if by_name[op.name] then return by_name[op.name] end
    op.index = #ops
    ops[#ops + 1] = op
    by_name[op.name] = op
    return op
  end
  -- pre: "add" (x += b first, the residual), "none", or the FFN activation
  -- (relu2 / silu: x is the gate, b the up projection); norm: RMSNorm with
  -- weights; out: what the consumer matrix reads.
  local function normq(pre, n, norm, fmt)
    local out = out_of(fmt)
    local name = string.format("%s_%s_%d_%s", pre, norm and "norm" or "plain", n, out)
    return add({ kind = "normq", name = name, pre = pre, n = n, norm = norm, out = out,
                 block = fmt.kind == "block" and fmt.block or 0, eps = h.norm_eps })
  end
  local sites = {}
  sites.attn_norm = normq("add", h.n_embd, true, same({ "attn_q", "attn_k", "attn_v" }, "attn_q, attn_k, attn_v"))
  sites.attn_out = normq("none", q_dim, h.sub_norms, fmt_of("attn_output"))
  sites.ffn_norm = normq("add", h.n_embd, true, same({ "ffn_gate", "ffn_up" }, "ffn_gate, ffn_up"))
  sites.ffn_out = normq(h.ffn_act, h.n_ff, h.sub_norms, fmt_of("ffn_down"))
  sites.out_norm = normq("add", h.n_embd, true, fmt_of("output"))
  sites.rope_q = add({ kind = "rope", name = string.format("rope_%s_%dx%d", h.rope_type, h.n_head, h.head_dim),
                       type = h.rope_type, heads = h.n_head, hd = h.head_dim })
  sites.rope_k = add({ kind = "rope", name = string.format("rope_%s_%dx%d", h.rope_type, h.n_head_kv, h.head_dim),
                       type = h.rope_type, heads = h.n_head_kv, hd = h.head_dim })
  sites.kv_store = add({ kind = "f16store", name = string.format("f16store_%d", kv_dim), n = kv_dim })
  -- attention: the G query heads of one KV head together (they read the same keys and values)
  local G = h.n_head // h.n_head_kv
  local qmax = 1
  for _, fam in ipairs(M.families) do qmax = math.max(qmax, M.attn_block(fam, G)) end
  sites.attn = add({ kind = "attn", name = string.format("attn_%d_g%d", h.head_dim, G), hd = h.head_dim, g = G,
                     qmax = qmax })

  -- families present: the first spec ISA of each (by the spec's order, which
  -- is gen/isa.lua's rank order)
  local fams = {}
  for _, fam in ipairs(M.families) do
    local host
    for _, isa in ipairs(spec.isas) do
      for _, n in ipairs(fam.isas) do
        if isa.name == n and not host then host = isa end
      end
    end
    if host then fams[#fams + 1] = { family = fam.name, inc = fam.inc, isa = host.name, acc = fam.acc } end
  end
  local files = {}
  for i = #fams, 1, -1 do
    local f = fams[i]
    f.file = "ops__" .. f.family .. ".c"
    files[#files + 1] = f
  end
  for _, op in ipairs(ops) do
    op.variants = {}
    for _, f in ipairs(files) do -- best first
      op.variants[#op.variants + 1] = { name = op.name .. "__" .. f.family, isa = f.isa, family = f.family,
                                        symbol = plan.prefix .. "_op_" .. op.name .. "__" .. f.family }
    end
  end
  return { list = ops, sites = sites, files = files, q_dim = q_dim, kv_dim = kv_dim }
end

-- The C prototype of an op variant (symbol), by op kind.
function M.signature(op, symbol)
  if op.kind == "normq" then
    return "int " .. symbol .. "(float *restrict x, const float *restrict b, const float *restrict w, " ..
      "float *restrict h, int8_t *restrict q, bitgen_act *restrict act, float *restrict d, int16_t *restrict bsums)"
  elseif op.kind == "rope" then
    return "void " .. symbol .. "(float *restrict v, const float *restrict cs)"
  elseif op.kind == "f16store" then
    return "void " .. symbol .. "(const float *restrict src, uint16_t *restrict dst)"
  end
  return "void " .. symbol .. "(const float *restrict q, size_t nq, size_t stride, const uint16_t *restrict k, " ..
    "const uint16_t *restrict v, size_t npos, float *restrict scores, size_t ld, float *restrict out)"
end

-- C typedef name of an op kind's function pointer.
function M.fn_type(P, op) return P .. "_op_" .. op.kind .. "_fn" end

return M
