//===- TrainDataTest.cpp - training data sources and loss-curve SVGs -------===//
#include "Data.h"
#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace loom::data;

namespace {

// ---- helpers -------------------------------------------------------------------

using loom::rt::test::readFileOrEmpty;
using loom::rt::test::TempDir;
using loom::rt::test::writeFile;

/// A version-1.0 .npy file of DESCR with the given shape text and data.
std::string npy(const std::string &descr, const std::string &shape,
                const std::string &data) {
  return loom::rt::test::npyV1(
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }",
      data);
}

template <typename T> std::string npyOf(const std::vector<T> &ids) {
  std::string data(ids.size() * sizeof(T), '\0');
  std::memcpy(&data[0], ids.data(), data.size());
  return npy(sizeof(T) == 4 ? "<i4" : "<i8", "(" + std::to_string(ids.size()) + ",)",
             data);
}

/// Some English-looking text of N bytes (deterministic).
std::string sampleText(size_t n) {
  static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ",
                                "a ",   "lazy ",  "dog. ",  "And ", "then ",  "it ",
                                "ran ", "home, ", "far ",   "away!\n"};
  std::string s;
  uint64_t x = 12345;
  while (s.size() < n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s += words[(x >> 33) % 16];
  }
  s.resize(n);
  return s;
}

TensorSpec spec(const std::string &name, loom_dtype t, std::vector<int64_t> shape) {
  return TensorSpec{name, t, std::move(shape)};
}

// The inputs of the tiny models of models/, at the batch sizes tests use.
std::vector<TensorSpec> gptInputs(int64_t B = 4, int64_t T = 64) {
  return {spec("tokens", LOOM_DTYPE_I32, {B, T}), spec("targets", LOOM_DTYPE_I32, {B, T})};
}
std::vector<TensorSpec> bertInputs(int64_t B = 4, int64_t T = 64) {
  return {spec("tokens", LOOM_DTYPE_I32, {B, T}),
          spec("token_types", LOOM_DTYPE_I32, {B, T}),
          spec("attention_mask", LOOM_DTYPE_I1, {B, T}),
          spec("mlm_targets", LOOM_DTYPE_I32, {B, T}),
          spec("nsp_labels", LOOM_DTYPE_I32, {B})};
}
std::vector<TensorSpec> vitInputs(int64_t B = 8) {
  return {spec("pixels", LOOM_DTYPE_F32, {B, 3, 32, 32}),
          spec("labels", LOOM_DTYPE_I32, {B})};
}
std::vector<TensorSpec> clipInputs(int64_t B = 8, int64_t T = 16) {
  return {spec("pixels", LOOM_DTYPE_F32, {B, 3, 32, 32}),
          spec("tokens", LOOM_DTYPE_I32, {B, T}), spec("eot", LOOM_DTYPE_F32, {B, T})};
}
std::vector<TensorSpec> transformerInputs(int64_t B = 4, int64_t S = 24, int64_t T = 24) {
  return {spec("src_tokens", LOOM_DTYPE_I32, {B, S}),
          spec("src_mask", LOOM_DTYPE_I1, {B, S}),
          spec("tgt_tokens", LOOM_DTYPE_I32, {B, T}),
          spec("tgt_targets", LOOM_DTYPE_I32, {B, T})};
}

/// A fixture holding a text file of 4000 bytes.
class TrainData : public ::testing::Test {
protected:
  void SetUp() override {
    text = sampleText(4000);
    textPath = dir.file("corpus.txt");
    writeFile(textPath, text);
  }
  std::unique_ptr<DataSource> make(const std::string &s, const std::vector<TensorSpec> &in,
                                   uint64_t seed = 1, const DataOptions &o = {}) {
    std::string err;
    auto src = makeDataSource(s, in, seed, err, o);
    EXPECT_TRUE(src) << err;
    EXPECT_TRUE(err.empty()) << err;
    return src;
  }
  /// The error of a spec that must fail.
  std::string fail(const std::string &s, const std::vector<TensorSpec> &in,
                   const DataOptions &o = {}) {
    std::string err;
    auto src = makeDataSource(s, in, 1, err, o);
    EXPECT_FALSE(src) << s;
    EXPECT_FALSE(err.empty()) << s;
    return err;
  }

  TempDir dir;
  std::string text, textPath;
};

const int32_t *i32(const Batch &b, const char *name) {
  const Tensor *t = b.find(name);
  EXPECT_TRUE(t) << name;
  return t->data<int32_t>();
}
const float *f32(const Batch &b, const char *name) { return b.find(name)->data<float>(); }
const uint8_t *i1(const Batch &b, const char *name) {
  return b.find(name)->data<uint8_t>();
}

void expectLike(const Batch &b, const std::vector<TensorSpec> &inputs) {
  ASSERT_EQ(b.tensors.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor &t = b.tensors[i];
    EXPECT_EQ(t.name, inputs[i].name);
    EXPECT_EQ(t.dtype, inputs[i].dtype) << t.name;
    EXPECT_EQ(t.shape, inputs[i].shape) << t.name;
    EXPECT_EQ(t.bytes.size(), static_cast<size_t>(t.numel()) *
                                  loom_dtype_size(inputs[i].dtype))
        << t.name;
  }
}

bool sameBytes(const Batch &a, const Batch &b) {
  if (a.tensors.size() != b.tensors.size())
    return false;
  for (size_t i = 0; i < a.tensors.size(); ++i)
    if (a.tensors[i].bytes != b.tensors[i].bytes)
      return false;
  return true;
}

