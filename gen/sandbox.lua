-- The spec sandbox.  A spec is Lua code, so it runs here with a budget: read-
-- only copies of string, table and math (so nothing it replaces is ever seen
-- by the generator), a limit on work steps (VM instructions, plus a charge
-- for each library call that does more than constant work) and on memory,
-- and its result is copied out as plain data: tables with string or number
-- keys holding strings, numbers, booleans and such tables, nothing else.
--
-- Two ways to run it, one policy:
--  * the bitgen executable runs this module inside a Lua state of its own
--    (gen/sandbox.c: an allocator with a memory cap, an instruction hook, no
--    io/os/debug/package/coroutine at all), copies the plain result into the
--    generator's state and closes the spec's state (M.run_in_state);
--  * plain lua5.4 (meson's configure step) runs it in the generator's state
--    with a debug hook that counts steps and memory (M.run_here).
-- The module captures every library function it uses when it is loaded,
-- before any spec code runs, and never uses string methods (s:sub) because
-- the string metatable points at the spec's copy while the spec runs.
local M = {}

-- steps: VM instructions + charged library work (about 1 per byte or
-- element); a few seconds at most.  seconds: CPU-time backstop for the rare
-- instruction whose own work is not charged (comparing two long strings).
M.LIMITS = { steps = 200000000, memory = 64 * 1024 * 1024, seconds = 10, depth = 32, values = 100000 }
-- The name spec code runs under: error positions read "spec:LINE:".
M.CHUNK = "spec"

local type, next, select, error, pcall, tostring, tonumber = type, next, select, error, pcall, tostring, tonumber
local setmetatable, getmetatable, load, rawequal = setmetatable, getmetatable, load, rawequal
local ipairs, pairs, assert = ipairs, pairs, assert
local s_byte, s_sub, s_format, s_match, s_gsub, s_find = string.byte, string.sub, string.format, string.match,
  string.gsub, string.find
local t_pack, t_unpack, t_concat = table.pack, table.unpack, table.concat
local m_type, m_huge, m_log = math.type, math.huge, math.log
local gc = collectgarbage -- nil inside gen/sandbox.c's state (not needed there)
local os_clock = os and os.clock
local sethook = debug and debug.sethook
local getinfo = debug and debug.getinfo
local STRING, TABLE, MATH = string, table, math

function M.limit_message(what, limits)
  limits = limits or M.LIMITS
  if what == "memory" then
    return s_format("spec used more than %d MiB of memory", limits.memory // (1024 * 1024))
  elseif what == "seconds" then
    return s_format("spec took more than %d s of CPU time", limits.seconds)
  end
  return s_format("spec took too long: more than %d steps of work (a loop or recursion without end?)", limits.steps)
end

-- Field paths: a.b[3]["odd key"]; long or odd keys are quoted and cut.
local function show(s, max)
  max = max or 60
  if #s > max then s = s_sub(s, 1, max) .. "..." end
  return (s_gsub(s_format("%q", s), "\\\n", "\\n"))
end
M.show = show

function M.join(path, key)
  if m_type(key) == "integer" then return path .. "[" .. key .. "]" end
  if type(key) == "number" then return path .. "[" .. s_format("%.17g", key) .. "]" end
  if s_match(key, "^[%a_][%w_]*$") and #key <= 60 then return path == "" and key or path .. "." .. key end
  return path .. "[" .. show(key) .. "]"
end
local join = M.join

-- Upper bound on the steps of a Lua pattern search over n bytes: each
-- quantified item (* + -) can backtrack over the whole subject, `?` doubles,
-- %b and back-references scan it; unanchored searches try every start.
local function set_end(p, i, np) -- i at '['; index after the matching ']'
  local j = i + 1
  if s_byte(p, j) == 94 then j = j + 1 end -- ^
  repeat
    if j > np then return np + 1 end
    local c = s_byte(p, j)
    j = j + 1
    if c == 37 then j = j + 1 end -- %x
  until s_byte(p, j) == 93 -- ]
  return j + 1
end

-- (floats: an integer product would wrap around past 2^63)
local function pattern_cost(n, p)
  local np = #p
  local starts, per, i = n + 1.0, np + 1.0, 1
  if s_byte(p, 1) == 94 then starts, i = 1, 2 end
  while i <= np do
    local c = s_byte(p, i)
    local item_end
    if c == 37 then -- %
      local d = s_byte(p, i + 1)
      if d == 98 then per, i = per * (n + 1), i + 4 -- %bxy
      elseif d == 102 then i = set_end(p, i + 2, np) -- %f[set]
      elseif d and d >= 48 and d <= 57 then per, i = per * (n + 1), i + 2 -- back-reference
      else item_end = i + 2 end
    elseif c == 91 then item_end = set_end(p, i, np)
    elseif c == 40 or c == 41 then i = i + 1 -- ( )
    else item_end = i + 1 end
    if item_end then
      local q = s_byte(p, item_end)
      if q == 42 or q == 43 or q == 45 then per, i = per * (n + 1), item_end + 1
      elseif q == 63 then per, i = per * 2, item_end + 1
      else i = item_end end
    end
  end
  return starts * per
end
M.pattern_cost = pattern_cost

-- Read-only view of a library copy: writes are an error, pairs() works.
local function frozen(name, lib)
  return setmetatable({}, {
    __index = lib,
    __newindex = function(_, k)
      error(s_format("%s.%s: the standard library is read-only in a spec", name, tostring(k)), 2)
    end,
    __pairs = function() return next, lib, nil end,
    __metatable = false,
  })
end

-- The spec's globals.  charge(n, why) adds n steps and raises past the limit.
local function make_env(charge, limits)
  -- costs are floats throughout: integer products could wrap around
  local function len(v) return type(v) == "string" and #v or 24 end
  local function wrap(fn, cost, post)
    return function(...)
      charge(cost(...))
      local r = t_pack(pcall(fn, ...))
      if not r[1] then error(r[2], 2) end
      if post then charge(post(r)) end
      return t_unpack(r, 2, r.n)
    end
  end
  local function strings(...) -- total length of the arguments
    local n = 0
    for i = 1, select("#", ...) do n = n + len((select(i, ...))) end
    return n
  end
  local function result_len(r) return len(r[2]) end
  -- level: how far up the spec's call is from too_big (its position in the message)
  local function too_big(bytes, what, level)
    if bytes > limits.memory then error(s_format("%s would need %.0f bytes: %s", what, bytes,
      M.limit_message("memory", limits)), level) end
  end
  local function pattern(name, fn, outcost)
    return function(s, p, ...)
      local ps = type(p) == "string" and p or type(p) == "number" and tostring(p) or ""
      local n = len(s)
      local cost = pattern_cost(n, ps)
      if cost > limits.steps then
        error(s_format("string.%s: pattern %s on %d bytes could take %.3g steps (limit %d)", name, show(ps), n,
          cost, limits.steps), 2)
      end
      charge(cost + (outcost and outcost(n, ...) or 0))
      local r = t_pack(pcall(fn, s, p, ...))
      if not r[1] then error(r[2], 2) end
      return t_unpack(r, 2, r.n)
    end
  end

  local S = {}
  S.byte = wrap(STRING.byte, len)
  S.char = wrap(STRING.char, function(...) return select("#", ...) end)
  S.find = pattern("find", STRING.find)
  S.match = pattern("match", STRING.match)
  S.gmatch = pattern("gmatch", STRING.gmatch)
  S.gsub = pattern("gsub", STRING.gsub, function(n, repl)
    -- output: every byte kept plus one replacement per possible match; a
    -- replacement string with %0..%9 can copy the subject each time
    local size = 0
    if type(repl) == "string" then
      size = (n + 1.0) * (#repl + (s_find(repl, "%", 1, true) and n or 0))
    elseif type(repl) == "table" then
      local k, v = next(repl)
      while k ~= nil do
        if type(v) == "string" and #v > size then size = #v end
        k, v = next(repl, k)
      end
      size = (n + 1.0) * size
    end
    too_big(n + size, "string.gsub", 4)
    return n + size
  end)
  S.format = wrap(STRING.format, strings, result_len)
  S.len = STRING.len
  S.lower = wrap(STRING.lower, len)
  S.upper = wrap(STRING.upper, len)
  S.reverse = wrap(STRING.reverse, len)
  S.sub = wrap(STRING.sub, function() return 1 end, result_len)
  S.rep = wrap(STRING.rep, function(s, n, sep)
    if type(n) ~= "number" then return 1 end
    local bytes = (n + 0.0) * (len(s) + (sep and len(sep) or 0))
    too_big(bytes, "string.rep", 4)
    return n > 0 and n + bytes or 1
  end)

  local T = {}
  local function span(t, i, j) -- elements i..j of t (defaults 1..#t)
    if type(t) ~= "table" then return 1 end
    i, j = tonumber(i) or 1, tonumber(j) or #t
    return j >= i and (j + 0.0) - i + 1 or 1
  end
  T.concat = function(t, sep, i, j)
    if type(t) == "table" then -- the result's size, counted before it is built
      local a, b = tonumber(i) or 1, tonumber(j) or #t
      local seplen, size = type(sep) == "string" and #sep or 0, 0
      for k = a, b do
        local v = t[k]
        if type(v) ~= "string" and type(v) ~= "number" then break end
        size = size + len(v) + seplen
        if size > limits.memory then too_big(size, "table.concat", 3) end
      end
      charge(size + 1)
    end
    local r = t_pack(pcall(TABLE.concat, t, sep, i, j))
    if not r[1] then error(r[2], 2) end
    return r[2]
  end
  T.insert = wrap(TABLE.insert, function(t) return span(t) end)
  T.remove = wrap(TABLE.remove, function(t) return span(t) end)
  T.move = wrap(TABLE.move, function(_, f, e) return span({}, f, e) end)
  T.sort = wrap(TABLE.sort, function(t)
    local n = span(t)
    return n * (m_log(n + 1, 2) + 1)
  end)
  T.unpack = wrap(TABLE.unpack, span)
  T.pack = wrap(TABLE.pack, function(...) return select("#", ...) end)

  -- math: every function takes constant time; random is left out so a spec
  -- always gives the same package
  local Mt = {}
  for k, v in pairs(MATH) do
    if k ~= "random" and k ~= "randomseed" then Mt[k] = v end
  end

  return {
    string = frozen("string", S), table = frozen("table", T), math = frozen("math", Mt),
    ipairs = ipairs, pairs = pairs, type = type, assert = assert, error = error,
    tostring = tostring, tonumber = wrap(tonumber, len),
    select = wrap(select, function(...) return select("#", ...) end),
  }
end

-- Plain data out: a fresh tree, or raises {path, reason}.
local function copy(root, limits)
  local count, onpath = 0, {}
  local function bad(path, fmt, ...) error({ path = path, reason = s_format(fmt, ...) }, 0) end
  local function walk(v, path, depth)
    local t = type(v)
    if t == "string" or t == "number" or t == "boolean" then return v end
    if t ~= "table" then
      bad(path, "a %s is not spec data (a spec returns tables of strings, numbers and booleans)", t)
    end
    if getmetatable(v) ~= nil then bad(path, "a library table is not spec data") end
    if onpath[v] then bad(path, "the table contains itself") end
    if depth > limits.depth then bad(path, "tables nested more than %d deep", limits.depth) end
    onpath[v] = true
    -- keys in a fixed order (numbers, then strings), so that the first error
    -- named is the same in every Lua state whatever its hash seed
    local keys, odd = {}, {}
    local k = next(v)
    while k ~= nil do
      count = count + 1
      if count > limits.values then bad(path, "more than %d values in the spec", limits.values) end
      local kt = type(k)
      if kt == "string" or kt == "number" then keys[#keys + 1] = k else odd[kt] = true end
      k = next(v, k)
    end
    if next(odd) ~= nil then
      local types = {}
      for t in pairs(odd) do types[#types + 1] = t end
      TABLE.sort(types)
      bad(path, "a key of type %s (keys are strings or numbers)", TABLE.concat(types, ", "))
    end
    TABLE.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta == "number" end
      return a < b
    end)
    local out = {}
    for i = 1, #keys do
      k = keys[i]
      out[k] = walk(v[k], join(path, k), depth + 1)
    end
    onpath[v] = nil
    return out
  end
  return walk(root, "", 1)
end
M.copy = copy

-- An error from spec code as {field, line, reason}.
local function located(field, e)
  if type(e) ~= "string" then
    return { field = field, line = 0, reason = "the spec raised a " .. type(e) .. " as its error" }
  end
  local line, msg = s_match(e, "^" .. M.CHUNK .. ":(%d+): (.*)$")
  msg = msg or e
  msg = s_gsub(msg, "%c", " ")
  if #msg > 300 then msg = s_sub(msg, 1, 300) .. "..." end
  return { field = field, line = tonumber(line) or 0, reason = msg }
end

-- Compiles and runs text, copies out its result.  Returns true, data or
-- false, {field, line, reason} (field: syntax, evaluation, or a data path).
-- where(): the line of the innermost spec function running, for errors
-- raised without one (a stack overflow caught in library code).
local function run(text, charge, limits, where)
  local env = make_env(charge, limits)
  local chunk, err = load(text, "=" .. M.CHUNK, "t", env)
  if not chunk then
    local e = located("syntax", err)
    -- the parser's nesting limit, reported without a line
    if e.reason == "C stack overflow" then e.reason = "tables or expressions nested too deeply (C stack overflow)" end
    return false, e
  end
  local smt = getmetatable("")
  local saved = smt.__index
  smt.__index = env.string -- ("x"):rep() is the spec's own string.rep
  local ok, res = xpcall(chunk, function(e)
    if type(e) == "string" and not s_find(e, "^" .. M.CHUNK .. ":%d+:") then
      local line = where()
      e = s_gsub(e, "^[^:\n]*:%d+: ", "") -- a position inside this module
      if line > 0 then e = M.CHUNK .. ":" .. line .. ": " .. e end
    end
    return e
  end)
  smt.__index = saved
  if not ok then return false, located("evaluation", res) end
  if res == nil then
    return false, { field = "spec", line = 0, reason = "returned nothing (a spec ends with return { ... })" }
  end
  local okc, data = pcall(copy, res, limits)
  if not okc then
    if type(data) ~= "table" then return false, located("evaluation", data) end
    return false, { field = data.path == "" and "spec" or data.path, line = -1, reason = data.reason }
  end
  return true, data
end

-- Inside gen/sandbox.c's state: the C side counts instructions and memory;
-- charge is its function adding library work to the same count.
function M.run_in_state(text, charge, limits, where)
  return run(text, charge, limits, where)
end

-- In the generator's own state (plain lua5.4): the same, with a debug hook
-- on line events (a new line, and every jump back: each loop iteration) that
-- counts steps (M.LINE_STEPS per event), watches memory, so `s = s .. s`
-- cannot run far, and CPU time.  (Count events are not used: Lua drops
-- those that fall due while a line hook runs.)  Only the executable can
-- refuse an allocation; here a single library call is kept within the
-- limits by the wrappers' checks.  A limit reached anywhere, in the spec or
-- in this module, overrides the result.
M.LINE_STEPS = 50
function M.run_here(text, limits)
  limits = limits or M.LIMITS
  local used, over, over_line, events = 0, nil, 0, 0
  local mem_kb = gc("count") + limits.memory / 1024
  local t0 = os_clock()
  local smt = getmetatable("")
  local string_index = smt.__index
  local source = "=" .. M.CHUNK
  local function where()
    for level = 2, 60 do
      local info = getinfo(level, "Sl")
      if not info then break end
      if info.source == source then return info.currentline end
    end
    return 0
  end
  -- memory has no line: the executable cannot tell where an allocation failed
  local function trip(what)
    if not over then over, over_line = what, what ~= "memory" and where() or 0 end
    error(M.limit_message(over, limits), 0)
  end
  local function charge(n)
    used = used + n
    if not (used <= limits.steps) then trip("steps") end
  end
  local function hook()
    if over then return end -- already unwinding to the pcall below
    used = used + M.LINE_STEPS
    if used > limits.steps then trip("steps") end
    if gc("count") > mem_kb then
      gc("collect")
      if gc("count") > mem_kb then trip("memory") end
    end
    events = events + 1
    if events % 1024 == 0 and os_clock() - t0 > limits.seconds then trip("seconds") end
  end
  -- the hook is removed inside the protected call, so a limit reached at
  -- any instruction before that is caught; after a limit the hook is inert
  local function guarded()
    local r = t_pack(pcall(run, text, charge, limits, where))
    sethook()
    return r
  end
  sethook(hook, "l")
  local okg, r = pcall(guarded)
  sethook()
  smt.__index = string_index -- whatever point a limit interrupted
  if over then return false, { field = "evaluation", line = over_line, reason = M.limit_message(over, limits) } end
  if not okg then error(r, 0) end
  if not r[1] then return false, located("evaluation", r[2]) end
  return r[2], r[3]
end

return M
