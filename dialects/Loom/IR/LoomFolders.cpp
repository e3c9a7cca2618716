//===- LoomFolders.cpp - folders and canonicalization patterns ------------===//
//
// Algebraic identities only fire when they cannot change the result type: an
// `x + 0` whose zero broadcasts x to a larger shape is kept.
//
//===----------------------------------------------------------------------===//
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::loom;

/// The splat value of a constant attribute as a double, if it has one.
static std::optional<double> splatValue(Attribute attr) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return std::nullopt;
  Type elt = splat.getElementType();
  if (isa<FloatType>(elt))
    return splat.getSplatValue<APFloat>().convertToDouble();
  if (elt.isInteger(1))
    return splat.getSplatValue<bool>() ? 1.0 : 0.0;
  if (isa<IntegerType>(elt))
    return static_cast<double>(splat.getSplatValue<APInt>().getSExtValue());
  return std::nullopt;
}

static bool isSplat(Attribute attr, double v) {
  auto s = splatValue(attr);
  return s && *s == v;
}

/// `value` if it already has `type` (so dropping the other operand is exact).
static OpFoldResult sameTypeOr(Value value, Type type) {
  return value.getType() == type ? OpFoldResult(value) : OpFoldResult();
}

/// Folds op(splat a, splat b) of float tensors into a splat of the (static)
/// result type.
template <typename Fn>
static OpFoldResult foldSplats(Attribute lhs, Attribute rhs, Type resultType,
                               Fn fn) {
  auto type = dyn_cast<RankedTensorType>(resultType);
  auto a = dyn_cast_or_null<SplatElementsAttr>(lhs);
  auto b = dyn_cast_or_null<SplatElementsAttr>(rhs);
  if (!type || !type.hasStaticShape() || !a || !b ||
      !isa<FloatType>(type.getElementType()))
    return {};
  APFloat x = a.getSplatValue<APFloat>(), y = b.getSplatValue<APFloat>();
  return DenseElementsAttr::get(type, fn(x, y));
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 0.0))
    if (auto r = sameTypeOr(getLhs(), getType()))
      return r;
  if (isSplat(adaptor.getLhs(), 0.0))
    if (auto r = sameTypeOr(getRhs(), getType()))
      return r;
  return foldSplats(adaptor.getLhs(), adaptor.getRhs(), getType(),
                    [](APFloat a, const APFloat &b) {
                      a.add(b, APFloat::rmNearestTiesToEven);
                      return a;
                    });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 0.0))
    if (auto r = sameTypeOr(getLhs(), getType()))
      return r;
  return foldSplats(adaptor.getLhs(), adaptor.getRhs(), getType(),
                    [](APFloat a, const APFloat &b) {
                      a.subtract(b, APFloat::rmNearestTiesToEven);
                      return a;
                    });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0))
    if (auto r = sameTypeOr(getLhs(), getType()))
      return r;
  if (isSplat(adaptor.getLhs(), 1.0))
    if (auto r = sameTypeOr(getRhs(), getType()))
      return r;
  return foldSplats(adaptor.getLhs(), adaptor.getRhs(), getType(),
                    [](APFloat a, const APFloat &b) {
                      a.multiply(b, APFloat::rmNearestTiesToEven);
                      return a;
                    });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0))
    if (auto r = sameTypeOr(getLhs(), getType()))
      return r;
  return foldSplats(adaptor.getLhs(), adaptor.getRhs(), getType(),
                    [](APFloat a, const APFloat &b) {
                      a.divide(b, APFloat::rmNearestTiesToEven);
                      return a;
                    });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0))
    return sameTypeOr(getLhs(), getType());
  return {};
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return sameTypeOr(inner.getInput(), getType());
  return {};
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  if (auto c = splatValue(adaptor.getCondition()))
    return sameTypeOr(*c != 0.0 ? getOnTrue() : getOnFalse(), getType());
  if (getOnTrue() == getOnFalse())
    return sameTypeOr(getOnTrue(), getType());
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  return sameTypeOr(getInput(), getType());
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  if (!getTraining() || getRate().isZero())
    return sameTypeOr(getInput(), getType());
  return {};
}

