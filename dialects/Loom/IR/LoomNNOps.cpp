//===- LoomNNOps.cpp - contractions, norms, attention, vision, losses -----===//
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::loom;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A dim for messages: its size, or "?" when dynamic.
static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks that `v` has element type `elt`.
static LogicalResult sameElement(std::optional<Location> loc, StringRef name,
                                 StringRef what, Value v, Type elt) {
  if (tensorType(v).getElementType() != elt)
    return opError(loc, name,
                   what + " " + str(v.getType()) + " must have element type " +
                       str(elt));
  return success();
}

/// Checks that `v` is a 1-D tensor of size `d` (compatible) and element `elt`.
static LogicalResult checkVector(std::optional<Location> loc, StringRef name,
                                 StringRef what, Value v, int64_t d, Type elt) {
  auto t = tensorType(v);
  if (t.getRank() != 1 || !dimsCompatible(t.getDimSize(0), d))
    return opError(loc, name,
                   what + " must be " + str(tensorOf({d}, elt)) + ", got " +
                       str(t));
  return sameElement(loc, name, what, v, elt);
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto table = tensorType(adaptor.getTable());
  auto ids = tensorType(adaptor.getIds());
  if (table.getRank() != 2)
    return opError(loc, getOperationName(),
                   "table must be 2-D [V, D], got " + str(table));
  Shape out(ids.getShape());
  out.push_back(table.getDimSize(1));
  types.push_back(tensorOf(out, table.getElementType()));
  return success();
}

LogicalResult IndexAddOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto input = tensorType(adaptor.getInput());
  auto ids = tensorType(adaptor.getIds());
  auto source = tensorType(adaptor.getSource());
  if (input.getRank() != 2)
    return opError(loc, getOperationName(),
                   "input must be 2-D [V, D], got " + str(input));
  if (source.getElementType() != input.getElementType())
    return opError(loc, getOperationName(),
                   "source " + str(source) + " and input " + str(input) +
                       " differ in element type");
  Shape want(ids.getShape());
  want.push_back(input.getDimSize(1));
  if (source.getRank() != static_cast<int64_t>(want.size()) ||
      failed(verifyCompatibleShape(source.getShape(), want)))
    return opError(loc, getOperationName(),
                   "source " + str(source) + " must be the ids' shape " +
                       str(ids) + " followed by D = " +
                       std::to_string(input.getDimSize(1)));
  types.push_back(input);
  return success();
}

LogicalResult SinusoidalEncodingOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  int64_t dim = static_cast<int64_t>(adaptor.getDim());
  if (dim % 2 != 0)
    return opError(loc, getOperationName(),
                   "dim must be even (sine/cosine pairs), got " + Twine(dim));
  Shape out(tensorType(adaptor.getPositions()).getShape());
  out.push_back(dim);
  types.push_back(tensorOf(out, Float32Type::get(ctx)));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto a = tensorType(adaptor.getLhs()), b = tensorType(adaptor.getRhs());
  if (a.getRank() != 2 || b.getRank() != 2)
    return opError(loc, getOperationName(),
                   "operands must be 2-D, got " + str(a) + " and " + str(b));
  if (failed(sameElement(loc, getOperationName(), "rhs", adaptor.getRhs(),
                         a.getElementType())))
    return failure();
  if (!dimsCompatible(a.getDimSize(1), b.getDimSize(0)))
    return opError(loc, getOperationName(),
                   "contraction dims differ: lhs " + str(a) + " has K = " +
                       Twine(a.getDimSize(1)) + ", rhs " + str(b) +
                       " has K = " + Twine(b.getDimSize(0)));
  types.push_back(
      tensorOf({a.getDimSize(0), b.getDimSize(1)}, a.getElementType()));
  return success();
}

