-- Test spec: q6_k at odd shapes (M not a multiple of any tile, K an odd
-- number of super-blocks), two 8-row groups per AVX2 tile, batch kernels.
return {
  model = "test-odd-q6-k",
  format = "q6_k",
  matrices = {
    { name = "m1",  M = 1,  K = 256 },
    { name = "m17", M = 17, K = 768 },
    { name = "m33", M = 33, K = 512 },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 32,
  tiles = { scalar = { rows = 1, unroll = 1 }, avx2 = { rows = 16, unroll = 1 }, avx512vnni = { rows = 32, unroll = 1 },
             neon = { rows = 8, unroll = 1 }, sve = { rows = 2, unroll = 1 } },
  gemm_tiles = { scalar = { rows = 1, unroll = 1 }, avx2 = { rows = 16, unroll = 1 }, avx512vnni = { rows = 16, unroll = 1 },
             neon = { rows = 4, unroll = 1 }, sve = { rows = 2, unroll = 1 } },
  batches = { 3 },
}
