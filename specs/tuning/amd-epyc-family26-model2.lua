-- bitgen tuning file (gen/tuning.lua): tiles measured fastest on the CPU named below by `bitgen tune`
-- (bitgen 0.1.0); the last run: bitgen tune bitnet-b1.58-2b-4t.lua.
-- Per kernel: median time with one thread, hot (GEMV per call, GEMM at N = 128 or its batch), and the
-- spec's tile for comparison.  Use: bitgen generate SPEC --tuning THIS_FILE
return {
  cpu = "AMD EPYC (x86_64 family 26 model 2 stepping 1)",
  avx2 = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemv_2560x2560 = { rows = 4, unroll = 4 }, -- 45.9 us vs the spec's r4u4: 45.9 us (8 tiles timed)
      i2s_gemv_640x2560 = { rows = 4, unroll = 4 }, -- 10.8 us vs the spec's r4u4: 10.8 us (8 tiles timed)
      i2s_gemv_6912x2560 = { rows = 4, unroll = 4 }, -- 125.1 us vs the spec's r4u4: 125.1 us (8 tiles timed)
      i2s_gemv_2560x6912 = { rows = 4, unroll = 4 }, -- 123.0 us vs the spec's r4u4: 123.0 us (8 tiles timed)
      i2s_gemm_2560x2560xn = { rows = 2, tokens = 3, unroll = 4 }, -- 4.73 ms vs the spec's r2n4u1: 6.92 ms (15 tiles timed)
      i2s_gemm_640x2560xn = { rows = 2, tokens = 4, unroll = 1 }, -- 1.18 ms vs the spec's r2n4u1: 1.18 ms (15 tiles timed)
      i2s_gemm_6912x2560xn = { rows = 2, tokens = 3, unroll = 4 }, -- 14.08 ms vs the spec's r2n4u1: 19.46 ms (15 tiles timed)
      i2s_gemm_2560x6912xn = { rows = 2, tokens = 3, unroll = 4 }, -- 14.14 ms vs the spec's r2n4u1: 15.80 ms (15 tiles timed)
    },
  },
  avx512vnni = {
    ["bitnet-b1.58-2b-4t"] = {
      i2s_gemv_2560x2560 = { rows = 8, unroll = 2 }, -- 19.3 us vs the spec's r8u2: 19.3 us (7 tiles timed)
      i2s_gemv_640x2560 = { rows = 8, unroll = 2 }, -- 4161 ns vs the spec's r8u2: 4161 ns (7 tiles timed)
      i2s_gemv_6912x2560 = { rows = 8, unroll = 2 }, -- 52.9 us vs the spec's r8u2: 52.9 us (7 tiles timed)
      i2s_gemv_2560x6912 = { rows = 8, unroll = 2 }, -- 50.4 us vs the spec's r8u2: 50.4 us (7 tiles timed)
      i2s_gemm_2560x2560xn = { rows = 8, tokens = 4, unroll = 4 }, -- 1.67 ms vs the spec's r8n6u1: 2.22 ms (19 tiles timed)
      i2s_gemm_640x2560xn = { rows = 8, tokens = 4, unroll = 4 }, -- 416.7 us vs the spec's r8n6u1: 542.2 us (19 tiles timed)
      i2s_gemm_6912x2560xn = { rows = 8, tokens = 4, unroll = 4 }, -- 4.55 ms vs the spec's r8n6u1: 10.46 ms (19 tiles timed)
      i2s_gemm_2560x6912xn = { rows = 8, tokens = 5, unroll = 2 }, -- 4.80 ms vs the spec's r8n6u1: 13.67 ms (19 tiles timed)
    },
  },
}
