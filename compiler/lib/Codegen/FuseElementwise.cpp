//===- FuseElementwise.cpp - fusion that never recomputes -----------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSEELEMENTWISE
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {
/// The most a producer with several users may cost to be recomputed in a
/// consumer: inputs, and payload ops before the yield.
constexpr unsigned kMaxSharedInputs = 2;
constexpr unsigned kMaxSharedOps = 4;

struct LoomFuseElementwisePass
    : public mlir::loom::impl::LoomFuseElementwiseBase<LoomFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
      if (!consumer)
        return false;
      // Each produced element must be read exactly once by the consumer.
      if (!consumer.getMatchingIndexingMap(operand).isPermutation())
        return false;
      // A producer with other users stays for them, so fusing it computes
      // it once more. Only a cheap one (a few ops over a few inputs, none of
      // them itself elementwise-computed) may be: otherwise the recomputed
      // chains snowball. Fused one cheap producer at a time, GPT-2's
      // residual stream (x + b0 + b1 + ...) was recomputed from the
      // embedding in every layer of the backward, in generics of ~200
      // inputs, and the greedy rewrite took a minute.
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || producer->hasOneUse())
        return true;
      if (producer.getNumDpsInputs() > kMaxSharedInputs ||
          producer.getBody()->getOperations().size() > kMaxSharedOps + 1)
        return false;
      return llvm::none_of(producer.getDpsInputs(), [](Value in) {
        auto g = in.getDefiningOp<linalg::GenericOp>();
        return g && g.getNumLoops() == g.getNumParallelLoops();
      });
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
