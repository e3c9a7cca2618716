//===- Elementwise.cpp - elementwise loom ops to linalg.generic -----------===//
//
// Every op here becomes one parallel linalg.generic over its result shape;
// broadcasting lives in the indexing maps, so no operand is materialized at
// the result's size. The bodies use arith/math on the element type (float or
// signless integer, signed semantics).
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::lowering;

namespace {

/// Rewrites a single-result op with an elementwise body.
template <typename OpTy>
struct ElementwisePattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  virtual Value body(OpBuilder &b, Location loc, ValueRange args, OpTy op,
                     Type elt) const = 0;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto type = cast<RankedTensorType>(op.getType());
    // The last operand carries the compute type: the value operand of
    // select/compare/cast, the rhs of binary ops.
    Type elt = getElementTypeOrSelf(op->getOperand(op->getNumOperands() - 1));
    Value v = buildElementwise(
        rewriter, op.getLoc(), type, op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return body(b, loc, args, op, elt);
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

#define LOOM_BINARY(OP, FLOAT, INT)                                            \
  struct Lower##OP : ElementwisePattern<OP> {                                  \
    using ElementwisePattern::ElementwisePattern;                              \
    Value body(OpBuilder &b, Location loc, ValueRange a, OP, Type elt)         \
        const override {                                                       \
      if (isa<FloatType>(elt))                                                 \
        return FLOAT::create(b, loc, a[0], a[1]);                              \
      return INT::create(b, loc, a[0], a[1]);                                  \
    }                                                                          \
  };
LOOM_BINARY(AddOp, arith::AddFOp, arith::AddIOp)
LOOM_BINARY(SubOp, arith::SubFOp, arith::SubIOp)
LOOM_BINARY(MulOp, arith::MulFOp, arith::MulIOp)
LOOM_BINARY(DivOp, arith::DivFOp, arith::DivSIOp)
LOOM_BINARY(MaximumOp, arith::MaximumFOp, arith::MaxSIOp)
#undef LOOM_BINARY

struct LowerPowOp : ElementwisePattern<PowOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, PowOp,
             Type) const override {
    return math::PowFOp::create(b, loc, a[0], a[1]);
  }
};

#define LOOM_UNARY(OP, MATH)                                                   \
  struct Lower##OP : ElementwisePattern<OP> {                                  \
    using ElementwisePattern::ElementwisePattern;                              \
    Value body(OpBuilder &b, Location loc, ValueRange a, OP, Type)             \
        const override {                                                       \
      return MATH::create(b, loc, a[0]);                                       \
    }                                                                          \
  };
LOOM_UNARY(ExpOp, math::ExpOp)
LOOM_UNARY(LogOp, math::LogOp)
LOOM_UNARY(SqrtOp, math::SqrtOp)
LOOM_UNARY(ErfOp, math::ErfOp)
LOOM_UNARY(TanhOp, math::TanhOp)
#undef LOOM_UNARY

struct LowerNegOp : ElementwisePattern<NegOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, NegOp,
             Type elt) const override {
    if (isa<FloatType>(elt))
      return arith::NegFOp::create(b, loc, a[0]);
    return arith::SubIOp::create(b, loc, scalarConstant(b, loc, elt, 0), a[0]);
  }
};

struct LowerRsqrtOp : ElementwisePattern<RsqrtOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, RsqrtOp,
             Type elt) const override {
    // 1 / sqrt(x): libm has no rsqrtf for math.rsqrt to call, and the
    // division is exact to half an ulp where an rsqrt estimate is not.
    return arith::DivFOp::create(b, loc, scalarConstant(b, loc, elt, 1.0),
                                 math::SqrtOp::create(b, loc, a[0]));
  }
};

struct LowerSigmoidOp : ElementwisePattern<SigmoidOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, SigmoidOp,
             Type elt) const override {
    // 1 / (1 + e^-x): exp overflows to inf for very negative x, giving 0.
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
    Value one = scalarConstant(b, loc, elt, 1.0);
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  }
};

struct LowerReluOp : ElementwisePattern<ReluOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, ReluOp,
             Type elt) const override {
    // maximumf propagates NaN, as torch.relu does.
    return arith::MaximumFOp::create(b, loc, a[0],
                                     scalarConstant(b, loc, elt, 0.0));
  }
};

