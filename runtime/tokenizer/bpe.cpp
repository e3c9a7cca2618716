//===- bpe.cpp - byte-level BPE: files, encode, decode --------------------===//
#include "loom/tokenizer/bpe.h"

#include "internal.h"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace loom::tok {

using detail::fileError;
using detail::lineError;
using detail::quote;

// ---- the byte alphabet ------------------------------------------------------------

namespace {

struct ByteAlphabet {
  char32_t toChar[256];
  int fromChar[324];      // every mapped character is below U+0144
  std::string token[256]; // toChar in UTF-8
  ByteAlphabet() {
    std::fill(std::begin(fromChar), std::end(fromChar), -1);
    // bytes_to_unicode(): printable Latin-1 stands for itself, the other
    // bytes, in order, for U+0100 onward.
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      toChar[b] = printable ? static_cast<char32_t>(b) : next++;
      fromChar[toChar[b]] = b;
      uni::appendUtf8(token[b], toChar[b]);
    }
  }
};

const ByteAlphabet &alphabet() {
  static const ByteAlphabet a;
  return a;
}

} // namespace

char32_t byteToUnicode(uint8_t b) { return alphabet().toChar[b]; }

int unicodeToByte(char32_t c) { return c < 324 ? alphabet().fromChar[c] : -1; }

std::string bytesToTokenString(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char b : bytes)
    out += alphabet().token[static_cast<uint8_t>(b)];
  return out;
}

namespace {
const std::string &byteToken(int b) { return alphabet().token[b]; }
} // namespace

void gpt2Split(std::string_view text, const std::function<void(size_t, size_t)> &piece) {
  detail::gpt2SplitImpl(text, piece);
}

std::vector<std::string> gpt2Split(std::string_view text) {
  std::vector<std::string> out;
  detail::gpt2SplitImpl(
      text, [&](size_t b, size_t e) { out.emplace_back(text.substr(b, e - b)); });
  return out;
}

// ---- reading the files ----------------------------------------------------------------

namespace {

uint64_t pairKey(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 |
         static_cast<uint32_t>(right);
}

std::string hexByte(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

/// The bytes a token's characters stand for ("" if one stands for none).
std::string bytesOfToken(const std::string &token) {
  std::string bytes;
  for (size_t pos = 0; pos < token.size();) {
    bool valid;
    int b = unicodeToByte(uni::next(token, pos, valid));
    if (!valid || b < 0)
      return std::string();
    bytes += static_cast<char>(b);
  }
  return bytes;
}

} // namespace

Status BpeTokenizer::open(const std::string &vocabPath, const std::string &mergesPath,
                          const BpeOptions &options, std::unique_ptr<BpeTokenizer> &out) {
  out.reset();
  std::string vocab, merges;
  LOOM_RT_TRY(detail::readTextFile(vocabPath, vocab));
  LOOM_RT_TRY(detail::readTextFile(mergesPath, merges));
  return parse(vocab, merges, vocabPath, mergesPath, options, out);
}

Status BpeTokenizer::parse(std::string_view vocabJson, std::string_view mergesTxt,
                           const std::string &vocabName, const std::string &mergesName,
                           const BpeOptions &options,
                           std::unique_ptr<BpeTokenizer> &out) {
  out.reset();
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  {
    std::vector<std::string> tokens;
    LOOM_RT_TRY(detail::parseVocabJson(vocabJson, vocabName, tokens));
    t->setVocabulary(std::move(tokens));
  }
  auto lookup = [&](const std::string &token) { return t->find(token); };
  for (int b = 0; b < 256; ++b)
    if (lookup(byteToken(b)) < 0)
      return fileError(vocabName, "the byte token " + quote(byteToken(b)) + " (byte " +
                                      hexByte(b) +
                                      ") is missing: byte-level BPE needs all 256");

  // merges.txt: "#version ..." lines are skipped (as HF tokenizers does);
  // every other line is "left right", its rank the order of the lines.
  std::vector<Merge> merges;
  std::unordered_map<uint64_t, size_t> mergeLine;
  std::vector<std::string_view> lines = detail::splitLines(mergesTxt);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    size_t lineNo = i + 1;
    if (line.substr(0, 8) == "#version")
      continue;
    if (size_t bad = uni::invalidUtf8Offset(line); bad != std::string_view::npos)
      return detail::offsetError(
          mergesName, mergesTxt,
          static_cast<size_t>(line.data() - mergesTxt.data()) + bad, "not valid UTF-8");
    // As in vocab.txt: a \r left inside a line could not be written back.
    if (size_t cr = line.find('\r'); cr != std::string_view::npos)
      return detail::offsetError(mergesName, mergesTxt,
                                 static_cast<size_t>(line.data() - mergesTxt.data()) + cr,
                                 "a carriage return inside a merge");
    size_t space = line.find(' ');
    if (line.empty() || space == std::string_view::npos || space == 0 ||
        space + 1 == line.size() || line.find(' ', space + 1) != std::string_view::npos)
      return lineError(
          mergesName, lineNo,
          "expected two tokens separated by one space (\"left right\"), got " +
              quote(line));
    std::string left(line.substr(0, space)), right(line.substr(space + 1));
    int32_t l = lookup(left), r = lookup(right), m = lookup(left + right);
    if (l < 0 || r < 0 || m < 0)
      return lineError(mergesName, lineNo,
                       "the " +
                           std::string(l < 0   ? "left token "
                                       : r < 0 ? "right token "
                                               : "merged token ") +
                           quote(l < 0   ? left
                                 : r < 0 ? right
                                         : left + right) +
                           " is not in " + vocabName);
    auto [it, fresh] = mergeLine.emplace(pairKey(l, r), lineNo);
    if (!fresh)
      return lineError(mergesName, lineNo,
                       "the merge " + quote(line) + " appears twice (first on line " +
                           std::to_string(it->second) + ")");
    merges.push_back({l, r, m});
  }

