//===- VJPCommon.cpp - helpers shared by the VJP rules, the rule table ----===//
#include "loom/Autodiff/VJP.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::loom;

namespace mlir::loom::autodiff {

Value scalarConst(OpBuilder &b, Location loc, Type elt, double v) {
  return LoomBuilder(b, loc).scalar(elt, v);
}

Value splatConst(OpBuilder &b, Location loc, RankedTensorType type, double v) {
  return LoomBuilder(b, loc).splat(type, v);
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return ReshapeOp::create(b, loc, v, b.getDenseI64ArrayAttr(shape));
}

Value unbroadcast(OpBuilder &b, Location loc, Value g, Type to) {
  auto gt = cast<RankedTensorType>(g.getType());
  auto tt = cast<RankedTensorType>(to);
  if (gt.getShape() == tt.getShape())
    return g;
  int64_t lead = gt.getRank() - tt.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < gt.getRank(); ++i) {
    if (i < lead) {
      axes.push_back(i);
      continue;
    }
    if (tt.getDimSize(i - lead) == 1 && gt.getDimSize(i) != 1)
      axes.push_back(i);
  }
  Value s = g;
  if (!axes.empty())
    s = ReduceSumOp::create(b, loc, g, axes, /*keep_dims=*/true);
  return reshapeTo(b, loc, s, tt.getShape());
}

Value broadcastTo(OpBuilder &b, Location loc, Value g, RankedTensorType to) {
  auto gt = cast<RankedTensorType>(g.getType());
  if (gt.getShape() == to.getShape())
    return g;
  Value zeros = splatConst(
      b, loc, RankedTensorType::get(to.getShape(), gt.getElementType()), 0.0);
  return AddOp::create(b, loc, g, zeros);
}

Value oneHot(OpBuilder &b, Location loc, Value ids, Value like, int64_t axis,
             Type elt) {
  auto it = cast<RankedTensorType>(ids.getType());
  Value pos = PositionsOp::create(b, loc, like, axis, 0); // [n] i64
  Value ids64 = ids;
  if (!it.getElementType().isInteger(64))
    ids64 = CastOp::create(b, loc, ids, TypeAttr::get(b.getI64Type()));
  SmallVector<int64_t> shape(it.getShape());
  shape.push_back(1);
  ids64 = reshapeTo(b, loc, ids64, shape);
  Value eq = CompareOp::create(b, loc, ComparePredicate::eq, ids64, pos);
  return CastOp::create(b, loc, eq, TypeAttr::get(elt));
}

const VJPTable &vjpRules() {
  static const VJPTable table = [] {
    VJPTable t;
    addElementwiseRules(t);
    addShapeRules(t);
    addNNRules(t);
    addNormRules(t);
    return t;
  }();
  return table;
}

llvm::ArrayRef<std::string> decomposedBeforeDifferentiation() {
  // (attention has a rule of its own: VJPNN.cpp.)
  static const std::string names[] = {"contrastive_loss", "patch_embed"};
  return names;
}

} // namespace mlir::loom::autodiff
