-- Every file bitgen embeds: its own Lua modules, the templates, and the
-- runtime copied into packages.  The top-level meson.build reads this list
-- (through `lua5.4 gen/bitgen.lua manifest`), so it is written only here.
return {
  lua = { "bitgen", "manifest", "isa", "formats", "arch", "srcpos", "sandbox", "spec", "kernels", "template", "pkg", "gguf_spec", "ops", "tuning", "tune" },
  -- other sources bitgen carries: the timing driver `bitgen tune` compiles
  tools = { "tune_time.c" },
  templates = {
    "i2s_gemv_scalar.c", "i2s_gemv_ymm.c", "i2s_gemv_zmm.c", "store_rows_ymm.inc",
    "i2s_gemm_scalar.c", "i2s_gemm_ymm.c", "i2s_gemm_zmm.c", "gemm_token_loop.inc", "k_loop.inc", "ymm_dpbusd.inc",
    "i2s_gemv_neon.c", "i2s_gemm_neon.c", "i2s_gemm_i8mm.c", "store_rows_neon.inc",
    "i2s_gemv_sve.c", "i2s_gemm_sve.c", "vla_setup_sve.inc", "i2s_gemv_rvv.c", "i2s_gemm_rvv.c", "vla_setup_rvv.inc",
    "blk_scalar.c", "blk_ymm.c", "blk_zmm.c", "blk_prefetch.inc", "tq2_0_ymm.inc", "tq2_0_zmm.inc", "tq1_0_ymm.inc", "tq1_0_zmm.inc",
    "q4_0_ymm.inc", "q4_0_zmm.inc", "q8_0_ymm.inc", "q8_0_zmm.inc", "tl_scalar.c", "tl_ymm.c", "tl_gemm_ymm.c", "tl_zmm.c",
    "blk_neon.c", "tq2_0_neon.inc", "tq1_0_neon.inc", "q4_0_neon.inc", "q8_0_neon.inc", "blk_sve.c", "blk_rvv.c",
    "tl_neon.c", "tl_sve.c", "tl_rvv.c",
    "q6_k_zmm.inc", "q6_k_ymm.inc", "q6_k_neon.inc",
    "fp_scalar.c", "fp_ymm.c", "fp_zmm.c", "fp_neon.c", "fp_sve.c", "fp_rvv.c", "api_fp.c", "api_fp.h",
    "api_model.h", "api_model.c",
    "ops.c", "ops_vec_scalar.inc", "ops_vec_ymm.inc", "ops_vec_zmm.inc", "model_run.h", "model_run.c",
    "package.h", "api_i2s.h", "api_block.h", "api_tl.h", "api_i2s.c", "api_block.c", "api_tl.c", "api_ternary_packers.c", "api_ternary_packers.h", "dispatch.c", "api.c",
    "api_uniform.h", "api_uniform.c", "package_lowlevel.h",
    "verify_main.c", "package_meson.build", "meson_options.txt",
    "package_readme.md", "package_internal.h", "package_cmake.txt", "package_config.cmake.in",
    "package_config_version.cmake", "package.mk", "package_makefile",
  },
  -- runtime sources and headers, copied verbatim into every package
  runtime = {
    "bitgen_rt.h", "bitgen_types.h", "bitgen_fmt.h", "bitgen_pool.h", "cpu_internal.h", "quant_internal.h", "tl_internal.h",
    "status.c", "cpu.c", "cpu_x86.c", "cpu_arm.c", "cpu_riscv.c", "alloc.c", "pack_i2s.c",
    "quant.c", "quant_x86.c", "quant_blk_x86.c", "ref.c", "select.c", "verify.c", "pool.c", "drive.c", "digest.c",
    "fp16.c", "format.c", "pack_blk.c", "quant_blk.c", "ref_blk.c", "pack_tl.c", "tl_tables.c", "scales.c",
    "bitgen_gguf.h", "gguf.c",
    "bitgen_tok.h", "tokenizer.c", "tok_unicode.c",
    "bitgen_fmt_more.h", "pack_q6k.c", "pack_fp.c", "rows.c",
    "bitgen_load.h", "model_load.c",
    "bitgen_run.h", "sample.c",
  },
}
