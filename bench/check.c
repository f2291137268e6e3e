/* bitgen-bench: the scalar references every timed path is checked against.
 *
 * Kernel outputs: the packed matrix is unpacked with the format's public
 * unpacker and multiplied by the runtime's scalar reference
 * (bitgen_ref_gemv per token for i2s and tl, bitgen_ref_blocks for the
 * block formats), which is written independently of the kernel templates
 * and uses the kernels' final float formula, so equal means bit-equal.
 * Activations: bitgen_quantize_scalar for i2s and tl, the scalar block
 * quantizer for the block formats (bench.c), and the tl tables from their
 * definition in bitgen_fmt.h (written here, not the runtime's). */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

void bench_refmat_free(bench_refmat *m) {
  free(m->w);
  free(m->wd);
  free(m->sc);
  free(m->wf);
  memset(m, 0, sizeof *m);
}

int bench_refmat_unpack(bench_refmat *m, int kind, const void *fmt, size_t M, size_t K, size_t prows,
                        const uint8_t *packed, size_t psize) {
  memset(m, 0, sizeof *m);
  m->kind = kind, m->fmt = fmt, m->M = M, m->K = K;
  m->w = malloc(M * K);
  if (m->w == NULL) return BITGEN_E_NOMEM;
#if defined(BITGEN_FMT_H)
  if (kind == BITGEN_KIND_BLOCK) {
    const bitgen_format *f = fmt;
    m->wd = malloc(M * (K / f->block) * sizeof(float));
    if (m->wd == NULL) return BITGEN_E_NOMEM;
    if (strcmp(f->name, "q6_k") == 0) {
      m->sc = malloc(M * K / 16);
      if (m->sc == NULL) return BITGEN_E_NOMEM;
      return bitgen_q6k_unpack(M, K, prows, packed, psize, m->w, m->sc, m->wd);
    }
    return bitgen_blk_unpack(f, M, K, prows, packed, psize, m->w, m->wd);
  }
  if (kind == BITGEN_KIND_FP) {
    m->wf = malloc(M * K * sizeof(float));
    if (m->wf == NULL) return BITGEN_E_NOMEM;
    return bitgen_fp_unpack(fmt, M, K, prows, packed, psize, m->wf);
  }
  if (kind == BITGEN_KIND_TL) return bitgen_tl_unpack(M, K, prows, packed, psize, m->w);
#endif
  (void)fmt;
  return bitgen_i2s_unpack(M, K, prows, packed, psize, m->w);
}

int bench_refmat_run(const bench_refmat *m, const int8_t *q, const bitgen_act *act, const float *ad, const float *x, size_t N,
                     float wscale, float *y) {
#if defined(BITGEN_FMT_H)
  if (m->kind == BITGEN_KIND_BLOCK) {
    const bitgen_format *f = m->fmt;
    if (m->sc) return bitgen_ref_q6k(m->M, m->K, m->w, m->sc, m->wd, q, ad, N, y);
    return bitgen_ref_blocks(m->M, m->K, f->block, m->w, m->wd, q, ad, N, y);
  }
  if (m->kind == BITGEN_KIND_FP) return bitgen_ref_fp(m->M, m->K, m->wf, x, N, y);
#endif
  (void)ad;
  (void)x;
  for (size_t j = 0; j < N; j++) { /* one token at a time: y is N x M */
    int st = bitgen_ref_gemv(m->M, m->K, m->w, wscale, q + j * m->K, &act[j], y + j * m->M);
    if (st != BITGEN_OK) return st;
  }
  return BITGEN_OK;
}

long bench_first_mismatch(const float *got, const float *want, size_t n) {
  if (memcmp(got, want, n * sizeof(float)) == 0) return -1;
  for (size_t i = 0; i < n; i++)
    if (memcmp(&got[i], &want[i], sizeof(float)) != 0) return (long)i;
  return -1;
}

#if defined(BITGEN_FMT_H)
/* Group g's table: entry e = c0 + 3*c1 + 9*c2 holds sum (c_i - 1) * a_i
 * over the group's three activations a_i (0 past K); entries 27-31 are 0. */
int bench_ref_tl_tables(const int8_t *q, size_t N, size_t K, int16_t *lut) {
  const size_t ls = bitgen_tl_lut_size(K), groups = ls / 32;
  if (ls == 0) return BITGEN_E_SIZE;
  for (size_t n = 0; n < N; n++)
    for (size_t g = 0; g < groups; g++) {
      int a[3];
      for (size_t i = 0; i < 3; i++) a[i] = 3 * g + i < K ? q[n * K + 3 * g + i] : 0;
      int16_t *t = lut + n * ls + g * 32;
      for (int e = 0; e < 32; e++)
        t[e] = e < 27 ? (int16_t)((e % 3 - 1) * a[0] + (e / 3 % 3 - 1) * a[1] + (e / 9 - 1) * a[2]) : 0;
    }
  return BITGEN_OK;
}
#endif
