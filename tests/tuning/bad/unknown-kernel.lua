-- expect: 6: avx2["test-tune-mixed"].i2s_gemv_41x512: spec model test-tune-mixed has no kernel i2s_gemv_41x512 (its kernels: i2s_gemv_40x512,
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemv_41x512 = { rows = 4, unroll = 2 },
    },
  },
}
