//===- FuseEpilogue.cpp - a GEMM's bias and residual added into its C -----===//
//
// See Passes.td. `y = A·B + rest` (a linear's bias, a residual connection,
// a gradient's second term) was a GEMM into a zero-filled C and then one
// more pass over C reading it back; written as `C = rest; C += A·B`, the
// GEMM kernel accumulates onto rest and the extra pass disappears.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSEEPILOGUE
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// A contraction generic whose C starts at zero: `fill(0.0)` of an empty.
bool isZeroInitContraction(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return false;
  auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  FloatAttr zero;
  return matchPattern(fill.getInputs()[0], m_Constant(&zero)) &&
         zero.getValue().isZero();
}

struct AccumulateIntoInit : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rw) const override {
    if (consumer.getNumDpsInits() != 1 || consumer.getNumResults() != 1 ||
        consumer.getNumLoops() != consumer.getNumParallelLoops() ||
        !consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0))
             .isIdentity())
      return failure();
    Block &body = consumer.getRegion().front();
    // The output's old value is not read.
    if (!body.getArgument(consumer.getNumDpsInputs()).use_empty())
      return failure();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
    if (!add || add->getBlock() != &body)
      return failure();
    for (OpOperand *in : consumer.getDpsInputOperands()) {
      auto gemm = in->get().getDefiningOp<linalg::GenericOp>();
      if (!gemm || !gemm->getResult(0).hasOneUse() ||
          !isZeroInitContraction(gemm) ||
          gemm->getResult(0).getType() != consumer->getResult(0).getType() ||
          !consumer.getMatchingIndexingMap(in).isIdentity())
        continue;
      BlockArgument arg = body.getArgument(in->getOperandNumber());
      if (!arg.hasOneUse() || (add.getLhs() != arg && add.getRhs() != arg))
        continue;
      Value rest = add.getLhs() == arg ? add.getRhs() : add.getLhs();

      // rest: the consumer without the GEMM's operand, yielding the other
      // term, into the GEMM's C.
      Location loc = consumer.getLoc();
      SmallVector<Value> inputs;
      SmallVector<AffineMap> maps;
      for (OpOperand *other : consumer.getDpsInputOperands())
        if (other != in) {
          inputs.push_back(other->get());
          maps.push_back(consumer.getMatchingIndexingMap(other));
        }
      maps.push_back(consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0)));
      auto fill = gemm.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
      Value empty = fill.getOutputs()[0];
      rw.setInsertionPoint(consumer);
      auto init = linalg::GenericOp::create(
          rw, loc, consumer->getResultTypes(), inputs, ValueRange{empty}, maps,
          consumer.getIteratorTypesArray(),
          [&](OpBuilder &b, Location l, ValueRange args) {
            IRMapping map;
            unsigned k = 0;
            for (OpOperand *other : consumer.getDpsInputOperands())
              if (other != in)
                map.map(body.getArgument(other->getOperandNumber()), args[k++]);
            for (Operation &op : body.without_terminator())
              if (&op != add.getOperation())
                b.clone(op, map);
            linalg::YieldOp::create(b, l, map.lookupOrDefault(rest));
          });
      // The GEMM accumulates onto it (moved here: rest's inputs may be
      // computed after it).
      rw.modifyOpInPlace(gemm, [&] {
        gemm->moveAfter(init);
        gemm.getDpsInitsMutable()[0].assign(init->getResult(0));
      });
      rw.replaceOp(consumer, gemm->getResults());
      return success();
    }
    return failure();
  }
};

struct LoomFuseEpiloguePass
    : public mlir::loom::impl::LoomFuseEpilogueBase<LoomFuseEpiloguePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AccumulateIntoInit>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
