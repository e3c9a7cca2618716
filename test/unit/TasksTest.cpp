//===- TasksTest.cpp - the task commands' pure parts and their CLI ---------===//
//
// runtime/tools/tasks_image.* (PNG and PNM in, PNG out, pixels at
// runtime/data's scales), tasks_decoding.* (softmax, top-k, the GNMT length
// penalty, beam search on hand-made scorers with known answers, the byte
// masked-LM codec), the held-out data of runtime/data, and `loom classify |
// fill-mask | clip-rank | translate | sample` run as a program: their
// errors, and classify end to end on the fixture library (y = a * x + b)
// under a manifest that calls it an image classifier.
//
//===----------------------------------------------------------------------===//
#include "Data.h"
#include "RuntimeTestUtil.h"
#include "tasks_decoding.h"
#include "tasks_image.h"

#include "loom/formats/safetensors.h"

#include <png.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

using namespace loom::cli::tasks;
using loom::rt::test::readFileOrEmpty;
using loom::rt::test::TempDir;
using loom::rt::test::writeFile;
namespace data = loom::data;

namespace {

Image makeImage(int64_t w, int64_t h, int64_t c) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.samples.resize(static_cast<size_t>(w * h * c));
  for (size_t i = 0; i < img.samples.size(); ++i)
    img.samples[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  return img;
}

std::string pngOf(const Image &img) {
  std::string bytes, err;
  EXPECT_TRUE(encodePng(img, bytes, err)) << err;
  return bytes;
}

bool decodes(const std::string &bytes, Image &out, std::string &err) {
  return decodeImage(bytes, "test.img", out, err);
}

// ---- PNG ------------------------------------------------------------------------

TEST(TasksImage, PngRoundTripsEveryChannelCount) {
  for (int64_t c = 1; c <= 4; ++c) {
    Image img = makeImage(7, 5, c), back;
    std::string err;
    ASSERT_TRUE(decodes(pngOf(img), back, err)) << err;
    EXPECT_EQ(back.width, 7);
    EXPECT_EQ(back.height, 5);
    EXPECT_EQ(back.channels, c);
    EXPECT_EQ(back.samples, img.samples);
  }
}

/// A PNG written by libpng's simplified API with FORMAT (8- or 16-bit
/// samples, or a colour map).
std::string simplePng(png_uint_32 format, int w, int h, const void *pixels,
                      const void *colormap = nullptr, int colors = 0) {
  png_image im;
  std::memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = static_cast<png_uint_32>(w);
  im.height = static_cast<png_uint_32>(h);
  im.format = format;
  im.colormap_entries = static_cast<png_uint_32>(colors);
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&im, nullptr, &size, 0, pixels, 0, colormap));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&im, &out[0], &size, 0, pixels, 0, colormap));
  out.resize(size);
  png_image_free(&im);
  return out;
}

TEST(TasksImage, Png16BitIsRoundedTo8Bits) {
  const uint16_t px[4] = {0, 65535, 32896, 257 * 7};
  Image img;
  std::string err;
  ASSERT_TRUE(decodes(simplePng(PNG_FORMAT_LINEAR_Y, 2, 2, px), img, err)) << err;
  ASSERT_EQ(img.channels, 1);
  EXPECT_EQ(img.samples, (std::vector<uint8_t>{0, 255, 128, 7}));
}

TEST(TasksImage, PngPaletteIsExpanded) {
  const uint8_t colormap[2 * 3] = {10, 20, 30, 200, 150, 100};
  const uint8_t idx[4] = {0, 1, 1, 0};
  Image img;
  std::string err;
  ASSERT_TRUE(
      decodes(simplePng(PNG_FORMAT_RGB_COLORMAP, 2, 2, idx, colormap, 2), img, err))
      << err;
  ASSERT_EQ(img.channels, 3);
  EXPECT_EQ(img.samples,
            (std::vector<uint8_t>{10, 20, 30, 200, 150, 100, 200, 150, 100, 10, 20, 30}));
}

TEST(TasksImage, TruncatedPngFailsAtEveryLength) {
  std::string png = pngOf(makeImage(16, 16, 3));
  for (size_t n = 0; n < png.size(); ++n) {
    Image img;
    std::string err;
    EXPECT_FALSE(decodes(png.substr(0, n), img, err)) << "prefix of " << n << " bytes";
    EXPECT_NE(err.find("'test.img'"), std::string::npos) << err;
  }
}

TEST(TasksImage, CorruptPngFails) {
  std::string png = pngOf(makeImage(16, 16, 3));
  // A flipped byte in the image data breaks IDAT's CRC.
  size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  std::string bad = png;
  bad[idat + 8] = static_cast<char>(bad[idat + 8] ^ 0x55);
  Image img;
  std::string err;
  EXPECT_FALSE(decodes(bad, img, err));
  EXPECT_NE(err.find("invalid PNG"), std::string::npos) << err;
  // A header that claims a huge image is refused before any allocation.
  bad = png;
  size_t ihdr = png.find("IHDR");
  ASSERT_NE(ihdr, std::string::npos);
  bad[ihdr + 4] = 0x00;
  bad[ihdr + 5] = 0x0f; // width 0x000f0010
  EXPECT_FALSE(decodes(bad, img, err));
  // Not an image at all.
  EXPECT_FALSE(decodes("GIF89a...", img, err));
  EXPECT_NE(err.find("is not a PNG or binary PPM/PGM file"), std::string::npos) << err;
  EXPECT_FALSE(decodes("", img, err));
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
}

