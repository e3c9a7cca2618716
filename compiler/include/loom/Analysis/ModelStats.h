//===- ModelStats.h - parameter, FLOP and memory figures of a model -------===//
#ifndef LOOM_ANALYSIS_MODELSTATS_H
#define LOOM_ANALYSIS_MODELSTATS_H

#include "loom/Frontend/MLIRGen.h"

#include <optional>
#include <string>

namespace loom::analysis {

using frontend::GenOptions;
using frontend::ModelInfo;

/// FLOPs and activation bytes of one function, counted on its decomposed
/// form: elementwise ops 1 FLOP per result element, reductions 1 per input
/// element, (batch_)matmul 2*M*N*K per matrix, data movement 0. Unknown when
/// a shape is dynamic (bind dims with --dim).
struct FunctionStats {
  /// Counted in double: GPT-3-sized figures overflow no integer here.
  std::optional<double> flops;
  /// Bytes of every intermediate result (what training keeps for backward,
  /// before any rematerialization), and the peak of live intermediates when
  /// run in program order (inference).
  std::optional<double> allActivationBytes;
  std::optional<double> peakActivationBytes;
};

struct ModelStats {
  int64_t totalParams = 0;
  int64_t totalParamBytes = 0;
  FunctionStats forward;
  FunctionStats loss;
};

/// Computes the figures for `module` (as made by generateModule). Does not
/// change `module`.
ModelStats computeStats(mlir::ModuleOp module, const ModelInfo &info);

/// The human-readable report of `loomc info`.
std::string formatInfo(const ModelInfo &info, const ModelStats &stats,
                       const GenOptions &options);

} // namespace loom::analysis

#endif // LOOM_ANALYSIS_MODELSTATS_H
