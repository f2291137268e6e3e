-- expect: 7: gemm_tiles.i8mm.rows: must be a multiple of 2
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "i8mm" },
  gemm_tiles = { i8mm = { rows = 1 } },
}
