//===- TransposeRhs.cpp - contractions read B as [k, n] --------------------===//
//
// See Passes.td. On tensors, before bufferization: a contraction whose B is
// stored [..., n, k] (PyTorch-layout linear weights, K in QKᵀ, GPT-2's
// backward dX = dY Wᵀ) reads a transposed copy instead, when enough rows
// of A reuse it to pay for the copy.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMTRANSPOSERHS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

struct LoomTransposeRhsPass
    : public mlir::loom::impl::LoomTransposeRhsBase<LoomTransposeRhsPass> {
  using LoomTransposeRhsBase::LoomTransposeRhsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && linalg::isaContractionOpInterface(op))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      rewrite(op);
  }

  void rewrite(linalg::GenericOp op) {
    OpOperand *rhs = op.getDpsInputOperand(1);
    auto type = dyn_cast<RankedTensorType>(rhs->get().getType());
    if (!type || !type.hasStaticShape() || type.getRank() < 2 ||
        !type.getElementType().isF32())
      return;
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || dims->n.size() != 1 || dims->k.size() != 1)
      return;
    MLIRContext *ctx = op.getContext();
    AffineMap map = op.getMatchingIndexingMap(rhs);
    unsigned r = map.getNumResults();
    // B's last two indices must be exactly (n, k), and B batched: an
    // unbatched [n, k] B is transposed block by block while
    // loom-tile-contractions packs it (no whole copy through memory).
    if (map.getResult(r - 1) != getAffineDimExpr(dims->k[0], ctx) ||
        map.getResult(r - 2) != getAffineDimExpr(dims->n[0], ctx) || r == 2)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t rows = 1;
    for (unsigned d : dims->m)
      rows *= ranges[d];
    // A B row stride that is a multiple of 4 KiB puts the micro-kernel's
    // strided loads in one L1 set (K = 3072: 16 GFLOP/s); other strides
    // only cost ~30%, which the copy repays on many rows only.
    bool aliasing = (ranges[dims->k[0]] * 4) % 4096 == 0;
    if (rows < (aliasing ? minRows : int64_t(alwaysRows)))
      return;

    // B' = transpose(B) with the last two dims swapped; read B' at (k, n).
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
    std::swap(perm[r - 1], perm[r - 2]);
    SmallVector<int64_t> shape(type.getShape());
    std::swap(shape[r - 1], shape[r - 2]);
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
    Value transposed =
        linalg::TransposeOp::create(b, loc, rhs->get(), init, perm)
            .getResult()[0];
    SmallVector<AffineExpr> results(map.getResults());
    std::swap(results[r - 1], results[r - 2]);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps[1] = AffineMap::get(map.getNumDims(), 0, results, ctx);
    rhs->set(transposed);
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  }
};

} // namespace
