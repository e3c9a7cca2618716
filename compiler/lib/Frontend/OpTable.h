//===- OpTable.h - how the DSL calls loom ops -----------------------------===//
//
// For every loom op: its tensor operands in ODS order (the last may be
// optional) and its attributes with the kind the DSL converts a keyword
// argument to, plus DSL-level defaults. A unit test checks that every
// registered loom op has an entry, so a new op cannot silently miss the DSL.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FRONTEND_OPTABLE_H
#define LOOM_FRONTEND_OPTABLE_H

#include <optional>
#include <string>
#include <vector>

namespace loom::frontend {

enum class AttrKind {
  Int,        // I64Attr
  IntList,    // DenseI64ArrayAttr
  Float,      // F64Attr
  Unit,       // UnitAttr: true sets it, false leaves it out
  GeluApprox, // erf | tanh
  Predicate,  // eq | ne | lt | le | gt | ge
  DType,      // f32 | f16 | bf16 | i32 | i64 | i1
};

struct AttrSpec {
  const char *name;
  AttrKind kind;
  bool required;
  /// DSL default (as text of the kind) used when the call omits it; empty
  /// means the op's own default (or none).
  const char *dslDefault = "";
};

struct OpSpec {
  const char *mnemonic;
  std::vector<const char *> operands;
  /// Index of the optional operand (always the last), or -1.
  int optionalOperand = -1;
  std::vector<AttrSpec> attrs;
};

/// The entry for `mnemonic` (without "loom."), or nullptr.
const OpSpec *lookupOp(const std::string &mnemonic);
/// Every entry, for tests and `loomc` help.
const std::vector<OpSpec> &allOps();
const char *attrKindName(AttrKind kind);

} // namespace loom::frontend

#endif // LOOM_FRONTEND_OPTABLE_H