//===----------------------------------------------------------------------===//
// x + index_add(0, ids, s) -> index_add(x, ids, s)
//===----------------------------------------------------------------------===//

namespace {
/// A gradient accumulated onto an embedding table's gradient (GPT-2's tied
/// wte: the LM head's dW plus the embedding's scatter) adds the rows into
/// the other term instead of into zeros: one pass over the [V, D] table
/// fewer, and no zero table at all.
struct AddIntoIndexAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair(op.getLhs(), op.getRhs()),
                               std::pair(op.getRhs(), op.getLhs())}) {
      auto scatter = mine.getDefiningOp<IndexAddOp>();
      if (!scatter || !scatter->hasOneUse() ||
          other.getType() != op.getType() || scatter.getType() != op.getType())
        continue;
      Attribute init;
      if (!matchPattern(scatter.getInput(), m_Constant(&init)) ||
          !isSplat(init, 0.0))
        continue;
      rewriter.replaceOpWithNewOp<IndexAddOp>(op, op.getType(), other,
                                              scatter.getIds(),
                                              scatter.getSource());
      return success();
    }
    return failure();
  }
};
} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<AddIntoIndexAdd>(context);
}

//===----------------------------------------------------------------------===//
// x / sqrt(y) -> x * rsqrt(y)
//===----------------------------------------------------------------------===//

namespace {
struct DivBySqrtToMulRsqrt : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    auto sqrt = op.getRhs().getDefiningOp<SqrtOp>();
    if (!sqrt)
      return failure();
    Value r = RsqrtOp::create(rewriter, sqrt.getLoc(), sqrt.getInput());
    // rsqrt(y) has sqrt(y)'s type, so the product keeps the quotient's type.
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), op.getLhs(), r);
    return success();
  }
};
} // namespace

void DivOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<DivBySqrtToMulRsqrt>(context);
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in != getType())
    return {};
  // Same static shape, or a shape that copies every dim: the identity.
  bool copiesAll = llvm::all_of(getShape(), [](int64_t s) { return s == 0; });
  if (in.hasStaticShape() || copiesAll)
    return getInput();
  return {};
}

namespace {
/// reshape(reshape(x)) -> reshape(x), when the outer shape does not copy (0)
/// dims of the intermediate value, or the result is fully static.
struct ReshapeOfReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> shape(op.getShape());
    if (op.getType().hasStaticShape())
      shape.assign(op.getType().getShape().begin(),
                   op.getType().getShape().end());
    else if (llvm::is_contained(shape, 0))
      return failure();
    // Without copy (0) entries the shape means the same for x as for the
    // intermediate value: explicit sizes, and -1 inferred from the same count.
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           rewriter.getDenseI64ArrayAttr(shape));
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<ReshapeOfReshape>(context);
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  for (auto [i, p] : llvm::enumerate(perm))
    if (static_cast<int64_t>(i) != p)
      return {};
  return sameTypeOr(getInput(), getType());
}

namespace {
/// transpose(transpose(x, p), q) -> transpose(x, p o q).
struct TransposeOfTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPermutation())
      perm.push_back(inner.getPermutation()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<TransposeOfTranspose>(context);
}

//===----------------------------------------------------------------------===//
// concat, slice, heads
//===----------------------------------------------------------------------===//

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1)
    return sameTypeOr(getInputs()[0], getType());
  return {};
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.hasStaticShape() && in == getType())
    return getInput();
  return {};
}

OpFoldResult SplitHeadsOp::fold(FoldAdaptor) {
  // merge_heads then split_heads is the identity only when the split makes as
  // many heads as were merged; with a dynamic head dim the types alone cannot
  // tell (tensor<?x?x5x?xf32> round-trips through any num_heads).
  if (auto merge = getInput().getDefiningOp<MergeHeadsOp>()) {
    auto in = merge.getInput().getType();
    if (in.getDimSize(in.getRank() - 3) ==
        static_cast<int64_t>(getNumHeads()))
      return sameTypeOr(merge.getInput(), getType());
  }
  return {};
}

OpFoldResult MergeHeadsOp::fold(FoldAdaptor) {
  if (auto split = getInput().getDefiningOp<SplitHeadsOp>())
    return sameTypeOr(split.getInput(), getType());
  return {};
}
