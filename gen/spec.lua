-- Loads a spec (a Lua file returning a table) and validates every field.
-- The spec's code runs in gen/sandbox.lua (its own Lua state under the
-- bitgen executable); only the plain data it returns reaches validation,
-- here in the generator's state.  Errors are raised as {file, line, field,
-- reason} and print as FILE:LINE: field: reason.
local srcpos = require "srcpos"
local isa = require "isa"
local formats = require "formats"
local arch = require "arch"
local sandbox = require "sandbox"
local manifest = require "manifest"

local M = {}

local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(e)
  local where = e.line and e.line > 0 and string.format("%s:%d", e.file, e.line) or e.file
  return string.format("%s: %s: %s", where, e.field ~= "" and e.field or e.what or "spec", e.reason)
end

function M.is_failure(e) return getmetatable(e) == Failure end

local function failure(file, line, field, reason)
  return setmetatable({ file = file, line = line, field = field, reason = reason }, Failure)
end

local join = sandbox.join
local show = sandbox.show

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
  return ks
end

-- Validation helpers raise {path, reason}; load() adds file and line.
local function bad(path, fmt, ...) error({ path = path, reason = string.format(fmt, ...) }, 0) end

local MAX_PREFETCH = 1024 -- KiB: a tile's software prefetch distance (0: none)

local function check_keys(t, path, allowed)
  for _, k in ipairs(sorted_keys(t)) do
    if not allowed[k] then
      local names = sorted_keys(allowed)
      bad(join(path, k), "unknown key (expected one of: %s)", table.concat(names, ", "))
    end
  end
end

local function want_table(v, path)
  if type(v) ~= "table" then bad(path, "must be a table, got %s", type(v)) end
  return v
end

local function want_list(v, path)
  want_table(v, path)
  local n = #v
  for _, k in ipairs(sorted_keys(v)) do -- sorted: the same first error in every Lua state
    if math.type(k) ~= "integer" or k < 1 or k > n then bad(join(path, k), "unexpected key in a list") end
  end
  if n == 0 then bad(path, "must not be empty") end
  return v
end

local function want_int(v, path, min, max)
  if v == nil then bad(path, "is required") end
  if math.type(v) ~= "integer" then
    if type(v) == "number" and v == math.floor(v) and v >= -2^53 and v <= 2^53 then v = math.tointeger(v)
    elseif type(v) == "string" then bad(path, "must be an integer, got the string %s", show(v))
    else bad(path, "must be an integer, got %s", tostring(v)) end
  end
  if v < min then bad(path, "must be at least %d, got %d", min, v) end
  if max and v > max then bad(path, "must be at most %d, got %d", max, v) end
  return v
end

local MAX_NAME = 64

local function want_name(v, path, pattern, what)
  if type(v) ~= "string" then bad(path, "must be a string, got %s", type(v)) end
  if not v:match(pattern) then bad(path, "%s is not %s", show(v), what) end
  if #v > MAX_NAME then bad(path, "%s is longer than %d characters", show(v), MAX_NAME) end
  return v
end

-- Every identifier and file stem of the runtime that starts with bitgen_
-- (upper case), read from the runtime files the package ships.
local runtime_names
local function reserved()
  if runtime_names then return runtime_names end
  local set = {}
  for _, f in ipairs(manifest.runtime) do
    set[(f:gsub("%.%w+$", "")):upper()] = f
    local text = host and host.resource("runtime/" .. f) or ""
    for id in text:gmatch("[%w_]+") do
      local up = id:upper()
      if up:sub(1, 7) == "BITGEN_" and not set[up] then set[up] = id end
    end
  end
  runtime_names = set
  return set
end

