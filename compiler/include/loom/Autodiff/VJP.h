//===- VJP.h - reverse-mode rules (vector-Jacobian products) ----*- C++ -*-===//
//
// A VJP rule per loom op: given the op and the cotangent of its result, it
// emits loom ops computing the cotangent of each differentiable operand.
// Rules live in a table keyed by op type (TypeID), filled per op family
// (VJPElementwise.cpp, VJPShape.cpp, VJPNN.cpp, VJPNorm.cpp). Shapes must be static.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_AUTODIFF_VJP_H
#define LOOM_AUTODIFF_VJP_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include "mlir/Support/TypeID.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir::loom::autodiff {

/// What a rule sees. `needs[i]` says whether operand i's cotangent is wanted
/// (it depends on a differentiated argument and is a float tensor); a rule
/// may leave the others null. `grads` has one slot per operand.
struct VJPContext {
  OpBuilder &b;
  Operation *op;
  Value cotangent; // of the op's (single) result
  llvm::ArrayRef<bool> needs;
  llvm::SmallVectorImpl<Value> &grads;

  Location loc() const { return op->getLoc(); }
  Value operand(unsigned i) const { return op->getOperand(i); }
  Value result() const { return op->getResult(0); }
  bool need(unsigned i) const { return i < needs.size() && needs[i]; }
};

using VJPRule = std::function<LogicalResult(VJPContext &)>;

/// Rules by op type: `t[TypeID::get<AddOp>()] = ...` (a renamed op stays
/// covered; a misspelt name cannot silently miss).
using VJPTable = llvm::DenseMap<TypeID, VJPRule>;

void addElementwiseRules(VJPTable &table);
void addShapeRules(VJPTable &table);
void addNNRules(VJPTable &table);
void addNormRules(VJPTable &table);

/// The table of all rules (built once).
const VJPTable &vjpRules();

/// The composite ops that the pass decomposes (through their definition)
/// before differentiating, as they have no rule of their own.
llvm::ArrayRef<std::string> decomposedBeforeDifferentiation();

//===- helpers shared by the rules ----------------------------------------===//

Value scalarConst(OpBuilder &b, Location loc, Type elt, double v);
/// A splat constant of `type` (static shape).
Value splatConst(OpBuilder &b, Location loc, RankedTensorType type, double v);
/// Sums `g` (a broadcast result) back to the static shape of `to`.
Value unbroadcast(OpBuilder &b, Location loc, Value g, Type to);
/// Broadcasts `g` (static) to `to`'s shape by adding zeros.
Value broadcastTo(OpBuilder &b, Location loc, Value g, RankedTensorType to);
/// reshape to a static shape.
Value reshapeTo(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> shape);
/// The float one-hot [..., n] of integer `ids` [...] against positions 0..n-1
/// taken from dim `axis` of `like`, in element type `elt`.
Value oneHot(OpBuilder &b, Location loc, Value ids, Value like, int64_t axis,
             Type elt);

} // namespace mlir::loom::autodiff

#endif // LOOM_AUTODIFF_VJP_H
