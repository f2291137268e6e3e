-- `bitgen tune SPEC`: on this machine, builds and times tile candidates of
-- every matrix kernel of SPEC and writes the fastest as a tuning file
-- (gen/tuning.lua).  Each candidate is a package generated into one
-- temporary directory with the package writer (unchanged files keep their
-- inode and mtime, so ninja recompiles only the kernels that changed),
-- built with meson, checked bit-exact by its bitgen-verify, and timed by
-- gen/tune_time.c linked against it.  Candidates of one round are timed in
-- alternation, several times, so that a slow phase of a shared machine
-- touches all of them alike.
local spec_mod = require "spec"
local isa_mod = require "isa"
local kernels = require "kernels"
local package_mod = require "pkg"
local manifest = require "manifest"
local tuning_mod = require "tuning"
local formats = require "formats"

local M = {}

M.USAGE = [[
usage: bitgen tune SPEC [-o FILE] [--quick] [--isa LIST]
       bitgen tune --cpu      print this CPU's name as a tuning file names it

Finds, on this machine, the fastest tile of every matrix kernel of SPEC and
writes a tuning file for `bitgen generate SPEC --tuning FILE`.  Needs a C
compiler (cc, or $CC), meson and ninja at run time: each candidate is a
package generated into a temporary directory, built with meson (release),
checked bit-exact with its `bitgen-verify --isa ISA` (--quick: its quick
mode) and then timed with one thread: every GEMV cold, as a decode step
runs it (each call on another copy of its weights, the copies spanning 4x
the last-level cache), every GEMM hot at N = 128 (a specialized one at its
batch).  The candidates of a round run in alternation, 5 rounds (--quick:
3); a kernel's time is the median.  A kernel keeps the spec's tile unless
another is at least 2% faster; a GEMV tile may lose hot speed only up to
what it gains cold (hot x cold time must not grow); each candidate's
outputs must also equal the spec tile's bit for bit.

Candidates, per weight format and op, over the tile fields its template
reads (rows always; unroll, tokens for GEMM, and the software prefetch
distance where the templates read them): rows = the multiples of the ISA's
rows per register that divide pack_rows; unroll = 1, 2, 3, 4; tokens =
1 .. 8; prefetch = 0, 4, 16, 64, 256 KiB ahead; each tile within the ISA's
register budget (as spec tiles).  Default: the spec's tile, every value of
each field with the others at the spec's, then the combinations of each
field's two best values.  --quick: the spec's tile and each field moved to
its neighbouring values only (about 4 packages for an i2s spec).

ISAs: --isa LIST (each one SPEC generates and this CPU runs), else the best
ISA of SPEC this CPU runs.  Without -o the file goes to standard output.
With -o FILE an existing tuning file keeps its entries for other ISAs and
models, with their notes (it must name the same CPU); FILE is replaced in
one step.  Progress
goes to standard error; the temporary directory is removed in every case.]]

local GAIN = 1.02 -- another tile must be this much faster than the spec's
local VALUES = { unroll = { 1, 2, 3, 4 }, tokens = { 1, 2, 3, 4, 5, 6, 7, 8 }, prefetch = { 0, 4, 16, 64, 256 } }

local function must(ok, e) if not ok then error(e, 0) end return ok end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function say(fmt, ...) io.stderr:write("bitgen tune: ", string.format(fmt, ...), "\n") end

-- Runs a shell command with its output in log; returns its exit code.  An
-- interrupt (system() ignores SIGINT in bitgen while the child runs) stops tuning.
local function run(cmd, log)
  local ok, how, code = os.execute(cmd .. " >" .. q(log) .. " 2>&1")
  if how == "signal" then error("interrupted (signal " .. tostring(code) .. ")", 0) end
  return ok and 0 or code
end

