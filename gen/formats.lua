-- The weight-format table.  A format names its block (K must be a multiple),
-- the activation format it pairs with, the template of each (op, ISA), the
-- default tile per ISA and the register budget of a tile.
local M = {}

-- Registers a tile needs, by template family; the validator compares the
-- total with the ISA's vregs and reports the breakdown.
local budgets = {
  -- 64-byte loads hold two rows; one accumulator per 2-bit field per row pair,
  -- 4 broadcast activation vectors, 4 field masks, a load and a masked temp.
  zmm_inplace = function(t) return { accumulators = 2 * t.rows, activations = 4, masks = 4, temporaries = 2 } end,
  -- AVX2: two int16 sums per row (fields at scale 1 and 4); the int32 sums are
  -- touched once per group of 8 chunks (not counted: they may live on the
  -- stack); activations are memory operands; 2 masks; load, shifted load, product.
  ymm_shift = function(t) return { accumulators = 2 * t.rows, constants = 2, temporaries = 3 } end,
  -- AVX-VNNI: one int32 sum per field and row (masked in place); 4 masks; load, field.
  ymm_vnni = function(t) return { accumulators = 4 * t.rows, constants = 4, temporaries = 2 } end,
  scalar = function(t) return { accumulators = t.rows, temporaries = 4 } end,
  -- GEMM, field by field: one accumulator per (row register, token), the
  -- current field of each row register, one activation broadcast, a mask.
  zmm_gemm = function(t) return { accumulators = t.rows // 2 * t.tokens, fields = t.rows // 2, activations = 1,
                                  constants = 1, temporaries = 1 } end,
  ymm_gemm_vnni = function(t) return { accumulators = t.rows * t.tokens, fields = t.rows, activations = 1,
                                       constants = 1, temporaries = 1 } end,
  ymm_gemm = function(t) return { accumulators = t.rows * t.tokens, fields = t.rows, activations = 1,
                                  constants = 2, temporaries = 1 } end,
  scalar_gemm = function(t) return { accumulators = t.rows * t.tokens, temporaries = 4 } end,
  -- NEON GEMV: one int32 accumulator per row, a chunk's 8 activation
  -- registers, the field mask, a weight half and its field; smull/smlal add
  -- two int16 product registers.
  neon_dot = function(t) return { accumulators = t.rows, activations = 8, constants = 1, temporaries = 2 } end,
  neon_widen = function(t) return { accumulators = t.rows, activations = 8, constants = 1, temporaries = 4 } end,
  -- NEON GEMM, field by field: both 16-byte halves of the field per row,
  -- two activation halves per token, a load or int16 product temporary.
  neon_gemm = function(t) return { accumulators = t.rows * t.tokens, fields = 2 * t.rows, activations = 2,
                                   constants = 1, temporaries = 1 } end,
  -- smmla: a 2x2 accumulator per row pair and token pair; each row pair's
  -- field as two 2x8 operands; two loads and two 2x8 operands per token pair.
  neon_mmla = function(t) return { accumulators = t.rows // 2 * ((t.tokens + 1) // 2), fields = t.rows,
                                   activations = 4, constants = 1 } end,
  -- SVE and RVV (vector-length agnostic): weights replicated to the vector
  -- by a table lookup and shifted per lane: lane numbers, lookup indices and
  -- the step's shifts stay live (RVV also a zero for vwredsum).  RVV
  -- accumulates in int16 register pairs (m2), flushed into int32 scalars.
  sve = function(t) return { accumulators = t.rows, activations = 1, constants = 3, temporaries = 2 } end,
  sve_gemm = function(t) return { accumulators = t.rows * t.tokens, fields = t.rows, activations = 1,
                                  constants = 3, temporaries = 1 } end,
  rvv = function(t) return { accumulators = 2 * t.rows, activations = 1, constants = 4, temporaries = 2 } end,
  rvv_gemm = function(t) return { accumulators = 2 * t.rows * t.tokens, fields = t.rows, activations = 1,
                                  constants = 4, temporaries = 1 } end,
}

