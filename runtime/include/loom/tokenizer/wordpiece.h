//===- loom/tokenizer/wordpiece.h - WordPiece as BERT does it -------------===//
//
// Part of loom_tokenizer. Encoding follows google-research/bert's
// tokenization.py (and transformers' BertTokenizer):
//  1. special tokens of the vocabulary ([CLS] [SEP] [MASK] [PAD] [UNK]) are
//     cut out whole, never lower-cased or split;
//  2. BasicTokenizer (basicTokenize): drop U+0000, U+FFFD and control
//     characters (Cc, Cf but tab, newline, CR), turn whitespace (those three,
//     space, Zs) into spaces, put spaces around CJK ideographs, split on
//     whitespace (Python's str.split()), lower-case (Python's str.lower())
//     and strip accents (NFD, then drop Mn) per word, and split each word
//     around punctuation (ASCII 33-47, 58-64, 91-96, 123-126, or Unicode P*);
//  3. WordpieceTokenizer: greedy longest-match-first with "##" on pieces
//     that continue a word; a word longer than 100 characters, or one with a
//     part no token matches, is [UNK].
// Bytes that are not valid UTF-8 are dropped (Python would decode them to
// U+FFFD, which step 2 drops). Unicode data: ICU's (docs/tokenizers.md).
//
// File: vocab.txt, one token per line, id = line number - 1 (a final
// newline ends the last line; "\r\n" endings are accepted). It must hold
// [UNK], [CLS] and [SEP]. tokenizer_config.json (optional, as transformers
// writes it): do_lower_case, strip_accents, tokenize_chinese_chars.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOKENIZER_WORDPIECE_H
#define LOOM_TOKENIZER_WORDPIECE_H

#include "loom/tokenizer/tokenizer.h"

namespace loom::tok {

struct WordPieceOptions {
  bool lowerCase = true;
  /// Strip accents: -1 = as lowerCase (BERT's default), 0 = no, 1 = yes.
  int stripAccents = -1;
  bool tokenizeChineseChars = true;
  size_t maxCharsPerWord = 100;

  bool stripsAccents() const { return stripAccents < 0 ? lowerCase : stripAccents != 0; }
};

/// BERT's BasicTokenizer on TEXT (no special tokens): the words and
/// punctuation marks the WordPiece step then splits.
std::vector<std::string> basicTokenize(std::string_view text,
                                       const WordPieceOptions &options = {});

struct WordPieceTrainOptions {
  /// Final vocabulary size, the 5 special tokens included.
  size_t vocabSize = 8192;
  int64_t minFrequency = 2;
  /// The most frequent characters kept as the alphabet (0: all).
  size_t limitAlphabet = 1000;
  WordPieceOptions basic;
};

class WordPieceTokenizer final : public Tokenizer {
public:
  static Status open(const std::string &vocabPath, const WordPieceOptions &options,
                     std::unique_ptr<WordPieceTokenizer> &out);
  static Status parse(std::string_view vocabTxt, const std::string &vocabName,
                      const WordPieceOptions &options,
                      std::unique_ptr<WordPieceTokenizer> &out);
  /// Learns a vocabulary as transformers' WordPieceTrainer does: BPE merges
  /// over the basic-tokenized words, continuation pieces spelled "##x".
  /// Ids: [PAD] 0, [CLS] 1, [SEP] 2, [MASK] 3, [UNK] 4 (the reserved ids of
  /// loom train's mlm data), the alphabet by code point ("x" then "##x"),
  /// then merged tokens in order of creation.
  static Status train(std::string_view text, const WordPieceTrainOptions &options,
                      std::unique_ptr<WordPieceTokenizer> &out);
  /// Reads DIR/tokenizer_config.json into OPTIONS if it exists.
  static Status readConfig(const std::string &path, WordPieceOptions &options);

  Kind kind() const override { return Kind::WordPiece; }
  void encode(std::string_view text, std::vector<int32_t> &ids,
              unsigned flags = 0) const override;
  void encodePair(std::string_view a, std::string_view b, std::vector<int32_t> &ids,
                  unsigned flags = 0) const override;
  /// Tokens joined by spaces, " ##" removed, trimmed (transformers'
  /// convert_tokens_to_string).
  Status decode(const int32_t *ids, size_t count, std::string &out,
                unsigned flags = 0) const override;
  using Tokenizer::decode;
  Status save(const std::string &dir) const override;
  void serialize(std::string &vocabTxt, std::string &configJson) const;

  const WordPieceOptions &options() const { return options_; }
  int32_t unkId() const { return unk_; }
  int32_t clsId() const { return cls_; }
  int32_t sepId() const { return sep_; }
  /// -1 when the vocabulary lacks them.
  int32_t padId() const { return pad_; }
  int32_t maskId() const { return mask_; }

private:
  WordPieceTokenizer() = default;
  Status build(std::vector<std::string> tokens, const WordPieceOptions &options,
               const std::string &where);
  void encodeText(std::string_view text, std::vector<int32_t> &ids, unsigned flags) const;
  void encodeWord(const std::string &word, std::vector<int32_t> &ids) const;

  WordPieceOptions options_;
  int32_t unk_ = -1, cls_ = -1, sep_ = -1, pad_ = -1, mask_ = -1;
  size_t maxTokenBytes_ = 0;
};

} // namespace loom::tok

#endif // LOOM_TOKENIZER_WORDPIECE_H
