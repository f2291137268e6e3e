-- expect: 3: model: "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm..." is longer than 64 characters
return {
  model = string.rep("m", 65),
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 128 } },
  isas = { "avx2" },
}
