/* gguf-write: writes GGUF files with random valid weights (tests/gguf_writer.h).
 *   gguf-write model [options] -o FILE     a model in bitnet.cpp's / llama.cpp's layout
 *   gguf-write types [options] -o FILE     every metadata value type, one tensor of each type
 * Model options: --preset 2b4t|tiny, --arch bitnet-b1.58|llama, --embd N, --ff N,
 *   --layers N, --heads N, --kv-heads N, --vocab N, --ctx N, --wtype T, --etype T,
 *   --untied.  Common: --version 2|3, --alignment N, --seed N.
 * Types: f32 f16 bf16 q4_0 q8_0 q6_k tq1_0 tq2_0 i2_s.  The 2b4t preset is the
 * official BitNet b1.58 2B4T layout (I2_S matrices, f16 token_embd, ~1.2 GB). */
#define _POSIX_C_SOURCE 200809L
#include "gguf_writer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int type_of(const char *s) {
  static const struct { const char *n; int t; } tab[] = {
    {"f32", GW_T_F32}, {"f16", GW_T_F16}, {"bf16", GW_T_BF16}, {"q4_0", GW_T_Q4_0}, {"q8_0", GW_T_Q8_0},
    {"q6_k", GW_T_Q6_K}, {"tq1_0", GW_T_TQ1_0}, {"tq2_0", GW_T_TQ2_0}, {"i2_s", GW_T_I2_S}};
  for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
    if (strcasecmp(s, tab[i].n) == 0) return tab[i].t;
  fprintf(stderr, "gguf-write: unknown tensor type '%s'\n", s);
  exit(2);
}

static uint64_t num(const char *opt, const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 0);
  if (!*s || *end) {
    fprintf(stderr, "gguf-write: %s: '%s' is not a number\n", opt, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "model") && strcmp(argv[1], "types"))) {
    fprintf(stderr, "usage: gguf-write model|types [options] -o FILE (see the header of tests/gguf_write.c)\n");
    return 2;
  }
  int model = strcmp(argv[1], "model") == 0;
  gw_model m = gw_model_2b4t();
  uint32_t version = 3, alignment = 0;
  uint64_t seed = 1;
  const char *out = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--untied")) { m.tied = 0; continue; }
    if (!v) { fprintf(stderr, "gguf-write: %s needs a value\n", a); return 2; }
    i++;
    if (!strcmp(a, "-o")) out = v;
    else if (!strcmp(a, "--version")) version = (uint32_t)num(a, v);
    else if (!strcmp(a, "--alignment")) alignment = (uint32_t)num(a, v);
    else if (!strcmp(a, "--seed")) seed = num(a, v);
    else if (!strcmp(a, "--preset")) {
      if (!strcmp(v, "2b4t")) m = gw_model_2b4t();
      else if (!strcmp(v, "tiny")) {
        m = gw_model_2b4t();
        m.name = "tiny (synthetic)";
        m.n_embd = 256, m.n_ff = 512, m.n_layer = 2, m.n_head = 4, m.n_head_kv = 2, m.vocab = 300, m.ctx = 128;
      } else { fprintf(stderr, "gguf-write: unknown preset '%s'\n", v); return 2; }
    } else if (!strcmp(a, "--arch")) m.arch = v;
    else if (!strcmp(a, "--embd")) m.n_embd = num(a, v);
    else if (!strcmp(a, "--ff")) m.n_ff = num(a, v);
    else if (!strcmp(a, "--layers")) m.n_layer = num(a, v);
    else if (!strcmp(a, "--heads")) m.n_head = num(a, v);
    else if (!strcmp(a, "--kv-heads")) m.n_head_kv = num(a, v);
    else if (!strcmp(a, "--vocab")) m.vocab = num(a, v);
    else if (!strcmp(a, "--ctx")) m.ctx = num(a, v);
    else if (!strcmp(a, "--wtype")) m.wtype = (uint32_t)type_of(v);
    else if (!strcmp(a, "--etype")) m.etype = (uint32_t)type_of(v);
    else { fprintf(stderr, "gguf-write: unknown option %s\n", a); return 2; }
  }
  if (!out) { fprintf(stderr, "gguf-write: -o FILE is required\n"); return 2; }
  if (version != 2 && version != 3) { fprintf(stderr, "gguf-write: --version must be 2 or 3\n"); return 2; }
  if (alignment && (alignment & (alignment - 1))) { fprintf(stderr, "gguf-write: --alignment must be a power of two\n"); return 2; }
  m.seed = seed;
  if (model && (!m.n_head || !m.n_head_kv || m.n_embd % m.n_head)) {
    fprintf(stderr, "gguf-write: --embd must be a multiple of --heads, heads > 0\n");
    return 2;
  }

  gguf_w w;
  gw_init(&w, version);
  if (alignment) gw_alignment(&w, alignment);
  if (model) gw_add_model(&w, &m);
  else gw_add_all_types(&w, seed);
  for (size_t i = 0; i < w.nt; i++)
    if (!w.t[i].size) {
      fprintf(stderr, "gguf-write: tensor '%s': %s needs a row length that is a multiple of its block (row %llu)\n",
              w.t[i].name, gw_type_name(w.t[i].type), (unsigned long long)w.t[i].dims[0]);
      return 2;
    }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  FILE *f = fopen(out, "wb");
  if (!f) { perror(out); return 1; }
  static char iobuf[1 << 22];
  setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
  int st = gw_write(&w, f);
  if (fclose(f) != 0) st = -1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (st) { fprintf(stderr, "gguf-write: %s: write failed\n", out); remove(out); return 1; }
  uint64_t bytes = w.nt ? w.t[w.nt - 1].data_at + w.t[w.nt - 1].size : w.data_at;
  double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  fprintf(stderr, "gguf-write: %s: %zu tensors, %llu keys, %.1f MB in %.2f s\n", out, w.nt,
          (unsigned long long)w.n_kv, (double)bytes / 1e6, s);
  gw_free(&w);
  return 0;
}
