/* Byte-level BPE tokenizer (bitgen_tok.h).
 *
 * Layout: token texts in one blob with offsets; an open-addressing hash from
 * text to id; a hash from (left id, right id) to (rank, merged id); the
 * bytes each token decodes to, precomputed; a trie of the special tokens.
 * Creation checks the vocabulary so that encode cannot fail on it: every
 * byte has a token, every merge names two tokens and makes a third, so every
 * BPE symbol is a token id and no lookup during encode can miss.
 *
 * Encode keeps per-piece scratch (symbol ids, links, pair ranks and an
 * indexed binary heap over pair positions) sized at creation for max_piece
 * bytes: O(L log L) per piece of L bytes, no allocation. */
#include "bitgen_tok.h"
#include "bitgen_gguf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define DEFAULT_MAX_PIECE 65536u

typedef struct {
  uint32_t left, right, rank, result; /* left == NONE: empty slot */
} merge_slot;

typedef struct {
  uint32_t child, sibling; /* 0: none (node 0 is the root, never a child or sibling) */
  int32_t token;           /* a special token ends here, or -1 */
  uint8_t byte;
  uint8_t user; /* that token is USER_DEFINED: matched without parse_special */
} trie_node;

struct bitgen_tok {
  size_t n;
  uint8_t *type;
  uint32_t *text_off; /* n + 1 offsets into text */
  char *text;
  uint32_t *piece_off; /* n + 1 offsets into piece: the bytes each token decodes to */
  char *piece;
  uint32_t *tok_hash; /* id + 1, 0: empty */
  size_t tok_mask;
  size_t n_merges;
  merge_slot *merge_hash;
  size_t merge_mask;
  int32_t byte_tok[256];
  uint8_t bchar[256][2], bchar_len[256]; /* UTF-8 of each byte's GPT-2 character */
  int16_t char_byte[0x144];             /* GPT-2 character -> byte, -1: none */
  trie_node *trie;
  size_t n_trie;
  uint8_t starts_any[32], starts_user[32]; /* first bytes of special tokens (all / user-defined) */
  int32_t bos, eos, eot;
  int add_bos, ignore_merges;
  size_t max_piece;
  uint32_t *sym_id, *sym_prev, *sym_next, *sym_rank, *sym_res, *heap, *heap_pos; /* encode scratch */
};

const char *bitgen_tok_strerror(int status) {
  switch (status) {
  case BITGEN_TOK_OK: return "ok";
  case BITGEN_TOK_E_NULL: return "a required pointer is NULL";
  case BITGEN_TOK_E_SIZE: return "output buffer too small";
  case BITGEN_TOK_E_VALUE: return "argument out of range";
  case BITGEN_TOK_E_NOMEM: return "out of memory";
  case BITGEN_TOK_E_VOCAB: return "invalid vocabulary";
  case BITGEN_TOK_E_MISSING: return "required tokenizer metadata missing";
  case BITGEN_TOK_E_TYPE: return "tokenizer metadata of the wrong type";
  case BITGEN_TOK_E_UNSUPPORTED: return "unsupported tokenizer";
  case BITGEN_TOK_E_LONG: return "pre-tokenized piece longer than max_piece";
  default: return "unknown status";
  }
}

/* ---- GPT-2 byte characters ----------------------------------------------- */
/* Printable bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF) stand for themselves;
 * the 68 others, in byte order, for U+0100 onwards. */
uint32_t bitgen_tok_byte_char(uint8_t b) {
  if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
  if (b <= 0x20) return 256u + b;
  if (b <= 0xA0) return 256u + 33u + (uint32_t)(b - 0x7F);
  return 256u + 33u + 34u; /* 0xAD */
}

