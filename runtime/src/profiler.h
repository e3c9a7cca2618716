//===- profiler.h - kernel times of a session's calls ----------------------===//
//
// loom-profile-sites compiles `__loom_profile(site, phase)` around every
// kernel call; it calls the library's exported `loom_profile_hook`, which
// Artifact::open points at loomrtProfileHook. The hook records into the
// profiler Session::run made current on the calling thread, and does
// nothing when there is none (profiling off, or a library called without
// a session), so artifacts are never compiled twice to be profiled.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_RUNTIME_PROFILER_H
#define LOOM_RUNTIME_PROFILER_H

#include "loom/runtime.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace loom::rt {

class Profiler {
public:
  Profiler();
  /// Steady-clock nanoseconds (one clock for every profiler, so events of
  /// several profiled periods line up).
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void kernel(int64_t site, int32_t phase);
  void call(int32_t function, int64_t begin, int64_t end) {
    events_.push_back({-1, function, 0, begin, end});
  }
  void setFunction(int32_t function) { function_ = function; }
  const std::vector<loom_profile_event> &events() const { return events_; }
  void clear() { events_.clear(); }

private:
  std::vector<loom_profile_event> events_;
  int32_t function_ = -1;
  int64_t site_ = -1, begin_ = 0;
};

/// Makes a profiler current on this thread for a scope (may be null).
class CurrentProfiler {
public:
  explicit CurrentProfiler(Profiler *p);
  ~CurrentProfiler();

private:
  Profiler *saved_;
};

/// What artifacts' `loom_profile_hook` is set to.
extern "C" void loomrtProfileHook(int64_t site, int32_t phase);

} // namespace loom::rt

#endif // LOOM_RUNTIME_PROFILER_H
