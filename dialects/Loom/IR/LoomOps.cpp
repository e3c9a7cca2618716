//===- LoomOps.cpp - elementwise, constant, cast and dropout ops ----------===//
//
// Result-type inference doubles as the shape verifier: a failed inference
// emits a precise diagnostic, and InferTypeOpInterface's verifier then checks
// the declared result type against the inferred one.
//
//===----------------------------------------------------------------------===//
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::loom;

#include "Loom/IR/LoomEnums.cpp.inc"

#define GET_OP_CLASSES
#include "Loom/IR/LoomOps.cpp.inc"

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(cast<TypedAttr>(adaptor.getValue()).getType());
  return success();
}

LogicalResult ConstantOp::verify() {
  if (!isa<RankedTensorType>(getValue().getType()))
    return emitOpError("value must be a ranked tensor, got ")
           << getValue().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// Infers the broadcast result of `operands` (two or more); `resultElt`
/// overrides the element type (compare gives i1). `firstValue` skips operands
/// that do not join the element-type check (select's condition).
static LogicalResult inferBroadcast(std::optional<Location> loc, StringRef name,
                                    ValueRange operands, unsigned firstValue,
                                    Type resultElt,
                                    SmallVectorImpl<Type> &types) {
  auto first = cast<RankedTensorType>(operands[firstValue].getType());
  for (Value v : operands.drop_front(firstValue + 1)) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != first.getElementType())
      return opError(loc, name,
                     "operands must share an element type, got " + str(first) +
                         " and " + str(t));
  }
  Shape shape(cast<RankedTensorType>(operands[0].getType()).getShape());
  for (Value v : operands.drop_front()) {
    auto t = cast<RankedTensorType>(v.getType());
    auto b = broadcastShapes(shape, t.getShape());
    if (!b)
      return opError(loc, name,
                     "shapes " + shapeStr(shape) + " and " +
                         shapeStr(t.getShape()) + " do not broadcast");
    shape = *b;
  }
  types.push_back(
      tensorOf(shape, resultElt ? resultElt : first.getElementType()));
  return success();
}

#define LOOM_BINARY_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferBroadcast(loc, getOperationName(), adaptor.getOperands(), 0,  \
                          Type(), types);                                      \
  }
LOOM_BINARY_INFER(AddOp)
LOOM_BINARY_INFER(SubOp)
LOOM_BINARY_INFER(MulOp)
LOOM_BINARY_INFER(DivOp)
LOOM_BINARY_INFER(MaximumOp)
LOOM_BINARY_INFER(PowOp)
#undef LOOM_BINARY_INFER

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferBroadcast(loc, getOperationName(),
                        {adaptor.getLhs(), adaptor.getRhs()}, 0,
                        IntegerType::get(ctx, 1), types);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto elt = cast<RankedTensorType>(adaptor.getOnTrue().getType())
                 .getElementType();
  return inferBroadcast(loc, getOperationName(), adaptor.getOperands(), 1, elt,
                        types);
}

//===----------------------------------------------------------------------===//
// Unary ops: the result has the operand's type.
//===----------------------------------------------------------------------===//

#define LOOM_UNARY_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,  \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    types.push_back(adaptor.getInput().getType());                            \
    return success();                                                          \
  }
LOOM_UNARY_INFER(NegOp)
LOOM_UNARY_INFER(ExpOp)
LOOM_UNARY_INFER(LogOp)
LOOM_UNARY_INFER(SqrtOp)
LOOM_UNARY_INFER(RsqrtOp)
LOOM_UNARY_INFER(ErfOp)
LOOM_UNARY_INFER(TanhOp)
LOOM_UNARY_INFER(SigmoidOp)
LOOM_UNARY_INFER(ReluOp)
LOOM_UNARY_INFER(SiluOp)
LOOM_UNARY_INFER(GeluOp)
LOOM_UNARY_INFER(DropoutOp)
#undef LOOM_UNARY_INFER

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  Type dtype = adaptor.getDtype();
  if (!dtype.isF32() && !dtype.isF16() && !dtype.isBF16() &&
      !dtype.isSignlessInteger(32) && !dtype.isSignlessInteger(64) &&
      !dtype.isSignlessInteger(1))
    return opError(loc, getOperationName(),
                   "dtype must be f32, f16, bf16, i32, i64 or i1, got " +
                       str(dtype));
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(tensorOf(in.getShape(), dtype));
  return success();
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate < 1.0))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  if (getTraining() && rate > 0.0 && !getSeed())
    return emitOpError("training dropout with rate ")
           << rate << " needs a seed operand";
  return success();
}