/* ---- hashing -------------------------------------------------------------- */
static uint64_t h_add(uint64_t h, uint8_t c) { return (h ^ c) * 0x100000001b3ull; }
static uint64_t h_final(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}
#define H_INIT 0xcbf29ce484222325ull
static uint64_t h_bytes(const char *s, size_t n) {
  uint64_t h = H_INIT;
  for (size_t i = 0; i < n; i++) h = h_add(h, (uint8_t)s[i]);
  return h_final(h);
}
static uint64_t h_pair(uint32_t a, uint32_t b) { return h_final(((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull); }

static size_t table_size(size_t n) { /* power of two, load <= 1/2 */
  size_t c = 16;
  while (c < 2 * n) c *= 2;
  return c;
}

static const char *tok_text(const bitgen_tok *t, size_t id, size_t *len) {
  *len = t->text_off[id + 1] - t->text_off[id];
  return t->text + t->text_off[id];
}

/* Id of the token whose text is a[0,na) followed by b[0,nb), or -1. */
static int32_t find2(const bitgen_tok *t, const char *a, size_t na, const char *b, size_t nb) {
  uint64_t h = H_INIT;
  for (size_t i = 0; i < na; i++) h = h_add(h, (uint8_t)a[i]);
  for (size_t i = 0; i < nb; i++) h = h_add(h, (uint8_t)b[i]);
  for (size_t s = h_final(h) & t->tok_mask;; s = (s + 1) & t->tok_mask) {
    uint32_t e = t->tok_hash[s];
    if (!e) return -1;
    size_t len;
    const char *x = tok_text(t, e - 1, &len);
    if (len == na + nb && !memcmp(x, a, na) && !memcmp(x + na, b, nb)) return (int32_t)(e - 1);
  }
}

int32_t bitgen_tok_find(const bitgen_tok *t, const char *text, size_t len) {
  if (!t || (!text && len)) return -1;
  return find2(t, text ? text : "", len, "", 0);
}

/* Id of the token whose text is the GPT-2 characters of bytes s[0,n), or -1. */
static int32_t find_mapped(const bitgen_tok *t, const uint8_t *s, size_t n) {
  uint64_t h = H_INIT;
  size_t mlen = 0;
  for (size_t i = 0; i < n; i++) {
    for (unsigned k = 0; k < t->bchar_len[s[i]]; k++) h = h_add(h, t->bchar[s[i]][k]);
    mlen += t->bchar_len[s[i]];
  }
  for (size_t slot = h_final(h) & t->tok_mask;; slot = (slot + 1) & t->tok_mask) {
    uint32_t e = t->tok_hash[slot];
    if (!e) return -1;
    size_t len;
    const uint8_t *x = (const uint8_t *)tok_text(t, e - 1, &len);
    if (len != mlen) continue;
    size_t j = 0, i = 0;
    for (; i < n; i++) {
      unsigned k = 0;
      while (k < t->bchar_len[s[i]] && x[j] == t->bchar[s[i]][k]) j++, k++;
      if (k < t->bchar_len[s[i]]) break;
    }
    if (i == n) return (int32_t)(e - 1);
  }
}

static const merge_slot *find_merge(const bitgen_tok *t, uint32_t a, uint32_t b) {
  if (!t->n_merges) return NULL;
  for (size_t s = h_pair(a, b) & t->merge_mask;; s = (s + 1) & t->merge_mask) {
    const merge_slot *m = &t->merge_hash[s];
    if (m->left == NONE) return NULL;
    if (m->left == a && m->right == b) return m;
  }
}

/* ---- UTF-8 and character classes ------------------------------------------ */
typedef struct {
  uint32_t cp;  /* 0x110000: not valid UTF-8 (one byte, class OTHER) */
  uint32_t len; /* bytes */
  int cls;
} uchar;

static uchar char_at(const uint8_t *s, size_t n, size_t i) {
  uchar c = {0x110000, 1, BITGEN_TOK_OTHER};
  uint8_t b = s[i];
  if (b < 0x80) {
    c.cp = b;
    c.cls = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ? BITGEN_TOK_LETTER
            : (b >= '0' && b <= '9')                         ? BITGEN_TOK_NUMBER
            : (b == ' ' || (b >= 0x09 && b <= 0x0D))         ? BITGEN_TOK_SPACE
                                                             : BITGEN_TOK_OTHER;
    return c;
  }
  /* strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF */
  uint32_t need, min, cp;
  if (b >= 0xC2 && b <= 0xDF) need = 1, min = 0x80, cp = b & 0x1Fu;
  else if (b >= 0xE0 && b <= 0xEF) need = 2, min = 0x800, cp = b & 0x0Fu;
  else if (b >= 0xF0 && b <= 0xF4) need = 3, min = 0x10000, cp = b & 0x07u;
  else return c;
  if (n - i <= need) return c;
  for (uint32_t k = 1; k <= need; k++) {
    uint8_t x = s[i + k];
    if ((x & 0xC0) != 0x80) return c;
    cp = cp << 6 | (x & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return c;
  c.cp = cp;
  c.len = need + 1;
  c.cls = bitgen_tok_char_class(cp);
  return c;
}

static int is_crlf(uint32_t cp) { return cp == '\r' || cp == '\n'; }
static uint32_t ascii_lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

/* ---- the llama-3 pre-tokenizer --------------------------------------------
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * At each position the first alternative that matches wins (the regex
 * engine's leftmost-first order); each branch below is one alternative. */
typedef int (*piece_fn)(size_t off, size_t n, void *user);

static int pretokenize(const uint8_t *s, size_t n, piece_fn fn, void *user) {
  size_t p = 0;
  while (p < n) {
    uchar c = char_at(s, n, p);
    size_t q;
    /* 1: contractions, ASCII case-insensitive */
    if (c.cp == '\'' && p + 1 < n) {
      uint32_t c1 = ascii_lower(s[p + 1]);
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        q = p + 2;
        goto emit;
      }
      if (p + 2 < n) {
        uint32_t c2 = ascii_lower(s[p + 2]);
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          q = p + 3;
          goto emit;
        }
      }
    }
    /* 2: letters, optionally after one character that is no letter, digit, CR or LF */
    if (c.cls == BITGEN_TOK_LETTER || (c.cls != BITGEN_TOK_NUMBER && !is_crlf(c.cp) && p + c.len < n &&
                                       char_at(s, n, p + c.len).cls == BITGEN_TOK_LETTER)) {
      q = p + c.len;
      while (q < n) {
        uchar d = char_at(s, n, q);
        if (d.cls != BITGEN_TOK_LETTER) break;
        q += d.len;
      }
      goto emit;
    }
    /* 3: one to three digits */
    if (c.cls == BITGEN_TOK_NUMBER) {
      q = p;
      for (int k = 0; k < 3 && q < n; k++) {
        uchar d = char_at(s, n, q);
        if (d.cls != BITGEN_TOK_NUMBER) break;
        q += d.len;
      }
      goto emit;
    }
    /* 4: an optional space, a run of other characters, then CRs and LFs */
    q = p;
    if (c.cp == ' ' && p + 1 < n && char_at(s, n, p + 1).cls == BITGEN_TOK_OTHER) q = p + 1;
    if (char_at(s, n, q).cls == BITGEN_TOK_OTHER) {
      while (q < n) {
        uchar d = char_at(s, n, q);
        if (d.cls != BITGEN_TOK_OTHER) break;
        q += d.len;
      }
      while (q < n && (s[q] == '\r' || s[q] == '\n')) q++;
      goto emit;
    }
    /* c is white space: scan its run */
    {
      size_t e = p, last = p, crlf_end = 0, count = 0;
      while (e < n) {
        uchar d = char_at(s, n, e);
        if (d.cls != BITGEN_TOK_SPACE) break;
        last = e;
        e += d.len;
        count++;
        if (is_crlf(d.cp)) crlf_end = e;
      }
      if (crlf_end) q = crlf_end;              /* 5: \s*[\r\n]+ ends after the run's last CR or LF */
      else if (count >= 2 && e < n) q = last;  /* 6: \s+(?!\S) leaves the last one to the next piece */
      else q = e;                              /* 7: \s+ (or 6 at the end of the text) */
    }
  emit:
    if (fn(p, q - p, user)) return 1;
    p = q;
  }
  return 0;
}

typedef struct {
  void (*fn)(size_t, size_t, void *);
  void *user;
} pretok_cb;

static int pretok_forward(size_t off, size_t n, void *user) {
  pretok_cb *cb = user;
  cb->fn(off, n, cb->user);
  return 0;
}

void bitgen_tok_pretokenize(const char *text, size_t len, void (*fn)(size_t off, size_t n, void *user), void *user) {
  if (!fn || (!text && len)) return;
  pretok_cb cb = {fn, user};
  pretokenize((const uint8_t *)text, len, pretok_forward, &cb);
}

/* ---- errors at creation ----------------------------------------------------- */
static int fail(bitgen_tok_error *err, int status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = status;
  }
  return status;
}

/* A token text for messages: printable ASCII as is, other bytes as \xHH,
 * at most 40 bytes of it. */
static const char *quote(char *buf, size_t cap, const char *s, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 8 < cap; i++) {
    uint8_t b = (uint8_t)s[i];
    if (i == 40) {
      o += (size_t)snprintf(buf + o, cap - o, "...");
      break;
    }
    if (b >= 0x20 && b < 0x7F && b != '\'' && b != '\\') buf[o++] = (char)b;
    else o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", b);
  }
  buf[o] = 0;
  return buf;
}

