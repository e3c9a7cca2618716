//===- Structured.cpp - contractions, reductions, data movement -----------===//
#include "Common.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::lowering;

namespace {

SmallVector<utils::IteratorType> parallel(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

Value i64ToIndex(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Sums and dot products of 16-bit floats accumulate in f32 and round once at
/// the end: a bf16 running sum stops growing once its ulp exceeds the terms
/// (256 + 1 == 256 in bf16), which made long bf16 sums, means, matmuls and
/// the cross-entropy count (a sum of ones) wrong by percents.
Type accumulatorType(Type elt) {
  auto ft = dyn_cast<FloatType>(elt);
  return ft && ft.getWidth() < 32 ? Float32Type::get(elt.getContext()) : elt;
}

Value extendTo(OpBuilder &b, Location loc, Value v, Type type) {
  return v.getType() == type ? v : arith::ExtFOp::create(b, loc, type, v);
}

/// `v` (an accumulator tensor) rounded to `type`'s element type.
Value truncateTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  if (v.getType() == type)
    return v;
  return buildElementwise(b, loc, type, {v},
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            return arith::TruncFOp::create(
                                nb, l, type.getElementType(), a[0]);
                          });
}

//===----------------------------------------------------------------------===//
// Long sums in blocks
//===----------------------------------------------------------------------===//

/// A sum of more than kSumBlock terms is computed in stages of at most
/// kSumBlock terms each (partial sums, then sums of the partials), so its
/// rounding error grows with the number of stages instead of the number of
/// terms: GPT-2's squared-gradient sum over the 38.6M elements of wte was off
/// by 2.5e-4 relative when added in one sequence.
constexpr int64_t kSumBlock = 4096;
/// The block a single long reduced dim is split into (padded with zeros).
constexpr int64_t kSplitBlock = 1024;

/// One stage: `x` summed over `dims` (sorted) in `elt`, those dims dropped.
Value sumOver(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
              Type elt) {
  auto t = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = t.getRank();
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = llvm::is_contained(dims, d);
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
    if (!r) {
      outExprs.push_back(getAffineDimExpr(d, ctx));
      outShape.push_back(t.getDimSize(d));
    }
  }
  auto accType = RankedTensorType::get(outShape, elt);
  Value acc = filledTensor(b, loc, accType, 0.0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{accType}, ValueRange{x}, ValueRange{acc}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        auto fm = arith::FastMathFlagsAttr::get(nb.getContext(),
                                                arith::FastMathFlags::reassoc);
        Value v = extendTo(nb, l, a[0], elt);
        linalg::YieldOp::create(nb, l,
                                Value(arith::AddFOp::create(nb, l, v, a[1], fm)));
      });
  return generic.getResult(0);
}

/// `x` summed over `dims` (sorted) in stages of at most kSumBlock terms.
Value blockedSum(OpBuilder &b, Location loc, Value x, SmallVector<int64_t> dims,
                 Type elt) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t count = 1;
  for (int64_t d : dims)
    count *= t.getDimSize(d);
  if (count <= kSumBlock)
    return sumOver(b, loc, x, dims, elt);
  if (dims.size() > 1) {
    // Innermost first: the trailing reduced dims whose product fits in a
    // block (at least one), then the rest over the partial sums. The rest
    // are all before them, so their positions do not change.
    SmallVector<int64_t> inner;
    int64_t product = 1;
    while (!dims.empty() &&
           (inner.empty() || product * t.getDimSize(dims.back()) <= kSumBlock)) {
      product *= t.getDimSize(dims.back());
      inner.insert(inner.begin(), dims.pop_back_val());
    }
    Value partial = blockedSum(b, loc, x, inner, elt);
    return dims.empty() ? partial : blockedSum(b, loc, partial, dims, elt);
  }
  // One dim of n > kSumBlock terms: zero-pad it to blocks of kSplitBlock,
  // split it into [blocks, kSplitBlock], sum each block, then the blocks.
  int64_t d = dims.front(), n = t.getDimSize(d);
  int64_t blocks = (n + kSplitBlock - 1) / kSplitBlock;
  if (n % kSplitBlock != 0) {
    SmallVector<int64_t> shape(t.getShape());
    shape[d] = blocks * kSplitBlock;
    SmallVector<OpFoldResult> low(t.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> high(t.getRank(), b.getIndexAttr(0));
    high[d] = b.getIndexAttr(blocks * kSplitBlock - n);
    Value zero = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(t.getElementType(), 0.0));
    x = tensor::PadOp::create(
        b, loc, RankedTensorType::get(shape, t.getElementType()), x, low, high,
        zero);
    t = cast<RankedTensorType>(x.getType());
  }
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> split;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (i == d) {
      groups.push_back({int64_t(split.size()), int64_t(split.size()) + 1});
      split.append({blocks, kSplitBlock});
    } else {
      groups.push_back({int64_t(split.size())});
      split.push_back(t.getDimSize(i));
    }
  }
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(split, t.getElementType()), x, groups);
  Value partial = sumOver(b, loc, expanded, {d + 1}, elt);
  return blockedSum(b, loc, partial, {d}, elt);
}

