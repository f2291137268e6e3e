/* bitgen-bench: derived figures, terminal table, JSON and SVG writers.
 * Everything here is hand-written: no JSON or SVG library. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- instruction bound: the kernels' stated budgets -------------------------------------
 * Not measured: the generator states, per variant, the vector ALU operations
 * and all instructions of its inner loop per 32 bytes of packed weights
 * (gen/formats.lua costs, counted from the generated code at the default
 * tile) and the ALU operations per cycle it assumes for the ISA.  The bound is
 * 32 x that rate / the ALU count, in bytes per cycle; the bench measures bytes
 * per cycle with the clock it estimates, so the two can be compared. */
#ifdef BITGEN_VARIANT_HAS_COST
#define STATED_ALU(v) ((double)(v)->alu32)
#define STATED_INSTR(v) ((double)(v)->instr32)
#define STATED_RATE(v) ((unsigned)(v)->alu_per_cycle)
#else /* a package from before the budgets: none stated */
#define STATED_ALU(v) ((void)(v), 0.0)
#define STATED_INSTR(v) ((void)(v), 0.0)
#define STATED_RATE(v) ((void)(v), 0u)
#endif
static double stated_alu32(const bitgen_variant *v) {
  return STATED_ALU(v) > 0 && STATED_RATE(v) > 0 ? STATED_ALU(v) : 0;
}
static double stated_instr32(const bitgen_variant *v) { return STATED_INSTR(v); }
static unsigned stated_per_cycle(const bitgen_variant *v) { return STATED_RATE(v); }
static double stated_bound_bpc(const bitgen_variant *v) {
  const double alu = stated_alu32(v);
  return alu > 0 ? 32.0 * stated_per_cycle(v) / alu : 0;
}

/* Packed bits per weight of one layer's matrices (padding included). */
double bench_bits_per_weight(const bench_results *r) {
  double bytes = 0, weights = 0;
  for (size_t j = 0; j < r->pkg->nmatrices; j++) {
    const bench_kernel *bk = &r->kernels[r->matrix_kernel[j]];
    bytes += (double)bk->packed_bytes;
    weights += (double)bk->k->M * (double)bk->k->K;
  }
  return weights > 0 ? 8.0 * bytes / weights : 0;
}

/* ---- derived figures -------------------------------------------------------------------- */
static const bench_quant *find_quant(const bench_results *r, size_t K, const char *fn) {
  for (int i = 0; i < r->nquant; i++)
    if (r->quant[i].K == K && strcmp(r->quant[i].fn, fn) == 0) return &r->quant[i];
  return NULL;
}

/* The 1-thread cold sweep of an ISA, or NULL. */
static const bench_sweep_isa *sweep_isa(const bench_results *r, const char *isa) {
  for (int i = 0; i < r->sweep.nisa; i++)
    if (r->sweep.isa[i].threads == 1 && strcmp(r->sweep.isa[i].isa, isa) == 0) return &r->sweep.isa[i];
  return NULL;
}

static void note_ratio(bench_results *r, const char *where, double ratio) {
  r->nratios++;
  if (!(ratio > 1.0 + BENCH_BOUND_MARGIN) || r->nover >= BENCH_MAX_OVER) return;
  bench_over *o = &r->over[r->nover++];
  snprintf(o->where, sizeof o->where, "%s", where);
  o->ratio = ratio;
}

void bench_derive(bench_results *r) {
  const double ghz = r->clock.ghz;
  const bench_machine *m = &r->machine;
  for (int k = 0; k < r->nkernels; k++) {
    bench_kernel *bk = &r->kernels[k];
    /* Where the hot matrix lives: leave room for activations, output and
     * (for the LLC) the other cores' share. */
    if ((double)bk->packed_bytes <= 0.8 * (double)m->l2) {
      bk->residency = "L2";
      bk->bound = &r->probe.l2;
    } else if ((double)bk->packed_bytes <= 0.5 * (double)m->llc) {
      bk->residency = "LLC";
      bk->bound = &r->probe.llc;
    } else {
      bk->residency = "DRAM";
      bk->bound = &r->probe.stream_1t;
    }
    for (int i = 0; i < bk->nhot; i++) {
      bench_hot *h = &bk->hot[i];
      const double t = h->ns.median, tq = h->ns_quant.median;
      h->gbs = t > 0 ? (double)bk->packed_bytes / t : 0;
      h->gops = t > 0 ? bk->ops_per_call / t : 0;
      h->gbs_quant = tq > 0 ? (double)bk->packed_bytes / tq : 0;
      h->gops_quant = tq > 0 ? bk->ops_per_call / tq : 0;
      h->quant_share = tq > 0 && tq > t ? (tq - t) / tq : 0;
      /* per cycle of one core: with n threads, per cycle of all n */
      h->bytes_per_cycle = ghz > 0 ? h->gbs / ghz / h->threads : 0;
      h->ops_per_cycle = ghz > 0 ? h->gops / ghz / h->threads : 0;
      /* A bound is the rate the machine reached: noise only slows a read
       * loop down, so the probe's p90 (not its median; not its max, which
       * may be a timer outlier). */
      if (h->threads == 1) {
        h->bound_gbs = bk->bound->gbs.p90;
        h->bound_how = bk->bound->key;
      } else if (bk->bound == &r->probe.stream_1t) {
        h->bound_gbs = r->probe.stream_all.gbs.p90;
        h->bound_how = "stream_all";
      } else {
        /* No multi-thread cache probe: ASSUME each thread gets the
         * 1-thread rate of that level (private L2s; LLC slices per core). */
        h->bound_gbs = bk->bound->gbs.p90 * h->threads;
        h->bound_how = bk->bound == &r->probe.l2 ? "l2 x threads (assumed)" : "llc x threads (assumed)";
      }
      h->ratio_to_bound = h->bound_gbs > 0 ? h->gbs / h->bound_gbs : 0;
    }
  }

  bench_sweep *sw = &r->sweep;
  sw->bound_gbs = sw->bound_gbs_stat.n > 0 ? sw->bound_gbs_stat.median : r->probe.stream_1t.gbs.median;
  sw->bound_ms = sw->bound_gbs > 0 ? (double)sw->bytes / sw->bound_gbs / 1e6 : 0;
  const double all = r->probe.stream_all.gbs.p90; /* p90: see the hot bounds above */
  sw->bound_ms_all_threads = all > 0 ? (double)sw->bytes / all / 1e6 : 0;
  const double alloc = sw->alloc_gbs_stat.n > 0 ? sw->alloc_gbs_stat.median : r->probe.stream_1t_alloc.gbs.median;
  sw->bound_ms_alloc = alloc > 0 ? (double)sw->bytes / alloc / 1e6 : 0;
  sw->quant_ms_upper = 0;
  for (size_t j = 0; j < r->pkg->nmatrices; j++) {
    const bench_quant *q = find_quant(r, r->kernels[r->matrix_kernel[j]].k->K, r->quant_fn);
    if (q) sw->quant_ms_upper += q->ns.median * (double)sw->layers / 1e6;
  }
  for (int i = 0; i < sw->nisa; i++) {
    bench_sweep_isa *si = &sw->isa[i];
    si->bound_gbs = si->probe_gbs.median;
    si->bound_ms = si->bound_gbs > 0 ? (double)sw->bytes / si->bound_gbs / 1e6 : 0;
    si->gbs = si->ms.median > 0 ? (double)sw->bytes / (si->ms.median * 1e6) : 0;
    si->ratio_to_bound = si->ratio.median; /* median of the paired ratios */
    si->ratio_to_all_threads = si->ms.median > 0 ? sw->bound_ms_all_threads / si->ms.median : 0;
    si->ratio_to_alloc_probe = si->threads == 1 ? si->alloc_ratio.median : 0; /* paired, like ratio */
    si->meets_target = si->ratio_to_bound >= BENCH_SWEEP_TARGET_RATIO;
    for (int k = 0; k < r->nkernels; k++) {
      bench_sweep_kernel *pk = &si->per_kernel[k];
      pk->gbs = pk->ms.median > 0 ? (double)pk->bytes / (pk->ms.median * 1e6) : 0;
    }
  }

  /* One instruction-bound entry per ISA that was measured hot (per-core
   * figures: 1-thread entries only). */
  int cap = 0;
  for (int k = 0; k < r->nkernels; k++) cap += r->kernels[k].nhot;
  r->models = calloc((size_t)(cap > 0 ? cap : 1), sizeof(bench_isa_model));
  r->nmodels = 0;
  if (r->models == NULL) return;
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      const bench_hot *h = &r->kernels[k].hot[i];
      if (h->threads != 1) continue;
      bench_isa_model *md = NULL;
      for (int j = 0; j < r->nmodels; j++)
        if (strcmp(r->models[j].isa, h->v->isa) == 0) md = &r->models[j];
      if (md == NULL) {
        md = &r->models[r->nmodels++];
        md->isa = h->v->isa;
      }
      /* the ISA's bound: the stated budget of its best-measured variant that has one */
      const double bpc = stated_bound_bpc(h->v);
      if (bpc > 0 && h->bytes_per_cycle > md->stated_measured_bpc) {
        md->stated_measured_bpc = h->bytes_per_cycle;
        md->assumed_bytes_per_cycle = bpc;
        md->assumed_ops_per_cycle = h->bytes_per_cycle > 0 ? bpc * h->ops_per_cycle / h->bytes_per_cycle : 0;
        snprintf(md->textbuf, sizeof md->textbuf,
                 "MEASURED: hot bytes/cycle and ops/cycle, with the clock from a dependent-add loop. "
                 "STATED by the generator (gen/formats.lua costs, counted from the generated code at the "
                 "default tile) for %s: %.1f vector ALU operations and %.1f instructions per 32 bytes of "
                 "packed weights. ASSUMED: %u vector ALU operations per cycle, loads not limiting; so "
                 "32 x %u / %.1f = %.2f B/cycle.",
                 h->v->name, stated_alu32(h->v), stated_instr32(h->v), stated_per_cycle(h->v),
                 stated_per_cycle(h->v), stated_alu32(h->v), bpc);
        md->text = md->textbuf;
      }
      if (md->text == NULL)
        md->text = "NOT MODELLED: the generator states no instruction budget for this ISA's variants of this "
                   "format (or a tuned tile); only measured figures are given, and the limit is the streaming "
                   "bound alone.";
      if (h->bytes_per_cycle > md->measured_bytes_per_cycle) md->measured_bytes_per_cycle = h->bytes_per_cycle;
      if (h->ops_per_cycle > md->measured_ops_per_cycle) md->measured_ops_per_cycle = h->ops_per_cycle;
    }
  for (int j = 0; j < r->nmodels; j++) {
    bench_isa_model *md = &r->models[j];
    const double instr = md->assumed_bytes_per_cycle * ghz;
    md->model_limit_gbs = sw->bound_gbs;
    if (instr > 0 && instr < md->model_limit_gbs) md->model_limit_gbs = instr;
  }

  /* Every ratio to a bound is compared with 1 + BENCH_BOUND_MARGIN; those
   * above are listed by their JSON path, never hidden. */
  r->nratios = r->nover = 0;
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      char where[96];
      snprintf(where, sizeof where, "kernels[%d].variants[%d].ratio_to_bound", k, i);
      note_ratio(r, where, r->kernels[k].hot[i].ratio_to_bound);
    }
  for (int i = 0; i < sw->nisa; i++) {
    static const char *const keys[3] = {"ratio_to_bound", "ratio_to_all_threads_bound", "ratio_to_alloc_probe"};
    const double v[3] = {sw->isa[i].ratio_to_bound, sw->isa[i].ratio_to_all_threads, sw->isa[i].ratio_to_alloc_probe};
    for (int q = 0; q < 3; q++) {
      char where[96];
      snprintf(where, sizeof where, "sweep.variants[%d].%s", i, keys[q]);
      note_ratio(r, where, v[q]);
    }
  }
}

