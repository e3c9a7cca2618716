//===- RuntimeNpyTest.cpp - .npy reader and writer -------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/formats/dtype.h"
#include "loom/formats/npy.h"

#include <cstring>

using namespace loom::rt;
using namespace loom::rt::test;

namespace {

Status parseBytes(const std::string &bytes, NpyArray &out) {
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                  "x.npy", out);
}

TEST(RuntimeNpy, ReadsWhatNumpyWrites) {
  // np.save of np.arange(6, dtype=np.float32).reshape(2, 3), numpy 1.26.
  std::string data(24, '\0');
  for (int i = 0; i < 6; ++i) {
    float f = static_cast<float>(i);
    std::memcpy(&data[4 * i], &f, 4);
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(117 - header.size(), ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + header + data;
  ASSERT_EQ(bytes.size(), 128u + 24u);
  NpyArray a;
  Status s = parseBytes(bytes, a);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(a.dtype, LOOM_DTYPE_F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, data);
  // Our writer produces the same bytes.
  std::string written;
  ASSERT_TRUE(serializeNpy(LOOM_DTYPE_F32, {2, 3}, data.data(), 24, written).isOk());
  EXPECT_EQ(written, bytes);
}

TEST(RuntimeNpy, HeaderVariants) {
  NpyArray a;
  // Double quotes, no trailing comma, extra spaces, Python 2 longs, a scalar
  // and a 1-d shape.
  for (auto [dict, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3,)}", {3}},
           {"{ 'shape' : ( 3L , ) , 'fortran_order':False,'descr':'<i4' }", {3}},
           {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3, 1), }", {1, 3, 1}}}) {
    Status s = parseBytes(npyV1(dict, std::string(12, '\1')), a);
    ASSERT_TRUE(s.isOk()) << dict << ": " << s.message();
    EXPECT_EQ(a.shape, shape) << dict;
  }
  Status s = parseBytes(npyV1("{'descr': '|b1', 'fortran_order': False, 'shape': (), }",
                              std::string(1, '\1')), a);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(a.dtype, LOOM_DTYPE_I1);
  EXPECT_TRUE(a.shape.empty());
  // Version 2.0: 4-byte header length.
  std::string dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n";
  std::string v2("\x93NUMPY\x02\x00", 8);
  v2 += std::string(1, static_cast<char>(dict.size())) + std::string(3, '\0') + dict +
        std::string(8, '\2');
  s = parseBytes(v2, a);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(a.dtype, LOOM_DTYPE_I64);
}

TEST(RuntimeNpy, RoundTripEveryDType) {
  TempDir tmp;
  for (loom_dtype t : {LOOM_DTYPE_F32, LOOM_DTYPE_F16, LOOM_DTYPE_I32,
                       LOOM_DTYPE_I64, LOOM_DTYPE_I1}) {
    for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {5}, {2, 3, 4}, {0, 7}}) {
      int64_t numel;
      uint64_t nbytes;
      ASSERT_TRUE(checkedSize(shape, dtypeSize(t), numel, nbytes));
      std::string data(nbytes, '\0');
      for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(t == LOOM_DTYPE_I1 ? i % 2 : i * 37 + 1);
      std::string path = tmp.file("a.npy");
      ASSERT_TRUE(writeNpy(path, t, shape, data.data(), data.size()).isOk());
      std::string bytes = readFileOrEmpty(path);
      EXPECT_EQ((bytes.size() - data.size()) % 64, 0u) << "data starts 64-aligned";
      NpyArray a;
      Status s = readNpy(path, a);
      ASSERT_TRUE(s.isOk()) << s.message();
      EXPECT_EQ(a.dtype, t);
      EXPECT_EQ(a.shape, shape);
      EXPECT_EQ(a.data, data);
    }
  }
  std::string out;
  Status s = serializeNpy(LOOM_DTYPE_BF16, {1}, "ab", 2, out);
  EXPECT_EQ(s.code(), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("bf16 has no .npy equivalent"), std::string::npos);
  s = serializeNpy(LOOM_DTYPE_F32, {2}, "abcd", 4, out);
  EXPECT_EQ(s.code(), LOOM_ERR_INVALID_ARGUMENT);
}

TEST(RuntimeNpy, Errors) {
  const std::string f32x2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data(8, '\0');
  std::string good = npyV1(f32x2, data);
  std::string badVersion = good;
  badVersion[6] = 4;
  std::string badMinor = good;
  badMinor[7] = 1;
  std::string longHeader = good;
  longHeader[8] = static_cast<char>(0xff);
  longHeader[9] = static_cast<char>(0xff);
  struct Case {
    const char *what;
    std::string bytes;
    const char *expected;
  } cases[] = {
      {"empty", "", "not a .npy file"},
      {"bad magic", "\x93NUMPX\x01\x00", "not a .npy file"},
      {"version 4", badVersion, "unsupported format version 4.0"},
      {"minor version", badMinor, "unsupported format version 1.1"},
      {"truncated length", good.substr(0, 9), "truncated before the header length"},
      {"header past EOF", longHeader, "header length 65535 exceeds the file"},
      {"truncated data", good.substr(0, good.size() - 1), "data is 7 bytes but <f4 [2] needs 8 (truncated)"},
      {"trailing data", good + "xx", "data is 10 bytes but <f4 [2] needs 8"},
      {"fortran order", npyV1("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data), "fortran_order is True"},
      {"big endian", npyV1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data), "unsupported dtype '>f4' (big-endian"},
      {"float64", npyV1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", data), "unsupported dtype '<f8' (supported: <f4, <f2, <i4, <i8, |b1)"},
      {"structured", npyV1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data), "'descr' must be given once, as a string"},
      {"missing shape", npyV1("{'descr': '<f4', 'fortran_order': False}", data), "lacks 'descr', 'fortran_order' or 'shape'"},
      {"unknown key", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data), "unknown key 'x'"},
      {"duplicate key", npyV1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data), "'descr' must be given once"},
      {"negative dim", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data), "'shape' must be given once, as a tuple"},
      {"huge dim", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data), "a dim of 'shape' is too large"},
      {"overflowing shape", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", data), "overflows"},
      {"not a dict", npyV1("['descr']", data), "does not start with '{'"},
      {"unterminated", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", data), "expected ',' or '}'"},
      {"junk after dict", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", data), "unexpected text after the header dict"},
      {"bad bool", npyV1("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", data), "'fortran_order' must be given once, as True or False"},
  };
  for (const Case &c : cases) {
    NpyArray a;
    Status s = parseBytes(c.bytes, a);
    EXPECT_EQ(s.code(), LOOM_ERR_FORMAT) << c.what;
    EXPECT_NE(s.message().find(c.expected), std::string::npos)
        << c.what << ": got \"" << s.message() << "\"";
    EXPECT_EQ(s.message().rfind(".npy file 'x.npy': ", 0), 0u) << c.what;
  }
  NpyArray a;
  Status s = readNpy("/nonexistent/x.npy", a);
  EXPECT_EQ(s.code(), LOOM_ERR_IO);
  EXPECT_NE(s.message().find("/nonexistent/x.npy"), std::string::npos);
}

} // namespace
