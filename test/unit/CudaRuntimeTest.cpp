//===- CudaRuntimeTest.cpp - CUDA artifacts, sessions and loom without a GPU ===//
//
// The runtime side of the CUDA backend (runtime/cuda/context.h, hooks.h,
// Artifact::open, Session) against the stand-in driver test/unit/fake_cuda
// and the hand-written CUDA library test/unit/runtime_fixture/cuda_fixture.c
// (see both for what they do): kernels are loaded and launched with the
// right grids and parameter counts, memsets and copies run, graphs are
// captured on a function's second call and replayed after, every error
// is a Status or a refusal that says why, and nothing the runtime takes
// from the driver outlives the artifact. Nothing here runs on a GPU.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace loom::rt::test;
using nlohmann::json;

namespace {

const char *const kFixtureHooks[] = {
    "mgpuModuleLoad",   "mgpuModuleLoadJIT", "mgpuModuleUnload",      "mgpuModuleGetFunction",
    "mgpuLaunchKernel", "mgpuStreamCreate",  "mgpuStreamSynchronize", "mgpuStreamDestroy",
    "mgpuMemAlloc",     "mgpuMemFree",       "mgpuMemset32",          "mgpuMemcpy"};

/// scale and fill of cuda_fixture.c.
json cudaManifest() {
  json m = json::parse(R"({
    "format": "loom-artifact",
    "version": 1,
    "model": "cuda_fixture",
    "library": "model.so",
    "target": "cuda",
    "cuda": {"arch": "sm_90", "binary": "cubin", "hooks": []},
    "params": [
      {"name": "w", "dtype": "f32", "shape": [4], "init": {"kind": "constant", "value": 2}}
    ],
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 4]}],
    "functions": {
      "scale": {
        "symbol": "loom_scale",
        "arena_bytes": 256,
        "slots": [
          {"kind": "param", "name": "w"},
          {"kind": "input", "name": "x"},
          {"kind": "output", "name": "y", "dtype": "f32", "shape": [2, 4]},
          {"kind": "arena"}
        ]
      },
      "fill": {
        "symbol": "loom_fill",
        "arena_bytes": 0,
        "slots": [
          {"kind": "output", "name": "y", "dtype": "f32", "shape": [4]},
          {"kind": "arena"}
        ]
      }
    }
  })");
  for (const char *h : kFixtureHooks)
    m["cuda"]["hooks"].push_back(h);
  m["cuda"]["stream_ordered"] = {"scale", "fill"};
  return m;
}

/// train_step of cuda_fixture.c, for `loom train`.
json trainManifest() {
  json m = json::parse(R"({
    "format": "loom-artifact",
    "version": 1,
    "model": "cuda_fixture",
    "library": "model.so",
    "target": "cuda",
    "cuda": {"arch": "sm_90", "binary": "cubin", "hooks": []},
    "params": [
      {"name": "w", "dtype": "f32", "shape": [4], "init": {"kind": "constant", "value": 2}}
    ],
    "inputs": [
      {"name": "tokens", "dtype": "i32", "shape": [2, 4], "range": [0, 256]},
      {"name": "targets", "dtype": "i32", "shape": [2, 4], "range": [0, 256]},
      {"name": "optim.lr", "dtype": "f32", "shape": []},
      {"name": "optim.step", "dtype": "f32", "shape": []}
    ],
    "functions": {
      "train_step": {
        "symbol": "loom_train_step",
        "arena_bytes": 64,
        "optimizer": {"kind": "sgd"},
        "slots": [
          {"kind": "param", "name": "w", "output": "new.w"},
          {"kind": "input", "name": "tokens"},
          {"kind": "input", "name": "targets"},
          {"kind": "input", "name": "optim.lr"},
          {"kind": "input", "name": "optim.step"},
          {"kind": "output", "name": "loss", "dtype": "f32", "shape": []},
          {"kind": "output", "name": "optim.grad_norm", "dtype": "f32", "shape": []},
          {"kind": "arena"}
        ]
      }
    }
  })");
  for (const char *h : kFixtureHooks)
    m["cuda"]["hooks"].push_back(h);
  m["cuda"]["stream_ordered"] = {"train_step"};
  return m;
}

