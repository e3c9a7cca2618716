//===- Fragments.h - text sub-languages shared with the JSON parser -------===//
//
// The JSON syntax embeds pieces of the text syntax in strings: integer
// expressions ("4 * d"), tensor types ("f32[B, T]") and inits
// ("normal(std=0.02)"). These entry points parse one such piece; `start` is
// the position of the piece's first character in the spec file, so errors
// point into the JSON string.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_SPEC_FRAGMENTS_H
#define LOOM_SPEC_FRAGMENTS_H

#include "loom/Spec/Spec.h"

namespace loom::spec {

std::optional<IntExpr> parseIntExprFragment(const std::string &text,
                                            const std::string &file, Pos start,
                                            Diagnostics &diags);
std::optional<TensorType> parseTypeFragment(const std::string &text,
                                            const std::string &file, Pos start,
                                            Diagnostics &diags);
std::optional<Init> parseInitFragment(const std::string &text,
                                      const std::string &file, Pos start,
                                      Diagnostics &diags);

/// True for `[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*`.
bool isValidName(const std::string &name);

/// Shortest decimal form of `v` that reads back exactly and still reads as a
/// float (has a '.' or an exponent): 2.0, 1e-05, 0.02.
std::string printFloat(double v);

} // namespace loom::spec

#endif // LOOM_SPEC_FRAGMENTS_H
