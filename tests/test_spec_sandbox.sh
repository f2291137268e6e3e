#!/usr/bin/env bash
# The spec sandbox (gen/sandbox.lua, gen/sandbox.c).  Every escape attempt
# in tests/specs/escape/ (first line: "-- expect: " + what follows FILE in
# the first line of stderr) must end in that error, in the bitgen executable
# (check and generate) and under plain lua5.4 (check), exit 1, within 20 s
# of wall time and 200 MB of peak RSS (64 MiB is the sandbox's own cap),
# and write nothing anywhere: no marker file the spec tries to create
# (@MARKER@ in the spec), no output directory, nothing new in the working
# or scratch directories.  Also: 30 KB of nested `{`, spec paths that are
# a directory / empty / too large / unreadable, the line lookup in linear
# time, the generator's string metatable untouched, and a spec computed with
# the libraries giving the same package as its literal twin.
# usage: test_spec_sandbox.sh BITGEN SOURCE_ROOT
set -u
bitgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
lua=$(command -v lua5.4) || { echo "SKIP: no lua5.4"; exit 77; }
timebin=/usr/bin/time
[ -x "$timebin" ] || { echo "SKIP: no $timebin (GNU time) to measure time and memory"; exit 77; }
work=$(mktemp -d)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/run" "$work/specs" "$work/meta"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
MAX_SECONDS=20
MAX_KB=$((200 * 1024))

# run LABEL CMD...: runs in $work/run under timeout and GNU time; sets rc,
# first (first stderr line), secs, kb.  The listing of $work must not change.
run() {
  local label=$1
  shift
  local before after
  before=$(cd "$work" && find . -path ./meta -prune -o -print | sort)
  (cd "$work/run" && timeout 60 "$timebin" -f "%e %M" -o "$work/meta/time" "$@" >"$work/meta/out" 2>"$work/meta/err")
  rc=$?
  first=$(grep -v '^Command ' "$work/meta/err" | head -1)
  read -r secs kb < <(tail -1 "$work/meta/time")
  after=$(cd "$work" && find . -path ./meta -prune -o -print | sort)
  if [ "$before" = "$after" ]; then ok; else bad "$label wrote files: $(diff <(echo "$before") <(echo "$after") | grep '^>' | head -3)"; fi
  if awk -v s="$secs" -v m="$MAX_SECONDS" 'BEGIN { exit !(s <= m) }'; then ok; else bad "$label took ${secs}s (bound ${MAX_SECONDS}s)"; fi
  if [ "${kb:-999999999}" -le "$MAX_KB" ]; then ok; else bad "$label peak RSS ${kb} KB (bound $MAX_KB KB)"; fi
  if grep -q "stack traceback\|internal error" "$work/meta/err"; then bad "$label printed a traceback"; else ok; fi
}

# expect LABEL WANT: exit 1 and the first stderr line starting with WANT
expect() {
  if [ "$rc" -eq 1 ]; then ok; else bad "$1: exit $rc, want 1 ($first)"; fi
  case "$first" in "$2"*) ok ;; *) bad "$1: got '$first', want '$2...'" ;; esac
}

