-- expect: 5: matrices[1].K: must be an integer, got the string "256"
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = "256" } },
  isas = { "avx2" },
}
