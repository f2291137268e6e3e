-- expect: 6: matrices[1].M: must be at least 1, got 0
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 0, K = 128 },
  },
  isas = { "avx2" },
}
