// Calls the Halide-generated kernels through their C ABI and checks them
// against double-precision reference loops. This binary defines no
// loom_parallel_for_hook, so every kernel runs its tasks serially on the
// calling thread (HalideKernelsHookTest.cpp covers the hook).
//
// Built twice: halide-kernels-test runs the variant Halide's multitarget
// dispatch picks here (AVX-512); halide-kernels-baseline-test defines
// LOOM_TEST_BASELINE_TARGET and makes the dispatch refuse every optional
// target, so the last one (x86-64 SSE4.1, what a machine without AVX-512
// gets) runs the same checks.
#include "loom_kernels.h"

#ifdef LOOM_TEST_BASELINE_TARGET
#include "HalideRuntime.h"
namespace {
int refuseTargetFeatures(int, const uint64_t *) { return 0; }
// Before any kernel runs (static initialization).
const bool baselineOnly =
    (halide_set_custom_can_use_target_features(&refuseTargetFeatures), true);
} // namespace
#endif

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

typedef void (*loom_range_fn)(void *slots, int64_t begin, int64_t end);
extern "C" __attribute__((weak)) void (*loom_parallel_for_hook)(
    int64_t n, loom_range_fn fn, void *slots);

namespace {

std::vector<float> randomVector(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

TEST(HalideKernels, NoParallelHookInThisBinary) {
  // The kernels' fallback (serial tasks) is what runs here.
  EXPECT_EQ(&loom_parallel_for_hook, nullptr);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

std::vector<float> referenceSoftmax(const std::vector<float> &x, int64_t rows,
                                    int64_t cols) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = &x[r * cols];
    double mx = row[0];
    for (int64_t c = 1; c < cols; ++c)
      mx = std::max(mx, static_cast<double>(row[c]));
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      sum += std::exp(row[c] - mx);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = static_cast<float>(std::exp(row[c] - mx) / sum);
  }
  return y;
}

class SoftmaxRows : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(SoftmaxRows, MatchesReference) {
  auto [rows, cols] = GetParam();
  std::mt19937 rng(rows * 7919 + cols);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  std::vector<float> x(static_cast<size_t>(rows) * cols), y(x.size(), -1.0f);
  for (float &v : x)
    v = dist(rng);
  ASSERT_EQ(loom_kernel_softmax_rows_f32(x.data(), y.data(), rows, cols), 0);
  std::vector<float> ref = referenceSoftmax(x, rows, cols);
  // Halide's exp is a polynomial good to a few f32 ulp; the row sum is
  // accumulated in f32 across vector lanes, whose error grows ~log2(cols).
  const double tolerance = 2e-6 + 2e-7 * std::log2(static_cast<double>(cols));
  double worst = 0;
  for (size_t i = 0; i < y.size(); ++i)
    worst = std::max(worst, std::abs(y[i] - ref[i]) /
                                std::max(1e-30, std::abs((double)ref[i])));
  EXPECT_LE(worst, tolerance) << rows << "x" << cols;
  for (int r = 0; r < rows; ++r) {
    double sum = 0;
    for (int c = 0; c < cols; ++c)
      sum += y[r * cols + c];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

// Awkward sizes: 1, primes, non-multiples of the vector width, a vocab row.
INSTANTIATE_TEST_SUITE_P(Shapes, SoftmaxRows,
                         ::testing::Values(std::make_pair(1, 1),
                                           std::make_pair(1, 17),
                                           std::make_pair(3, 16),
                                           std::make_pair(7, 31),
                                           std::make_pair(64, 128),
                                           std::make_pair(2, 50257)));

TEST(SoftmaxRowsAbi, RejectsBadArguments) {
  float x = 0, y = 0;
  EXPECT_NE(loom_kernel_softmax_rows_f32(nullptr, &y, 1, 1), 0);
  EXPECT_NE(loom_kernel_softmax_rows_f32(&x, &y, 0, 1), 0);
  EXPECT_NE(loom_kernel_softmax_rows_f32(&x, &y, 1, -5), 0);
  EXPECT_NE(loom_kernel_softmax_rows_f32(&x, &y, int64_t(1) << 20,
                                         int64_t(1) << 12),
            0);
}

TEST(SoftmaxRowsAbi, InPlace) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f};
  ASSERT_EQ(loom_kernel_softmax_rows_f32(x.data(), x.data(), 1, 3), 0);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0, 1e-6);
  EXPECT_NEAR(x[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

struct MatmulShape {
  int64_t m, k, n;
};

// c = a b (b [k, n]) or a b^T (b [n, k]) in double; also, per element, the
// root of the sum of the squared products, the scale of its rounding error.
void referenceMatmul(const std::vector<float> &a, const std::vector<float> &b,
                     int64_t m, int64_t k, int64_t n, bool bt,
                     std::vector<double> &c, std::vector<double> &scale) {
  c.assign(static_cast<size_t>(m * n), 0.0);
  scale.assign(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    double *crow = &c[i * n], *srow = &scale[i * n];
    for (int64_t t = 0; t < k; ++t) {
      const double av = a[i * k + t];
      for (int64_t j = 0; j < n; ++j) {
        const double p = av * (bt ? b[j * k + t] : b[t * n + j]);
        crow[j] += p;
        srow[j] += p * p;
      }
    }
    for (int64_t j = 0; j < n; ++j)
      srow[j] = std::sqrt(srow[j]);
  }
}

// An f32 sum of k products p_t rounds at every step; the errors add up like
// a random walk over partial sums of size ~sqrt(t) * rms(p), to
// ~0.4 * 2^-24 * sqrt(k) * sqrt(sum p_t^2) (one standard deviation). The
// bound 20 * 2^-24 * sqrt(k) * sqrt(sum p_t^2) + 4 ulp of |c| is >= 5x the
// largest error seen at every tested shape (k up to 3072); one
// missing or wrong product is off by ~|p_t|, far more.
double matmulTolerance(int64_t k, double ref, double scale) {
  const double u = std::ldexp(1.0, -24);
  return 20 * u * std::sqrt(static_cast<double>(k)) * scale +
         4 * u * std::abs(ref) + 1e-30;
}

void checkMatmul(const MatmulShape &s, int bt) {
  SCOPED_TRACE("m=" + std::to_string(s.m) + " k=" + std::to_string(s.k) +
               " n=" + std::to_string(s.n) + " b_transposed=" +
               std::to_string(bt));
  std::vector<float> a = randomVector(s.m * s.k, 11 + s.m * 3 + s.k);
  std::vector<float> b = randomVector(s.k * s.n, 17 + s.n * 5 + s.k);
  // Sentinels around c catch writes out of bounds.
  const size_t guard = 64;
  std::vector<float> cbuf(s.m * s.n + 2 * guard, 12345.0f);
  float *c = cbuf.data() + guard;
  ASSERT_EQ(loom_kernel_matmul_f32(a.data(), b.data(), c, s.m, s.k, s.n, bt),
            0);
  std::vector<double> ref, scale;
  referenceMatmul(a, b, s.m, s.k, s.n, bt != 0, ref, scale);
  double worst = 0;
  int64_t worstAt = -1;
  for (int64_t i = 0; i < s.m * s.n; ++i) {
    double ratio =
        std::abs(c[i] - ref[i]) / matmulTolerance(s.k, ref[i], scale[i]);
    if (!(ratio <= worst)) { // NaN counts as worst
      worst = ratio;
      worstAt = i;
    }
  }
  if (getenv("LOOM_TEST_VERBOSE"))
    printf("worst/tolerance %.3f\n", worst);
  EXPECT_LE(worst, 1.0) << "at (" << worstAt / s.n << ", " << worstAt % s.n
                        << "): " << c[worstAt] << " vs " << ref[worstAt];
  for (size_t i = 0; i < guard; ++i) {
    EXPECT_EQ(cbuf[i], 12345.0f);
    EXPECT_EQ(cbuf[guard + s.m * s.n + i], 12345.0f);
  }
}

class Matmul
    : public ::testing::TestWithParam<std::tuple<MatmulShape, int>> {};

TEST_P(Matmul, MatchesReference) {
  checkMatmul(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

// The tiled kernel's tile is 48 columns x 8 rows; the small kernel takes
// M < 8 or N < 48. Sizes around both, odd sizes, GEMV and GPT-2 shapes.
INSTANTIATE_TEST_SUITE_P(
    Shapes, Matmul,
    ::testing::Combine(
        ::testing::Values(MatmulShape{1, 1, 1}, MatmulShape{1, 7, 5},
                          MatmulShape{3, 5, 47}, MatmulShape{7, 33, 49},
                          MatmulShape{8, 16, 48}, MatmulShape{9, 17, 49},
                          MatmulShape{8, 1, 48}, MatmulShape{13, 100, 100},
                          MatmulShape{100, 3, 31}, MatmulShape{31, 65, 97},
                          MatmulShape{64, 64, 64}, MatmulShape{100, 257, 130},
                          MatmulShape{257, 31, 200}, MatmulShape{1, 768, 2304},
                          MatmulShape{2, 768, 768}, MatmulShape{256, 768, 768},
                          MatmulShape{64, 3072, 768}, MatmulShape{40, 768, 3072}),
        ::testing::Values(0, 1)),
    [](const auto &info) {
      const MatmulShape &s = std::get<0>(info.param);
      return "M" + std::to_string(s.m) + "K" + std::to_string(s.k) + "N" +
             std::to_string(s.n) + (std::get<1>(info.param) ? "_bt" : "_b");
    });

TEST(MatmulAbi, RejectsBadArguments) {
  float a = 1, b = 1, c = 0;
  EXPECT_NE(loom_kernel_matmul_f32(nullptr, &b, &c, 1, 1, 1, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, nullptr, &c, 1, 1, 1, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, nullptr, 1, 1, 1, 1), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 0, 1, 1, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 1, -1, 1, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 1, 1, 0, 1), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 1, 1, 1, 2), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 1, 1, 1, -1), 0);
  // Over INT32_MAX elements in one matrix (never touched).
  const int64_t big = int64_t(1) << 16;
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, big, big, 1, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, 1, big, big, 1), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, big, 1, big, 0), 0);
  EXPECT_NE(loom_kernel_matmul_f32(&a, &b, &c, int64_t(1) << 40, 1, 1, 0), 0);
  EXPECT_EQ(c, 0.0f);
  EXPECT_EQ(loom_kernel_matmul_f32(&a, &b, &c, 1, 1, 1, 0), 0);
  EXPECT_EQ(c, 1.0f);
}