//===----------------------------------------------------------------------===//
// Reductions: one generic, reduced dims as reduction iterators; the output
// keeps size-1 dims (keep_dims) or drops them.
//===----------------------------------------------------------------------===//

template <typename OpTy>
struct LowerReduce : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto in = cast<RankedTensorType>(op.getInput().getType());
    auto out = cast<RankedTensorType>(op.getType());
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = in.getRank();
    llvm::SmallDenseSet<int64_t> reduced;
    for (int64_t a : op.getAxes())
      reduced.insert(a < 0 ? a + rank : a);
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d) {
      bool r = reduced.contains(d);
      iterators.push_back(r ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
      if (r) {
        count *= in.getDimSize(d);
        if (op.getKeepDims())
          outExprs.push_back(getAffineConstantExpr(0, ctx));
      } else {
        outExprs.push_back(getAffineDimExpr(d, ctx));
      }
    }
    Type elt = accumulatorType(in.getElementType());
    auto accType = RankedTensorType::get(out.getShape(), elt);
    bool isMax = std::is_same_v<OpTy, ReduceMaxOp>;
    if (!isMax && count > kSumBlock) {
      SmallVector<int64_t> dims(reduced.begin(), reduced.end());
      llvm::sort(dims);
      Value sum = blockedSum(rewriter, loc, op.getInput(), dims, elt);
      // keep_dims: the same values with size-1 dims where the reduced were.
      if (cast<RankedTensorType>(sum.getType()).getShape() != out.getShape()) {
        SmallVector<AffineExpr> kept;
        for (int64_t d = 0; d < rank; ++d)
          if (!reduced.contains(d))
            kept.push_back(getAffineDimExpr(d, ctx));
        sum = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{accType}, ValueRange{sum},
                  ValueRange{tensor::EmptyOp::create(rewriter, loc,
                                                     out.getShape(), elt)},
                  SmallVector<AffineMap>{AffineMap::get(rank, 0, kept, ctx),
                                         AffineMap::getMultiDimIdentityMap(rank, ctx)},
                  parallel(rank),
                  [](OpBuilder &b, Location l, ValueRange a) {
                    linalg::YieldOp::create(b, l, a[0]);
                  })
                  .getResult(0);
      }
      rewriter.replaceOp(op, truncateTo(rewriter, loc,
                                        finishMean(rewriter, loc, sum, count),
                                        out));
      return success();
    }
    double init = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    Value acc = filledTensor(rewriter, loc, accType, init);
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType}, ValueRange{op.getInput()},
        ValueRange{acc}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          // reassoc: a vectorized sum (lanes summed at the end).
          auto fm = arith::FastMathFlagsAttr::get(b.getContext(),
                                                  arith::FastMathFlags::reassoc);
          Value x = extendTo(b, l, a[0], elt);
          Value v = isMax ? Value(arith::MaximumFOp::create(b, l, x, a[1]))
                          : Value(arith::AddFOp::create(b, l, x, a[1], fm));
          linalg::YieldOp::create(b, l, v);
        });
    Value result = finishMean(rewriter, loc, generic.getResult(0), count);
    rewriter.replaceOp(op, truncateTo(rewriter, loc, result, out));
    return success();
  }

  /// A mean divides the sum by the count; other reductions are done.
  static Value finishMean(PatternRewriter &rewriter, Location loc, Value sum,
                          int64_t count) {
    if (!std::is_same_v<OpTy, ReduceMeanOp>)
      return sum;
    auto type = cast<RankedTensorType>(sum.getType());
    Type elt = type.getElementType();
    Value n = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, elt),
                               rewriter.getFloatAttr(elt, double(count))));
    return buildElementwise(rewriter, loc, type, {sum, n},
                            [](OpBuilder &b, Location l, ValueRange a) {
                              return arith::DivFOp::create(b, l, a[0], a[1]);
                            });
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    // A 2-D matmul is a batch_matmul without batch dims: same loop order.
    auto bmm = BatchMatmulOp::create(rewriter, op.getLoc(), op.getType(),
                                     op.getLhs(), op.getRhs(), false);
    rewriter.replaceOp(op, bmm.getResult());
    return success();
  }
};

