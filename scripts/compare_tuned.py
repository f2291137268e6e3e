#!/usr/bin/env python3
"""The spec's default tiles against a tuning file's, from two bitgen-bench
JSON files of the same spec (scripts/run.sh: out/<spec>/build/bench and
out/<spec>-tuned/build/bench): per kernel the variant dispatch selects,
1 thread: hot GEMV us per call, prefill Gop/s (N = 128), and the cold sweep.

usage: compare_tuned.py DEFAULT_JSON TUNED_JSON
"""
import json
import sys


def selected_hot(doc):
    out = {}
    for k in doc.get("kernels", []):
        for v in k.get("variants", []):
            if v.get("selected") and v.get("threads") == 1:
                out[k["name"]] = (v["name"], v["ns"]["median"], v.get("gbs"))
    return out


def selected_prefill(doc):
    out = {}
    for p in doc.get("prefill", []):
        if p.get("selected") and p.get("threads") == 1:
            out[p["kernel"]] = (p["variant"], p["gops"])
    return out


def selected_sweep(doc):
    for v in doc.get("sweep", {}).get("variants", []):
        if v.get("selected") and v.get("threads") == 1:
            return v["ms"]["median"], v.get("ratio_to_bound")
    return None


def tile(variant):
    """i2s_gemv_2560x2560_r8u2__avx512vnni -> r8u2 avx512vnni"""
    head, _, isa = variant.partition("__")
    return head.rsplit("_", 1)[-1] + " " + isa


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    docs = []
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f))
    base, tuned = docs
    print("hot GEMV, 1 thread (selected variant)   default tile       us   tuned tile         us   speed-up")
    hb, ht = selected_hot(base), selected_hot(tuned)
    for name in hb:
        if name not in ht:
            continue
        (vb, nb, _), (vt, nt, _) = hb[name], ht[name]
        print(f"  {name:36s} {tile(vb):18s} {nb / 1e3:7.1f}  {tile(vt):18s} {nt / 1e3:7.1f}   {nb / nt:5.2f}x")
    pb, pt = selected_prefill(base), selected_prefill(tuned)
    if pb:
        print("prefill N=128, 1 thread                 default tile    Gop/s   tuned tile      Gop/s   speed-up")
        for name in pb:
            if name not in pt:
                continue
            (vb, gb), (vt, gt) = pb[name], pt[name]
            print(f"  {name:36s} {tile(vb):18s} {gb:6.0f}  {tile(vt):18s} {gt:6.0f}   {gt / gb:5.2f}x")
    sb, st = selected_sweep(base), selected_sweep(tuned)
    if sb and st:
        print(f"cold sweep, 1 thread: default {sb[0]:.1f} ms/token (ratio to bound {sb[1]:.2f}), "
              f"tuned {st[0]:.1f} ms/token ({st[1]:.2f})")
    print("(one run each, alternating nothing: differences of a few % are noise on a busy machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
