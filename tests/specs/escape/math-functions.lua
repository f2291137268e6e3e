-- expect: :3: evaluation: math.type: the standard library is read-only in a spec
-- Replacing math functions the validator uses on sizes.
math.type = function() os.execute("touch '@MARKER@'") return "integer" end
math.floor = function(x) return x end
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8.5, K = 128 } }, isas = { "avx2" } }
