-- expect: 7: matrices[2].name: duplicate matrix name "a"
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 8, K = 256 },
    { name = "a", M = 16, K = 256 },
  },
  isas = { "avx2" },
}
