//===- context.cpp - one device's context, stream, memory and errors -------===//
#include "context.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace loom::cuda {

namespace {

thread_local Context *currentContext = nullptr;

constexpr CUresult kErrorInvalidValue = 1; // CUDA_ERROR_INVALID_VALUE

/// The size class of an N-byte block: at least 512 bytes, then four classes
/// per power of two (at most 25% unused); 0 when N is absurd.
uint64_t sizeClass(uint64_t n) {
  if (n <= 512)
    return 512;
  if (n > (uint64_t(1) << 62))
    return 0;
  uint64_t step = (uint64_t(1) << (63 - __builtin_clzll(n))) / 4;
  return (n + step - 1) / step * step;
}

} // namespace

Context::Scope::Scope(Context &context, bool entry)
    : context_(context), previous_(currentContext), entry_(entry) {
  CUresult r = context.api().ctxPushCurrent(context.context_);
  pushed_ = r == kSuccess;
  if (!pushed_)
    context.fail("cuCtxPushCurrent", r);
  currentContext = &context;
  if (entry)
    ++context.entry_;
}

Context::Scope::~Scope() {
  if (entry_)
    --context_.entry_;
  currentContext = previous_;
  if (pushed_) {
    CUcontext popped = nullptr;
    context_.api().ctxPopCurrent(&popped);
  }
}

Context *Context::current() { return currentContext; }

Status Context::create(std::shared_ptr<const Driver> driver, int ordinal,
                       std::unique_ptr<Context> &out) {
  std::unique_ptr<Context> c(new Context());
  c->driver_ = std::move(driver);
  c->ordinal_ = ordinal;
  const Api &a = c->api();
  std::string which = c->name() + " (" + c->device().name + ")";
  auto refuse = [&](const char *call, CUresult r) {
    return Status::error(LOOM_ERR_LIBRARY,
                         "cannot use " + which + ": " + call + " failed: " + a.describe(r));
  };
  int managed = 0;
  if (CUresult r = a.deviceGet(&c->handle_, ordinal); r != kSuccess)
    return refuse("cuDeviceGet", r);
  if (CUresult r = a.deviceGetAttribute(&managed, kAttrManagedMemory, c->handle_); r != kSuccess)
    return refuse("cuDeviceGetAttribute", r);
  if (!managed)
    return Status::error(LOOM_ERR_LIBRARY, which +
                                               " cannot allocate managed memory, which loom's CUDA "
                                               "sessions keep their tensors in");
  CUcontext primary = nullptr;
  if (CUresult r = a.devicePrimaryCtxRetain(&primary, c->handle_); r != kSuccess)
    return refuse("cuDevicePrimaryCtxRetain", r);
  c->context_ = primary; // from here on the destructor releases it
  {
    Scope scope(*c);
    if (!c->failed())
      if (CUresult r = a.streamCreate(&c->stream_, kStreamNonBlocking); r != kSuccess)
        c->fail("cuStreamCreate", r);
  }
  if (c->failed())
    return c->takeError("cannot use " + which);
  const char *graphs = std::getenv("LOOM_CUDA_GRAPHS");
  c->graphs_ = a.hasGraphs() && !(graphs && std::strcmp(graphs, "0") == 0);
  out = std::move(c);
  return Status::ok();
}

Context::~Context() {
  if (!context_)
    return;
  const Api &a = api();
  {
    Scope scope(*this);
    if (stream_)
      a.streamSynchronize(stream_);
    dropGraphs();
    releaseCache();
    // Blocks the library never freed, and tensors still allocated (a
    // session frees its tensors before its context).
    for (const auto &[p, block] : live_)
      a.memFree(reinterpret_cast<CUdeviceptr>(p));
    for (const auto &[p, size] : managed_)
      a.memFree(reinterpret_cast<CUdeviceptr>(p));
    if (stream_)
      a.streamDestroy(stream_);
  }
  a.devicePrimaryCtxRelease(handle_);
}

void Context::fail(const std::string &call, CUresult r, const std::string &note) {
  if (!error_.empty())
    return;
  errorCode_ = r;
  error_ = call + " failed: " + api().describe(r) + (note.empty() ? "" : " (" + note + ")");
}

