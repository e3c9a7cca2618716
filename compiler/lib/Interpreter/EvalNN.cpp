//===- EvalNN.cpp - normalization, softmax, attention, losses -------------===//
//
// The composite ops, each evaluated whole in double from its description
// (not from its decomposition): layer_norm, rms_norm, l2_normalize, softmax,
// log_softmax, attention, cross_entropy, contrastive_loss; and the training
// step's attention_lse and attention_grad.
//
//===----------------------------------------------------------------------===//
#include "Eval.h"

#include <array>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::loom;
using namespace ::loom::interp;
using namespace ::loom::interp::detail;
namespace li = ::loom::interp;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Softmax (or log-softmax) of the `n` values x[0], x[stride], ... where
/// `hidden(j)` entries get probability zero (log: -inf). With every entry
/// hidden the row is NaN (0/0), as with every score at -inf.
template <typename Hidden>
void softmaxRow(const double *x, double *y, int64_t n, int64_t stride,
                bool log, Hidden hidden) {
  double max = -kInf;
  bool any = false, nan = false;
  for (int64_t j = 0; j < n; ++j) {
    if (hidden(j))
      continue;
    any = true;
    double v = x[j * stride];
    if (std::isnan(v))
      nan = true;
    else
      max = std::max(max, v);
  }
  if (!any || nan || std::isinf(max)) {
    // No visible entry (0/0), a NaN, or an infinite maximum (inf - inf):
    // the row is undefined.
    for (int64_t j = 0; j < n; ++j)
      y[j * stride] = kNaN;
    return;
  }
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j)
    if (!hidden(j))
      sum += std::exp(x[j * stride] - max);
  double lse = std::log(sum);
  for (int64_t j = 0; j < n; ++j) {
    if (hidden(j)) {
      y[j * stride] = log ? -kInf : 0.0;
      continue;
    }
    double s = x[j * stride] - max;
    y[j * stride] = log ? s - lse : std::exp(s) / sum;
  }
}

/// hidden[e] for every element e of `shape` ([..., Tq, Tk]): the mask
/// (broadcast to `shape`) is false, or with `causal` key j > i + (Tk - Tq).
llvm::Expected<std::vector<bool>> hiddenEntries(Operation *op,
                                                const Shape &shape,
                                                const Tensor *mask,
                                                bool causal) {
  std::vector<bool> hidden(numElements(shape), false);
  int64_t r = static_cast<int64_t>(shape.size());
  if (causal && r < 2)
    return opError(op, "causal needs rank >= 2");
  Shape ms;
  if (mask) {
    auto b = broadcastShapes(shape, mask->shape);
    if (!b || *b != shape)
      return opError(op, "mask " + shapeStr(mask->shape) +
                             " does not broadcast to " + shapeStr(shape));
    ms = broadcastStrides(mask->shape, shape);
  }
  int64_t k = 0;
  forEachIndex(shape, [&](const Shape &idx) {
    bool h = false;
    if (causal) {
      int64_t tq = shape[r - 2], tk = shape[r - 1];
      h = idx[r - 1] > idx[r - 2] + (tk - tq);
    }
    if (mask && mask->i[dot(idx, ms)] == 0)
      h = true;
    hidden[k++] = h;
  });
  return hidden;
}

llvm::Expected<Tensor> softmax(Operation *op, const Tensor &x,
                               const Tensor *mask, int64_t rawAxis,
                               bool causal, bool log) {
  auto axis = normalizeAxis(rawAxis, x.rank());
  if (!axis)
    return opError(op, "axis out of range");
  auto hidden = hiddenEntries(op, x.shape, mask, causal);
  if (!hidden)
    return hidden.takeError();
  auto out = makeResult(op, x.shape);
  if (!out)
    return out.takeError();
  if (x.size() == 0)
    return out;
  int64_t n = x.shape[*axis], inner = stridesOf(x.shape)[*axis];
  int64_t outer = x.size() / (n * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t base = o * n * inner + in;
      softmaxRow(x.f.data() + base, out->f.data() + base, n, inner, log,
                 [&](int64_t j) { return (*hidden)[base + j * inner]; });
    }
  return out;
}

/// Mean and biased variance of the last dim, row by row.
template <typename F>
llvm::Expected<Tensor> normalizeRows(Operation *op, const Tensor &x, F row) {
  if (!x.isFloat() || x.rank() < 1)
    return opError(op, "expects a float tensor of rank >= 1");
  auto out = makeResult(op, x.shape);
  if (!out)
    return out.takeError();
  int64_t d = x.shape.back();
  int64_t rows = d == 0 ? 0 : x.size() / d;
  for (int64_t r = 0; r < rows; ++r)
    row(x.f.data() + r * d, out->f.data() + r * d, d);
  return out;
}

