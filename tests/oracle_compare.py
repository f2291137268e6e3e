#!/usr/bin/env python3
"""Compares two logit files of tests/test_llama_oracle.sh: llama.cpp's (the
oracle) and bitgen's, each n x n_vocab little-endian float32.

usage: oracle_compare.py ORACLE.f32 BITGEN.f32 N_VOCAB TOL [--expect-fail all|P,Q,...]

Per position i, with m = max |oracle logit| and d = max |oracle - bitgen|:
  close:        d <= TOL * m
  same argmax:  required where the oracle's top-2 margin exceeds 2 * TOL * m
                (each logit may move by TOL * m; a smaller margin may flip)
Every logit must be finite and m > 0.  Prints one line per position and a
summary ("worst: ..." with the largest d / m; "best: ..." with the smallest).
Exit 0 when every position passes; 1 when one fails.  With --expect-fail (a
negative control: the bitgen side evaluated another model, or other tokens at
some positions) exit 0 when exactly the positions listed (all: every one)
fail; 1 otherwise.
"""
import math
import struct
import sys


def read(path, n_vocab):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) == 0 or len(data) % (4 * n_vocab):
        sys.exit(f"oracle_compare: {path}: {len(data)} bytes is not a whole number of {n_vocab}-logit rows")
    vals = struct.unpack(f"<{len(data) // 4}f", data)
    return [vals[i:i + n_vocab] for i in range(0, len(vals), n_vocab)]


def argmax(row):
    return max(range(len(row)), key=lambda k: (row[k], -k))


def main():
    args = sys.argv[1:]
    expect_fail = None
    if "--expect-fail" in args:
        i = args.index("--expect-fail")
        expect_fail = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4:
        sys.exit(__doc__.strip().splitlines()[3])
    n_vocab, tol = int(args[2]), float(args[3])
    a, b = read(args[0], n_vocab), read(args[1], n_vocab)
    if len(a) != len(b):
        print(f"FAIL: {len(a)} positions in {args[0]}, {len(b)} in {args[1]}")
        return 1
    worst, worst_pos, best, best_pos, passed = 0.0, -1, math.inf, -1, []
    for i, (x, y) in enumerate(zip(a, b)):
        if not all(math.isfinite(v) for v in x + y):
            print(f"pos {i:2d}: a logit is not finite: FAIL")
            passed.append(False)
            continue
        m = max(abs(v) for v in x)
        d = max(abs(p - q) for p, q in zip(x, y))
        ax, ay = argmax(x), argmax(y)
        srt = sorted(x, reverse=True)
        margin = srt[0] - srt[1]
        ok = m > 0 and d <= tol * m and (ax == ay or margin <= 2 * tol * m)
        rel = d / m if m > 0 else math.inf
        if rel > worst:
            worst, worst_pos = rel, i
        if rel < best:
            best, best_pos = rel, i
        print(f"pos {i:2d}: max|logit| {m:8.3f}  max|diff| {d:.3g} = {rel:.2e} of it  "
              f"argmax {ax}/{ay} (margin {margin:.3f})  {'ok' if ok else 'FAIL'}")
        passed.append(ok)
    if expect_fail is not None:
        print(f"best: max|diff| = {best:.2e} of max|logit| at position {best_pos} (tolerance {tol:g})")
    print(f"worst: max|diff| = {worst:.2e} of max|logit| at position {worst_pos} (tolerance {tol:g})")
    if expect_fail is None:
        return 0 if all(passed) else 1
    failing = set(range(len(passed))) if expect_fail == "all" else {int(p) for p in expect_fail.split(",")}
    return 0 if all(ok == (i not in failing) for i, ok in enumerate(passed)) else 1


if __name__ == "__main__":
    sys.exit(main())
