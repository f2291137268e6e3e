/* libFuzzer target for the tokenizer (runtime/tokenizer.c).  First byte:
 * bit 0 picks the mode, bit 1 parse_special.
 *  text mode: the rest is text for a fixed vocabulary (all bytes, a few
 *    merges, specials); encode must succeed and decode must give the text
 *    back byte for byte;
 *  gguf mode: the rest is a GGUF file; the reader and bitgen_tok_create_gguf
 *    must fail cleanly or give a tokenizer that round-trips a fixed text.
 * Any mismatch aborts (a finding). */
#include "bitgen_gguf.h"
#include "bitgen_tok.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bitgen_tok *fixed;

static bitgen_tok *make_fixed(void) {
  static char texts[300][24];
  static const char *tok[300];
  size_t n = 0;
  for (int b = 0; b < 256; b++, n++) {
    uint32_t cp = bitgen_tok_byte_char((uint8_t)b);
    if (cp < 0x80) texts[n][0] = (char)cp;
    else texts[n][0] = (char)(0xC0 | cp >> 6), texts[n][1] = (char)(0x80 | (cp & 0x3F));
    tok[n] = texts[n];
  }
  static const char *const extra[] = {"he", "ll", "hell", "hello", "\xc4\xa0w", "\xc4\xa0wo", "<|eot|>", "<u>", "<|eot|>x"};
  static const int32_t extra_type[] = {1, 1, 1, 1, 1, 1, 3, 4, 3};
  static int32_t types[300];
  for (size_t i = 0; i < n; i++) types[i] = 1;
  for (size_t i = 0; i < 9; i++, n++) tok[n] = extra[i], types[n] = extra_type[i];
  static const char *const merges[] = {"h e", "l l", "he ll", "hell o", "\xc4\xa0 w", "\xc4\xa0w o"};
  bitgen_tok_vocab v = {tok, NULL, n, types, merges, NULL, 6, -1, -1, 262, 0, 1};
  bitgen_tok *t = NULL;
  bitgen_tok_error err;
  if (bitgen_tok_create(&v, NULL, &t, &err)) abort();
  return t;
}

static void round_trip(bitgen_tok *t, const uint8_t *s, size_t n, int ps) {
  size_t cap = n + 1, m = 0, k = 0;
  int32_t *ids = malloc(cap * sizeof *ids);
  char *back = malloc(n + 1);
  if (!ids || !back) abort();
  int st = bitgen_tok_encode(t, (const char *)s, n, 0, ps, ids, cap, &m);
  if (st == 0) {
    if (bitgen_tok_decode(t, ids, m, 1, back, n + 1, &k) || k != n || memcmp(back, s, n)) abort();
  } else if (st != BITGEN_TOK_E_LONG) {
    abort();
  }
  free(ids);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!n) return 0;
  int mode = d[0] & 1, ps = d[0] >> 1 & 1;
  d++, n--;
  if (mode == 0) {
    if (!fixed) fixed = make_fixed();
    round_trip(fixed, d, n, ps);
    return 0;
  }
  uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
  if (!copy) abort();
  memcpy(copy, d, n);
  bitgen_gguf *g = NULL;
  bitgen_gguf_error gerr;
  if (bitgen_gguf_open_memory(copy, n, "fuzz.gguf", &g, &gerr) == 0) {
    bitgen_tok *t = NULL;
    bitgen_tok_error err;
    int st = bitgen_tok_create_gguf(g, NULL, &t, &err);
    if (st == 0) {
      static const char text[] = "Hello world, it's 12345 \xe4\xb8\xad\xe6\x96\x87 <|eot|>  x\n\n";
      round_trip(t, (const uint8_t *)text, sizeof text - 1, ps);
      bitgen_tok_free(t);
    } else if (t != NULL || err.message[0] == 0) {
      abort();
    }
    bitgen_gguf_close(g);
  }
  free(copy);
  return 0;
}
