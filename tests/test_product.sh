#!/usr/bin/env bash
# The example product examples/bitnet-run, built the way its README tells a
# user to: tiny GGUF models (tests/gguf_write.c) -> bitgen spec-from-gguf ->
# bitgen generate into the product's subprojects/ -> meson + ninja; then run:
#   text is produced; greedy runs are identical twice, with 1 and 2 threads
#   and with the scalar ISA forced; sampled runs are identical for one seed
#   and differ between seeds; bad input gives its message and exit status
#   (missing file, a file of another model, prompt longer than the context,
#   bad flags).
# Models: bitnet-b1.58 (i2s layers, tied f16 embedding) and llama (q4_0
# layers, q8_0 embedding, untied q6_k output); packages with scalar and the
# host family's first vector ISA only, to keep the builds small.
# usage: test_product.sh BITGEN GGUF_WRITE SOURCE_ROOT      exit 77: a tool is missing
set -u
bitgen=$1
gw=$2
root=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

for t in meson ninja python3 cc; do
  command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (scripts/setup.sh installs it)"; exit 77; }
done
die() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
run() { # command...: quiet unless it fails
  "$@" >"$work/log" 2>&1 || { tail -40 "$work/log"; die "$*"; }
}
case $(uname -m) in
  x86_64) isas=scalar,avx2 ;;
  aarch64) isas=scalar,neon ;;
  *) isas=scalar ;;
esac

# build NAME GGUF_WRITE_ARGS...: the model file, its package, the product
build() {
  local name=$1 app="$work/$1/app"
  shift
  mkdir -p "$app/subprojects" "$app/src"
  cp "$root/examples/bitnet-run/meson.build" "$root/examples/bitnet-run/meson_options.txt" \
    "$root/examples/bitnet-run/find_package.py" "$app/"
  cp "$root/examples/bitnet-run/src/"*.[ch] "$app/src/"
  run "$gw" model --preset tiny "$@" -o "$work/$name.gguf"
  run "$bitgen" spec-from-gguf "$work/$name.gguf" -o "$work/$name.lua" --isa "$isas"
  run "$bitgen" generate "$work/$name.lua" -o "$app/subprojects/model"
  run meson setup "$work/$name/build" "$app"
  grep -q "bitnet-run: package bitgen_$name (subprojects/model)" "$work/log" || die "configure did not find the package"
  run ninja -C "$work/$name/build"
  ok "$name: spec-from-gguf, generate into subprojects/model, meson, ninja"
}

# out NAME FILE ARGS...: runs the product; stdout to $work/out, stderr to $work/err, status to $st
out() {
  local name=$1
  shift
  "$work/$name/build/bitnet-run" "$@" >"$work/out" 2>"$work/err"
  st=$?
}

# expect_error NAME STATUS PATTERN ARGS...: fails with STATUS and a message matching PATTERN
expect_error() {
  local name=$1 want=$2 pat=$3
  shift 3
  out "$name" "$@"
  if [ "$st" = "$want" ] && grep -q -- "$pat" "$work/err"; then
    ok "$name: $* -> exit $st, '$(grep -m1 -- "$pat" "$work/err")'"
  else
    bad "$name: $*: exit $st (want $want), stderr:"
    head -5 "$work/err"
  fi
}