/// numpy matmul with broadcast batch dims (and rhs optionally [..., N, K]):
/// loops (batch..., m, n, k), k a reduction.
struct LowerBatchMatmul : OpRewritePattern<BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    MLIRContext *ctx = rewriter.getContext();
    auto out = op.getType();
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    int64_t batch = out.getRank() - 2;
    int64_t loops = batch + 3;
    // Loop order = dim order when lowered to loops. With rhs [K, N] the
    // order (m, k, n) makes the innermost loop an axpy over contiguous rows
    // of rhs and out (vectorizable); with rhs [N, K] (transposed) the order
    // (m, n, k) makes it a dot product of two contiguous rows.
    bool axpy = !op.getTransposeRhs();
    AffineExpr m = getAffineDimExpr(batch, ctx);
    AffineExpr n = getAffineDimExpr(batch + (axpy ? 2 : 1), ctx);
    AffineExpr k = getAffineDimExpr(batch + (axpy ? 1 : 2), ctx);
    auto batchExprs = [&](RankedTensorType t) {
      SmallVector<AffineExpr> e;
      int64_t tb = t.getRank() - 2;
      for (int64_t i = 0; i < tb; ++i) {
        int64_t d = i + (batch - tb);
        e.push_back(t.getDimSize(i) == 1 && out.getDimSize(d) != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d, ctx));
      }
      return e;
    };
    SmallVector<AffineExpr> lhsExprs = batchExprs(lhs);
    lhsExprs.append({m, k});
    SmallVector<AffineExpr> rhsExprs = batchExprs(rhs);
    if (op.getTransposeRhs())
      rhsExprs.append({n, k});
    else
      rhsExprs.append({k, n});
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < batch; ++d)
      outExprs.push_back(getAffineDimExpr(d, ctx));
    outExprs.append({m, n});
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, lhsExprs, ctx),
                                   AffineMap::get(loops, 0, rhsExprs, ctx),
                                   AffineMap::get(loops, 0, outExprs, ctx)};
    auto iterators = parallel(loops);
    iterators[batch + (axpy ? 1 : 2)] = utils::IteratorType::reduction;
    Type accElt = accumulatorType(out.getElementType());
    auto accType = RankedTensorType::get(out.getShape(), accElt);
    Value acc = filledTensor(rewriter, op.getLoc(), accType, 0.0);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{accType},
        ValueRange{op.getLhs(), op.getRhs()}, ValueRange{acc}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          // reassoc lets LLVM vectorize the dot-product (transposed) form and
          // contract fuses the multiply-add; both only reorder f32 rounding.
          auto fm = arith::FastMathFlagsAttr::get(
              b.getContext(),
              arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
          Value p = arith::MulFOp::create(b, l, extendTo(b, l, a[0], accElt),
                                          extendTo(b, l, a[1], accElt), fm);
          linalg::YieldOp::create(b, l,
                                  Value(arith::AddFOp::create(b, l, a[2], p, fm)));
        });
    rewriter.replaceOp(op, truncateTo(rewriter, op.getLoc(), generic.getResult(0),
                                      out));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

struct LowerTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value init = emptyTensor(rewriter, op.getLoc(), op.getType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(op, op.getInput(), init,
                                                     op.getPermutation());
    return success();
  }
};

/// Static reshape: tensor.reshape with a constant shape operand.
Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  if (v.getType() == type)
    return v;
  SmallVector<int64_t> shape(type.getShape());
  auto shapeType =
      RankedTensorType::get({static_cast<int64_t>(shape.size())}, b.getI64Type());
  Value s = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(shapeType, ArrayRef<int64_t>(shape)));
  return tensor::ReshapeOp::create(b, loc, type, v, s);
}

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    rewriter.replaceOp(op,
                       reshapeTo(rewriter, op.getLoc(), op.getInput(), op.getType()));
    return success();
  }
};

struct LowerConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto type = op.getType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += type.getRank();
    Value acc = emptyTensor(rewriter, op.getLoc(), type);
    int64_t offset = 0;
    for (Value in : op.getInputs()) {
      auto t = cast<RankedTensorType>(in.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                               rewriter.getIndexAttr(1));
      for (int64_t s : t.getShape())
        sizes.push_back(rewriter.getIndexAttr(s));
      acc = tensor::InsertSliceOp::create(rewriter, op.getLoc(), in, acc,
                                          offsets, sizes, strides);
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

struct LowerSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto in = cast<RankedTensorType>(op.getInput().getType());
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += in.getRank();
    int64_t size = in.getDimSize(axis);
    int64_t start = static_cast<int64_t>(op.getStart());
    if (start < 0)
      start += size;
    SmallVector<OpFoldResult> offsets(in.getRank(), rewriter.getIndexAttr(0)),
        sizes, strides(in.getRank(), rewriter.getIndexAttr(1));
    offsets[axis] = rewriter.getIndexAttr(start);
    for (int64_t s : op.getType().getShape())
      sizes.push_back(rewriter.getIndexAttr(s));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), op.getInput(), offsets, sizes, strides);
    return success();
  }
};

