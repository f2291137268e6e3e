-- expect: :5: tiles.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x: tables nested more than 32 deep
-- Data nested 1000 deep, built by code (the parser limits literal nesting).
local t = {}
for i = 1, 1000 do t = { x = t } end
return { model = "esc", tiles = t, format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
