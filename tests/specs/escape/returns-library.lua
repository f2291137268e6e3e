-- expect: :4: tiles: a library table is not spec data
-- A library table handed back as data.
return {
  model = "esc", tiles = string,
  format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" },
}
