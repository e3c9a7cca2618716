//===- Graph.h - pictures of a model: Graphviz DOT, rendered by dot -*- C++ -*-===//
//
// loomc MODEL --graph=dot|svg|png|pdf draws one function of the loom IR:
// loom ops (name and attributes), inputs and outputs as nodes, tensors as
// edges labelled with their type (f32[1,64,768]). Parameters, optimizer
// state and constants are folded into the label of the op that reads them
// (GPT-2 has 148 weights). Block instances, known from the NameLoc paths
// the front end puts on every op ("h.3.attn"), become nested clusters, or
// one node each (a repeat: one node "x n"). With kernels, the ops that one
// generated kernel implements (their origins, Origins.h) share a colour:
// a fused kernel may span two blocks, and Graphviz clusters must nest, so
// kernels are a node and edge style, not clusters. docs/graphs.md.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_GRAPH_GRAPH_H
#define LOOM_GRAPH_GRAPH_H

#include "loom/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom::graph {

enum class Blocks {
  Auto,      // expanded up to kAutoCollapseOps op nodes, else collapsed
  Collapsed, // one node per outermost block instance, one per repeat
  Expanded,  // nested clusters
};

/// Above this many op nodes, Blocks::Auto collapses the blocks: GPT-2
/// small's forward has ~350 ops, tiny_gpt's 55.
constexpr size_t kAutoCollapseOps = 150;

/// One kernel call of the compiled function (a site of kernels.json) and
/// the loom ops it implements, each as originKey(...).
struct KernelCall {
  int64_t site = 0;
  std::string function; // the entry point making the call
  std::string kernel;   // the called symbol
  std::vector<std::string> origins;
};

/// What identifies a loom op of the graph in the compiled code: its name,
/// spec position (Origin::position()) and block path.
std::string originKey(const std::string &op, const std::string &position,
                      const std::string &path);

struct Options {
  std::string function = "forward";
  Blocks blocks = Blocks::Auto;
  /// Parameters, state and constants as nodes of their own.
  bool params = false;
  /// Kernel calls to outline (null: none). Only those of `function` count.
  const std::vector<KernelCall> *kernels = nullptr;
  /// Names the block type of each instance in cluster labels (may be null).
  const loom::spec::Model *model = nullptr;
};

/// The DOT text of `options.function` of `module` (loom IR as generated,
/// trained or not), and how many nodes it draws. False with `error` when
/// there is no such function.
bool writeDot(mlir::ModuleOp module, const Options &options, std::string &dot,
              std::string &error, size_t *nodes = nullptr);

/// Above this many nodes, dot's layout takes minutes (GPT-2's expanded
/// training step, 4221 nodes, did not finish in 10): loomc says so first.
constexpr size_t kSlowLayoutNodes = 2000;

/// The kernel calls of `module` compiled through the stages (a clone is
/// lowered; `module` is unchanged). Needs static shapes. Pass failures are
/// MLIR diagnostics (at spec positions); false then, or with `error`.
bool compileKernelCalls(mlir::ModuleOp module, std::vector<KernelCall> &out,
                        std::string &error);

/// Runs Graphviz's `dot -T<format>` on `dot`, writing `outputPath`. False
/// with `error` when dot is missing (the message says to install Graphviz
/// or use --graph=dot) or fails.
bool render(const std::string &dot, const std::string &format,
            const std::string &outputPath, std::string &error);

} // namespace loom::graph

#endif // LOOM_GRAPH_GRAPH_H
