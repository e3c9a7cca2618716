//===- Synthetic.cpp - seeded image, caption and translation data ----------===//
//
// Built with -ffp-contract=off (runtime/data/CMakeLists.txt): pixels use
// only + - * on floats, so they are bit-identical on every IEEE machine.
//
//===----------------------------------------------------------------------===//
#include "DataInternal.h"

#include <algorithm>
#include <cstring>

namespace loom::data::detail {
namespace {

// Draws below this index are per-row decisions; pixel noise uses index
// kNoiseBase + the pixel's flat index within the row.
constexpr uint64_t kNoiseBase = 1024;

// ---- images ------------------------------------------------------------------

// Class c draws pattern c % 5 (the cases of the switch in batch()) at
// variant c / 5 (half period 4, warm; half period 2, cool): imageClassName.
const char *const kPatternNames[5] = {"horizontal stripes", "vertical stripes",
                                      "diagonal stripes", "anti-diagonal stripes",
                                      "checkerboard"};
const char *const kVariantNames[2] = {"period 8, warm", "period 4, cool"};

class ImageSource final : public DataSource {
public:
  ImageSource(const std::vector<TensorSpec> &inputs, uint64_t seed, int64_t classes,
              bool heldOut)
      : inputs_(inputs), seed_(seed), heldOut_(heldOut),
        key_(streamKey("images", seed, heldOut)), classes_(classes) {
    pixels_ = inputIndex(inputs_, "pixels");
    labels_ = inputIndex(inputs_, "labels");
    const std::vector<int64_t> &s = inputs_[pixels_].shape;
    B_ = s[0];
    C_ = s[1];
    H_ = s[2];
    W_ = s[3];
  }

  void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const override {
    prepareBatch(inputs_, out);
    float *px = out.tensors[pixels_].data<float>();
    int32_t *lab = out.tensors[labels_].data<int32_t>();
    static const float kColour[2][3] = {{1.0f, 0.6f, 0.2f}, {0.2f, 0.6f, 1.0f}};
    const int64_t plane = H_ * W_, image = C_ * plane;
    for (int64_t b = 0; b < B_; ++b) {
      RowStream rs(key_, step, firstRow + static_cast<uint64_t>(b));
      Draws d(rs);
      int64_t c = static_cast<int64_t>(d.below(static_cast<uint64_t>(classes_)));
      lab[b] = static_cast<int32_t>(c);
      int64_t pattern = c % 5, variant = c / 5;
      int64_t half = variant == 0 ? 4 : 2, period = 2 * half;
      int64_t phaseX = static_cast<int64_t>(d.below(static_cast<uint64_t>(period)));
      int64_t phaseY = static_cast<int64_t>(d.below(static_cast<uint64_t>(period)));
      float bright = 0.75f + 0.5f * (static_cast<float>(d.below(1024)) * (1.0f / 1024.0f));
      // A large multiple of the period keeps the anti-diagonal's index >= 0.
      int64_t bias = period * (H_ + W_ + 1);
      float *img = px + b * image;
      for (int64_t y = 0; y < H_; ++y)
        for (int64_t x = 0; x < W_; ++x) {
          int64_t u;
          switch (pattern) {
          case 0: u = (y + phaseY) / half; break;
          case 1: u = (x + phaseX) / half; break;
          case 2: u = (x + y + phaseX) / half; break;
          case 3: u = (x - y + phaseX + bias) / half; break;
          default: u = (x + phaseX) / half + (y + phaseY) / half; break;
          }
          float sign = (u & 1) ? 1.0f : -1.0f;
          for (int64_t ch = 0; ch < C_; ++ch) {
            int64_t i = ch * plane + y * W_ + x;
            float v = kColour[variant][ch % 3] * bright * sign;
            float e = 0.3f * noise(rs.draw(kNoiseBase + static_cast<uint64_t>(i)));
            img[i] = v + e;
          }
        }
    }
  }

