#!/usr/bin/env bash
# A libFuzzer target, built and run for a bounded time.
# usage: run.sh NAME SECONDS CORPUS_DIRS WORK_DIR -- CLANG_ARGS...
# Builds NAME with clang (-fsanitize=fuzzer,address,undefined) from
# CLANG_ARGS, replays every file of the committed CORPUS_DIRS (':'-separated:
# seeds, such as the project's own spec files, and past crashes: regression
# tests), then fuzzes for SECONDS more from a scratch copy of them.  Exit 77
# (skip) when clang or its libFuzzer runtime is missing.
set -uo pipefail
name=$1 seconds=$2 corpus=$3 work=$4
shift 4
[ "${1:-}" = "--" ] && shift
cc=""
for c in clang clang-16 clang-15 clang-14; do
  command -v "$c" >/dev/null 2>&1 && { cc=$c; break; }
done
[ -n "$cc" ] || { echo "SKIP: no clang on PATH (libFuzzer needs clang)"; exit 77; }
mkdir -p "$work"
probe="$work/probe.c"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe"
if ! "$cc" -fsanitize=fuzzer "$probe" -o "$work/probe" 2>/dev/null; then
  echo "SKIP: $cc has no libFuzzer runtime"
  exit 77
fi
exe="$work/$name"
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "$@" -o "$exe" || {
  echo "FAIL: cannot build $name"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# 1. replay the committed corpus: every seed and every past crash must pass
IFS=':' read -r -a dirs <<<"$corpus"
n=$(find "${dirs[@]}" -maxdepth 1 -type f | wc -l)
if [ "$n" -gt 0 ]; then
  "$exe" -runs=0 -artifact_prefix="$work/" "${dirs[@]}" >"$work/replay.log" 2>&1 || { cat "$work/replay.log"; echo "FAIL: $name on its committed corpus"; exit 1; }
fi
# 2. fuzz for a bounded time from a scratch copy (the committed corpus is never written)
scratch="$work/corpus"
rm -rf "$scratch" && mkdir -p "$scratch"
[ "$n" -gt 0 ] && find "${dirs[@]}" -maxdepth 1 -type f -exec cp {} "$scratch"/ \;
# a fixed seed by default, so that a suite run is reproducible (the time
# bound still varies how far it gets); BITGEN_FUZZ_SEED=0 asks for a random one
if ! "$exe" -seed="${BITGEN_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" \
    "$scratch" >"$work/fuzz.log" 2>&1; then
  tail -40 "$work/fuzz.log"
  echo "FAIL: $name found a crash; the input is in $work/ (add it to $corpus as a regression test once fixed)"
  exit 1
fi
grep -E '^(#[0-9]+ *DONE|Done)' "$work/fuzz.log" | tail -1
echo "ok: $name: $n corpus files replayed, fuzzed ${seconds}s"
