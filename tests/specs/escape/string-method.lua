-- expect: :4: evaluation: string.rep: the standard library is read-only in a spec
-- Reaching string functions through a string's metatable (s:rep) and
-- replacing them there.
local s = "x"; local lib = s.rep and string; lib.rep = function() os.execute("touch '@MARKER@'") end
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
