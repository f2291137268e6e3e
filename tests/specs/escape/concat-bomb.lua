-- expect: :5: evaluation: table.concat would need
-- One 1 MiB string referenced a thousand times, joined: 1 GiB in one call.
local big = string.rep("z", 1 << 20)
local t = {} for i = 1, 1000 do t[i] = big end
local s = table.concat(t)
