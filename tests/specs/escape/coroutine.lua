-- expect: :4: evaluation: attempt to index a nil value (global 'coroutine')
-- A coroutine: in plain lua5.4 a debug hook is per coroutine, so code in a
-- new one would run unhooked.
local co = coroutine.wrap(function() while true do end end)
co()
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
