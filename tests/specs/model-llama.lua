-- Test spec: a tiny llama-architecture model (the layout of Falcon3-1.58bit
-- and Llama3-8B-1.58 GGUFs): ternary tq2_0 layers, q4_0 token embedding and
-- an untied q8_0 output layer: three formats in one package.
return {
  model = "tiny-llama",
  arch = "llama",
  format = "tq2_0",
  layers = 3,
  hparams = {
    n_embd = 512, n_head = 8, n_head_kv = 2, head_dim = 64, n_ff = 768, n_vocab = 1000, n_ctx = 512,
    rope_type = "norm", rope_theta = 500000.0, norm_eps = 1e-5, ffn_act = "silu", sub_norms = false,
    tied_embeddings = false,
  },
  matrices = {
    { name = "attn_q",      M = 512, K = 512, tensor = "blk.%d.attn_q.weight" },
    { name = "attn_k",      M = 128, K = 512, tensor = "blk.%d.attn_k.weight" },
    { name = "attn_v",      M = 128, K = 512, tensor = "blk.%d.attn_v.weight" },
    { name = "attn_output", M = 512, K = 512, tensor = "blk.%d.attn_output.weight" },
    { name = "ffn_gate",    M = 768, K = 512, tensor = "blk.%d.ffn_gate.weight" },
    { name = "ffn_up",      M = 768, K = 512, tensor = "blk.%d.ffn_up.weight" },
    { name = "ffn_down",    M = 512, K = 768, tensor = "blk.%d.ffn_down.weight" },
    { name = "token_embd",  M = 1000, K = 512, format = "q4_0", tensor = "token_embd.weight", per_layer = false },
    { name = "output",      M = 1000, K = 512, format = "q8_0", tensor = "output.weight", per_layer = false },
  },
  isas = { "scalar", "avx2", "avx512vnni", "neondot" },
  pack_rows = { q8_0 = 32 },
  tiles = { q8_0 = { avx512vnni = { rows = 32, unroll = 1 } } },
}
