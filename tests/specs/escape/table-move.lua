-- expect: :3: evaluation: spec took too long
-- A C loop of 2^40 steps over nils.
table.move({}, 1, 1 << 40, 1)
