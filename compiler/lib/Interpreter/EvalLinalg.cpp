//===- EvalLinalg.cpp - reductions and contractions -----------------------===//
//
// reduce_sum / reduce_mean / reduce_max, matmul, batch_matmul, linear,
// patch_embed. Sums and dot products accumulate in double.
//
//===----------------------------------------------------------------------===//
#include "Eval.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::loom;
using namespace ::loom::interp;
using namespace ::loom::interp::detail;
namespace li = ::loom::interp;

namespace {

enum class Reduce { Sum, Mean, Max };

llvm::Expected<Tensor> reduce(Operation *op, const Tensor &x,
                              ArrayRef<int64_t> axes, bool keepDims,
                              Reduce kind) {
  if (!x.isFloat())
    return opError(op, "expects a float operand");
  std::vector<bool> reduced(x.rank(), false);
  for (int64_t a : axes) {
    auto axis = normalizeAxis(a, x.rank());
    if (!axis || reduced[*axis])
      return opError(op, "invalid or repeated axis " + std::to_string(a));
    reduced[*axis] = true;
  }
  Shape shape, kept(x.rank()); // kept: x's dims with reduced ones set to 1
  int64_t count = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    kept[d] = reduced[d] ? 1 : x.shape[d];
    if (reduced[d])
      count *= x.shape[d];
    if (!reduced[d])
      shape.push_back(x.shape[d]);
    else if (keepDims)
      shape.push_back(1);
  }
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  // The result laid out as `kept` has the same element order as `shape`.
  Shape ks = stridesOf(kept);
  for (int64_t d = 0; d < x.rank(); ++d)
    if (reduced[d])
      ks[d] = 0;
  std::vector<double> acc(out->size(),
                          kind == Reduce::Max
                              ? -std::numeric_limits<double>::infinity()
                              : 0.0);
  std::vector<bool> nan(out->size(), false);
  int64_t k = 0;
  forEachIndex(x.shape, [&](const Shape &idx) {
    int64_t o = dot(idx, ks);
    double v = x.f[k++];
    if (kind == Reduce::Max) {
      if (std::isnan(v))
        nan[o] = true; // maximum propagates NaN
      else
        acc[o] = std::max(acc[o], v);
    } else {
      acc[o] += v;
    }
  });
  for (int64_t j = 0; j < out->size(); ++j) {
    double v = acc[j];
    if (kind == Reduce::Mean)
      v /= static_cast<double>(count);
    if (nan[j])
      v = std::numeric_limits<double>::quiet_NaN();
    out->f[j] = v;
  }
  return out;
}

/// numpy matmul of [..., M, K] and [..., K, N] (rhs read as [..., N, K] when
/// `transposeRhs`), batch dims broadcast; `bias` [N] is added when given.
llvm::Expected<Tensor> matmul(Operation *op, const Tensor &a, const Tensor &b,
                              bool transposeRhs, const Tensor *bias) {
  if (!a.isFloat() || !b.isFloat() || a.rank() < 2 || b.rank() < 2)
    return opError(op, "expects float operands of rank >= 2");
  int64_t ra = a.rank(), rb = b.rank();
  int64_t m = a.shape[ra - 2], k = a.shape[ra - 1];
  int64_t kb = transposeRhs ? b.shape[rb - 1] : b.shape[rb - 2];
  int64_t n = transposeRhs ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k != kb)
    return opError(op, "contraction dims differ: " + std::to_string(k) +
                           " vs " + std::to_string(kb));
  if (bias && (bias->rank() != 1 || bias->shape[0] != n))
    return opError(op, "bias must be [" + std::to_string(n) + "]");
  Shape batchA(a.shape.begin(), a.shape.end() - 2);
  Shape batchB(b.shape.begin(), b.shape.end() - 2);
  auto batch = broadcastShapes(batchA, batchB);
  if (!batch)
    return opError(op, "batch dims do not broadcast");
  Shape shape = *batch;
  shape.push_back(m);
  shape.push_back(n);
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  // Offsets of each operand's matrix for every batch index.
  Shape sa = broadcastStrides(batchA, *batch);
  Shape sb = broadcastStrides(batchB, *batch);
  int64_t matA = m * k, matB = k * n;
  int64_t bk = transposeRhs ? 1 : n, bn = transposeRhs ? k : 1;
  int64_t j = 0;
  forEachIndex(*batch, [&](const Shape &idx) {
    const double *pa = a.f.data() + dot(idx, sa) * matA;
    const double *pb = b.f.data() + dot(idx, sb) * matB;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double s = 0.0;
        for (int64_t q = 0; q < k; ++q)
          s += pa[r * k + q] * pb[q * bk + c * bn];
        out->f[j++] = bias ? s + bias->f[c] : s;
      }
  });
  return out;
}

