//===- RuntimeBucketsTest.cpp - shape buckets in the manifest and runtime -===//
//
// A bucketed manifest over the fixture library (its `loom_stats` sums the
// first 8 floats of x): `stats` takes x f32[3, 4] (B = 3), `stats__B2` the
// bucket B = 2 (x f32[2, 4]). The parser's checks of the bucket table, one
// mutation each; then the session: the bucket chosen for a given shape, the
// padding laid over stale values, the outputs read from the bucket that
// ran, and the shape errors of loom_set_input.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/formats/manifest.h"
#include "loom/runtime.h"

#include <functional>
#include <vector>

using namespace loom::rt;
using namespace loom::rt::test;
using json = nlohmann::json;

namespace {

json bucketManifest() {
  return json::parse(R"({
    "format": "loom-artifact", "version": 1, "model": "fixture", "spec": "",
    "library": "model.so",
    "dims": {"B": 3},
    "params": [],
    "inputs": [{"name": "x", "dtype": "f32", "shape": [3, 4]},
               {"name": "ids", "dtype": "i32", "shape": [3],
                "range": [0, 8], "ignore": -100}],
    "functions": {
      "stats": {"symbol": "loom_stats", "arena_bytes": 0, "slots": [
        {"kind": "input", "name": "x"},
        {"kind": "output", "name": "sum", "dtype": "f32", "shape": []},
        {"kind": "output", "name": "aligned", "dtype": "i32", "shape": []},
        {"kind": "arena"}]},
      "stats__B2": {"symbol": "loom_stats", "arena_bytes": 0, "slots": [
        {"kind": "input", "name": "x", "shape": [2, 4]},
        {"kind": "output", "name": "sum", "dtype": "f32", "shape": []},
        {"kind": "output", "name": "aligned", "dtype": "i32", "shape": []},
        {"kind": "arena"}]}
    },
    "buckets": [
      {"dims": {"B": 2}, "functions": {"stats": "stats__B2"}},
      {"dims": {"B": 3}, "functions": {"stats": "stats"}}
    ]
  })");
}

