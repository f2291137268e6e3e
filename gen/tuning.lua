-- Tuning files: the tiles `bitgen tune` measured fastest on one CPU, per ISA,
-- model and kernel.  `bitgen generate SPEC --tuning FILE` uses them in place
-- of the spec's tiles for the kernels they name (gen/kernels.lua reads
-- spec.tuned).  A tuning file is Lua returning plain data; it runs in the
-- spec sandbox and is validated with the spec rules (FILE:LINE: field: reason):
--
--   return {
--     cpu = "AMD EPYC 7763 64-Core Processor (x86_64 family 25 model 1 stepping 1)",
--     avx2 = {                                  -- an ISA (gen/isa.lua)
--       ["bitnet-b1.58-2b-4t"] = {              -- a spec's model name
--         i2s_gemv_2560x2560 = { rows = 4, unroll = 4, prefetch = 4 }, -- a kernel: every tile field of its op
--                                                                   -- (prefetch, KiB ahead: optional)
--         i2s_gemm_2560x2560xn = { rows = 2, tokens = 4, unroll = 2 },
--       },
--     },
--   }
--
-- Kernel names are those of `bitgen list` without tile and ISA.  Every entry
-- is checked on its own (kernel name, fields, the ISA's register budget);
-- entries of the spec's model also against the spec (the kernel exists, its
-- rows divide the pack rows).  Entries of other models, and of ISAs the
-- spec (or --isa) does not generate, are checked and otherwise ignored.
local spec_mod = require "spec"
local isa = require "isa"
local formats = require "formats"
local kernels = require "kernels"

local M = {}
local C = spec_mod.checks
local bad, join, show = C.bad, C.join, C.show

M.MAX_BYTES = 1 << 20
M.FIELDS = { gemv = { "rows", "unroll" }, gemm = { "rows", "tokens", "unroll" } }

