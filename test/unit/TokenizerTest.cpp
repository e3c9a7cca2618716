//===- TokenizerTest.cpp - loom_tokenizer: GPT-2 BPE, the C ABI ------------===//
//
// Expected values are worked out by hand from GPT-2's encoder.py (and were
// checked against Python's `regex`, a copy of encoder.py and HF tokenizers
// when written; see docs/tokenizers.md). No Python is needed to run them.
// WordPiece: TokenizerWordPieceTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "TokenizerTestUtil.h"

#include "loom/tokenizer.h"

#include <random>
#include <set>
#include <thread>

using namespace loom::tok;
using namespace loom::tok::test;

namespace {

std::unique_ptr<BpeTokenizer> bpe(const std::string &vocab, const std::string &merges,
                                  const BpeOptions &options = {}) {
  std::unique_ptr<BpeTokenizer> t;
  Status s = BpeTokenizer::parse(vocab, merges, "vocab.json", "merges.txt", options, t);
  EXPECT_TRUE(s.isOk()) << s.message();
  return t;
}

/// The error of parsing VOCAB + MERGES ("" if they parse).
std::string bpeError(const std::string &vocab, const std::string &merges,
                     const BpeOptions &options = {}) {
  std::unique_ptr<BpeTokenizer> t;
  Status s = BpeTokenizer::parse(vocab, merges, "vocab.json", "merges.txt", options, t);
  EXPECT_EQ(s.isOk(), t != nullptr);
  if (!s.isOk()) {
    EXPECT_EQ(s.code(), LOOM_ERR_FORMAT) << s.message();
  }
  return s.message();
}

} // namespace

// ---- GPT-2's pre-split ------------------------------------------------------------

TEST(Gpt2Split, Words) {
  EXPECT_EQ(gpt2Split("Hello world"), (Strings{"Hello", " world"}));
  EXPECT_EQ(gpt2Split(""), Strings{});
  EXPECT_EQ(gpt2Split("abcабв123"), (Strings{"abcабв", "123"}));
}

TEST(Gpt2Split, Contractions) {
  EXPECT_EQ(gpt2Split("don't"), (Strings{"don", "'t"}));
  EXPECT_EQ(gpt2Split("I'll"), (Strings{"I", "'ll"}));
  EXPECT_EQ(gpt2Split("we're they've I'm he'd it's"),
            (Strings{"we", "'re", " they", "'ve", " I", "'m", " he", "'d", " it", "'s"}));
  // Case-sensitive, and tried at any position.
  EXPECT_EQ(gpt2Split("DON'T"), (Strings{"DON", "'", "T"}));
  EXPECT_EQ(gpt2Split("'sup"), (Strings{"'s", "up"}));
  EXPECT_EQ(gpt2Split(" 's"), (Strings{" '", "s"}));
  EXPECT_EQ(gpt2Split("?'s"), (Strings{"?'", "s"}));
  EXPECT_EQ(gpt2Split("'"), (Strings{"'"}));
}

TEST(Gpt2Split, Whitespace) {
  // \s+(?!\S) leaves the run's last space to the next word.
  EXPECT_EQ(gpt2Split("a   b"), (Strings{"a", "  ", " b"}));
  EXPECT_EQ(gpt2Split("  a"), (Strings{" ", " a"}));
  EXPECT_EQ(gpt2Split("\n\n"), (Strings{"\n\n"}));
  EXPECT_EQ(gpt2Split("a\n\nb"), (Strings{"a", "\n", "\n", "b"}));
  EXPECT_EQ(gpt2Split("\t\tx"), (Strings{"\t", "\t", "x"}));
  EXPECT_EQ(gpt2Split("a\r\n\r\nb"), (Strings{"a", "\r\n\r", "\n", "b"}));
  // Trailing whitespace is one piece.
  EXPECT_EQ(gpt2Split("hi  "), (Strings{"hi", "  "}));
  EXPECT_EQ(gpt2Split(" "), (Strings{" "}));
  // U+00A0 is \s but not the optional ' ' of ' ?\p{L}+'.
  EXPECT_EQ(gpt2Split("x\u00a0y"), (Strings{"x", "\u00a0", "y"}));
}

TEST(Gpt2Split, NumbersAndPunctuation) {
  EXPECT_EQ(gpt2Split("abc 123 4567"), (Strings{"abc", " 123", " 4567"}));
  EXPECT_EQ(gpt2Split("1.5"), (Strings{"1", ".", "5"}));
  EXPECT_EQ(gpt2Split("½²Ⅻ"), (Strings{"½²Ⅻ"})); // No, No, Nl
  EXPECT_EQ(gpt2Split("Hi!!! ...?"), (Strings{"Hi", "!!!", " ...?"}));
}

