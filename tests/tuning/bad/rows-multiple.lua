-- expect: 6: avx512vnni["test-tune-mixed"].q4_0_gemv_48x256.rows: must be a multiple of 16 for avx512vnni (rows per register), got 8
return {
  cpu = "test CPU",
  avx512vnni = {
    ["test-tune-mixed"] = {
      q4_0_gemv_48x256 = { rows = 8, unroll = 1 },
    },
  },
}
