/* Speed figures: prompt and decode tokens/s, ms per token, the
 * bytes-per-token bound, and where the time goes (the runtime's profile,
 * plus sampling, which the product times itself). */
#include "report.h"

#include <stdio.h>

static double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

/* Parts of a profile, and what eval spent outside them (its own loop). */
static void breakdown(const char *what, const br_profile *p, double sample_ns, const char *mm_name) {
  const double total = (double)p->total_ns + sample_ns;
  const double known = (double)(p->matmul_ns + p->attention_ns + p->ops_ns + p->output_ns);
  const double rest = (double)p->total_ns > known ? (double)p->total_ns - known : 0.0;
  fprintf(stderr,
          "%s time: %s %.1f%%, attention %.1f%%, norms/other ops %.1f%%, output layer %.1f%%, sampling %.1f%%, "
          "rest %.1f%%\n",
          what, mm_name, pct((double)p->matmul_ns, total), pct((double)p->attention_ns, total),
          pct((double)p->ops_ns, total), pct((double)p->output_ns, total), pct(sample_ns, total), pct(rest, total));
}

void br_report(const br_info *info, const br_stream *bw, const br_timing *t) {
  fprintf(stderr, "\n");
  if (t->n_prompt)
    fprintf(stderr, "prompt: %zu tokens in %.1f ms: %.2f tokens/s\n", t->n_prompt, t->prefill_ns / 1e6,
            t->prefill_ns > 0 ? 1e9 * (double)t->n_prompt / t->prefill_ns : 0.0);
  if (t->n_decode == 0) {
    fprintf(stderr, "decode: no token evaluated after the prompt\n");
  } else {
    /* sampling per step: one sample call per decode eval */
    const double sample_ns = t->n_sampled ? t->sample_ns * (double)t->n_decode / (double)t->n_sampled : 0.0;
    const double ms = t->decode_ns / 1e6 / (double)t->n_decode;
    fprintf(stderr, "decode: %zu tokens in %.1f ms: %.2f tokens/s, %.2f ms/token\n", t->n_decode, t->decode_ns / 1e6,
            1e3 / ms, ms);
    /* every weight byte once per token, plus the cache up to each position */
    const double kv_mean = (double)info->kv_bytes_per_pos * t->kv_positions / (double)t->n_decode;
    const double bytes = (double)info->weight_bytes + kv_mean;
    const double bound_ms = bytes / (bw->gbs * 1e9) * 1e3;
    fprintf(stderr,
            "bound: %.1f MB/token (weights %.1f MB + KV cache %.2f MB at mean context %.0f) / %.1f GB/s "
            "(streaming read of %s, %zu thread%s, the faster of two probes in this run) = %.2f ms/token; decode "
            "reaches %.2f of the bound\n",
            bytes / 1e6, (double)info->weight_bytes / 1e6, kv_mean / 1e6, t->kv_positions / (double)t->n_decode,
            bw->gbs, bw->what, bw->threads, bw->threads == 1 ? "" : "s", bound_ms, bound_ms / ms);
    breakdown("decode", &t->decode, sample_ns, "matmuls (GEMV)");
    const double total = (double)t->decode.total_ns + sample_ns;
    const double outside = total - (double)t->decode.matmul_ns - (double)t->decode.output_ns;
    fprintf(stderr, "decode outside the matmuls (attention, norms and other ops, sampling, rest): %.1f%% of a step "
                    "(%.3f ms)\n",
            pct(outside, total), outside / 1e6 / (double)t->n_decode);
  }
  if (t->n_prompt) breakdown("prompt", &t->prefill, 0.0, "matmuls (GEMM)");
}
