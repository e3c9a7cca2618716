//===- Passes.h - autodiff and the training step ----------------*- C++ -*-===//
#ifndef LOOM_AUTODIFF_PASSES_H
#define LOOM_AUTODIFF_PASSES_H

#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::loom {

// loom-autodiff (createLoomAutodiff, LoomAutodiffOptions) and loom-train-step
// (createLoomTrainStep, LoomTrainStepOptions); see Passes.td.
#define GEN_PASS_DECL
#include "loom/Autodiff/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "loom/Autodiff/Passes.h.inc"

} // namespace mlir::loom

#endif // LOOM_AUTODIFF_PASSES_H
