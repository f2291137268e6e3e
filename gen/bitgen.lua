-- bitgen command line.  Runs inside the C host (gen/host.c), which provides
-- `host` with the embedded resources; also runs under plain lua5.4 from a
-- source tree (the top-level meson.build asks it for file lists that way).
local plain = host == nil
if plain then
  local root = (arg and arg[0] or ""):match("^(.*)/gen/[^/]*$") or "."
  package.path = root .. "/gen/?.lua;" .. package.path
  host = {
    version = "source",
    resource = function(name)
      local f = io.open(root .. "/" .. name, "rb")
      if not f then return nil end
      local s = f:read("a")
      f:close()
      return s
    end,
    kind = function(path)
      local f = io.open(path, "rb")
      if not f then return nil end
      local _, _, code = f:read(1)
      f:close()
      return code == 21 and "dir" or "file"
    end,
    mkdir = function(path)
      local ok = os.execute("mkdir -p '" .. path:gsub("'", "'\\''") .. "'")
      return ok or nil, "cannot create directory " .. path
    end,
    rename = function(a, b) return os.rename(a, b) end,
    pid = function() return os.time() end,
  }
end

local spec_mod = require "spec"
local kernels = require "kernels"
local package_mod = require "pkg"
local manifest = require "manifest"

local USAGE = {
  main = [[
usage: bitgen <command> [options]

commands:
  generate SPEC [-o DIR] [--isa LIST] write the C package for SPEC into DIR
                                      (default: out/<spec name>)
  check SPEC [--isa LIST]             validate SPEC only
  list SPEC [--isa LIST]              one line per kernel variant: name and parameters
  --version                           print the version
  --help, <command> --help            this text, or a command's

A spec is a Lua file returning a table (see specs/). LIST is a comma-separated
list of ISAs (scalar is always included).]],
  generate = [[
usage: bitgen generate SPEC [-o DIR] [--isa LIST]

Writes the package (public header, kernels per ISA, dispatch.c, api.c, runtime,
meson.build) into DIR.  Output is assembled beside DIR and moved into place
only when complete; a bad spec writes nothing.  Files whose content did not
change are not rewritten.  --isa overrides the spec's ISA list.  Without -o,
DIR is out/<spec file name without .lua> under the current directory.]],
  check = [[
usage: bitgen check SPEC [--isa LIST]

Validates SPEC; prints FILE:LINE: field: reason and exits 1 on the first error.]],
  list = [[
usage: bitgen list SPEC [--isa LIST]

Prints one line per kernel variant: canonical name, op, format, M, K, N
(tokens: 1 for GEMV, any, or a specialized batch), ISA, tile rows, tile
tokens, K unroll (chunks of 128), pack rows, C symbol.]],
}

local function out(s) io.stdout:write(s, "\n") end
local function err(s) io.stderr:write(s, "\n") end

