-- expect: 2: matrices: is required
return {
  model = "bad",
  format = "i2s",
  isas = { "avx2" },
}
