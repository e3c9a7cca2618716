//===- capi.cpp - the C ABI (loom/tokenizer.h) over the C++ classes -------===//
//
// As runtime/src/capi.cpp: every entry point checks its pointers, turns a
// failed Status into a loom_status plus this thread's message, and catches
// what the C++ library might throw (std::bad_alloc).
//
//===----------------------------------------------------------------------===//
#include "loom/tokenizer.h"

#include "loom/tokenizer/bpe.h"
#include "loom/tokenizer/wordpiece.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

struct loom_tokenizer {
  std::unique_ptr<loom::tok::Tokenizer> impl;
};

namespace {

using loom::tok::Status;

thread_local std::string lastError;

loom_status fail(loom_status code, std::string message) {
  lastError = std::move(message);
  return code;
}

loom_status report(const Status &s) {
  return s.isOk() ? LOOM_OK : fail(s.code(), s.message());
}

template <typename Body> loom_status guarded(Body body) {
#if defined(__cpp_exceptions)
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(LOOM_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(LOOM_ERR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(LOOM_ERR_INTERNAL, "internal error: unknown exception");
  }
#else
  return body();
#endif
}

loom_status nullArgument(const char *function) {
  return fail(LOOM_ERR_INVALID_ARGUMENT,
              std::string(function) + ": a required pointer argument is NULL");
}

loom_status wrap(std::unique_ptr<loom::tok::Tokenizer> t, loom_tokenizer **out) {
  *out = new loom_tokenizer{std::move(t)};
  return LOOM_OK;
}

/// Copies IDS out under the buffer convention of loom_tokenizer_encode.
loom_status deliver(const char *function, const std::vector<int32_t> &ids, int32_t *out,
                    size_t capacity, size_t *count) {
  *count = ids.size();
  if (!out)
    return LOOM_OK;
  if (capacity < ids.size())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                std::string(function) + ": the buffer holds " + std::to_string(capacity) +
                    " ids, the text has " + std::to_string(ids.size()));
  if (!ids.empty())
    std::memcpy(out, ids.data(), ids.size() * sizeof(int32_t));
  return LOOM_OK;
}

} // namespace

extern "C" {

const char *loom_tokenizer_last_error(void) { return lastError.c_str(); }

loom_status loom_tokenizer_open(const char *dir, loom_tokenizer **out) {
  if (!dir || !out)
    return nullArgument("loom_tokenizer_open");
  *out = nullptr;
  return guarded([&] {
    std::unique_ptr<loom::tok::Tokenizer> t;
    if (loom_status s = report(loom::tok::openTokenizer(dir, t)); s != LOOM_OK)
      return s;
    return wrap(std::move(t), out);
  });
}

loom_status loom_tokenizer_open_bpe(const char *vocab_json, const char *merges_txt,
                                    const char *const *special_tokens, size_t num_special,
                                    loom_tokenizer **out) {
  if (!vocab_json || !merges_txt || !out || (num_special && !special_tokens))
    return nullArgument("loom_tokenizer_open_bpe");
  *out = nullptr;
  return guarded([&] {
    loom::tok::BpeOptions options;
    if (special_tokens) {
      options.specialTokensSet = true;
      for (size_t i = 0; i < num_special; ++i) {
        if (!special_tokens[i])
          return nullArgument("loom_tokenizer_open_bpe");
        options.specialTokens.emplace_back(special_tokens[i]);
      }
    }
    std::unique_ptr<loom::tok::BpeTokenizer> t;
    if (loom_status s =
            report(loom::tok::BpeTokenizer::open(vocab_json, merges_txt, options, t));
        s != LOOM_OK)
      return s;
    return wrap(std::move(t), out);
  });
}

loom_status loom_tokenizer_open_wordpiece(const char *vocab_txt, uint32_t flags,
                                          loom_tokenizer **out) {
  if (!vocab_txt || !out)
    return nullArgument("loom_tokenizer_open_wordpiece");
  *out = nullptr;
  const uint32_t known = LOOM_WORDPIECE_CASED | LOOM_WORDPIECE_STRIP_ACCENTS |
                         LOOM_WORDPIECE_KEEP_ACCENTS | LOOM_WORDPIECE_NO_CJK_SPLIT;
  if ((flags & ~known) ||
      ((flags & LOOM_WORDPIECE_STRIP_ACCENTS) && (flags & LOOM_WORDPIECE_KEEP_ACCENTS)))
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "loom_tokenizer_open_wordpiece: unknown or contradictory flags " +
                    std::to_string(flags));
  return guarded([&] {
    loom::tok::WordPieceOptions options;
    options.lowerCase = !(flags & LOOM_WORDPIECE_CASED);
    options.stripAccents = (flags & LOOM_WORDPIECE_STRIP_ACCENTS)  ? 1
                           : (flags & LOOM_WORDPIECE_KEEP_ACCENTS) ? 0
                                                                   : -1;
    options.tokenizeChineseChars = !(flags & LOOM_WORDPIECE_NO_CJK_SPLIT);
    std::unique_ptr<loom::tok::WordPieceTokenizer> t;
    if (loom_status s =
            report(loom::tok::WordPieceTokenizer::open(vocab_txt, options, t));
        s != LOOM_OK)
      return s;
    return wrap(std::move(t), out);
  });
}

void loom_tokenizer_destroy(loom_tokenizer *tokenizer) { delete tokenizer; }

