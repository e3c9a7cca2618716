//===- DecodingTest.cpp - loom generate's sampling rules ------------------===//
//
// sampleToken (runtime/tools/decoding.h): greedy with ties, top-k, top-p,
// the repetition penalty on both signs, determinism per (seed, step), and
// the sampled frequencies against the renormalized softmax.
//
//===----------------------------------------------------------------------===//
#include "decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using loom::cli::SamplingOptions;
using loom::cli::sampleToken;

SamplingOptions greedy() {
  SamplingOptions o;
  o.temperature = 0;
  return o;
}

/// Frequencies of each id over N steps.
std::vector<double> frequencies(const std::vector<float> &logits,
                                const SamplingOptions &o, int n = 40000) {
  std::vector<double> f(logits.size(), 0);
  for (int s = 0; s < n; ++s)
    f[static_cast<size_t>(sampleToken(logits.data(), logits.size(), {}, o, s))] += 1.0 / n;
  return f;
}

std::vector<float> logOf(std::vector<double> p) {
  std::vector<float> l;
  for (double x : p)
    l.push_back(static_cast<float>(std::log(x)));
  return l;
}

TEST(Sampling, GreedyTakesTheLargestAndTiesTheSmallerId) {
  std::vector<float> l = {0.5f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(sampleToken(l.data(), 4, {}, greedy(), 0), 1);
  std::vector<float> m = {-5.0f, -4.0f, -4.5f};
  EXPECT_EQ(sampleToken(m.data(), 3, {}, greedy(), 9), 1);
}

TEST(Sampling, TopKOneAndTinyTopPAreGreedy) {
  std::vector<float> l = {0.1f, 0.3f, 0.2f, 0.25f};
  SamplingOptions k1;
  k1.temperature = 5;
  k1.topK = 1;
  SamplingOptions p0;
  p0.temperature = 5;
  p0.topK = 0;
  p0.topP = 1e-9;
  for (int s = 0; s < 200; ++s) {
    EXPECT_EQ(sampleToken(l.data(), 4, {}, k1, s), 1);
    EXPECT_EQ(sampleToken(l.data(), 4, {}, p0, s), 1);
  }
}

TEST(Sampling, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  SamplingOptions o = greedy();
  o.repetitionPenalty = 1.5;
  std::vector<float> pos = {2.0f, 1.9f};
  EXPECT_EQ(sampleToken(pos.data(), 2, {}, o, 0), 0);
  EXPECT_EQ(sampleToken(pos.data(), 2, {0}, o, 0), 1); // 2 / 1.5 < 1.9
  std::vector<float> neg = {-1.0f, -1.2f};
  o.repetitionPenalty = 2;
  EXPECT_EQ(sampleToken(neg.data(), 2, {0, 0, 0}, o, 0), 1); // -2 < -1.2
  // Repeats in the history count once; ids outside the vocabulary are
  // ignored.
  o.repetitionPenalty = 1.5;
  EXPECT_EQ(sampleToken(pos.data(), 2, {0, 0, 7, -3}, o, 0), 1);
}

TEST(Sampling, SameSeedAndStepSameToken) {
  std::vector<float> l(50);
  for (size_t i = 0; i < l.size(); ++i)
    l[i] = static_cast<float>(std::sin(double(i)));
  SamplingOptions o;
  o.temperature = 1;
  o.topK = 0;
  o.seed = 42;
  std::vector<int32_t> a, b;
  for (int s = 0; s < 100; ++s) {
    a.push_back(sampleToken(l.data(), 50, {}, o, s));
    b.push_back(sampleToken(l.data(), 50, {}, o, s));
  }
  EXPECT_EQ(a, b);
  o.seed = 43;
  std::vector<int32_t> c;
  for (int s = 0; s < 100; ++s)
    c.push_back(sampleToken(l.data(), 50, {}, o, s));
  EXPECT_NE(a, c);
}

// Tolerance: 40000 draws, the standard error of a frequency near 0.5 is
// 0.0025; 0.012 is about five of them.
TEST(Sampling, FrequenciesFollowTheSoftmax) {
  SamplingOptions o;
  o.temperature = 1;
  o.topK = 0;
  std::vector<double> f = frequencies(logOf({0.5, 0.3, 0.2}), o);
  EXPECT_NEAR(f[0], 0.5, 0.012);
  EXPECT_NEAR(f[1], 0.3, 0.012);
  EXPECT_NEAR(f[2], 0.2, 0.012);
  // Temperature 2 flattens: p ~ sqrt(p).
  o.temperature = 2;
  f = frequencies(logOf({0.5, 0.3, 0.2}), o);
  double z = std::sqrt(0.5) + std::sqrt(0.3) + std::sqrt(0.2);
  EXPECT_NEAR(f[0], std::sqrt(0.5) / z, 0.012);
  EXPECT_NEAR(f[2], std::sqrt(0.2) / z, 0.012);
}

TEST(Sampling, TopKAndTopPRenormalizeOverWhatTheyKeep) {
  SamplingOptions o;
  o.temperature = 1;
  o.topK = 2;
  std::vector<double> f = frequencies(logOf({0.5, 0.3, 0.2}), o);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.625, 0.012);
  // top-p 0.75: 0.5 does not reach it, 0.5 + 0.3 does: {0, 1} kept.
  o.topK = 0;
  o.topP = 0.75;
  f = frequencies(logOf({0.2, 0.5, 0.3}), o);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_NEAR(f[1], 0.625, 0.012);
  EXPECT_NEAR(f[2], 0.375, 0.012);
  // Exactly reaching it keeps no more: p = 0.8 keeps {1, 2} too.
  o.topP = 0.8;
  f = frequencies(logOf({0.2, 0.5, 0.3}), o);
  EXPECT_LT(f[0], 0.002);
}

} // namespace
