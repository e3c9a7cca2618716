//===- RuntimeRngTest.cpp - reproducible initialization --------------------===//
//
// Reproducibility (same seed, same bytes; golden values pin the algorithm so
// that a change to it cannot go unnoticed), independence of the per-parameter
// streams, distribution sanity with stated tolerances, the portable math
// against libm, and 16-bit rounding.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/dtype.h"
#include "loom/formats/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using namespace loom::rt;

namespace {

InitSpec normal(double std, double mean = 0) {
  InitSpec s;
  s.kind = InitSpec::Kind::Normal;
  s.std = std;
  s.mean = mean;
  return s;
}

InitSpec uniform(double low, double high) {
  InitSpec s;
  s.kind = InitSpec::Kind::Uniform;
  s.low = low;
  s.high = high;
  return s;
}

std::vector<float> fillF32(const InitSpec &init, uint64_t seed,
                           const std::string &name, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n), -7.0f);
  fillInit(init, seed, name, LOOM_DTYPE_F32, n, v.data());
  return v;
}

TEST(RuntimeRng, SameSeedSameBytes) {
  auto a = fillF32(normal(0.02), 42, "h.0.attn.c_attn.weight", 1001);
  auto b = fillF32(normal(0.02), 42, "h.0.attn.c_attn.weight", 1001);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
}

TEST(RuntimeRng, SeedAndNameSelectTheStream) {
  auto base = fillF32(normal(1), 1, "w", 64);
  auto otherSeed = fillF32(normal(1), 2, "w", 64);
  auto otherName = fillF32(normal(1), 1, "v", 64);
  EXPECT_NE(base, otherSeed);
  EXPECT_NE(base, otherName);
}

TEST(RuntimeRng, ValuesDoNotDependOnTheTensorSize) {
  // Counter-based: a longer tensor of the same name starts with the same
  // values (for normals, whole pairs), so element k never depends on numel.
  auto small = fillF32(normal(1), 9, "w", 10);
  auto large = fillF32(normal(1), 9, "w", 1000);
  EXPECT_TRUE(std::equal(small.begin(), small.end(), large.begin()));
  auto u1 = fillF32(uniform(-1, 1), 9, "w", 7);
  auto u2 = fillF32(uniform(-1, 1), 9, "w", 70);
  EXPECT_TRUE(std::equal(u1.begin(), u1.end(), u2.begin()));
}

// Golden values: the first draws and values of fixed streams. These are the
// reproducibility contract (rng.h): they must hold on every machine, and
// changing them changes every model's initialization.
TEST(RuntimeRng, GoldenValues) {
  EXPECT_EQ(mix64(0), 0u);
  EXPECT_EQ(mix64(0x9E3779B97F4A7C15ull), 0xE220A8397B1DCDAFull); // splitmix64(0)'s first output
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  ParamStream s(0, "wte");
  // Printed once from this implementation (identical with gcc -O0/-O2 and
  // clang -march=native), then frozen.
  const uint64_t expectedDraws[] = {0xbdc4fe95a9fae18eull, 0x15945b6b91611b84ull};
  EXPECT_EQ(s.draw(0), expectedDraws[0]);
  EXPECT_EQ(s.draw(1), expectedDraws[1]);
  auto v = fillF32(normal(0.02), 0, "wte", 4);
  // 0.0133552523, 0.00781863183, -0.0122032464, -0.0248311386
  const uint32_t expectedBits[] = {0x3c5acffdu, 0x3c0019b8u, 0xbc47f020u, 0xbccb6aacu};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(floatBits(v[i]), expectedBits[i]) << "element " << i << " = " << v[i];
}

TEST(RuntimeRng, NormalMoments) {
  // n = 2^20 draws of N(0.1, 0.02^2): the sample mean's standard error is
  // std / sqrt(n) ~ 2e-5, so 1e-4 is 5 sigma; the sample std's relative error
  // is ~ 1 / sqrt(2n) ~ 7e-4, so 0.5% is 7 sigma. The tails: |z| > 4 has
  // probability 6.3e-5 (66 expected); 5.5 sigma and beyond should be absent
  // at this n (expected count 0.04).
  const int64_t n = 1 << 20;
  auto v = fillF32(normal(0.02, 0.1), 123, "h.3.mlp.c_fc.weight", n);
  double sum = 0, sumSq = 0;
  int64_t beyond4 = 0, beyond55 = 0;
  for (float x : v) {
    sum += x;
    sumSq += double(x) * x;
    double z = std::fabs((x - 0.1) / 0.02);
    beyond4 += z > 4;
    beyond55 += z > 5.5;
  }
  double mean = sum / n;
  double stdev = std::sqrt(sumSq / n - mean * mean);
  EXPECT_NEAR(mean, 0.1, 1e-4);
  EXPECT_NEAR(stdev / 0.02, 1.0, 5e-3);
  EXPECT_GT(beyond4, 20);
  EXPECT_LT(beyond4, 140);
  EXPECT_EQ(beyond55, 0);
}

