//===- ApproximateMath.cpp - vectorizable tanh, exp, log, erf -------------===//
//
// See Passes.td. Only the selected math ops and what their rewrites create
// are visited (no module-wide folding).
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMAPPROXIMATEMATH
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

struct LoomApproximateMathPass
    : public mlir::loom::impl::LoomApproximateMathBase<LoomApproximateMathPass> {
  using LoomApproximateMathBase::LoomApproximateMathBase;

  void runOnOperation() override {
    SmallVector<std::string> names(functions.begin(), functions.end());
    if (names.empty())
      names = {"tanh", "exp", "erf"};
    auto selected = [&](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained(names, name.str());
    };
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          selected(op->getName().getStringRef()))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, selected);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    config.enableFolding(false);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      return signalPassFailure();
    // The approximations use math.fma, math.floor and math.absf, which
    // convert-math-to-libm would turn into calls of fmaf, floorf and fabsf
    // (a call per element again, and on a vector, as in a GEMM's register
    // epilogue, an unrolled extract/call/insert the LLVM conversion has
    // already passed): the LLVM intrinsics become one vfmadd / vrndscale /
    // vandps instruction instead.
    getOperation()->walk([](Operation *op) {
      OpBuilder b(op);
      Value r;
      if (auto fma = dyn_cast<math::FmaOp>(op))
        r = LLVM::FMAOp::create(b, fma.getLoc(), fma.getA(), fma.getB(),
                                fma.getC());
      else if (auto floor = dyn_cast<math::FloorOp>(op))
        r = LLVM::FFloorOp::create(b, floor.getLoc(), floor.getOperand());
      else if (auto abs = dyn_cast<math::AbsFOp>(op))
        r = LLVM::FAbsOp::create(b, abs.getLoc(), abs.getOperand());
      else
        return;
      op->replaceAllUsesWith(ValueRange{r});
      op->erase();
    });
  }
};

} // namespace
