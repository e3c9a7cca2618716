//===- Generator.h - the state of one spec-to-IR generation ---------------===//
#ifndef LOOM_FRONTEND_GENERATOR_H
#define LOOM_FRONTEND_GENERATOR_H

#include "OpTable.h"
#include "loom/Frontend/MLIRGen.h"

#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <map>
#include <set>
#include <unordered_set>

namespace loom::frontend {

/// The names visible in a model or block body.
struct Scope {
  std::map<std::string, mlir::Value> values;
  std::string path; // instance path of the block ("" at model level)
  const spec::Block *block = nullptr;
};

/// The largest tensor a spec may declare or compute (2^48 bytes: beyond any
/// machine, and far enough below 2^63 that totals over a model's tensors
/// stay exact).
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;
/// The most copies one `repeat` makes, and the most block instances a
/// model expands to (nested repeats multiply).
constexpr int64_t kMaxRepeat = 100000;
constexpr int64_t kMaxBlockInstances = 1000000;

/// The bytes of a shape's static dims at `width` bytes per element, or
/// nothing when they exceed kMaxTensorBytes (checked products: never wraps).
std::optional<int64_t> staticBytes(llvm::ArrayRef<int64_t> shape,
                                   int64_t width);

class Generator {
public:
  Generator(const spec::Model &model, mlir::MLIRContext &ctx,
            const GenOptions &options, ModelInfo &info,
            spec::Diagnostics &diags);
  mlir::OwningOpRef<mlir::ModuleOp> run();

  // Helpers shared by the statement and call code (GenCalls.cpp).
  bool error(spec::Pos pos, const std::string &message);
  mlir::Location loc(spec::Pos pos, const Scope &scope);
  std::optional<int64_t> evalInt(const spec::IntExpr &e, bool allowDims,
                                 bool *dynamic = nullptr);
  std::optional<mlir::Type> elementType(const std::string &dtype,
                                        spec::Pos pos);

private:
  const spec::Model &model;
  mlir::MLIRContext &ctx;
  const GenOptions &options;
  ModelInfo &info;
  spec::Diagnostics &diags;
  mlir::OpBuilder b;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::Block *entry = nullptr;
  std::vector<mlir::NamedAttrList> argAttrs;
  int64_t blockInstances = 0; // block calls expanded so far
  int64_t paramBytes = 0;     // all parameters declared so far

  std::map<std::string, int64_t> config;
  std::set<std::string> dimNames;
  std::unordered_set<std::string> paramNames; // parameters and tied names
  std::map<std::string, const spec::Block *> blocks;
  bool failed = false;

  // Generator.cpp
  bool checkDeclarations();
  bool checkRecursion();
  bool evaluateConfig();
  bool declareInputs(Scope &scope);
  /// `callPos`: the block call creating them (for duplicate instances).
  bool declareParams(const std::vector<spec::Param> &params, Scope &scope,
                     const std::string &blockName,
                     std::optional<spec::Pos> callPos = std::nullopt);
  bool declareTies(Scope &scope);
  void recordModuleAttrs();
  bool checkCheckpointMaps();
  bool genStmts(const std::vector<spec::Stmt> &stmts, Scope &scope);
  void derive(mlir::func::FuncOp graph, const std::string &name,
              const std::vector<std::pair<std::string, mlir::Value>> &results,
              const std::vector<std::string> &resultNames);
  std::optional<TensorInfo> tensorInfo(const std::string &name,
                                       const spec::TensorType &type);
  mlir::Value addArgument(mlir::Type type, mlir::Location loc,
                          llvm::StringRef attrName, const std::string &name);

  // GenCalls.cpp
  std::optional<std::vector<mlir::Value>> genExpr(const spec::Expr &e,
                                                  Scope &scope);
  std::optional<mlir::Value> genSingle(const spec::Expr &e, Scope &scope);
  std::optional<mlir::Value> genOpCall(const OpSpec &op, const spec::Expr &e,
                                       Scope &scope);
  std::optional<std::vector<mlir::Value>>
  genBlockCall(const spec::Block &block, const spec::Expr &e,
               std::vector<mlir::Value> args, Scope &caller,
               const std::string &instancePath);
  std::optional<std::vector<mlir::Value>> genRepeat(const spec::Stmt &s,
                                                    Scope &scope);
  std::optional<mlir::Attribute> convertAttr(const OpSpec &op,
                                             const AttrSpec &attr,
                                             const spec::AttrValue &v);
  std::optional<mlir::Value> lookup(const std::string &name, spec::Pos pos,
                                    Scope &scope);
  std::string suggest(const std::string &name, const Scope &scope,
                      bool blocksOnly = false);
};

} // namespace loom::frontend

#endif // LOOM_FRONTEND_GENERATOR_H
