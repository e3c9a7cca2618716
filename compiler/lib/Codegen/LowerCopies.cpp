//===- LowerCopies.cpp - memref.copy as linalg.copy -----------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMLOWERCOPIES
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {
struct LoomLowerCopiesPass
    : public mlir::loom::impl::LoomLowerCopiesBase<LoomLowerCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};
} // namespace
