-- The ISA table: one row per instruction set a kernel can be generated for.
-- Order is preference (best last); the dispatcher tries the best first.
--   arch      host CPU family the variant compiles for ("any" = portable C)
--   flags     compiler flags for that ISA's kernel files (gcc and clang agree)
--   features  runtime CPU features (runtime/bitgen_rt.h) the variant needs
--   vregs     vector registers a tile may use (register budget)
--   emulate   optional: builds of the same source that compute the same
--             results with other instructions, so that a machine without the
--             ISA still checks its kernels' logic bit-exact; a list of
--             {key, flags, features, why}, most widely runnable first
local M = {}

M.list = {
  { name = "scalar", arch = "any", flags = {}, features = {}, vregs = 16,
    doc = "portable C, baseline flags" },
  { name = "avx2", arch = "x86_64", flags = { "-mavx2", "-mf16c" }, features = { "AVX2", "F16C" }, vregs = 16,
    doc = "AVX2: vpmaddubsw + vpmaddwd" },
  { name = "avxvnni", arch = "x86_64", flags = { "-mavx2", "-mf16c", "-mavxvnni" }, features = { "AVX2", "F16C", "AVXVNNI" },
    vregs = 16, doc = "AVX-VNNI: 256-bit vpdpbusd (VEX)",
    emulate = {
      { key = "avx2", flags = { "-mavx2", "-mf16c" }, features = { "AVX2", "F16C" },
        why = "vpdpbusd computed exactly by AVX2: widened operands, vpmaddwd, pair adds" },
      { key = "evex", flags = { "-mavx2", "-mf16c", "-mavx512f", "-mavx512vl", "-mavx512vnni" },
        features = { "AVX2", "F16C", "AVX512F", "AVX512VL", "AVX512VNNI" },
        why = "same vpdpbusd on ymm, EVEX-encoded (AVX512VL+VNNI)" },
    } },
  { name = "avx512vnni", arch = "x86_64", flags = { "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni" },
    features = { "AVX512F", "AVX512BW", "AVX512VL", "AVX512VNNI" }, vregs = 32,
    doc = "AVX-512 VNNI: 512-bit vpdpbusd" },
  -- Arm: the architecture's baseline NEON needs no flag.
  { name = "neon", arch = "aarch64", flags = {}, features = { "NEON" }, vregs = 32,
    doc = "Armv8.0 NEON: smull/smlal into int16, sadalp into int32" },
  { name = "neondot", arch = "aarch64", flags = { "-march=armv8.2-a+dotprod" }, features = { "NEON", "DOTPROD" },
    vregs = 32, doc = "Armv8.2 dot product: sdot" },
  { name = "i8mm", arch = "aarch64", flags = { "-march=armv8.2-a+dotprod+i8mm" },
    features = { "NEON", "DOTPROD", "I8MM" }, vregs = 32, doc = "Armv8.6 int8 matrix multiply: smmla GEMM, sdot GEMV" },
  { name = "sve", arch = "aarch64", flags = { "-march=armv8.2-a+sve" }, features = { "SVE" }, vregs = 32,
    doc = "SVE, vector-length agnostic: sdot" },
  { name = "rvv", arch = "riscv64", flags = { "-march=rv64gcv" }, features = { "RVV" }, vregs = 32,
    doc = "RISC-V V 1.0, vector-length agnostic: vwmacc into int16, vwredsum into int32" },
}

M.by_name = {}
for rank, isa in ipairs(M.list) do
  isa.rank = rank
  M.by_name[isa.name] = isa
end

function M.names()
  local t = {}
  for _, isa in ipairs(M.list) do t[#t + 1] = isa.name end
  return t
end

return M
