#!/usr/bin/env python3
"""Checks bitgen-bench: it runs, and its JSON and SVG hold what they promise.

usage: test_bench.py BENCH_EXECUTABLE [EXTRA_BENCH_ARGS...]

Runs the bench (built against a small test package) with `--layers 1` and
temporary --json/--svg paths, then checks that the JSON parses and has every
field with a sane type and sign, that figures derived from each other agree,
and that the SVG is well-formed XML with an <svg> root.  Then merges the JSON
with bench/compare.py (the side-by-side step of scripts/run.sh), as if two
formats had been measured, and checks its table, JSON and SVG the same way.

The bench checks every timed path against the scalar reference and every
runtime status; the JSON must say what it checked (counts > 0), and every
ratio to a bound above 1 + the stated margin must be listed in
bound_check.exceeded (a check of the JSON's structure: whether a ratio is
above the margin depends on the machine, that it is reported does not).
Then the bench is run with each test-only --inject-fault (a corrupted
output after a hot GEMV, a sweep GEMV, a prefill GEMM, corrupted
activations, a NULL argument that makes the runtime return an error
status): each run must exit 1 naming the failed check, and write no JSON.

No timing threshold is checked anywhere: a slow or noisy machine must not
fail this test.

Exit 0 on success; otherwise every problem found is printed and the exit
status is 1.  Python standard library only.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
STAT_KEYS = ("median", "min", "max", "p10", "p90", "mean")


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, where, what):
        self.failures.append(f"{where}: {what}")

    def field(self, obj, key, where, kind, positive=False, nonneg=False, nonempty=False):
        """obj[key] must exist and be of `kind` ('int', 'num', 'str', 'bool',
        'list', 'dict'); returns it (or None when it is not)."""
        here = f"{where}.{key}"
        if not isinstance(obj, dict):
            self.fail(where, "is not an object")
            return None
        if key not in obj:
            self.fail(here, "missing")
            return None
        v = obj[key]
        ok = {
            "int": isinstance(v, int) and not isinstance(v, bool),
            "num": isinstance(v, (int, float)) and not isinstance(v, bool),
            "str": isinstance(v, str),
            "bool": isinstance(v, bool),
            "list": isinstance(v, list),
            "dict": isinstance(v, dict),
        }[kind]
        if not ok:
            self.fail(here, f"expected {kind}, got {type(v).__name__} {v!r:.60}")
            return None
        if kind in ("int", "num"):
            if not math.isfinite(v):
                self.fail(here, f"not finite: {v}")
            elif positive and not v > 0:
                self.fail(here, f"expected > 0, got {v}")
            elif nonneg and v < 0:
                self.fail(here, f"expected >= 0, got {v}")
        if nonempty and kind in ("str", "list") and len(v) == 0:
            self.fail(here, "is empty")
        return v

    def stat(self, obj, key, where, positive=True):
        """A statistic block: median/min/max/p10/p90/mean and n, ordered."""
        s = self.field(obj, key, where, "dict")
        if s is None:
            return None
        here = f"{where}.{key}"
        for k in STAT_KEYS:
            self.field(s, k, here, "num", positive=positive, nonneg=not positive)
        self.field(s, "n", here, "int", positive=positive, nonneg=True)
        if all(isinstance(s.get(k), (int, float)) for k in STAT_KEYS):
            eps = 1e-9 * max(1.0, abs(s["max"]))
            chain = [s["min"], s["p10"], s["median"], s["p90"], s["max"]]
            if any(a > b + eps for a, b in zip(chain, chain[1:])):
                self.fail(here, f"not ordered min <= p10 <= median <= p90 <= max: {chain}")
            if not s["min"] - eps <= s["mean"] <= s["max"] + eps:
                self.fail(here, f"mean {s['mean']} outside [min, max]")
        return s

    def close(self, a, b, where, what, rel=2e-3):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if abs(a - b) > rel * max(abs(a), abs(b), 1e-30):
                self.fail(where, f"{what}: {a} != {b}")


def check_json(c, d, layers):
    top = "json"
    c.field(d, "schema", top, "str")
    if d.get("schema") != "bitgen-bench/1":
        c.fail(f"{top}.schema", f"unexpected {d.get('schema')!r}")
    c.field(d, "tool", top, "str", nonempty=True)
    mode = c.field(d, "mode", top, "str")
    if mode not in (None, "quick", "full"):
        c.fail(f"{top}.mode", f"unexpected {mode!r}")
    c.field(d, "timestamp", top, "str", nonempty=True)
    c.field(d, "wall_seconds", top, "num", positive=True)
    c.field(d, "threads", top, "int", positive=True)
    threads_all = c.field(d, "threads_all", top, "int", nonneg=True)
    c.field(d, "threading", top, "str", nonempty=True)
    c.field(d, "isa_filter", top, "str")
    c.field(d, "units", top, "str", nonempty=True)

    # package
    pkg = c.field(d, "package", top, "dict") or {}
    w = f"{top}.package"
    for k in ("model", "format", "prefix", "header", "quantizer"):
        c.field(pkg, k, w, "str", nonempty=True)
    if c.field(pkg, "kind", w, "str") not in (None, "i2s", "block", "tl"):
        c.fail(f"{w}.kind", f"unexpected {pkg.get('kind')!r}")
    c.field(pkg, "bits_per_weight", w, "num", positive=True)
    quantizer = pkg.get("quantizer", "bitgen_quantize")
    for k in ("prows", "layers", "nkernels", "gemv_kernels"):
        c.field(pkg, k, w, "int", positive=True)
    matrices = c.field(pkg, "matrices", w, "list", nonempty=True) or []
    for i, m in enumerate(matrices):
        c.field(m, "name", f"{w}.matrices[{i}]", "str", nonempty=True)
        c.field(m, "kernel", f"{w}.matrices[{i}]", "str", nonempty=True)
    for i, m in enumerate(c.field(pkg, "kernels_not_benchmarked", w, "list") or []):
        for k in ("name", "op", "reason"):
            c.field(m, k, f"{w}.kernels_not_benchmarked[{i}]", "str", nonempty=True)

    # machine
    m = c.field(d, "machine", top, "dict") or {}
    w = f"{top}.machine"
    for k in ("cpu_model", "features", "cache_source", "compiler", "cflags", "os", "transparent_hugepages"):
        c.field(m, k, w, "str", nonempty=True)
    c.field(m, "cpu_flags", w, "str")
    c.field(m, "logical_cpus", w, "int", positive=True)
    c.field(m, "cpuinfo_mhz", w, "num", nonneg=True)
    for k in ("l1d_bytes", "l2_bytes", "llc_bytes", "llc_shared_cpus"):
        c.field(m, k, w, "int", positive=True)
    steal = c.field(m, "steal_percent", w, "num")
    if isinstance(steal, (int, float)) and steal < -1:
        c.fail(f"{w}.steal_percent", f"expected >= -1 (unknown), got {steal}")
    la = c.field(m, "loadavg_start", w, "num")
    if isinstance(la, (int, float)) and la < -1:
        c.fail(f"{w}.loadavg_start", f"expected >= -1 (unknown), got {la}")
    c.field(m, "busy_warning", w, "str")
    oc = c.field(m, "others_cpu_percent", w, "num")
    if isinstance(oc, (int, float)) and oc < -1:
        c.fail(f"{w}.others_cpu_percent", f"expected >= -1 (unknown), got {oc}")
    for i, cache in enumerate(c.field(m, "caches", w, "list") or []):
        here = f"{w}.caches[{i}]"
        c.field(cache, "level", here, "int", positive=True)
        c.field(cache, "type", here, "str", nonempty=True)
        c.field(cache, "size_bytes", here, "int", positive=True)
        c.field(cache, "shared_cpu_list", here, "str")

    # clock
    clk = c.field(d, "clock", top, "dict") or {}
    w = f"{top}.clock"
    method = c.field(clk, "method", w, "str", nonempty=True) or ""
    measured = not method.startswith("unavailable")
    c.field(clk, "ghz", w, "num", positive=measured, nonneg=True)
    c.field(clk, "ghz_median_start", w, "num", nonneg=True)
    c.field(clk, "ghz_median_end", w, "num", nonneg=True)
    c.field(clk, "samples", w, "int", nonneg=True)
    c.field(clk, "adds_per_sample", w, "int", nonneg=True)

    # probes
    pr = c.field(d, "probe", top, "dict") or {}
    w = f"{top}.probe"
    c.field(pr, "load", w, "str", nonempty=True)
    c.field(pr, "hugepage_bytes_granted", w, "int", nonneg=True)
    c.field(pr, "alloc_hugepage_bytes", w, "int", nonneg=True)
    for key in ("l2", "llc", "stream_1t", "stream_all", "stream_1t_alloc"):
        p = c.field(pr, key, w, "dict")
        if p is None:
            continue
        here = f"{w}.{key}"
        c.field(p, "what", here, "str", nonempty=True)
        for k in ("bytes", "threads", "passes_per_sample", "samples"):
            c.field(p, k, here, "int", positive=True)
        c.stat(p, "gbs", here)
        c.field(p, "bytes_per_cycle", here, "num", nonneg=True)
    llc = m.get("llc_bytes")
    for key in ("stream_1t", "stream_all", "stream_1t_alloc"):
        b = pr.get(key, {}).get("bytes") if isinstance(pr.get(key), dict) else None
        if isinstance(b, int) and isinstance(llc, int) and b < 4 * llc * 0.99:
            c.fail(f"{w}.{key}.bytes", f"{b} is less than 4x the LLC ({llc})")
    l2b = pr.get("l2", {}).get("bytes") if isinstance(pr.get("l2"), dict) else None
    if isinstance(l2b, int) and isinstance(m.get("l2_bytes"), int) and l2b > m["l2_bytes"]:
        c.fail(f"{w}.l2.bytes", f"{l2b} does not fit the L2 ({m['l2_bytes']})")

    # quantizer
    quant = c.field(d, "quant", top, "list", nonempty=True) or []
    quant_k = set()
    for i, q in enumerate(quant):
        here = f"{top}.quant[{i}]"
        K = c.field(q, "K", here, "int", positive=True)
        fn = c.field(q, "function", here, "str", nonempty=True)
        if fn == quantizer:
            quant_k.add(K)
        c.field(q, "calls_per_sample", here, "int", positive=True)
        c.field(q, "samples", here, "int", positive=True)
        c.stat(q, "ns", here)
        c.field(q, "ns_per_element", here, "num", positive=True)
        c.field(q, "input_gbs", here, "num", positive=True)

    # hot kernels
    kernels = c.field(d, "kernels", top, "list", nonempty=True) or []
    if isinstance(pkg.get("gemv_kernels"), int) and len(kernels) != pkg["gemv_kernels"]:
        c.fail(f"{top}.kernels", f"{len(kernels)} entries, package has {pkg['gemv_kernels']} GEMV kernels")
    packed = {}
    forced = os.environ.get("BITGEN_ISA")
    for i, k in enumerate(kernels):
        here = f"{top}.kernels[{i}]"
        name = c.field(k, "name", here, "str", nonempty=True)
        if c.field(k, "op", here, "str") not in (None, "gemv"):
            c.fail(f"{here}.op", f"expected gemv, got {k.get('op')!r}")
        c.field(k, "format", here, "str", nonempty=True)
        M = c.field(k, "M", here, "int", positive=True)
        K = c.field(k, "K", here, "int", positive=True)
        pb = c.field(k, "packed_bytes", here, "int", positive=True)
        packed[name] = pb
        bpw = c.field(k, "bits_per_weight", here, "num", positive=True)
        ops = c.field(k, "ops_per_call", here, "num", positive=True)
        if isinstance(M, int) and isinstance(K, int):
            c.close(ops, 2.0 * M * K, here, "ops_per_call vs 2*M*K")
            # no format packs below log2(3) = 1.58 bits per weight (tq1_0 1.69, tl 1.78)
            if isinstance(pb, int) and pb * 8 < M * K * 1.58:
                c.fail(f"{here}.packed_bytes", f"{pb} < M*K*1.58/8")
            if isinstance(pb, int):
                c.close(bpw, 8.0 * pb / (M * K), here, "bits_per_weight vs 8*packed_bytes/(M*K)")
            if K not in quant_k:
                c.fail(f"{top}.quant", f"no {quantizer} entry for K={K}")
        if c.field(k, "residency", here, "str") not in (None, "L2", "LLC", "DRAM"):
            c.fail(f"{here}.residency", f"unexpected {k.get('residency')!r}")
        c.field(k, "bound_probe", here, "str", nonempty=True)
        c.field(k, "bound_gbs", here, "num", positive=True)
        variants = c.field(k, "variants", here, "list", nonempty=True) or []
        selected = 0
        for j, v in enumerate(variants):
            vh = f"{here}.variants[{j}]"
            for f in ("name", "isa", "features", "bound_how"):
                c.field(v, f, vh, "str", nonempty=(f != "features"))
            sel = c.field(v, "selected", vh, "bool")
            thr = c.field(v, "threads", vh, "int", positive=True)
            if sel and thr == 1:
                selected += 1
            if isinstance(thr, int) and thr > 1 and thr != threads_all:
                c.fail(f"{vh}.threads", f"{thr} but threads_all is {threads_all}")
            if c.field(v, "output_matches", vh, "bool") is False:
                c.fail(f"{vh}.output_matches", "the variant's output differs from the scalar reference")
            for f in ("rows", "unroll", "tiles", "calls_per_sample", "samples"):
                c.field(v, f, vh, "int", positive=True)
            ns = c.stat(v, "ns", vh)
            c.stat(v, "ns_with_quant", vh)
            c.stat(v, "gbs_spread", vh)
            for f in ("gbs", "gops", "gbs_with_quant", "gops_with_quant", "bound_gbs", "ratio_to_bound"):
                c.field(v, f, vh, "num", positive=True)
            for f in ("bytes_per_cycle", "ops_per_cycle"):
                c.field(v, f, vh, "num", nonneg=True)
            share = c.field(v, "quant_share", vh, "num", nonneg=True)
            if isinstance(share, (int, float)) and share >= 1:
                c.fail(f"{vh}.quant_share", f"expected < 1, got {share}")
            if ns and isinstance(ns.get("median"), (int, float)) and ns["median"] > 0:
                c.close(v.get("gbs"), pb / ns["median"] if isinstance(pb, int) else None, vh, "gbs vs packed_bytes / ns")
                c.close(v.get("gops"), ops / ns["median"] if isinstance(ops, (int, float)) else None, vh,
                        "gops vs ops_per_call / ns")
        if selected > 1 or (selected == 0 and not forced and not d.get("isa_filter") and variants):
            c.fail(here, f"{selected} selected 1-thread variants (expected exactly one)")
        for j, s in enumerate(c.field(k, "skipped", here, "list") or []):
            for f in ("name", "isa", "reason"):
                c.field(s, f, f"{here}.skipped[{j}]", "str", nonempty=True)

    # cold sweep
    sw = c.field(d, "sweep", top, "dict") or {}
    w = f"{top}.sweep"
    L = c.field(sw, "layers", w, "int", positive=True)
    if layers is not None and L != layers:
        c.fail(f"{w}.layers", f"{L}, asked for {layers}")
    nm = c.field(sw, "matrices_per_layer", w, "int", positive=True)
    if isinstance(nm, int) and nm != len(matrices):
        c.fail(f"{w}.matrices_per_layer", f"{nm} but the package lists {len(matrices)} matrices")
    ng = c.field(sw, "gemv_per_sweep", w, "int", positive=True)
    if isinstance(L, int) and isinstance(nm, int) and ng != L * nm:
        c.fail(f"{w}.gemv_per_sweep", f"{ng} != layers x matrices = {L * nm}")
    sb = c.field(sw, "bytes", w, "int", positive=True)
    if isinstance(L, int) and matrices and all(mt.get("kernel") in packed for mt in matrices):
        want = L * sum(packed[mt["kernel"]] or 0 for mt in matrices)
        if sb != want:
            c.fail(f"{w}.bytes", f"{sb} != layers x packed bytes of the matrices = {want}")
    c.field(sw, "pool_tokens", w, "int", positive=True)
    c.field(sw, "setup_seconds", w, "num", nonneg=True)
    c.field(sw, "bound_method", w, "str", nonempty=True)
    c.stat(sw, "bound_gbs_stat", w)
    c.stat(sw, "alloc_gbs_stat", w)
    for f in ("bound_gbs", "bound_ms", "bound_ms_all_threads", "bound_ms_alloc_probe", "target_ratio"):
        c.field(sw, f, w, "num", positive=True)
    c.field(sw, "quant_ms_upper", w, "num", nonneg=True)
    c.field(sw, "hugepages", w, "bool")
    c.field(sw, "hugepage_bytes_granted", w, "int", nonneg=True)
    c.field(sw, "alloc_pass_hugepage_bytes", w, "int", nonneg=True)
    if isinstance(sw.get("bound_gbs"), (int, float)) and isinstance(sb, int) and sw["bound_gbs"] > 0:
        c.close(sw.get("bound_ms"), sb / sw["bound_gbs"] / 1e6, w, "bound_ms vs bytes / bound_gbs")
    svars = c.field(sw, "variants", w, "list", nonempty=True) or []
    for i, v in enumerate(svars):
        vh = f"{w}.variants[{i}]"
        c.field(v, "isa", vh, "str", nonempty=True)
        c.field(v, "selected", vh, "bool")
        c.field(v, "meets_target", vh, "bool")
        c.field(v, "threads", vh, "int", positive=True)
        c.field(v, "samples", vh, "int", positive=True)
        ms = c.stat(v, "ms", vh)
        c.stat(v, "probe_gbs", vh)
        c.stat(v, "ratio", vh)
        one = v.get("threads") == 1  # the bitgen_alloc passes run with the 1-thread sweeps only
        c.stat(v, "alloc_probe_gbs", vh, positive=one)
        c.stat(v, "alloc_ratio", vh, positive=one)
        for f in ("gbs", "bound_gbs", "bound_ms", "ratio_to_bound"):
            c.field(v, f, vh, "num", positive=True)
        for f in ("ratio_to_all_threads_bound", "ratio_to_alloc_probe"):
            c.field(v, f, vh, "num", nonneg=True)
        if ms and isinstance(ms.get("median"), (int, float)) and ms["median"] > 0 and isinstance(sb, int):
            c.close(v.get("gbs"), sb / (ms["median"] * 1e6), vh, "gbs vs bytes / ms")
        per = c.field(v, "per_kernel", vh, "list", nonempty=True) or []
        if len(per) != len(kernels):
            c.fail(f"{vh}.per_kernel", f"{len(per)} entries for {len(kernels)} kernels")
        calls = nbytes = 0
        for j, p in enumerate(per):
            ph = f"{vh}.per_kernel[{j}]"
            c.field(p, "kernel", ph, "str", nonempty=True)
            calls += c.field(p, "calls", ph, "int", nonneg=True) or 0
            nbytes += c.field(p, "bytes", ph, "int", nonneg=True) or 0
            c.stat(p, "ms", ph, positive=False)
            c.field(p, "gbs", ph, "num", nonneg=True)
        if per and calls != ng:
            c.fail(f"{vh}.per_kernel", f"calls add up to {calls}, not gemv_per_sweep {ng}")
        if per and nbytes != sb:
            c.fail(f"{vh}.per_kernel", f"bytes add up to {nbytes}, not the sweep's {sb}")

    # instruction bound
    for i, md in enumerate(c.field(d, "instruction_bound", top, "list", nonempty=True) or []):
        here = f"{top}.instruction_bound[{i}]"
        c.field(md, "isa", here, "str", nonempty=True)
        c.field(md, "text", here, "str", nonempty=True)
        for f in ("assumed_bytes_per_cycle", "assumed_ops_per_cycle", "measured_best_hot_bytes_per_cycle",
                  "measured_best_hot_ops_per_cycle"):
            c.field(md, f, here, "num", nonneg=True)
        c.field(md, "model_limit_gbs", here, "num", positive=True)

    # targets
    t = c.field(d, "targets", top, "dict") or {}
    w = f"{top}.targets"
    c.field(t, "sweep_ratio_min", w, "num", positive=True)
    c.field(t, "quant_ns_k2560", w, "num", nonneg=True)
    for i, s in enumerate(c.field(t, "sweep", w, "list", nonempty=True) or []):
        c.field(s, "isa", f"{w}.sweep[{i}]", "str", nonempty=True)
        c.field(s, "threads", f"{w}.sweep[{i}]", "int", positive=True)
        c.field(s, "ratio_to_bound", f"{w}.sweep[{i}]", "num", positive=True)
        c.field(s, "met", f"{w}.sweep[{i}]", "bool")
    for i, s in enumerate(c.field(t, "hot_selected", w, "list") or []):
        for f in ("kernel", "isa"):
            c.field(s, f, f"{w}.hot_selected[{i}]", "str", nonempty=True)
        for f in ("gbs", "ratio_to_bound"):
            c.field(s, f, f"{w}.hot_selected[{i}]", "num", positive=True)
    c.field(t, "prefill_gops_min", w, "num", positive=True)

    # prefill: every general GEMM kernel at N tokens, 1 thread and all cores
    pre = c.field(d, "prefill", top, "list", nonempty=True) or []
    kernels_seen = set()
    for i, p in enumerate(pre):
        here = f"{top}.prefill[{i}]"
        for f in ("kernel", "variant", "isa"):
            c.field(p, f, here, "str", nonempty=True)
        c.field(p, "selected", here, "bool")
        for f in ("M", "K", "N", "threads", "samples"):
            c.field(p, f, here, "int", positive=True)
        c.stat(p, "ms", here)
        c.field(p, "gops", here, "num", positive=True)
        c.field(p, "ops_per_cycle_per_core", here, "num", nonneg=True)
        if isinstance(p.get("kernel"), str):
            kernels_seen.add(p["kernel"])
            if "_gemm_" not in p["kernel"]:
                c.fail(here, "prefill row is not a GEMM kernel")
        if all(isinstance(p.get(f), (int, float)) for f in ("M", "K", "N", "gops")) and isinstance(p.get("ms"), dict):
            want = 2.0 * p["M"] * p["K"] * p["N"] / (p["ms"]["median"] * 1e6)
            c.close(p["gops"], want, here, "gops = 2*M*K*N / ms")
    if pre and not any(p.get("threads") == 1 and p.get("selected") for p in pre):
        c.fail(f"{top}.prefill", "no 1-thread row of a selected variant")

    check_checks(c, d, kernels, svars, pre, pkg.get("kind"))
    check_bounds(c, d, kernels, svars)


def check_checks(c, d, kernels, svars, pre, kind):
    """What the bench compared with the reference: nothing timed went unchecked."""
    w = "json.checks"
    ch = c.field(d, "checks", "json", "dict") or {}
    c.field(ch, "method", w, "str", nonempty=True)
    counts = {k: c.field(ch, k, w, "int", nonneg=True) for k in
              ("activation_sets", "hot_outputs", "sweep_outputs", "prefill_outputs", "statuses")}
    nhot = sum(len(k.get("variants", [])) for k in kernels)
    # before timing and after every batch (two per sample: kernel only, with the quantizer)
    want_hot = sum(1 + 2 * v.get("samples", 0) for k in kernels for v in k.get("variants", []))
    if isinstance(counts["hot_outputs"], int) and counts["hot_outputs"] != want_hot:
        c.fail(f"{w}.hot_outputs", f"{counts['hot_outputs']}, expected {want_hot} for {nhot} hot entries")
    if svars and not (counts["sweep_outputs"] or 0) > 0:
        c.fail(f"{w}.sweep_outputs", "no sweep output was checked")
    if pre and (counts["prefill_outputs"] or 0) < 2 * len(pre):
        c.fail(f"{w}.prefill_outputs", f"{counts['prefill_outputs']} for {len(pre)} prefill rows (2 each)")
    if kind in ("i2s", "tl") and not (counts["activation_sets"] or 0) > 0:
        c.fail(f"{w}.activation_sets", "no quantizer output was checked")
    if not (counts["statuses"] or 0) > 0:
        c.fail(f"{w}.statuses", "no status was checked")


def check_bounds(c, d, kernels, svars):
    """Every ratio above 1 + margin is listed in bound_check.exceeded, and
    nothing else is."""
    w = "json.bound_check"
    b = c.field(d, "bound_check", "json", "dict") or {}
    margin = c.field(b, "margin", w, "num", positive=True)
    c.field(b, "rule", w, "str", nonempty=True)
    if isinstance(margin, (int, float)) and margin > 0.5:
        c.fail(f"{w}.margin", f"{margin} is no noise margin")
    ratios = {}
    for i, k in enumerate(kernels):
        for j, v in enumerate(k.get("variants", [])):
            ratios[f"kernels[{i}].variants[{j}].ratio_to_bound"] = v.get("ratio_to_bound")
    for i, v in enumerate(svars):
        for key in ("ratio_to_bound", "ratio_to_all_threads_bound", "ratio_to_alloc_probe"):
            ratios[f"sweep.variants[{i}].{key}"] = v.get(key)
    n = c.field(b, "ratios_checked", w, "int", nonneg=True)
    if isinstance(n, int) and n != len(ratios):
        c.fail(f"{w}.ratios_checked", f"{n}, the JSON has {len(ratios)} ratios to a bound")
    listed = {}
    for i, e in enumerate(c.field(b, "exceeded", w, "list") or []):
        where = c.field(e, "where", f"{w}.exceeded[{i}]", "str", nonempty=True)
        listed[where] = c.field(e, "ratio", f"{w}.exceeded[{i}]", "num", positive=True)
    if not isinstance(margin, (int, float)):
        return
    for where, v in ratios.items():
        if not isinstance(v, (int, float)):
            continue
        if v > 1 + margin and where not in listed:
            c.fail(f"json.{where}", f"{v} exceeds 1 + {margin} and is not in bound_check.exceeded")
        if where in listed:
            if not v > 1 + margin:
                c.fail(f"{w}.exceeded", f"{where} = {v} is listed but within the margin")
            c.close(listed[where], v, w, f"{where} listed vs its value")
    for where in listed:
        if where not in ratios:
            c.fail(f"{w}.exceeded", f"{where} is not a ratio of this JSON")


# --inject-fault WHAT -> what the bench must say when it stops
FAULTS = {
    "hot": "scalar reference",
    "sweep": "scalar reference",
    "prefill": "scalar reference",
    "quant": "differ from the scalar reference",
    "status-quant": "status",
    "status-drive": "status",
}


def check_faults(c, exe, data, tmp):
    """Each injected fault must end the bench with exit 1, a FAIL line
    naming the check, and no JSON or SVG."""
    kind = data.get("package", {}).get("kind")
    # Only the ISA dispatch selects, to keep the runs short (every entry's
    # checks are counted in the full run's JSON).
    isa = next((v.get("isa") for k in data.get("kernels", []) for v in k.get("variants", [])
                if v.get("selected") and v.get("threads") == 1), None)
    for fault, says in FAULTS.items():
        if fault == "quant" and kind == "block":
            continue  # one block quantizer: nothing to compare it with
        if fault == "status-drive" and not data.get("threads_all", 0) > 1:
            continue  # no multi-thread run on this machine
        jpath, spath = os.path.join(tmp, f"fault-{fault}.json"), os.path.join(tmp, f"fault-{fault}.svg")
        cmd = [exe, "--layers", "1", "--json", jpath, "--svg", spath, "--inject-fault", fault]
        if isa and not data.get("isa_filter"):
            cmd += ["--isa", isa]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            c.fail(f"--inject-fault {fault}", f"could not run: {e}")
            continue
        fail_lines = [ln for ln in run.stderr.splitlines() if "FAIL:" in ln]
        if run.returncode != 1:
            c.fail(f"--inject-fault {fault}", f"exit status {run.returncode}, expected 1\n{run.stderr[-2000:]}")
        elif not fail_lines or says not in fail_lines[-1]:
            c.fail(f"--inject-fault {fault}", f"no FAIL line saying {says!r}:\n{run.stderr[-2000:]}")
        if f"--inject-fault {fault}: applied" not in run.stderr:
            c.fail(f"--inject-fault {fault}", "the bench did not report applying the fault")
        for p in (jpath, spath):
            if os.path.exists(p):
                c.fail(f"--inject-fault {fault}", f"a failed run wrote {p}")


def check_svg(c, path, model):
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        c.fail("svg", f"not well-formed XML: {e}")
        return
    if root.tag != SVG_NS + "svg":
        c.fail("svg", f"root element is {root.tag!r}, not an SVG <svg>")
        return
    for a in ("width", "height", "viewBox"):
        if a not in root.attrib:
            c.fail("svg", f"<svg> has no {a}")
    texts = " ".join("".join(e.itertext()) for e in root.iter(SVG_NS + "text"))
    if not any(True for _ in root.iter(SVG_NS + "rect")):
        c.fail("svg", "no <rect> (bars)")
    if not any(True for _ in root.iter(SVG_NS + "line")):
        c.fail("svg", "no <line> (axes, bounds)")
    if model and model not in texts:
        c.fail("svg", f"the model name {model!r} is not in the text")
    for word in ("GB/s", "ms"):
        if word not in texts:
            c.fail("svg", f"no {word!r} label")


COMPARE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "compare.py")


def check_compare(c, src_path, data, tmp):
    """bench/compare.py over the bench's JSON given twice (two "formats")."""
    jpath, spath = os.path.join(tmp, "formats.json"), os.path.join(tmp, "formats.svg")
    cmd = [sys.executable, COMPARE, "--json", jpath, "--svg", spath, src_path, src_path]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        c.fail("compare", f"could not run {' '.join(cmd)}: {e}")
        return
    if run.returncode != 0:
        c.fail("compare", f"exit status {run.returncode}\n{run.stdout}\n{run.stderr}")
        return
    fmt_name = data.get("package", {}).get("format", "")
    for word in ("best isa", "hot GB/s", "cold ms", "model", jpath, spath):
        if word not in run.stdout:
            c.fail("compare.stdout", f"no {word!r} in the table")
    try:
        with open(jpath, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        c.fail("compare.json", str(e))
        return
    top = "compare.json"
    if d.get("schema") != "bitgen-bench-formats/1":
        c.fail(f"{top}.schema", f"unexpected {d.get('schema')!r}")
    c.field(d, "units", top, "str", nonempty=True)
    c.field(d, "machine", top, "dict")
    c.field(d, "threads_all", top, "int", nonneg=True)
    formats = c.field(d, "formats", top, "list", nonempty=True) or []
    if len(formats) != 2:
        c.fail(f"{top}.formats", f"{len(formats)} entries for 2 inputs")
    src_kernels = {k.get("name"): k for k in data.get("kernels", [])}
    for i, f in enumerate(formats):
        w = f"{top}.formats[{i}]"
        if c.field(f, "format", w, "str", nonempty=True) not in (None, fmt_name):
            c.fail(f"{w}.format", f"{f.get('format')!r}, the bench says {fmt_name!r}")
        for k in ("model", "kind", "quantizer", "source"):
            c.field(f, k, w, "str", nonempty=True)
        c.close(c.field(f, "bits_per_weight", w, "num", positive=True),
                data.get("package", {}).get("bits_per_weight"), w, "bits_per_weight vs the bench's")
        sw = c.field(f, "sweep", w, "dict") or {}
        c.field(sw, "isa", f"{w}.sweep", "str", nonempty=True)
        t1 = c.field(sw, "threads1", f"{w}.sweep", "dict") or {}
        for k in ("ms", "gbs", "bound_ms", "ratio_to_bound"):
            c.field(t1, k, f"{w}.sweep.threads1", "num", positive=True)
        kernels = c.field(f, "kernels", w, "list", nonempty=True) or []
        if len(kernels) != len(src_kernels):
            c.fail(f"{w}.kernels", f"{len(kernels)} entries, the bench has {len(src_kernels)} GEMV kernels")
        for j, k in enumerate(kernels):
            kw = f"{w}.kernels[{j}]"
            for key in ("kernel", "shape", "best_isa"):
                c.field(k, key, kw, "str", nonempty=True)
            for key in ("M", "K", "packed_bytes"):
                c.field(k, key, kw, "int", positive=True)
            c.field(k, "bits_per_weight", kw, "num", positive=True)
            hot = c.field(k, "hot", kw, "dict") or {}
            for key in ("gbs", "us", "us_with_quant", "gops"):
                c.field(hot, key, f"{kw}.hot", "num", positive=True)
            src = src_kernels.get(k.get("kernel"))
            if src is None:
                c.fail(f"{kw}.kernel", f"{k.get('kernel')!r} is not a kernel of the bench")
                continue
            best = max((v.get("gbs", 0) for v in src.get("variants", []) if v.get("threads") == 1), default=None)
            c.close(hot.get("gbs"), best, kw, "hot gbs vs the best 1-thread variant's")
            cold = k.get("cold")
            if cold is not None:
                for key in ("ms", "gbs", "ratio_to_bound"):
                    c.field(cold, key, f"{kw}.cold", "num", nonneg=True)
    check_svg(c, spath, fmt_name)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    exe, extra = argv[1], argv[2:]
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="bitgen-bench-test-") as tmp:
        jpath, spath = os.path.join(tmp, "out.json"), os.path.join(tmp, "out.svg")
        cmd = [exe, "--layers", "1", "--json", jpath, "--svg", spath] + extra
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: could not run {' '.join(cmd)}: {e}")
            return 1
        if run.returncode != 0:
            print(f"FAIL: {' '.join(cmd)} exited with {run.returncode}\n{run.stdout}\n{run.stderr}")
            return 1
        for p in (jpath, spath):
            if p not in run.stdout:
                c.fail("stdout", f"does not print the output path {p}")
        try:
            with open(jpath, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"FAIL: JSON {jpath}: {e}")
            return 1
        check_json(c, data, 1)
        model = data.get("package", {}).get("model") if isinstance(data.get("package"), dict) else None
        check_svg(c, spath, model)
        check_compare(c, jpath, data, tmp)
        check_faults(c, exe, data, tmp)

        # A variant name the package lacks is refused before any measurement.
        bad = subprocess.run([exe, "--isa", "no-such-isa", "--json", jpath, "--svg", spath],
                             capture_output=True, text=True, timeout=120)
        if bad.returncode != 2:
            c.fail("--isa no-such-isa", f"exit status {bad.returncode}, expected 2")

    if c.failures:
        print(f"FAIL: {len(c.failures)} problem(s) in the bench output:")
        for f in c.failures:
            print("  " + f)
        return 1
    nk = len(data.get("kernels", []))
    nv = sum(len(k.get("variants", [])) for k in data.get("kernels", []))
    print(f"ok: bitgen-bench JSON ({nk} kernels, {nv} hot entries, "
          f"{len(data.get('sweep', {}).get('variants', []))} sweeps) and SVG are complete")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
