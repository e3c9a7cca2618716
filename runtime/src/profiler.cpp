//===- profiler.cpp - kernel times of a session's calls --------------------===//
#include "profiler.h"

namespace loom::rt {

namespace {
thread_local Profiler *tCurrent = nullptr;
} // namespace

Profiler::Profiler() {
  // A GPT-2 training step makes ~3,000 kernel calls: room for a few steps
  // before the vector grows (it only grows while profiling).
  events_.reserve(16384);
}

void Profiler::kernel(int64_t site, int32_t phase) {
  int64_t t = now();
  if (phase == 0) {
    site_ = site;
    begin_ = t;
    return;
  }
  // Kernel calls do not nest: an end without its begin is dropped.
  if (site == site_)
    events_.push_back({site, function_, 0, begin_, t});
  site_ = -1;
}

CurrentProfiler::CurrentProfiler(Profiler *p) : saved_(tCurrent) {
  tCurrent = p;
}
CurrentProfiler::~CurrentProfiler() { tCurrent = saved_; }

extern "C" void loomrtProfileHook(int64_t site, int32_t phase) {
  if (Profiler *p = tCurrent)
    p->kernel(site, phase);
}

} // namespace loom::rt