// ---- shapes, dtypes, determinism -------------------------------------------------

TEST_F(TrainData, ShapesAndDtypesOfEveryKind) {
  struct Case {
    std::string spec;
    std::vector<TensorSpec> inputs;
    const char *kind, *unit;
    int64_t units;
  };
  std::vector<Case> cases = {
      {"text:" + textPath, gptInputs(), "lm", "tokens", 4 * 64},
      {"text:" + textPath, bertInputs(), "mlm", "tokens", 4 * 64},
      {"synthetic", vitInputs(), "images", "samples", 8},
      {"images", vitInputs(), "images", "samples", 8},
      {"synthetic", clipInputs(), "captions", "samples", 8},
      {"captions", clipInputs(), "captions", "samples", 8},
      {"synthetic", transformerInputs(), "translation", "samples", 4},
      {"translation", transformerInputs(), "translation", "samples", 4},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.spec + " " + c.kind);
    auto src = make(c.spec, c.inputs);
    ASSERT_TRUE(src);
    EXPECT_STREQ(src->kind(), c.kind);
    EXPECT_STREQ(src->unit(), c.unit);
    EXPECT_EQ(src->unitsPerBatch(), c.units);
    std::string d = src->describe();
    EXPECT_FALSE(d.empty());
    EXPECT_EQ(d.find('\n'), std::string::npos);
    Batch b;
    src->batch(0, b);
    expectLike(b, c.inputs);
    // Reusing the batch keeps the layout.
    src->batch(1, b);
    expectLike(b, c.inputs);
  }
}

// Data-parallel micro-batches: K batches of B rows at rows 0, B, 2B, ...
// of a step are, byte for byte, that step's batch of K*B rows (a CLIP
// batch of 180 rows spans two of its 90-row permutation blocks).
TEST_F(TrainData, MicroBatchesAreRowsOfTheLargeBatch) {
  struct Case {
    std::string spec;
    std::vector<TensorSpec> small, large;
    int64_t rows;
  };
  std::vector<Case> cases = {
      {"text:" + textPath, gptInputs(2), gptInputs(8), 2},
      {"text:" + textPath, bertInputs(2), bertInputs(8), 2},
      {"images", vitInputs(2), vitInputs(8), 2},
      {"captions", clipInputs(45), clipInputs(180), 45},
      {"translation", transformerInputs(2), transformerInputs(8), 2},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.spec);
    auto small = make(c.spec, c.small), large = make(c.spec, c.large);
    ASSERT_TRUE(small && large);
    Batch whole, part;
    large->batch(5, whole);
    const int64_t k = c.large[0].shape[0] / c.rows;
    for (size_t t = 0; t < whole.tensors.size(); ++t) {
      std::string joined;
      for (int64_t j = 0; j < k; ++j) {
        small->batchRows(5, uint64_t(j * c.rows), part);
        joined += part.tensors[t].bytes;
      }
      EXPECT_TRUE(joined == whole.tensors[t].bytes) << whole.tensors[t].name;
    }
    // Rows from 0 are the plain batch.
    small->batchRows(5, 0, part);
    small->batch(5, whole);
    EXPECT_TRUE(part.tensors[0].bytes == whole.tensors[0].bytes);
  }
}

TEST_F(TrainData, InputsInAnyOrder) {
  std::vector<TensorSpec> in = gptInputs();
  std::swap(in[0], in[1]);
  auto src = make(textPath, in);
  ASSERT_TRUE(src);
  Batch b;
  src->batch(0, b);
  expectLike(b, in);
  EXPECT_EQ(b.tensors[0].name, "targets");
}

TEST_F(TrainData, DeterministicPerSeedAndStep) {
  std::vector<std::pair<std::string, std::vector<TensorSpec>>> cases = {
      {textPath, gptInputs()},       {textPath, bertInputs()},
      {"images", vitInputs()},       {"captions", clipInputs()},
      {"translation", transformerInputs()}};
  for (const auto &[s, in] : cases) {
    SCOPED_TRACE(s + " " + in[0].name + "," + in[1].name);
    auto a = make(s, in, 7), a2 = make(s, in, 7), other = make(s, in, 8);
    Batch x, y, z;
    // Resuming at step 5 sees what an uninterrupted run sees at step 5.
    for (uint64_t step = 0; step < 5; ++step)
      a->batch(step, x);
    a->batch(5, x);
    a2->batch(5, y);
    EXPECT_TRUE(sameBytes(x, y));
    a->batch(5, y); // and again: no hidden state
    EXPECT_TRUE(sameBytes(x, y));
    a->batch(6, z);
    EXPECT_FALSE(sameBytes(x, z)) << "steps 5 and 6 gave the same batch";
    other->batch(5, z);
    EXPECT_FALSE(sameBytes(x, z)) << "seeds 7 and 8 gave the same batch";
    // A far step works as well.
    a->batch(123456789012ull, z);
    a2->batch(123456789012ull, y);
    EXPECT_TRUE(sameBytes(y, z));
  }
}

