//===- Emit.h - LLVM IR, assembly, objects and shared libraries -----------===//
#ifndef LOOM_PIPELINES_EMIT_H
#define LOOM_PIPELINES_EMIT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace loom::pipelines {

struct EmitOptions {
  /// Target CPU; "native" is the host (with its features).
  std::string cpu = "native";
  unsigned optLevel = 3;
};

/// What the LLVM-dialect module becomes.
enum class Artifact { LLVMIR, Assembly, Object };

/// Translates, optimizes and emits `module` (LLVM dialect) into `out`.
/// Returns false after reporting an error through `error`.
bool emitLLVM(mlir::ModuleOp module, Artifact kind, const EmitOptions &options,
              std::string &out, std::string &error);

/// Links `objectPath` into the shared library `soPath` with the system C
/// compiler driver (`cc -shared ... -lm`).
bool linkSharedLibrary(const std::string &objectPath, const std::string &soPath,
                       std::string &error);

struct FunctionSlots;

/// Runs every stage on `module` (loom dialect, static shapes) and writes the
/// shared library `soPath`; `slots` receives each entry function's slot
/// order (see docs/artifact.md). Errors go to the context's diagnostics
/// (stages) or to `error` (emission, linking).
bool compileToSharedLibrary(mlir::ModuleOp module, const std::string &soPath,
                            const EmitOptions &options,
                            std::vector<FunctionSlots> &slots,
                            std::string &error,
                            void (*configure)(mlir::PassManager &,
                                              void *) = nullptr);

} // namespace loom::pipelines

#endif // LOOM_PIPELINES_EMIT_H
