#!/usr/bin/env python3
"""Count the instructions of a kernel's hottest loop, per 32 bytes of weights.

usage: scripts/count_loop.py LIB_OR_OBJECT SYMBOL_SUBSTRING [--bytes N] [--tokens T] [--show]

Disassembles (objdump) the function whose name contains SYMBOL_SUBSTRING,
takes its innermost loops (a backward jump whose body holds no other
backward jump), and reports, for the one with the most vector instructions
(or the one --loop names):
vector ALU operations (vector instructions that are not plain loads, stores,
register moves, broadcasts from memory or prefetches), all instructions, and
both per 32 bytes of weights and per token (an iteration of a GEMM loop
serves --tokens tokens).  The bytes one iteration consumes are --bytes,
else the largest immediate added to a pointer register in the loop (the
weight stream's step, printed so that it can be checked: a pack tile wider
than the row tile makes it too large).

This is how the figures of gen/formats.lua `costs` and docs/DESIGN.md "AVX2
instruction budgets" are counted; a memory operand folded into an ALU
instruction counts once, as the ALU operation.
"""
import argparse
import re
import subprocess
import sys

NOT_ALU = re.compile(r"^(vmovdq[au](8|16|32|64)?|vmovdq[au]|vmovap[sd]|vmovup[sd]|vbroadcasti(32x4|64x4|128)|"
                     r"vpbroadcast[bwdq]|vbroadcastss|vmovd|vmovq|prefetch\w*|vzeroupper)$")


def disassemble(path, sym):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], check=True, capture_output=True,
                         text=True).stdout
    lines, inside, name = [], False, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            inside = sym in m.group(1)
            if inside:
                if name is not None:
                    sys.exit(f"count_loop: more than one function matches {sym!r} ({name}, {m.group(1)})")
                name = m.group(1)
            continue
        if inside:
            m = re.match(r"^\s*([0-9a-f]+):\s+(\{\w+\}\s+)?(\S+)\s*(.*)$", line)
            if m:
                lines.append((int(m.group(1), 16), m.group(3), m.group(4)))
    if not lines:
        sys.exit(f"count_loop: no function matches {sym!r} in {path}")
    return name, lines


def loops(insns):
    addr_index = {a: i for i, (a, _, _) in enumerate(insns)}
    found = []
    for i, (a, op, args) in enumerate(insns):
        if op.startswith("j"):
            m = re.match(r"^([0-9a-f]+)\b", args)
            if m and int(m.group(1), 16) < a and int(m.group(1), 16) in addr_index:
                found.append((addr_index[int(m.group(1), 16)], i))
    inner = [(s, e) for s, e in found if not any(s <= s2 and e2 < e and (s2, e2) != (s, e) for s2, e2 in found)]
    return inner


def is_vector(op, args):
    return "%ymm" in args or "%zmm" in args or "%xmm" in args


def main():
    ap = argparse.ArgumentParser(description="instructions of a kernel's hottest loop per 32 bytes of weights")
    ap.add_argument("lib")
    ap.add_argument("symbol")
    ap.add_argument("--bytes", type=int, help="weight bytes one iteration consumes")
    ap.add_argument("--tokens", type=int, default=1, help="tokens one iteration serves (GEMM)")
    ap.add_argument("--show", action="store_true", help="print the ALU instruction mix")
    ap.add_argument("--loop", type=int, help="take the function's K-th innermost loop (0 = first by address) "
                    "instead of the one with the most vector instructions; --list shows them")
    ap.add_argument("--list", action="store_true", help="list the innermost loops")
    o = ap.parse_args()
    nbytes, tokens = o.bytes, o.tokens
    args = [o.lib, o.symbol]
    name, insns = disassemble(args[0], args[1])
    best = None
    for i, (s, e) in enumerate(loops(insns)):
        body = insns[s:e + 1]
        nvec = sum(1 for _, op, a in body if is_vector(op, a))
        if o.list:
            print(f"  loop {i}: {insns[s][0]:#x}..{insns[e][0]:#x}, {len(body)} instructions, {nvec} vector")
        if (o.loop is None and (best is None or nvec > best[0])) or o.loop == i:
            best = (nvec, body)
    if best is None:
        sys.exit(f"count_loop: {name} has no loop")
    body = best[1]
    alu = [(op, a) for _, op, a in body if is_vector(op, a) and not NOT_ALU.match(op)]
    step = 0
    for _, op, a in body:
        m = re.match(r"^\$0x([0-9a-f]+),%r\w+$", a)
        if op in ("add", "sub") and m and int(m.group(1), 16) < 1 << 31:
            step = max(step, int(m.group(1), 16))
    b = (nbytes or step) * tokens
    if b == 0:
        sys.exit(f"count_loop: {name}: no pointer step found; pass --bytes")
    print(f"{name}: loop of {len(body)} instructions, {len(alu)} vector ALU, "
          f"{b // tokens} weight bytes{' (given)' if nbytes else ' (largest pointer step)'} x {tokens} tokens per iteration")
    print(f"  per 32 B: {32 * len(alu) / b:.2f} ALU, {32 * len(body) / b:.2f} instructions")
    if o.show:
        counts = {}
        for op, _ in alu:
            counts[op] = counts.get(op, 0) + 1
        print("  ALU mix: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
