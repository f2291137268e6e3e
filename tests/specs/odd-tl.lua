-- Test spec: tl at odd shapes: K not a multiple of the 9-weight word (the
-- last groups padded), M not a multiple of any tile, two 32-row stripes
-- per AVX-512 tile, K long enough for several int16 flushes.
return {
  model = "test-odd-tl",
  format = "tl",
  matrices = {
    { name = "m1",   M = 1,   K = 1 },
    { name = "m7",   M = 7,   K = 10 },
    { name = "m33",  M = 33,  K = 100 },
    { name = "m100", M = 100, K = 2561 },
    { name = "m130", M = 130, K = 27 },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 64,
  tiles = { scalar = { rows = 2, unroll = 1 }, avx2 = { rows = 32, unroll = 1 }, avx512vnni = { rows = 64, unroll = 1 },
             neon = { rows = 16, unroll = 1 }, sve = { rows = 64, unroll = 1 } },
  gemm_tiles = { scalar = { rows = 2, unroll = 1 }, avx2 = { rows = 32, unroll = 1 }, avx512vnni = { rows = 64, unroll = 1 },
             neon = { rows = 16, unroll = 1 }, sve = { rows = 64, unroll = 1 } },
  batches = { 3, 8 },
}
