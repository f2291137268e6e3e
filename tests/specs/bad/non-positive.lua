-- expect: 6: matrices[1].K: must be at least 1, got -128
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 8, K = -128 },
  },
  isas = { "avx2" },
}
