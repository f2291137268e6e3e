-- A hand-written tuning file for tests/specs/tune-mixed.lua (tests/test_tuning.sh):
-- tiles other than the spec's for avx2 and avx512vnni (one without its
-- software prefetch), and an entry of another model (checked, not applied).
return {
  cpu = "test CPU (not measured)",
  avx2 = {
    ["test-tune-mixed"] = {
      i2s_gemv_40x512 = { rows = 2, unroll = 3 },
      i2s_gemm_40x512x4 = { rows = 1, tokens = 4, unroll = 2 },
      tl_gemv_64x300 = { rows = 32, unroll = 1 },
    },
  },
  avx512vnni = {
    ["test-tune-mixed"] = {
      i2s_gemv_40x512 = { rows = 4, unroll = 1, prefetch = 0 },
      i2s_gemm_40x512xn = { rows = 4, tokens = 5, unroll = 2 },
      q4_0_gemm_48x256xn = { rows = 16, tokens = 1, unroll = 1 },
    },
    ["some-other-model"] = {
      i2s_gemv_2560x2560 = { rows = 8, unroll = 4 },
    },
  },
}
