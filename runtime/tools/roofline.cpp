//===- roofline.cpp - this machine's peak FLOP/s and memory bandwidth ------===//
//
// Peak: independent chains of f32 FMAs per thread (16 accumulators cover
// the FMA latency times the pipes), AVX-512 where the CPU has it, else
// AVX2, else scalar; the best of several short trials (the machine is
// shared). Bandwidth: STREAM's triad a = b + s * c over arrays far larger
// than the caches, split across the threads, counting 3 streams.
//
//===----------------------------------------------------------------------===//
#include "profile.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace loom::tools {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Runs fn(thread) on `threads` threads at once; returns the wall time.
template <typename F> double onThreads(int threads, F fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      fn(t);
    });
  while (ready.load() != threads - 1)
    std::this_thread::yield();
  auto start = Clock::now();
  go.store(true, std::memory_order_release);
  fn(0);
  for (std::thread &th : pool)
    th.join();
  return seconds(start, Clock::now());
}

volatile float gSink;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) double fmaAvx512(long n) {
  __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
  __m512 a[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm512_set1_ps(0.1f + 0.01f * i);
  for (long k = 0; k < n; ++k)
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i)
      a[i] = _mm512_fmadd_ps(a[i], b, c);
  __m512 s = a[0];
  for (int i = 1; i < 16; ++i)
    s = _mm512_add_ps(s, a[i]);
  gSink = _mm512_reduce_add_ps(s);
  return double(n) * 16 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fmaAvx2(long n) {
  __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
  __m256 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm256_set1_ps(0.1f + 0.01f * i);
  for (long k = 0; k < n; ++k)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      a[i] = _mm256_fmadd_ps(a[i], b, c);
  float out[8];
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm256_add_ps(s, a[i]);
  _mm256_storeu_ps(out, s);
  gSink = out[0];
  return double(n) * 12 * 8 * 2;
}
#endif

double fmaScalar(long n) {
  float a[8], b = 0.999999f, c = 1e-6f;
  for (int i = 0; i < 8; ++i)
    a[i] = 0.1f + 0.01f * i;
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 8; ++i)
      a[i] = a[i] * b + c;
  gSink = a[0] + a[7];
  return double(n) * 8 * 2;
}

double fmaChains(long n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f"))
    return fmaAvx512(n);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return fmaAvx2(n);
#endif
  return fmaScalar(n);
}

} // namespace

double measurePeakGflops(int threads) {
  threads = std::max(1, threads);
  // Calibrate to ~0.1 s per trial on one thread.
  long n = 1 << 16;
  for (;;) {
    auto a = Clock::now();
    fmaChains(n);
    double s = seconds(a, Clock::now());
    if (s > 0.02 || n > (1L << 30))
      break;
    n *= 2;
  }
  n *= 5;
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> flops(threads);
    double wall = onThreads(threads, [&](int t) { flops[t] = fmaChains(n); });
    double total = 0;
    for (double f : flops)
      total += f;
    best = std::max(best, total / wall * 1e-9);
  }
  return best;
}

double measureBandwidthGBs(int threads) {
  threads = std::max(1, threads);
  const size_t n = size_t(1) << 24; // 64 MiB per array
  std::unique_ptr<float[]> a(new float[n]), b(new float[n]), c(new float[n]);
  // First touch on the threads that stream them.
  onThreads(threads, [&](int t) {
    size_t lo = n * t / threads, hi = n * (t + 1) / threads;
    for (size_t i = lo; i < hi; ++i) {
      a[i] = 0;
      b[i] = 1.0f + float(i % 7);
      c[i] = 2.0f;
    }
  });
  double best = 0;
  for (int trial = 0; trial < 6; ++trial) {
    float s = 0.5f + 0.01f * trial;
    double wall = onThreads(threads, [&](int t) {
      size_t lo = n * t / threads, hi = n * (t + 1) / threads;
      float *__restrict pa = a.get();
      const float *__restrict pb = b.get(), *__restrict pc = c.get();
      for (size_t i = lo; i < hi; ++i)
        pa[i] = pb[i] + s * pc[i];
    });
    best = std::max(best, 3.0 * n * sizeof(float) / wall * 1e-9);
  }
  gSink = a[n / 2];
  return best;
}

} // namespace loom::tools
