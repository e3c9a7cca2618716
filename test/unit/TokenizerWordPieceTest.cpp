//===- TokenizerWordPieceTest.cpp - loom_tokenizer: BERT's WordPiece -------===//
//
// Expected values are worked out by hand from BERT's tokenization.py (and
// were checked against a copy of it and HF tokenizers when written; see
// docs/tokenizers.md). No Python is needed to run them.
//
//===----------------------------------------------------------------------===//
#include "TokenizerTestUtil.h"

using namespace loom::tok;
using namespace loom::tok::test;

// ---- WordPiece: BERT's BasicTokenizer ------------------------------------------------

TEST(BasicTokenizer, LowerCaseAndAccents) {
  EXPECT_EQ(basicTokenize("Héllo, World!"), (Strings{"hello", ",", "world", "!"}));
  EXPECT_EQ(basicTokenize("Ångström naïve café"), (Strings{"angstrom", "naive", "cafe"}));
  WordPieceOptions cased;
  cased.lowerCase = false;
  EXPECT_EQ(basicTokenize("Héllo, World!", cased), (Strings{"Héllo", ",", "World", "!"}));
  cased.stripAccents = 1;
  EXPECT_EQ(basicTokenize("Héllo, World!", cased), (Strings{"Hello", ",", "World", "!"}));
  WordPieceOptions keep;
  keep.stripAccents = 0;
  EXPECT_EQ(basicTokenize("Héllo, World!", keep), (Strings{"héllo", ",", "world", "!"}));
  // Python's str.lower(): İ -> i + U+0307 (then stripped), final sigma.
  EXPECT_EQ(basicTokenize("İstanbul"), Strings{"istanbul"});
  EXPECT_EQ(basicTokenize("ΣΑΣ ΟΔΟΣ"), (Strings{"σας", "οδος"}));
  EXPECT_EQ(basicTokenize("Straße"), Strings{"straße"});
  // NFD splits Hangul syllables into jamo (none of them Mn).
  EXPECT_EQ(
      basicTokenize("한국어"),
      Strings{"\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xae\xe1\x86\xa8"
              "\xe1\x84\x8b\xe1\x85\xa5"});
  // A word of combining marks only vanishes.
  EXPECT_EQ(basicTokenize("\u0301abc a\u0301 \u0301"), (Strings{"abc", "a"}));
}

TEST(BasicTokenizer, Punctuation) {
  EXPECT_EQ(basicTokenize("don't"), (Strings{"don", "'", "t"}));
  EXPECT_EQ(basicTokenize("$5.00"), (Strings{"$", "5", ".", "00"}));
  // ASCII 33-47, 58-64, 91-96, 123-126 are punctuation even where Unicode
  // says symbol ('+', '^', '$'); non-ASCII symbols (Sc '€') are not.
  EXPECT_EQ(basicTokenize("a€b a+b a^b a¿b"),
            (Strings{"a€b", "a", "+", "b", "a", "^", "b", "a", "¿", "b"}));
  EXPECT_EQ(basicTokenize("...!?"), (Strings{".", ".", ".", "!", "?"}));
}

TEST(BasicTokenizer, ChineseCharacters) {
  EXPECT_EQ(basicTokenize("ab中文cd"), (Strings{"ab", "中", "文", "cd"}));
  WordPieceOptions noCjk;
  noCjk.tokenizeChineseChars = false;
  EXPECT_EQ(basicTokenize("ab中文cd", noCjk), Strings{"ab中文cd"});
  // Kana and Hangul are not in the CJK ideograph blocks.
  EXPECT_EQ(basicTokenize("カタカナ"), Strings{"カタカナ"});
}

