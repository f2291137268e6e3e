-- expect: 8: isas[2]: unknown ISA "avx9000"
return {
  model = "bad",
  format = "i2s",
  matrices = {
    { name = "a", M = 64, K = 256 },
  },
  isas = { "avx2", "avx9000" },
}
