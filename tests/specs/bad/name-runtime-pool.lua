-- expect: 3: model: maps to the C prefix bitgen_pool, which the runtime already uses
return {
  model = "Pool",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 128 } },
  isas = { "avx2" },
}
