//===- unicode.cpp - UTF-8 and Unicode properties (ICU) -------------------===//
#include "unicode.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>

namespace loom::tok::uni {

char32_t next(std::string_view s, size_t &pos, bool &valid) {
  auto at = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = at(pos);
  valid = true;
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t left = s.size() - pos;
  // The ranges of the second byte after each lead byte (Table 3-7); later
  // bytes are always 80..BF.
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF)
    len = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0)
      lo = 0xA0;
    else if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0)
      lo = 0x90;
    else if (b0 == 0xF4)
      hi = 0x8F;
  }
  bool ok = len != 0 && left >= len && at(pos + 1) >= lo && at(pos + 1) <= hi;
  for (size_t i = 2; ok && i < len; ++i)
    ok = at(pos + i) >= 0x80 && at(pos + i) <= 0xBF;
  if (!ok) {
    valid = false;
    ++pos;
    return 0xDC00 + b0;
  }
  char32_t c = b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i)
    c = (c << 6) | (at(pos + i) & 0x3F);
  pos += len;
  return c;
}

size_t invalidUtf8Offset(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    size_t start = pos;
    bool valid;
    next(s, pos, valid);
    if (!valid)
      return start;
  }
  return std::string_view::npos;
}

void appendUtf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

int category(char32_t c) { return u_charType(static_cast<UChar32>(c)); }

namespace {
uint32_t mask(char32_t c) { return U_MASK(category(c)); }
} // namespace

bool isLetter(char32_t c) {
  if (c < 0x80)
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return (mask(c) & U_GC_L_MASK) != 0;
}

bool isNumber(char32_t c) {
  if (c < 0x80)
    return c >= '0' && c <= '9';
  return (mask(c) & U_GC_N_MASK) != 0;
}

bool isWhiteSpace(char32_t c) {
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

bool isPythonSpace(char32_t c) {
  // Stable since Unicode 6.3 (U+180E left Zs); Python's _PyUnicode_IsWhitespace.
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool isControlOrFormat(char32_t c) {
  return (mask(c) & (U_GC_CC_MASK | U_GC_CF_MASK)) != 0;
}
bool isSpaceSeparator(char32_t c) { return category(c) == U_SPACE_SEPARATOR; }
bool isNonSpacingMark(char32_t c) { return category(c) == U_NON_SPACING_MARK; }
bool isPunctuation(char32_t c) { return (mask(c) & U_GC_P_MASK) != 0; }

namespace {

std::u16string toUtf16(const std::u32string &s) {
  std::u16string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x10000) {
      out += static_cast<char16_t>(c);
    } else {
      out += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
      out += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
    }
  }
  return out;
}

std::u32string toUtf32(const char16_t *s, size_t n) {
  std::u32string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    char32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    }
    out += c;
  }
  return out;
}

/// Runs an ICU UTF-16 transformation, growing the buffer once if needed.
/// On an ICU failure the input comes back unchanged (cannot happen for the
/// well-formed strings the tokenizers pass).
template <typename Fn> std::u32string viaUtf16(const std::u32string &s, Fn fn) {
  std::u16string in = toUtf16(s);
  std::vector<UChar> buf(in.size() * 3 + 16);
  UErrorCode err = U_ZERO_ERROR;
  int32_t n =
      fn(reinterpret_cast<const UChar *>(in.data()), static_cast<int32_t>(in.size()),
         buf.data(), static_cast<int32_t>(buf.size()), &err);
  if (err == U_BUFFER_OVERFLOW_ERROR) {
    buf.resize(static_cast<size_t>(n) + 1);
    err = U_ZERO_ERROR;
    n = fn(reinterpret_cast<const UChar *>(in.data()), static_cast<int32_t>(in.size()),
           buf.data(), static_cast<int32_t>(buf.size()), &err);
  }
  if (U_FAILURE(err) || n < 0)
    return s;
  return toUtf32(reinterpret_cast<const char16_t *>(buf.data()), static_cast<size_t>(n));
}

bool allAscii(const std::u32string &s) {
  for (char32_t c : s)
    if (c >= 0x80)
      return false;
  return true;
}

} // namespace

std::u32string lower(const std::u32string &s) {
  if (allAscii(s)) {
    std::u32string out = s;
    for (char32_t &c : out)
      if (c >= 'A' && c <= 'Z')
        c += 'a' - 'A';
    return out;
  }
  // The root locale (""): no Turkish or Lithuanian rules, as in Python.
  return viaUtf16(
      s, [](const UChar *src, int32_t n, UChar *dst, int32_t cap, UErrorCode *err) {
        return u_strToLower(dst, cap, src, n, "", err);
      });
}

std::u32string nfd(const std::u32string &s) {
  if (allAscii(s))
    return s;
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2 *norm = unorm2_getNFDInstance(&err);
  if (U_FAILURE(err) || !norm)
    return s;
  return viaUtf16(
      s, [norm](const UChar *src, int32_t n, UChar *dst, int32_t cap, UErrorCode *e) {
        return unorm2_normalize(norm, src, n, dst, cap, e);
      });
}

} // namespace loom::tok::uni