/* ---- building --------------------------------------------------------------- */
/* Where a vocabulary comes from: plain arrays or GGUF metadata. */
typedef struct {
  const char *tokens_key, *types_key, *merges_key; /* field names in messages */
  size_t n_tokens, n_merges;
  int has_types;
  int (*token)(const void *ctx, size_t i, const char **s, size_t *len);
  int (*merge)(const void *ctx, size_t i, const char **s, size_t *len);
  int (*type)(const void *ctx, size_t i, int64_t *v);
  const void *ctx;
  int64_t bos, eos, eot;
  const char *bos_key, *eos_key, *eot_key;
  int add_bos, ignore_merges;
} source;

void bitgen_tok_free(bitgen_tok *t) {
  if (!t) return;
  free(t->type);
  free(t->text_off);
  free(t->text);
  free(t->piece_off);
  free(t->piece);
  free(t->tok_hash);
  free(t->merge_hash);
  free(t->trie);
  free(t->sym_id);
  free(t->sym_prev);
  free(t->sym_next);
  free(t->sym_rank);
  free(t->sym_res);
  free(t->heap);
  free(t->heap_pos);
  free(t);
}

static void *alloc_n(size_t n, size_t size) { return n && n <= SIZE_MAX / size ? calloc(n, size) : NULL; }

/* The bytes token id decodes to, into t->piece at *o. */
static int make_piece(bitgen_tok *t, size_t id, size_t *o, const source *src, bitgen_tok_error *err) {
  size_t len;
  const char *s = tok_text(t, id, &len);
  char *out = t->piece + *o;
  int type = t->type[id];
  char q[200];
  if (type == BITGEN_TOK_BYTE) {
    /* "<0xHH>", as llama.cpp's token_to_byte reads it */
    unsigned v = 0;
    int ok = len == 6 && !memcmp(s, "<0x", 3) && s[5] == '>';
    for (int k = 3; ok && k < 5; k++) {
      char ch = s[k];
      unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
                 : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10) : 16u;
      ok = d < 16;
      v = v * 16 + d;
    }
    if (!ok)
      return fail(err, BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': a BYTE token's text must be <0xHH>", src->types_key, id,
                  quote(q, sizeof q, s, len));
    out[0] = (char)v;
    *o += 1;
    return 0;
  }
  if (type == BITGEN_TOK_NORMAL || type == BITGEN_TOK_UNUSED || type == BITGEN_TOK_UNDEFINED) {
    /* GPT-2 characters back to bytes; a text that is not made of them
     * (never produced by encode) decodes to itself */
    size_t k = 0, j = 0;
    while (k < len) {
      uchar c = char_at((const uint8_t *)s, len, k);
      int b = c.cp < 0x144 ? t->char_byte[c.cp] : -1;
      if (b < 0) break;
      out[j++] = (char)b;
      k += c.len;
    }
    if (k == len) {
      *o += j;
      return 0;
    }
  }
  memcpy(out, s, len);
  *o += len;
  return 0;
}