TEST(BasicTokenizer, CleanTextAndWhitespace) {
  // U+0000, U+FFFD, Cc and Cf go; tab, newline and CR are spaces.
  const char raw[] = "x\xef\xbf\xbdy a\0b\x01"
                     "c\u200bd";
  EXPECT_EQ(basicTokenize(std::string(raw, sizeof raw - 1)), (Strings{"xy", "abcd"}));
  EXPECT_EQ(basicTokenize("a\tb\nc\rd"), (Strings{"a", "b", "c", "d"}));
  // Zs are spaces; U+0085 is Cc (dropped); U+2028 (Zl) splits in str.split().
  EXPECT_EQ(basicTokenize("a\u00a0b\u3000c\u1680d"), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(basicTokenize("a\u0085b"), Strings{"ab"});
  EXPECT_EQ(basicTokenize("a\u2028b"), (Strings{"a", "b"}));
  // Bytes that are not UTF-8 are dropped, like the U+FFFD Python decodes.
  EXPECT_EQ(basicTokenize("ab\xff"
                          "cd \xc3"),
            Strings{"abcd"});
  EXPECT_EQ(basicTokenize("   "), Strings{});
  EXPECT_EQ(basicTokenize(""), Strings{});
}

// ---- WordPiece -------------------------------------------------------------------------

namespace {

std::unique_ptr<WordPieceTokenizer> wordPiece(const std::string &vocab = kWordPieceVocab,
                                              const WordPieceOptions &options = {}) {
  std::unique_ptr<WordPieceTokenizer> t;
  Status s = WordPieceTokenizer::parse(vocab, "vocab.txt", options, t);
  EXPECT_TRUE(s.isOk()) << s.message();
  return t;
}

std::string wordPieceError(const std::string &vocab) {
  std::unique_ptr<WordPieceTokenizer> t;
  Status s = WordPieceTokenizer::parse(vocab, "vocab.txt", {}, t);
  EXPECT_FALSE(t && !s.isOk());
  return s.message();
}

} // namespace

TEST(WordPiece, GreedyLongestMatchFirst) {
  auto t = wordPiece();
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "unwanted running"),
            (Strings{"un", "##want", "##ed", "runn", "##ing"}));
  EXPECT_EQ(encodeTokens(*t, "unaffable"), (Strings{"un", "##aff", "##able"}));
  EXPECT_EQ(encodeTokens(*t, "xabc xab xa"),
            (Strings{"x", "##abc", "x", "##ab", "x", "##a"}));
  // One unmatched piece makes the whole word [UNK].
  EXPECT_EQ(encodeTokens(*t, "unwantedX running"), (Strings{"[UNK]", "runn", "##ing"}));
  EXPECT_EQ(encodeTokens(*t, "Hello, World."), (Strings{"hello", ",", "world", "."}));
}

TEST(WordPiece, MaxCharsPerWord) {
  auto t = wordPiece();
  ASSERT_TRUE(t);
  Ids ids;
  t->encode(std::string(100, 'a'), ids);
  EXPECT_EQ(ids.size(), 100u);
  ids.clear();
  t->encode(std::string(101, 'a'), ids);
  EXPECT_EQ(ids, Ids{t->unkId()});
  // Characters, not bytes: 100 two-byte characters are within the limit.
  std::string accented;
  for (int i = 0; i < 100; ++i)
    accented += "ä";
  ids.clear();
  t->encode(accented, ids);
  EXPECT_EQ(ids.size(), 100u);
}

TEST(WordPiece, SpecialTokensStayWhole) {
  auto t = wordPiece();
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "[CLS] hello [MASK]world[SEP][PAD][UNK]"),
            (Strings{"[CLS]", "hello", "[MASK]", "world", "[SEP]", "[PAD]", "[UNK]"}));
  // Lower case is not special: '[' and ']' are punctuation, "mask" unknown.
  EXPECT_EQ(encodeTokens(*t, "[mask]"), (Strings{"[UNK]", "[UNK]", "[UNK]"}));
  EXPECT_EQ(encodeTokens(*t, "[MASK]", kSpecialAsText),
            (Strings{"[UNK]", "[UNK]", "[UNK]"}));
  EXPECT_EQ(t->clsId(), 2);
  EXPECT_EQ(t->sepId(), 3);
  EXPECT_EQ(t->padId(), 0);
  EXPECT_EQ(t->maskId(), 4);
  EXPECT_TRUE(t->isSpecial(t->maskId()));
  EXPECT_FALSE(t->isSpecial(5));
}

