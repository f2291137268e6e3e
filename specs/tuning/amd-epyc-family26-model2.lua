-- bitgen tuning file (gen/tuning.lua): tiles measured fastest on the CPU named below by `bitgen tune`
-- (bitgen 0.1.0); the last run: bitgen tune bitnet-b1.58-2b-4t.lua.
-- Per kernel: median time per call with one thread (GEMV cold, weights streamed from memory, and hot;
-- GEMM hot at N = 128 or its batch), and the spec's tile for comparison.  prefetch: KiB ahead.
-- Use: bitgen generate SPEC --tuning THIS_FILE
-- formats: i2s or tl per ternary matrix, decided on avx512vnni.
return {
  cpu = "AMD EPYC (x86_64 family 26 model 2 stepping 1)",
  formats = {
    ["bitnet-b1.58-2b-4t"] = {
      attn_q = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 38.3 us + 13.4 us, tl 41.5 us + 19.9 us
      attn_k = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 9539 ns + 3315 ns, tl 9973 ns + 4999 ns
      attn_v = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 9539 ns + 3315 ns, tl 9973 ns + 4999 ns
      attn_o = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 38.3 us + 13.4 us, tl 41.5 us + 19.9 us
      ffn_gate = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 103.1 us + 37.7 us, tl 112.0 us + 54.4 us
      ffn_up = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 103.1 us + 37.7 us, tl 112.0 us + 54.4 us
      ffn_down = "i2s", -- per token, decode (GEMV cold) + prefill (GEMM / 128): i2s 105.1 us + 36.4 us, tl 112.2 us + 68.5 us
    },
  },
  avx2 = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemv_2560x2560 = { rows = 4, unroll = 2, prefetch = 16 }, -- cold 47.5 us (hot 47.2 us) vs the spec's r4u4f16: cold 53.5 us (hot 47.3 us) (18 tiles timed)
      i2s_gemv_640x2560 = { rows = 4, unroll = 1, prefetch = 16 }, -- cold 11.9 us (hot 11.2 us) vs the spec's r4u4f16: cold 13.6 us (hot 10.9 us) (18 tiles timed)
      i2s_gemv_6912x2560 = { rows = 4, unroll = 1, prefetch = 16 }, -- cold 128.2 us (hot 126.2 us) vs the spec's r4u4f16: cold 142.5 us (hot 127.3 us) (18 tiles timed)
      i2s_gemv_2560x6912 = { rows = 4, unroll = 1, prefetch = 64 }, -- cold 127.9 us (hot 122.9 us) vs the spec's r4u4f16: cold 134.2 us (hot 123.3 us) (18 tiles timed)
      i2s_gemm_2560x2560xn = { rows = 2, tokens = 4, unroll = 2 }, -- 4.60 ms vs the spec's r2n4u1: 4.87 ms (15 tiles timed)
      i2s_gemm_640x2560xn = { rows = 2, tokens = 4, unroll = 2 }, -- 1.14 ms vs the spec's r2n4u1: 1.17 ms (15 tiles timed)
      i2s_gemm_6912x2560xn = { rows = 2, tokens = 4, unroll = 2 }, -- 12.92 ms vs the spec's r2n4u1: 13.44 ms (15 tiles timed)
      i2s_gemm_2560x6912xn = { rows = 2, tokens = 4, unroll = 4 }, -- 12.72 ms vs the spec's r2n4u1: 13.37 ms (15 tiles timed)
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
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq1_0_gemv_2560x6912 = { rows = 8, unroll = 1, prefetch = 64 },
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 4 },
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
      i2s_gemv_2560x2560 = { rows = 2, unroll = 4, prefetch = 16 }, -- cold 40.3 us (hot 38.0 us) vs the spec's r2u2f16: cold 41.2 us (hot 38.2 us) (13 tiles timed)
      i2s_gemv_640x2560 = { rows = 2, unroll = 4, prefetch = 16 }, -- cold 10.1 us (hot 8855 ns) vs the spec's r2u2f16: cold 10.4 us (hot 9055 ns) (13 tiles timed)
      i2s_gemv_6912x2560 = { rows = 2, unroll = 4, prefetch = 64 }, -- cold 109.2 us (hot 102.7 us) vs the spec's r2u2f16: cold 112.0 us (hot 102.3 us) (13 tiles timed)
      i2s_gemv_2560x6912 = { rows = 2, unroll = 2, prefetch = 64 }, -- cold 106.5 us (hot 97.2 us) vs the spec's r2u2f16: cold 109.4 us (hot 100.4 us) (13 tiles timed)
      i2s_gemm_2560x2560xn = { rows = 2, tokens = 4, unroll = 3 }, -- 3.83 ms vs the spec's r2n5u1: 4.31 ms (15 tiles timed)
      i2s_gemm_640x2560xn = { rows = 2, tokens = 5, unroll = 3 }, -- 931.3 us vs the spec's r2n5u1: 1.05 ms (15 tiles timed)
      i2s_gemm_6912x2560xn = { rows = 2, tokens = 4, unroll = 3 }, -- 10.25 ms vs the spec's r2n5u1: 11.82 ms (15 tiles timed)
      i2s_gemm_2560x6912xn = { rows = 2, tokens = 5, unroll = 3 }, -- 10.07 ms vs the spec's r2n5u1: 11.42 ms (15 tiles timed)
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
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 64 },
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      tq1_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 64 },
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 64 },
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 64 },
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
      i2s_gemv_2560x2560 = { rows = 8, unroll = 2, prefetch = 16 }, -- cold 38.3 us (hot 18.6 us) vs the spec's r8u2f4: cold 39.9 us (hot 18.1 us) (16 tiles timed)
      i2s_gemv_640x2560 = { rows = 8, unroll = 2, prefetch = 16 }, -- cold 9539 ns (hot 4214 ns) vs the spec's r8u2f4: cold 10.1 us (hot 4189 ns) (16 tiles timed)
      i2s_gemv_6912x2560 = { rows = 8, unroll = 2, prefetch = 16 }, -- cold 103.1 us (hot 50.1 us) vs the spec's r8u2f4: cold 108.4 us (hot 49.2 us) (16 tiles timed)
      i2s_gemv_2560x6912 = { rows = 8, unroll = 2, prefetch = 16 }, -- cold 105.1 us (hot 48.0 us) vs the spec's r8u2f4: cold 108.2 us (hot 47.7 us) (16 tiles timed)
      i2s_gemm_2560x2560xn = { rows = 8, tokens = 4, unroll = 1 }, -- 1.72 ms vs the spec's r8n4u1: 1.72 ms (15 tiles timed)
      i2s_gemm_640x2560xn = { rows = 8, tokens = 4, unroll = 1 }, -- 424.3 us vs the spec's r8n4u1: 424.3 us (15 tiles timed)
      i2s_gemm_6912x2560xn = { rows = 8, tokens = 4, unroll = 1 }, -- 4.82 ms vs the spec's r8n4u1: 4.82 ms (15 tiles timed)
      i2s_gemm_2560x6912xn = { rows = 8, tokens = 4, unroll = 1 }, -- 4.66 ms vs the spec's r8n4u1: 4.66 ms (15 tiles timed)
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
      tq1_0_gemm_2560x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq1_0_gemm_2560x6912xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq1_0_gemm_640x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq1_0_gemm_6912x2560xn = { rows = 16, tokens = 1, unroll = 1, prefetch = 16 },
      tq1_0_gemv_2560x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq1_0_gemv_2560x6912 = { rows = 16, unroll = 1, prefetch = 16 },
      tq1_0_gemv_640x2560 = { rows = 16, unroll = 1, prefetch = 16 },
      tq1_0_gemv_6912x2560 = { rows = 16, unroll = 1, prefetch = 16 },
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
