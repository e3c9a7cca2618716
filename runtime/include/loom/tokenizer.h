/* loom/tokenizer.h - C ABI of loom's tokenizers (docs/tokenizers.md).
 *
 * Byte-level BPE exactly as GPT-2 does it (vocab.json + merges.txt) and
 * WordPiece exactly as BERT does it (vocab.txt), in the static library
 * loom_tokenizer (C++17 and ICU; no MLIR). Typical use:
 *
 *   loom_tokenizer *t;
 *   if (loom_tokenizer_open("gpt2-tokenizer", &t) != LOOM_OK)
 *     fprintf(stderr, "%s\n", loom_tokenizer_last_error());
 *   size_t n;
 *   loom_tokenizer_encode(t, text, strlen(text), 0, NULL, 0, &n);  // count
 *   int32_t *ids = malloc(n * sizeof *ids);
 *   loom_tokenizer_encode(t, text, strlen(text), 0, ids, n, &n);
 *   ...
 *   loom_tokenizer_destroy(t);
 *
 * Errors: every function that can fail returns a loom_status (loom/runtime.h)
 * and leaves a message in loom_tokenizer_last_error(): a file that does not
 * parse is LOOM_ERR_FORMAT with "FILE:LINE[:COLUMN]: what"; a missing file
 * LOOM_ERR_IO; NULL pointers, ids outside the vocabulary or a buffer that is
 * too small LOOM_ERR_INVALID_ARGUMENT. Nothing aborts, throws or exits.
 *
 * Text is bytes (pointer + length, no NUL needed). Byte-level BPE encodes any
 * bytes and decodes them back exactly; WordPiece drops bytes that are not
 * UTF-8 (as BERT drops U+FFFD).
 *
 * Threads: a tokenizer is immutable once opened; any number of threads may
 * encode and decode with it at once. loom_tokenizer_last_error() is per
 * thread.
 */
#ifndef LOOM_TOKENIZER_H
#define LOOM_TOKENIZER_H

#include "loom/runtime.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_tokenizer loom_tokenizer;

typedef enum loom_tokenizer_type LOOM_RT_ENUM_TYPE {
  LOOM_TOKENIZER_BPE = 0,      /* byte-level BPE (GPT-2) */
  LOOM_TOKENIZER_WORDPIECE = 1 /* WordPiece (BERT) */
} loom_tokenizer_type;

/* Bits of encode's and decode's `flags`. */
enum {
  /* encode: WordPiece frames the text as [CLS] A [SEP] (a pair as
   * [CLS] A [SEP] B [SEP]); byte-level BPE, like GPT-2, adds nothing. */
  LOOM_TOKENIZER_ADD_SPECIAL = 1u,
  /* encode: special tokens in the text ("<|endoftext|>", "[MASK]") are
   * ordinary text instead of being recognised whole. */
  LOOM_TOKENIZER_SPECIAL_AS_TEXT = 2u,
  /* decode: special tokens are left out. */
  LOOM_TOKENIZER_SKIP_SPECIAL = 4u,
  /* decode (WordPiece): transformers' clean_up_tokenization_spaces
   * (" ." -> ".", " n't" -> "n't", ...). */
  LOOM_TOKENIZER_CLEAN_UP_SPACES = 8u
};

/* Bits of loom_tokenizer_open_wordpiece's `flags` (BERT's options). */
enum {
  LOOM_WORDPIECE_CASED = 1u,          /* no lower-casing (and no accent stripping) */
  LOOM_WORDPIECE_STRIP_ACCENTS = 2u,  /* strip accents even when cased */
  LOOM_WORDPIECE_KEEP_ACCENTS = 4u,   /* lower-case but keep accents */
  LOOM_WORDPIECE_NO_CJK_SPLIT = 8u    /* CJK ideographs are not words of their own */
};

/* The message of the latest failed call on this thread ("" if none). */
LOOM_RT_API const char *loom_tokenizer_last_error(void);

/* Opens DIR: byte-level BPE if it holds vocab.json and merges.txt (special
 * token: "<|endoftext|>" if the vocabulary has it), else WordPiece if it holds
 * vocab.txt (settings from DIR/tokenizer_config.json if present: do_lower_case,
 * strip_accents, tokenize_chinese_chars). */
LOOM_RT_API loom_status loom_tokenizer_open(const char *dir, loom_tokenizer **out);
/* Byte-level BPE from its two files. SPECIAL_TOKENS (NUM_SPECIAL strings,
 * each in the vocabulary) are recognised whole in text; NULL: the default
 * ("<|endoftext|>" if present). */