-- Block formats (tq2_0, tq1_0, q4_0, q8_0) and tl: one kernel per ISA
-- family serves GEMV and GEMM (tokens loop around a row tile).
-- (16-row groups on zmm, 8-row groups on ymm, one after the other).
budgets.blk = function(t) return { partials = 16, activations = 5, constants = 4, temporaries = 4 } end
budgets.blk_ymm = function(t) return { partials = 8, constants = 3, temporaries = 4 } end
budgets.blk_scalar = function(t) return { accumulators = t.rows, temporaries = 4 } end
-- tl: per 32-row stripe an int16 and two int32 accumulators; the three
-- tables of a word column; the word and a looked-up value.
budgets.tl_zmm = function(t) return { accumulators = 3 * (t.rows // 32), tables = 3, temporaries = 2 } end
-- ymm: an int16 sum per 16-row stripe (its int32 sums are touched once per
-- 28 words, not counted: they may live on the stack); the word's six split
-- tables (low and high bytes of three); the word, an index, a value, a sum.
budgets.tl_ymm = function(t) return { accumulators = t.rows // 16, tables = 6, temporaries = 4 } end
-- ymm GEMM: two sums per token (rows 0-3, 8-11 and 4-7, 12-15 of a stripe;
-- int16 on AVX2, whose int32 sums are touched once per 64 steps and not
-- counted, int32 on AVX-VNNI); the step's two code vectors; a broadcast.
budgets.tl_gemm_ymm = function(t) return { accumulators = 2 * t.tokens, weights = 2, activations = 1 } end
-- NEON: a float accumulator per 4 rows, the 4 int32 row partials of the
-- group being summed, 2 activation halves, constants and decode temporaries.
budgets.blk_neon = function(t) return { accumulators = t.rows // 4, partials = 4, activations = 2, constants = 3,
                                        temporaries = 3 } end
-- SVE / RVV: one row at a time (int32 lanes or a vwredsum chain), the
-- activation segment, decode constants and temporaries (RVV: m2 products).
budgets.blk_sve = function(t) return { accumulators = 1, activations = 1, constants = 2, temporaries = 3 } end
budgets.blk_rvv = function(t) return { accumulators = 1, activations = 1, constants = 1, temporaries = 4 } end
-- tl NEON: per 8 rows an int16 and two int32 accumulators; the three 64-byte
-- tables of a word (4 registers each); the word, an index and a value.
budgets.tl_neon = function(t) return { accumulators = 3 * (t.rows // 8), tables = 12, temporaries = 3 } end
-- tl SVE: int16 + 2 int32 accumulators for one vector of rows, a table piece,
-- the word, an index and a value.  RVV (LMUL 4 registers, int32 in LMUL 8):
-- 8 + 4 accumulators, a table, the word, an index and a value.
budgets.tl_sve = function(t) return { accumulators = 3, tables = 1, temporaries = 3 } end
budgets.tl_rvv = function(t) return { accumulators = 12, tables = 4, temporaries = 12 } end

M.by_name = {}

M.by_name.i2s = {
  block = 128,            -- elements per 32-byte chunk of one row
  bits = 2,
  activations = "q8",     -- int8 per token, absmax scale, with sum
  max_k = 1 << 20,        -- keeps every int32 accumulator exact (see docs/DESIGN.md)
  pack_rows = 8,          -- default rows per pack tile
  doc = "ternary, 2-bit codes w+1, bitgen tiled layout; imports BitNet I2_S",
  ops = {
    gemv = {
      scalar     = { template = "i2s_gemv_scalar.c", budget = "scalar", tile = { rows = 4, unroll = 1 } },
      -- prefetch: KiB ahead of each row's stream.  ymm: 16 (cold sweep, 1
      -- thread, Zen 5: 0.66-0.70 of the streaming bound at 4, 0.75 at 16 for
      -- avx2; 0.53-0.58 -> 0.79-0.82 for avxvnni, 64 no better)
      avx2       = { template = "i2s_gemv_ymm.c", budget = "ymm_shift", tile = { rows = 4, unroll = 4, prefetch = 16 } },
      avxvnni    = { template = "i2s_gemv_ymm.c", budget = "ymm_vnni", tile = { rows = 2, unroll = 2, prefetch = 16 } },
      avx512vnni = { template = "i2s_gemv_zmm.c", budget = "zmm_inplace", tile = { rows = 8, unroll = 2, prefetch = 4 },
                     row_multiple = 2 },
      neon       = { template = "i2s_gemv_neon.c", budget = "neon_widen", tile = { rows = 8, unroll = 1 } },
      neondot    = { template = "i2s_gemv_neon.c", budget = "neon_dot", tile = { rows = 8, unroll = 1 } },
      i8mm       = { template = "i2s_gemv_neon.c", budget = "neon_dot", tile = { rows = 8, unroll = 1 } },
      sve        = { template = "i2s_gemv_sve.c", budget = "sve", tile = { rows = 8, unroll = 1 } },
      rvv        = { template = "i2s_gemv_rvv.c", budget = "rvv", tile = { rows = 8, unroll = 2 } },
    },
    gemm = {
      scalar     = { template = "i2s_gemm_scalar.c", budget = "scalar_gemm", tile = { rows = 2, tokens = 4, unroll = 1 } },
      avx2       = { template = "i2s_gemm_ymm.c", budget = "ymm_gemm", tile = { rows = 2, tokens = 4, unroll = 1 } },
      avxvnni    = { template = "i2s_gemm_ymm.c", budget = "ymm_gemm_vnni", tile = { rows = 2, tokens = 5, unroll = 1 } },
      -- 4 tokens, not 6: with 6, gcc keeps all four fields of each row pair
      -- live and spills zmm sums to the stack (41 stack accesses against 3
      -- in the loop), 1.25-1.31x slower at N = 128 on the Zen 5 EPYC
      avx512vnni = { template = "i2s_gemm_zmm.c", budget = "zmm_gemm", tile = { rows = 8, tokens = 4, unroll = 1 },
                     row_multiple = 2 },
      neon       = { template = "i2s_gemm_neon.c", budget = "neon_gemm", tile = { rows = 4, tokens = 4, unroll = 1 } },
      neondot    = { template = "i2s_gemm_neon.c", budget = "neon_gemm", tile = { rows = 4, tokens = 4, unroll = 1 } },
      i8mm       = { template = "i2s_gemm_i8mm.c", budget = "neon_mmla", tile = { rows = 8, tokens = 4, unroll = 1 },
                     row_multiple = 2 },
      sve        = { template = "i2s_gemm_sve.c", budget = "sve_gemm", tile = { rows = 4, tokens = 4, unroll = 1 } },
      rvv        = { template = "i2s_gemm_rvv.c", budget = "rvv_gemm", tile = { rows = 2, tokens = 4, unroll = 2 } },
    },
  },
}

-- A block format: its kernels per ISA.  off: the offset x86 adds to make the
-- weights unsigned for u8 x s8 instructions (corrected with the activation
-- block sums); rpv: rows per register of the zmm / ymm partial sums.
local function block_format(name, t)
  local scalar = { template = "blk_scalar.c", budget = "blk_scalar", tile = { rows = 4, unroll = 1 } }
  -- ymm_rows: the default row tile of the 256-bit kernels (8-row groups);
  -- 16 = the pack tile, so a tile's blocks are one contiguous stream
  -- prefetch: KiB ahead (templates/blk_prefetch.inc), per format and ISA
  local pf = t.prefetch or {}
  local function ymm_impl(isa)
    return { template = "blk_ymm.c", budget = "blk_ymm", row_multiple = 8,
             tile = { rows = t.ymm_rows or 8, unroll = 1, prefetch = pf[isa] or 64 } }
  end
  local ymm, ymm_vnni = ymm_impl("avx2"), ymm_impl("avxvnni")
  local zmm = { template = "blk_zmm.c", budget = "blk", tile = { rows = 16, unroll = 1, prefetch = 16 }, row_multiple = 16 }
  local neon = { template = "blk_neon.c", budget = "blk_neon", tile = { rows = 4, unroll = 1 }, row_multiple = 4 }
  local sve = { template = "blk_sve.c", budget = "blk_sve", tile = { rows = 4, unroll = 1 } }
  local rvv = { template = "blk_rvv.c", budget = "blk_rvv", tile = { rows = 4, unroll = 1 } }
  local ops = {}
  for _, op in ipairs({ "gemv", "gemm" }) do
    ops[op] = { scalar = scalar, avx2 = ymm, avxvnni = ymm_vnni, avx512vnni = zmm,
                neon = neon, neondot = neon, i8mm = neon, sve = sve, rvv = rvv }
  end
  t.ops = ops
  t.kind = "block"
  t.max_k = 1 << 20
  t.pack_rows = 16
  M.by_name[name] = t
end

block_format("tq2_0", { block = 256, qbytes = 64, bits = 2.0625, off = 1, rpv = { zmm = 1, ymm = 1 },
                        activations = "q8 blocks of 256 (Q8_K-style)", ymm_rows = 16,
                        prefetch = { avx2 = 16, avxvnni = 16 },
                        doc = "ternary, ggml TQ2_0 blocks of 256: 2-bit codes + f16 scale" })
block_format("tq1_0", { block = 256, qbytes = 52, bits = 1.6875, off = 1, rpv = { zmm = 1, ymm = 1 },
                        activations = "q8 blocks of 256 (Q8_K-style)", ymm_rows = 16,
                        doc = "ternary, ggml TQ1_0 blocks of 256: 5 trits per byte + f16 scale" })
block_format("q4_0", { block = 32, ymm_rows = 16, qbytes = 16, bits = 4.5, off = 8, rpv = { zmm = 4, ymm = 2 },
                       activations = "q8 blocks of 32",
                       doc = "4-bit, ggml Q4_0 blocks of 32: nibbles q, value (q - 8) * f16 scale" })
block_format("q6_k", { block = 256, qbytes = 208, bits = 6.5625, off = 0, rpv = { zmm = 1, ymm = 1 },
                       activations = "q8 blocks of 256 (Q8_K-style)",
                       doc = "6-bit, ggml Q6_K super-blocks of 256: 6-bit q, int8 scale per 16, f16 d; value d * scale * q" })
-- AVX-VNNI q8_0 prefetches 16 KiB ahead: 64 KiB cost it about a fifth of its
-- hot, cache-resident speed (18 -> 15 B/cycle) for 0.86 against 0.80 cold
block_format("q8_0", { block = 32, ymm_rows = 16, qbytes = 32, bits = 8.5, off = 128, off_avx2 = 0, rpv = { zmm = 2, ymm = 1 },
                       prefetch = { avxvnni = 16 },
                       activations = "q8 blocks of 32",
                       doc = "8-bit, ggml Q8_0 blocks of 32: int8 values * f16 scale" })

do
  local ops = {}
  for _, op in ipairs({ "gemv", "gemm" }) do
    ops[op] = {
      scalar     = { template = "tl_scalar.c", budget = "blk_scalar", tile = { rows = 4, unroll = 1 } },
      avx2       = { template = "tl_ymm.c", budget = "tl_ymm", tile = { rows = 64, unroll = 1 }, row_multiple = 16 },
      avxvnni    = { template = "tl_ymm.c", budget = "tl_ymm", tile = { rows = 64, unroll = 1 }, row_multiple = 16 },
      avx512vnni = { template = "tl_zmm.c", budget = "tl_zmm", tile = { rows = 128, unroll = 1, prefetch = 4 },
                     row_multiple = 32 },
      neon       = { template = "tl_neon.c", budget = "tl_neon", tile = { rows = 32, unroll = 1 }, row_multiple = 8 },
      neondot    = { template = "tl_neon.c", budget = "tl_neon", tile = { rows = 32, unroll = 1 }, row_multiple = 8 },
      i8mm       = { template = "tl_neon.c", budget = "tl_neon", tile = { rows = 32, unroll = 1 }, row_multiple = 8 },
      sve        = { template = "tl_sve.c", budget = "tl_sve", tile = { rows = 32, unroll = 1 } },
      rvv        = { template = "tl_rvv.c", budget = "tl_rvv", tile = { rows = 32, unroll = 1 } },
    }
  end
  -- GEMM: the words of a 16-row stripe decoded once into byte codes, then
  -- every token over them (templates/tl_gemm_ymm.c)
  -- into scratch from the driver (bitgen_acts.scratch): the stripe's codes
  -- (64 bytes per step of 4 weights), per token its sum and one activation
  -- dword per step; returns the fixed and per-token bytes
  local function tl_gemm_scratch(d)
    local steps = 9 * (((d.K + 8) // 9 + 3) // 4)
    return steps * 64 + 64 + 16, steps * 4 + 4
  end
  ops.gemm.avx2 = { template = "tl_gemm_ymm.c", budget = "tl_gemm_ymm", tile = { rows = 64, tokens = 6, unroll = 1 },
                    row_multiple = 16, scratch = tl_gemm_scratch }
  ops.gemm.avxvnni = { template = "tl_gemm_ymm.c", budget = "tl_gemm_ymm", tile = { rows = 64, tokens = 6, unroll = 1 },
                       row_multiple = 16, scratch = tl_gemm_scratch }
  M.by_name.tl = {
    kind = "tl", block = 1, bits = 16 / 9, max_k = 1 << 20, pack_rows = 128, activations = "q8 + lookup tables",
    doc = "ternary, table lookup: 3 trits -> 5-bit index, 3 per 16-bit word; per-token int16 tables of 27 sums",
    ops = ops,
  }
end
M.by_name.i2s.kind = "i2s"

-- f16 / bf16: row-major 16-bit float weights, f32 activations, one
-- canonical summation order on every ISA (runtime/bitgen_fmt_more.h):
-- 16 lane sums over K, then a fixed tree.  The block (16) is the lanes.
-- Budgets: per row the 16 lanes' accumulators (1 zmm, 2 ymm, 4 NEON or
-- SVE registers at 128 bits, 1 RVV LMUL-4 group of 4), the activations
-- and a converted weight.
budgets.fp_zmm = function(t) return { accumulators = t.rows, activations = 1, temporaries = 2 } end
budgets.fp_ymm = function(t) return { accumulators = 2 * t.rows, activations = 2, temporaries = 2 } end
budgets.fp_neon = function(t) return { accumulators = 4 * t.rows, activations = 4, temporaries = 2 } end
budgets.fp_sve = function(t) return { accumulators = 4 * t.rows, activations = 4, temporaries = 2 } end
budgets.fp_rvv = function(t) return { accumulators = 4 * t.rows, activations = 4, temporaries = 4 } end
for _, name in ipairs({ "f16", "bf16" }) do
  local ops = {}
  for _, op in ipairs({ "gemv", "gemm" }) do
    ops[op] = {
      scalar     = { template = "fp_scalar.c", budget = "blk_scalar", tile = { rows = 4, unroll = 1 } },
      avx2       = { template = "fp_ymm.c", budget = "fp_ymm", tile = { rows = 4, unroll = 1 } },
      avxvnni    = { template = "fp_ymm.c", budget = "fp_ymm", tile = { rows = 4, unroll = 1 } },
      avx512vnni = { template = "fp_zmm.c", budget = "fp_zmm", tile = { rows = 8, unroll = 1 } },
      neon       = { template = "fp_neon.c", budget = "fp_neon", tile = { rows = 4, unroll = 1 } },
      neondot    = { template = "fp_neon.c", budget = "fp_neon", tile = { rows = 4, unroll = 1 } },
      i8mm       = { template = "fp_neon.c", budget = "fp_neon", tile = { rows = 4, unroll = 1 } },
      sve        = { template = "fp_sve.c", budget = "fp_sve", tile = { rows = 4, unroll = 1 } },
      rvv        = { template = "fp_rvv.c", budget = "fp_rvv", tile = { rows = 4, unroll = 1 } },
    }
  end
  M.by_name[name] = {
    kind = "fp", block = 16, bits = 16, max_k = 1 << 24, pack_rows = 16, activations = "f32",
    doc = name == "f16" and "IEEE half-precision weights, row-major (ggml F16)" or
      "bfloat16 weights, row-major (ggml BF16)",
    ops = ops,
  }
end

-- Instruction budget of the x86 kernels' inner loops: per 32 bytes of
-- packed weights and per token, the vector ALU operations (what bounds a core
-- that issues `per_cycle` of them each cycle: 4 on Zen 3-5, ymm or zmm, as
-- Zen 5 has full-width 512-bit units; Zen 4 runs 2 zmm, Intel P-cores 3) and
-- all instructions, counted from the generated code (gcc 12 -O3) at the
-- default tile with scripts/count_loop.py; docs/DESIGN.md "AVX2 instruction
-- budgets" has the counts.  Carried into each variant (bitgen_variant
-- alu32 / instr32) so that the bench sets them against the measured bytes per
-- cycle.  A tile other than the default (but for its prefetch distance) or
-- a format without an entry states none (0).
M.costs = {
  per_cycle = { avx2 = 4, avxvnni = 4, avx512vnni = 4 },
  i2s = {
    gemv = { avx2 = { alu = 13, instr = 15.6 }, avxvnni = { alu = 8, instr = 12.8 },
             avx512vnni = { alu = 4, instr = 7.1 } },
    gemm = { avx2 = { alu = 9.75, instr = 11.1 }, avxvnni = { alu = 5.4, instr = 7.7 },
             avx512vnni = { alu = 2.58, instr = 3.77 } },
  },
  tl = {
    gemv = { avx2 = { alu = 32.5, instr = 36.5 }, avxvnni = { alu = 32.5, instr = 36.5 },
             avx512vnni = { alu = 4, instr = 5.94 } },
    -- 32 B of words = 144 weights = 4.5 steps of decoded codes; the decode
    -- (28 ALU per 32 B, once per stripe and call) is left out: it is shared
    -- by every token of the call
    gemm = { avx2 = { alu = 9, instr = 14.25 }, avxvnni = { alu = 4.5, instr = 9.75 } },
  },
  -- block formats: per 32 B of packed bytes (codes and f16 scales), 16-row
  -- tiles; the counts include the 8-row trees, the float step and the
  -- prefetches.  One kernel serves GEMV and GEMM (the token loop is outside
  -- the block loop), so a token costs the same in both.
  q4_0 = { gemv = { avx2 = { alu = 9.11, instr = 12.11 }, avxvnni = { alu = 8, instr = 11.89 },
                    avx512vnni = { alu = 4, instr = 5.67 } } },
  q8_0 = { gemv = { avx2 = { alu = 7.88, instr = 9.24 }, avxvnni = { alu = 5.06, instr = 7.29 },
                    avx512vnni = { alu = 2.59, instr = 3.65 } } },
  tq2_0 = { gemv = { avx2 = { alu = 14.36, instr = 19.64 }, avxvnni = { alu = 11.39, instr = 16.33 },
                     avx512vnni = { alu = 7.0, instr = 9.36 } } },
  tq1_0 = { gemv = { avx2 = { alu = 31.19, instr = 37.3 }, avxvnni = { alu = 28.3, instr = 33.63 },
                     avx512vnni = { alu = 15.89, instr = 25.33 } } },
}
for _, f in ipairs({ "q4_0", "q8_0", "tq2_0", "tq1_0" }) do M.costs[f].gemm = M.costs[f].gemv end

-- The stated cost of a kernel variant (see M.costs), or nil.
function M.cost(format, op, isa, tile, impl)
  local f = M.costs[format]
  local c = f and f[op] and f[op][isa]
  if not c or not impl or not impl.tile then return nil end
  for k, v in pairs(impl.tile) do
    -- a prefetch distance changes no instruction count; none (0) does
    if k == "prefetch" then
      if (tile[k] or 0) > 0 ~= (v > 0) then return nil end
    elseif tile[k] ~= v then return nil end
  end
  return { alu = c.alu, instr = c.instr, per_cycle = M.costs.per_cycle[isa] }
end

-- Total registers and a "name N + ..." breakdown for messages.
function M.budget(impl, tile)
  local parts = budgets[impl.budget](tile)
  local total, names = 0, {}
  for k in pairs(parts) do names[#names + 1] = k end
  table.sort(names)
  local text = {}
  for _, k in ipairs(names) do
    total = total + parts[k]
    text[#text + 1] = parts[k] .. " " .. k
  end
  return total, table.concat(text, " + ")
end

return M