/* ---- terminal table --------------------------------------------------------------------- */
static const char *human_bytes(size_t b, char *buf, size_t size) {
  if (b >= ((size_t)1 << 30) && b % ((size_t)1 << 30) == 0) snprintf(buf, size, "%zu GiB", b >> 30);
  else if (b >= ((size_t)1 << 20) && b % ((size_t)1 << 20) == 0) snprintf(buf, size, "%zu MiB", b >> 20);
  else if (b >= 1024 && b % 1024 == 0) snprintf(buf, size, "%zu KiB", b >> 10);
  else if (b >= 1000000) snprintf(buf, size, "%.2f MB", b / 1e6);
  else if (b >= 1000) snprintf(buf, size, "%.1f kB", b / 1e3);
  else snprintf(buf, size, "%zu B", b);
  return buf;
}

static void rule(FILE *f) {
  fputs("----------------------------------------------------------------------------------------"
        "----------------------------------------\n", f);
}

void bench_print_table(FILE *f, const bench_results *r) {
  const bench_machine *m = &r->machine;
  const bench_sweep *sw = &r->sweep;
  const double ghz = r->clock.ghz;
  char b1[32], b2[32], b3[32];
  fprintf(f, "\nbitgen-bench (%s): model %s, format %s (%s, %.3f bits per weight packed), pack tile %zu rows, "
             "%d GEMV kernels\n",
          r->full ? "full" : "quick", r->pkg->model, r->pkg->format, r->kind, bench_bits_per_weight(r), r->pkg->prows,
          r->nkernels);
  rule(f);
  fprintf(f, "cpu     %s, %d logical CPUs; %s\n", m->cpu_model, m->ncpu, m->features_str);
  fprintf(f, "caches  L1d %s, L2 %s, LLC %s shared by %d CPU%s (%s)\n", human_bytes(m->l1d, b1, sizeof b1),
          human_bytes(m->l2, b2, sizeof b2), human_bytes(m->llc, b3, sizeof b3), m->llc_shared_cpus,
          m->llc_shared_cpus == 1 ? "" : "s", m->cache_source);
  if (ghz > 0)
    fprintf(f, "clock   %.2f GHz measured (highest of %d dependent-add runs; medians %.2f at start, %.2f at end); "
               "/proc/cpuinfo says %.0f MHz\n",
            ghz, r->clock.samples, r->clock.ghz_median_start, r->clock.ghz_median_end, m->cpuinfo_mhz);
  else
    fprintf(f, "clock   not measured (%s); per-cycle figures are 0\n", r->clock.method);
  fprintf(f, "build   %s; %s\n", m->compiler, m->cflags);
  fprintf(f, "os      %s; transparent huge pages: %s; %s\n", m->os, m->thp, m->timestamp);
  fprintf(f, "threads %s\n", r->threading);
  if (m->steal_percent >= 0)
    fprintf(f, "noise   during the run: other processes %.1f%% of one CPU, hypervisor steal %.2f%% of all CPU time; "
               "load average at start %.2f\n",
            m->others_cpu_percent, m->steal_percent, m->loadavg_start);
  if (m->busy[0])
    fprintf(f, "WARNING the machine looked busy (%s): figures are disturbed, run again when it is idle\n", m->busy);
  for (int i = 0; i < r->nnot_benched; i++)
    fprintf(f, "skip    %s: %s\n", r->not_benched[i].name, r->not_benched[i].reason);

  /* probes */
  fprintf(f, "\nBandwidth probe: read, GB/s = 1e9 bytes/s (%s loads)\n", r->probe.load);
  fprintf(f, "  %-46s %10s %4s %9s %9s %9s %13s %8s\n", "probe", "buffer", "thr", "median", "min", "max",
          "p10-p90", "B/cycle");
  const bench_probe *pr[5] = {&r->probe.l2, &r->probe.llc, &r->probe.stream_1t, &r->probe.stream_all,
                              &r->probe.stream_1t_alloc};
  for (int i = 0; i < 5; i++) {
    char spread[32];
    snprintf(spread, sizeof spread, "%.1f-%.1f", pr[i]->gbs.p10, pr[i]->gbs.p90);
    fprintf(f, "  %-46s %10s %4d %9.2f %9.2f %9.2f %13s %8.2f\n", pr[i]->what,
            human_bytes(pr[i]->bytes, b1, sizeof b1), pr[i]->threads, pr[i]->gbs.median, pr[i]->gbs.min,
            pr[i]->gbs.max, spread, ghz > 0 ? pr[i]->gbs.median / ghz : 0);
  }
  fprintf(f, "  (DRAM rows 1-2: 2 MiB pages requested, %.1f of %.1f MB granted, THP mode %s; the last row reads\n"
             "   bitgen_alloc memory like the default sweep, %.1f MB of it in huge pages)\n",
          r->probe.huge_bytes / 1e6, r->probe.stream_1t.bytes / 1e6, m->thp, r->probe.alloc_huge_bytes / 1e6);

  /* quantizer */
  fprintf(f, "\nActivation quantization, one token (f32 -> int8; the format's: %s%s)\n", r->quant_fn,
          strcmp(r->kind, "i2s") == 0 ? ", absmax scale and sum" : strcmp(r->kind, "tl") == 0
              ? ", then the lookup tables" : ", per block scale and 16-element sums");
  fprintf(f, "  %-6s %-24s %11s %21s %9s %14s\n", "K", "function", "ns median", "[min .. max]", "ns/elem",
          "GB/s (f32 in)");
  for (int i = 0; i < r->nquant; i++) {
    const bench_quant *q = &r->quant[i];
    char mm[48];
    snprintf(mm, sizeof mm, "[%.0f .. %.0f]", q->ns.min, q->ns.max);
    fprintf(f, "  %-6zu %-24s %11.1f %21s %9.3f %14.2f\n", q->K, q->fn, q->ns.median, mm,
            q->ns.median / (double)q->K, q->ns.median > 0 ? 4.0 * (double)q->K / q->ns.median : 0);
  }

  /* hot */
  fprintf(f, "\nHot GEMV: the same matrix every call (cache-resident); * = selected by dispatch; "
             "B/cyc and op/cyc per core\n");
  fprintf(f, "  %-20s %-12s %3s %9s %4s %9s %19s %9s %7s %7s %6s %6s %15s %5s\n", "kernel", "isa", "thr",
          "packed", "fits", "us/call", "[p10 .. p90]", "+quant us", "GB/s", "Gop/s", "B/cyc", "op/cyc",
          "bound GB/s", "ratio");
  for (int k = 0; k < r->nkernels; k++) {
    const bench_kernel *bk = &r->kernels[k];
    for (int i = 0; i < bk->nhot; i++) {
      const bench_hot *h = &bk->hot[i];
      char isa[40], spread[48], bound[40];
      snprintf(isa, sizeof isa, "%s%s", h->v->isa, h->selected ? "*" : "");
      snprintf(spread, sizeof spread, "[%.1f .. %.1f]", h->ns.p10 / 1e3, h->ns.p90 / 1e3);
      snprintf(bound, sizeof bound, "%.1f %s%s", h->bound_gbs, bk->residency, h->threads > 1 ? "xT" : "");
      if (h->threads > 1 && bk->bound == &r->probe.stream_1t) snprintf(bound, sizeof bound, "%.1f all", h->bound_gbs);
      fprintf(f, "  %-20s %-12s %3d %9s %4s %9.1f %19s %9.1f %7.2f %7.1f %6.2f %6.1f %15s %5.2f%s\n",
              i == 0 ? bk->k->name : "", isa, h->threads, human_bytes(bk->packed_bytes, b1, sizeof b1),
              bk->residency, h->ns.median / 1e3, spread, h->ns_quant.median / 1e3, h->gbs, h->gops,
              h->bytes_per_cycle, h->ops_per_cycle, bound, h->ratio_to_bound,
              h->output_matches ? "" : "  OUTPUT MISMATCH");
    }
    for (int i = 0; i < bk->nskip; i++)
      fprintf(f, "  %-20s %-12s skipped: %s\n", bk->nhot == 0 && i == 0 ? bk->k->name : "", bk->skip[i].isa,
              bk->skip[i].reason);
  }
  if (r->threads_all > 1)
    fprintf(f, "  (bound for %d threads: the level's 1-thread probe x %d, an ASSUMPTION; DRAM: the all-threads probe)\n",
            r->threads_all, r->threads_all);
  fprintf(f, "  (bound GB/s: the probe's p90: noise only slows a read loop down)\n");

  /* sweep */
  fprintf(f, "\nCold model sweep: %zu layers x %zu matrices = %zu GEMV per token, %.1f MB packed, distinct buffers\n",
          sw->layers, sw->matrices, sw->gemv, sw->bytes / 1e6);
  fprintf(f, "  buffers: %s; %.1f of %.1f MB in huge pages\n",
          sw->hugepages ? "one arena with 2 MiB pages requested (--hugepages)" : "one bitgen_alloc per matrix",
          sw->huge_bytes / 1e6, sw->bytes / 1e6);
  fprintf(f, "  bound (1 thread): %.1f MB / %.2f GB/s = %.3f ms: just before each sweep, %d streaming-read passes over\n"
             "    the sweep's own buffers with its threads (all cores: the same pool, buffers cut as the driver cuts\n"
             "    a GEMV), their median; 1-thread sweeps: median of %d, p10-p90 %.2f-%.2f GB/s (stream_1t probe %.2f)\n",
          sw->bytes / 1e6, sw->bound_gbs, sw->bound_ms, BENCH_BOUND_PASSES, sw->bound_gbs_stat.n,
          sw->bound_gbs_stat.p10, sw->bound_gbs_stat.p90, r->probe.stream_1t.gbs.median);
  fprintf(f, "  ratio = per sweep, (bytes / GB/s of its passes) / sweep time; median and p10-p90 over the sweeps\n");
  fprintf(f, "  %-12s %3s %10s %21s %4s %8s %10s %10s %8s %15s %8s\n", "isa", "thr", "ms/token", "[min .. max]",
          "n", "GB/s", "pass GB/s", "bound ms", "ratio", "[p10 .. p90]", ">= 0.90");
  for (int i = 0; i < sw->nisa; i++) {
    const bench_sweep_isa *si = &sw->isa[i];
    char isa[40], mm[48], rr[48];
    snprintf(isa, sizeof isa, "%s%s", si->isa, si->selected ? "*" : "");
    snprintf(mm, sizeof mm, "[%.3f .. %.3f]", si->ms.min, si->ms.max);
    snprintf(rr, sizeof rr, "[%.3f .. %.3f]", si->ratio.p10, si->ratio.p90);
    fprintf(f, "  %-12s %3d %10.3f %21s %4d %8.2f %10.2f %10.3f %8.3f %15s %8s\n", isa, si->threads, si->ms.median,
            mm, si->samples, si->gbs, si->bound_gbs, si->bound_ms, si->ratio_to_bound, rr,
            si->meets_target ? "met" : "NOT met");
  }
  if (sw->nisa > 0) {
    fprintf(f, "  GB/s per kernel inside the sweep (hot GB/s with as many threads in parentheses):\n");
    fprintf(f, "  %-12s %3s", "isa", "thr");
    for (int k = 0; k < r->nkernels; k++) fprintf(f, " %22s", r->kernels[k].k->name);
    fputc('\n', f);
    for (int i = 0; i < sw->nisa; i++) {
      const bench_sweep_isa *si = &sw->isa[i];
      fprintf(f, "  %-12s %3d", si->isa, si->threads);
      for (int k = 0; k < r->nkernels; k++) {
        double hot = 0;
        for (int j = 0; j < r->kernels[k].nhot; j++) {
          const bench_hot *h = &r->kernels[k].hot[j];
          if (strcmp(h->v->isa, si->isa) == 0 && h->threads == si->threads) hot = h->gbs;
        }
        char cell[48];
        snprintf(cell, sizeof cell, "%.2f (%.2f)", si->per_kernel[k].gbs, hot);
        fprintf(f, " %22s", cell);
      }
      fputc('\n', f);
    }
  }
  fprintf(f, "  against 1-thread passes over a bitgen_alloc buffer (%.1f of %.1f MB in huge pages), also paired:\n",
          sw->alloc_pass_huge_bytes / 1e6, r->probe.stream_1t.bytes / 1e6);
  for (int i = 0; i < sw->nisa; i++)
    if (sw->isa[i].threads == 1)
      fprintf(f, "  %-12s   pass %.2f GB/s (%.3f ms): ratio %.3f [%.3f .. %.3f]\n", sw->isa[i].isa,
              sw->isa[i].alloc_gbs.median, sw->isa[i].alloc_gbs.median > 0 ? sw->bytes / sw->isa[i].alloc_gbs.median / 1e6 : 0,
              sw->isa[i].ratio_to_alloc_probe, sw->isa[i].alloc_ratio.p10, sw->isa[i].alloc_ratio.p90);
  fprintf(f, "  setup %.2f s; quantizing every GEMV input would add at most %.3f ms per token\n", sw->setup_s,
          sw->quant_ms_upper);

  /* instruction bound */
  fprintf(f, "\nInstruction bound per ISA, one core (ASSUMED throughput, see JSON instruction_bound[].text) vs measured\n");
  fprintf(f, "  %-12s %15s %15s %19s %17s %16s\n", "isa", "assumed B/cyc", "assumed op/cyc", "best hot B/cyc",
          "best hot op/cyc", "limit GB/s");
  for (int j = 0; j < r->nmodels; j++) {
    const bench_isa_model *md = &r->models[j];
    fprintf(f, "  %-12s %15.2f %15.1f %19.2f %17.1f %16.2f\n", md->isa, md->assumed_bytes_per_cycle,
            md->assumed_ops_per_cycle, md->measured_bytes_per_cycle, md->measured_ops_per_cycle,
            md->model_limit_gbs);
  }
  fprintf(f, "  limit = min(assumed B/cycle x measured clock, 1-thread streaming bound); 0 assumed = not modelled\n");

  /* per kernel: the stated budget against the measured bytes per cycle */
  int nbudget = 0;
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      const bench_hot *h = &r->kernels[k].hot[i];
      if (h->threads != 1 || stated_alu32(h->v) <= 0) continue;
      if (nbudget++ == 0) {
        fprintf(f, "\nInstruction budget per kernel, 1 thread hot (STATED per 32 B of weights by the generator; "
                   "bound = 32 x ALU ops per cycle / ALU ops)\n");
        fprintf(f, "  %-22s %-12s %8s %10s %8s %12s %14s %7s\n", "kernel", "isa", "ALU/32B", "instr/32B",
                "ALU/cyc", "bound B/cyc", "measured B/cyc", "ratio");
      }
      const double b = stated_bound_bpc(h->v);
      fprintf(f, "  %-22s %-12s %8.1f %10.1f %8u %12.2f %14.2f %7.2f\n", r->kernels[k].k->name, h->v->isa,
              stated_alu32(h->v), stated_instr32(h->v), stated_per_cycle(h->v), b, h->bytes_per_cycle,
              b > 0 ? h->bytes_per_cycle / b : 0);
    }

  /* targets */
  fprintf(f, "\nTargets\n");
  for (int i = 0; i < sw->nisa; i++)
    fprintf(f, "  cold sweep / streaming bound >= %.2f   %-12s %d thr  %.3f  %s\n", BENCH_SWEEP_TARGET_RATIO,
            sw->isa[i].isa, sw->isa[i].threads, sw->isa[i].ratio_to_bound,
            sw->isa[i].meets_target ? "met" : "NOT met");
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      const bench_hot *h = &r->kernels[k].hot[i];
      if (!h->selected || h->threads != 1) continue;
      fprintf(f, "  hot GEMV GB/s (selected, 1 thread)    %-22s %-11s %.2f GB/s = %.2f of %s bound\n",
              r->kernels[k].k->name, h->v->isa, h->gbs, h->ratio_to_bound, r->kernels[k].residency);
    }
  for (int i = 0; i < r->nquant; i++)
    if (r->quant[i].K == 2560)
      fprintf(f, "  quantization time K=2560               %-22s %.1f ns\n", r->quant[i].fn, r->quant[i].ns.median);
  fprintf(f, "\nChecked against the scalar reference before and after timing, bit for bit (a mismatch or a\n"
             "non-zero status would have ended the run): %ld activation sets, %ld hot outputs, %ld sweep outputs,\n"
             "%ld prefill outputs; %ld statuses\n",
          r->checks.quant, r->checks.hot, r->checks.sweep, r->checks.prefill, r->checks.statuses);
  fprintf(f, "Bounds: %d ratios compared with 1 + %.2f (timing noise): %d above\n", r->nratios, BENCH_BOUND_MARGIN,
          r->nover);
  for (int i = 0; i < r->nover; i++)
    fprintf(f, "WARNING %s = %.3f exceeds its bound by more than the noise margin: that bound did not bound "
               "this run (a busy machine, or a cache level the bound does not model)\n",
            r->over[i].where, r->over[i].ratio);
  fprintf(f, "\nwall time %.1f s\n", r->wall_s);
  if (r->nprefill > 0) {
    fprintf(f, "\nPrefill (GEMM, general kernel), N = %zu tokens; * = selected by dispatch; op = 2*M*K*N\n",
            r->prefill[0].N);
    fprintf(f, "  %-22s %-12s %3s %10s %22s %9s %12s %8s %8s %12s\n", "kernel", "isa", "thr", "ms", "[min .. max]",
            "Gop/s", "op/cyc/core", ">= 250", "ALU/32B", "bound op/cyc");
    /* stated budget per 32 B of weights and token -> op/cycle: 2 ops per weight */
    const double bits = bench_bits_per_weight(r);
    for (int i = 0; i < r->nprefill; i++) {
      const bench_prefill *p = &r->prefill[i];
      char isa[40], alu[16] = "-", bound[16] = "-";
      snprintf(isa, sizeof isa, "%s%s", p->v->isa, p->selected ? "*" : "");
      if (stated_alu32(p->v) > 0 && bits > 0) {
        snprintf(alu, sizeof alu, "%.2f", stated_alu32(p->v));
        snprintf(bound, sizeof bound, "%.1f", stated_bound_bpc(p->v) * 16.0 / bits);
      }
      fprintf(f, "  %-22s %-12s %3d %10.3f [%8.3f .. %8.3f] %9.1f %12.1f %8s %8s %12s\n", p->k->name, isa,
              p->threads, p->ms.median, p->ms.min, p->ms.max, p->gops, p->ops_per_cycle,
              p->threads == 1 ? (p->gops >= BENCH_PREFILL_TARGET_GOPS ? "met" : "NOT met") : "", alu, bound);
    }
    fprintf(f, "  (ALU/32B: the generator's stated vector ALU operations per 32 B of weights and token; bound: at "
               "the ISA's assumed ALU operations per cycle, %.2f bits per weight)\n", bits);
  }
}

