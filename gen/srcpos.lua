-- Finds the source line of a field of a spec written as Lua table
-- constructors, so validation errors can say FILE:LINE.  It scans tokens,
-- not a full parse: fields built by code get the line of the nearest
-- enclosing table that was written literally.  One lookup is one pass over
-- the text keeping only the stack of open tables: time linear in the file,
-- memory linear in its nesting (a file of 30 000 `{` costs nothing more).
local M = {}

local sub, byte, find, match = string.sub, string.byte, string.find, string.match

-- A token reader: returns kind, text, line (kinds: name, string, number,
-- op), or nil at the end.
local function reader(src)
  local i, line, n = 1, 1, #src
  local function lines_in(a, b)
    local c, at = 0, a
    while true do
      at = find(src, "\n", at, true)
      if not at or at > b then return c end
      c, at = c + 1, at + 1
    end
  end
  return function()
    while i <= n do
      local c = sub(src, i, i)
      if c == "\n" then
        line, i = line + 1, i + 1
      elseif find(c, "^%s") then
        i = i + 1
      elseif sub(src, i, i + 1) == "--" then
        local eq = match(src, "^%[(=*)%[", i + 2)
        local stop
        if eq then
          stop = select(2, find(src, "]" .. eq .. "]", i, true)) or n
        else
          stop = (find(src, "\n", i, true) or n + 1) - 1
        end
        line, i = line + lines_in(i, stop), stop + 1
      elseif c == '"' or c == "'" then
        local j, l0, q = i + 1, line, byte(c)
        while j <= n do
          local b = byte(src, j)
          if b == q or b == 10 then break end -- a newline ends a broken string
          if b == 92 then -- backslash: skip the escaped byte, count a newline
            if byte(src, j + 1) == 10 then line = line + 1 end
            j = j + 1
          end
          j = j + 1
        end
        local text = sub(src, i + 1, j - 1)
        i = j + 1
        return "string", text, l0
      elseif match(src, "^%[=*%[", i) then
        local eq = match(src, "^%[(=*)%[", i)
        local stop = select(2, find(src, "]" .. eq .. "]", i, true)) or n
        local l0 = line
        line = line + lines_in(i, stop)
        local body = sub(src, i, stop)
        i = stop + 1
        return "string", body, l0
      elseif find(c, "^[%a_]") then
        local word = match(src, "^[%w_]+", i)
        i = i + #word
        return "name", word, line
      elseif find(c, "^%d") then
        local num = match(src, "^0[xX][%x%.pP%+%-]+", i) or match(src, "^[%d%.]+[eE][%+%-]?%d+", i)
          or match(src, "^[%d%.]+", i)
        i = i + #num
        return "number", num, line
      else
        local op = match(src, "^[=~<>]=", i) or match(src, "^%.%.%.?", i) or match(src, "^::", i)
          or match(src, "^//", i) or match(src, "^<<", i) or match(src, "^>>", i) or c
        i = i + #op
        return "op", op, line
      end
    end
  end
end

-- "matrices[2].K" -> {"matrices", 2, "K"}; ["odd key"] as written by
-- gen/sandbox.lua's join (simple escapes only).
local function components(path)
  local out, i = {}, 1
  while i <= #path do
    local name = match(path, "^%.?([%a_][%w_]*)", i)
    if name then
      out[#out + 1] = name
      i = i + #match(path, "^%.?[%a_][%w_]*", i)
    else
      local num = match(path, "^%[(%-?%d+)%]", i)
      if num then
        out[#out + 1] = tonumber(num)
        i = i + #num + 2
      else
        local q = match(path, '^%[(%b"")%]', i)
        if not q then break end
        out[#out + 1] = sub(q, 2, -2):gsub("\\(.)", "%1")
        i = i + #q + 2
      end
    end
  end
  return out
end

-- One pass: the line of each component of path that is written literally
-- (first occurrence), and the line of the last top-level table.
local function locate(src, path)
  local want = components(path)
  local found, root = {}, nil
  local next_token = reader(src)
  local buf = {} -- lookahead: {kind, text, line}
  local function peek(k)
    while #buf < k do
      local kind, text, line = next_token()
      if not kind then return nil end
      buf[#buf + 1] = { kind = kind, text = text, line = line }
    end
    return buf[k]
  end
  local function take() return table.remove(buf, 1) end
  -- frames of the open tables on the path: {n, expect, parens, key, m}; m:
  -- how many components of path the table's own path matches.  Tables off
  -- the path are only counted (skip), so memory stays within the path.
  local stack, skip = {}, 0
  local child_m = -1
  while true do
    local t = peek(1)
    if not t then break end
    local f = stack[#stack]
    if skip == 0 and f and f.expect and f.parens == 0 and not (t.kind == "op" and (t.text == "}" or t.text == ",")) then
      f.expect = false
      local nxt, close, eq = peek(2), peek(3), peek(4)
      if t.kind == "name" and nxt and nxt.text == "=" then
        f.key = t.text
        take(); take()
      elseif t.text == "[" and nxt and close and close.text == "]" and eq and eq.text == "=" then
        f.key = nxt.kind == "number" and tonumber(nxt.text) or nxt.text
        take(); take(); take(); take()
      else
        f.n = f.n + 1
        f.key = f.n
      end
      child_m = -1
      if f.m < #want and want[f.m + 1] == f.key then
        found[f.m + 1] = found[f.m + 1] or t.line
        child_m = f.m + 1
      end
      t = peek(1)
      if not t then break end
    end
    take()
    local op = t.kind == "op" and t.text
    if skip > 0 then
      if op == "{" then skip = skip + 1 elseif op == "}" then skip = skip - 1 end
    elseif op == "{" then
      if not f then
        root = t.line
        stack[1] = { n = 0, expect = true, parens = 0, m = 0 }
      elseif child_m >= 0 then
        stack[#stack + 1] = { n = 0, expect = true, parens = 0, m = child_m }
      else
        skip = 1
      end
      child_m = -1
    elseif op == "}" then
      stack[#stack] = nil
    elseif f and (op == "(" or op == "[") then
      f.parens = f.parens + 1
    elseif f and (op == ")" or op == "]") then
      f.parens = f.parens - 1
    elseif f and f.parens == 0 and (op == "," or op == ";") then
      f.expect = true
    end
  end
  return found, #want, root
end

-- A lookup object for src: lines[path] is the line of path if it is written
-- literally, else nil.
function M.scan(src)
  return setmetatable({}, { __index = function(_, path)
    local found, n, root = locate(src, path)
    if n == 0 then return root end
    return found[n]
  end, src = src })
end

-- Line of path, or of its nearest ancestor that has one, or of the table.
function M.line(lines, path)
  local src = getmetatable(lines).src
  local found, n, root = locate(src, path or "")
  for k = n, 1, -1 do
    if found[k] then return found[k] end
  end
  return root or 1
end

return M
