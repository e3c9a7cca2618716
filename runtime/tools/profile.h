//===- profile.h - kernel profiles: Chrome traces and `loom profile` -------===//
//
// `loom run --profile FILE` and `loom train --profile FILE` turn a
// session's profile events (loom_session_profile_events) into a Chrome
// trace (chrome://tracing, ui.perfetto.dev): one slice per function call,
// and inside it one slice per kernel call, named by the block and loom ops
// the kernel implements (the artifact's kernels.json). The trace also
// carries, under "loom", the site table and this machine's roofline (peak
// FLOP/s and memory bandwidth, measured once and cached), so `loom profile
// FILE` prints the top kernels with achieved GFLOP/s and % of the roofline
// from the trace alone.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_PROFILE_H
#define LOOM_TOOLS_PROFILE_H

#include "loom/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom::tools {

/// This machine's roofline for `threads` threads.
struct Machine {
  std::string cpu;
  int threads = 1;
  double peakGflops = 0;   // f32 FMA throughput, all threads
  double bandwidthGBs = 0; // streaming triad, all threads
  std::string measured;    // UTC date of the measurement
};

/// Measures peak and bandwidth (about a second), or reads them from the
/// cache ($XDG_CACHE_HOME/loom/machine.json, else ~/.cache/loom/...), keyed
/// by CPU model and thread count. `remeasure` ignores the cache.
Machine machineRoofline(int threads, bool remeasure);
/// The measurements alone (roofline.cpp).
double measurePeakGflops(int threads);
double measureBandwidthGBs(int threads);

/// Collects a session's events over several calls, then writes the trace.
class TraceRecorder {
public:
  /// Reads ARTIFACT/kernels.json (a Failure if it is missing or does not
  /// belong to the manifest next to it).
  TraceRecorder(const std::string &artifactDir, const loom_artifact *artifact,
                int threads);
  /// Takes the session's events (then clears them); `step` labels the
  /// calls (-1: none).
  void collect(loom_session *session, int64_t step);
  /// Writes the trace (atomically). Measures the roofline if needed.
  void write(const std::string &path) const;
  size_t calls() const { return calls_; }

private:
  std::string dir_;
  std::string kernelsJson_; // the site table, as read
  std::vector<std::string> functions_;
  int threads_;
  struct Event {
    loom_profile_event e;
    int64_t step;
  };
  std::vector<Event> events_;
  size_t calls_ = 0;
};

/// `loom profile TRACE [--top N]`.
int commandProfile(int argc, char **argv);

} // namespace loom::tools

#endif // LOOM_TOOLS_PROFILE_H
