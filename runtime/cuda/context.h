//===- context.h - one device's context, stream, memory and errors ---------===//
//
// What a CUDA artifact's library runs on. The library calls the runtime
// through hooks (hooks.h: MLIR's mgpu* functions), and every hook works on
// the calling thread's current Context, set around each call into the
// library (Scope). A Context holds:
//  - device N's primary context (retained; made current around calls),
//  - one non-blocking stream, which every launch uses (mgpuStreamCreate
//    returns it),
//  - memory: managed allocations for the session's tensors (the host reads
//    and writes them in place, the GPU keeps them resident between calls)
//    and a caching allocator, in size classes, for the library's own
//    mgpuMemAlloc buffers,
//  - the first error a hook met: hooks cannot fail a call (the generated
//    code checks nothing), so the failing call is recorded, later stream
//    work is skipped, and call() returns it as a Status,
//  - per function, CUDA graphs of its launches: from a function's second
//    call on, one call is captured and later calls with the same slots
//    replay it (LOOM_CUDA_GRAPHS=0 turns this off; a capture that fails
//    falls back to plain launches for good).
// Graphs, and skipping the library's stream syncs, are for stream-ordered
// functions only (manifest "cuda.stream_ordered": host code that touches
// no tensor memory). Any other function's host code may read what a kernel
// wrote, or write what the next one reads: it waits at every sync it asks
// for, and runs without a graph.
// One thread uses a Context at a time (a session's rule); an artifact has
// its own for loading its kernels. Written and tested without a GPU (against
// test/unit/fake_cuda): nothing here has run on a real device yet.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CUDA_CONTEXT_H
#define LOOM_CUDA_CONTEXT_H

#include "driver.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom::cuda {

class Context {
public:
  /// Device ORDINAL of DRIVER: retains its primary context and creates the
  /// stream. LOOM_ERR_LIBRARY when the device cannot (no managed memory).
  static Status create(std::shared_ptr<const Driver> driver, int ordinal,
                       std::unique_ptr<Context> &out);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  const Api &api() const { return driver_->api(); }
  const Device &device() const { return driver_->devices()[ordinal_]; }
  /// "cuda:0".
  std::string name() const { return "cuda:" + std::to_string(ordinal_); }
  CUstream stream() const { return stream_; }

  /// Makes the context current on this thread, for the driver and the
  /// hooks; ENTRY: around a stream-ordered entry point (the library's
  /// syncs of the stream are skipped: call() waits once after it).
  class Scope {
  public:
    explicit Scope(Context &context, bool entry = false);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    Context &context_;
    Context *previous_;
    bool pushed_, entry_;
  };
  /// The calling thread's (null outside a Scope).
  static Context *current();

  /// Calls FN (loom_cuda_load or _unload) in the context and waits for it;
  /// a recorded error becomes LOOM_ERR_LIBRARY.
  Status callHost(void (*fn)(), const std::string &what);
  /// Calls entry point ENTRY (the manifest's function KEY, named NAME) on
  /// SLOTS and waits for the stream; a STREAM_ORDERED one skips the
  /// library's syncs and replays or captures a graph when it may.
  /// LOOM_ERR_LIBRARY (or _OUT_OF_MEMORY) naming the failed call.
  Status call(size_t key, const std::string &name, void (*entry)(void **),
              std::vector<void *> &slots, bool streamOrdered);

  /// A session tensor: SIZE bytes of managed memory, zeroed.
  Status allocateManaged(uint64_t size, const std::string &what, void *&out);
  void freeManaged(void *p);
  /// Moves managed memory (address, size) to the device ahead of the
  /// kernels, and waits (a hint: a driver without cuMemPrefetchAsync_v2
  /// skips it).
  void prefetch(const std::vector<std::pair<const void *, uint64_t>> &blocks);

  // ---- for the hooks (hooks.cpp) ----
  /// Whether an error was recorded: later stream work is skipped.
  bool failed() const { return !error_.empty(); }
  /// Records the failure R of CALL ("cuLaunchKernel of kernel 'k'"), the
  /// first one only; NOTE adds what else is known (a JIT log).
  void fail(const std::string &call, CUresult r, const std::string &note = "");
  /// Whether a stream-ordered entry point runs (its stream syncs wait for
  /// call()).
  bool inEntry() const { return entry_ > 0; }
  /// cuModuleGetFunction, cached: the generated code asks before every
  /// launch.
  CUfunction function(CUmodule module, const char *name);
  /// The kernel name F was looked up by ("?" if unknown).
  const char *kernelName(CUfunction f) const;
  /// Drops MODULE's cached functions (it is being unloaded).
  void forget(CUmodule module);
  /// The library's device buffers (mgpuMemAlloc): reused by size class,
  /// freed to the driver only when the context goes (or memory runs out).
  void *allocate(uint64_t size, bool hostShared);
  void free(void *p);

private:
  Context() = default;
  struct Graph;
  struct FunctionGraphs;
  /// WHAT: the recorded error, which is cleared; OK if none.
  Status takeError(const std::string &what);
  /// Captures one call of ENTRY into a graph, not running it; null (and
  /// G off for good) when capturing fails.
  const Graph *capture(FunctionGraphs &g, void (*entry)(void **), std::vector<void *> &slots);
  void dropGraphs();
  /// Frees the cached blocks (after the graphs that may use them).
  void releaseCache();

  std::shared_ptr<const Driver> driver_;
  int ordinal_ = 0;
  CUdevice handle_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  int entry_ = 0;     // Scopes around entry points, nested
  std::string error_; // the first failure since the call began
  CUresult errorCode_ = 0;
  bool graphs_ = true; // LOOM_CUDA_GRAPHS != 0 and the driver has them

  struct Graph {
    std::vector<void *> slots; // what it was captured with
    CUgraphExec exec = nullptr;
  };
  struct FunctionGraphs {
    int calls = 0;
    bool off = false;          // a capture failed: plain launches from now on
    std::vector<Graph> graphs; // the latest last; at most kGraphsPerFunction
  };
  /// Two: a step that swaps its updated buffers in alternates between two
  /// sets of slots.
  static constexpr size_t kGraphsPerFunction = 2;
  std::vector<FunctionGraphs> functions_;
  bool capturing_ = false;
  bool captureBroken_ = false; // the cache was freed during the capture

  std::unordered_map<CUmodule, std::map<std::string, CUfunction, std::less<>>> kernels_;
  std::unordered_map<CUfunction, std::string> kernelNames_;

  struct Block {
    uint64_t size; // the size class
    bool hostShared;
  };
  std::unordered_map<void *, Block> live_;                 // handed out by allocate()
  std::multimap<std::pair<bool, uint64_t>, void *> cache_; // freed, by class
  std::unordered_map<void *, uint64_t> managed_;           // allocateManaged's
};

} // namespace loom::cuda

#endif // LOOM_CUDA_CONTEXT_H
