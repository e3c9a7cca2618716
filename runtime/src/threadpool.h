//===- threadpool.h - the workers that run a kernel's iteration ranges ----===//
//
// Compiled kernels with enough parallel work are called through one hook,
// `loom_parallel_for_hook(n, fn, slots)` (loom-dispatch-kernels): run
// fn(slots, begin, end) over [0, n). The runtime stores `parallelForHook`
// there when it opens an artifact; the hook runs the range on the pool of
// the session whose function is running on the calling thread (a
// thread-local set by Session::run), or serially when there is none.
//
// A pool of T threads is the caller plus T-1 workers. A dispatch splits
// [0, n) into at most 4T contiguous chunks handed out by an atomic counter
// (the caller takes chunks too), then waits for all of them. Workers spin
// for a short while after a job (kernels come back to back) and then sleep
// on a condition variable, so an idle pool costs no CPU. Iterations are
// independent (parallel loop dimensions), so the split never changes the
// results: they are the same bits for any thread count.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_RUNTIME_THREADPOOL_H
#define LOOM_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace loom::rt {

using RangeFn = void (*)(void *slots, int64_t begin, int64_t end);

class ThreadPool {
public:
  /// `threads` >= 1 counts the caller: threads - 1 workers start now.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs fn on every iteration of [0, n) and returns when all have run.
  /// One dispatch at a time per pool (a session runs on one thread).
  void parallelFor(int64_t n, RangeFn fn, void *slots);

private:
  struct Job {
    RangeFn fn;
    void *slots;
    int64_t n, chunks;
    std::atomic<int64_t> next{0}, done{0};
  };
  static void runChunks(Job &job);
  void workerLoop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_: the job workers may join (null between dispatches),
  // the number of sleeping workers, and shutdown.
  Job *job_ = nullptr;
  int sleepers_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> generation_{0}; // bumped (under mutex_) per job
  std::atomic<int> inJob_{0};           // workers between join and leave
};

/// LOOM_NUM_THREADS if set to a positive integer, else the hardware threads.
/// Sets `error` (and returns 0) when the variable is set but not valid.
int defaultThreadCount(std::string *error);

/// The pool that kernels called from this thread use (null: serial).
/// Session::run sets it for the duration of a call.
class CurrentPool {
public:
  explicit CurrentPool(ThreadPool *pool);
  ~CurrentPool();

private:
  ThreadPool *saved_;
};

/// What artifacts' `loom_parallel_for_hook` is set to.
extern "C" void loomrtParallelFor(int64_t n, RangeFn fn, void *slots);

} // namespace loom::rt

#endif // LOOM_RUNTIME_THREADPOOL_H
