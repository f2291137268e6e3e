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

-- The C prototype of a kernel variant (bitgen_gemv_fn / bitgen_gemm_fn).
local function signature(v)
  if v.op == "gemv" then
    return "void " .. v.symbol .. "(const uint8_t *restrict w, const int8_t *restrict q, int32_t xsum, float scale,\n" ..
      "    float *restrict y, size_t t0, size_t t1)"
  end
  return "void " .. v.symbol .. "(const uint8_t *restrict w, const int8_t *restrict q, const bitgen_act *restrict act, " ..
    "float wscale,\n    float *restrict y, size_t ldy, size_t t0, size_t t1, size_t n0, size_t n1)"
end

-- Where the packed bytes of the kernel row tile starting at row0 begin: the
-- layout of runtime/bitgen_rt.h (pack tiles of prows rows, K/128 chunks of
-- prows x 32 bytes each), written once for every template.
local function tile_start(d)
  return string.format("w + (row0 / %d) * %d + (row0 %% %d) * 32", d.prows, d.K // 128 * d.prows * 32, d.prows)
end

-- Returns an ordered list of {name, text}.
function M.render(host, plan, spec_name)
  local spec, P = plan.spec, plan.prefix
  local names = {}
  for _, row in ipairs(plan.isas) do names[#names + 1] = row.name end
  local base = {
    spec = spec, plan = plan, P = P, GUARD = P:upper() .. "_H", version = VERSION, spec_name = spec_name,
    isa_names = table.concat(names, ", "), align = 64, features = feature_expr, list = meson_list,
    runtime_sources = M.runtime_sources(), isa_rows = M.isa_rows(plan), signature = signature,
    tile_start = tile_start,
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
