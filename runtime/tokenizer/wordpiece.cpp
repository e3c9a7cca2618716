//===- wordpiece.cpp - BERT's BasicTokenizer and WordpieceTokenizer -------===//
#include "loom/tokenizer/wordpiece.h"

#include "internal.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace loom::tok {

using detail::fileError;
using detail::quote;

// ---- BasicTokenizer ------------------------------------------------------------------

namespace {

/// tokenization.py's _is_chinese_char: the CJK Unified Ideographs blocks
/// (not Hangul, kana or CJK punctuation).
bool isChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/// _is_whitespace: space, tab, newline, CR, or category Zs.
bool isBertWhitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         (c >= 0x80 && uni::isSpaceSeparator(c));
}

/// _is_control: Cc or Cf, except tab, newline and CR.
bool isBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r')
    return false;
  if (c < 0x80)
    return c < 0x20 || c == 0x7F;
  return uni::isControlOrFormat(c);
}

/// _is_punctuation: the ASCII non-alphanumerics, or category P*.
bool isBertPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    return true;
  return c >= 0x80 && uni::isPunctuation(c);
}

void appendWord(std::vector<std::string> &out, const std::u32string &w) {
  std::string s;
  for (char32_t c : w)
    uni::appendUtf8(s, c);
  out.push_back(std::move(s));
}

} // namespace

