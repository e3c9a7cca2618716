//===- Passes.h - the loom-autodiff pass ------------------------*- C++ -*-===//
#ifndef LOOM_AUTODIFF_PASSES_H
#define LOOM_AUTODIFF_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>

namespace mlir::loom {

struct AutodiffOptions {
  std::string function = "loss";
  std::string wrt = "params"; // or "params,inputs"
};

/// loom-autodiff: from func @<function>(args) -> tensor<f32> creates
/// @<function>_grad(args) -> (loss, grads...).
std::unique_ptr<Pass> createAutodiffPass(const AutodiffOptions &options = {});

void registerAutodiffPasses();

} // namespace mlir::loom

#endif // LOOM_AUTODIFF_PASSES_H
