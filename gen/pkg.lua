-- Renders a package (every file in memory first) and writes it: assembled
-- in a temporary directory beside the target, then exchanged with it in one
-- rename, so a failure leaves no partial output; unchanged files keep their
-- inode and mtime (see "writing a package into DIR" below).
local template = require "template"
local manifest = require "manifest"
local isa = require "isa"
local ops_mod = require "ops"
local arch = require "arch"

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
    for _, f in ipairs(plan.ops and plan.ops.files or {}) do -- decoder ops (gen/ops.lua)
      if f.isa == row.name then files[#files + 1] = f.file end
    end
    rows[#rows + 1] = { name = row.name, families = row.arch == "any" and {} or { row.arch },
                        flags = row.flags, emulate = row.emulate or {}, files = files }
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
-- add16: the adds are int16 (vectors of int16 pairs, each 32-bit lane a
-- pair, kept apart; the caller states the bound and widens the result).
-- The tree is simulated here to find where each row lands; a permute puts
-- the rows in order if needed, and a row mixed with another is a bug caught
-- at generation time.
local function reduce_rows(vecs, rpv, width, out, add16)
  local z = width == 16
  local add = add16 and "add_epi16(" or "add_epi32("
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
      c = function(a, b) return pre .. add .. pre .. "unpacklo_epi32(" .. a .. ", " .. b .. "), " .. pre ..
        "unpackhi_epi32(" .. a .. ", " .. b .. "))" end },
    { lo = function(a, b, L) return { a[L], a[L + 1], b[L], b[L + 1] } end,
      hi = function(a, b, L) return { a[L + 2], a[L + 3], b[L + 2], b[L + 3] } end,
      c = function(a, b) return pre .. add .. pre .. "unpacklo_epi64(" .. a .. ", " .. b .. "), " .. pre ..
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
        expr = string.format("_mm512_%s_mm512_shuffle_i32x4(%s, %s, 0x88), _mm512_shuffle_i32x4(%s, %s, 0xDD))",
          add, names[k], names[k + 1], names[k], names[k + 1])
      else
        expr = string.format("_mm256_%s_mm256_permute2x128_si256(%s, %s, 0x20), " ..
          "_mm256_permute2x128_si256(%s, %s, 0x31))", add, names[k], names[k + 1], names[k], names[k + 1])
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

-- Every external symbol of the runtime: a function or object named bitgen_*
-- declared or defined at file scope without `static` (a line starting in
-- column 0).  The package's bitgen_ns.h renames each to <prefix>_rt_*, so
-- two packages link into one program; the consumer test's nm check fails
-- on any exported name this scan misses.
function M.runtime_symbols(host)
  local seen, list = {}, {}
  for _, f in ipairs(manifest.runtime) do
    for line in read(host, "runtime/" .. f):gmatch("[^\n]+") do
      if line:match("^[%a_]") and not line:match("^static%f[^%w_]") and not line:match("^typedef%f[^%w_]") then
        local name = line:match("%f[%w_](bitgen_[%w_]+)%s*[%(%[]")
        if name and not seen[name] then
          seen[name] = true
          list[#list + 1] = name
        end
      end
    end
  end
  table.sort(list)
  return list
end

-- The package's own files besides kernels and runtime sources, in the
-- order the top-level meson.build lists them (meson-info "outputs").
function M.top_files(plan)
  local P = plan.prefix
  return { P .. ".h", P .. "_lowlevel.h", P .. "_internal.h", "bitgen_ns.h", "dispatch.c", "api.c", "verify_main.c" }
end

-- The activation forms of the uniform API (templates/api_uniform.c): per
-- format kind what its kernels read (q8: int8 + scale and sum per token;
-- lut: tl's tables of q8; b<block>: int8 blocks with scales and 16-element
-- sums; f32: the floats), each form's largest K, and per distinct K (first
-- appearance) the forms a quantize of that length fills.  Plan order only,
-- so the output is the same on every run.
function M.act_forms(plan)
  local list, by_name, ks, by_k = {}, {}, {}, {}
  local function need(g)
    if g.kind == "i2s" then return { "q8" } end
    if g.kind == "tl" then return { "q8", "lut" } end
    if g.kind == "block" then return { "b" .. g.fmt.block } end
    return { "f32" }
  end
  for _, sh in ipairs(plan.shapes) do
    local kf = by_k[sh.K]
    if not kf then
      kf = { K = sh.K, forms = {}, has = {} }
      by_k[sh.K] = kf
      ks[#ks + 1] = kf
    end
    sh.act_forms = need(sh.group)
    for _, name in ipairs(sh.act_forms) do
      local f = by_name[name]
      if not f then
        f = { name = name, maxk = 0, block = tonumber(name:match("^b(%d+)$")) }
        by_name[name] = f
        list[#list + 1] = f
      end
      if sh.K > f.maxk then f.maxk = sh.K end
      if not kf.has[name] then
        kf.has[name] = true
        kf.forms[#kf.forms + 1] = f
      end
    end
  end
  return { list = list, by_name = by_name, ks = ks }
end

-- FNV-1a 64 of a string, as 16 hex digits (runtime/digest.c's hash).
local function fnv1a64(text)
  local h = 0xcbf29ce484222325
  for i = 1, #text do
    h = h ~ text:byte(i)
    h = h * 0x100000001b3
  end
  return string.format("%016x", h)
end
M.fnv1a64 = fnv1a64

-- Returns an ordered list of {name, text}.
function M.render(host, plan, spec_name)
  local spec, P = plan.spec, plan.prefix
  local names = {}
  for _, row in ipairs(plan.isas) do names[#names + 1] = row.name end
  local base = {
    spec = spec, plan = plan, P = P, GUARD = P:upper() .. "_H", version = VERSION, spec_name = spec_name,
    isa_names = table.concat(names, ", "), align = 64, features = feature_expr, list = meson_list,
    runtime_sources = M.runtime_sources(), isa_rows = M.isa_rows(plan), signature = signature,
    opsig = ops_mod.signature,
    tile_start = tile_start, blk_layout = blk_layout, tl_layout = tl_layout, reduce_rows = reduce_rows, kind = spec.fmt.kind,
    D = "$", -- "${D}{x}" writes a literal ${x} (CMake)
    model_dir = "bitgen/" .. spec.model, -- installed headers: include/bitgen/<model>/
    model = spec.arch and arch.load_table(plan) or nil, -- the loader's table (model specs)
    names_of_isas = names, spec_hash = fnv1a64(spec.source or ""), types_h = read(host, "runtime/bitgen_types.h"),
    acts = M.act_forms(plan), -- the uniform API's activation forms
    version_parts = { VERSION:match("^(%d+)%.(%d+)%.(%d+)") },
    -- a format's API templates see the spec of its group (format, fmt,
    -- pack_rows, tiles) and its names: F (function prefix), S (suffix of its
    -- static helpers in api.c), pkgfn (its view of the package)
    group_env = function(g)
      return { spec = g.spec, kind = g.kind, F = g.F, S = g.S, pkgfn = g.pkgfn, group = g }
    end,
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
  add(P .. "_lowlevel.h", render("package_lowlevel.h"))
  add(P .. "_internal.h", render("package_internal.h"))
  local ns = { "/* bitgen_ns.h: generated by bitgen; do not edit.  Every external symbol of",
    " * the runtime gets this package's prefix, so packages link side by side. */",
    "#ifndef BITGEN_NS_H", "#define BITGEN_NS_H" }
  for _, sym in ipairs(M.runtime_symbols(host)) do
    ns[#ns + 1] = "#define " .. sym .. " " .. P .. "_rt_" .. sym:sub(8)
  end
  ns[#ns + 1] = "#endif"
  add("bitgen_ns.h", table.concat(ns, "\n") .. "\n")
  add("dispatch.c", render("dispatch.c"))
  add("api.c", render("api.c"))
  add("verify_main.c", render("verify_main.c"))
  for _, k in ipairs(plan.kernels) do
    for _, v in ipairs(k.variants) do add(v.file, render(v.impl.template, { d = v })) end
  end
  for _, f in ipairs(plan.ops and plan.ops.files or {}) do
    add(f.file, render("ops.c", { fam = f, file = f.file, ops = plan.ops.list, opsig = ops_mod.signature }))
  end
  for _, f in ipairs(manifest.runtime) do add(f, read(host, "runtime/" .. f)) end
  add("meson.build", render("package_meson.build"))
  add("meson_options.txt", render("meson_options.txt"))
  add("README.md", render("package_readme.md"))
  -- other build systems: CMake (add_subdirectory; find_package after an
  -- install), plain make (the Makefile, and P.mk with the file lists and
  -- flags for products that compile the sources themselves)
  add("CMakeLists.txt", render("package_cmake.txt"))
  add(P .. "-config.cmake.in", render("package_config.cmake.in"))
  add(P .. "-config-version.cmake", render("package_config_version.cmake"))
  add(P .. ".mk", render("package.mk"))
  add("Makefile", render("package_makefile"))
  return files
end

-- ---- writing a package into DIR -------------------------------------------
-- DIR changes in one step or not at all.  The whole new DIR is assembled in
-- a temporary directory beside it (mkdtemp: .DIR.bitgen-tmp-XXXXXX, mode
-- 0700, never reused): generated files that did not change are hard links to
-- DIR's copies (same inode and mtime, so builds do not recompile them), the
-- others new files, plus the entries bitgen did not write, which are kept.
-- Then the two directories are exchanged (renameat2 RENAME_EXCHANGE; where
-- that is missing, DIR is renamed aside and the new one renamed in, undone
-- if the second rename fails) and the old tree is removed.  Any failure
-- before the exchange removes the temporary directory and leaves DIR as it
-- was.  A lock file beside DIR (.DIR.bitgen-lock, flock; removed afterwards)
-- makes concurrent runs on one DIR fail cleanly instead of interleaving.
--
-- The manifest DIR/bitgen.files has one line per file bitgen wrote, the
-- format of sha256sum: 64 lowercase hex digits of the file's SHA-256, two
-- spaces, the file name (`cd DIR && sha256sum -c bitgen.files` checks it).
-- A DIR that is not empty and has no manifest holds files bitgen did not
-- write: refused unless --force.  Entries not in the manifest are never
-- overwritten or removed (a generated file of the same name is an error); a
-- file that is no longer generated is removed only while it still has the
-- recorded hash, otherwise kept with a warning (and stays in the manifest
-- with the hash bitgen wrote, so `sha256sum -c` names it).  A manifest of bare names
-- (bitgen before 0.1.0's hashes) still marks its files as bitgen's.
M.MANIFEST = "bitgen.files"

local function must(ok, err) if not ok then error(err, 0) end return ok end

local function valid_name(n)
  return n ~= "" and n ~= "." and n ~= ".." and not n:find("[/%z\n\r]")
end

-- The checks on -o DIR done before anything is written: returns the
-- normalized DIR, its parent and its last component, or nil and a message.
function M.output_dir(dir)
  if dir == "" then return nil, "the output directory name is empty" end
  local d = dir:gsub("/+$", "")
  if d == "" then return nil, "refusing to write the package into /" end
  local parent, base = d:match("^(.*)/([^/]*)$")
  if not parent then parent, base = ".", d end
  if parent == "" then parent = "/" end
  if base == "." or base == ".." then
    return nil, "refusing to write the package into '" .. dir .. "': name a new or bitgen-written directory"
  end
  return d, parent, base
end

local function manifest_text(host, files)
  local t = {}
  for _, f in ipairs(files) do t[#t + 1] = host.fs.sha256(f.text) .. "  " .. f.name .. "\n" end
  return table.concat(t)
end

-- name -> recorded hash (true for a legacy manifest of bare names), or nil
-- if text is not a bitgen manifest.
local function parse_manifest(text)
  if text ~= "" and text:sub(-1) ~= "\n" then return nil end
  local owned, hashed, bare = {}, 0, 0
  for line in text:gmatch("([^\n]*)\n") do
    local h, name = line:match("^(" .. ("[0-9a-f]"):rep(64) .. ")  (.*)$")
    if h then hashed = hashed + 1 else name, bare = line, bare + 1 end
    if not valid_name(name) or name == M.MANIFEST or owned[name] then return nil end
    owned[name] = h or true
  end
  if hashed > 0 and bare > 0 then return nil end
  return owned
end

-- What is in DIR now, and what becomes of each entry.
local function survey(fs, dir, st, newset, opts)
  local s = { reuse = {}, replaced = {}, stale = {}, carry = {}, kept = {}, owned = nil, had_manifest = false }
  if not st then return s end
  local entries = must(fs.readdir(dir))
  local mpath = dir .. "/" .. M.MANIFEST
  local mst = fs.lstat(mpath)
  if mst and mst.kind == "file" then
    s.owned = parse_manifest(must(fs.read(mpath)))
    s.had_manifest = s.owned ~= nil
  end
  if not s.owned then
    if #entries > 0 and not opts.force then
      error(dir .. " is not empty and has no bitgen manifest (" .. M.MANIFEST .. "): it holds files bitgen did " ..
        "not write, e.g. '" .. entries[1] .. "'.  Choose another directory, or pass --force to add the package " ..
        "beside them (they are kept, never overwritten); nothing was written", 0)
    end
    s.owned = {}
  end
  for _, name in ipairs(entries) do
    local path = dir .. "/" .. name
    local est = fs.lstat(path)
    if not est then -- removed meanwhile: nothing to keep
    elseif name == M.MANIFEST and s.had_manifest then
      s.old_manifest = must(fs.read(path))
    elseif s.owned[name] ~= nil and est.kind == "file" then
      local cur = must(fs.read(path))
      local h = s.owned[name]
      local edited = h ~= true and fs.sha256(cur) ~= h
      local f = newset[name]
      if f and cur == f.text then
        s.reuse[name] = true
      elseif f then
        if edited then opts.warn(path .. " was edited after bitgen wrote it; replaced by the generated file") end
        s.replaced[name] = true
      elseif h ~= true and not edited then
        s.stale[name] = h
      else
        opts.warn(path .. " is no longer generated but kept: " ..
          (h == true and "the manifest records no hash for it" or "edited after bitgen wrote it"))
        s.carry[#s.carry + 1] = { name = name, kind = est.kind }
        if h ~= true then s.kept[#s.kept + 1] = h .. "  " .. name .. "\n" end -- still bitgen's
      end
    else
      if newset[name] then
        error(path .. " exists and bitgen did not write it (" .. (est.kind == "file" and "not in " .. M.MANIFEST or
          "a " .. (est.kind == "dir" and "directory" or est.kind == "link" and "symbolic link" or "special file") ..
          " where the package has a file") .. "); bitgen never overwrites it, nothing was written", 0)
      end
      s.carry[#s.carry + 1] = { name = name, kind = est.kind }
    end
  end
  return s
end

-- Fills tmp with the new DIR.  Records every name it creates in made.
local function assemble(fs, dir, tmp, all, s, made, stats)
  for _, f in ipairs(all) do
    local to = tmp .. "/" .. f.name
    local linked = false
    if s.reuse[f.name] then
      local from = dir .. "/" .. f.name
      linked = fs.link(from, to) or fs.copy(from, to)
      if linked then made[#made + 1] = f.name end
      -- the file may have been edited since it was compared: check the copy
      if linked and fs.read(to) ~= f.text then
        must(fs.unlink(to))
        made[#made] = nil
        linked = false
      end
    end
    if linked then
      stats.unchanged = stats.unchanged + 1
    else
      must(fs.write_new(to, f.text))
      made[#made + 1] = f.name
      stats.written = stats.written + 1
    end
  end
  -- kept entries: hard links where possible (DIR keeps them until the
  -- exchange); directories and the rest move just before it
  local moves = {}
  for _, c in ipairs(s.carry) do
    if c.kind ~= "dir" and fs.link(dir .. "/" .. c.name, tmp .. "/" .. c.name) then
      made[#made + 1] = c.name
      c.linked = true
    else
      moves[#moves + 1] = c.name
    end
  end
  return moves
end

-- Removes the old tree left by the exchange: its copies of generated files,
-- stale files still as bitgen wrote them; anything else is moved into DIR.
local function discard_old(fs, dir, old, s, stats, warn)
  for _, name in ipairs(fs.readdir(old) or {}) do
    local path = old .. "/" .. name
    local drop = s.reuse[name] or s.replaced[name]
    if not drop and s.stale[name] then
      local cur = fs.read(path)
      drop = cur and fs.sha256(cur) == s.stale[name]
      if drop then stats.removed = stats.removed + 1 end
    end
    if not drop then
      local a, b = fs.lstat(path), fs.lstat(dir .. "/" .. name)
      drop = a and b and a.ino == b.ino and a.dev == b.dev -- a kept file linked into the new DIR
    end
    if drop then
      fs.unlink(path)
    elseif not fs.rename(path, dir .. "/" .. name, "noreplace") then
      warn("could not move " .. path .. " into " .. dir)
    end
  end
  if not fs.rmdir(old) then warn("left " .. old .. ": it holds entries that appeared during the update") end
end

-- Writes files (a list of {name, text}) and the manifest into dir.
-- opts: force, make_parent (create a missing parent, one level), warn(msg).
-- Returns counts {files, written, unchanged, removed}.
function M.write(host, dir, files, opts)
  opts = opts or {}
  opts.warn = opts.warn or function() end
  local fs = host.fs
  local d, parent, base = M.output_dir(dir)
  if not d then error(parent, 0) end
  dir = d
  local all, newset = {}, {}
  for _, f in ipairs(files) do
    if not valid_name(f.name) or f.name == M.MANIFEST or newset[f.name] then
      error("bad or duplicate package file name '" .. f.name .. "'", 0)
    end
    newset[f.name] = f
    all[#all + 1] = f
  end
  all[#all + 1] = { name = M.MANIFEST, text = manifest_text(host, files) }
  newset[M.MANIFEST] = all[#all]

  -- checks that need no lock: they fail before anything is created
  local pre, perr, pcode = fs.lstat(dir)
  if not pre and pcode ~= "ENOENT" then error(perr, 0) end
  if pre then
    if pre.kind == "link" then error(dir .. " is a symbolic link; give the directory it points to as -o", 0) end
    if pre.kind ~= "dir" then error(dir .. " exists and is not a directory", 0) end
    must(fs.writable(dir))
    local here, there = fs.realpath("."), must(fs.realpath(dir))
    if here and (here == there or here:sub(1, #there + 1) == there .. "/") then
      error(dir .. " is or contains the current directory; refusing to replace it", 0)
    end
  end
  pre = pre or {}
  local made_parent = false
  local pst = fs.lstat(parent, true)
  if not pst and opts.make_parent then
    must(fs.mkdir(parent))
    made_parent = true
  elseif not pst then
    error("parent directory " .. parent .. " does not exist", 0)
  elseif pst.kind ~= "dir" then
    error(parent .. " is not a directory", 0)
  end
  local lockpath = parent .. "/." .. base .. ".bitgen-lock"
  local lock, lerr, lcode = fs.lock(lockpath)
  if not lock then
    if made_parent then fs.rmdir(parent) end
    if lcode == "EBUSY" then
      error("another bitgen run is writing " .. dir .. " (it holds " .. lockpath .. "); nothing was written", 0)
    end
    error(lerr, 0)
  end

  local stats = { files = #all, written = 0, unchanged = 0, removed = 0 }
  local tmp, made, moved, s = nil, {}, {}, nil
  local ok, failure = pcall(function()
    local st = fs.lstat(dir)
    if (st and st.ino) ~= pre.ino then error(dir .. " was replaced during the update; nothing was written", 0) end
    s = survey(fs, dir, st, newset, opts)
    -- an edited file kept stays in the manifest with the hash bitgen wrote
    local m = all[#all]
    m.text = m.text .. table.concat(s.kept)
    if s.old_manifest then
      if s.old_manifest == m.text then s.reuse[M.MANIFEST] = true else s.replaced[M.MANIFEST] = true end
    end
    tmp = must(fs.mkdtemp(parent .. "/." .. base .. ".bitgen-tmp-"))
    local moves = assemble(fs, dir, tmp, all, s, made, stats)
    must(fs.chmod(tmp, st and st.mode or (0x1ff & ~fs.umask())))
    must(fs.sync(tmp))
    if not st then
      local rok, rerr, rcode = fs.rename(tmp, dir, "noreplace")
      if not rok and rcode == "unsupported" then
        if fs.lstat(dir) then error(dir .. " appeared during the update; nothing was written", 0) end
        rok, rerr = fs.rename(tmp, dir)
      end
      must(rok, rerr)
      tmp = nil
      local sok, serr2 = fs.sync(parent)
      if not sok then opts.warn(serr2) end
      return
    end
    local now = fs.lstat(dir)
    if not now or now.ino ~= st.ino or now.dev ~= st.dev then
      error(dir .. " was replaced during the update; nothing was written", 0)
    end
    for _, name in ipairs(moves) do
      must(fs.rename(dir .. "/" .. name, tmp .. "/" .. name))
      moved[#moved + 1] = name
    end
    local old
    local xok, xerr, xcode = fs.rename(tmp, dir, "exchange")
    if xok then
      old = tmp
    elseif xcode == "unsupported" then -- rename DIR aside, the new one in; undo on failure
      local aside = must(fs.mkdtemp(parent .. "/." .. base .. ".bitgen-old-"))
      local aok, aerr = fs.rename(dir, aside)
      if not aok then fs.rmdir(aside) error(aerr, 0) end
      local nok, nerr = fs.rename(tmp, dir)
      if not nok then
        if not fs.rename(aside, dir) then
          error(nerr .. "; and moving it back failed: the previous " .. dir .. " is now " .. aside, 0)
        end
        error(nerr, 0)
      end
      old = aside
    else
      error(xerr, 0)
    end
    tmp, moved = nil, {}
    local sok, serr2 = fs.sync(parent)
    if not sok then opts.warn(serr2) end
    discard_old(fs, dir, old, s, stats, opts.warn)
  end)
  if not ok then -- undo: moved entries back into DIR, the temporary tree removed
    local keep = false -- a user's entry that could not be moved back stays in tmp
    for i = #moved, 1, -1 do
      if not fs.rename(tmp .. "/" .. moved[i], dir .. "/" .. moved[i]) then
        failure = failure .. "; could not move " .. tmp .. "/" .. moved[i] .. " back into " .. dir
        keep = true
      end
    end
    if tmp and not keep then
      for _, name in ipairs(made) do fs.unlink(tmp .. "/" .. name) end
      if not fs.rmdir(tmp) then failure = failure .. "; could not remove " .. tmp end
    end
  end
  lock:release()
  if not ok then
    if made_parent then fs.rmdir(parent) end
    error(failure, 0)
  end
  return stats
end

return M
