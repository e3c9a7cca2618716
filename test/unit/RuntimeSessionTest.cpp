//===- RuntimeSessionTest.cpp - the fixture library through the C API -----===//
//
// Opens the hand-written fixture artifact, queries it, runs both of its
// functions and checks their results, the slot alignment the runtime
// promises, and every error of the session API.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/runtime.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

using namespace loom::rt::test;
using json = nlohmann::json;

// Counts every C++ allocation of this test binary, so that a test can check
// that the per-step calls (loom_set_input, loom_run, loom_get_output)
// allocate nothing. (The runtime's buffers come from aligned_alloc, once,
// in loom_session_create.) GCC cannot see that the replaced new and delete
// pair up, hence the pragma.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
static std::atomic<long> gNewCalls{0};
void *operator new(std::size_t n) {
  ++gNewCalls;
  if (void *p = std::malloc(n ? n : 1))
    return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer): left to the
// library (under ASan, to ASan's allocator), their memory would come back
// through the free above as a mismatched pair.
void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
  ++gNewCalls;
  return std::malloc(n ? n : 1);
}
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }

namespace {

class RuntimeSession : public ::testing::Test {
protected:
  void SetUp() override {
    dir = makeArtifact(tmp, fixtureManifest());
    ASSERT_EQ(loom_artifact_open(dir.c_str(), &artifact), LOOM_OK) << loom_last_error();
    ASSERT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
  }
  void TearDown() override {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }

  loom_status setX(const float *x, loom_session *s = nullptr) {
    return loom_set_input(s ? s : session, "x", LOOM_DTYPE_F32, kXShape, 2, x, 32);
  }

  std::vector<float> output(const char *function, const char *name) {
    loom_tensor_info info;
    const void *data = nullptr;
    EXPECT_EQ(loom_get_output(session, function, name, &info, &data), LOOM_OK)
        << loom_last_error();
    if (!data)
      return {};
    const float *f = static_cast<const float *>(data);
    return std::vector<float>(f, f + info.numel);
  }

  void expectError(loom_status got, loom_status want, const char *substring) {
    EXPECT_EQ(got, want) << loom_status_name(got);
    EXPECT_NE(std::string(loom_last_error()).find(substring), std::string::npos)
        << "want \"" << substring << "\" in \"" << loom_last_error() << "\"";
  }

