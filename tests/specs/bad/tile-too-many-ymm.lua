-- expect: 9: tiles.avx2.rows: tile r16u1 needs 37 vector registers
return {
  model = "bad",
  format = "i2s",
  pack_rows = 16,
  matrices = { { name = "a", M = 64, K = 256 } },
  isas = { "avx2" },
  tiles = {
    avx2 = { rows = 16, unroll = 1 },
  },
}
