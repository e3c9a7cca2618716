//===- Common.cpp - helpers shared by the loom-to-linalg patterns ---------===//
#include "Common.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace mlir::loom;

LogicalResult lowering::requireStatic(Operation *op, PatternRewriter &rewriter) {
  auto isStatic = [](Type t) {
    auto rt = dyn_cast<RankedTensorType>(t);
    return !rt || rt.hasStaticShape();
  };
  if (llvm::all_of(op->getOperandTypes(), isStatic) &&
      llvm::all_of(op->getResultTypes(), isStatic))
    return success();
  op->emitError() << "convert-loom-to-linalg: dynamic shapes are not "
                     "supported yet; bind every dim (loomc --dim NAME=N)";
  return failure();
}

AffineMap lowering::broadcastMap(RankedTensorType operandType,
                                 RankedTensorType resultType, MLIRContext *ctx) {
  int64_t r = operandType.getRank(), R = resultType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < r; ++i) {
    int64_t d = i + (R - r);
    if (operandType.getDimSize(i) == 1 && resultType.getDimSize(d) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(R, 0, exprs, ctx);
}

Value lowering::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

Value lowering::scalarConstant(OpBuilder &b, Location loc, Type type,
                               double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value lowering::filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                             double value) {
  Value init = emptyTensor(b, loc, type);
  Value v = scalarConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, v, init).getResult(0);
}

Value lowering::buildElementwise(OpBuilder &b, Location loc,
                                 RankedTensorType resultType, ValueRange inputs,
                                 BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(cast<RankedTensorType>(in.getType()), resultType, ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs,
      ValueRange{emptyTensor(b, loc, resultType)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}