// Golden values pin the generators: a change of the documented streams must
// be deliberate (it changes every run's data).
TEST_F(TrainData, GoldenFirstWindow) {
  auto src = make(textPath, gptInputs(2, 8), 42);
  Batch b;
  src->batch(0, b);
  const int32_t *tok = i32(b, "tokens");
  // Recompute the documented offset: row 0 of step 0, draw 0.
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  const uint64_t G = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : std::string("lm")) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  uint64_t key = mix(h ^ mix(42));
  uint64_t base = mix(mix(key + 1 * G) + 1 * G);
  uint64_t d = mix(base + G);
  uint64_t offsets = text.size() - 8;
  size_t off = static_cast<size_t>((static_cast<unsigned __int128>(d) * offsets) >> 64);
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(tok[t], static_cast<unsigned char>(text[off + t])) << t;
}

// ---- language model ----------------------------------------------------------------

TEST_F(TrainData, LmTargetsAreTokensShifted) {
  const int64_t B = 16, T = 32;
  auto src = make("text:" + textPath, gptInputs(B, T));
  Batch b;
  std::set<size_t> offsets;
  for (uint64_t step = 0; step < 4; ++step) {
    src->batch(step, b);
    const int32_t *tok = i32(b, "tokens"), *tgt = i32(b, "targets");
    for (int64_t r = 0; r < B; ++r) {
      std::string window;
      for (int64_t t = 0; t < T; ++t) {
        if (t + 1 < T) {
          EXPECT_EQ(tgt[r * T + t], tok[r * T + t + 1]);
        }
        window += static_cast<char>(tok[r * T + t]);
      }
      window += static_cast<char>(tgt[r * T + T - 1]);
      size_t at = text.find(window);
      ASSERT_NE(at, std::string::npos) << "row " << r << " is not a window of the file";
      offsets.insert(at);
    }
  }
  EXPECT_GT(offsets.size(), 50u) << "windows should start at varied offsets";
}

TEST_F(TrainData, LmFromTokenFiles) {
  std::vector<int64_t> ids64;
  std::vector<int32_t> ids32;
  for (int i = 0; i < 500; ++i) {
    ids64.push_back((i * 7) % 256);
    ids32.push_back((i * 7) % 256);
  }
  writeFile(dir.file("ids64.npy"), npyOf(ids64));
  writeFile(dir.file("ids32.npy"), npyOf(ids32));
  for (std::string s : {"tokens:" + dir.file("ids64.npy"), dir.file("ids32.npy")}) {
    SCOPED_TRACE(s);
    auto src = make(s, gptInputs(4, 16));
    ASSERT_TRUE(src);
    EXPECT_NE(src->describe().find("500 ids"), std::string::npos) << src->describe();
    Batch b;
    src->batch(3, b);
    const int32_t *tok = i32(b, "tokens"), *tgt = i32(b, "targets");
    for (int r = 0; r < 4; ++r)
      for (int t = 0; t < 16; ++t)
        EXPECT_EQ(tgt[r * 16 + t], (tok[r * 16 + t] + 7) % 256);
  }
  // A file exactly T + 1 long gives the one window.
  std::vector<int32_t> exact = {5, 6, 7, 8, 9};
  writeFile(dir.file("exact.npy"), npyOf(exact));
  auto src = make(dir.file("exact.npy"), gptInputs(2, 4));
  ASSERT_TRUE(src);
  Batch b;
  src->batch(9, b);
  EXPECT_EQ(std::vector<int32_t>(i32(b, "tokens"), i32(b, "tokens") + 8),
            (std::vector<int32_t>{5, 6, 7, 8, 5, 6, 7, 8}));
  EXPECT_EQ(std::vector<int32_t>(i32(b, "targets"), i32(b, "targets") + 4),
            (std::vector<int32_t>{6, 7, 8, 9}));
}

// ---- masked language model -------------------------------------------------------