TEST(RuntimeBuckets, ParsesTheTable) {
  Manifest m;
  Status s = parseManifest(bucketManifest().dump(), "dir/manifest.json", m);
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(m.buckets.size(), 2u);
  EXPECT_EQ(m.buckets[0].volume, 2);
  const FunctionSpec &plain = m.functions[m.findFunction("stats")];
  const FunctionSpec &small = m.functions[m.findFunction("stats__B2")];
  ASSERT_EQ(plain.buckets.size(), 2u);
  EXPECT_EQ(m.functions[plain.buckets[0]].name, "stats__B2");
  EXPECT_EQ(m.functions[plain.buckets[1]].name, "stats");
  EXPECT_TRUE(small.buckets.empty());
  EXPECT_EQ(small.bucket, 0);
  EXPECT_EQ(small.slots[0].shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(plain.slots[0].shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(m.inputs[0].bucketed, (std::vector<bool>{true, false}));
}

struct Case {
  const char *what;
  std::function<void(json &)> mutate;
  const char *expected;
};

json &small(json &m) { return m["functions"]["stats__B2"]; }

const Case kCases[] = {
    {"not an array", [](json &m) { m["buckets"] = json::object(); }, "buckets: is not a non-empty array"},
    {"empty", [](json &m) { m["buckets"] = json::array(); }, "buckets: is not a non-empty array"},
    {"unknown field", [](json &m) { m["buckets"][0]["order"] = 1; }, "unknown field 'order'"},
    {"no dims", [](json &m) { m["buckets"][0].erase("dims"); }, "needs non-empty objects"},
    {"undeclared dim", [](json &m) { m["buckets"][0]["dims"] = {{"T", 2}}; }, "dim 'T' is not in 'dims'"},
    {"zero", [](json &m) { m["buckets"][0]["dims"]["B"] = 0; }, "dims.B: is not an integer from 1 to 3"},
    {"above the bound", [](json &m) { m["buckets"][0]["dims"]["B"] = 4; }, "is not an integer from 1 to 3"},
    {"largest not last", [](json &m) { std::swap(m["buckets"][0], m["buckets"][1]); }, "is the artifact's own dims but not the last entry"},
    {"repeated dims", [](json &m) { m["buckets"][1]["dims"]["B"] = 2; }, "repeats the dims of an earlier entry"},
    {"unknown plain function", [](json &m) { m["buckets"][0]["functions"] = {{"loss", "stats__B2"}}; }, "'loss' is not in 'functions'"},
    {"unknown bucket function", [](json &m) { m["buckets"][0]["functions"]["stats"] = "stats__B1"; }, "does not name a function"},
    {"largest runs another", [](json &m) { m["buckets"][1]["functions"]["stats"] = "stats__B2"; }, "the largest bucket must run the plain function itself"},
    {"function named twice", [](json &m) { m["buckets"][0]["functions"]["stats"] = "stats"; }, "names a function another entry already names"},
    {"slot shape too large", [](json &m) { small(m)["slots"][0]["shape"] = {4, 4}; }, "shape[0] is not an integer from 0 to 3"},
    {"slot shape rank", [](json &m) { small(m)["slots"][0]["shape"] = {2}; }, "'shape' is not an array of rank 2"},
    {"shape outside the table", [](json &m) { m.erase("buckets"); }, "the function is in no entry of 'buckets'"},
    {"other slots", [](json &m) { small(m)["slots"].erase(2); }, "takes other slots than 'stats'"},
};

TEST(RuntimeBuckets, RejectsEveryMalformation) {
  for (const Case &c : kCases) {
    json j = bucketManifest();
    c.mutate(j);
    Manifest m;
    Status s = parseManifest(j.dump(), "dir/manifest.json", m);
    EXPECT_FALSE(s.isOk()) << c.what;
    EXPECT_EQ(s.code(), LOOM_ERR_MANIFEST) << c.what;
    EXPECT_NE(s.message().find(c.expected), std::string::npos)
        << c.what << ": got \"" << s.message() << "\"";
  }
}

class BucketSession : public ::testing::Test {
protected:
  void SetUp() override {
    dir = makeArtifact(tmp, bucketManifest());
    ASSERT_EQ(loom_artifact_open(dir.c_str(), &artifact), LOOM_OK) << loom_last_error();
    ASSERT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
  }
  void TearDown() override {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }
  loom_status setX(std::vector<int64_t> shape, float value) {
    std::vector<float> x(shape[0] * shape[1], value);
    return loom_set_input(session, "x", LOOM_DTYPE_F32, shape.data(), 2, x.data(),
                          x.size() * sizeof(float));
  }
  float runStats(std::string &ran) {
    EXPECT_EQ(loom_run(session, "stats"), LOOM_OK) << loom_last_error();
    const char *name = nullptr;
    EXPECT_EQ(loom_session_ran_function(session, "stats", &name), LOOM_OK);
    ran = name ? name : "";
    loom_tensor_info info;
    const void *data = nullptr;
    EXPECT_EQ(loom_get_output(session, "stats", "sum", &info, &data), LOOM_OK)
        << loom_last_error();
    return data ? *static_cast<const float *>(data) : -1;
  }
  TempDir tmp;
  std::string dir;
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
};

TEST_F(BucketSession, PicksTheSmallestBucketAndPads) {
  std::string ran;
  // The whole shape: the plain function (it sums the first 8 of 12).
  ASSERT_EQ(setX({3, 4}, 100), LOOM_OK) << loom_last_error();
  EXPECT_FLOAT_EQ(runStats(ran), 800);
  EXPECT_EQ(ran, "stats");
  // One row: bucket B = 2, the second row padded with zeros over the 100s
  // the buffer held.
  ASSERT_EQ(setX({1, 4}, 2.5), LOOM_OK) << loom_last_error();
  EXPECT_FLOAT_EQ(runStats(ran), 10);
  EXPECT_EQ(ran, "stats__B2");
  // Two rows fit B = 2 exactly.
  ASSERT_EQ(setX({2, 4}, 1), LOOM_OK) << loom_last_error();
  EXPECT_FLOAT_EQ(runStats(ran), 8);
  EXPECT_EQ(ran, "stats__B2");
  // Calling a bucket's function by its name runs it.
  ASSERT_EQ(loom_run(session, "stats__B2"), LOOM_OK) << loom_last_error();
}

TEST_F(BucketSession, RefusesShapesNoBucketHolds) {
  EXPECT_EQ(setX({4, 4}, 1), LOOM_ERR_MISMATCH);
  EXPECT_NE(std::string(loom_last_error()).find("the largest shape bucket takes at most 3"),
            std::string::npos) << loom_last_error();
  EXPECT_EQ(setX({2, 3}, 1), LOOM_ERR_MISMATCH);
  EXPECT_NE(std::string(loom_last_error()).find("it is not a bucketed dim and must be 4"),
            std::string::npos) << loom_last_error();
  // An input no function takes smaller keeps its exact shape; its index
  // range is still checked.
  int64_t two[] = {2};
  int32_t ids[] = {1, 2, 9};
  EXPECT_EQ(loom_set_input(session, "ids", LOOM_DTYPE_I32, two, 1, ids, 8),
            LOOM_ERR_MISMATCH);
  int64_t three[] = {3};
  EXPECT_EQ(loom_set_input(session, "ids", LOOM_DTYPE_I32, three, 1, ids, sizeof ids),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(loom_last_error()).find("element [2] is 9"), std::string::npos)
      << loom_last_error();
  // The bytes must be the given shape's.
  std::vector<float> x(4);
  int64_t one[] = {1, 4};
  EXPECT_EQ(loom_set_input(session, "x", LOOM_DTYPE_F32, one, 2, x.data(), 8),
            LOOM_ERR_MISMATCH);
  // A bucket function called by name with a larger input.
  ASSERT_EQ(setX({3, 4}, 1), LOOM_OK);
  EXPECT_EQ(loom_run(session, "stats__B2"), LOOM_ERR_MISMATCH);
  EXPECT_NE(std::string(loom_last_error()).find("larger than the [2, 4] function 'stats__B2' takes"),
            std::string::npos) << loom_last_error();
  const char *name;
  EXPECT_EQ(loom_session_ran_function(session, "stats", &name), LOOM_ERR_STATE);
}

} // namespace
