-- BitNet b1.58 2B4T shapes with tl weights: the default spec's model in
-- another format, for side-by-side benchmarks (bench/README.md).
return {
  model = "bitnet-b1.58-2b-4t-tl",
  description = "BitNet b1.58 2B4T (microsoft/bitnet-b1.58-2B-4T), tl weights",
  format = "tl",
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
  -- 256-row AVX-512 tiles: each table line read from L2 serves 256 rows,
  -- which keeps more of the core's L1 misses for the weight stream (cold
  -- sweep 1 thread: 0.68 of the streaming bound, against 0.59 with 128)
  pack_rows = 256,
  tiles = { avx512vnni = { rows = 256, unroll = 1 } },
  gemm_tiles = { avx512vnni = { rows = 256, unroll = 1 } },
}