const char *const kVariables[] = {
    "LOOM_CUDA_DRIVER",  "LOOM_CUDA_DEVICE",  "LOOM_CUDA_GRAPHS",      "FAKE_CUDA",
    "FAKE_CUDA_DEVICES", "FAKE_CUDA_CC",      "FAKE_CUDA_FAIL_LAUNCH", "FAKE_CUDA_FAIL_CAPTURE",
    "FAKE_CUDA_TRACE",   "FIXTURE_CUDA_IMAGE"};

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

class CudaRuntime : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char *v : kVariables) {
      if (const char *old = std::getenv(v))
        saved_[v] = old;
      ::unsetenv(v);
    }
    set("LOOM_CUDA_DRIVER", LOOM_TEST_FAKE_CUDA);
    set("FAKE_CUDA_TRACE", dir_.file("trace.txt"));
  }

  void TearDown() override {
    for (const char *v : kVariables) {
      ::unsetenv(v);
      if (auto it = saved_.find(v); it != saved_.end())
        ::setenv(v, it->second.c_str(), 1);
    }
    // Whatever the runtime took from the driver went back with the handles.
    for (const char *what :
         {"contexts", "current", "allocations", "streams", "modules", "events", "graphs", "execs"})
      EXPECT_EQ(count(what), 0) << what << " left behind";
  }

  static void set(const char *name, const std::string &value) { ::setenv(name, value.c_str(), 1); }

  /// fake_cuda_count(WHAT) of the stand-in driver the runtime loaded.
  static int count(const char *what) {
    void *fake = ::dlopen(LOOM_TEST_FAKE_CUDA, RTLD_NOW | RTLD_LOCAL);
    if (!fake)
      return -1;
    auto fn = reinterpret_cast<int (*)(const char *)>(::dlsym(fake, "fake_cuda_count"));
    int n = fn ? fn(what) : -1;
    ::dlclose(fake);
    return n;
  }

  /// The lines the driver traced since the last call.
  std::vector<std::string> trace() {
    std::vector<std::string> lines;
    std::istringstream in(readFileOrEmpty(dir_.file("trace.txt")));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    std::remove(dir_.file("trace.txt").c_str());
    return lines;
  }

  std::string artifact(const json &manifest, const std::string &name = "cuda") {
    return makeArtifact(dir_, manifest, name, LOOM_TEST_CUDA_FIXTURE_LIBRARY);
  }

  /// loom_artifact_open_device's error for DIR on DEVICE (null: its own).
  static std::string refusal(const std::string &dir, const char *device = nullptr,
                             loom_status expected = LOOM_ERR_LIBRARY) {
    loom_artifact *a = nullptr;
    loom_status s = loom_artifact_open_device(dir.c_str(), device, &a);
    EXPECT_EQ(s, expected) << loom_status_name(s) << ": " << loom_last_error();
    EXPECT_EQ(a, nullptr);
    loom_artifact_close(a);
    return loom_last_error();
  }

  TempDir dir_;

private:
  std::map<std::string, std::string> saved_;
};

/// An open artifact of cudaManifest() and one session, parameters
/// initialized and x set.
struct Open {
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
  explicit Open(const std::string &dir, const char *device = nullptr) {
    EXPECT_EQ(loom_artifact_open_device(dir.c_str(), device, &artifact), LOOM_OK)
        << loom_last_error();
    if (!artifact)
      return;
    EXPECT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
    if (!session)
      return;
    EXPECT_EQ(loom_init_params(session, 0), LOOM_OK) << loom_last_error();
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t shape[] = {2, 4};
    EXPECT_EQ(loom_set_input(session, "x", LOOM_DTYPE_F32, shape, 2, x, sizeof x), LOOM_OK)
        << loom_last_error();
  }
  ~Open() {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }
  loom_status run(const char *function) { return loom_run(session, function); }
};