/// numpy matmul shape rule shared by batch_matmul and linear.
static LogicalResult inferBatchMatmul(std::optional<Location> loc,
                                      StringRef name, RankedTensorType a,
                                      RankedTensorType b, bool transposeRhs,
                                      SmallVectorImpl<Type> &types) {
  if (a.getRank() < 2 || b.getRank() < 2)
    return opError(loc, name,
                   "operands must have rank >= 2, got " + str(a) + " and " +
                       str(b));
  if (a.getElementType() != b.getElementType())
    return opError(loc, name,
                   "operands must share an element type, got " + str(a) +
                       " and " + str(b));
  int64_t m = a.getDimSize(a.getRank() - 2), k = a.getShape().back();
  int64_t kb = b.getDimSize(b.getRank() - (transposeRhs ? 1 : 2));
  int64_t n = b.getDimSize(b.getRank() - (transposeRhs ? 2 : 1));
  if (!dimsCompatible(k, kb))
    return opError(loc, name,
                   "contraction dims differ: lhs " + str(a) + " has K = " +
                       Twine(k) + ", rhs " + str(b) + " has K = " + Twine(kb) +
                       (transposeRhs ? " (rhs transposed)" : ""));
  auto batch = broadcastShapes(a.getShape().drop_back(2),
                               b.getShape().drop_back(2));
  if (!batch)
    return opError(loc, name,
                   "batch dims of " + str(a) + " and " + str(b) +
                       " do not broadcast");
  Shape out(*batch);
  out.push_back(m);
  out.push_back(n);
  types.push_back(tensorOf(out, a.getElementType()));
  return success();
}

LogicalResult BatchMatmulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferBatchMatmul(loc, getOperationName(),
                          tensorType(adaptor.getLhs()),
                          tensorType(adaptor.getRhs()),
                          adaptor.getTransposeRhs(), types);
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto x = tensorType(adaptor.getInput()), w = tensorType(adaptor.getWeight());
  if (x.getRank() < 2)
    return opError(loc, getOperationName(),
                   "input must have rank >= 2 ([..., in]), got " + str(x));
  if (w.getRank() != 2)
    return opError(loc, getOperationName(),
                   "weight must be 2-D, got " + str(w));
  if (failed(inferBatchMatmul(loc, getOperationName(), x, w,
                              adaptor.getTransposeWeight(), types)))
    return failure();
  if (Value bias = adaptor.getBias()) {
    int64_t out = w.getDimSize(adaptor.getTransposeWeight() ? 0 : 1);
    if (failed(checkVector(loc, getOperationName(), "bias", bias, out,
                           x.getElementType())))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization and softmax
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto x = tensorType(adaptor.getInput());
  if (x.getRank() < 1)
    return opError(loc, getOperationName(), "input must have rank >= 1");
  int64_t d = x.getShape().back();
  if (failed(checkVector(loc, getOperationName(), "gamma", adaptor.getGamma(),
                         d, x.getElementType())))
    return failure();
  if (Value beta = adaptor.getBeta())
    if (failed(checkVector(loc, getOperationName(), "beta", beta, d,
                           x.getElementType())))
      return failure();
  types.push_back(x);
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto x = tensorType(adaptor.getInput());
  if (x.getRank() < 1)
    return opError(loc, getOperationName(), "input must have rank >= 1");
  if (failed(checkVector(loc, getOperationName(), "gamma", adaptor.getGamma(),
                         x.getShape().back(), x.getElementType())))
    return failure();
  types.push_back(x);
  return success();
}

LogicalResult L2NormalizeOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto x = tensorType(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (!normalizeAxis(axis, x.getRank()))
    return opError(loc, getOperationName(),
                   "axis " + Twine(axis) + " is out of range for " + str(x));
  types.push_back(x);
  return success();
}

