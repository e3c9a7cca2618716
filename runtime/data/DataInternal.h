//===- DataInternal.h - shared pieces of the data sources ------------------===//
#ifndef LOOM_DATA_DATAINTERNAL_H
#define LOOM_DATA_DATAINTERNAL_H

#include "Data.h"

#include "loom/formats/rng.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom::data::detail {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

/// The counter-based stream of one row of one step (see Data.h).
class RowStream {
public:
  RowStream(uint64_t kindKey, uint64_t step, uint64_t row)
      : base_(rt::mix64(rt::mix64(kindKey + (step + 1) * kGolden) +
                        (row + 1) * kGolden)) {}
  uint64_t draw(uint64_t n) const { return rt::mix64(base_ + (n + 1) * kGolden); }
  /// An integer in [0, m) (m > 0): floor(draw * m / 2^64).
  uint64_t below(uint64_t n, uint64_t m) const {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(draw(n)) * m) >> 64);
  }

private:
  uint64_t base_;
};

/// A consecutive reader of one RowStream: each call takes the next draw.
class Draws {
public:
  explicit Draws(const RowStream &s) : s_(s) {}
  uint64_t next() { return s_.draw(n_++); }
  uint64_t below(uint64_t m) { return s_.below(n_++, m); }

private:
  const RowStream &s_;
  uint64_t n_ = 0;
};

/// mix64(fnv1a64(KIND) ^ mix64(seed)).
inline uint64_t kindKey(const char *kind, uint64_t seed) {
  return rt::mix64(rt::fnv1a64(kind) ^ rt::mix64(seed));
}

/// The key of KIND's training stream, or of its held-out stream
/// ("KIND/heldout", DataOptions::heldOut).
inline uint64_t streamKey(const char *kind, uint64_t seed, bool heldOut) {
  return heldOut ? kindKey((std::string(kind) + "/heldout").c_str(), seed)
                 : kindKey(kind, seed);
}

/// ", seed S" or ", seed S (held-out stream)", for describe().
inline std::string seedText(uint64_t seed, bool heldOut) {
  return ", seed " + std::to_string(seed) + (heldOut ? " (held-out stream)" : "");
}

/// Token ids of a text or .npy file.
class Corpus {
public:
  /// Text: the bytes of the file (BYTE_MAP applied when non-null).
  /// Tokens: a 1-D i32/i64 .npy whose ids lie in [minId, vocab).
  bool loadText(const std::string &path, const int32_t *byteMap, std::string &err);
  bool loadTokens(const std::string &path, int64_t minId, int64_t vocab,
                  std::string &err);

  size_t size() const { return isText_ ? text_.size() : ids_.size(); }
  int32_t at(size_t i) const {
    return isText_ ? byteMap_[static_cast<unsigned char>(text_[i])] : ids_[i];
  }
  /// "text 'PATH' (N bytes)" or "tokens 'PATH' (N ids)".
  std::string describe() const;
  bool isText() const { return isText_; }

private:
  bool isText_ = true;
  std::string path_;
  std::string text_;
  int32_t byteMap_[256];
  std::vector<int32_t> ids_;
};

/// Sets OUT's tensors to INPUTS' names, dtypes and shapes, reusing buffers.
void prepareBatch(const std::vector<TensorSpec> &inputs, Batch &out);

/// Index of input NAME in INPUTS (it exists: checked when matching).
size_t inputIndex(const std::vector<TensorSpec> &inputs, const std::string &name);

/// Sum of 4 uniform 16-bit draws, centred and scaled to about unit variance:
/// an integer-exact, bell-shaped noise value.
inline float noise(uint64_t d) {
  int64_t s = static_cast<int64_t>(d & 0xffff) + static_cast<int64_t>((d >> 16) & 0xffff) +
              static_cast<int64_t>((d >> 32) & 0xffff) + static_cast<int64_t>(d >> 48) -
              2 * 65535;
  // sd of one uniform 16-bit value: 65536 / sqrt(12) = 18918.6; of four: 37837.
  return static_cast<float>(s) * (1.0f / 37837.0f);
}

// HELD_OUT: draw from the kind's held-out stream (streamKey).
std::unique_ptr<DataSource> makeLmSource(std::shared_ptr<const Corpus> corpus,
                                         const std::vector<TensorSpec> &inputs,
                                         uint64_t seed, bool heldOut);
std::unique_ptr<DataSource> makeMlmSource(std::shared_ptr<const Corpus> corpus,
                                          const std::vector<TensorSpec> &inputs,
                                          uint64_t seed, int64_t vocab, bool heldOut);
std::unique_ptr<DataSource> makeImageSource(const std::vector<TensorSpec> &inputs,
                                            uint64_t seed, int64_t numClasses,
                                            bool heldOut);
std::unique_ptr<DataSource> makeCaptionSource(const std::vector<TensorSpec> &inputs,
                                              uint64_t seed, bool heldOut,
                                              std::string &err);
std::unique_ptr<DataSource> makeTranslationSource(const std::vector<TensorSpec> &inputs,
                                                  uint64_t seed, bool heldOut,
                                                  std::string &err);

} // namespace loom::data::detail

#endif // LOOM_DATA_DATAINTERNAL_H