TEST(TasksImage, ReadImageNamesAMissingFile) {
  Image img;
  std::string err;
  EXPECT_FALSE(readImage("/nonexistent/x.png", img, err));
  EXPECT_NE(err.find("/nonexistent/x.png"), std::string::npos) << err;
}

// ---- PNM ------------------------------------------------------------------------

TEST(TasksImage, PpmAndPgm) {
  Image img;
  std::string err;
  std::string ppm =
      std::string("P6\n# a comment\n2 1 # another\n255\n") + "\x01\x02\x03\xfd\xfe\xff";
  ASSERT_TRUE(decodes(ppm, img, err)) << err;
  EXPECT_EQ(img.width, 2);
  EXPECT_EQ(img.height, 1);
  EXPECT_EQ(img.channels, 3);
  EXPECT_EQ(img.samples, (std::vector<uint8_t>{1, 2, 3, 253, 254, 255}));
  ASSERT_TRUE(
      decodes(std::string("P5 2 2 255 ") + std::string("\x00\x10\x20\x30", 4), img, err))
      << err;
  EXPECT_EQ(img.channels, 1);
  EXPECT_EQ(img.samples, (std::vector<uint8_t>{0, 16, 32, 48}));
  // maxval 65535: two big-endian bytes a sample; maxval 15: scaled to 255.
  ASSERT_TRUE(decodes(std::string("P5 2 1 65535\n") + std::string("\xff\xff\x80\x80", 4),
                      img, err))
      << err;
  EXPECT_EQ(img.samples, (std::vector<uint8_t>{255, 128}));
  ASSERT_TRUE(decodes(std::string("P5 2 1 15\n") + "\x0f\x07", img, err)) << err;
  EXPECT_EQ(img.samples, (std::vector<uint8_t>{255, 119}));
}

TEST(TasksImage, BadPnmFails) {
  struct Case {
    std::string bytes, message;
  } cases[] = {
      {std::string("P6\n2 2\n255\n") + "\x01\x02\x03",
       "truncated: 12 bytes expected, 3 present"},
      {"P6\n2", "header (width, height, maxval) is malformed or truncated"},
      {"P6\n2 x 255\n", "malformed"},
      {"P6\n0 2 255\n", "the size is 0x2"},
      {"P6\n1 1 70000\n", "maxval 70000 is outside 1..65535"},
      {"P6\n1 1 255", "no whitespace after maxval"},
      {"P6\n99999 99999 255\n", "too large"},
      {std::string("P5 2 1 100\n") + "\x05\xff", "sample 1 is 255, above maxval 100"},
      {"P3\n1 1 255\n1 2 3\n", "ASCII or 1-bit PNM (P3) is not supported"},
  };
  for (const Case &c : cases) {
    Image img;
    std::string err;
    EXPECT_FALSE(decodes(c.bytes, img, err)) << c.message;
    EXPECT_NE(err.find(c.message), std::string::npos)
        << "want '" << c.message << "' in '" << err << "'";
    EXPECT_EQ(err.rfind("'test.img'", 0), 0u) << err;
  }
}

// ---- pixels ---------------------------------------------------------------------

TEST(TasksImage, ImageToPixelsChecksSizeAndChannels) {
  std::vector<float> px(3 * 4 * 4);
  std::string err;
  EXPECT_FALSE(
      imageToPixels(makeImage(5, 4, 3), "a.png", 3, 4, 4, 0.5f, 0.2f, px.data(), err));
  EXPECT_EQ(err,
            "'a.png' is 5x4 RGB; the model takes 4x4 RGB images (pixels [B, C, H, W] = "
            "[B, 3, 4, 4]); loom does not resize or convert images");
  EXPECT_FALSE(
      imageToPixels(makeImage(4, 4, 1), "g.png", 3, 4, 4, 0.5f, 0.2f, px.data(), err));
  EXPECT_NE(err.find("'g.png' is 4x4 gray; the model takes 4x4 RGB"), std::string::npos)
      << err;
  // Opaque alpha is dropped; transparent pixels are refused.
  Image rgba = makeImage(4, 4, 4);
  for (size_t i = 3; i < rgba.samples.size(); i += 4)
    rgba.samples[i] = 255;
  EXPECT_TRUE(imageToPixels(rgba, "o.png", 3, 4, 4, 0.5f, 0.2f, px.data(), err)) << err;
  EXPECT_FLOAT_EQ(px[0], (rgba.samples[0] / 255.0f - 0.5f) / 0.2f);
  EXPECT_FLOAT_EQ(px[16],
                  (rgba.samples[1] / 255.0f - 0.5f) / 0.2f); // channel 1 of (0, 0)
  rgba.samples[4 * 6 + 3] = 254;
  EXPECT_FALSE(imageToPixels(rgba, "t.png", 3, 4, 4, 0.5f, 0.2f, px.data(), err));
  EXPECT_NE(err.find("transparent pixels (the first at x=2, y=1)"), std::string::npos)
      << err;
}

