#!/usr/bin/env python3
"""bitgen against ggml's own kernels, side by side, from results already measured.

usage: bench/peer/compare.py PEER_JSON BITGEN_BENCH_JSON... [--markdown]

PEER_JSON is `bitgen-peer-ggml bench` output (ggml's CPU variants, e.g.
haswell = AVX2 and zen4 = AVX-512, 1 thread); each BITGEN_BENCH_JSON is a
bitgen-bench result of one format's package (e.g. out/<spec>/build/bench/
bench-results.json from scripts/run.sh).  Per format present in both, and per
pairing of an ISA level (bitgen avx2 with ggml haswell; bitgen's best x86 ISA
with ggml's best variant), one row: hot GEMV at 2560x2560 (us per call and
bytes per cycle, each with its own run's clock) and the cold sweep (ms per
token over the same layers and its ratio to the streaming bound measured in
the same run), 1 thread, and bitgen's speed-up (peer time / bitgen time).
Nothing is measured here; run both benches back to back on an idle machine.
"""
import json
import sys


def hot_2560(bench, isa):
    for k in bench["kernels"]:
        if k["op"] == "gemv" and k["M"] == 2560 and k["K"] == 2560:
            for v in k["variants"]:
                if v["isa"] == isa and v["threads"] == 1:
                    return v["ns"]["median"] / 1e3, v["bytes_per_cycle"]
    return None


def cold(bench, isa):
    for v in bench["sweep"]["variants"]:
        if v["isa"] == isa and v["threads"] == 1:
            return v["ms"]["median"], v["ratio_to_bound"], bench["sweep"]["layers"]
    return None


def best_isa(bench):
    order = ["avx512vnni", "avxvnni", "avx2"]
    have = {v["isa"] for v in bench["sweep"]["variants"]}
    return next((i for i in order if i in have), None)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    md = "--markdown" in sys.argv
    if len(args) < 2:
        sys.exit(__doc__)
    peer = json.load(open(args[0]))
    benches = {}
    for p in args[1:]:
        b = json.load(open(p))
        benches[b["package"]["format"]] = b
    pvars = {v["variant"]: v for v in peer["variants"]}
    best_peer = max(peer["variants"], key=lambda v: v["score"])["variant"] if peer["variants"] else None
    rows = []
    for fmt, b in benches.items():
        for bisa, pvar in (("avx2", "haswell"), (best_isa(b), best_peer)):
            if bisa is None or pvar not in pvars:
                continue
            pf = next((f for f in pvars[pvar]["formats"] if f["format"] == fmt), None)
            bh, bc = hot_2560(b, bisa), cold(b, bisa)
            if pf is None or bh is None:
                continue
            ph = next(h for h in pf["hot"] if h["M"] == 2560 and h["K"] == 2560)
            row = [fmt, f"bitgen {bisa} / ggml {pvar}", f"{bh[0]:.1f} us ({bh[1]:.2f} B/cyc)",
                   f"{ph['us']:.1f} us ({ph['bytes_per_cycle']:.2f} B/cyc)", f"{ph['us'] / bh[0]:.2f}x"]
            if bc and "cold" in pf and pf["cold"]["layers"] == bc[2]:
                row += [f"{bc[0]:.2f} ms ({bc[1]:.2f})", f"{pf['cold']['ms']:.2f} ms ({pf['cold']['ratio_to_bound']:.2f})",
                        f"{pf['cold']['ms'] / bc[0]:.2f}x"]
            else:
                row += ["-", "-", "-"]
            if (bisa, pvar) != ("avx2", "haswell") and any(r[0] == fmt and r[1] == row[1] for r in rows):
                continue
            rows.append(row)
    head = ["format", "pairing", "bitgen hot 2560x2560", "ggml hot", "speed-up hot",
            "bitgen cold ms/token (ratio)", "ggml cold (ratio)", "speed-up cold"]
    print(f"bitgen against ggml's kernels (node-llama-cpp's llama.cpp libraries), 1 thread; "
          f"ggml clock {peer['ghz']:.2f} GHz")
    if md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
        for r in rows:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))


if __name__ == "__main__":
    main()
