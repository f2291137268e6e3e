-- expect: :4: model: a function is not spec data
-- Data that is code: the generator would call it when it reads the name.
return {
  model = function() os.execute("touch '@MARKER@'") return "esc" end,
  format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" },
}