  std::vector<int32_t> specials;
  if (options.specialTokensSet) {
    // A special token decodes to its own text. One that encoding can also
    // produce from bytes (a byte token, a merge's result) must stand for
    // that same text, or decode(encode(x)) == x would break.
    std::vector<bool> reachable(t->vocabSize(), false);
    for (int b = 0; b < 256; ++b)
      reachable[lookup(byteToken(b))] = true;
    for (const Merge &m : merges)
      reachable[m.result] = true;
    for (const std::string &s : options.specialTokens) {
      int32_t id = lookup(s);
      if (id < 0)
        return fileError(vocabName,
                         "the special token " + quote(s) + " is not in the vocabulary");
      if (reachable[id] && bytesOfToken(s) != s)
        return fileError(vocabName, "the special token " + quote(s) +
                                        " is also a byte token or a merge's result, "
                                        "and stands for other bytes than its text");
      specials.push_back(id);
    }
  } else if (int32_t eot = lookup("<|endoftext|>"); eot >= 0) {
    specials.push_back(eot);
  }

  t->build(std::move(merges), specials);
  out = std::move(t);
  return Status::ok();
}

void BpeTokenizer::build(std::vector<Merge> merges,
                         const std::vector<int32_t> &specials) {
  setSpecials(specials);
  merges_ = std::move(merges);
  ranks_.clear();
  ranks_.reserve(merges_.size());
  for (size_t r = 0; r < merges_.size(); ++r)
    ranks_.emplace(pairKey(merges_[r].left, merges_[r].right), static_cast<int32_t>(r));
  for (int b = 0; b < 256; ++b)
    byteToken_[b] = find(byteToken(b));
  // What each token decodes to: the bytes its characters stand for; a
  // special token, or one with a character that stands for no byte, as
  // its own UTF-8 text (as HF tokenizers decodes added tokens).
  bytes_.assign(tokens_.size(), std::string());
  for (size_t id = 0; id < tokens_.size(); ++id) {
    const std::string &t = tokens_[id];
    std::string bytes;
    bool mapped = !special_[id];
    for (size_t pos = 0; mapped && pos < t.size();) {
      bool valid;
      int b = unicodeToByte(uni::next(t, pos, valid));
      if (!valid || b < 0)
        mapped = false;
      else
        bytes += static_cast<char>(b);
    }
    bytes_[id] = mapped ? std::move(bytes) : t;
  }
}

// ---- encoding ------------------------------------------------------------------------------

