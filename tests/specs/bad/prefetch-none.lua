-- expect: 9: tiles.tl.avx2.prefetch: the tl avx2 gemv kernel has no software prefetch to set
return {
  model = "bad",
  format = "tl",
  matrices = {
    { name = "a", M = 64, K = 256 },
  },
  isas = { "avx2" },
  tiles = { tl = { avx2 = { rows = 64, unroll = 1, prefetch = 16 } } },
}