TEST(WordPiece, SentenceAndPair) {
  auto t = wordPiece();
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "hello world", kAddSpecial),
            (Strings{"[CLS]", "hello", "world", "[SEP]"}));
  Ids ids;
  t->encodePair("hello", "unwanted world", ids, kAddSpecial);
  EXPECT_EQ(tokensOf(*t, ids), (Strings{"[CLS]", "hello", "[SEP]", "un", "##want", "##ed",
                                        "world", "[SEP]"}));
  ids.clear();
  t->encodePair("hello", "world", ids);
  EXPECT_EQ(tokensOf(*t, ids), (Strings{"hello", "world"}));
}

TEST(WordPiece, Decode) {
  auto t = wordPiece();
  ASSERT_TRUE(t);
  Ids ids;
  t->encode("unwanted running , hello .", ids, kAddSpecial);
  std::string text;
  ASSERT_TRUE(t->decode(ids, text).isOk());
  EXPECT_EQ(text, "[CLS] unwanted running , hello . [SEP]");
  ASSERT_TRUE(t->decode(ids, text, kSkipSpecial).isOk());
  EXPECT_EQ(text, "unwanted running , hello .");
  ASSERT_TRUE(t->decode(ids, text, kSkipSpecial | kCleanUpSpaces).isOk());
  EXPECT_EQ(text, "unwanted running, hello.");
  ASSERT_TRUE(t->decode(Ids{}, text).isOk());
  EXPECT_EQ(text, "");
  EXPECT_EQ(t->decode(Ids{24}, text).code(), LOOM_ERR_INVALID_ARGUMENT);
}

TEST(WordPiece, CasedVocabulary) {
  WordPieceOptions cased;
  cased.lowerCase = false;
  auto t = wordPiece("[UNK]\n[CLS]\n[SEP]\nHello\nhello\n##é\nH\n", cased);
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "Hello hello Hé"), (Strings{"Hello", "hello", "H", "##é"}));
  EXPECT_EQ(t->padId(), -1);
  EXPECT_EQ(t->maskId(), -1);
}

TEST(WordPiece, VocabTxtErrors) {
  EXPECT_EQ(wordPieceError(""), "vocab.txt: the vocabulary is empty");
  EXPECT_EQ(wordPieceError("[UNK]\n\n[CLS]\n"),
            "vocab.txt:2: an empty line (each line is one token)");
  EXPECT_EQ(wordPieceError("[UNK]\na\n[CLS]\na\n"),
            "vocab.txt:4: the token \"a\" appears twice (first on line 2)");
  EXPECT_EQ(wordPieceError("[UNK]\nab\xc3(\n"), "vocab.txt:2:3: not valid UTF-8");
  EXPECT_EQ(wordPieceError("[UNK]\nhello\n"),
            "vocab.txt: the vocabulary lacks [CLS], [SEP] (WordPiece needs [UNK], [CLS] "
            "and [SEP])");
  // A token may not keep a \r: written back as "[SEP]\r\n" it would read as [SEP].
  EXPECT_EQ(wordPieceError("[UNK]\n[CLS]\n[SEP]\n[SEP]\r\r\n"),
            "vocab.txt:4:6: a carriage return inside a token");
  EXPECT_EQ(wordPieceError("[UNK]\n[CLS]\na\rb\n[SEP]\n"),
            "vocab.txt:3:2: a carriage return inside a token");
  // CRLF, a byte-order mark and no final newline are fine.
  EXPECT_EQ(wordPieceError("\xEF\xBB\xBF[UNK]\r\n[CLS]\r\n[SEP]"), "");
}

