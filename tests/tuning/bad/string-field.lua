-- expect: 7: avx2["test-tune-mixed"].i2s_gemv_40x512.unroll: must be an integer, got the string "2"
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemv_40x512 = { rows = 4,
        unroll = "2" },
    },
  },
}
