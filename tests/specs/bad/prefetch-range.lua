-- expect: 9: tiles.avx2.prefetch: must be at most 1024, got 4096
return {
  model = "bad",
  format = "q4_0",
  matrices = {
    { name = "a", M = 64, K = 256 },
  },
  isas = { "avx2" },
  tiles = { avx2 = { rows = 16, unroll = 1, prefetch = 4096 } },
}
