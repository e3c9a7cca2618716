//===- loom/tokenizer/bpe.h - byte-level BPE as GPT-2 does it -------------===//
//
// Part of loom_tokenizer. Encoding follows GPT-2's encoder.py exactly:
//  1. special tokens (declared, and in the vocabulary) are cut out whole;
//  2. the text is pre-split with GPT-2's pattern (gpt2Split)
//       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//  3. each piece's bytes become the characters of bytes_to_unicode
//     (byteToUnicode), one symbol per byte;
//  4. merges apply by rank as in GPT-2's bpe(): repeatedly the adjacent
//     pair of lowest rank, every occurrence of it left to right.
// Text that is not valid UTF-8 is split as Python would split it decoded
// with errors="surrogateescape": every byte of an ill-formed sequence is a
// character of its own that is neither a letter, a number nor a space. So
// decode(encode(x)) == x for any bytes x.
//
// Files: vocab.json (a JSON object, token -> id, ids dense from 0) and
// merges.txt (an optional "#version" first line, then "left right" per
// line, rank = order). The vocabulary must hold the 256 byte tokens, and
// every merge's two parts and their concatenation.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOKENIZER_BPE_H
#define LOOM_TOKENIZER_BPE_H

#include "loom/tokenizer/tokenizer.h"

#include <functional>

namespace loom::tok {

/// GPT-2's bytes_to_unicode(): the character (code point) standing for byte
/// B in token strings. Printable Latin-1 bytes stand for themselves; the
/// others map to U+0100 onward (space 0x20 -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
char32_t byteToUnicode(uint8_t b);
/// The inverse: the byte of code point C, or -1 if C stands for no byte.
int unicodeToByte(char32_t c);
/// The UTF-8 token string of BYTES in that alphabet.
std::string bytesToTokenString(std::string_view bytes);

/// GPT-2's pre-split of TEXT into pieces (byte offsets [begin, end)), as
/// Python's `regex.findall(pattern, text)` finds them.
void gpt2Split(std::string_view text,
               const std::function<void(size_t begin, size_t end)> &piece);
std::vector<std::string> gpt2Split(std::string_view text);

struct BpeOptions {
  /// The special tokens recognised whole in text. Each must be in the
  /// vocabulary. Unset: "<|endoftext|>" if the vocabulary has it.
  bool specialTokensSet = false;
  std::vector<std::string> specialTokens;
};

struct BpeTrainOptions {
  /// Final vocabulary size: 256 byte tokens + merged tokens + specials.
  size_t vocabSize = 4096;
  /// A pair occurring fewer times than this is not merged (the vocabulary
  /// then stays smaller).
  int64_t minFrequency = 2;
  /// Appended after the learned tokens, and cut out of the training text.
  std::vector<std::string> specialTokens = {"<|endoftext|>"};
};

class BpeTokenizer final : public Tokenizer {
public:
  /// Reads VOCAB_JSON and MERGES_TXT.
  static Status open(const std::string &vocabPath, const std::string &mergesPath,
                     const BpeOptions &options, std::unique_ptr<BpeTokenizer> &out);
  /// The same from the files' contents; the names appear in messages.
  static Status parse(std::string_view vocabJson, std::string_view mergesTxt,
                      const std::string &vocabName, const std::string &mergesName,
                      const BpeOptions &options, std::unique_ptr<BpeTokenizer> &out);
  /// Learns merges from TEXT (bytes): words are GPT-2's pre-split pieces;
  /// the most frequent adjacent pair is merged next (ties: the pair whose
  /// tokens come first in HF tokenizers' trainer order, i.e. bytes by their
  /// bytes_to_unicode code point, then merged tokens by age), until
  /// vocabSize. Ids: byte b is token b, merged tokens follow in order of
  /// creation, then the special tokens.
  static Status train(std::string_view text, const BpeTrainOptions &options,
                      std::unique_ptr<BpeTokenizer> &out);

  Kind kind() const override { return Kind::Bpe; }
  void encode(std::string_view text, std::vector<int32_t> &ids,
              unsigned flags = 0) const override;
  Status decode(const int32_t *ids, size_t count, std::string &out,
                unsigned flags = 0) const override;
  using Tokenizer::decode;
  Status save(const std::string &dir) const override;
  /// The contents save() writes.
  void serialize(std::string &vocabJson, std::string &mergesTxt) const;

  /// The bytes that token ID stands for.
  const std::string &tokenBytes(int32_t id) const { return bytes_[id]; }
  int32_t byteTokenId(uint8_t b) const { return byteToken_[b]; }

  struct Merge {
    int32_t left, right, result;
  };
  const std::vector<Merge> &merges() const { return merges_; }

private:
  BpeTokenizer() = default;
  /// After setVocabulary: the merges (checked) and the special tokens.
  void build(std::vector<Merge> merges, const std::vector<int32_t> &specials);
  /// Appends the ids of one pre-split piece.
  void encodeWord(std::string_view bytes, std::vector<int32_t> &ids) const;

  std::vector<Merge> merges_;
  /// (left << 32 | right) -> rank.
  std::unordered_map<uint64_t, int32_t> ranks_;
  std::vector<std::string> bytes_;
  int32_t byteToken_[256] = {};
};

} // namespace loom::tok

#endif // LOOM_TOKENIZER_BPE_H
