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

return M