/* ---- JSON ------------------------------------------------------------------------------------ */
typedef struct {
  FILE *f;
  int depth;
  int first[64];
} jw;

static void jw_indent(jw *j) {
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

static void jw_string_raw(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    default:
      if (*p < 0x20) fprintf(f, "\\u%04x", *p);
      else fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* Starts a member (key != NULL, inside an object) or an element. */
static void jw_item(jw *j, const char *key) {
  if (!j->first[j->depth]) fputc(',', j->f);
  j->first[j->depth] = 0;
  jw_indent(j);
  if (key) {
    jw_string_raw(j->f, key);
    fputs(": ", j->f);
  }
}

static void jw_open(jw *j, const char *key, char c) {
  if (j->depth > 0 || key) jw_item(j, key);
  fputc(c, j->f);
  j->depth++;
  j->first[j->depth] = 1;
}
static void jw_close(jw *j, char c) {
  const int empty = j->first[j->depth];
  j->depth--;
  if (!empty) jw_indent(j);
  fputc(c, j->f);
}
#define jw_obj(j, key) jw_open(j, key, '{')
#define jw_end(j) jw_close(j, '}')
#define jw_arr(j, key) jw_open(j, key, '[')
#define jw_end_arr(j) jw_close(j, ']')

static void jw_num(jw *j, const char *key, double v) {
  jw_item(j, key);
  if (isfinite(v)) fprintf(j->f, "%.6g", v);
  else fputs("null", j->f);
}
static void jw_int(jw *j, const char *key, long long v) {
  jw_item(j, key);
  fprintf(j->f, "%lld", v);
}
static void jw_str(jw *j, const char *key, const char *s) {
  jw_item(j, key);
  jw_string_raw(j->f, s);
}
static void jw_bool(jw *j, const char *key, int v) {
  jw_item(j, key);
  fputs(v ? "true" : "false", j->f);
}
static void jw_stat(jw *j, const char *key, bench_stat s) {
  jw_obj(j, key);
  jw_num(j, "median", s.median);
  jw_num(j, "min", s.min);
  jw_num(j, "max", s.max);
  jw_num(j, "p10", s.p10);
  jw_num(j, "p90", s.p90);
  jw_num(j, "mean", s.mean);
  jw_int(j, "n", s.n);
  jw_end(j);
}

static void jw_probe(jw *j, const bench_probe *p, double ghz) {
  jw_obj(j, p->key);
  jw_str(j, "what", p->what);
  jw_int(j, "bytes", (long long)p->bytes);
  jw_int(j, "threads", p->threads);
  jw_int(j, "passes_per_sample", p->passes);
  jw_int(j, "samples", p->samples);
  jw_stat(j, "gbs", p->gbs);
  jw_num(j, "bytes_per_cycle", ghz > 0 ? p->gbs.median / ghz : 0);
  jw_end(j);
}

int bench_write_json(const char *path, const bench_results *r) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return -1;
  jw jj, *j = &jj;
  memset(j, 0, sizeof jj);
  j->f = f;
  const bench_machine *m = &r->machine;
  const double ghz = r->clock.ghz;

  jw_obj(j, NULL);
  jw_str(j, "schema", BENCH_SCHEMA);
  jw_str(j, "tool", "bitgen-bench");
  jw_str(j, "mode", r->full ? "full" : "quick");
  jw_str(j, "timestamp", m->timestamp);
  jw_num(j, "wall_seconds", r->wall_s);
  jw_int(j, "threads", r->threads);
  jw_int(j, "threads_all", r->threads_all);
  jw_str(j, "threading", r->threading);
  jw_str(j, "isa_filter", r->isa_filter ? r->isa_filter : "");
  jw_str(j, "units", "ns per call; GB/s = 1e9 bytes/s of packed weights; Gop/s = 2*M*K per call / 1e9; "
                     "ms per sweep; ratio_to_bound = bound time / measured time (1 = at the bound)");

  jw_obj(j, "package");
  jw_str(j, "model", r->pkg->model);
  jw_str(j, "format", r->pkg->format);
  jw_str(j, "kind", r->kind);
  jw_str(j, "quantizer", r->quant_fn);
  jw_num(j, "bits_per_weight", bench_bits_per_weight(r));
  jw_str(j, "prefix", r->prefix);
  jw_str(j, "header", r->header);
  jw_int(j, "prows", (long long)r->pkg->prows);
  jw_int(j, "layers", (long long)r->pkg->layers);
  jw_int(j, "nkernels", (long long)r->pkg->nkernels);
  jw_int(j, "gemv_kernels", r->nkernels);
  jw_arr(j, "matrices");
  for (size_t i = 0; i < r->pkg->nmatrices; i++) {
    jw_obj(j, NULL);
    jw_str(j, "name", r->pkg->matrices[i].name);
    jw_str(j, "kernel", r->kernels[r->matrix_kernel[i]].k->name);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_arr(j, "kernels_not_benchmarked");
  for (int i = 0; i < r->nnot_benched; i++) {
    jw_obj(j, NULL);
    jw_str(j, "name", r->not_benched[i].name);
    jw_str(j, "op", r->not_benched[i].isa);
    jw_str(j, "reason", r->not_benched[i].reason);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_end(j);

  jw_obj(j, "machine");
  jw_str(j, "cpu_model", m->cpu_model);
  jw_int(j, "logical_cpus", m->ncpu);
  jw_str(j, "features", m->features_str);
  jw_str(j, "cpu_flags", m->cpu_flags);
  jw_num(j, "cpuinfo_mhz", m->cpuinfo_mhz);
  jw_arr(j, "caches");
  for (int i = 0; i < m->ncaches; i++) {
    jw_obj(j, NULL);
    jw_int(j, "level", m->caches[i].level);
    jw_str(j, "type", m->caches[i].type);
    jw_int(j, "size_bytes", (long long)m->caches[i].size);
    jw_str(j, "shared_cpu_list", m->caches[i].shared);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_int(j, "l1d_bytes", (long long)m->l1d);
  jw_int(j, "l2_bytes", (long long)m->l2);
  jw_int(j, "llc_bytes", (long long)m->llc);
  jw_int(j, "llc_shared_cpus", m->llc_shared_cpus);
  jw_str(j, "cache_source", m->cache_source);
  jw_str(j, "compiler", m->compiler);
  jw_str(j, "cflags", m->cflags);
  jw_str(j, "os", m->os);
  jw_str(j, "transparent_hugepages", m->thp);
  jw_num(j, "steal_percent", m->steal_percent);
  jw_num(j, "loadavg_start", m->loadavg_start);
  jw_num(j, "others_cpu_percent", m->others_cpu_percent);
  jw_str(j, "busy_warning", m->busy);
  jw_end(j);

  jw_obj(j, "clock");
  jw_str(j, "method", r->clock.method);
  jw_num(j, "ghz", ghz);
  jw_num(j, "ghz_median_start", r->clock.ghz_median_start);
  jw_num(j, "ghz_median_end", r->clock.ghz_median_end);
  jw_int(j, "samples", r->clock.samples);
  jw_int(j, "adds_per_sample", r->clock.adds_per_sample);
  jw_end(j);

  jw_obj(j, "probe");
  jw_str(j, "load", r->probe.load);
  jw_probe(j, &r->probe.l2, ghz);
  jw_probe(j, &r->probe.llc, ghz);
  jw_probe(j, &r->probe.stream_1t, ghz);
  jw_probe(j, &r->probe.stream_all, ghz);
  jw_int(j, "hugepage_bytes_granted", (long long)r->probe.huge_bytes);
  jw_int(j, "alloc_hugepage_bytes", (long long)r->probe.alloc_huge_bytes);
  jw_probe(j, &r->probe.stream_1t_alloc, ghz);
  jw_end(j);

  jw_arr(j, "quant");
  for (int i = 0; i < r->nquant; i++) {
    const bench_quant *q = &r->quant[i];
    jw_obj(j, NULL);
    jw_int(j, "K", (long long)q->K);
    jw_str(j, "function", q->fn);
    jw_int(j, "calls_per_sample", q->calls_per_sample);
    jw_int(j, "samples", q->samples);
    jw_stat(j, "ns", q->ns);
    jw_num(j, "ns_per_element", q->ns.median / (double)q->K);
    jw_num(j, "input_gbs", q->ns.median > 0 ? 4.0 * (double)q->K / q->ns.median : 0);
    jw_end(j);
  }
  jw_end_arr(j);

  jw_arr(j, "kernels");
  for (int k = 0; k < r->nkernels; k++) {
    const bench_kernel *bk = &r->kernels[k];
    jw_obj(j, NULL);
    jw_str(j, "name", bk->k->name);
    jw_str(j, "op", bk->k->op);
    jw_str(j, "format", bk->k->format);
    jw_int(j, "M", (long long)bk->k->M);
    jw_int(j, "K", (long long)bk->k->K);
    jw_int(j, "packed_bytes", (long long)bk->packed_bytes);
    jw_num(j, "bits_per_weight", 8.0 * (double)bk->packed_bytes / ((double)bk->k->M * (double)bk->k->K));
    jw_num(j, "ops_per_call", bk->ops_per_call);
    jw_str(j, "residency", bk->residency);
    jw_str(j, "bound_probe", bk->bound->key);
    jw_num(j, "bound_gbs", bk->bound->gbs.p90); /* 1 thread */
    jw_arr(j, "variants");
    for (int i = 0; i < bk->nhot; i++) {
      const bench_hot *h = &bk->hot[i];
      jw_obj(j, NULL);
      jw_str(j, "name", h->v->name);
      jw_str(j, "isa", h->v->isa);
      char feat[256];
      bitgen_features_string(h->v->features, feat, sizeof feat);
      jw_str(j, "features", feat);
      jw_bool(j, "selected", h->selected);
      jw_int(j, "rows", h->v->rows);
      jw_int(j, "unroll", h->v->unroll);
      jw_int(j, "tiles", (long long)h->v->tiles);
      jw_int(j, "threads", h->threads);
      jw_bool(j, "output_matches", h->output_matches);
      jw_int(j, "calls_per_sample", h->calls_per_sample);
      jw_int(j, "samples", h->samples);
      jw_stat(j, "ns", h->ns);
      jw_stat(j, "ns_with_quant", h->ns_quant);
      jw_stat(j, "gbs_spread", bench_stat_inverse(h->ns, (double)bk->packed_bytes));
      jw_num(j, "gbs", h->gbs);
      jw_num(j, "gops", h->gops);
      jw_num(j, "gbs_with_quant", h->gbs_quant);
      jw_num(j, "gops_with_quant", h->gops_quant);
      jw_num(j, "quant_share", h->quant_share);
      jw_num(j, "bytes_per_cycle", h->bytes_per_cycle);
      jw_num(j, "ops_per_cycle", h->ops_per_cycle);
      jw_num(j, "stated_alu_per_32b", stated_alu32(h->v));
      jw_num(j, "stated_instructions_per_32b", stated_instr32(h->v));
      jw_int(j, "assumed_alu_per_cycle", (long long)stated_per_cycle(h->v));
      jw_num(j, "stated_bound_bytes_per_cycle", stated_bound_bpc(h->v));
      jw_num(j, "bound_gbs", h->bound_gbs);
      jw_str(j, "bound_how", h->bound_how);
      jw_num(j, "ratio_to_bound", h->ratio_to_bound);
      jw_end(j);
    }
    jw_end_arr(j);
    jw_arr(j, "skipped");
    for (int i = 0; i < bk->nskip; i++) {
      jw_obj(j, NULL);
      jw_str(j, "name", bk->skip[i].name);
      jw_str(j, "isa", bk->skip[i].isa);
      jw_str(j, "reason", bk->skip[i].reason);
      jw_end(j);
    }
    jw_end_arr(j);
    jw_end(j);
  }
  jw_end_arr(j);

  const bench_sweep *sw = &r->sweep;
  jw_obj(j, "sweep");
  jw_int(j, "layers", (long long)sw->layers);
  jw_int(j, "matrices_per_layer", (long long)sw->matrices);
  jw_int(j, "gemv_per_sweep", (long long)sw->gemv);
  jw_int(j, "bytes", (long long)sw->bytes);
  jw_int(j, "pool_tokens", sw->pool_tokens);
  jw_num(j, "setup_seconds", sw->setup_s);
  jw_str(j, "bound_method", "just before every sweep, bound_passes_per_sweep streaming-read passes over "
                            "the sweep's own buffers in model order with the sweep's threads (more than 1: the "
                            "same pool, each buffer cut as the driver cuts a GEMV), their median; ratio = median "
                            "over sweeps of (bytes / that median GB/s) / sweep time; bound_gbs: median over the "
                            "1-thread sweeps");
  jw_int(j, "bound_passes_per_sweep", BENCH_BOUND_PASSES);
  jw_stat(j, "bound_gbs_stat", sw->bound_gbs_stat);
  jw_num(j, "bound_gbs", sw->bound_gbs);
  jw_num(j, "bound_ms", sw->bound_ms);
  jw_num(j, "bound_ms_all_threads", sw->bound_ms_all_threads);
  jw_stat(j, "alloc_gbs_stat", sw->alloc_gbs_stat);
  jw_num(j, "bound_ms_alloc_probe", sw->bound_ms_alloc);
  jw_bool(j, "hugepages", sw->hugepages);
  jw_int(j, "hugepage_bytes_granted", (long long)sw->huge_bytes);
  jw_int(j, "alloc_pass_hugepage_bytes", (long long)sw->alloc_pass_huge_bytes);
  jw_num(j, "quant_ms_upper", sw->quant_ms_upper);
  jw_num(j, "target_ratio", BENCH_SWEEP_TARGET_RATIO);
  jw_arr(j, "variants");
  for (int i = 0; i < sw->nisa; i++) {
    const bench_sweep_isa *si = &sw->isa[i];
    jw_obj(j, NULL);
    jw_str(j, "isa", si->isa);
    jw_bool(j, "selected", si->selected);
    jw_int(j, "threads", si->threads);
    jw_int(j, "samples", si->samples);
    jw_stat(j, "ms", si->ms);
    jw_num(j, "gbs", si->gbs);
    jw_stat(j, "probe_gbs", si->probe_gbs);
    jw_num(j, "bound_gbs", si->bound_gbs);
    jw_num(j, "bound_ms", si->bound_ms);
    jw_stat(j, "ratio", si->ratio);
    jw_num(j, "ratio_to_bound", si->ratio_to_bound);
    jw_num(j, "ratio_to_all_threads_bound", si->ratio_to_all_threads);
    jw_stat(j, "alloc_probe_gbs", si->alloc_gbs);
    jw_stat(j, "alloc_ratio", si->alloc_ratio);
    jw_num(j, "ratio_to_alloc_probe", si->ratio_to_alloc_probe);
    jw_bool(j, "meets_target", si->meets_target);
    jw_arr(j, "per_kernel");
    for (int k = 0; k < r->nkernels; k++) {
      const bench_sweep_kernel *pk = &si->per_kernel[k];
      jw_obj(j, NULL);
      jw_str(j, "kernel", r->kernels[pk->kernel].k->name);
      jw_int(j, "calls", (long long)pk->calls);
      jw_int(j, "bytes", (long long)pk->bytes);
      jw_stat(j, "ms", pk->ms);
      jw_num(j, "gbs", pk->gbs);
      jw_end(j);
    }
    jw_end_arr(j);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_end(j);

  jw_arr(j, "instruction_bound");
  for (int i = 0; i < r->nmodels; i++) {
    const bench_isa_model *md = &r->models[i];
    jw_obj(j, NULL);
    jw_str(j, "isa", md->isa);
    jw_num(j, "assumed_bytes_per_cycle", md->assumed_bytes_per_cycle);
    jw_num(j, "assumed_ops_per_cycle", md->assumed_ops_per_cycle);
    jw_num(j, "measured_best_hot_bytes_per_cycle", md->measured_bytes_per_cycle);
    jw_num(j, "measured_best_hot_ops_per_cycle", md->measured_ops_per_cycle);
    jw_num(j, "model_limit_gbs", md->model_limit_gbs);
    jw_str(j, "text", md->text);
    jw_end(j);
  }
  jw_end_arr(j);

  jw_obj(j, "targets");
  jw_num(j, "sweep_ratio_min", BENCH_SWEEP_TARGET_RATIO);
  jw_arr(j, "sweep");
  for (int i = 0; i < sw->nisa; i++) {
    jw_obj(j, NULL);
    jw_str(j, "isa", sw->isa[i].isa);
    jw_int(j, "threads", sw->isa[i].threads);
    jw_num(j, "ratio_to_bound", sw->isa[i].ratio_to_bound);
    jw_bool(j, "met", sw->isa[i].meets_target);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_arr(j, "hot_selected");
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      const bench_hot *h = &r->kernels[k].hot[i];
      if (!h->selected || h->threads != 1) continue;
      jw_obj(j, NULL);
      jw_str(j, "kernel", r->kernels[k].k->name);
      jw_str(j, "isa", h->v->isa);
      jw_num(j, "gbs", h->gbs);
      jw_num(j, "bound_gbs", h->bound_gbs);
      jw_str(j, "bound_how", h->bound_how);
      jw_num(j, "ratio_to_bound", h->ratio_to_bound);
      jw_end(j);
    }
  jw_end_arr(j);
  const bench_quant *q2560 = find_quant(r, 2560, r->quant_fn);
  jw_num(j, "quant_ns_k2560", q2560 ? q2560->ns.median : 0);
  jw_num(j, "prefill_gops_min", BENCH_PREFILL_TARGET_GOPS);
  jw_end(j);

  jw_obj(j, "checks");
  jw_str(j, "method", "every timed path (quantizer, hot GEMV, cold sweep, prefill GEMM; every variant and thread "
                      "count) run once and compared bit for bit with the scalar reference before timing, and "
                      "its last output again after; every runtime status checked; a difference ends the run "
                      "with exit status 1 and no JSON");
  jw_int(j, "activation_sets", r->checks.quant);
  jw_int(j, "hot_outputs", r->checks.hot);
  jw_int(j, "sweep_outputs", r->checks.sweep);
  jw_int(j, "prefill_outputs", r->checks.prefill);
  jw_int(j, "statuses", r->checks.statuses);
  jw_end(j);

  jw_obj(j, "bound_check");
  jw_num(j, "margin", BENCH_BOUND_MARGIN);
  jw_str(j, "rule", "every ratio_to_bound, ratio_to_all_threads_bound and ratio_to_alloc_probe above 1 + margin is "
                    "listed in exceeded (by JSON path) and printed as a WARNING");
  jw_int(j, "ratios_checked", r->nratios);
  jw_arr(j, "exceeded");
  for (int i = 0; i < r->nover; i++) {
    jw_obj(j, NULL);
    jw_str(j, "where", r->over[i].where);
    jw_num(j, "ratio", r->over[i].ratio);
    jw_end(j);
  }
  jw_end_arr(j);
  jw_end(j);

  jw_arr(j, "prefill");
  for (int i = 0; i < r->nprefill; i++) {
    const bench_prefill *p = &r->prefill[i];
    jw_obj(j, NULL);
    jw_str(j, "kernel", p->k->name);
    jw_str(j, "variant", p->v->name);
    jw_str(j, "isa", p->v->isa);
    jw_bool(j, "selected", p->selected);
    jw_int(j, "M", (long long)p->k->M);
    jw_int(j, "K", (long long)p->k->K);
    jw_int(j, "N", (long long)p->N);
    jw_int(j, "threads", p->threads);
    jw_int(j, "samples", p->samples);
    jw_stat(j, "ms", p->ms);
    jw_num(j, "gops", p->gops);
    jw_num(j, "ops_per_cycle_per_core", p->ops_per_cycle);
    jw_num(j, "stated_alu_per_32b", stated_alu32(p->v));
    jw_num(j, "stated_instructions_per_32b", stated_instr32(p->v));
    jw_num(j, "stated_bound_ops_per_cycle",
           bench_bits_per_weight(r) > 0 ? stated_bound_bpc(p->v) * 16.0 / bench_bits_per_weight(r) : 0);
    jw_end(j);
  }
  jw_end_arr(j);

  jw_end(j);
  fputc('\n', f);
  return fclose(f) == 0 ? 0 : -1;
}

/* ---- SVG ------------------------------------------------------------------------------------------ */
static void svg_text(FILE *f, const char *s) {
  for (const char *p = s ? s : ""; *p; p++) {
    switch (*p) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*p, f);
    }
  }
}

static void svg_label(FILE *f, double x, double y, const char *anchor, const char *style, const char *s) {
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y, anchor, style ? style : "");
  svg_text(f, s);
  fputs("</text>\n", f);
}

static const char *isa_colour(const bench_results *r, const char *isa) {
  static const char *known[][2] = {{"avx512vnni", "#1f5fa8"}, {"avxvnni", "#2e9e52"}, {"avx2", "#e07b1a"},
                                   {"scalar", "#7d7d7d"},     {"neon", "#8e44ad"},    {"dotprod", "#b03060"},
                                   {"sve", "#17a2b8"},        {"rvv", "#8c6d31"}};
  static const char *spare[] = {"#c0392b", "#16a085", "#d35400", "#2c3e50"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(known[i][0], isa) == 0) return known[i][1];
  size_t h = 0;
  for (const char *p = isa; *p; p++) h = h * 31 + (unsigned char)*p;
  (void)r;
  return spare[h % (sizeof spare / sizeof spare[0])];
}

/* A "nice" axis step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double max, int n) {
  double raw = max / n, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m <= 1.5 ? 1 : m <= 3 ? 2 : m <= 7 ? 5 : 10) * p;
}

/* White outline behind a label so it stays readable over lines. */
#define HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\" "

typedef struct {
  double value;
  const char *label;
  const char *colour;
  const char *dash;
} svg_line;

int bench_write_svg(const char *path, const bench_results *r) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return -1;
  const bench_sweep *sw = &r->sweep;
  const double W = 1120, left = 70, right = 890; /* plot area x; bound labels to the right */
  const double top1 = 110, bottom1 = 420;
  const double top2 = 650, row = 38;
  const double left2 = 150;
  const double H = top2 + 30 + row * (sw->nisa > 0 ? sw->nisa : 1) + 90;
  char buf[1536];

  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
             "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
          W, H, W, H);
  fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
  snprintf(buf, sizeof buf, "bitgen-bench: %s (%s), %s mode", r->pkg->model, r->pkg->format,
           r->full ? "full" : "quick");
  svg_label(f, 20, 28, "start", "font-size=\"18\" font-weight=\"bold\"", buf);
  snprintf(buf, sizeof buf, "%s, %d CPUs, L2 %.0f KiB, LLC %.0f MiB, clock %.2f GHz (measured), %s", r->machine.cpu_model,
           r->machine.ncpu, r->machine.l2 / 1024.0, r->machine.llc / 1048576.0, r->clock.ghz, r->machine.timestamp);
  svg_label(f, 20, 48, "start", "fill=\"#444\"", buf);

  /* ---- panel 1: GB/s per kernel and variant ---- */
  svg_label(f, 20, 80, "start", "font-size=\"15\" font-weight=\"bold\"",
            "Weight bandwidth per kernel and ISA variant, 1 thread (GB/s of packed weights, median; whiskers p10-p90)");
#define NLINES 5
  svg_line lines[NLINES] = {
      {r->probe.l2.gbs.median, "L2-resident read", "#2e7d32", "2,3"},
      {r->probe.llc.gbs.median, "LLC-resident read", "#6a1b9a", "8,3,2,3"},
      {r->probe.stream_1t.gbs.median, "DRAM stream, 1 thread", "#c62828", "7,4"},
      {r->probe.stream_1t_alloc.gbs.median, "DRAM, bitgen_alloc mem, 1 thr", "#5d4037", "10,3,2,3,2,3"},
      {r->probe.stream_all.gbs.median, "DRAM stream, all threads", "#ef6c00", "14,5"},
  };
  double ymax = 0;
  for (int i = 0; i < NLINES; i++)
    if (lines[i].value > ymax) ymax = lines[i].value;
  for (int k = 0; k < r->nkernels; k++)
    for (int i = 0; i < r->kernels[k].nhot; i++) {
      if (r->kernels[k].hot[i].threads != 1) continue;
      bench_stat g = bench_stat_inverse(r->kernels[k].hot[i].ns, (double)r->kernels[k].packed_bytes);
      if (g.p90 > ymax) ymax = g.p90;
    }
  if (ymax <= 0) ymax = 1;
  const double step = nice_step(ymax * 1.05, 6);
  ymax = ceil(ymax * 1.05 / step) * step;
#define Y1(v) (bottom1 - (v) / ymax * (bottom1 - top1))
  for (double v = 0; v <= ymax + step / 2; v += step) {
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n", left, Y1(v), right, Y1(v));
    snprintf(buf, sizeof buf, "%g", v);
    svg_label(f, left - 6, Y1(v) + 4, "end", "fill=\"#333\"", buf);
  }
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left, top1, left, bottom1);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left, bottom1, right, bottom1);
  fprintf(f, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 22 %.1f)\" fill=\"#333\">"
             "GB/s (1e9 bytes/s)</text>\n",
          (top1 + bottom1) / 2, (top1 + bottom1) / 2);

  /* bound lines, labels to the right, pushed apart when close */
  int order[NLINES] = {0, 1, 2, 3, 4};
  for (int a = 0; a < NLINES; a++)
    for (int b = a + 1; b < NLINES; b++)
      if (lines[order[b]].value > lines[order[a]].value) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
      }
  double last_y = -1e9;
  for (int n = 0; n < NLINES; n++) {
    const svg_line *ln = &lines[order[n]];
    const double y = Y1(ln->value);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.8\" "
               "stroke-dasharray=\"%s\"/>\n",
            left, y, right + 6, y, ln->colour, ln->dash);
    double ly = y + 4;
    if (ly < last_y + 26) ly = last_y + 26;
    last_y = ly;
    svg_label(f, right + 10, ly - 6, "start", "font-size=\"11\"", ln->label);
    snprintf(buf, sizeof buf, "%.1f GB/s", ln->value);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\" font-weight=\"bold\">", right + 10, ly + 7,
            ln->colour);
    svg_text(f, buf);
    fputs("</text>\n", f);
  }
  const int nk = r->nkernels > 0 ? r->nkernels : 1;
  const double gw = (right - left) / nk;
  for (int k = 0; k < r->nkernels; k++) {
    const bench_kernel *bk = &r->kernels[k];
    /* per variant a hot and a cold bar side by side, half a bar between variants */
    int nv = 0;
    for (int i = 0; i < bk->nhot; i++) nv += bk->hot[i].threads == 1;
    if (nv == 0) nv = 1;
    int slot = 0;
    const double inner = gw * 0.9, bw = inner / (2.5 * nv - 0.5), gx = left + gw * k + (gw - inner) / 2;
    for (int i = 0; i < bk->nhot; i++) {
      const bench_hot *h = &bk->hot[i];
      if (h->threads != 1) continue;
      const char *col = isa_colour(r, h->v->isa);
      const bench_sweep_isa *si = sweep_isa(r, h->v->isa);
      const bench_stat g = bench_stat_inverse(h->ns, (double)bk->packed_bytes);
      double x = gx + bw * 2.5 * slot++;
      /* hot bar */
      fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s><title>", x + 1,
              Y1(h->gbs), bw - 2, bottom1 - Y1(h->gbs), col,
              h->selected ? " stroke=\"#000\" stroke-width=\"2\"" : "");
      snprintf(buf, sizeof buf, "%s hot: %.2f GB/s, %.1f Gop/s, %.1f us/call%s", h->v->name, h->gbs, h->gops,
               h->ns.median / 1e3, h->selected ? " (selected)" : "");
      svg_text(f, buf);
      fputs("</title></rect>\n", f);
      const double cx = x + bw / 2;
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n", cx, Y1(g.p10), cx, Y1(g.p90));
      snprintf(buf, sizeof buf, "%.1f", h->gbs);
      svg_label(f, cx, Y1(g.p90) - 4, "middle", HALO "font-size=\"10\"", buf);
      /* cold bar: the same kernel inside the model sweep */
      if (si != NULL) {
        const double cg = si->per_kernel[k].gbs;
        x += bw;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.35\" "
                   "stroke=\"%s\" stroke-width=\"1\"><title>",
                x + 1, Y1(cg), bw - 2, bottom1 - Y1(cg), col, col);
        snprintf(buf, sizeof buf, "%s cold (in the model sweep): %.2f GB/s", h->v->name, cg);
        svg_text(f, buf);
        fputs("</title></rect>\n", f);
        snprintf(buf, sizeof buf, "%.1f", cg);
        svg_label(f, x + bw / 2, Y1(cg) - 4, "middle", HALO "font-size=\"10\" fill=\"#555\"", buf);
      }
    }
    svg_label(f, left + gw * (k + 0.5), bottom1 + 18, "middle", "font-weight=\"bold\"", bk->k->name);
    snprintf(buf, sizeof buf, "%.2f MB packed, hot in %s", bk->packed_bytes / 1e6, bk->residency);
    svg_label(f, left + gw * (k + 0.5), bottom1 + 33, "middle", "fill=\"#555\" font-size=\"11\"", buf);
  }
