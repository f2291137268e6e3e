-- Model architectures a model spec (and `bitgen spec-from-gguf`) knows: the
-- fixed facts of each (FFN activation, sub-norms, RoPE type) and the GGUF
-- tensors whose shapes follow from the hyper-parameters.  Sources: bitnet.cpp
-- (build_bitnet_158: LLM_FFN_RELU_SQR, sub-norms), llama.cpp (build_bitnet:
-- LLM_FFN_SILU, sub-norms, RoPE NEOX in llama_model_rope_type; llama: SiLU,
-- RoPE NORM); see docs/GGUF.md, "Model specs".
local M = {}

M.by_name = {
  ["bitnet-b1.58"] = { ffn_act = "relu2", sub_norms = true, rope_type = "norm",
                       doc = "bitnet.cpp's BitNet b1.58 (2B4T, ggml-model-i2_s.gguf)" },
  bitnet = { ffn_act = "silu", sub_norms = true, rope_type = "neox",
             doc = "llama.cpp's BitNet (1bitLLM bitnet_b1_58)" },
  llama = { ffn_act = "silu", sub_norms = false, rope_type = "norm",
            doc = "Llama (also Falcon3-1.58bit and Llama3-8B-1.58 GGUFs)" },
}

function M.names()
  local t = {}
  for k in pairs(M.by_name) do t[#t + 1] = k end
  table.sort(t)
  return t
end

M.FFN_ACTS = { relu2 = true, silu = true }
M.ROPE_TYPES = { norm = true, neox = true }

-- The weight matrices of a model, by GGUF tensor name: per_layer ones are
-- blk.%d.<role>.weight.  M and K as functions of the hyper-parameters
-- (h.q = n_head * head_dim, h.kv = n_head_kv * head_dim).
M.roles = {
  { role = "attn_q", per_layer = true, M = "q", K = "n_embd" },
  { role = "attn_k", per_layer = true, M = "kv", K = "n_embd" },
  { role = "attn_v", per_layer = true, M = "kv", K = "n_embd" },
  { role = "attn_output", per_layer = true, M = "n_embd", K = "q" },
  { role = "ffn_gate", per_layer = true, M = "n_ff", K = "n_embd" },
  { role = "ffn_up", per_layer = true, M = "n_ff", K = "n_embd" },
  { role = "ffn_down", per_layer = true, M = "n_embd", K = "n_ff" },
  { role = "token_embd", per_layer = false, M = "n_vocab", K = "n_embd" },
  { role = "output", per_layer = false, M = "n_vocab", K = "n_embd" },
}
M.by_role = {}
for _, r in ipairs(M.roles) do M.by_role[r.role] = r end

-- The RMSNorm weight vectors (f32 in GGUF files) of a model, by role: per
-- layer blk.%d.<role>.weight, else <role>.weight; length n_embd or n_ff;
-- sub = only in architectures with sub-norms.  The generated loader checks
-- and loads them (docs/MODEL_RUNTIME.md).
M.norms = {
  { role = "attn_norm", per_layer = true, len = "n_embd" },
  { role = "attn_sub_norm", per_layer = true, len = "n_embd", sub = true },
  { role = "ffn_norm", per_layer = true, len = "n_embd" },
  { role = "ffn_sub_norm", per_layer = true, len = "n_ff", sub = true },
  { role = "output_norm", per_layer = false, len = "n_embd" },
}

-- The GGUF tensor name (pattern) of a role.
function M.tensor_name(r)
  return r.per_layer and ("blk.%d." .. r.role .. ".weight") or (r.role .. ".weight")
end

-- The role a tensor name pattern names, or nil.
function M.role_of(pattern)
  for _, r in ipairs(M.roles) do
    if pattern == M.tensor_name(r) then return r end
  end
  return nil
end

-- M and K of a role under hyper-parameters h.
function M.dims(r, h)
  local v = { n_embd = h.n_embd, n_ff = h.n_ff, n_vocab = h.n_vocab, q = h.n_head * h.head_dim,
              kv = h.n_head_kv * h.head_dim }
  return v[r.M], v[r.K]
end

-- What the generated loader checks and loads (templates/api_model.*): the
-- tensors in arena order (per-layer ones first: a layer's norms, then its
-- matrices in the spec's order; then output_norm and the other matrices),
-- and the hyper-parameter keys with the spec's values.
function M.load_table(plan)
  local spec = plan.spec
  local h = spec.hparams
  local per, glob = {}, {}
  local function add(e) local list = e.per_layer and per or glob list[#list + 1] = e end
  local len = { n_embd = h.n_embd, n_ff = h.n_ff }
  for _, n in ipairs(M.norms) do
    if not n.sub or h.sub_norms then
      local name = n.per_layer and ("blk.%d." .. n.role .. ".weight") or (n.role .. ".weight")
      add({ field = n.role, name = name, per_layer = n.per_layer, M = 1, K = len[n.len], prows = 1 })
    end
  end
  for i, m in ipairs(plan.matrices) do
    add({ field = m.role, name = m.tensor, per_layer = m.per_layer, format = m.format, M = m.shape.M, K = m.shape.K,
          prows = m.shape.group.prows, shape = m.shape, matrix = i - 1 })
  end
  local list = {}
  for _, e in ipairs(per) do list[#list + 1] = e end
  for _, e in ipairs(glob) do list[#list + 1] = e end
  for i, e in ipairs(list) do e.index = i - 1 end
  local hp = {
    { key = "embedding_length", u = h.n_embd, required = true },
    { key = "block_count", u = spec.layers, required = true },
    { key = "feed_forward_length", u = h.n_ff, required = true },
    { key = "attention.head_count", u = h.n_head, required = true },
    { key = "attention.head_count_kv", u = h.n_head_kv },
    { key = "attention.key_length", u = h.head_dim },
    { key = "context_length", u = h.n_ctx, required = true },
    { key = "vocab_size", u = h.n_vocab },
    { key = "rope.freq_base", f = h.rope_theta },
    { key = "attention.layer_norm_rms_epsilon", f = h.norm_eps, required = true },
  }
  return { tensors = list, nper = #per, nglob = #glob, hparams = hp }
end

return M
