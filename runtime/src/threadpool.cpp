//===- threadpool.cpp - the workers that run a kernel's iteration ranges --===//
#include "threadpool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOOM_CPU_RELAX() _mm_pause()
#else
#define LOOM_CPU_RELAX() ((void)0)
#endif

namespace loom::rt {

namespace {

/// How long a worker keeps polling for the next job before it sleeps. GPT-2's
/// kernels follow each other within microseconds, and a futex wake-up costs
/// tens of them; beyond this the worker gives the core back.
constexpr auto kSpin = std::chrono::microseconds(100);

thread_local ThreadPool *tCurrent = nullptr;

} // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::runChunks(Job &job) {
  for (;;) {
    int64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
    if (c >= job.chunks)
      return;
    // Chunk c covers [n*c/chunks, n*(c+1)/chunks): sizes differ by <= 1.
    int64_t begin = job.n * c / job.chunks;
    int64_t end = job.n * (c + 1) / job.chunks;
    job.fn(job.slots, begin, end);
    job.done.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::parallelFor(int64_t n, RangeFn fn, void *slots) {
  if (n <= 0)
    return;
  if (workers_.empty() || n == 1) {
    fn(slots, 0, n);
    return;
  }
  Job job;
  job.fn = fn;
  job.slots = slots;
  job.n = n;
  job.chunks = std::min<int64_t>(n, 4 * int64_t(threads()));
  bool sleeping;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    generation_.fetch_add(1, std::memory_order_release);
    sleeping = sleepers_ > 0;
  }
  if (sleeping)
    wake_.notify_all();
  runChunks(job);
  // Every chunk finished (their writes visible: acquire on done) ...
  for (int spins = 0;
       job.done.load(std::memory_order_acquire) < job.chunks; ++spins) {
    LOOM_CPU_RELAX();
    if (spins > 4096)
      std::this_thread::yield(); // a worker was descheduled mid-chunk
  }
  // ... and no worker can still be reading `job` (it lives on this stack).
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = nullptr;
  }
  while (inJob_.load(std::memory_order_acquire) != 0)
    LOOM_CPU_RELAX();
}

void ThreadPool::workerLoop() {
  // Generation 0 is the pool without jobs. (Not the current value: a job
  // published before this thread first runs must not be missed.)
  uint64_t seen = 0;
  for (;;) {
    // Poll, then sleep, until a new generation (a job or shutdown).
    auto until = std::chrono::steady_clock::now() + kSpin;
    while (generation_.load(std::memory_order_acquire) == seen) {
      for (int i = 0; i < 64; ++i)
        LOOM_CPU_RELAX();
      if (std::chrono::steady_clock::now() >= until)
        break;
    }
    Job *job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (generation_.load(std::memory_order_acquire) == seen && !stop_) {
        ++sleepers_;
        wake_.wait(lock, [&] {
          return stop_ || generation_.load(std::memory_order_acquire) != seen;
        });
        --sleepers_;
      }
      if (stop_)
        return;
      seen = generation_.load(std::memory_order_acquire);
      job = job_;
      if (job)
        inJob_.fetch_add(1, std::memory_order_acq_rel);
    }
    if (job) {
      runChunks(*job);
      inJob_.fetch_sub(1, std::memory_order_release);
    }
  }
}

int defaultThreadCount(std::string *error) {
  if (const char *env = std::getenv("LOOM_NUM_THREADS")) {
    char *end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || v < 1 || v > 1024) {
      if (error)
        *error = std::string("LOOM_NUM_THREADS='") + env +
                 "' is not a thread count (an integer from 1 to 1024)";
      return 0;
    }
    return static_cast<int>(v);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 1024u));
}

CurrentPool::CurrentPool(ThreadPool *pool) : saved_(tCurrent) {
  tCurrent = pool;
}
CurrentPool::~CurrentPool() { tCurrent = saved_; }

extern "C" void loomrtParallelFor(int64_t n, RangeFn fn, void *slots) {
  if (tCurrent)
    tCurrent->parallelFor(n, fn, slots);
  else if (n > 0)
    fn(slots, 0, n);
}

} // namespace loom::rt