TEST(RuntimeRng, UniformBoundsAndMoments) {
  // U(-0.5, 1.5): mean 0.5 (standard error 2/sqrt(12n) ~ 5.6e-4 at n = 2^18,
  // so 3e-3 is 5 sigma), variance 4/12.
  const int64_t n = 1 << 18;
  auto v = fillF32(uniform(-0.5, 1.5), 5, "u", n);
  double sum = 0, sumSq = 0;
  int below0 = 0;
  for (float x : v) {
    ASSERT_GE(x, -0.5f);
    ASSERT_LE(x, 1.5f);
    sum += x;
    sumSq += double(x) * x;
    below0 += x < 0;
  }
  double mean = sum / n;
  EXPECT_NEAR(mean, 0.5, 3e-3);
  EXPECT_NEAR(sumSq / n - mean * mean, 4.0 / 12, 5e-3);
  EXPECT_NEAR(below0 / double(n), 0.25, 5e-3);
}

TEST(RuntimeRng, ConstantKinds) {
  InitSpec zeros, ones, constant;
  zeros.kind = InitSpec::Kind::Zeros;
  ones.kind = InitSpec::Kind::Ones;
  constant.kind = InitSpec::Kind::Constant;
  constant.value = 2.6592;
  for (float x : fillF32(zeros, 1, "z", 9))
    EXPECT_EQ(x, 0.0f);
  for (float x : fillF32(ones, 1, "o", 9))
    EXPECT_EQ(x, 1.0f);
  for (float x : fillF32(constant, 1, "c", 9))
    EXPECT_EQ(x, 2.6592f);
  constant.value = -3;
  std::vector<int32_t> i32(5);
  fillInit(constant, 0, "i", LOOM_DTYPE_I32, 5, i32.data());
  EXPECT_EQ(i32, std::vector<int32_t>(5, -3));
  std::vector<int64_t> i64(3);
  fillInit(ones, 0, "i", LOOM_DTYPE_I64, 3, i64.data());
  EXPECT_EQ(i64, std::vector<int64_t>(3, 1));
  std::vector<uint8_t> i1(4, 7);
  fillInit(ones, 0, "m", LOOM_DTYPE_I1, 4, i1.data());
  EXPECT_EQ(i1, std::vector<uint8_t>(4, 1));
}

TEST(RuntimeRng, SixteenBitDTypesRoundTheF32Values) {
  const int64_t n = 257; // odd: the last normal pair is half used
  auto f = fillF32(normal(1), 3, "w", n);
  std::vector<uint16_t> h(n), b(n);
  fillInit(normal(1), 3, "w", LOOM_DTYPE_F16, n, h.data());
  fillInit(normal(1), 3, "w", LOOM_DTYPE_BF16, n, b.data());
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(h[i], floatToHalf(f[i]));
    EXPECT_EQ(b[i], floatToBf16(f[i]));
  }
}

TEST(RuntimeRng, PortableMathMatchesLibm) {
  for (double x : {1.0, 0.5, 0.75, 1e-300, 0x1p-53, 0.999999999, 3.0, 1e10}) {
    double want = std::log(x);
    EXPECT_NEAR(portableLog(x), want, 4e-16 * std::max(1.0, std::fabs(want))) << x;
  }
  EXPECT_EQ(portableLog(1.0), 0.0);
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    double v = i / 100000.0;
    double s, c;
    portableSinCos2Pi(v, s, c);
    worst = std::max(worst, std::fabs(s - std::sin(2 * M_PI * v)));
    worst = std::max(worst, std::fabs(c - std::cos(2 * M_PI * v)));
  }
  // libm's own argument 2*pi*v carries an error of up to ~4e-16.
  EXPECT_LT(worst, 2e-15);
  double s, c;
  portableSinCos2Pi(0.25, s, c);
  EXPECT_EQ(s, 1.0);
  EXPECT_EQ(c, 0.0);
  portableSinCos2Pi(0.0, s, c);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(c, 1.0);
}

TEST(RuntimeDType, HalfConversions) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);  // rounds to infinity
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie to even: 0
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14)), 0x0400); // smallest normal
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00); // tie to even
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(floatToHalf(NAN) & 0x7e00, 0x7e00);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
      continue; // NaNs
    EXPECT_EQ(floatToHalf(halfToFloat(uint16_t(h))), h) << std::hex << h;
  }
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBf16(bitsFloat(0x3f808000)), 0x3f80); // tie to even
  EXPECT_EQ(floatToBf16(bitsFloat(0x3f818000)), 0x3f82);
  EXPECT_EQ(floatToBf16(bitsFloat(0x3f808001)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(NAN))));
  EXPECT_EQ(bf16ToFloat(0x4049), bitsFloat(0x40490000));
}

TEST(RuntimeDType, CheckedSize) {
  int64_t numel;
  uint64_t nbytes;
  EXPECT_TRUE(checkedSize({}, 4, numel, nbytes));
  EXPECT_EQ(numel, 1);
  EXPECT_EQ(nbytes, 4u);
  EXPECT_TRUE(checkedSize({3, 0, 5}, 8, numel, nbytes));
  EXPECT_EQ(nbytes, 0u);
  EXPECT_FALSE(checkedSize({-1}, 4, numel, nbytes));
  EXPECT_FALSE(checkedSize({1ll << 32, 1ll << 32}, 1, numel, nbytes));
  EXPECT_TRUE(checkedSize({1ll << 31, 1ll << 31}, 2, numel, nbytes));
  EXPECT_FALSE(checkedSize({1ll << 31, 1ll << 31}, 8, numel, nbytes));
  EXPECT_EQ(shapeString({2, 3}), "[2, 3]");
  EXPECT_EQ(shapeString({}), "[]");
}

} // namespace
