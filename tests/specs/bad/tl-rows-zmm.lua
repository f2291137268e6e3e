-- expect: 8: tiles.avx512vnni.rows: must be a multiple of 32 for avx512vnni (rows per register), got 16
return {
  model = "bad-tl",
  format = "tl",
  matrices = { { name = "a", M = 64, K = 90 } },
  isas = { "avx512vnni" },
  pack_rows = 64,
  tiles = { avx512vnni = { rows = 16, unroll = 1 } },
}
