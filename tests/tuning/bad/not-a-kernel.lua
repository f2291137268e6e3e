-- expect: 6: avx2["some-other-model"].i2s_gemv_40: "i2s_gemv_40" is not a kernel name
return {
  cpu = "test CPU",
  avx2 = {
    ["some-other-model"] = {
      i2s_gemv_40 = { rows = 4, unroll = 2 },
    },
  },
}
