// Calls the Halide-generated kernels through their C ABI and checks them
// against a double-precision reference.
#include "loom_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

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
}

TEST(SoftmaxRowsAbi, InPlace) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f};
  ASSERT_EQ(loom_kernel_softmax_rows_f32(x.data(), x.data(), 1, 3), 0);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0, 1e-6);
  EXPECT_NEAR(x[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
}

} // namespace