const char *kScaleTrace[] = {"launch scale_rows grid=2,1,1 block=4,1,1 params=3",
                             "launch touch grid=1,1,1 block=32,1,1 params=1"};

} // namespace

TEST_F(CudaRuntime, LoadsRunsAndTraces) {
  std::string dir = artifact(cudaManifest());
  {
    Open o(dir);
    ASSERT_TRUE(o.session);
    EXPECT_STREQ(loom_artifact_target(o.artifact), "cuda");
    EXPECT_STREQ(loom_artifact_device(o.artifact), "cuda:0");
    EXPECT_EQ(count("modules"), 1);
    EXPECT_EQ(count("contexts"), 2);   // the artifact's and the session's
    EXPECT_GT(count("prefetches"), 0); // the initialized parameters
    ASSERT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
    EXPECT_EQ(trace(), std::vector<std::string>(std::begin(kScaleTrace), std::end(kScaleTrace)));
    EXPECT_EQ(count("current"), 0); // the context is popped after the call
    // Managed memory: the host reads what it wrote, at the slot's address;
    // the output is zeroed (the fake's managed memory comes as 0xA5 bytes).
    loom_tensor_info info;
    void *w = nullptr;
    ASSERT_EQ(loom_param_data(o.session, "w", &info, &w), LOOM_OK);
    EXPECT_EQ(static_cast<float *>(w)[3], 2.0f);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 64, 0u);
    const void *y = nullptr;
    ASSERT_EQ(loom_get_output(o.session, "scale", "y", &info, &y), LOOM_OK);
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(static_cast<const float *>(y)[i], 0.0f) << i;
    // Memsets and copies through a device buffer of the caching allocator.
    ASSERT_EQ(o.run("fill"), LOOM_OK) << loom_last_error();
    ASSERT_EQ(loom_get_output(o.session, "fill", "y", &info, &y), LOOM_OK);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(static_cast<const float *>(y)[i], 3.5f) << i;
    EXPECT_EQ(trace(), std::vector<std::string>{"launch touch grid=1,1,1 block=32,1,1 params=1"});
  }
  EXPECT_EQ(count("contexts"), 0);
}

TEST_F(CudaRuntime, PtxIsCompiledByTheDriver) {
  json m = cudaManifest();
  m["cuda"]["binary"] = "ptx";
  set("FIXTURE_CUDA_IMAGE", "ptx");
  Open o(artifact(m));
  ASSERT_TRUE(o.session);
  ASSERT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(trace().size(), 2u);
}

TEST_F(CudaRuntime, GraphsAreCapturedOnTheSecondCallAndReplayed) {
  Open o(artifact(cudaManifest()));
  ASSERT_TRUE(o.session);
  int syncs = count("syncs");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(count("syncs") - syncs, 3); // one per call: the library's are skipped
  std::vector<std::string> want(std::begin(kScaleTrace), std::end(kScaleTrace));
  want.push_back("graph-launch 2 kernels"); // the 2nd call: captured, then run
  want.push_back("graph-launch 2 kernels"); // the 3rd: replayed
  EXPECT_EQ(trace(), want);
  EXPECT_EQ(count("execs"), 1);

  // A replay runs the captured memset and copy again.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(o.run("fill"), LOOM_OK) << loom_last_error();
    loom_tensor_info info;
    const void *y = nullptr;
    ASSERT_EQ(loom_get_output(o.session, "fill", "y", &info, &y), LOOM_OK);
    EXPECT_EQ(static_cast<const float *>(y)[2], 3.5f) << "call " << i + 1;
    // Cleared here (it is managed memory), so the next call must write it.
    std::memset(const_cast<void *>(y), 0, info.nbytes);
  }
  EXPECT_EQ(trace(),
            (std::vector<std::string>{"launch touch grid=1,1,1 block=32,1,1 params=1",
                                      "graph-launch 1 kernels", "graph-launch 1 kernels"}));
  EXPECT_EQ(count("execs"), 2);
}