void BpeTokenizer::encodeWord(std::string_view bytes, std::vector<int32_t> &ids) const {
  const int32_t n = static_cast<int32_t>(bytes.size());
  if (n == 1) {
    ids.push_back(byteToken_[static_cast<uint8_t>(bytes[0])]);
    return;
  }
  // The word as a linked list of symbols. GPT-2's bpe() merges, in rounds,
  // every occurrence (left to right, as it scans the word) of the pair of
  // lowest rank; the heap holds (rank, position) of candidate pairs, and a
  // round takes all entries of one rank before it adds the pairs its merges
  // formed, so that even merges listed before their parts' merges apply as
  // GPT-2 applies them.
  std::vector<int32_t> sym(n), next(n), prev(n);
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = byteToken_[static_cast<uint8_t>(bytes[i])];
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  using Entry = std::pair<int32_t, int32_t>; // (rank, position)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  auto consider = [&](int32_t pos) {
    int32_t nx = next[pos];
    if (nx < 0)
      return;
    auto it = ranks_.find(pairKey(sym[pos], sym[nx]));
    if (it != ranks_.end())
      heap.push({it->second, pos});
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);
  std::vector<int32_t> touched;
  while (!heap.empty()) {
    const int32_t rank = heap.top().first;
    const Merge &m = merges_[rank];
    touched.clear();
    while (!heap.empty() && heap.top().first == rank) {
      int32_t pos = heap.top().second;
      heap.pop();
      int32_t nx = next[pos];
      if (sym[pos] < 0 || nx < 0 || sym[pos] != m.left || sym[nx] != m.right)
        continue; // merged away, or the pair changed since it was queued
      sym[pos] = m.result;
      sym[nx] = -1;
      next[pos] = next[nx];
      if (next[nx] >= 0)
        prev[next[nx]] = pos;
      touched.push_back(pos);
    }
    for (int32_t pos : touched) {
      if (sym[pos] < 0)
        continue;
      if (prev[pos] >= 0)
        consider(prev[pos]);
      consider(pos);
    }
  }
  for (int32_t i = 0; i >= 0; i = next[i])
    ids.push_back(sym[i]);
}

void BpeTokenizer::encode(std::string_view text, std::vector<int32_t> &ids,
                          unsigned flags) const {
  // Words repeat: a per-call cache of each piece's ids (its bytes point into
  // TEXT, alive for the call).
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cache;
  std::vector<int32_t> cached;
  std::vector<int32_t> word;
  splitSpecials(text, flags, [&](std::string_view piece, int32_t special) {
    if (special >= 0) {
      ids.push_back(special);
      return;
    }
    detail::gpt2SplitImpl(piece, [&](size_t b, size_t e) {
      std::string_view w = piece.substr(b, e - b);
      if (w.size() == 1) {
        ids.push_back(byteToken_[static_cast<uint8_t>(w[0])]);
        return;
      }
      auto it = cache.find(w);
      if (it != cache.end()) {
        ids.insert(ids.end(), cached.begin() + it->second.first,
                   cached.begin() + it->second.first + it->second.second);
        return;
      }
      word.clear();
      encodeWord(w, word);
      cache.emplace(w, std::make_pair(cached.size(), word.size()));
      cached.insert(cached.end(), word.begin(), word.end());
      ids.insert(ids.end(), word.begin(), word.end());
    });
  });
}

Status BpeTokenizer::decode(const int32_t *ids, size_t count, std::string &out,
                            unsigned flags) const {
  out.clear();
  LOOM_RT_TRY(checkIds(ids, count));
  for (size_t i = 0; i < count; ++i)
    if (!(flags & kSkipSpecial) || !special_[ids[i]])
      out += bytes_[ids[i]];
  return Status::ok();
}

// ---- writing ----------------------------------------------------------------------------------

void BpeTokenizer::serialize(std::string &vocabJson, std::string &mergesTxt) const {
  vocabJson = detail::writeVocabJson(tokens_);
  mergesTxt = "#version: 0.2\n";
  for (const Merge &m : merges_)
    mergesTxt += tokens_[m.left] + " " + tokens_[m.right] + "\n";
}

Status BpeTokenizer::save(const std::string &dir) const {
  std::string vocab, merges;
  serialize(vocab, merges);
  return detail::writeFiles(dir, {{"vocab.json", vocab}, {"merges.txt", merges}});
}

} // namespace loom::tok
