//===- safetensors.cpp - safetensors reader and writer ---------------------===//
//
// Nothing here may throw or abort on any input: the fuzzer builds this file
// with -fno-exceptions, where a throw inside nlohmann is an abort. So JSON is
// parsed with allow_exceptions = false, every value's type is checked before
// it is read, and numbers are read only after is_number_unsigned().
//
//===----------------------------------------------------------------------===//
#include "loom/formats/safetensors.h"

#include "loom/formats/dtype.h"
#include "loom/formats/io.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

namespace loom::rt {

using json = nlohmann::json;

size_t safetensorsElementSize(const std::string &dtype) {
  static const std::pair<const char *, size_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2},  {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8},  {"I64", 8},     {"U64", 8}};
  for (const auto &[name, size] : kSizes)
    if (dtype == name)
      return size;
  return 0;
}

const SafetensorsTensor *SafetensorsFile::find(const std::string &name) const {
  for (const SafetensorsTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

namespace {

constexpr const char *kMetadataKey = "__metadata__";

/// Names can be anything JSON can spell; quote them so an empty or
/// space-laden name is visible in a message.
std::string quote(const std::string &s) { return "'" + s + "'"; }

/// A non-negative integer that fits int64_t (dims and offsets alike, so that
/// every later sum and product can be overflow-checked in uint64_t).
bool readIndex(const json &v, uint64_t &out) {
  if (!v.is_number_unsigned())
    return false;
  out = v.get<uint64_t>();
  return out <= static_cast<uint64_t>(INT64_MAX);
}

/// Checks one header entry and fills T (except its data pointer).
Status parseTensor(const std::string &fileName, const std::string &name,
                   const json &entry, uint64_t dataSize, SafetensorsTensor &t) {
  std::string where =
      "safetensors file '" + fileName + "': tensor " + quote(name) + ": ";
  auto bad = [&](const std::string &what) {
    return Status::error(LOOM_ERR_FORMAT, where + what);
  };
  if (!entry.is_object())
    return bad("entry is not an object");
  for (auto it = entry.begin(); it != entry.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      return bad("unknown field " + quote(it.key()));
  t.name = name;

  auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string())
    return bad("'dtype' is missing or not a string");
  t.dtype = dtype->get_ref<const std::string &>();
  size_t elemSize = safetensorsElementSize(t.dtype);
  if (elemSize == 0)
    return bad("unknown dtype " + quote(t.dtype));

  auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array())
    return bad("'shape' is missing or not an array");
  for (size_t i = 0; i < shape->size(); ++i) {
    uint64_t dim;
    if (!readIndex((*shape)[i], dim))
      return bad("shape entry " + std::to_string(i) +
                 " is not a non-negative integer");
    t.shape.push_back(static_cast<int64_t>(dim));
  }

  auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !readIndex((*offsets)[0], t.begin) || !readIndex((*offsets)[1], t.end))
    return bad("'data_offsets' must be [BEGIN, END] with non-negative integers");
  std::string range =
      "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
  if (t.begin > t.end)
    return bad("data_offsets " + range + " end before they begin");
  if (t.end > dataSize)
    return bad("data_offsets " + range + " exceed the data section (" +
               std::to_string(dataSize) + " bytes)");

  uint64_t nbytes;
  if (!checkedSize(t.shape, elemSize, t.numel, nbytes))
    return bad("shape " + shapeString(t.shape) + " overflows");
  if (t.end - t.begin != nbytes)
    return bad("data_offsets " + range + " hold " +
               std::to_string(t.end - t.begin) + " bytes but " + t.dtype + " " +
               shapeString(t.shape) + " needs " + std::to_string(nbytes));
  return Status::ok();
}

} // namespace

