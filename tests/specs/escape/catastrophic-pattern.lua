-- expect: :4: evaluation: string.find: pattern ".-.-.-.-.-.-.-.-b" on 30000 bytes could take
-- A pattern that backtracks for ever on a long subject (n^9 steps), called
-- as a method so it goes through the string metatable.
local s = ("a"):rep(30000); local r = s:find(".-.-.-.-.-.-.-.-b")
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
