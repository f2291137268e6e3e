-- expect: :5: matrices[2]: the table contains itself
local m = {}
m[1] = { name = "a", M = 8, K = 128 }
m[2] = m
return { model = "esc", format = "i2s", matrices = m, isas = { "avx2" } }