/// A batch of the synthetic KIND written as PNGs and read back is the
/// generator's tensor up to 8-bit rounding (the scale clips nothing).
void expectRoundTrip(const std::string &kind) {
  const int64_t B = 16, C = 3, H = 32, W = 32, T = 16;
  std::vector<data::TensorSpec> specs = {{"pixels", LOOM_DTYPE_F32, {B, C, H, W}}};
  if (kind == "images")
    specs.push_back({"labels", LOOM_DTYPE_I32, {B}});
  else {
    specs.push_back({"tokens", LOOM_DTYPE_I32, {B, T}});
    specs.push_back({"eot", LOOM_DTYPE_F32, {B, T}});
  }
  std::string err;
  auto source = data::makeDataSource(kind, specs, 3, err);
  ASSERT_TRUE(source) << err;
  data::PixelScale scale = data::pixelScale(kind);
  const float lo = (0 - scale.mean) / scale.std, hi = (1 - scale.mean) / scale.std;
  const float tolerance = 0.5f / 255.0f / scale.std + 1e-5f;
  data::Batch batch;
  std::vector<float> back(static_cast<size_t>(C * H * W));
  for (uint64_t step = 0; step < 4; ++step) {
    source->batch(step, batch);
    const float *px = batch.find("pixels")->data<float>();
    for (int64_t b = 0; b < B; ++b) {
      const float *row = px + b * C * H * W;
      for (int64_t i = 0; i < C * H * W; ++i) {
        ASSERT_GE(row[i], lo) << kind;
        ASSERT_LE(row[i], hi) << kind;
      }
      Image img = pixelsToImage(row, C, H, W, scale.mean, scale.std), decoded;
      ASSERT_TRUE(decodes(pngOf(img), decoded, err)) << err;
      ASSERT_TRUE(imageToPixels(decoded, "x.png", C, H, W, scale.mean, scale.std,
                                back.data(), err))
          << err;
      float worst = 0;
      for (int64_t i = 0; i < C * H * W; ++i)
        worst = std::max(worst, std::fabs(back[static_cast<size_t>(i)] - row[i]));
      EXPECT_LE(worst, tolerance) << kind << " step " << step << " row " << b;
    }
  }
}

TEST(TasksImage, GeneratorImagesRoundTripThroughPng) { expectRoundTrip("images"); }
TEST(TasksImage, GeneratorCaptionPicturesRoundTripThroughPng) {
  expectRoundTrip("captions");
}

// ---- rankings -------------------------------------------------------------------

TEST(TasksDecoding, SoftmaxAndTopK) {
  const float x[4] = {1, 3, 2, 3};
  std::vector<double> p = softmax(x, 4);
  double z = std::exp(1) + 2 * std::exp(3) + std::exp(2);
  EXPECT_NEAR(p[0], std::exp(1) / z, 1e-12);
  EXPECT_NEAR(p[1], std::exp(3) / z, 1e-12);
  EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0, 1e-12);
  // A scale sharpens (CLIP's exp(logit_scale)); huge logits stay finite.
  std::vector<double> sharp = softmax(x, 4, 10.0);
  EXPECT_NEAR(sharp[1], 0.5, 1e-4);
  const float big[2] = {1e30f, -1e30f};
  EXPECT_EQ(softmax(big, 2), (std::vector<double>{1.0, 0.0}));
  // Largest first; equal values keep index order; k is capped.
  EXPECT_EQ(topK(p, 3), (std::vector<size_t>{1, 3, 2}));
  EXPECT_EQ(topK(p, 10), (std::vector<size_t>{1, 3, 2, 0}));
  EXPECT_TRUE(topK({}, 3).empty());
}

TEST(TasksDecoding, LogSoftmaxMasksIds) {
  const float x[3] = {0, 1, 2};
  std::vector<float> all = logSoftmax(x, 3);
  EXPECT_NEAR(std::exp(all[0]) + std::exp(all[1]) + std::exp(all[2]), 1.0, 1e-6);
  std::vector<float> some = logSoftmax(x, 3, {true, false, true});
  EXPECT_EQ(some[1], -std::numeric_limits<float>::infinity());
  EXPECT_NEAR(some[2], -std::log1p(std::exp(-2.0)), 1e-6);
  std::vector<float> none = logSoftmax(x, 3, {false, false, false});
  EXPECT_EQ(none[0], -std::numeric_limits<float>::infinity());
}

TEST(TasksDecoding, Cosine) {
  const float a[2] = {3, 4}, b[2] = {6, 8}, c[2] = {-4, 3}, zero[2] = {0, 0};
  EXPECT_NEAR(cosine(a, b, 2), 1.0, 1e-12);
  EXPECT_NEAR(cosine(a, c, 2), 0.0, 1e-12);
  EXPECT_EQ(cosine(a, zero, 2), 0.0);
}

TEST(TasksDecoding, LengthPenalty) {
  EXPECT_DOUBLE_EQ(lengthPenalty(1, 0.6), 1.0);  // (5 + 1) / 6
  EXPECT_DOUBLE_EQ(lengthPenalty(30, 0.0), 1.0); // alpha 0: raw log-probability
  EXPECT_DOUBLE_EQ(lengthPenalty(7, 1.0), 2.0);  // (5 + 7) / 6
  EXPECT_NEAR(lengthPenalty(13, 0.6), std::pow(3.0, 0.6), 1e-12);
}

