-- expect: : evaluation: spec used more than 64 MiB of memory
-- A string doubled 40 times in a tight loop.
local s = "x" for i = 1, 40 do s = s .. s end
return { model = s }
