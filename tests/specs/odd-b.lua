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
  isas = { "scalar", "avx2", "avxvnni", "avx512vnni" },
  pack_rows = 16,
  tiles = {
    scalar = { rows = 8, unroll = 1 },
    avx2 = { rows = 8, unroll = 4 },
    avxvnni = { rows = 2, unroll = 5 },
    avx512vnni = { rows = 8, unroll = 4 },
  },
}