std::vector<std::string> basicTokenize(std::string_view text,
                                       const WordPieceOptions &options) {
  // _clean_text and _tokenize_chinese_chars.
  std::u32string clean;
  clean.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    bool valid;
    char32_t c = uni::next(text, pos, valid);
    if (!valid || c == 0 || c == 0xFFFD || isBertControl(c))
      continue;
    if (isBertWhitespace(c)) {
      clean += U' ';
    } else if (options.tokenizeChineseChars && isChineseChar(c)) {
      clean += U' ';
      clean += c;
      clean += U' ';
    } else {
      clean += c;
    }
  }
  // whitespace_tokenize (str.split()), then per word: lower-case, strip
  // accents, split around punctuation.
  std::vector<std::string> out;
  const bool strip = options.stripsAccents();
  size_t i = 0;
  while (i < clean.size()) {
    if (uni::isPythonSpace(clean[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < clean.size() && !uni::isPythonSpace(clean[j]))
      ++j;
    std::u32string word = clean.substr(i, j - i);
    i = j;
    if (options.lowerCase)
      word = uni::lower(word);
    if (strip) {
      std::u32string kept;
      for (char32_t c : uni::nfd(word))
        if (!uni::isNonSpacingMark(c))
          kept += c;
      word.swap(kept);
    }
    std::u32string piece;
    for (char32_t c : word) {
      if (isBertPunctuation(c)) {
        if (!piece.empty())
          appendWord(out, piece);
        piece.clear();
        appendWord(out, std::u32string(1, c));
      } else {
        piece += c;
      }
    }
    if (!piece.empty())
      appendWord(out, piece);
  }
  return out;
}

// ---- the vocabulary ------------------------------------------------------------------

Status WordPieceTokenizer::open(const std::string &vocabPath,
                                const WordPieceOptions &options,
                                std::unique_ptr<WordPieceTokenizer> &out) {
  out.reset();
  std::string text;
  LOOM_RT_TRY(detail::readTextFile(vocabPath, text));
  return parse(text, vocabPath, options, out);
}

Status WordPieceTokenizer::parse(std::string_view vocabTxt, const std::string &vocabName,
                                 const WordPieceOptions &options,
                                 std::unique_ptr<WordPieceTokenizer> &out) {
  out.reset();
  std::vector<std::string> tokens;
  LOOM_RT_TRY(detail::parseVocabTxt(vocabTxt, vocabName, tokens));
  std::unique_ptr<WordPieceTokenizer> t(new WordPieceTokenizer());
  LOOM_RT_TRY(t->build(std::move(tokens), options, vocabName));
  out = std::move(t);
  return Status::ok();
}

Status WordPieceTokenizer::build(std::vector<std::string> tokens,
                                 const WordPieceOptions &options,
                                 const std::string &where) {
  setVocabulary(std::move(tokens));
  options_ = options;
  unk_ = find("[UNK]");
  cls_ = find("[CLS]");
  sep_ = find("[SEP]");
  pad_ = find("[PAD]");
  mask_ = find("[MASK]");
  std::string missing;
  for (auto [id, name] : {std::pair{unk_, "[UNK]"}, {cls_, "[CLS]"}, {sep_, "[SEP]"}})
    if (id < 0)
      missing += std::string(missing.empty() ? "" : ", ") + name;
  if (!missing.empty())
    return fileError(where, "the vocabulary lacks " + missing +
                                " (WordPiece needs [UNK], [CLS] and [SEP])");
  std::vector<int32_t> specials;
  for (int32_t id : {pad_, unk_, cls_, sep_, mask_})
    if (id >= 0)
      specials.push_back(id);
  setSpecials(specials);
  maxTokenBytes_ = 0;
  for (const std::string &t : tokens_)
    maxTokenBytes_ = std::max(maxTokenBytes_, t.size());
  return Status::ok();
}

Status WordPieceTokenizer::readConfig(const std::string &path,
                                      WordPieceOptions &options) {
  using json = nlohmann::json;
  std::string text;
  LOOM_RT_TRY(detail::readTextFile(path, text));
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Parse again for nlohmann's message, which has the line and column.
    struct Reporter {
      std::string message;
      bool null() { return true; }
      bool boolean(bool) { return true; }
      bool number_integer(json::number_integer_t) { return true; }
      bool number_unsigned(json::number_unsigned_t) { return true; }
      bool number_float(json::number_float_t, const std::string &) { return true; }
      bool string(std::string &) { return true; }
      bool binary(json::binary_t &) { return true; }
      bool start_object(size_t) { return true; }
      bool key(std::string &) { return true; }
      bool end_object() { return true; }
      bool start_array(size_t) { return true; }
      bool end_array() { return true; }
      bool parse_error(size_t, const std::string &,
                       const nlohmann::detail::exception &e) {
        message = e.what();
        if (size_t close = message.find("] "); close != std::string::npos)
          message.erase(0, close + 2);
        return false;
      }
    } reporter;
    json::sax_parse(text, &reporter);
    return fileError(path, "not valid JSON: " + reporter.message);
  }
  if (!root.is_object())
    return fileError(path, "not a JSON object");
  auto flag = [&](const char *key, bool &value) -> Status {
    auto it = root.find(key);
    if (it == root.end())
      return Status::ok();
    if (!it->is_boolean())
      return fileError(path, std::string("'") + key + "' must be true or false");
    value = it->get<bool>();
    return Status::ok();
  };
  LOOM_RT_TRY(flag("do_lower_case", options.lowerCase));
  LOOM_RT_TRY(flag("tokenize_chinese_chars", options.tokenizeChineseChars));
  if (auto it = root.find("strip_accents"); it != root.end()) {
    if (it->is_null())
      options.stripAccents = -1;
    else if (it->is_boolean())
      options.stripAccents = it->get<bool>() ? 1 : 0;
    else
      return fileError(path, "'strip_accents' must be true, false or null");
  }
  return Status::ok();
}

// ---- encoding ---------------------------------------------------------------------------

