-- Kernel descriptors.  One record per generated function; its canonical
-- name encodes every field and is the file name, the C symbol (after the
-- package prefix), the dispatch entry and the label of tests and benches.
local formats = require "formats"

local M = {}

-- <format>_<op>_<M>x<K>_r<rows>u<unroll>[p<prows>]__<isa>
function M.variant_name(d)
  local pack = d.prows ~= d.rows and ("p" .. d.prows) or ""
  return string.format("%s_%s_%dx%d_r%du%d%s__%s", d.format, d.op, d.M, d.K, d.rows, d.unroll, pack, d.isa)
end

function M.kernel_name(k)
  return string.format("%s_%s_%dx%d", k.format, k.op, k.M, k.K)
end

-- The package plan: distinct shapes become kernels (first appearance order),
-- each with one variant per ISA, best ISA first.
function M.plan(spec)
  local prefix = "bitgen_" .. spec.cname
  local kernels, by_shape, matrices = {}, {}, {}
  for _, m in ipairs(spec.matrices) do
    local key = m.M .. "x" .. m.K
    local k = by_shape[key]
    if not k then
      k = { op = "gemv", format = spec.format, M = m.M, K = m.K, index = #kernels, variants = {} }
      k.name = M.kernel_name(k)
      k.enum = (prefix .. "_" .. k.name):upper()
      for i = #spec.isas, 1, -1 do
        local isa = spec.isas[i]
        local tile = spec.tiles[isa.name]
        local d = { op = k.op, format = k.format, M = k.M, K = k.K, isa = isa.name, rows = tile.rows,
                    unroll = tile.unroll, prows = spec.pack_rows, isa_row = isa,
                    impl = spec.fmt.ops[k.op][isa.name] }
        d.name = M.variant_name(d)
        d.symbol = prefix .. "_" .. d.name
        d.file = d.name .. ".c"
        d.tiles = (d.M + d.rows - 1) // d.rows
        k.variants[#k.variants + 1] = d
      end
      kernels[#kernels + 1] = k
      by_shape[key] = k
    end
    matrices[#matrices + 1] = { name = m.name, kernel = k }
  end
  return { spec = spec, prefix = prefix, kernels = kernels, matrices = matrices, isas = spec.isas }
end

return M
