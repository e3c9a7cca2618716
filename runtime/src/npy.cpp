//===- npy.cpp - NumPy .npy reader and writer ------------------------------===//
#include "loom/formats/npy.h"

#include "loom/formats/dtype.h"
#include "loom/formats/io.h"

#include <cstring>

namespace loom::rt {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

/// Reads the header dict, a small subset of Python literal syntax: string
/// keys; string, True/False and integer-tuple values. numpy writes exactly
/// this (older versions add an 'L' suffix to longs, accepted too).
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  /// Fills descr, fortranOrder and shape, or sets `error`.
  bool parse(std::string &descr, bool &fortranOrder,
             std::vector<int64_t> &shape) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail("the header does not start with '{'");
    for (;;) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!readString(key))
        return fail("expected a quoted key");
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (haveDescr || !readString(descr))
          return fail("'descr' must be given once, as a string");
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (haveOrder || !readBool(fortranOrder))
          return fail("'fortran_order' must be given once, as True or False");
        haveOrder = true;
      } else if (key == "shape") {
        if (haveShape || !readShape(shape))
          return fail(error.empty()
                          ? "'shape' must be given once, as a tuple of "
                            "non-negative integers"
                          : error);
        haveShape = true;
      } else {
        return fail("unknown key '" + key + "'");
      }
      skipSpace();
      if (eat(','))
        continue;
      if (eat('}'))
        break;
      return fail("expected ',' or '}' after '" + key + "'");
    }
    skipSpace();
    if (pos != s.size())
      return fail("unexpected text after the header dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("the header lacks 'descr', 'fortran_order' or 'shape'");
    return true;
  }

  std::string error;

private:
  bool fail(const std::string &what) {
    if (error.empty())
      error = what;
    return false;
  }
  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool readString(std::string &out) {
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"'))
      return false;
    char quote = s[pos++];
    size_t end = s.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = s.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }
  bool readBool(bool &out) {
    if (s.compare(pos, 4, "True") == 0) {
      pos += 4;
      out = true;
      return true;
    }
    if (s.compare(pos, 5, "False") == 0) {
      pos += 5;
      out = false;
      return true;
    }
    return false;
  }
  bool readShape(std::vector<int64_t> &shape) {
    if (!eat('('))
      return false;
    for (;;) {
      skipSpace();
      if (eat(')'))
        return true;
      if (pos >= s.size() || s[pos] < '0' || s[pos] > '9')
        return false;
      uint64_t v = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        uint64_t digit = static_cast<uint64_t>(s[pos++] - '0');
        if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10)
          return fail("a dim of 'shape' is too large");
        v = v * 10 + digit;
      }
      eat('L');
      shape.push_back(static_cast<int64_t>(v));
      skipSpace();
      if (eat(','))
        continue;
      if (eat(')'))
        return true;
      return false;
    }
  }

  const std::string &s;
  size_t pos = 0;
};

bool dtypeFromDescr(const std::string &descr, loom_dtype &out) {
  for (loom_dtype t : kAllDTypes)
    if (const char *d = npyDescr(t); d && descr == d) {
      out = t;
      return true;
    }
  return false;
}

} // namespace

const char *npyDescr(loom_dtype t) {
  switch (t) {
  case LOOM_DTYPE_F32: return "<f4";
  case LOOM_DTYPE_F16: return "<f2";
  case LOOM_DTYPE_I32: return "<i4";
  case LOOM_DTYPE_I64: return "<i8";
  case LOOM_DTYPE_I1: return "|b1";
  case LOOM_DTYPE_BF16: return nullptr;
  }
  return nullptr;
}