/// Shared by softmax and log_softmax: axis range, mask broadcast, causal rank.
static LogicalResult inferSoftmax(std::optional<Location> loc, StringRef name,
                                  Value input, Value mask, int64_t axis,
                                  bool causal, SmallVectorImpl<Type> &types) {
  auto x = tensorType(input);
  auto a = normalizeAxis(axis, x.getRank());
  if (!a)
    return opError(loc, name,
                   "axis " + Twine(axis) + " is out of range for " + str(x));
  if ((mask || causal) && *a != x.getRank() - 1)
    return opError(loc, name,
                   "a masked softmax must run along the last axis, got axis " +
                       Twine(axis));
  if (causal && x.getRank() < 2)
    return opError(loc, name,
                   "causal needs scores of rank >= 2 ([..., Tq, Tk]), got " +
                       str(x));
  if (causal) {
    // As loom.causal_mask, which the decomposition builds: with more queries
    // than keys the first rows would see no key at all.
    int64_t tq = x.getDimSize(x.getRank() - 2), tk = x.getShape().back();
    if (!ShapedType::isDynamic(tq) && !ShapedType::isDynamic(tk) && tq > tk)
      return opError(loc, name,
                     "causal needs at least as many keys as queries, got " +
                         Twine(tq) + " queries and " + Twine(tk) +
                         " keys in " + str(x));
  }
  if (mask) {
    auto m = tensorType(mask);
    auto b = broadcastShapes(x.getShape(), m.getShape());
    if (!b || b->size() != static_cast<size_t>(x.getRank()) ||
        !areCompatibleTensorTypes(tensorOf(*b, x.getElementType()), x))
      return opError(loc, name,
                     "mask " + str(m) + " does not broadcast to the input " +
                         str(x));
  }
  types.push_back(x);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax(loc, getOperationName(), adaptor.getInput(),
                      adaptor.getMask(),
                      static_cast<int64_t>(adaptor.getAxis()),
                      adaptor.getCausal(), types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax(loc, getOperationName(), adaptor.getInput(),
                      adaptor.getMask(),
                      static_cast<int64_t>(adaptor.getAxis()),
                      adaptor.getCausal(), types);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// The checks every attention op shares; `out` gets the attention's
/// result shape [..., Tq, Dv]. The log-sum-exp has no value operand: `v`
/// is then the key (its Dv is dropped by the caller).
static LogicalResult inferAttention(std::optional<Location> loc, StringRef name,
                                    RankedTensorType q, RankedTensorType k,
                                    RankedTensorType v, Value mask, bool causal,
                                    bool hasScale, Shape &out) {
  if (q.getRank() < 2 || k.getRank() != q.getRank() ||
      v.getRank() != q.getRank())
    return opError(loc, name,
                   "query, key and value must share a rank >= 2, got " +
                       str(q) + ", " + str(k) + ", " + str(v));
  if (k.getElementType() != q.getElementType() ||
      v.getElementType() != q.getElementType())
    return opError(loc, name,
                   "query, key and value must share an element type, got " +
                       str(q) + ", " + str(k) + ", " + str(v));
  int64_t r = q.getRank();
  for (int64_t d = 0; d < r - 2; ++d) {
    if (!dimsCompatible(q.getDimSize(d), k.getDimSize(d)) ||
        !dimsCompatible(q.getDimSize(d), v.getDimSize(d)))
      return opError(loc, name,
                     "leading (batch/head) dim " + Twine(d) +
                         " differs between query " + str(q) + ", key " +
                         str(k) + " and value " + str(v));
    out.push_back(
        meetDim(meetDim(q.getDimSize(d), k.getDimSize(d)), v.getDimSize(d)));
  }
  int64_t tq = q.getDimSize(r - 2), dk = q.getDimSize(r - 1);
  int64_t tk = k.getDimSize(r - 2);
  if (!dimsCompatible(dk, k.getDimSize(r - 1)))
    return opError(loc, name,
                   "query " + str(q) + " and key " + str(k) +
                       " differ in the head dim");
  if (!dimsCompatible(tk, v.getDimSize(r - 2)))
    return opError(loc, name,
                   "key " + str(k) + " and value " + str(v) +
                       " differ in the key length");
  if (!hasScale && ShapedType::isDynamic(dk) &&
      ShapedType::isDynamic(k.getDimSize(r - 1)))
    return opError(loc, name,
                   "the default scale 1/sqrt(Dk) needs a static head dim; "
                   "give scale explicitly");
  int64_t keys = meetDim(tk, v.getDimSize(r - 2));
  if (causal && !ShapedType::isDynamic(tq) && !ShapedType::isDynamic(keys) &&
      tq > keys)
    return opError(loc, name,
                   "causal needs at least as many keys as queries, got " +
                       Twine(tq) + " queries and " + Twine(keys) + " keys");
  out.push_back(tq);
  out.push_back(v.getDimSize(r - 1));
  if (mask) {
    auto m = tensorType(mask);
    Shape scores(out.begin(), out.end() - 1);
    scores.push_back(keys);
    auto b = broadcastShapes(scores, m.getShape());
    if (!b || b->size() != scores.size() ||
        !areCompatibleTensorTypes(tensorOf(*b, q.getElementType()),
                                  tensorOf(scores, q.getElementType())))
      return opError(loc, name,
                     "mask " + str(m) + " does not broadcast to the scores " +
                         shapeStr(scores));
  }
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = tensorType(adaptor.getQuery());
  Shape out;
  if (failed(inferAttention(
          loc, getOperationName(), q, tensorType(adaptor.getKey()),
          tensorType(adaptor.getValue()), adaptor.getMask(),
          adaptor.getCausal(), bool(adaptor.getScale()), out)))
    return failure();
  types.push_back(tensorOf(out, q.getElementType()));
  return success();
}

LogicalResult AttentionLseOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto q = tensorType(adaptor.getQuery()), k = tensorType(adaptor.getKey());
  Shape out;
  if (failed(inferAttention(loc, getOperationName(), q, k, k, adaptor.getMask(),
                            adaptor.getCausal(), bool(adaptor.getScale()),
                            out)))
    return failure();
  out.pop_back(); // [..., Tq]
  types.push_back(tensorOf(out, q.getElementType()));
  return success();
}

LogicalResult AttentionGradOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto q = tensorType(adaptor.getQuery()), k = tensorType(adaptor.getKey()),
       v = tensorType(adaptor.getValue());
  Shape out;
  if (failed(inferAttention(loc, name, q, k, v, adaptor.getMask(),
                            adaptor.getCausal(), bool(adaptor.getScale()),
                            out)))
    return failure();
  Type elt = q.getElementType();
  auto expect = [&](StringRef what, Value x,
                    ArrayRef<int64_t> shape) -> LogicalResult {
    auto t = tensorType(x);
    if (!areCompatibleTensorTypes(t, tensorOf(shape, elt)))
      return opError(loc, name,
                     what + " must be " + str(tensorOf(shape, elt)) +
                         " (the attention's), got " + str(t));
    return success();
  };
  Shape rows(out.begin(), out.end() - 1);
  if (failed(expect("output", adaptor.getOutput(), out)) ||
      failed(expect("grad_output", adaptor.getGradOutput(), out)) ||
      failed(expect("lse", adaptor.getLse(), rows)))
    return failure();
  types.append({q, k, v});
  return success();
}

