//===- name_pattern.h - tensor-name patterns of checkpoint maps -----------===//
//
// A spec's `checkpoint` map renames another framework's tensors with
// patterns such as "h.*.attn.c_attn.weight": each `*` matches one or more
// characters, and a rule's `to` pattern gets the `from` pattern's matches
// substituted for its `*`s in order. Header-only: the spec parser (LoomSpec,
// no runtime dependency) checks patterns with it, the runtime applies them.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_NAME_PATTERN_H
#define LOOM_FORMATS_NAME_PATTERN_H

#include <cstddef>
#include <string>
#include <vector>

namespace loom::formats {

/// The most `*`s a pattern may hold (matching is backtracking: a bound keeps
/// it polynomial in the name's length).
constexpr size_t kMaxPatternStars = 4;
constexpr size_t kMaxPatternLength = 256;

inline size_t patternStars(const std::string &pattern) {
  size_t n = 0;
  for (char c : pattern)
    n += c == '*';
  return n;
}

/// Why FROM -> TO is not a valid rule ("" when it is). TO is empty for an
/// `ignore` rule and a `strip` rule, whose FROM is a plain prefix.
inline std::string checkNamePatterns(const std::string &from,
                                     const std::string &to, bool ignore,
                                     bool strip = false) {
  if (strip && from.find('*') != std::string::npos)
    return "strip \"" + from + "\": a prefix to strip has no '*'";
  for (const std::string *p : {&from, &to}) {
    if ((ignore || strip) && p == &to)
      continue;
    if (p->empty())
      return "an empty name pattern";
    if (p->size() > kMaxPatternLength)
      return "a name pattern over " + std::to_string(kMaxPatternLength) +
             " characters";
    if (p->find("**") != std::string::npos)
      return "'**' in name pattern \"" + *p + "\" (one '*' matches any run)";
    if (patternStars(*p) > kMaxPatternStars)
      return "name pattern \"" + *p + "\" has more than " +
             std::to_string(kMaxPatternStars) + " '*'s";
  }
  if (!ignore && !strip && patternStars(from) != patternStars(to))
    return "\"" + from + "\" -> \"" + to + "\": both sides need the same number of '*'s (" +
           std::to_string(patternStars(from)) + " and " +
           std::to_string(patternStars(to)) + ")";
  return "";
}

namespace detail {
inline bool matchFrom(const std::string &p, size_t pi, const std::string &s,
                      size_t si, std::vector<std::string> &caps) {
  while (pi < p.size() && p[pi] != '*') {
    if (si >= s.size() || s[si] != p[pi])
      return false;
    ++pi;
    ++si;
  }
  if (pi == p.size())
    return si == s.size();
  // `*`: one or more characters, shortest first.
  for (size_t end = si + 1; end <= s.size(); ++end) {
    caps.push_back(s.substr(si, end - si));
    if (matchFrom(p, pi + 1, s, end, caps))
      return true;
    caps.pop_back();
  }
  return false;
}
} // namespace detail

/// Whether NAME matches PATTERN; CAPTURES gets what each `*` matched.
inline bool matchNamePattern(const std::string &pattern, const std::string &name,
                             std::vector<std::string> &captures) {
  captures.clear();
  return detail::matchFrom(pattern, 0, name, 0, captures);
}

/// PATTERN with its `*`s replaced by CAPTURES in order.
inline std::string substituteNamePattern(const std::string &pattern,
                                         const std::vector<std::string> &captures) {
  std::string out;
  size_t k = 0;
  for (char c : pattern) {
    if (c == '*' && k < captures.size())
      out += captures[k++];
    else
      out += c;
  }
  return out;
}

} // namespace loom::formats

#endif // LOOM_FORMATS_NAME_PATTERN_H
