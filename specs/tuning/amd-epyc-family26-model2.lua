-- bitgen tuning file (gen/tuning.lua): tiles measured fastest on the CPU named below by `bitgen tune`
-- (bitgen 0.1.0); the last run: bitgen tune bitnet-b1.58-2b-4t-tq1_0.lua.
-- Per kernel: median time per call with one thread (GEMV cold, weights streamed from memory, and hot;
-- GEMM hot at N = 128 or its batch), and the spec's tile for comparison.  prefetch: KiB ahead.
-- Use: bitgen generate SPEC --tuning THIS_FILE
return {
  cpu = "AMD EPYC (x86_64 family 26 model 2 stepping 1)",
  formats = {
    ["bitnet-b1.58-2b-4t"] = {
      attn_k = "i2s",
      attn_o = "i2s",
      attn_q = "i2s",
      attn_v = "i2s",
      ffn_down = "i2s",
      ffn_gate = "i2s",
      ffn_up = "i2s",
    },
  },
  avx2 = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemm_2560x2560xn = { rows = 2, tokens = 5, unroll = 2 },
      i2s_gemm_2560x6912xn = { rows = 2, tokens = 4, unroll = 2 },
      i2s_gemm_640x2560xn = { rows = 2, tokens = 5, unroll = 2 },
      i2s_gemm_6912x2560xn = { rows = 2, tokens = 4, unroll = 2 },
      i2s_gemv_2560x2560 = { rows = 4, unroll = 1, prefetch = 16 },
      i2s_gemv_2560x6912 = { rows = 4, unroll = 1, prefetch = 64 },
      i2s_gemv_640x2560 = { rows = 4, unroll = 3, prefetch = 16 },
      i2s_gemv_6912x2560 = { rows = 4, unroll = 1, prefetch = 16 },
    },
    ["bitnet-b1.58-2b-4t-q4-0"] = {
      q4_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemv_2560x2560 = { rows = 8, unroll = 1, prefetch = 64 },
      q4_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 64 },
      q4_0_gemv_640x2560 = { rows = 8, unroll = 1, prefetch = 64 },
      q4_0_gemv_6912x2560 = { rows = 8, unroll = 1, prefetch = 64 },
    },
    ["bitnet-b1.58-2b-4t-q8-0"] = {
      q8_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q8_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q8_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q8_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q8_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      q8_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 16 },
      q8_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      q8_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 64 },
    },
    ["bitnet-b1.58-2b-4t-tq1-0"] = {
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 108.6 us (hot 107.1 us) vs the spec's r16u1f64: cold 113.9 us (hot 109.9 us) (8 tiles timed)
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 27.7 us (hot 25.6 us) vs the spec's r16u1f64: cold 28.4 us (hot 25.5 us) (8 tiles timed)
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 4 }, -- cold 296.0 us (hot 292.9 us) vs the spec's r16u1f64: cold 305.9 us (hot 297.3 us) (8 tiles timed)
      tq1_0_gemv_2560x6912 = { rows = 8, unroll = 1, prefetch = 64 }, -- cold 290.8 us (hot 286.9 us) vs the spec's r16u1f64: cold 299.3 us (hot 291.1 us) (8 tiles timed)
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 13.10 ms vs the spec's r16n1u1f64: 13.10 ms (8 tiles timed)
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 3.27 ms vs the spec's r16n1u1f64: 3.27 ms (8 tiles timed)
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 35.33 ms vs the spec's r16n1u1f64: 35.33 ms (8 tiles timed)
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 35.73 ms vs the spec's r16n1u1f64: 35.73 ms (8 tiles timed)
    },
    ["bitnet-b1.58-2b-4t-tq2-0"] = {
      tq2_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x2560 = { rows = 8, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x6912 = { rows = 8, unroll = 1, prefetch = 64 },
      tq2_0_gemv_640x2560 = { rows = 8, unroll = 1, prefetch = 16 },
      tq2_0_gemv_6912x2560 = { rows = 8, unroll = 1, prefetch = 16 },
    },
  },
  avxvnni = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemm_2560x2560xn = { rows = 2, tokens = 4, unroll = 3 },
      i2s_gemm_2560x6912xn = { rows = 2, tokens = 5, unroll = 3 },
      i2s_gemm_640x2560xn = { rows = 2, tokens = 5, unroll = 3 },
      i2s_gemm_6912x2560xn = { rows = 2, tokens = 4, unroll = 3 },
      i2s_gemv_2560x2560 = { rows = 2, unroll = 4, prefetch = 64 },
      i2s_gemv_2560x6912 = { rows = 2, unroll = 2, prefetch = 64 },
      i2s_gemv_640x2560 = { rows = 2, unroll = 2, prefetch = 16 },
      i2s_gemv_6912x2560 = { rows = 2, unroll = 2, prefetch = 64 },
    },
    ["bitnet-b1.58-2b-4t-q4-0"] = {
      q4_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      q4_0_gemv_2560x2560 = { rows = 8, unroll = 1, prefetch = 64 },
      q4_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 256 },
      q4_0_gemv_640x2560 = { rows = 8, unroll = 1, prefetch = 64 },
      q4_0_gemv_6912x2560 = { rows = 8, unroll = 1, prefetch = 64 },
    },
    ["bitnet-b1.58-2b-4t-q8-0"] = {
      q8_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q8_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 0 },
      q8_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q8_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q8_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      q8_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 256 },
      q8_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      q8_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 64 },
    },
    ["bitnet-b1.58-2b-4t-tq1-0"] = {
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 64 }, -- cold 97.3 us (hot 95.7 us) vs the spec's r16u1f64: cold 97.3 us (hot 95.7 us) (7 tiles timed)
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 64 }, -- cold 24.5 us (hot 22.6 us) vs the spec's r16u1f64: cold 24.5 us (hot 22.6 us) (7 tiles timed)
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 64 }, -- cold 263.4 us (hot 257.8 us) vs the spec's r16u1f64: cold 263.4 us (hot 257.8 us) (7 tiles timed)
      tq1_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 64 }, -- cold 263.3 us (hot 257.8 us) vs the spec's r16u1f64: cold 263.3 us (hot 257.8 us) (7 tiles timed)
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 11.57 ms vs the spec's r16n1u1f64: 11.57 ms (8 tiles timed)
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 2.90 ms vs the spec's r16n1u1f64: 2.90 ms (8 tiles timed)
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 31.21 ms vs the spec's r16n1u1f64: 31.21 ms (8 tiles timed)
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 }, -- 31.71 ms vs the spec's r16n1u1f64: 31.71 ms (8 tiles timed)
    },
    ["bitnet-b1.58-2b-4t-tq2-0"] = {
      tq2_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x6912 = { rows = 8, unroll = 1, prefetch = 64 },
      tq2_0_gemv_640x2560 = { rows = 8, unroll = 1, prefetch = 64 },
      tq2_0_gemv_6912x2560 = { rows = 8, unroll = 1, prefetch = 64 },
    },
  },
  avx512vnni = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemm_2560x2560xn = { rows = 8, tokens = 4, unroll = 1 },
      i2s_gemm_2560x6912xn = { rows = 8, tokens = 3, unroll = 1 },
      i2s_gemm_640x2560xn = { rows = 8, tokens = 3, unroll = 1 },
      i2s_gemm_6912x2560xn = { rows = 8, tokens = 4, unroll = 4 },
      i2s_gemv_2560x2560 = { rows = 8, unroll = 1, prefetch = 16 },
      i2s_gemv_2560x6912 = { rows = 8, unroll = 1, prefetch = 16 },
      i2s_gemv_640x2560 = { rows = 8, unroll = 1, prefetch = 16 },
      i2s_gemv_6912x2560 = { rows = 8, unroll = 1, prefetch = 16 },
    },
    ["bitnet-b1.58-2b-4t-q4-0"] = {
      q4_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q4_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 0 },
      q4_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q4_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      q4_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 4 },
      q4_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 16 },
      q4_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 4 },
      q4_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 4 },
    },
    ["bitnet-b1.58-2b-4t-q8-0"] = {
      q8_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 4 },
      q8_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 4 },
      q8_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 4 },
      q8_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 4 },
      q8_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 256 },
      q8_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 4 },
      q8_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 4 },
      q8_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 256 },
    },
    ["bitnet-b1.58-2b-4t-tq1-0"] = {
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 97.1 us (hot 93.2 us) vs the spec's r16u1f16: cold 97.1 us (hot 93.2 us) (5 tiles timed)
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 24.3 us (hot 22.6 us) vs the spec's r16u1f16: cold 24.3 us (hot 22.6 us) (5 tiles timed)
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 263.1 us (hot 250.4 us) vs the spec's r16u1f16: cold 263.1 us (hot 250.4 us) (5 tiles timed)
      tq1_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 16 }, -- cold 262.0 us (hot 245.7 us) vs the spec's r16u1f16: cold 262.0 us (hot 245.7 us) (5 tiles timed)
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 }, -- 11.56 ms vs the spec's r16n1u1f16: 11.56 ms (5 tiles timed)
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 }, -- 2.90 ms vs the spec's r16n1u1f16: 2.90 ms (5 tiles timed)
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 }, -- 31.23 ms vs the spec's r16n1u1f16: 31.23 ms (5 tiles timed)
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 }, -- 31.24 ms vs the spec's r16n1u1f16: 31.24 ms (5 tiles timed)
    },
    ["bitnet-b1.58-2b-4t-tq2-0"] = {
      tq2_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 0 },
      tq2_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq2_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 16 },
      tq2_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq2_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 16 },
    },
  },
}