TEST_F(TrainData, MlmStructureAndStatistics) {
  // Control bytes 0..3 in the text must come out as spaces.
  std::string t = text;
  for (size_t i = 0; i < t.size(); i += 37)
    t[i] = static_cast<char>(i % 4);
  writeFile(textPath, t);
  std::string mapped = t;
  for (char &c : mapped)
    if (static_cast<unsigned char>(c) < 4)
      c = ' ';

  const int64_t B = 8, T = 64, L = T - 3;
  auto src = make("text:" + textPath, bertInputs(B, T));
  ASSERT_TRUE(src);
  Batch b;
  int64_t candidates = 0, chosen = 0, masked = 0, randomized = 0, kept = 0;
  int64_t isNext = 0, rows = 0;
  for (uint64_t step = 0; step < 100; ++step) {
    src->batch(step, b);
    const int32_t *tok = i32(b, "tokens"), *typ = i32(b, "token_types"),
                  *tgt = i32(b, "mlm_targets"), *nsp = i32(b, "nsp_labels");
    const uint8_t *mask = i1(b, "attention_mask");
    for (int64_t r = 0; r < B; ++r, ++rows) {
      const int32_t *tr = tok + r * T, *yr = typ + r * T, *gr = tgt + r * T;
      ASSERT_EQ(tr[0], kClsId);
      ASSERT_EQ(tr[T - 1], kSepId);
      // The first [SEP] ends A; types are 0 through it, 1 after.
      int64_t sep = -1;
      for (int64_t p = 1; p < T - 1; ++p)
        if (tr[p] == kSepId && gr[p] == kIgnoreId && yr[p] == 0 && yr[p + 1] == 1) {
          sep = p;
          break;
        }
      ASSERT_GT(sep, 1) << "no [SEP] between A and B";
      ASSERT_LT(sep, T - 2);
      std::string a, bpart;
      for (int64_t p = 0; p < T; ++p) {
        EXPECT_EQ(mask[r * T + p], 1);
        EXPECT_EQ(yr[p], p <= sep ? 0 : 1);
        bool special = p == 0 || p == sep || p == T - 1;
        int32_t original = gr[p] == kIgnoreId ? tr[p] : gr[p];
        if (special) {
          EXPECT_EQ(gr[p], kIgnoreId);
          continue;
        }
        EXPECT_GE(original, 4) << "a reserved id in the text";
        EXPECT_LT(original, 256);
        (p < sep ? a : bpart) += static_cast<char>(original);
        ++candidates;
        if (gr[p] == kIgnoreId)
          continue;
        ++chosen;
        if (tr[p] == kMaskId)
          ++masked;
        else if (tr[p] == gr[p])
          ++kept;
        else {
          ++randomized;
          EXPECT_GE(tr[p], 4);
          EXPECT_LT(tr[p], 256);
        }
      }
      EXPECT_EQ(static_cast<int64_t>(a.size() + bpart.size()), L);
      size_t at = mapped.find(a);
      ASSERT_NE(at, std::string::npos) << "A is not a span of the text";
      ASSERT_TRUE(nsp[r] == 0 || nsp[r] == 1);
      if (nsp[r] == 0) {
        ++isNext;
        EXPECT_NE(mapped.find(a + bpart), std::string::npos)
            << "IsNext but B does not follow A";
      } else {
        EXPECT_NE(mapped.find(bpart), std::string::npos) << "B is not a span";
      }
    }
  }
  double chosenFrac = double(chosen) / double(candidates);
  EXPECT_NEAR(chosenFrac, 0.15, 0.01);
  EXPECT_NEAR(double(masked) / double(chosen), 0.8, 0.03);
  EXPECT_NEAR(double(randomized) / double(chosen), 0.1, 0.03);
  EXPECT_NEAR(double(kept) / double(chosen), 0.1, 0.03);
  EXPECT_NEAR(double(isNext) / double(rows), 0.5, 0.07);
}

TEST_F(TrainData, MlmFromTokenFile) {
  std::vector<int32_t> ids;
  for (int i = 0; i < 300; ++i)
    ids.push_back(4 + i % 200);
  writeFile(dir.file("ids.npy"), npyOf(ids));
  auto src = make("tokens:" + dir.file("ids.npy"), bertInputs(2, 16),
                  1, DataOptions{/*vocab=*/204});
  ASSERT_TRUE(src);
  Batch b;
  src->batch(0, b);
  const int32_t *tok = i32(b, "tokens");
  for (int p = 0; p < 32; ++p) {
    EXPECT_GE(tok[p], 0);
    EXPECT_LT(tok[p], 204);
  }
  // Ids 0..3 are reserved in masked-LM data.
  ids[10] = 2;
  writeFile(dir.file("ids.npy"), npyOf(ids));
  std::string err = fail("tokens:" + dir.file("ids.npy"), bertInputs(2, 16));
  EXPECT_NE(err.find("reserved"), std::string::npos) << err;
  EXPECT_NE(err.find("index 10"), std::string::npos) << err;
}

// ---- images --------------------------------------------------------------------

/// Hand-made features that separate the documented classes: channel
/// energies and neighbour correlations at lags 1 and 2 along x, y and the
/// diagonals.
std::vector<double> imageFeatures(const float *img, int C, int H, int W) {
  std::vector<double> f;
  std::vector<double> sum(static_cast<size_t>(H * W), 0.0);
  for (int c = 0; c < C; ++c) {
    double e = 0;
    for (int i = 0; i < H * W; ++i) {
      e += img[c * H * W + i] * img[c * H * W + i];
      sum[static_cast<size_t>(i)] += img[c * H * W + i];
    }
    f.push_back(e / (H * W));
  }
  double energy = 0;
  for (double v : sum)
    energy += v * v;
  const int lags[][2] = {{0, 1}, {1, 0}, {1, 1}, {1, -1}, {0, 2}, {2, 0}, {2, 2}, {2, -2}};
  for (const auto &l : lags) {
    double c = 0;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        int y2 = y + l[0], x2 = x + l[1];
        if (y2 < H && x2 >= 0 && x2 < W)
          c += sum[static_cast<size_t>(y * W + x)] * sum[static_cast<size_t>(y2 * W + x2)];
      }
    f.push_back(2 * c / energy);
  }
  return f;
}

