//===- Emit.h - LLVM IR, assembly, objects and shared libraries -----------===//
#ifndef LOOM_PIPELINES_EMIT_H
#define LOOM_PIPELINES_EMIT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

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

} // namespace loom::pipelines

#endif // LOOM_PIPELINES_EMIT_H
