//===- RuntimeThreadPoolTest.cpp - the pool compiled kernels split across --===//
//
// The pool alone (every iteration runs exactly once, for any thread count
// and range, over many back-to-back dispatches), then through a session:
// the runtime points a library's loom_parallel_for_hook at its pool, the
// thread count follows loom_session_set_threads and LOOM_NUM_THREADS, and
// sessions on several threads each use their own pool.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"
#include "threadpool.h"

#include "loom/runtime.h"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace loom::rt::test;
using json = nlohmann::json;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int64_t n) : hits(n) {}
};

void countRange(void *p, int64_t begin, int64_t end) {
  auto *c = static_cast<Counts *>(p);
  for (int64_t i = begin; i < end; ++i)
    c->hits[i].fetch_add(1, std::memory_order_relaxed);
}

TEST(ThreadPool, EveryIterationOnceForAnySplit) {
  for (int threads : {1, 2, 3, 5})
    for (int64_t n : {int64_t(1), int64_t(2), int64_t(3), int64_t(7),
                      int64_t(64), int64_t(1000)}) {
      loom::rt::ThreadPool pool(threads);
      EXPECT_EQ(pool.threads(), threads);
      Counts c(n);
      // Back to back, as a model's kernels come: a worker that is late for
      // one job must not run a chunk of the next twice or miss it.
      for (int rep = 0; rep < 200; ++rep)
        pool.parallelFor(n, countRange, &c);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(c.hits[i].load(), 200)
            << "iteration " << i << " of " << n << " on " << threads
            << " threads";
    }
}

TEST(ThreadPool, EmptyRangeRunsNothing) {
  loom::rt::ThreadPool pool(2);
  Counts c(1);
  pool.parallelFor(0, countRange, &c);
  EXPECT_EQ(c.hits[0].load(), 0);
}

TEST(ThreadPool, IdleWorkersSleepAndWake) {
  loom::rt::ThreadPool pool(3);
  Counts c(100);
  pool.parallelFor(100, countRange, &c);
  // Well past the spin window: the workers are asleep on the condition
  // variable and must be woken for the next job.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  pool.parallelFor(100, countRange, &c);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(c.hits[i].load(), 2);
}

/// The fixture's manifest plus its `threads` function (fixture.c).
json threadsManifest() {
  json j = fixtureManifest();
  j["functions"]["threads"] = json::parse(R"({
    "symbol": "loom_threads",
    "arena_bytes": 0,
    "slots": [
      {"kind": "output", "name": "hits", "dtype": "i32", "shape": [1000]},
      {"kind": "output", "name": "overlapped", "dtype": "i32", "shape": []},
      {"kind": "arena"}
    ]
  })");
  return j;
}

class RuntimeThreads : public ::testing::Test {
protected:
  void SetUp() override {
    dir = makeArtifact(tmp, threadsManifest());
    ASSERT_EQ(loom_artifact_open(dir.c_str(), &artifact), LOOM_OK) << loom_last_error();
  }
  void TearDown() override { loom_artifact_close(artifact); }

  /// Runs `threads` on `s`; true iff every iteration ran once and (when
  /// `wantOverlap`) two ranges ran at the same time.
  static bool runThreads(loom_session *s, bool wantOverlap, std::string &why) {
    if (loom_init_params(s, 0) != LOOM_OK || loom_run(s, "threads") != LOOM_OK) {
      why = loom_last_error();
      return false;
    }
    loom_tensor_info info;
    const void *data;
    if (loom_get_output(s, "threads", "hits", &info, &data) != LOOM_OK) {
      why = loom_last_error();
      return false;
    }
    const int32_t *hits = static_cast<const int32_t *>(data);
    for (int i = 0; i < 1000; ++i)
      if (hits[i] != 1) {
        why = "iteration " + std::to_string(i) + " ran " +
              std::to_string(hits[i]) + " times";
        return false;
      }
    if (loom_get_output(s, "threads", "overlapped", &info, &data) != LOOM_OK) {
      why = loom_last_error();
      return false;
    }
    if (wantOverlap && *static_cast<const int32_t *>(data) != 1) {
      why = "no two ranges ran at the same time";
      return false;
    }
    return true;
  }

