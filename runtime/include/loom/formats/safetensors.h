//===- loom/formats/safetensors.h - safetensors files ---------------------===//
//
// Part of loom_formats. Format: an 8-byte little-endian header length N, N
// bytes of JSON
//   {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
//    "__metadata__": {"key": "value"}}
// then the data section; offsets are relative to its start. The parser
// bounds-checks everything and accepts a file only if every tensor is
// well-formed and the tensors tile the data section exactly (no overlap, no
// gap, nothing after the last), as the reference implementation requires;
// everything else is an error naming the file and, where there is one, the
// tensor.
//
// Self-contained (status.h, dtype.h, io.*, nlohmann/json): the fuzzer
// test/fuzz/fuzz_safetensors.cpp builds from safetensors.cpp and io.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_SAFETENSORS_H
#define LOOM_FORMATS_SAFETENSORS_H

#include "loom/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace loom::rt {

/// Headers larger than this are refused before parsing (the reference
/// implementation's limit too).
constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

/// Bytes per element of a safetensors dtype ("F32" -> 4); 0 if unknown.
/// Sub-byte types (F4, F6_*) are unknown to loom.
size_t safetensorsElementSize(const std::string &dtype);

struct SafetensorsTensor {
  std::string name;
  std::string dtype; // as spelled in the file: "F32", "BOOL", ...
  std::vector<int64_t> shape;
  int64_t numel = 0;
  uint64_t begin = 0, end = 0; // within the data section
  const uint8_t *data = nullptr; // points into the parsed bytes
  uint64_t nbytes() const { return end - begin; }
};

struct SafetensorsFile {
  std::vector<SafetensorsTensor> tensors; // sorted by offset
  std::vector<std::pair<std::string, std::string>> metadata; // sorted by key
  const SafetensorsTensor *find(const std::string &name) const;
};

/// Parses SIZE bytes of a safetensors file. `out`'s data pointers point into
/// BYTES. FILENAME only names the file in messages. Errors are
/// LOOM_ERR_FORMAT.
Status parseSafetensors(const uint8_t *bytes, size_t size,
                        const std::string &fileName, SafetensorsFile &out);

/// A tensor to write: the data is NBYTES bytes at DATA, which must equal the
/// shape's element count times the dtype's size.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  uint64_t nbytes = 0;
};

/// The 8-byte length and the JSON header (space-padded so that the data
/// section starts 8-byte aligned) for ENTRIES laid out in order. Errors
/// (LOOM_ERR_INVALID_ARGUMENT): duplicate or reserved names, unknown dtypes,
/// sizes that do not match the shape.
Status buildSafetensorsHeader(
    const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &header);

/// The whole file in memory (tests and the fuzzer).
Status serializeSafetensors(
    const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &out);

/// Writes the file atomically (writeFileAtomic), streaming tensor data from
/// the entries without copying it.
Status writeSafetensors(
    const std::string &path, const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata);

/// The metadata value KEY of the safetensors file PATH (reads the header
/// only). LOOM_ERR_NOT_FOUND if absent.
Status readSafetensorsMetadata(const std::string &path, const std::string &key,
                               std::string &value);

} // namespace loom::rt

#endif // LOOM_FORMATS_SAFETENSORS_H