// ---- beam search ----------------------------------------------------------------

/// A scorer from a function of the generated ids (the prefix without its
/// start), checking that every prefix extends its parent by one id.
class FnScorer final : public NextTokenScorer {
public:
  using Fn = std::function<std::vector<double>(const std::vector<int32_t> &)>;
  FnScorer(size_t startLen, Fn fn) : startLen_(startLen), fn_(std::move(fn)) {}

  void scoreNext(const std::vector<Prefix> &prefixes,
                 std::vector<std::vector<float>> &logProbs) override {
    ++calls;
    logProbs.resize(prefixes.size());
    for (size_t i = 0; i < prefixes.size(); ++i) {
      const Prefix &p = prefixes[i];
      if (p.parent < 0) {
        EXPECT_EQ(p.ids.size(), startLen_);
      } else {
        EXPECT_LT(static_cast<size_t>(p.parent), previous_.size());
        std::vector<int32_t> parent = previous_[static_cast<size_t>(p.parent)];
        EXPECT_EQ(std::vector<int32_t>(p.ids.begin(), p.ids.end() - 1), parent);
      }
      std::vector<int32_t> generated(
          p.ids.begin() + static_cast<std::ptrdiff_t>(startLen_), p.ids.end());
      std::vector<double> probs = fn_(generated);
      logProbs[i].clear();
      for (double q : probs)
        logProbs[i].push_back(q > 0 ? static_cast<float>(std::log(q))
                                    : -std::numeric_limits<float>::infinity());
    }
    previous_.clear();
    for (const Prefix &p : prefixes)
      previous_.push_back(p.ids);
  }

  int calls = 0;

private:
  size_t startLen_;
  Fn fn_;
  std::vector<std::vector<int32_t>> previous_;
};

// Ids: 0 = EOS, 1 = a, 2 = b.
constexpr int32_t kE = 0, kA = 1, kB = 2;

/// Greedy takes "a" (0.6) but every continuation of "a" is poor; "b EOS"
/// (0.4 * 0.9 = 0.36) is the best sequence.
std::vector<double> trap(const std::vector<int32_t> &g) {
  if (g.empty())
    return {0.0, 0.6, 0.4};
  if (g[0] == kA)
    return {0.3, 0.35, 0.35};
  return {0.9, 0.05, 0.05};
}

TEST(TasksBeam, FindsTheBestSequenceGreedyMisses) {
  BeamOptions o;
  o.eos = kE;
  o.alpha = 0;
  o.maxLen = 6;
  o.beam = 1;
  FnScorer greedy(1, trap);
  std::vector<Hypothesis> g = beamSearch(greedy, {7}, o);
  ASSERT_FALSE(g.empty());
  EXPECT_EQ(g[0].ids[0], kA);
  o.beam = 2;
  FnScorer wide(1, trap);
  BeamStats stats;
  std::vector<Hypothesis> best = beamSearch(wide, {7}, o, &stats);
  ASSERT_FALSE(best.empty());
  EXPECT_EQ(best[0].ids, (std::vector<int32_t>{kB, kE}));
  EXPECT_TRUE(best[0].finished);
  EXPECT_NEAR(best[0].logProb, std::log(0.4 * 0.9), 1e-6);
  EXPECT_NEAR(best[0].score, best[0].logProb, 1e-12); // alpha 0
  // "a a" and "a b" (0.21) can no longer beat 0.36 after step 2.
  EXPECT_TRUE(stats.stoppedEarly);
  EXPECT_EQ(stats.steps, 2);
  EXPECT_EQ(wide.calls, 2);
}

/// "a EOS" has probability 0.5; "b b b b EOS" 0.45 * 0.98^3 * 0.95 = 0.394.
/// Raw log-probability prefers the short one; GNMT's penalty at alpha 1
/// (ln 0.5 / 1 = -0.69 vs ln 0.394 / 1.67 = -0.56) the long one.
std::vector<double> shortOrLong(const std::vector<int32_t> &g) {
  if (g.empty())
    return {0.05, 0.5, 0.45};
  if (g[0] == kA)
    return {1.0, 0.0, 0.0};
  if (g.size() < 4)
    return {0.01, 0.01, 0.98};
  return {0.95, 0.025, 0.025};
}

TEST(TasksBeam, LengthPenaltyPicksTheWinner) {
  BeamOptions o;
  o.eos = kE;
  o.beam = 3;
  o.maxLen = 8;
  o.alpha = 0;
  FnScorer raw(1, shortOrLong);
  EXPECT_EQ(beamSearch(raw, {7}, o)[0].ids, (std::vector<int32_t>{kA, kE}));
  o.alpha = 1.0;
  FnScorer normalised(1, shortOrLong);
  std::vector<Hypothesis> h = beamSearch(normalised, {7}, o);
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h[0].ids, (std::vector<int32_t>{kB, kB, kB, kB, kE}));
  EXPECT_NEAR(h[0].score, h[0].logProb / lengthPenalty(5, 1.0), 1e-12);
  // The short one is still among the hypotheses, ranked below.
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[1].ids, (std::vector<int32_t>{kA, kE}));
}

