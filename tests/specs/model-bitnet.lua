-- Test spec: a tiny model of llama.cpp's `bitnet` architecture (1bitLLM
-- bitnet_b1_58): SiLU-gated FFN with sub-norms, NEOX RoPE; ternary tq1_0
-- layers and a q8_0 token embedding that is also the output layer.
return {
  model = "tiny-bitnet",
  arch = "bitnet",
  format = "tq1_0",
  layers = 2,
  hparams = {
    n_embd = 256, n_head = 4, n_head_kv = 4, head_dim = 64, n_ff = 512, n_vocab = 320, n_ctx = 256,
    rope_type = "neox", rope_theta = 10000.0, norm_eps = 1e-6, ffn_act = "silu", sub_norms = true,
    tied_embeddings = true,
  },
  matrices = {
    { name = "q",     M = 256, K = 256, tensor = "blk.%d.attn_q.weight" },
    { name = "k",     M = 256, K = 256, tensor = "blk.%d.attn_k.weight" },
    { name = "v",     M = 256, K = 256, tensor = "blk.%d.attn_v.weight" },
    { name = "o",     M = 256, K = 256, tensor = "blk.%d.attn_output.weight" },
    { name = "gate",  M = 512, K = 256, tensor = "blk.%d.ffn_gate.weight" },
    { name = "up",    M = 512, K = 256, tensor = "blk.%d.ffn_up.weight" },
    { name = "down",  M = 256, K = 512, tensor = "blk.%d.ffn_down.weight" },
    { name = "embd",  M = 320, K = 256, format = "q8_0", tensor = "token_embd.weight", per_layer = false },
  },
  isas = { "scalar", "avx2", "avx512vnni", "neondot" },
}