TEST(Gpt2Split, NonAscii) {
  EXPECT_EQ(gpt2Split("héllo wörld"), (Strings{"héllo", " wörld"}));
  EXPECT_EQ(gpt2Split("你好世界 ok"), (Strings{"你好世界", " ok"}));
  // A combining mark (Mn) is neither a letter nor a number.
  EXPECT_EQ(gpt2Split("e\u0301"), (Strings{"e", "\u0301"}));
  // Waving hand (So) + skin tone modifier (Sk) + '!': one run of "other".
  EXPECT_EQ(gpt2Split("hi 👋🏽!"), (Strings{"hi", " 👋🏽!"}));
  EXPECT_EQ(gpt2Split("Привет, мир"), (Strings{"Привет", ",", " мир"}));
}

TEST(Gpt2Split, InvalidUtf8) {
  // Ill-formed bytes split like Python's surrogateescape characters: other.
  EXPECT_EQ(gpt2Split("a\xff"
                      "b"),
            (Strings{"a", "\xff", "b"}));
  EXPECT_EQ(gpt2Split("\xff\xfe!"), (Strings{"\xff\xfe!"}));
  EXPECT_EQ(gpt2Split(" \xc3"), (Strings{" \xc3"}));
  // An encoded surrogate and an overlong are three and two bytes of other.
  EXPECT_EQ(gpt2Split("x\xed\xa0\x80\xc0\x80y"),
            (Strings{"x", "\xed\xa0\x80\xc0\x80", "y"}));
}

TEST(Gpt2Split, PiecesCoverTheText) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::string text;
    for (int i = rng() % 40; i > 0; --i)
      text += static_cast<char>(rng() % 256);
    std::string joined;
    for (const std::string &p : gpt2Split(text)) {
      EXPECT_FALSE(p.empty());
      joined += p;
    }
    EXPECT_EQ(joined, text);
  }
}

// ---- the byte alphabet --------------------------------------------------------------

TEST(ByteAlphabet, Gpt2Map) {
  EXPECT_EQ(byteToUnicode(' '), U'\u0120');  // 'Ġ'
  EXPECT_EQ(byteToUnicode('\n'), U'\u010A'); // 'Ċ'
  EXPECT_EQ(byteToUnicode(0), U'\u0100');
  EXPECT_EQ(byteToUnicode('A'), U'A');
  EXPECT_EQ(byteToUnicode('!'), U'!');
  EXPECT_EQ(byteToUnicode(0x7F), U'\u0121');
  EXPECT_EQ(byteToUnicode(0xA0), U'\u0142');
  EXPECT_EQ(byteToUnicode(0xA1), U'\u00A1');
  EXPECT_EQ(byteToUnicode(0xAD), U'\u0143');
  EXPECT_EQ(byteToUnicode(0xFF), U'\u00FF');
  EXPECT_EQ(bytesToTokenString(" the\n"), "ĠtheĊ");
}

TEST(ByteAlphabet, AllBytesRoundTrip) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    char32_t c = byteToUnicode(static_cast<uint8_t>(b));
    EXPECT_EQ(unicodeToByte(c), b);
    EXPECT_TRUE(seen.insert(c).second);
    EXPECT_LT(c, 0x144u);
  }
  EXPECT_EQ(unicodeToByte(U' '), -1);
  EXPECT_EQ(unicodeToByte(U'\u0144'), -1);
  EXPECT_EQ(unicodeToByte(U'中'), -1);
}

// ---- byte-level BPE: merges by rank ------------------------------------------------

