//===- messages.h - how runtime errors list names --------------------------===//
#ifndef LOOM_RUNTIME_MESSAGES_H
#define LOOM_RUNTIME_MESSAGES_H

#include "loom/formats/dtype.h"
#include "loom/formats/manifest.h"

#include <string>
#include <vector>

namespace loom::rt {

inline std::string quote(const std::string &s) { return "'" + s + "'"; }

/// "a, b, c" for at most LIMIT items, then "and N more": a checkpoint of the
/// wrong model would otherwise print hundreds of names.
inline std::string itemList(const std::vector<std::string> &items,
                            size_t limit = 12) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < limit; ++i)
    s += (i ? ", " : "") + items[i];
  if (items.size() > limit)
    s += " and " + std::to_string(items.size() - limit) + " more";
  return s;
}

/// Quoted names, listed as itemList does.
inline std::string nameList(const std::vector<std::string> &names,
                            size_t limit = 12) {
  std::vector<std::string> q;
  for (const std::string &n : names)
    q.push_back(quote(n));
  return itemList(q, limit);
}

inline std::string describe(const TensorSpec &t) {
  return std::string(dtypeName(t.dtype)) + " " + shapeString(t.shape);
}

} // namespace loom::rt

#endif // LOOM_RUNTIME_MESSAGES_H