Status parseSafetensors(const uint8_t *bytes, size_t size,
                        const std::string &fileName, SafetensorsFile &out) {
  out = SafetensorsFile();
  std::string where = "safetensors file '" + fileName + "': ";
  auto bad = [&](const std::string &what) {
    return Status::error(LOOM_ERR_FORMAT, where + what);
  };
  if (size < 8)
    return bad("truncated: " + std::to_string(size) +
               " bytes, fewer than the 8-byte header length");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | bytes[i];
  if (headerLen > size - 8)
    return bad("header length " + std::to_string(headerLen) +
               " exceeds the file (" + std::to_string(size) + " bytes)");
  if (headerLen > kMaxSafetensorsHeader)
    return bad("header length " + std::to_string(headerLen) +
               " exceeds the limit of " + std::to_string(kMaxSafetensorsHeader));
  const char *text = reinterpret_cast<const char *>(bytes + 8);
  // JSON text never holds a raw NUL byte, and nlohmann's lexer stops at one
  // and accepts what came before: `{...}\0anything` would parse.
  if (std::memchr(text, '\0', headerLen))
    return bad("header contains a NUL byte");
  const uint8_t *dataStart = bytes + 8 + headerLen;
  uint64_t dataSize = size - 8 - headerLen;

  // nlohmann keeps the last of duplicate keys; a file that names a tensor
  // twice is ambiguous, so the parser callback tracks the keys of every open
  // object and the duplicate is an error.
  std::vector<std::set<std::string>> openObjects;
  bool hasDuplicate = false;
  std::string duplicate;
  auto callback = [&](int, json::parse_event_t event, json &parsed) {
    switch (event) {
    case json::parse_event_t::object_start:
      openObjects.emplace_back();
      break;
    case json::parse_event_t::object_end:
      if (!openObjects.empty())
        openObjects.pop_back();
      break;
    case json::parse_event_t::key:
      if (!hasDuplicate && !openObjects.empty() && parsed.is_string() &&
          !openObjects.back().insert(parsed.get_ref<const std::string &>()).second) {
        hasDuplicate = true;
        duplicate = parsed.get_ref<const std::string &>();
      }
      break;
    default:
      break;
    }
    return true;
  };
  json header = json::parse(text, text + headerLen, callback,
                            /*allow_exceptions=*/false);
  if (header.is_discarded())
    return bad("header is not valid JSON");
  if (hasDuplicate)
    return bad("header has the key " + quote(duplicate) + " twice");
  if (!header.is_object())
    return bad("header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == kMetadataKey) {
      if (!it.value().is_object())
        return bad("'__metadata__' is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          return bad("'__metadata__' value of " + quote(m.key()) +
                     " is not a string");
        out.metadata.emplace_back(m.key(),
                                  m.value().get_ref<const std::string &>());
      }
      continue;
    }
    SafetensorsTensor t;
    LOOM_RT_TRY(parseTensor(fileName, it.key(), it.value(), dataSize, t));
    t.data = dataStart + t.begin;
    out.tensors.push_back(std::move(t));
  }

  // The tensors must tile the data section. Sorting by (begin, end) puts
  // empty tensors before a non-empty one at the same offset.
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t cursor = 0;
  const SafetensorsTensor *prev = nullptr;
  for (const SafetensorsTensor &t : out.tensors) {
    std::string range =
        "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    if (t.begin < cursor)
      return bad("tensor " + quote(t.name) + " data_offsets " + range +
                 " overlap tensor " + quote(prev->name) + " [" +
                 std::to_string(prev->begin) + ", " + std::to_string(prev->end) +
                 "]");
    if (t.begin > cursor)
      return bad("tensor " + quote(t.name) + " data_offsets " + range +
                 " leave a gap: bytes [" + std::to_string(cursor) + ", " +
                 std::to_string(t.begin) + "] belong to no tensor");
    cursor = t.end;
    prev = &t;
  }
  if (cursor != dataSize)
    return bad(std::to_string(dataSize - cursor) +
               " bytes after the last tensor belong to no tensor");
  return Status::ok();
}

Status buildSafetensorsHeader(
    const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &out) {
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto &[key, value] : metadata)
      meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const SafetensorsEntry &e : entries) {
    auto bad = [&](const std::string &what) {
      return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                           "cannot write tensor " + quote(e.name) + ": " + what);
    };
    if (e.name == kMetadataKey)
      return bad("the name is reserved");
    if (header.contains(e.name))
      return bad("the name appears twice");
    size_t elemSize = safetensorsElementSize(e.dtype);
    if (elemSize == 0)
      return bad("unknown dtype " + quote(e.dtype));
    int64_t numel;
    uint64_t nbytes;
    if (!checkedSize(e.shape, elemSize, numel, nbytes))
      return bad("shape " + shapeString(e.shape) + " overflows");
    if (nbytes != e.nbytes)
      return bad(std::to_string(e.nbytes) + " bytes given, " + e.dtype + " " +
                 shapeString(e.shape) + " needs " + std::to_string(nbytes));
    if (nbytes > 0 && !e.data)
      return bad("no data");
    if (offset > UINT64_MAX - nbytes)
      return bad("the file would exceed 2^64 bytes");
    header[e.name] = {{"dtype", e.dtype},
                      {"shape", e.shape},
                      {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  // Names come from manifests or parsed files, so they are valid UTF-8;
  // `replace` only guarantees that dump() cannot throw.
  std::string text =
      header.dump(-1, ' ', false, json::error_handler_t::replace);
  // Pad with spaces (valid JSON whitespace) so the data starts 8-aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t n = text.size();
  out.clear();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  return Status::ok();
}

Status serializeSafetensors(
    const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &out) {
  LOOM_RT_TRY(buildSafetensorsHeader(entries, metadata, out));
  for (const SafetensorsEntry &e : entries)
    if (e.nbytes > 0)
      out.append(static_cast<const char *>(e.data), e.nbytes);
  return Status::ok();
}

Status writeSafetensors(
    const std::string &path, const std::vector<SafetensorsEntry> &entries,
    const std::vector<std::pair<std::string, std::string>> &metadata) {
  std::string header;
  LOOM_RT_TRY(buildSafetensorsHeader(entries, metadata, header));
  std::vector<ByteRange> pieces{{header.data(), header.size()}};
  for (const SafetensorsEntry &e : entries)
    pieces.push_back({e.data, e.nbytes});
  return writeFileAtomic(path, pieces);
}

} // namespace loom::rt

namespace loom::rt {

Status readSafetensorsMetadata(const std::string &path, const std::string &key,
                               std::string &value) {
  MappedFile file;
  LOOM_RT_TRY(file.open(path));
  SafetensorsFile st;
  LOOM_RT_TRY(parseSafetensors(file.data(), file.size(), path, st));
  for (const auto &[k, v] : st.metadata)
    if (k == key) {
      value = v;
      return Status::ok();
    }
  return Status::error(LOOM_ERR_NOT_FOUND,
                       "'" + path + "' has no metadata '" + key + "'");
}

} // namespace loom::rt
