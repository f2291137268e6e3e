-- expect: :3: evaluation: attempt to call a nil value (field 'dump')
-- Bytecode of a function, for a crafted-bytecode attack through load.
local code = string.dump(function() return 1 end)
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
