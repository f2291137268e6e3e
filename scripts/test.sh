#!/usr/bin/env bash
# The whole test suite: configure, build (bitgen generates the test packages
# during the build), then meson test; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
dir=build-test
[ -d "$dir" ] || meson setup "$dir" >/dev/null || exit 1
ninja -C "$dir" || exit 1
meson test -C "$dir" --num-processes 2 --print-errorlogs
rc=$?
python3 tests/summary.py "$dir/meson-logs/testlog.json"
exit $rc
