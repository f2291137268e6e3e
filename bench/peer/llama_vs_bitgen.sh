#!/usr/bin/env bash
# Decode speed of llama.cpp against bitgen's generated decoder on one GGUF
# file: a synthetic llama-architecture model in the BitNet b1.58 2B4T shapes
# (gguf-write --preset 2b4t --arch llama --wtype tq2_0: 30 layers, TQ2_0
# matrices, f16 token_embd tied as the output, 128256 tokens; random
# weights, ~1.2 GB), the same prompt token ids on both sides, greedy decode.
#   llama.cpp: tests/llama_oracle.c (bench) on node-llama-cpp 3.21.1's prebuilt
#     CPU libraries (the best libggml-cpu-<microarch> for this CPU)
#   bitgen: spec-from-gguf (every ISA of this host's family) -> generate ->
#     the package's Makefile -> tests/oracle_run.c (bench)
# Prints each run's prompt and decode tokens/s and the medians.  Called by
# nothing in the test suite; needs a build directory with bitgen,
# gguf-write and llama-oracle (ninja -C BUILD bitgen gguf-write llama-oracle).
#
# usage: bench/peer/llama_vs_bitgen.sh BUILD_DIR [RUNS [N_DECODE [THREADS]]]
#   RUNS (default 5) alternating runs per side, N_DECODE (default 64) tokens
#   per run after a prompt of 16, THREADS (default 1).  WORK=DIR keeps the
#   model and the package there (default: a temporary directory); JOBS=N
#   make jobs for the package (default: nproc);
#   LLAMA_LIBDIR overrides the library directory.
set -eu
build=$(cd "$1" && pwd)
runs=${2:-5}
nd=${3:-64}
threads=${4:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
libdir=${LLAMA_LIBDIR:-$root/tests/npm/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64}
for t in "$build/bitgen" "$build/gguf-write" "$build/llama-oracle"; do
  [ -x "$t" ] || { echo "llama_vs_bitgen: $t is missing (ninja -C $build bitgen gguf-write llama-oracle)" >&2; exit 2; }
done
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

model="$work/oracle.gguf" # the file name gives the package name: bitgen_oracle
if [ ! -f "$model" ]; then
  "$build/gguf-write" model --preset 2b4t --arch llama --wtype tq2_0 -o "$model"
fi
if [ ! -x "$work/oracle-run" ]; then
  "$build/bitgen" spec-from-gguf "$model" -o "$work/oracle.lua"
  "$build/bitgen" generate "$work/oracle.lua" -o "$work/pkg"
  make -s -C "$work/pkg" -j"${JOBS:-$(nproc)}" build-make/libbitgen_oracle.a
  cc -O2 -std=c11 -DORACLE_PKG=bitgen_oracle -DORACLE_PKG_UPPER=BITGEN_ORACLE '-DORACLE_HEADER="bitgen_oracle.h"' \
    -I"$work/pkg" "$root/tests/oracle_run.c" "$work/pkg/build-make/libbitgen_oracle.a" -pthread -lm -o "$work/oracle-run"
fi

# the median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >"$work/llama.txt"
: >"$work/bitgen.txt"
for i in $(seq "$runs"); do
  "$build/llama-oracle" bench "$libdir" "$model" 16 "$nd" "$threads" >"$work/out" 2>"$work/err" ||
    { cat "$work/out" "$work/err"; exit 1; }
  [ "$i" = 1 ] && grep -m1 "^llama-oracle:" "$work/err" | cut -c1-160
  echo "llama.cpp run $i: $(tr '\n' ' ' <"$work/out")"
  cat "$work/out" >>"$work/llama.txt"
  "$work/oracle-run" bench "$model" 16 "$nd" "$threads" >"$work/out" 2>"$work/err" ||
    { cat "$work/out" "$work/err"; exit 1; }
  [ "$i" = 1 ] && grep -m1 "^oracle-run:" "$work/err"
  echo "bitgen    run $i: $(tr '\n' ' ' <"$work/out")"
  cat "$work/out" >>"$work/bitgen.txt"
done
for side in llama bitgen; do
  p=$(awk '/^prompt:/ { print $(NF - 1) }' "$work/$side.txt" | median)
  d=$(awk '/^decode:/ { print $(NF - 1) }' "$work/$side.txt" | median)
  printf '%-9s median of %s runs, %s thread(s): prompt %s tokens/s, decode %s tokens/s\n' \
    "$([ $side = llama ] && echo llama.cpp || echo bitgen)" "$runs" "$threads" "$p" "$d"
done
