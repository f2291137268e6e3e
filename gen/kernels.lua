-- Kernel descriptors.  One record per generated function; its canonical
-- name encodes every field and is the file name, the C symbol (after the
-- package prefix), the dispatch entry and the label of tests and benches.
local M = {}
local formats = require "formats"

-- GEMV: <format>_gemv_<M>x<K>_r<rows>u<unroll>[f<prefetch>][p<prows>]__<isa>
-- GEMM: <format>_gemm_<M>x<K>x<N|n>_r<rows>n<tokens>u<unroll>[f<prefetch>][p<prows>]__<isa>
--       (N: a batch size the kernel is specialized for; n: any batch size;
--       f: a software prefetch distance in KiB other than the template's
--       default for the ISA, as p appears only when the pack rows differ)
function M.kernel_name(k)
  if k.op == "gemv" then return string.format("%s_gemv_%dx%d", k.format, k.M, k.K) end
  return string.format("%s_gemm_%dx%dx%s", k.format, k.M, k.K, k.N == 0 and "n" or tostring(k.N))
end

function M.variant_name(d)
  local pack = d.prows ~= d.rows and ("p" .. d.prows) or ""
  local tokens = d.op == "gemm" and ("n" .. d.tokens) or ""
  local pf = d.prefetch and d.prefetch ~= d.impl.tile.prefetch and ("f" .. d.prefetch) or ""
  return string.format("%s_r%d%su%d%s%s__%s", M.kernel_name(d), d.rows, tokens, d.unroll, pf, pack, d.isa)
end

-- The package plan.  Distinct (format, M, K) shapes (first appearance order)
-- each get a GEMV kernel, a general GEMM kernel and one GEMM kernel per
-- specialized batch size; every kernel has one variant per ISA, best first.
-- Kernel indices: the GEMV kernels come first, so shape i's GEMV is kernel i.
-- groups: one per weight format, the spec's `format` first; a package of
-- several formats names each other format's API functions P_<format>_*.
function M.plan(spec)
  local prefix = "bitgen_" .. spec.cname
  local mixed = #spec.groups > 1
  local groups = {}
  for i, g in ipairs(spec.groups) do
    local pg = { format = g.format, fmt = g.fmt, kind = g.fmt.kind, prows = g.pack_rows, tiles = g.tiles,
                 gemm_tiles = g.gemm_tiles, index = i - 1, primary = i == 1, shapes = {} }
    -- API names: F prefixes the format's low-level functions (<P>_lowlevel.h;
    -- the uniform API of <P>.h takes every format's shapes), S suffixes its
    -- static helpers in api.c, pkgfn returns its view of the package
    pg.F = prefix .. "_" .. g.format
    pg.S = mixed and ("_" .. g.format) or ""
    pg.pkgfn = mixed and ("package" .. pg.S) or (prefix .. "_package")
    pg.enum_infix = (i == 1) and "" or (g.format:upper() .. "_")
    -- the spec as the format's templates see it: its format, tiles and pack rows
    pg.spec = setmetatable({ format = g.format, fmt = g.fmt, pack_rows = g.pack_rows, tiles = g.tiles,
                             gemm_tiles = g.gemm_tiles }, { __index = spec })
    groups[i] = pg
    groups[g.format] = pg
  end
  local shapes, by_shape, matrices = {}, {}, {}
  for _, m in ipairs(spec.matrices) do
    local g = groups[m.format]
    local key = m.format .. ":" .. m.M .. "x" .. m.K
    local sh = by_shape[key]
    if not sh then
      sh = { M = m.M, K = m.K, index = #shapes, batched = {}, group = g, format = m.format }
      sh.enum = string.format("%s_SHAPE_%s%dX%d", prefix:upper(), g.enum_infix, m.M, m.K)
      shapes[#shapes + 1] = sh
      g.shapes[#g.shapes + 1] = sh
      by_shape[key] = sh
    end
    matrices[#matrices + 1] = { name = m.name, shape = sh, format = m.format, tensor = m.tensor,
                                per_layer = m.per_layer, role = m.role }
  end

  local kernels = {}
  local function add(op, sh, N)
    local g = sh.group
    local k = { op = op, format = g.format, M = sh.M, K = sh.K, N = N, index = #kernels, variants = {} }
    k.name = M.kernel_name(k)
    local tiles = op == "gemv" and g.tiles or g.gemm_tiles
    for i = #spec.isas, 1, -1 do
      local isa = spec.isas[i]
      -- a tuning file's tile for this kernel and ISA (gen/tuning.lua), else the spec's
      local tuned = spec.tuned and spec.tuned[k.name]
      local t = tuned and tuned[isa.name] or tiles[isa.name]
      local d = { op = op, format = k.format, M = k.M, K = k.K, N = N, isa = isa.name, rows = t.rows,
                  tokens = t.tokens or 1, unroll = t.unroll, prefetch = t.prefetch, prows = g.prows, isa_row = isa,
                  impl = g.fmt.ops[op][isa.name], fmt = g.fmt, kind = g.kind }
      d.name = M.variant_name(d)
      d.symbol = prefix .. "_" .. d.name
      d.file = d.name .. ".c"
      d.tiles = (d.M + d.rows - 1) // d.rows
      d.cost = formats.cost(d.format, op, isa.name, t, d.impl)
      d.scratch_fixed, d.scratch_token = 0, 0 -- bytes of bitgen_acts.scratch a call needs
      if d.impl.scratch then d.scratch_fixed, d.scratch_token = d.impl.scratch(d) end
      k.variants[#k.variants + 1] = d
    end
    kernels[#kernels + 1] = k
    return k
  end
  for _, sh in ipairs(shapes) do sh.gemv = add("gemv", sh, 1) end
  for _, sh in ipairs(shapes) do sh.gemm = add("gemm", sh, 0) end
  for _, sh in ipairs(shapes) do
    for _, b in ipairs(spec.batches) do sh.batched[#sh.batched + 1] = add("gemm", sh, b) end
  end
  local plan = { spec = spec, prefix = prefix, shapes = shapes, kernels = kernels, matrices = matrices,
                 isas = spec.isas, groups = groups, mixed = mixed }
  -- decoder ops and model runtime of a model spec (gen/ops.lua); else nil and why
  plan.ops, plan.no_runtime = require("ops").plan(spec, plan)
  return plan
end

return M
