//===- VJPElementwise.cpp - VJP rules of the elementwise ops --------------===//
//
// Binary ops broadcast, so each operand cotangent is summed back to the
// operand's shape (unbroadcast). Unary rules reuse the forward result where
// the derivative is a function of it (exp, tanh, sigmoid, sqrt, rsqrt).
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/VJP.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::autodiff;

namespace {

/// Small emitter bound to the op being differentiated.
struct E : LoomBuilder {
  VJPContext &c;
  explicit E(VJPContext &c) : LoomBuilder(c.b, c.loc()), c(c) {}
  Type elt() const { return getElementTypeOrSelf(c.result().getType()); }
  Value k(double v) { return scalar(elt(), v); }
  /// Sets operand i's cotangent, summed back to its shape.
  void set(unsigned i, Value g) {
    if (c.need(i) && g)
      c.grads[i] = unbroadcast(b, loc, g, c.operand(i).getType());
  }
};

template <typename OpT, typename F>
void unary(VJPTable &t, F f) {
  t[TypeID::get<OpT>()] = [f](VJPContext &c) -> LogicalResult {
    E e(c);
    e.set(0, f(e, c.operand(0), c.result(), c.cotangent));
    return success();
  };
}

} // namespace

void mlir::loom::autodiff::addElementwiseRules(VJPTable &t) {
  t[TypeID::get<AddOp>()] = [](VJPContext &c) {
    E e(c);
    e.set(0, c.cotangent);
    e.set(1, c.cotangent);
    return success();
  };
  t[TypeID::get<SubOp>()] = [](VJPContext &c) {
    E e(c);
    e.set(0, c.cotangent);
    if (c.need(1))
      e.set(1, e.neg(c.cotangent));
    return success();
  };
  t[TypeID::get<MulOp>()] = [](VJPContext &c) {
    E e(c);
    if (c.need(0))
      e.set(0, e.mul(c.cotangent, c.operand(1)));
    if (c.need(1))
      e.set(1, e.mul(c.cotangent, c.operand(0)));
    return success();
  };
  t[TypeID::get<DivOp>()] = [](VJPContext &c) {
    // d/da = g / b; d/db = -g * a / b^2 = -g * y / b.
    E e(c);
    if (c.need(0))
      e.set(0, e.div(c.cotangent, c.operand(1)));
    if (c.need(1))
      e.set(1, e.neg(e.div(e.mul(c.cotangent, c.result()), c.operand(1))));
    return success();
  };
  t[TypeID::get<MaximumOp>()] = [](VJPContext &c) {
    // Ties send the cotangent to the lhs.
    E e(c);
    Value geq = CompareOp::create(e.b, e.loc, ComparePredicate::ge,
                                  c.operand(0), c.operand(1));
    Value zero = e.k(0.0);
    if (c.need(0))
      e.set(0, SelectOp::create(e.b, e.loc, geq, c.cotangent, zero));
    if (c.need(1))
      e.set(1, SelectOp::create(e.b, e.loc, geq, zero, c.cotangent));
    return success();
  };
  t[TypeID::get<PowOp>()] = [](VJPContext &c) {
    // d/da = g * b * a^(b-1); d/db = g * y * log(a).
    E e(c);
    Value a = c.operand(0), p = c.operand(1);
    if (c.need(0)) {
      Value am1 = PowOp::create(e.b, e.loc, a, e.sub(p, e.k(1.0)));
      e.set(0, e.mul(c.cotangent, e.mul(p, am1)));
    }
    if (c.need(1))
      e.set(1, e.mul(c.cotangent,
                     e.mul(c.result(), LogOp::create(e.b, e.loc, a))));
    return success();
  };
  t[TypeID::get<SelectOp>()] = [](VJPContext &c) {
    E e(c);
    Value cond = c.operand(0), zero = e.k(0.0);
    if (c.need(1))
      e.set(1, SelectOp::create(e.b, e.loc, cond, c.cotangent, zero));
    if (c.need(2))
      e.set(2, SelectOp::create(e.b, e.loc, cond, zero, c.cotangent));
    return success();
  };
  // Non-differentiable: no cotangent for any operand.
  for (TypeID id : {TypeID::get<CompareOp>(), TypeID::get<ConstantOp>(),
                    TypeID::get<PositionsOp>(), TypeID::get<CausalMaskOp>(),
                    TypeID::get<SinusoidalEncodingOp>()})
    t[id] = [](VJPContext &) { return success(); };

  unary<NegOp>(t, [](E &e, Value, Value, Value g) { return e.neg(g); });
  unary<ExpOp>(t,
        [](E &e, Value, Value y, Value g) { return e.mul(g, y); });
  unary<LogOp>(t,
        [](E &e, Value x, Value, Value g) { return e.div(g, x); });
  unary<SqrtOp>(t, [](E &e, Value, Value y, Value g) {
    return e.div(e.mul(g, e.k(0.5)), y);
  });
  unary<RsqrtOp>(t, [](E &e, Value, Value y, Value g) {
    // d rsqrt = -0.5 x^-1.5 = -0.5 y^3
    return e.mul(g, e.mul(e.k(-0.5), e.mul(y, e.mul(y, y))));
  });
  unary<ErfOp>(t, [](E &e, Value x, Value, Value g) {
    Value ex = ExpOp::create(e.b, e.loc, e.neg(e.mul(x, x)));
    return e.mul(g, e.mul(ex, e.k(2.0 / std::sqrt(M_PI))));
  });
  unary<TanhOp>(t, [](E &e, Value, Value y, Value g) {
    return e.mul(g, e.sub(e.k(1.0), e.mul(y, y)));
  });
  unary<SigmoidOp>(t, [](E &e, Value, Value y, Value g) {
    return e.mul(g, e.mul(y, e.sub(e.k(1.0), y)));
  });
  unary<ReluOp>(t, [](E &e, Value x, Value, Value g) {
    Value pos = CompareOp::create(e.b, e.loc, ComparePredicate::gt, x, e.k(0.0));
    return SelectOp::create(e.b, e.loc, pos, g, e.k(0.0)).getResult();
  });
  unary<SiluOp>(t, [](E &e, Value x, Value, Value g) {
    // d = s (1 + x (1 - s)), s = sigmoid(x)
    Value s = SigmoidOp::create(e.b, e.loc, x);
    Value d = e.mul(s, e.add(e.k(1.0), e.mul(x, e.sub(e.k(1.0), s))));
    return e.mul(g, d);
  });
  t[TypeID::get<GeluOp>()] = [](VJPContext &c) {
    E e(c);
    auto op = cast<GeluOp>(c.op);
    Value x = op.getInput();
    Value d;
    if (op.getApproximate() == GeluApproximation::erf) {
      // Phi(x) + x phi(x)
      Value phi = e.mul(e.k(0.5), e.add(e.k(1.0),
                                        ErfOp::create(e.b, e.loc,
                                                      e.mul(x, e.k(M_SQRT1_2)))));
      Value dens = e.mul(ExpOp::create(e.b, e.loc,
                                       e.mul(e.mul(x, x), e.k(-0.5))),
                         e.k(1.0 / std::sqrt(2.0 * M_PI)));
      d = e.add(phi, e.mul(x, dens));
    } else {
      // 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3))
      double cst = std::sqrt(2.0 / M_PI), a = 0.044715;
      Value x2 = e.mul(x, x);
      Value u = e.mul(e.k(cst), e.add(x, e.mul(e.k(a), e.mul(x2, x))));
      Value th = TanhOp::create(e.b, e.loc, u);
      Value left = e.mul(e.k(0.5), e.add(e.k(1.0), th));
      Value du = e.mul(e.k(cst), e.add(e.k(1.0), e.mul(e.k(3.0 * a), x2)));
      Value right = e.mul(e.mul(e.k(0.5), x),
                          e.mul(e.sub(e.k(1.0), e.mul(th, th)), du));
      d = e.add(left, right);
    }
    e.set(0, e.mul(c.cotangent, d));
    return success();
  };
  t[TypeID::get<CastOp>()] = [](VJPContext &c) {
    Type from = getElementTypeOrSelf(c.operand(0).getType());
    if (c.need(0) && isa<FloatType>(from))
      c.grads[0] = CastOp::create(c.b, c.loc(), c.cotangent,
                                  TypeAttr::get(from));
    return success();
  };
  t[TypeID::get<DropoutOp>()] = [](VJPContext &c) {
    // The same mask (same seed operand and stream) and scale: apply the op to
    // the cotangent. Without `training` (or at rate 0) it is the identity.
    if (!c.need(0))
      return success();
    IRMapping map;
    map.map(c.operand(0), c.cotangent);
    c.grads[0] = c.b.clone(*c.op, map)->getResult(0);
    return success();
  };
}
