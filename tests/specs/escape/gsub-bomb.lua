-- expect: :3: evaluation: string.gsub would need
-- A replacement of 1 MB at each of a million positions.
local s = string.rep("y", 1 << 20):gsub("", string.rep("z", 1 << 20))