LOOM_RT_API loom_status loom_tokenizer_open_bpe(const char *vocab_json,
                                                const char *merges_txt,
                                                const char *const *special_tokens,
                                                size_t num_special,
                                                loom_tokenizer **out);
/* WordPiece from vocab.txt; FLAGS: LOOM_WORDPIECE_* (0: uncased BERT). */
LOOM_RT_API loom_status loom_tokenizer_open_wordpiece(const char *vocab_txt,
                                                      uint32_t flags,
                                                      loom_tokenizer **out);
/* NULL is ignored. */
LOOM_RT_API void loom_tokenizer_destroy(loom_tokenizer *tokenizer);

/* LOOM_TOKENIZER_BPE for NULL. */
LOOM_RT_API loom_tokenizer_type loom_tokenizer_get_type(const loom_tokenizer *tokenizer);
/* The number of ids: every id in 0..size-1 names a token (0 for NULL). */
LOOM_RT_API size_t loom_tokenizer_vocab_size(const loom_tokenizer *tokenizer);

/* Encodes LENGTH bytes of TEXT. *count receives the number of ids; IDS
 * (CAPACITY entries) receives them. IDS may be NULL (with any capacity) to
 * ask for the count only; a non-NULL IDS with CAPACITY < count is
 * LOOM_ERR_INVALID_ARGUMENT and writes nothing (but sets *count). */
LOOM_RT_API loom_status loom_tokenizer_encode(const loom_tokenizer *tokenizer,
                                              const char *text, size_t length,
                                              uint32_t flags, int32_t *ids,
                                              size_t capacity, size_t *count);
/* A sentence pair (BERT's next-sentence input): with
 * LOOM_TOKENIZER_ADD_SPECIAL WordPiece gives [CLS] A [SEP] B [SEP]; else the
 * ids of A then those of B. Buffers as in loom_tokenizer_encode. */
LOOM_RT_API loom_status loom_tokenizer_encode_pair(const loom_tokenizer *tokenizer,
                                                   const char *a, size_t a_length,
                                                   const char *b, size_t b_length,
                                                   uint32_t flags, int32_t *ids,
                                                   size_t capacity, size_t *count);
/* Encodes the whole file PATH (a training corpus) in one pass. *ids is
 * allocated (malloc; free it with loom_tokenizer_free) and holds *count ids;
 * an empty result is a non-NULL allocation of one element. */
LOOM_RT_API loom_status loom_tokenizer_encode_file(const loom_tokenizer *tokenizer,
                                                   const char *path, uint32_t flags,
                                                   int32_t **ids, size_t *count);
LOOM_RT_API void loom_tokenizer_free(void *memory);

/* Decodes COUNT ids to bytes. *length receives the byte count; OUT must
 * hold *length + 1 bytes (the bytes, then a NUL; the bytes themselves may
 * contain NULs). OUT may be NULL to ask for the length only; a non-NULL OUT
 * with CAPACITY <= length is LOOM_ERR_INVALID_ARGUMENT and writes nothing.
 * An id outside the vocabulary is LOOM_ERR_INVALID_ARGUMENT. */
LOOM_RT_API loom_status loom_tokenizer_decode(const loom_tokenizer *tokenizer,
                                              const int32_t *ids, size_t count,
                                              uint32_t flags, char *out,
                                              size_t capacity, size_t *length);

/* The token string of ID as the vocabulary file spells it (BPE: in GPT-2's
 * byte-to-unicode alphabet, e.g. "Ġthe"); NUL-terminated, *length bytes
 * (may be NULL); valid until the tokenizer is destroyed. */
LOOM_RT_API loom_status loom_tokenizer_id_to_token(const loom_tokenizer *tokenizer,
                                                   int32_t id, const char **token,
                                                   size_t *length);
/* The id of a token string (LENGTH bytes), e.g. "[MASK]" or "<|endoftext|>";
 * LOOM_ERR_NOT_FOUND if the vocabulary has no such token. */
LOOM_RT_API loom_status loom_tokenizer_token_to_id(const loom_tokenizer *tokenizer,
                                                   const char *token, size_t length,
                                                   int32_t *id);
/* 1 if ID is a special token ([CLS], <|endoftext|>, ...), else 0. */
LOOM_RT_API int loom_tokenizer_is_special(const loom_tokenizer *tokenizer, int32_t id);

/* Writes the tokenizer's files into DIR (created with its parents if
 * missing; each file written atomically): vocab.json + merges.txt, or
 * vocab.txt + tokenizer_config.json. */
LOOM_RT_API loom_status loom_tokenizer_save(const loom_tokenizer *tokenizer,
                                            const char *dir);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_TOKENIZER_H */
