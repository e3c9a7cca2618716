//===- RuntimeSafetensorsTest.cpp - safetensors files and weight loading ---===//
//
// The parser on well-formed files and on every corruption it must refuse,
// the writer (round trips, atomic replacement), and loom_load_weights /
// loom_save_weights against the fixture manifest: identical bytes after a
// round trip, and missing, extra, misshaped and aliased tensors.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/runtime.h"
#include "loom/formats/dtype.h"
#include "loom/formats/io.h"
#include "loom/formats/safetensors.h"

#include <cstring>
#include <functional>

using namespace loom::rt;
using namespace loom::rt::test;
using json = nlohmann::json;

namespace {

/// A file whose header is TEXT (as given, unpadded) followed by DATA bytes.
std::string rawFile(const std::string &header, const std::string &data) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

Status parseBytes(const std::string &bytes, SafetensorsFile &f) {
  return parseSafetensors(reinterpret_cast<const uint8_t *>(bytes.data()),
                          bytes.size(), "w.safetensors", f);
}

/// Two small tensors: a f32[2] at [0, 8), b i64[1] at [8, 16).
json goodHeader() {
  return json::parse(R"({
    "__metadata__": {"format": "pt"},
    "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    "b": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}
  })");
}
const std::string kGoodData(16, '\x11');

// A save killed mid-write leaves PATH.tmp.XXXXXX behind; the next save of
// PATH removes such leftovers (and nothing else).
TEST(RuntimeAtomicWrite, RemovesStrayTemporariesOfThePath) {
  TempDir tmp;
  std::string path = tmp.file("ck.safetensors");
  for (const char *stray : {"ck.safetensors.tmp.a1B2c3", "ck.safetensors.tmp.zzzzzz"})
    writeFile(tmp.file(stray), "partial");
  for (const char *keep : {"ck.safetensors.tmp.toolong1", "other.safetensors.tmp.a1B2c3",
                           "ck.safetensors.bak"})
    writeFile(tmp.file(keep), "keep");
  const char data[] = "hello";
  ASSERT_TRUE(writeFileAtomic(path, {{data, 5}}).isOk());
  EXPECT_EQ(readFileOrEmpty(path), "hello");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("ck.safetensors.tmp.a1B2c3")));
  EXPECT_FALSE(std::filesystem::exists(tmp.file("ck.safetensors.tmp.zzzzzz")));
  EXPECT_TRUE(std::filesystem::exists(tmp.file("ck.safetensors.tmp.toolong1")));
  EXPECT_TRUE(std::filesystem::exists(tmp.file("other.safetensors.tmp.a1B2c3")));
  EXPECT_TRUE(std::filesystem::exists(tmp.file("ck.safetensors.bak")));
}

TEST(RuntimeSafetensors, ParsesAWellFormedFile) {
  SafetensorsFile f;
  std::string bytes = rawFile(goodHeader().dump(), kGoodData);
  Status s = parseBytes(bytes, f);
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(f.tensors.size(), 2u);
  const SafetensorsTensor *a = f.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, "F32");
  EXPECT_EQ(a->shape, std::vector<int64_t>{2});
  EXPECT_EQ(a->nbytes(), 8u);
  EXPECT_EQ(a->data, reinterpret_cast<const uint8_t *>(bytes.data()) + 8 +
                         goodHeader().dump().size());
  ASSERT_EQ(f.metadata.size(), 1u);
  EXPECT_EQ(f.metadata[0].second, "pt");
  EXPECT_EQ(f.find("c"), nullptr);
}

TEST(RuntimeSafetensors, EmptyAndZeroSizedTensors) {
  SafetensorsFile f;
  Status s = parseBytes(rawFile("{}", ""), f);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_TRUE(f.tensors.empty());
  // Zero-sized tensors may sit anywhere, even at the same offset as another.
  json h = goodHeader();
  h["e"] = {{"dtype", "F16"}, {"shape", {0, 3}}, {"data_offsets", {8, 8}}};
  h["s"] = {{"dtype", "BOOL"}, {"shape", json::array()}, {"data_offsets", {16, 17}}};
  s = parseBytes(rawFile(h.dump(), kGoodData + "\x01"), f);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(f.find("s")->numel, 1);
  EXPECT_EQ(f.find("e")->numel, 0);
}

