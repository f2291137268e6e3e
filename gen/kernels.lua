-- Kernel descriptors.  One record per generated function; its canonical
-- name encodes every field and is the file name, the C symbol (after the
-- package prefix), the dispatch entry and the label of tests and benches.
local M = {}

-- GEMV: <format>_gemv_<M>x<K>_r<rows>u<unroll>[p<prows>]__<isa>
-- GEMM: <format>_gemm_<M>x<K>x<N|n>_r<rows>n<tokens>u<unroll>[p<prows>]__<isa>
--       (N: a batch size the kernel is specialized for; n: any batch size)
function M.kernel_name(k)
  if k.op == "gemv" then return string.format("%s_gemv_%dx%d", k.format, k.M, k.K) end
  return string.format("%s_gemm_%dx%dx%s", k.format, k.M, k.K, k.N == 0 and "n" or tostring(k.N))
end

function M.variant_name(d)
  local pack = d.prows ~= d.rows and ("p" .. d.prows) or ""
  local tokens = d.op == "gemm" and ("n" .. d.tokens) or ""
  return string.format("%s_r%d%su%d%s__%s", M.kernel_name(d), d.rows, tokens, d.unroll, pack, d.isa)
end

-- The package plan.  Distinct matrix shapes (first appearance order) each
-- get a GEMV kernel, a general GEMM kernel and one GEMM kernel per
-- specialized batch size; every kernel has one variant per ISA, best first.
-- Kernel indices: the GEMV kernels come first, so shape i's GEMV is kernel i.
function M.plan(spec)
  local prefix = "bitgen_" .. spec.cname
  local shapes, by_shape, matrices = {}, {}, {}
  for _, m in ipairs(spec.matrices) do
    local key = m.M .. "x" .. m.K
    local sh = by_shape[key]
    if not sh then
      sh = { M = m.M, K = m.K, index = #shapes, batched = {} }
      sh.enum = string.format("%s_SHAPE_%dX%d", prefix:upper(), m.M, m.K)
      shapes[#shapes + 1] = sh
      by_shape[key] = sh
    end
    matrices[#matrices + 1] = { name = m.name, shape = sh }
  end

  local kernels = {}
  local function add(op, sh, N)
    local k = { op = op, format = spec.format, M = sh.M, K = sh.K, N = N, index = #kernels, variants = {} }
    k.name = M.kernel_name(k)
    local tiles = op == "gemv" and spec.tiles or spec.gemm_tiles
    for i = #spec.isas, 1, -1 do
      local isa = spec.isas[i]
      local t = tiles[isa.name]
      local d = { op = op, format = k.format, M = k.M, K = k.K, N = N, isa = isa.name, rows = t.rows,
                  tokens = t.tokens or 1, unroll = t.unroll, prows = spec.pack_rows, isa_row = isa,
                  impl = spec.fmt.ops[op][isa.name], fmt = spec.fmt, kind = spec.fmt.kind }
      d.name = M.variant_name(d)
      d.symbol = prefix .. "_" .. d.name
      d.file = d.name .. ".c"
      d.tiles = (d.M + d.rows - 1) // d.rows
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
  return { spec = spec, prefix = prefix, shapes = shapes, kernels = kernels, matrices = matrices, isas = spec.isas }
end

return M
