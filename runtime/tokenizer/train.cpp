//===- train.cpp - learning BPE merges and WordPiece vocabularies ---------===//
//
// Both trainers count words once, then run HF tokenizers' BpeTrainer loop
// (learnMerges): a max-heap of (pair count, pair) with lazy re-validation
// (counts only fall, except for pairs with the new token, which are pushed
// when they form), and per merge only the words that hold the pair are
// rewritten. Learning 8000 merges from 2.5 MB of text takes about 0.3 s.
//
//===----------------------------------------------------------------------===//
#include "internal.h"

#include "loom/tokenizer/bpe.h"
#include "loom/tokenizer/wordpiece.h"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_set>

namespace loom::tok {

namespace detail {

namespace {

uint64_t key(int32_t a, int32_t b) {
  return static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32 | static_cast<uint32_t>(b);
}

struct Candidate {
  int64_t count;
  uint64_t pair;
};

/// Heap order: the higher count first, then the smaller (left, right).
struct Lower {
  bool operator()(const Candidate &a, const Candidate &b) const {
    return a.count != b.count ? a.count < b.count : a.pair > b.pair;
  }
};

} // namespace

void learnMerges(std::vector<TrainWord> &words, std::vector<std::string> &tokens,
                 std::unordered_map<std::string, int32_t> &index, size_t target,
                 int64_t minFrequency, bool wordPiece,
                 std::vector<LearnedMerge> &merges) {
  std::unordered_map<uint64_t, int64_t> counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> where;
  auto addWhere = [&](uint64_t k, int32_t w) {
    std::vector<int32_t> &v = where[k];
    if (v.empty() || v.back() != w)
      v.push_back(w);
  };
  for (size_t w = 0; w < words.size(); ++w) {
    const std::vector<int32_t> &s = words[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      uint64_t k = key(s[i], s[i + 1]);
      counts[k] += words[w].count;
      addWhere(k, static_cast<int32_t>(w));
    }
  }
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> heap;
  for (const auto &[k, c] : counts)
    if (c > 0)
      heap.push({c, k});

  const int64_t floor = std::max<int64_t>(1, minFrequency);
  std::unordered_set<uint64_t> merged;
  std::vector<uint32_t> stamp(words.size(), 0);
  uint32_t round = 0;
  std::vector<int32_t> rewritten;
  std::vector<uint64_t> fresh;
  while (tokens.size() < target && !heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    int64_t current = counts[top.pair];
    if (current != top.count) {
      if (current > 0)
        heap.push({current, top.pair});
      continue;
    }
    if (top.count < floor)
      break;
    int32_t a = static_cast<int32_t>(top.pair >> 32);
    int32_t b = static_cast<int32_t>(top.pair & 0xFFFFFFFFu);
    std::string right = tokens[b];
    if (wordPiece && right.compare(0, 2, "##") == 0)
      right.erase(0, 2);
    std::string joined = tokens[a] + right;
    int32_t id;
    if (auto it = index.find(joined); it != index.end()) {
      id = it->second;
    } else {
      id = static_cast<int32_t>(tokens.size());
      index.emplace(joined, id);
      tokens.push_back(std::move(joined));
    }
    if (merged.insert(top.pair).second)
      merges.push_back({a, b, id});

    ++round;
    std::vector<int32_t> holders = std::move(where[top.pair]);
    where.erase(top.pair);
    fresh.clear();
    for (int32_t w : holders) {
      if (stamp[w] == round)
        continue;
      stamp[w] = round;
      std::vector<int32_t> &s = words[w].symbols;
      rewritten.clear();
      bool changed = false;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          rewritten.push_back(id);
          ++i;
          changed = true;
        } else {
          rewritten.push_back(s[i]);
        }
      }
      if (!changed)
        continue; // the word lost the pair to an earlier merge
      const int64_t c = words[w].count;
      for (size_t i = 0; i + 1 < s.size(); ++i)
        counts[key(s[i], s[i + 1])] -= c;
      for (size_t i = 0; i + 1 < rewritten.size(); ++i) {
        uint64_t k = key(rewritten[i], rewritten[i + 1]);
        counts[k] += c;
        if (rewritten[i] == id || rewritten[i + 1] == id) {
          addWhere(k, w);
          fresh.push_back(k);
        }
      }
      s.swap(rewritten);
    }
    std::sort(fresh.begin(), fresh.end());
    fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
    for (uint64_t k : fresh)
      if (int64_t c = counts[k]; c > 0)
        heap.push({c, k});
  }
}

} // namespace detail

