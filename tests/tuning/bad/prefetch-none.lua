-- expect: 5: avx2["test-tune-mixed"].tl_gemv_64x300.prefetch: the tl avx2 gemv kernel has no software prefetch to set
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = { tl_gemv_64x300 = { rows = 32, unroll = 1, prefetch = 16 } },
  },
}