llvm::Expected<Tensor> evalPatchEmbed(PatchEmbedOp op, const Env &env) {
  // Conv2d with a p x p kernel and stride p: out[b, n, d] = bias[d] +
  // sum_{c,py,px} x[b, c, ph*p + py, pw*p + px] * w[d, c, py, px], patches
  // n = ph * (W/p) + pw in row-major order.
  const Tensor &x = env[op.getInput()], &w = env[op.getWeight()];
  const Tensor *bias = env.optional(op.getBias());
  int64_t p = op.getPatch();
  if (x.rank() != 4 || w.rank() != 4 || x.shape[2] % p || x.shape[3] % p)
    return opError(op, "expects [B, C, H, W] divisible by the patch and a "
                       "[D, C, p, p] weight");
  int64_t B = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t D = w.shape[0];
  if (w.shape[1] != C || w.shape[2] != p || w.shape[3] != p)
    return opError(op, "weight must be [D, C, p, p]");
  if (bias && (bias->rank() != 1 || bias->shape[0] != D))
    return opError(op, "bias must be [D]");
  int64_t gh = H / p, gw = W / p;
  auto out = makeResult(op, {B, gh * gw, D});
  if (!out)
    return out.takeError();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t ph = 0; ph < gh; ++ph)
      for (int64_t pw = 0; pw < gw; ++pw)
        for (int64_t d = 0; d < D; ++d) {
          double s = bias ? bias->f[d] : 0.0;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t py = 0; py < p; ++py)
              for (int64_t px = 0; px < p; ++px)
                s += x.f[((b * C + c) * H + ph * p + py) * W + pw * p + px] *
                     w.f[((d * C + c) * p + py) * p + px];
          out->f[((b * gh + ph) * gw + pw) * D + d] = s;
        }
  return out;
}

} // namespace

void li::detail::registerLinalg(Registry &r) {
  add<ReduceSumOp>(r, [](ReduceSumOp op, const Env &env) {
    return reduce(op, env[op.getInput()], op.getAxes(), op.getKeepDims(),
                  Reduce::Sum);
  });
  add<ReduceMeanOp>(r, [](ReduceMeanOp op, const Env &env) {
    return reduce(op, env[op.getInput()], op.getAxes(), op.getKeepDims(),
                  Reduce::Mean);
  });
  add<ReduceMaxOp>(r, [](ReduceMaxOp op, const Env &env) {
    return reduce(op, env[op.getInput()], op.getAxes(), op.getKeepDims(),
                  Reduce::Max);
  });
  add<MatmulOp>(r, [](MatmulOp op, const Env &env) -> llvm::Expected<Tensor> {
    const Tensor &a = env[op.getLhs()], &b = env[op.getRhs()];
    if (a.rank() != 2 || b.rank() != 2)
      return opError(op, "operands must be 2-D");
    return matmul(op, a, b, false, nullptr);
  });
  add<BatchMatmulOp>(r, [](BatchMatmulOp op, const Env &env) {
    return matmul(op, env[op.getLhs()], env[op.getRhs()], op.getTransposeRhs(),
                  nullptr);
  });
  add<LinearOp>(r, [](LinearOp op, const Env &env) -> llvm::Expected<Tensor> {
    // x [..., in] times W [in, out] (or W [out, in] with transpose_weight),
    // plus bias [out].
    const Tensor &w = env[op.getWeight()];
    if (w.rank() != 2)
      return opError(op, "weight must be 2-D");
    return matmul(op, env[op.getInput()], w, op.getTransposeWeight(),
                  env.optional(op.getBias()));
  });
  add<PatchEmbedOp>(r, evalPatchEmbed);
}