TEST(WordPiece, ConfigAndSaveLoad) {
  std::string dir = tempDir();
  writeFile(dir + "/vocab.txt", "[UNK]\n[CLS]\n[SEP]\nhello\nHello\n");
  std::unique_ptr<Tokenizer> t;
  ASSERT_TRUE(openTokenizer(dir, t).isOk());
  EXPECT_EQ(encodeTokens(*t, "Hello"), Strings{"hello"});
  writeFile(
      dir + "/tokenizer_config.json",
      "{\"do_lower_case\": false, \"strip_accents\": null, \"model_max_length\": 512}");
  Status s = openTokenizer(dir, t);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(encodeTokens(*t, "Hello"), Strings{"Hello"});

  // save writes vocab.txt and the settings; the copy encodes the same.
  std::string copy = dir + "/copy";
  ASSERT_TRUE(t->save(copy).isOk());
  EXPECT_EQ(readFile(copy + "/vocab.txt"), "[UNK]\n[CLS]\n[SEP]\nhello\nHello\n");
  std::unique_ptr<Tokenizer> u;
  ASSERT_TRUE(openTokenizer(copy, u).isOk());
  EXPECT_EQ(encodeTokens(*u, "Hello hello"), (Strings{"Hello", "hello"}));

  writeFile(dir + "/tokenizer_config.json", "{\"do_lower_case\": 1}");
  s = openTokenizer(dir, t);
  EXPECT_EQ(s.code(), LOOM_ERR_FORMAT);
  EXPECT_EQ(s.message(),
            dir + "/tokenizer_config.json: 'do_lower_case' must be true or false");
  writeFile(dir + "/tokenizer_config.json", "{\n  \"do_lower_case\": tru\n}");
  s = openTokenizer(dir, t);
  EXPECT_EQ(s.code(), LOOM_ERR_FORMAT);
  EXPECT_NE(
      s.message().find("tokenizer_config.json: not valid JSON: parse error at line 3"),
      std::string::npos)
      << s.message();
  writeFile(dir + "/tokenizer_config.json", "{\"strip_accents\": \"yes\"}");
  EXPECT_EQ(openTokenizer(dir, t).code(), LOOM_ERR_FORMAT);
}

TEST(WordPieceTrain, LearnsWordsAndPieces) {
  std::string text;
  for (int i = 0; i < 10; ++i)
    text += kCorpus + "Unbelievable! The CAT sat.\n";
  WordPieceTrainOptions options;
  options.vocabSize = 80;
  std::unique_ptr<WordPieceTokenizer> t, again;
  ASSERT_TRUE(WordPieceTokenizer::train(text, options, t).isOk());
  ASSERT_TRUE(WordPieceTokenizer::train(text, options, again).isOk());
  EXPECT_EQ(t->vocabSize(), 80u);
  EXPECT_EQ(t->token(0), "[PAD]");
  EXPECT_EQ(t->token(1), "[CLS]");
  EXPECT_EQ(t->token(2), "[SEP]");
  EXPECT_EQ(t->token(3), "[MASK]");
  EXPECT_EQ(t->token(4), "[UNK]");
  for (size_t i = 0; i < t->vocabSize(); ++i)
    EXPECT_EQ(t->token(static_cast<int32_t>(i)), again->token(static_cast<int32_t>(i)));
  EXPECT_EQ(encodeTokens(*t, "The cat sat"), (Strings{"the", "cat", "sat"}));
  EXPECT_NE(t->find("##s"), -1);
  // An unseen word still encodes through single characters and ##pieces.
  Strings pieces = encodeTokens(*t, "cats");
  EXPECT_EQ(pieces, (Strings{"cat", "##s"}));
  EXPECT_EQ(encodeTokens(*t, "zebra"), Strings{"[UNK]"});

  // Saved and opened again, it encodes the same.
  std::string dir = tempDir() + "/wp";
  ASSERT_TRUE(t->save(dir).isOk());
  std::unique_ptr<Tokenizer> loaded;
  ASSERT_TRUE(openTokenizer(dir, loaded).isOk());
  ASSERT_EQ(loaded->kind(), Kind::WordPiece);
  Ids x, y;
  t->encode(text, x, kAddSpecial);
  loaded->encode(text, y, kAddSpecial);
  EXPECT_EQ(x, y);

  options.vocabSize = 10;
  EXPECT_EQ(WordPieceTokenizer::train(text, options, t).code(),
            LOOM_ERR_INVALID_ARGUMENT);
}
