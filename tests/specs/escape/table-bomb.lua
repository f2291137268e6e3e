-- expect: : evaluation: spec used more than 64 MiB of memory
-- A table of a billion entries of 1 KB each.
local t = {} for i = 1, 1000000000 do t[i] = string.rep("x", 1000) .. i end
return t