//===----------------------------------------------------------------------===//
// Layer norm
//===----------------------------------------------------------------------===//

std::vector<double> referenceLayerNorm(const std::vector<float> &x,
                                       const std::vector<float> &gamma,
                                       const float *beta, int64_t rows,
                                       int64_t cols, double eps) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = &x[r * cols];
    double mean = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c)
      mean += row[c];
    mean /= cols;
    for (int64_t c = 0; c < cols; ++c)
      var += (row[c] - mean) * (row[c] - mean);
    var /= cols;
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] =
          (row[c] - mean) * rstd * gamma[c] + (beta ? beta[c] : 0.0);
  }
  return y;
}

class LayerNorm
    : public ::testing::TestWithParam<std::tuple<std::pair<int, int>, bool>> {};

TEST_P(LayerNorm, MatchesReference) {
  auto [shape, withBeta] = GetParam();
  auto [rows, cols] = shape;
  // Rows with an offset and spread, so the mean matters.
  std::vector<float> x = randomVector(static_cast<size_t>(rows) * cols,
                                      rows * 31 + cols, 2.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      x[r * cols + c] += 3.0f * (r % 5) - 5.0f;
  std::vector<float> gamma = randomVector(cols, 5, 1.0f);
  std::vector<float> beta = randomVector(cols, 6, 1.0f);
  std::vector<float> y(x.size(), -7.0f);
  const float eps = 1e-5f;
  const float *betaPtr = withBeta ? beta.data() : nullptr;
  ASSERT_EQ(loom_kernel_layer_norm_f32(x.data(), gamma.data(), betaPtr,
                                       y.data(), rows, cols, eps),
            0);
  std::vector<double> ref =
      referenceLayerNorm(x, gamma, betaPtr, rows, cols, eps);
  // f32 mean and variance of a row carry ~2^-24 * sqrt(cols) relative
  // error; the normalized value a few ulp of its magnitude more. 1e-5 is
  // >= 6x the largest error seen (1.6e-6, 50257 columns).
  double worst = 0;
  for (size_t i = 0; i < y.size(); ++i)
    worst = std::max(worst, std::abs(y[i] - ref[i]) / (1.0 + std::abs(ref[i])));
  if (getenv("LOOM_TEST_VERBOSE"))
    printf("worst %.3g\n", worst);
  EXPECT_LE(worst, 1e-5) << rows << "x" << cols;

  // In place gives the same bits.
  std::vector<float> z = x;
  ASSERT_EQ(loom_kernel_layer_norm_f32(z.data(), gamma.data(), betaPtr,
                                       z.data(), rows, cols, eps),
            0);
  EXPECT_EQ(z, y);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LayerNorm,
    ::testing::Combine(::testing::Values(std::make_pair(1, 1),
                                         std::make_pair(1, 17),
                                         std::make_pair(3, 64),
                                         std::make_pair(5, 65),
                                         std::make_pair(7, 130),
                                         std::make_pair(256, 768),
                                         std::make_pair(9, 1023),
                                         std::make_pair(2, 50257)),
                       ::testing::Bool()));

TEST(LayerNormAbi, ConstantRowGivesBeta) {
  // var = 0: y = beta (0 * rsqrt(eps) * gamma + beta).
  std::vector<float> x(40, 3.5f), gamma(40, 2.0f), beta(40), y(40);
  for (int c = 0; c < 40; ++c)
    beta[c] = 0.25f * c;
  ASSERT_EQ(loom_kernel_layer_norm_f32(x.data(), gamma.data(), beta.data(),
                                       y.data(), 1, 40, 1e-5f),
            0);
  for (int c = 0; c < 40; ++c)
    EXPECT_EQ(y[c], beta[c]);
}

TEST(LayerNormAbi, RejectsBadArguments) {
  float x = 1, g = 1, b = 0, y = 0;
  EXPECT_NE(loom_kernel_layer_norm_f32(nullptr, &g, &b, &y, 1, 1, 1e-5f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, nullptr, &b, &y, 1, 1, 1e-5f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, nullptr, 1, 1, 1e-5f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, 0, 1, 1e-5f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, 1, -3, 1e-5f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, int64_t(1) << 31, 1,
                                       1e-5f),
            0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, int64_t(1) << 16,
                                       int64_t(1) << 16, 1e-5f),
            0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, 1, 1, -1.0f), 0);
  EXPECT_NE(loom_kernel_layer_norm_f32(&x, &g, &b, &y, 1, 1,
                                       std::numeric_limits<float>::quiet_NaN()),
            0);
  EXPECT_EQ(y, 0.0f);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct AttentionShape {
  int64_t bh, tq, tk, d;
  bool causal;
  float scale; // 0: 1 / sqrt(d)
};

