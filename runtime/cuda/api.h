//===- api.h - the driver-API entry points loom calls ----------------------===//
//
// The types, constants and functions of the NVIDIA driver API (cuda.h) that
// loom uses, declared by hand: the driver is dlopened (driver.h), and
// building needs no CUDA toolkit. The driver keeps these ABI-stable across
// versions; where cuda.h maps a name to a versioned symbol (cuMemAlloc ->
// cuMemAlloc_v2), the table is filled from the versioned one (driver.cpp).
// Values are cuda.h's (CUDA 13.0).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CUDA_API_H
#define LOOM_CUDA_API_H

#include <cstddef>
#include <string>

namespace loom::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using CUjit_option = int;

/// CUmemLocation, passed by value to cuMemPrefetchAsync_v2.
struct CUmemLocation {
  int type; // CU_MEM_LOCATION_TYPE_DEVICE: id is a device ordinal
  int id;
};

// CUresult
constexpr CUresult kSuccess = 0;
constexpr CUresult kErrorOutOfMemory = 2;         // CUDA_ERROR_OUT_OF_MEMORY
constexpr CUresult kErrorStubLibrary = 34;        // CUDA_ERROR_STUB_LIBRARY
constexpr CUresult kErrorInsufficientDriver = 35; // CUDA_ERROR_INSUFFICIENT_DRIVER
constexpr CUresult kErrorNoDevice = 100;          // CUDA_ERROR_NO_DEVICE
// Device attributes
constexpr int kAttrMultiprocessors = 16;         // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
constexpr int kAttrMajor = 75;                   // ..._COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrMinor = 76;                   // ..._COMPUTE_CAPABILITY_MINOR
constexpr int kAttrManagedMemory = 83;           // CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY
constexpr int kAttrConcurrentManagedAccess = 89; // ..._CONCURRENT_MANAGED_ACCESS
// Flags and options
constexpr unsigned kMemAttachGlobal = 1;                // CU_MEM_ATTACH_GLOBAL
constexpr unsigned kStreamNonBlocking = 1;              // CU_STREAM_NON_BLOCKING
constexpr unsigned kEventDisableTiming = 2;             // CU_EVENT_DISABLE_TIMING
constexpr int kCaptureModeRelaxed = 2;                  // CU_STREAM_CAPTURE_MODE_RELAXED
constexpr int kMemLocationDevice = 1;                   // CU_MEM_LOCATION_TYPE_DEVICE
constexpr CUjit_option kJitErrorLogBuffer = 5;          // CU_JIT_ERROR_LOG_BUFFER
constexpr CUjit_option kJitErrorLogBufferSizeBytes = 6; // ..._SIZE_BYTES
constexpr CUjit_option kJitOptimizationLevel = 7;       // CU_JIT_OPTIMIZATION_LEVEL

/// The entry points, filled by Driver::open. The optional ones (a newer
/// driver's) are null when the driver lacks them; everything else is there.
struct Api {
  // Devices (Driver::open).
  CUresult (*init)(unsigned);
  CUresult (*driverGetVersion)(int *);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*deviceTotalMem)(size_t *, CUdevice);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*getErrorString)(CUresult, const char **);
  // Contexts: a device's primary context, made current around every call.
  CUresult (*devicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*devicePrimaryCtxRelease)(CUdevice);
  CUresult (*ctxPushCurrent)(CUcontext);
  CUresult (*ctxPopCurrent)(CUcontext *);
  CUresult (*ctxSynchronize)();
  // Memory.
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memGetInfo)(size_t *, size_t *);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*memsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  // Modules and launches.
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, CUjit_option *, void **);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, CUstream, void **, void **);
  // Streams and events.
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventDestroy)(CUevent);
  // Optional: CUDA graphs (a session replays a function's launches), and
  // prefetching managed memory to the device (CUDA 12.2's signature).
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*graphExecDestroy)(CUgraphExec);
  CUresult (*graphDestroy)(CUgraph);
  CUresult (*memPrefetchAsync)(CUdeviceptr, size_t, CUmemLocation, unsigned, CUstream);

  bool hasGraphs() const {
    return streamBeginCapture && streamEndCapture && graphInstantiateWithFlags && graphLaunch &&
           graphExecDestroy && graphDestroy;
  }
  /// "CUDA_ERROR_INVALID_IMAGE: device kernel image is invalid".
  std::string describe(CUresult r) const;
};

} // namespace loom::cuda

#endif // LOOM_CUDA_API_H