bool isVector(const Tensor *t, int64_t d) {
  return t && t->rank() == 1 && t->shape[0] == d;
}

llvm::Expected<Tensor> evalLayerNorm(LayerNormOp op, const Env &env) {
  // (x - mean) / sqrt(var + eps) * gamma + beta over the last dim.
  const Tensor &x = env[op.getInput()], &g = env[op.getGamma()];
  const Tensor *beta = env.optional(op.getBeta());
  int64_t dim = x.shape.empty() ? 0 : x.shape.back();
  if (!isVector(&g, dim) || (beta && !isVector(beta, dim)))
    return opError(op, "gamma and beta must be [D]");
  double eps = op.getEpsilon().convertToDouble();
  return normalizeRows(op, x, [&](const double *in, double *o, int64_t d) {
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < d; ++j)
      mean += in[j];
    mean /= static_cast<double>(d);
    for (int64_t j = 0; j < d; ++j)
      var += (in[j] - mean) * (in[j] - mean);
    var /= static_cast<double>(d);
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < d; ++j)
      o[j] = (in[j] - mean) * inv * g.f[j] + (beta ? beta->f[j] : 0.0);
  });
}

llvm::Expected<Tensor> evalRmsNorm(RmsNormOp op, const Env &env) {
  // x / sqrt(mean(x^2) + eps) * gamma over the last dim.
  const Tensor &x = env[op.getInput()], &g = env[op.getGamma()];
  if (!isVector(&g, x.shape.empty() ? 0 : x.shape.back()))
    return opError(op, "gamma must be [D]");
  double eps = op.getEpsilon().convertToDouble();
  return normalizeRows(op, x, [&](const double *in, double *o, int64_t d) {
    double ms = 0.0;
    for (int64_t j = 0; j < d; ++j)
      ms += in[j] * in[j];
    ms /= static_cast<double>(d);
    double inv = 1.0 / std::sqrt(ms + eps);
    for (int64_t j = 0; j < d; ++j)
      o[j] = in[j] * inv * g.f[j];
  });
}

/// x / max(||x||_2, eps) along `axis` of `x` (values in double, unrounded).
std::vector<double> l2Normalize(const Tensor &x, int64_t axis, double eps) {
  std::vector<double> y(x.size());
  if (x.size() == 0)
    return y;
  int64_t n = x.shape[axis], inner = stridesOf(x.shape)[axis];
  int64_t outer = x.size() / (n * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t base = o * n * inner + in;
      double ss = 0.0;
      for (int64_t j = 0; j < n; ++j)
        ss += x.f[base + j * inner] * x.f[base + j * inner];
      double denom = std::max(std::sqrt(ss), eps);
      for (int64_t j = 0; j < n; ++j)
        y[base + j * inner] = x.f[base + j * inner] / denom;
    }
  return y;
}

llvm::Expected<Tensor> evalL2Normalize(L2NormalizeOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  auto axis = normalizeAxis(op.getAxis(), x.rank());
  if (!axis)
    return opError(op, "axis out of range");
  auto out = makeResult(op, x.shape);
  if (!out)
    return out.takeError();
  out->f = l2Normalize(x, *axis, op.getEpsilon().convertToDouble());
  return out;
}