TEST_F(TrainData, ImagesAreNormalizedAndLearnable) {
  const int64_t B = 32;
  auto src = make("synthetic", vitInputs(B));
  ASSERT_TRUE(src);
  Batch b;
  std::map<int, std::vector<double>> centroid;
  std::map<int, int> count;
  double sum = 0, sumSq = 0;
  int64_t n = 0;
  for (uint64_t step = 0; step < 10; ++step) {
    src->batch(step, b);
    const float *px = f32(b, "pixels");
    const int32_t *lab = i32(b, "labels");
    for (int64_t r = 0; r < B; ++r) {
      ASSERT_GE(lab[r], 0);
      ASSERT_LT(lab[r], 10);
      for (int64_t i = 0; i < 3 * 32 * 32; ++i) {
        double v = px[r * 3072 + i];
        ASSERT_TRUE(std::isfinite(v));
        sum += v;
        sumSq += v * v;
        ++n;
      }
      auto f = imageFeatures(px + r * 3072, 3, 32, 32);
      auto &c = centroid[lab[r]];
      c.resize(f.size());
      for (size_t k = 0; k < f.size(); ++k)
        c[k] += f[k];
      ++count[lab[r]];
    }
  }
  double mean = sum / n, sd = std::sqrt(sumSq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.1);
  EXPECT_GT(sd, 0.5);
  EXPECT_LT(sd, 1.5);
  ASSERT_EQ(centroid.size(), 10u) << "every class should occur in 320 samples";
  for (auto &[label, c] : centroid)
    for (double &v : c)
      v /= count[label];
  // A nearest-centroid classifier on fresh batches: the classes are distinct.
  int correct = 0, total = 0;
  for (uint64_t step = 100; step < 104; ++step) {
    src->batch(step, b);
    for (int64_t r = 0; r < B; ++r, ++total) {
      auto f = imageFeatures(f32(b, "pixels") + r * 3072, 3, 32, 32);
      int best = -1;
      double bestD = 1e300;
      for (auto &[label, c] : centroid) {
        double d = 0;
        for (size_t k = 0; k < f.size(); ++k)
          d += (f[k] - c[k]) * (f[k] - c[k]);
        if (d < bestD) {
          bestD = d;
          best = label;
        }
      }
      correct += best == i32(b, "labels")[r];
    }
  }
  EXPECT_GE(correct, total * 9 / 10) << correct << " of " << total;
  // Fewer classes on request.
  auto five = make("images", vitInputs(64), 3, DataOptions{256, 5});
  ASSERT_TRUE(five);
  five->batch(0, b);
  for (int r = 0; r < 64; ++r)
    EXPECT_LT(i32(b, "labels")[r], 5);
}

// ---- captions ------------------------------------------------------------------

std::string captionOf(const Batch &b, int64_t r, int64_t T) {
  std::string s;
  const int32_t *tok = b.find("tokens")->data<int32_t>() + r * T;
  for (int64_t t = 0; t < T && tok[t] != 0; ++t)
    s += static_cast<char>(tok[t]);
  return s;
}

void expectEotValid(const Batch &b, int64_t B, int64_t T) {
  const int32_t *tok = b.find("tokens")->data<int32_t>();
  const float *eot = b.find("eot")->data<float>();
  for (int64_t r = 0; r < B; ++r) {
    int64_t len = static_cast<int64_t>(captionOf(b, r, T).size());
    ASSERT_GE(len, 1);
    float total = 0;
    for (int64_t t = 0; t < T; ++t) {
      float e = eot[r * T + t];
      EXPECT_TRUE(e == 0.0f || e == 1.0f);
      total += e;
      if (t >= len) {
        EXPECT_EQ(tok[r * T + t], 0) << "padding after the caption";
      }
    }
    EXPECT_EQ(total, 1.0f);
    EXPECT_EQ(eot[r * T + len - 1], 1.0f) << "eot at the last caption byte";
  }
}

TEST_F(TrainData, CaptionsMatchPicturesAndAreDistinct) {
  const int64_t B = 8, T = 16;
  auto src = make("captions", clipInputs(B, T));
  ASSERT_TRUE(src);
  Batch b;
  const std::map<std::string, std::array<int, 3>> colours = {
      {"red", {1, 0, 0}},    {"green", {0, 1, 0}}, {"blue", {0, 0, 1}},
      {"yellow", {1, 1, 0}}, {"cyan", {0, 1, 1}},  {"white", {1, 1, 1}}};
  for (uint64_t step = 0; step < 20; ++step) {
    src->batch(step, b);
    expectEotValid(b, B, T);
    std::set<std::string> seen;
    for (int64_t r = 0; r < B; ++r) {
      std::string cap = captionOf(b, r, T);
      EXPECT_TRUE(seen.insert(cap).second) << "duplicate caption in a batch: " << cap;
      // "<colour> <shape> <tl|tr|bl|br|c>" fits 16 bytes.
      std::istringstream in(cap);
      std::string colour, shape, pos;
      in >> colour >> shape >> pos;
      ASSERT_TRUE(colours.count(colour)) << cap;
      EXPECT_TRUE(shape == "square" || shape == "circle" || shape == "cross") << cap;
      ASSERT_TRUE(pos == "tl" || pos == "tr" || pos == "bl" || pos == "br" || pos == "c")
          << cap;
      // The quadrant the caption names is brighter in the colour's channels
      // than the opposite quadrant.
      if (pos == "c")
        continue;
      int qy = pos[0] == 't' ? 0 : 16, qx = pos[1] == 'l' ? 0 : 16;
      const float *img = f32(b, "pixels") + r * 3 * 32 * 32;
      for (int ch = 0; ch < 3; ++ch) {
        double here = 0, there = 0;
        for (int y = 0; y < 16; ++y)
          for (int x = 0; x < 16; ++x) {
            here += img[ch * 1024 + (qy + y) * 32 + qx + x];
            there += img[ch * 1024 + (16 - qy + y) * 32 + 16 - qx + x];
          }
        if (colours.at(colour)[ch]) {
          EXPECT_GT(here, there + 40) << cap << " channel " << ch;
        } else {
          EXPECT_NEAR(here, there, 40) << cap << " channel " << ch;
        }
      }
    }
  }
  // Pixels are about zero mean, unit scale over many pictures.
  double sum = 0, sumSq = 0;
  int64_t n = 0;
  for (uint64_t step = 0; step < 8; ++step) {
    src->batch(step, b);
    const float *px = f32(b, "pixels");
    for (int64_t i = 0; i < B * 3 * 32 * 32; ++i, ++n) {
      sum += px[i];
      sumSq += double(px[i]) * px[i];
    }
  }
  double mean = sum / n, sd = std::sqrt(sumSq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.2);
  EXPECT_GT(sd, 0.6);
  EXPECT_LT(sd, 1.5);
  // 90 rows: every combination once.
  auto all = make("captions", clipInputs(90, T));
  all->batch(0, b);
  std::set<std::string> seen;
  for (int r = 0; r < 90; ++r)
    seen.insert(captionOf(b, r, T));
  EXPECT_EQ(seen.size(), 90u);
}