static int build(const source *src, const bitgen_tok_options *opt, bitgen_tok **out, bitgen_tok_error *err) {
  char q1[200], q2[200];
  size_t n = src->n_tokens;
  if (n == 0) return fail(err, BITGEN_TOK_E_VOCAB, "%s: no tokens", src->tokens_key);
  if (n >= (size_t)INT32_MAX) return fail(err, BITGEN_TOK_E_VOCAB, "%s: %zu tokens, at most %d", src->tokens_key, n, INT32_MAX - 1);
  if (src->n_merges >= (size_t)UINT32_MAX) return fail(err, BITGEN_TOK_E_VOCAB, "%s: %zu merges, too many", src->merges_key, src->n_merges);
  bitgen_tok *t = calloc(1, sizeof *t);
  if (!t) return fail(err, BITGEN_TOK_E_NOMEM, "tokenizer: out of memory");
  int st = 0;
#define FAIL(...) do { st = fail(err, __VA_ARGS__); goto out_fail; } while (0)
#define NOMEM(p) do { if (!(p)) FAIL(BITGEN_TOK_E_NOMEM, "tokenizer: out of memory"); } while (0)
  t->n = n;
  t->bos = (int32_t)src->bos, t->eos = (int32_t)src->eos, t->eot = (int32_t)src->eot;
  t->add_bos = src->add_bos != 0;
  t->ignore_merges = src->ignore_merges != 0;
  for (size_t c = 0; c < 0x144; c++) t->char_byte[c] = -1;
  for (int b = 0; b < 256; b++) {
    uint32_t cp = bitgen_tok_byte_char((uint8_t)b);
    t->char_byte[cp] = (int16_t)b;
    if (cp < 0x80) t->bchar[b][0] = (uint8_t)cp, t->bchar_len[b] = 1;
    else t->bchar[b][0] = (uint8_t)(0xC0 | cp >> 6), t->bchar[b][1] = (uint8_t)(0x80 | (cp & 0x3F)), t->bchar_len[b] = 2;
  }

  /* texts and types */
  NOMEM(t->type = alloc_n(n, 1));
  NOMEM(t->text_off = alloc_n(n + 1, sizeof *t->text_off));
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    const char *s;
    size_t len;
    if (src->token(src->ctx, i, &s, &len)) FAIL(BITGEN_TOK_E_TYPE, "%s[%zu]: not a string", src->tokens_key, i);
    if (len > UINT32_MAX - total) FAIL(BITGEN_TOK_E_VOCAB, "%s: token texts exceed 4 GiB", src->tokens_key);
    total += len;
    t->text_off[i + 1] = (uint32_t)total;
    if (src->has_types) {
      int64_t v;
      if (src->type(src->ctx, i, &v)) FAIL(BITGEN_TOK_E_TYPE, "%s[%zu]: not an integer", src->types_key, i);
      if (v < BITGEN_TOK_UNDEFINED || v > BITGEN_TOK_BYTE)
        FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] = %lld: not a token type (0..6)", src->types_key, i, (long long)v);
      t->type[i] = (uint8_t)v;
    } else {
      t->type[i] = BITGEN_TOK_NORMAL;
    }
  }
  NOMEM(t->text = malloc(total ? total : 1));
  for (size_t i = 0; i < n; i++) {
    const char *s;
    size_t len;
    src->token(src->ctx, i, &s, &len);
    if (len) memcpy(t->text + t->text_off[i], s, len);
  }

  /* text -> id; empty texts are never matched, so not entered */
  t->tok_mask = table_size(n) - 1;
  NOMEM(t->tok_hash = alloc_n(t->tok_mask + 1, sizeof *t->tok_hash));
  for (size_t i = 0; i < n; i++) {
    size_t len;
    const char *s = tok_text(t, i, &len);
    if (!len) continue;
    size_t slot = h_bytes(s, len) & t->tok_mask;
    for (;; slot = (slot + 1) & t->tok_mask) {
      uint32_t e = t->tok_hash[slot];
      if (!e) break;
      size_t l2;
      const char *s2 = tok_text(t, e - 1, &l2);
      if (l2 == len && !memcmp(s, s2, len))
        FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': duplicate of token %u", src->tokens_key, i, quote(q1, sizeof q1, s, len),
             e - 1);
    }
    t->tok_hash[slot] = (uint32_t)i + 1;
  }

  /* every byte needs its token: the symbols BPE starts from */
  for (int b = 0; b < 256; b++) {
    t->byte_tok[b] = find2(t, (const char *)t->bchar[b], t->bchar_len[b], "", 0);
    if (t->byte_tok[b] < 0)
      FAIL(BITGEN_TOK_E_VOCAB, "%s: no token for byte 0x%02x (text '%s')", src->tokens_key, b,
           quote(q1, sizeof q1, (const char *)t->bchar[b], t->bchar_len[b]));
    /* BPE emits it for ordinary text: it must decode back to the byte */
    if (t->type[t->byte_tok[b]] != BITGEN_TOK_NORMAL)
      FAIL(BITGEN_TOK_E_VOCAB, "%s[%d]: the token for byte 0x%02x has type %d, not NORMAL (1): it would not decode "
           "back to the byte", src->types_key, t->byte_tok[b], b, t->type[t->byte_tok[b]]);
  }

  /* merges: "LEFT RIGHT" split at the first space after the first byte (as
   * llama.cpp); both parts and their concatenation must be tokens.  A pair
   * listed twice keeps its first (lowest) rank, as llama.cpp does. */
  t->n_merges = src->n_merges;
  t->merge_mask = table_size(src->n_merges) - 1;
  NOMEM(t->merge_hash = alloc_n(t->merge_mask + 1, sizeof *t->merge_hash));
  for (size_t i = 0; i <= t->merge_mask; i++) t->merge_hash[i].left = NONE;
  for (size_t i = 0; i < src->n_merges; i++) {
    const char *s;
    size_t len;
    if (src->merge(src->ctx, i, &s, &len)) FAIL(BITGEN_TOK_E_TYPE, "%s[%zu]: not a string", src->merges_key, i);
    const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
    if (!sp) FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': no space between two tokens", src->merges_key, i, quote(q1, sizeof q1, s, len));
    size_t nl = (size_t)(sp - s), nr = len - nl - 1;
    int32_t l = find2(t, s, nl, "", 0), r = find2(t, sp + 1, nr, "", 0);
    if (l < 0 || r < 0)
      FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': '%s' is not a token", src->merges_key, i, quote(q1, sizeof q1, s, len),
           l < 0 ? quote(q2, sizeof q2, s, nl) : quote(q2, sizeof q2, sp + 1, nr));
    int32_t m = find2(t, s, nl, sp + 1, nr);
    if (m < 0)
      FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': the merged text is not a token", src->merges_key, i,
           quote(q1, sizeof q1, s, len));
    if (t->type[m] != BITGEN_TOK_NORMAL)
      FAIL(BITGEN_TOK_E_VOCAB, "%s[%zu] '%s': the merged token %d has type %d, not NORMAL (1): it would not decode "
           "back to its text", src->merges_key, i, quote(q1, sizeof q1, s, len), m, t->type[m]);
    size_t slot = h_pair((uint32_t)l, (uint32_t)r) & t->merge_mask;
    while (t->merge_hash[slot].left != NONE &&
           !(t->merge_hash[slot].left == (uint32_t)l && t->merge_hash[slot].right == (uint32_t)r))
      slot = (slot + 1) & t->merge_mask;
    if (t->merge_hash[slot].left == NONE) t->merge_hash[slot] = (merge_slot){(uint32_t)l, (uint32_t)r, (uint32_t)i, (uint32_t)m};
  }

  /* decoded bytes: never longer than the text */
  NOMEM(t->piece_off = alloc_n(n + 1, sizeof *t->piece_off));
  NOMEM(t->piece = malloc(total ? total : 1));
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if ((st = make_piece(t, i, &o, src, err))) goto out_fail;
    t->piece_off[i + 1] = (uint32_t)o;
  }

  /* special tokens: a trie over their texts */
  size_t special_bytes = 1;
  for (size_t i = 0; i < n; i++) {
    int ty = t->type[i];
    if (ty == BITGEN_TOK_CONTROL || ty == BITGEN_TOK_UNKNOWN || ty == BITGEN_TOK_USER_DEFINED)
      special_bytes += t->text_off[i + 1] - t->text_off[i];
  }
  NOMEM(t->trie = alloc_n(special_bytes, sizeof *t->trie));
  t->trie[0].token = -1;
  t->n_trie = 1;
  for (size_t i = 0; i < n; i++) {
    int ty = t->type[i];
    if (!(ty == BITGEN_TOK_CONTROL || ty == BITGEN_TOK_UNKNOWN || ty == BITGEN_TOK_USER_DEFINED)) continue;
    size_t len;
    const uint8_t *s = (const uint8_t *)tok_text(t, i, &len);
    if (!len) continue;
    uint32_t node = 0;
    for (size_t k = 0; k < len; k++) {
      uint32_t c = t->trie[node].child;
      while (c && t->trie[c].byte != s[k]) c = t->trie[c].sibling;
      if (!c) {
        c = (uint32_t)t->n_trie++;
        t->trie[c] = (trie_node){0, t->trie[node].child, -1, s[k], 0};
        t->trie[node].child = c;
      }
      node = c;
    }
    t->trie[node].token = (int32_t)i;
    t->trie[node].user = ty == BITGEN_TOK_USER_DEFINED;
    t->starts_any[s[0] >> 3] |= (uint8_t)(1u << (s[0] & 7));
    if (ty == BITGEN_TOK_USER_DEFINED) t->starts_user[s[0] >> 3] |= (uint8_t)(1u << (s[0] & 7));
  }

  /* ids of the special roles */
  {
    const int64_t ids[3] = {src->bos, src->eos, src->eot};
    const char *keys[3] = {src->bos_key, src->eos_key, src->eot_key};
    for (int k = 0; k < 3; k++)
      if (ids[k] < -1 || ids[k] >= (int64_t)n)
        FAIL(BITGEN_TOK_E_VOCAB, "%s = %lld: not a token id (%zu tokens)", keys[k], (long long)ids[k], n);
  }

  /* encode's scratch */
  t->max_piece = opt && opt->max_piece ? opt->max_piece : DEFAULT_MAX_PIECE;
  if (t->max_piece >= NONE) FAIL(BITGEN_TOK_E_VALUE, "max_piece %zu: at most %u", t->max_piece, NONE - 1);
  NOMEM(t->sym_id = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->sym_prev = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->sym_next = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->sym_rank = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->sym_res = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->heap = alloc_n(t->max_piece, sizeof(uint32_t)));
  NOMEM(t->heap_pos = alloc_n(t->max_piece, sizeof(uint32_t)));
