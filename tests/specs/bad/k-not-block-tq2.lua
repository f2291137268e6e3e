-- expect: 5: matrices[1].K: must be a multiple of 256 (the tq2_0 block), got 384
return {
  model = "bad-tq2",
  format = "tq2_0",
  matrices = { { name = "a", M = 16, K = 384 } },
  isas = { "avx512vnni" },
}
