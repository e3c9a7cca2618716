//===- hooks.cpp - the runtime functions a CUDA artifact's library calls ---===//
//
// The signatures are MLIR 22's GPU runtime wrappers' (pointers are CUmodule,
// CUfunction, CUstream, CUevent); the behaviour is loom's:
//  - one stream per context: mgpuStreamCreate returns it, and destroying
//    it is a no-op; syncing it waits, except inside a stream-ordered entry
//    point (call() waits once after it returns);
//  - a null stream means the context's (the legacy default stream would
//    escape both that wait and graph capture);
//  - mgpuSetDefaultDevice is ignored: the runtime picked the device;
//  - after an error nothing more is queued (launches, copies, memsets).
//
//===----------------------------------------------------------------------===//
#include "hooks.h"
#include "context.h"

#include <cstdint>
#include <cstdio>
#include <mutex>

namespace loom::cuda {

namespace {

constexpr CUresult kErrorInvalidValue = 1; // CUDA_ERROR_INVALID_VALUE

/// The calling thread's context. A hook called outside the runtime's calls
/// into the library (from a thread of the library's own) has none: it
/// does nothing, and says so once.
Context *contextFor(const char *hook) {
  Context *c = Context::current();
  if (!c) {
    static std::once_flag once;
    std::call_once(once, [hook] {
      std::fprintf(stderr,
                   "loom: warning: the CUDA library called %s outside a call of the "
                   "runtime; ignored\n",
                   hook);
    });
  }
  return c;
}

/// Context C's stream when S is null.
CUstream streamOf(Context &c, void *s) { return s ? static_cast<CUstream>(s) : c.stream(); }

CUdeviceptr devicePointer(const void *p) { return reinterpret_cast<CUdeviceptr>(p); }

void *moduleLoad(void *data, int64_t size) {
  (void)size; // a cubin or fatbin carries its own size
  Context *c = contextFor("mgpuModuleLoad");
  if (!c || c->failed())
    return nullptr;
  CUmodule module = nullptr;
  if (CUresult r = c->api().moduleLoadData(&module, data); r != kSuccess) {
    c->fail("cuModuleLoadData", r);
    return nullptr;
  }
  return module;
}

void *moduleLoadJIT(void *data, int32_t optLevel) {
  Context *c = contextFor("mgpuModuleLoadJIT");
  if (!c || c->failed())
    return nullptr;
  char log[4096] = {};
  CUjit_option options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes, kJitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(static_cast<uintptr_t>(sizeof log - 1)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUmodule module = nullptr;
  if (CUresult r = c->api().moduleLoadDataEx(&module, data, 3, options, values); r != kSuccess) {
    std::string text(log);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    c->fail("cuModuleLoadDataEx (PTX JIT)", r, text.empty() ? "" : "JIT log: " + text);
    return nullptr;
  }
  return module;
}

void moduleUnload(void *module) {
  Context *c = contextFor("mgpuModuleUnload");
  if (!c || !module) // null: its load failed, and said so
    return;
  c->forget(static_cast<CUmodule>(module));
  if (CUresult r = c->api().moduleUnload(static_cast<CUmodule>(module)); r != kSuccess)
    c->fail("cuModuleUnload", r);
}

void *moduleGetFunction(void *module, const char *name) {
  Context *c = contextFor("mgpuModuleGetFunction");
  if (!c || !module)
    return nullptr;
  return c->function(static_cast<CUmodule>(module), name);
}

void launchKernel(void *function, int64_t gridX, int64_t gridY, int64_t gridZ, int64_t blockX,
                  int64_t blockY, int64_t blockZ, int32_t smem, void *stream, void **params,
                  void **extra, int64_t paramsCount) {
  (void)paramsCount; // the kernel knows its parameters
  Context *c = contextFor("mgpuLaunchKernel");
  if (!c || c->failed())
    return;
  auto f = static_cast<CUfunction>(function);
  auto what = [&] { return std::string("cuLaunchKernel of kernel '") + c->kernelName(f) + "'"; };
  if (!f) {
    c->fail("cuLaunchKernel", kErrorInvalidValue, "a null kernel");
    return;
  }
  for (int64_t d : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (d < 1 || d > INT32_MAX) {
      c->fail(what(), kErrorInvalidValue,
              "grid " + std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
                  std::to_string(gridZ) + ", block " + std::to_string(blockX) + "x" +
                  std::to_string(blockY) + "x" + std::to_string(blockZ));
      return;
    }
  CUresult r = c->api().launchKernel(
      f, static_cast<unsigned>(gridX), static_cast<unsigned>(gridY), static_cast<unsigned>(gridZ),
      static_cast<unsigned>(blockX), static_cast<unsigned>(blockY), static_cast<unsigned>(blockZ),
      static_cast<unsigned>(smem), streamOf(*c, stream), params, extra);
  if (r != kSuccess)
    c->fail(what(), r);
}

void *streamCreate() {
  Context *c = contextFor("mgpuStreamCreate");
  return c ? c->stream() : nullptr;
}

void streamDestroy(void *stream) {
  Context *c = contextFor("mgpuStreamDestroy");
  if (!c || !stream || stream == c->stream())
    return;
  if (CUresult r = c->api().streamDestroy(static_cast<CUstream>(stream)); r != kSuccess)
    c->fail("cuStreamDestroy", r);
}

void streamSynchronize(void *stream) {
  Context *c = contextFor("mgpuStreamSynchronize");
  CUstream s = c ? streamOf(*c, stream) : nullptr;
  if (!c || c->failed() || (s == c->stream() && c->inEntry()))
    return;
  if (CUresult r = c->api().streamSynchronize(s); r != kSuccess)
    c->fail("cuStreamSynchronize", r);
}

void streamWaitEvent(void *stream, void *event) {
  Context *c = contextFor("mgpuStreamWaitEvent");
  if (!c || c->failed())
    return;
  if (CUresult r = c->api().streamWaitEvent(streamOf(*c, stream), static_cast<CUevent>(event), 0);
      r != kSuccess)
    c->fail("cuStreamWaitEvent", r);
}

void *eventCreate() {
  Context *c = contextFor("mgpuEventCreate");
  if (!c || c->failed())
    return nullptr;
  CUevent event = nullptr;
  if (CUresult r = c->api().eventCreate(&event, kEventDisableTiming); r != kSuccess) {
    c->fail("cuEventCreate", r);
    return nullptr;
  }
  return event;
}

void eventDestroy(void *event) {
  Context *c = contextFor("mgpuEventDestroy");
  if (!c || !event)
    return;
  if (CUresult r = c->api().eventDestroy(static_cast<CUevent>(event)); r != kSuccess)
    c->fail("cuEventDestroy", r);
}

void eventSynchronize(void *event) {
  Context *c = contextFor("mgpuEventSynchronize");
  if (!c || c->failed())
    return;
  if (CUresult r = c->api().eventSynchronize(static_cast<CUevent>(event)); r != kSuccess)
    c->fail("cuEventSynchronize", r);
}

void eventRecord(void *event, void *stream) {
  Context *c = contextFor("mgpuEventRecord");
  if (!c || c->failed())
    return;
  if (CUresult r = c->api().eventRecord(static_cast<CUevent>(event), streamOf(*c, stream));
      r != kSuccess)
    c->fail("cuEventRecord", r);
}

void *memAlloc(uint64_t bytes, void *stream, bool isHostShared) {
  (void)stream; // one stream: the cache reuses blocks in its order
  Context *c = contextFor("mgpuMemAlloc");
  if (!c || c->failed())
    return nullptr;
  return c->allocate(bytes, isHostShared);
}

void memFree(void *ptr, void *stream) {
  (void)stream;
  if (Context *c = contextFor("mgpuMemFree"))
    c->free(ptr);
}

void memCopy(void *dst, void *src, size_t bytes, void *stream) {
  Context *c = contextFor("mgpuMemcpy");
  if (!c || c->failed() || bytes == 0)
    return;
  // Unified addressing: the driver tells host from device pointers.
  if (CUresult r =
          c->api().memcpyAsync(devicePointer(dst), devicePointer(src), bytes, streamOf(*c, stream));
      r != kSuccess)
    c->fail("cuMemcpyAsync", r, std::to_string(bytes) + " bytes");
}

void memSet32(void *dst, uint32_t value, size_t count, void *stream) {
  Context *c = contextFor("mgpuMemset32");
  if (!c || c->failed() || count == 0)
    return;
  if (CUresult r = c->api().memsetD32Async(devicePointer(dst), value, count, streamOf(*c, stream));
      r != kSuccess)
    c->fail("cuMemsetD32Async", r);
}

void memSet16(void *dst, uint16_t value, size_t count, void *stream) {
  Context *c = contextFor("mgpuMemset16");
  if (!c || c->failed() || count == 0)
    return;
  if (CUresult r = c->api().memsetD16Async(devicePointer(dst), value, count, streamOf(*c, stream));
      r != kSuccess)
    c->fail("cuMemsetD16Async", r);
}

void setDefaultDevice(int32_t device) {
  (void)device; // the session's device is the runtime's choice
}

struct Hook {
  const char *name;
  void *function;
};

template <typename F> void *erase(F *f) { return reinterpret_cast<void *>(f); }

const Hook kHooks[] = {
    {"mgpuModuleLoad", erase(&moduleLoad)},
    {"mgpuModuleLoadJIT", erase(&moduleLoadJIT)},
    {"mgpuModuleUnload", erase(&moduleUnload)},
    {"mgpuModuleGetFunction", erase(&moduleGetFunction)},
    {"mgpuLaunchKernel", erase(&launchKernel)},
    {"mgpuStreamCreate", erase(&streamCreate)},
    {"mgpuStreamDestroy", erase(&streamDestroy)},
    {"mgpuStreamSynchronize", erase(&streamSynchronize)},
    {"mgpuStreamWaitEvent", erase(&streamWaitEvent)},
    {"mgpuEventCreate", erase(&eventCreate)},
    {"mgpuEventDestroy", erase(&eventDestroy)},
    {"mgpuEventSynchronize", erase(&eventSynchronize)},
    {"mgpuEventRecord", erase(&eventRecord)},
    {"mgpuMemAlloc", erase(&memAlloc)},
    {"mgpuMemFree", erase(&memFree)},
    {"mgpuMemcpy", erase(&memCopy)},
    {"mgpuMemset32", erase(&memSet32)},
    {"mgpuMemset16", erase(&memSet16)},
    {"mgpuSetDefaultDevice", erase(&setDefaultDevice)},
};

} // namespace

void *hookFunction(std::string_view name) {
  for (const Hook &h : kHooks)
    if (name == h.name)
      return h.function;
  return nullptr;
}

std::string hookNames() {
  std::string names;
  for (const Hook &h : kHooks)
    names += (names.empty() ? "" : ", ") + std::string(h.name);
  return names;
}

} // namespace loom::cuda
