//===- KernelCost.cpp - FLOPs and compulsory bytes of a loop nest ---------===//
#include "KernelCost.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace {

double trips(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return 1;
  return *u > *l ? double((*u - *l + *s - 1) / *s) : 0.0;
}

double loopTrips(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return trips(loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
  if (auto par = dyn_cast<scf::ParallelOp>(op)) {
    double t = 1;
    for (auto [l, u, s] : llvm::zip(par.getLowerBound(), par.getUpperBound(),
                                    par.getStep()))
      t *= trips(l, u, s);
    return t;
  }
  return 1;
}

/// Elements of a float scalar or vector type, 0 for anything else.
double floatElements(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return isa<FloatType>(v.getElementType()) ? double(v.getNumElements()) : 0;
  return isa<FloatType>(t) ? 1 : 0;
}

double flopsOf(Operation *op) {
  if (auto contract = dyn_cast<vector::ContractionOp>(op)) {
    SmallVector<int64_t> bounds;
    contract.getIterationBounds(bounds);
    double n = 2;
    for (int64_t b : bounds)
      n *= double(b);
    return n;
  }
  if (auto red = dyn_cast<vector::ReductionOp>(op))
    return floatElements(red.getVector().getType());
  if (auto red = dyn_cast<vector::MultiDimReductionOp>(op))
    return floatElements(red.getSource().getType());
  if (op->getNumResults() != 1)
    return 0;
  double n = floatElements(op->getResult(0).getType());
  if (n == 0)
    return 0;
  if (isa<vector::FMAOp, math::FmaOp>(op))
    return 2 * n;
  if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
          arith::RemFOp, arith::MaximumFOp, arith::MinimumFOp,
          arith::MaxNumFOp, arith::MinNumFOp>(op))
    return n;
  // Math functions (exp, log, tanh, erf, sqrt, rsqrt, ...) count as one
  // operation per element, as rooflines usually do.
  if (isa<math::MathDialect>(op->getDialect()))
    return n;
  return 0;
}

} // namespace

double mlir::loom::countFlops(Operation *root) {
  double total = 0;
  root->walk([&](Operation *op) {
    double f = flopsOf(op);
    if (f == 0)
      return;
    for (Operation *p = op->getParentOp(); p; p = p->getParentOp()) {
      f *= loopTrips(p);
      if (p == root)
        break;
    }
    total += f;
  });
  return total;
}

double mlir::loom::bufferBytes(Value buffer) {
  auto t = dyn_cast<MemRefType>(buffer.getType());
  if (!t || !t.hasStaticShape())
    return 0;
  unsigned bits = t.getElementTypeBitWidth();
  return double(t.getNumElements()) * double((bits + 7) / 8);
}
