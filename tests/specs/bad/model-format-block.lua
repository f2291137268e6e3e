-- expect: 8: matrices[2].K: must be a multiple of 256 (the tq2_0 block), got 384
-- Two formats in one package: each matrix's K must fit its own format's block.
return {
  model = "mixed-block",
  format = "i2s",
  matrices = {
    { name = "a", M = 8, K = 384 },
    { name = "b", M = 8, K = 384, format = "tq2_0" },
  },
  isas = { "scalar" },
}
