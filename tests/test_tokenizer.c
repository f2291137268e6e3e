/* The tokenizer (runtime/tokenizer.c) against hand-computed splits and
 * against an independent naive tokenizer written here: its own GPT-2 byte
 * map, its own UTF-8 decoder, the llama-3 pattern transcribed alternative by
 * alternative with the regex engine's backtracking spelled out, special
 * tokens by a plain scan, and quadratic BPE (repeatedly merge the
 * lowest-ranked adjacent pair, leftmost first) on byte strings.  Thousands
 * of random strings; decode(encode(s)) == s; vocabularies loaded from GGUF
 * files of the test writer; every bad vocabulary a clear error. */
#include "bitgen_gguf.h"
#include "bitgen_tok.h"
#include "check.h"
#include "gguf_writer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ------------------------------------------------------- */
static uint64_t rng_state = 0x1234abcd5678ef01ull;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}
static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* ---- GPT-2's byte map, built as its bytes_to_unicode lists it --------------- */
static uint32_t map_cp[256];
static void map_init(void) {
  int taken[256] = {0};
  for (int b = '!'; b <= '~'; b++) taken[b] = 1;
  for (int b = 0xA1; b <= 0xAC; b++) taken[b] = 1;
  for (int b = 0xAE; b <= 0xFF; b++) taken[b] = 1;
  uint32_t next = 256;
  for (int b = 0; b < 256; b++) map_cp[b] = taken[b] ? (uint32_t)b : next++;
}
/* The GPT-2 characters of bytes s[0,n), as UTF-8, into out (room for 2n). */
static size_t map_bytes(const uint8_t *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t cp = map_cp[s[i]];
    if (cp < 0x80) out[o++] = (char)cp;
    else out[o++] = (char)(0xC0 | (cp >> 6)), out[o++] = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}
/* Inverse: GPT-2 characters back to bytes; -1 if s is not made of them. */
static long unmap(const char *s, size_t n, uint8_t *out) {
  size_t o = 0, i = 0;
  while (i < n) {
    uint32_t cp;
    uint8_t b = (uint8_t)s[i];
    if (b < 0x80) cp = b, i++;
    else if ((b & 0xE0) == 0xC0 && i + 1 < n) cp = (uint32_t)(b & 0x1F) << 6 | ((uint8_t)s[i + 1] & 0x3Fu), i += 2;
    else return -1;
    int found = -1;
    for (int x = 0; x < 256; x++)
      if (map_cp[x] == cp) found = x;
    if (found < 0) return -1;
    out[o++] = (uint8_t)found;
  }
  return (long)o;
}

/* ---- a vocabulary under construction ------------------------------------------ */
typedef struct {
  char **tok;
  size_t *len;
  int32_t *type;
  size_t n, cap;
  char **merge;
  size_t *mlen;
  size_t nm, mcap;
  int64_t bos, eos, eot;
  int add_bos, ignore_merges;
} vb;

static int32_t vb_find(const vb *v, const char *s, size_t n) {
  for (size_t i = 0; i < v->n; i++)
    if (v->len[i] == n && !memcmp(v->tok[i], s, n)) return (int32_t)i;
  return -1;
}
static int32_t vb_add(vb *v, const char *s, size_t n, int type) {
  if (v->n == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 512;
    v->tok = xrealloc(v->tok, v->cap * sizeof *v->tok);
    v->len = xrealloc(v->len, v->cap * sizeof *v->len);
    v->type = xrealloc(v->type, v->cap * sizeof *v->type);
  }
  v->tok[v->n] = xmalloc(n);
  memcpy(v->tok[v->n], s, n);
  v->len[v->n] = n;
  v->type[v->n] = type;
  return (int32_t)v->n++;
}
static int32_t vb_add_str(vb *v, const char *s, int type) { return vb_add(v, s, strlen(s), type); }
/* a normal token for raw bytes (stored as GPT-2 characters) */
static int32_t vb_add_bytes(vb *v, const char *raw) {
  char m[256];
  size_t n = map_bytes((const uint8_t *)raw, strlen(raw), m);
  return vb_add(v, m, n, BITGEN_TOK_NORMAL);
}
static void vb_add_merge_n(vb *v, const char *l, size_t nl, const char *r, size_t nr) {
  if (v->nm == v->mcap) {
    v->mcap = v->mcap ? 2 * v->mcap : 256;
    v->merge = xrealloc(v->merge, v->mcap * sizeof *v->merge);
    v->mlen = xrealloc(v->mlen, v->mcap * sizeof *v->mlen);
  }
  char *m = xmalloc(nl + nr + 1);
  memcpy(m, l, nl);
  m[nl] = ' ';
  memcpy(m + nl + 1, r, nr);
  v->merge[v->nm] = m;
  v->mlen[v->nm++] = nl + nr + 1;
}
/* merge of two existing tokens; adds the merged token if new */
static void vb_merge_ids(vb *v, int32_t a, int32_t b) {
  size_t n = v->len[a] + v->len[b];
  char *s = xmalloc(n);
  memcpy(s, v->tok[a], v->len[a]);
  memcpy(s + v->len[a], v->tok[b], v->len[b]);
  if (vb_find(v, s, n) < 0) vb_add(v, s, n, BITGEN_TOK_NORMAL);
  vb_add_merge_n(v, v->tok[a], v->len[a], v->tok[b], v->len[b]);
  free(s);
}
/* merge "L R" given as raw bytes */
static void vb_merge_raw(vb *v, const char *l, const char *r) {
  char *ml = xmalloc(2 * strlen(l)), *mr = xmalloc(2 * strlen(r));
  size_t nl = map_bytes((const uint8_t *)l, strlen(l), ml), nr = map_bytes((const uint8_t *)r, strlen(r), mr);
  int32_t a = vb_find(v, ml, nl), b = vb_find(v, mr, nr);
  if (a < 0 || b < 0) {
    fprintf(stderr, "test bug: merge of unknown tokens '%s' '%s'\n", l, r);
    exit(2);
  }
  vb_merge_ids(v, a, b);
  free(ml), free(mr);
}
static void vb_init(vb *v) {
  memset(v, 0, sizeof *v);
  v->bos = v->eos = v->eot = -1;
}
/* the 256 byte tokens, in byte order (perm: in a shuffled order) */
static void vb_bytes(vb *v, int shuffle) {
  int order[256];
  for (int i = 0; i < 256; i++) order[i] = i;
  if (shuffle)
    for (int i = 255; i > 0; i--) {
      int j = (int)rnd_below((size_t)i + 1), x = order[i];
      order[i] = order[j], order[j] = x;
    }
  for (int i = 0; i < 256; i++) {
    uint8_t b = (uint8_t)order[i];
    char m[2];
    vb_add(v, m, map_bytes(&b, 1, m), BITGEN_TOK_NORMAL);
  }
}
static void vb_free(vb *v) {
  for (size_t i = 0; i < v->n; i++) free(v->tok[i]);
  for (size_t i = 0; i < v->nm; i++) free(v->merge[i]);
  free(v->tok), free(v->len), free(v->type), free(v->merge), free(v->mlen);
}
static bitgen_tok_vocab vb_vocab(const vb *v) {
  bitgen_tok_vocab x = {(const char *const *)v->tok, v->len, v->n, v->type, (const char *const *)v->merge, v->mlen,
                        v->nm, v->bos, v->eos, v->eot, v->add_bos, v->ignore_merges};
  return x;
}
static bitgen_tok *vb_create(const vb *v, size_t max_piece) {
  bitgen_tok_vocab x = vb_vocab(v);
  bitgen_tok_options o = {max_piece};
  bitgen_tok_error err;
  bitgen_tok *t = NULL;
  int st = bitgen_tok_create(&x, &o, &t, &err);
  if (st) {
    fprintf(stderr, "tokenizer creation failed: %d %s\n", st, err.message);
    exit(2);
  }
  return t;
}

