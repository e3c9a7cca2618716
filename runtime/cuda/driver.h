//===- driver.h - the CUDA driver, loaded at run time ----------------------===//
//
// The first layer of the CUDA backend (issue 16): the NVIDIA driver API
// (libcuda.so.1) opened with dlopen, so one `loom` binary runs on machines
// with and without a GPU and the build needs no CUDA headers. open() says
// plainly why there is no GPU to use: no driver library, the toolkit's stub
// library instead of a driver, a driver too old for an entry point, no
// device. The table (api.h) also holds what context.h needs to load
// kernels, launch them, and manage memory and graphs.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CUDA_DRIVER_H
#define LOOM_CUDA_DRIVER_H

#include "api.h"

#include "loom/formats/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom::cuda {

using rt::Status;

struct Device {
  int ordinal = 0;
  std::string name;       // "NVIDIA H200"
  int major = 0, minor = 0; // compute capability: sm_<major><minor>
  int multiprocessors = 0;
  uint64_t memoryBytes = 0;
};

class Driver {
public:
  /// The library: LOOM_CUDA_DRIVER if set, else libcuda.so.1.
  static std::string defaultPath();
  /// Loads PATH, resolves the entry points loom uses, initializes the
  /// driver and lists its devices. LOOM_ERR_LIBRARY, with the reason, when
  /// any of that fails or there is no device.
  static Status open(const std::string &path, std::unique_ptr<Driver> &out);

  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  const std::string &path() const { return path_; }
  /// cuDriverGetVersion: 1000 * major + 10 * minor (13000 for CUDA 13.0).
  int version() const { return version_; }
  const std::vector<Device> &devices() const { return devices_; }
  const Api &api() const { return *api_; }

private:
  Driver() = default;
  std::string path_;
  void *handle_ = nullptr;
  std::unique_ptr<Api> api_;
  int version_ = 0;
  std::vector<Device> devices_;
};

} // namespace loom::cuda

#endif // LOOM_CUDA_DRIVER_H
