-- expect: 5: isa: unknown key
return {
  model = "bad",
  format = "i2s",
  isa = { "avx2" },
  matrices = { { name = "a", M = 64, K = 256 } },
  isas = { "avx2" },
}
