-- expect: 7: tiles.avx512vnni.rows: must be a multiple of 2
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "avx512vnni" },
  tiles = { avx512vnni = { rows = 3 } },
}