  const char *unit() const override { return "samples"; }
  int64_t unitsPerBatch() const override { return B_; }
  const char *kind() const override { return "images"; }
  std::string describe() const override {
    return "synthetic images: " + std::to_string(B_) + " x " + std::to_string(C_) +
           "x" + std::to_string(H_) + "x" + std::to_string(W_) + " per batch, " +
           std::to_string(classes_) +
           " classes of stripes/checkerboards (orientation x period/colour)" +
           seedText(seed_, heldOut_);
  }

private:
  std::vector<TensorSpec> inputs_;
  uint64_t seed_;
  bool heldOut_;
  uint64_t key_;
  int64_t classes_;
  size_t pixels_, labels_;
  int64_t B_, C_, H_, W_;
};

// ---- captions ----------------------------------------------------------------

constexpr int kColours = 6, kShapes = 3, kPositions = 5;
constexpr int kCombos = kColours * kShapes * kPositions;
const char *const kColourNames[kColours] = {"red", "green", "blue", "yellow", "cyan", "white"};
const char *const kColourLetters[kColours] = {"r", "g", "b", "y", "c", "w"};
const float kColourRgb[kColours][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1},
                                        {1, 1, 0}, {0, 1, 1}, {1, 1, 1}};
const char *const kShapeNames[kShapes] = {"square", "circle", "cross"};
const char *const kShapeLetters[kShapes] = {"s", "o", "x"};
const char *const kPositionNames[kPositions] = {"top left", "top right", "bottom left",
                                                "bottom right", "center"};
const char *const kPositionShort[kPositions] = {"tl", "tr", "bl", "br", "c"};

std::string caption(int tmpl, int colour, int shape, int pos) {
  switch (tmpl) {
  case 0:
    return std::string("a ") + kColourNames[colour] + " " + kShapeNames[shape] +
           " at the " + kPositionNames[pos];
  case 1:
    return std::string(kColourNames[colour]) + " " + kShapeNames[shape] + " " +
           kPositionNames[pos];
  case 2:
    return std::string(kColourNames[colour]) + " " + kShapeNames[shape] + " " +
           kPositionShort[pos];
  default:
    return std::string(kColourLetters[colour]) + " " + kShapeLetters[shape] + " " +
           kPositionShort[pos];
  }
}

class CaptionSource final : public DataSource {
public:
  CaptionSource(const std::vector<TensorSpec> &inputs, uint64_t seed, bool heldOut)
      : inputs_(inputs), seed_(seed), heldOut_(heldOut),
        key_(streamKey("captions", seed, heldOut)) {
    pixels_ = inputIndex(inputs_, "pixels");
    tokens_ = inputIndex(inputs_, "tokens");
    eot_ = inputIndex(inputs_, "eot");
    const std::vector<int64_t> &s = inputs_[pixels_].shape;
    B_ = s[0];
    C_ = s[1];
    H_ = s[2];
    W_ = s[3];
    T_ = inputs_[tokens_].shape[1];
    // The longest template whose every caption fits T.
    template_ = 3;
    for (int t = 0; t < 3; ++t) {
      size_t longest = 0;
      for (int c = 0; c < kCombos; ++c)
        longest = std::max(longest, caption(t, c / 15, (c / 5) % 3, c % 5).size());
      if (longest <= static_cast<size_t>(T_)) {
        template_ = t;
        break;
      }
    }
  }

