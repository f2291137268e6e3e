-- `bitgen spec-from-gguf`: a model spec from the header of a GGUF file (its
-- metadata and tensor table, read by host.gguf_header; no tensor data).
-- Hyper-parameters come from the <arch>.* keys; the FFN activation, sub-norms
-- and RoPE type are facts of the architecture (gen/arch.lua); each weight
-- matrix gets the bitgen format of its GGUF type.  The text is loaded back
-- through the spec validator before it is returned, so `generate` accepts it.
local arch = require "arch"
local formats = require "formats"
local isa = require "isa"

local M = {}

-- ggml type ids -> bitgen formats (docs/GGUF.md lists the ids and layouts).
-- A type whose format this bitgen lacks is an error naming both.
M.TYPE_FORMAT = { [36] = "i2s", [34] = "tq1_0", [35] = "tq2_0", [2] = "q4_0", [8] = "q8_0", [14] = "q6_k",
                  [1] = "f16", [30] = "bf16" }

local function fail(field, fmt, ...) error({ field = field, reason = string.format(fmt, ...) }, 0) end

local function q(s) return string.format("%q", s) end

-- The shortest decimal that reads back as the same float32 (GGUF floats are
-- f32), always with a '.' or exponent so it stays a float.
local function f32_text(x)
  local want = string.pack("<f", x)
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return string.format("%d.0", math.tointeger(x)) end
  for digits = 1, 9 do
    local t = string.format("%." .. digits .. "g", x)
    if string.pack("<f", tonumber(t)) == want then
      if not t:find("[.eEn]") then t = t .. ".0" end
      return t
    end
  end
  return string.format("%.9g", x)
end

local function want_uint(kv, key, default)
  local v = kv[key]
  if v == nil then
    if default ~= nil then return default end
    fail(key, "missing (a required hyper-parameter of the model)")
  end
  if math.type(v) ~= "integer" or v < 1 then fail(key, "must be a positive integer, got %s", tostring(v)) end
  return v
end

local function want_float(kv, key, default)
  local v = kv[key]
  if v == nil then
    if default ~= nil then return default end
    fail(key, "missing (a required hyper-parameter of the model)")
  end
  if type(v) ~= "number" or not (v > 0 and v < math.huge) then
    fail(key, "must be a finite number > 0, got %s", tostring(v))
  end
  return v
end

