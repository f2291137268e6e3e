-- expect: :4: evaluation: attempt to call a nil value (global 'setmetatable')
-- A table whose __index runs code when the validator reads a missing field.
local trap = function() os.execute("touch '@MARKER@'") end
return setmetatable({ model = "esc", format = "i2s", isas = { "avx2" } }, { __index = trap })
