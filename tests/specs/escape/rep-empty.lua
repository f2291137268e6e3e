-- expect: :3: evaluation: spec took too long
-- 2^40 copies of nothing: no memory at all, but a C loop of 2^40 steps.
local s = string.rep("", 1 << 40)
return { model = s }