TEST_F(TrainData, CaptionTemplatesFollowT) {
  Batch b;
  auto longer = make("captions", clipInputs(4, 40));
  longer->batch(0, b);
  expectEotValid(b, 4, 40);
  for (int r = 0; r < 4; ++r) {
    std::string cap = captionOf(b, r, 40);
    EXPECT_EQ(cap.rfind("a ", 0), 0u) << cap;
    EXPECT_NE(cap.find(" at the "), std::string::npos) << cap;
  }
  auto tiny = make("captions", clipInputs(4, 6));
  tiny->batch(0, b);
  expectEotValid(b, 4, 6);
  auto truncated = make("captions", clipInputs(4, 3));
  truncated->batch(0, b);
  expectEotValid(b, 4, 3);
  EXPECT_EQ(captionOf(b, 0, 3).size(), 3u);
}

// ---- translation ---------------------------------------------------------------

std::vector<std::string> words(const std::string &s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;)
    w.push_back(x);
  return w;
}

TEST_F(TrainData, TranslationPairs) {
  const int64_t B = 16, S = 24, T = 32;
  auto src = make("translation", transformerInputs(B, S, T));
  ASSERT_TRUE(src);
  Batch b;
  std::map<std::string, std::string> dictionary;
  int maxWords = 0;
  for (uint64_t step = 0; step < 20; ++step) {
    src->batch(step, b);
    const int32_t *st = i32(b, "src_tokens"), *tt = i32(b, "tgt_tokens"),
                  *ty = i32(b, "tgt_targets");
    const uint8_t *sm = i1(b, "src_mask");
    for (int64_t r = 0; r < B; ++r) {
      std::string source, target;
      for (int64_t s = 0; s < S; ++s) {
        int32_t v = st[r * S + s];
        EXPECT_EQ(sm[r * S + s], v != 0 ? 1 : 0);
        if (v) {
          source += static_cast<char>(v);
        } else {
          EXPECT_TRUE(s == S - 1 || st[r * S + s + 1] == 0) << "padding in the middle";
        }
      }
      ASSERT_FALSE(source.empty());
      ASSERT_EQ(tt[r * T], kBosId);
      int64_t m = 0;
      while (m < T && ty[r * T + m] != kEosId) {
        target += static_cast<char>(ty[r * T + m]);
        ASSERT_EQ(tt[r * T + m + 1], ty[r * T + m]) << "tgt_tokens = [BOS] + targets";
        ++m;
      }
      ASSERT_LT(m, T) << "no [EOS]";
      for (int64_t t = m + 1; t < T; ++t) {
        EXPECT_EQ(tt[r * T + t], kPadId);
        EXPECT_EQ(ty[r * T + t], kIgnoreId);
      }
      for (char c : source + target)
        EXPECT_TRUE((c >= 'a' && c <= 'z') || c == ' ') << source << " -> " << target;
      auto sw = words(source), tw = words(target);
      ASSERT_EQ(sw.size(), tw.size()) << source << " -> " << target;
      maxWords = std::max(maxWords, static_cast<int>(sw.size()));
      for (size_t i = 0; i < sw.size(); ++i) {
        auto [it, fresh] = dictionary.emplace(sw[i], tw[sw.size() - 1 - i]);
        EXPECT_EQ(it->second, tw[sw.size() - 1 - i])
            << "word '" << sw[i] << "' translated two ways";
      }
    }
  }
  EXPECT_EQ(dictionary.size(), 20u);
  EXPECT_GE(maxWords, 3);
  EXPECT_EQ(dictionary["cat"], "chat");
  // Too short for the longest word.
  std::string err = fail("translation", transformerInputs(2, 4, 32));
  EXPECT_NE(err.find("S >= 5"), std::string::npos) << err;
}

// ---- errors --------------------------------------------------------------------