local function parse(args)
  local o = {}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "-o" or a == "--output" then
      o.out = args[i + 1]
      if not o.out then return nil, a .. " needs a directory" end
      i = i + 1
    elseif a == "--isa" then
      local v = args[i + 1]
      if not v then return nil, "--isa needs a list" end
      o.isa = {}
      for name in v:gmatch("[^,]+") do o.isa[#o.isa + 1] = name end
      i = i + 1
    elseif a == "--help" or a == "-h" then
      o.help = true
    elseif a:sub(1, 1) == "-" then
      return nil, "unknown option " .. a
    elseif not o.spec then
      o.spec = a
    else
      return nil, "unexpected argument " .. a
    end
    i = i + 1
  end
  if o.help then return o end
  if not o.spec then return nil, "missing SPEC" end
  return o
end

local function load_spec(path, isas)
  local f, e = io.open(path, "rb")
  if not f then return nil, "bitgen: cannot read spec: " .. tostring(e) end
  local text = f:read("a")
  f:close()
  local s, failure = spec_mod.load(path, text, isas)
  if not s then return nil, tostring(failure) end
  return s
end

local function basename(p) return p:match("([^/]+)$") or p end

local commands = {}

function commands.check(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s then err(e) return 1 end
  out(string.format("%s: ok (%d matrices, ISAs: %s)", o.spec, #s.matrices, (function()
    local t = {}
    for _, r in ipairs(s.isas) do t[#t + 1] = r.name end
    return table.concat(t, ",")
  end)()))
  return 0
end

function commands.list(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s then err(e) return 1 end
  local plan = kernels.plan(s)
  for _, k in ipairs(plan.kernels) do
    for _, v in ipairs(k.variants) do
      out(string.format("%s op=%s format=%s M=%d K=%d N=%s isa=%s rows=%d tokens=%d unroll=%d prows=%d symbol=%s",
        v.name, v.op, v.format, v.M, v.K, v.N == 0 and "any" or tostring(v.N), v.isa, v.rows, v.tokens, v.unroll,
        v.prows, v.symbol))
    end
  end
  return 0
end

function commands.generate(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s then err(e) return 1 end
  if not o.out then -- the default: out/<spec name> under the current directory
    local ok, merr = host.mkdir("out")
    if not ok then err("bitgen: " .. tostring(merr)) return 1 end
    o.out = "out/" .. basename(o.spec):gsub("%.lua$", "")
  end
  local plan = kernels.plan(s)
  local ok, files = pcall(package_mod.render, host, plan, basename(o.spec))
  if not ok then err("bitgen: " .. tostring(files)) return 1 end
  local wok, stats = pcall(package_mod.write, host, o.out, files)
  if not wok then err("bitgen: " .. tostring(stats)) return 1 end
  out(string.format("bitgen: %s -> %s (%d files: %d written, %d unchanged, %d stale removed)", o.spec, o.out,
    #files, stats.written, stats.unchanged, stats.removed))
  return 0
end

-- For the top-level meson.build: files to embed in the binary.
function commands.manifest()
  for _, m in ipairs(manifest.lua) do out("gen/" .. m .. ".lua") end
  for _, t in ipairs(manifest.templates) do out("templates/" .. t) end
  for _, r in ipairs(manifest.runtime) do out("runtime/" .. r) end
  return 0
end

-- For the top-level meson.build: what a package holds and how to compile it.
-- Lines: "prefix P", "isa NAME FAMILIES FLAGS EMULATE_FLAGS FILES", "runtime FILES",
-- "outputs FILES" (lists comma-separated, "-" for empty).
function commands.meson_info(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s then err(e) return 1 end
  local plan = kernels.plan(s)
  local function l(t) return #t == 0 and "-" or table.concat(t, ",") end
  out("prefix " .. plan.prefix)
  out("kind " .. s.fmt.kind)
  local outs = { plan.prefix .. ".h", "dispatch.c", "api.c", "verify_main.c" }
  for _, row in ipairs(package_mod.isa_rows(plan)) do
    for _, f in ipairs(row.files) do outs[#outs + 1] = f end
    out(string.format("isa %s %s %s %s %s", row.name, l(row.families), l(row.flags), l(row.emulate), l(row.files)))
  end
  local rt = package_mod.runtime_sources()
  for _, f in ipairs(manifest.runtime) do outs[#outs + 1] = f end
  out("runtime " .. l(rt))
  out("outputs " .. l(outs))
  return 0
end

local function main(args)
  local cmd = args[1]
  if cmd == nil or cmd == "--help" or cmd == "-h" or cmd == "help" then
    out(USAGE.main)
    return cmd == nil and 2 or 0
  end
  if cmd == "--version" or cmd == "version" then
    out("bitgen " .. package_mod.VERSION .. " (" .. _VERSION .. ")")
    return 0
  end
  local name = cmd == "meson-info" and "meson_info" or cmd
  local fn = commands[name]
  if not fn then
    err("bitgen: unknown command '" .. cmd .. "'\n\n" .. USAGE.main)
    return 2
  end
  local rest = {}
  for i = 2, #args do rest[#rest + 1] = args[i] end
  if name == "manifest" then return fn() end
  local o, perr = parse(rest)
  if not o then
    err("bitgen " .. cmd .. ": " .. perr .. "\n\n" .. (USAGE[name] or USAGE.main))
    return 2
  end
  if o.help then out(USAGE[name] or USAGE.main) return 0 end
  return fn(o)
end

local rc = main(arg or {})
if plain then os.exit(rc) end
return rc