llvm::Expected<Tensor> evalAttention(AttentionOp op, const Env &env) {
  // softmax(scale * Q K^T, masked) V over the last two dims; leading dims of
  // Q [..., Tq, Dk], K [..., Tk, Dk], V [..., Tk, Dv] are equal.
  const Tensor &q = env[op.getQuery()], &k = env[op.getKey()],
               &v = env[op.getValue()];
  const Tensor *mask = env.optional(op.getMask());
  int64_t r = q.rank();
  if (r < 2 || k.rank() != r || v.rank() != r)
    return opError(op, "query, key and value must share a rank >= 2");
  for (int64_t d = 0; d < r - 2; ++d)
    if (k.shape[d] != q.shape[d] || v.shape[d] != q.shape[d])
      return opError(op, "leading dims differ");
  int64_t tq = q.shape[r - 2], dk = q.shape[r - 1], tk = k.shape[r - 2],
          dv = v.shape[r - 1];
  if (k.shape[r - 1] != dk || v.shape[r - 2] != tk)
    return opError(op, "key/value dims do not match the query");
  if (op.getCausal() && tq > tk)
    return opError(op, "causal needs at least as many keys as queries");
  double scale = op.getScale() ? op.getScale()->convertToDouble()
                               : 1.0 / std::sqrt(static_cast<double>(dk));
  Shape scoreShape(q.shape.begin(), q.shape.end() - 2);
  scoreShape.insert(scoreShape.end(), {tq, tk});
  auto hidden = hiddenEntries(op, scoreShape, mask, op.getCausal());
  if (!hidden)
    return hidden.takeError();
  Shape shape(q.shape.begin(), q.shape.end() - 1);
  shape.push_back(dv);
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  int64_t batches = tq == 0 ? 0 : numElements(scoreShape) / (tq * tk);
  std::vector<double> s(tk), p(tk);
  for (int64_t b = 0; b < batches; ++b) {
    const double *qb = q.f.data() + b * tq * dk, *kb = k.f.data() + b * tk * dk,
                 *vb = v.f.data() + b * tk * dv;
    for (int64_t i = 0; i < tq; ++i) {
      for (int64_t j = 0; j < tk; ++j) {
        double acc = 0.0;
        for (int64_t c = 0; c < dk; ++c)
          acc += qb[i * dk + c] * kb[j * dk + c];
        s[j] = scale * acc;
      }
      int64_t row = (b * tq + i) * tk;
      softmaxRow(s.data(), p.data(), tk, 1, false,
                 [&](int64_t j) { return (*hidden)[row + j]; });
      for (int64_t c = 0; c < dv; ++c) {
        double acc = 0.0;
        for (int64_t j = 0; j < tk; ++j)
          acc += p[j] * vb[j * dv + c];
        out->f[(b * tq + i) * dv + c] = acc;
      }
    }
  }
  return out;
}

/// Shapes of an attention op's operands, checked as evalAttention does.
struct AttentionDims {
  int64_t batches = 0, tq = 0, tk = 0, dk = 0, dv = 0;
  double scale = 1.0;
  std::vector<bool> hidden; // [batches, tq, tk]
};

llvm::Expected<AttentionDims> attentionDims(Operation *op, const Tensor &q,
                                            const Tensor &k, const Tensor *v,
                                            const Tensor *mask, bool causal,
                                            std::optional<APFloat> scale) {
  int64_t r = q.rank();
  if (r < 2 || k.rank() != r || (v && v->rank() != r))
    return opError(op, "query, key and value must share a rank >= 2");
  for (int64_t d = 0; d < r - 2; ++d)
    if (k.shape[d] != q.shape[d] || (v && v->shape[d] != q.shape[d]))
      return opError(op, "leading dims differ");
  AttentionDims a;
  a.tq = q.shape[r - 2];
  a.dk = q.shape[r - 1];
  a.tk = k.shape[r - 2];
  a.dv = v ? v->shape[r - 1] : 0;
  if (k.shape[r - 1] != a.dk || (v && v->shape[r - 2] != a.tk))
    return opError(op, "key/value dims do not match the query");
  if (causal && a.tq > a.tk)
    return opError(op, "causal needs at least as many keys as queries");
  a.scale = scale ? scale->convertToDouble()
                  : 1.0 / std::sqrt(static_cast<double>(a.dk));
  Shape scoreShape(q.shape.begin(), q.shape.end() - 2);
  scoreShape.insert(scoreShape.end(), {a.tq, a.tk});
  auto hidden = hiddenEntries(op, scoreShape, mask, causal);
  if (!hidden)
    return hidden.takeError();
  a.hidden = std::move(*hidden);
  a.batches = a.tq == 0 ? 0 : numElements(scoreShape) / (a.tq * a.tk);
  return a;
}

/// scale * q_i . k_j of batch entry b.
double score(const AttentionDims &a, const Tensor &q, const Tensor &k,
             int64_t b, int64_t i, int64_t j) {
  const double *qi = q.f.data() + (b * a.tq + i) * a.dk;
  const double *kj = k.f.data() + (b * a.tk + j) * a.dk;
  double acc = 0.0;
  for (int64_t c = 0; c < a.dk; ++c)
    acc += qi[c] * kj[c];
  return a.scale * acc;
}

