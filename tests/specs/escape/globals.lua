-- expect: :3: evaluation: attempt to index a nil value (global 'os')
-- The libraries that reach the system are simply not there.
os.execute("touch '@MARKER@'")
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
