/* bitgen tokenizer: byte-level BPE as llama-3 models use it, built from a
 * GGUF file's tokenizer.ggml.* metadata or from plain arrays.
 *
 * Encode: special tokens are matched first (leftmost, longest), the text
 * between them is split by the llama-3 pre-tokenizer pattern (implemented
 * by hand, Unicode classes from tok_unicode.c), each piece's bytes become
 * GPT-2 byte characters and are merged by rank (lowest rank first, leftmost
 * first among equal ranks).  Decode: token ids back to the exact bytes
 * (invalid UTF-8 split across tokens is the caller's business).
 *
 * Every buffer is allocated at creation: encode and decode allocate nothing
 * and run in O(input * (longest special token + log of the longest piece)).
 * A tokenizer holds encode's scratch, so one encode at a time per tokenizer
 * (decode and the getters are read-only and may run concurrently).
 * Facts and where they were checked: docs/TOKENIZER.md. */
#ifndef BITGEN_TOK_H
#define BITGEN_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "bitgen_ns.h" /* package builds: bitgen_X -> <package>_rt_X */

#ifdef __cplusplus
extern "C" {
#endif

struct bitgen_gguf; /* bitgen_gguf.h */
typedef struct bitgen_tok bitgen_tok;

/* ---- status ----------------------------------------------------------- */
/* OK, NULL, SIZE, VALUE and NOMEM have the values of bitgen_status. */
enum {
  BITGEN_TOK_OK = 0,
  BITGEN_TOK_E_NULL = -1,         /* a required pointer is NULL */
  BITGEN_TOK_E_SIZE = -2,         /* the output buffer is too small: *n says how much is needed */
  BITGEN_TOK_E_VALUE = -4,        /* an argument is out of range: a token id >= the vocabulary, add_bos without a BOS token */
  BITGEN_TOK_E_NOMEM = -8,        /* allocation failed (at creation only) */
  BITGEN_TOK_E_VOCAB = -30,       /* the vocabulary is invalid: duplicate token, unknown merge part, bad token type, ... */
  BITGEN_TOK_E_MISSING = -31,     /* a required metadata key is absent */
  BITGEN_TOK_E_TYPE = -32,        /* a metadata key has the wrong type */
  BITGEN_TOK_E_UNSUPPORTED = -33, /* tokenizer.ggml.model is not "gpt2", or the pre-tokenizer is not llama-3's */
  BITGEN_TOK_E_LONG = -34,        /* a pre-tokenized piece is longer than the max_piece given at creation */
};
const char *bitgen_tok_strerror(int status);

typedef struct {
  int status;        /* BITGEN_TOK_E_*, 0 when fine */
  char message[384]; /* "FIELD[INDEX] 'TEXT': reason" */
} bitgen_tok_error;

/* ---- token types (tokenizer.ggml.token_type; gguf-py TokenType) ---------- */
enum {
  BITGEN_TOK_UNDEFINED = 0,
  BITGEN_TOK_NORMAL = 1,
  BITGEN_TOK_UNKNOWN = 2,      /* matched in text like CONTROL */
  BITGEN_TOK_CONTROL = 3,      /* matched in text only with parse_special; decoded only with render_special */
  BITGEN_TOK_USER_DEFINED = 4, /* always matched in text, always decoded as its text */
  BITGEN_TOK_UNUSED = 5,
  BITGEN_TOK_BYTE = 6,         /* text "<0xHH>": decodes to that byte */
};

/* ---- creation ----------------------------------------------------------- */
typedef struct {
  /* Longest pre-tokenized piece (bytes) encode accepts: encode's scratch is
   * sized for it.  A longer piece (e.g. a run of 70000 letters) makes encode
   * return BITGEN_TOK_E_LONG.  0: 65536. */
  size_t max_piece;
} bitgen_tok_options;

/* A vocabulary as plain arrays (tokens and merges as the GGUF stores them:
 * token texts in GPT-2 byte characters, merges "LEFT RIGHT"). */
typedef struct {
  const char *const *tokens; /* n_tokens texts */
  const size_t *token_lens;  /* their lengths; NULL: NUL-terminated */
  size_t n_tokens;
  const int32_t *token_types; /* NULL: all NORMAL */
  const char *const *merges;  /* by rank, lowest first */
  const size_t *merge_lens;   /* NULL: NUL-terminated */
  size_t n_merges;
  int64_t bos_id, eos_id, eot_id; /* -1: none */
  int add_bos;       /* what bitgen_tok_add_bos reports */
  int ignore_merges; /* a piece that is a token as a whole is that token (llama-3: 1) */
} bitgen_tok_vocab;

int bitgen_tok_create(const bitgen_tok_vocab *v, const bitgen_tok_options *opt, bitgen_tok **out,
                      bitgen_tok_error *err);
/* From a GGUF file's metadata: tokenizer.ggml.model must be "gpt2" and
 * tokenizer.ggml.pre one of llama.cpp's llama-3 names ("llama-bpe",
 * "llama3", ...); tokens, merges required; token_type, bos/eos/eot ids,
 * add_bos_token optional (add_bos defaults to 1, as llama.cpp's llama-3). */
int bitgen_tok_create_gguf(const struct bitgen_gguf *g, const bitgen_tok_options *opt, bitgen_tok **out,
                           bitgen_tok_error *err);
void bitgen_tok_free(bitgen_tok *t); /* NULL is fine */

/* ---- encode ------------------------------------------------------------- */
/* Tokens of text[0, len) into out[0, cap): *n = their count.  add_bos: put
 * the BOS token first (BITGEN_TOK_E_VALUE if the vocabulary has none).
 * parse_special: CONTROL and UNKNOWN tokens' texts in the input become those
 * tokens (USER_DEFINED ones always do).  If cap is too small: returns
 * BITGEN_TOK_E_SIZE with *n = the count needed (out holds the first cap). */
int bitgen_tok_encode(bitgen_tok *t, const char *text, size_t len, int add_bos, int parse_special, int32_t *out,
                      size_t cap, size_t *n);

/* ---- decode ------------------------------------------------------------- */
/* The bytes of one token into buf[0, cap): *n = their count (BITGEN_TOK_E_SIZE
 * with *n = the count needed if cap is too small).  render_special: CONTROL
 * and UNKNOWN tokens give their text (else nothing).  UNUSED and UNDEFINED
 * tokens give nothing. */
int bitgen_tok_piece(const bitgen_tok *t, int32_t id, int render_special, char *buf, size_t cap, size_t *n);
/* The bytes of ids[0, n_ids) one after another, as bitgen_tok_piece. */
int bitgen_tok_decode(const bitgen_tok *t, const int32_t *ids, size_t n_ids, int render_special, char *buf,
                      size_t cap, size_t *n);

/* ---- the vocabulary ------------------------------------------------------- */
size_t bitgen_tok_n_vocab(const bitgen_tok *t);
size_t bitgen_tok_n_merges(const bitgen_tok *t);
int32_t bitgen_tok_bos(const bitgen_tok *t); /* -1: none */
int32_t bitgen_tok_eos(const bitgen_tok *t);
int32_t bitgen_tok_eot(const bitgen_tok *t);
int bitgen_tok_add_bos(const bitgen_tok *t);
/* End of generation: the EOS or EOT token. */
int bitgen_tok_is_eog(const bitgen_tok *t, int32_t id);
int bitgen_tok_type(const bitgen_tok *t, int32_t id); /* BITGEN_TOK_*; -1 for an id out of range */
/* The token's stored text (GPT-2 byte characters for normal tokens). */
const char *bitgen_tok_text(const bitgen_tok *t, int32_t id, size_t *len);
/* The token whose stored text is text[0, len), or -1. */
int32_t bitgen_tok_find(const bitgen_tok *t, const char *text, size_t len);

/* ---- pieces of the algorithm, for tests and tools ---------------------- */
/* Character classes of the pre-tokenizer (tok_unicode.c). */
enum { BITGEN_TOK_OTHER = 0, BITGEN_TOK_LETTER = 1, BITGEN_TOK_NUMBER = 2, BITGEN_TOK_SPACE = 3 };
int bitgen_tok_char_class(uint32_t cp);
const char *bitgen_tok_unicode_version(void); /* of the class table, e.g. "14.0.0" */
/* GPT-2's byte-to-character map: the code point standing for byte b. */
uint32_t bitgen_tok_byte_char(uint8_t b);
/* Splits text[0, len) (no special tokens) by the llama-3 pattern: calls
 * fn(text offset, length, user) for each piece in order. */
void bitgen_tok_pretokenize(const char *text, size_t len, void (*fn)(size_t off, size_t n, void *user), void *user);

#ifdef __cplusplus
}
#endif
#endif
