//===- Autotune.h - loomc --autotune --------------------------*- C++ -*-===//
#ifndef LOOMC_AUTOTUNE_H
#define LOOMC_AUTOTUNE_H

#include "loom/Target/Emit.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace loomc {

/// Times loom's MLIR code and the Halide kernel for every candidate op
/// instance of `module` (loom IR, static shapes) whose key the cache at
/// `cachePath` does not have yet, on this machine through the runtime (the
/// same thread pool as `loom run`), and records the winners there. Prints
/// one line per measurement. Returns false (with `error`) if a variant
/// fails to compile or run.
bool autotune(mlir::ModuleOp module, const std::string &cachePath,
              const loom::target::EmitOptions &emit, std::string &error);

} // namespace loomc

#endif // LOOMC_AUTOTUNE_H
