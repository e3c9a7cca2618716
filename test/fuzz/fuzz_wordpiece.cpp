//===- fuzz_wordpiece.cpp - libFuzzer target: WordPiece -------------------===//
//
// Build (self-contained; no CMake target, no MLIR):
//   FUZZ_SOURCES: runtime/tokenizer/bpe.cpp runtime/tokenizer/files.cpp runtime/tokenizer/tokenizer.cpp runtime/tokenizer/train.cpp runtime/tokenizer/unicode.cpp runtime/tokenizer/wordpiece.cpp runtime/src/io.cpp
//   FUZZ_INCLUDES: runtime/include
//   FUZZ_LIBS: -licuuc
//   (plus nlohmann/json and ICU's headers, found in /usr/include)
// Seed corpus: test/fuzz/corpus/wordpiece/; dictionary: test/fuzz/wordpiece.dict.
//
// The input is FLAGS VOCAB "\n@@\n" TEXT. FLAGS bit 0: the five special
// tokens are put before VOCAB (so that mutations reach encoding); bits 1-3:
// cased, strip accents, no CJK split; bit 4: also train on TEXT.
//
// Any vocab.txt must load or fail with LOOM_ERR_FORMAT naming the file. A
// tokenizer that loads must encode TEXT (alone, framed, as a pair) to ids
// inside its vocabulary, decode them, and survive a round trip through its
// file. BERT's basic tokenizer must give non-empty UTF-8 words without
// whitespace, and training on TEXT must give a loadable vocabulary.
//
//===----------------------------------------------------------------------===//
#include "loom/tokenizer/wordpiece.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace loom::tok;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_wordpiece: %s\n", what);
  std::abort();
}

bool validUtf8(std::string_view s) {
  // Strict, as the tokenizer's decoder: Unicode's Table 3-7.
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  while (i < s.size()) {
    uint8_t b = at(i);
    size_t len = b < 0x80                 ? 1
                 : b >= 0xC2 && b <= 0xDF ? 2
                 : b >= 0xE0 && b <= 0xEF ? 3
                 : b >= 0xF0 && b <= 0xF4 ? 4
                                          : 0;
    if (!len || i + len > s.size())
      return false;
    uint8_t lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    for (size_t k = 1; k < len; ++k)
      if (at(i + k) < (k == 1 ? lo : 0x80) || at(i + k) > (k == 1 ? hi : 0xBF))
        return false;
    i += len;
  }
  return true;
}

void checkIds(const Tokenizer &t, const std::vector<int32_t> &ids) {
  for (int32_t id : ids)
    if (id < 0 || static_cast<size_t>(id) >= t.vocabSize())
      fail("an id outside the vocabulary");
}

void checkTokenizer(const WordPieceTokenizer &t, std::string_view text) {
  std::vector<int32_t> ids, framed, pair;
  t.encode(text, ids);
  checkIds(t, ids);
  t.encode(text, framed, kAddSpecial);
  if (framed.size() != ids.size() + 2 || framed.front() != t.clsId() ||
      framed.back() != t.sepId())
    fail("kAddSpecial is not [CLS] ... [SEP]");
  size_t half = text.size() / 2;
  t.encodePair(text.substr(0, half), text.substr(half), pair, kAddSpecial);
  checkIds(t, pair);
  std::string decoded;
  if (!t.decode(ids, decoded).isOk() ||
      !t.decode(pair, decoded, kSkipSpecial | kCleanUpSpaces).isOk())
    fail("decode refused the ids encode gave");

  std::string vocab, config;
  t.serialize(vocab, config);
  std::unique_ptr<WordPieceTokenizer> again;
  Status s = WordPieceTokenizer::parse(vocab, "vocab.txt", t.options(), again);
  if (!s.isOk()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    fail("the vocab.txt a tokenizer writes does not load");
  }
  std::vector<int32_t> ids2;
  again->encode(text, ids2);
  if (ids2 != ids)
    fail("the reloaded tokenizer encodes differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  size_t sep = rest.find("\n@@\n");
  std::string_view vocabPart = rest.substr(0, sep);
  std::string_view text =
      sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 4);

  WordPieceOptions options;
  options.lowerCase = !(flags & 2);
  options.stripAccents = (flags & 4) ? 1 : -1;
  options.tokenizeChineseChars = !(flags & 8);

  for (const std::string &word : basicTokenize(text, options)) {
    if (word.empty() || !validUtf8(word))
      fail("basicTokenize gave an empty word or one that is not UTF-8");
    for (char c : word)
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        fail("basicTokenize gave a word with whitespace");
  }

  std::string vocab =
      (flags & 1) ? "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" + std::string(vocabPart)
                  : std::string(vocabPart);
  std::unique_ptr<WordPieceTokenizer> t;
  Status s = WordPieceTokenizer::parse(vocab, "vocab.txt", options, t);
  if (!s.isOk()) {
    if (t)
      fail("a tokenizer came with an error");
    if (s.code() != LOOM_ERR_FORMAT || s.message().rfind("vocab.txt", 0) != 0)
      fail("an error without LOOM_ERR_FORMAT or the file name");
  } else {
    checkTokenizer(*t, text);
  }

  if (flags & 16) {
    WordPieceTrainOptions train;
    train.vocabSize = 5 + 4 * (flags >> 5) + 200;
    train.minFrequency = 1;
    train.limitAlphabet = 64;
    train.basic = options;
    std::unique_ptr<WordPieceTokenizer> trained;
    Status ts = WordPieceTokenizer::train(text, train, trained);
    if (ts.isOk()) {
      if (trained->vocabSize() > train.vocabSize)
        fail("training overshot the vocabulary size");
      checkTokenizer(*trained, text);
    } else if (ts.code() != LOOM_ERR_INVALID_ARGUMENT) {
      fail("training failed other than for a too small vocabulary");
    }
  }
  return 0;
}
