//===- RoundTrip.h - the invariants both spec fuzzers check ---------------===//
//
// A spec that parses must survive printing: the canonical text and JSON forms
// read back to an equivalent model, and printing is a fixed point. Any
// violation aborts, which libFuzzer records as a crash with its input.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TEST_FUZZ_ROUNDTRIP_H
#define LOOM_TEST_FUZZ_ROUNDTRIP_H

#include "loom/Spec/Spec.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace loom::spec::fuzz {

[[noreturn]] inline void fail(const std::string &what,
                              const std::string &printed) {
  std::fprintf(stderr, "round trip failed: %s\n--- printed ---\n%s\n---\n",
               what.c_str(), printed.c_str());
  std::abort();
}

template <typename T> bool uniqueNames(const std::vector<T> &items) {
  std::set<std::string> seen;
  for (const T &item : items)
    if (!seen.insert(item.name).second)
      return false;
  return true;
}

inline bool uniqueKeywords(const Expr &e) {
  if (!uniqueNames(e.keywords))
    return false;
  for (const Expr &a : e.args)
    if (!uniqueKeywords(a))
      return false;
  return true;
}

inline bool uniqueKeys(const std::vector<Param> &params,
                       const std::vector<Stmt> &body) {
  if (!uniqueNames(params))
    return false;
  for (const Param &p : params)
    if (!uniqueNames(p.init.args))
      return false;
  for (const Stmt &s : body)
    if (!uniqueKeywords(s.value))
      return false;
  return true;
}

/// Whether every name that becomes a JSON object key (config entries,
/// inputs, params, ties, blocks, outputs, keyword arguments) is unique. The
/// text parser leaves duplicates to the checker; JSON rejects duplicate keys,
/// so only such models have a JSON form.
inline bool hasJsonForm(const Model &m) {
  if (!uniqueNames(m.config) || !uniqueNames(m.inputs) ||
      !uniqueNames(m.ties) || !uniqueNames(m.blocks) ||
      !uniqueNames(m.outputs) || !uniqueKeys(m.params, m.body))
    return false;
  for (const Block &b : m.blocks)
    if (!uniqueKeys(b.params, b.body))
      return false;
  return true;
}

/// A parse that fails must say why.
inline void checkFailure(const Diagnostics &diags, const std::string &input) {
  if (diags.empty())
    fail("parse failed without a diagnostic", input);
}

/// Prints `m` in `syntax` and parses the result again.
inline void checkRoundTrip(const Model &m, Syntax syntax) {
  bool isJson = syntax == Syntax::Json;
  std::string printed = isJson ? printJson(m) : printText(m);
  Diagnostics diags;
  std::optional<Model> again = isJson
                                   ? parseJson(printed, "printed.json", diags)
                                   : parseText(printed, "printed.loom", diags);
  const char *name = isJson ? "printJson" : "printText";
  if (!again)
    fail(std::string(name) + " output does not parse: " + diags.str(), printed);
  if (!equivalent(m, *again))
    fail(std::string(name) + " output parses to a different model", printed);
  std::string twice = isJson ? printJson(*again) : printText(*again);
  if (twice != printed)
    fail(std::string(name) + " is not a fixed point; second print:\n" + twice,
         printed);
}

} // namespace loom::spec::fuzz

#endif // LOOM_TEST_FUZZ_ROUNDTRIP_H
