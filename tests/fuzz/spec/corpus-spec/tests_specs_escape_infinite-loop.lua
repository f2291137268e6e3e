-- expect: :3: evaluation: spec took
-- The endless loop.
while true do end
