-- expect: :3: evaluation: attempt to call a nil value (global 'rawset')
-- rawset would write past the read-only view of string.
rawset(string, "format", function() os.execute("touch '@MARKER@'") end)
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