TEST_F(TrainData, FileErrors) {
  std::string err = fail("text:" + dir.file("missing.txt"), gptInputs());
  EXPECT_NE(err.find("missing.txt"), std::string::npos) << err;
  err = fail(dir.file("missing.npy"), gptInputs());
  EXPECT_NE(err.find("missing.npy"), std::string::npos) << err;

  writeFile(dir.file("empty.txt"), "");
  err = fail("text:" + dir.file("empty.txt"), gptInputs());
  EXPECT_NE(err.find("empty"), std::string::npos) << err;

  writeFile(dir.file("short.txt"), std::string(64, 'x')); // T + 1 = 65 needed
  err = fail(dir.file("short.txt"), gptInputs());
  EXPECT_NE(err.find("too short"), std::string::npos) << err;
  EXPECT_NE(err.find("65"), std::string::npos) << err;
  writeFile(dir.file("short.txt"), std::string(60, 'x')); // T - 3 = 61 for BERT
  err = fail(dir.file("short.txt"), bertInputs());
  EXPECT_NE(err.find("too short"), std::string::npos) << err;

  writeFile(dir.file("short.npy"), npyOf(std::vector<int32_t>{1, 2, 3}));
  err = fail(dir.file("short.npy"), gptInputs());
  EXPECT_NE(err.find("too short"), std::string::npos) << err;

  writeFile(dir.file("big.npy"), npyOf(std::vector<int32_t>(100, 7)));
  std::vector<int32_t> ids(100, 7);
  ids[42] = 256;
  writeFile(dir.file("big.npy"), npyOf(ids));
  err = fail(dir.file("big.npy"), gptInputs(2, 8));
  EXPECT_NE(err.find("256"), std::string::npos) << err;
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
  std::vector<int64_t> neg(100, 7);
  neg[0] = -1;
  writeFile(dir.file("neg.npy"), npyOf(neg));
  err = fail(dir.file("neg.npy"), gptInputs(2, 8));
  EXPECT_NE(err.find("-1"), std::string::npos) << err;
  // Fits a bigger vocabulary.
  EXPECT_TRUE(make(dir.file("big.npy"), gptInputs(2, 8), 1, DataOptions{257}));
  // A text byte above a small vocabulary.
  err = fail(textPath, gptInputs(2, 8), DataOptions{100});
  EXPECT_NE(err.find("vocabulary of 100"), std::string::npos) << err;

  std::string f32data(16, '\0');
  writeFile(dir.file("floats.npy"), npy("<f4", "(4,)", f32data));
  err = fail(dir.file("floats.npy"), gptInputs(1, 2));
  EXPECT_NE(err.find("i32 or i64"), std::string::npos) << err;
  writeFile(dir.file("matrix.npy"), npy("<i4", "(2, 2)", f32data));
  err = fail(dir.file("matrix.npy"), gptInputs(1, 2));
  EXPECT_NE(err.find("1-D"), std::string::npos) << err;
  writeFile(dir.file("garbage.npy"), "not a numpy file");
  fail(dir.file("garbage.npy"), gptInputs(1, 2));
}

TEST_F(TrainData, InputMismatchErrorsNameBothSides) {
  // Text for an image model.
  std::string err = fail("text:" + textPath, vitInputs());
  EXPECT_NE(err.find("tokens: i32[B, T], targets: i32[B, T]"), std::string::npos) << err;
  EXPECT_NE(err.find("pixels: f32[8, 3, 32, 32], labels: i32[8]"), std::string::npos)
      << err;
  // Synthetic data for a language model.
  err = fail("synthetic", gptInputs());
  EXPECT_NE(err.find("tokens: i32[4, 64], targets: i32[4, 64]"), std::string::npos)
      << err;
  EXPECT_NE(err.find("text:PATH"), std::string::npos) << err;
  // An explicit kind for the wrong model.
  err = fail("images", clipInputs());
  EXPECT_NE(err.find("pixels: f32[B, C, H, W], labels: i32[B]"), std::string::npos)
      << err;
  EXPECT_NE(err.find("eot: f32[8, 16]"), std::string::npos) << err;
  // A missing or an extra input.
  auto in = gptInputs();
  in.pop_back();
  fail(textPath, in);
  in = gptInputs();
  in.push_back(spec("extra", LOOM_DTYPE_I32, {4}));
  fail(textPath, in);
  // Right names, wrong dtype / rank / dims.
  in = gptInputs();
  in[1].dtype = LOOM_DTYPE_I64;
  err = fail(textPath, in);
  EXPECT_NE(err.find("'targets' is i64[4, 64]"), std::string::npos) << err;
  in = gptInputs();
  in[1].shape = {4, 32};
  err = fail(textPath, in);
  EXPECT_NE(err.find("dim T"), std::string::npos) << err;
  in = vitInputs();
  in[0].shape = {8, 3, 32};
  fail("images", in);
  in = gptInputs();
  in[0].shape = {-1, 64};
  in[1].shape = {-1, 64};
  err = fail(textPath, in);
  EXPECT_NE(err.find("static"), std::string::npos) << err;
  fail(textPath, bertInputs(2, 4)); // T < 5
  fail("images", vitInputs(), DataOptions{256, 11});
  fail("captions", clipInputs(), DataOptions{100});
}

TEST_F(TrainData, SpecErrors) {
  std::string err = fail("foo:bar", gptInputs());
  EXPECT_NE(err.find("unknown data kind 'foo'"), std::string::npos) << err;
  err = fail("", gptInputs());
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
  err = fail("text:", gptInputs());
  EXPECT_NE(err.find("names no file"), std::string::npos) << err;
  err = fail("images:foo", vitInputs());
  EXPECT_NE(err.find("takes no argument"), std::string::npos) << err;
  // A path with a colon that exists is a path, not a kind.
  writeFile(dir.file("x:y.txt"), text);
  make(dir.file("x:y.txt"), gptInputs());
}

// ---- SVG -------------------------------------------------------------------------