/* ---- the naive reference ------------------------------------------------------- */
typedef struct {
  uint32_t cp; /* UINT32_MAX: invalid byte */
  int cls;
  size_t off, len;
} rchar;

/* UTF-8, strictly: shortest form only, no surrogates, at most U+10FFFF. */
static size_t ref_decode(const uint8_t *s, size_t n, rchar *out) {
  size_t m = 0, i = 0;
  while (i < n) {
    uint8_t b = s[i];
    size_t need = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : 99;
    uint32_t cp = need == 0 ? b : need == 1 ? b & 0x1Fu : need == 2 ? b & 0xFu : b & 7u;
    int ok = need != 99 && i + need < n; /* the continuation bytes are s[i+1 .. i+need] */
    for (size_t k = 1; ok && k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) ok = 0;
      else cp = cp << 6 | (s[i + k] & 0x3Fu);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (ok && (cp < min_cp[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = 0;
    if (!ok) {
      out[m++] = (rchar){UINT32_MAX, BITGEN_TOK_OTHER, i, 1};
      i++;
      continue;
    }
    int cls;
    if (cp < 0x80) {
      cls = ((cp | 32) >= 'a' && (cp | 32) <= 'z') ? BITGEN_TOK_LETTER
            : (cp >= '0' && cp <= '9')            ? BITGEN_TOK_NUMBER
            : strchr(" \t\n\v\f\r", (int)cp) && cp ? BITGEN_TOK_SPACE
                                                   : BITGEN_TOK_OTHER;
    } else {
      cls = bitgen_tok_char_class(cp);
    }
    out[m++] = (rchar){cp, cls, i, need + 1};
    i += need + 1;
  }
  return m;
}

static int L_(const rchar *c, size_t i, size_t m) { return i < m && c[i].cls == BITGEN_TOK_LETTER; }
static int N_(const rchar *c, size_t i, size_t m) { return i < m && c[i].cls == BITGEN_TOK_NUMBER; }
static int S_(const rchar *c, size_t i, size_t m) { return i < m && c[i].cls == BITGEN_TOK_SPACE; }
static int O_(const rchar *c, size_t i, size_t m) { return i < m && c[i].cls == BITGEN_TOK_OTHER; } /* [^\s\p{L}\p{N}] */
static int CRLF_(const rchar *c, size_t i, size_t m) { return i < m && (c[i].cp == '\r' || c[i].cp == '\n'); }

/* each returns the match length in characters, 0 for no match */
static size_t alt_contraction(const rchar *c, size_t i, size_t m) { /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
  static const char *const suf[] = {"s", "t", "re", "ve", "m", "ll", "d"};
  if (c[i].cp != '\'') return 0;
  for (int k = 0; k < 7; k++) {
    size_t n = strlen(suf[k]), j = 0;
    while (j < n && i + 1 + j < m && c[i + 1 + j].cp < 128 && (c[i + 1 + j].cp | 32) == (uint32_t)suf[k][j]) j++;
    if (j == n) return n + 1;
  }
  return 0;
}
static size_t alt_letters(const rchar *c, size_t i, size_t m) { /* [^\r\n\p{L}\p{N}]?\p{L}+ */
  if (!CRLF_(c, i, m) && !L_(c, i, m) && !N_(c, i, m)) { /* the ? takes one character first */
    size_t k = i + 1;
    while (L_(c, k, m)) k++;
    if (k > i + 1) return k - i;
  }
  size_t k = i; /* then the ? takes none */
  while (L_(c, k, m)) k++;
  return k - i;
}
static size_t alt_digits(const rchar *c, size_t i, size_t m) { /* \p{N}{1,3} */
  size_t k = i;
  while (k < i + 3 && N_(c, k, m)) k++;
  return k - i;
}
static size_t alt_other(const rchar *c, size_t i, size_t m) { /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
  for (int with_space = 1; with_space >= 0; with_space--) {
    size_t j = i;
    if (with_space) {
      if (c[i].cp != ' ') continue;
      j++;
    }
    size_t k = j;
    while (O_(c, k, m)) k++;
    if (k == j) continue;
    while (CRLF_(c, k, m)) k++;
    return k - i;
  }
  return 0;
}
static size_t alt_space_newline(const rchar *c, size_t i, size_t m) { /* \s*[\r\n]+ */
  size_t e = i;
  while (S_(c, e, m)) e++;
  for (size_t j = e + 1; j-- > i;) { /* \s* = [i, j), longest first */
    size_t k = j;
    while (CRLF_(c, k, m)) k++;
    if (k > j) return k - i;
  }
  return 0;
}
static size_t alt_space_lookahead(const rchar *c, size_t i, size_t m) { /* \s+(?!\S) */
  size_t e = i;
  while (S_(c, e, m)) e++;
  for (size_t j = e; j > i; j--) /* \s+ = [i, j), longest first */
    if (j >= m || S_(c, j, m)) return j - i;
  return 0;
}
static size_t alt_space(const rchar *c, size_t i, size_t m) { /* \s+ */
  size_t e = i;
  while (S_(c, e, m)) e++;
  return e - i;
}

/* pieces as byte offsets: starts[k], ends[k] */
typedef struct {
  size_t *start, *end, n, cap;
} pieces;
static void pieces_add(pieces *p, size_t a, size_t b) {
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 64;
    p->start = xrealloc(p->start, p->cap * sizeof *p->start);
    p->end = xrealloc(p->end, p->cap * sizeof *p->end);
  }
  p->start[p->n] = a, p->end[p->n++] = b;
}

static void ref_pretokenize(const uint8_t *s, size_t n, pieces *out) {
  rchar *c = xmalloc((n + 1) * sizeof *c);
  size_t m = ref_decode(s, n, c), i = 0;
  size_t (*const alts[])(const rchar *, size_t, size_t) = {alt_contraction, alt_letters, alt_digits, alt_other,
                                                           alt_space_newline, alt_space_lookahead, alt_space};
  while (i < m) {
    size_t len = 0;
    for (size_t a = 0; a < 7 && !len; a++) len = alts[a](c, i, m);
    if (!len) len = 1; /* cannot happen: every class matches some alternative */
    size_t end = i + len < m ? c[i + len].off : n;
    pieces_add(out, c[i].off, end);
    i += len;
  }
  free(c);
}

/* naive BPE: symbols are byte strings; merges looked up by linear search */
typedef struct {
  uint8_t **l, **r;
  size_t *nl, *nr, n;
} ref_merges;

static ref_merges ref_merges_of(const vb *v) {
  ref_merges rm = {xmalloc(v->nm * sizeof(uint8_t *)), xmalloc(v->nm * sizeof(uint8_t *)),
                   xmalloc(v->nm * sizeof(size_t)), xmalloc(v->nm * sizeof(size_t)), v->nm};
  for (size_t i = 0; i < v->nm; i++) {
    const char *s = v->merge[i], *sp = memchr(s + 1, ' ', v->mlen[i] - 1);
    size_t a = (size_t)(sp - s), b = v->mlen[i] - a - 1;
    rm.l[i] = xmalloc(a + 1), rm.r[i] = xmalloc(b + 1);
    long x = unmap(s, a, rm.l[i]), y = unmap(sp + 1, b, rm.r[i]);
    rm.nl[i] = x < 0 ? SIZE_MAX : (size_t)x; /* a part that is no byte text never matches */
    rm.nr[i] = y < 0 ? SIZE_MAX : (size_t)y;
  }
  return rm;
}
static void ref_merges_free(ref_merges *rm) {
  for (size_t i = 0; i < rm->n; i++) free(rm->l[i]), free(rm->r[i]);
  free(rm->l), free(rm->r), free(rm->nl), free(rm->nr);
}

/* token whose stored text is the GPT-2 characters of s[0,n) (linear search) */
static int32_t ref_lookup(const vb *v, const uint8_t *s, size_t n) {
  char *m = xmalloc(2 * n + 1);
  size_t mn = map_bytes(s, n, m);
  int32_t id = vb_find(v, m, mn);
  free(m);
  return id;
}

typedef struct {
  int32_t *ids;
  size_t n, cap;
} idvec;
static void idvec_push(idvec *v, int32_t id) {
  if (v->n == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 64;
    v->ids = xrealloc(v->ids, v->cap * sizeof *v->ids);
  }
  v->ids[v->n++] = id;
}

static void ref_bpe(const vb *v, const ref_merges *rm, const uint8_t *s, size_t n, idvec *out) {
  if (v->ignore_merges) {
    int32_t id = ref_lookup(v, s, n);
    if (id >= 0) {
      idvec_push(out, id);
      return;
    }
  }
  size_t *st = xmalloc(n * sizeof *st), *ln = xmalloc(n * sizeof *ln), m = n;
  for (size_t i = 0; i < n; i++) st[i] = i, ln[i] = 1;
  for (;;) {
    size_t best = SIZE_MAX, at = 0;
    for (size_t k = 0; k + 1 < m; k++)
      for (size_t r = 0; r < rm->n && r < best; r++)
        if (rm->nl[r] == ln[k] && rm->nr[r] == ln[k + 1] && !memcmp(rm->l[r], s + st[k], ln[k]) &&
            !memcmp(rm->r[r], s + st[k + 1], ln[k + 1])) {
          best = r, at = k;
          break;
        }
    if (best == SIZE_MAX) break;
    ln[at] += ln[at + 1];
    memmove(st + at + 1, st + at + 2, (m - at - 2) * sizeof *st);
    memmove(ln + at + 1, ln + at + 2, (m - at - 2) * sizeof *ln);
    m--;
  }
  for (size_t k = 0; k < m; k++) idvec_push(out, ref_lookup(v, s + st[k], ln[k]));
  free(st), free(ln);
}

static int is_special_type(int ty, int parse_special) {
  return ty == BITGEN_TOK_USER_DEFINED || (parse_special && (ty == BITGEN_TOK_CONTROL || ty == BITGEN_TOK_UNKNOWN));
}

static void ref_encode(const vb *v, const ref_merges *rm, const uint8_t *s, size_t n, int add_bos, int parse_special,
                       idvec *out) {
  out->n = 0;
  if (add_bos) idvec_push(out, (int32_t)v->bos);
  size_t frag = 0, p = 0;
  while (p <= n) {
    int32_t best = -1;
    size_t blen = 0;
    for (size_t i = 0; p < n && i < v->n; i++)
      if (is_special_type(v->type[i], parse_special) && v->len[i] > blen && v->len[i] <= n - p &&
          !memcmp(v->tok[i], s + p, v->len[i]))
        best = (int32_t)i, blen = v->len[i];
    if (best >= 0 || p == n) {
      pieces pc = {0};
      ref_pretokenize(s + frag, p - frag, &pc);
      for (size_t k = 0; k < pc.n; k++) ref_bpe(v, rm, s + frag + pc.start[k], pc.end[k] - pc.start[k], out);
      free(pc.start), free(pc.end);
      if (best < 0) break;
      idvec_push(out, best);
      p += blen;
      frag = p;
    } else {
      p++;
    }
  }
}

/* ---- random text ------------------------------------------------------------------ */
static const char *const atoms[] = {
    "hello", "world", "the", "Hello", "don", "I", "caf\xc3\xa9", "a", "bb", "abc", "x",
    " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\x0b",
    "0", "12", "345", "2024", "1234567",
    "'s", "'t", "'LL", "'re", "'Ve", "'d", "'m", "'x", "'",
    "!", "?!", "...", "$", "(", "\xe2\x80\x94", ",", "-",
    "\xc3\xa9", "\xc3\x9f", "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80", "\xcc\x81", "\xc2\xa0", "\xe3\x80\x80",
    "\xd9\xa3\xd9\xa4", "\xc2\x85", "\xe2\x85\xab", "\xef\xbc\x91",
    "<|eot|>", "<|eot|>!", "<u>", "<u>x", "<unk>", "<|", "|>",
    "\xff", "\x80", "\xe4\xb8", "\xed\xa0\x80", "\xc0\xaf",
};
#define N_ATOMS (sizeof atoms / sizeof atoms[0])

static size_t random_text(uint8_t *buf, size_t cap, int with_specials) {
  size_t n = 0, k = 1 + rnd_below(14);
  for (size_t i = 0; i < k; i++) {
    const char *a;
    char one[2] = {0, 0};
    if (rnd_below(10) == 0) {
      do one[0] = (char)(1 + rnd_below(255));
      while (!with_specials && one[0] == '<'); /* no normal token may contain '<': specials start with it */
      a = one;
    } else {
      do a = atoms[rnd_below(N_ATOMS)];
      while (!with_specials && a[0] == '<');
    }
    size_t l = strlen(a);
    if (n + l > cap) break;
    memcpy(buf + n, a, l);
    n += l;
  }
  return n;
}

/* ---- vocabularies ---------------------------------------------------------------------- */
/* The small one of the hand-computed cases. */
static void vocab_small(vb *v) {
  vb_init(v);
  vb_bytes(v, 0);
  vb_merge_raw(v, "h", "e");
  vb_merge_raw(v, "l", "l");
  vb_merge_raw(v, "he", "ll");
  vb_merge_raw(v, "hell", "o");
  vb_merge_raw(v, " ", "w");
  vb_merge_raw(v, "o", "r");
  vb_merge_raw(v, " w", "or");
  vb_merge_raw(v, "l", "d");
  vb_merge_raw(v, " wor", "ld");
  vb_merge_raw(v, "\xc3", "\xa9");
  vb_merge_raw(v, "a", "a");
  vb_merge_raw(v, "b", "c");
  vb_merge_raw(v, "a", "b");
  vb_add_bytes(v, "xyz"); /* reachable only as a whole piece */
  v->bos = vb_add_str(v, "<|begin|>", BITGEN_TOK_CONTROL);
  v->eos = vb_add_str(v, "<|end|>", BITGEN_TOK_CONTROL);
  v->eot = vb_add_str(v, "<|eot|>", BITGEN_TOK_CONTROL);
  vb_add_str(v, "<|eot|>x", BITGEN_TOK_CONTROL);
  vb_add_str(v, "<u>", BITGEN_TOK_USER_DEFINED);
  vb_add_str(v, "<0x41>", BITGEN_TOK_BYTE);
  vb_add_str(v, "unused token", BITGEN_TOK_UNUSED);
  v->add_bos = 1;
}

/* A random one: shuffled byte tokens, merges learned from random text (most
 * frequent pair first) and random ones, whole-word tokens, specials. */
static void vocab_random(vb *v, int ignore_merges) {
  vb_init(v);
  vb_bytes(v, 1);
  v->ignore_merges = ignore_merges;
  /* learn merges over pieces of a random corpus */
  enum { CORPUS = 120 };
  pieces pc = {0};
  uint8_t *corpus = xmalloc(CORPUS * 64);
  size_t cn = 0;
  for (int i = 0; i < CORPUS; i++) cn += random_text(corpus + cn, 64, 0);
  ref_pretokenize(corpus, cn, &pc);
  int32_t *sym = xmalloc(cn * sizeof *sym);
  size_t *wend = xmalloc(pc.n * sizeof *wend), ns = 0;
  for (size_t k = 0; k < pc.n; k++) {
    for (size_t i = pc.start[k]; i < pc.end[k]; i++) sym[ns++] = ref_lookup(v, corpus + i, 1);
    wend[k] = ns;
  }
  size_t nw = pc.n;
  for (int step = 0; step < 120; step++) {
    /* the most frequent adjacent pair inside a word (first seen among equals) */
    int32_t ba = -1, bb = -1;
    size_t bc = 1;
    size_t w0 = 0;
    for (size_t w = 0; w < nw; w++) {
      for (size_t i = w0; i + 1 < wend[w]; i++) {
        size_t cnt = 0, u0 = 0;
        for (size_t u = 0; u < nw; u++) {
          for (size_t j = u0; j + 1 < wend[u]; j++) cnt += sym[j] == sym[i] && sym[j + 1] == sym[i + 1];
          u0 = wend[u];
        }
        if (cnt > bc) bc = cnt, ba = sym[i], bb = sym[i + 1];
      }
      w0 = wend[w];
    }
    if (ba < 0) break;
    int dup = 0;
    for (size_t i = 0; i < v->nm; i++) {
      char tmp[512];
      size_t n = v->len[ba] + v->len[bb] + 1;
      if (n > sizeof tmp) continue;
      memcpy(tmp, v->tok[ba], v->len[ba]);
      tmp[v->len[ba]] = ' ';
      memcpy(tmp + v->len[ba] + 1, v->tok[bb], v->len[bb]);
      dup |= v->mlen[i] == n && !memcmp(v->merge[i], tmp, n);
    }
    if (dup) break;
    vb_merge_ids(v, ba, bb);
    char *m = xmalloc(v->len[ba] + v->len[bb]);
    memcpy(m, v->tok[ba], v->len[ba]);
    memcpy(m + v->len[ba], v->tok[bb], v->len[bb]);
    int32_t id = vb_find(v, m, v->len[ba] + v->len[bb]);
    free(m);
    /* apply it */
    size_t o = 0, i0 = 0;
    for (size_t w = 0; w < nw; w++) {
      for (size_t i = i0; i < wend[w]; i++) {
        if (i + 1 < wend[w] && sym[i] == ba && sym[i + 1] == bb) sym[o++] = id, i++;
        else sym[o++] = sym[i];
      }
      i0 = wend[w];
      wend[w] = o;
    }
  }
  free(sym), free(wend), free(corpus), free(pc.start), free(pc.end);
  /* random merges of existing normal tokens (rank order unrelated to frequency) */
  for (int k = 0; k < 40; k++) {
    int32_t a = (int32_t)rnd_below(v->n), b = (int32_t)rnd_below(v->n);
    if (v->type[a] != BITGEN_TOK_NORMAL || v->type[b] != BITGEN_TOK_NORMAL) continue;
    if (v->len[a] + v->len[b] > 40) continue;
    int dup = 0;
    for (size_t i = 0; i < v->nm; i++) {
      size_t n = v->len[a] + v->len[b] + 1;
      dup |= v->mlen[i] == n && !memcmp(v->merge[i], v->tok[a], v->len[a]) &&
             !memcmp(v->merge[i] + v->len[a] + 1, v->tok[b], v->len[b]) && v->merge[i][v->len[a]] == ' ';
    }
    if (!dup) vb_merge_ids(v, a, b);
  }
  const char *words[] = {"hello", "world", " world", "caf\xc3\xa9", "1234", "\n\n", "  ", " \xf0\x9f\x98\x80"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    char m[64];
    size_t n = map_bytes((const uint8_t *)words[i], strlen(words[i]), m);
    if (vb_find(v, m, n) < 0) vb_add(v, m, n, BITGEN_TOK_NORMAL);
  }
  v->bos = vb_add_str(v, "<|begin_of_text|>", BITGEN_TOK_CONTROL);
  v->eos = vb_add_str(v, "<|end_of_text|>", BITGEN_TOK_CONTROL);
  v->eot = vb_add_str(v, "<|eot|>", BITGEN_TOK_CONTROL);
  vb_add_str(v, "<|eot|>!", BITGEN_TOK_CONTROL);
  vb_add_str(v, "<u>", BITGEN_TOK_USER_DEFINED);
  vb_add_str(v, "<u>x", BITGEN_TOK_USER_DEFINED);
  vb_add_str(v, "<unk>", BITGEN_TOK_UNKNOWN);
  vb_add_str(v, "never used", BITGEN_TOK_UNUSED);
}

/* ---- helpers for checks -------------------------------------------------------------------- */
static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
  return na == nb && (na == 0 || !memcmp(a, b, na * sizeof *a));
}
static const char *show(const uint8_t *s, size_t n) {
  static char buf[4][600];
  static int k;
  char *o = buf[k++ & 3];
  size_t j = 0;
  for (size_t i = 0; i < n && j + 5 < 590; i++) {
    if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') o[j++] = (char)s[i];
    else j += (size_t)snprintf(o + j, 600 - j, "\\x%02x", s[i]);
  }
  o[j] = 0;
  return o;
}
static void encode_all(bitgen_tok *t, const uint8_t *s, size_t n, int bos, int ps, idvec *out, int *st) {
  if (out->cap < n + 2) {
    out->cap = n + 2;
    out->ids = xrealloc(out->ids, out->cap * sizeof *out->ids);
  }
  *st = bitgen_tok_encode(t, (const char *)s, n, bos, ps, out->ids, out->cap, &out->n);
}

/* ---- 1. character classes and the byte map ------------------------------------------------ */
static void test_classes(void) {
  group_begin("unicode classes");
  static const struct {
    uint32_t cp;
    int cls;
  } cases[] = {
      {'A', BITGEN_TOK_LETTER}, {'z', BITGEN_TOK_LETTER}, {'0', BITGEN_TOK_NUMBER}, {'_', BITGEN_TOK_OTHER},
      {' ', BITGEN_TOK_SPACE}, {'\t', BITGEN_TOK_SPACE}, {0x0B, BITGEN_TOK_SPACE}, {0x1C, BITGEN_TOK_OTHER},
      {0x85, BITGEN_TOK_SPACE}, {0xA0, BITGEN_TOK_SPACE}, {0xAA, BITGEN_TOK_LETTER}, {0xB2, BITGEN_TOK_NUMBER},
      {0xB5, BITGEN_TOK_LETTER}, {0xBC, BITGEN_TOK_NUMBER}, {0xD7, BITGEN_TOK_OTHER}, {0xDF, BITGEN_TOK_LETTER},
      {0xE9, BITGEN_TOK_LETTER}, {0x2B0, BITGEN_TOK_LETTER}, {0x301, BITGEN_TOK_OTHER}, {0x378, BITGEN_TOK_OTHER},
      {0x663, BITGEN_TOK_NUMBER}, {0x1680, BITGEN_TOK_SPACE}, {0x200A, BITGEN_TOK_SPACE}, {0x200B, BITGEN_TOK_OTHER},
      {0x2014, BITGEN_TOK_OTHER}, {0x2028, BITGEN_TOK_SPACE}, {0x202F, BITGEN_TOK_SPACE}, {0x2160, BITGEN_TOK_NUMBER},
      {0x216B, BITGEN_TOK_NUMBER}, {0x3000, BITGEN_TOK_SPACE}, {0x30FC, BITGEN_TOK_LETTER}, {0x4E2D, BITGEN_TOK_LETTER},
      {0xD55C, BITGEN_TOK_LETTER}, {0xD800, BITGEN_TOK_OTHER}, {0xE000, BITGEN_TOK_OTHER}, {0xFF10, BITGEN_TOK_NUMBER},
      {0xFF21, BITGEN_TOK_LETTER}, {0xFFFD, BITGEN_TOK_OTHER}, {0x1D7CE, BITGEN_TOK_NUMBER}, {0x1F600, BITGEN_TOK_OTHER},
      {0x20000, BITGEN_TOK_LETTER}, {0x10FFFF, BITGEN_TOK_OTHER}, {0x110000, BITGEN_TOK_OTHER},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK(bitgen_tok_char_class(cases[i].cp) == cases[i].cls, "U+%04X: class %d, want %d", cases[i].cp,
          bitgen_tok_char_class(cases[i].cp), cases[i].cls);
  for (int b = 0; b < 256; b++)
    CHECK(bitgen_tok_byte_char((uint8_t)b) == map_cp[b], "byte 0x%02x -> U+%04X, want U+%04X", b,
          bitgen_tok_byte_char((uint8_t)b), map_cp[b]);
  CHECK(bitgen_tok_byte_char(' ') == 0x120 && bitgen_tok_byte_char('\n') == 0x10A && bitgen_tok_byte_char(0xAD) == 0x143,
        "GPT-2 map: space, LF, soft hyphen");
  group_end();
}

/* ---- 2. pre-tokenizer splits, by hand ---------------------------------------------------------- */
static size_t got_start[256], got_len[256], got_n;
static void collect(size_t off, size_t n, void *user) {
  (void)user;
  if (got_n < 256) got_start[got_n] = off, got_len[got_n] = n;
  got_n++;
}

static void expect_split(const char *text, size_t len, const char *const *want, int line) {
  got_n = 0;
  bitgen_tok_pretokenize(text, len, collect, NULL);
  size_t nw = 0;
  while (want[nw]) nw++;
  int ok = got_n == nw;
  size_t pos = 0;
  for (size_t i = 0; ok && i < nw; i++) {
    ok = got_start[i] == pos && got_len[i] == strlen(want[i]) && !memcmp(text + pos, want[i], got_len[i]);
    pos += got_len[i];
  }
  char got[1024] = "";
  for (size_t i = 0; i < got_n && i < 256 && strlen(got) < 900; i++) {
    strcat(got, "[");
    strcat(got, show((const uint8_t *)text + got_start[i], got_len[i]));
    strcat(got, "]");
  }
  check_at(ok, line, "'%s': got %s", show((const uint8_t *)text, len), got);
  /* the naive transcription of the pattern agrees */
  pieces pc = {0};
  ref_pretokenize((const uint8_t *)text, len, &pc);
  int same = pc.n == nw;
  pos = 0;
  for (size_t i = 0; same && i < nw; i++) {
    same = pc.start[i] == pos && pc.end[i] - pc.start[i] == strlen(want[i]);
    pos = pc.end[i];
  }
  check_at(same, line, "'%s': the reference splits it otherwise (%zu pieces)", show((const uint8_t *)text, len), pc.n);
  free(pc.start), free(pc.end);
}
#define SPLIT(text, ...)                                          \
  do {                                                            \
    static const char *const w_[] = {__VA_ARGS__, NULL};          \
    expect_split(text, sizeof(text) - 1, w_, __LINE__);           \
  } while (0)

static void test_splits(void) {
  group_begin("pre-tokenizer splits");
  SPLIT("Hello world", "Hello", " world");
  SPLIT("  leading spaces", " ", " leading", " spaces");
  SPLIT("don't", "don", "'t");
  SPLIT("I'M", "I", "'M");
  SPLIT("we'LL they're I'Ve", "we", "'LL", " they", "'re", " I", "'Ve");
  SPLIT("'s'", "'s", "'");
  SPLIT("'hello", "'hello");
  SPLIT("12345", "123", "45");
  SPLIT("1234567", "123", "456", "7");
  SPLIT(" 123", " ", "123");
  SPLIT("$100", "$", "100");
  SPLIT("hello123abc", "hello", "123", "abc");
  SPLIT("a\n\nb", "a", "\n\n", "b");
  SPLIT("foo   bar", "foo", "  ", " bar");
  SPLIT("trailing   ", "trailing", "   ");
  SPLIT("x ", "x", " ");
  SPLIT(" ", " ");
  SPLIT("\n", "\n");
  SPLIT("a  \n", "a", "  \n");
  SPLIT("x\r\n  y", "x", "\r\n", " ", " y");
  SPLIT("  \n  x", "  \n", " ", " x");
  SPLIT("!!!\n\nok", "!!!\n\n", "ok");
  SPLIT(" ?!", " ?!");
  SPLIT("\tword", "\tword");
  SPLIT("\nword", "\n", "word");
  SPLIT("hi \xf0\x9f\x98\x80\xf0\x9f\x98\x80!", "hi", " \xf0\x9f\x98\x80\xf0\x9f\x98\x80!");        /* emoji */
  SPLIT("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97");           /* CJK letters */
  SPLIT("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96", "\xe4\xbd\xa0\xe5\xa5\xbd", "\xef\xbc\x8c\xe4\xb8\x96");
  SPLIT("e\xcc\x81t", "e", "\xcc\x81t");                       /* combining acute: not a letter */
  SPLIT("caf\xc3\xa9 ok", "caf\xc3\xa9", " ok");                /* precomposed: a letter */
  SPLIT("\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", "\xd9\xa3\xd9\xa4\xd9\xa5", "\xd9\xa6"); /* Arabic-Indic digits */
  SPLIT("  \xc2\xa0x", "  ", "\xc2\xa0x");                      /* NBSP is white space */
  SPLIT("a\xe3\x80\x80\xe3\x80\x80" "b", "a", "\xe3\x80\x80", "\xe3\x80\x80" "b");
  SPLIT("ab\xff" "cd", "ab", "\xff" "cd");                      /* invalid byte: one other character */
  SPLIT("\xc0\xaf!", "\xc0\xaf!");                              /* overlong: two invalid bytes */
  SPLIT("a\x85\x85", "a", "\x85\x85");
  SPLIT("x\xc2\x85\xc2\x85y", "x", "\xc2\x85", "\xc2\x85y");    /* NEL: white space, not a line break */
  SPLIT("<|eot|>", "<|", "eot", "|>");
  {
    static const char *const none[] = {NULL};
    expect_split("", 0, none, __LINE__);
  }
  group_end();
}

/* ---- 3. BPE by hand ------------------------------------------------------------------------------ */
static void expect_ids(bitgen_tok *t, const char *text, int bos, int ps, const int32_t *want, size_t nw, int line) {
  int32_t out[64];
  size_t n;
  int st = bitgen_tok_encode(t, text, strlen(text), bos, ps, out, 64, &n);
  int ok = st == 0 && ids_equal(out, n, want, nw);
  char got[512] = "";
  for (size_t i = 0; i < n && i < 64 && strlen(got) < 480; i++) snprintf(got + strlen(got), 512 - strlen(got), "%d ", out[i]);
  check_at(ok, line, "'%s': status %d, ids %s", show((const uint8_t *)text, strlen(text)), st, got);
}
#define IDS(t, text, bos, ps, ...)                                    \
  do {                                                                \
    const int32_t w_[] = {__VA_ARGS__};                               \
    expect_ids(t, text, bos, ps, w_, sizeof w_ / sizeof w_[0], __LINE__); \
  } while (0)

static void test_bpe_by_hand(void) {
  group_begin("bpe by hand");
  vb v;
  vocab_small(&v);
  bitgen_tok *t = vb_create(&v, 0);
  /* token ids: bytes 0..255 in byte order, then the merges' results:
   * 256 he, 257 ll, 258 hell, 259 hello, 260 Gw, 261 or, 262 Gwor, 263 ld,
   * 264 Gworld, 265 e-acute, 266 aa, 267 bc, 268 ab, 269 xyz, then specials */
  IDS(t, "hello world", 0, 0, 259, 264);
  IDS(t, "hello world", 1, 0, (int32_t)v.bos, 259, 264);
  IDS(t, "aaa", 0, 0, 266, 'a');   /* equal ranks: leftmost first */
  IDS(t, "aaaa", 0, 0, 266, 266);
  IDS(t, "abc", 0, 0, 'a', 267);   /* "b c" (rank 11) before "a b" (rank 12) */
  IDS(t, "caf\xc3\xa9", 0, 0, 'c', 'a', 'f', 265);
  IDS(t, "xyz", 0, 0, 'x', 'y', 'z'); /* ignore_merges off: no merge makes it */
  IDS(t, "a<|eot|>b", 0, 1, 'a', (int32_t)v.eot, 'b');
  IDS(t, "a<|eot|>xb", 0, 1, 'a', (int32_t)v.eot + 1, 'b');  /* the longest special wins */
  IDS(t, "a<|eot|>b", 0, 0, 'a', '<', '|', 'e', 'o', 't', '|', '>', 'b');
  IDS(t, "<u>hello", 0, 0, (int32_t)v.eot + 2, 259);          /* user-defined: always */
  IDS(t, "", 1, 0, (int32_t)v.bos);
  int32_t one[1];
  size_t n;
  CHECK(bitgen_tok_encode(t, "hello world", 11, 0, 0, one, 1, &n) == BITGEN_TOK_E_SIZE && n == 2 && one[0] == 259,
        "cap 1: E_SIZE and the needed count 2 (got n=%zu)", n);
  CHECK(bitgen_tok_encode(t, "hello world", 11, 0, 0, NULL, 0, &n) == BITGEN_TOK_E_SIZE && n == 2, "cap 0: count only");
  CHECK(bitgen_tok_encode(t, NULL, 3, 0, 0, one, 1, &n) == BITGEN_TOK_E_NULL, "NULL text");
  CHECK(bitgen_tok_bos(t) == v.bos && bitgen_tok_eos(t) == v.eos && bitgen_tok_eot(t) == v.eot && bitgen_tok_add_bos(t),
        "special ids");
  CHECK(bitgen_tok_is_eog(t, (int32_t)v.eos) && bitgen_tok_is_eog(t, (int32_t)v.eot) && !bitgen_tok_is_eog(t, 259), "eog");
  CHECK(bitgen_tok_n_vocab(t) == v.n && bitgen_tok_n_merges(t) == v.nm, "sizes");
  /* decode */
  char buf[64];
  CHECK(bitgen_tok_piece(t, 264, 0, buf, sizeof buf, &n) == 0 && n == 6 && !memcmp(buf, " world", 6), "piece ' world'");
  CHECK(bitgen_tok_piece(t, 265, 0, buf, sizeof buf, &n) == 0 && n == 2 && !memcmp(buf, "\xc3\xa9", 2), "piece e-acute");
  CHECK(bitgen_tok_piece(t, 10, 0, buf, sizeof buf, &n) == 0 && n == 1 && buf[0] == '\n', "piece LF");
  CHECK(bitgen_tok_piece(t, (int32_t)v.eot, 0, buf, sizeof buf, &n) == 0 && n == 0, "control: nothing by default");
  CHECK(bitgen_tok_piece(t, (int32_t)v.eot, 1, buf, sizeof buf, &n) == 0 && n == 7 && !memcmp(buf, "<|eot|>", 7),
        "control rendered");
  CHECK(bitgen_tok_piece(t, (int32_t)v.eot + 2, 0, buf, sizeof buf, &n) == 0 && n == 3 && !memcmp(buf, "<u>", 3),
        "user-defined always");
  CHECK(bitgen_tok_piece(t, (int32_t)v.eot + 3, 0, buf, sizeof buf, &n) == 0 && n == 1 && buf[0] == 'A', "byte token <0x41>");
  CHECK(bitgen_tok_piece(t, (int32_t)v.eot + 4, 1, buf, sizeof buf, &n) == 0 && n == 0, "unused: nothing");
  CHECK(bitgen_tok_piece(t, 264, 0, buf, 3, &n) == BITGEN_TOK_E_SIZE && n == 6, "piece: small buffer");
  CHECK(bitgen_tok_piece(t, (int32_t)v.n, 0, buf, sizeof buf, &n) == BITGEN_TOK_E_VALUE, "piece: id out of range");
  CHECK(bitgen_tok_piece(t, -1, 0, buf, sizeof buf, &n) == BITGEN_TOK_E_VALUE, "piece: negative id");
  const int32_t seq[] = {(int32_t)v.bos, 259, 264, 265};
  CHECK(bitgen_tok_decode(t, seq, 4, 0, buf, sizeof buf, &n) == 0 && n == 13 && !memcmp(buf, "hello world\xc3\xa9", 13),
        "decode a sequence");
  CHECK(bitgen_tok_decode(t, seq, 4, 0, buf, 5, &n) == BITGEN_TOK_E_SIZE && n == 13 && !memcmp(buf, "hello", 5),
        "decode: small buffer, needed count");
  CHECK(bitgen_tok_find(t, "hello", 5) == 259 && bitgen_tok_find(t, "nope!", 5) == -1, "find");
  bitgen_tok_free(t);
  /* ignore_merges: a whole piece that is a token is that token */
  v.ignore_merges = 1;
  t = vb_create(&v, 0);
  IDS(t, "xyz", 0, 0, 269);
  IDS(t, "xyz xyz", 0, 0, 269, ' ', 'x', 'y', 'z');
  bitgen_tok_free(t);
  /* max_piece */
  t = vb_create(&v, 8);
  CHECK(bitgen_tok_encode(t, "aaaaaaaa aaaaaaaaa", 18, 0, 0, one, 1, &n) == BITGEN_TOK_E_LONG, "piece longer than max_piece");
  int32_t ids[16];
  CHECK(bitgen_tok_encode(t, "aaaaaaaa", 8, 0, 0, ids, 16, &n) == 0 && n == 4, "piece of exactly max_piece");
  bitgen_tok_free(t);
  /* a pair listed twice keeps its first rank (as llama.cpp): "b c" stays before "a b" */
  vb_add_merge_n(&v, "b", 1, "c", 1);
  t = vb_create(&v, 0);
  IDS(t, "abc", 0, 0, 'a', 267);
  bitgen_tok_free(t);
  free(v.merge[--v.nm]);
  /* no BOS token */
  v.bos = -1;
  t = vb_create(&v, 0);
  CHECK(bitgen_tok_encode(t, "a", 1, 1, 0, ids, 16, &n) == BITGEN_TOK_E_VALUE, "add_bos without a BOS token");
  bitgen_tok_free(t);
  vb_free(&v);
  group_end();
}

/* ---- 4. long inputs ---------------------------------------------------------------------------------- */
static void test_long(void) {
  group_begin("long inputs");
  vb v;
  vb_init(&v);
  vb_bytes(&v, 0);
  vb_merge_raw(&v, "a", "a");
  static char a[70000];
  for (int k = 2; k < 15; k++) { /* merges a^(2^k) = a^(2^(k-1)) a^(2^(k-1)) */
    size_t h = (size_t)1 << (k - 1);
    memset(a, 'a', h);
    a[h] = 0;
    vb_merge_raw(&v, a, a);
  }
  bitgen_tok *t = vb_create(&v, 0);
  /* 3 * 2^14 + 5 letters, merged rank by rank (leftmost first): three
   * tokens of 2^14 letters, then the a^4 and the a left over */
  size_t L = 3 * 16384 + 5;
  char *s = xmalloc(L);
  memset(s, 'a', L);
  int32_t out[16];
  size_t n;
  int st = bitgen_tok_encode(t, s, L, 0, 0, out, 16, &n);
  int32_t top = vb_find(&v, s, 16384), a4 = vb_find(&v, s, 4);
  CHECK(st == 0 && n == 5 && out[0] == top && out[1] == top && out[2] == top && out[3] == a4 && out[4] == 'a',
        "49157 letters: status %d, %zu tokens", st, n);
  free(s);
  /* a megabyte of mixed text round-trips and matches piecewise encoding */
  size_t big = 1 << 20, m = 0;
  uint8_t *text = xmalloc(big + 64);
  while (m < big) m += random_text(text + m, 64, 1);
  idvec ids = {0};
  encode_all(t, text, m, 0, 1, &ids, &st);
  char *back = xmalloc(m + 1);
  size_t nb = 0;
  int st2 = bitgen_tok_decode(t, ids.ids, ids.n, 1, back, m + 1, &nb);
  CHECK(st == 0 && st2 == 0 && nb == m && !memcmp(back, text, m), "1 MiB round trip (%zu tokens)", ids.n);
  free(back), free(text), free(ids.ids);
  bitgen_tok_free(t);
  vb_free(&v);
  group_end();
}

/* ---- 5. random strings against the naive reference ------------------------------------------- */
static void test_random(int rounds) {
  for (int im = 0; im <= 1; im++) {
    group_begin(im ? "random vs naive, ignore_merges" : "random vs naive");
    for (int vocab_round = 0; vocab_round < 3; vocab_round++) {
      vb v;
      vocab_random(&v, im);
      ref_merges rm = ref_merges_of(&v);
      bitgen_tok *t = vb_create(&v, 0);
      idvec want = {0}, got = {0};
      uint8_t s[1024];
      char back[1100];
      long mismatches = 0;
      for (int r = 0; r < rounds; r++) {
        size_t n = random_text(s, sizeof s, 1);
        int bos = (int)rnd_below(2), ps = (int)rnd_below(2), st;
        ref_encode(&v, &rm, s, n, bos, ps, &want);
        encode_all(t, s, n, bos, ps, &got, &st);
        int ok = st == 0 && ids_equal(got.ids, got.n, want.ids, want.n);
        if (!ok && mismatches++ < 3) {
          printf("     text '%s' bos %d special %d: %zu tokens, reference %zu\n", show(s, n), bos, ps, got.n, want.n);
        }
        CHECK(ok, "encode differs from the reference");
        /* pieces agree with the reference pre-tokenizer */
        pieces pc = {0};
        ref_pretokenize(s, n, &pc);
        got_n = 0;
        bitgen_tok_pretokenize((const char *)s, n, collect, NULL);
        int same = got_n == pc.n;
        for (size_t k = 0; same && k < pc.n && k < 256; k++)
          same = got_start[k] == pc.start[k] && got_len[k] == pc.end[k] - pc.start[k];
        CHECK(same, "pre-tokenizer differs on '%s'", show(s, n));
        free(pc.start), free(pc.end);
        /* round trip: every byte string comes back (specials rendered, BOS skipped) */
        size_t nb;
        int st2 = bitgen_tok_decode(t, got.ids + bos, got.n - (size_t)bos, 1, back, sizeof back, &nb);
        CHECK(st2 == 0 && nb == n && !memcmp(back, s, n), "round trip of '%s'", show(s, n));
      }
      free(want.ids), free(got.ids);
      ref_merges_free(&rm);
      bitgen_tok_free(t);
      vb_free(&v);
    }
    group_end();
  }
}

/* ---- 6. bad vocabularies ---------------------------------------------------------------------------- */
static void expect_bad(vb *v, int status, const char *needle, int line) {
  bitgen_tok_vocab x = vb_vocab(v);
  bitgen_tok *t = (bitgen_tok *)1;
  bitgen_tok_error err;
  int st = bitgen_tok_create(&x, NULL, &t, &err);
  check_at(st == status && t == NULL && err.status == st && strstr(err.message, needle), line,
           "status %d (%s), want %d; message '%s' should contain '%s'", st, bitgen_tok_strerror(st), status, err.message,
           needle);
}

static void test_bad_vocab(void) {
  group_begin("bad vocabularies");
  vb v;
  vocab_small(&v);
  size_t n0 = v.n, m0 = v.nm;
  vb_add_bytes(&v, "hello"); /* duplicate of the merged token */
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "tokens[277]", __LINE__);
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "duplicate of token 259", __LINE__);
  free(v.tok[--v.n]);
  vb_add_merge_n(&v, "q", 1, "zz", 2);
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "merges[13] 'q zz': 'zz' is not a token", __LINE__);
  free(v.merge[--v.nm]);
  vb_add_merge_n(&v, "zz", 2, "q", 1);
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "'zz' is not a token", __LINE__);
  free(v.merge[--v.nm]);
  vb_add_merge_n(&v, "q", 1, "q", 1);
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "merges[13] 'q q': the merged text is not a token", __LINE__);
  free(v.merge[--v.nm]);
  v.merge[v.nm] = xmalloc(4), memcpy(v.merge[v.nm], "abc", 3), v.mlen[v.nm++] = 3;
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "no space", __LINE__);
  free(v.merge[--v.nm]);
  v.type[5] = 7;
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "token_types[5] = 7: not a token type", __LINE__);
  v.type[5] = BITGEN_TOK_NORMAL;
  v.type[v.n - 3] = BITGEN_TOK_BYTE; /* "<u>" typed BYTE */
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "a BYTE token's text must be <0xHH>", __LINE__);
  v.type[v.n - 3] = BITGEN_TOK_USER_DEFINED;
  v.bos = (int64_t)v.n;
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "bos_id = ", __LINE__);
  v.bos = 256;
  v.len[0] = 0; /* byte 0x00's token, emptied: no token for that byte */
  expect_bad(&v, BITGEN_TOK_E_VOCAB, "no token for byte 0x00", __LINE__);
  v.len[0] = 2;
  CHECK(v.n == n0 && v.nm == m0, "test bookkeeping");
  bitgen_tok *t;
  bitgen_tok_error err;
  CHECK(bitgen_tok_create(NULL, NULL, &t, &err) == BITGEN_TOK_E_NULL, "NULL vocabulary");
  bitgen_tok_vocab empty = {0};
  CHECK(bitgen_tok_create(&empty, NULL, &t, &err) == BITGEN_TOK_E_VOCAB && strstr(err.message, "no tokens"), "no tokens");
  bitgen_tok_free(NULL);
  vb_free(&v);
  group_end();
}

