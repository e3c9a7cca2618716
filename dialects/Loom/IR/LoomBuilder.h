//===- LoomBuilder.h - terse construction of loom ops -----------*- C++ -*-===//
//
// Decompositions and VJP rules build chains of loom ops at one location (the
// op being rewritten, so diagnostics keep leading to the spec line). This
// holds the builder and the location; result types come from each op's
// inference.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_IR_LOOMBUILDER_H
#define LOOM_IR_LOOMBUILDER_H

#include "Loom/IR/LoomOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::loom {

struct LoomBuilder {
  LoomBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &b;
  Location loc;

  /// A dense splat constant of `type` (float or integer element type).
  Value splat(RankedTensorType type, double v) {
    Type elt = type.getElementType();
    Attribute a =
        isa<FloatType>(elt)
            ? Attribute(FloatAttr::get(elt, v))
            : Attribute(IntegerAttr::get(elt, static_cast<int64_t>(v)));
    return ConstantOp::create(
        b, loc, cast<ElementsAttr>(DenseElementsAttr::get(type, a)));
  }
  /// A rank-0 constant: broadcasts against any shape.
  Value scalar(Type elt, double v) {
    return splat(RankedTensorType::get({}, elt), v);
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value sumKeep(Value x, int64_t axis) {
    return ReduceSumOp::create(b, loc, x, ArrayRef<int64_t>{axis}, true);
  }
  Value meanKeep(Value x, int64_t axis) {
    return ReduceMeanOp::create(b, loc, x, ArrayRef<int64_t>{axis}, true);
  }
};

} // namespace mlir::loom

#endif // LOOM_IR_LOOMBUILDER_H
