-- Unit tests of the template engine and the spec source-position scanner.
-- usage: lua5.4 tests/test_template.lua SOURCE_ROOT
local root = arg[1] or "."
package.path = root .. "/gen/?.lua;" .. package.path
local T = require "template"
local srcpos = require "srcpos"

local failed, passed = 0, 0
local function eq(got, want, what)
  if got == want then passed = passed + 1 return end
  failed = failed + 1
  io.stderr:write(string.format("FAIL %s\n  got:  %q\n  want: %q\n", what, tostring(got), tostring(want)))
end

-- plain text passes through; ${} substitutes; $ lines are Lua
eq(T.render("int x;\n", "t", {}), "int x;\n", "plain text")
eq(T.render("a ${1 + 2} b ${name}\n", "t", { name = "n" }), "a 3 b n\n", "substitution")
eq(T.render("$ for i = 1, 3 do\nx${i}\n$ end\n", "t", {}), "x1\nx2\nx3\n", "loop")
eq(T.render("  $ local v = 7\nv=${v}\n", "t", {}), "v=7\n", "indented lua line")
eq(T.render("${'f'}(1);\n", "t", {}), "f(1);\n", "line starting with ${ is text")
eq(T.render("${t[1]}${ ({5})[1] }\n", "t", { t = { "a" } }), "a5\n", "nested braces")
eq(T.render("no newline", "t", {}), "no newline\n", "final newline added")
eq(T.render("$ local function f(n)\ny${n}\n$ end\n$ f(1) f(2)\n", "t", {}), "y1\ny2\n", "functions emit")
eq(T.render("q \"${s}\" \\n\n", "t", { s = "x" }), "q \"x\" \\n\n", "quotes and backslashes")
eq(T.render("${2.0}\n", "t", {}), "2\n", "integral floats print as integers")
eq(T.render("$ local function f(n)\n<${n}>\n$ end\nA${capture(f, 1)}B\n", "t", {}), "A<1>\nB\n", "capture")
-- errors name the template line
local ok, err = pcall(T.render, "a\nb\n$ local y = nope.x\n", "bad.c", {})
eq(ok, false, "error raised")
eq(tostring(err):match("^bad%.c:(%d+):"), "3", "error line number")
ok, err = pcall(T.render, "${missing}\n", "nil.c", {})
eq(ok, false, "nil substitution is an error")
-- output is deterministic
eq(T.render("$ for k, v in ipairs({3,1,2}) do\n${v}\n$ end\n", "t", {}), "3\n1\n2\n", "ordered")

-- srcpos: lines of nested fields, strings and comments skipped
local lines = srcpos.scan([[
-- { comment
return {
  a = 1, -- }
  list = {
    { x = "}", y = 2 },
    {
      ["z"] = [==[
]==], w = 3 },
  },
}
]])
eq(lines["a"], 3, "srcpos a")
eq(lines["list[1].y"], 5, "srcpos list[1].y")
eq(lines["list[2]"], 6, "srcpos list[2]")
eq(lines["list[2].z"], 7, "srcpos bracket key")
eq(lines["list[2].w"], 8, "srcpos after long string")
eq(srcpos.line(lines, "list[2].missing"), 6, "nearest ancestor")
eq(srcpos.line(lines, "nothing"), 2, "root")

print(string.format("template tests: %d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