  void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const override {
    prepareBatch(inputs_, out);
    float *px = out.tensors[pixels_].data<float>();
    int32_t *tok = out.tensors[tokens_].data<int32_t>();
    float *eot = out.tensors[eot_].data<float>();
    const int64_t plane = H_ * W_, image = C_ * plane;
    int perm[kCombos];
    int64_t block = -1;
    for (int64_t b = 0; b < B_; ++b) {
      // Rows [90j, 90j + 90) of the step take a permutation of the combinations drawn
      // from the stream of row 2^64 - 1 - j.
      const int64_t g = static_cast<int64_t>(firstRow) + b; // the row in the step
      if (g / kCombos != block) {
        block = g / kCombos;
        RowStream ps(key_, step, ~uint64_t(0) - static_cast<uint64_t>(block));
        for (int i = 0; i < kCombos; ++i)
          perm[i] = i;
        for (int i = kCombos - 1, n = 0; i > 0; --i, ++n)
          std::swap(perm[i], perm[ps.below(static_cast<uint64_t>(n),
                                           static_cast<uint64_t>(i + 1))]);
      }
      int combo = perm[g % kCombos];
      int colour = combo / (kShapes * kPositions), shape = (combo / kPositions) % kShapes,
          pos = combo % kPositions;

      // Caption bytes, then 0; eot at the last byte.
      std::string text = caption(template_, colour, shape, pos);
      if (text.size() > static_cast<size_t>(T_))
        text.resize(static_cast<size_t>(T_));
      int32_t *tr = tok + b * T_;
      float *er = eot + b * T_;
      for (int64_t t = 0; t < T_; ++t) {
        tr[t] = t < static_cast<int64_t>(text.size())
                    ? static_cast<unsigned char>(text[static_cast<size_t>(t)])
                    : kPadId;
        er[t] = t == static_cast<int64_t>(text.size()) - 1 ? 1.0f : 0.0f;
      }

      // The picture: the shape's centre at its position, jittered by up to
      // W/16 (H/16) pixels; radius min(H, W)/8 plus 0 or 1.
      RowStream rs(key_, step, firstRow + static_cast<uint64_t>(b));
      Draws d(rs);
      int64_t jx = W_ / 16, jy = H_ / 16;
      int64_t cx = pos == 4 ? W_ / 2 : (pos % 2 == 0 ? W_ / 4 : (3 * W_) / 4);
      int64_t cy = pos == 4 ? H_ / 2 : (pos < 2 ? H_ / 4 : (3 * H_) / 4);
      cx += static_cast<int64_t>(d.below(static_cast<uint64_t>(2 * jx + 1))) - jx;
      cy += static_cast<int64_t>(d.below(static_cast<uint64_t>(2 * jy + 1))) - jy;
      int64_t r = std::max<int64_t>(1, std::min(H_, W_) / 8) +
                  static_cast<int64_t>(d.below(2));
      int64_t arm = std::max<int64_t>(0, r / 4);
      float bright = 0.8f + 0.2f * (static_cast<float>(d.below(1024)) * (1.0f / 1024.0f));
      float *img = px + b * image;
      for (int64_t y = 0; y < H_; ++y)
        for (int64_t x = 0; x < W_; ++x) {
          int64_t dx = x - cx, dy = y - cy;
          int64_t ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy;
          bool in;
          switch (shape) {
          case 0: in = ax <= r && ay <= r; break;
          case 1: in = dx * dx + dy * dy <= r * r + r; break;
          default: in = (ax <= arm && ay <= r) || (ay <= arm && ax <= r); break;
          }
          for (int64_t ch = 0; ch < C_; ++ch) {
            int64_t i = ch * plane + y * W_ + x;
            float v = in ? kColourRgb[colour][ch % 3] * bright : 0.0f;
            v = v + 0.05f * noise(rs.draw(kNoiseBase + static_cast<uint64_t>(i)));
            // About zero mean and unit variance over the data set: the
            // background is about -0.2, a full colour channel about 3.5.
            img[i] = (v - 0.05f) * 4.0f;
          }
        }
    }
  }

