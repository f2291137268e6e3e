-- expect: 7: avx512vnni["another-model"].i2s_gemm_2560x2560xn.rows: tile r8n8u1 needs 39 vector registers
return {
  cpu = "test CPU",
  avx512vnni = {
    -- not the spec's model: still checked against the format and the ISA
    ["another-model"] = {
      i2s_gemm_2560x2560xn = { rows = 8, tokens = 8, unroll = 1 },
    },
  },
}
