//===- Passes.h - loom graph-level passes -----------------------*- C++ -*-===//
#ifndef LOOM_TRANSFORMS_PASSES_H
#define LOOM_TRANSFORMS_PASSES_H

#include "Loom/IR/LoomOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir::loom {

#define GEN_PASS_DECL
#include "loom/Transforms/Passes.h.inc"

/// Adds the decomposition patterns of the composite ops whose mnemonics are
/// in `only` (all composites when empty).
void populateDecompositionPatterns(RewritePatternSet &patterns,
                                   llvm::ArrayRef<std::string> only = {});

/// The mnemonics (without "loom.") of every composite op.
llvm::ArrayRef<llvm::StringLiteral> compositeOpMnemonics();

#define GEN_PASS_REGISTRATION
#include "loom/Transforms/Passes.h.inc"

} // namespace mlir::loom

#endif // LOOM_TRANSFORMS_PASSES_H