#undef Y1
  /* legend */
  double lx = left, ly = bottom1 + 62;
  for (int j = 0; j < r->nmodels; j++) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", lx, ly - 11,
            isa_colour(r, r->models[j].isa));
    svg_label(f, lx + 19, ly, "start", NULL, r->models[j].isa);
    lx += 30 + 8.0 * (double)strlen(r->models[j].isa);
  }
  lx += 10;
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"#888\"/>\n", lx, ly - 11);
  svg_label(f, lx + 19, ly, "start", NULL, "hot (same matrix)");
  lx += 140;
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"#888\" fill-opacity=\"0.35\" stroke=\"#888\"/>\n",
          lx, ly - 11);
  svg_label(f, lx + 19, ly, "start", NULL, "cold (inside the model sweep)");
  lx += 215;
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"2\"/>\n",
          lx, ly - 11);
  svg_label(f, lx + 19, ly, "start", NULL, "selected by dispatch");
  svg_label(f, left, ly + 22, "start", "fill=\"#555\" font-size=\"11\"",
            "Lines: read bandwidth probes measured in the same run. A hot matrix is bounded by the level it fits in "
            "(label under each group); the cold sweep by the DRAM stream.");

  /* ---- panel 2: the model sweep ----
   * The axis covers the bound, the target and the sweeps within 3x the
   * bound; slower sweeps (scalar) run off the scale with a break mark and
   * their value written in the bar, so the fast ones stay readable. */
  snprintf(buf, sizeof buf, "Cold model sweep: ms per token, %zu layers x %zu matrices = %zu GEMV, %.1f MB",
           sw->layers, sw->matrices, sw->gemv, sw->bytes / 1e6);
  svg_label(f, 20, top2 - 86, "start", "font-size=\"15\" font-weight=\"bold\"", buf);
  double all_ms = 0; /* bound of the all-threads sweeps (their paired passes) */
  for (int i = 0; i < sw->nisa; i++)
    if (sw->isa[i].threads > 1 && all_ms == 0) all_ms = sw->isa[i].bound_ms;
  double xmax = sw->bound_ms / BENCH_SWEEP_TARGET_RATIO;
  if (sw->bound_ms_alloc > xmax) xmax = sw->bound_ms_alloc;
  for (int i = 0; i < sw->nisa; i++)
    if (sw->isa[i].ms.median <= 3 * sw->bound_ms && sw->isa[i].ms.p90 > xmax) xmax = sw->isa[i].ms.p90;
  if (xmax <= 0) xmax = 1;
  const double xstep = nice_step(xmax * 1.3, 8);
  xmax = ceil(xmax * 1.3 / xstep) * xstep;
  const double bottom2 = top2 + row * (sw->nisa > 0 ? sw->nisa : 1);
