//===- CudaDriverTest.cpp - the CUDA driver layer without a GPU -------------===//
//
// runtime/cuda/driver.h against a stand-in driver (test/unit/fake_cuda) and,
// where the toolkit is installed, its stub libcuda.so: every way of having
// no GPU is refused with its reason, and a device is listed as the driver
// describes it. `loom devices` prints the same.
//
//===----------------------------------------------------------------------===//
#include "driver.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using loom::cuda::Driver;

namespace {

std::string refusal(const std::string &path) {
  std::unique_ptr<Driver> d;
  loom::rt::Status s = Driver::open(path, d);
  EXPECT_FALSE(s.isOk());
  EXPECT_FALSE(d);
  EXPECT_EQ(s.code(), LOOM_ERR_LIBRARY);
  EXPECT_EQ(s.message().rfind("no CUDA device to use: ", 0), 0u) << s.message();
  return s.message();
}

struct FakeMode {
  explicit FakeMode(const char *mode) {
    if (mode)
      ::setenv("FAKE_CUDA", mode, 1);
    else
      ::unsetenv("FAKE_CUDA");
  }
  ~FakeMode() { ::unsetenv("FAKE_CUDA"); }
};

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

} // namespace

TEST(CudaDriver, RefusesWithoutALibrary) {
  std::string m = refusal("/nonexistent/libcuda.so.1");
  EXPECT_TRUE(contains(m, "cannot load the NVIDIA driver library '/nonexistent/libcuda.so.1'"))
      << m;
  EXPECT_TRUE(contains(m, "is the NVIDIA driver installed?")) << m;
}

TEST(CudaDriver, RefusesALibraryThatIsNotADriver) {
  std::string m = refusal(LOOM_TEST_FIXTURE_LIBRARY);
  EXPECT_TRUE(contains(m, "has no cuInit (not an NVIDIA driver library, or one too old)")) << m;
}

TEST(CudaDriver, RefusesTheStubNoDeviceAndZeroDevices) {
  {
    FakeMode mode("stub");
    EXPECT_TRUE(contains(refusal(LOOM_TEST_FAKE_CUDA),
                         "is the CUDA toolkit's stub library, not a driver"));
  }
  {
    FakeMode mode("nodev");
    EXPECT_TRUE(contains(refusal(LOOM_TEST_FAKE_CUDA),
                         "the NVIDIA driver reports no device (CUDA_ERROR_NO_DEVICE: no "
                         "CUDA-capable device is detected)"));
  }
  {
    FakeMode mode("zero");
    EXPECT_TRUE(contains(refusal(LOOM_TEST_FAKE_CUDA), "the NVIDIA driver reports no device"));
  }
}

TEST(CudaDriver, ListsTheDevices) {
  FakeMode mode(nullptr);
  std::unique_ptr<Driver> d;
  loom::rt::Status s = Driver::open(LOOM_TEST_FAKE_CUDA, d);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(d->version(), 13000);
  ASSERT_EQ(d->devices().size(), 1u);
  const loom::cuda::Device &dev = d->devices()[0];
  EXPECT_EQ(dev.ordinal, 0);
  EXPECT_EQ(dev.name, "Fake H200");
  EXPECT_EQ(dev.major, 9);
  EXPECT_EQ(dev.minor, 0);
  EXPECT_EQ(dev.multiprocessors, 132);
  EXPECT_EQ(dev.memoryBytes, uint64_t(141) << 30);
}

// The toolkit's own stub (what a machine with the toolkit but no driver
// has): refused as a stub.
TEST(CudaDriver, RefusesTheToolkitStub) {
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!std::ifstream(stub))
    GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  EXPECT_TRUE(contains(refusal(stub), "stub library")) << refusal(stub);
}

namespace {

struct CliRun {
  int exitCode = -1;
  std::string out;
};

CliRun loomDevices(const std::string &env, const std::string &args) {
  char tmpl[] = "/tmp/loom-devices-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd >= 0)
    ::close(fd);
  std::string cmd = env + " " + LOOM_TEST_CLI + " devices " + args + " >" + tmpl + " 2>&1";
  int status = std::system(cmd.c_str());
  CliRun r;
  if (WIFEXITED(status))
    r.exitCode = WEXITSTATUS(status);
  std::ifstream in(tmpl);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  std::remove(tmpl);
  return r;
}

} // namespace

TEST(CudaDriver, LoomDevicesCommand) {
  std::string fake = std::string("LOOM_CUDA_DRIVER=") + LOOM_TEST_FAKE_CUDA;
  CliRun r = loomDevices(fake, "");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(r.out.rfind("cpu: ", 0), 0u) << r.out;
  EXPECT_TRUE(contains(r.out, "hardware threads")) << r.out;
  EXPECT_TRUE(contains(r.out, "cuda:0: Fake H200, sm_90, 132 multiprocessors, 141.0 GiB "
                              "(driver API 13.0)\n"))
      << r.out;

  r = loomDevices("FAKE_CUDA=stub " + fake, "");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "cuda: none (no CUDA device to use: ")) << r.out;

  r = loomDevices("FAKE_CUDA=nodev " + fake, "--require-cuda");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "loom: error: no CUDA device to use: the NVIDIA driver reports "
                              "no device"))
      << r.out;

  r = loomDevices(fake, "--gpu");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "loom: error: unknown option '--gpu' (loom devices --help)"))
      << r.out;
}