/* ---- 7. GGUF ---------------------------------------------------------------------------------------- */
typedef struct {
  const char *model, *pre; /* NULL: absent */
  int tokens_absent, merges_as_i32, types_as_u32, types_short, bos_as_str, add_bos_as_u32;
  int64_t bos;
  int add_bos_absent;
} gguf_opts;

static void write_gguf(const vb *v, const gguf_opts *o, uint8_t **p, size_t *n) {
  gguf_w w;
  gw_init(&w, 3);
  gw_kv_str(&w, "general.architecture", "llama");
  if (o->model) gw_kv_str(&w, "tokenizer.ggml.model", o->model);
  if (o->pre) gw_kv_str(&w, "tokenizer.ggml.pre", o->pre);
  if (!o->tokens_absent) {
    gw_key(&w, "tokenizer.ggml.tokens", GW_ARR);
    gw_put_arr(&w, GW_STR, v->n);
    for (size_t i = 0; i < v->n; i++) gw_put_str(&w, v->tok[i], v->len[i]);
  }
  gw_key(&w, "tokenizer.ggml.token_type", GW_ARR);
  size_t nt = v->n - (o->types_short ? 1 : 0);
  gw_put_arr(&w, o->types_as_u32 ? GW_U32 : GW_I32, nt);
  for (size_t i = 0; i < nt; i++) gw_put_u32(&w, (uint32_t)v->type[i]);
  gw_key(&w, "tokenizer.ggml.merges", GW_ARR);
  if (o->merges_as_i32) {
    gw_put_arr(&w, GW_I32, 1);
    gw_put_u32(&w, 7);
  } else {
    gw_put_arr(&w, GW_STR, v->nm);
    for (size_t i = 0; i < v->nm; i++) gw_put_str(&w, v->merge[i], v->mlen[i]);
  }
  if (o->bos_as_str) gw_kv_str(&w, "tokenizer.ggml.bos_token_id", "1");
  else if (o->bos >= 0) gw_kv_u32(&w, "tokenizer.ggml.bos_token_id", (uint32_t)o->bos);
  if (v->eos >= 0) gw_kv_u32(&w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eos);
  if (v->eot >= 0) gw_kv_u32(&w, "tokenizer.ggml.eot_token_id", (uint32_t)v->eot);
  if (o->add_bos_as_u32) gw_kv_u32(&w, "tokenizer.ggml.add_bos_token", 1);
  else if (!o->add_bos_absent) gw_kv_bool(&w, "tokenizer.ggml.add_bos_token", 0);
  if (gw_write_mem(&w, p, n)) {
    fprintf(stderr, "gguf writer failed\n");
    exit(2);
  }
  gw_free(&w);
}

