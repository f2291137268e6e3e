-- expect: 6: avx2["test-tune-mixed"].i2s_gemm_40x512x4.rows: must be at least 1, got 0
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemm_40x512x4 = { rows = 0, tokens = 4, unroll = 1 },
    },
  },
}
