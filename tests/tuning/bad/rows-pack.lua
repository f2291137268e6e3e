-- expect: 6: avx512vnni["test-tune-mixed"].i2s_gemv_40x512.rows: must divide pack_rows (8), got 6
return {
  cpu = "test CPU",
  avx512vnni = {
    ["test-tune-mixed"] = {
      i2s_gemv_40x512 = { rows = 6, unroll = 2 },
    },
  },
}
