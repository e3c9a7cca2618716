//===- devices.cpp - `loom devices`: what this machine can run on ----------===//
//
// The CPU (model, hardware threads, the vector extensions the kernels use)
// and the CUDA devices the driver reports, or why there are none (no
// driver, the toolkit's stub, no device). --require-cuda makes "none" an
// error, for scripts (scripts/gpu-check) that need a GPU.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "driver.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace loom::cli;

const char *loom::cli::kDevicesUsage =
    "usage: loom devices [--require-cuda]\n"
    "\n"
    "Lists the CPU and the CUDA devices of this machine. The CUDA driver is\n"
    "loaded at run time (libcuda.so.1, or the file LOOM_CUDA_DRIVER names);\n"
    "without one, the line says why.\n"
    "  --require-cuda   exit 1 when there is no CUDA device\n";

namespace {

/// "model name" and the AVX-512/AMX flags of /proc/cpuinfo's first CPU.
void describeCpu(std::string &model, std::string &features) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (model.empty() && line.rfind("model name", 0) == 0)
      model = line.substr(line.find(':') + 2);
    if (features.empty() && line.rfind("flags", 0) == 0) {
      for (const char *f : {"avx2", "fma", "avx512f", "avx512_bf16", "amx_tile"})
        if ((" " + line + " ").find(std::string(" ") + f + " ") != std::string::npos)
          features += std::string(features.empty() ? "" : " ") + f;
    }
  }
}

} // namespace

int loom::cli::commandDevices(int argc, char **argv) {
  bool require = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kDevicesUsage, stdout);
      return 0;
    }
    if (a == "--require-cuda")
      require = true;
    else
      failWith("unknown option '" + a + "' (loom devices --help)");
  }
  std::string model, features;
  describeCpu(model, features);
  long threads = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("cpu: %s, %ld hardware threads%s%s\n", model.empty() ? "unknown" : model.c_str(),
              threads, features.empty() ? "" : ", ", features.c_str());
  std::unique_ptr<loom::cuda::Driver> driver;
  loom::rt::Status s = loom::cuda::Driver::open(loom::cuda::Driver::defaultPath(), driver);
  if (!s.isOk()) {
    std::printf("cuda: none (%s)\n", s.message().c_str());
    if (require)
      failWith(s.message());
    return 0;
  }
  int v = driver->version();
  for (const loom::cuda::Device &d : driver->devices())
    std::printf("cuda:%d: %s, sm_%d%d, %d multiprocessors, %.1f GiB (driver API %d.%d)\n",
                d.ordinal, d.name.c_str(), d.major, d.minor, d.multiprocessors,
                double(d.memoryBytes) / double(1ull << 30), v / 1000, (v % 1000) / 10);
  return 0;
}
