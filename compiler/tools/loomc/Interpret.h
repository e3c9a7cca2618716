//===- Interpret.h - loomc --interpret: run a model in the oracle ---------===//
#ifndef LOOMC_INTERPRET_H
#define LOOMC_INTERPRET_H

#include "loom/Frontend/MLIRGen.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <utility>
#include <vector>

namespace loomc {

struct InterpretOptions {
  std::string function = "forward";
  std::string weights;   // safetensors; empty: initialize from the spec
  uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> inputs;  // name, .npy
  std::vector<std::pair<std::string, std::string>> outputs; // name, .npy
};

/// Runs `options.function` of `module` (loom dialect, as generated) in the
/// reference interpreter with the same parameter values the runtime would
/// use (safetensors, or the spec's init with `seed`: bit-identical to
/// `loom run --seed`), prints each output's summary like `loom run --print`
/// and writes the requested outputs. Returns the exit code (messages on
/// stderr).
int interpret(mlir::ModuleOp module, const loom::frontend::ModelInfo &info,
              const InterpretOptions &options);

} // namespace loomc

#endif // LOOMC_INTERPRET_H