  const char *unit() const override { return "samples"; }
  int64_t unitsPerBatch() const override { return B_; }
  const char *kind() const override { return "captions"; }
  std::string describe() const override {
    return "synthetic image-caption pairs: " + std::to_string(B_) + " x " +
           std::to_string(C_) + "x" + std::to_string(H_) + "x" + std::to_string(W_) +
           " pictures of coloured shapes with " + std::to_string(T_) +
           "-byte captions like '" + caption(template_, 0, 0, 0) +
           "' per batch" + seedText(seed_, heldOut_);
  }

private:
  std::vector<TensorSpec> inputs_;
  uint64_t seed_;
  bool heldOut_;
  uint64_t key_;
  size_t pixels_, tokens_, eot_;
  int64_t B_, C_, H_, W_, T_;
  int template_;
};

// ---- translation -------------------------------------------------------------

constexpr int kWords = 20;
const char *const kEnglish[kWords] = {"cat",   "dog",  "red",   "blue",  "big",
                                      "small", "sun",  "moon",  "tree",  "house",
                                      "water", "fire", "bird",  "fish",  "day",
                                      "night", "green", "white", "black", "book"};
const char *const kFrench[kWords] = {"chat",  "chien", "rouge",  "bleu",    "grand",
                                     "petit", "soleil", "lune",  "arbre",   "maison",
                                     "eau",   "feu",   "oiseau", "poisson", "jour",
                                     "nuit",  "vert",  "blanc",  "noir",    "livre"};
constexpr int kMaxWords = 8;

size_t longest(const char *const *words) {
  size_t n = 0;
  for (int i = 0; i < kWords; ++i)
    n = std::max(n, std::strlen(words[i]));
  return n;
}

/// The sentence pair of one row stream for source length S and target length
/// T (see Data.h): words are drawn until the count or the first that would
/// not fit.
void drawPair(const RowStream &rs, int64_t S, int64_t T, std::string &source,
              std::string &target) {
  Draws d(rs);
  int chosen[kMaxWords];
  int want = 1 + static_cast<int>(d.below(kMaxWords));
  int n = 0;
  size_t srcLen = 0, tgtLen = 0;
  for (int i = 0; i < want; ++i) {
    int w = static_cast<int>(d.below(kWords));
    size_t sl = srcLen + (n ? 1 : 0) + std::strlen(kEnglish[w]);
    size_t tl = tgtLen + (n ? 1 : 0) + std::strlen(kFrench[w]);
    if (sl > static_cast<size_t>(S) || tl + 1 > static_cast<size_t>(T))
      break;
    chosen[n++] = w;
    srcLen = sl;
    tgtLen = tl;
  }
  source.clear();
  target.clear();
  for (int i = 0; i < n; ++i) {
    if (i)
      source += ' ';
    source += kEnglish[chosen[i]];
  }
  for (int i = n - 1; i >= 0; --i) {
    if (i != n - 1)
      target += ' ';
    target += kFrench[chosen[i]];
  }
}

/// The error of translation data for lengths S and T ("" when they fit).
std::string translationFitError(int64_t S, int64_t T) {
  size_t needS = longest(kEnglish), needT = longest(kFrench) + 1;
  if (S < static_cast<int64_t>(needS) || T < static_cast<int64_t>(needT))
    return "translation data needs S >= " + std::to_string(needS) + " and T >= " +
           std::to_string(needT) + " (the longest word, plus [BOS]/[EOS] in T)";
  return "";
}

class TranslationSource final : public DataSource {
public:
  TranslationSource(const std::vector<TensorSpec> &inputs, uint64_t seed, bool heldOut)
      : inputs_(inputs), seed_(seed), heldOut_(heldOut),
        key_(streamKey("translation", seed, heldOut)) {
    src_ = inputIndex(inputs_, "src_tokens");
    srcMask_ = inputIndex(inputs_, "src_mask");
    tgt_ = inputIndex(inputs_, "tgt_tokens");
    tgtTargets_ = inputIndex(inputs_, "tgt_targets");
    B_ = inputs_[src_].shape[0];
    S_ = inputs_[src_].shape[1];
    T_ = inputs_[tgt_].shape[1];
  }

  void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const override {
    prepareBatch(inputs_, out);
    int32_t *src = out.tensors[src_].data<int32_t>();
    uint8_t *smask = out.tensors[srcMask_].data<uint8_t>();
    int32_t *tgt = out.tensors[tgt_].data<int32_t>();
    int32_t *tt = out.tensors[tgtTargets_].data<int32_t>();
    std::string source, target;
    for (int64_t b = 0; b < B_; ++b) {
      drawPair(RowStream(key_, step, firstRow + static_cast<uint64_t>(b)), S_, T_, source, target);
      int32_t *sr = src + b * S_;
      uint8_t *mr = smask + b * S_;
      for (int64_t s = 0; s < S_; ++s) {
        bool real = s < static_cast<int64_t>(source.size());
        sr[s] = real ? static_cast<unsigned char>(source[static_cast<size_t>(s)]) : kPadId;
        mr[s] = real ? 1 : 0;
      }
      int32_t *gr = tgt + b * T_, *yr = tt + b * T_;
      int64_t m = static_cast<int64_t>(target.size());
      for (int64_t t = 0; t < T_; ++t) {
        gr[t] = t == 0 ? kBosId
                : t <= m ? static_cast<unsigned char>(target[static_cast<size_t>(t - 1)])
                         : kPadId;
        yr[t] = t < m ? static_cast<unsigned char>(target[static_cast<size_t>(t)])
                : t == m ? kEosId
                         : kIgnoreId;
      }
    }
  }

