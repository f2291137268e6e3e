-- expect: 5: avx2["test-tune-mixed"].q4_0_gemv_48x256.prefetch: must be at most 1024, got 2048
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = { q4_0_gemv_48x256 = { rows = 16, unroll = 1, prefetch = 2048 } },
  },
}
