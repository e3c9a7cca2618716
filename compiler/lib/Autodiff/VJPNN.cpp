//===- VJPNN.cpp - VJP rules of contractions, softmax and losses ----------===//
//
// Composites without a rule of their own (patch_embed, contrastive_loss)
// are differentiated through their definition: the pass decomposes them
// first (decomposedBeforeDifferentiation). Attention has a rule: through its
// definition the backward would read the [.., Tq, Tk] probabilities, and
// the forward could not fuse.
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/VJP.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::autodiff;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Swaps the last two dims.
Value transposeLast2(OpBuilder &b, Location loc, Value v) {
  int64_t r = rtt(v).getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
  std::swap(perm[r - 1], perm[r - 2]);
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(perm));
}

/// Zeroes `dx` where a masked / causal softmax hides entries.
Value zeroHidden(OpBuilder &b, Location loc, Value dx, Value input, Value mask,
                 bool causal) {
  Value zero = scalarConst(b, loc, rtt(dx).getElementType(), 0);
  if (causal)
    dx = SelectOp::create(b, loc, CausalMaskOp::create(b, loc, input), dx, zero);
  if (mask)
    dx = SelectOp::create(b, loc, mask, dx, zero);
  return dx;
}

} // namespace

void mlir::loom::autodiff::addNNRules(VJPTable &t) {
  t[TypeID::get<MatmulOp>()] = [](VJPContext &c) {
    // dA = g B^T, dB = A^T g
    Location loc = c.loc();
    if (c.need(0))
      c.grads[0] = BatchMatmulOp::create(c.b, loc, c.cotangent, c.operand(1),
                                         /*transpose_rhs=*/true);
    if (c.need(1))
      c.grads[1] = MatmulOp::create(c.b, loc,
                                    transposeLast2(c.b, loc, c.operand(0)),
                                    c.cotangent);
    return success();
  };
  t[TypeID::get<BatchMatmulOp>()] = [](VJPContext &c) {
    // y = A B:   dA = g B^T, dB = A^T g
    // y = A B^T: dA = g B,   dB = g^T A
    // then summed back over broadcast batch dims.
    Location loc = c.loc();
    bool tr = cast<BatchMatmulOp>(c.op).getTransposeRhs();
    Value a = c.operand(0), bm = c.operand(1), g = c.cotangent;
    if (c.need(0)) {
      Value d = BatchMatmulOp::create(c.b, loc, g, bm, /*transpose_rhs=*/!tr);
      c.grads[0] = unbroadcast(c.b, loc, d, a.getType());
    }
    if (c.need(1)) {
      Value d = tr ? BatchMatmulOp::create(c.b, loc, transposeLast2(c.b, loc, g),
                                           a, false)
                   : BatchMatmulOp::create(c.b, loc,
                                           transposeLast2(c.b, loc, a), g,
                                           false);
      c.grads[1] = unbroadcast(c.b, loc, d, bm.getType());
    }
    return success();
  };
  t[TypeID::get<SoftmaxOp>()] = [](VJPContext &c) {
    // dx = y * (g - sum(g * y)); masked entries have y = 0, so dx = 0.
    if (!c.need(0))
      return success();
    Location loc = c.loc();
    int64_t axis = cast<SoftmaxOp>(c.op).getAxis();
    Value y = c.result();
    Value gy = MulOp::create(c.b, loc, c.cotangent, y);
    Value s = ReduceSumOp::create(c.b, loc, gy, ArrayRef<int64_t>{axis}, true);
    c.grads[0] = MulOp::create(c.b, loc, y,
                               SubOp::create(c.b, loc, c.cotangent, s));
    return success();
  };
  t[TypeID::get<AttentionOp>()] = [](VJPContext &c) {
    // FlashAttention-2's backward: the forward keeps only the row
    // log-sum-exp of the scores (attention_lse, next to the attention so the
    // two read Q and K together), and attention_grad recomputes the
    // probabilities from it block by block. Neither stores a [.., Tq, Tk]
    // tensor, and the attention itself stays whole, so the forward fuses as
    // at inference (loom-fuse-attention).
    auto op = cast<AttentionOp>(c.op);
    if (!c.need(0) && !c.need(1) && !c.need(2))
      return success();
    Location loc = c.loc();
    RankedTensorType qt = rtt(op.getQuery());
    if (!qt.getElementType().isF32()) {
      // The blocked kernels are f32 only: 16-bit attention differentiates
      // its definition, P = softmax(scale Q Kᵀ) materialized.
      double scale = op.getScale()
                         ? op.getScale()->convertToDouble()
                         : 1.0 / std::sqrt(double(qt.getShape().back()));
      Value k = scalarConst(c.b, loc, qt.getElementType(), scale);
      Value s = MulOp::create(
          c.b, loc,
          BatchMatmulOp::create(c.b, loc, op.getQuery(), op.getKey(), true), k);
      Value p =
          SoftmaxOp::create(c.b, loc, s, op.getMask(), -1, op.getCausal());
      Value g = c.cotangent;
      if (c.need(2))
        c.grads[2] = BatchMatmulOp::create(
            c.b, loc, transposeLast2(c.b, loc, p), g, false);
      Value dp = BatchMatmulOp::create(c.b, loc, g, op.getValue(), true);
      Value sum = ReduceSumOp::create(c.b, loc, MulOp::create(c.b, loc, dp, p),
                                      ArrayRef<int64_t>{-1}, true);
      Value ds = MulOp::create(
          c.b, loc,
          MulOp::create(c.b, loc, p, SubOp::create(c.b, loc, dp, sum)), k);
      if (c.need(0))
        c.grads[0] = BatchMatmulOp::create(c.b, loc, ds, op.getKey(), false);
      if (c.need(1))
        c.grads[1] = BatchMatmulOp::create(
            c.b, loc, transposeLast2(c.b, loc, ds), op.getQuery(), false);
      return success();
    }
    SmallVector<int64_t> rows(qt.getShape().drop_back());
    Value lse;
    {
      OpBuilder::InsertionGuard guard(c.b);
      c.b.setInsertionPointAfter(op);
      lse = AttentionLseOp::create(
          c.b, loc, RankedTensorType::get(rows, qt.getElementType()),
          op.getQuery(), op.getKey(), op.getMask(), op.getCausalAttr(),
          op.getScaleAttr());
    }
    auto grad = AttentionGradOp::create(
        c.b, loc, qt, rtt(op.getKey()), rtt(op.getValue()), op.getQuery(),
        op.getKey(), op.getValue(), c.result(), lse, c.cotangent, op.getMask(),
        op.getCausalAttr(), op.getScaleAttr());
    for (unsigned i = 0; i < 3; ++i)
      if (c.need(i))
        c.grads[i] = grad->getResult(i);
    return success();
  };
  t[TypeID::get<LogSoftmaxOp>()] = [](VJPContext &c) {
    // dx = g - softmax(x) * sum(g), softmax(x) = exp(y); zero where masked.
    if (!c.need(0))
      return success();
    Location loc = c.loc();
    auto op = cast<LogSoftmaxOp>(c.op);
    int64_t axis = op.getAxis();
    Value p = ExpOp::create(c.b, loc, c.result());
    Value s = ReduceSumOp::create(c.b, loc, c.cotangent,
                                  ArrayRef<int64_t>{axis}, true);
    Value dx = SubOp::create(c.b, loc, c.cotangent,
                             MulOp::create(c.b, loc, p, s));
    dx = zeroHidden(c.b, loc, dx, op.getInput(), op.getMask(), op.getCausal());
    c.grads[0] = dx;
    return success();
  };
  t[TypeID::get<CrossEntropyOp>()] = [](VJPContext &c) -> LogicalResult {
    // dlogits = g * (softmax(logits) - onehot(targets)) * valid / count
    if (!c.need(0))
      return success();
    Location loc = c.loc();
    auto op = cast<CrossEntropyOp>(c.op);
    Value logits = op.getLogits(), targets = op.getTargets();
    RankedTensorType lt = rtt(logits);
    Type elt = lt.getElementType();
    Type idElt = rtt(targets).getElementType();
    int64_t rank = lt.getRank();
    Value p = SoftmaxOp::create(c.b, loc, logits, Value(), -1, false);
    Value oh = oneHot(c.b, loc, targets, logits, rank - 1, elt);
    // (getIgnoreIndex() is unsigned: convert through int64_t.)
    int64_t ignore = static_cast<int64_t>(op.getIgnoreIndex());
    unsigned width = idElt.getIntOrFloatBitWidth();
    if (width < 64 && !llvm::isIntN(width, ignore))
      return op.emitOpError("ignore_index ")
             << ignore << " is not a value of the i" << width << " targets";
    auto ignoreAttr = DenseElementsAttr::get(
        RankedTensorType::get({}, idElt), IntegerAttr::get(idElt, ignore));
    Value ignoreConst =
        ConstantOp::create(c.b, loc, cast<ElementsAttr>(ignoreAttr));
    Value valid = CompareOp::create(c.b, loc, ComparePredicate::ne, targets,
                                    ignoreConst);
    Value vf = CastOp::create(c.b, loc, valid, TypeAttr::get(elt));
    SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
    Value count = all.empty()
                      ? vf
                      : Value(ReduceSumOp::create(c.b, loc, vf, all, false));
    SmallVector<int64_t> s(rtt(targets).getShape());
    s.push_back(1);
    Value w = DivOp::create(c.b, loc, MulOp::create(c.b, loc, vf, c.cotangent),
                            count);
    c.grads[0] = MulOp::create(c.b, loc, SubOp::create(c.b, loc, p, oh),
                               reshapeTo(c.b, loc, w, s));
    return success();
  };
}
