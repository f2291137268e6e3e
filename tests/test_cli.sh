#!/usr/bin/env bash
# The bitgen command line: help and version, every spec rejection (message
# FILE:LINE: field: reason, no output written), reproducible output, files
# rewritten only when changed, stale files removed.
# usage: test_cli.sh BITGEN SOURCE_ROOT
set -u
bitgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

# --- help, version, usage errors -------------------------------------------
check '"$bitgen" --version | grep -q "^bitgen [0-9]"' "--version"
for c in generate check list; do
  check '"$bitgen" $c --help | grep -q "usage: bitgen $c"' "$c --help"
done
check '"$bitgen" --help | grep -q "commands:"' "--help"
"$bitgen" frobnicate >/dev/null 2>&1; check '[ $? -eq 2 ]' "unknown command exits 2"
(cd "$work" && "$bitgen" generate "$root/specs/bitnet-b1.58-2b-4t.lua" >/dev/null 2>&1)
check '[ -f "$work/out/bitnet-b1.58-2b-4t/bitgen_bitnet_b1_58_2b_4t.h" ]' "generate without -o writes out/<spec name>"
rm -rf "$work/out"
"$bitgen" generate >/dev/null 2>&1; check '[ $? -eq 2 ]' "generate without SPEC exits 2"
"$bitgen" check "$work/no-such.lua" >/dev/null 2>&1; check '[ $? -ne 0 ]' "missing spec file"

# --- every shipped spec is valid and lists its variants -------------------
for s in "$root"/specs/*.lua; do
  check '"$bitgen" check "$s" >/dev/null' "check $s"
  fmt=$(awk -F'"' '/^  format = / { print $2 }' "$s")
  n=$("$bitgen" list "$s" | grep -cE "^${fmt}_gemv_[0-9]+x[0-9]+_r[0-9]+u[0-9]+(p[0-9]+)?__[a-z0-9]+ op=gemv format=$fmt ")
  check '[ "$n" -eq 36 ]' "list $s: 4 shapes x 9 ISAs of $fmt GEMV, got $n"
  n=$("$bitgen" list "$s" | grep -cE "^${fmt}_gemm_[0-9]+x[0-9]+xn_r[0-9]+n[0-9]+u[0-9]+(p[0-9]+)?__[a-z0-9]+ op=gemm format=$fmt ")
  check '[ "$n" -eq 36 ]' "list $s: 4 shapes x 9 ISAs of $fmt GEMM, got $n"
done
check '"$bitgen" list "$root/specs/bitnet-b1.58-2b-4t.lua" | grep -q "^i2s_gemv_6912x2560_r8u2__avx512vnni op=gemv format=i2s M=6912 K=2560 N=1 isa=avx512vnni rows=8 tokens=1 unroll=2 prefetch=4 prows=8 symbol=bitgen_bitnet_b1_58_2b_4t_i2s_gemv_6912x2560_r8u2__avx512vnni$"' "list line"
n=$("$bitgen" list "$root/specs/bitnet-b1.58-2b-4t.lua" --isa avx2 | wc -l)
check '[ "$n" -eq 16 ]' "--isa avx2 gives avx2 + scalar: got $n"
"$bitgen" check "$root/specs/bitnet-b1.58-2b-4t.lua" --isa avx2,sse9 2>"$work/err" >/dev/null
check '[ $? -ne 0 ] && grep -q -- "--isa: unknown ISA \"sse9\"" "$work/err"' "--isa unknown"

# --- rejections: message names file, line and field; nothing written -------
mkdir -p "$work/existing"
echo keep > "$work/existing/mine.txt"
for s in "$root"/tests/specs/bad/*.lua; do
  want="$s:$(head -1 "$s" | sed 's/^-- expect: //')"
  for cmd in check generate; do
    out="$work/out-$(basename "$s" .lua)"
    if [ $cmd = generate ]; then "$bitgen" generate "$s" -o "$out" 2>"$work/err" >/dev/null; else "$bitgen" check "$s" 2>"$work/err" >/dev/null; fi
    rc=$?
    got=$(head -1 "$work/err")
    case "$got" in "$want"*) ok ;; *) bad "$cmd $(basename "$s"): got '$got', want '$want'" ;; esac
    check '[ $rc -eq 1 ]' "$cmd $(basename "$s") exits 1 (got $rc)"
    check '[ ! -e "$out" ]' "$cmd $(basename "$s") created output"
  done
  "$bitgen" generate "$s" -o "$work/existing" 2>/dev/null
  check '[ "$(ls -A "$work/existing")" = mine.txt ] && [ "$(cat "$work/existing/mine.txt")" = keep ]' "existing dir changed by $(basename "$s")"
done
check '[ -z "$(ls -A "$work" | grep bitgen-tmp)" ]' "temporary directories left behind"

# --- reproducible output; unchanged files are not rewritten ---------------
spec="$root/specs/bitnet-b1.58-2b-4t.lua"
"$bitgen" generate "$spec" -o "$work/a" >/dev/null && "$bitgen" generate "$spec" -o "$work/b" >/dev/null
check 'diff -r "$work/a" "$work/b" >/dev/null' "same spec, byte-identical output"
mkdir "$work/elsewhere" && cp "$spec" "$work/elsewhere/"
"$bitgen" generate "$work/elsewhere/$(basename "$spec")" -o "$work/c" >/dev/null
check 'diff -r "$work/a" "$work/c" >/dev/null' "output independent of the spec's directory"
before=$(stat -c '%i %Y' "$work/a"/* | md5sum)
msg=$("$bitgen" generate "$spec" -o "$work/a")
after=$(stat -c '%i %Y' "$work/a"/* | md5sum)
check '[ "$before" = "$after" ]' "regeneration rewrote unchanged files"
check 'echo "$msg" | grep -q "0 written"' "regeneration reports 0 written: $msg"
echo "/* edited */" >> "$work/a/dispatch.c"
ino=$(stat -c %i "$work/a/api.c")
msg=$("$bitgen" generate "$spec" -o "$work/a")
check 'echo "$msg" | grep -q "1 written"' "an edited file is restored: $msg"
check 'diff -r "$work/a" "$work/b" >/dev/null' "restored output identical"
check '[ "$ino" = "$(stat -c %i "$work/a/api.c")" ]' "untouched file kept its inode"
msg=$("$bitgen" generate "$spec" -o "$work/a" --isa avx2)
check '[ ! -e "$work/a/i2s_gemv_2560x2560_r8u2__avx512vnni.c" ] && [ -e "$work/a/i2s_gemv_2560x2560_r4u4p8__avx2.c" ]' "stale kernels removed"
check 'echo "$msg" | grep -q "56 stale removed"' "stale count: $msg"
check '[ -e "$work/a/meson.build" ] && grep -q "avx2" "$work/a/meson.build" && ! grep -q "avx512vnni" "$work/a/dispatch.c"' "package follows --isa"
"$bitgen" generate "$spec" -o "$work/nodir/deeper" >/dev/null 2>&1
check '[ $? -ne 0 ] && [ ! -e "$work/nodir" ]' "missing parent directory is an error"
echo x > "$work/afile"
"$bitgen" generate "$spec" -o "$work/afile" >/dev/null 2>&1
check '[ $? -ne 0 ] && [ "$(cat "$work/afile")" = x ]' "output path that is a file"

echo "cli tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