Status parseNpy(const uint8_t *bytes, size_t size, const std::string &fileName,
                NpyArray &out) {
  out = NpyArray();
  auto bad = [&](const std::string &what) {
    return Status::error(LOOM_ERR_FORMAT, ".npy file '" + fileName + "': " + what);
  };
  if (size < kMagicLen + 2 || std::memcmp(bytes, kMagic, kMagicLen) != 0)
    return bad("not a .npy file (no \\x93NUMPY magic)");
  unsigned major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    return bad("unsupported format version " + std::to_string(major) + "." +
               std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t prefix = kMagicLen + 2 + lenBytes;
  if (size < prefix)
    return bad("truncated before the header length");
  uint64_t headerLen = 0;
  for (size_t i = lenBytes; i-- > 0;)
    headerLen = (headerLen << 8) | bytes[kMagicLen + 2 + i];
  if (headerLen > size - prefix)
    return bad("header length " + std::to_string(headerLen) +
               " exceeds the file (" + std::to_string(size) + " bytes)");
  std::string header(reinterpret_cast<const char *>(bytes + prefix), headerLen);

  std::string descr;
  bool fortranOrder = false;
  HeaderParser parser(header);
  if (!parser.parse(descr, fortranOrder, out.shape))
    return bad("bad header: " + parser.error);
  if (fortranOrder)
    return bad("fortran_order is True; only C-order arrays are supported "
               "(save np.ascontiguousarray(a))");
  if (!dtypeFromDescr(descr, out.dtype)) {
    std::string hint =
        !descr.empty() && descr[0] == '>'
            ? " (big-endian; save a.astype(a.dtype.newbyteorder('<')))"
            : " (supported: <f4, <f2, <i4, <i8, |b1)";
    return bad("unsupported dtype '" + descr + "'" + hint);
  }
  int64_t numel;
  uint64_t nbytes;
  if (!checkedSize(out.shape, dtypeSize(out.dtype), numel, nbytes))
    return bad("shape " + shapeString(out.shape) + " overflows");
  uint64_t have = size - prefix - headerLen;
  if (have != nbytes)
    return bad("data is " + std::to_string(have) + " bytes but " + descr + " " +
               shapeString(out.shape) + " needs " + std::to_string(nbytes) +
               (have < nbytes ? " (truncated)" : ""));
  out.data.assign(reinterpret_cast<const char *>(bytes + prefix + headerLen),
                  nbytes);
  return Status::ok();
}

Status readNpy(const std::string &path, NpyArray &out) {
  std::string bytes;
  LOOM_RT_TRY(readFile(path, bytes));
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                  path, out);
}

namespace {

/// Everything before the data.
Status npyHeader(loom_dtype dtype, const std::vector<int64_t> &shape,
                 size_t nbytes, std::string &out) {
  const char *descr = npyDescr(dtype);
  if (!descr)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         std::string("dtype ") +
                             (dtypeName(dtype) ? dtypeName(dtype) : "?") +
                             " has no .npy equivalent");
  int64_t numel;
  uint64_t need;
  if (!checkedSize(shape, dtypeSize(dtype), numel, need) || need != nbytes)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         std::to_string(nbytes) + " bytes do not hold " +
                             dtypeName(dtype) + " " + shapeString(shape));
  // Python's tuple repr: (), (3,), (2, 3).
  std::string tuple = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    tuple += (i ? ", " : "") + std::to_string(shape[i]);
  tuple += shape.size() == 1 ? ",)" : ")";
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': " + tuple + ", }";
  // Pad so the data starts 64-byte aligned, as numpy does.
  size_t lenBytes = dict.size() + 1 + 64 > 65535 ? 4 : 2;
  size_t prefix = kMagicLen + 2 + lenBytes;
  size_t total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  out.assign(kMagic, kMagicLen);
  out += static_cast<char>(lenBytes == 2 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < lenBytes; ++i)
    out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  out += dict;
  return Status::ok();
}

} // namespace

Status serializeNpy(loom_dtype dtype, const std::vector<int64_t> &shape,
                    const void *data, size_t nbytes, std::string &out) {
  LOOM_RT_TRY(npyHeader(dtype, shape, nbytes, out));
  if (nbytes > 0)
    out.append(static_cast<const char *>(data), nbytes);
  return Status::ok();
}

Status writeNpy(const std::string &path, loom_dtype dtype,
                const std::vector<int64_t> &shape, const void *data,
                size_t nbytes) {
  std::string header;
  LOOM_RT_TRY(npyHeader(dtype, shape, nbytes, header));
  return writeFileAtomic(path, {{header.data(), header.size()}, {data, nbytes}});
}

} // namespace loom::rt
