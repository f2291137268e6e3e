-- A hand-written tuning file for tests/specs/tune-mixed.lua (tests/test_tuning.sh)
-- that moves the ternary matrix a from i2s to tl (the spec's only i2s
-- matrix: the spec's format becomes tl) and tunes the new kernel.
return {
  cpu = "test CPU (not measured)",
  formats = {
    ["test-tune-mixed"] = { a = "tl" },
    ["some-other-model"] = { attn_q = "i2s" },
  },
  avx2 = {
    ["test-tune-mixed"] = {
      tl_gemv_40x512 = { rows = 32, unroll = 1 },
    },
  },
}
