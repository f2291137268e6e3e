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
python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r.get("result") != "SKIP":
        failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit $rc