//===----------------------------------------------------------------------===//
// Vision
//===----------------------------------------------------------------------===//

/// [B, C, H, W] -> [B, N, C*p*p]; fails on rank or divisibility.
static FailureOr<Shape> patchShape(std::optional<Location> loc, StringRef name,
                                   RankedTensorType img, int64_t p) {
  if (img.getRank() != 4)
    return opError(loc, name,
                   "image must be 4-D [B, C, H, W], got " + str(img));
  ArrayRef<int64_t> s = img.getShape();
  for (int64_t d : {2, 3})
    if (!ShapedType::isDynamic(s[d]) && s[d] % p != 0)
      return opError(loc, name,
                     std::string(d == 2 ? "height " : "width ") +
                         std::to_string(s[d]) + " of " + str(img) +
                         " is not divisible by patch = " + std::to_string(p));
  int64_t n = ShapedType::isDynamic(s[2]) || ShapedType::isDynamic(s[3])
                  ? ShapedType::kDynamic
                  : (s[2] / p) * (s[3] / p);
  int64_t c = ShapedType::isDynamic(s[1]) ? s[1] : s[1] * p * p;
  return Shape{s[0], n, c};
}

LogicalResult PatchifyOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto img = tensorType(adaptor.getInput());
  auto shape = patchShape(loc, getOperationName(), img,
                          static_cast<int64_t>(adaptor.getPatch()));
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, img.getElementType()));
  return success();
}

