-- expect: 7: matrices[2].K: must be a multiple of 128
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 64, K = 256 },
    { name = "b", M = 64, K = 100 },
  },
  isas = { "avx2" },
}
