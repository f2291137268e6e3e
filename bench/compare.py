#!/usr/bin/env python3
"""Side by side: merges bitgen-bench JSON files (one per weight format of the
same model shapes) into one table (stdout), one JSON and one SVG.

usage: compare.py [--json PATH] [--svg PATH] BENCH_JSON...

Per format and GEMV kernel: packed bits per weight; the ISA with the highest
hot 1-thread GB/s (* = the one dispatch selects); its hot GEMV GB/s (packed
weight bytes) and us per call, with the format's activation work per token
(+act), and with all cores; the same kernel inside the cold model sweep (ms
per token spent in it and its ratio to the sweep's streaming-read bound);
prefill GEMM Gop/s (N = 128, 1 thread).  Per format, a "model" row: the
whole cold sweep (ms per token and ratio to the bound, 1 thread and all
cores, the ISA with the fastest 1-thread sweep).  Every figure is copied or
derived from the bench's own JSON; nothing is measured here.

Python standard library only.  Exit 0 on success, 2 on bad input.
"""
import json
import math
import sys

SCHEMA = "bitgen-bench-formats/1"


def med(stat):
    return stat.get("median", 0.0) if isinstance(stat, dict) else 0.0


def shape_of(name):
    """'tq2_0_gemv_2560x2560' -> '2560x2560'."""
    return name.split("_gemv_")[-1] if "_gemv_" in name else name