Status Context::takeError(const std::string &what) {
  if (error_.empty())
    return Status::ok();
  Status s =
      Status::error(errorCode_ == kErrorOutOfMemory ? LOOM_ERR_OUT_OF_MEMORY : LOOM_ERR_LIBRARY,
                    what + ": " + error_);
  error_.clear();
  errorCode_ = kSuccess;
  return s;
}

Status Context::callHost(void (*fn)(), const std::string &what) {
  error_.clear();
  {
    Scope scope(*this);
    if (!failed())
      fn();
    if (!failed())
      if (CUresult r = api().streamSynchronize(stream_); r != kSuccess)
        fail("cuStreamSynchronize", r);
  }
  return takeError(what);
}

Status Context::call(size_t key, const std::string &name, void (*entry)(void **),
                     std::vector<void *> &slots, bool streamOrdered) {
  if (functions_.size() <= key)
    functions_.resize(key + 1);
  FunctionGraphs &g = functions_[key];
  error_.clear();
  {
    Scope scope(*this, /*entry=*/streamOrdered);
    if (!failed()) {
      const Graph *graph = nullptr;
      if (streamOrdered && graphs_ && g.calls > 0 && !g.off) {
        for (const Graph &known : g.graphs)
          if (known.slots == slots)
            graph = &known;
        if (!graph)
          graph = capture(g, entry, slots);
      }
      if (graph) {
        if (CUresult r = api().graphLaunch(graph->exec, stream_); r != kSuccess)
          fail("cuGraphLaunch", r);
      } else {
        entry(slots.data());
      }
      ++g.calls;
    }
    // The call's last wait (a stream-ordered call's only one).
    if (CUresult r = api().streamSynchronize(stream_); r != kSuccess)
      fail("cuStreamSynchronize", r);
  }
  return takeError("cannot run '" + name + "' on " + this->name());
}

const Context::Graph *Context::capture(FunctionGraphs &g, void (*entry)(void **),
                                       std::vector<void *> &slots) {
  const Api &a = api();
  if (a.streamBeginCapture(stream_, kCaptureModeRelaxed) != kSuccess) {
    g.off = true;
    return nullptr;
  }
  capturing_ = true;
  captureBroken_ = false;
  entry(slots.data());
  capturing_ = false;
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  bool ok = a.streamEndCapture(stream_, &graph) == kSuccess && graph && !failed() &&
            !captureBroken_ && a.graphInstantiateWithFlags(&exec, graph, 0) == kSuccess && exec;
  if (graph)
    a.graphDestroy(graph);
  if (!ok) {
    // Nothing ran: the call runs again without a graph, where an error
    // that was not the capture's shows up again.
    g.off = true;
    error_.clear();
    errorCode_ = kSuccess;
    return nullptr;
  }
  if (g.graphs.size() == kGraphsPerFunction) {
    a.graphExecDestroy(g.graphs.front().exec);
    g.graphs.erase(g.graphs.begin());
  }
  g.graphs.push_back({slots, exec});
  return &g.graphs.back();
}

void Context::dropGraphs() {
  for (FunctionGraphs &g : functions_) {
    for (const Graph &graph : g.graphs)
      api().graphExecDestroy(graph.exec);
    g.graphs.clear();
  }
}

CUfunction Context::function(CUmodule module, const char *name) {
  auto &byName = kernels_[module];
  if (auto it = byName.find(std::string_view(name)); it != byName.end())
    return it->second;
  CUfunction f = nullptr;
  if (CUresult r = api().moduleGetFunction(&f, module, name); r != kSuccess) {
    fail(std::string("cuModuleGetFunction of kernel '") + name + "'", r);
    return nullptr;
  }
  byName.emplace(name, f);
  kernelNames_.emplace(f, name);
  return f;
}

void Context::forget(CUmodule module) {
  auto it = kernels_.find(module);
  if (it == kernels_.end())
    return;
  for (const auto &[name, f] : it->second)
    kernelNames_.erase(f);
  kernels_.erase(it);
}

const char *Context::kernelName(CUfunction f) const {
  auto it = kernelNames_.find(f);
  return it == kernelNames_.end() ? "?" : it->second.c_str();
}