-- The package's names are P, P_*, P.h and P:upper()_*, P = bitgen_<cname>:
-- none may be a runtime name, ignoring case (file systems may).
local function check_prefix(cname)
  local p = ("bitgen_" .. cname):upper()
  local hits = {}
  for up, id in pairs(reserved()) do
    if up == p or up:sub(1, #p + 1) == p .. "_" then hits[#hits + 1] = id end
  end
  if #hits > 0 then
    table.sort(hits)
    bad("model", "maps to the C prefix bitgen_%s, which the runtime already uses (%s)", cname,
      table.concat(hits, ", ", 1, math.min(#hits, 3)) .. (#hits > 3 and ", ..." or ""))
  end
end

local function choices(list) return table.concat(list, ", ") end

-- A tile table: per ISA {rows, unroll[, tokens]}; checks rows against the
-- register width and pack tile, and the whole tile against the register budget.
-- (without the prefetch distance, which no register budget depends on)
local function tile_name(t)
  return "r" .. t.rows .. (t.tokens and ("n" .. t.tokens) or "") .. "u" .. t.unroll
end

-- The rules every tile obeys, in a spec or a tuning file (gen/tuning.lua):
-- nil, or the field at fault ("rows", or "budget" for the whole tile) and
-- why.  pack_rows nil: not known (a tuning entry of another model).
function M.tile_problem(impl, t, row, pack_rows)
  local mult = impl.row_multiple or 1
  if t.rows % mult ~= 0 then
    return "rows", string.format("must be a multiple of %d for %s (rows per register), got %d", mult, row.name, t.rows)
  end
  if pack_rows and pack_rows % t.rows ~= 0 then
    return "rows", string.format("must divide pack_rows (%d), got %d", pack_rows, t.rows)
  end
  local need, detail = formats.budget(impl, t)
  if need > row.vregs then
    return "budget", string.format("tile %s needs %d vector registers (%s); %s has %d", tile_name(t), need, detail,
      row.name, row.vregs)
  end
end

-- A tile's prefetch (KiB ahead) as given at path, else the template's
-- default; nil where the kernel has no software prefetch (then giving one is an error).
local function want_prefetch(given, impl, path, format, isa_name, op)
  if given.prefetch == nil then return impl.tile.prefetch end
  if impl.tile.prefetch == nil then
    bad(join(path, "prefetch"), "the %s %s %s kernel has no software prefetch to set", format, isa_name, op)
  end
  return want_int(given.prefetch, join(path, "prefetch"), 0, MAX_PREFETCH)
end

local function validate_tiles(raw, path, op, keys, s, g, targeted)
  local tiles = raw == nil and {} or want_table(raw, path)
  for _, k in ipairs(sorted_keys(tiles)) do
    local p = join(path, tostring(k))
    if not isa.by_name[k] then bad(p, "unknown ISA %s (known: %s)", show(tostring(k)), choices(isa.names())) end
    if not targeted[k] then bad(p, "tile for ISA %q, which the spec does not target", k) end
  end
  local out = {}
  for _, row in ipairs(s.isas) do
    local impl = g.fmt.ops[op][row.name]
    local p = join(path, row.name)
    local given = tiles[row.name]
    local t = {}
    for k in pairs(keys) do t[k] = impl.tile[k] end
    t.prefetch = impl.tile.prefetch -- KiB ahead, where the template prefetches
    if given ~= nil then
      want_table(given, p)
      t.prefetch = want_prefetch(given, impl, p, g.format, row.name, op)
      local allowed = { prefetch = t.prefetch and 1 or nil }
      for k in pairs(keys) do allowed[k] = 1 end
      check_keys(given, p, allowed)
      for _, k in ipairs(sorted_keys(keys)) do
        if given[k] ~= nil then t[k] = want_int(given[k], join(p, k), 1, 256) end
      end
    end
    local field, reason = M.tile_problem(impl, t, row, g.pack_rows)
    if field == "budget" then bad(given and join(p, "rows") or p, "%s", reason)
    elseif field then bad(join(p, field), "%s", reason) end
    out[row.name] = t
  end
  return out
end

-- Splits a tiles table into the part of each format group: ISA keys are the
-- tiles of the spec's `format`; a format name keys a per-ISA table of that
-- format's kernels.  Returns format -> {raw, path}.
local function split_tiles(raw, path, s)
  local parts = {}
  if raw == nil then return parts end
  want_table(raw, path)
  local own = {}
  for _, k in ipairs(sorted_keys(raw)) do
    if type(k) == "string" and formats.by_name[k] then
      local p = join(path, k)
      if not s.group_by_format[k] then bad(p, "tiles for format %s, which no matrix of the spec uses", k) end
      parts[k] = { raw = raw[k], path = p }
    else
      own[k] = raw[k]
    end
  end
  if next(own) ~= nil then
    if parts[s.format] then
      bad(join(path, s.format), "the tiles of format %s are given twice (per ISA in %s, and in %s)", s.format,
        path, join(path, s.format))
    end
    parts[s.format] = { raw = own, path = path }
  end
  return parts
end

local MAX_DIM = 1 << 24

-- ---- model specs: arch + hparams, and a GGUF tensor per matrix ----------
local HPARAMS = { n_embd = 1, n_head = 1, n_head_kv = 1, head_dim = 1, n_ff = 1, n_vocab = 1, n_ctx = 1,
                  rope_type = 1, rope_theta = 1, norm_eps = 1, ffn_act = 1, sub_norms = 1, tied_embeddings = 1 }

local function want_positive(v, path)
  if v == nil then bad(path, "is required") end
  if type(v) ~= "number" then bad(path, "must be a number, got %s", type(v)) end
  if not (v > 0 and v < math.huge) then bad(path, "must be a finite number > 0, got %s", tostring(v)) end
  return v + 0.0
end

local function want_bool(v, path)
  if v == nil then bad(path, "is required") end
  if type(v) ~= "boolean" then bad(path, "must be true or false, got %s", type(v)) end
  return v
end

local function want_choice(v, path, set)
  if v == nil then bad(path, "is required (one of: %s)", choices(sorted_keys(set))) end
  if type(v) ~= "string" or not set[v] then
    bad(path, "must be one of %s, got %s", choices(sorted_keys(set)), type(v) == "string" and show(v) or type(v))
  end
  return v
end

local function validate_model(raw, s)
  if raw.arch == nil then
    if raw.hparams ~= nil then
      bad("hparams", "needs arch: hyper-parameters belong to a model spec (arch one of: %s)", choices(arch.names()))
    end
    for i, m in ipairs(s.matrices) do
      if m.tensor or m.per_layer ~= nil then
        bad(join(join("matrices", i), m.tensor and "tensor" or "per_layer"),
          "only a model spec (one with arch) names GGUF tensors")
      end
    end
    return
  end
  local a = want_name(raw.arch, "arch", "^.*$", "")
  local A = arch.by_name[a]
  if not A then bad("arch", "unknown architecture %s (known: %s)", show(a), choices(arch.names())) end
  if raw.layers == nil then bad("layers", "is required in a model spec (the number of layers, n_layer)") end
  if raw.hparams == nil then bad("hparams", "is required in a model spec (arch %s)", a) end
  local hp = want_table(raw.hparams, "hparams")
  check_keys(hp, "hparams", HPARAMS)
  local h = {}
  for _, k in ipairs({ "n_embd", "n_head", "n_head_kv", "head_dim", "n_ff", "n_vocab", "n_ctx" }) do
    h[k] = want_int(hp[k], "hparams." .. k, 1, MAX_DIM)
  end
  h.rope_type = want_choice(hp.rope_type, "hparams.rope_type", arch.ROPE_TYPES)
  h.rope_theta = want_positive(hp.rope_theta, "hparams.rope_theta")
  h.norm_eps = want_positive(hp.norm_eps, "hparams.norm_eps")
  if h.norm_eps >= 1 then bad("hparams.norm_eps", "must be below 1, got %s", tostring(hp.norm_eps)) end
  h.ffn_act = want_choice(hp.ffn_act, "hparams.ffn_act", arch.FFN_ACTS)
  h.sub_norms = want_bool(hp.sub_norms, "hparams.sub_norms")
  h.tied_embeddings = want_bool(hp.tied_embeddings, "hparams.tied_embeddings")
  for _, k in ipairs({ "rope_type", "ffn_act", "sub_norms" }) do
    if h[k] ~= A[k] then
      bad("hparams." .. k, "architecture %s has %s = %s, got %s", a, k, tostring(A[k]), tostring(h[k]))
    end
  end
  if h.n_embd ~= h.n_head * h.head_dim then
    bad("hparams.head_dim", "n_embd (%d) must equal n_head (%d) x head_dim (%d) = %d for architecture %s", h.n_embd,
      h.n_head, h.head_dim, h.n_head * h.head_dim, a)
  end
  if h.n_head % h.n_head_kv ~= 0 then
    bad("hparams.n_head_kv", "must divide n_head (%d), got %d", h.n_head, h.n_head_kv)
  end
  local seen = {}
  for i, m in ipairs(s.matrices) do
    local p = join("matrices", i)
    if m.tensor == nil then
      bad(join(p, "tensor"), "is required in a model spec: the GGUF tensor name, e.g. %s", show("blk.%d.attn_q.weight"))
    end
    if m.per_layer == nil then m.per_layer = true end
    local has_d = m.tensor:find("%d", 1, true) ~= nil
    if m.per_layer and not has_d then
      bad(join(p, "tensor"), "%s is a per-layer matrix's tensor: the name needs %%d for the layer number", show(m.tensor))
    end
    if not m.per_layer and has_d then
      bad(join(p, "tensor"), "%s has %%d, but the matrix has per_layer = false (one tensor for the model)",
        show(m.tensor))
    end
    local r = arch.role_of(m.tensor)
    if not r then
      local known = {}
      for _, x in ipairs(arch.roles) do known[#known + 1] = arch.tensor_name(x) end
      bad(join(p, "tensor"), "%s is not a weight matrix of architecture %s (known: %s)", show(m.tensor), a,
        choices(known))
    end
    if seen[r.role] then bad(join(p, "tensor"), "tensor %s is also %s", show(m.tensor), seen[r.role]) end
    seen[r.role] = p
    if r.role == "output" and h.tied_embeddings then
      bad(join(p, "tensor"), "hparams.tied_embeddings is true: the output layer is token_embd, so the spec has no %s",
        show(m.tensor))
    end
    local wm, wk = arch.dims(r, h)
    if m.M ~= wm or m.K ~= wk then
      bad(join(p, m.M ~= wm and "M" or "K"), "%s is %d x %d (M x K) under hparams, got %d x %d", show(m.tensor), wm,
        wk, m.M, m.K)
    end
    m.role = r.role
  end
  for _, r in ipairs(arch.roles) do
    if not seen[r.role] and (r.role ~= "output" or not h.tied_embeddings) then
      bad("matrices", "has no %s matrix (tensor %s)%s", r.role, show(arch.tensor_name(r)),
        r.role == "output" and " and hparams.tied_embeddings is false" or "")
    end
  end
  s.arch = a
  s.hparams = h
end

-- raw with the matrix formats of a tuning file (matrix name -> format,
-- gen/tuning.lua checked them: ternary i2s / tl, K a multiple of the block).
-- A format no matrix keeps any more loses its spec settings: the pack rows
-- and tiles given for it (and the spec's `format` moves to the first
-- matrix's), since they were chosen for kernels no longer generated.
local function with_formats(raw, fmts)
  if type(raw) ~= "table" or type(raw.matrices) ~= "table" or type(raw.format) ~= "string" then return raw end
  local r = {}
  for k, v in pairs(raw) do r[k] = v end
  r.matrices = {}
  local left, before = {}, { [raw.format] = true }
  for i, m in ipairs(raw.matrices) do
    if type(m) == "table" then before[m.format or raw.format] = true end
    local c = m
    if type(m) == "table" and type(m.name) == "string" and fmts[m.name] then
      c = {}
      for k, v in pairs(m) do c[k] = v end
      c.format = fmts[m.name]
    end
    r.matrices[i] = c
    if type(c) == "table" then left[c.format or raw.format] = true end
  end
  -- without: t less the key f, and less its ISA keys when they are f's (the spec's format)
  local function without(t, f)
    if type(t) ~= "table" then return t end
    local out = {}
    for k, v in pairs(t) do
      if k ~= f and (formats.by_name[k] or f ~= raw.format) then out[k] = v end
    end
    return out
  end
  for f in pairs(before) do
    if not left[f] then
      r.tiles, r.gemm_tiles = without(r.tiles, f), without(r.gemm_tiles, f)
      if type(r.pack_rows) == "table" then r.pack_rows = without(r.pack_rows, f)
      elseif f == raw.format then r.pack_rows = nil end
    end
  end
  if not left[raw.format] and type(r.matrices[1]) == "table" then r.format = r.matrices[1].format end
  return r
end

local function validate(raw, only_isas, fmts)
  if fmts then raw = with_formats(raw, fmts) end
  want_table(raw, "")
  check_keys(raw, "", { model = 1, description = 1, format = 1, layers = 1, matrices = 1, isas = 1,
                        pack_rows = 1, tiles = 1, gemm_tiles = 1, batches = 1, arch = 1, hparams = 1 })
  local s = {}
  s.model = want_name(raw.model, "model", "^[%a][%w%.%-_]*$",
    "a model name (a letter, then letters, digits, . - _)")
  if raw.description ~= nil then
    if type(raw.description) ~= "string" then bad("description", "must be a string") end
    if #raw.description > 200 then bad("description", "is longer than 200 bytes") end
    if raw.description:find("%c") then bad("description", "must be one line without control characters") end
  end
  s.description = raw.description or ""
  s.cname = s.model:lower():gsub("[^%w]", "_")
  check_prefix(s.cname)
  if raw.format == nil then bad("format", "is required") end
  local fmt_names = sorted_keys(formats.by_name)
  local function want_format(v, path)
    local name = want_name(v, path, "^.*$", "")
    local f = formats.by_name[name]
    if not f then bad(path, "unknown format %s (known: %s)", show(name), choices(fmt_names)) end
    return name, f
  end
  s.format, s.fmt = want_format(raw.format, "format")
  s.layers = raw.layers == nil and 1 or want_int(raw.layers, "layers", 1, 100000)

  -- matrices, each in the spec's format or its own
  if raw.matrices == nil then bad("matrices", "is required") end
  want_list(raw.matrices, "matrices")
  s.matrices = {}
  s.groups, s.group_by_format = {}, {}
  local function group(name, f)
    local g = s.group_by_format[name]
    if not g then
      g = { format = name, fmt = f, kind = f.kind }
      s.groups[#s.groups + 1] = g
      s.group_by_format[name] = g
    end
    return g
  end
  group(s.format, s.fmt) -- the spec's format first: its API keeps the unprefixed names
  local seen, folded = {}, {}
  for i, m in ipairs(raw.matrices) do
    local p = join("matrices", i)
    want_table(m, p)
    check_keys(m, p, { name = 1, M = 1, K = 1, format = 1, tensor = 1, per_layer = 1 })
    local name = want_name(m.name, join(p, "name"), "^[%a_][%w_]*$", "a C identifier")
    if seen[name] then bad(join(p, "name"), "duplicate matrix name %q", name) end
    local other = folded[name:lower()]
    if other then
      bad(join(p, "name"), "%q and %s (%q) differ only in case; matrix names must differ ignoring case", name,
        other.path, other.name)
    end
    seen[name] = true
    folded[name:lower()] = { path = join(p, "name"), name = name }
    local fname, fmt = s.format, s.fmt
    if m.format ~= nil then fname, fmt = want_format(m.format, join(p, "format")) end
    local rows = want_int(m.M, join(p, "M"), 1, MAX_DIM)
    local k = want_int(m.K, join(p, "K"), 1, fmt.max_k)
    if k % fmt.block ~= 0 then
      bad(join(p, "K"), "must be a multiple of %d (the %s block), got %d", fmt.block, fname, k)
    end
    local mat = { name = name, M = rows, K = k, format = fname }
    if m.tensor ~= nil then
      mat.tensor = want_name(m.tensor, join(p, "tensor"), "^[%w%._%%-]+$", "a GGUF tensor name (letters, digits, . _ - %d)")
    end
    if m.per_layer ~= nil then mat.per_layer = want_bool(m.per_layer, join(p, "per_layer")) end
    s.matrices[i] = mat
    group(fname, fmt).used = true
  end
  if not s.group_by_format[s.format].used then
    bad("format", "no matrix is in format %s (format is the format of the matrices that name none)", s.format)
  end
  validate_model(raw, s)

  -- pack rows: a number (the spec's format) or a table per format
  local pr = raw.pack_rows
  if type(pr) == "table" then
    for _, k in ipairs(sorted_keys(pr)) do
      local p = join("pack_rows", tostring(k))
      if not formats.by_name[k] then bad(p, "unknown format %s (known: %s)", show(tostring(k)), choices(fmt_names)) end
      if not s.group_by_format[k] then bad(p, "pack rows for format %s, which no matrix of the spec uses", k) end
    end
  end
  for _, g in ipairs(s.groups) do
    local given, p = nil, "pack_rows"
    if type(pr) == "table" then given, p = pr[g.format], join("pack_rows", g.format)
    elseif g.format == s.format then given = pr end
    g.pack_rows = given == nil and g.fmt.pack_rows or want_int(given, p, 1, 256)
  end
  s.pack_rows = s.groups[1].pack_rows

  -- ISAs: scalar is always generated, so every CPU has a variant.
  local isas = only_isas or raw.isas
  local isa_path = only_isas and "--isa" or "isas"
  if isas == nil then bad("isas", "is required (known: %s)", choices(isa.names())) end
  want_list(isas, isa_path)
  local chosen = { scalar = true }
  for i, name in ipairs(isas) do
    local p = only_isas and isa_path or join(isa_path, i)
    want_name(name, p, "^.*$", "")
    if not isa.by_name[name] then bad(p, "unknown ISA %s (known: %s)", show(name), choices(isa.names())) end
    if chosen[name] and name ~= "scalar" then bad(p, "ISA %q listed twice", name) end
    chosen[name] = true
  end
  s.isas = {}
  for _, row in ipairs(isa.list) do
    if chosen[row.name] then
      for _, g in ipairs(s.groups) do
        for _, op in ipairs(sorted_keys(g.fmt.ops)) do
          if not g.fmt.ops[op][row.name] then bad(isa_path, "format %s has no %s %s kernel", g.format, row.name, op) end
        end
      end
      s.isas[#s.isas + 1] = row
    end
  end

  -- tiles (GEMV) and gemm_tiles: per format group and ISA, over the format's defaults
  local targeted = { scalar = true } -- the spec's own list: --isa may narrow it
  for _, name in ipairs(type(raw.isas) == "table" and raw.isas or {}) do targeted[name] = true end
  local gemv_parts = split_tiles(raw.tiles, "tiles", s)
  local gemm_parts = split_tiles(raw.gemm_tiles, "gemm_tiles", s)
  for _, g in ipairs(s.groups) do
    local a, b = gemv_parts[g.format] or { path = "tiles" }, gemm_parts[g.format] or { path = "gemm_tiles" }
    g.tiles = validate_tiles(a.raw, a.path, "gemv", { rows = 1, unroll = 1 }, s, g, targeted)
    g.gemm_tiles = validate_tiles(b.raw, b.path, "gemm", { rows = 1, tokens = 1, unroll = 1 }, s, g, targeted)
  end
  s.tiles, s.gemm_tiles = s.groups[1].tiles, s.groups[1].gemm_tiles

  -- batch sizes to specialize GEMM kernels for (every other N takes the general kernel)
  s.batches = {}
  if raw.batches ~= nil then
    want_list(raw.batches, "batches")
    local seen_b = {}
    for i, n in ipairs(raw.batches) do
      local b = want_int(n, join("batches", i), 2, 65536)
      if seen_b[b] then bad(join("batches", i), "batch size %d listed twice", b) end
      seen_b[b] = true
      s.batches[#s.batches + 1] = b
    end
  end
  return s
end

-- Runs the spec's code in the sandbox: the bitgen executable's own state
-- (host.sandbox), else this state with a hook (plain lua5.4).  Returns
-- true, data or false, {field, line, reason}.
local function evaluate(text)
  local limits = sandbox.LIMITS
  if host and host.sandbox then
    local module = host.resource("gen/sandbox.lua")
    if not module then error("bitgen is missing its resource gen/sandbox.lua", 0) end
    local ok, res, over = host.sandbox(module, text, limits)
    if over then res.reason = sandbox.limit_message(over, limits) end
    return ok, res
  end
  return sandbox.run_here(text, limits)
end

-- Another file of plain data through the same sandbox and error rules (a
-- tuning file, gen/tuning.lua): check(raw) validates with M.checks' helpers
-- (errors {path, reason}); what names the file's kind where no field does.
-- Returns its result or nil, failure.
function M.load_data(file, text, check, what)
  local ok, raw = evaluate(text)
  local f
  if not ok then
    local line = raw.line
    if line < 0 then line = srcpos.line(srcpos.scan(text), raw.field) end
    f = failure(file, line, raw.field, raw.reason)
  else
    local ok2, res = pcall(check, raw)
    if ok2 then return res end
    if type(res) ~= "table" then error(res, 0) end
    f = failure(file, srcpos.line(srcpos.scan(text), res.path), res.path, res.reason)
  end
  f.what = what
  return nil, f
end
M.checks = { bad = bad, check_keys = check_keys, want_table = want_table, want_int = want_int, want_name = want_name,
             sorted_keys = sorted_keys, join = join, show = show, tile_name = tile_name,
             want_prefetch = want_prefetch }

-- Returns spec or nil, failure.  only_isas: list from --isa, or nil;
-- fmts: matrix formats of a tuning file (matrix name -> format), or nil.
function M.load(file, text, only_isas, fmts)
  local ok, raw = evaluate(text)
  if not ok then
    local line = raw.line
    if line < 0 then line = srcpos.line(srcpos.scan(text), raw.field) end
    return nil, failure(file, line, raw.field, raw.reason)
  end
  local ok2, res = pcall(validate, raw, only_isas, fmts)
  if not ok2 then
    if type(res) ~= "table" then error(res, 0) end
    local line = res.path == "--isa" and 0 or srcpos.line(srcpos.scan(text), res.path)
    return nil, failure(file, line, res.path, res.reason)
  end
  res.file = file
  return res
end

return M
