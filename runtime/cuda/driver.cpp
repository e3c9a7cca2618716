//===- driver.cpp - the CUDA driver, loaded at run time --------------------===//
#include "driver.h"

#include <dlfcn.h>

#include <cstdlib>

namespace loom::cuda {

namespace {

Status refuse(const std::string &why) {
  return Status::error(LOOM_ERR_LIBRARY, "no CUDA device to use: " + why);
}

} // namespace

std::string Api::describe(CUresult r) const {
  const char *name = nullptr, *text = nullptr;
  getErrorName(r, &name);
  getErrorString(r, &text);
  return std::string(name ? name : "CUDA error " + std::to_string(r)) +
         (text ? std::string(": ") + text : std::string());
}

std::string Driver::defaultPath() {
  if (const char *p = std::getenv("LOOM_CUDA_DRIVER"); p && *p)
    return p;
  return "libcuda.so.1";
}

Status Driver::open(const std::string &path, std::unique_ptr<Driver> &out) {
  std::unique_ptr<Driver> d(new Driver());
  d->path_ = path;
  d->handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!d->handle_)
    return refuse("cannot load the NVIDIA driver library '" + path + "' (" +
                  ::dlerror() + "); is the NVIDIA driver installed?");
  d->api_ = std::make_unique<Api>();
  Api &a = *d->api_;
  // The versioned names are what cuda.h's macros call (cuMemAlloc is
  // cuMemAlloc_v2 since CUDA 3.2); the stream-ordered calls are the ones of
  // the legacy default-stream build (no _ptsz).
  struct Entry {
    const char *symbol;
    void **slot;
    bool optional;
  };
#define LOOM_CUDA_ENTRY(field, symbol) {symbol, reinterpret_cast<void **>(&a.field), false}
#define LOOM_CUDA_OPTIONAL(field, symbol) {symbol, reinterpret_cast<void **>(&a.field), true}
  const Entry entries[] = {
      LOOM_CUDA_ENTRY(init, "cuInit"),
      LOOM_CUDA_ENTRY(driverGetVersion, "cuDriverGetVersion"),
      LOOM_CUDA_ENTRY(deviceGetCount, "cuDeviceGetCount"),
      LOOM_CUDA_ENTRY(deviceGet, "cuDeviceGet"),
      LOOM_CUDA_ENTRY(deviceGetName, "cuDeviceGetName"),
      LOOM_CUDA_ENTRY(deviceGetAttribute, "cuDeviceGetAttribute"),
      LOOM_CUDA_ENTRY(deviceTotalMem, "cuDeviceTotalMem_v2"),
      LOOM_CUDA_ENTRY(getErrorName, "cuGetErrorName"),
      LOOM_CUDA_ENTRY(getErrorString, "cuGetErrorString"),
      LOOM_CUDA_ENTRY(devicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
      LOOM_CUDA_ENTRY(devicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
      LOOM_CUDA_ENTRY(ctxPushCurrent, "cuCtxPushCurrent_v2"),
      LOOM_CUDA_ENTRY(ctxPopCurrent, "cuCtxPopCurrent_v2"),
      LOOM_CUDA_ENTRY(ctxSynchronize, "cuCtxSynchronize"),
      LOOM_CUDA_ENTRY(memAlloc, "cuMemAlloc_v2"),
      LOOM_CUDA_ENTRY(memAllocManaged, "cuMemAllocManaged"),
      LOOM_CUDA_ENTRY(memFree, "cuMemFree_v2"),
      LOOM_CUDA_ENTRY(memGetInfo, "cuMemGetInfo_v2"),
      LOOM_CUDA_ENTRY(memcpyAsync, "cuMemcpyAsync"),
      LOOM_CUDA_ENTRY(memsetD8Async, "cuMemsetD8Async"),
      LOOM_CUDA_ENTRY(memsetD16Async, "cuMemsetD16Async"),
      LOOM_CUDA_ENTRY(memsetD32Async, "cuMemsetD32Async"),
      LOOM_CUDA_ENTRY(moduleLoadData, "cuModuleLoadData"),
      LOOM_CUDA_ENTRY(moduleLoadDataEx, "cuModuleLoadDataEx"),
      LOOM_CUDA_ENTRY(moduleGetFunction, "cuModuleGetFunction"),
      LOOM_CUDA_ENTRY(moduleUnload, "cuModuleUnload"),
      LOOM_CUDA_ENTRY(launchKernel, "cuLaunchKernel"),
      LOOM_CUDA_ENTRY(streamCreate, "cuStreamCreate"),
      LOOM_CUDA_ENTRY(streamDestroy, "cuStreamDestroy_v2"),
      LOOM_CUDA_ENTRY(streamSynchronize, "cuStreamSynchronize"),
      LOOM_CUDA_ENTRY(streamWaitEvent, "cuStreamWaitEvent"),
      LOOM_CUDA_ENTRY(eventCreate, "cuEventCreate"),
      LOOM_CUDA_ENTRY(eventRecord, "cuEventRecord"),
      LOOM_CUDA_ENTRY(eventSynchronize, "cuEventSynchronize"),
      LOOM_CUDA_ENTRY(eventDestroy, "cuEventDestroy_v2"),
      LOOM_CUDA_OPTIONAL(streamBeginCapture, "cuStreamBeginCapture_v2"),
      LOOM_CUDA_OPTIONAL(streamEndCapture, "cuStreamEndCapture"),
      LOOM_CUDA_OPTIONAL(graphInstantiateWithFlags, "cuGraphInstantiateWithFlags"),
      LOOM_CUDA_OPTIONAL(graphLaunch, "cuGraphLaunch"),
      LOOM_CUDA_OPTIONAL(graphExecDestroy, "cuGraphExecDestroy"),
      LOOM_CUDA_OPTIONAL(graphDestroy, "cuGraphDestroy"),
      LOOM_CUDA_OPTIONAL(memPrefetchAsync, "cuMemPrefetchAsync_v2"),
  };
#undef LOOM_CUDA_ENTRY
#undef LOOM_CUDA_OPTIONAL
  for (const Entry &e : entries)
    if (!(*e.slot = ::dlsym(d->handle_, e.symbol)) && !e.optional)
      return refuse("'" + path + "' has no " + e.symbol +
                    " (not an NVIDIA driver library, or one too old)");
  if (CUresult r = a.init(0); r != kSuccess) {
    if (r == kErrorStubLibrary)
      return refuse("'" + path +
                    "' is the CUDA toolkit's stub library, not a driver (no NVIDIA "
                    "driver is installed on this machine)");
    if (r == kErrorNoDevice)
      return refuse("the NVIDIA driver reports no device (" + a.describe(r) + ")");
    if (r == kErrorInsufficientDriver)
      return refuse("the NVIDIA driver is too old (" + a.describe(r) + ")");
    return refuse("cuInit failed: " + a.describe(r));
  }
  if (CUresult r = a.driverGetVersion(&d->version_); r != kSuccess)
    return refuse("cuDriverGetVersion failed: " + a.describe(r));
  int count = 0;
  if (CUresult r = a.deviceGetCount(&count); r != kSuccess)
    return refuse("cuDeviceGetCount failed: " + a.describe(r));
  if (count <= 0)
    return refuse("the NVIDIA driver reports no device");
  for (int i = 0; i < count; ++i) {
    CUdevice dev = 0;
    Device info;
    info.ordinal = i;
    char name[256] = {0};
    size_t bytes = 0;
    CUresult r = a.deviceGet(&dev, i);
    if (r == kSuccess)
      r = a.deviceGetName(name, sizeof name - 1, dev);
    if (r == kSuccess)
      r = a.deviceGetAttribute(&info.major, kAttrMajor, dev);
    if (r == kSuccess)
      r = a.deviceGetAttribute(&info.minor, kAttrMinor, dev);
    if (r == kSuccess)
      r = a.deviceGetAttribute(&info.multiprocessors, kAttrMultiprocessors, dev);
    if (r == kSuccess)
      r = a.deviceTotalMem(&bytes, dev);
    if (r != kSuccess)
      return refuse("cannot query device " + std::to_string(i) + ": " + a.describe(r));
    info.name = name;
    info.memoryBytes = bytes;
    d->devices_.push_back(std::move(info));
  }
  out = std::move(d);
  return Status::ok();
}

Driver::~Driver() {
  // The driver stays loaded: unloading libcuda while its threads run is
  // not supported.
}

} // namespace loom::cuda