void *Context::allocate(uint64_t size, bool hostShared) {
  uint64_t cls = sizeClass(size);
  const char *call = hostShared ? "cuMemAllocManaged" : "cuMemAlloc";
  if (cls == 0) {
    fail(call, kErrorOutOfMemory, std::to_string(size) + " bytes");
    return nullptr;
  }
  void *p = nullptr;
  if (auto it = cache_.find({hostShared, cls}); it != cache_.end()) {
    p = it->second;
    cache_.erase(it);
  } else {
    CUdeviceptr d = 0;
    auto once = [&] {
      return hostShared ? api().memAllocManaged(&d, cls, kMemAttachGlobal)
                        : api().memAlloc(&d, cls);
    };
    CUresult r = once();
    if (r == kErrorOutOfMemory && !cache_.empty()) {
      releaseCache();
      r = once();
    }
    if (r != kSuccess) {
      fail(call, r, std::to_string(size) + " bytes");
      return nullptr;
    }
    p = reinterpret_cast<void *>(d);
  }
  live_.emplace(p, Block{cls, hostShared});
  return p;
}

void Context::free(void *p) {
  if (!p)
    return;
  auto it = live_.find(p);
  if (it == live_.end()) {
    fail("mgpuMemFree", kErrorInvalidValue, "a pointer mgpuMemAlloc did not return");
    return;
  }
  // Reused in stream order: work queued on the block runs before any
  // later use of it.
  cache_.emplace(std::make_pair(it->second.hostShared, it->second.size), p);
  live_.erase(it);
}

void Context::releaseCache() {
  if (cache_.empty())
    return;
  // Graphs may use the cached blocks; work queued on them must finish
  // (nothing has run yet during a capture, which then fails).
  dropGraphs();
  if (capturing_)
    captureBroken_ = true;
  else
    api().ctxSynchronize();
  for (const auto &[key, p] : cache_)
    api().memFree(reinterpret_cast<CUdeviceptr>(p));
  cache_.clear();
}

Status Context::allocateManaged(uint64_t size, const std::string &what, void *&out) {
  out = nullptr;
  error_.clear();
  Scope scope(*this);
  if (failed())
    return takeError("cannot allocate " + what + " on " + name());
  const Api &a = api();
  uint64_t bytes = std::max<uint64_t>(size, 1);
  CUdeviceptr d = 0;
  const char *call = "cuMemAllocManaged";
  CUresult r = a.memAllocManaged(&d, bytes, kMemAttachGlobal);
  if (r == kErrorOutOfMemory && !cache_.empty()) {
    releaseCache();
    r = a.memAllocManaged(&d, bytes, kMemAttachGlobal);
  }
  // Managed memory comes uninitialized; zeroed on the device, where the
  // kernels will use it.
  if (r == kSuccess && (r = a.memsetD8Async(d, 0, bytes, stream_)) != kSuccess)
    call = "cuMemsetD8Async";
  if (r == kSuccess && (r = a.streamSynchronize(stream_)) != kSuccess)
    call = "cuStreamSynchronize";
  if (r != kSuccess) {
    if (d)
      a.memFree(d);
    return Status::error(r == kErrorOutOfMemory ? LOOM_ERR_OUT_OF_MEMORY : LOOM_ERR_LIBRARY,
                         "cannot allocate " + std::to_string(size) + " bytes for " + what +
                             " in CUDA managed memory on " + name() + ": " + call +
                             " failed: " + a.describe(r));
  }
  out = reinterpret_cast<void *>(d);
  managed_.emplace(out, bytes);
  return Status::ok();
}

void Context::freeManaged(void *p) {
  auto it = managed_.find(p);
  if (it == managed_.end())
    return;
  Scope scope(*this);
  api().memFree(reinterpret_cast<CUdeviceptr>(p));
  managed_.erase(it);
}

void Context::prefetch(const std::vector<std::pair<const void *, uint64_t>> &blocks) {
  if (!api().memPrefetchAsync || blocks.empty())
    return;
  Scope scope(*this);
  CUmemLocation device{kMemLocationDevice, ordinal_};
  // A hint: a failure only costs the page faults it would have saved.
  for (const auto &[p, size] : blocks)
    if (p && size > 0)
      api().memPrefetchAsync(reinterpret_cast<CUdeviceptr>(p), size, device, 0, stream_);
  api().streamSynchronize(stream_);
}

} // namespace loom::cuda