  static constexpr int64_t kXShape[2] = {2, 4};
  const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  TempDir tmp;
  std::string dir;
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
};

TEST_F(RuntimeSession, QueriesTheManifest) {
  EXPECT_STREQ(loom_artifact_model(artifact), "fixture");
  ASSERT_EQ(loom_artifact_num_params(artifact), 2u);
  loom_tensor_info t;
  ASSERT_EQ(loom_artifact_param(artifact, 0, &t), LOOM_OK);
  EXPECT_STREQ(t.name, "a");
  EXPECT_EQ(t.dtype, LOOM_DTYPE_F32);
  EXPECT_EQ(t.rank, 1);
  EXPECT_EQ(t.shape[0], 4);
  EXPECT_EQ(t.numel, 4);
  EXPECT_EQ(t.nbytes, 16u);
  expectError(loom_artifact_param(artifact, 2, &t), LOOM_ERR_INVALID_ARGUMENT, "out of range");
  ASSERT_EQ(loom_artifact_num_inputs(artifact), 1u);
  ASSERT_EQ(loom_artifact_input(artifact, 0, &t), LOOM_OK);
  EXPECT_STREQ(t.name, "x");
  EXPECT_EQ(t.rank, 2);
  ASSERT_EQ(loom_artifact_num_functions(artifact), 2u);
  EXPECT_STREQ(loom_artifact_function_name(artifact, 0), "forward");
  EXPECT_STREQ(loom_artifact_function_name(artifact, 1), "stats");
  EXPECT_EQ(loom_artifact_function_name(artifact, 2), nullptr);
  size_t n = 0;
  ASSERT_EQ(loom_artifact_num_outputs(artifact, "stats", &n), LOOM_OK);
  EXPECT_EQ(n, 2u);
  ASSERT_EQ(loom_artifact_output(artifact, "stats", 0, &t), LOOM_OK);
  EXPECT_STREQ(t.name, "sum");
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(t.numel, 1);
  expectError(loom_artifact_num_outputs(artifact, "backward", &n), LOOM_ERR_NOT_FOUND,
              "has no function 'backward'");
  expectError(loom_artifact_output(artifact, "stats", 5, &t), LOOM_ERR_INVALID_ARGUMENT,
              "out of range");
  EXPECT_STREQ(loom_dtype_name(LOOM_DTYPE_BF16), "bf16");
  EXPECT_EQ(loom_dtype_size(LOOM_DTYPE_I64), 8u);
  EXPECT_EQ(loom_dtype_name(static_cast<loom_dtype>(99)), nullptr);
  EXPECT_EQ(loom_dtype_size(static_cast<loom_dtype>(99)), 0u);
  EXPECT_STREQ(loom_status_name(LOOM_ERR_FORMAT), "LOOM_ERR_FORMAT");
}

// An integer input with a valid range (loom-index-ranges: the rows of an
// embedding table, a cross-entropy's classes and its ignore_index) is
// checked on every loom_set_input, before any kernel reads with it; the
// error names the input, the element and the bound.
TEST(RuntimeSessionRanges, IndicesAreCheckedWhenSet) {
  TempDir tmp;
  json m = fixtureManifest();
  m["inputs"].push_back({{"name", "ids"}, {"dtype", "i32"}, {"shape", {2, 3}},
                         {"range", {0, 4}}, {"range_of", "embedding 'wte'"},
                         {"ignore", -100}});
  m["inputs"].push_back({{"name", "ids64"}, {"dtype", "i64"}, {"shape", {2}},
                         {"range", {-2, 2}}});
  std::string dir = makeArtifact(tmp, m);
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
  ASSERT_EQ(loom_artifact_open(dir.c_str(), &artifact), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
  // The range through the C API (loom train takes its vocabulary from it).
  int64_t lo = 0, hi = 0, ignore = 0;
  ASSERT_EQ(loom_artifact_input_range(artifact, 1, &lo, &hi, &ignore), LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 4);
  EXPECT_EQ(ignore, -100);
  ASSERT_EQ(loom_artifact_input_range(artifact, 2, &lo, &hi, &ignore), LOOM_OK);
  EXPECT_EQ(ignore, INT64_MIN);
  EXPECT_EQ(loom_artifact_input_range(artifact, 0, &lo, &hi, nullptr), LOOM_ERR_NOT_FOUND);
  EXPECT_EQ(loom_artifact_input_range(artifact, 3, &lo, &hi, nullptr),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_input_range(artifact, 1, nullptr, &hi, nullptr),
            LOOM_ERR_INVALID_ARGUMENT);

  const int64_t shape[2] = {2, 3};
  const int32_t good[6] = {0, 3, -100, 1, 2, 0};
  EXPECT_EQ(loom_set_input(session, "ids", LOOM_DTYPE_I32, shape, 2, good, 24), LOOM_OK)
      << loom_last_error();
  for (int32_t bad : {4, -1, 100000, -2147483647 - 1, 2147483647, -99}) {
    int32_t ids[6] = {0, 1, 2, 3, bad, 0};
    EXPECT_EQ(loom_set_input(session, "ids", LOOM_DTYPE_I32, shape, 2, ids, 24),
              LOOM_ERR_INVALID_ARGUMENT) << bad;
    std::string want = "input 'ids': element [1, 1] is " + std::to_string(bad) +
                       ", outside the valid range [0, 4) (or -100, ignored) of "
                       "embedding 'wte'";
    EXPECT_EQ(std::string(loom_last_error()), want);
  }
  const int64_t shape64[1] = {2};
  const int64_t good64[2] = {-2, 1};
  EXPECT_EQ(loom_set_input(session, "ids64", LOOM_DTYPE_I64, shape64, 1, good64, 16), LOOM_OK)
      << loom_last_error();
  const int64_t bad64[2] = {0, INT64_MIN};
  EXPECT_EQ(loom_set_input(session, "ids64", LOOM_DTYPE_I64, shape64, 1, bad64, 16),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(loom_last_error()).find("element [1] is -9223372036854775808, "
                                                "outside the valid range [-2, 2)"),
            std::string::npos) << loom_last_error();
  loom_session_destroy(session);
  loom_artifact_close(artifact);
}

TEST_F(RuntimeSession, RunsForward) {
  ASSERT_EQ(loom_init_params(session, 5), LOOM_OK);
  ASSERT_EQ(setX(x), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_run(session, "forward"), LOOM_OK) << loom_last_error();
  loom_tensor_info info;
  void *pa, *pb;
  ASSERT_EQ(loom_param_data(session, "a", &info, &pa), LOOM_OK);
  ASSERT_EQ(loom_param_data(session, "b", &info, &pb), LOOM_OK);
  const float *a = static_cast<float *>(pa), *b = static_cast<float *>(pb);
  std::vector<float> y = output("forward", "y");
  ASSERT_EQ(y.size(), 8u);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_FLOAT_EQ(y[i * 4 + j], a[j] * x[i * 4 + j] + b[j]);
  EXPECT_EQ(b[0], 0.5f); // constant init
  EXPECT_NE(a[0], 0.0f); // normal init
}

TEST_F(RuntimeSession, ChosenParametersAndRepeatedRuns) {
  loom_tensor_info info;
  void *pa, *pb;
  ASSERT_EQ(loom_init_params(session, 0), LOOM_OK);
  ASSERT_EQ(loom_param_data(session, "scale", &info, &pa), LOOM_OK); // alias
  ASSERT_EQ(loom_param_data(session, "b", &info, &pb), LOOM_OK);
  const float a[4] = {2, 0, -1, 0.5f}, b[4] = {1, 1, 1, 1};
  std::memcpy(pa, a, 16);
  std::memcpy(pb, b, 16);
  for (int step = 0; step < 3; ++step) {
    float xs[8];
    for (int i = 0; i < 8; ++i)
      xs[i] = static_cast<float>(i + step);
    ASSERT_EQ(setX(xs), LOOM_OK);
    ASSERT_EQ(loom_run(session, "forward"), LOOM_OK);
    std::vector<float> y = output("forward", "y");
    for (int i = 0; i < 8; ++i)
      EXPECT_FLOAT_EQ(y[i], a[i % 4] * xs[i] + 1) << "step " << step;
  }
}

TEST(RuntimeSessionSteps, AllocateNothing) {
  // Names longer than std::string's small buffer, so that a runtime copying
  // a name into a std::string on each call would be caught.
  const std::string fn = "forward_under_a_name_longer_than_sso";
  const std::string in = "the_input_under_a_long_name";
  const std::string out = "the_output_under_a_long_name";
  json j = fixtureManifest();
  j["functions"][fn] = j["functions"]["forward"];
  j["functions"][fn]["slots"][2]["name"] = in;
  j["functions"][fn]["slots"][3]["name"] = out;
  j["functions"].erase("forward");
  j["functions"].erase("stats");
  j["inputs"][0]["name"] = in;
  TempDir tmp;
  std::string dir = makeArtifact(tmp, j);
  loom_artifact *a;
  loom_session *s;
  ASSERT_EQ(loom_artifact_open(dir.c_str(), &a), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_session_create(a, &s), LOOM_OK);
  ASSERT_EQ(loom_init_params(s, 0), LOOM_OK);
  const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int64_t shape[2] = {2, 4};
  loom_tensor_info info;
  const void *data;
  long before = gNewCalls.load();
  for (int step = 0; step < 100; ++step) {
    ASSERT_EQ(loom_set_input(s, in.c_str(), LOOM_DTYPE_F32, shape, 2, x, 32), LOOM_OK);
    ASSERT_EQ(loom_run(s, fn.c_str()), LOOM_OK);
    ASSERT_EQ(loom_get_output(s, fn.c_str(), out.c_str(), &info, &data), LOOM_OK);
  }
  EXPECT_EQ(gNewCalls.load(), before);
  // The counter does count: an error message is built with allocations.
  EXPECT_NE(loom_run(s, "a_function_that_does_not_exist"), LOOM_OK);
  EXPECT_GT(gNewCalls.load(), before);
  loom_session_destroy(s);
  loom_artifact_close(a);
}

TEST_F(RuntimeSession, ScalarOutputsAndAlignment) {
  ASSERT_EQ(setX(x), LOOM_OK);
  // stats takes no parameters, so it runs before any are set.
  ASSERT_EQ(loom_run(session, "stats"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(output("stats", "sum"), std::vector<float>{36});
  loom_tensor_info info;
  const void *data;
  ASSERT_EQ(loom_get_output(session, "stats", "aligned", &info, &data), LOOM_OK);
  EXPECT_EQ(info.dtype, LOOM_DTYPE_I32);
  EXPECT_EQ(*static_cast<const int32_t *>(data), 1) << "a slot is not 64-byte aligned";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
}

TEST_F(RuntimeSession, SameSeedSameWeightsAcrossSessions) {
  loom_session *other;
  ASSERT_EQ(loom_session_create(artifact, &other), LOOM_OK);
  ASSERT_EQ(loom_init_params(session, 99), LOOM_OK);
  ASSERT_EQ(loom_init_params(other, 99), LOOM_OK);
  loom_tensor_info info;
  void *p1, *p2;
  ASSERT_EQ(loom_param_data(session, "a", &info, &p1), LOOM_OK);
  ASSERT_EQ(loom_param_data(other, "a", &info, &p2), LOOM_OK);
  EXPECT_EQ(std::memcmp(p1, p2, info.nbytes), 0);
  ASSERT_EQ(loom_init_params(other, 100), LOOM_OK);
  EXPECT_NE(std::memcmp(p1, p2, info.nbytes), 0);
  loom_session_destroy(other);
}

TEST_F(RuntimeSession, StateErrors) {
  expectError(loom_run(session, "forward"), LOOM_ERR_STATE, "parameters are not set");
  ASSERT_EQ(loom_init_params(session, 0), LOOM_OK);
  expectError(loom_run(session, "forward"), LOOM_ERR_STATE, "input 'x' is not set");
  loom_tensor_info info;
  const void *data;
  expectError(loom_get_output(session, "forward", "y", &info, &data), LOOM_ERR_STATE,
              "'forward' has not run yet");
  expectError(loom_run(session, "backward"), LOOM_ERR_NOT_FOUND,
              "has no function 'backward' (functions: 'forward', 'stats')");
  ASSERT_EQ(setX(x), LOOM_OK);
  ASSERT_EQ(loom_run(session, "forward"), LOOM_OK);
  expectError(loom_get_output(session, "forward", "z", &info, &data), LOOM_ERR_NOT_FOUND,
              "function 'forward' has no output 'z' (outputs: 'y')");
  expectError(loom_get_output(session, "backward", "y", &info, &data), LOOM_ERR_NOT_FOUND,
              "has no function 'backward'");
  void *p;
  expectError(loom_param_data(session, "c", &info, &p), LOOM_ERR_NOT_FOUND,
              "has no parameter 'c'");
}

// ZeRO-1's primitive: a state tensor released and held again.
TEST_F(RuntimeSession, HoldStateReleasesAndAllocatesAgain) {
  json m = fixtureManifest();
  m["state"] = json::parse(R"([{"name": "optim.m.a", "dtype": "f32", "shape": [4]}])");
  m["functions"]["state_sum"] = json::parse(R"({
    "symbol": "loom_state_sum", "arena_bytes": 0,
    "slots": [{"kind": "state", "name": "optim.m.a"},
              {"kind": "output", "name": "total", "dtype": "f32", "shape": []},
              {"kind": "arena"}]})");
  std::string withState = makeArtifact(tmp, m, "with-state");
  loom_artifact *a = nullptr;
  loom_session *s = nullptr;
  ASSERT_EQ(loom_artifact_open(withState.c_str(), &a), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_session_create(a, &s), LOOM_OK) << loom_last_error();
  ASSERT_EQ(loom_init_params(s, 0), LOOM_OK);
  auto total = [&] {
    EXPECT_EQ(loom_run(s, "state_sum"), LOOM_OK) << loom_last_error();
    loom_tensor_info info;
    const void *data;
    EXPECT_EQ(loom_get_output(s, "state_sum", "total", &info, &data), LOOM_OK);
    return *static_cast<const float *>(data);
  };
  loom_tensor_info info;
  void *p;
  ASSERT_EQ(loom_state_data(s, "optim.m.a", &info, &p), LOOM_OK);
  const float values[4] = {1, 2, 3, 4};
  std::memcpy(p, values, sizeof values);
  EXPECT_EQ(total(), 10.0f);

  ASSERT_EQ(loom_session_hold_state(s, "optim.m.a", 0), LOOM_OK);
  ASSERT_EQ(loom_session_hold_state(s, "optim.m.a", 0), LOOM_OK); // twice: no-op
  expectError(loom_run(s, "state_sum"), LOOM_ERR_STATE,
              "cannot run 'state_sum': state 'optim.m.a' is released");
  expectError(loom_state_data(s, "optim.m.a", &info, &p), LOOM_ERR_STATE,
              "state 'optim.m.a' is not held by this session (released)");
  std::string ck = tmp.file("ck.safetensors");
  expectError(loom_save_checkpoint(s, ck.c_str(), nullptr, nullptr, 0), LOOM_ERR_STATE,
              "state 'optim.m.a' is not held by this session");
  // Setting the parameters skips it; functions without it still run.
  ASSERT_EQ(loom_init_params(s, 1), LOOM_OK);
  const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(loom_set_input(s, "x", LOOM_DTYPE_F32, kXShape, 2, x, sizeof x), LOOM_OK);
  EXPECT_EQ(loom_run(s, "forward"), LOOM_OK) << loom_last_error();

  // Held again: zeroed, usable, saved.
  ASSERT_EQ(loom_session_hold_state(s, "optim.m.a", 1), LOOM_OK);
  EXPECT_EQ(total(), 0.0f);
  EXPECT_EQ(loom_save_checkpoint(s, ck.c_str(), nullptr, nullptr, 0), LOOM_OK)
      << loom_last_error();
  expectError(loom_session_hold_state(s, "optim.v.a", 0), LOOM_ERR_NOT_FOUND,
              "has no state tensor 'optim.v.a'");
  expectError(loom_session_hold_state(nullptr, "optim.m.a", 0), LOOM_ERR_INVALID_ARGUMENT,
              "loom_session_hold_state");
  loom_session_destroy(s);
  loom_artifact_close(a);
}

TEST_F(RuntimeSession, InputErrors) {
  const int64_t wrong[2] = {4, 2}, three[3] = {2, 4, 1};
  expectError(loom_set_input(session, "y", LOOM_DTYPE_F32, kXShape, 2, x, 32),
              LOOM_ERR_NOT_FOUND, "has no input 'y' (inputs: 'x')");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_I32, kXShape, 2, x, 32),
              LOOM_ERR_MISMATCH, "input 'x': got i32 [2, 4], the artifact takes f32 [2, 4]");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, wrong, 2, x, 32),
              LOOM_ERR_MISMATCH, "got f32 [4, 2]");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, three, 3, x, 32),
              LOOM_ERR_MISMATCH, "got f32 [2, 4, 1]");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, kXShape, 2, x, 31),
              LOOM_ERR_MISMATCH, "got 31 bytes, f32 [2, 4] is 32");
  expectError(loom_set_input(session, "x", static_cast<loom_dtype>(42), kXShape, 2, x, 32),
              LOOM_ERR_MISMATCH, "an unknown dtype");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, nullptr, 2, x, 32),
              LOOM_ERR_INVALID_ARGUMENT, "null shape or data");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, kXShape, 2, nullptr, 32),
              LOOM_ERR_INVALID_ARGUMENT, "null shape or data");
  expectError(loom_set_input(session, "x", LOOM_DTYPE_F32, kXShape, -1, x, 32),
              LOOM_ERR_INVALID_ARGUMENT, "negative rank");
  // None of those set the input.
  expectError(loom_run(session, "stats"), LOOM_ERR_STATE, "input 'x' is not set");
}