  TempDir tmp;
  std::string dir;
  loom_artifact *artifact = nullptr;
};

TEST_F(RuntimeThreads, SessionPoolRunsTheLibrarysRanges) {
  loom_session *s;
  ASSERT_EQ(loom_session_create(artifact, &s), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_session_set_threads(s, 3), LOOM_OK) << loom_last_error();
  EXPECT_EQ(loom_session_threads(s), 3);
  std::string why;
  EXPECT_TRUE(runThreads(s, /*wantOverlap=*/true, why)) << why;
  // Changing the count replaces the pool; the next run uses the new one.
  ASSERT_EQ(loom_session_set_threads(s, 2), LOOM_OK);
  EXPECT_EQ(loom_session_threads(s), 2);
  EXPECT_TRUE(runThreads(s, /*wantOverlap=*/true, why)) << why;
  loom_session_destroy(s);
}

TEST_F(RuntimeThreads, BadThreadCountsAreRefused) {
  loom_session *s;
  ASSERT_EQ(loom_session_create(artifact, &s), LOOM_OK) << loom_last_error();
  for (int bad : {0, -1, 1025}) {
    EXPECT_EQ(loom_session_set_threads(s, bad), LOOM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(loom_last_error()).find("between 1 and 1024"),
              std::string::npos)
        << loom_last_error();
  }
  EXPECT_EQ(loom_session_set_threads(nullptr, 2), LOOM_ERR_INVALID_ARGUMENT);
  loom_session_destroy(s);
}

TEST_F(RuntimeThreads, EnvironmentSetsTheDefault) {
  const char *saved = std::getenv("LOOM_NUM_THREADS");
  std::string savedValue = saved ? saved : "";
  ::setenv("LOOM_NUM_THREADS", "3", 1);
  loom_session *s = nullptr;
  ASSERT_EQ(loom_session_create(artifact, &s), LOOM_OK) << loom_last_error();
  EXPECT_EQ(loom_session_threads(s), 3);
  loom_session_destroy(s);
  for (const char *bad : {"0", "two", "2x", "", "5000"}) {
    ::setenv("LOOM_NUM_THREADS", bad, 1);
    s = nullptr;
    EXPECT_EQ(loom_session_create(artifact, &s), LOOM_ERR_INVALID_ARGUMENT)
        << "LOOM_NUM_THREADS='" << bad << "'";
    EXPECT_EQ(s, nullptr);
    EXPECT_NE(std::string(loom_last_error()).find("LOOM_NUM_THREADS"),
              std::string::npos)
        << loom_last_error();
  }
  if (saved)
    ::setenv("LOOM_NUM_THREADS", savedValue.c_str(), 1);
  else
    ::unsetenv("LOOM_NUM_THREADS");
}

TEST_F(RuntimeThreads, SessionsOnSeveralThreadsUseTheirOwnPools) {
  std::vector<std::thread> threads;
  std::vector<std::string> why(3);
  std::vector<int> ok(3, 0);
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      loom_session *s;
      if (loom_session_create(artifact, &s) != LOOM_OK) {
        why[t] = loom_last_error();
        return;
      }
      bool good = loom_session_set_threads(s, 2) == LOOM_OK;
      for (int i = 0; good && i < 20; ++i)
        good = runThreads(s, /*wantOverlap=*/true, why[t]);
      ok[t] = good;
      loom_session_destroy(s);
    });
  for (std::thread &t : threads)
    t.join();
  for (int t = 0; t < 3; ++t)
    EXPECT_TRUE(ok[t]) << "session " << t << ": " << why[t];
}

} // namespace
