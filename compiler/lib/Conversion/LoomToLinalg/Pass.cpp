//===- Pass.cpp - the convert-loom-to-linalg pass -------------------------===//
#include "Common.h"
#include "Loom/IR/Origins.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::loom {
#define GEN_PASS_DEF_CONVERTLOOMTOLINALG
#include "loom/Conversion/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

void mlir::loom::populateLoomToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateStructuredPatterns(patterns);
  lowering::populateAttentionPatterns(patterns);
}

namespace {
struct ConvertLoomToLinalgPass
    : public mlir::loom::impl::ConvertLoomToLinalgBase<ConvertLoomToLinalgPass> {
  void runOnOperation() override {
    // What the linalg ops implement, recorded before the loom ops go
    // (Origins.h): kernels name their loom ops and spec lines.
    tagOrigins(getOperation(), /*compositesOnly=*/false);
    ConversionTarget target(getContext());
    target.addIllegalDialect<LoomDialect>();
    // Calls of Halide kernels (loom-select-kernels) stay until buffers
    // exist (loom-lower-kernel-calls).
    target.addLegalOp<KernelCallOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateLoomToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
