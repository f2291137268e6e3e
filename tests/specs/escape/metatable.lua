-- expect: :3: evaluation: attempt to call a nil value (global 'getmetatable')
-- The string metatable, to change what every string method does.
getmetatable("").__index = { format = function() os.execute("touch '@MARKER@'") end }
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
