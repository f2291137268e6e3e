-- expect: 6: avx2["test-tune-mixed"].i2s_gemv_40x512.tokens: unknown key (expected one of: prefetch, rows, unroll)
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemv_40x512 = { rows = 4, tokens = 2, unroll = 2 },
    },
  },
}