llvm::Expected<Tensor> evalAttentionLse(AttentionLseOp op, const Env &env) {
  // log(sum over visible keys of exp(score)), -inf without visible keys.
  const Tensor &q = env[op.getQuery()], &k = env[op.getKey()];
  auto a = attentionDims(op, q, k, nullptr, env.optional(op.getMask()),
                         op.getCausal(), op.getScale());
  if (!a)
    return a.takeError();
  auto out = makeResult(op, Shape(q.shape.begin(), q.shape.end() - 1));
  if (!out)
    return out.takeError();
  std::vector<double> s(a->tk);
  for (int64_t b = 0; b < a->batches; ++b)
    for (int64_t i = 0; i < a->tq; ++i) {
      int64_t row = (b * a->tq + i) * a->tk;
      double max = -kInf;
      bool nan = false;
      for (int64_t j = 0; j < a->tk; ++j) {
        if (a->hidden[row + j])
          continue;
        s[j] = score(*a, q, k, b, i, j);
        if (std::isnan(s[j]))
          nan = true;
        else
          max = std::max(max, s[j]);
      }
      double lse = -kInf;
      if (nan || (std::isinf(max) && max > 0)) {
        lse = nan ? kNaN : kInf;
      } else if (!std::isinf(max)) {
        double sum = 0.0;
        for (int64_t j = 0; j < a->tk; ++j)
          if (!a->hidden[row + j])
            sum += std::exp(s[j] - max);
        lse = max + std::log(sum);
      }
      out->f[b * a->tq + i] = lse;
    }
  return out;
}

llvm::Expected<std::vector<Tensor>> evalAttentionGrad(AttentionGradOp op,
                                                      const Env &env) {
  // With P = exp(score - lse) (0 where hidden), D_i = sum_c dO o,
  // dS = P (dO V^T - D): dQ = scale dS K, dK = scale dS^T Q, dV = P^T dO.
  const Tensor &q = env[op.getQuery()], &k = env[op.getKey()],
               &v = env[op.getValue()], &o = env[op.getOutput()],
               &lse = env[op.getLse()], &g = env[op.getGradOutput()];
  auto a = attentionDims(op, q, k, &v, env.optional(op.getMask()),
                         op.getCausal(), op.getScale());
  if (!a)
    return a.takeError();
  int64_t rowsTotal = a->batches * a->tq;
  if (o.size() != rowsTotal * a->dv || g.size() != rowsTotal * a->dv ||
      lse.size() != rowsTotal)
    return opError(op, "output, lse or grad_output do not match the "
                       "attention's shapes");
  std::vector<Tensor> results;
  for (auto [value, shape] : llvm::zip(
           op.getResults(), std::array<Shape, 3>{q.shape, k.shape, v.shape})) {
    auto dt = dtypeOf(cast<RankedTensorType>(value.getType()).getElementType());
    if (!dt)
      return opError(op, "unsupported element type in the result");
    results.push_back(Tensor::zeros(*dt, shape));
  }
  Tensor &dq = results[0], &dk = results[1], &dv = results[2];
  std::vector<double> p(a->tk), ds(a->tk);
  for (int64_t b = 0; b < a->batches; ++b)
    for (int64_t i = 0; i < a->tq; ++i) {
      int64_t row = (b * a->tq + i) * a->tk, r = b * a->tq + i;
      const double *gi = g.f.data() + r * a->dv, *oi = o.f.data() + r * a->dv;
      double d = 0.0;
      for (int64_t c = 0; c < a->dv; ++c)
        d += gi[c] * oi[c];
      for (int64_t j = 0; j < a->tk; ++j) {
        if (a->hidden[row + j]) {
          p[j] = ds[j] = 0.0;
          continue;
        }
        p[j] = std::exp(score(*a, q, k, b, i, j) - lse.f[r]);
        const double *vj = v.f.data() + (b * a->tk + j) * a->dv;
        double dp = 0.0;
        for (int64_t c = 0; c < a->dv; ++c)
          dp += gi[c] * vj[c];
        ds[j] = p[j] * (dp - d);
      }
      const double *qi = q.f.data() + r * a->dk;
      for (int64_t j = 0; j < a->tk; ++j) {
        if (a->hidden[row + j])
          continue;
        const double *kj = k.f.data() + (b * a->tk + j) * a->dk;
        double *dqi = dq.f.data() + r * a->dk;
        double *dkj = dk.f.data() + (b * a->tk + j) * a->dk;
        double *dvj = dv.f.data() + (b * a->tk + j) * a->dv;
        for (int64_t c = 0; c < a->dk; ++c) {
          dqi[c] += a->scale * ds[j] * kj[c];
          dkj[c] += a->scale * ds[j] * qi[c];
        }
        for (int64_t c = 0; c < a->dv; ++c)
          dvj[c] += p[j] * gi[c];
      }
    }
  return results;
}