void referenceAttention(const std::vector<float> &q,
                        const std::vector<float> &k,
                        const std::vector<float> &v, const AttentionShape &s,
                        float scale, std::vector<double> &o,
                        std::vector<double> &lse) {
  o.assign(s.bh * s.tq * s.d, 0.0);
  lse.assign(s.bh * s.tq, 0.0);
  std::vector<double> w(s.tk);
  for (int64_t b = 0; b < s.bh; ++b)
    for (int64_t i = 0; i < s.tq; ++i) {
      const float *qi = &q[(b * s.tq + i) * s.d];
      const int64_t keys = s.causal ? i + 1 : s.tk;
      double mx = -INFINITY;
      for (int64_t j = 0; j < keys; ++j) {
        const float *kj = &k[(b * s.tk + j) * s.d];
        double dot = 0;
        for (int64_t t = 0; t < s.d; ++t)
          dot += static_cast<double>(qi[t]) * kj[t];
        w[j] = scale * dot;
        mx = std::max(mx, w[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < keys; ++j)
        sum += (w[j] = std::exp(w[j] - mx));
      double *oi = &o[(b * s.tq + i) * s.d];
      for (int64_t j = 0; j < keys; ++j) {
        const float *vj = &v[(b * s.tk + j) * s.d];
        for (int64_t t = 0; t < s.d; ++t)
          oi[t] += w[j] / sum * vj[t];
      }
      lse[b * s.tq + i] = mx + std::log(sum);
    }
}

std::string attentionName(const AttentionShape &s) {
  return "bh" + std::to_string(s.bh) + "_tq" + std::to_string(s.tq) + "_tk" +
         std::to_string(s.tk) + "_d" + std::to_string(s.d) +
         (s.causal ? "_causal" : "") + (s.scale != 0 ? "_scale1" : "");
}

class Attention : public ::testing::TestWithParam<AttentionShape> {};

TEST_P(Attention, MatchesReference) {
  const AttentionShape s = GetParam();
  const unsigned seed = static_cast<unsigned>(s.bh * 7 + s.tq * 13 + s.d);
  std::vector<float> q = randomVector(s.bh * s.tq * s.d, seed);
  std::vector<float> k = randomVector(s.bh * s.tk * s.d, seed + 1);
  std::vector<float> v = randomVector(s.bh * s.tk * s.d, seed + 2);
  const float scale =
      s.scale != 0 ? s.scale : 1.0f / std::sqrt(static_cast<float>(s.d));
  const size_t guard = 32;
  std::vector<float> obuf(s.bh * s.tq * s.d + 2 * guard, 999.0f);
  std::vector<float> lbuf(s.bh * s.tq + 2 * guard, 999.0f);
  float *o = obuf.data() + guard, *lse = lbuf.data() + guard;
  ASSERT_EQ(loom_kernel_attention_f32(q.data(), k.data(), v.data(), o, lse,
                                      s.bh, s.tq, s.tk, s.d, scale, s.causal),
            0);
  std::vector<double> refO, refLse;
  referenceAttention(q, k, v, s, scale, refO, refLse);

  // o is a convex combination of v rows (|v| ~ 1). The f32 scores carry
  // ~2^-24 * sqrt(d) * |q||k| * scale error, which becomes the relative error
  // of the weights, so the bound grows with the scores' spread sigma =
  // scale * sqrt(d) (unit q, k): 5e-6 * max(1, sigma) * (1 + |o|), and
  // 2e-6 * max(1, sigma) * (1 + |lse|). Both are ~4x (sigma = 8) to ~10x
  // (sigma = 1) over the largest errors seen.
  const double spread =
      std::max(1.0, scale * std::sqrt(static_cast<double>(s.d)));
  double worstO = 0, worstL = 0;
  for (size_t i = 0; i < refO.size(); ++i)
    worstO = std::max(worstO, std::abs(o[i] - refO[i]) / (1 + std::abs(refO[i])));
  for (size_t i = 0; i < refLse.size(); ++i)
    worstL = std::max(worstL,
                      std::abs(lse[i] - refLse[i]) / (1 + std::abs(refLse[i])));
  if (getenv("LOOM_TEST_VERBOSE"))
    printf("worst o %.3g lse %.3g\n", worstO, worstL);
  EXPECT_LE(worstO, 5e-6 * spread);
  EXPECT_LE(worstL, 2e-6 * spread);
  for (size_t i = 0; i < guard; ++i) {
    EXPECT_EQ(obuf[i], 999.0f);
    EXPECT_EQ(obuf[obuf.size() - 1 - i], 999.0f);
    EXPECT_EQ(lbuf[i], 999.0f);
    EXPECT_EQ(lbuf[lbuf.size() - 1 - i], 999.0f);
  }

  // Without lse: the same o, bit for bit.
  std::vector<float> o2(s.bh * s.tq * s.d);
  ASSERT_EQ(loom_kernel_attention_f32(q.data(), k.data(), v.data(), o2.data(),
                                      nullptr, s.bh, s.tq, s.tk, s.d, scale,
                                      s.causal),
            0);
  EXPECT_EQ(0, std::memcmp(o2.data(), o, o2.size() * sizeof(float)));
}

// A task is a block of 64 queries (32 for causal d = 64 up to T = 256): T not
// a multiple of either, T < 32, T = 1, tq != tk, both block sizes, d = 64
// (the unrolled kernels) and other d (the generic one).
INSTANTIATE_TEST_SUITE_P(
    Shapes, Attention,
    ::testing::Values(
        AttentionShape{1, 1, 1, 64, false, 0}, AttentionShape{1, 1, 1, 64, true, 0},
        AttentionShape{2, 7, 7, 64, true, 0}, AttentionShape{3, 64, 64, 64, false, 0},
        AttentionShape{3, 64, 64, 64, true, 0}, AttentionShape{2, 100, 100, 64, false, 0},
        AttentionShape{2, 100, 100, 64, true, 0}, AttentionShape{2, 128, 128, 64, true, 0},
        AttentionShape{2, 128, 128, 64, false, 1.0f},
        AttentionShape{1, 1000, 1000, 64, true, 0},
        AttentionShape{1, 1000, 1000, 64, false, 0},
        AttentionShape{1, 1024, 1024, 64, true, 0},
        AttentionShape{1, 1024, 1024, 64, false, 1.0f},
        AttentionShape{2, 5, 77, 64, false, 0}, AttentionShape{2, 70, 1, 64, false, 0},
        AttentionShape{2, 65, 65, 32, true, 0}, AttentionShape{2, 33, 50, 17, false, 0},
        AttentionShape{1, 130, 130, 80, true, 0}, AttentionShape{1, 3, 3, 1, true, 0}),
    [](const auto &info) { return attentionName(info.param); });

TEST(AttentionAbi, RejectsBadArguments) {
  float q = 1, k = 1, v = 1, o = 0, l = 0;
  const float s = 1.0f;
  EXPECT_NE(loom_kernel_attention_f32(nullptr, &k, &v, &o, &l, 1, 1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, nullptr, &v, &o, &l, 1, 1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, nullptr, &o, &l, 1, 1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, nullptr, &l, 1, 1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 0, 1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, -1, 1, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 0, 1, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 1, 0, s, 0), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 1, 1, s, 2), 0);
  // causal needs tq == tk.
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 2, 1, s, 1), 0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 1, 1,
                                      std::numeric_limits<float>::infinity(), 0),
            0);
  // bh * t * d over INT32_MAX (never touched).
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1 << 12, 1 << 10, 1,
                                      1 << 10, s, 0),
            0);
  EXPECT_NE(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1 << 12, 1,
                                      1 << 10, 1 << 10, s, 0),
            0);
  EXPECT_EQ(o, 0.0f);
  EXPECT_EQ(l, 0.0f);
  // One key: o = v, lse = scale * q . k.
  ASSERT_EQ(loom_kernel_attention_f32(&q, &k, &v, &o, &l, 1, 1, 1, 1, 0.5f, 1), 0);
  EXPECT_FLOAT_EQ(o, 1.0f);
  EXPECT_FLOAT_EQ(l, 0.5f);
}

} // namespace
