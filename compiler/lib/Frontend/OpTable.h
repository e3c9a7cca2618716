//===- OpTable.h - how the DSL calls loom ops -----------------------------===//
//
// For every loom op: its tensor operands in ODS order (the last may be
// optional) and its attributes with the kind the DSL converts a keyword
// argument to, plus DSL-level defaults. test/unit/OpTableTest.cpp checks
// the table against the ODS: every registered loom op has an entry and every
// entry's attributes are the op's, so a new or renamed op cannot silently
// miss the DSL.
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
  /// A keyword of the DSL only, not an attribute of the op (constant's
  /// dtype becomes its result type).
  bool dslOnly = false;
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
