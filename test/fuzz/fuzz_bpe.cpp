//===- fuzz_bpe.cpp - libFuzzer target: byte-level BPE --------------------===//
//
// Build (self-contained; no CMake target, no MLIR):
//   FUZZ_SOURCES: runtime/tokenizer/bpe.cpp runtime/tokenizer/files.cpp runtime/tokenizer/tokenizer.cpp runtime/tokenizer/train.cpp runtime/tokenizer/unicode.cpp runtime/tokenizer/wordpiece.cpp runtime/src/io.cpp
//   FUZZ_INCLUDES: runtime/include
//   FUZZ_LIBS: -licuuc
//   (plus nlohmann/json and ICU's headers, found in /usr/include)
// Seed corpus: test/fuzz/corpus/bpe/; dictionary: test/fuzz/bpe.dict.
//
// The input is FLAGS VOCAB "\n@@\n" MERGES "\n@@\n" TEXT (missing parts are
// empty). FLAGS bit 0: VOCAB is the text of vocab.json; else VOCAB's lines
// are extra tokens after the 256 byte tokens, and the fuzzer writes the
// vocab.json (so that mutations reach merges.txt and encoding). Bit 1: the
// first extra token is declared special. Bit 2: also train on TEXT.
//
// Any vocab.json / merges.txt must load or fail with LOOM_ERR_FORMAT naming
// a file (no crash, no sanitizer report). A tokenizer that loads must encode
// TEXT to ids inside its vocabulary that decode back to exactly TEXT (any
// bytes), and must survive a round trip through its files: written back
// (serialize), they load to a tokenizer that encodes TEXT the same way and
// writes the same files. Training on TEXT must give such a tokenizer too.
//
//===----------------------------------------------------------------------===//
#include "loom/tokenizer/bpe.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

using namespace loom::tok;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_bpe: %s\n", what);
  std::abort();
}

std::string_view nextPart(std::string_view &rest) {
  static constexpr std::string_view kSeparator = "\n@@\n";
  size_t at = rest.find(kSeparator);
  std::string_view part = rest.substr(0, at);
  rest = at == std::string_view::npos ? std::string_view()
                                      : rest.substr(at + kSeparator.size());
  return part;
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<uint8_t>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<uint8_t>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// vocab.json: the byte tokens, then each distinct non-empty line of EXTRA.
std::string buildVocab(std::string_view extra, std::string &first) {
  // The byte tokens' part, made once (the fuzzer runs this per input).
  static const auto *bytePart = [] {
    auto *p = new std::pair<std::string, std::unordered_set<std::string>>();
    for (int b = 0; b < 256; ++b) {
      std::string t = bytesToTokenString(std::string(1, static_cast<char>(b)));
      p->first += (b ? ", " : "{") + jsonString(t) + ": " + std::to_string(b);
      p->second.insert(t);
    }
    return p;
  }();
  std::unordered_set<std::string> seen;
  std::string out = bytePart->first;
  size_t id = 256;
  while (!extra.empty()) {
    size_t nl = extra.find('\n');
    std::string line(extra.substr(0, nl));
    extra = nl == std::string_view::npos ? std::string_view() : extra.substr(nl + 1);
    if (line.empty() || bytePart->second.count(line) || !seen.insert(line).second)
      continue;
    if (first.empty())
      first = line;
    out += ", ";
    out += jsonString(line);
    out += ": ";
    out += std::to_string(id++);
  }
  return out + "}";
}

void checkTokenizer(const BpeTokenizer &t, std::string_view text) {
  std::vector<int32_t> ids;
  t.encode(text, ids);
  for (int32_t id : ids)
    if (id < 0 || static_cast<size_t>(id) >= t.vocabSize())
      fail("an id outside the vocabulary");
  std::string back;
  if (!t.decode(ids, back).isOk())
    fail("decode refused the ids encode gave");
  if (back != text)
    fail("decode(encode(text)) != text");
  std::vector<int32_t> plain;
  t.encode(text, plain, kSpecialAsText);
  if (!t.decode(plain, back).isOk() || back != text)
    fail("decode(encode(text, kSpecialAsText)) != text");
  if (!t.decode(ids, back, kSkipSpecial).isOk())
    fail("decode with kSkipSpecial failed");

  std::string vocab, merges;
  t.serialize(vocab, merges);
  BpeOptions options;
  options.specialTokensSet = true;
  for (int32_t id : t.specialTokens())
    options.specialTokens.push_back(t.token(id));
  std::unique_ptr<BpeTokenizer> again;
  Status s =
      BpeTokenizer::parse(vocab, merges, "vocab.json", "merges.txt", options, again);
  if (!s.isOk()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    fail("the files a tokenizer writes do not load");
  }
  std::vector<int32_t> ids2;
  again->encode(text, ids2);
  if (ids2 != ids)
    fail("the reloaded tokenizer encodes differently");
  std::string vocab2, merges2;
  again->serialize(vocab2, merges2);
  if (vocab2 != vocab || merges2 != merges)
    fail("the writer is not stable");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  std::string_view vocabPart = nextPart(rest);
  std::string_view mergesPart = nextPart(rest);
  std::string_view text = rest;

  std::string first;
  std::string vocab = (flags & 1) ? std::string(vocabPart) : buildVocab(vocabPart, first);
  BpeOptions options;
  if ((flags & 2) && !first.empty()) {
    options.specialTokensSet = true;
    options.specialTokens = {first};
  }
  std::unique_ptr<BpeTokenizer> t;
  Status s =
      BpeTokenizer::parse(vocab, mergesPart, "vocab.json", "merges.txt", options, t);
  if (!s.isOk()) {
    if (t)
      fail("a tokenizer came with an error");
    if (s.code() != LOOM_ERR_FORMAT || (s.message().rfind("vocab.json", 0) != 0 &&
                                        s.message().rfind("merges.txt", 0) != 0))
      fail("an error without LOOM_ERR_FORMAT or the file name");
  } else {
    checkTokenizer(*t, text);
  }

  if (flags & 4) {
    BpeTrainOptions train;
    train.vocabSize = 257 + (flags >> 3);
    train.minFrequency = 1;
    std::unique_ptr<BpeTokenizer> trained;
    if (!BpeTokenizer::train(text, train, trained).isOk())
      fail("training failed");
    if (trained->vocabSize() > train.vocabSize)
      fail("training overshot the vocabulary size");
    checkTokenizer(*trained, text);
  }
  return 0;
}
