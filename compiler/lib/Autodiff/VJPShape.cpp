//===- VJPShape.cpp - VJP rules of shape ops, reductions, gather ----------===//
#include "loom/Autodiff/VJP.h"
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::autodiff;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

int64_t norm(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// The reduced axes of a reduction, normalized.
SmallVector<int64_t> reducedAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> r;
  for (int64_t a : axes)
    r.push_back(norm(a, rank));
  return r;
}

/// The reduction's result shape with reduced dims kept as 1.
SmallVector<int64_t> keptShape(RankedTensorType in, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> s(in.getShape());
  for (int64_t a : axes)
    s[a] = 1;
  return s;
}

/// Zeros of `like`'s type with dim `axis` set to `n`.
Value zerosAlong(OpBuilder &b, Location loc, RankedTensorType like, int64_t axis,
                 int64_t n) {
  SmallVector<int64_t> s(like.getShape());
  s[axis] = n;
  return splatConst(b, loc, RankedTensorType::get(s, like.getElementType()), 0);
}

/// Puts `g` at [start, start + size) of dim `axis` of a zero tensor of
/// length `total` along that axis.
Value padAlong(OpBuilder &b, Location loc, Value g, int64_t axis, int64_t start,
               int64_t total) {
  RankedTensorType gt = rtt(g);
  int64_t size = gt.getDimSize(axis);
  SmallVector<Value> parts;
  if (start > 0)
    parts.push_back(zerosAlong(b, loc, gt, axis, start));
  parts.push_back(g);
  if (total - start - size > 0)
    parts.push_back(zerosAlong(b, loc, gt, axis, total - start - size));
  if (parts.size() == 1)
    return g;
  return ConcatOp::create(b, loc, parts, axis);
}

} // namespace