LogicalResult PatchEmbedOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto img = tensorType(adaptor.getInput());
  auto w = tensorType(adaptor.getWeight());
  int64_t p = static_cast<int64_t>(adaptor.getPatch());
  auto shape = patchShape(loc, name, img, p);
  if (failed(shape))
    return failure();
  if (w.getRank() != 4 || !dimsCompatible(w.getDimSize(1), img.getDimSize(1)) ||
      !dimsCompatible(w.getDimSize(2), p) || !dimsCompatible(w.getDimSize(3), p))
    return opError(loc, name,
                   "weight must be [D, C, " + Twine(p) + ", " + Twine(p) +
                       "] with C = " + dimStr(img.getDimSize(1)) + ", got " +
                       str(w));
  if (failed(sameElement(loc, name, "weight", adaptor.getWeight(),
                         img.getElementType())))
    return failure();
  if (Value bias = adaptor.getBias())
    if (failed(checkVector(loc, name, "bias", bias, w.getDimSize(0),
                           img.getElementType())))
      return failure();
  types.push_back(tensorOf({(*shape)[0], (*shape)[1], w.getDimSize(0)},
                           img.getElementType()));
  return success();
}

LogicalResult PrependTokenOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto x = tensorType(adaptor.getInput()), tok = tensorType(adaptor.getToken());
  if (x.getRank() != 3)
    return opError(loc, getOperationName(),
                   "input must be 3-D [B, N, D], got " + str(x));
  bool ok = tok.getRank() >= 1 && tok.getRank() <= 3 &&
            dimsCompatible(tok.getShape().back(), x.getDimSize(2)) &&
            tok.getElementType() == x.getElementType();
  for (int64_t d = 0; ok && d + 1 < tok.getRank(); ++d)
    ok = dimsCompatible(tok.getDimSize(d), 1);
  if (!ok)
    return opError(loc, getOperationName(),
                   "token must be [1, ..., 1, " + dimStr(x.getDimSize(2)) +
                       "] of " + str(x.getElementType()) + " (rank 1 to 3), got " +
                       str(tok));
  int64_t n = x.getDimSize(1);
  types.push_back(tensorOf(
      {x.getDimSize(0), ShapedType::isDynamic(n) ? n : n + 1,
       meetDim(x.getDimSize(2), tok.getShape().back())},
      x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto logits = tensorType(adaptor.getLogits());
  auto targets = tensorType(adaptor.getTargets());
  if (logits.getRank() != targets.getRank() + 1)
    return opError(loc, getOperationName(),
                   "logits " + str(logits) + " must have rank one more than "
                   "targets " + str(targets));
  for (int64_t d = 0; d < targets.getRank(); ++d)
    if (!dimsCompatible(logits.getDimSize(d), targets.getDimSize(d)))
      return opError(loc, getOperationName(),
                     "targets " + str(targets) +
                         " do not match the leading dims of logits " +
                         str(logits) + " at dim " + Twine(d));
  types.push_back(tensorOf({}, logits.getElementType()));
  return success();
}

LogicalResult ContrastiveLossOp::inferReturnTypes(MLIRContext *,
                                                  std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &types) {
  auto a = tensorType(adaptor.getImage()), b = tensorType(adaptor.getText());
  if (a.getRank() != 2 || b.getRank() != 2 ||
      !areCompatibleTensorTypes(TypeRange{a}, TypeRange{b}))
    return opError(loc, getOperationName(),
                   "image and text embeddings must both be [N, D] of one "
                   "element type, got " + str(a) + " and " + str(b));
  if (failed(sameElement(loc, getOperationName(), "logit_scale",
                         adaptor.getLogitScale(), a.getElementType())))
    return failure();
  types.push_back(tensorOf({}, a.getElementType()));
  return success();
}
