-- expect: 8: gemm_tiles.rvv.rows: tile r4n4u2 needs 42 vector registers
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 64, K = 256 } },
  isas = { "rvv" },
  gemm_tiles = {
    rvv = { rows = 4, tokens = 4 },
  },
}