void mlir::loom::autodiff::addShapeRules(VJPTable &t) {
  t[TypeID::get<ReshapeOp>()] = [](VJPContext &c) {
    if (c.need(0))
      c.grads[0] = reshapeTo(c.b, c.loc(), c.cotangent,
                             rtt(c.operand(0)).getShape());
    return success();
  };
  t[TypeID::get<TransposeOp>()] = [](VJPContext &c) {
    if (!c.need(0))
      return success();
    auto perm = cast<TransposeOp>(c.op).getPermutation();
    SmallVector<int64_t> inv(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
      inv[perm[i]] = i;
    c.grads[0] = TransposeOp::create(c.b, c.loc(), c.cotangent,
                                     c.b.getDenseI64ArrayAttr(inv));
    return success();
  };
  t[TypeID::get<ConcatOp>()] = [](VJPContext &c) {
    auto op = cast<ConcatOp>(c.op);
    int64_t axis = norm(op.getAxis(), rtt(c.result()).getRank());
    int64_t start = 0;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      int64_t n = rtt(c.operand(i)).getDimSize(axis);
      if (c.need(i))
        c.grads[i] = SliceOp::create(c.b, c.loc(), c.cotangent, axis, start,
                                     start + n);
      start += n;
    }
    return success();
  };
  t[TypeID::get<SliceOp>()] = [](VJPContext &c) {
    if (!c.need(0))
      return success();
    auto op = cast<SliceOp>(c.op);
    RankedTensorType in = rtt(c.operand(0));
    int64_t axis = norm(op.getAxis(), in.getRank());
    int64_t dim = in.getDimSize(axis);
    int64_t start = op.getStart();
    if (start < 0)
      start += dim;
    start = std::clamp<int64_t>(start, 0, dim);
    c.grads[0] = padAlong(c.b, c.loc(), c.cotangent, axis, start, dim);
    return success();
  };
  t[TypeID::get<SplitHeadsOp>()] = [](VJPContext &c) {
    if (c.need(0))
      c.grads[0] = MergeHeadsOp::create(c.b, c.loc(), c.cotangent);
    return success();
  };
  t[TypeID::get<MergeHeadsOp>()] = [](VJPContext &c) {
    if (c.need(0)) {
      int64_t heads = rtt(c.operand(0)).getDimSize(rtt(c.operand(0)).getRank() - 3);
      c.grads[0] = SplitHeadsOp::create(c.b, c.loc(), c.cotangent, heads);
    }
    return success();
  };
  t[TypeID::get<PrependTokenOp>()] = [](VJPContext &c) {
    int64_t n = rtt(c.result()).getDimSize(1);
    if (c.need(0))
      c.grads[0] = SliceOp::create(c.b, c.loc(), c.cotangent, 1, 1, n);
    if (c.need(1)) {
      Value tok = SliceOp::create(c.b, c.loc(), c.cotangent, 1, 0, 1);
      tok = ReduceSumOp::create(c.b, c.loc(), tok, ArrayRef<int64_t>{0}, true);
      c.grads[1] = reshapeTo(c.b, c.loc(), tok, rtt(c.operand(1)).getShape());
    }
    return success();
  };
  t[TypeID::get<PatchifyOp>()] = [](VJPContext &c) {
    // forward: [B,C,H,W] -> [B,C,H/p,p,W/p,p] -> (0,2,4,1,3,5) -> [B,N,C*p*p]
    if (!c.need(0))
      return success();
    auto op = cast<PatchifyOp>(c.op);
    RankedTensorType in = rtt(c.operand(0));
    int64_t p = op.getPatch();
    int64_t B = in.getDimSize(0), C = in.getDimSize(1), H = in.getDimSize(2),
            W = in.getDimSize(3);
    Value g = reshapeTo(c.b, c.loc(), c.cotangent, {B, H / p, W / p, C, p, p});
    g = TransposeOp::create(c.b, c.loc(), g,
                            c.b.getDenseI64ArrayAttr({0, 3, 1, 4, 2, 5}));
    c.grads[0] = reshapeTo(c.b, c.loc(), g, in.getShape());
    return success();
  };

  // Reductions: the cotangent, with the reduced dims restored as 1,
  // broadcast back over them.
  t[TypeID::get<ReduceSumOp>()] = [](VJPContext &c) {
    if (!c.need(0))
      return success();
    RankedTensorType in = rtt(c.operand(0));
    auto axes = reducedAxes(cast<ReduceSumOp>(c.op).getAxes(), in.getRank());
    Value g = reshapeTo(c.b, c.loc(), c.cotangent, keptShape(in, axes));
    c.grads[0] = broadcastTo(c.b, c.loc(), g, in);
    return success();
  };
  t[TypeID::get<ReduceMeanOp>()] = [](VJPContext &c) {
    if (!c.need(0))
      return success();
    RankedTensorType in = rtt(c.operand(0));
    auto axes = reducedAxes(cast<ReduceMeanOp>(c.op).getAxes(), in.getRank());
    int64_t n = 1;
    for (int64_t a : axes)
      n *= in.getDimSize(a);
    Value g = reshapeTo(c.b, c.loc(), c.cotangent, keptShape(in, axes));
    g = DivOp::create(c.b, c.loc(), g,
                      scalarConst(c.b, c.loc(), in.getElementType(), n));
    c.grads[0] = broadcastTo(c.b, c.loc(), g, in);
    return success();
  };
  t[TypeID::get<ReduceMaxOp>()] = [](VJPContext &c) {
    // The cotangent is shared equally among the maximal elements.
    if (!c.need(0))
      return success();
    RankedTensorType in = rtt(c.operand(0));
    auto axes = reducedAxes(cast<ReduceMaxOp>(c.op).getAxes(), in.getRank());
    auto kept = keptShape(in, axes);
    Value y = reshapeTo(c.b, c.loc(), c.result(), kept);
    Value g = reshapeTo(c.b, c.loc(), c.cotangent, kept);
    Value eq = CompareOp::create(c.b, c.loc(), ComparePredicate::eq,
                                 c.operand(0), y);
    Value m = CastOp::create(c.b, c.loc(), eq,
                             TypeAttr::get(in.getElementType()));
    Value cnt = ReduceSumOp::create(c.b, c.loc(), m, axes, true);
    Value share = DivOp::create(c.b, c.loc(), g, cnt);
    c.grads[0] = MulOp::create(c.b, c.loc(), m, share);
    return success();
  };

  t[TypeID::get<GatherOp>()] = [](VJPContext &c) {
    // d input[..., k] = g[...] * (indices[...] == k)
    if (!c.need(0))
      return success();
    RankedTensorType in = rtt(c.operand(0));
    Value oh = oneHot(c.b, c.loc(), c.operand(1), c.operand(0),
                      in.getRank() - 1, in.getElementType());
    SmallVector<int64_t> s(rtt(c.cotangent).getShape());
    s.push_back(1);
    c.grads[0] = MulOp::create(c.b, c.loc(), oh,
                               reshapeTo(c.b, c.loc(), c.cotangent, s));
    return success();
  };
  t[TypeID::get<EmbeddingOp>()] = [](VJPContext &c) {
    // d table = scatter-add of the rows of g at the ids: n * D additions
    // (a one-hot matmul would be n * V * D multiply-adds).
    if (!c.need(0))
      return success();
    auto table = rtt(c.operand(0));
    Value zeros = splatConst(c.b, c.loc(), table, 0.0);
    c.grads[0] = IndexAddOp::create(c.b, c.loc(), table, zeros, c.operand(1),
                                    c.cotangent);
    return success();
  };
  t[TypeID::get<IndexAddOp>()] = [](VJPContext &c) {
    // d input = g; d source[k, :] = g[ids[k], :] (ids in range, as the
    // embedding that index_add is the gradient of requires).
    if (c.need(0))
      c.grads[0] = c.cotangent;
    if (c.need(2))
      c.grads[2] =
          EmbeddingOp::create(c.b, c.loc(), c.cotangent, c.operand(1));
    return success();
  };
}