-- The bitgen format of a tensor, or an error naming it.
local function format_of(t)
  local name = M.TYPE_FORMAT[t.type]
  local tname = t.type_name or ("type " .. t.type)
  if not name then
    local known = {}
    for id, f in pairs(M.TYPE_FORMAT) do known[#known + 1] = f .. " (" .. id .. ")" end
    table.sort(known)
    fail("tensor '" .. t.name .. "'", "tensor type %s (ggml id %d) has no bitgen format (supported: %s)", tname, t.type,
      table.concat(known, ", "))
  end
  if not formats.by_name[name] then
    fail("tensor '" .. t.name .. "'", "tensor type %s maps to the format %s, which this bitgen does not have yet", tname,
      name)
  end
  return name
end

-- A name for the spec's `model` from the file name: letters, digits, . - _.
local function model_name(path)
  local base = (path:match("([^/]+)$") or path):gsub("%.gguf$", "")
  local name = base:gsub("[^%w%.%-_]", "-")
  if not name:match("^%a") then name = "m-" .. name end
  return name:sub(1, 64)
end

-- Returns the spec text.  h: host.gguf_header's table; isas: list or nil.
function M.spec_text(h, path, isas)
  local kv = h.kv
  local a = kv["general.architecture"]
  if type(a) ~= "string" then fail("general.architecture", "missing: the file names no architecture") end
  local A = arch.by_name[a]
  if not A then
    fail("general.architecture", "unknown architecture %s (bitgen knows: %s)", q(a), table.concat(arch.names(), ", "))
  end
  local p = a .. "."
  local hp = {}
  hp.n_embd = want_uint(kv, p .. "embedding_length")
  local layers = want_uint(kv, p .. "block_count")
  hp.n_head = want_uint(kv, p .. "attention.head_count")
  hp.n_head_kv = want_uint(kv, p .. "attention.head_count_kv", hp.n_head)
  hp.n_ff = want_uint(kv, p .. "feed_forward_length")
  hp.n_ctx = want_uint(kv, p .. "context_length")
  if hp.n_embd % hp.n_head ~= 0 and kv[p .. "attention.key_length"] == nil then
    fail(p .. "attention.head_count", "%d does not divide %sembedding_length (%d)", hp.n_head, p, hp.n_embd)
  end
  hp.head_dim = want_uint(kv, p .. "attention.key_length", hp.n_embd // hp.n_head)
  hp.rope_theta = want_float(kv, p .. "rope.freq_base", 10000.0)
  hp.norm_eps = want_float(kv, p .. "attention.layer_norm_rms_epsilon")

  local by_name = {}
  for _, t in ipairs(h.tensors) do by_name[t.name] = t end
  local function tensor_dims(t)
    if #t.dims ~= 2 then
      fail("tensor '" .. t.name .. "'", "has %d dimensions; a weight matrix has 2", #t.dims)
    end
    return t.dims[2], t.dims[1] -- M rows of K (ggml: dims[1] innermost)
  end
  local te = by_name["token_embd.weight"]
  if not te then fail("token_embd.weight", "missing: the file has no token embedding tensor") end
  local _, vocab_k = tensor_dims(te)
  hp.n_vocab = want_uint(kv, p .. "vocab_size", te.dims[2])
  if vocab_k ~= hp.n_embd then
    fail("tensor 'token_embd.weight'", "rows of %d, but %sembedding_length is %d", vocab_k, p, hp.n_embd)
  end
  hp.tied_embeddings = by_name["output.weight"] == nil
  hp.rope_type, hp.ffn_act, hp.sub_norms = A.rope_type, A.ffn_act, A.sub_norms
  if A.sub_norms then
    for _, n in ipairs({ "blk.0.attn_sub_norm.weight", "blk.0.ffn_sub_norm.weight" }) do
      if not by_name[n] then fail(n, "missing: architecture %s has sub-norms", a) end
    end
  end

  -- matrices: one per role; a per-layer role has the same type and shape in every layer
  local mats = {}
  for _, r in ipairs(arch.roles) do
    local first
    if r.per_layer then
      for l = 0, layers - 1 do
        local n = string.format(arch.tensor_name(r), l)
        local t = by_name[n]
        if not t then fail(n, "missing: %sblock_count is %d", p, layers) end
        if not first then
          first = t
        elseif t.type ~= first.type then
          fail("tensor '" .. n .. "'", "type %s, but %s is %s: a matrix has one format in every layer",
            t.type_name or tostring(t.type), first.name, first.type_name or tostring(first.type))
        else
          local m1, k1 = tensor_dims(t)
          local m0, k0 = tensor_dims(first)
          if m1 ~= m0 or k1 ~= k0 then
            fail("tensor '" .. n .. "'", "%d x %d, but %s is %d x %d", m1, k1, first.name, m0, k0)
          end
        end
      end
    else
      first = by_name[arch.tensor_name(r)]
    end
    if first then
      local rows, k = tensor_dims(first)
      mats[#mats + 1] = { name = r.role, M = rows, K = k, format = format_of(first), tensor = arch.tensor_name(r),
                          per_layer = r.per_layer }
    end
  end
  local main = mats[1].format -- the layers' format (attn_q)

  local list = {}
  if isas then
    list = isas
  else
    for _, row in ipairs(isa.list) do list[#list + 1] = row.name end
  end
  local qisas = {}
  for _, n in ipairs(list) do qisas[#qisas + 1] = q(n) end
  local gname = type(kv["general.name"]) == "string" and kv["general.name"] or ""
  local desc = ("from " .. ((path:match("([^/]+)$")) or path) .. (gname ~= "" and (" (" .. gname .. ")") or ""))
    :gsub("%c", " "):sub(1, 200)

  local o = {}
  local function w(s) o[#o + 1] = s end
  w("-- Generated by `bitgen spec-from-gguf` from the header of a GGUF file (no tensor")
  w("-- data read): the model's hyper-parameters and one layer's weight matrices,")
  w("-- each in the bitgen format of its GGUF type.")
  w("return {")
  w("  model = " .. q(model_name(path)) .. ",")
  w("  description = " .. q(desc) .. ",")
  w("  arch = " .. q(a) .. ",")
  w("  format = " .. q(main) .. ",")
  w("  layers = " .. layers .. ",")
  w("  hparams = {")
  for _, k in ipairs({ "n_embd", "n_head", "n_head_kv", "head_dim", "n_ff", "n_vocab", "n_ctx" }) do
    w("    " .. k .. " = " .. hp[k] .. ",")
  end
  w("    rope_type = " .. q(hp.rope_type) .. ",")
  w("    rope_theta = " .. f32_text(hp.rope_theta) .. ",")
  w("    norm_eps = " .. f32_text(hp.norm_eps) .. ",")
  w("    ffn_act = " .. q(hp.ffn_act) .. ",")
  w("    sub_norms = " .. tostring(hp.sub_norms) .. ",")
  w("    tied_embeddings = " .. tostring(hp.tied_embeddings) .. ",")
  w("  },")
  w("  matrices = {")
  for _, m in ipairs(mats) do
    w(string.format("    { name = %s, M = %d, K = %d, %stensor = %s%s },", q(m.name), m.M, m.K,
      m.format ~= main and ("format = " .. q(m.format) .. ", ") or "", q(m.tensor),
      m.per_layer and "" or ", per_layer = false"))
  end
  w("  },")
  w("  isas = { " .. table.concat(qisas, ", ") .. " },")
  w("}")
  return table.concat(o, "\n") .. "\n"
end

return M
