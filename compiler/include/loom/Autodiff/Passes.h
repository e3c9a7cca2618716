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

struct TrainStepOptions {
  std::string optimizer = "adamw"; // or "sgd"
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weightDecay = 0.0;
  double momentum = 0.0;
  double clipNorm = 1.0; // 0: no clipping
};

/// loom-train-step: from @loss_grad creates @train_step(params, inputs,
/// state, optim.lr, optim.step) -> (loss, optim.grad_norm, new params, new
/// state): forward, backward, clipping and the optimizer update in one
/// function (see TrainStep.cpp).
std::unique_ptr<Pass>
createTrainStepPass(const TrainStepOptions &options = {});

void registerTrainStepPass();

/// Registers loom-autodiff and loom-train-step.
void registerAutodiffPasses();

} // namespace mlir::loom

#endif // LOOM_AUTODIFF_PASSES_H
