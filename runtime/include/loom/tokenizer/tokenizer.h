//===- loom/tokenizer/tokenizer.h - the C++ API of the tokenizers ---------===//
//
// Part of loom_tokenizer (docs/tokenizers.md). A Tokenizer maps bytes to
// token ids and back: byte-level BPE as GPT-2 does it (bpe.h) or WordPiece as
// BERT does it (wordpiece.h). Vocabularies are dense: ids 0..vocabSize()-1,
// each naming one distinct token string.
//
// Nothing here throws (beyond std::bad_alloc) or aborts on bad input: files
// that do not parse are a Status naming the file, line and column. A
// tokenizer is immutable once built, so one may be shared by threads.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOKENIZER_TOKENIZER_H
#define LOOM_TOKENIZER_TOKENIZER_H

#include "loom/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom::tok {

using rt::Status;

enum class Kind { Bpe, WordPiece };

/// Bits of encode's and decode's `flags` (the C ABI's LOOM_TOKENIZER_*).
enum : unsigned {
  /// encode: WordPiece frames the text as [CLS] A [SEP] (a pair as
  /// [CLS] A [SEP] B [SEP]); byte-level BPE, like GPT-2, adds nothing.
  kAddSpecial = 1u,
  /// encode: special tokens in the text are ordinary text.
  kSpecialAsText = 2u,
  /// decode: special tokens are left out.
  kSkipSpecial = 4u,
  /// decode (WordPiece): transformers' clean_up_tokenization_spaces
  /// (" ." -> ".", " n't" -> "n't", ...).
  kCleanUpSpaces = 8u,
};

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  virtual Kind kind() const = 0;

  size_t vocabSize() const { return tokens_.size(); }
  /// The token string of ID as its vocabulary file spells it (byte-level BPE:
  /// in GPT-2's byte-to-unicode alphabet). ID must be below vocabSize().
  const std::string &token(int32_t id) const { return tokens_[id]; }
  /// The id of a token string, or -1.
  int32_t find(std::string_view token) const;
  bool isSpecial(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < special_.size() && special_[id];
  }
  /// The special tokens recognised in text, longest first.
  const std::vector<int32_t> &specialTokens() const { return specials_; }

  /// Appends the ids of TEXT (any bytes) to IDS. Never fails.
  virtual void encode(std::string_view text, std::vector<int32_t> &ids,
                      unsigned flags = 0) const = 0;
  /// A sentence pair: WordPiece with kAddSpecial gives [CLS] A [SEP] B [SEP];
  /// otherwise the ids of A then those of B.
  virtual void encodePair(std::string_view a, std::string_view b,
                          std::vector<int32_t> &ids, unsigned flags = 0) const;
  /// The text of IDS, replacing OUT. LOOM_ERR_INVALID_ARGUMENT for an id
  /// outside the vocabulary.
  virtual Status decode(const int32_t *ids, size_t count, std::string &out,
                        unsigned flags = 0) const = 0;
  Status decode(const std::vector<int32_t> &ids, std::string &out,
                unsigned flags = 0) const {
    return decode(ids.data(), ids.size(), out, flags);
  }
  /// Writes the vocabulary files into DIR (created with its parents if
  /// missing), each atomically: vocab.json + merges.txt, or vocab.txt +
  /// tokenizer_config.json.
  virtual Status save(const std::string &dir) const = 0;

protected:
  Tokenizer() = default;
  /// Sets tokens_ and the index; every token must be distinct.
  void setVocabulary(std::vector<std::string> tokens);
  /// Declares the special tokens (ids into tokens_).
  void setSpecials(const std::vector<int32_t> &ids);
  Status checkIds(const int32_t *ids, size_t count) const;

  /// Calls piece(text, -1) for each stretch of ordinary text and
  /// piece("", id) for each special token, left to right; a special token
  /// matches wherever it occurs (the longest at a position wins).
  template <typename Piece>
  void splitSpecials(std::string_view text, unsigned flags, Piece piece) const;
  size_t matchSpecial(std::string_view text, size_t pos, int32_t &id) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> index_;
  std::vector<bool> special_;
  std::vector<int32_t> specials_;
  bool specialFirstByte_[256] = {};
};

template <typename Piece>
void Tokenizer::splitSpecials(std::string_view text, unsigned flags, Piece piece) const {
  if (specials_.empty() || (flags & kSpecialAsText)) {
    if (!text.empty())
      piece(text, -1);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!specialFirstByte_[static_cast<uint8_t>(text[i])])
      continue;
    int32_t id;
    size_t len = matchSpecial(text, i, id);
    if (len == 0)
      continue;
    if (i > start)
      piece(text.substr(start, i - start), -1);
    piece(std::string_view(), id);
    start = i + len;
    i = start - 1;
  }
  if (start < text.size())
    piece(text.substr(start), -1);
}

/// Opens the tokenizer in DIR: byte-level BPE if it holds vocab.json or
/// merges.txt (then it needs both), else WordPiece if it holds vocab.txt
/// (with the settings of DIR/tokenizer_config.json when present).
Status openTokenizer(const std::string &dir, std::unique_ptr<Tokenizer> &out);

/// Encodes the whole file PATH (any bytes), appending to IDS. The training
/// data path: one call per corpus file.
Status encodeFile(const Tokenizer &tokenizer, const std::string &path,
                  std::vector<int32_t> &ids, unsigned flags = 0);

} // namespace loom::tok

#endif // LOOM_TOKENIZER_TOKENIZER_H
