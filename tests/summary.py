#!/usr/bin/env python3
"""Closing summary of a meson test run (meson-logs/testlog.json): which ISA
variants and quantizer paths this host executed, which tests were skipped and
why, then the line CI reads: "N passed, N failed, N skipped"."""
import json
import re
import sys

passed = failed = skipped = 0
isa_checks = {}      # ISA -> bit-exact checks made, over every bitgen-verify run
isa_lacking = {}     # ISA -> features the CPU lacked (variants not run natively)
quant_run, quant_not = set(), {}
skips = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    res = r.get("result")
    out = r.get("stdout") or ""
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
        why = [l for l in out.splitlines() if "SKIP" in l]
        skips.append((r["name"], why[-1].strip() if why else "(no reason printed)"))
    else:
        failed += 1
    for m in re.finditer(r"^bitgen-verify: checks per ISA:(.*)$", out, re.M):
        for part in m.group(1).split(","):
            f = part.split()
            if len(f) == 2:
                isa_checks[f[0]] = isa_checks.get(f[0], 0) + int(f[1])
    for m in re.finditer(r"__(\w+)\s+skipped: CPU lacks (\S+)", out):
        isa_lacking[m.group(1)] = m.group(2)
    for m in re.finditer(r"quantizer paths run: (.*)$", out, re.M):
        quant_run.update(m.group(1).split())
    for m in re.finditer(r"quantizer path not run: (\S+) \((.*)\)", out):
        quant_not[m.group(1)] = m.group(2)

print()
print("ISA variants executed here (bit-exact checks, all bitgen-verify runs incl. qemu and emulation builds):")
print("  " + (", ".join(f"{k} {v}" for k, v in sorted(isa_checks.items())) or "none"))
lack = {k: v for k, v in isa_lacking.items() if k not in isa_checks}
print("ISA variants this host could not run: " +
      (", ".join(f"{k} (lacks {v})" for k, v in sorted(lack.items())) or "none"))
print("quantizer paths executed: " + (" ".join(sorted(quant_run)) or "none reported"))
qn = {k: v for k, v in quant_not.items() if k not in quant_run}
print("quantizer paths not executed: " + (", ".join(f"{k} ({v})" for k, v in sorted(qn.items())) or "none"))
for name, why in skips:
    print(f"skipped: {name}: {why}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
