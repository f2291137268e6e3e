-- expect: :3: evaluation: string.rep would need 4294967296 bytes: spec used more than 64 MiB of memory
-- 4 GiB in one call.
local s = string.rep("x", 1 << 32)
return { model = s }