-- "i2s_gemv_2560x2560" -> {format, op, M, K, N}; N 1 (GEMV), 0 (any) or a batch.
function M.parse_kernel(name)
  if type(name) ~= "string" then return nil end
  for fname in pairs(formats.by_name) do
    for _, op in ipairs({ "gemv", "gemm" }) do
      local head = fname .. "_" .. op .. "_"
      if name:sub(1, #head) == head then
        local rest = name:sub(#head + 1)
        local m, k, n
        if op == "gemv" then m, k = rest:match("^([1-9]%d*)x([1-9]%d*)$")
        else m, k, n = rest:match("^([1-9]%d*)x([1-9]%d*)x(%w+)$") end
        if m and (op == "gemv" or n == "n" or n:match("^[1-9]%d*$")) then
          local d = { format = fname, op = op, M = tonumber(m), K = tonumber(k) }
          d.N = op == "gemv" and 1 or n == "n" and 0 or tonumber(n)
          if kernels.kernel_name(d) == name then return d end
        end
      end
    end
  end
  return nil
end

-- The kernel names of a spec, in plan order (GEMV of each shape, then GEMM).
function M.spec_kernels(s)
  local list, seen = {}, {}
  local shapes = {}
  for _, m in ipairs(s.matrices) do
    local key = m.format .. ":" .. m.M .. "x" .. m.K
    if not seen[key] then
      seen[key] = true
      shapes[#shapes + 1] = m
    end
  end
  local function add(op, m, n)
    local name = kernels.kernel_name({ op = op, format = m.format, M = m.M, K = m.K, N = n })
    list[#list + 1] = name
    list[name] = { format = m.format, op = op }
  end
  for _, m in ipairs(shapes) do add("gemv", m, 1) end
  for _, m in ipairs(shapes) do add("gemm", m, 0) end
  for _, m in ipairs(shapes) do for _, b in ipairs(s.batches) do add("gemm", m, b) end end
  return list
end

local function one_line(v, path, max)
  if type(v) ~= "string" then bad(path, "must be a string, got %s", type(v)) end
  if v == "" then bad(path, "must not be empty") end
  if #v > max then bad(path, "is longer than %d bytes", max) end
  if v:find("%c") then bad(path, "must be one line without control characters") end
  return v
end

-- The ternary formats a matrix may move between (the same weights, the
-- same GGUF import, bit-identical results): `bitgen tune` times both.
M.TERNARY = { i2s = true, tl = true }

-- formats = { [model] = { [matrix] = "i2s" | "tl" } }: checked against s's
-- matrices when the model is s's.
local function validate_formats(raw, s)
  local out = {}
  if raw == nil then return out end
  C.want_table(raw, "formats")
  for _, model in ipairs(C.sorted_keys(raw)) do
    local mp = join("formats", tostring(model))
    C.want_name(model, mp, "^[%a][%w%.%-_]*$", "a model name (a letter, then letters, digits, . - _)")
    local ms = C.want_table(raw[model], mp)
    local mine = s and model == s.model
    out[model] = {}
    for _, name in ipairs(C.sorted_keys(ms)) do
      local p = join(mp, tostring(name))
      C.want_name(name, p, "^[%a_][%w_]*$", "a matrix name")
      local f = ms[name]
      if type(f) ~= "string" or not M.TERNARY[f] then
        bad(p, "must be \"i2s\" or \"tl\" (the ternary formats tune chooses between), got %s", show(tostring(f)))
      end
      if mine then
        local m
        for _, x in ipairs(s.matrices) do if x.name == name then m = x end end
        if not m then bad(p, "spec model %s has no matrix %s", s.model, name) end
        if not M.TERNARY[m.format] then
          bad(p, "matrix %s is %s in the spec: only ternary (i2s, tl) matrices change format", name, m.format)
        end
        local block = formats.by_name[f].block
        if m.K % block ~= 0 then bad(p, "%s needs K a multiple of %d; %s has K = %d", f, block, name, m.K) end
      end
      out[model][name] = f
    end
  end
  return out
end

-- raw: the file's table; s: the spec (or nil: structure only).  stage
-- "formats": s is the spec before the file's matrix formats apply, so its
-- kernel entries are checked as another model's.
local function validate(raw, s, stage)
  C.want_table(raw, "")
  local out = { entries = {}, isas = {} }
  for _, k in ipairs(C.sorted_keys(raw)) do
    if k ~= "cpu" and k ~= "formats" and not (type(k) == "string" and isa.by_name[k]) then
      bad(join("", tostring(k)), "unknown key or ISA %s (expected cpu, formats or an ISA: %s)", show(tostring(k)),
        table.concat(isa.names(), ", "))
    end
  end
  if raw.cpu == nil then bad("cpu", "is required: the CPU the tiles were measured on (its model name)") end
  out.cpu = one_line(raw.cpu, "cpu", 200)
  out.formats = validate_formats(raw.formats, s)
  if stage == "formats" then s = nil end
  local own = s and M.spec_kernels(s)
  local groups = s and s.group_by_format
  for _, row in ipairs(isa.list) do
    local byisa = raw[row.name]
    if byisa ~= nil then
      C.want_table(byisa, row.name)
      out.isas[#out.isas + 1] = row.name
      out.entries[row.name] = {}
      for _, model in ipairs(C.sorted_keys(byisa)) do
        local mp = join(row.name, tostring(model))
        C.want_name(model, mp, "^[%a][%w%.%-_]*$", "a model name (a letter, then letters, digits, . - _)")
        local ks = C.want_table(byisa[model], mp)
        local mine = s and model == s.model
        local entries = {}
        out.entries[row.name][model] = entries
        for _, kname in ipairs(C.sorted_keys(ks)) do
          local kp = join(mp, tostring(kname))
          local d = M.parse_kernel(kname)
          if not d then
            bad(kp, "%s is not a kernel name (<format>_gemv_<M>x<K> or <format>_gemm_<M>x<K>x<N or n>, " ..
              "as `bitgen list` prints them before the tile)", show(tostring(kname)))
          end
          if mine and not own[kname] then
            bad(kp, "spec model %s has no kernel %s (its kernels: %s)", s.model, kname,
              table.concat(own, ", ", 1, math.min(#own, 8)) .. (#own > 8 and ", ..." or ""))
          end
          local impl = formats.by_name[d.format].ops[d.op][row.name]
          if not impl then bad(kp, "format %s has no %s %s kernel", d.format, row.name, d.op) end
          local given = C.want_table(ks[kname], kp)
          local allowed = { prefetch = impl.tile.prefetch and 1 or nil }
          for _, f in ipairs(M.FIELDS[d.op]) do allowed[f] = 1 end
          local prefetch = C.want_prefetch(given, impl, kp, d.format, row.name, d.op)
          C.check_keys(given, kp, allowed)
          local t = {}
          for _, f in ipairs(M.FIELDS[d.op]) do
            if given[f] == nil then
              bad(join(kp, f), "is required (a tuned %s tile gives %s)", d.op, table.concat(M.FIELDS[d.op], ", "))
            end
            t[f] = C.want_int(given[f], join(kp, f), 1, 256)
          end
          -- optional: KiB ahead (absent: the template's default)
          t.prefetch = prefetch
          local pack_rows = mine and groups[d.format].pack_rows or nil
          local field, reason = spec_mod.tile_problem(impl, t, row, pack_rows)
          if field then bad(join(kp, field == "budget" and "rows" or field), "%s", reason) end
          entries[kname] = t
        end
      end
    end
  end
  return out
end

-- Reads FILE (a regular file of at most 1 MiB) and validates it against the
-- spec s (nil: structure only; stage: see validate).  Returns the tuning or
-- nil, message.
function M.load(path, s, stage)
  local kind = host and host.kind and host.kind(path)
  if kind == "dir" then return nil, "bitgen: " .. path .. " is a directory, not a tuning file" end
  if kind == "other" then return nil, "bitgen: " .. path .. " is not a regular file" end
  local f, e = io.open(path, "rb")
  if not f then return nil, "bitgen: cannot read tuning file: " .. tostring(e) end
  local text, rerr = f:read(M.MAX_BYTES + 1)
  f:close()
  if not text and rerr then return nil, "bitgen: cannot read tuning file " .. path .. ": " .. tostring(rerr) end
  text = text or ""
  if text == "" then return nil, "bitgen: " .. path .. " is empty (a tuning file is a Lua file that returns a table)" end
  if #text > M.MAX_BYTES then return nil, "bitgen: " .. path .. " is larger than 1 MiB" end
  local t, failure = spec_mod.load_data(path, text, function(raw) return validate(raw, s, stage) end, "tuning file")
  if not t then return nil, tostring(failure) end
  t.file = path
  t.annotations = M.annotations(text)
  return t
end

-- The notes and entry order of a file as M.render writes it (the comments
-- `bitgen tune -o` carries over for the entries it keeps): section (an ISA
-- or "formats") -> model -> {notes = name -> text, order = {names}}.  Lines
-- of any other shape are ignored (see M.kept).
function M.annotations(text)
  local out, sec, model = {}, nil, nil
  for line in text:gmatch("[^\n]+") do
    local k = line:match("^  ([%w_]+) = {$")
    if k then
      sec, model = k, nil
      out[sec] = out[sec] or {}
    elseif sec and line:match("^    %[") then
      local m = line:match('^    %[(%b"")%] = {$')
      model = m and load("return " .. m, "model", "t", {})() or nil
      if model then out[sec][model] = { notes = {}, order = {} } end
    elseif sec and model then
      local name, note = line:match("^      ([%w_]+) = .-,%s*%-%- (.+)$")
      name = name or line:match("^      ([%w_]+) = .-,$")
      if name then
        local a = out[sec][model]
        a.order[#a.order + 1] = name
        a.notes[name] = note
      end
    end
  end
  return out
end

-- Puts the entries of s's model for the ISAs s generates into s.tuned
-- (kernel name -> ISA -> tile).  Returns how many tiles apply.
function M.apply(t, s)
  s.tuned = s.tuned or {}
  local n = 0
  for _, row in ipairs(s.isas) do
    local mine = t.entries[row.name] and t.entries[row.name][s.model]
    for kname, tile in pairs(mine or {}) do
      s.tuned[kname] = s.tuned[kname] or {}
      s.tuned[kname][row.name] = tile
      n = n + 1
    end
  end
  return n
end

-- The notes and order for M.render of the entries (name -> value) that a
-- loaded tuning file t has in section sec for model: the file's own, in its
-- order; entries its text does not show in the rendered shape follow sorted.
function M.kept(t, sec, model, entries)
  local a = t.annotations and t.annotations[sec] and t.annotations[sec][model] or { notes = {}, order = {} }
  local order, seen = {}, {}
  for _, name in ipairs(a.order) do
    if entries[name] ~= nil and not seen[name] then order[#order + 1], seen[name] = name, true end
  end
  for _, name in ipairs(C.sorted_keys(entries)) do
    if not seen[name] then order[#order + 1] = name end
  end
  return a.notes, order
end

-- The text of a tuning file.  t: {cpu, comment = {lines}, entries = ISA ->
-- model -> kernel -> tile, notes = ISA -> model -> kernel -> text (a comment
-- after the entry), order = ISA -> model -> {kernel names} (else sorted),
-- formats = model -> matrix -> format, with format_notes and format_order
-- alike}.
function M.render(t)
  local out = {}
  for _, l in ipairs(t.comment or {}) do out[#out + 1] = ("-- " .. l):gsub("%s+$", "") end
  out[#out + 1] = "return {"
  out[#out + 1] = string.format("  cpu = %q,", t.cpu)
  -- one section: key = { [model] = { name = value, -- note } }
  local function section(key, bymodel, orders, notes, value)
    if not bymodel or not next(bymodel) then return end
    out[#out + 1] = "  " .. key .. " = {"
    for _, model in ipairs(C.sorted_keys(bymodel)) do
      out[#out + 1] = string.format("    [%q] = {", model)
      local these = bymodel[model]
      local mnotes = notes and notes[model] or {}
      for _, name in ipairs(orders and orders[model] or C.sorted_keys(these)) do
        local line = string.format("      %s = %s,", name, value(name, these[name]))
        if mnotes[name] then line = line .. " -- " .. mnotes[name] end
        out[#out + 1] = line
      end
      out[#out + 1] = "    },"
    end
    out[#out + 1] = "  },"
  end
  section("formats", t.formats, t.format_order, t.format_notes, function(_, f) return string.format("%q", f) end)
  for _, row in ipairs(isa.list) do
    section(row.name, t.entries[row.name], t.order and t.order[row.name], t.notes and t.notes[row.name],
      function(kname, tile)
        local fields = {}
        for _, f in ipairs(M.FIELDS[M.parse_kernel(kname).op]) do fields[#fields + 1] = f .. " = " .. tile[f] end
        if tile.prefetch then fields[#fields + 1] = "prefetch = " .. tile.prefetch end
        return "{ " .. table.concat(fields, ", ") .. " }"
      end)
  end
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

return M
