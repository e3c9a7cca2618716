// halide-kernels-bench: throughput of loom's Halide kernels at GPT-2 shapes,
// on 1 and 2 threads. Not a test. The kernels' parallel loops reach the
// threads through loom_parallel_for_hook, defined here as compiled models
// define it, with a small pool of our own behind it.
//
// Usage: halide-kernels-bench [FILTER [THREADS]]: the rows whose name
// contains FILTER ("" for all), on THREADS threads (1 or 2; default both).
// Prints the median of several timed runs after a warm-up.
#include "loom_kernels.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOOM_PAUSE() _mm_pause()
#else
#define LOOM_PAUSE() ((void)0)
#endif

namespace {

typedef void (*RangeFn)(void *slots, int64_t begin, int64_t end);

// The caller plus (threads - 1) workers; chunks of [0, n) handed out by an
// atomic counter. Workers spin between jobs (benchmark calls come back to
// back), then sleep. A worker joins a job under the mutex and counts itself
// in `active_`; the caller retracts the job and waits for active_ to drop
// to 0 before returning, so no worker touches a finished job.
class Pool {
public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads; ++i)
      workers_.emplace_back([this] { workerLoop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }

  void parallelFor(int64_t n, RangeFn fn, void *slots) {
    if (threads_ == 1 || n == 1 || inWorker) {
      fn(slots, 0, n);
      return;
    }
    Job job;
    job.fn = fn;
    job.slots = slots;
    job.n = n;
    job.chunks = std::min<int64_t>(n, 4 * threads_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    runChunks(job);
    while (job.done.load(std::memory_order_acquire) != job.chunks)
      LOOM_PAUSE();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;
    }
    while (active_.load(std::memory_order_acquire) != 0)
      LOOM_PAUSE();
  }

private:
  struct Job {
    RangeFn fn;
    void *slots;
    int64_t n, chunks;
    std::atomic<int64_t> next{0}, done{0};
  };

  static void runChunks(Job &job) {
    for (;;) {
      int64_t c = job.next.fetch_add(1);
      if (c >= job.chunks)
        return;
      job.fn(job.slots, job.n * c / job.chunks, job.n * (c + 1) / job.chunks);
      job.done.fetch_add(1, std::memory_order_release);
    }
  }

  void workerLoop() {
    inWorker = true;
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = generation_.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < 200000; ++spin) {
        LOOM_PAUSE();
        g = generation_.load(std::memory_order_acquire);
      }
      Job *job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_)
          return;
        job = job_;
        if (job)
          active_.fetch_add(1);
      }
      if (job) {
        runChunks(*job);
        active_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  static thread_local bool inWorker;
  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  Job *job_ = nullptr; // guarded by mutex_
  bool stop_ = false;  // guarded by mutex_
};
thread_local bool Pool::inWorker = false;

Pool *currentPool = nullptr;
std::atomic<int64_t> hookCalls{0};

void benchParallelFor(int64_t n, RangeFn fn, void *slots) {
  hookCalls.fetch_add(1, std::memory_order_relaxed);
  if (currentPool)
    currentPool->parallelFor(n, fn, slots);
  else
    fn(slots, 0, n);
}

} // namespace

// What a compiled model library exports; the kernels' weak reference binds
// to it.
extern "C" {
void (*loom_parallel_for_hook)(int64_t, RangeFn, void *) = &benchParallelFor;
}

