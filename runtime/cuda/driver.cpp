//===- driver.cpp - the CUDA driver, loaded at run time --------------------===//
#include "driver.h"

#include <dlfcn.h>

#include <cstdlib>

namespace loom::cuda {

namespace {

// The few driver-API types loom needs, as cuda.h declares them (ABI-stable:
// the driver keeps them for every version), so building needs no toolkit.
using CUresult = int;
using CUdevice = int;
constexpr CUresult kSuccess = 0;
constexpr CUresult kStubLibrary = 34;    // CUDA_ERROR_STUB_LIBRARY
constexpr CUresult kNoDevice = 100;      // CUDA_ERROR_NO_DEVICE
constexpr CUresult kInsufficientDriver = 35; // CUDA_ERROR_INSUFFICIENT_DRIVER
constexpr int kAttrMultiprocessors = 16; // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
constexpr int kAttrMajor = 75;           // ..._COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrMinor = 76;           // ..._COMPUTE_CAPABILITY_MINOR

Status refuse(const std::string &why) {
  return Status::error(LOOM_ERR_LIBRARY, "no CUDA device to use: " + why);
}

} // namespace

struct Driver::Api {
  CUresult (*init)(unsigned);
  CUresult (*driverGetVersion)(int *);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*deviceTotalMem)(size_t *, CUdevice);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*getErrorString)(CUresult, const char **);

  std::string describe(CUresult r) const {
    const char *name = nullptr, *text = nullptr;
    getErrorName(r, &name);
    getErrorString(r, &text);
    return std::string(name ? name : "CUDA error " + std::to_string(r)) +
           (text ? std::string(": ") + text : std::string());
  }
};

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
  // The versioned names are what cuda.h's macros call (cuDeviceTotalMem is
  // cuDeviceTotalMem_v2 since CUDA 3.2).
  struct Entry {
    const char *symbol;
    void **slot;
  } entries[] = {
      {"cuInit", reinterpret_cast<void **>(&a.init)},
      {"cuDriverGetVersion", reinterpret_cast<void **>(&a.driverGetVersion)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&a.deviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void **>(&a.deviceGet)},
      {"cuDeviceGetName", reinterpret_cast<void **>(&a.deviceGetName)},
      {"cuDeviceGetAttribute", reinterpret_cast<void **>(&a.deviceGetAttribute)},
      {"cuDeviceTotalMem_v2", reinterpret_cast<void **>(&a.deviceTotalMem)},
      {"cuGetErrorName", reinterpret_cast<void **>(&a.getErrorName)},
      {"cuGetErrorString", reinterpret_cast<void **>(&a.getErrorString)},
  };
  for (const Entry &e : entries)
    if (!(*e.slot = ::dlsym(d->handle_, e.symbol)))
      return refuse("'" + path + "' has no " + e.symbol +
                    " (not an NVIDIA driver library, or one too old)");
  if (CUresult r = a.init(0); r != kSuccess) {
    if (r == kStubLibrary)
      return refuse("'" + path +
                    "' is the CUDA toolkit's stub library, not a driver (no NVIDIA "
                    "driver is installed on this machine)");
    if (r == kNoDevice)
      return refuse("the NVIDIA driver reports no device (" + a.describe(r) + ")");
    if (r == kInsufficientDriver)
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