TEST(Bpe, MergesByRank) {
  auto t = bpe(vocabJson({"ll", "he", "hell", "hello", "Ġw", "or", "Ġwor"}),
               "#version: 0.2\nl l\nh e\nhe ll\nhell o\nĠ w\no r\nĠw or\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "hello world"), (Strings{"hello", "Ġwor", "l", "d"}));
  Ids ids;
  t->encode("hello", ids);
  EXPECT_EQ(ids, Ids{259}); // byte tokens 0..255, then ll he hell hello
  EXPECT_EQ(t->merges().size(), 7u);
  EXPECT_EQ(t->vocabSize(), 263u);
}

TEST(Bpe, LowestRankFirstNotLeftToRight) {
  // (b, c) has the lower rank: "abc" is a + bc, not ab + c.
  auto t = bpe(vocabJson({"bc", "ab"}), "#version: 0.2\nb c\na b\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "abc"), (Strings{"a", "bc"}));
  EXPECT_EQ(encodeTokens(*t, "abab"), (Strings{"ab", "ab"}));
}

TEST(Bpe, EveryOccurrenceLeftToRightWithoutOverlap) {
  auto t = bpe(vocabJson({"aa"}), "#version: 0.2\na a\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "aaa"), (Strings{"aa", "a"}));
  EXPECT_EQ(encodeTokens(*t, "aaaa"), (Strings{"aa", "aa"}));
  EXPECT_EQ(encodeTokens(*t, "aaaaa"), (Strings{"aa", "aa", "a"}));
}

TEST(Bpe, RoundsAsGpt2EvenForMergesBeforeTheirParts) {
  // "ab a" (rank 0) needs "ab" (rank 1). GPT-2's bpe() merges every (a, b)
  // of "abab" in one round -> ab ab, which has no merge. (Merging pair by
  // pair, as HF tokenizers does, would give aba b.)
  auto t = bpe(vocabJson({"aba", "ab"}), "ab a\na b\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(encodeTokens(*t, "abab"), (Strings{"ab", "ab"}));
  EXPECT_EQ(encodeTokens(*t, "aba"), (Strings{"aba"}));
}

TEST(Bpe, MergesNeverCrossPieces) {
  auto t = bpe(vocabJson({"ab", "Ġa"}), "#version: 0.2\na b\nĠ a\n");
  ASSERT_TRUE(t);
  // "a b" is "a" + " b": no (a, b) pair inside a piece. In " ab" the
  // lower rank (a, b) wins over (Ġ, a).
  EXPECT_EQ(encodeTokens(*t, "a b ab"), (Strings{"a", "Ġ", "b", "Ġ", "ab"}));
  EXPECT_EQ(encodeTokens(*t, " a"), Strings{"Ġa"});
}

TEST(Bpe, SpecialTokens) {
  auto t = bpe(vocabJson({"<|endoftext|>"}), "#version: 0.2\n");
  ASSERT_TRUE(t);
  const int32_t eot = 256;
  Ids ids;
  t->encode("a<|endoftext|>b", ids);
  EXPECT_EQ(ids, (Ids{'a', eot, 'b'}));
  EXPECT_TRUE(t->isSpecial(eot));
  EXPECT_FALSE(t->isSpecial('a'));
  ids.clear();
  t->encode("a<|endoftext|>b", ids, kSpecialAsText);
  EXPECT_EQ(ids.size(), 15u);
  std::string text;
  ASSERT_TRUE(t->decode(Ids{'a', eot, 'b'}, text).isOk());
  EXPECT_EQ(text, "a<|endoftext|>b");
  ASSERT_TRUE(t->decode(Ids{'a', eot, 'b'}, text, kSkipSpecial).isOk());
  EXPECT_EQ(text, "ab");

  // Declared explicitly; the longest match wins.
  BpeOptions options;
  options.specialTokensSet = true;
  options.specialTokens = {"<s>", "<s></s>"};
  auto u = bpe(vocabJson({"<s>", "<s></s>"}), "", options);
  ASSERT_TRUE(u);
  ids.clear();
  u->encode("x<s></s><s>", ids);
  EXPECT_EQ(ids, (Ids{'x', 257, 256}));
  // Nothing declared: no special tokens, even <|endoftext|>.
  options.specialTokens.clear();
  auto v = bpe(vocabJson({"<|endoftext|>"}), "", options);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->specialTokens().empty());
}

TEST(Bpe, DecodeIsTheExactInverse) {
  auto t = bpe(vocabJson({"ab", "Ġa", "Ġab", "中"}), "a b\nĠ a\nĠa b\n");
  ASSERT_TRUE(t);
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  EXPECT_EQ(roundTrip(*t, all), all);
  EXPECT_EQ(roundTrip(*t, ""), "");
  std::mt19937 rng(1);
  for (int iter = 0; iter < 300; ++iter) {
    std::string text;
    const char *pieces[] = {"ab", " a", " ", "\n", "\xff", "\xc3", "\xc3\xa9", "'s", "z"};
    for (int i = rng() % 30; i > 0; --i)
      text +=
          rng() % 3 ? pieces[rng() % 9] : std::string(1, static_cast<char>(rng() % 256));
    EXPECT_EQ(roundTrip(*t, text), text);
  }
  // A token outside the byte alphabet decodes as its own UTF-8 text.
  std::string text;
  ASSERT_TRUE(t->decode(Ids{259}, text).isOk());
  EXPECT_EQ(text, "中");
  // Invalid UTF-8 in the output stays bytes.
  ASSERT_TRUE(t->decode(Ids{0xff, 'a'}, text).isOk());
  EXPECT_EQ(text, "\xff"
                  "a");
}

TEST(Bpe, DecodeRejectsUnknownIds) {
  auto t = bpe(vocabJson({}), "");
  ASSERT_TRUE(t);
  std::string text = "unchanged";
  Status s = t->decode(Ids{1, 256}, text);
  EXPECT_EQ(s.code(), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("id 256 (position 1)"), std::string::npos) << s.message();
  EXPECT_EQ(t->decode(Ids{-1}, text).code(), LOOM_ERR_INVALID_ARGUMENT);
}

TEST(Bpe, LongWordsStayFast) {
  // One piece of 2^18 letters: merges "a a", "aa aa", ... halve it each
  // round; the heap keeps this O(n log n) (quadratic would take minutes).
  Strings extra;
  std::string merges, piece = "a";
  for (int i = 0; i < 6; ++i) {
    merges += piece + " " + piece + "\n";
    piece += piece;
    extra.push_back(piece);
  }
  auto t = bpe(vocabJson(extra), merges);
  ASSERT_TRUE(t);
  Ids ids;
  t->encode(std::string(1 << 18, 'a'), ids);
  EXPECT_EQ(ids.size(), (1u << 18) / 64);
  EXPECT_EQ(t->token(ids.front()), std::string(64, 'a'));
}

TEST(Bpe, SharedAcrossThreads) {
  BpeTrainOptions options;
  options.vocabSize = 400;
  std::unique_ptr<BpeTokenizer> t;
  ASSERT_TRUE(BpeTokenizer::train(kCorpus + kCorpus, options, t).isOk());
  Ids expected;
  t->encode(kCorpus, expected);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      bool same = true;
      for (int i = 0; i < 50; ++i) {
        Ids ids;
        t->encode(kCorpus, ids);
        same = same && ids == expected;
      }
      ok[k] = same;
    });
  for (std::thread &th : threads)
    th.join();
  EXPECT_EQ(ok, (std::vector<int>{1, 1, 1, 1}));
}

// ---- byte-level BPE: training ----------------------------------------------------

TEST(BpeTrain, CommonWordsBecomeTokens) {
  std::string text;
  for (int i = 0; i < 20; ++i)
    text += kCorpus;
  BpeTrainOptions options;
  options.vocabSize = 300;
  std::unique_ptr<BpeTokenizer> t;
  ASSERT_TRUE(BpeTokenizer::train(text, options, t).isOk());
  EXPECT_EQ(t->vocabSize(), 300u);
  EXPECT_EQ(t->merges().size(), 300u - 257u);
  for (int b = 0; b < 256; ++b)
    EXPECT_EQ(t->byteTokenId(static_cast<uint8_t>(b)), b);
  EXPECT_EQ(t->token(299), "<|endoftext|>");
  EXPECT_TRUE(t->isSpecial(299));
  EXPECT_EQ(encodeTokens(*t, " the"), Strings{"Ġthe"});
  EXPECT_EQ(encodeTokens(*t, " cat"), Strings{"Ġcat"});
  EXPECT_EQ(encodeTokens(*t, "the cat sat"), (Strings{"the", "Ġcat", "Ġsat"}));
  EXPECT_EQ(roundTrip(*t, "the zebra\xff sat"), "the zebra\xff sat");
}

TEST(BpeTrain, TiesGoToTheSmallestPair) {
  // (a, b), (c, d) and (Ġ, c) all occur 3 times. HF tokenizers breaks ties
  // by the ids of its trainer (bytes ordered by their character: 'a' < 'c'
  // < 'Ġ'), and so does loom: "a b", "c d", then "Ġ cd".
  BpeTrainOptions options;
  options.vocabSize = 260;
  std::unique_ptr<BpeTokenizer> t;
  ASSERT_TRUE(BpeTokenizer::train("ab cd ab cd ab cd", options, t).isOk());
  std::string vocab, merges;
  t->serialize(vocab, merges);
  EXPECT_EQ(merges, "#version: 0.2\na b\nc d\nĠ cd\n");
}

TEST(BpeTrain, DeterministicAndMinFrequency) {
  BpeTrainOptions options;
  options.vocabSize = 1000;
  std::unique_ptr<BpeTokenizer> a, b;
  ASSERT_TRUE(BpeTokenizer::train(kCorpus + kCorpus, options, a).isOk());
  ASSERT_TRUE(BpeTokenizer::train(kCorpus + kCorpus, options, b).isOk());
  std::string va, ma, vb, mb;
  a->serialize(va, ma);
  b->serialize(vb, mb);
  EXPECT_EQ(va, vb);
  EXPECT_EQ(ma, mb);
  // Every pair of the doubled text occurs at least twice; of the single
  // text, fewer merge with minFrequency 2 than with 1.
  EXPECT_LT(a->vocabSize(), 1000u);
  std::unique_ptr<BpeTokenizer> once, any;
  ASSERT_TRUE(BpeTokenizer::train(kCorpus, options, once).isOk());
  options.minFrequency = 1;
  ASSERT_TRUE(BpeTokenizer::train(kCorpus, options, any).isOk());
  EXPECT_LT(once->merges().size(), any->merges().size());
  // Special tokens are cut out of the training text.
  options.vocabSize = 2000;
  std::unique_ptr<BpeTokenizer> withEot;
  ASSERT_TRUE(BpeTokenizer::train("<|endoftext|><|endoftext|>", options, withEot).isOk());
  EXPECT_EQ(withEot->vocabSize(), 257u);
}

TEST(BpeTrain, BadOptions) {
  std::unique_ptr<BpeTokenizer> t;
  BpeTrainOptions options;
  options.vocabSize = 256; // + <|endoftext|> does not fit
  Status s = BpeTokenizer::train(kCorpus, options, t);
  EXPECT_EQ(s.code(), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("at least 257"), std::string::npos) << s.message();
  options.vocabSize = 300;
  options.specialTokens = {"a"};
  EXPECT_EQ(BpeTokenizer::train(kCorpus, options, t).code(), LOOM_ERR_INVALID_ARGUMENT);
  options.specialTokens = {"<x>", "<x>"};
  EXPECT_EQ(BpeTokenizer::train(kCorpus, options, t).code(), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(t);
}

TEST(BpeTrain, SaveLoadSameEncoding) {
  BpeTrainOptions options;
  options.vocabSize = 400;
  std::unique_ptr<BpeTokenizer> t;
  ASSERT_TRUE(BpeTokenizer::train(kCorpus + kCorpus + kCorpus, options, t).isOk());
  std::string dir = tempDir() + "/sub";
  ASSERT_TRUE(t->save(dir).isOk());
  EXPECT_EQ(readFile(dir + "/merges.txt").rfind("#version: 0.2\n", 0), 0u);
  std::unique_ptr<Tokenizer> loaded;
  Status s = openTokenizer(dir, loaded);
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(loaded->kind(), Kind::Bpe);
  EXPECT_EQ(loaded->vocabSize(), t->vocabSize());
  EXPECT_EQ(loaded->specialTokens(), t->specialTokens());
  for (const std::string &text :
       {kCorpus, std::string("they're <|endoftext|> I'll\xfe")}) {
    Ids x, y;
    t->encode(text, x);
    loaded->encode(text, y);
    EXPECT_EQ(x, y);
  }
  std::string v1, m1, v2, m2;
  t->serialize(v1, m1);
  static_cast<const BpeTokenizer &>(*loaded).serialize(v2, m2);
  EXPECT_EQ(v1, v2);
  EXPECT_EQ(m1, m2);
  // encodeFile is encode of the file's bytes.
  writeFile(dir + "/text", kCorpus);
  Ids fromFile, direct;
  ASSERT_TRUE(encodeFile(*loaded, dir + "/text", fromFile).isOk());
  loaded->encode(kCorpus, direct);
  EXPECT_EQ(fromFile, direct);
}

// ---- byte-level BPE: file errors ------------------------------------------------

TEST(BpeFiles, VocabJsonErrors) {
  const std::string merges = "#version: 0.2\n";
  auto err = [&](const std::string &vocab) { return bpeError(vocab, merges); };
  EXPECT_EQ(err("[1, 2]"),
            "vocab.json:1:1: expected '{': vocab.json is a JSON object of token -> id");
  EXPECT_EQ(err("{}"), "vocab.json: the vocabulary is empty");
  EXPECT_EQ(err("{\"a\": 0,}"), "vocab.json:1:9: expected a token string after ','");
  EXPECT_EQ(err("{\"a\": 0\n\"b\": 1}"),
            "vocab.json:2:1: expected ',' or '}' after an id");
  EXPECT_EQ(err("{\"a\" 0}"), "vocab.json:1:6: expected ':' after the token \"a\"");
  EXPECT_EQ(err("{\"a\": -1}"), "vocab.json:1:7: ids must be non-negative integers");
  EXPECT_EQ(err("{\"a\": 1.5}"), "vocab.json:1:7: ids must be integers");
  EXPECT_EQ(err("{\"a\": 01}"), "vocab.json:1:7: a JSON number has no leading zeros");
  EXPECT_EQ(err("{\"a\": \"0\"}"), "vocab.json:1:7: expected an integer id");
  EXPECT_EQ(err("{\"a\": 99999999999}"),
            "vocab.json:1:7: id too large (ids are below 2^31 - 1)");
  EXPECT_EQ(err("{\"a\": 0} x"),
            "vocab.json:1:10: unexpected text after the closing '}'");
  EXPECT_EQ(err("{\"a"), "vocab.json:1:2: unterminated string");
  EXPECT_EQ(err("{\"a\tb\": 0}"),
            "vocab.json:1:4: a control character (byte 9) in a string must be escaped");
  EXPECT_EQ(err("{\"\\q\": 0}"), "vocab.json:1:3: unknown escape '\\q'");
  EXPECT_EQ(err("{\"\\u12\": 0}"), "vocab.json:1:3: \\u needs four hex digits");
  EXPECT_EQ(err("{\"\\ud800\": 0}"), "vocab.json:1:3: a high surrogate \\uD800 without a "
                                     "low surrogate is not a character");
  EXPECT_EQ(err("{\"\\udc00\": 0}"),
            "vocab.json:1:3: a lone low surrogate \\uDC00 is not a character");
  // Columns count characters: "é" is one.
  EXPECT_EQ(err("{\"é\xff\": 0}"), "vocab.json:1:4: not valid UTF-8 (byte 0xFF)");
  EXPECT_EQ(err("{\"\": 0}"), "vocab.json:1:2: an empty token");
  EXPECT_EQ(err("{\n\"a\": 0,\n\"a\": 1}"),
            "vocab.json:3:1: the token \"a\" appears twice (first on line 2)");
  EXPECT_EQ(err("{\"a\": 0, \"b\": 2}"), "vocab.json:1:10: id 2 of \"b\" is out of "
                                         "range: ids must be dense, 0..1 for 2 tokens");
  EXPECT_EQ(err("{\"a\": 0,\n \"b\": 0}"),
            "vocab.json:2:2: id 0 of \"b\" is also the id of \"a\" (line 1)");
  EXPECT_EQ(err("{\"a\": 0}"), "vocab.json: the byte token \"Ā\" (byte 0x00) is missing: "
                               "byte-level BPE needs all 256");
}

TEST(BpeFiles, VocabJsonAccepts) {
  // Escapes, a byte-order mark, whitespace: GPT-2's vocab.json is ASCII
  // with \u escapes for the byte characters.
  std::string vocab = vocabJson({"\xf0\x9f\x98\x80"});
  std::string escaped = "\xEF\xBB\xBF \n" + vocab;
  size_t pos = escaped.find("\"\xc4\xa0\""); // "Ġ"
  ASSERT_NE(pos, std::string::npos);
  escaped.replace(pos, 4, "\"\\u0120\"");
  pos = escaped.find("\"\xf0\x9f\x98\x80\"");
  ASSERT_NE(pos, std::string::npos);
  escaped.replace(pos, 6, "\"\\ud83d\\ude00\"");
  auto t = bpe(escaped, "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->find("\xf0\x9f\x98\x80"), 256);
  EXPECT_EQ(t->find("Ġ"), ' ');
}

TEST(BpeFiles, MergesErrors) {
  const std::string vocab = vocabJson({"ab", "abc"});
  auto err = [&](const std::string &merges) { return bpeError(vocab, merges); };
  EXPECT_EQ(err("#version: 0.2\na b c\n"),
            "merges.txt:2: expected two tokens separated by one space (\"left right\"), "
            "got \"a b c\"");
  EXPECT_EQ(err("#version: 0.2\nab\n"), "merges.txt:2: expected two tokens separated by "
                                        "one space (\"left right\"), got \"ab\"");
  EXPECT_EQ(err("a b\n\nab c\n"), "merges.txt:2: expected two tokens separated by one "
                                  "space (\"left right\"), got \"\"");
  EXPECT_EQ(err("a  b\n"), "merges.txt:1: expected two tokens separated by one space "
                           "(\"left right\"), got \"a  b\"");
  EXPECT_EQ(err("xy b\n"), "merges.txt:1: the left token \"xy\" is not in vocab.json");
  EXPECT_EQ(err("a xy\n"), "merges.txt:1: the right token \"xy\" is not in vocab.json");
  EXPECT_EQ(err("b c\n"), "merges.txt:1: the merged token \"bc\" is not in vocab.json");
  EXPECT_EQ(err("a b\r\r\n"), "merges.txt:1:4: a carriage return inside a merge");
  EXPECT_EQ(err("a b\r\n"), ""); // CRLF line ends are fine
  EXPECT_EQ(err("a b\nab c\na b\n"),
            "merges.txt:3: the merge \"a b\" appears twice (first on line 1)");
  EXPECT_EQ(err("a b\nab \xe2\x82\n"), "merges.txt:2:4: not valid UTF-8");
  // CRLF endings, no header, no final newline: fine.
  EXPECT_EQ(err("a b\r\nab c"), "");
}

TEST(BpeFiles, SpecialTokenMustBeInTheVocabulary) {
  BpeOptions options;
  options.specialTokensSet = true;
  options.specialTokens = {"<pad>"};
  EXPECT_EQ(bpeError(vocabJson({}), "", options),
            "vocab.json: the special token \"<pad>\" is not in the vocabulary");
  // One that encoding also produces must stand for its own text: "he" may
  // be special, "Ġ" (a space) may not.
  options.specialTokens = {"he"};
  EXPECT_EQ(bpeError(vocabJson({"he"}), "h e\n", options), "");
  options.specialTokens = {"Ġ"};
  EXPECT_EQ(
      bpeError(vocabJson({}), "", options),
      "vocab.json: the special token \"Ġ\" is also a byte token or a merge's result, "
      "and stands for other bytes than its text");
}

TEST(BpeFiles, MissingFilesAndDirectories) {
  std::string dir = tempDir();
  std::unique_ptr<BpeTokenizer> b;
  Status s = BpeTokenizer::open(dir + "/vocab.json", dir + "/merges.txt", {}, b);
  EXPECT_EQ(s.code(), LOOM_ERR_IO);
  EXPECT_NE(s.message().find(dir + "/vocab.json"), std::string::npos) << s.message();

  std::unique_ptr<Tokenizer> t;
  s = openTokenizer(dir, t);
  EXPECT_EQ(s.code(), LOOM_ERR_IO);
  EXPECT_NE(s.message().find("holds no tokenizer"), std::string::npos) << s.message();
  writeFile(dir + "/vocab.json", vocabJson({}));
  s = openTokenizer(dir, t);
  EXPECT_NE(s.message().find("vocab.json but no merges.txt"), std::string::npos)
      << s.message();
  writeFile(dir + "/merges.txt", "#version: 0.2\nx y\n");
  s = openTokenizer(dir, t);
  EXPECT_EQ(s.code(), LOOM_ERR_FORMAT);
  EXPECT_EQ(s.message(), dir + "/merges.txt:2: the merged token \"xy\" is not in " + dir +
                             "/vocab.json");
  s = openTokenizer(dir + "/nope", t);
  EXPECT_EQ(s.code(), LOOM_ERR_IO);
  EXPECT_FALSE(t);
}

// ---- the C ABI -----------------------------------------------------------------------

namespace {

std::string saveSmallBpe() {
  std::string dir = tempDir();
  writeFile(dir + "/vocab.json",
            vocabJson({"ll", "he", "hell", "hello", "<|endoftext|>"}));
  writeFile(dir + "/merges.txt", "#version: 0.2\nl l\nh e\nhe ll\nhell o\n");
  return dir;
}

} // namespace

TEST(TokenizerCApi, EncodeDecode) {
  std::string dir = saveSmallBpe();
  loom_tokenizer *t = nullptr;
  ASSERT_EQ(loom_tokenizer_open(dir.c_str(), &t), LOOM_OK) << loom_tokenizer_last_error();
  EXPECT_EQ(loom_tokenizer_get_type(t), LOOM_TOKENIZER_BPE);
  EXPECT_EQ(loom_tokenizer_vocab_size(t), 261u);

  const char text[] = "hello<|endoftext|>\xff";
  size_t n = 0;
  ASSERT_EQ(loom_tokenizer_encode(t, text, sizeof text - 1, 0, nullptr, 0, &n), LOOM_OK);
  EXPECT_EQ(n, 3u);
  int32_t ids[3] = {};
  int32_t small[2] = {-7, -7};
  EXPECT_EQ(loom_tokenizer_encode(t, text, sizeof text - 1, 0, small, 2, &n),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(small[0], -7);
  EXPECT_NE(std::string(loom_tokenizer_last_error()).find("holds 2 ids"),
            std::string::npos);
  ASSERT_EQ(loom_tokenizer_encode(t, text, sizeof text - 1, 0, ids, 3, &n), LOOM_OK);
  EXPECT_EQ(ids[0], 259);
  EXPECT_EQ(ids[1], 260);
  EXPECT_EQ(ids[2], 0xff);
  EXPECT_EQ(loom_tokenizer_is_special(t, 260), 1);
  EXPECT_EQ(loom_tokenizer_is_special(t, 259), 0);
  EXPECT_EQ(loom_tokenizer_is_special(t, -1), 0);

  size_t length = 0;
  ASSERT_EQ(loom_tokenizer_decode(t, ids, 3, 0, nullptr, 0, &length), LOOM_OK);
  EXPECT_EQ(length, sizeof text - 1);
  std::vector<char> buf(length + 1, 'x');
  EXPECT_EQ(loom_tokenizer_decode(t, ids, 3, 0, buf.data(), length, &length),
            LOOM_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(loom_tokenizer_decode(t, ids, 3, 0, buf.data(), buf.size(), &length),
            LOOM_OK);
  EXPECT_EQ(std::string(buf.data(), length), std::string(text, sizeof text - 1));
  EXPECT_EQ(buf[length], '\0');
  ASSERT_EQ(loom_tokenizer_decode(t, ids, 3, LOOM_TOKENIZER_SKIP_SPECIAL, buf.data(),
                                  buf.size(), &length),
            LOOM_OK);
  EXPECT_EQ(std::string(buf.data(), length), "hello\xff");
  int32_t bad[] = {1, 5000};
  EXPECT_EQ(loom_tokenizer_decode(t, bad, 2, 0, nullptr, 0, &length),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(loom_tokenizer_last_error()).find("id 5000"), std::string::npos);

  // A pair is A then B for BPE; empty text is no ids.
  ASSERT_EQ(loom_tokenizer_encode_pair(t, "he", 2, "llo", 3, LOOM_TOKENIZER_ADD_SPECIAL,
                                       nullptr, 0, &n),
            LOOM_OK);
  EXPECT_EQ(n, 3u);
  ASSERT_EQ(loom_tokenizer_encode(t, nullptr, 0, 0, nullptr, 0, &n), LOOM_OK);
  EXPECT_EQ(n, 0u);
  loom_tokenizer_destroy(t);
}

TEST(TokenizerCApi, TokensFilesAndSave) {
  std::string dir = saveSmallBpe();
  loom_tokenizer *t = nullptr;
  const char *specials[] = {"<|endoftext|>", "hello"};
  ASSERT_EQ(loom_tokenizer_open_bpe((dir + "/vocab.json").c_str(),
                                    (dir + "/merges.txt").c_str(), specials, 2, &t),
            LOOM_OK)
      << loom_tokenizer_last_error();
  const char *token = nullptr;
  size_t length = 0;
  ASSERT_EQ(loom_tokenizer_id_to_token(t, ' ', &token, &length), LOOM_OK);
  EXPECT_EQ(std::string(token, length), "Ġ");
  EXPECT_EQ(loom_tokenizer_id_to_token(t, 261, &token, &length),
            LOOM_ERR_INVALID_ARGUMENT);
  int32_t id = -1;
  ASSERT_EQ(loom_tokenizer_token_to_id(t, "hell", 4, &id), LOOM_OK);
  EXPECT_EQ(id, 258);
  EXPECT_EQ(loom_tokenizer_token_to_id(t, "zz", 2, &id), LOOM_ERR_NOT_FOUND);
  EXPECT_EQ(loom_tokenizer_is_special(t, 259), 1); // "hello" was declared

  writeFile(dir + "/text.txt", "hello hello");
  int32_t *ids = nullptr;
  size_t count = 0;
  ASSERT_EQ(loom_tokenizer_encode_file(t, (dir + "/text.txt").c_str(), 0, &ids, &count),
            LOOM_OK);
  ASSERT_EQ(count, 3u); // hello, " " (byte), hello: specials match anywhere
  EXPECT_EQ(ids[0], 259);
  EXPECT_EQ(ids[1], ' ');
  loom_tokenizer_free(ids);
  EXPECT_EQ(loom_tokenizer_encode_file(t, (dir + "/none").c_str(), 0, &ids, &count),
            LOOM_ERR_IO);
  EXPECT_EQ(ids, nullptr);

  std::string copy = dir + "/copy";
  ASSERT_EQ(loom_tokenizer_save(t, copy.c_str()), LOOM_OK);
  EXPECT_EQ(readFile(copy + "/merges.txt"), readFile(dir + "/merges.txt"));
  loom_tokenizer_destroy(t);
  loom_tokenizer_destroy(nullptr);
}

TEST(TokenizerCApi, WordPieceAndErrors) {
  std::string dir = tempDir();
  writeFile(dir + "/vocab.txt", kWordPieceVocab);
  loom_tokenizer *t = nullptr;
  ASSERT_EQ(loom_tokenizer_open_wordpiece((dir + "/vocab.txt").c_str(), 0, &t), LOOM_OK);
  EXPECT_EQ(loom_tokenizer_get_type(t), LOOM_TOKENIZER_WORDPIECE);
  int32_t ids[8];
  size_t n = 0;
  ASSERT_EQ(loom_tokenizer_encode_pair(t, "Hello", 5, "world", 5,
                                       LOOM_TOKENIZER_ADD_SPECIAL, ids, 8, &n),
            LOOM_OK);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n), (Ids{2, 15, 3, 16, 3}));
  char text[64];
  size_t length;
  ASSERT_EQ(loom_tokenizer_decode(t, ids, n, LOOM_TOKENIZER_SKIP_SPECIAL, text,
                                  sizeof text, &length),
            LOOM_OK);
  EXPECT_STREQ(text, "hello world");
  loom_tokenizer_destroy(t);

  EXPECT_EQ(loom_tokenizer_open_wordpiece(
                (dir + "/vocab.txt").c_str(),
                LOOM_WORDPIECE_KEEP_ACCENTS | LOOM_WORDPIECE_STRIP_ACCENTS, &t),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(t, nullptr);
  writeFile(dir + "/bad.txt", "[UNK]\n[CLS]\n");
  EXPECT_EQ(loom_tokenizer_open_wordpiece((dir + "/bad.txt").c_str(), 0, &t),
            LOOM_ERR_FORMAT);
  EXPECT_EQ(std::string(loom_tokenizer_last_error()),
            dir + "/bad.txt: the vocabulary lacks [SEP] (WordPiece needs [UNK], [CLS] "
                  "and [SEP])");
  EXPECT_EQ(loom_tokenizer_open(nullptr, &t), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_tokenizer_open(dir.c_str(), nullptr), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_tokenizer_encode(nullptr, "a", 1, 0, nullptr, 0, &n),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_tokenizer_vocab_size(nullptr), 0u);
  const char *missing[] = {"<pad>"};
  std::string bpeDir = saveSmallBpe();
  EXPECT_EQ(loom_tokenizer_open_bpe((bpeDir + "/vocab.json").c_str(),
                                    (bpeDir + "/merges.txt").c_str(), missing, 1, &t),
            LOOM_ERR_FORMAT);
  EXPECT_NE(
      std::string(loom_tokenizer_last_error()).find("\"<pad>\" is not in the vocabulary"),
      std::string::npos);
}