loom_tokenizer_type loom_tokenizer_get_type(const loom_tokenizer *tokenizer) {
  return tokenizer && tokenizer->impl->kind() == loom::tok::Kind::WordPiece
             ? LOOM_TOKENIZER_WORDPIECE
             : LOOM_TOKENIZER_BPE;
}

size_t loom_tokenizer_vocab_size(const loom_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->impl->vocabSize() : 0;
}

loom_status loom_tokenizer_encode(const loom_tokenizer *tokenizer, const char *text,
                                  size_t length, uint32_t flags, int32_t *ids,
                                  size_t capacity, size_t *count) {
  if (!tokenizer || (!text && length) || !count)
    return nullArgument("loom_tokenizer_encode");
  return guarded([&] {
    std::vector<int32_t> result;
    tokenizer->impl->encode(std::string_view(text ? text : "", length), result, flags);
    return deliver("loom_tokenizer_encode", result, ids, capacity, count);
  });
}

loom_status loom_tokenizer_encode_pair(const loom_tokenizer *tokenizer, const char *a,
                                       size_t a_length, const char *b, size_t b_length,
                                       uint32_t flags, int32_t *ids, size_t capacity,
                                       size_t *count) {
  if (!tokenizer || (!a && a_length) || (!b && b_length) || !count)
    return nullArgument("loom_tokenizer_encode_pair");
  return guarded([&] {
    std::vector<int32_t> result;
    tokenizer->impl->encodePair(std::string_view(a ? a : "", a_length),
                                std::string_view(b ? b : "", b_length), result, flags);
    return deliver("loom_tokenizer_encode_pair", result, ids, capacity, count);
  });
}

loom_status loom_tokenizer_encode_file(const loom_tokenizer *tokenizer, const char *path,
                                       uint32_t flags, int32_t **ids, size_t *count) {
  if (!tokenizer || !path || !ids || !count)
    return nullArgument("loom_tokenizer_encode_file");
  *ids = nullptr;
  *count = 0;
  return guarded([&] {
    std::vector<int32_t> result;
    if (loom_status s =
            report(loom::tok::encodeFile(*tokenizer->impl, path, result, flags));
        s != LOOM_OK)
      return s;
    void *memory = std::malloc(std::max<size_t>(result.size(), 1) * sizeof(int32_t));
    if (!memory)
      return fail(LOOM_ERR_OUT_OF_MEMORY, "out of memory");
    if (!result.empty())
      std::memcpy(memory, result.data(), result.size() * sizeof(int32_t));
    *ids = static_cast<int32_t *>(memory);
    *count = result.size();
    return LOOM_OK;
  });
}

void loom_tokenizer_free(void *memory) { std::free(memory); }

loom_status loom_tokenizer_decode(const loom_tokenizer *tokenizer, const int32_t *ids,
                                  size_t count, uint32_t flags, char *out,
                                  size_t capacity, size_t *length) {
  if (!tokenizer || (!ids && count) || !length)
    return nullArgument("loom_tokenizer_decode");
  return guarded([&] {
    std::string text;
    if (loom_status s = report(tokenizer->impl->decode(ids, count, text, flags));
        s != LOOM_OK)
      return s;
    *length = text.size();
    if (!out)
      return LOOM_OK;
    if (capacity <= text.size())
      return fail(LOOM_ERR_INVALID_ARGUMENT,
                  "loom_tokenizer_decode: the buffer holds " + std::to_string(capacity) +
                      " bytes, the text needs " + std::to_string(text.size()) +
                      " + 1 for the NUL");
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return LOOM_OK;
  });
}

loom_status loom_tokenizer_id_to_token(const loom_tokenizer *tokenizer, int32_t id,
                                       const char **token, size_t *length) {
  if (!tokenizer || !token)
    return nullArgument("loom_tokenizer_id_to_token");
  if (id < 0 || static_cast<size_t>(id) >= tokenizer->impl->vocabSize())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "loom_tokenizer_id_to_token: id " + std::to_string(id) +
                    " is not in the vocabulary of " +
                    std::to_string(tokenizer->impl->vocabSize()) + " tokens");
  const std::string &t = tokenizer->impl->token(id);
  *token = t.c_str();
  if (length)
    *length = t.size();
  return LOOM_OK;
}

loom_status loom_tokenizer_token_to_id(const loom_tokenizer *tokenizer, const char *token,
                                       size_t length, int32_t *id) {
  if (!tokenizer || (!token && length) || !id)
    return nullArgument("loom_tokenizer_token_to_id");
  return guarded([&] {
    std::string_view t(token ? token : "", length);
    *id = tokenizer->impl->find(t);
    if (*id < 0)
      return fail(LOOM_ERR_NOT_FOUND,
                  "the vocabulary has no token " + std::string(t.substr(0, 200)));
    return LOOM_OK;
  });
}

int loom_tokenizer_is_special(const loom_tokenizer *tokenizer, int32_t id) {
  return tokenizer && tokenizer->impl->isSpecial(id) ? 1 : 0;
}

loom_status loom_tokenizer_save(const loom_tokenizer *tokenizer, const char *dir) {
  if (!tokenizer || !dir)
    return nullArgument("loom_tokenizer_save");
  return guarded([&] { return report(tokenizer->impl->save(dir)); });
}

} // extern "C"
