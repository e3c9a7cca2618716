//===- Manifest.h - the artifact's manifest.json (docs/artifact.md) -------===//
#ifndef LOOM_PIPELINES_MANIFEST_H
#define LOOM_PIPELINES_MANIFEST_H

#include "loom/Frontend/MLIRGen.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace loom::pipelines {

struct Slot {
  std::string kind; // param | input | state | output | arena
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string update; // outputs: "param:NAME" / "state:NAME" it replaces
};

/// What a function says about itself at the loom level: result names and
/// updates (loom.output / loom.update) and a training step's optimizer.
struct FunctionInfo {
  std::vector<std::string> outputs;
  std::vector<std::string> updates; // parallel to outputs; "" if none
  std::string optimizer;            // "" unless a training step
  std::vector<std::pair<std::string, double>> hyperparameters;
};

struct FunctionSlots {
  std::string name;
  std::vector<Slot> slots;
  int64_t arenaBytes = 0;
  std::string optimizer;
  std::vector<std::pair<std::string, double>> hyperparameters;
};

/// Each function's FunctionInfo, read before lowering (result attributes do
/// not survive bufferization).
std::map<std::string, FunctionInfo> collectFunctionInfo(mlir::ModuleOp module);

/// The slot order of every public function of a bufferized module (after
/// the loom-bufferize stage): parameters, inputs and optimizer state by
/// their loom.param / loom.input / loom.state attributes, then outputs, then
/// the arena.
bool collectSlots(mlir::ModuleOp module,
                  const std::map<std::string, FunctionInfo> &info,
                  std::vector<FunctionSlots> &slots, std::string &error);

/// manifest.json text.
std::string writeManifest(const frontend::ModelInfo &info,
                          const frontend::GenOptions &options,
                          const std::string &specPath,
                          const std::string &library,
                          const std::vector<FunctionSlots> &functions);

/// A C header declaring the entry points and documenting their slots.
std::string writeHeader(const frontend::ModelInfo &info,
                        const std::vector<FunctionSlots> &functions);

/// "f32", "bf16", "i32", ... for an MLIR element type ("" if unsupported).
std::string dtypeName(mlir::Type type);

} // namespace loom::pipelines

#endif // LOOM_PIPELINES_MANIFEST_H