/// tensor.insert_slice at a clamped run-time offset: bufferized, a write of
/// the update's bytes into dest's buffer (in place when dest is a cache the
/// function updates), not a copy of dest.
struct LowerUpdateSlice : OpRewritePattern<UpdateSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UpdateSliceOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto dest = cast<RankedTensorType>(op.getDest().getType());
    auto update = cast<RankedTensorType>(op.getUpdate().getType());
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += dest.getRank();
    Value start = tensor::ExtractOp::create(rewriter, loc, op.getStart(),
                                            ValueRange{});
    start = i64ToIndex(rewriter, loc, start);
    Value lo = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value hi = arith::ConstantIndexOp::create(
        rewriter, loc, dest.getDimSize(axis) - update.getDimSize(axis));
    start = arith::MinSIOp::create(
        rewriter, loc, arith::MaxSIOp::create(rewriter, loc, start, lo), hi);
    SmallVector<OpFoldResult> offsets(dest.getRank(), rewriter.getIndexAttr(0)),
        sizes, strides(dest.getRank(), rewriter.getIndexAttr(1));
    offsets[axis] = start;
    for (int64_t s : update.getShape())
      sizes.push_back(rewriter.getIndexAttr(s));
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, op.getUpdate(), op.getDest(), offsets, sizes, strides);
    return success();
  }
};

/// result[...] = input[..., indices[...]]
struct LowerGather : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto out = op.getType();
    Value input = op.getInput();
    Value v = buildElementwise(
        rewriter, op.getLoc(), out, {op.getIndices()},
        [&](OpBuilder &b, Location l, ValueRange a) {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < out.getRank(); ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          idx.push_back(i64ToIndex(b, l, a[0]));
          return tensor::ExtractOp::create(b, l, input, idx);
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// result[..., j] = table[ids[...], j]
struct LowerEmbedding : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto out = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = out.getRank();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx).getMajorSubMap(rank - 1),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value table = op.getTable();
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{out}, ValueRange{op.getIds()},
        ValueRange{emptyTensor(rewriter, op.getLoc(), out)}, maps,
        parallel(rank), [&](OpBuilder &b, Location l, ValueRange a) {
          Value row = i64ToIndex(b, l, a[0]);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value v = tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// result = input; result[ids[k], :] += source[k, :], as a loop over k
/// carrying the table: each step adds one source row into the table row
/// the id names (a slice at a dynamic offset, updated in place once
/// bufferized). An id outside [0, V) reads row 0 and adds zeros, so nothing
/// is read or written out of bounds and no branch is needed. Repeated ids
/// accumulate in order, so the loop stays sequential (n * D additions).
struct LowerIndexAdd : OpRewritePattern<IndexAddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IndexAddOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto table = cast<RankedTensorType>(op.getType());
    auto idsType = cast<RankedTensorType>(op.getIds().getType());
    int64_t v = table.getDimSize(0), d = table.getDimSize(1);
    int64_t n = idsType.getNumElements();
    Type elt = table.getElementType();
    // ids -> [n], source -> [n, D]; a single (rank-0) id keeps its shapes.
    Value ids = op.getIds(), source = op.getSource();
    bool single = idsType.getRank() == 0;
    if (idsType.getRank() > 1) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t i = 0; i < idsType.getRank(); ++i)
        all[0].push_back(i);
      ids = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({n}, idsType.getElementType()),
          ids, all);
      SmallVector<ReassociationIndices> rows(2);
      for (int64_t i = 0; i < idsType.getRank(); ++i)
        rows[0].push_back(i);
      rows[1].push_back(idsType.getRank());
      source = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({n, d}, elt), source, rows);
    }
    auto c = [&](int64_t x) {
      return arith::ConstantIndexOp::create(rewriter, loc, x);
    };
    Value zero = c(0), one = c(1), count = c(n), rowsV = c(v);
    auto rowType = RankedTensorType::get({d}, elt);
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                       rewriter.getIndexAttr(d)};
    SmallVector<OpFoldResult> strides = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(1)};
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, count, one, ValueRange{op.getInput()},
        [&](OpBuilder &b, Location l, Value k, ValueRange acc) {
          Value id = i64ToIndex(
              b, l,
              single ? tensor::ExtractOp::create(b, l, ids, ValueRange{})
                     : tensor::ExtractOp::create(b, l, ids, k));
          Value inRange = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, id, zero),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, id, rowsV));
          Value row = arith::SelectOp::create(b, l, inRange, id, zero);
          SmallVector<OpFoldResult> at = {row, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> src = {k, b.getIndexAttr(0)};
          Value dst = tensor::ExtractSliceOp::create(b, l, rowType, acc[0], at,
                                                    sizes, strides);
          Value add = single ? source
                             : tensor::ExtractSliceOp::create(
                                   b, l, rowType, source, src, sizes, strides)
                                   .getResult();
          MLIRContext *ctx = b.getContext();
          AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
          Value sum =
              linalg::GenericOp::create(
                  b, l, TypeRange{rowType}, ValueRange{add}, ValueRange{dst},
                  SmallVector<AffineMap>{id1, id1}, parallel(1),
                  [&](OpBuilder &bb, Location ll, ValueRange a) {
                    Value zeroF = arith::ConstantOp::create(
                        bb, ll, elt, bb.getZeroAttr(elt));
                    Value s = arith::SelectOp::create(bb, ll, inRange, a[0],
                                                      zeroF);
                    linalg::YieldOp::create(
                        bb, ll, ValueRange{arith::AddFOp::create(bb, ll, a[1], s)});
                  })
                  .getResult(0);
          Value next = tensor::InsertSliceOp::create(b, l, sum, acc[0], at,
                                                     sizes, strides);
          scf::YieldOp::create(b, l, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// [B, C, H, W] -> [B, C, H/p, p, W/p, p] -> [B, H/p, W/p, C, p, p] ->
/// [B, N, C*p*p].
struct LowerPatchify : OpRewritePattern<PatchifyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PatchifyOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto in = cast<RankedTensorType>(op.getInput().getType());
    int64_t p = op.getPatch();
    int64_t b = in.getDimSize(0), c = in.getDimSize(1), h = in.getDimSize(2),
            w = in.getDimSize(3);
    Type elt = in.getElementType();
    Value split = reshapeTo(rewriter, loc, op.getInput(),
                            RankedTensorType::get({b, c, h / p, p, w / p, p}, elt));
    auto permutedType = RankedTensorType::get({b, h / p, w / p, c, p, p}, elt);
    Value permuted =
        linalg::TransposeOp::create(rewriter, loc, split,
                                    emptyTensor(rewriter, loc, permutedType),
                                    ArrayRef<int64_t>{0, 2, 4, 1, 3, 5})
            .getResult()[0];
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, permuted, op.getType()));
    return success();
  }
};

