-- expect: 7: matrices[2].name: "A" and matrices[1].name ("a") differ only in case
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 8, K = 128 },
    { name = "A", M = 8, K = 128 },
  },
  isas = { "avx2" },
}