#undef FAIL
#undef NOMEM
  if (err) err->status = 0, err->message[0] = 0;
  *out = t;
  return 0;
out_fail:
  bitgen_tok_free(t);
  return st;
}

/* ---- creation from plain arrays ------------------------------------------- */
static int arr_token(const void *ctx, size_t i, const char **s, size_t *len) {
  const bitgen_tok_vocab *v = ctx;
  *s = v->tokens[i];
  if (!*s) return 1;
  *len = v->token_lens ? v->token_lens[i] : strlen(*s);
  return 0;
}
static int arr_merge(const void *ctx, size_t i, const char **s, size_t *len) {
  const bitgen_tok_vocab *v = ctx;
  *s = v->merges[i];
  if (!*s) return 1;
  *len = v->merge_lens ? v->merge_lens[i] : strlen(*s);
  return 0;
}
static int arr_type(const void *ctx, size_t i, int64_t *out) {
  *out = ((const bitgen_tok_vocab *)ctx)->token_types[i];
  return 0;
}

int bitgen_tok_create(const bitgen_tok_vocab *v, const bitgen_tok_options *opt, bitgen_tok **out,
                      bitgen_tok_error *err) {
  if (out) *out = NULL;
  if (!v || !out) return fail(err, BITGEN_TOK_E_NULL, "tokenizer: vocabulary or output pointer is NULL");
  if ((!v->tokens && v->n_tokens) || (!v->merges && v->n_merges))
    return fail(err, BITGEN_TOK_E_NULL, "tokenizer: tokens or merges array is NULL");
  source src = {"tokens", "token_types", "merges", v->n_tokens, v->n_merges, v->token_types != NULL,
                arr_token, arr_merge, arr_type, v, v->bos_id, v->eos_id, v->eot_id,
                "bos_id", "eos_id", "eot_id", v->add_bos, v->ignore_merges};
  return build(&src, opt, out, err);
}

