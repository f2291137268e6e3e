-- Decoder test model (tests/test_decoder.c): the llama architecture (SiLU
-- FFN, no sub-norms, RoPE pairs) at a tiny size: q4_0 layers, a q8_0 token
-- embedding and an untied q6_k output layer.
return {
  model = "dec-llama",
  arch = "llama",
  format = "q4_0",
  layers = 2,
  hparams = {
    n_embd = 256, n_head = 4, n_head_kv = 2, head_dim = 64, n_ff = 640, n_vocab = 512, n_ctx = 100,
    rope_type = "norm", rope_theta = 500000.0, norm_eps = 1e-5, ffn_act = "silu", sub_norms = false,
    tied_embeddings = false,
  },
  matrices = {
    { name = "attn_q",      M = 256, K = 256, tensor = "blk.%d.attn_q.weight" },
    { name = "attn_k",      M = 128, K = 256, tensor = "blk.%d.attn_k.weight" },
    { name = "attn_v",      M = 128, K = 256, tensor = "blk.%d.attn_v.weight" },
    { name = "attn_output", M = 256, K = 256, tensor = "blk.%d.attn_output.weight" },
    { name = "ffn_gate",    M = 640, K = 256, tensor = "blk.%d.ffn_gate.weight" },
    { name = "ffn_up",      M = 640, K = 256, tensor = "blk.%d.ffn_up.weight" },
    { name = "ffn_down",    M = 256, K = 640, tensor = "blk.%d.ffn_down.weight" },
    { name = "token_embd",  M = 512, K = 256, format = "q8_0", tensor = "token_embd.weight", per_layer = false },
    { name = "output",      M = 512, K = 256, format = "q6_k", tensor = "output.weight", per_layer = false },
  },
  isas = { "scalar", "avx2", "avx512vnni" },
}
