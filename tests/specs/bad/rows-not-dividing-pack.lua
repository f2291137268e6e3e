-- expect: 8: tiles.avx2.rows: must divide pack_rows (8), got 6
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "avx2" },
  tiles = {
    avx2 = { rows = 6 },
  },
}