struct LowerCompareOp : ElementwisePattern<CompareOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, CompareOp op,
             Type elt) const override {
    if (isa<FloatType>(elt)) {
      arith::CmpFPredicate p = arith::CmpFPredicate::OEQ;
      switch (op.getPredicate()) {
      case ComparePredicate::eq: p = arith::CmpFPredicate::OEQ; break;
      case ComparePredicate::ne: p = arith::CmpFPredicate::UNE; break;
      case ComparePredicate::lt: p = arith::CmpFPredicate::OLT; break;
      case ComparePredicate::le: p = arith::CmpFPredicate::OLE; break;
      case ComparePredicate::gt: p = arith::CmpFPredicate::OGT; break;
      case ComparePredicate::ge: p = arith::CmpFPredicate::OGE; break;
      }
      return arith::CmpFOp::create(b, loc, p, a[0], a[1]);
    }
    arith::CmpIPredicate p = arith::CmpIPredicate::eq;
    switch (op.getPredicate()) {
    case ComparePredicate::eq: p = arith::CmpIPredicate::eq; break;
    case ComparePredicate::ne: p = arith::CmpIPredicate::ne; break;
    case ComparePredicate::lt: p = arith::CmpIPredicate::slt; break;
    case ComparePredicate::le: p = arith::CmpIPredicate::sle; break;
    case ComparePredicate::gt: p = arith::CmpIPredicate::sgt; break;
    case ComparePredicate::ge: p = arith::CmpIPredicate::sge; break;
    }
    return arith::CmpIOp::create(b, loc, p, a[0], a[1]);
  }
};

struct LowerSelectOp : ElementwisePattern<SelectOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, SelectOp,
             Type) const override {
    return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
  }
};

/// Element conversion with the semantics of loom.cast.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  auto fromF = dyn_cast<FloatType>(from), toF = dyn_cast<FloatType>(to);
  if (fromF && toF && fromF.getWidth() == toF.getWidth()) {
    // bf16 <-> f16: neither extf nor truncf accepts equal widths; going
    // through f32 (exact for both) rounds once, to nearest even.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromF && toF)
    return fromF.getWidth() < toF.getWidth()
               ? Value(arith::ExtFOp::create(b, loc, to, v))
               : Value(arith::TruncFOp::create(b, loc, to, v));
  if (to.isInteger(1)) // nonzero -> true
    return fromF ? Value(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE,
                                               v, scalarConstant(b, loc, from, 0)))
                 : Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                               v, scalarConstant(b, loc, from, 0)));
  if (fromF)
    return arith::FPToSIOp::create(b, loc, to, v);
  if (toF) // i1 converts as 0/1, wider ints as signed
    return from.isInteger(1) ? Value(arith::UIToFPOp::create(b, loc, to, v))
                             : Value(arith::SIToFPOp::create(b, loc, to, v));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return from.isInteger(1) ? Value(arith::ExtUIOp::create(b, loc, to, v))
                             : Value(arith::ExtSIOp::create(b, loc, to, v));
  return arith::TruncIOp::create(b, loc, to, v);
}

struct LowerCastOp : ElementwisePattern<CastOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, ValueRange a, CastOp op,
             Type) const override {
    return convertScalar(b, loc, a[0], op.getDtype());
  }
};

struct LowerConstantOp : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!dense)
      return rewriter.notifyMatchFailure(op, "only dense constants lower");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, dense);
    return success();
  }
};

/// The linear (row-major) index of the current element of a generic over
/// `type`, as i64.
Value linearIndex(OpBuilder &b, Location loc, RankedTensorType type) {
  Value linear = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                         linalg::IndexOp::create(b, loc, d));
    Value size = arith::ConstantOp::create(
        b, loc, b.getI64IntegerAttr(type.getDimSize(d)));
    linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, linear, size), i);
  }
  return linear;
}

Value u64(OpBuilder &b, Location loc, uint64_t v) {
  return arith::ConstantOp::create(
      b, loc, b.getI64IntegerAttr(static_cast<int64_t>(v)));
}