// A step that swaps its updated parameters in alternates between two sets
// of slots: each set gets its own graph (the captured arguments are the
// slots' addresses).
TEST_F(CudaRuntime, GraphsFollowTheSlots) {
  json m = cudaManifest();
  m["functions"]["scale"]["slots"][2] = json{{"kind", "output"},
                                             {"name", "new_w"},
                                             {"dtype", "f32"},
                                             {"shape", {4}},
                                             {"updates", "param:w"}};
  Open o(artifact(m));
  ASSERT_TRUE(o.session);
  std::vector<void *> ws;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
    loom_tensor_info info;
    void *w = nullptr;
    ASSERT_EQ(loom_param_data(o.session, "w", &info, &w), LOOM_OK);
    ws.push_back(w);
  }
  EXPECT_NE(ws[0], ws[1]);
  EXPECT_EQ(ws[0], ws[2]);
  std::vector<std::string> lines = trace();
  ASSERT_EQ(lines.size(), 6u);
  for (size_t i = 2; i < lines.size(); ++i)
    EXPECT_EQ(lines[i], "graph-launch 2 kernels");
  EXPECT_EQ(count("execs"), 2);
}

TEST_F(CudaRuntime, GraphsCanBeTurnedOffAndFallBack) {
  for (const char *variable : {"LOOM_CUDA_GRAPHS", "FAKE_CUDA_FAIL_CAPTURE"}) {
    set(variable, variable == std::string("LOOM_CUDA_GRAPHS") ? "0" : "1");
    {
      Open o(artifact(cudaManifest(), variable));
      ASSERT_TRUE(o.session);
      for (int i = 0; i < 3; ++i)
        ASSERT_EQ(o.run("scale"), LOOM_OK) << variable << ": " << loom_last_error();
      std::vector<std::string> lines = trace();
      EXPECT_EQ(lines.size(), 6u) << variable;
      for (const std::string &line : lines)
        EXPECT_EQ(line.rfind("launch ", 0), 0u) << variable << ": " << line;
      EXPECT_EQ(count("execs"), 0);
    }
    ::unsetenv(variable);
  }
}

// A function the manifest does not call stream-ordered may read on the
// host what its kernels wrote (or write what the next one reads): it waits
// at every sync it asks for, and runs without a graph.
TEST_F(CudaRuntime, OtherFunctionsWaitAtEverySyncWithoutGraphs) {
  json m = cudaManifest();
  m["cuda"]["stream_ordered"] = {"fill"};
  Open o(artifact(m));
  ASSERT_TRUE(o.session);
  int syncs = count("syncs");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(count("syncs") - syncs, 9); // after each launch, and after the call
  std::vector<std::string> lines = trace();
  EXPECT_EQ(lines.size(), 6u);
  for (const std::string &line : lines)
    EXPECT_EQ(line.rfind("launch ", 0), 0u) << line;
  EXPECT_EQ(count("execs"), 0);
}