#define X2(v) (left2 + ((v) < xmax ? (v) : xmax) / xmax * (right - left2))
  for (double v = 0; v <= xmax + xstep / 2; v += xstep) {
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n", X2(v), top2 - 8, X2(v),
            bottom2);
    snprintf(buf, sizeof buf, "%g", v);
    svg_label(f, X2(v), bottom2 + 16, "middle", "fill=\"#333\"", buf);
  }
  svg_label(f, (left2 + right) / 2, bottom2 + 34, "middle", "fill=\"#333\"", "ms per sweep (= matmul time per token)");
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left2, top2 - 8, left2, bottom2);
  for (int i = 0; i < sw->nisa; i++) {
    const bench_sweep_isa *si = &sw->isa[i];
    const double y = top2 + row * i, h = row * 0.62, yc = y + h / 2;
    const char *col = isa_colour(r, si->isa);
    const int off = si->ms.median > xmax;
    svg_label(f, left2 - 8, yc + 1, "end", "font-weight=\"bold\"", si->isa);
    snprintf(buf, sizeof buf, "%d thread%s%s", si->threads, si->threads == 1 ? "" : "s", si->selected ? ", selected" : "");
    svg_label(f, left2 - 8, yc + 13, "end", "font-size=\"10\" fill=\"#555\"", buf);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s%s><title>", left2, y,
            X2(si->ms.median) - left2, h, col, si->threads > 1 ? " fill-opacity=\"0.6\"" : "",
            si->selected ? " stroke=\"#000\" stroke-width=\"2\"" : "");
    snprintf(buf, sizeof buf, "%s, %d thread(s): median %.3f ms, min %.3f, max %.3f over %d sweeps", si->isa,
             si->threads, si->ms.median, si->ms.min, si->ms.max, si->samples);
    svg_text(f, buf);
    fputs("</title></rect>\n", f);
    snprintf(buf, sizeof buf, "%.2f ms, %.1f GB/s, %.2f of bound%s", si->ms.median, si->gbs, si->ratio_to_bound,
             off ? " (off scale)" : "");
    if (off) {
      /* break mark: a white zigzag near the end of the bar */
      const double bx = right - 40;
      fprintf(f, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#fff\" "
                 "stroke-width=\"3\"/>\n",
              bx, y - 2, bx + 6, y + h / 3, bx - 2, y + 2 * h / 3, bx + 4, y + h + 2);
      char style[160];
      snprintf(style, sizeof style,
               "font-size=\"11\" fill=\"#fff\" font-weight=\"bold\" stroke=\"%s\" stroke-width=\"3\" "
               "paint-order=\"stroke\"",
               col);
      svg_label(f, left2 + 8, yc + 4, "start", style, buf);
    } else {
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"1.5\"/>\n",
              X2(si->ms.p10), yc, X2(si->ms.p90), yc);
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"1.5\"/>\n",
              X2(si->ms.p90), yc - 4, X2(si->ms.p90), yc + 4);
      svg_label(f, X2(si->ms.p90) + 8, yc + 4, "start", "font-size=\"11\"", buf);
    }
  }
  const double xb = X2(sw->bound_ms), xt = X2(sw->bound_ms / BENCH_SWEEP_TARGET_RATIO);
  const double xh = X2(sw->bound_ms_alloc);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#5d4037\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"10,3,2,3,2,3\"/>\n",
          xh, top2 - 68, xh, bottom2);
  snprintf(buf, sizeof buf, "1 thread, bitgen_alloc-memory passes %.2f ms", sw->bound_ms_alloc);
  svg_label(f, xh + 4, top2 - 60, "start", "font-size=\"11\" fill=\"#5d4037\"", buf);
  if (all_ms > 0) {
    const double xa = X2(all_ms);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ef6c00\" stroke-width=\"2\" "
               "stroke-dasharray=\"14,5\"/>\n",
            xa, top2 - 52, xa, bottom2);
    snprintf(buf, sizeof buf, "all-threads streaming bound %.2f ms", all_ms);
    svg_label(f, xa + 4, top2 - 44, "start", "font-size=\"11\" fill=\"#ef6c00\"", buf);
  }
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" stroke-width=\"2\" "
             "stroke-dasharray=\"7,4\"/>\n",
          xb, top2 - 36, xb, bottom2);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" stroke-width=\"1.2\" "
             "stroke-dasharray=\"2,3\"/>\n",
          xt, top2 - 20, xt, bottom2);
  snprintf(buf, sizeof buf, "1-thread streaming bound %.2f ms", sw->bound_ms);
  svg_label(f, xb + 4, top2 - 28, "start", "font-size=\"11\" fill=\"#c62828\"", buf);
  snprintf(buf, sizeof buf, "target: %.1f of the 1-thread bound, %.2f ms", BENCH_SWEEP_TARGET_RATIO,
           sw->bound_ms / BENCH_SWEEP_TARGET_RATIO);
  svg_label(f, xt + 4, top2 - 12, "start", "font-size=\"11\" fill=\"#c62828\"", buf);
#undef X2
  snprintf(buf, sizeof buf,
           "Bound = sweep bytes / DRAM streaming read with 2 MiB pages and the sweep's threads (1 thread: %.2f GB/s), "
           "one pass before every sweep.",
           sw->bound_gbs);
  svg_label(f, left2, bottom2 + 56, "start", "fill=\"#555\" font-size=\"11\"", buf);
  snprintf(buf, sizeof buf, "Sweep buffers: %s. Bars: median; whiskers: p10-p90; ratio: median over sweeps of bound / time.",
           sw->hugepages ? "one arena, 2 MiB pages requested (--hugepages)" : "one bitgen_alloc per matrix");
  svg_label(f, left2, bottom2 + 71, "start", "fill=\"#555\" font-size=\"11\"", buf);
  fputs("</svg>\n", f);
  return fclose(f) == 0 ? 0 : -1;
}