/* ---- creation from GGUF metadata -------------------------------------------- */
#define K_MODEL "tokenizer.ggml.model"
#define K_PRE "tokenizer.ggml.pre"
#define K_TOKENS "tokenizer.ggml.tokens"
#define K_TYPES "tokenizer.ggml.token_type"
#define K_MERGES "tokenizer.ggml.merges"
#define K_BOS "tokenizer.ggml.bos_token_id"
#define K_EOS "tokenizer.ggml.eos_token_id"
#define K_EOT "tokenizer.ggml.eot_token_id"
#define K_ADD_BOS "tokenizer.ggml.add_bos_token"

/* llama.cpp's names for the llama-3 pre-tokenizer (llama-vocab.cpp): each
 * sets the llama-3 pattern, ignore_merges and add_bos. */
static const char *const llama3_pre[] = {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
                                         "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"};

static int g_token(const void *ctx, size_t i, const char **s, size_t *len) {
  return bitgen_gguf_value_str(((const bitgen_gguf_value *const *)ctx)[0], i, s, len) != 0;
}
static int g_merge(const void *ctx, size_t i, const char **s, size_t *len) {
  return bitgen_gguf_value_str(((const bitgen_gguf_value *const *)ctx)[1], i, s, len) != 0;
}
static int g_type(const void *ctx, size_t i, int64_t *v) {
  return bitgen_gguf_value_int(((const bitgen_gguf_value *const *)ctx)[2], i, v) != 0;
}

/* What the key holds, for messages: "u32", "arr of str", "absent". */
static const char *type_desc(const bitgen_gguf *g, const char *key, char *buf, size_t cap) {
  const bitgen_gguf_kv *kv = bitgen_gguf_find_kv(g, key);
  if (!kv) return "absent";
  const char *a = bitgen_gguf_type_name(kv->value.type);
  if (kv->value.type == BITGEN_GGUF_ARRAY) {
    const char *e = bitgen_gguf_type_name(kv->value.elem_type);
    snprintf(buf, cap, "array of %s", e ? e : "?");
    return buf;
  }
  return a ? a : "?";
}

static int get_array(const bitgen_gguf *g, const char *key, uint32_t elem, int required, const bitgen_gguf_value **arr,
                     bitgen_tok_error *err) {
  char b[64];
  int st = bitgen_gguf_get_array(g, key, elem, arr);
  if (st == BITGEN_GGUF_E_NOTFOUND) {
    *arr = NULL;
    return required ? fail(err, BITGEN_TOK_E_MISSING, "%s: missing (required for a gpt2 tokenizer)", key) : 0;
  }
  if (st)
    return fail(err, BITGEN_TOK_E_TYPE, "%s: %s, want an array of %s", key, type_desc(g, key, b, sizeof b),
                bitgen_gguf_type_name(elem));
  return 0;
}

static int get_id(const bitgen_gguf *g, const char *key, int64_t *id, bitgen_tok_error *err) {
  char b[64];
  uint64_t v;
  int st = bitgen_gguf_get_uint(g, key, &v);
  *id = -1;
  if (st == BITGEN_GGUF_E_NOTFOUND) return 0;
  if (st) return fail(err, BITGEN_TOK_E_TYPE, "%s: %s, want an unsigned integer", key, type_desc(g, key, b, sizeof b));
  if (v >= (uint64_t)INT32_MAX) return fail(err, BITGEN_TOK_E_VOCAB, "%s = %llu: not a token id", key, (unsigned long long)v);
  *id = (int64_t)v;
  return 0;
}