TEST_F(CudaRuntime, ALaunchErrorIsTheCallsStatus) {
  Open o(artifact(cudaManifest()));
  ASSERT_TRUE(o.session);
  set("FAKE_CUDA_FAIL_LAUNCH", "1");
  EXPECT_EQ(o.run("scale"), LOOM_ERR_LIBRARY);
  EXPECT_EQ(std::string(loom_last_error()),
            "cannot run 'scale' on cuda:0: cuLaunchKernel of kernel 'scale_rows' failed: "
            "CUDA_ERROR_LAUNCH_FAILED: unspecified launch failure");
  EXPECT_EQ(count("current"), 0);
  loom_tensor_info info;
  const void *y = nullptr;
  EXPECT_EQ(loom_get_output(o.session, "scale", "y", &info, &y), LOOM_ERR_STATE);
  // Nothing sticks: the next call runs (and, being the second, is captured).
  ::unsetenv("FAKE_CUDA_FAIL_LAUNCH");
  EXPECT_EQ(o.run("scale"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(trace(), std::vector<std::string>{"graph-launch 2 kernels"});
}

TEST_F(CudaRuntime, OneLibraryServesTwoHandlesOnOneDevice) {
  std::string dir = artifact(cudaManifest());
  set("FAKE_CUDA_DEVICES", "2");
  auto first = std::make_unique<Open>(dir);
  {
    Open second(dir);
    ASSERT_TRUE(second.session);
    EXPECT_EQ(count("modules"), 1);
    std::string m = refusal(dir, "cuda:1");
    EXPECT_TRUE(contains(m, "library 'model.so' is open on cuda:0 already")) << m;
    first.reset();
    ASSERT_EQ(second.run("scale"), LOOM_OK) << loom_last_error();
    EXPECT_EQ(trace().size(), 2u);
  }
  EXPECT_EQ(count("modules"), 0);
}

TEST_F(CudaRuntime, DevicesAreChosen) {
  std::string dir = artifact(cudaManifest());
  set("FAKE_CUDA_DEVICES", "2");
  {
    Open o(dir, "cuda:1");
    ASSERT_TRUE(o.session);
    EXPECT_STREQ(loom_artifact_device(o.artifact), "cuda:1");
  }
  set("LOOM_CUDA_DEVICE", "1");
  {
    Open o(dir);
    ASSERT_TRUE(o.session);
    EXPECT_STREQ(loom_artifact_device(o.artifact), "cuda:1");
  }
  {
    Open o(dir, "cuda:0");
    ASSERT_TRUE(o.session);
    EXPECT_STREQ(loom_artifact_device(o.artifact), "cuda:0");
  }
  EXPECT_EQ(refusal(dir, "cuda:2"),
            "artifact '" + dir +
                "' was compiled for CUDA (sm_90): there is no device "
                "cuda:2 (the driver lists cuda:0 Fake H200, cuda:1 Fake H200)");
  set("LOOM_CUDA_DEVICE", "one");
  EXPECT_EQ(refusal(dir, nullptr, LOOM_ERR_INVALID_ARGUMENT),
            "LOOM_CUDA_DEVICE 'one' is not a CUDA device number (cuda:0, cuda:1, ...)");
  EXPECT_EQ(refusal(dir, "gpu", LOOM_ERR_INVALID_ARGUMENT),
            "device 'gpu' is not cpu, cuda or cuda:N");
}

TEST_F(CudaRuntime, TargetsMustMatch) {
  std::string cuda = artifact(cudaManifest());
  EXPECT_EQ(refusal(cuda, "cpu", LOOM_ERR_MISMATCH),
            "artifact '" + cuda +
                "' was compiled for CUDA (sm_90): compile it with loomc "
                "--target=cpu (the default) to run it on the CPU");
  std::string cpu = makeArtifact(dir_, fixtureManifest(), "cpu");
  for (const char *device : {"cuda", "cuda:0"})
    EXPECT_EQ(refusal(cpu, device, LOOM_ERR_MISMATCH),
              "artifact '" + cpu +
                  "' was compiled for cpu: compile it with loomc "
                  "--target=cuda");
  loom_artifact *a = nullptr;
  ASSERT_EQ(loom_artifact_open_device(cpu.c_str(), "cpu", &a), LOOM_OK);
  EXPECT_STREQ(loom_artifact_target(a), "cpu");
  EXPECT_STREQ(loom_artifact_device(a), "cpu");
  loom_artifact_close(a);
}

TEST_F(CudaRuntime, RefusesWithoutADevice) {
  std::string dir = artifact(cudaManifest());
  std::string compiled = "artifact '" + dir + "' was compiled for CUDA (sm_90): ";
  set("LOOM_CUDA_DRIVER", "/nonexistent/libcuda.so.1");
  std::string m = refusal(dir);
  EXPECT_EQ(m.rfind(compiled + "no CUDA device to use: cannot load the NVIDIA driver "
                               "library '/nonexistent/libcuda.so.1'",
                    0),
            0u)
      << m;
  set("LOOM_CUDA_DRIVER", LOOM_TEST_FAKE_CUDA);
  set("FAKE_CUDA", "nodev");
  EXPECT_EQ(refusal(dir), compiled + "no CUDA device to use: the NVIDIA driver reports no "
                                     "device (CUDA_ERROR_NO_DEVICE: no CUDA-capable device "
                                     "is detected)");
  set("FAKE_CUDA", "nomanaged");
  m = refusal(dir);
  EXPECT_EQ(m, "artifact '" + dir +
                   "': cuda:0 (Fake H200) cannot allocate managed memory, "
                   "which loom's CUDA sessions keep their tensors in")
      << m;
}

TEST_F(CudaRuntime, RefusesKernelsForAnotherArchitecture) {
  json ptx = cudaManifest();
  ptx["cuda"]["binary"] = "ptx";
  std::string cubinDir = artifact(cudaManifest(), "cubin"), ptxDir = artifact(ptx, "ptx");
  set("FAKE_CUDA_CC", "8.0");
  EXPECT_EQ(refusal(cubinDir), "artifact '" + cubinDir +
                                   "' was compiled for CUDA (sm_90) "
                                   "as a cubin, which cannot run on cuda:0 (Fake H200, sm_80): "
                                   "compile it for sm_80");
  EXPECT_EQ(refusal(ptxDir), "artifact '" + ptxDir +
                                 "' was compiled for CUDA (sm_90) as "
                                 "PTX, which needs compute capability 9.0 or newer: cuda:0 "
                                 "(Fake H200, sm_80) is older");
  // A newer device JIT-compiles the PTX; the cubin is sm_90's only.
  set("FAKE_CUDA_CC", "10.0");
  EXPECT_TRUE(contains(refusal(cubinDir), "cannot run on cuda:0 (Fake H200, sm_100)"));
  set("FIXTURE_CUDA_IMAGE", "ptx");
  Open o(ptxDir);
  EXPECT_TRUE(o.session);
}

TEST_F(CudaRuntime, RefusesImagesTheDriverRejects) {
  std::string dir = artifact(cudaManifest());
  set("FIXTURE_CUDA_IMAGE", "bad");
  EXPECT_EQ(refusal(dir), "artifact '" + dir +
                              "': cannot load its kernels on cuda:0 (Fake "
                              "H200, sm_90): cuModuleLoadData failed: CUDA_ERROR_INVALID_IMAGE: "
                              "device kernel image is invalid");
  json ptx = cudaManifest();
  ptx["cuda"]["binary"] = "ptx";
  std::string ptxDir = artifact(ptx, "ptx");
  set("FIXTURE_CUDA_IMAGE", "badptx");
  EXPECT_EQ(refusal(ptxDir), "artifact '" + ptxDir +
                                 "': cannot load its kernels on cuda:0 "
                                 "(Fake H200, sm_90): cuModuleLoadDataEx (PTX JIT) failed: "
                                 "CUDA_ERROR_INVALID_PTX: fake error (JIT log: ptxas fatal: "
                                 "fake: the image is not PTX)");
}

TEST_F(CudaRuntime, RefusesALibraryThatBreaksTheContract) {
  json m = cudaManifest();
  m["cuda"]["hooks"].push_back("mgpuEventCreate");
  std::string dir = artifact(m, "missing");
  EXPECT_EQ(refusal(dir), "artifact '" + dir +
                              "': library 'model.so' has no symbol "
                              "'loom_hook_mgpuEventCreate' (hook 'mgpuEventCreate' of "
                              "manifest.json)");
  m = cudaManifest();
  m["cuda"]["hooks"].push_back("mgpuFrobnicate");
  dir = artifact(m, "unknown");
  std::string refused = refusal(dir);
  EXPECT_EQ(refused.rfind("artifact '" + dir +
                              "': manifest.json lists the CUDA hook "
                              "'mgpuFrobnicate', which this runtime does not provide (it "
                              "provides mgpuModuleLoad, mgpuModuleLoadJIT, ",
                          0),
            0u)
      << refused;
  // The CPU fixture's library under a CUDA manifest: no loom_cuda_load.
  m = fixtureManifest();
  m["target"] = "cuda";
  m["cuda"] = {{"arch", "sm_90"}, {"binary", "cubin"}, {"hooks", json::array()}};
  dir = makeArtifact(dir_, m, "cpu-library");
  EXPECT_EQ(refusal(dir), "artifact '" + dir +
                              "': library 'model.so' has no symbol "
                              "'loom_cuda_load' (a CUDA artifact's library loads and unloads "
                              "its kernels with loom_cuda_load and loom_cuda_unload)");
}

namespace {

struct CliRun {
  int exitCode = -1;
  std::string out;
};

CliRun runLoom(const TempDir &dir, const std::string &args) {
  std::string out = dir.file("cli.txt");
  std::string cmd = std::string(LOOM_TEST_CLI) + " " + args + " >" + out + " 2>&1";
  int status = std::system(cmd.c_str());
  CliRun r;
  if (WIFEXITED(status))
    r.exitCode = WEXITSTATUS(status);
  r.out = readFileOrEmpty(out);
  return r;
}

} // namespace

TEST_F(CudaRuntime, LoomRunTakesADevice) {
  std::string dir = artifact(cudaManifest());
  std::string x(32, '\0');
  writeFile(dir_.file("x.npy"),
            npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", x));
  std::string run = "run " + dir + " --function scale --input x=" + dir_.file("x.npy");
  CliRun r = runLoom(dir_, run + " --device cuda --print");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "y")) << r.out;
  EXPECT_EQ(trace(), std::vector<std::string>(std::begin(kScaleTrace), std::end(kScaleTrace)));
  r = runLoom(dir_, run + " --repeat 2");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(trace().size(), 4u); // 2 launches, then a capture and a replay

  r = runLoom(dir_, run + " --device cpu");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "loom: error: artifact '" + dir +
                                  "' was compiled for CUDA "
                                  "(sm_90): compile it with loomc --target=cpu"))
      << r.out;
  r = runLoom(dir_, run + " --device gpu");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "loom: error: --device wants cpu, cuda or cuda:N, got 'gpu'"))
      << r.out;
  std::string cpu = makeArtifact(dir_, fixtureManifest(), "cpu");
  r = runLoom(dir_, "run " + cpu + " --input x=" + dir_.file("x.npy") + " --device cuda:0");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "loom: error: artifact '" + cpu +
                                  "' was compiled for cpu: compile it with loomc "
                                  "--target=cuda"))
      << r.out;
  r = runLoom(dir_, "run " + dir + " --function scale --input x=" + dir_.file("x.npy") +
                        " --device cuda");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  ::setenv("FAKE_CUDA", "nodev", 1);
  r = runLoom(dir_, run);
  ::unsetenv("FAKE_CUDA");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "loom: error: artifact '" + dir +
                                  "' was compiled for CUDA "
                                  "(sm_90): no CUDA device to use: the NVIDIA driver reports "
                                  "no device"))
      << r.out;
}

TEST_F(CudaRuntime, LoomTrainRunsACudaStep) {
  std::string dir = artifact(trainManifest());
  writeFile(dir_.file("corpus.txt"), std::string(400, 'a') + "the quick brown fox\n");
  std::string train = "train " + dir + " --data text:" + dir_.file("corpus.txt") +
                      " --steps 3 --checkpoint " + dir_.file("ck.safetensors");
  CliRun r = runLoom(dir_, train);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "1.5")) << r.out; // the fixture's loss
  EXPECT_EQ(trace(),
            (std::vector<std::string>{"launch sgd grid=1,1,1 block=4,1,1 params=2",
                                      "graph-launch 1 kernels", "graph-launch 1 kernels"}));
  EXPECT_FALSE(readFileOrEmpty(dir_.file("ck.safetensors")).empty());
  r = runLoom(dir_, train + " --micro-batches 2");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "data-parallel training (mpirun, --micro-batches, --zero1, "
                              "--deterministic) runs on the CPU only for now; artifact '" +
                                  dir + "' runs on cuda:0"))
      << r.out;
  r = runLoom(dir_, train + " --device cpu");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.out, "was compiled for CUDA (sm_90)")) << r.out;
}