# --- escape attempts -----------------------------------------------------
n=0
for src in "$root"/tests/specs/escape/*.lua; do
  name=$(basename "$src" .lua)
  spec="$work/specs/$name.lua"
  marker="$work/marker-$name"
  sed "s|@MARKER@|$marker|g" "$src" >"$spec"
  want="$spec$(head -1 "$src" | sed 's/^-- expect: //')"
  run "check $name" "$bitgen" check "$spec"
  expect "check $name" "$want"
  run "generate $name" "$bitgen" generate "$spec" -o "$work/out-$name"
  expect "generate $name" "$want"
  run "plain check $name" "$lua" "$root/gen/bitgen.lua" check "$spec"
  expect "plain check $name" "$want"
  if [ -e "$marker" ] || [ -e "$work/out-$name" ]; then bad "$name: a marker or an output directory exists"; else ok; fi
  n=$((n + 1))
done
[ "$n" -ge 20 ] && ok || bad "only $n escape specs found"

# --- 30 KB of nested { : a syntax error, quickly -------------------------
spec="$work/specs/nested.lua"
{ printf 'return '; head -c 30000 /dev/zero | tr '\0' '{'; } >"$spec"
for mode in exe plain; do
  if [ $mode = exe ]; then run "nested {" "$bitgen" check "$spec"; else run "plain nested {" "$lua" "$root/gen/bitgen.lua" check "$spec"; fi
  expect "$mode nested {" "$spec: syntax: tables or expressions nested too deeply"
done
# the same nesting reached through the line lookup (a valid file whose
# error is deep inside: the lookup scans the whole text)
"$lua" - "$root" >"$work/meta/srcpos" 2>&1 <<'EOF'
package.path = arg[1] .. "/gen/?.lua;" .. package.path
local srcpos = require "srcpos"
local deep = ("{a="):rep(300000) .. ("}"):rep(300000)
local t0 = os.clock()
local line = srcpos.line(srcpos.scan(deep), ("a."):rep(50) .. "b")
local braces = ("{"):rep(1 << 20)
local line2 = srcpos.line(srcpos.scan(braces), "x[1].y")
print(line, line2, os.clock() - t0, collectgarbage("count"))
EOF
read -r l1 l2 secs kbused <"$work/meta/srcpos"
if [ "$l1" = 1 ] && [ "$l2" = 1 ]; then ok; else bad "srcpos on deep nesting: $(cat "$work/meta/srcpos")"; fi
if awk -v s="$secs" -v k="$kbused" 'BEGIN { exit !(s < 10 && k < 32768) }'; then ok; else
  bad "srcpos on 1.9 MB of nesting: ${secs}s, ${kbused} KB of Lua heap (bounds 10 s, 32 MB)"; fi

# --- spec paths -------------------------------------------------------------
mkdir "$work/specs/adir.lua"
: >"$work/specs/empty.lua"
head -c $((1100 * 1024)) /dev/zero | tr '\0' ' ' >"$work/specs/big.lua"
for c in "adir.lua:is a directory, not a spec file" "empty.lua:is empty" "big.lua:is larger than 1 MiB"; do
  f=${c%%:*} msg=${c#*:}
  run "path $f" "$bitgen" check "$work/specs/$f"
  expect "path $f" "bitgen: $work/specs/$f $msg"
  run "plain path $f" "$lua" "$root/gen/bitgen.lua" check "$work/specs/$f"
  expect "plain path $f" "bitgen: $work/specs/$f $msg"
done
cp "$root/tests/specs/odd-b.lua" "$work/specs/locked.lua"
chmod 000 "$work/specs/locked.lua"
if [ -r "$work/specs/locked.lua" ]; then
  echo "note: running as root, an unreadable spec cannot be made; that case is not checked"
else
  run "unreadable" "$bitgen" check "$work/specs/locked.lua"
  expect "unreadable" "bitgen: cannot read spec: $work/specs/locked.lua: Permission denied"
fi
chmod 600 "$work/specs/locked.lua"

# --- plain mode leaves the generator's state as it was -------------------
"$lua" - "$root" "$root/tests/specs/escape/string-method.lua" "$root/tests/specs/sandbox-computed.lua" \
    >"$work/meta/plain" 2>&1 <<'EOF'
package.path = arg[1] .. "/gen/?.lua;" .. package.path
local sandbox = require "sandbox"
local mt, fmt, rep, index = getmetatable(""), string.format, string.rep, getmetatable("").__index
for i = 2, 3 do
  local f = assert(io.open(arg[i], "rb"))
  local text = f:read("a")
  f:close()
  sandbox.run_here(text)
end
local hooked = debug.gethook()
print(getmetatable("") == mt and mt.__index == index and index == string and string.format == fmt
  and string.rep == rep and ("x"):rep(2) == "xx" and hooked == nil and "intact" or "changed")
EOF
if [ "$(cat "$work/meta/plain")" = intact ]; then ok; else bad "plain mode changed the generator's state: $(cat "$work/meta/plain")"; fi

# --- computed spec = literal spec -----------------------------------------
computed="$root/tests/specs/sandbox-computed.lua"
cat >"$work/specs/literal.lua" <<'EOF'
return {
  model = "computed-yy", description = "computed 3 matrices", format = "i2s",
  matrices = { { name = "attn_k_1", M = 128, K = 256 }, { name = "attn_q_2", M = 512, K = 256 },
               { name = "ffn_up_3", M = 1408, K = 256 } },
  isas = { "scalar", "avx2" }, pack_rows = 8,
}
EOF
a=$("$bitgen" list "$computed" | md5sum)
b=$("$lua" "$root/gen/bitgen.lua" list "$computed" | md5sum)
c=$("$bitgen" list "$work/specs/literal.lua" | md5sum)
if [ "$a" = "$c" ] && [ "$b" = "$c" ] && [ -n "$("$bitgen" list "$computed")" ]; then ok; else
  bad "computed spec lists differently (exe $a, plain $b, literal $c)"; fi
"$bitgen" generate "$computed" -o "$work/g1" >/dev/null && "$bitgen" generate "$work/specs/literal.lua" -o "$work/g2" >/dev/null
# (the spec's file name is recorded in the package: lines naming it differ)
if diff <(grep -v sandbox-computed.lua "$work/g1/dispatch.c") <(grep -v literal.lua "$work/g2/dispatch.c") >/dev/null &&
    grep -q '"computed-yy"' "$work/g1/dispatch.c"; then ok; else
  bad "computed spec generates a different dispatch.c"; fi

echo "spec sandbox tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
