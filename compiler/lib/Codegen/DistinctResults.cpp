//===- DistinctResults.cpp - one buffer per function result ---------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMDISTINCTRESULTS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {
struct LoomDistinctResultsPass
    : public mlir::loom::impl::LoomDistinctResultsBase<LoomDistinctResultsPass> {
  void runOnOperation() override {
    // The caller's parameters and inputs are read-only: an op updating a
    // tensor in place (index_add's loop) must copy an argument first.
    getOperation()->walk([](func::FuncOp fn) {
      if (fn.isExternal())
        return;
      for (BlockArgument arg : fn.getArguments())
        if (isa<TensorType>(arg.getType()))
          fn.setArgAttr(arg.getArgNumber(),
                        bufferization::BufferizationDialect::kWritableAttrName,
                        BoolAttr::get(fn.getContext(), false));
    });
    getOperation()->walk([](func::ReturnOp ret) {
      llvm::SmallDenseSet<Value> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        OpBuilder b(ret);
        operand.set(bufferization::AllocTensorOp::create(
            b, ret.getLoc(), type, ValueRange{}, v));
      }
    });
  }
};
} // namespace
