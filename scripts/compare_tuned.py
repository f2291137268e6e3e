#!/usr/bin/env python3
"""The spec's default tiles against a tuning file's, from two bitgen-bench
JSON files of the same spec (scripts/run.sh: out/<spec>/build/bench and
out/<spec>-tuned/build/bench): per kernel and ISA (scalar left out), 1
thread: hot GEMV us per call, prefill Gop/s (N = 128); and the cold sweep of
the ISA dispatch selects.

usage: compare_tuned.py DEFAULT_JSON TUNED_JSON
"""
import json
import sys


def split(kernel):
    """i2s_gemv_2560x2560 -> ("i2s", "gemv_2560x2560"): a tuning file may
    move a ternary matrix between i2s and tl, so rows pair by op and shape"""
    fmt, sep, rest = kernel.partition("_gem")
    return fmt, "gem" + rest


def hot(doc):
    out = {}
    for k in doc.get("kernels", []):
        fmt, shape = split(k["name"])
        for v in k.get("variants", []):
            if v.get("threads") == 1 and v.get("isa") != "scalar":
                out[(shape, v["isa"])] = (v["name"], v["ns"]["median"], fmt)
    return out


def prefill(doc):
    out = {}
    for p in doc.get("prefill", []):
        fmt, shape = split(p["kernel"])
        if p.get("threads") == 1 and p.get("isa") != "scalar":
            out[(shape, p["isa"])] = (p["variant"], p["gops"], fmt)
    return out


def label(shape, fb, ft):
    return f"{fb}_{shape}" if fb == ft else f"{fb}->{ft} {shape}"


def selected_sweep(doc):
    for v in doc.get("sweep", {}).get("variants", []):
        if v.get("selected") and v.get("threads") == 1:
            return v["ms"]["median"], v.get("ratio_to_bound")
    return None


def tile(variant):
    """i2s_gemv_2560x2560_r8u2__avx512vnni -> r8u2"""
    return variant.partition("__")[0].rsplit("_", 1)[-1]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    docs = []
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f))
    base, tuned = docs
    print(f"{'hot GEMV, 1 thread':28s} {'isa':11s} {'default':>8s} {'us':>8s} {'tuned':>8s} {'us':>8s}  speed-up")
    hb, ht = hot(base), hot(tuned)
    for key, (vb, nb, fb) in hb.items():
        if key in ht:
            vt, nt, ft = ht[key]
            print(f"  {label(key[0], fb, ft):26s} {key[1]:11s} {tile(vb):>8s} {nb / 1e3:8.1f} {tile(vt):>8s} "
                  f"{nt / 1e3:8.1f}  {nb / nt:6.2f}x")
    pb, pt = prefill(base), prefill(tuned)
    if pb:
        print(f"{'prefill N=128, 1 thread':28s} {'isa':11s} {'default':>8s} {'Gop/s':>8s} {'tuned':>8s} {'Gop/s':>8s}  speed-up")
        for key, (vb, gb, fb) in pb.items():
            if key in pt:
                vt, gt, ft = pt[key]
                print(f"  {label(key[0], fb, ft):26s} {key[1]:11s} {tile(vb):>8s} {gb:8.0f} {tile(vt):>8s} "
                      f"{gt:8.0f}  {gt / gb:6.2f}x")
    sb, st = selected_sweep(base), selected_sweep(tuned)
    if sb and st:
        print(f"cold sweep, 1 thread: default {sb[0]:.1f} ms/token (ratio to bound {sb[1]:.2f}), "
              f"tuned {st[0]:.1f} ms/token ({st[1]:.2f})")
    print("(one bench run each: differences of a few % are noise on a busy machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