TEST_F(RuntimeSession, NullArguments) {
  loom_tensor_info info;
  const void *cdata;
  void *data;
  size_t n;
  loom_session *s;
  EXPECT_EQ(loom_session_create(nullptr, &s), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(loom_last_error()).find("loom_session_create"), std::string::npos);
  EXPECT_EQ(loom_session_create(artifact, nullptr), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_init_params(nullptr, 0), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_load_weights(session, nullptr, 0), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_save_weights(nullptr, "x"), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_param_data(session, "a", nullptr, &data), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_set_input(nullptr, "x", LOOM_DTYPE_F32, kXShape, 2, x, 32), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_run(session, nullptr), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_get_output(session, "forward", "y", &info, nullptr), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_get_output(nullptr, "forward", "y", &info, &cdata), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_num_outputs(artifact, nullptr, &n), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_param(nullptr, 0, &info), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_num_params(nullptr), 0u);
  EXPECT_STREQ(loom_artifact_model(nullptr), "");
  loom_session_destroy(nullptr);
}

TEST_F(RuntimeSession, SessionOutlivesTheArtifactHandle) {
  // The session keeps the library loaded after the caller closes its handle.
  loom_artifact_close(artifact);
  artifact = nullptr;
  ASSERT_EQ(loom_init_params(session, 1), LOOM_OK);
  ASSERT_EQ(setX(x), LOOM_OK);
  EXPECT_EQ(loom_run(session, "forward"), LOOM_OK) << loom_last_error();
  EXPECT_EQ(output("forward", "y").size(), 8u);
}

