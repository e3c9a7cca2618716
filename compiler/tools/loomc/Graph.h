//===- Graph.h - loomc --graph: draw the model -----------------------------===//
#ifndef LOOMC_GRAPH_H
#define LOOMC_GRAPH_H

#include "loom/Graph/Graph.h"
#include "loom/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace loomc {

struct GraphRequest {
  std::string format; // dot | svg | png | pdf; empty: no --graph
  loom::graph::Blocks blocks = loom::graph::Blocks::Auto;
  bool blocksGiven = false;
  bool kernels = false; // --graph-kernels
  bool params = false;  // --graph-params
  std::string function; // empty: train_step, loss_grad or forward
  std::string output;   // -o; empty or "-": stdout (dot, svg)
  // Code generation choices, as for compiling (--graph-kernels).
  std::string kernelsMode, kernelCache;
  bool noFusion = false;
};

/// Draws `module` (generated, and trained or differentiated as asked):
/// writes the DOT text or runs Graphviz. Returns the exit code (messages
/// on stderr).
int drawGraph(const GraphRequest &request, mlir::ModuleOp module,
              const loom::spec::Model &model, bool train, bool grad);

} // namespace loomc

#endif // LOOMC_GRAPH_H
