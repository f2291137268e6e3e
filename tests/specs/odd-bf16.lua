-- Test spec: bf16 at odd shapes (M not a multiple of any tile, K an odd
-- number of 16-lane steps), row tiles smaller than the pack tile, batch kernels.
return {
  model = "test-odd-bf16",
  format = "bf16",
  matrices = {
    { name = "m1",   M = 1,   K = 16 },
    { name = "m17",  M = 17,  K = 48 },
    { name = "m33",  M = 33,  K = 272 },
    { name = "m100", M = 100, K = 1040 },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 16,
  tiles = { scalar = { rows = 1, unroll = 1 }, avx2 = { rows = 2, unroll = 1 }, avx512vnni = { rows = 8, unroll = 1 },
             neon = { rows = 4, unroll = 1 }, sve = { rows = 2, unroll = 1 } },
  gemm_tiles = { scalar = { rows = 2, unroll = 1 }, avx2 = { rows = 4, unroll = 1 }, avx512vnni = { rows = 16, unroll = 1 },
             neon = { rows = 2, unroll = 1 }, sve = { rows = 4, unroll = 1 } },
  batches = { 3 },
}
