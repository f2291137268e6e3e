-- expect: 5: syntax: 
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a" M = 8, K = 256 } },
  isas = { "avx2" },
}
