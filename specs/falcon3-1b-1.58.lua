-- Falcon3-1B-1.58bit: 18 layers, 8 heads, 4 kv heads, head_dim 256
-- Shapes from the model's published configuration (M rows x K inputs).
return {
  model = "falcon3-1b-1.58",
  description = "Falcon3-1B-1.58bit: 18 layers, 8 heads, 4 kv heads, head_dim 256",
  format = "i2s",
  layers = 18,
  matrices = {
    { name = "attn_q",   M = 2048, K = 2048 },
    { name = "attn_k",   M = 1024, K = 2048 },
    { name = "attn_v",   M = 1024, K = 2048 },
    { name = "attn_o",   M = 2048, K = 2048 },
    { name = "ffn_gate", M = 8192, K = 2048 },
    { name = "ffn_up",   M = 8192, K = 2048 },
    { name = "ffn_down", M = 2048, K = 8192 },
  },
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
}
