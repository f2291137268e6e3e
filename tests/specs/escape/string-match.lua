-- expect: :3: evaluation: string.match: the standard library is read-only in a spec
-- Replacing string.match to get a model name with a newline past the check.
string.match = function() return true end
return { model = "esc\nint evil;", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
