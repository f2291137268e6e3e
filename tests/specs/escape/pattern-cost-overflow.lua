-- expect: :4: evaluation: string.find: pattern ".-.-.-.-.-.-.-.-b" on 29999 bytes could take
-- Found by fuzz-spec: the cost bound of this pattern, 30000^9 * 18, wrapped
-- around as an integer product to a negative number and the search ran.
local s = ("a"):rep(29999); local r = s:find(".-.-.-.-.-.-.-.-b")
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
