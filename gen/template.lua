-- The template language.  A line whose first non-blank character is `$`
-- (and not `${`) is Lua; any other line is output, with `${expr}` replaced by
-- the value of expr.  Templates compile to a Lua function, one chunk line per
-- template line, so errors point at the template's own line numbers.
-- Template code may call capture(fn, ...) to get what fn emits as a string.
local M = {}

-- %q writes a newline as backslash-newline, which would shift line numbers.
local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function compile_line(line)
  local code = line:match("^%s*%$(.*)$")
  if code and not line:match("^%s*%${") then return code end
  local parts, pos = {}, 1
  while true do
    local s, e = line:find("%$%b{}", pos)
    if not s then break end
    if s > pos then parts[#parts + 1] = quote(line:sub(pos, s - 1)) end
    parts[#parts + 1] = "_s(" .. line:sub(s + 2, e - 1) .. ")"
    pos = e + 1
  end
  parts[#parts + 1] = quote(line:sub(pos) .. "\n")
  return "_w(" .. table.concat(parts, "..") .. ")"
end

-- Returns a function(env) -> text.  `name` is used in error messages.
function M.compile(text, name)
  local chunk = { "local _w, _s, capture = ...;" }
  if text:sub(-1) ~= "\n" then text = text .. "\n" end
  local first = true
  for line in text:gmatch("([^\n]*)\n") do
    local code = compile_line(line)
    if first then chunk[1], first = chunk[1] .. " " .. code, false else chunk[#chunk + 1] = code end
  end
  local src = table.concat(chunk, "\n")
  return function(env)
    -- Output goes to the top of a stack of buffers: capture(fn, ...) runs
    -- template code into a fresh buffer and returns its text.
    local stack = { {} }
    local function write(text) local b = stack[#stack]; b[#b + 1] = text end
    local function capture(fn, ...)
      stack[#stack + 1] = {}
      fn(...)
      return table.concat(table.remove(stack))
    end
    local function str(v)
      if v == nil then error("template " .. name .. ": ${} expression is nil", 2) end
      if math.type(v) == "float" and v == math.floor(v) then return string.format("%d", v) end
      return tostring(v)
    end
    local scope = setmetatable({}, { __index = function(_, k)
      local v = env[k]
      if v == nil then v = _G[k] end
      return v
    end })
    local fn, err = load(src, "=" .. name, "t", scope)
    if not fn then error(err, 0) end
    fn(write, str, capture)
    return table.concat(stack[1])
  end
end

function M.render(text, name, env)
  return M.compile(text, name)(env)
end

return M