/// Mean over rows whose target is not `ignore` of logsumexp(row) -
/// row[target]; NaN when every target is ignored. `at(r, c)` reads logits.
template <typename At>
llvm::Expected<double> crossEntropy(Operation *op, int64_t rows, int64_t classes,
                                    At at, const std::vector<int64_t> &targets,
                                    int64_t ignore) {
  double total = 0.0;
  int64_t count = 0;
  std::vector<double> row(classes), lp(classes);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t t = targets[r];
    if (t == ignore)
      continue;
    if (t < 0 || t >= classes)
      return opError(op, "target " + std::to_string(t) + " at position " +
                             std::to_string(r) + " is out of range [0, " +
                             std::to_string(classes) + ") and not ignore_index");
    for (int64_t c = 0; c < classes; ++c)
      row[c] = at(r, c);
    softmaxRow(row.data(), lp.data(), classes, 1, /*log=*/true,
               [](int64_t) { return false; });
    total -= lp[t];
    ++count;
  }
  return count == 0 ? kNaN : total / static_cast<double>(count);
}

llvm::Expected<Tensor> evalCrossEntropy(CrossEntropyOp op, const Env &env) {
  const Tensor &logits = env[op.getLogits()], &targets = env[op.getTargets()];
  if (logits.rank() != targets.rank() + 1 ||
      !std::equal(targets.shape.begin(), targets.shape.end(),
                  logits.shape.begin()))
    return opError(op, "targets do not match the leading dims of the logits");
  int64_t c = logits.shape.back();
  auto loss = crossEntropy(
      op, targets.size(), c,
      [&](int64_t r, int64_t j) { return logits.f[r * c + j]; }, targets.i,
      op.getIgnoreIndex());
  if (!loss)
    return loss.takeError();
  auto out = makeResult(op, {});
  if (!out)
    return out.takeError();
  out->f[0] = *loss;
  return out;
}

llvm::Expected<Tensor> evalContrastiveLoss(ContrastiveLossOp op,
                                           const Env &env) {
  // logits = exp(logit_scale) * normalize(image) . normalize(text)^T; the
  // loss is the mean of CE(logits, 0..N-1) and CE(logits^T, 0..N-1).
  // Normalization is x / max(||x||, 1e-12) (torch.nn.functional.normalize).
  const Tensor &img = env[op.getImage()], &txt = env[op.getText()],
               &scale = env[op.getLogitScale()];
  if (img.rank() != 2 || img.shape != txt.shape || scale.size() != 1)
    return opError(op, "expects [N, D] embeddings and a rank-0 scale");
  int64_t n = img.shape[0], d = img.shape[1];
  std::vector<double> a = l2Normalize(img, 1, 1e-12),
                      b = l2Normalize(txt, 1, 1e-12);
  double s = std::exp(scale.f[0]);
  std::vector<double> logits(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t c = 0; c < d; ++c)
        acc += a[i * d + c] * b[j * d + c];
      logits[i * n + j] = s * acc;
    }
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i)
    labels[i] = i;
  auto perImage = crossEntropy(
      op, n, n, [&](int64_t r, int64_t c) { return logits[r * n + c]; },
      labels, -100);
  if (!perImage)
    return perImage.takeError();
  auto perText = crossEntropy(
      op, n, n, [&](int64_t r, int64_t c) { return logits[c * n + r]; },
      labels, -100);
  if (!perText)
    return perText.takeError();
  auto out = makeResult(op, {});
  if (!out)
    return out.takeError();
  out->f[0] = 0.5 * (*perImage + *perText);
  return out;
}

} // namespace

void li::detail::registerNN(Registry &r) {
  add<LayerNormOp>(r, evalLayerNorm);
  add<RmsNormOp>(r, evalRmsNorm);
  add<L2NormalizeOp>(r, evalL2Normalize);
  add<SoftmaxOp>(r, [](SoftmaxOp op, const Env &env) {
    return softmax(op, env[op.getInput()], env.optional(op.getMask()),
                   op.getAxis(), op.getCausal(), /*log=*/false);
  });
  add<LogSoftmaxOp>(r, [](LogSoftmaxOp op, const Env &env) {
    return softmax(op, env[op.getInput()], env.optional(op.getMask()),
                   op.getAxis(), op.getCausal(), /*log=*/true);
  });
  add<AttentionOp>(r, evalAttention);
  add<AttentionLseOp>(r, evalAttentionLse);
  addMulti<AttentionGradOp>(r, evalAttentionGrad);
  add<CrossEntropyOp>(r, evalCrossEntropy);
  add<ContrastiveLossOp>(r, evalContrastiveLoss);
}
