-- Test spec: odd shapes (M not a multiple of any tile, K an odd number of
-- 128-chunks) and non-default tiles, including kernel tiles smaller than
-- the pack tile and K-unrolls that leave remainders.
return {
  model = "test-odd-a",
  format = "i2s",
  layers = 2,
  matrices = {
    { name = "m1",   M = 1,   K = 128 },
    { name = "m7",   M = 7,   K = 384 },
    { name = "m13",  M = 13,  K = 640 },
    { name = "m33",  M = 33,  K = 1152 },
    { name = "m100", M = 100, K = 2688 },
    { name = "m257", M = 257, K = 256 },
    { name = "m9",   M = 9,   K = 8960 },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 8,
  tiles = {
    scalar = { rows = 1, unroll = 3 },
    avx2 = { rows = 4, unroll = 2 },
    avxvnni = { rows = 2, unroll = 3, prefetch = 0 }, -- no software prefetch
    avx512vnni = { rows = 2, unroll = 3, prefetch = 16 },
    neon = { rows = 2, unroll = 3 },
    neondot = { rows = 4, unroll = 2 },
    i8mm = { rows = 1, unroll = 2 },
    sve = { rows = 2, unroll = 3 },
    rvv = { rows = 4, unroll = 16 }, -- flushes its int16 lanes inside a step
  },
}
