// The kernels' parallel loops go through loom_parallel_for_hook when the
// program defines it. This binary defines it, as a compiled model does: the
// hook counts its calls and runs the two halves of every range on two new
// std::threads. Each kernel's results must be the bits it gives serially
// (hook set to null, which the kernels treat as absent).
#include "loom_kernels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace {

typedef void (*RangeFn)(void *slots, int64_t begin, int64_t end);

std::atomic<int64_t> hookCalls{0};
std::mutex idsMutex;
std::set<std::thread::id> rangeThreads;

void twoThreadParallelFor(int64_t n, RangeFn fn, void *slots) {
  hookCalls.fetch_add(1);
  auto run = [&](int64_t begin, int64_t end) {
    {
      std::lock_guard<std::mutex> lock(idsMutex);
      rangeThreads.insert(std::this_thread::get_id());
    }
    fn(slots, begin, end);
  };
  std::thread first(run, 0, n / 2), second(run, n / 2, n);
  first.join();
  second.join();
}

} // namespace

extern "C" {
void (*loom_parallel_for_hook)(int64_t, RangeFn, void *) = &twoThreadParallelFor;
}

namespace {

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

// Runs `call` once with the hook and once without (serially); returns the
// hook calls the first run made.
template <typename Call> int64_t withAndWithoutHook(Call call) {
  const int64_t before = hookCalls.load();
  call(true);
  const int64_t calls = hookCalls.load() - before;
  auto saved = loom_parallel_for_hook;
  loom_parallel_for_hook = nullptr;
  call(false);
  loom_parallel_for_hook = saved;
  EXPECT_EQ(hookCalls.load() - before, calls) << "hook called while null";
  return calls;
}

class HookTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::lock_guard<std::mutex> lock(idsMutex);
    rangeThreads.clear();
  }
  // The ranges ran on threads other than the caller's.
  void expectRangesOnOtherThreads() {
    std::lock_guard<std::mutex> lock(idsMutex);
    EXPECT_GE(rangeThreads.size(), 2u);
    EXPECT_EQ(rangeThreads.count(std::this_thread::get_id()), 0u);
  }
};

TEST_F(HookTest, Matmul) {
  for (int bt : {0, 1})
    for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{256, 768, 768},
                           {100, 65, 130},
                           {1, 768, 2304},
                           {5, 40, 300}}) {
      SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(k) + "x" +
                   std::to_string(n) + " bt=" + std::to_string(bt));
      std::vector<float> a = randomVector(m * k, 1), b = randomVector(k * n, 2);
      std::vector<float> parallel(m * n), serial(m * n);
      int64_t calls = withAndWithoutHook([&](bool hooked) {
        ASSERT_EQ(loom_kernel_matmul_f32(a.data(), b.data(),
                                         (hooked ? parallel : serial).data(),
                                         m, k, n, bt),
                  0);
      });
      EXPECT_GE(calls, 1);
      EXPECT_EQ(parallel, serial);
      // And the result is a product (spot check one element).
      double ref = 0;
      for (int64_t t = 0; t < k; ++t)
        ref += double(a[(m - 1) * k + t]) * b[bt ? (n - 1) * k + t : t * n + n - 1];
      EXPECT_NEAR(parallel[m * n - 1], ref, 1e-3);
    }
  expectRangesOnOtherThreads();
}

TEST_F(HookTest, LayerNormAndSoftmax) {
  const int64_t rows = 256, cols = 768;
  std::vector<float> x = randomVector(rows * cols, 3), g = randomVector(cols, 4),
                     b = randomVector(cols, 5);
  std::vector<float> p1(x.size()), s1(x.size()), p2(x.size()), s2(x.size());
  EXPECT_GE(withAndWithoutHook([&](bool hooked) {
              ASSERT_EQ(loom_kernel_layer_norm_f32(x.data(), g.data(), b.data(),
                                                   (hooked ? p1 : s1).data(),
                                                   rows, cols, 1e-5f),
                        0);
            }),
            1);
  EXPECT_EQ(p1, s1);
  EXPECT_GE(withAndWithoutHook([&](bool hooked) {
              ASSERT_EQ(loom_kernel_softmax_rows_f32(
                            x.data(), (hooked ? p2 : s2).data(), rows, cols),
                        0);
            }),
            1);
  EXPECT_EQ(p2, s2);
  expectRangesOnOtherThreads();
}

TEST_F(HookTest, Attention) {
  for (int causal : {0, 1})
    for (int64_t t : {64, 100, 1024}) {
      const int64_t bh = t > 200 ? 2 : 12, d = 64;
      std::vector<float> q = randomVector(bh * t * d, 6),
                         k = randomVector(bh * t * d, 7),
                         v = randomVector(bh * t * d, 8);
      std::vector<float> po(bh * t * d), so(po.size()), pl(bh * t), sl(bh * t);
      EXPECT_GE(withAndWithoutHook([&](bool hooked) {
                  ASSERT_EQ(loom_kernel_attention_f32(
                                q.data(), k.data(), v.data(),
                                (hooked ? po : so).data(),
                                (hooked ? pl : sl).data(), bh, t, t, d,
                                0.125f, causal),
                            0);
                }),
                1);
      EXPECT_EQ(po, so);
      EXPECT_EQ(pl, sl);
    }
  expectRangesOnOtherThreads();
}

// Several application threads calling kernels at once, each through the
// hook: the handler keeps no shared state between calls.
TEST_F(HookTest, ConcurrentCallers) {
  const int64_t m = 64, k = 96, n = 200;
  std::vector<float> a = randomVector(m * k, 9), b = randomVector(n * k, 10);
  std::vector<float> expected(m * n);
  ASSERT_EQ(loom_kernel_matmul_f32(a.data(), b.data(), expected.data(), m, k,
                                   n, 1),
            0);
  std::vector<std::vector<float>> results(4, std::vector<float>(m * n));
  std::vector<int> failures(4, 0);
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      for (int rep = 0; rep < 5; ++rep)
        if (loom_kernel_matmul_f32(a.data(), b.data(), results[i].data(), m,
                                   k, n, 1) != 0)
          ++failures[i];
    });
  for (std::thread &t : callers)
    t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(failures[i], 0) << "caller " << i;
    EXPECT_EQ(results[i], expected) << "caller " << i;
  }
}

} // namespace
