-- expect: 3: model: "my model!" is not a model name
return {
  model = "my model!",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "avx2" },
}
