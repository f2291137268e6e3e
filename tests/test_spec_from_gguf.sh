#!/bin/bash
# spec-from-gguf and model specs end to end.  For tiny models of each
# architecture written by the independent test writer (tests/gguf_write.c):
# `bitgen spec-from-gguf` writes exactly the hand-written spec in
# tests/specs/expected/, `generate` accepts it, the package (two weight
# formats) builds on its own with meson and its bitgen-verify passes (every
# kernel in its own format).  Then the errors: unknown architecture, a tensor
# type with no bitgen format, a missing tensor, a file that is not GGUF.
# usage: test_spec_from_gguf.sh BITGEN GGUF_WRITE SRCDIR WORKDIR
set -u
bitgen=$1 gw=$2 root=$3 work=$4
rm -rf "$work" && mkdir -p "$work" || exit 1
fails=0
ok() { :; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
isas=scalar,avx2,avx512vnni,neondot

# name, writer options, build the package?
cases=(
  "tiny-bitnet-b158|--preset tiny --arch bitnet-b1.58 --wtype i2_s --etype q8_0|build"
  "tiny-bitnet|--preset tiny --arch bitnet --wtype tq1_0 --etype q8_0|build"
  "tiny-llama-q4|--preset tiny --arch llama --wtype q4_0 --etype q8_0 --untied|build"
  "tiny-llama-tq2|--preset tiny --arch llama --wtype tq2_0 --etype q4_0 --layers 3|"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name opts build <<<"$c"
  # shellcheck disable=SC2086
  "$gw" model $opts -o "$work/$name.gguf" >"$work/$name.write.log" 2>&1 || { bad "$name: gguf-write failed"; continue; }
  if ! "$bitgen" spec-from-gguf "$work/$name.gguf" -o "$work/$name.lua" --isa "$isas" 2>"$work/$name.err"; then
    bad "$name: spec-from-gguf failed: $(cat "$work/$name.err")"
    continue
  fi
  diff -u "$root/tests/specs/expected/$name.lua" "$work/$name.lua" >"$work/$name.diff" ||
    bad "$name: spec differs from tests/specs/expected/$name.lua: $(head -20 "$work/$name.diff")"
  # standard output gives the same text
  "$bitgen" spec-from-gguf "$work/$name.gguf" --isa "$isas" >"$work/$name.stdout.lua" 2>/dev/null &&
    cmp -s "$work/$name.lua" "$work/$name.stdout.lua" || bad "$name: -o and standard output differ"
  "$bitgen" generate "$work/$name.lua" -o "$work/pkg-$name" >"$work/$name.gen.log" 2>&1 ||
    { bad "$name: generate refused the spec: $(cat "$work/$name.gen.log")"; continue; }
  [ -n "$build" ] || continue
  (cd "$work/pkg-$name" && meson setup build >"$work/$name.setup.log" 2>&1 &&
    ninja -C build >"$work/$name.build.log" 2>&1) || { bad "$name: the package does not build (see $work)"; continue; }
  if ! "$work/pkg-$name/build/bitgen-verify" --quick >"$work/$name.verify.log" 2>&1; then
    bad "$name: bitgen-verify failed: $(grep -m3 FAIL "$work/$name.verify.log")"
    continue
  fi
  # one verify pass per format, each with its own kernels
  nformats=$(grep -c "all verified" "$work/$name.verify.log")
  [ "$nformats" -eq 2 ] || bad "$name: expected 2 verified formats, got $nformats"
done

# errors: each names the file and the field
err_case() { # name, expected text, gguf-write options...
  local name=$1 want=$2
  shift 2
  "$gw" "$@" -o "$work/$name.gguf" >"$work/$name.write.log" 2>&1 || { bad "$name: gguf-write failed"; return; }
  if "$bitgen" spec-from-gguf "$work/$name.gguf" -o "$work/$name.lua" 2>"$work/$name.err"; then
    bad "$name: accepted"
  elif ! grep -qF -- "$want" "$work/$name.err"; then
    bad "$name: got '$(cat "$work/$name.err")', want '$want'"
  fi
  [ ! -e "$work/$name.lua" ] || bad "$name: wrote a spec"
}
err_case bad-arch "$work/bad-arch.gguf: general.architecture: unknown architecture \"gpt2\"" \
  model --preset tiny --arch gpt2
err_case bad-type "tensor 'blk.0.attn_q.weight': tensor type F32 (ggml id 0) has no bitgen format" \
  model --preset tiny --wtype f32
err_case bad-file "bad-file.gguf: general.architecture: missing" types --version 3
printf 'not a gguf file' >"$work/junk.gguf"
"$bitgen" spec-from-gguf "$work/junk.gguf" 2>"$work/junk.err" >"$work/junk.out" && bad "junk: accepted"
grep -q "junk.gguf" "$work/junk.err" || bad "junk: message does not name the file: $(cat "$work/junk.err")"
"$bitgen" spec-from-gguf "$work/nosuch.gguf" 2>"$work/nosuch.err" >"$work/nosuch.out" && bad "missing file: accepted"
grep -q "nosuch.gguf" "$work/nosuch.err" || bad "missing file: $(cat "$work/nosuch.err")"

if [ $fails -ne 0 ]; then
  echo "$fails failures"
  exit 1
fi
echo "spec-from-gguf: all cases passed"
