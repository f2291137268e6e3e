#!/usr/bin/env bash
# The main job: build bitgen, generate the package for a spec (default: BitNet
# b1.58 2B4T) into out/, build it on its own as a user would, verify every
# kernel on this CPU, and benchmark it against this machine's limits.
# usage: scripts/run.sh [SPEC] [bench options, e.g. --full]
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-specs/bitnet-b1.58-2b-4t.lua}
shift || true
[ -d build ] || meson setup build >/dev/null
ninja -C build bitgen
model=$(lua5.4 gen/bitgen.lua meson-info "$spec" | awk '$1 == "prefix" {print $2}')
pkg="out/$(basename "$spec" .lua)"
build/bitgen generate "$spec" -o "$pkg"
[ -d "$pkg/build" ] || meson setup "$pkg/build" "$pkg" >/dev/null
ninja -C "$pkg/build"
echo
echo "== verify: every kernel variant this CPU runs, bit-exact against the scalar reference"
"$pkg/build/bitgen-verify"
echo
echo "== bench"
bench_dir="$pkg/build/bench"
mkdir -p "$bench_dir"
cc -std=c11 -O2 -I"$pkg" -DBITGEN_PKG_HEADER="\"$model.h\"" -DBITGEN_PKG_PREFIX="$model" \
  -DBITGEN_BENCH_CFLAGS="\"cc -std=c11 -O2 (baseline ISA); kernels: the package's meson.build, per-ISA flags\"" \
  bench/*.c "$pkg/build/lib$model.a" -lpthread -lm -o "$bench_dir/bitgen-bench"
bench_dir=$(cd "$bench_dir" && pwd)
(cd "$bench_dir" && ./bitgen-bench --hugepages --json "$bench_dir/bench-results.json" --svg "$bench_dir/bench-results.svg" "$@")