TEST(TasksBeam, CutAtMaxLenWhenNothingEnds) {
  BeamOptions o;
  o.eos = kE;
  o.beam = 2;
  o.maxLen = 3;
  FnScorer never(1, [](const std::vector<int32_t> &) {
    return std::vector<double>{0.0, 0.7, 0.3};
  });
  std::vector<Hypothesis> h = beamSearch(never, {7}, o);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_FALSE(h[0].finished);
  EXPECT_EQ(h[0].ids, (std::vector<int32_t>{kA, kA, kA}));
  EXPECT_EQ(never.calls, 3);
}

/// A fixed pseudo-random distribution over 4 ids per prefix.
std::vector<double> hashed(const std::vector<int32_t> &g) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int32_t id : g)
    x = (x ^ static_cast<uint64_t>(id + 1)) * 0xBF58476D1CE4E5B9ull;
  std::vector<double> p(4);
  double total = 0;
  for (double &v : p) {
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    total += v = 0.05 + double(x >> 40) / double(1ull << 24);
  }
  for (double &v : p)
    v /= total;
  return p;
}

/// The best score over every sequence that ends in EOS within MAX_LEN ids.
double bruteForce(const std::vector<int32_t> &prefix, double logProb, int64_t maxLen,
                  double alpha, std::vector<int32_t> &best, double &bestScore) {
  std::vector<double> p = hashed(prefix);
  for (int32_t id = 0; id < 4; ++id) {
    std::vector<int32_t> g = prefix;
    g.push_back(id);
    double lp = logProb + std::log(p[static_cast<size_t>(id)]);
    if (id == kE) {
      double score = lp / lengthPenalty(static_cast<int64_t>(g.size()), alpha);
      if (score > bestScore) {
        bestScore = score;
        best = g;
      }
    } else if (static_cast<int64_t>(g.size()) < maxLen) {
      bruteForce(g, lp, maxLen, alpha, best, bestScore);
    }
  }
  return bestScore;
}

TEST(TasksBeam, WideBeamIsExhaustiveSearch) {
  for (double alpha : {0.0, 0.6, 1.5}) {
    for (int64_t maxLen : {1, 3, 5}) {
      std::vector<int32_t> want;
      double wantScore = -std::numeric_limits<double>::infinity();
      bruteForce({}, 0.0, maxLen, alpha, want, wantScore);
      BeamOptions o;
      o.eos = kE;
      o.alpha = alpha;
      o.maxLen = maxLen;
      o.beam = 1024; // 4^5: nothing is pruned
      FnScorer scorer(2, hashed);
      std::vector<Hypothesis> h = beamSearch(scorer, {1, 9}, o);
      ASSERT_FALSE(h.empty());
      EXPECT_EQ(h[0].ids, want) << "alpha " << alpha << " maxLen " << maxLen;
      EXPECT_NEAR(h[0].score, wantScore, 1e-5)
          << "alpha " << alpha << " maxLen " << maxLen;
      // Finished hypotheses come first, by score.
      for (size_t i = 1; i < h.size() && h[i].finished; ++i)
        EXPECT_GE(h[i - 1].score, h[i].score);
    }
  }
}

// ---- masked-LM text -------------------------------------------------------------

TEST(TasksCodec, ByteMaskedLm) {
  ByteMaskedLmCodec codec(256);
  std::vector<int32_t> ids;
  std::string err;
  ASSERT_TRUE(codec.encode("a[MASK]b[MASK]", ids, err)) << err;
  EXPECT_EQ(ids, (std::vector<int32_t>{'a', data::kMaskId, 'b', data::kMaskId}));
  // Bytes 0..3 read as spaces, as in the training data; "[MASK" is text.
  ASSERT_TRUE(codec.encode(std::string("\x01x[MASK", 7), ids, err)) << err;
  EXPECT_EQ(ids, (std::vector<int32_t>{' ', 'x', '[', 'M', 'A', 'S', 'K'}));
  ByteMaskedLmCodec ascii(128);
  EXPECT_FALSE(ascii.encode("caf\xc3\xa9", ids, err));
  EXPECT_EQ(err, "byte 0xc3 at offset 3 is outside the model's vocabulary of 128");
  EXPECT_EQ(codec.display('e'), "'e'");
  EXPECT_EQ(codec.display(' '), "' '");
  EXPECT_EQ(codec.display('\n'), "'\\n'");
  EXPECT_EQ(codec.display('\''), "'\\''");
  EXPECT_EQ(codec.display(0xe9), "'\\xe9'");
  EXPECT_EQ(codec.display(data::kSepId), "[SEP]");
  EXPECT_EQ(codec.piece('e'), "e");
  EXPECT_EQ(codec.piece(data::kMaskId), "[MASK]");
}

// ---- held-out data --------------------------------------------------------------

TEST(TasksData, ImageClassNames) {
  EXPECT_EQ(data::imageClassName(0), "horizontal stripes, period 8, warm");
  EXPECT_EQ(data::imageClassName(3), "anti-diagonal stripes, period 8, warm");
  EXPECT_EQ(data::imageClassName(6), "vertical stripes, period 4, cool");
  EXPECT_EQ(data::imageClassName(9), "checkerboard, period 4, cool");
  EXPECT_EQ(data::imageClassName(10), "class 10");
}

