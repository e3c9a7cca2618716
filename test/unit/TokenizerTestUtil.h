//===- TokenizerTestUtil.h - helpers of the tokenizer tests ---------------===//
#ifndef LOOM_TEST_UNIT_TOKENIZERTESTUTIL_H
#define LOOM_TEST_UNIT_TOKENIZERTESTUTIL_H

#include "loom/tokenizer/bpe.h"
#include "loom/tokenizer/wordpiece.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace loom::tok::test {

using Strings = std::vector<std::string>;
using Ids = std::vector<int32_t>;

/// A vocab.json: the 256 byte tokens (id = byte), then EXTRA.
inline std::string vocabJson(const Strings &extra, const Strings &prefix = {}) {
  Strings tokens = prefix;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(bytesToTokenString(std::string(1, static_cast<char>(b))));
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  std::string out = "{";
  for (size_t i = 0; i < tokens.size(); ++i) {
    out += i ? ", \"" : "\"";
    for (char c : tokens[i]) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += "\": " + std::to_string(i);
  }
  return out + "}";
}

inline Strings tokensOf(const Tokenizer &t, const Ids &ids) {
  Strings out;
  for (int32_t id : ids)
    out.push_back(t.token(id));
  return out;
}

inline Strings encodeTokens(const Tokenizer &t, const std::string &text,
                            unsigned flags = 0) {
  Ids ids;
  t.encode(text, ids, flags);
  return tokensOf(t, ids);
}

inline std::string roundTrip(const Tokenizer &t, const std::string &text) {
  Ids ids;
  t.encode(text, ids);
  std::string back;
  Status s = t.decode(ids, back);
  EXPECT_TRUE(s.isOk()) << s.message();
  return back;
}

/// A fresh directory under the test's temporary directory.
inline std::string tempDir() {
  std::string pattern = ::testing::TempDir() + "loom-tok-XXXXXX";
  char *dir = ::mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

inline void writeFile(const std::string &path, const std::string &contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline const std::string kCorpus =
    "the cat sat on the mat. the dog sat on the log. the cat and the dog are "
    "friends; they're happy, aren't they? I'll say it: the cat is the best.\n";

/// BERT's tokenization_test.py vocabulary, and a few more pieces.
inline const char *kWordPieceVocab =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nwant\n##want\n##ed\nwa\n"
    "un\nrunn\n##ing\n,\n##aff\n##able\nhello\nworld\n.\nx\n##a\n"
    "##ab\n##abc\na\n##b\n";

} // namespace loom::tok::test

#endif // LOOM_TEST_UNIT_TOKENIZERTESTUTIL_H
