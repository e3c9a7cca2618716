//===- unicode.h - UTF-8 and the Unicode properties the tokenizers need ---===//
//
// UTF-8 is decoded strictly (Unicode's Table 3-7: no overlongs, surrogates
// or code points past U+10FFFF). Properties come from ICU: general
// categories, White_Space, NFD and full lower-casing (SpecialCasing and
// Final_Sigma, as Python's str.lower()), with ASCII fast paths.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOKENIZER_UNICODE_H
#define LOOM_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loom::tok::uni {

/// Decodes the code point at S[POS] and advances POS past it. An ill-formed
/// byte B is returned as U+DC00 + B, in U+DC80..U+DCFF (Python's
/// surrogateescape), advancing POS by one; `valid` says which.
char32_t next(std::string_view s, size_t &pos, bool &valid);
inline char32_t next(std::string_view s, size_t &pos) {
  bool valid;
  return next(s, pos, valid);
}
/// Offset of the first ill-formed byte, or npos.
size_t invalidUtf8Offset(std::string_view s);
void appendUtf8(std::string &out, char32_t c);

/// ICU's general category (UCharCategory) of C.
int category(char32_t c);
/// \p{L}, \p{N} and \s of Python's `regex` (L*, N*, White_Space).
bool isLetter(char32_t c);
bool isNumber(char32_t c);
bool isWhiteSpace(char32_t c);
/// Python's str.isspace(): bidirectional class WS, B or S, or category Zs.
bool isPythonSpace(char32_t c);
bool isControlOrFormat(char32_t c); // Cc or Cf
bool isSpaceSeparator(char32_t c);  // Zs
bool isNonSpacingMark(char32_t c);  // Mn
bool isPunctuation(char32_t c);     // P*

/// Python's str.lower() of a UTF-32 string.
std::u32string lower(const std::u32string &s);
/// Canonical decomposition (NFD).
std::u32string nfd(const std::u32string &s);

} // namespace loom::tok::uni

#endif // LOOM_TOKENIZER_UNICODE_H