TEST(TasksData, TranslationPairsAreTheHeldOutBatchRows) {
  const int64_t B = 12, S = 32, T = 40;
  std::vector<data::TensorSpec> specs = {{"src_tokens", LOOM_DTYPE_I32, {B, S}},
                                         {"src_mask", LOOM_DTYPE_I1, {B, S}},
                                         {"tgt_tokens", LOOM_DTYPE_I32, {B, T}},
                                         {"tgt_targets", LOOM_DTYPE_I32, {B, T}}};
  for (bool heldOut : {false, true}) {
    std::string err;
    data::DataOptions opt;
    opt.heldOut = heldOut;
    auto source = data::makeDataSource("translation", specs, 5, err, opt);
    ASSERT_TRUE(source) << err;
    data::Batch batch;
    source->batch(0, batch);
    std::vector<data::TranslationPair> pairs =
        data::translationPairs(5, B, S, T, heldOut, err);
    ASSERT_EQ(pairs.size(), static_cast<size_t>(B)) << err;
    const int32_t *src = batch.find("src_tokens")->data<int32_t>();
    const int32_t *tgt = batch.find("tgt_targets")->data<int32_t>();
    for (int64_t b = 0; b < B; ++b) {
      std::string s, t;
      for (int64_t i = 0; i < S && src[b * S + i] != data::kPadId; ++i)
        s += static_cast<char>(src[b * S + i]);
      for (int64_t i = 0; i < T && tgt[b * T + i] != data::kEosId; ++i)
        t += static_cast<char>(tgt[b * T + i]);
      EXPECT_EQ(pairs[static_cast<size_t>(b)].source, s);
      EXPECT_EQ(pairs[static_cast<size_t>(b)].target, t);
    }
  }
  // The held-out stream is another stream.
  std::string err;
  auto train = data::translationPairs(5, 50, S, T, false, err);
  auto held = data::translationPairs(5, 50, S, T, true, err);
  int same = 0;
  for (size_t i = 0; i < 50; ++i)
    same += train[i].source == held[i].source;
  EXPECT_LT(same, 10);
  EXPECT_TRUE(data::translationPairs(5, 3, 4, 40, true, err).empty());
  EXPECT_NE(err.find("translation data needs S >= 5"), std::string::npos) << err;
}

TEST(TasksData, HeldOutImagesDifferFromTraining) {
  std::vector<data::TensorSpec> specs = {{"pixels", LOOM_DTYPE_F32, {4, 3, 8, 8}},
                                         {"labels", LOOM_DTYPE_I32, {4}}};
  std::string err;
  data::DataOptions opt;
  auto train = data::makeDataSource("images", specs, 0, err, opt);
  opt.heldOut = true;
  auto held = data::makeDataSource("images", specs, 0, err, opt);
  ASSERT_TRUE(train && held) << err;
  EXPECT_NE(held->describe().find("(held-out stream)"), std::string::npos);
  data::Batch a, b;
  train->batch(0, a);
  held->batch(0, b);
  EXPECT_NE(a.find("pixels")->bytes, b.find("pixels")->bytes);
}

// ---- the commands -----------------------------------------------------------------

struct Result {
  int exitCode = -1; // -1: killed by a signal
  std::string out, err;
};

