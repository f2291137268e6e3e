-- bitgen command line.  Runs inside the C host (gen/host.c), which provides
-- `host` with the embedded resources; also runs under plain lua5.4 from a
-- source tree (the top-level meson.build asks it for file lists that way).
-- Plain mode has no host.fs, so `generate` refuses there: writing an output
-- directory safely needs the host's file-system calls (gen/host_fs.c).
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
  }
end

local spec_mod = require "spec"
local kernels = require "kernels"
local package_mod = require "pkg"
local manifest = require "manifest"
local tuning_mod = require "tuning"

local USAGE = {
  main = [[
usage: bitgen <command> [options]

commands:
  generate SPEC [-o DIR] [--isa LIST] [--tuning FILE] [--force]
                                      write the C package for SPEC into DIR
                                      (default: out/<spec name>)
  check SPEC [--isa LIST] [--tuning FILE]
                                      validate SPEC (and a tuning file) only
  list SPEC [--isa LIST] [--tuning FILE]
                                      one line per kernel variant: name and parameters
  tune SPEC [-o FILE] [--quick] [--isa LIST]
                                      build and time tile candidates on this CPU and
                                      write a tuning file (needs cc, meson, ninja)
  tune --cpu                          the CPU name a tuning file of this machine has
  spec-from-gguf FILE.gguf [-o SPEC] [--isa LIST]
                                      write a model spec for a GGUF model file
                                      (its header only; default: standard output)
  --version                           print the version
  --help, <command> --help            this text, or a command's

A spec is a Lua file returning a table (see specs/). LIST is a comma-separated
list of ISAs (scalar is always included).]],
  generate = [[
usage: bitgen generate SPEC [-o DIR] [--isa LIST] [--tuning FILE] [--force]

Writes the package (public header, kernels per ISA, dispatch.c, api.c, runtime,
meson.build) and its manifest bitgen.files (SHA-256 and name of each file, as
sha256sum prints them) into DIR.  The new DIR is assembled in a temporary
directory beside it and exchanged with DIR in one step: on any failure DIR is
left as it was; a bad spec writes nothing.  Files whose content did not change
keep their inode and mtime.  Files bitgen no longer generates are removed if
they still have their recorded hash, kept with a warning if edited.  A lock
file beside DIR (.DIR.bitgen-lock) makes a concurrent run on DIR fail.

DIR must be new, empty or written by bitgen (it has bitgen.files); --force
also accepts a DIR holding other files, which are kept and never overwritten
(a package file of the same name is an error).  /, . and .. are refused.
--isa overrides the spec's ISA list.  --tuning FILE takes the tiles of the
kernels it names for SPEC's model from a tuning file (written by bitgen tune)
instead of the spec's; the same SPEC and FILE give byte-identical packages.
Without -o, DIR is out/<spec file name without .lua> under the current
directory.]],
  check = [[
usage: bitgen check SPEC [--isa LIST] [--tuning FILE]

Validates SPEC (and FILE, a tuning file, against it); prints
FILE:LINE: field: reason and exits 1 on the first error.]],
  tune = require("tune").USAGE,
  spec_from_gguf = [[
usage: bitgen spec-from-gguf FILE.gguf [-o SPEC] [--isa LIST]

Reads the header of FILE.gguf (metadata and tensor table; no tensor data) and
writes a model spec that `bitgen generate` accepts: the architecture
(bitnet-b1.58, bitnet, llama), its hyper-parameters, and one layer's weight
matrices plus token_embd (and output when not tied), each with its GGUF tensor
name and the bitgen format of its type (I2_S -> i2s, TQ1_0 -> tq1_0, TQ2_0 ->
tq2_0, Q4_0 -> q4_0, Q8_0 -> q8_0, and q6_k, f16, bf16 where this bitgen has
them).  An unknown architecture or tensor type is an error naming it.  --isa
sets the spec's ISA list (default: every ISA).]],
  list = [[
usage: bitgen list SPEC [--isa LIST] [--tuning FILE]

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
    elseif a == "--force" then
      o.force = true
    elseif a == "--tuning" then
      o.tuning = args[i + 1]
      if not o.tuning then return nil, "--tuning needs a file" end
      i = i + 1
    elseif a == "--quick" then
      o.quick = true
    elseif a == "--cpu" then
      o.cpu = true
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
  if o.help or (o.cpu and not o.spec) then return o end
  if not o.spec then return nil, "missing SPEC" end
  return o
end

-- A spec is a regular file of at most 1 MiB; its name goes into generated
-- comments and the README, so it is kept to characters safe there.
local MAX_SPEC_BYTES = 1 << 20
local function load_spec(path, isas, fmts)
  local name = path:match("([^/]+)/*$") or path
  if not name:match("^[%w][%w%.%-_+]*$") then
    return nil, "bitgen: " .. path .. ": a spec file name starts with a letter or digit and holds only letters, " ..
      "digits and . - _ +"
  end
  local kind = host.kind and host.kind(path)
  if kind == "dir" then return nil, "bitgen: " .. path .. " is a directory, not a spec file" end
  if kind == "other" then return nil, "bitgen: " .. path .. " is not a regular file" end
  local f, e = io.open(path, "rb")
  if not f then return nil, "bitgen: cannot read spec: " .. tostring(e) end
  local text, rerr, code = f:read(MAX_SPEC_BYTES + 1)
  f:close()
  if code == 21 then return nil, "bitgen: " .. path .. " is a directory, not a spec file" end
  if not text and rerr then return nil, "bitgen: cannot read spec " .. path .. ": " .. tostring(rerr) end
  text = text or "" -- nil at the end of the file: it is empty
  if text == "" then
    return nil, "bitgen: " .. path .. " is empty (a spec is a Lua file that returns a table: see specs/)"
  end
  if #text > MAX_SPEC_BYTES then return nil, "bitgen: " .. path .. " is larger than 1 MiB (a spec is a short Lua file)" end
  local s, failure = spec_mod.load(path, text, isas, fmts)
  if not s then return nil, tostring(failure) end
  s.source = text -- hashed into the package's _info()
  return s
end

local function basename(p) return p:match("([^/]+)$") or p end

-- The spec with the tiles of a tuning file (--tuning) applied.
-- Its matrix formats (i2s or tl per ternary matrix) apply first: the spec is
-- read again with them, and the tiles are checked against that spec.
local function load_tuned(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s or not o.tuning then return s, e end
  local t, terr = tuning_mod.load(o.tuning, s, "formats")
  if not t then return nil, terr end
  local fmts, moved = t.formats[s.model], 0
  if fmts then
    for _, m in ipairs(s.matrices) do if fmts[m.name] and fmts[m.name] ~= m.format then moved = moved + 1 end end
    s, e = load_spec(o.spec, o.isa, fmts)
    if not s then return nil, e end
  end
  t, terr = tuning_mod.load(o.tuning, s) -- the tiles, against the spec they apply to
  if not t then return nil, terr end
  s.tuning_file, s.tuned_tiles, s.tuned_formats = o.tuning, tuning_mod.apply(t, s), moved
  return s
end


local commands = {}

function commands.spec_from_gguf(o)
  if plain then
    err("bitgen spec-from-gguf: needs the bitgen executable (its GGUF reader); plain lua5.4 cannot read GGUF files")
    return 1
  end
  local path = o.spec
  local h, rerr = host.gguf_header(path)
  if not h then err("bitgen: " .. rerr) return 1 end
  local gguf_spec = require "gguf_spec"
  local ok, text = pcall(gguf_spec.spec_text, h, path, o.isa)
  if not ok then
    if type(text) ~= "table" then error(text, 0) end
    err(string.format("bitgen: %s: %s: %s", path, text.field, text.reason))
    return 1
  end
  -- what is written must be a spec generate accepts
  local name = o.out and basename(o.out) or "spec-from-gguf.lua"
  local s, failure = spec_mod.load(name, text, nil)
  if not s then
    err("bitgen: " .. path .. ": the spec made from this file is not valid: " .. tostring(failure))
    return 1
  end
  if not o.out then
    io.stdout:write(text)
    return 0
  end
  local f, ferr = io.open(o.out, "wb")
  if not f then err("bitgen: cannot write " .. o.out .. ": " .. tostring(ferr)) return 1 end
  local wok, werr = f:write(text)
  local cok, cerr = f:close()
  if not wok or not cok then err("bitgen: cannot write " .. o.out .. ": " .. tostring(werr or cerr)) return 1 end
  err(string.format("bitgen: %s -> %s (%s, %d layers, %d matrices)", path, o.out, s.arch, s.layers, #s.matrices))
  return 0
end

function commands.check(o)
  local s, e = load_tuned(o)
  if not s then err(e) return 1 end
  out(string.format("%s: ok (%d matrices, ISAs: %s)", o.spec, #s.matrices, (function()
    local t = {}
    for _, r in ipairs(s.isas) do t[#t + 1] = r.name end
    return table.concat(t, ",")
  end)()) .. (o.tuning and string.format("; %s: ok, %d tuned tiles apply%s", o.tuning, s.tuned_tiles,
    s.tuned_formats > 0 and string.format(", %d matrices change format", s.tuned_formats) or "") or ""))
  return 0
end

function commands.list(o)
  local s, e = load_tuned(o)
  if not s then err(e) return 1 end
  local plan = kernels.plan(s)
  for _, k in ipairs(plan.kernels) do
    for _, v in ipairs(k.variants) do
      out(string.format("%s op=%s format=%s M=%d K=%d N=%s isa=%s rows=%d tokens=%d unroll=%d%s prows=%d symbol=%s",
        v.name, v.op, v.format, v.M, v.K, v.N == 0 and "any" or tostring(v.N), v.isa, v.rows, v.tokens, v.unroll,
        v.prefetch and (" prefetch=" .. v.prefetch) or "", v.prows, v.symbol))
    end
  end
  return 0
end

function commands.generate(o)
  if plain then
    err("bitgen generate: needs the bitgen executable (built by meson from gen/host.c); plain lua5.4 runs " ..
      "check, list, manifest and meson-info only")
    return 1
  end
  -- the output directory is checked before anything else, so a refusal writes nothing
  local default = not o.out
  if default then -- out/<spec name> under the current directory
    local name = basename(o.spec):gsub("%.lua$", "")
    if name == "" or name == "." or name == ".." then
      err("bitgen: spec file name '" .. basename(o.spec) .. "' gives no usable output directory name; pass -o DIR")
      return 1
    end
    o.out = "out/" .. name
  end
  local dir_ok, dir_err = package_mod.output_dir(o.out)
  if not dir_ok then err("bitgen: " .. dir_err) return 1 end
  local s, e = load_tuned(o)
  if not s then err(e) return 1 end
  local plan = kernels.plan(s)
  local ok, files = pcall(package_mod.render, host, plan, basename(o.spec))
  if not ok then err("bitgen: " .. tostring(files)) return 1 end
  local wok, stats = pcall(package_mod.write, host, o.out, files,
    { force = o.force, make_parent = default, warn = function(m) err("bitgen: warning: " .. m) end })
  if not wok then err("bitgen: " .. tostring(stats)) return 1 end
  out(string.format("bitgen: %s -> %s (%d files: %d written, %d unchanged, %d stale removed)%s", o.spec, o.out,
    stats.files, stats.written, stats.unchanged, stats.removed,
    o.tuning and string.format(" with %d tuned tiles%s of %s", s.tuned_tiles,
      s.tuned_formats > 0 and string.format(" and %d matrix formats", s.tuned_formats) or "", o.tuning) or ""))
  return 0
end

function commands.tune(o)
  if plain then
    err("bitgen tune: needs the bitgen executable (built by meson from gen/host.c)")
    return 1
  end
  if o.cpu then out(require("tune").cpu_name()) return 0 end
  return require("tune").run(host, o, load_spec)
end

-- For the top-level meson.build: files to embed in the binary.
function commands.manifest()
  for _, m in ipairs(manifest.lua) do out("gen/" .. m .. ".lua") end
  for _, t in ipairs(manifest.templates) do out("templates/" .. t) end
  for _, r in ipairs(manifest.runtime) do out("runtime/" .. r) end
  for _, t in ipairs(manifest.tools or {}) do out("gen/" .. t) end
  return 0
end

-- For the top-level meson.build: what a package holds and how to compile it.
-- Lines: "prefix P", "isa NAME FAMILIES FLAGS EMULATIONS FILES", "runtime FILES",
-- "outputs FILES" (lists comma-separated, "-" for empty; EMULATIONS is
-- KEY:FLAGS entries separated by "|").
function commands.meson_info(o)
  local s, e = load_spec(o.spec, o.isa)
  if not s then err(e) return 1 end
  local plan = kernels.plan(s)
  local function l(t) return #t == 0 and "-" or table.concat(t, ",") end
  out("prefix " .. plan.prefix)
  out("kind " .. s.fmt.kind) -- the spec's `format`; a model spec may hold more:
  local fl = {}
  for _, g in ipairs(s.groups) do fl[#fl + 1] = g.format end
  out("formats " .. table.concat(fl, ","))
  local outs = package_mod.top_files(plan)
  for _, row in ipairs(package_mod.isa_rows(plan)) do
    for _, f in ipairs(row.files) do outs[#outs + 1] = f end
    local emus = {}
    for _, e in ipairs(row.emulate) do emus[#emus + 1] = e.key .. ":" .. table.concat(e.flags, ",") end
    out(string.format("isa %s %s %s %s %s", row.name, l(row.families), l(row.flags),
      #emus == 0 and "-" or table.concat(emus, "|"), l(row.files)))
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
  local name = cmd == "meson-info" and "meson_info" or cmd == "spec-from-gguf" and "spec_from_gguf" or cmd
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
  if o.help then out(USAGE[name] or USAGE[cmd] or USAGE.main) return 0 end
  if o.force and name ~= "generate" then
    err("bitgen " .. cmd .. ": --force applies to generate only\n\n" .. (USAGE[name] or USAGE.main))
    return 2
  end
  if (o.quick or o.cpu) and name ~= "tune" then
    err("bitgen " .. cmd .. ": " .. (o.quick and "--quick" or "--cpu") .. " applies to tune only\n\n" ..
      (USAGE[name] or USAGE.main))
    return 2
  end
  if o.tuning and not (name == "generate" or name == "check" or name == "list") then
    err("bitgen " .. cmd .. ": --tuning applies to generate, check and list\n\n" .. (USAGE[name] or USAGE.main))
    return 2
  end
  return fn(o)
end

local rc = main(arg or {})
if plain then os.exit(rc) end
return rc