def summarize(path, d):
    pkg = d.get("package", {})
    matrices = pkg.get("matrices", [])
    kernels = d.get("kernels", [])
    sweep = d.get("sweep", {})
    svars = sweep.get("variants", [])
    threads_all = d.get("threads_all", 0)
    quantizer = pkg.get("quantizer", "bitgen_quantize")

    # packed bits per weight of one layer (the bench's own figure when present)
    packed = {k["name"]: k for k in kernels}
    bpw = pkg.get("bits_per_weight")
    if not isinstance(bpw, (int, float)):
        nb = sum(packed[m["kernel"]]["packed_bytes"] for m in matrices if m.get("kernel") in packed)
        nw = sum(packed[m["kernel"]]["M"] * packed[m["kernel"]]["K"] for m in matrices if m.get("kernel") in packed)
        bpw = 8.0 * nb / nw if nw else 0.0

    def sweep_entry(isa, threads):
        for v in svars:
            if v.get("isa") == isa and v.get("threads") == threads:
                return v
        return None

    def cold_of(v, index):
        if v is None or index >= len(v.get("per_kernel", [])):
            return None
        pk = v["per_kernel"][index]
        ms = med(pk.get("ms"))
        bound = v.get("bound_gbs", 0.0)
        bound_ms = pk.get("bytes", 0) / bound / 1e6 if bound else 0.0
        return {"ms": ms, "gbs": pk.get("gbs", 0.0), "ratio_to_bound": bound_ms / ms if ms > 0 else 0.0}

    prefill = d.get("prefill", [])
    out_kernels = []
    for i, k in enumerate(kernels):
        one = [v for v in k.get("variants", []) if v.get("threads") == 1]
        if not one:
            continue
        best = max(one, key=lambda v: v.get("gbs", 0.0))
        sel = next((v["isa"] for v in one if v.get("selected")), None)
        allv = next((v for v in k["variants"] if v.get("threads", 1) > 1 and v.get("isa") == best["isa"]), None)
        pre = [p for p in prefill if p.get("M") == k["M"] and p.get("K") == k["K"] and p.get("isa") == best["isa"]]
        pre1 = next((p.get("gops", 0.0) for p in pre if p.get("threads") == 1), None)
        pren = next((p.get("gops", 0.0) for p in pre if p.get("threads", 1) > 1), None)
        out_kernels.append({
            "kernel": k["name"], "shape": shape_of(k["name"]), "M": k["M"], "K": k["K"],
            "packed_bytes": k["packed_bytes"],
            "bits_per_weight": k.get("bits_per_weight", 8.0 * k["packed_bytes"] / (k["M"] * k["K"])),
            "best_isa": best["isa"], "selected_isa": sel,
            "hot": {"gbs": best.get("gbs", 0.0), "us": med(best.get("ns")) / 1e3,
                    "us_with_quant": med(best.get("ns_with_quant")) / 1e3, "gops": best.get("gops", 0.0)},
            "hot_all": None if allv is None else {"threads": allv["threads"], "gbs": allv.get("gbs", 0.0),
                                                  "us": med(allv.get("ns")) / 1e3},
            "cold": cold_of(sweep_entry(best["isa"], 1), i),
            "cold_all": cold_of(sweep_entry(best["isa"], threads_all), i) if threads_all > 1 else None,
            "prefill_gops": pre1, "prefill_gops_all": pren,
        })

    ones = [v for v in svars if v.get("threads") == 1]
    bestsw = min(ones, key=lambda v: med(v.get("ms")) or math.inf) if ones else None

    def sweep_fig(v):
        if v is None:
            return None
        return {"threads": v.get("threads"), "ms": med(v.get("ms")), "gbs": v.get("gbs", 0.0),
                "bound_ms": v.get("bound_ms", 0.0), "ratio_to_bound": v.get("ratio_to_bound", 0.0)}

    qns = next((q.get("ns", {}).get("median") for q in d.get("quant", [])
                if q.get("K") == 2560 and q.get("function") == quantizer), None)
    return {
        "format": pkg.get("format", "?"), "model": pkg.get("model", "?"), "kind": pkg.get("kind", "i2s"),
        "bits_per_weight": bpw, "quantizer": quantizer, "quant_ns_k2560": qns, "source": path,
        "mode": d.get("mode"), "busy_warning": d.get("machine", {}).get("busy_warning", ""),
        "threads_all": threads_all,
        "sweep": {
            "layers": sweep.get("layers"), "bytes": sweep.get("bytes"),
            "isa": bestsw.get("isa") if bestsw else None,
            "selected": bool(bestsw.get("selected")) if bestsw else False,
            "threads1": sweep_fig(bestsw),
            "threads_all": sweep_fig(sweep_entry(bestsw["isa"], threads_all)) if bestsw and threads_all > 1 else None,
        },
        "kernels": out_kernels,
    }


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def table(formats, threads_all):
    nt = f"{threads_all}thr" if threads_all > 1 else "all"
    lines = []
    head = (f"{'format':<7} {'bits/w':>6} {'kernel':<10} {'best isa':<12} {'hot GB/s':>8} {'hot us':>8} "
            f"{'+act us':>8} {nt + ' us':>8} | {'cold ms':>8} {'ratio':>6} {nt + ' ms':>8} {'ratio':>6} | "
            f"{'prefill':>8}")
    lines.append(head)
    lines.append(f"{'':<7} {'':>6} {'':<10} {'':<12} {'':>8} {'(1 thr)':>8} {'':>8} {'':>8} | "
                 f"{'(1 thr)':>8} {'':>6} {'':>8} {'':>6} | {'Gop/s':>8}")
    lines.append("-" * len(head))
    for f in formats:
        for i, k in enumerate(f["kernels"]):
            isa = k["best_isa"] + ("*" if k["best_isa"] == k["selected_isa"] else "")
            c, ca, ha = k["cold"] or {}, k["cold_all"] or {}, k["hot_all"] or {}
            lines.append(
                f"{f['format'] if i == 0 else '':<7} {k['bits_per_weight']:>6.3f} {k['shape']:<10} {isa:<12} "
                f"{k['hot']['gbs']:>8.2f} {k['hot']['us']:>8.1f} {k['hot']['us_with_quant']:>8.1f} "
                f"{fmt(ha.get('us'), '8.1f'):>8} | {fmt(c.get('ms'), '8.3f'):>8} {fmt(c.get('ratio_to_bound'), '6.2f'):>6} "
                f"{fmt(ca.get('ms'), '8.3f'):>8} {fmt(ca.get('ratio_to_bound'), '6.2f'):>6} | "
                f"{fmt(k['prefill_gops'], '8.1f'):>8}")
        s = f["sweep"]
        t1, ta = s["threads1"] or {}, s["threads_all"] or {}
        isa = (s["isa"] or "-") + ("*" if s["selected"] else "")
        mb = f"{s['bytes'] / 1e6:.0f} MB" if isinstance(s.get("bytes"), int) else ""
        lines.append(
            f"{'':<7} {f['bits_per_weight']:>6.3f} {'model':<10} {isa:<12} {mb:>8} {'':>8} {'':>8} {'':>8} | "
            f"{fmt(t1.get('ms'), '8.2f'):>8} {fmt(t1.get('ratio_to_bound'), '6.2f'):>6} "
            f"{fmt(ta.get('ms'), '8.2f'):>8} {fmt(ta.get('ratio_to_bound'), '6.2f'):>6} |")
        lines.append("")
    return lines


