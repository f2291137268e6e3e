-- Renders a package (every file in memory first) and writes it: into a
-- temporary directory beside the target, then moved into place, so a
-- failure leaves no partial output; unchanged files are left untouched.
local template = require "template"
local manifest = require "manifest"
local isa = require "isa"

local M = {}

local VERSION = "0.1.0"
M.VERSION = VERSION

local function read(host, name)
  local text = host.resource(name)
  if not text then error("bitgen is missing its resource " .. name, 0) end
  return text
end

local function feature_expr(list)
  if #list == 0 then return "0" end
  local t = {}
  for _, f in ipairs(list) do t[#t + 1] = "BITGEN_FEAT_" .. f end
  return table.concat(t, " | ")
end

local function meson_list(items)
  local t = {}
  for _, s in ipairs(items) do t[#t + 1] = "'" .. s .. "'" end
  return "[" .. table.concat(t, ", ") .. "]"
end

function M.runtime_sources()
  local t = {}
  for _, f in ipairs(manifest.runtime) do
    if f:match("%.c$") then t[#t + 1] = f end
  end
  return t
end

-- Per ISA: the files to compile with its flags (meson rows, meson-info).
function M.isa_rows(plan)
  local rows = {}
  for _, row in ipairs(plan.isas) do
    local files = {}
    for _, k in ipairs(plan.kernels) do
      for _, v in ipairs(k.variants) do
        if v.isa == row.name then files[#files + 1] = v.file end
      end
    end
    rows[#rows + 1] = { name = row.name, families = row.arch == "any" and {} or { row.arch },
                        flags = row.flags, emulate = row.emulate and row.emulate.flags or {}, files = files }
  end
  return rows
end

-- The C prototype of a kernel variant (bitgen_gemv_fn / bitgen_gemm_fn for
-- i2s, bitgen_kfn for the formats of runtime/bitgen_fmt.h).
local function signature(v)
  if v.kind ~= "i2s" then
    return "void " .. v.symbol .. "(const uint8_t *restrict w, const bitgen_acts *restrict a, float wscale,\n" ..
      "    float *restrict y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1)"
  end
  if v.op == "gemv" then
    return "void " .. v.symbol .. "(const uint8_t *restrict w, const int8_t *restrict q, int32_t xsum, float scale,\n" ..
      "    float *restrict y, size_t t0, size_t t1)"
  end
  return "void " .. v.symbol .. "(const uint8_t *restrict w, const int8_t *restrict q, const bitgen_act *restrict act, " ..
    "float wscale,\n    float *restrict y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1)"
end

local function round_up(n, m) return (n + m - 1) // m * m end

-- Where the packed bytes of the kernel row tile starting at row0 begin: the
-- layout of runtime/bitgen_rt.h (pack tiles of prows rows, K/128 chunks of
-- prows x 32 bytes each), written once for every template.
local function tile_start(d)
  return string.format("w + (row0 / %d) * %d + (row0 %% %d) * 32", d.prows, d.K // 128 * d.prows * 32, d.prows)
end

-- The block formats' layout (runtime/bitgen_fmt.h): per pack tile, the code
-- bytes of every block (prows x qbytes each), then the f16 scales (prows x 2
-- per block), padded to 64 bytes.  Returns constants and the C expressions
-- of the row tile's code bytes and scales (block 0).
local function blk_layout(d)
  local f = d.fmt
  local L = { B = f.block, QB = f.qbytes, NB = d.K // f.block }
  L.QSTEP = d.prows * f.qbytes          -- bytes from one block's codes to the next
  L.SSTEP = d.prows * 2                 -- bytes from one block's scales to the next
  L.TILE = round_up(L.NB * d.prows * (f.qbytes + 2), 64)
  L.codes = string.format("w + (row0 / %d) * %d + (row0 %% %d) * %d", d.prows, L.TILE, d.prows, f.qbytes)
  L.scales = string.format("w + (row0 / %d) * %d + %d + (row0 %% %d) * 2", d.prows, L.TILE,
    L.NB * d.prows * f.qbytes, d.prows)
  return L
end

-- tl: words of 9 weights; a tile stores word j of its prows rows together.
local function tl_layout(d)
  local L = { WORDS = (d.K + 8) // 9 }
  L.WSTEP = d.prows * 2
  L.TILE = round_up(L.WORDS * d.prows * 2, 64)
  L.LUT = 3 * L.WORDS * 32
  L.base = string.format("w + (row0 / %d) * %d + (row0 %% %d) * 2", d.prows, L.TILE, d.prows)
  return L
end

-- C code that sums each row's lanes of int32 partial vectors (names vecs,
-- rpv rows per vector, width 16 (zmm) or 8 (ymm) lanes) into one vector
-- `out` with row r in lane r: a tree of unpacks and 128-bit lane shuffles.
-- The tree is simulated here to find where each row lands; a permute puts
-- the rows in order if needed, and a row mixed with another is a bug caught
-- at generation time.
local function reduce_rows(vecs, rpv, width, out)
  local z = width == 16
  local T = z and "__m512i" or "__m256i"
  local pre = z and "_mm512_" or "_mm256_"
  local lanes = {}
  for i, name in ipairs(vecs) do
    local v = {}
    for l = 0, width - 1 do v[l] = { [(i - 1) * rpv + l // (width // rpv)] = 1 } end
    lanes[i] = v
  end
  local function merge(a, b)
    local m = {}
    for k, c in pairs(a) do m[k] = (m[k] or 0) + c end
    for k, c in pairs(b) do m[k] = (m[k] or 0) + c end
    return m
  end
  local stages = {
    { lo = function(a, b, L) return { a[L], b[L], a[L + 1], b[L + 1] } end,
      hi = function(a, b, L) return { a[L + 2], b[L + 2], a[L + 3], b[L + 3] } end,
      c = function(a, b) return pre .. "add_epi32(" .. pre .. "unpacklo_epi32(" .. a .. ", " .. b .. "), " .. pre ..
        "unpackhi_epi32(" .. a .. ", " .. b .. "))" end },
    { lo = function(a, b, L) return { a[L], a[L + 1], b[L], b[L + 1] } end,
      hi = function(a, b, L) return { a[L + 2], a[L + 3], b[L + 2], b[L + 3] } end,
      c = function(a, b) return pre .. "add_epi32(" .. pre .. "unpacklo_epi64(" .. a .. ", " .. b .. "), " .. pre ..
        "unpackhi_epi64(" .. a .. ", " .. b .. "))" end },
  }
  local code, names, level = {}, {}, 0
  for i = 1, #vecs do names[i] = vecs[i] end
  while #names > 1 do
    level = level + 1
    local nn, nl = {}, {}
    for k = 1, #names, 2 do
      local a, b = lanes[k], lanes[k + 1]
      local r = {}
      if level <= 2 then
        local st = stages[level]
        for L = 0, width - 1, 4 do
          local lo, hi = st.lo(a, b, L), st.hi(a, b, L)
          for j = 1, 4 do r[L + j - 1] = merge(lo[j], hi[j]) end
        end
      else -- whole 128-bit lanes: zmm [a0 a2 b0 b2] + [a1 a3 b1 b3]; ymm [a0 b0] + [a1 b1]
        local sel = z and { { a, 0, a, 1 }, { a, 2, a, 3 }, { b, 0, b, 1 }, { b, 2, b, 3 } } or
          { { a, 0, a, 1 }, { b, 0, b, 1 } }
        for dl, sdef in ipairs(sel) do
          for j = 0, 3 do
            r[(dl - 1) * 4 + j] = merge(sdef[1][sdef[2] * 4 + j], sdef[3][sdef[4] * 4 + j])
          end
        end
      end
      local name = string.format("%s_%d_%d", out, level, (k + 1) // 2)
      local expr
      if level <= 2 then expr = stages[level].c(names[k], names[k + 1])
      elseif z then
        expr = string.format("_mm512_add_epi32(_mm512_shuffle_i32x4(%s, %s, 0x88), _mm512_shuffle_i32x4(%s, %s, 0xDD))",
          names[k], names[k + 1], names[k], names[k + 1])
      else
        expr = string.format("_mm256_add_epi32(_mm256_permute2x128_si256(%s, %s, 0x20), " ..
          "_mm256_permute2x128_si256(%s, %s, 0x31))", names[k], names[k + 1], names[k], names[k + 1])
      end
      code[#code + 1] = string.format("const %s %s = %s;", T, name, expr)
      nn[#nn + 1], nl[#nl + 1] = name, r
    end
    names, lanes = nn, nl
  end
  -- every lane must now hold all width/rpv lanes of exactly one row
  local at, ident = {}, true
  for l = 0, width - 1 do
    local row, count = nil, 0
    for k, c in pairs(lanes[1][l]) do
      if row then error("reduce_rows: lane " .. l .. " mixes rows", 0) end
      row, count = k, c
    end
    if count ~= width // rpv or at[row] then error("reduce_rows: bad reduction for row " .. tostring(row), 0) end
    at[row] = l
    ident = ident and row == l
  end
  if ident then
    code[#code + 1] = string.format("const %s %s = %s;", T, out, names[1])
  else
    local idx = {}
    for r = 0, width - 1 do idx[#idx + 1] = tostring(at[r]) end
    if z then
      code[#code + 1] = string.format("const %s %s = _mm512_permutexvar_epi32(_mm512_setr_epi32(%s), %s);", T, out,
        table.concat(idx, ", "), names[1])
    else
      code[#code + 1] = string.format("const %s %s = _mm256_permutevar8x32_epi32(%s, _mm256_setr_epi32(%s));", T, out,
        names[1], table.concat(idx, ", "))
    end
  end
  return code
end
M.reduce_rows = reduce_rows

-- Returns an ordered list of {name, text}.
function M.render(host, plan, spec_name)
  local spec, P = plan.spec, plan.prefix
  local names = {}
  for _, row in ipairs(plan.isas) do names[#names + 1] = row.name end
  local base = {
    spec = spec, plan = plan, P = P, GUARD = P:upper() .. "_H", version = VERSION, spec_name = spec_name,
    isa_names = table.concat(names, ", "), align = 64, features = feature_expr, list = meson_list,
    runtime_sources = M.runtime_sources(), isa_rows = M.isa_rows(plan), signature = signature,
    tile_start = tile_start, blk_layout = blk_layout, tl_layout = tl_layout, reduce_rows = reduce_rows, kind = spec.fmt.kind,
  }
  local cache = {}
  local function render(name, extra)
    local fn = cache[name]
    if not fn then
      fn = template.compile(read(host, "templates/" .. name), "templates/" .. name)
      cache[name] = fn
    end
    local env = extra or {}
    if not getmetatable(env) then setmetatable(env, { __index = base }) end
    env.include = function(inc, params)
      local sub = setmetatable(params or {}, { __index = env })
      return (render(inc, sub):gsub("\n$", ""))
    end
    return fn(env)
  end

  local files = {}
  local function add(name, text) files[#files + 1] = { name = name, text = text } end
  add(P .. ".h", render("package.h"))
  add("dispatch.c", render("dispatch.c"))
  add("api.c", render("api.c"))
  add("verify_main.c", render("verify_main.c"))
  for _, k in ipairs(plan.kernels) do
    for _, v in ipairs(k.variants) do add(v.file, render(v.impl.template, { d = v })) end
  end
  for _, f in ipairs(manifest.runtime) do add(f, read(host, "runtime/" .. f)) end
  add("meson.build", render("package_meson.build"))
  add("meson_options.txt", render("meson_options.txt"))
  add("README.md", render("package_readme.md"))
  local list = {}
  for _, f in ipairs(files) do list[#list + 1] = f.name end
  add("bitgen.files", table.concat(list, "\n") .. "\n")
  return files
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function spit(path, text)
  local f, err = io.open(path, "wb")
  if not f then error("cannot write " .. path .. ": " .. err, 0) end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then error("cannot write " .. path .. ": " .. tostring(werr or cerr), 0) end
end

local function must(ok, err) if not ok then error(err, 0) end return ok end

-- Writes files into dir.  Returns counts {written, unchanged, removed}.
function M.write(host, dir, files)
  dir = dir:gsub("/+$", "")
  if dir == "" then dir = "/" end
  local kind = host.kind(dir)
  if kind and kind ~= "dir" then error(dir .. " exists and is not a directory", 0) end
  local parent = dir:match("^(.*)/[^/]+$") or "."
  if parent ~= "" and host.kind(parent) ~= "dir" then error("parent directory " .. parent .. " does not exist", 0) end
  local base = dir:match("([^/]+)$")
  local tmp = (parent == "" and "" or parent .. "/") .. "." .. base .. ".bitgen-tmp-" .. host.pid()
  must(host.mkdir(tmp))
  local staged = {}
  local ok, err = pcall(function()
    for _, f in ipairs(files) do
      spit(tmp .. "/" .. f.name, f.text)
      staged[#staged + 1] = f.name
    end
  end)
  local function cleanup()
    for _, name in ipairs(staged) do os.remove(tmp .. "/" .. name) end
    os.remove(tmp)
  end
  if not ok then cleanup() error(err, 0) end
  local stats = { written = 0, unchanged = 0, removed = 0 }
  if not kind then
    must(host.rename(tmp, dir))
    stats.written = #files
    return stats
  end
  -- Existing directory: replace changed files one by one (each rename is
  -- atomic), drop files an earlier generation made that are gone now.
  local old = slurp(dir .. "/bitgen.files")
  local keep = {}
  for _, f in ipairs(files) do
    keep[f.name] = true
    if slurp(dir .. "/" .. f.name) == f.text then
      stats.unchanged = stats.unchanged + 1
    else
      must(host.rename(tmp .. "/" .. f.name, dir .. "/" .. f.name))
      stats.written = stats.written + 1
    end
  end
  if old then
    for name in old:gmatch("[^\n]+") do
      if not keep[name] and not name:find("/", 1, true) and os.remove(dir .. "/" .. name) then
        stats.removed = stats.removed + 1
      end
    end
  end
  cleanup()
  return stats
end

return M
