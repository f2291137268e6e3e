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
  -- one int32 accumulator per row; 4 activation vectors; mask; load and field temps.
  ymm_shift = function(t) return { accumulators = t.rows, activations = 4, constants = 2, temporaries = 2 } end,
  ymm_vnni = function(t) return { accumulators = t.rows, activations = 4, constants = 1, temporaries = 2 } end,
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
      avx2       = { template = "i2s_gemv_ymm.c", budget = "ymm_shift", tile = { rows = 8, unroll = 1 } },
      avxvnni    = { template = "i2s_gemv_ymm.c", budget = "ymm_vnni", tile = { rows = 8, unroll = 1 } },
      avx512vnni = { template = "i2s_gemv_zmm.c", budget = "zmm_inplace", tile = { rows = 8, unroll = 2 },
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
      avx512vnni = { template = "i2s_gemm_zmm.c", budget = "zmm_gemm", tile = { rows = 8, tokens = 6, unroll = 1 },
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