# ---- SVG ---------------------------------------------------------------------------------
COLOURS = ["#1f5fa8", "#e07b1a", "#2e9e52", "#c0392b", "#8e44ad", "#7d7d7d", "#17a2b8", "#8c6d31"]


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def nice_step(vmax, n):
    raw = vmax / n
    p = 10 ** math.floor(math.log10(raw))
    m = raw / p
    return (1 if m <= 1.5 else 2 if m <= 3 else 5 if m <= 7 else 10) * p


def svg(formats, title, subtitle):
    W, left, right = 1120, 70, 900
    top1, bottom1 = 110, 400
    nf = max(1, len(formats))
    row = 22
    top2 = bottom1 + 150
    bottom2 = top2 + row * 2 * nf
    H = bottom2 + 80
    o = [f'<?xml version="1.0" encoding="UTF-8"?>',
         f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
         f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']

    def text(x, y, s, anchor="start", style=""):
        o.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {style}>{esc(s)}</text>')

    text(20, 28, title, style='font-size="18" font-weight="bold"')
    text(20, 48, subtitle, style='fill="#444"')

    # panel 1: hot GEMV GB/s per kernel shape, one bar per format
    text(20, 80, "Hot GEMV, 1 thread, best ISA per format: GB/s of packed weights (label: us per call)",
         style='font-size="15" font-weight="bold"')
    shapes = []
    for f in formats:
        for k in f["kernels"]:
            if k["shape"] not in shapes:
                shapes.append(k["shape"])
    vmax = max([k["hot"]["gbs"] for f in formats for k in f["kernels"]] + [1e-9])
    step = nice_step(vmax * 1.1, 6)
    vmax = math.ceil(vmax * 1.1 / step) * step

    def y1(v):
        return bottom1 - v / vmax * (bottom1 - top1)

    v = 0.0
    while v <= vmax + step / 2:
        o.append(f'<line x1="{left}" y1="{y1(v):.1f}" x2="{right}" y2="{y1(v):.1f}" stroke="#e3e3e3"/>')
        text(left - 6, y1(v) + 4, f"{v:g}", "end", 'fill="#333"')
        v += step
    o.append(f'<line x1="{left}" y1="{top1}" x2="{left}" y2="{bottom1}" stroke="#333"/>')
    o.append(f'<line x1="{left}" y1="{bottom1}" x2="{right}" y2="{bottom1}" stroke="#333"/>')
    o.append(f'<text x="22" y="{(top1 + bottom1) / 2:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 22 {(top1 + bottom1) / 2:.1f})" fill="#333">GB/s (1e9 bytes/s)</text>')
    gw = (right - left) / max(1, len(shapes))
    bw = gw * 0.85 / nf
    for si, shape in enumerate(shapes):
        gx = left + gw * si + gw * 0.075
        for fi, f in enumerate(formats):
            k = next((k for k in f["kernels"] if k["shape"] == shape), None)
            if k is None:
                continue
            x, g = gx + bw * fi, k["hot"]["gbs"]
            o.append(f'<rect x="{x + 1:.1f}" y="{y1(g):.1f}" width="{bw - 2:.1f}" height="{bottom1 - y1(g):.1f}" '
                     f'fill="{COLOURS[fi % len(COLOURS)]}"><title>{esc(f["format"])} {esc(k["kernel"])} '
                     f'{esc(k["best_isa"])}: {g:.2f} GB/s, {k["hot"]["us"]:.1f} us/call</title></rect>')
            text(x + bw / 2, y1(g) - 4, f'{k["hot"]["us"]:.0f}', "middle", 'font-size="9" fill="#333"')
        text(left + gw * (si + 0.5), bottom1 + 18, shape, "middle", 'font-weight="bold"')
    lx = left
    for fi, f in enumerate(formats):
        o.append(f'<rect x="{lx:.1f}" y="{bottom1 + 36:.1f}" width="14" height="14" fill="{COLOURS[fi % len(COLOURS)]}"/>')
        label = f'{f["format"]} ({f["bits_per_weight"]:.2f} bits/w)'
        text(lx + 19, bottom1 + 48, label)
        lx += 40 + 7.0 * len(label)
    text(left, bottom1 + 72, "us per call above each bar; bars = the ISA with the highest hot GB/s of each format "
         "(see the table and each format's own JSON for every variant).", style='fill="#555" font-size="11"')

    # panel 2: cold sweep ms per token, 1 thread and all threads, with each format's bound
    text(20, top2 - 40, "Cold model sweep: ms per token (all matrices of all layers, distinct buffers), "
         "best ISA; | = that format's streaming-read bound", style='font-size="15" font-weight="bold"')
    left2 = 200
    vals = []
    for f in formats:
        for key in ("threads1", "threads_all"):
            s = f["sweep"][key]
            if s:
                vals += [s["ms"], s["bound_ms"]]
    cmax = max(vals + [1e-9])
    # a very slow format runs off the scale (value written in its bar)
    fast = sorted(vals)
    cap = fast[len(fast) // 2] * 4 if fast else cmax
    cmax = min(cmax, cap) if cap > 0 else cmax
    xstep = nice_step(cmax * 1.15, 8)
    cmax = math.ceil(cmax * 1.15 / xstep) * xstep

    def x2(v):
        return left2 + min(v, cmax) / cmax * (right - left2)

    v = 0.0
    while v <= cmax + xstep / 2:
        o.append(f'<line x1="{x2(v):.1f}" y1="{top2 - 6}" x2="{x2(v):.1f}" y2="{bottom2}" stroke="#e3e3e3"/>')
        text(x2(v), bottom2 + 16, f"{v:g}", "middle", 'fill="#333"')
        v += xstep
    text((left2 + right) / 2, bottom2 + 34, "ms per token (matmul time of the whole model, one token)", "middle",
         'fill="#333"')
    y = top2
    for fi, f in enumerate(formats):
        col = COLOURS[fi % len(COLOURS)]
        for key in ("threads1", "threads_all"):
            s = f["sweep"][key]
            if s is None:
                y += row
                continue
            h = row * 0.7
            lab = f'{f["format"]}, {s["threads"]} thr'
            text(left2 - 8, y + h - 3, lab, "end", 'font-weight="bold"' if key == "threads1" else 'fill="#555"')
            fade = ' fill-opacity="0.55"' if key != "threads1" else ""
            o.append(f'<rect x="{left2}" y="{y:.1f}" width="{x2(s["ms"]) - left2:.1f}" height="{h:.1f}" fill="{col}"'
                     f'{fade}><title>{esc(f["format"])} '
                     f'{esc(f["sweep"]["isa"])}: {s["ms"]:.2f} ms, {s["gbs"]:.1f} GB/s, '
                     f'{s["ratio_to_bound"]:.2f} of the bound</title></rect>')
            xb = x2(s["bound_ms"])
            o.append(f'<line x1="{xb:.1f}" y1="{y - 2:.1f}" x2="{xb:.1f}" y2="{y + h + 2:.1f}" stroke="#c62828" '
                     f'stroke-width="2"/>')
            off = s["ms"] > cmax
            label = (f'{s["ms"]:.2f} ms, {s["ratio_to_bound"]:.2f} of bound ({f["sweep"]["isa"]})'
                     + (" (off scale)" if off else ""))
            if off:
                text(left2 + 6, y + h - 3, label, style='font-size="11" fill="#fff" font-weight="bold"')
            else:
                text(max(x2(s["ms"]), xb) + 6, y + h - 3, label, style='font-size="11"')
            y += row
    o.append(f'<line x1="{left2}" y1="{top2 - 6}" x2="{left2}" y2="{bottom2}" stroke="#333"/>')
    text(left2, bottom2 + 56, "Bound = the format's sweep bytes / the streaming read measured just before each "
         "sweep (same thread count); ratio = median over sweeps of bound / time.", style='fill="#555" font-size="11"')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main(argv):
    json_out = svg_out = None
    paths = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--json", "--svg") and i + 1 < len(argv):
            if a == "--json":
                json_out = argv[i + 1]
            else:
                svg_out = argv[i + 1]
            i += 2
            continue
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        paths.append(a)
        i += 1
    if not paths:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    formats, machine, first = [], None, None
    for p in paths:
        try:
            with open(p, encoding="utf-8") as fh:
                d = json.load(fh)
        except (OSError, ValueError) as e:
            print(f"compare.py: {p}: {e}", file=sys.stderr)
            return 2
        if d.get("schema") != "bitgen-bench/1":
            print(f"compare.py: {p}: not a bitgen-bench/1 JSON", file=sys.stderr)
            return 2
        first = first or d
        machine = machine or d.get("machine", {})
        formats.append(summarize(p, d))
    threads_all = max(f["threads_all"] for f in formats)
    m = machine or {}
    models = formats[0]["model"] + (f" and {len(formats) - 1} more" if len(formats) > 1 else "")
    title = f"bitgen-bench: weight formats side by side ({', '.join(f['format'] for f in formats)})"
    subtitle = (f"{m.get('cpu_model', '?')}, {m.get('logical_cpus', '?')} CPUs, "
                f"clock {first.get('clock', {}).get('ghz', 0):.2f} GHz (measured), {first.get('mode', '?')} mode, "
                f"{first.get('timestamp', '')}")
    print(f"\nSide by side: {', '.join(f['format'] for f in formats)} ({models}); {subtitle}")
    print("hot = the same matrix every call (1 thread; +act: with the format's activation work per token);"
          " cold = inside the model sweep;\nratio = streaming-read bound time / measured time; best isa = highest"
          " hot GB/s (* = selected by dispatch); model row: the fastest 1-thread sweep's ISA\n")
    for line in table(formats, threads_all):
        print(line)
    for f in formats:
        if f["busy_warning"]:
            print(f"WARNING {f['format']}: the machine looked busy during its run ({f['busy_warning']})")
        if f["quant_ns_k2560"] is not None:
            print(f"activation work per token, K=2560, {f['format']}: {f['quantizer']} {f['quant_ns_k2560']:.0f} ns")
    out = {
        "schema": SCHEMA, "tool": "bench/compare.py",
        "units": "GB/s = 1e9 bytes/s of packed weights; us per call; ms per token; ratio_to_bound = bound time / "
                 "measured time (1 = at the bound); prefill Gop/s = 2*M*K*N / time, N = 128",
        "machine": {"cpu_model": m.get("cpu_model"), "logical_cpus": m.get("logical_cpus"),
                    "features": m.get("features")},
        "threads_all": threads_all, "sources": paths, "formats": formats,
    }
    if json_out:
        with open(json_out, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")
        print(f"\nJSON: {json_out}")
    if svg_out:
        with open(svg_out, "w", encoding="utf-8") as fh:
            fh.write(svg(formats, title, subtitle))
        print(f"SVG:  {svg_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
