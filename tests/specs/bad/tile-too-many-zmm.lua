-- expect: 10: tiles.avx512vnni.rows: tile r16u1 needs 42 vector registers
return {
  model = "bad",
  format = "i2s",
  pack_rows = 16,
  matrices = {
    { name = "a", M = 64, K = 256 },
  },
  isas = { "avx512vnni" },
  tiles = { avx512vnni = { rows = 16, unroll = 1 } },
}
