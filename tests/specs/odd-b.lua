-- Test spec: a larger pack tile than any kernel tile, and the largest tiles
-- the register budgets allow, on shapes that leave partial tiles.
return {
  model = "test-odd-b",
  format = "i2s",
  matrices = {
    { name = "a", M = 15,  K = 128 },
    { name = "b", M = 31,  K = 1920 },
    { name = "c", M = 200, K = 640 },
    { name = "d", M = 3,   K = 4096 },
    { name = "e", M = 121, K = 384 },
  },
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm", "sve", "rvv" },
  pack_rows = 16,
  batches = { 3, 8, 13 },
  gemm_tiles = {
    scalar = { rows = 4, tokens = 3, unroll = 2 },
    avx2 = { rows = 1, tokens = 8, unroll = 3 },
    avxvnni = { rows = 4, tokens = 2, unroll = 1 },
    avx512vnni = { rows = 4, tokens = 5, unroll = 2 },
    neon = { rows = 4, tokens = 5, unroll = 1 },
    neondot = { rows = 2, tokens = 7, unroll = 3 },
    i8mm = { rows = 8, tokens = 5, unroll = 1 },
    sve = { rows = 4, tokens = 5, unroll = 2 },
    rvv = { rows = 2, tokens = 6, unroll = 1 },
  },
  tiles = {
    scalar = { rows = 8, unroll = 1 },
    avx2 = { rows = 4, unroll = 3 },
    avxvnni = { rows = 2, unroll = 5 },
    avx512vnni = { rows = 8, unroll = 4 },
    neon = { rows = 16, unroll = 2 },
    neondot = { rows = 16, unroll = 4 },
    i8mm = { rows = 2, unroll = 5 },
    sve = { rows = 16, unroll = 3 },
    rvv = { rows = 8, unroll = 20 },
  },
}
