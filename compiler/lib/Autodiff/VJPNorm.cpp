//===- VJPNorm.cpp - VJP rules of layer_norm, rms_norm, l2_normalize, linear ===//
//
// Fused rules: the normalization statistics (mean, 1/sqrt(var + eps), norm)
// are recomputed from the op's input inside the rule, since the fused
// forward op exposes no intermediate values.
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/VJP.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::autodiff;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

struct N : LoomBuilder {
  N(OpBuilder &b, Location loc, Type elt) : LoomBuilder(b, loc), elt(elt) {}
  Type elt;
  Value k(double v) { return scalar(elt, v); }
};

} // namespace

void mlir::loom::autodiff::addNormRules(VJPTable &t) {
  t[TypeID::get<LayerNormOp>()] = [](VJPContext &c) {
    // xhat = (x - mean) r, r = rsqrt(var + eps); y = xhat gamma + beta.
    // dx = r (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = g gamma.
    auto op = cast<LayerNormOp>(c.op);
    Value x = op.getInput();
    N n{c.b, c.loc(), rtt(x).getElementType()};
    Value centered = n.sub(x, n.meanKeep(x, -1));
    Value var = n.meanKeep(n.mul(centered, centered), -1);
    Value r = RsqrtOp::create(c.b, n.loc,
                              n.add(var, n.k(op.getEpsilon().convertToDouble())));
    Value xhat = n.mul(centered, r);
    Value g = c.cotangent;
    if (c.need(0)) {
      Value dxhat = n.mul(g, op.getGamma());
      Value inner = n.sub(n.sub(dxhat, n.meanKeep(dxhat, -1)),
                          n.mul(xhat, n.meanKeep(n.mul(dxhat, xhat), -1)));
      c.grads[0] = n.mul(r, inner);
    }
    if (c.need(1))
      c.grads[1] = unbroadcast(c.b, n.loc, n.mul(g, xhat),
                               op.getGamma().getType());
    if (op.getBeta() && c.need(2))
      c.grads[2] = unbroadcast(c.b, n.loc, g, op.getBeta().getType());
    return success();
  };
  t[TypeID::get<RmsNormOp>()] = [](VJPContext &c) {
    // xhat = x r, r = rsqrt(mean(x^2) + eps); y = xhat gamma.
    // dx = r (dxhat - xhat mean(dxhat xhat)), dxhat = g gamma.
    auto op = cast<RmsNormOp>(c.op);
    Value x = op.getInput();
    N n{c.b, c.loc(), rtt(x).getElementType()};
    Value ms = n.meanKeep(n.mul(x, x), -1);
    Value r = RsqrtOp::create(c.b, n.loc,
                              n.add(ms, n.k(op.getEpsilon().convertToDouble())));
    Value xhat = n.mul(x, r);
    Value g = c.cotangent;
    if (c.need(0)) {
      Value dxhat = n.mul(g, op.getGamma());
      c.grads[0] = n.mul(r, n.sub(dxhat, n.mul(xhat, n.meanKeep(
                                                         n.mul(dxhat, xhat), -1))));
    }
    if (c.need(1))
      c.grads[1] = unbroadcast(c.b, n.loc, n.mul(g, xhat),
                               op.getGamma().getType());
    return success();
  };
  t[TypeID::get<L2NormalizeOp>()] = [](VJPContext &c) {
    // y = x / d, d = max(||x||, eps):
    // dx = (g - [||x|| >= eps] y sum(g y)) / d.
    if (!c.need(0))
      return success();
    auto op = cast<L2NormalizeOp>(c.op);
    Value x = op.getInput(), y = c.result(), g = c.cotangent;
    int64_t axis = op.getAxis();
    N n{c.b, c.loc(), rtt(x).getElementType()};
    Value norm = SqrtOp::create(c.b, n.loc, n.sumKeep(n.mul(x, x), axis));
    Value eps = n.k(op.getEpsilon().convertToDouble());
    Value d = MaximumOp::create(c.b, n.loc, norm, eps);
    Value above = CompareOp::create(c.b, n.loc, ComparePredicate::ge, norm, eps);
    Value proj = n.mul(y, n.sumKeep(n.mul(g, y), axis));
    proj = SelectOp::create(c.b, n.loc, above, proj, n.k(0.0));
    c.grads[0] = n.div(n.sub(g, proj), d);
    return success();
  };
  t[TypeID::get<LinearOp>()] = [](VJPContext &c) {
    // y = x W (+ b), W [in, out]; with transpose_weight W is [out, in].
    auto op = cast<LinearOp>(c.op);
    bool tw = op.getTransposeWeight();
    Value x = op.getInput(), w = op.getWeight(), g = c.cotangent;
    Location loc = c.loc();
    if (c.need(0))
      c.grads[0] = BatchMatmulOp::create(c.b, loc, g, w, /*transpose_rhs=*/!tw);
    if (c.need(1)) {
      RankedTensorType xt = rtt(x), gt = rtt(g);
      int64_t rows = 1;
      for (int64_t i = 0; i + 1 < xt.getRank(); ++i)
        rows *= xt.getDimSize(i);
      Value xf = reshapeTo(c.b, loc, x, {rows, xt.getShape().back()});
      Value gf = reshapeTo(c.b, loc, g, {rows, gt.getShape().back()});
      auto tr = [&](Value v) {
        return TransposeOp::create(c.b, loc, v, c.b.getDenseI64ArrayAttr({1, 0}))
            .getResult();
      };
      c.grads[1] = tw ? MatmulOp::create(c.b, loc, tr(gf), xf).getResult()
                      : MatmulOp::create(c.b, loc, tr(xf), gf).getResult();
    }
    if (op.getBias() && c.need(2))
      c.grads[2] = unbroadcast(c.b, loc, g, op.getBias().getType());
    return success();
  };
}
