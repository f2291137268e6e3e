-- expect: 5: matrices[1].name: "a\n\"}; int evil; //" is not a C identifier
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a\n\"}; int evil; //", M = 8, K = 128 } },
  isas = { "avx2" },
}
