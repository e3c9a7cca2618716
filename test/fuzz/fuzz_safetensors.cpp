//===- fuzz_safetensors.cpp - libFuzzer target: the safetensors parser ----===//
//
// Build (self-contained; no CMake target, no MLIR):
//   FUZZ_SOURCES: runtime/src/safetensors.cpp runtime/src/io.cpp
//   FUZZ_INCLUDES: runtime/include
//   (plus nlohmann/json, found in /usr/include)
// e.g. from the repository root:
//   clang++ -std=c++17 -O1 -g -fno-exceptions -fsanitize=fuzzer,address,undefined \
//     -Iruntime/include test/fuzz/fuzz_safetensors.cpp \
//     runtime/src/safetensors.cpp runtime/src/io.cpp -o fuzz_safetensors
// Seed corpus: test/fuzz/corpus/safetensors/; dictionary:
// test/fuzz/safetensors.dict.
//
// Any bytes must parse or fail with a message naming the file (no crash, no
// abort from nlohmann, no sanitizer report). A file that parses must have
// every tensor inside the buffer, with the size its dtype and shape imply,
// and must survive a round trip: serialize what was parsed, parse it again,
// and get the same tensors and metadata.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace loom::rt;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_safetensors: %s\n", what);
  std::abort();
}

/// Reads every byte of every tensor (ASan catches a range that is not
/// really inside the input) and checks the ranges the parser vouches for.
uint64_t touchAll(const SafetensorsFile &f, const uint8_t *data, size_t size) {
  uint64_t sum = 0, prevEnd = 0;
  for (const SafetensorsTensor &t : f.tensors) {
    if (t.data < data || t.data + t.nbytes() > data + size)
      fail("tensor data outside the input");
    if (safetensorsElementSize(t.dtype) * static_cast<uint64_t>(t.numel) != t.nbytes())
      fail("tensor size does not match dtype and shape");
    if (t.begin != prevEnd)
      fail("tensors do not tile the data section");
    prevEnd = t.end;
    for (uint64_t i = 0; i < t.nbytes(); ++i)
      sum += t.data[i];
  }
  return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  SafetensorsFile f;
  Status s = parseSafetensors(data, size, "fuzz", f);
  if (!s.isOk()) {
    if (s.code() != LOOM_ERR_FORMAT ||
        s.message().rfind("safetensors file 'fuzz': ", 0) != 0)
      fail("an error without LOOM_ERR_FORMAT or the file name");
    return 0;
  }
  volatile uint64_t sink = touchAll(f, data, size);
  (void)sink;

  std::vector<SafetensorsEntry> entries;
  for (const SafetensorsTensor &t : f.tensors)
    entries.push_back({t.name, t.dtype, t.shape, t.data, t.nbytes()});
  std::string bytes;
  if (!serializeSafetensors(entries, f.metadata, bytes).isOk())
    fail("a parsed file does not serialize");
  SafetensorsFile g;
  Status again = parseSafetensors(reinterpret_cast<const uint8_t *>(bytes.data()),
                                  bytes.size(), "fuzz", g);
  if (!again.isOk()) {
    std::fprintf(stderr, "%s\n", again.message().c_str());
    fail("a serialized file does not parse");
  }
  if (g.metadata != f.metadata || g.tensors.size() != f.tensors.size())
    fail("round trip changed the metadata or the tensor count");
  for (const SafetensorsTensor &t : f.tensors) {
    const SafetensorsTensor *u = g.find(t.name);
    if (!u || u->dtype != t.dtype || u->shape != t.shape ||
        u->nbytes() != t.nbytes() ||
        (t.nbytes() && std::memcmp(u->data, t.data, t.nbytes()) != 0))
      fail("round trip changed a tensor");
  }
  return 0;
}
