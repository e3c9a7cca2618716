//===- tokenizer.cpp - what BPE and WordPiece share -----------------------===//
#include "internal.h"

#include "loom/tokenizer/bpe.h"
#include "loom/tokenizer/wordpiece.h"

#include <algorithm>
#include <sys/stat.h>

namespace loom::tok {

int32_t Tokenizer::find(std::string_view token) const {
  auto it = index_.find(std::string(token));
  return it == index_.end() ? -1 : it->second;
}

void Tokenizer::setVocabulary(std::vector<std::string> tokens) {
  tokens_ = std::move(tokens);
  index_.clear();
  index_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i)
    index_.emplace(tokens_[i], static_cast<int32_t>(i));
  special_.assign(tokens_.size(), false);
  specials_.clear();
}

void Tokenizer::setSpecials(const std::vector<int32_t> &ids) {
  special_.assign(tokens_.size(), false);
  specials_.clear();
  std::fill(std::begin(specialFirstByte_), std::end(specialFirstByte_), false);
  for (int32_t id : ids) {
    if (special_[id])
      continue;
    special_[id] = true;
    specials_.push_back(id);
    specialFirstByte_[static_cast<uint8_t>(tokens_[id][0])] = true;
  }
  // Longest first, so that a special token that starts another loses.
  std::stable_sort(specials_.begin(), specials_.end(), [&](int32_t a, int32_t b) {
    return tokens_[a].size() > tokens_[b].size();
  });
}

size_t Tokenizer::matchSpecial(std::string_view text, size_t pos, int32_t &id) const {
  for (int32_t s : specials_) {
    const std::string &t = tokens_[s];
    if (text.compare(pos, t.size(), t) == 0) {
      id = s;
      return t.size();
    }
  }
  return 0;
}

Status Tokenizer::checkIds(const int32_t *ids, size_t count) const {
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= tokens_.size())
      return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                           "id " + std::to_string(ids[i]) + " (position " +
                               std::to_string(i) + ") is not in the vocabulary of " +
                               std::to_string(tokens_.size()) + " tokens");
  return Status::ok();
}

void Tokenizer::encodePair(std::string_view a, std::string_view b,
                           std::vector<int32_t> &ids, unsigned flags) const {
  encode(a, ids, flags);
  encode(b, ids, flags);
}

namespace {

bool isFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

Status openTokenizer(const std::string &dir, std::unique_ptr<Tokenizer> &out) {
  out.reset();
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::error(LOOM_ERR_IO, "'" + dir + "' is not a directory");
  std::string json = dir + "/vocab.json", merges = dir + "/merges.txt",
              txt = dir + "/vocab.txt", config = dir + "/tokenizer_config.json";
  if (isFile(json) || isFile(merges)) {
    if (!isFile(json) || !isFile(merges))
      return Status::error(LOOM_ERR_IO,
                           "'" + dir + "' has " +
                               (isFile(json) ? "vocab.json but no merges.txt"
                                             : "merges.txt but no vocab.json") +
                               " (byte-level BPE needs both)");
    std::unique_ptr<BpeTokenizer> bpe;
    LOOM_RT_TRY(BpeTokenizer::open(json, merges, BpeOptions(), bpe));
    out = std::move(bpe);
    return Status::ok();
  }
  if (isFile(txt)) {
    WordPieceOptions options;
    if (isFile(config))
      LOOM_RT_TRY(WordPieceTokenizer::readConfig(config, options));
    std::unique_ptr<WordPieceTokenizer> wp;
    LOOM_RT_TRY(WordPieceTokenizer::open(txt, options, wp));
    out = std::move(wp);
    return Status::ok();
  }
  return Status::error(LOOM_ERR_IO,
                       "'" + dir +
                           "' holds no tokenizer: neither vocab.json + merges.txt "
                           "(byte-level BPE) nor vocab.txt (WordPiece)");
}

Status encodeFile(const Tokenizer &tokenizer, const std::string &path,
                  std::vector<int32_t> &ids, unsigned flags) {
  std::string text;
  LOOM_RT_TRY(detail::readTextFile(path, text));
  tokenizer.encode(text, ids, flags);
  return Status::ok();
}

} // namespace loom::tok