  const char *unit() const override { return "samples"; }
  int64_t unitsPerBatch() const override { return B_; }
  const char *kind() const override { return "translation"; }
  std::string describe() const override {
    return "synthetic translation: " + std::to_string(B_) + " pairs per batch of " +
           std::to_string(S_) + "-byte English word lists -> " + std::to_string(T_) +
           "-byte reversed French (20-word dictionary)" + seedText(seed_, heldOut_);
  }

private:
  std::vector<TensorSpec> inputs_;
  uint64_t seed_;
  bool heldOut_;
  uint64_t key_;
  size_t src_, srcMask_, tgt_, tgtTargets_;
  int64_t B_, S_, T_;
};

} // namespace

std::unique_ptr<DataSource> makeImageSource(const std::vector<TensorSpec> &inputs,
                                            uint64_t seed, int64_t numClasses,
                                            bool heldOut) {
  return std::make_unique<ImageSource>(inputs, seed, numClasses, heldOut);
}

std::unique_ptr<DataSource> makeCaptionSource(const std::vector<TensorSpec> &inputs,
                                              uint64_t seed, bool heldOut,
                                              std::string &err) {
  return std::make_unique<CaptionSource>(inputs, seed, heldOut);
}

std::unique_ptr<DataSource> makeTranslationSource(const std::vector<TensorSpec> &inputs,
                                                  uint64_t seed, bool heldOut,
                                                  std::string &err) {
  int64_t S = inputs[inputIndex(inputs, "src_tokens")].shape[1];
  int64_t T = inputs[inputIndex(inputs, "tgt_tokens")].shape[1];
  err = translationFitError(S, T);
  if (!err.empty()) {
    err += "; the model's inputs are " + formatInputs(inputs);
    return nullptr;
  }
  return std::make_unique<TranslationSource>(inputs, seed, heldOut);
}

} // namespace loom::data::detail

namespace loom::data {

using namespace detail;

// ---- what the generators draw, for evaluation and sample files ----------------

std::string imageClassName(int64_t c) {
  if (c < 0 || c >= 10)
    return "class " + std::to_string(c);
  return std::string(kPatternNames[c % 5]) + ", " + kVariantNames[c / 5];
}

PixelScale pixelScale(const std::string &kind) {
  // images: |pixel| <= 1.25 * 1 + 0.3 * 3.4642 = 2.29 < 2.5 = (1 - 0.5) / 0.2.
  // captions: (v - 0.05) * 4 for v in [-0.05 * 3.4642, 1 + 0.05 * 3.4642]
  // lies in [-0.893, 4.493], inside [(0 - 0.17) / 0.18, (1 - 0.17) / 0.18] =
  // [-0.944, 4.611]. (3.4642 = 2 * 65535 / 37837 bounds noise().)
  if (kind == "captions")
    return {0.17f, 0.18f};
  return {0.5f, 0.2f};
}

std::vector<TranslationPair> translationPairs(uint64_t seed, int64_t count, int64_t S,
                                              int64_t T, bool heldOut, std::string &err) {
  err = translationFitError(S, T);
  if (!err.empty())
    return {};
  uint64_t key = streamKey("translation", seed, heldOut);
  std::vector<TranslationPair> pairs(static_cast<size_t>(std::max<int64_t>(0, count)));
  for (size_t i = 0; i < pairs.size(); ++i)
    drawPair(RowStream(key, 0, i), S, T, pairs[i].source, pairs[i].target);
  return pairs;
}

} // namespace loom::data