class TasksCli : public ::testing::Test {
protected:
  void SetUp() override {
    fixture = loom::rt::test::makeArtifact(tmp, loom::rt::test::fixtureManifest());
    // The fixture's forward (y = a * x + b over 8 floats) as a classifier
    // of 2x2 gray images into 4 classes: logits = pixels with a = 1, b = 0.
    nlohmann::json m = loom::rt::test::fixtureManifest();
    m["inputs"][0] = {{"name", "pixels"}, {"dtype", "f32"}, {"shape", {2, 1, 2, 2}}};
    m["functions"]["forward"]["slots"][2]["name"] = "pixels";
    m["functions"]["forward"]["slots"][3]["name"] = "logits";
    m["functions"].erase("stats");
    classifier = loom::rt::test::makeArtifact(tmp, m, "classifier");
    float a[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
    weights = tmp.file("w.safetensors");
    ASSERT_TRUE(loom::rt::writeSafetensors(
                    weights, {{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16}}, {})
                    .isOk());
  }

  Result loom(const std::string &args) {
    std::string outFile = tmp.file("stdout"), errFile = tmp.file("stderr");
    std::string cmd =
        std::string(LOOM_TEST_CLI) + " " + args + " >" + outFile + " 2>" + errFile;
    int status = std::system(cmd.c_str());
    Result r;
    if (WIFEXITED(status))
      r.exitCode = WEXITSTATUS(status);
    r.out = readFileOrEmpty(outFile);
    r.err = readFileOrEmpty(errFile);
    return r;
  }

  void fails(const std::string &args, const std::string &expected) {
    Result r = loom(args);
    EXPECT_EQ(r.exitCode, 1) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("loom: error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos)
        << args << "\nwant \"" << expected << "\" in \"" << r.err << "\"";
  }

  std::string gray2x2(const std::string &name, std::vector<uint8_t> bytes) {
    Image img;
    img.width = img.height = 2;
    img.channels = 1;
    img.samples = std::move(bytes);
    std::string path = tmp.file(name), err;
    EXPECT_TRUE(writePng(path, img, err)) << err;
    return path;
  }

  TempDir tmp;
  std::string fixture, classifier, weights;
};

TEST_F(TasksCli, Help) {
  for (const char *cmd : {"fill-mask", "classify", "clip-rank", "translate", "sample"}) {
    for (const char *flag : {"--help", "-h"}) {
      Result r = loom(std::string(cmd) + " " + flag);
      EXPECT_EQ(r.exitCode, 0) << cmd << ": " << r.err;
      EXPECT_EQ(r.out.rfind(std::string("usage: loom ") + cmd, 0), 0u)
          << cmd << ": " << r.out;
    }
  }
  Result r = loom("--help");
  for (const char *cmd : {"fill-mask", "classify", "clip-rank", "translate", "sample"})
    EXPECT_NE(r.out.find(std::string("loom ") + cmd + " "), std::string::npos) << cmd;
}

TEST_F(TasksCli, CommandLineErrors) {
  fails("classify", "loom classify: missing ARTIFACT_DIR");
  fails("classify " + classifier + " x.png", "missing --weights FILE");
  fails("classify " + classifier + " --weights " + weights, "missing IMAGE");
  fails("classify " + classifier + " --weights " + weights + " --bogus x.png",
        "unknown option '--bogus' (loom classify --help)");
  fails("classify " + classifier + " --weights " + weights + " --top-k 0 x.png",
        "--top-k expects an integer from 1");
  fails("classify " + classifier + " --weights", "--weights needs a value");
  fails("fill-mask " + fixture + " --weights " + weights, "missing the text");
  fails("fill-mask " + fixture + " --weights " + weights + " a b",
        "unexpected argument 'b'");
  fails("fill-mask " + fixture + " --weights " + weights + " --eval 5",
        "--eval needs --data FILE");
  fails("translate " + fixture + " --weights " + weights, "missing the source text");
  fails("translate " + fixture + " --weights " + weights + " --seed 3 x",
        "--seed only applies to --eval");
  fails("translate " + fixture + " --weights " + weights + " --eval 3 --beam 2 --n-best 2",
        "--n-best applies to one text, not to --eval");
  fails("fill-mask " + fixture + " --weights " + weights + " --seed 3 'a [MASK]'",
        "--seed only applies to --eval");
  fails("translate " + fixture + " --weights " + weights + " --beam 2 --n-best 3 x",
        "--n-best 3 exceeds --beam 2");
  fails("translate " + fixture + " --weights " + weights + " --length-penalty -1 x",
        "--length-penalty expects a number in [0");
  fails("clip-rank " + fixture + " --weights " + weights + " img.png",
        "missing the captions to rank");
  fails("sample", "missing the kind: images or captions");
  fails("sample audio --count 1 -o " + tmp.file("s"), "unknown kind 'audio'");
  fails("sample images -o " + tmp.file("s"), "missing --count N");
  fails("sample images --count 2", "missing -o DIR");
  fails("sample images --count 2 --channels 2 -o " + tmp.file("s"),
        "--channels is 3 (RGB) or 1");
  fails("sample images --count 0 -o " + tmp.file("s"),
        "--count expects an integer from 1");
}

TEST_F(TasksCli, ArtifactOfTheWrongKind) {
  std::string w = " --weights " + weights + " ";
  fails(
      "fill-mask " + fixture + w + "'a [MASK]'",
      "loom fill-mask needs a masked LM, forward(tokens: i32[B, T], token_types: i32[B, "
      "T], attention_mask: i1[B, T]) -> mlm_logits: f32[B, T, V]; artifact '" +
          fixture +
          "': it has no input 'tokens' (its inputs: x: f32 [2, 4]; forward "
          "returns: y: f32 [2, 4])");
  fails("classify " + fixture + w + "a.png", "needs an image classifier");
  fails("classify " + fixture + w + "a.png", "it has no input 'pixels'");
  fails("clip-rank " + fixture + w + "a.png cap", "needs a CLIP model");
  fails("translate " + fixture + w + "x", "needs an encoder-decoder");
  // pixels is there, but forward returns y, not logits.
  nlohmann::json m = loom::rt::test::fixtureManifest();
  m["inputs"][0] = {{"name", "pixels"}, {"dtype", "f32"}, {"shape", {2, 1, 2, 2}}};
  m["functions"]["forward"]["slots"][2]["name"] = "pixels";
  m["functions"].erase("stats");
  std::string noLogits = loom::rt::test::makeArtifact(tmp, m, "nologits");
  fails("classify " + noLogits + w + "a.png", "it has no forward output 'logits'");

  // The right tensors, but a tokenizer these commands cannot use yet.
  nlohmann::json mt = loom::rt::test::fixtureManifest();
  mt["tokenizer"] = "wordpiece";
  mt["inputs"] = {{{"name", "src_tokens"}, {"dtype", "i32"}, {"shape", {2, 4}}},
                  {{"name", "src_mask"}, {"dtype", "i1"}, {"shape", {2, 4}}},
                  {{"name", "tgt_tokens"}, {"dtype", "i32"}, {"shape", {2, 4}}}};
  mt["functions"]["forward"]["slots"][2]["name"] = "src_tokens";
  mt["functions"]["forward"]["slots"][3] = {
      {"kind", "output"}, {"name", "logits"}, {"dtype", "f32"}, {"shape", {2, 4, 1}}};
  mt["functions"].erase("stats");
  std::string wordpiece = loom::rt::test::makeArtifact(tmp, mt, "wordpiece");
  fails("translate " + wordpiece + w + "x",
        "names the tokenizer 'wordpiece'; loom translate encodes text as bytes only so far");
}

TEST_F(TasksCli, ClassifyReadsPixelsAtTheImagesScale) {
  // logits = (u / 255 - 0.5) / 0.2: the brightest pixel is the top class.
  std::string a = gray2x2("a.png", {0, 255, 128, 64});
  std::string b = gray2x2("b.png", {10, 20, 30, 200});
  std::string c = tmp.file("c.pgm");
  writeFile(c, std::string("P5 2 2 255\n") + std::string("\xff\x00\x00\x00", 4));
  Result r = loom("classify " + classifier + " --weights " + weights + " --top-k 2 " + a +
                  " " + b + " " + c);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Three images through a B = 2 artifact: two calls.
  double p1 = std::exp(2.5) /
              (std::exp(-2.5) + std::exp(2.5) + std::exp((128 / 255.0 - 0.5) / 0.2) +
               std::exp((64 / 255.0 - 0.5) / 0.2));
  char line[64];
  std::snprintf(line, sizeof line, "  %.4f  1  vertical stripes, period 8, warm\n", p1);
  EXPECT_EQ(r.out.rfind(a + "\n" + line, 0), 0u) << r.out;
  size_t bAt = r.out.find(b + "\n  ");
  ASSERT_NE(bAt, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  3  anti-diagonal stripes, period 8, warm\n", bAt),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  2  diagonal stripes, period 8, warm\n" + c), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(c + "\n  "), std::string::npos);
  size_t lastImage = r.out.find(c + "\n");
  EXPECT_NE(r.out.find("  0  horizontal stripes", lastImage), std::string::npos) << r.out;

  // --labels names the classes; it must name all four.
  std::string labels = tmp.file("labels.txt");
  writeFile(labels, "zero\none\ntwo\nthree\n");
  r = loom("classify " + classifier + " --weights " + weights + " --top-k 1 --labels " +
           labels + " " + a);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("  1  one\n"), std::string::npos) << r.out;
  writeFile(labels, "zero\none\n");
  fails("classify " + classifier + " --weights " + weights + " --labels " + labels + " " +
            a,
        "--labels: '" + labels + "' names 2 classes, one per line; the model has 4");