int bitgen_tok_create_gguf(const bitgen_gguf *g, const bitgen_tok_options *opt, bitgen_tok **out,
                           bitgen_tok_error *err) {
  char b[64], q[200];
  if (out) *out = NULL;
  if (!g || !out) return fail(err, BITGEN_TOK_E_NULL, "tokenizer: GGUF handle or output pointer is NULL");
  const char *s;
  size_t len;
  int st = bitgen_gguf_get_str(g, K_MODEL, &s, &len);
  if (st == BITGEN_GGUF_E_NOTFOUND) return fail(err, BITGEN_TOK_E_MISSING, "%s: missing (the file has no tokenizer)", K_MODEL);
  if (st) return fail(err, BITGEN_TOK_E_TYPE, "%s: %s, want a string", K_MODEL, type_desc(g, K_MODEL, b, sizeof b));
  if (len != 4 || memcmp(s, "gpt2", 4))
    return fail(err, BITGEN_TOK_E_UNSUPPORTED, "%s is '%s': only 'gpt2' (byte-level BPE) is supported", K_MODEL,
                quote(q, sizeof q, s, len));
  st = bitgen_gguf_get_str(g, K_PRE, &s, &len);
  if (st == BITGEN_GGUF_E_NOTFOUND)
    return fail(err, BITGEN_TOK_E_UNSUPPORTED,
                "%s: missing (llama.cpp would use its 'default' pattern); only the llama-3 pre-tokenizer "
                "('llama-bpe', 'llama3', ...) is implemented", K_PRE);
  if (st) return fail(err, BITGEN_TOK_E_TYPE, "%s: %s, want a string", K_PRE, type_desc(g, K_PRE, b, sizeof b));
  int known = 0;
  for (size_t i = 0; i < sizeof llama3_pre / sizeof llama3_pre[0]; i++)
    known |= strlen(llama3_pre[i]) == len && !memcmp(llama3_pre[i], s, len);
  if (!known)
    return fail(err, BITGEN_TOK_E_UNSUPPORTED,
                "%s is '%s': only the llama-3 pre-tokenizer ('llama-bpe', 'llama3', ...) is implemented", K_PRE,
                quote(q, sizeof q, s, len));

  const bitgen_gguf_value *arrs[3];
  if ((st = get_array(g, K_TOKENS, BITGEN_GGUF_STRING, 1, &arrs[0], err))) return st;
  if ((st = get_array(g, K_MERGES, BITGEN_GGUF_STRING, 1, &arrs[1], err))) return st;
  if ((st = get_array(g, K_TYPES, BITGEN_GGUF_INT32, 0, &arrs[2], err))) return st;
  if (arrs[2] && arrs[2]->count != arrs[0]->count)
    return fail(err, BITGEN_TOK_E_VOCAB, "%s: %llu entries for %llu tokens", K_TYPES,
                (unsigned long long)arrs[2]->count, (unsigned long long)arrs[0]->count);
  if (arrs[0]->count >= (uint64_t)INT32_MAX || arrs[1]->count >= (uint64_t)UINT32_MAX)
    return fail(err, BITGEN_TOK_E_VOCAB, "%s: too many tokens or merges", K_TOKENS);

  source src = {K_TOKENS, K_TYPES, K_MERGES, (size_t)arrs[0]->count, (size_t)arrs[1]->count, arrs[2] != NULL,
                g_token, g_merge, g_type, arrs, -1, -1, -1, K_BOS, K_EOS, K_EOT, 1, 1};
  if ((st = get_id(g, K_BOS, &src.bos, err)) || (st = get_id(g, K_EOS, &src.eos, err)) ||
      (st = get_id(g, K_EOT, &src.eot, err)))
    return st;
  int add_bos;
  st = bitgen_gguf_get_bool(g, K_ADD_BOS, &add_bos);
  if (st == 0) src.add_bos = add_bos;
  else if (st != BITGEN_GGUF_E_NOTFOUND)
    return fail(err, BITGEN_TOK_E_TYPE, "%s: %s, want a bool", K_ADD_BOS, type_desc(g, K_ADD_BOS, b, sizeof b));
  return build(&src, opt, out, err);
}

/* ---- encode ----------------------------------------------------------------- */
typedef struct {
  bitgen_tok *t;
  int32_t *out;
  size_t cap, count;
  const uint8_t *base;
  int status;
} emitter;

static void emit(emitter *em, int32_t id) {
  if (em->count < em->cap) em->out[em->count] = id;
  em->count++;
}

/* indexed min-heap of pair positions, by (rank, position) */
static int heap_less(const bitgen_tok *t, uint32_t a, uint32_t b) {
  return t->sym_rank[a] < t->sym_rank[b] || (t->sym_rank[a] == t->sym_rank[b] && a < b);
}
static void heap_set(bitgen_tok *t, size_t k, uint32_t i) {
  t->heap[k] = i;
  t->heap_pos[i] = (uint32_t)k;
}
static void heap_up(bitgen_tok *t, size_t k) {
  uint32_t i = t->heap[k];
  while (k > 0) {
    size_t p = (k - 1) / 2;
    if (!heap_less(t, i, t->heap[p])) break;
    heap_set(t, k, t->heap[p]);
    k = p;
  }
  heap_set(t, k, i);
}
static void heap_down(bitgen_tok *t, size_t k, size_t size) {
  uint32_t i = t->heap[k];
  for (;;) {
    size_t c = 2 * k + 1;
    if (c >= size) break;
    if (c + 1 < size && heap_less(t, t->heap[c + 1], t->heap[c])) c++;
    if (!heap_less(t, t->heap[c], i)) break;
    heap_set(t, k, t->heap[c]);
    k = c;
  }
  heap_set(t, k, i);
}
static void heap_remove(bitgen_tok *t, uint32_t i, size_t *size) {
  size_t k = t->heap_pos[i];
  t->heap_pos[i] = NONE;
  if (k == --*size) return;
  uint32_t moved = t->heap[*size];
  heap_set(t, k, moved);
  heap_up(t, k);
  heap_down(t, t->heap_pos[moved], *size);
}

/* (Re)computes the pair starting at symbol i and its heap entry. */
static void pair_update(bitgen_tok *t, uint32_t i, size_t *size) {
  uint32_t j = t->sym_next[i];
  const merge_slot *m = j == NONE ? NULL : find_merge(t, t->sym_id[i], t->sym_id[j]);
  if (!m) {
    if (t->heap_pos[i] != NONE) heap_remove(t, i, size);
    return;
  }
  t->sym_rank[i] = m->rank;
  t->sym_res[i] = m->result;
  if (t->heap_pos[i] == NONE) {
    heap_set(t, *size, i);
    heap_up(t, (*size)++);
  } else {
    size_t k = t->heap_pos[i];
    heap_up(t, k);
    heap_down(t, t->heap_pos[i], *size);
  }
}

/* BPE over one pre-tokenized piece. */
static int bpe_piece(size_t off, size_t L, void *user) {
  emitter *em = user;
  bitgen_tok *t = em->t;
  const uint8_t *s = em->base + off;
  if (!L) return 0;
  if (L > t->max_piece) {
    em->status = BITGEN_TOK_E_LONG;
    return 1;
  }
  if (t->ignore_merges) {
    int32_t id = find_mapped(t, s, L);
    if (id >= 0) {
      emit(em, id);
      return 0;
    }
  }
  for (uint32_t i = 0; i < L; i++) {
    t->sym_id[i] = (uint32_t)t->byte_tok[s[i]];
    t->sym_prev[i] = i ? i - 1 : NONE;
    t->sym_next[i] = i + 1 < L ? i + 1 : NONE;
    t->heap_pos[i] = NONE;
  }
  size_t size = 0;
  for (uint32_t i = 0; i + 1 < L; i++) pair_update(t, i, &size);
  while (size) {
    uint32_t i = t->heap[0], j = t->sym_next[i];
    t->sym_id[i] = t->sym_res[i];
    heap_remove(t, i, &size);
    if (t->heap_pos[j] != NONE) heap_remove(t, j, &size);
    t->sym_next[i] = t->sym_next[j];
    if (t->sym_next[j] != NONE) t->sym_prev[t->sym_next[j]] = i;
    if (t->sym_prev[i] != NONE) pair_update(t, t->sym_prev[i], &size);
    pair_update(t, i, &size);
  }
  for (uint32_t i = 0; i != NONE; i = t->sym_next[i]) emit(em, (int32_t)t->sym_id[i]);
  return 0;
}

