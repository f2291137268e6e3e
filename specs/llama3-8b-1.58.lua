-- Llama3-8B-1.58-100B-tokens: 32 layers, 32 heads, 8 kv heads
-- Shapes from the model's published configuration (M rows x K inputs).
return {
  model = "llama3-8b-1.58",
  description = "Llama3-8B-1.58-100B-tokens: 32 layers, 32 heads, 8 kv heads",
  format = "i2s",
  layers = 32,
  matrices = {
    { name = "attn_q",   M = 4096, K = 4096 },
    { name = "attn_k",   M = 1024, K = 4096 },
    { name = "attn_v",   M = 1024, K = 4096 },
    { name = "attn_o",   M = 4096, K = 4096 },
    { name = "ffn_gate", M = 14336, K = 4096 },
    { name = "ffn_up",   M = 14336, K = 4096 },
    { name = "ffn_down", M = 4096, K = 14336 },
  },
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
}