TEST_F(RuntimeSession, OneSessionPerThread) {
  ASSERT_EQ(loom_init_params(session, 3), LOOM_OK);
  ASSERT_EQ(setX(x), LOOM_OK);
  ASSERT_EQ(loom_run(session, "forward"), LOOM_OK);
  std::vector<float> want = output("forward", "y");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      loom_session *s;
      if (loom_session_create(artifact, &s) != LOOM_OK)
        return;
      bool good = loom_init_params(s, 3) == LOOM_OK && setX(x, s) == LOOM_OK;
      for (int i = 0; good && i < 100; ++i)
        good = loom_run(s, "forward") == LOOM_OK;
      loom_tensor_info info;
      const void *data;
      good = good && loom_get_output(s, "forward", "y", &info, &data) == LOOM_OK &&
             std::memcmp(data, want.data(), 32) == 0;
      // Errors are per thread: this one must not leak into the others.
      loom_run(s, "nope");
      ok[t] = good;
      loom_session_destroy(s);
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}

TEST(RuntimeSessionAlloc, HugeArenaFailsCleanly) {
  TempDir tmp;
  json j = fixtureManifest();
  j["functions"]["forward"]["arena_bytes"] = 1ull << 62;
  std::string dir = makeArtifact(tmp, j);
  loom_artifact *a;
  ASSERT_EQ(loom_artifact_open(dir.c_str(), &a), LOOM_OK) << loom_last_error();
  loom_session *s = nullptr;
  EXPECT_EQ(loom_session_create(a, &s), LOOM_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::string(loom_last_error()).find("for the arena"), std::string::npos)
      << loom_last_error();
  loom_artifact_close(a);
}

} // namespace