prompt="The quick brown fox"
for m in "bitnet-b1.58 bitnet_b158" "llama llama"; do
  set -- $m
  arch=$1 name=$2
  if [ "$arch" = llama ]; then
    build "$name" --arch llama --wtype q4_0 --etype q8_0 --untied
  else
    build "$name"
  fi
  f="$work/$name.gguf"

  # greedy: text, the figures, reproducible across runs, threads and ISAs
  out "$name" "$f" -p "$prompt" -n 24 --temp 0 -t 1
  cp "$work/out" "$work/greedy1"
  if [ "$st" = 0 ] && [ "$(tr -d '\n' <"$work/out" | wc -c)" -gt 0 ] &&
    grep -q "^prompt: [0-9]* tokens in .* tokens/s$" "$work/err" &&
    grep -q "^decode: [0-9]* tokens in .* tokens/s, .* ms/token$" "$work/err" &&
    grep -q "^bound: .* ms/token; decode reaches .* of the bound$" "$work/err" &&
    grep -q "^decode time: matmuls (GEMV) .*, attention .*, norms/other ops .*, output layer .*, sampling " "$work/err"; then
    ok "$name: greedy text ($(wc -c <"$work/out") bytes) and the speed figures"
  else
    bad "$name: greedy run: exit $st; stderr:"
    cat "$work/err"
  fi
  out "$name" "$f" -p "$prompt" -n 24 --temp 0 -t 1
  cmp -s "$work/out" "$work/greedy1" && ok "$name: greedy twice: the same text" || bad "$name: greedy twice differs"
  out "$name" "$f" -p "$prompt" -n 24 --temp 0 -t 2
  cmp -s "$work/out" "$work/greedy1" && ok "$name: greedy with 2 threads: the same text" ||
    bad "$name: greedy with 2 threads differs from 1 thread"
  BITGEN_ISA=scalar out "$name" "$f" -p "$prompt" -n 24 --temp 0
  grep -q "(ISA scalar)" "$work/err" || bad "$name: BITGEN_ISA=scalar did not select scalar: $(head -1 "$work/err")"
  cmp -s "$work/out" "$work/greedy1" && ok "$name: greedy with the scalar ISA forced: the same text" ||
    bad "$name: greedy with the scalar ISA differs from the default ISA's"

  # sampling: one seed one text; another seed another text.  Random weights
  # give logits with a spread of ~50 (llama) where temperature 1 is all but
  # greedy: sample at 100.
  out "$name" "$f" -p "$prompt" -n 24 --temp 100 --top-k 0 --top-p 1 --seed 1
  cp "$work/out" "$work/seed1"
  out "$name" "$f" -p "$prompt" -n 24 --temp 100 --top-k 0 --top-p 1 --seed 1
  [ "$st" = 0 ] && cmp -s "$work/out" "$work/seed1" && ok "$name: --seed 1 twice: the same text" ||
    bad "$name: --seed 1 twice differs (exit $st)"
  out "$name" "$f" -p "$prompt" -n 24 --temp 100 --top-k 0 --top-p 1 --seed 2
  [ "$st" = 0 ] && ! cmp -s "$work/out" "$work/seed1" && ok "$name: --seed 2: another text" ||
    bad "$name: --seed 2 gives the text of --seed 1 (exit $st)"
  cmp -s "$work/seed1" "$work/greedy1" && bad "$name: sampling at temperature 100 gave the greedy text"
done

# errors, on the bitnet-b1.58 product
n=bitnet_b158
f="$work/$n.gguf"
expect_error $n 1 "nosuch.gguf: cannot open" "$work/nosuch.gguf" -p "$prompt"
expect_error $n 1 "general.architecture: 'llama', the package is bitnet-b1.58" "$work/llama.gguf" -p "$prompt"
run "$gw" model --preset tiny --layers 3 -o "$work/three.gguf"
expect_error $n 1 "three.gguf: .*block_count" "$work/three.gguf" -p "$prompt"
expect_error $n 1 "not a GGUF file" "$root/README.md" -p "$prompt"
expect_error $n 1 "the prompt is [0-9]* tokens, longer than the context of 4 (-c)" "$f" -p "$prompt" -c 4
expect_error $n 2 "unknown option '--bogus'" "$f" -p "$prompt" --bogus
expect_error $n 2 "^usage: bitnet-run MODEL.gguf" "$f" -p "$prompt" --bogus
expect_error $n 2 "no prompt given" "$f"
expect_error $n 2 "no model file given" -p "$prompt"
expect_error $n 2 "one model file only" "$f" "$f" -p "$prompt"
expect_error $n 2 "n needs a value" "$f" -p "$prompt" -n
expect_error $n 2 "'x' is not a number" "$f" -p "$prompt" --temp x
expect_error $n 2 "'0' is not a number in (0, 1\]" "$f" -p "$prompt" --top-p 0
expect_error $n 2 "'-3' is not an integer" "$f" -p "$prompt" -n -3
expect_error $n 2 "thread count must be at least 1" "$f" -p "$prompt" -t 0
out $n --help
[ "$st" = 0 ] && grep -q "^usage: bitnet-run" "$work/out" && ok "--help: usage on stdout, exit 0" || bad "--help (exit $st)"
# the context fills: generation stops with a note, not an error
out $n "$f" -p "$prompt" -n 100 -c 24 --temp 0
[ "$st" = 0 ] && grep -q "the context is full (24 tokens, -c)" "$work/err" && ok "a full context stops generation" ||
  bad "full context: exit $st, $(grep -m1 context "$work/err")"

[ "$fails" = 0 ] || die "$fails check(s) failed"
echo "product: passed"
