//===- Common.h - helpers shared by the loom-to-linalg patterns -----------===//
#ifndef LOOM_CONVERSION_LOOMTOLINALG_COMMON_H
#define LOOM_CONVERSION_LOOMTOLINALG_COMMON_H

#include "loom/Conversion/Passes.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::loom::lowering {

/// Fails the match with a message naming the op when a shape is dynamic.
LogicalResult requireStatic(Operation *op, PatternRewriter &rewriter);

/// The indexing map reading `operandType` inside a loop nest over
/// `resultType` with numpy broadcasting: trailing dims aligned, size-1 dims
/// of the operand pinned to 0 where the result is wider.
AffineMap broadcastMap(RankedTensorType operandType,
                       RankedTensorType resultType, MLIRContext *ctx);

using BodyFn =
    function_ref<Value(OpBuilder &b, Location loc, ValueRange args)>;

/// A parallel linalg.generic over `resultType` reading `inputs` with
/// broadcast maps; `body` maps the input scalars to the result scalar.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyFn body);

/// A splat scalar constant of `type` (float or integer).
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// tensor.empty of a static type.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);

/// linalg.fill of a static type with `value`.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   double value);

void populateElementwisePatterns(RewritePatternSet &patterns);
void populateStructuredPatterns(RewritePatternSet &patterns);
/// The training step's attention_lse and attention_grad (Attention.cpp).
void populateAttentionPatterns(RewritePatternSet &patterns);

} // namespace mlir::loom::lowering

#endif // LOOM_CONVERSION_LOOMTOLINALG_COMMON_H
