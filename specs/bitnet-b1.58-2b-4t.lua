-- BitNet b1.58 2B4T: the default spec.  30 layers, 20 heads, 5 kv heads,
-- head_dim 128, ReLU^2 gated FFN.  Shapes are M rows x K inputs.
return {
  model = "bitnet-b1.58-2b-4t",
  description = "BitNet b1.58 2B4T (microsoft/bitnet-b1.58-2B-4T)",
  format = "i2s",
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
  -- scalar is always generated as the fallback for any CPU
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  -- optional per-ISA tiles (defaults: gen/formats.lua); rows must divide pack_rows
  pack_rows = 8,
  tiles = {
    avx512vnni = { rows = 8, unroll = 2 },
    avx2 = { rows = 4, unroll = 4 },
  },
}
