#!/usr/bin/env bash
# The main job: build bitgen, generate the package for a spec into out/, build
# it on its own as a user would, verify every kernel on this CPU, and benchmark
# it against this machine's limits.
#
# usage: scripts/run.sh [--quick | --full] [bench options]
#          the default spec (BitNet b1.58 2B4T, i2s), then the same model in
#          every other weight format (specs/bitnet-b1.58-2b-4t-*.lua), and a
#          side-by-side table, JSON and SVG of all of them
#          (out/bench-formats.{json,svg}, bench/compare.py)
#          first, the generated model loader on a synthetic 2B4T GGUF file
#          (run_load below: load time, GB/s, peak memory)
#          and the example product bitnet-run on that file (run_product
#          below: prompt and decode tokens/s against the bytes-per-token bound)
#          and, after the formats, ggml's own kernels for tq2_0, tq1_0, q4_0
#          and q8_0 timed the same way and set side by side (bench/peer/)
#        scripts/run.sh SPEC [bench options, e.g. --full]
#          one spec only
# --quick (the bench's default mode) also verifies with bitgen-verify --quick.
# NINJA_JOBS=N limits the package builds to N parallel jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
default_spec=specs/bitnet-b1.58-2b-4t.lua
format_specs=(specs/bitnet-b1.58-2b-4t-tq2_0.lua specs/bitnet-b1.58-2b-4t-tq1_0.lua
  specs/bitnet-b1.58-2b-4t-q4_0.lua specs/bitnet-b1.58-2b-4t-q8_0.lua specs/bitnet-b1.58-2b-4t-tl.lua
  specs/bitnet-b1.58-2b-4t-q6_k.lua specs/bitnet-b1.58-2b-4t-f16.lua specs/bitnet-b1.58-2b-4t-bf16.lua)

all=1
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  all=0
  spec=$1
  shift
fi
verify_opts=()
for a in "$@"; do
  if [ "$a" = --quick ]; then verify_opts=(--quick); fi
done

[ -d build ] || meson setup build >/dev/null
ninja -C build bitgen gguf-write

# run_load: a synthetic GGUF file in the official BitNet b1.58 2B4T layout
# (random I2_S layers, f16 token_embd; ~1.2 GB, written once into out/ by
# the test writer), its model spec from `bitgen spec-from-gguf`, the package
# generated and built, then loaded with the generated loader (1 and 2
# threads): load time, GB/s, peak memory (bench/load/load_bench.c).
run_load() {
  local file=out/bitnet-b1.58-2b4t-synthetic.gguf spec=out/bitnet-b1.58-2b4t-synthetic.lua
  local pkg=out/bitnet-b1.58-2b4t-synthetic model
  echo
  echo "==== load: $file with the generated loader"
  mkdir -p out
  # (re)written when the writer changed since (e.g. it gained a tokenizer);
  # through a rename, so a reader of the old file keeps its pages
  if [ ! -f "$file" ] || [ tests/gguf_writer.c -nt "$file" ] || [ tests/gguf_write.c -nt "$file" ]; then
    build/gguf-write model --preset 2b4t -o "$file.tmp" && mv "$file.tmp" "$file"
  fi
  build/bitgen spec-from-gguf "$file" -o "$spec"
  model=$(lua5.4 gen/bitgen.lua meson-info "$spec" | awk '$1 == "prefix" {print $2}')
  build/bitgen generate "$spec" -o "$pkg"
  [ -d "$pkg/build" ] || meson setup "$pkg/build" "$pkg" >/dev/null
  ninja -C "$pkg/build" ${NINJA_JOBS:+-j "$NINJA_JOBS"} "lib$model.a"
  cc -std=c11 -O2 -I"$pkg" -DBITGEN_PKG_HEADER="\"$model.h\"" -DBITGEN_PKG_PREFIX="$model" \
    -DBITGEN_PKG_PREFIX_UPPER="${model^^}" bench/load/load_bench.c "$pkg/build/lib$model.a" -lpthread -lm \
    -o "$pkg/build/bitgen-load-bench"
  "$pkg/build/bitgen-load-bench" "$file"
}

