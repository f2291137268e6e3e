-- Falcon3-3B-1.58bit: 22 layers, 12 heads, 4 kv heads, head_dim 256
-- Shapes from the model's published configuration (M rows x K inputs).
return {
  model = "falcon3-3b-1.58",
  description = "Falcon3-3B-1.58bit: 22 layers, 12 heads, 4 kv heads, head_dim 256",
  format = "i2s",
  layers = 22,
  matrices = {
    { name = "attn_q",   M = 3072, K = 3072 },
    { name = "attn_k",   M = 1024, K = 3072 },
    { name = "attn_v",   M = 1024, K = 3072 },
    { name = "attn_o",   M = 3072, K = 3072 },
    { name = "ffn_gate", M = 9216, K = 3072 },
    { name = "ffn_up",   M = 9216, K = 3072 },
    { name = "ffn_down", M = 3072, K = 9216 },
  },
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
}