static int open_tok(const vb *v, const gguf_opts *o, bitgen_tok **t, bitgen_tok_error *err) {
  uint8_t *p;
  size_t n;
  write_gguf(v, o, &p, &n);
  bitgen_gguf *g;
  bitgen_gguf_error gerr;
  int st = bitgen_gguf_open_memory(p, n, "tok.gguf", &g, &gerr);
  if (st) {
    fprintf(stderr, "gguf open failed: %s\n", gerr.message);
    exit(2);
  }
  *t = (bitgen_tok *)1;
  st = bitgen_tok_create_gguf(g, NULL, t, err);
  bitgen_gguf_close(g); /* the tokenizer keeps copies: the file may go */
  free(p);
  return st;
}

static void test_gguf(int rounds) {
  group_begin("gguf");
  vb v;
  vocab_random(&v, 1);
  gguf_opts ok = {"gpt2", "llama-bpe", 0, 0, 0, 0, 0, 0, v.bos, 0};
  bitgen_tok *tg, *ta;
  bitgen_tok_error err;
  int st = open_tok(&v, &ok, &tg, &err);
  CHECK(st == 0, "load: %d %s", st, err.message);
  if (st == 0) {
    ta = vb_create(&v, 0);
    CHECK(bitgen_tok_bos(tg) == v.bos && bitgen_tok_eos(tg) == v.eos && bitgen_tok_eot(tg) == v.eot &&
              bitgen_tok_add_bos(tg) == 0 && bitgen_tok_n_vocab(tg) == v.n && bitgen_tok_n_merges(tg) == v.nm,
          "metadata read back");
    idvec a = {0}, b = {0};
    uint8_t s[512];
    for (int r = 0; r < rounds; r++) {
      size_t n = random_text(s, sizeof s, 1);
      int st1, st2, ps = (int)rnd_below(2);
      encode_all(tg, s, n, 1, ps, &a, &st1);
      encode_all(ta, s, n, 1, ps, &b, &st2);
      CHECK(st1 == 0 && st2 == 0 && ids_equal(a.ids, a.n, b.ids, b.n), "GGUF and array tokenizers differ on '%s'",
            show(s, n));
    }
    free(a.ids), free(b.ids);
    bitgen_tok_free(ta);
    bitgen_tok_free(tg);
  }
  /* add_bos defaults to 1 (llama.cpp's llama-3 pre-tokenizer) without the key; other llama-3 names load */
  {
    gguf_opts o = ok;
    o.add_bos_absent = 1;
    o.pre = "llama3";
    st = open_tok(&v, &o, &tg, &err);
    CHECK(st == 0 && bitgen_tok_add_bos(tg) == 1, "add_bos default: %d %s", st, err.message);
    if (!st) bitgen_tok_free(tg);
  }
  static const struct {
    gguf_opts o;
    int status;
    const char *needle;
  } bad[] = {
      {{"llama", "llama-bpe", 0, 0, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_UNSUPPORTED, "tokenizer.ggml.model is 'llama'"},
      {{NULL, "llama-bpe", 0, 0, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_MISSING, "tokenizer.ggml.model: missing"},
      {{"gpt2", "qwen2", 0, 0, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_UNSUPPORTED, "tokenizer.ggml.pre is 'qwen2'"},
      {{"gpt2", NULL, 0, 0, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_UNSUPPORTED, "tokenizer.ggml.pre: missing"},
      {{"gpt2", "llama-bpe", 1, 0, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_MISSING, "tokenizer.ggml.tokens: missing"},
      {{"gpt2", "llama-bpe", 0, 1, 0, 0, 0, 0, -1, 0}, BITGEN_TOK_E_TYPE, "tokenizer.ggml.merges: array of i32, want an array of str"},
      {{"gpt2", "llama-bpe", 0, 0, 1, 0, 0, 0, -1, 0}, BITGEN_TOK_E_TYPE, "tokenizer.ggml.token_type: array of u32"},
      {{"gpt2", "llama-bpe", 0, 0, 0, 1, 0, 0, -1, 0}, BITGEN_TOK_E_VOCAB, "tokenizer.ggml.token_type: "},
      {{"gpt2", "llama-bpe", 0, 0, 0, 0, 1, 0, -1, 0}, BITGEN_TOK_E_TYPE, "tokenizer.ggml.bos_token_id: str"},
      {{"gpt2", "llama-bpe", 0, 0, 0, 0, 0, 1, -1, 0}, BITGEN_TOK_E_TYPE, "tokenizer.ggml.add_bos_token: u32, want a bool"},
      {{"gpt2", "llama-bpe", 0, 0, 0, 0, 0, 0, 1000000, 0}, BITGEN_TOK_E_VOCAB, "tokenizer.ggml.bos_token_id = 1000000"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bitgen_tok *t;
    st = open_tok(&v, &bad[i].o, &t, &err);
    CHECK(st == bad[i].status && t == NULL && strstr(err.message, bad[i].needle),
          "case %zu: status %d (%s), want %d; message '%s' should contain '%s'", i, st, bitgen_tok_strerror(st),
          bad[i].status, err.message, bad[i].needle);
  }
  /* a duplicate token in the file */
  vb_add(&v, v.tok[100], v.len[100], BITGEN_TOK_NORMAL);
  {
    bitgen_tok *t;
    st = open_tok(&v, &ok, &t, &err);
    CHECK(st == BITGEN_TOK_E_VOCAB && strstr(err.message, "tokenizer.ggml.tokens[") && strstr(err.message, "duplicate of token 100"),
          "duplicate token: %d '%s'", st, err.message);
  }
  vb_free(&v);
  group_end();
}

/* The fuzz target's GGUF seed (tests/fuzz/tok/corpus): mode byte 1, then
 * a file with the small vocabulary. */
static int write_seed(const char *path) {
  vb v;
  vocab_small(&v);
  gguf_opts o = {"gpt2", "llama-bpe", 0, 0, 0, 0, 0, 0, v.bos, 0};
  uint8_t *p;
  size_t n;
  write_gguf(&v, &o, &p, &n);
  FILE *f = fopen(path, "wb");
  int ok = f && fputc(1, f) != EOF && fwrite(p, 1, n, f) == n;
  if (f && fclose(f)) ok = 0;
  free(p);
  vb_free(&v);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  int rounds = 1500;
  (void)report_paths; /* check.h's, for the quantizer tests */
  map_init();
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) rounds = 300;
    else if (!strcmp(argv[i], "--write-seed") && i + 1 < argc) return write_seed(argv[i + 1]);
  }
  test_classes();
  test_splits();
  test_bpe_by_hand();
  test_bad_vocab();
  test_long();
  test_random(rounds);
  test_gguf(rounds / 3);
  printf("unicode table: %s\n", bitgen_tok_unicode_version());
  return check_summary();
}
