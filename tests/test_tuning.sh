#!/usr/bin/env bash
# Tuning files (gen/tuning.lua) and `bitgen tune` (gen/tune.lua).
# usage: test_tuning.sh BITGEN SOURCE_ROOT          the file format: every rejection in
#                                                   tests/tuning/bad (FILE:LINE: field: reason,
#                                                   nothing written), generate --tuning
#                                                   byte-identical on repeat and different from
#                                                   without, the shipped tuning files
#        test_tuning.sh BITGEN SOURCE_ROOT tune     a quick tune of tests/specs/tune-mixed.lua, end
#                                                   to end (exit 77 without cc, meson or ninja);
#                                                   its file validates and regenerates identically
# Nothing here asserts a time.
set -u
bitgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
mode=${3:-files}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
spec="$root/tests/specs/tune-mixed.lua"
good="$root/tests/tuning/tune-mixed.lua"

if [ "$mode" = files ]; then
  # --- options -------------------------------------------------------------
  check '"$bitgen" tune --help | grep -q "meson and ninja"' "tune --help names the tools it needs"
  check '[ "$("$bitgen" tune --cpu | wc -l)" -eq 1 ] && [ -n "$("$bitgen" tune --cpu)" ]' "tune --cpu: one line"
  "$bitgen" check "$spec" --cpu >/dev/null 2>&1; check '[ $? -eq 2 ]' "--cpu outside tune exits 2"
  "$bitgen" generate "$spec" --quick -o "$work/x" >/dev/null 2>&1; check '[ $? -eq 2 ]' "--quick outside tune exits 2"
  "$bitgen" tune "$spec" --tuning "$good" >/dev/null 2>&1; check '[ $? -eq 2 ]' "--tuning with tune exits 2"
  "$bitgen" generate "$spec" --tuning >/dev/null 2>&1; check '[ $? -eq 2 ]' "--tuning without a file exits 2"
  "$bitgen" check "$spec" --tuning "$work/none.lua" >/dev/null 2>&1; check '[ $? -eq 1 ]' "missing tuning file exits 1"
  "$bitgen" check "$spec" --tuning "$work" 2>"$work/err" >/dev/null
  check 'grep -q "is a directory" "$work/err"' "a directory as tuning file"

  # --- rejections: FILE:LINE: field: reason, exit 1, nothing written --------
  for t in "$root"/tests/tuning/bad/*.lua; do
    want="$t:$(head -1 "$t" | sed 's/^-- expect: //')"
    name=$(basename "$t" .lua)
    "$bitgen" check "$spec" --tuning "$t" 2>"$work/err" >/dev/null
    rc=$?
    got=$(head -1 "$work/err")
    case "$got" in "$want"*) ok ;; *) bad "check $name: got '$got', want '$want'" ;; esac
    check '[ $rc -eq 1 ]' "check $name exits 1 (got $rc)"
    "$bitgen" generate "$spec" --tuning "$t" -o "$work/out-$name" 2>/dev/null >/dev/null
    check '[ $? -eq 1 ] && [ ! -e "$work/out-$name" ]' "generate $name: exit 1 and nothing written"
  done
  check '[ -z "$(ls -A "$work" | grep bitgen-tmp)" ]' "temporary directories left behind"

  # --- generate --tuning ----------------------------------------------------
  "$bitgen" generate "$spec" -o "$work/plain" >/dev/null
  "$bitgen" generate "$spec" --tuning "$good" -o "$work/t1" >/dev/null
  "$bitgen" generate "$spec" --tuning "$good" -o "$work/t2" >/dev/null
  check 'diff -r "$work/t1" "$work/t2" >/dev/null' "same spec and tuning file: byte-identical package"
  check '! diff -r "$work/plain" "$work/t1" >/dev/null' "a tuning that changes tiles changes the package"
  for f in i2s_gemv_40x512_r2u3p8__avx2.c i2s_gemm_40x512x4_r1n4u2p8__avx2.c tl_gemv_64x300_r32u1p128__avx2.c \
           i2s_gemv_40x512_r4u1f0p8__avx512vnni.c i2s_gemm_40x512xn_r4n5u2p8__avx512vnni.c; do
    check '[ -f "$work/t1/$f" ] && [ ! -e "$work/plain/$f" ]' "tuned kernel file $f"
  done
  # kernels the file does not name keep the spec's tiles
  for f in i2s_gemv_40x512_r8u2__avx512vnni.c q4_0_gemv_48x256_r16u1__avx512vnni.c i2s_gemv_40x512_r4u4p8__avxvnni.c; do
    check '[ ! -e "$work/t1/$f" ] || [ -f "$work/plain/$f" ]' "untuned kernel $f"
  done
  check '[ -f "$work/t1/q4_0_gemv_48x256_r16u1__avx512vnni.c" ]' "q4_0 GEMV keeps the spec tile"
  # prefetch = 0: the kernel has no software prefetch; the default keeps it
  check '! grep -q _mm_prefetch "$work/t1/i2s_gemv_40x512_r4u1f0p8__avx512vnni.c"' "prefetch = 0: no prefetch instruction"
  check 'grep -q _mm_prefetch "$work/plain/i2s_gemv_40x512_r8u2__avx512vnni.c"' "the default tile prefetches"
  check '"$bitgen" list "$spec" --tuning "$good" | grep -q "^i2s_gemv_40x512_r4u1f0p8__avx512vnni .* rows=4 tokens=1 unroll=1 prefetch=0 "' \
    "list shows the tuned tile"
  check '"$bitgen" check "$spec" --tuning "$good" | grep -q "6 tuned tiles apply"' "check counts the tiles"
  # entries of ISAs not generated (--isa) are ignored: same bytes as without the file
  "$bitgen" generate "$spec" --isa neon -o "$work/n1" >/dev/null
  "$bitgen" generate "$spec" --isa neon --tuning "$good" -o "$work/n2" >/dev/null
  check 'diff -r "$work/n1" "$work/n2" >/dev/null' "tuning of ISAs not generated changes nothing"
  # matrix formats: a moves from i2s to tl (the spec's only i2s matrix)
  fmt="$root/tests/tuning/tune-mixed-formats.lua"
  check '"$bitgen" check "$spec" --tuning "$fmt" | grep -q "1 tuned tiles apply, 1 matrices change format"' \
    "check counts the matrices that change format"
  "$bitgen" generate "$spec" --tuning "$fmt" -o "$work/f1" >/dev/null
  "$bitgen" generate "$spec" --tuning "$fmt" -o "$work/f2" >/dev/null
  check 'diff -r "$work/f1" "$work/f2" >/dev/null' "formats: byte-identical package on repeat"
  check '[ -f "$work/f1/tl_gemv_40x512_r32u1p128__avx2.c" ] && [ -f "$work/f1/tl_gemv_40x512_r128u1__avx512vnni.c" ]' \
    "formats: a's kernels are tl, the tuned tile applies"
  check '[ -z "$(ls "$work/f1" | grep "^i2s_")" ]' "formats: no i2s kernel is left"
  check '[ -f "$work/f1/q4_0_gemv_48x256_r16u1__avx2.c" ]' "formats: other matrices unchanged"
  # the file is data: the same bytes from another directory give the same package
  mkdir "$work/elsewhere" && cp "$good" "$work/elsewhere/"
  "$bitgen" generate "$spec" --tuning "$work/elsewhere/tune-mixed.lua" -o "$work/t3" >/dev/null
  check 'diff -r "$work/t1" "$work/t3" >/dev/null' "package independent of the tuning file's directory"

  # --- shipped tuning files: valid for every shipped spec -------------------
  for t in "$root"/specs/tuning/*.lua; do
    [ -e "$t" ] || continue
    check 'grep -q "^  cpu = \"" "$t"' "$(basename "$t") names its CPU"
    for s in "$root"/specs/*.lua; do
      check '"$bitgen" check "$s" --tuning "$t" >/dev/null' "check $(basename "$s") --tuning $(basename "$t")"
    done
  done
  # every shipped spec's model a file tunes: generate with it twice, identical
  for t in "$root"/specs/tuning/*.lua; do
    [ -e "$t" ] || continue
    for s in "$root"/specs/*.lua; do
      model=$(awk -F'"' '/^  model = / { print $2; exit }' "$s")
      grep -q "\[\"$model\"\]" "$t" || continue
      n=$(basename "$s" .lua)
      "$bitgen" generate "$s" --tuning "$t" -o "$work/s1-$n" >/dev/null
      "$bitgen" generate "$s" --tuning "$t" -o "$work/s2-$n" >/dev/null
      check 'diff -r "$work/s1-$n" "$work/s2-$n" >/dev/null' "$n with $(basename "$t"): byte-identical on repeat"
      rm -rf "$work/s1-$n" "$work/s2-$n"
    done
  done
else
  # --- bitgen tune, end to end ------------------------------------------------
  for tool in "${CC:-cc}" meson ninja; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "SKIP: bitgen tune needs $tool, which is not on PATH"
      exit 77
    fi
  done
  # without the tools: a clear error naming them, nothing written
  PATH=/nonexistent "$bitgen" tune "$spec" -o "$work/none.lua" 2>"$work/err" >/dev/null
  rc=$?
  check '[ $rc -eq 1 ] && grep -q "needs .*meson, ninja" "$work/err" && [ ! -e "$work/none.lua" ]' \
    "tune without cc, meson, ninja: $(head -1 "$work/err")"
  # an existing file of another CPU is refused before any build, and kept
  sed 's/^  cpu = .*/  cpu = "another CPU",/' "$good" >"$work/other.lua"
  cp "$work/other.lua" "$work/other.orig"
  "$bitgen" tune "$spec" --quick -o "$work/other.lua" 2>"$work/err" >/dev/null
  rc=$?
  check '[ $rc -eq 1 ] && grep -q "was measured on \"another CPU\"" "$work/err"' "tune refuses a file of another CPU"
  check 'cmp -s "$work/other.lua" "$work/other.orig"' "the refused file is unchanged"

  mkdir "$work/tmp"
  TMPDIR="$work/tmp" "$bitgen" tune "$spec" --quick -o "$work/tuned.lua" 2>"$work/log"
  rc=$?
  check '[ $rc -eq 0 ]' "bitgen tune --quick exits 0 (got $rc): $(tail -3 "$work/log")"
  check '[ -z "$(ls -A "$work/tmp")" ]' "tune removed its temporary directory"
  check '[ -z "$(ls -A "$work" | grep bitgen-tmp)" ]' "no temporary file beside the output"
  check 'grep -q "built and verified" "$work/log"' "every candidate verified before timing"
  check '"$bitgen" check "$spec" --tuning "$work/tuned.lua" >/dev/null' "the tuning file validates"
  check 'grep -q "^  cpu = \"" "$work/tuned.lua"' "the tuning file names the CPU"
  # one entry per kernel of the spec, for the ISA tuned
  n=$(grep -cE "^      (i2s|tl|q4_0)_gem[mv]_[0-9x]+n? = \{" "$work/tuned.lua")
  check '[ "$n" -eq 9 ]' "9 kernels tuned, got $n"
  # GEMV chosen cold; the prefetch distance is a candidate where a template has one
  check '[ "$(grep -cE "^      (i2s|tl|q4_0)_gemv_.* -- cold " "$work/tuned.lua")" -eq 3 ]' "GEMV entries timed cold"
  check 'grep -qE "^      q4_0_gemv_48x256 = \{ rows = [0-9]+, unroll = [0-9]+, prefetch = [0-9]+ \}" "$work/tuned.lua"' \
    "q4_0 GEMV entry gives its prefetch"
  check 'grep -q "r16u1f16" "$work/log" || grep -q "r16u1f256" "$work/log"' "prefetch candidates built"
  # a (i2s, K 512) timed as i2s and as tl; b (tl, K 300) cannot be i2s
  check 'grep -qE "^      a = \"(i2s|tl)\", -- per token" "$work/tuned.lua" && ! grep -qE "^      b = " "$work/tuned.lua"' \
    "matrix a's format decided, b left"
  check 'grep -qE "matrix a +i2s -> (i2s|tl): per token, decode .* i2s .* tl " "$work/log"' "a timed as i2s and as tl"
  "$bitgen" generate "$spec" --tuning "$work/tuned.lua" -o "$work/g1" >/dev/null
  "$bitgen" generate "$spec" --tuning "$work/tuned.lua" -o "$work/g2" >/dev/null
  check 'diff -r "$work/g1" "$work/g2" >/dev/null' "tuned package byte-identical on repeat"
  # the same file again (-o existing, same CPU): entries of other models are
  # kept, with their notes
  cat "$work/tuned.lua" >"$work/merge.lua"
  sed -i '/^  formats = {$/!s/^\(  [a-z0-9]* = {\)$/\1\n    ["kept-model"] = {\n      i2s_gemv_128x128 = { rows = 2, unroll = 1 }, -- a note to keep\n    },/' "$work/merge.lua"
  check '"$bitgen" check "$spec" --tuning "$work/merge.lua" >/dev/null' "merge input valid"
  TMPDIR="$work/tmp" "$bitgen" tune "$spec" --quick --isa scalar -o "$work/merge.lua" 2>"$work/log2"
  rc=$?
  check '[ $rc -eq 0 ] && grep -q "kept-model" "$work/merge.lua" && grep -q "^  scalar = {" "$work/merge.lua"' \
    "a second tune (scalar) keeps the file's other entries: $(tail -2 "$work/log2")"
  check 'grep -qE "^      i2s_gemv_128x128 = \{ rows = 2, unroll = 1[^}]*\}, -- a note to keep$" "$work/merge.lua"' \
    "a kept entry keeps its note"
  check '"$bitgen" check "$spec" --tuning "$work/merge.lua" >/dev/null' "the merged file validates"
  check '[ -z "$(ls -A "$work/tmp")" ]' "second tune removed its temporary directory"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
