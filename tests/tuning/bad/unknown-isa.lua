-- expect: 4: avx3: unknown key or ISA "avx3" (expected cpu, formats or an ISA: scalar, avx2,
return {
  cpu = "test CPU",
  avx3 = {
    ["test-tune-mixed"] = { i2s_gemv_40x512 = { rows = 4, unroll = 2 } },
  },
}
