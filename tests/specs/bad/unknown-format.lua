-- expect: 4: format: unknown format "q3_k"
return {
  model = "bad",
  format = "q3_k",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "avx2" },
}
