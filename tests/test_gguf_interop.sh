#!/usr/bin/env bash
# GGUF interop: files written by the test writer (gguf-write), read by
# bitgen's reader (gguf-dump) and by @huggingface/gguf (npm); every metadata
# key and tensor record must agree (tests/gguf_interop.mjs).
# usage: test_gguf_interop.sh GGUF_WRITE GGUF_DUMP NPM_DIR WORK_DIR
# Exit 77 (skip) without node or the npm package (scripts/setup.sh installs both).
set -uo pipefail
write=$1 dump=$2 npm_dir=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not on PATH (scripts/setup.sh installs nodejs)"; exit 77; }
[ -d "$npm_dir/node_modules/@huggingface/gguf" ] ||
  { echo "SKIP: $npm_dir/node_modules/@huggingface/gguf is missing (scripts/setup.sh installs it)"; exit 77; }
rm -rf "$work" && mkdir -p "$work" || exit 1
w() { "$write" "$@" 2>/dev/null || { echo "FAIL: gguf-write $*"; exit 1; }; }
w types --version 3 -o "$work/types-v3.gguf"
w types --version 2 --seed 2 -o "$work/types-v2.gguf"
w types --version 3 --alignment 1 --seed 3 -o "$work/types-align1.gguf"
w types --version 2 --alignment 256 --seed 4 -o "$work/types-align256.gguf"
tiny=(--preset tiny --layers 2 --vocab 40)
w model "${tiny[@]}" -o "$work/bitnet-i2s-f16.gguf"
w model "${tiny[@]}" --etype q6_k --version 2 -o "$work/bitnet-i2s-q6k.gguf"
for t in tq1_0 tq2_0 q4_0 q8_0 q6_k f16 bf16 f32 i2_s; do
  w model "${tiny[@]}" --arch llama --untied --wtype "$t" --etype bf16 --alignment 64 -o "$work/llama-$t.gguf"
done
node "$here/gguf_interop.mjs" "$npm_dir/node_modules" "$dump" "$work"/*.gguf