struct Corruption {
  const char *what;
  std::string bytes;
  const char *expected;
};

std::vector<Corruption> corruptions() {
  std::string good = rawFile(goodHeader().dump(), kGoodData);
  auto withHeader = [](std::function<void(json &)> edit, std::string data = kGoodData) {
    json h = goodHeader();
    edit(h);
    return rawFile(h.dump(), data);
  };
  std::string lengthPastEof = good;
  lengthPastEof[0] = static_cast<char>(0xff);
  std::string hugeLength = good;
  hugeLength[6] = 1; // 2^48 + ...
  return {
      {"empty file", "", "truncated: 0 bytes"},
      {"7 bytes", good.substr(0, 7), "truncated: 7 bytes"},
      {"truncated data", good.substr(0, good.size() - 1), "exceed the data section (15 bytes)"},
      {"truncated header", good.substr(0, 20), "exceeds the file (20 bytes)"},
      {"header length past EOF", lengthPastEof, "header length 255 exceeds the file"},
      {"huge header length", hugeLength, "exceeds the file"},
      {"bad JSON", rawFile("{\"a\": {", kGoodData), "header is not valid JSON"},
      {"invalid UTF-8", rawFile("{\"\xff\": 1}", ""), "header is not valid JSON"},
      {"NUL padding", rawFile(goodHeader().dump() + std::string(3, '\0'), kGoodData), "header contains a NUL byte"},
      {"NUL then junk", rawFile("{}" + std::string(1, '\0') + "junk", ""), "header contains a NUL byte"},
      {"header is an array", rawFile("[]", ""), "header is not a JSON object"},
      {"duplicate tensor", rawFile(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                        "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                                   kGoodData), "the key 'a' twice"},
      {"duplicate empty name", rawFile(R"({"": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},
                                            "": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})", ""),
       "the key '' twice"},
      {"duplicate field", rawFile(R"({"a": {"dtype": "F32", "dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                                  std::string(8, 'x')), "the key 'dtype' twice"},
      {"entry not an object", withHeader([](json &h) { h["a"] = 5; }), "tensor 'a': entry is not an object"},
      {"unknown field", withHeader([](json &h) { h["a"]["offset"] = 0; }), "tensor 'a': unknown field 'offset'"},
      {"missing dtype", withHeader([](json &h) { h["a"].erase("dtype"); }), "'dtype' is missing"},
      {"unknown dtype", withHeader([](json &h) { h["a"]["dtype"] = "F31"; }), "tensor 'a': unknown dtype 'F31'"},
      {"sub-byte dtype", withHeader([](json &h) { h["a"]["dtype"] = "F4"; }), "unknown dtype 'F4'"},
      {"shape not array", withHeader([](json &h) { h["a"]["shape"] = 2; }), "'shape' is missing or not an array"},
      {"negative dim", withHeader([](json &h) { h["a"]["shape"] = {-2}; }), "shape entry 0 is not a non-negative integer"},
      {"float dim", withHeader([](json &h) { h["a"]["shape"] = {2.0}; }), "shape entry 0"},
      {"dim overflow", withHeader([](json &h) { h["a"]["shape"] = {1ull << 62, 1ull << 62}; }), "overflows"},
      {"offsets not pair", withHeader([](json &h) { h["a"]["data_offsets"] = {0}; }), "'data_offsets' must be [BEGIN, END]"},
      {"negative offset", withHeader([](json &h) { h["a"]["data_offsets"] = {-8, 0}; }), "'data_offsets' must be"},
      {"huge offset", withHeader([](json &h) { h["a"]["data_offsets"] = {0, 18446744073709551615ull}; }), "'data_offsets' must be"},
      {"offsets reversed", withHeader([](json &h) { h["a"]["data_offsets"] = {8, 0}; }), "end before they begin"},
      {"offsets out of range", withHeader([](json &h) { h["b"]["data_offsets"] = {8, 24}; h["b"]["shape"] = {2}; }), "tensor 'b': data_offsets [8, 24] exceed the data section (16 bytes)"},
      {"size mismatch", withHeader([](json &h) { h["a"]["shape"] = {3}; }), "tensor 'a': data_offsets [0, 8] hold 8 bytes but F32 [3] needs 12"},
      {"overlap", withHeader([](json &h) { h["b"]["data_offsets"] = {4, 12}; }, std::string(12, 'x')), "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]"},
      {"same range twice", withHeader([](json &h) { h["b"] = h["a"]; }, std::string(8, 'x')), "overlap"},
      {"gap", withHeader([](json &h) { h["b"]["data_offsets"] = {12, 20}; }, std::string(20, 'x')), "leave a gap: bytes [8, 12]"},
      {"data before first", withHeader([](json &h) { h["a"]["data_offsets"] = {4, 12}; h["b"]["data_offsets"] = {12, 20}; }, std::string(20, 'x')), "leave a gap: bytes [0, 4]"},
      {"trailing bytes", rawFile(goodHeader().dump(), kGoodData + "junk"), "4 bytes after the last tensor"},
      {"metadata not object", withHeader([](json &h) { h["__metadata__"] = "pt"; }), "'__metadata__' is not an object"},
      {"metadata value not string", withHeader([](json &h) { h["__metadata__"]["n"] = 3; }), "'__metadata__' value of 'n' is not a string"},
  };
}

TEST(RuntimeSafetensors, RejectsEveryCorruption) {
  for (const Corruption &c : corruptions()) {
    SafetensorsFile f;
    Status s = parseBytes(c.bytes, f);
    EXPECT_EQ(s.code(), LOOM_ERR_FORMAT) << c.what;
    EXPECT_NE(s.message().find(c.expected), std::string::npos)
        << c.what << ": got \"" << s.message() << "\"";
    EXPECT_EQ(s.message().rfind("safetensors file 'w.safetensors': ", 0), 0u)
        << c.what << ": " << s.message();
  }
}

TEST(RuntimeSafetensors, SerializeParseRoundTrip) {
  std::vector<float> a = {1.5f, -2.0f, 3.25f};
  std::vector<int64_t> b = {7, -9};
  uint16_t h[4] = {1, 2, 3, 4};
  std::vector<SafetensorsEntry> entries = {
      {"layer.0.weight", "F32", {3}, a.data(), 12},
      {"ids", "I64", {2, 1}, b.data(), 16},
      {"half", "BF16", {2, 2}, h, 8},
      {"empty", "F32", {0}, nullptr, 0},
      {"weird name \xc3\xa9 \"quoted\"", "BF16", {2}, h, 4}};
  std::string bytes;
  ASSERT_TRUE(serializeSafetensors(entries, {{"k", "v"}}, bytes).isOk());
  // The data section starts 8-byte aligned.
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  SafetensorsFile f;
  Status s = parseBytes(bytes, f);
  ASSERT_TRUE(s.isOk()) << s.message();
  for (const SafetensorsEntry &e : entries) {
    const SafetensorsTensor *t = f.find(e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->dtype, e.dtype);
    EXPECT_EQ(t->shape, e.shape);
    ASSERT_EQ(t->nbytes(), e.nbytes);
    if (e.nbytes) {
      EXPECT_EQ(std::memcmp(t->data, e.data, e.nbytes), 0) << e.name;
    }
  }
  // Serializing what was parsed gives the same bytes.
  std::vector<SafetensorsEntry> again;
  for (const SafetensorsEntry &e : entries) {
    const SafetensorsTensor *t = f.find(e.name);
    again.push_back({t->name, t->dtype, t->shape, t->data, t->nbytes()});
  }
  std::string bytes2;
  ASSERT_TRUE(serializeSafetensors(again, f.metadata, bytes2).isOk());
  EXPECT_EQ(bytes, bytes2);
}

TEST(RuntimeSafetensors, WriterRefusesBadEntries) {
  float x[2] = {0, 0};
  std::string out;
  auto fails = [&](std::vector<SafetensorsEntry> e, const char *expected) {
    Status s = serializeSafetensors(e, {}, out);
    EXPECT_EQ(s.code(), LOOM_ERR_INVALID_ARGUMENT) << expected;
    EXPECT_NE(s.message().find(expected), std::string::npos) << s.message();
  };
  fails({{"a", "F32", {2}, x, 8}, {"a", "F32", {2}, x, 8}}, "appears twice");
  fails({{"__metadata__", "F32", {2}, x, 8}}, "reserved");
  fails({{"a", "F33", {2}, x, 8}}, "unknown dtype");
  fails({{"a", "F32", {3}, x, 8}}, "8 bytes given, F32 [3] needs 12");
}

TEST(RuntimeSafetensors, WriteIsAtomicReplacement) {
  TempDir tmp;
  std::string path = tmp.file("w.safetensors");
  writeFile(path, "old contents");
  float x[2] = {1, 2};
  ASSERT_TRUE(writeSafetensors(path, {{"x", "F32", {2}, x, 8}}, {}).isOk());
  // Replaced, and no temporary file left behind.
  size_t files = 0;
  for (auto &e : std::filesystem::directory_iterator(tmp.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  std::string bytes = readFileOrEmpty(path);
  SafetensorsFile f;
  ASSERT_TRUE(parseBytes(bytes, f).isOk());
  // A directory that does not exist: an I/O error naming the path.
  Status s = writeSafetensors(tmp.file("no/such/dir.safetensors"),
                              {{"x", "F32", {2}, x, 8}}, {});
  EXPECT_EQ(s.code(), LOOM_ERR_IO);
  EXPECT_NE(s.message().find("no/such/dir.safetensors"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// loom_load_weights / loom_save_weights
//===----------------------------------------------------------------------===//

class RuntimeWeights : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(loom_artifact_open(makeArtifact(tmp, fixtureManifest()).c_str(), &artifact),
              LOOM_OK)
        << loom_last_error();
    ASSERT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
  }
  void TearDown() override {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }

  std::vector<float> param(const char *name) {
    loom_tensor_info info;
    void *data;
    EXPECT_EQ(loom_param_data(session, name, &info, &data), LOOM_OK) << loom_last_error();
    const float *f = static_cast<const float *>(data);
    return std::vector<float>(f, f + info.numel);
  }

  /// Writes a safetensors file with ENTRIES; returns its path.
  std::string weights(const std::vector<SafetensorsEntry> &entries) {
    std::string path = tmp.file("w" + std::to_string(counter++) + ".safetensors");
    Status s = writeSafetensors(path, entries, {});
    EXPECT_TRUE(s.isOk()) << s.message();
    return path;
  }

  /// loom_load_weights must fail with CODE and a message containing every
  /// string of EXPECTED.
  void loadFails(const std::string &path, loom_status code,
                 std::initializer_list<const char *> expected, uint32_t flags = 0) {
    EXPECT_EQ(loom_load_weights(session, path.c_str(), flags), code);
    std::string msg = loom_last_error();
    for (const char *e : expected)
      EXPECT_NE(msg.find(e), std::string::npos) << "want \"" << e << "\" in \"" << msg << "\"";
  }

  TempDir tmp;
  int counter = 0;
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
  float a[4] = {1, 2, 3, 4}, b[4] = {-1, -2, -3, -4};
};

TEST_F(RuntimeWeights, SaveThenLoadGivesIdenticalBytes) {
  ASSERT_EQ(loom_init_params(session, 17), LOOM_OK);
  std::vector<float> a0 = param("a"), b0 = param("b");
  std::string path = tmp.file("saved.safetensors");
  ASSERT_EQ(loom_save_weights(session, path.c_str()), LOOM_OK) << loom_last_error();

  // Load into a fresh session of the same artifact.
  loom_session *other;
  ASSERT_EQ(loom_session_create(artifact, &other), LOOM_OK);
  ASSERT_EQ(loom_load_weights(other, path.c_str(), 0), LOOM_OK) << loom_last_error();
  loom_tensor_info info;
  void *data;
  ASSERT_EQ(loom_param_data(other, "a", &info, &data), LOOM_OK);
  EXPECT_EQ(std::memcmp(data, a0.data(), 16), 0);
  ASSERT_EQ(loom_param_data(other, "b", &info, &data), LOOM_OK);
  EXPECT_EQ(std::memcmp(data, b0.data(), 16), 0);
  // Saving again writes the same file, byte for byte.
  std::string path2 = tmp.file("saved2.safetensors");
  ASSERT_EQ(loom_save_weights(other, path2.c_str()), LOOM_OK);
  EXPECT_EQ(readFileOrEmpty(path), readFileOrEmpty(path2));
  loom_session_destroy(other);

  SafetensorsFile f;
  std::string bytes = readFileOrEmpty(path);
  ASSERT_TRUE(parseBytes(bytes, f).isOk());
  EXPECT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.metadata, (std::vector<std::pair<std::string, std::string>>{
                            {"model", "fixture"}, {"producer", "loom"}}));
}

TEST_F(RuntimeWeights, LoadsByAlias) {
  ASSERT_EQ(loom_load_weights(session,
                              weights({{"scale", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16}}).c_str(), 0),
            LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(param("a"), std::vector<float>(a, a + 4));
  EXPECT_EQ(param("scale"), std::vector<float>(a, a + 4));
  EXPECT_EQ(param("b"), std::vector<float>(b, b + 4));
}

TEST_F(RuntimeWeights, TiedNamesMustAgree) {
  // Both names of a tied parameter: fine when equal, an error when not.
  std::string same = weights({{"a", "F32", {4}, a, 16}, {"scale", "F32", {4}, a, 16},
                              {"b", "F32", {4}, b, 16}});
  EXPECT_EQ(loom_load_weights(session, same.c_str(), 0), LOOM_OK) << loom_last_error();
  loadFails(weights({{"a", "F32", {4}, a, 16}, {"scale", "F32", {4}, b, 16},
                     {"b", "F32", {4}, b, 16}}),
            LOOM_ERR_MISMATCH, {"tied names with different values: 'a' and 'scale'"});
}

TEST_F(RuntimeWeights, ReportsMissingExtraAndMisshapedTogether) {
  uint16_t h[4] = {};
  std::string path = weights({{"a", "F16", {4}, h, 8},          // misshaped (dtype)
                              {"c", "F32", {4}, a, 16},          // extra
                              {"d.weight", "F32", {1}, a, 4}});  // extra; b missing
  ASSERT_EQ(loom_init_params(session, 0), LOOM_OK);
  std::vector<float> before = param("a");
  loadFails(path, LOOM_ERR_MISMATCH,
            {"weights '", "do not match artifact", "missing tensors: 'b'",
             "extra tensors (not parameters of the model): 'c', 'd.weight'",
             "misshaped tensors: 'a' (file: F16 [4], manifest: f32 [4])"});
  // Nothing was loaded.
  EXPECT_EQ(param("a"), before);
}

TEST_F(RuntimeWeights, MisshapedAliasNamesBoth) {
  loadFails(weights({{"scale", "F32", {2, 2}, a, 16}, {"b", "F32", {4}, b, 16}}),
            LOOM_ERR_MISMATCH,
            {"'scale' (alias of 'a'; file: F32 [2, 2], manifest: f32 [4])"});
}

TEST_F(RuntimeWeights, AllowExtra) {
  std::string path = weights({{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16},
                              {"extra", "I32", {1}, a, 4}});
  loadFails(path, LOOM_ERR_MISMATCH, {"extra tensors", "'extra'"});
  EXPECT_EQ(loom_load_weights(session, path.c_str(), LOOM_LOAD_ALLOW_EXTRA), LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(param("b"), std::vector<float>(b, b + 4));
  loadFails(path, LOOM_ERR_INVALID_ARGUMENT, {"unknown loom_load_weights flags"}, 0x80);
}

TEST_F(RuntimeWeights, BadFiles) {
  loadFails(tmp.file("missing.safetensors"), LOOM_ERR_IO,
            {"cannot open '", "missing.safetensors"});
  loadFails(tmp.path(), LOOM_ERR_IO, {"is not a regular file"});
  std::string corrupt = tmp.file("corrupt.safetensors");
  writeFile(corrupt, rawFile(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                             std::string(10, 'x')));
  loadFails(corrupt, LOOM_ERR_FORMAT,
            {"corrupt.safetensors", "tensor 'a'", "exceed the data section (10 bytes)"});
  std::string empty = tmp.file("empty.safetensors");
  writeFile(empty, "");
  loadFails(empty, LOOM_ERR_FORMAT, {"empty.safetensors", "truncated"});
}

TEST_F(RuntimeWeights, SaveToAnUnwritablePlace) {
  ASSERT_EQ(loom_init_params(session, 0), LOOM_OK);
  EXPECT_EQ(loom_save_weights(session, tmp.file("none/w.safetensors").c_str()), LOOM_ERR_IO);
  EXPECT_NE(std::string(loom_last_error()).find("none/w.safetensors"), std::string::npos);
}

} // namespace

//===----------------------------------------------------------------------===//
// loom_import_weights: other frameworks' checkpoints through a checkpoint map
//===----------------------------------------------------------------------===//

class RuntimeImport : public RuntimeWeights {
protected:
  void SetUp() override {
    nlohmann::json m = fixtureManifest();
    m["checkpoints"] = nlohmann::json::parse(R"([
      {"name": "hf", "rules": [{"strip": "model."}, {"ignore": "*.buf"},
                               {"from": "*.w", "to": "*"}]},
      {"name": "plain", "rules": []}])");
    ASSERT_EQ(loom_artifact_open(makeArtifact(tmp, m, "imp").c_str(), &artifact), LOOM_OK)
        << loom_last_error();
    ASSERT_EQ(loom_session_create(artifact, &session), LOOM_OK) << loom_last_error();
  }

  /// loom_import_weights must fail with CODE and a message containing every
  /// string of EXPECTED, and leave the parameters as they were.
  void importFails(const std::string &path, loom_status code,
                   std::initializer_list<const char *> expected, uint32_t flags = 0,
                   const char *map = nullptr) {
    ASSERT_EQ(loom_init_params(session, 5), LOOM_OK);
    std::vector<float> a0 = param("a");
    EXPECT_EQ(loom_import_weights(session, path.c_str(), map, flags, nullptr), code);
    std::string msg = loom_last_error();
    for (const char *e : expected)
      EXPECT_NE(msg.find(e), std::string::npos) << "want \"" << e << "\" in \"" << msg << "\"";
    EXPECT_EQ(param("a"), a0);
  }
};

TEST_F(RuntimeImport, RenamesConvertsAndReports) {
  uint16_t aHalf[4];
  for (int i = 0; i < 4; ++i)
    aHalf[i] = floatToHalf(a[i]); // 1..4 are exact in f16
  double bDouble[4] = {-1, -2, -3, -4};
  float buf[2] = {9, 9};
  std::string path = weights({{"model.a.w", "F16", {4}, aHalf, 8},
                              {"b", "F64", {4}, bDouble, 32},
                              {"model.mask.buf", "F32", {2}, buf, 8}});
  const char *report = nullptr;
  ASSERT_EQ(loom_import_weights(session, path.c_str(), nullptr, 0, &report), LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(param("a"), std::vector<float>(a, a + 4));
  EXPECT_EQ(param("b"), std::vector<float>(b, b + 4));
  std::string r = report;
  EXPECT_NE(r.find("imported 2 of 2 parameters"), std::string::npos) << r;
  EXPECT_NE(r.find("with checkpoint map 'hf': 3 checkpoint tensors, 1 renamed, "
                   "0 transposed, 2 converted"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("ignored by the map (1): 'model.mask.buf'"), std::string::npos) << r;
  // The map with no rules looks names up as they are.
  std::string plain = weights({{"a", "F32", {4}, b, 16}, {"b", "F32", {4}, a, 16}});
  ASSERT_EQ(loom_import_weights(session, plain.c_str(), "plain", 0, nullptr), LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(param("a"), std::vector<float>(b, b + 4));
}

TEST_F(RuntimeImport, EveryMismatchAtOnce) {
  int32_t ints[4] = {1, 2, 3, 4};
  std::string path = weights({{"a.w", "I32", {4}, ints, 16}, {"c", "F32", {4}, a, 16}});
  importFails(path, LOOM_ERR_MISMATCH,
              {"with checkpoint map 'hf'", "missing tensors", "'b'", "extra tensors",
               "'c'", "misshaped tensors", "'a.w' (as 'a') (dtype I32 cannot become f32)"});
  // --allow-extra and --allow-missing: only the misshaped one is left.
  importFails(path, LOOM_ERR_MISMATCH, {"misshaped tensors"},
              LOOM_LOAD_ALLOW_EXTRA | LOOM_LOAD_ALLOW_MISSING);
  std::string shape = weights({{"a", "F32", {2, 2}, a, 16}});
  importFails(shape, LOOM_ERR_MISMATCH, {"'a' (checkpoint: F32 [2, 2], model: f32 [4])"},
              LOOM_LOAD_ALLOW_MISSING);
}

TEST_F(RuntimeImport, MissingKeepsInitializationOnlyWhenAsked) {
  std::string path = weights({{"a", "F32", {4}, b, 16}});
  // ALLOW_MISSING needs initialized parameters to keep.
  EXPECT_EQ(loom_import_weights(session, path.c_str(), nullptr, LOOM_LOAD_ALLOW_MISSING,
                                nullptr),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(loom_last_error()).find("initialize them first"), std::string::npos);
  ASSERT_EQ(loom_init_params(session, 5), LOOM_OK);
  std::vector<float> b0 = param("b");
  const char *report = nullptr;
  ASSERT_EQ(loom_import_weights(session, path.c_str(), nullptr, LOOM_LOAD_ALLOW_MISSING,
                                &report),
            LOOM_OK)
      << loom_last_error();
  EXPECT_EQ(param("a"), std::vector<float>(b, b + 4));
  EXPECT_EQ(param("b"), b0);
  EXPECT_NE(std::string(report).find("missing, initialization kept (1): 'b'"),
            std::string::npos)
      << report;
}

TEST_F(RuntimeImport, BadFilesMapsAndFlags) {
  std::string path = weights({{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16}});
  importFails(path, LOOM_ERR_NOT_FOUND, {"no checkpoint map 'flax'", "'hf', 'plain'"}, 0,
              "flax");
  importFails(path, LOOM_ERR_INVALID_ARGUMENT, {"unknown loom_import_weights flags"}, 0x80);
  std::string corrupt = tmp.file("corrupt.safetensors");
  writeFile(corrupt, std::string("\x10\0\0\0\0\0\0\0{\"a\":", 13));
  importFails(corrupt, LOOM_ERR_FORMAT, {"corrupt.safetensors"});
  importFails(tmp.file("nothing-here"), LOOM_ERR_IO, {"nothing-here"});
  // A sharded index naming a file outside its directory.
  std::string index = tmp.file("model.safetensors.index.json");
  writeFile(index, R"({"weight_map": {"a": "../w0.safetensors"}})");
  importFails(index, LOOM_ERR_FORMAT, {"is not a file beside the index"});
  writeFile(index, R"({"weights": {}})");
  importFails(index, LOOM_ERR_FORMAT, {"no \"weight_map\" object"});
  EXPECT_EQ(loom_import_weights(nullptr, path.c_str(), nullptr, 0, nullptr),
            LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_import_weights(session, nullptr, nullptr, 0, nullptr),
            LOOM_ERR_INVALID_ARGUMENT);
}