/// The token broadcast over the batch at sequence position 0, then the input.
struct LowerPrependToken : OpRewritePattern<PrependTokenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PrependTokenOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto out = op.getType();
    int64_t b = out.getDimSize(0), n = out.getDimSize(1), d = out.getDimSize(2);
    Type elt = out.getElementType();
    auto tokType = RankedTensorType::get({b, 1, d}, elt);
    Value tok = buildElementwise(rewriter, loc, tokType, {op.getToken()},
                                 [](OpBuilder &, Location, ValueRange a) {
                                   return a[0];
                                 });
    Value acc = emptyTensor(rewriter, loc, out);
    auto one = rewriter.getIndexAttr(1), zero = rewriter.getIndexAttr(0);
    SmallVector<OpFoldResult> strides(3, one);
    acc = tensor::InsertSliceOp::create(
        rewriter, loc, tok, acc, SmallVector<OpFoldResult>{zero, zero, zero},
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(b), one,
                                  rewriter.getIndexAttr(d)},
        strides);
    acc = tensor::InsertSliceOp::create(
        rewriter, loc, op.getInput(), acc,
        SmallVector<OpFoldResult>{zero, one, zero},
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(b),
                                  rewriter.getIndexAttr(n - 1),
                                  rewriter.getIndexAttr(d)},
        strides);
    rewriter.replaceOp(op, acc);
    return success();
  }
};

} // namespace

void lowering::populateStructuredPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerReduce<ReduceSumOp>, LowerReduce<ReduceMeanOp>,
               LowerReduce<ReduceMaxOp>, LowerMatmul, LowerBatchMatmul,
               LowerTranspose, LowerReshape, LowerConcat, LowerSlice, LowerUpdateSlice,
               LowerGather, LowerEmbedding, LowerIndexAdd, LowerPatchify,
               LowerPrependToken>(
      patterns.getContext());
}
