//===- session.h - an opened artifact and the sessions that run it ---------===//
#ifndef LOOM_RUNTIME_SESSION_H
#define LOOM_RUNTIME_SESSION_H

#include "loom/formats/manifest.h"
#include "storage.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loom::cuda {
class Driver;
class Context;
} // namespace loom::cuda

namespace loom::rt {

class ThreadPool;
class Profiler;

using EntryPoint = void (*)(void **slots);

/// manifest.json plus the dlopened library. Immutable once opened, so
/// sessions on several threads can share it. A CUDA artifact (manifest
/// "target": "cuda") also holds its device's driver and a context its
/// kernels are loaded in (docs/cuda.md).
class Artifact {
public:
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  /// DEVICE: "" (the manifest's target; a CUDA one on LOOM_CUDA_DEVICE,
  /// else device 0), "cpu", "cuda" or "cuda:N". An artifact runs on the
  /// target loomc compiled it for: any other is refused.
  static Status open(const std::string &dir, const std::string &device,
                     std::shared_ptr<Artifact> &out);

  const std::string &dir() const { return dir_; }
  const Manifest &manifest() const { return manifest_; }
  /// Parallel to manifest().functions.
  EntryPoint entryPoint(size_t function) const { return entryPoints_[function]; }
  /// "cpu" or "cuda:N".
  const std::string &device() const { return device_; }
  /// CUDA artifacts: the driver and the device's ordinal (-1 for the CPU).
  const std::shared_ptr<const cuda::Driver> &cudaDriver() const { return driver_; }
  int cudaOrdinal() const { return ordinal_; }
  /// Whether the manifest lists function FI as stream-ordered (its host
  /// code only queues GPU work: no waits, graphs allowed).
  bool streamOrdered(size_t function) const { return streamOrdered_[function]; }

private:
  Artifact() = default;
  /// Opens the driver, checks the device, points the library's hooks at
  /// the runtime and loads its kernels.
  Status openCuda();

  std::string dir_;
  Manifest manifest_;
  std::string device_ = "cpu";
  int ordinal_ = -1;
  std::shared_ptr<const cuda::Driver> driver_;
  std::unique_ptr<cuda::Context> context_; // the kernels' loading
  void (*unloadKernels_)() = nullptr; // loom_cuda_unload, once loaded
  void *handle_ = nullptr;
  std::vector<EntryPoint> entryPoints_;
  std::vector<bool> streamOrdered_; // parallel to manifest().functions
};

/// The buffers to run an artifact's functions: parameters, inputs, each
/// function's outputs and one shared arena, all allocated by create(). A
/// session is used by one thread at a time.
class Session {
public:
  static Status create(std::shared_ptr<const Artifact> artifact,
                       std::unique_ptr<Session> &out);

  const Artifact &artifact() const { return *artifact_; }
  const Manifest &manifest() const { return artifact_->manifest(); }

  Status initParams(uint64_t seed);
  Status loadWeights(const std::string &path, uint32_t flags);
  /// Parameters from another framework's checkpoint, renamed by the
  /// manifest's checkpoint map MAP ("" = the first, if any); REPORT says
  /// what was renamed, converted, ignored and missing (import.cpp).
  Status importWeights(const std::string &path, const std::string &map,
                       uint32_t flags, std::string &report);
  Status saveWeights(const std::string &path) const;
  /// Parameters and optimizer state in one safetensors file, with METADATA
  /// (a training run's step, seed, ...). Atomic, like saveWeights.
  Status saveCheckpoint(
      const std::string &path,
      const std::vector<std::pair<std::string, std::string>> &metadata) const;
  /// By name or alias.
  Status param(const std::string &name, const TensorSpec *&spec, void *&data);
  /// A state tensor's storage (optimizer state, a key/value cache); a call
  /// may move it (an update swapped in), so ask again after loom_run.
  Status state(const std::string &name, const TensorSpec *&spec, void *&data);
  /// Frees a state tensor (HOLD false) or allocates it again, zeroed (true;
  /// a no-op if held). Functions that use a released tensor, and saving a
  /// checkpoint, refuse until it is held again; loading weights skips it.
  /// Data-parallel training with ZeRO-1 keeps 1/N of the optimizer state.
  Status holdState(const std::string &name, bool hold);
  // setInput, run and output allocate nothing unless they fail.
  Status setInput(std::string_view name, loom_dtype dtype,
                  const int64_t *shape, int32_t rank, const void *data,
                  size_t nbytes);
  /// The input's own buffer, to be written in place (it counts as set):
  /// for inputs without a range check, in artifacts without shape buckets.
  Status inputData(const std::string &name, const TensorSpec *&spec, void *&data);
  Status run(std::string_view function);
  /// Threads the compiled kernels of run() use, this one included (created
  /// with LOOM_NUM_THREADS or the hardware's count).
  Status setThreads(int threads);
  int threads() const;
  Status output(std::string_view function, std::string_view name,
                const TensorSpec *&spec, const void *&data) const;
  /// The function the latest run(function) called: itself, or for a
  /// bucketed artifact the bucket's ("forward__T16"); LOOM_ERR_STATE if
  /// it has not run.
  Status ranFunction(std::string_view function, const std::string *&name) const;
  /// Null when not profiling.
  void setProfiling(bool enabled);
  Profiler *profiler() const { return profiler_.get(); }

private:
  explicit Session(std::shared_ptr<const Artifact> a);
public:
  ~Session();
private:

  struct FunctionState {
    std::vector<AlignedBuffer> outputs;
    std::vector<void *> slots; // built once; run() passes slots.data()
    bool ran = false;
  };

  std::shared_ptr<const Artifact> artifact_;
  /// A CUDA session's context, and its managed memory that every tensor
  /// but the bucket staging lives in (null on the CPU). Declared before
  /// the buffers, so that it outlives them.
  std::unique_ptr<cuda::Context> cuda_;
  std::unique_ptr<Memory> memory_;
  /// Calls function FI's entry point: on the CPU, or through cuda_.
  Status invoke(size_t fi, FunctionState &state);
  /// Moves the parameters and state to the GPU after the host wrote them.
  void prefetchParams();
  /// Points every function's slots at the current buffers (after create,
  /// and after a run swapped updated buffers in).
  void bindSlots();
  /// LOOM_ERR_INVALID_ARGUMENT naming the first value of `data` (the
  /// input's full tensor) outside `t.range`.
  static Status checkRange(const std::string &input, const InputSpec &t,
                           const int64_t *shape, int64_t numel,
                           const void *data);

  /// Shape buckets: picks the smallest bucket function of `fi` that holds
  /// every input as given, and lays the inputs out in its shapes (padded).
  Status prepareBucket(size_t fi, std::string_view function, size_t &chosen);

  std::vector<AlignedBuffer> params_, inputs_, state_;
  std::vector<bool> stateHeld_; // false: released by holdState
  /// Bucketed artifacts only: the inputs as given (dense in `given_`'s
  /// shapes); run() lays them out in the chosen bucket's shapes in inputs_.
  std::vector<AlignedBuffer> staging_;
  std::vector<std::vector<int64_t>> given_;
  /// Per function: the function its latest run called (-1: none yet).
  std::vector<int> ranAs_;
  std::vector<bool> inputSet_;
  bool paramsSet_ = false;
  std::vector<FunctionState> functions_;
  AlignedBuffer arena_;
  std::unique_ptr<ThreadPool> pool_; // null: one thread
  std::unique_ptr<Profiler> profiler_; // null: not profiling
};

} // namespace loom::rt

#endif // LOOM_RUNTIME_SESSION_H
