-- expect: 6: matrices[1].N: unknown key
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 64, K = 256, N = 3 },
  },
  isas = { "avx2" },
}