/* The longest special token starting at s[0, n) (user-defined ones only
 * unless parse_special); its id and length, or -1. */
static int32_t match_special(const bitgen_tok *t, const uint8_t *s, size_t n, int parse_special, size_t *len) {
  int32_t best = -1;
  uint32_t node = 0;
  for (size_t k = 0; k < n; k++) {
    uint32_t c = t->trie[node].child;
    while (c && t->trie[c].byte != s[k]) c = t->trie[c].sibling;
    if (!c) break;
    node = c;
    if (t->trie[c].token >= 0 && (parse_special || t->trie[c].user)) best = t->trie[c].token, *len = k + 1;
  }
  return best;
}

int bitgen_tok_encode(bitgen_tok *t, const char *text, size_t len, int add_bos, int parse_special, int32_t *out,
                      size_t cap, size_t *n) {
  if (n) *n = 0;
  if (!t || !n || (!text && len) || (!out && cap)) return BITGEN_TOK_E_NULL;
  emitter em = {t, out, cap, 0, (const uint8_t *)text, 0};
  if (add_bos) {
    if (t->bos < 0) return BITGEN_TOK_E_VALUE;
    emit(&em, t->bos);
  }
  const uint8_t *s = (const uint8_t *)text;
  const uint8_t *starts = parse_special ? t->starts_any : t->starts_user;
  size_t p = 0;
  while (p < len) {
    size_t q = t->n_trie > 1 ? p : len, slen = 0;
    int32_t sid = -1;
    for (; q < len; q++)
      if ((starts[s[q] >> 3] >> (s[q] & 7) & 1) && (sid = match_special(t, s + q, len - q, parse_special, &slen)) >= 0)
        break;
    em.base = s + p;
    if (q > p && pretokenize(s + p, q - p, bpe_piece, &em)) return em.status;
    if (sid < 0) break;
    emit(&em, sid);
    p = q + slen;
  }
  *n = em.count;
  return em.count > cap ? BITGEN_TOK_E_SIZE : BITGEN_TOK_OK;
}

/* ---- decode ----------------------------------------------------------------- */
static size_t piece_of(const bitgen_tok *t, int32_t id, int render_special, const char **p) {
  int ty = t->type[id];
  *p = t->piece + t->piece_off[id];
  if (ty == BITGEN_TOK_UNUSED || ty == BITGEN_TOK_UNDEFINED) return 0;
  if ((ty == BITGEN_TOK_CONTROL || ty == BITGEN_TOK_UNKNOWN) && !render_special) return 0;
  return t->piece_off[id + 1] - t->piece_off[id];
}

int bitgen_tok_piece(const bitgen_tok *t, int32_t id, int render_special, char *buf, size_t cap, size_t *n) {
  return bitgen_tok_decode(t, &id, 1, render_special, buf, cap, n);
}

int bitgen_tok_decode(const bitgen_tok *t, const int32_t *ids, size_t n_ids, int render_special, char *buf,
                      size_t cap, size_t *n) {
  if (n) *n = 0;
  if (!t || !n || (!ids && n_ids) || (!buf && cap)) return BITGEN_TOK_E_NULL;
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] < 0 || (size_t)ids[i] >= t->n) return BITGEN_TOK_E_VALUE;
  size_t total = 0;
  for (size_t i = 0; i < n_ids; i++) {
    const char *p;
    size_t k = piece_of(t, ids[i], render_special, &p);
    if (total + k <= cap) memcpy(buf + total, p, k);
    else if (total < cap) memcpy(buf + total, p, cap - total);
    total += k;
  }
  *n = total;
  return total > cap ? BITGEN_TOK_E_SIZE : BITGEN_TOK_OK;
}

/* ---- the vocabulary ------------------------------------------------------------ */
size_t bitgen_tok_n_vocab(const bitgen_tok *t) { return t ? t->n : 0; }
size_t bitgen_tok_n_merges(const bitgen_tok *t) { return t ? t->n_merges : 0; }
int32_t bitgen_tok_bos(const bitgen_tok *t) { return t ? t->bos : -1; }
int32_t bitgen_tok_eos(const bitgen_tok *t) { return t ? t->eos : -1; }
int32_t bitgen_tok_eot(const bitgen_tok *t) { return t ? t->eot : -1; }
int bitgen_tok_add_bos(const bitgen_tok *t) { return t ? t->add_bos : 0; }
int bitgen_tok_is_eog(const bitgen_tok *t, int32_t id) { return t && id >= 0 && (id == t->eos || id == t->eot); }
int bitgen_tok_type(const bitgen_tok *t, int32_t id) { return t && id >= 0 && (size_t)id < t->n ? t->type[id] : -1; }
const char *bitgen_tok_text(const bitgen_tok *t, int32_t id, size_t *len) {
  size_t l = 0;
  const char *s = t && id >= 0 && (size_t)id < t->n ? tok_text(t, (size_t)id, &l) : NULL;
  if (len) *len = l;
  return s;
}
