-- expect: 5: matrices[1].K: must be at most 1048576
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 1048704 } },
  isas = { "avx2" },
}
