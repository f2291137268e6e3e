-- Finds the source line of each field of a spec written as Lua table
-- constructors, so validation errors can say FILE:LINE.  It scans tokens,
-- not a full parse: fields built by code get the line of the nearest
-- enclosing table that was written literally.
local M = {}

-- Tokens: {kind, text, line}; kinds: name, string, number, op.
local function tokens(src)
  local out, i, line, n = {}, 1, 1, #src
  local function push(kind, text, l) out[#out + 1] = { kind = kind, text = text, line = l } end
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then
      line, i = line + 1, i + 1
    elseif c:match("%s") then
      i = i + 1
    elseif src:sub(i, i + 1) == "--" then
      local eq = src:match("^%[(=*)%[", i + 2)
      local stop
      if eq then
        stop = select(2, src:find("]" .. eq .. "]", i, true)) or n
      else
        stop = (src:find("\n", i, true) or n + 1) - 1
      end
      local _, nl = src:sub(i, stop):gsub("\n", "")
      line, i = line + nl, stop + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n and src:sub(j, j) ~= c do
        if src:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      push("string", src:sub(i + 1, j - 1), line)
      i = j + 1
    elseif src:match("^%[=*%[", i) then
      local eq = src:match("^%[(=*)%[", i)
      local stop = select(2, src:find("]" .. eq .. "]", i, true)) or n
      local body = src:sub(i, stop)
      push("string", body, line)
      local _, nl = body:gsub("\n", "")
      line, i = line + nl, stop + 1
    elseif c:match("[%a_]") then
      local word = src:match("^[%w_]+", i)
      push("name", word, line)
      i = i + #word
    elseif c:match("%d") then
      local num = src:match("^0[xX][%x%.pP%+%-]+", i) or src:match("^[%d%.]+[eE][%+%-]?%d+", i)
        or src:match("^[%d%.]+", i)
      push("number", num, line)
      i = i + #num
    else
      local op = src:match("^[=~<>]=", i) or src:match("^%.%.%.?", i) or src:match("^::", i)
        or src:match("^//", i) or src:match("^<<", i) or src:match("^>>", i) or c
      push("op", op, line)
      i = i + #op
    end
  end
  return out
end

local function join(path, key)
  if type(key) == "number" then return path .. "[" .. key .. "]" end
  if path == "" then return key end
  return path .. "." .. key
end

-- Returns a map: field path ("matrices[2].K") -> line.
function M.scan(src)
  local toks, lines = tokens(src), {}
  local stack = {} -- frames: {path, n, expect, key, parens}
  local i = 1
  while i <= #toks do
    local t, f = toks[i], stack[#stack]
    if f and f.expect and f.parens == 0 and not (t.kind == "op" and (t.text == "}" or t.text == ",")) then
      f.expect = false
      local nxt, close, eq = toks[i + 1], toks[i + 2], toks[i + 3]
      if t.kind == "name" and nxt and nxt.text == "=" then
        f.key, i = t.text, i + 2
      elseif t.text == "[" and close and close.text == "]" and eq and eq.text == "=" then
        f.key = nxt.kind == "number" and tonumber(nxt.text) or nxt.text
        i = i + 4
      else
        f.n = f.n + 1
        f.key = f.n
      end
      lines[join(f.path, f.key)] = lines[join(f.path, f.key)] or t.line
      t = toks[i]
      if not t then break end
    end
    if t.kind == "op" and t.text == "{" then
      local path = f and join(f.path, f.key) or ""
      if not f then lines[""] = t.line end
      stack[#stack + 1] = { path = path, n = 0, expect = true, parens = 0 }
    elseif t.kind == "op" and t.text == "}" then
      stack[#stack] = nil
    elseif f and t.kind == "op" and (t.text == "(" or t.text == "[") then
      f.parens = f.parens + 1
    elseif f and t.kind == "op" and (t.text == ")" or t.text == "]") then
      f.parens = f.parens - 1
    elseif f and f.parens == 0 and t.kind == "op" and (t.text == "," or t.text == ";") then
      f.expect = true
    end
    i = i + 1
  end
  return lines
end

-- Line of path, or of its nearest ancestor that has one.
function M.line(lines, path)
  while path and path ~= "" do
    if lines[path] then return lines[path] end
    path = path:match("^(.*)%[%d+%]$") or path:match("^(.*)%.[^%.%[]+$") or ""
  end
  return lines[""] or 1
end

return M