namespace {

std::vector<float> randomVector(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

// Median seconds per call: 2 warm-up calls, then at least 5 timed calls and
// at least ~0.3 s in all (at most 200 calls).
double medianSeconds(const std::function<int()> &call) {
  for (int i = 0; i < 2; ++i)
    if (call() != 0) {
      std::fprintf(stderr, "kernel failed\n");
      std::exit(1);
    }
  std::vector<double> times;
  double total = 0;
  while ((times.size() < 5 || total < 0.3) && times.size() < 200) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    times.push_back(s);
    total += s;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

const char *filter = nullptr;
bool selected(const std::string &name) {
  return !filter || name.find(filter) != std::string::npos;
}

void report(const std::string &name, int threads, double seconds, double work,
            const char *unit) {
  std::printf("%-44s %d thr  %9.3f ms  %8.1f %s\n", name.c_str(), threads,
              seconds * 1e3, work / seconds * 1e-9, unit);
  std::fflush(stdout);
}

void benchMatmul(int threads, int64_t m, int64_t k, int64_t n, int bt) {
  std::string name = "matmul " + std::string(bt ? "nt" : "nn") + " M" +
                     std::to_string(m) + " K" + std::to_string(k) + " N" +
                     std::to_string(n);
  if (!selected(name))
    return;
  std::vector<float> a = randomVector(m * k, 1), b = randomVector(k * n, 2),
                     c(m * n);
  double s = medianSeconds([&] {
    return loom_kernel_matmul_f32(a.data(), b.data(), c.data(), m, k, n, bt);
  });
  report(name, threads, s, 2.0 * m * k * n, "GFLOP/s");
}

void benchAttention(int threads, int64_t bh, int64_t t, int64_t d,
                    int causal) {
  std::string name = "attention bh" + std::to_string(bh) + " T" +
                     std::to_string(t) + " d" + std::to_string(d) +
                     (causal ? " causal" : "");
  if (!selected(name))
    return;
  std::vector<float> q = randomVector(bh * t * d, 3), k = randomVector(bh * t * d, 4),
                     v = randomVector(bh * t * d, 5), o(bh * t * d), lse(bh * t);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  double s = medianSeconds([&] {
    return loom_kernel_attention_f32(q.data(), k.data(), v.data(), o.data(),
                                     lse.data(), bh, t, t, d, scale, causal);
  });
  // Useful flops: q k^T and p v over the visible (query, key) pairs.
  const double pairs = causal ? t * (t + 1) / 2.0 : double(t) * t;
  report(name, threads, s, 4.0 * bh * pairs * d, "GFLOP/s");
}

void benchRows(int threads, const char *kernel, int64_t rows, int64_t cols) {
  std::string name = std::string(kernel) + " " + std::to_string(rows) + "x" +
                     std::to_string(cols);
  if (!selected(name))
    return;
  std::vector<float> x = randomVector(rows * cols, 6), y(rows * cols),
                     g = randomVector(cols, 7), b = randomVector(cols, 8);
  double s = medianSeconds([&] {
    if (kernel[0] == 'l')
      return loom_kernel_layer_norm_f32(x.data(), g.data(), b.data(), y.data(),
                                        rows, cols, 1e-5f);
    return loom_kernel_softmax_rows_f32(x.data(), y.data(), rows, cols);
  });
  // Bytes that must move: the input read and the output written once.
  report(name, threads, s, 2.0 * 4 * rows * cols, "GB/s");
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0])
    filter = argv[1];
  std::vector<int> threadCounts = {1, 2};
  if (argc > 2)
    threadCounts = {std::atoi(argv[2]) == 1 ? 1 : 2};
  std::printf("# median of >= 5 runs; GFLOP/s for matmul and attention "
              "(useful flops only), GB/s (read + write) for row kernels\n");
  for (int threads : threadCounts) {
    Pool pool(threads);
    currentPool = &pool;
    const int64_t shapes[][3] = {{256, 768, 768},  {256, 768, 2304},
                                 {256, 768, 3072}, {256, 3072, 768},
                                 {1024, 768, 768}, {1, 768, 2304}};
    for (int bt : {0, 1})
      for (auto &s : shapes)
        benchMatmul(threads, s[0], s[1], s[2], bt);
    for (int causal : {1, 0})
      for (int64_t t : {64, 128, 1024})
        benchAttention(threads, 12, t, 64, causal);
    for (const char *kernel : {"layer_norm", "softmax"})
      for (auto [rows, cols] : {std::pair<int64_t, int64_t>{256, 768},
                                {1024, 768},
                                {12 * 64, 64},
                                {12 * 1024, 1024},
                                {256, 50257}})
        benchRows(threads, kernel, rows, cols);
    currentPool = nullptr;
  }
  std::printf("# loom_parallel_for_hook calls: %lld\n",
              static_cast<long long>(hookCalls.load()));
  return 0;
}
