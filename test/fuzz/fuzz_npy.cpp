//===- fuzz_npy.cpp - libFuzzer target: the .npy reader -------------------===//
//
// Build (self-contained; no CMake target, no MLIR):
//   FUZZ_SOURCES: runtime/src/npy.cpp runtime/src/io.cpp
//   FUZZ_INCLUDES: runtime/include
// e.g. from the repository root:
//   clang++ -std=c++17 -O1 -g -fno-exceptions -fsanitize=fuzzer,address,undefined \
//     -Iruntime/include test/fuzz/fuzz_npy.cpp runtime/src/npy.cpp \
//     runtime/src/io.cpp -o fuzz_npy
// Seed corpus: test/fuzz/corpus/npy/ (test/fuzz/make_npy_corpus.py writes
// it); dictionary: test/fuzz/npy.dict.
//
// `loom run --input`, `loom train --data tokens:` and `loomc --interpret`
// read .npy files that users hand them, so any bytes must parse or fail with
// LOOM_ERR_FORMAT and a message naming the file (no crash, no sanitizer
// report). An array that parses must be one of loom's dtypes with exactly
// the bytes its shape needs, and must survive a round trip: the writer's
// file for it parses back to the same dtype, shape and data, with the data
// 64-byte aligned, and writing that again gives the same bytes.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/dtype.h"
#include "loom/formats/npy.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace loom::rt;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_npy: %s\n", what);
  std::abort();
}

Status parseString(const std::string &bytes, NpyArray &out) {
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                  "fuzz", out);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  NpyArray a;
  Status s = parseNpy(data, size, "fuzz", a);
  if (!s.isOk()) {
    if (s.code() != LOOM_ERR_FORMAT ||
        s.message().rfind(".npy file 'fuzz': ", 0) != 0)
      fail("an error without LOOM_ERR_FORMAT or the file name");
    return 0;
  }
  if (!npyDescr(a.dtype))
    fail("parsed a dtype that has no .npy spelling");
  int64_t numel;
  uint64_t nbytes;
  if (!checkedSize(a.shape, dtypeSize(a.dtype), numel, nbytes))
    fail("parsed a shape whose size overflows");
  if (a.data.size() != nbytes)
    fail("the data is not the size dtype and shape imply");
  if (nbytes > size)
    fail("more data than input");

  std::string bytes;
  if (!serializeNpy(a.dtype, a.shape, a.data.data(), a.data.size(), bytes)
           .isOk())
    fail("a parsed array does not serialize");
  if ((bytes.size() - a.data.size()) % 64 != 0)
    fail("the writer's data does not start 64-byte aligned");
  NpyArray b;
  Status again = parseString(bytes, b);
  if (!again.isOk()) {
    std::fprintf(stderr, "%s\n", again.message().c_str());
    fail("a serialized array does not parse");
  }
  if (b.dtype != a.dtype || b.shape != a.shape || b.data != a.data)
    fail("round trip changed the array");
  std::string rewritten;
  if (!serializeNpy(b.dtype, b.shape, b.data.data(), b.data.size(), rewritten)
           .isOk() ||
      rewritten != bytes)
    fail("the writer is not deterministic");
  return 0;
}