# run_spec SPEC [bench options]: generate, build, verify, bench; the bench's
# JSON and SVG go to out/<spec>/build/bench/bench-results.{json,svg}.  With
# tuning=FILE set: generated with --tuning FILE into out/<spec>-tuned.
tuning=
run_spec() {
  local spec=$1
  shift
  local model pkg bench_dir
  model=$(lua5.4 gen/bitgen.lua meson-info "$spec" | awk '$1 == "prefix" {print $2}')
  pkg="out/$(basename "$spec" .lua)${tuning:+-tuned}"
  echo
  echo "==== $spec${tuning:+ with $tuning} -> $pkg"
  build/bitgen generate "$spec" ${tuning:+--tuning "$tuning"} -o "$pkg"
  [ -d "$pkg/build" ] || meson setup "$pkg/build" "$pkg" >/dev/null
  ninja -C "$pkg/build" ${NINJA_JOBS:+-j "$NINJA_JOBS"}
  echo
  echo "== verify: every kernel variant this CPU runs, bit-exact against the scalar reference"
  "$pkg/build/bitgen-verify" ${verify_opts[@]+"${verify_opts[@]}"}
  echo
  echo "== bench"
  bench_dir="$pkg/build/bench"
  mkdir -p "$bench_dir"
  cc -std=c11 -O2 -I"$pkg" -DBITGEN_PKG_HEADER="\"${model}_internal.h\"" -DBITGEN_PKG_PREFIX="$model" \
    -DBITGEN_BENCH_CFLAGS="\"cc -std=c11 -O2 (baseline ISA); kernels: the package's meson.build, per-ISA flags\"" \
    bench/*.c "$pkg/build/lib$model.a" -lpthread -lm -o "$bench_dir/bitgen-bench"
  bench_dir=$(cd "$bench_dir" && pwd)
  (cd "$bench_dir" && ./bitgen-bench --hugepages --json "$bench_dir/bench-results.json" \
    --svg "$bench_dir/bench-results.svg" "$@")
}

if [ $all = 0 ]; then
  run_spec "$spec" "$@"
  exit 0
fi

# run_product: the example product (examples/bitnet-run, its README) built
# against the synthetic file's package, generated from its spec into the
# product's subprojects/ as a user would, run on the file (random weights:
# the text is noise, the speed is real) with 1 thread and all threads: a
# 128-token prompt, 128 tokens decoded; then a 512-token prompt and 16
# tokens, for the decode step at context 512.
run_product() {
  local file=out/bitnet-b1.58-2b4t-synthetic.gguf spec=out/bitnet-b1.58-2b4t-synthetic.lua model
  model=$(lua5.4 gen/bitgen.lua meson-info "$spec" | awk '$1 == "prefix" {print $2}')
  echo
  echo "==== bitnet-run (examples/bitnet-run) on $file: random weights, the text is noise, the speed is real"
  build/bitgen generate "$spec" -o "examples/bitnet-run/subprojects/$model"
  if [ -d out/bitnet-run ]; then
    meson configure out/bitnet-run -Dpackage="$model" >/dev/null
  else
    meson setup out/bitnet-run examples/bitnet-run -Dpackage="$model" >/dev/null
  fi
  ninja -C out/bitnet-run ${NINJA_JOBS:+-j "$NINJA_JOBS"}
  local p="Once upon a time, in a small village at the edge of a great forest, there lived an old clockmaker who"
  p+=" repaired every clock in the valley. Each morning he opened his shop, wound the tall clock by the door, and"
  p+=" listened to the ticking of a hundred small old clocks." # 128 tokens with BOS in this file's vocabulary
  # random weights emit any byte, control characters too: cat -v shows them
  local bin=out/bitnet-run/bitnet-run
  echo
  echo "== 1 thread"
  "$bin" "$file" -p "$p" -n 128 -t 1 2>&1 | cat -v
  if [ "$(nproc)" -gt 1 ]; then
    echo
    echo "== all threads (the package's default)"
    "$bin" "$file" -p "$p" -n 128 2>&1 | cat -v
  fi
  echo
  echo "== decode at context 512 (a 512-token prompt, 16 tokens), all threads"
  "$bin" "$file" -p "$p $p $p $p" -n 16 2>&1 | cat -v
}

run_load
run_product
jsons=()
for s in "$default_spec" "${format_specs[@]}"; do
  run_spec "$s" "$@"
  jsons+=("out/$(basename "$s" .lua)/build/bench/bench-results.json")
done
echo
echo "==== side by side: every format on the default spec's shapes"
python3 bench/compare.py --json out/bench-formats.json --svg out/bench-formats.svg "${jsons[@]}"

# ggml's own kernels for the same formats on this machine (the prebuilt
# llama.cpp CPU libraries of node-llama-cpp 3.21.1, installed by
# scripts/setup.sh; bench/peer/ggml_peer.c), set against the benches above
peer_dir=tests/npm/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
echo
if [ -f "$peer_dir/libggml-base.so" ]; then
  echo "==== ggml's kernels on this machine, side by side"
  ninja -C build bench/bitgen-peer-ggml >/dev/null
  build/bench/bitgen-peer-ggml check "$peer_dir" | tail -1
  build/bench/bitgen-peer-ggml bench "$peer_dir" --json out/peer-ggml.json
  peer_jsons=()
  for f in tq2_0 tq1_0 q4_0 q8_0; do peer_jsons+=("out/bitnet-b1.58-2b-4t-$f/build/bench/bench-results.json"); done
  python3 bench/peer/compare.py out/peer-ggml.json "${peer_jsons[@]}"
else
  echo "==== no ggml libraries in $peer_dir (scripts/setup.sh installs them on x86-64): no side-by-side"
fi

# the default spec with the shipped tuning file of this CPU (specs/tuning/*.lua
# whose cpu is `bitgen tune --cpu`; made by bitgen tune), benched and set
# against the default tiles measured above
cpu=$(build/bitgen tune --cpu)
for t in specs/tuning/*.lua; do
  if [ -e "$t" ] && grep -qF "  cpu = \"$cpu\"," "$t"; then tuning=$t; fi
done
echo
if [ -n "$tuning" ]; then
  run_spec "$default_spec" "$@"
  echo
  echo "==== default tiles against $tuning ($cpu)"
  name=$(basename "$default_spec" .lua)
  python3 scripts/compare_tuned.py "out/$name/build/bench/bench-results.json" \
    "out/$name-tuned/build/bench/bench-results.json"
else
  echo "==== no tuning file in specs/tuning names this CPU ($cpu);"
  echo "     bitgen tune $default_spec -o specs/tuning/NAME.lua makes one (bitgen tune --help)"
fi
