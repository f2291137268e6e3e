-- expect: 3: model: "x*/ int evil; /*" is not a model name
return {
  model = "x*/ int evil; /*",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 128 } },
  isas = { "avx2" },
}
