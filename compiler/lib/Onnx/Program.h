//===- Program.h - the ONNX importer's flat program -----------------------===//
//
// The translator (Translate.cpp) turns ONNX nodes into a flat list of loom
// op calls over numbered values; Blocks.cpp folds repeated layers into one
// block and prints the whole as a spec::Model. Constants that ONNX computes
// (shape arithmetic, masks, scalars) are `Const` tensors until a loom op
// needs them: a scalar becomes an inline `constant(...)`, a larger one a
// parameter.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_ONNX_PROGRAM_H
#define LOOM_ONNX_PROGRAM_H

#include "loom/Spec/Spec.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loom::onnx::detail {

enum class DType { F32, F64, F16, BF16, I64, I32, Bool };

/// "f32", "i64", ... as the spec spells them (F64 has no loom type).
const char *dtypeName(DType t);
bool isFloat(DType t);

int64_t numElements(const std::vector<int64_t> &shape);

/// A constant tensor, values held as doubles (int64 shape arithmetic fits;
/// floats are rounded to their type after every folded op).
struct Const {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data; // empty for a shape-only stand-in
  int64_t numel() const { return numElements(shape); }
};

/// An argument of a loom call: a value or an inline scalar constant.
struct Arg {
  int value = -1; // >= 0: a program value
  double scalar = 0;
  DType dtype = DType::F32;
  bool isScalar() const { return value < 0; }
};

struct PValue {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::string hint; // name suggestion: the ONNX node's op part, lowercased
  int def = -1;     // defining statement, or -1 (input or parameter)
  int param = -1;   // parameter index, or -1
};

struct PParam {
  std::string name; // checkpoint name
  std::vector<int64_t> shape;
  std::vector<float> data;
  int value = -1;
};

struct PStmt {
  std::string op; // loom op mnemonic, or the block name for a repeat
  std::vector<Arg> args;
  std::vector<spec::KeywordArg> attrs;
  std::vector<int> results;
  /// The ONNX node's module path: `/h.0/attn/MatMul` -> {"h.0", "attn"}.
  std::vector<std::string> scope;
  int block = -1;  // >= 0: `repeat(repeat) block(args) as instance`
  int64_t repeat = 0;
  std::string instance;
};

/// A layer recovered from repeated instances.
struct PBlock {
  std::string name;
  std::vector<int> args;              // values of the first instance
  std::vector<int> params;            // parameters of the first instance
  std::vector<std::string> paramNames; // without the instance prefix
  std::vector<PStmt> body;
  int result = -1;
};

struct Program {
  std::string file;
  std::string name;
  std::vector<spec::ConfigEntry> config;
  std::vector<std::pair<std::string, int>> inputs;  // name, value
  std::vector<std::pair<std::string, int>> outputs; // name, value
  std::vector<PValue> values;
  std::vector<PParam> params;
  std::vector<PStmt> stmts;
  std::vector<PBlock> blocks;
  /// Per input value: its dims as the spec writes them (config names for
  /// the ONNX symbolic dims).
  std::map<int, std::vector<spec::IntExpr>> inputDims;
  int newValue(DType dtype, std::vector<int64_t> shape, std::string hint) {
    values.push_back({dtype, std::move(shape), std::move(hint), -1, -1});
    return static_cast<int>(values.size()) - 1;
  }
};

/// Folds layers named `<base>.<i>` into blocks where the instances match.
void recoverBlocks(Program &program);
/// The spec for `program` (names made unique per scope).
spec::Model emitSpec(const Program &program);

} // namespace loom::onnx::detail

#endif // LOOM_ONNX_PROGRAM_H
