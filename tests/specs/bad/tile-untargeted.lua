-- expect: 7: tiles.avx512vnni: tile for ISA "avx512vnni", which the spec does not target
return {
  model = "bad",
  format = "i2s",
  matrices = { { name = "a", M = 8, K = 256 } },
  isas = { "avx2" },
  tiles = { avx512vnni = { rows = 2 } },
}
