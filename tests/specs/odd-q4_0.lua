-- Test spec: q4_0 at odd shapes (M not a multiple of any tile, K an odd
-- number of blocks), two 16-row groups per AVX-512 tile, batch kernels;
-- AVX2 GEMV without software prefetch, AVX-512 GEMM 1 KiB ahead.
return {
  model = "test-odd-q4-0",
  format = "q4_0",
  matrices = {
    { name = "m1",   M = 1,   K = 32 },
    { name = "m17",  M = 17,  K = 96 },
    { name = "m33",  M = 33,  K = 608 },
    { name = "m100", M = 100, K = 2080 },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 32,
  tiles = { scalar = { rows = 1, unroll = 1 }, avx2 = { rows = 16, unroll = 1, prefetch = 0 }, avx512vnni = { rows = 32, unroll = 1 },
             neon = { rows = 8, unroll = 1 }, sve = { rows = 2, unroll = 1 } },
  gemm_tiles = { scalar = { rows = 1, unroll = 1 }, avx2 = { rows = 16, unroll = 1 }, avx512vnni = { rows = 32, unroll = 1, prefetch = 1 },
             neon = { rows = 8, unroll = 1 }, sve = { rows = 2, unroll = 1 } },
  batches = { 3, 8 },
}