  // No resize and no channel conversion; a bad file fails before any output.
  Image rgb = makeImage(2, 2, 3);
  std::string err, rgbPath = tmp.file("rgb.png");
  ASSERT_TRUE(writePng(rgbPath, rgb, err)) << err;
  fails("classify " + classifier + " --weights " + weights + " " + a + " " + rgbPath,
        "'" + rgbPath + "' is 2x2 RGB; the model takes 2x2 gray images");
  std::string truncated = tmp.file("t.png");
  writeFile(truncated, readFileOrEmpty(a).substr(0, 40));
  fails("classify " + classifier + " --weights " + weights + " " + truncated,
        "'" + truncated + "': invalid PNG");
  fails("classify " + classifier + " --weights " + weights + " " +
            tmp.file("missing.png"),
        "missing.png");
}

TEST_F(TasksCli, SampleWritesImagesAndLabels) {
  std::string dir = tmp.file("imgs");
  Result r = loom("sample images --count 3 --seed 4 --size 8x6 --channels 1 -o " + dir);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string labels = readFileOrEmpty(dir + "/labels.txt");
  EXPECT_EQ(std::count(labels.begin(), labels.end(), '\n'), 3) << labels;
  EXPECT_EQ(labels.rfind("0000.png\t", 0), 0u) << labels;
  Image img;
  std::string err;
  ASSERT_TRUE(readImage(dir + "/0002.png", img, err)) << err;
  EXPECT_EQ(img.width, 6);
  EXPECT_EQ(img.height, 8);
  EXPECT_EQ(img.channels, 1);
  // The label of each line names its class.
  size_t tab = labels.find('\t'), tab2 = labels.find('\t', tab + 1);
  int label = std::stoi(labels.substr(tab + 1, tab2 - tab - 1));
  EXPECT_EQ(labels.substr(tab2 + 1, labels.find('\n') - tab2 - 1),
            data::imageClassName(label));

  // A prefix of a larger sample; captions carry their caption.
  std::string more = tmp.file("more");
  ASSERT_EQ(loom("sample images --count 5 --seed 4 --size 8x6 --channels 1 -o " + more)
                .exitCode,
            0);
  EXPECT_EQ(readFileOrEmpty(more + "/0002.png"), readFileOrEmpty(dir + "/0002.png"));
  std::string caps = tmp.file("caps");
  r = loom("sample captions --count 2 -o " + caps);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string text = readFileOrEmpty(caps + "/labels.txt");
  EXPECT_EQ(text.rfind("0000.png\t", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

} // namespace
