-- Test spec of `bitgen tune` (tests/test_tuning.sh): small matrices in three
-- weight formats (the i2s templates read every tile field, tl and q4_0 rows
-- only) and a specialized batch, so that one quick tune is short and meets
-- each kind of candidate list.
return {
  model = "test-tune-mixed",
  format = "i2s",
  matrices = {
    { name = "a", M = 40, K = 512 },
    { name = "b", M = 64, K = 300, format = "tl" },
    { name = "c", M = 48, K = 256, format = "q4_0" },
  },
  isas = { "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "sve", "rvv" },
  batches = { 4 },
}
