-- BitNet b1.58 2B4T shapes with f16 weights: the default spec's model in
-- another format, for side-by-side benchmarks (bench/README.md).
return {
  model = "bitnet-b1.58-2b-4t-f16",
  description = "BitNet b1.58 2B4T (microsoft/bitnet-b1.58-2B-4T), f16 weights",
  format = "f16",
  layers = 30,
  matrices = {
    { name = "attn_q",   M = 2560, K = 2560 },
    { name = "attn_k",   M = 640,  K = 2560 },
    { name = "attn_v",   M = 640,  K = 2560 },
    { name = "attn_o",   M = 2560, K = 2560 },
    { name = "ffn_gate", M = 6912, K = 2560 },
    { name = "ffn_up",   M = 6912, K = 2560 },
    { name = "ffn_down", M = 2560, K = 6912 },
  },
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 16,
}
