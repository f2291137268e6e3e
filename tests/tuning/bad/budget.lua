-- expect: 7: avx2["test-tune-mixed"].i2s_gemv_40x512.rows: tile r8u4 needs 21 vector registers (16 accumulators + 2 constants + 3 temporaries); avx2 has 16
return {
  cpu = "test CPU",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemm_40x512xn = { rows = 2, tokens = 4, unroll = 1 },
      i2s_gemv_40x512 = { rows = 8, unroll = 4 },
    },
  },
}
