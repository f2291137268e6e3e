-- Test spec: f16 at odd shapes (M not a multiple of any tile, K an odd
-- number of 16-lane steps), row tiles smaller than the pack tile, batch kernels.
return {
  model = "test-odd-f16",
  format = "f16",
  matrices = {
    { name = "m1",   M = 1,   K = 16 },
    { name = "m17",  M = 17,  K = 48 },
    { name = "m33",  M = 33,  K = 272 },
    { name = "m100", M = 11 }, avx2 = { rows = 4, unroll = 1 }, avx512vnni = { rows = 16, unroll = 1 },
             neon = { rows = 2, unroll = 1 }, sve = { rows = 4, unroll = 1 } },
  batches = { 3 },
}