/// A small well-formedness check: tags nest, attributes are quoted.
bool wellFormed(const std::string &s, std::string &why) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = s.find('<', i)) != std::string::npos) {
    size_t end = i + 1;
    char quote = 0;
    for (; end < s.size(); ++end) {
      if (quote) {
        if (s[end] == quote)
          quote = 0;
      } else if (s[end] == '"' || s[end] == '\'') {
        quote = s[end];
      } else if (s[end] == '<') {
        why = "'<' inside a tag at " + std::to_string(end);
        return false;
      } else if (s[end] == '>') {
        break;
      }
    }
    if (end >= s.size()) {
      why = "unterminated tag";
      return false;
    }
    std::string tag = s.substr(i + 1, end - i - 1);
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        why = "unbalanced </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if (tag.back() != '/' && tag[0] != '?' && tag[0] != '!') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n\t")));
    }
    i = end + 1;
  }
  // Text between tags has no raw '&' that is not an entity.
  for (size_t a = s.find('&'); a != std::string::npos; a = s.find('&', a + 1)) {
    size_t semi = s.find(';', a);
    if (semi == std::string::npos || semi - a > 6) {
      why = "raw '&'";
      return false;
    }
  }
  if (!stack.empty())
    why = "unclosed <" + stack.back() + ">";
  return stack.empty();
}

TEST_F(TrainData, LossCurveSvg) {
  std::vector<double> steps, losses;
  for (int i = 0; i < 200; ++i) {
    steps.push_back(i);
    losses.push_back(5.5 * std::exp(-i / 50.0) + 0.3 + 0.2 * ((i * 37) % 11) / 11.0);
  }
  losses[17] = std::nan(""); // skipped
  TempDir out;
  std::string path = out.file("loss.svg"), err;
  ASSERT_TRUE(writeLossCurveSvg(path, "tiny_gpt <loss> & friends", steps, losses, err))
      << err;
  std::string svg = readFileOrEmpty(path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("smoothed"), std::string::npos);
  EXPECT_NE(svg.find("tiny_gpt &lt;loss&gt; &amp; friends"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(svg.find(">step<"), std::string::npos);
  EXPECT_NE(svg.find(">100<"), std::string::npos) << "x tick labels";
  EXPECT_NE(svg.find(">4<"), std::string::npos) << "y tick labels";
  std::string why;
  EXPECT_TRUE(wellFormed(svg, why)) << why;
  // Atomic: only the file itself, no temporary left over; rewriting works.
  EXPECT_EQ(out.list(), std::vector<std::string>{"loss.svg"});
  steps.resize(3);
  losses.resize(3);
  ASSERT_TRUE(writeLossCurveSvg(path, "short", steps, losses, err)) << err;
  EXPECT_EQ(out.list(), std::vector<std::string>{"loss.svg"});
  svg = readFileOrEmpty(path);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.find("smoothed"), std::string::npos);
  EXPECT_TRUE(wellFormed(svg, why)) << why;
}

TEST_F(TrainData, LossCurveSvgEdgeCases) {
  std::string err, why;
  // No data yet: still a valid chart.
  std::string path = dir.file("empty.svg");
  ASSERT_TRUE(writeLossCurveSvg(path, "empty", {}, {}, err)) << err;
  std::string svg = readFileOrEmpty(path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_TRUE(wellFormed(svg, why)) << why;
  // One point, a constant curve.
  ASSERT_TRUE(writeLossCurveSvg(path, "one", {0}, {2.5}, err)) << err;
  EXPECT_TRUE(wellFormed(readFileOrEmpty(path), why)) << why;
  ASSERT_TRUE(writeLossCurveSvg(path, "flat", {0, 1, 2}, {1, 1, 1}, err)) << err;
  EXPECT_NE(readFileOrEmpty(path).find("<polyline"), std::string::npos);
  // Many points are thinned but keep the extremes.
  std::vector<double> x(100000), y(100000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<double>(i);
    y[i] = 1.0 + (i % 1000 == 0 ? 1.0 : 0.0);
  }
  ASSERT_TRUE(writeLossCurveSvg(path, "many", x, y, err)) << err;
  EXPECT_LT(readFileOrEmpty(path).size(), 300000u);
  // Errors.
  EXPECT_FALSE(writeLossCurveSvg(path, "bad", {0, 1}, {1}, err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(writeLossCurveSvg(dir.file("no/such/dir/x.svg"), "t", {0}, {1}, err));
  EXPECT_NE(err.find("x.svg"), std::string::npos) << err;
  // General charts: several series with a legend.
  ASSERT_TRUE(writeLineChartSvg(path, "train vs eval", "step", "loss",
                                {{"train", {0, 1, 2}, {3, 2, 1}, ""},
                                 {"eval", {0, 2}, {3.5, 1.5}, "#000000"}},
                                err))
      << err;
  svg = readFileOrEmpty(path);
  EXPECT_NE(svg.find(">eval<"), std::string::npos);
  EXPECT_TRUE(wellFormed(svg, why)) << why;
}

TEST(TrainDataEma, SmoothsAndDebiases) {
  auto s = smoothEma({4, 4, 4, std::nan(""), 4}, 0.1);
  EXPECT_DOUBLE_EQ(s[0], 4);
  EXPECT_NEAR(s[2], 4, 1e-12);
  EXPECT_TRUE(std::isnan(s[3]));
  EXPECT_NEAR(s[4], 4, 1e-12);
  auto t = smoothEma({0, 10}, 0.5);
  EXPECT_NEAR(t[1], 10.0 * 0.5 / 0.75, 1e-12);
}

} // namespace
