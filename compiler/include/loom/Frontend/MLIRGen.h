//===- MLIRGen.h - model spec to loom IR ----------------------------------===//
#ifndef LOOM_FRONTEND_MLIRGEN_H
#define LOOM_FRONTEND_MLIRGEN_H

#include "loom/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace loom::frontend {

struct GenOptions {
  /// Values for symbolic dims (`--dim B=4`); unbound dims stay dynamic.
  std::map<std::string, int64_t> dims;
};

/// A parameter tensor after block instantiation.
struct ParamInfo {
  std::string name;                 // checkpoint name: h.3.attn.c_attn.weight
  std::vector<std::string> aliases; // tied names (tie lm_head.weight = wte)
  std::string dtype;
  std::vector<int64_t> shape;
  std::string initKind;             // normal, uniform, zeros, ones, constant
  std::map<std::string, double> initArgs;
  std::string blockPath;            // instance path, "" for model-level
  std::string blockName;            // block that declared it, "" for model
  spec::Pos pos;
  int64_t numElements() const;
};

struct TensorInfo {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;        // ShapedType::kDynamic for unbound dims
  std::vector<std::string> dimNames; // symbolic dim per position, or ""
};

/// What `loomc info` and the artifact manifest need besides the IR.
struct ModelInfo {
  std::string name;
  std::vector<std::pair<std::string, int64_t>> config;
  std::vector<ParamInfo> params;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  bool hasLoss = false;
  /// Block name -> number of instances created.
  std::map<std::string, int64_t> blockInstances;
};

/// While alive, routes MLIR error diagnostics into `diags` as
/// `file:line:col: error: message [in block.path]`, the position taken from
/// the innermost file location (spec positions survive every pass).
class DiagnosticBridge {
public:
  DiagnosticBridge(mlir::MLIRContext &ctx, spec::Diagnostics &diags,
                   std::string defaultFile);

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// Generates a module holding `@forward` (params and inputs -> outputs) and,
/// when the spec declares a loss, `@loss` (params and inputs -> rank-0 loss).
/// Each function keeps only the arguments it uses. Returns null after
/// reporting errors (spec and IR errors alike) to `diags`.
mlir::OwningOpRef<mlir::ModuleOp> generateModule(const spec::Model &model,
                                                 mlir::MLIRContext &context,
                                                 const GenOptions &options,
                                                 ModelInfo &info,
                                                 spec::Diagnostics &diags);

} // namespace loom::frontend

#endif // LOOM_FRONTEND_MLIRGEN_H