/// Dropout: keep element i iff uniform(seed, stream, i) >= rate, where the
/// uniform is the top 24 bits of splitmix64(seed + stream * 0x9E3779B97F4A7C15
/// + (i + 1) * 0xBF58476D1CE4E5B9) (the interpreter computes the same).
struct LowerDropoutOp : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    double rate = op.getRate().convertToDouble();
    if (!op.getTraining() || rate == 0.0) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto type = op.getType();
    Type elt = type.getElementType();
    SmallVector<Value> inputs = {op.getInput(), op.getSeed()};
    int64_t stream = op.getStream();
    Value v = buildElementwise(
        rewriter, op.getLoc(), type, inputs,
        [&](OpBuilder &b, Location loc, ValueRange a) {
          Value z = arith::AddIOp::create(
              b, loc, a[1], u64(b, loc, static_cast<uint64_t>(stream) *
                                            0x9E3779B97F4A7C15ull));
          Value i1 = arith::AddIOp::create(b, loc, linearIndex(b, loc, type),
                                           u64(b, loc, 1));
          z = arith::AddIOp::create(
              b, loc, z,
              arith::MulIOp::create(b, loc, i1, u64(b, loc, 0xBF58476D1CE4E5B9ull)));
          auto mix = [&](Value x, unsigned shift, uint64_t mul) {
            Value s = arith::ShRUIOp::create(b, loc, x, u64(b, loc, shift));
            Value y = arith::XOrIOp::create(b, loc, x, s);
            return mul ? Value(arith::MulIOp::create(b, loc, y, u64(b, loc, mul)))
                       : y;
          };
          z = mix(z, 30, 0xBF58476D1CE4E5B9ull);
          z = mix(z, 27, 0x94D049BB133111EBull);
          z = mix(z, 31, 0);
          Value bits = arith::ShRUIOp::create(b, loc, z, u64(b, loc, 40));
          Value u = arith::MulFOp::create(
              b, loc, arith::UIToFPOp::create(b, loc, b.getF64Type(), bits),
              arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0x1p-24)));
          Value keep = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGE, u,
              arith::ConstantOp::create(b, loc, b.getF64FloatAttr(rate)));
          Value scaled = arith::MulFOp::create(
              b, loc, a[0], scalarConstant(b, loc, elt, 1.0 / (1.0 - rate)));
          return arith::SelectOp::create(b, loc, keep, scaled,
                                         scalarConstant(b, loc, elt, 0.0));
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Generics whose value depends only on the loop indices.
struct LowerPositionsOp : OpRewritePattern<PositionsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PositionsOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    int64_t offset = op.getOffset();
    Value v = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {},
        [&](OpBuilder &b, Location loc, ValueRange) {
          Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                               linalg::IndexOp::create(b, loc, 0));
          return arith::AddIOp::create(b, loc, i, u64(b, loc, offset));
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct LowerCausalMaskOp : OpRewritePattern<CausalMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CausalMaskOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto type = op.getType();
    int64_t shift = type.getDimSize(1) - type.getDimSize(0);
    Value v = buildElementwise(
        rewriter, op.getLoc(), type, {},
        [&](OpBuilder &b, Location loc, ValueRange) {
          Value i = linalg::IndexOp::create(b, loc, 0);
          Value j = linalg::IndexOp::create(b, loc, 1);
          Value limit = arith::AddIOp::create(
              b, loc, i, arith::ConstantIndexOp::create(b, loc, shift));
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j,
                                       limit);
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// pe[..., 2k] = sin(p * w_k), pe[..., 2k+1] = cos(p * w_k),
/// w_k = 10000^(-2k/dim), computed in f32.
struct LowerSinusoidalEncodingOp : OpRewritePattern<SinusoidalEncodingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SinusoidalEncodingOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    auto type = op.getType();
    int64_t dim = op.getDim();
    int64_t last = type.getRank() - 1;
    auto posType = cast<RankedTensorType>(op.getPositions().getType());
    // Positions are indexed by all but the last loop.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(type.getRank(), ctx)
            .getMajorSubMap(posType.getRank()),
        AffineMap::getMultiDimIdentityMap(type.getRank(), ctx)};
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{type}, ValueRange{op.getPositions()},
        ValueRange{emptyTensor(rewriter, op.getLoc(), type)}, maps, iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Type f32 = b.getF32Type();
          Value p = arith::SIToFPOp::create(b, loc, f32, args[0]);
          Value k = linalg::IndexOp::create(b, loc, last);
          Value two = arith::ConstantIndexOp::create(b, loc, 2);
          Value pair = arith::DivUIOp::create(b, loc, k, two);
          Value odd = arith::RemUIOp::create(b, loc, k, two);
          Value pairF = arith::UIToFPOp::create(
              b, loc, f32,
              arith::IndexCastOp::create(b, loc, b.getI64Type(), pair));
          // w = exp(-2k/dim * ln 10000)
          Value w = math::ExpOp::create(
              b, loc,
              arith::MulFOp::create(
                  b, loc, pairF,
                  scalarConstant(b, loc, f32,
                                 -2.0 * std::log(10000.0) / double(dim))));
          Value angle = arith::MulFOp::create(b, loc, p, w);
          Value isOdd = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ne, odd,
              arith::ConstantIndexOp::create(b, loc, 0));
          Value v = arith::SelectOp::create(b, loc, isOdd,
                                            math::CosOp::create(b, loc, angle),
                                            math::SinOp::create(b, loc, angle));
          linalg::YieldOp::create(b, loc, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAddOp, LowerSubOp, LowerMulOp, LowerDivOp, LowerMaximumOp,
               LowerPowOp, LowerExpOp, LowerLogOp, LowerSqrtOp, LowerRsqrtOp,
               LowerErfOp, LowerTanhOp, LowerNegOp, LowerSigmoidOp,
               LowerReluOp, LowerCompareOp, LowerSelectOp, LowerCastOp,
               LowerConstantOp, LowerDropoutOp, LowerPositionsOp,
               LowerCausalMaskOp, LowerSinusoidalEncodingOp>(
      patterns.getContext());
}