local function tail(path, n)
  local f = io.open(path, "rb")
  if not f then return "" end
  local lines = {}
  for l in f:lines() do
    lines[#lines + 1] = l
    if #lines > n then table.remove(lines, 1) end
  end
  f:close()
  return table.concat(lines, "\n")
end

local function must_run(cmd, log, what)
  local rc = run(cmd, log)
  if rc ~= 0 then error(string.format("%s failed (exit %d):\n%s", what, rc, tail(log, 25)), 0) end
end

local function rm_tree(fs, path)
  local st = fs.lstat(path)
  if not st then return end
  if st.kind == "dir" then
    for _, n in ipairs(fs.readdir(path) or {}) do rm_tree(fs, path .. "/" .. n) end
    fs.rmdir(path)
  else
    fs.unlink(path)
  end
end

local function write(fs, path, text)
  local ok, e = fs.write_new(path, text)
  if not ok then error(e, 0) end
end

-- The CPU model as /proc/cpuinfo names it, one line (x86: model name and
-- family/model/stepping; Arm: implementer and part; else what is there).
function M.cpu_name()
  local f = io.open("/proc/cpuinfo", "rb")
  local text = f and f:read("a") or ""
  if f then f:close() end
  local function field(k) return text:match("\n" .. k .. "%s*:%s*([^\n]*)") or text:match("^" .. k .. "%s*:%s*([^\n]*)") end
  local name
  if field("model name") and field("cpu family") then
    name = string.format("%s (x86_64 family %s model %s stepping %s)", field("model name"), field("cpu family"),
      field("model") or "?", field("stepping") or "?")
  elseif field("CPU implementer") then
    name = string.format("%s (aarch64 implementer %s part %s variant %s)", field("model name") or "Arm CPU",
      field("CPU implementer"), field("CPU part") or "?", field("CPU variant") or "?")
  else
    name = field("model name") or field("uarch") or field("cpu model") or field("cpu") or "unknown CPU"
  end
  name = name:gsub("[%c\"\\]", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  return name:sub(1, 200)
end

-- Tile fields a template reads (d.unroll, d.tokens), its includes too.
local reads_cache = {}
local function template_reads(host, name, field, seen)
  local key = name .. ":" .. field
  if reads_cache[key] ~= nil then return reads_cache[key] end
  seen = seen or {}
  if seen[name] then return false end
  seen[name] = true
  local text = host.resource("templates/" .. name) or ""
  local found = text:find("d%." .. field .. "%f[^%w_]") ~= nil
  for inc in text:gmatch('include%("([^"]+)"') do
    if found then break end
    found = template_reads(host, inc, field, seen)
  end
  reads_cache[key] = found
  return found
end

-- r<rows>[n<tokens>]u<unroll>[f<prefetch KiB>]: every field tune varies
local function tile_key(t) return spec_mod.checks.tile_name(t) .. (t.prefetch and ("f" .. t.prefetch) or "") end
local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end

-- The candidate tiles of one (format group, op) on one ISA row, spec tile first.
-- quick: neighbours only; returns list and the value lists per field.
local function candidates(host, g, op, row, base, quick)
  local impl = g.fmt.ops[op][row.name]
  local fields = { "rows" }
  for _, f in ipairs(op == "gemm" and { "tokens", "unroll", "prefetch" } or { "unroll", "prefetch" }) do
    if base[f] ~= nil and template_reads(host, impl.template, f) then fields[#fields + 1] = f end
  end
  local values = {}
  local mult = impl.row_multiple or 1
  values.rows = {}
  for r = mult, g.pack_rows, mult do
    if g.pack_rows % r == 0 then values.rows[#values.rows + 1] = r end
  end
  for f, list in pairs(VALUES) do values[f] = list end
  local function valid(t) return spec_mod.tile_problem(impl, t, row, g.pack_rows) == nil end
  local list, seen = { base }, { [tile_key(base)] = true }
  local function add(t)
    if not seen[tile_key(t)] and valid(t) then
      seen[tile_key(t)] = true
      list[#list + 1] = t
    end
  end
  for _, f in ipairs(fields) do
    local vals = {}
    local has = false
    for _, v in ipairs(values[f]) do vals[#vals + 1] = v; has = has or v == base[f] end
    if not has then vals[#vals + 1] = base[f] end
    table.sort(vals)
    for i, v in ipairs(vals) do
      local near = vals[i - 1] == base[f] or vals[i + 1] == base[f]
      if v ~= base[f] and (not quick or near) then
        local t = copy(base)
        t[f] = v
        add(t)
      end
    end
  end
  return list, fields, valid
end

-- Median of a list of numbers.
local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  if n == 0 then return nil end
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

-- Tunes one ISA; returns kernel name -> {tile, ns, spec_tile, spec_ns} and
-- the kernel order.
-- fmts: matrix formats to tune the spec with (gen/tuning.lua), or nil.
local function tune_isa(host, ctx, isa_name, fmts)
  local fs = host.fs
  local s = assert(ctx.load_spec(ctx.spec_path, { isa_name }, fmts))
  local row = isa_mod.by_name[isa_name]
  local dir = ctx.tmp .. "/" .. isa_name .. (fmts and "-formats" or "")
  must(fs.mkdir(dir))
  local pkg, bdir = dir .. "/pkg", dir .. "/build"

  -- the slots: one per (format group, op), each with its candidate list
  local slots = {}
  local all_kernels = tuning_mod.spec_kernels(s)
  for _, g in ipairs(s.groups) do
    for _, op in ipairs({ "gemv", "gemm" }) do
      local base = copy((op == "gemv" and g.tiles or g.gemm_tiles)[isa_name])
      if op == "gemv" then base.tokens = nil else base.tokens = base.tokens or 1 end -- as the plan reads it
      local list, fields, valid = candidates(host, g, op, row, base, ctx.quick)
      local names = {}
      for _, k in ipairs(all_kernels) do
        local d = all_kernels[k]
        if d.format == g.format and d.op == op then names[#names + 1] = k end
      end
      slots[#slots + 1] = { g = g, op = op, base = base, list = list, fields = fields, valid = valid, kernels = names,
                            measured = {} }
    end
  end

  local cands = {} -- packages built: {tiles = slot index -> tile, timer = path, expect = kernel -> variant}
  local results = {} -- kernel -> tile key -> {tile, ns list}
  local digests = {}
  local P

  local function build(tiles)
    local n = #cands + 1
    local desc = {}
    s.tuned = {}
    for i, sl in ipairs(slots) do
      local t = tiles[i]
      for _, k in ipairs(sl.kernels) do s.tuned[k] = { [isa_name] = t } end
      desc[#desc + 1] = sl.g.format .. " " .. sl.op .. " " .. tile_key(t)
    end
    local t0 = os.time()
    local plan = kernels.plan(s)
    P = plan.prefix
    local files = package_mod.render(host, plan, ctx.spec_name)
    package_mod.write(host, pkg, files, {})
    local log = dir .. "/build.log"
    if n == 1 then must_run("meson setup --buildtype=release " .. q(bdir) .. " " .. q(pkg), log, "meson setup") end
    must_run("ninja -C " .. q(bdir) .. " " .. q("lib" .. P .. ".a") .. " bitgen-verify", log,
      "building candidate " .. n .. " (" .. table.concat(desc, ", ") .. ")")
    local vlog = dir .. "/verify-" .. n .. ".log"
    local rc = run(q(bdir .. "/bitgen-verify") .. " --isa " .. isa_name .. (ctx.quick and " --quick" or ""), vlog)
    if rc ~= 0 then
      error(string.format("candidate %d (%s) is not verified: bitgen-verify --isa %s exited %d:\n%s", n,
        table.concat(desc, ", "), isa_name, rc, tail(vlog, 15)), 0)
    end
    local timer = dir .. "/time-" .. n
    must_run(table.concat({ q(ctx.cc), "-std=c11 -O2 -I" .. q(pkg), q("-DTUNE_PREFIX=" .. P),
      q('-DTUNE_HEADER="' .. P .. '.h"'), q(ctx.tmp .. "/tune_time.c"), q(bdir .. "/lib" .. P .. ".a"),
      "-lpthread -lm -o", q(timer) }, " "), log, "compiling the timing driver")
    local expect = {}
    for _, k in ipairs(plan.kernels) do
      for _, v in ipairs(k.variants) do if v.isa == isa_name then expect[k.name] = v.name end end
    end
    cands[n] = { tiles = tiles, timer = timer, expect = expect }
    say("%s: candidate %d: %s: built and verified (%d s)", isa_name, n, table.concat(desc, ", "), os.time() - t0)
  end

  -- one timing run of every candidate in turn, `rounds` times
  local function time_all(list, rounds)
    for r = 1, rounds do
      for _, n in ipairs(list) do
        local c = cands[n]
        local out = dir .. "/time.out"
        local rc = run("BITGEN_ISA=" .. isa_name .. " " .. q(c.timer) .. (ctx.quick and " --quick" or ""), out)
        if rc ~= 0 then error("timing candidate " .. n .. " failed (exit " .. rc .. "):\n" .. tail(out, 10), 0) end
        local f = assert(io.open(out, "rb"))
        local seen = 0
        for line in f:lines() do
          local k, v, i, ns, cold, dg = line:match("^kernel (%S+) variant (%S+) isa (%S+) ns (%d+)(.-) digest (%x+)$")
          if cold and cold ~= "" then
            cold = cold:match("^ cold (%d+)$")
            if not cold then k = nil end
          else
            cold = nil
          end
          if k then
            if i ~= isa_name or v ~= c.expect[k] then
              f:close()
              error(string.format("candidate %d ran %s (%s) for kernel %s, expected %s", n, v, i, k,
                tostring(c.expect[k])), 0)
            end
            if digests[k] and digests[k] ~= dg then
              f:close()
              error(string.format("candidate %d: %s gives other outputs than the spec's tile (digest %s, not %s): " ..
                "not bit-exact", n, v, dg, digests[k]), 0)
            end
            digests[k] = dg
            local sl
            for si, x in ipairs(slots) do for _, kk in ipairs(x.kernels) do if kk == k then sl = si end end end
            local t = c.tiles[sl]
            results[k] = results[k] or {}
            local e = results[k][tile_key(t)] or { tile = t, ns = {}, hot = {} }
            results[k][tile_key(t)] = e
            -- a GEMV is chosen by its cold time (a decode step's), a GEMM by its hot one
            e.ns[#e.ns + 1] = tonumber(cold or ns)
            e.hot[#e.hot + 1] = tonumber(ns)
            e.cold = cold ~= nil
            seen = seen + 1
          end
        end
        f:close()
        if seen ~= #all_kernels then error("timing candidate " .. n .. " reported " .. seen .. " kernels", 0) end
      end
    end
  end

  -- round 1: the spec's tiles, then each slot's list in step (a slot whose list
  -- is shorter keeps its spec tile: those kernel files stay unchanged)
  local n1 = 0
  for _, sl in ipairs(slots) do n1 = math.max(n1, #sl.list) end
  local round = {}
  for i = 1, n1 do
    local tiles = {}
    for si, sl in ipairs(slots) do tiles[si] = sl.list[i] or sl.base end
    build(tiles)
    round[#round + 1] = #cands
  end
  local rounds = ctx.quick and 3 or 5
  say("%s: timing %d candidates, %d rounds", isa_name, #round, rounds)
  time_all(round, rounds)

  -- round 2 (not --quick): per slot, the combinations of each field's two
  -- best values (geometric mean over the slot's kernels of time / spec time)
  if not ctx.quick then
    local extra = {}
    for si, sl in ipairs(slots) do
      local best = {}
      for _, f in ipairs(sl.fields) do
        local score = {}
        for _, t in ipairs(sl.list) do
          local differs = 0
          for _, g in ipairs(sl.fields) do if t[g] ~= sl.base[g] then differs = differs + 1 end end
          if differs <= 1 and (t[f] ~= sl.base[f] or differs == 0) then
            local sum, cnt = 0, 0
            for _, k in ipairs(sl.kernels) do
              local e, b = results[k][tile_key(t)], results[k][tile_key(sl.base)]
              if e and b then
                sum = sum + math.log(median(e.ns) / median(b.ns))
                cnt = cnt + 1
              end
            end
            if cnt > 0 then score[#score + 1] = { v = t[f], s = sum / cnt } end
          end
        end
        table.sort(score, function(a, b) return a.s < b.s or (a.s == b.s and a.v < b.v) end)
        best[f] = { score[1] and score[1].v or sl.base[f], score[2] and score[2].v or sl.base[f] }
      end
      local combos = { copy(sl.base) }
      for _, f in ipairs(sl.fields) do
        local nxt = {}
        for _, t in ipairs(combos) do
          for _, v in ipairs(best[f]) do
            local c = copy(t)
            c[f] = v
            nxt[#nxt + 1] = c
          end
        end
        combos = nxt
      end
      local known = {}
      for _, t in ipairs(sl.list) do known[tile_key(t)] = true end
      extra[si] = {}
      for _, t in ipairs(combos) do
        if not known[tile_key(t)] and sl.valid(t) then
          known[tile_key(t)] = true
          extra[si][#extra[si] + 1] = t
        end
      end
    end
    local n2 = 0
    for si in ipairs(slots) do n2 = math.max(n2, #extra[si]) end
    if n2 > 0 then
      for i = 1, n2 do
        local tiles = {}
        for si, sl in ipairs(slots) do tiles[si] = extra[si][i] or sl.base end
        build(tiles)
      end
      -- timed again beside the new ones: the spec's tiles and each kernel's best so far
      local again, has = { 1 }, { [1] = true }
      for si, sl in ipairs(slots) do
        for _, k in ipairs(sl.kernels) do
          local best, best_ns
          for key, e in pairs(results[k]) do
            local m = median(e.ns)
            if not best_ns or m < best_ns or (m == best_ns and key < tile_key(best)) then best, best_ns = e.tile, m end
          end
          for n = 1, n1 do
            if tile_key(cands[n].tiles[si]) == tile_key(best) then
              if not has[n] then again[#again + 1], has[n] = n, true end
              break
            end
          end
        end
      end
      table.sort(again)
      for n = n1 + 1, #cands do again[#again + 1] = n end
      say("%s: timing %d new and %d earlier candidates, %d rounds", isa_name, #cands - n1, #again - (#cands - n1), rounds)
      time_all(again, rounds)
    end
  end

  -- the choice per kernel
  local chosen = {}
  for _, sl in ipairs(slots) do
    for _, k in ipairs(sl.kernels) do
      local b = results[k][tile_key(sl.base)]
      local spec_ns = median(b.ns)
      local best, best_ns, best_e = sl.base, spec_ns, b
      local spec_hot = median(b.hot)
      for _, e in pairs(results[k]) do
        local m = median(e.ns)
        -- a GEMV may trade hot speed for cold speed only up to the cold
        -- gain it brings: hot x cold must not grow over the spec tile's
        local fair = not e.cold or median(e.hot) * m <= spec_hot * spec_ns
        if fair and (m < best_ns or (m == best_ns and tile_key(e.tile) < tile_key(best))) then
          best, best_ns, best_e = e.tile, m, e
        end
      end
      if spec_ns <= best_ns * GAIN then best, best_ns, best_e = sl.base, spec_ns, b end
      chosen[k] = { tile = best, ns = best_ns, spec_tile = sl.base, spec_ns = spec_ns, tried = 0, cold = b.cold,
                    hot = median(best_e.hot), spec_hot = median(b.hot) }
      for _ in pairs(results[k]) do chosen[k].tried = chosen[k].tried + 1 end
    end
  end
  return chosen, all_kernels, digests
end

local function have(cmd)
  local prog = cmd:match("^%s*(%S+)")
  return prog and os.execute("command -v " .. q(prog) .. " >/dev/null 2>&1")
end

-- Feature names of this CPU, detected by the runtime's own code (what the
-- dispatcher of a package will see), compiled and run in tmp.
local function cpu_features(host, ctx)
  local fs = host.fs
  local dir = ctx.tmp .. "/probe"
  must(fs.mkdir(dir))
  local srcs = { "cpu.c", "cpu_x86.c", "cpu_arm.c", "cpu_riscv.c" }
  for _, f in ipairs(manifest.runtime) do
    if f:match("%.h$") then write(fs, dir .. "/" .. f, host.resource("runtime/" .. f)) end
  end
  for _, f in ipairs(srcs) do write(fs, dir .. "/" .. f, host.resource("runtime/" .. f)) end
  write(fs, dir .. "/bitgen_ns.h", "/* unprefixed: a program of its own */\n")
  write(fs, dir .. "/probe.c", table.concat({
    "#include <stdio.h>", '#include "bitgen_rt.h"',
    "int main(void) {", "  uint32_t f = bitgen_cpu_features();",
    "  for (uint32_t b = 0; b < 32; b++)",
    "    if ((f >> b) & 1u && bitgen_feature_name(b)) printf(\"%s\\n\", bitgen_feature_name(b));",
    "  return 0;", "}", "" }, "\n"))
  local cmd = { q(ctx.cc), "-std=c11 -O1 -o", q(dir .. "/probe"), q(dir .. "/probe.c") }
  for _, f in ipairs(srcs) do cmd[#cmd + 1] = q(dir .. "/" .. f) end
  cmd[#cmd + 1] = "-lpthread"
  local log = dir .. "/log"
  must_run(table.concat(cmd, " "), log, "compiling the CPU probe with " .. ctx.cc)
  must_run(q(dir .. "/probe"), log, "the CPU probe")
  local set = {}
  for l in io.lines(log) do set[l] = true end
  return set
end

local function runs(row, feats)
  for _, f in ipairs(row.features) do if not feats[f] then return false end end
  return true
end

local function show_ns(ns)
  if ns >= 1e6 then return string.format("%.2f ms", ns / 1e6) end
  if ns >= 1e4 then return string.format("%.1f us", ns / 1e3) end
  return string.format("%d ns", math.floor(ns + 0.5))
end

-- Per flippable matrix: its format's cost per token, a decode step (the
-- GEMV cold) plus a prefill token (the general GEMM at N = 128 / 128), in
-- the spec's format (a: its tune) and the other (b); the other must be
-- GAIN faster.  Returns {formats = name -> format, notes, moved}.
local function rank(isa_name)
  for i, row in ipairs(isa_mod.list) do if row.name == isa_name then return i end end
  return 0
end

local function decide_formats(s, flip, a, b, da, db)
  local res = { formats = {}, notes = {}, moved = false }
  -- both runs pack the same random weights and activations per shape: the
  -- two formats' outputs must be the same bits
  for _, m in ipairs(s.matrices) do
    local other = flip[m.name]
    for _, op in ipairs(other and { "gemv", "gemm" } or {}) do
      local ka = kernels.kernel_name({ op = op, format = m.format, M = m.M, K = m.K, N = op == "gemv" and 1 or 0 })
      local kb = kernels.kernel_name({ op = op, format = other, M = m.M, K = m.K, N = op == "gemv" and 1 or 0 })
      if da[ka] ~= db[kb] then
        error(string.format("matrix %s: %s and %s give other outputs for the same weights (digest %s, %s)",
          m.name, ka, kb, tostring(da[ka]), tostring(db[kb])), 0)
      end
    end
  end
  local function cost(chosen, f, m)
    local gv = chosen[kernels.kernel_name({ op = "gemv", format = f, M = m.M, K = m.K, N = 1 })]
    local gm = chosen[kernels.kernel_name({ op = "gemm", format = f, M = m.M, K = m.K, N = 0 })]
    return gv.ns + gm.ns / 128, gv.ns, gm.ns / 128
  end
  for _, m in ipairs(s.matrices) do
    local other = flip[m.name]
    if other then
      local ca, va, pa = cost(a, m.format, m)
      local cb, vb, pb = cost(b, other, m)
      local f = ca <= cb * GAIN and m.format or other
      res.formats[m.name] = f
      res.moved = res.moved or f ~= m.format
      res.notes[m.name] = string.format("per token, decode (GEMV cold) + prefill (GEMM / 128): %s %s + %s, %s %s + %s",
        m.format, show_ns(va), show_ns(pa), other, show_ns(vb), show_ns(pb))
    end
  end
  return res
end

local function body(host, o, ctx)
  local fs = host.fs
  write(fs, ctx.tmp .. "/tune_time.c", assert(host.resource("gen/tune_time.c"), "bitgen lacks gen/tune_time.c"))
  local feats = cpu_features(host, ctx)
  local s = ctx.spec
  local chosen_isas = {}
  if o.isa then
    for _, name in ipairs(o.isa) do
      local row
      for _, r in ipairs(s.isas) do if r.name == name then row = r end end
      if not row then
        local names = {}
        for _, r in ipairs(s.isas) do names[#names + 1] = r.name end
        error(string.format("--isa %s: %s does not generate it (its ISAs: %s)", name, ctx.spec_path,
          table.concat(names, ", ")), 0)
      end
      if not runs(row, feats) then
        error(string.format("--isa %s: this CPU cannot run it (it needs %s)", name, table.concat(row.features, ", ")), 0)
      end
      chosen_isas[#chosen_isas + 1] = name
    end
  else
    for i = #s.isas, 1, -1 do
      if runs(s.isas[i], feats) then chosen_isas[1] = s.isas[i].name break end
    end
  end
  local out = { isas = {} }
  -- ternary matrices that can move between i2s and tl: timed in both on the
  -- best ISA tuned (the one the dispatcher picks here), which decides
  local flip = {}
  for _, m in ipairs(s.matrices) do
    local other = m.format == "i2s" and "tl" or m.format == "tl" and "i2s" or nil
    if other and m.K % formats.by_name[other].block == 0 then flip[m.name] = other end
  end
  local decider = chosen_isas[1]
  for _, name in ipairs(chosen_isas) do
    if rank(name) > rank(decider) then decider = name end
  end
  local decided
  if next(flip) then
    say("tuning %s for %s on %s%s, ternary matrices as i2s and as tl", ctx.spec_path, decider, ctx.cpu,
      ctx.quick and " (--quick)" or "")
    local a, _, da = tune_isa(host, ctx, decider)
    local b, _, db = tune_isa(host, ctx, decider, flip)
    decided = decide_formats(s, flip, a, b, da, db)
    out.formats, out.format_notes, out.format_isa = decided.formats, decided.notes, decider
    local fmts = decided.moved and decided.formats or nil
    local final = assert(ctx.load_spec(ctx.spec_path, { decider }, fmts))
    local chosen, order = {}, tuning_mod.spec_kernels(final)
    for _, k in ipairs(order) do chosen[k] = a[k] or b[k] end
    out.isas[#out.isas + 1] = { name = decider, chosen = chosen, order = order }
  end
  for _, name in ipairs(chosen_isas) do
    if not (decided and name == decider) then
      say("tuning %s for %s on %s%s", ctx.spec_path, name, ctx.cpu, ctx.quick and " (--quick)" or "")
      local chosen, order = tune_isa(host, ctx, name, decided and decided.moved and decided.formats or nil)
      out.isas[#out.isas + 1] = { name = name, chosen = chosen, order = order }
    end
  end
  table.sort(out.isas, function(x, y) return rank(x.name) < rank(y.name) end)
  return out
end


function M.run(host, o, load_spec)
  local fs = host.fs
  local cc = os.getenv("CC")
  if not cc or cc == "" then cc = "cc" end
  local missing = {}
  if not have(cc) then missing[#missing + 1] = "a C compiler (" .. cc .. ", or set CC)" end
  if not have("meson") then missing[#missing + 1] = "meson" end
  if not have("ninja") then missing[#missing + 1] = "ninja" end
  if #missing > 0 then
    io.stderr:write("bitgen tune: needs " .. table.concat(missing, ", ") ..
      " on PATH to build and time candidate packages (Debian: apt-get install gcc meson ninja-build)\n")
    return 1
  end
  local s, e = load_spec(o.spec, nil)
  if not s then io.stderr:write(e, "\n") return 1 end
  local cpu = M.cpu_name()
  -- an existing -o file: validated against the spec, same CPU, entries merged
  local old
  if o.out then
    local d, parent = package_mod.output_dir(o.out)
    if not d then io.stderr:write("bitgen tune: ", parent, "\n") return 1 end
    local st = fs.lstat(o.out)
    if st then
      local terr
      old, terr = tuning_mod.load(o.out, s)
      if not old then io.stderr:write(terr, "\n", "bitgen tune: ", o.out, " exists and is not a valid tuning file\n") return 1 end
      if old.cpu ~= cpu then
        io.stderr:write(string.format("bitgen tune: %s was measured on \"%s\", this CPU is \"%s\": write another file\n",
          o.out, old.cpu, cpu))
        return 1
      end
    end
  end
  local base = os.getenv("TMPDIR")
  if not base or base == "" then base = "/tmp" end
  local tmp, terr = fs.mkdtemp(base .. "/bitgen-tune-")
  if not tmp then io.stderr:write("bitgen tune: ", terr, "\n") return 1 end
  local ctx = { tmp = tmp, cc = cc, quick = o.quick, spec = s, spec_path = o.spec, cpu = cpu,
                spec_name = o.spec:match("([^/]+)$") or o.spec, load_spec = load_spec }
  local t0 = os.time()
  -- everything after mkdtemp runs protected: the temporary directory always goes
  local ok, res, text
  local pok, perr = pcall(function()
    ok, res = pcall(body, host, o, ctx)
    if ok then
      -- the tuning file: the old entries, this run's replacing those of its ISAs and model
      local t = { cpu = cpu, entries = {}, notes = {}, order = {}, formats = {}, format_notes = {}, format_order = {} }
      if old then
        -- kept entries keep their notes and order (this run's replace them below)
        for isa_name, models in pairs(old.entries) do
          t.entries[isa_name], t.notes[isa_name], t.order[isa_name] = {}, {}, {}
          for model, ks in pairs(models) do
            t.entries[isa_name][model] = ks
            t.notes[isa_name][model], t.order[isa_name][model] = tuning_mod.kept(old, isa_name, model, ks)
          end
        end
        for model, fm in pairs(old.formats) do
          t.formats[model] = fm
          t.format_notes[model], t.format_order[model] = tuning_mod.kept(old, "formats", model, fm)
        end
      end
      if res.formats then
        -- tiles of other ISAs measured with other matrix formats no longer apply
        local before = t.formats[s.model] or {}
        local same = true
        for _, m in ipairs(s.matrices) do
          if (before[m.name] or m.format) ~= (res.formats[m.name] or m.format) then same = false end
        end
        if not same then
          for isa_name, models in pairs(t.entries) do
            if models[s.model] then
              models[s.model] = nil
              say("%s: dropped the %s entries of %s: they were tuned with other matrix formats", o.out, isa_name, s.model)
            end
          end
        end
        t.formats[s.model] = res.formats
        t.format_notes[s.model] = res.format_notes
        local order = {}
        for _, m in ipairs(s.matrices) do if res.formats[m.name] then order[#order + 1] = m.name end end
        t.format_order[s.model] = order
      end
      for _, r in ipairs(res.isas) do
        t.entries[r.name] = t.entries[r.name] or {}
        local ks, notes = {}, {}
        for _, k in ipairs(r.order) do
          local c = r.chosen[k]
          ks[k] = c.tile
          if c.cold then
            notes[k] = string.format("cold %s (hot %s) vs the spec's %s: cold %s (hot %s) (%d tiles timed)",
              show_ns(c.ns), show_ns(c.hot), tile_key(c.spec_tile), show_ns(c.spec_ns),
              show_ns(c.spec_hot), c.tried)
          else
            notes[k] = string.format("%s vs the spec's %s: %s (%d tiles timed)", show_ns(c.ns),
              tile_key(c.spec_tile), show_ns(c.spec_ns), c.tried)
          end
        end
        t.entries[r.name][s.model] = ks
        t.notes[r.name] = t.notes[r.name] or {}
        t.notes[r.name][s.model] = notes
        t.order[r.name] = t.order[r.name] or {}
        t.order[r.name][s.model] = r.order
      end
      t.comment = {
        "bitgen tuning file (gen/tuning.lua): tiles measured fastest on the CPU named below by `bitgen tune`",
        string.format("(bitgen %s); the last run: bitgen tune %s%s.", package_mod.VERSION, ctx.spec_name,
          o.quick and " --quick" or ""),
        "Per kernel: median time per call with one thread (GEMV cold, weights streamed from memory, and hot;",
        "GEMM hot at N = 128 or its batch), and the spec's tile for comparison.  prefetch: KiB ahead.",
        "Use: bitgen generate SPEC --tuning THIS_FILE",
      }
      if res.formats then
        t.comment[#t.comment + 1] = string.format("formats: i2s or tl per ternary matrix, decided on %s.", res.format_isa)
      end
      text = tuning_mod.render(t)
      -- what is written must load (through the sandbox) and apply to the spec
      local check = tmp .. "/check-tuning.lua"
      local wok, werr = pcall(write, fs, check, text)
      if not wok then ok, res = false, werr
      else
        -- as `generate --tuning` reads it: the matrix formats, then the tiles
        local loaded, lerr = tuning_mod.load(check, s, "formats")
        if loaded then
          local s2, serr = s, nil
          if loaded.formats[s.model] then s2, serr = load_spec(o.spec, nil, loaded.formats[s.model]) end
          if not s2 then loaded, lerr = nil, serr
          else loaded, lerr = tuning_mod.load(check, s2) end
        end
        if not loaded then ok, res = false, "the tuning file made is not valid: " .. lerr end
      end
      if ok then
        for _, m in ipairs(s.matrices) do
          if res.formats and res.formats[m.name] then
            say("  matrix %-12s %s -> %s: %s", m.name, m.format, res.formats[m.name], res.format_notes[m.name])
          end
        end
        for _, r in ipairs(res.isas) do
          say("%s, %s (%d s in all):", r.name, s.model, os.time() - t0)
          for _, k in ipairs(r.order) do
            local c = r.chosen[k]
            say("  %-28s spec %-8s %10s  tuned %-8s %10s  %.2fx", k, tile_key(c.spec_tile),
              show_ns(c.spec_ns), tile_key(c.tile), show_ns(c.ns), c.spec_ns / c.ns)
          end
        end
      end
    end
    -- the output, replaced in one step (a temporary file beside it, renamed)
    if ok and o.out then
      local _, parent, name = package_mod.output_dir(o.out)
      local wdir, derr = fs.mkdtemp(parent .. "/." .. name .. ".bitgen-tmp-")
      if not wdir then ok, res = false, derr
      else
        local wok, werr = pcall(function()
          write(fs, wdir .. "/" .. name, text)
          must(fs.rename(wdir .. "/" .. name, o.out))
        end)
        rm_tree(fs, wdir)
        if not wok then ok, res = false, werr end
      end
    end
  end)
  if not pok then ok, res = false, perr end
  rm_tree(fs, tmp)
  if not ok then
    io.stderr:write("bitgen tune: ", tostring(res), "\n", "bitgen tune: nothing was written\n")
    return 1
  end
  if o.out then say("wrote %s", o.out) else io.stdout:write(text) end
  return 0
end

return M