namespace {

/// Calls piece(text) for the stretches of TEXT between occurrences of
/// SPECIALS (longest first at a position).
template <typename Piece>
void splitAround(std::string_view text, std::vector<std::string> specials, Piece piece) {
  std::stable_sort(
      specials.begin(), specials.end(),
      [](const std::string &x, const std::string &y) { return x.size() > y.size(); });
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    for (const std::string &s : specials) {
      if (!s.empty() && text.compare(i, s.size(), s) == 0) {
        if (i > start)
          piece(text.substr(start, i - start));
        start = i + s.size();
        i = start - 1;
        break;
      }
    }
  }
  if (start < text.size())
    piece(text.substr(start));
}

Status badOption(const std::string &what) {
  return Status::error(LOOM_ERR_INVALID_ARGUMENT, what);
}

} // namespace

Status BpeTokenizer::train(std::string_view text, const BpeTrainOptions &options,
                           std::unique_ptr<BpeTokenizer> &out) {
  out.reset();
  const std::vector<std::string> &specials = options.specialTokens;
  std::unordered_set<std::string> seenSpecial;
  for (const std::string &s : specials) {
    if (s.empty() || uni::invalidUtf8Offset(s) != std::string_view::npos)
      return badOption("a special token must be non-empty UTF-8");
    if (!seenSpecial.insert(s).second)
      return badOption("the special token " + detail::quote(s) + " is given twice");
  }
  if (options.vocabSize < 256 + specials.size() || options.vocabSize > INT32_MAX - 1)
    return badOption(
        "the vocabulary size " + std::to_string(options.vocabSize) +
        " is out of range: byte-level BPE needs the 256 byte tokens and the " +
        std::to_string(specials.size()) + " special token(s), at least " +
        std::to_string(256 + specials.size()));

  // Internal ids in HF tokenizers' order (its ties compare ids): the bytes
  // by the code point of their character, which is GPT-2's vocabulary order.
  std::vector<int> byteOf(256);
  for (int b = 0; b < 256; ++b)
    byteOf[b] = b;
  std::sort(byteOf.begin(), byteOf.end(),
            [](int x, int y) { return byteToUnicode(x) < byteToUnicode(y); });
  int32_t internalOf[256];
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> index;
  for (int i = 0; i < 256; ++i) {
    internalOf[byteOf[i]] = i;
    tokens.push_back(bytesToTokenString(std::string(1, static_cast<char>(byteOf[i]))));
    index.emplace(tokens.back(), i);
  }
  for (const std::string &s : specials)
    if (index.count(s))
      return badOption("the special token " + detail::quote(s) + " is a byte token");

  std::unordered_map<std::string_view, int64_t> wordCounts;
  splitAround(text, specials, [&](std::string_view piece) {
    detail::gpt2SplitImpl(
        piece, [&](size_t b, size_t e) { ++wordCounts[piece.substr(b, e - b)]; });
  });
  std::vector<detail::TrainWord> words;
  words.reserve(wordCounts.size());
  for (const auto &[w, c] : wordCounts) {
    detail::TrainWord tw;
    tw.count = c;
    for (char ch : w)
      tw.symbols.push_back(internalOf[static_cast<uint8_t>(ch)]);
    words.push_back(std::move(tw));
  }
  std::vector<detail::LearnedMerge> learned;
  detail::learnMerges(words, tokens, index, options.vocabSize - specials.size(),
                      options.minFrequency, /*wordPiece=*/false, learned);

  // Final ids: byte b is b, merged tokens keep theirs, specials follow.
  auto finalId = [&](int32_t id) { return id < 256 ? byteOf[id] : id; };
  std::vector<std::string> vocab(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    vocab[finalId(static_cast<int32_t>(i))] = std::move(tokens[i]);
  std::vector<int32_t> specialIds;
  for (const std::string &s : specials) {
    if (index.count(s))
      return badOption("the special token " + detail::quote(s) +
                       " was learned as an ordinary token");
    specialIds.push_back(static_cast<int32_t>(vocab.size()));
    vocab.push_back(s);
  }
  std::vector<Merge> merges;
  for (const detail::LearnedMerge &m : learned)
    merges.push_back({finalId(m.left), finalId(m.right), finalId(m.result)});
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  t->setVocabulary(std::move(vocab));
  t->build(std::move(merges), specialIds);
  out = std::move(t);
  return Status::ok();
}

Status WordPieceTokenizer::train(std::string_view text,
                                 const WordPieceTrainOptions &options,
                                 std::unique_ptr<WordPieceTokenizer> &out) {
  out.reset();
  static const char *const kSpecials[] = {"[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"};
  const size_t numSpecials = std::size(kSpecials);
  if (options.vocabSize < numSpecials || options.vocabSize > INT32_MAX - 1)
    return badOption("the vocabulary size " + std::to_string(options.vocabSize) +
                     " is out of range");

  std::unordered_map<std::string, int64_t> wordCounts;
  splitAround(text, {kSpecials, kSpecials + numSpecials}, [&](std::string_view piece) {
    for (std::string &w : basicTokenize(piece, options.basic))
      ++wordCounts[std::move(w)];
  });
  // The alphabet: every character, or the limitAlphabet most frequent.
  std::unordered_map<char32_t, int64_t> charCounts;
  for (const auto &[w, c] : wordCounts)
    for (size_t pos = 0; pos < w.size();)
      charCounts[uni::next(w, pos)] += c;
  std::vector<std::pair<char32_t, int64_t>> chars(charCounts.begin(), charCounts.end());
  if (options.limitAlphabet && chars.size() > options.limitAlphabet) {
    std::sort(chars.begin(), chars.end(), [](const auto &x, const auto &y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    chars.resize(options.limitAlphabet);
  }
  std::sort(chars.begin(), chars.end());
  std::unordered_set<char32_t> kept;
  for (const auto &c : chars)
    kept.insert(c.first);

  // Symbols: a word's first character as itself, the others as "##x"
  // (characters outside the alphabet are dropped, as HF tokenizers does).
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> index;
  auto intern = [&](const std::string &s) {
    auto [it, fresh] = index.emplace(s, static_cast<int32_t>(tokens.size()));
    if (fresh)
      tokens.push_back(s);
    return it->second;
  };
  std::map<char32_t, bool> continuing; // the characters seen after a word's first
  for (const auto &c : chars) {
    std::string s;
    uni::appendUtf8(s, c.first);
    intern(s);
  }
  for (const auto &[w, c] : wordCounts) {
    size_t pos = 0;
    uni::next(w, pos);
    while (pos < w.size())
      if (char32_t ch = uni::next(w, pos); kept.count(ch))
        continuing[ch] = true;
  }
  for (const auto &[ch, unused] : continuing) {
    std::string s = "##";
    uni::appendUtf8(s, ch);
    intern(s);
  }
  if (numSpecials + tokens.size() > options.vocabSize)
    return badOption("the vocabulary size " + std::to_string(options.vocabSize) +
                     " is below the alphabet's " + std::to_string(tokens.size()) +
                     " tokens + " + std::to_string(numSpecials) +
                     " special tokens; raise it or limit the alphabet");
  std::vector<detail::TrainWord> words;
  std::vector<std::pair<std::string_view, int64_t>> sorted(wordCounts.begin(),
                                                           wordCounts.end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto &[w, c] : sorted) {
    detail::TrainWord tw;
    tw.count = c;
    bool first = true;
    for (size_t pos = 0; pos < w.size(); first = false) {
      char32_t ch = uni::next(w, pos);
      if (!kept.count(ch))
        continue;
      std::string s = first ? "" : "##";
      uni::appendUtf8(s, ch);
      if (auto it = index.find(s); it != index.end())
        tw.symbols.push_back(it->second);
    }
    words.push_back(std::move(tw));
  }
  std::vector<detail::LearnedMerge> learned;
  detail::learnMerges(words, tokens, index, options.vocabSize - numSpecials,
                      options.minFrequency, /*wordPiece=*/true, learned);

  std::vector<std::string> vocab(kSpecials, kSpecials + numSpecials);
  for (std::string &t : tokens) {
    if (std::find(vocab.begin(), vocab.begin() + numSpecials, t) !=
        vocab.begin() + numSpecials)
      return badOption("the special token " + detail::quote(t) +
                       " was learned as an ordinary token");
    vocab.push_back(std::move(t));
  }
  std::unique_ptr<WordPieceTokenizer> wp(new WordPieceTokenizer());
  LOOM_RT_TRY(wp->build(std::move(vocab), options.basic, "training"));
  out = std::move(wp);
  return Status::ok();
}

} // namespace loom::tok
