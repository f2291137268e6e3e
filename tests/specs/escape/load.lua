-- expect: :3: evaluation: attempt to call a nil value (global 'load')
-- Compiling code outside the spec's environment.
load("os.execute(\"touch '@MARKER@'\")")()
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
