-- expect: 5: matrices[1].M: must be an integer, got 2.5
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 2.5, K = 256 } },
  isas = { "avx2" },
}
