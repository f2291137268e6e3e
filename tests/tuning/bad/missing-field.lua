-- expect: 6: avx2["test-tune-mixed"].tl_gemm_64x300x4.tokens: is required (a tuned gemm tile gives rows, tokens, unroll)
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      tl_gemm_64x300x4 = { rows = 32, unroll = 1 },
    },
  },
}