void WordPieceTokenizer::encodeWord(const std::string &word,
                                    std::vector<int32_t> &ids) const {
  std::vector<size_t> bounds; // the offsets of the word's characters, and its end
  for (size_t pos = 0; pos < word.size(); uni::next(word, pos))
    bounds.push_back(pos);
  const size_t chars = bounds.size();
  bounds.push_back(word.size());
  if (chars > options_.maxCharsPerWord) {
    ids.push_back(unk_);
    return;
  }
  const size_t before = ids.size();
  std::string candidate;
  for (size_t start = 0; start < chars;) {
    int32_t found = -1;
    size_t end = chars;
    for (; end > start; --end) {
      size_t bytes = bounds[end] - bounds[start];
      if (bytes + (start ? 2 : 0) > maxTokenBytes_)
        continue;
      candidate.assign(start ? "##" : "");
      candidate.append(word, bounds[start], bytes);
      if (auto it = index_.find(candidate); it != index_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      ids.resize(before);
      ids.push_back(unk_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::encodeText(std::string_view text, std::vector<int32_t> &ids,
                                    unsigned flags) const {
  splitSpecials(text, flags, [&](std::string_view piece, int32_t special) {
    if (special >= 0) {
      ids.push_back(special);
      return;
    }
    for (const std::string &word : basicTokenize(piece, options_))
      encodeWord(word, ids);
  });
}

void WordPieceTokenizer::encode(std::string_view text, std::vector<int32_t> &ids,
                                unsigned flags) const {
  if (flags & kAddSpecial)
    ids.push_back(cls_);
  encodeText(text, ids, flags);
  if (flags & kAddSpecial)
    ids.push_back(sep_);
}

void WordPieceTokenizer::encodePair(std::string_view a, std::string_view b,
                                    std::vector<int32_t> &ids, unsigned flags) const {
  if (flags & kAddSpecial)
    ids.push_back(cls_);
  encodeText(a, ids, flags);
  if (flags & kAddSpecial)
    ids.push_back(sep_);
  encodeText(b, ids, flags);
  if (flags & kAddSpecial)
    ids.push_back(sep_);
}

// ---- decoding ---------------------------------------------------------------------------

namespace {

/// Python's str.replace(from, to): left to right, non-overlapping.
std::string replaceAll(const std::string &s, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (size_t hit; (hit = s.find(from, start)) != std::string::npos;
       start = hit + from.size()) {
    out.append(s, start, hit - start);
    out.append(to);
  }
  out.append(s, start);
  return out;
}

/// Python's str.strip().
std::string pythonStrip(const std::string &s) {
  size_t begin = s.size(), end = 0;
  for (size_t pos = 0; pos < s.size();) {
    size_t at = pos;
    if (!uni::isPythonSpace(uni::next(s, pos))) {
      begin = std::min(begin, at);
      end = pos;
    }
  }
  return begin < end ? s.substr(begin, end - begin) : std::string();
}

} // namespace

Status WordPieceTokenizer::decode(const int32_t *ids, size_t count, std::string &out,
                                  unsigned flags) const {
  out.clear();
  LOOM_RT_TRY(checkIds(ids, count));
  std::string joined;
  bool first = true;
  for (size_t i = 0; i < count; ++i) {
    if ((flags & kSkipSpecial) && special_[ids[i]])
      continue;
    if (!first)
      joined += ' ';
    joined += tokens_[ids[i]];
    first = false;
  }
  out = pythonStrip(replaceAll(joined, " ##", ""));
  if (flags & kCleanUpSpaces) {
    // transformers' clean_up_tokenization, in its order.
    static const std::pair<const char *, const char *> kRules[] = {
        {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto &[from, to] : kRules)
      out = replaceAll(out, from, to);
  }
  return Status::ok();
}

// ---- writing ----------------------------------------------------------------------------

void WordPieceTokenizer::serialize(std::string &vocabTxt, std::string &configJson) const {
  vocabTxt.clear();
  for (const std::string &t : tokens_)
    vocabTxt += t + "\n";
  nlohmann::ordered_json config;
  config["tokenizer_class"] = "BertTokenizer";
  config["do_lower_case"] = options_.lowerCase;
  if (options_.stripAccents < 0)
    config["strip_accents"] = nullptr;
  else
    config["strip_accents"] = options_.stripAccents != 0;
  config["tokenize_chinese_chars"] = options_.tokenizeChineseChars;
  configJson = config.dump(2) + "\n";
}

Status WordPieceTokenizer::save(const std::string &dir) const {
  std::string vocab, config;
  serialize(vocab, config);
  return detail::writeFiles(dir,
                            {{"vocab.txt", vocab}, {"tokenizer_config.json", config}});
}

} // namespace loom::tok
