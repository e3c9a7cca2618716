//===- EvalShape.cpp - data movement, indices, embeddings, vision ---------===//
//
// reshape, transpose, concat, slice, split_heads, merge_heads, positions,
// causal_mask, gather, embedding, sinusoidal_encoding, patchify,
// prepend_token: each written from its op description, element by element.
//
//===----------------------------------------------------------------------===//
#include "Eval.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::loom;
using namespace ::loom::interp;
using namespace ::loom::interp::detail;
namespace li = ::loom::interp;

namespace {

/// Copies element `from` of `src` to element `to` of `dst` (same dtype).
inline void copyElement(Tensor &dst, int64_t to, const Tensor &src,
                        int64_t from) {
  if (dst.isFloat())
    dst.f[to] = src.f[from];
  else
    dst.i[to] = src.i[from];
}

/// A result of `op` with `shape` whose element at index idx is element
/// `source(idx)` of `src`.
template <typename F>
llvm::Expected<Tensor> gatherInto(Operation *op, const Shape &shape,
                                  const Tensor &src, F source) {
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  if (out->dtype != src.dtype)
    return opError(op, "result and operand element types differ");
  int64_t k = 0;
  forEachIndex(shape, [&](const Shape &idx) {
    copyElement(*out, k++, src, source(idx));
  });
  return out;
}

llvm::Expected<Tensor> evalReshape(ReshapeOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  Shape shape;
  int inferred = -1;
  int64_t known = 1;
  for (auto [k, s] : llvm::enumerate(op.getShape())) {
    if (s == 0) {
      if (static_cast<int64_t>(k) >= x.rank())
        return opError(op, "entry " + std::to_string(k) +
                               " copies a dim the input lacks");
      shape.push_back(x.shape[k]);
    } else if (s == -1) {
      if (inferred >= 0)
        return opError(op, "more than one -1 entry");
      inferred = static_cast<int>(k);
      shape.push_back(-1);
      continue;
    } else if (s < -1) {
      return opError(op, "invalid shape entry " + std::to_string(s));
    } else {
      shape.push_back(s);
    }
    known *= shape.back();
  }
  if (inferred >= 0) {
    if (known == 0 || x.size() % known != 0)
      return opError(op, "cannot infer the -1 entry: " +
                             std::to_string(x.size()) +
                             " elements are not a multiple of " +
                             std::to_string(known));
    shape[inferred] = x.size() / known;
  } else if (known != x.size()) {
    return opError(op, "cannot reshape " + shapeStr(x.shape) + " to " +
                           shapeStr(shape));
  }
  Tensor out = x;
  out.shape = shape; // row-major order is kept
  return out;
}

llvm::Expected<Tensor> evalTranspose(TransposeOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  ArrayRef<int64_t> perm = op.getPermutation();
  if (static_cast<int64_t>(perm.size()) != x.rank())
    return opError(op, "permutation size differs from the rank");
  Shape shape, strides(perm.size());
  Shape xs = stridesOf(x.shape);
  for (auto [k, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= x.rank())
      return opError(op, "invalid permutation");
    shape.push_back(x.shape[p]);
    strides[k] = xs[p]; // result dim k walks input dim perm[k]
  }
  return gatherInto(op, shape, x,
                    [&](const Shape &idx) { return dot(idx, strides); });
}

llvm::Expected<Tensor> evalConcat(ConcatOp op, const Env &env) {
  std::vector<const Tensor *> ins;
  for (Value v : op.getInputs())
    ins.push_back(&env[v]);
  int64_t rank = ins[0]->rank();
  auto axis = normalizeAxis(op.getAxis(), rank);
  if (!axis)
    return opError(op, "axis out of range");
  Shape shape = ins[0]->shape;
  shape[*axis] = 0;
  for (const Tensor *t : ins) {
    if (t->rank() != rank)
      return opError(op, "inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && t->shape[d] != shape[d])
        return opError(op, "inputs differ in dim " + std::to_string(d));
    shape[*axis] += t->shape[*axis];
  }
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  std::vector<Shape> strides;
  for (const Tensor *t : ins)
    strides.push_back(stridesOf(t->shape));
  int64_t k = 0;
  Shape local;
  forEachIndex(shape, [&](const Shape &idx) {
    int64_t pos = idx[*axis];
    for (size_t j = 0; j < ins.size(); ++j) {
      if (pos < ins[j]->shape[*axis]) {
        local = idx;
        local[*axis] = pos;
        copyElement(*out, k, *ins[j], dot(local, strides[j]));
        break;
      }
      pos -= ins[j]->shape[*axis];
    }
    ++k;
  });
  return out;
}

llvm::Expected<Tensor> evalSlice(SliceOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  auto axis = normalizeAxis(op.getAxis(), x.rank());
  if (!axis)
    return opError(op, "axis out of range");
  int64_t size = x.shape[*axis];
  // Python indexing: negative counts from the end, end clamps to the dim.
  int64_t start = op.getStart(), end = op.getEnd();
  if (start < 0)
    start += size;
  if (end < 0)
    end += size;
  end = std::min(end, size);
  if (start < 0 || start >= size || end <= start)
    return opError(op, "range [" + std::to_string(op.getStart()) + ", " +
                           std::to_string(op.getEnd()) +
                           ") is empty or out of bounds for a dim of " +
                           std::to_string(size));
  Shape shape = x.shape;
  shape[*axis] = end - start;
  Shape xs = stridesOf(x.shape);
  return gatherInto(op, shape, x, [&](const Shape &idx) {
    return dot(idx, xs) + start * xs[*axis];
  });
}

llvm::Expected<Tensor> evalSplitHeads(SplitHeadsOp op, const Env &env) {
  // [..., T, D] -> [..., H, T, D/H]: out[..., h, t, j] = in[..., t, h*Dh + j]
  const Tensor &x = env[op.getInput()];
  int64_t heads = op.getNumHeads(), r = x.rank();
  if (r < 2 || x.shape[r - 1] % heads != 0)
    return opError(op, "channel dim is not divisible by num_heads");
  int64_t dh = x.shape[r - 1] / heads;
  Shape shape(x.shape.begin(), x.shape.end() - 2);
  shape.insert(shape.end(), {heads, x.shape[r - 2], dh});
  Shape xs = stridesOf(x.shape);
  return gatherInto(op, shape, x, [&](const Shape &idx) {
    int64_t o = 0;
    for (int64_t d = 0; d < r - 2; ++d)
      o += idx[d] * xs[d];
    int64_t h = idx[r - 2], t = idx[r - 1], j = idx[r];
    return o + t * xs[r - 2] + h * dh + j;
  });
}

llvm::Expected<Tensor> evalMergeHeads(MergeHeadsOp op, const Env &env) {
  // [..., H, T, Dh] -> [..., T, H*Dh]: out[..., t, h*Dh + j] = in[..., h, t, j]
  const Tensor &x = env[op.getInput()];
  int64_t r = x.rank();
  if (r < 3)
    return opError(op, "input rank must be >= 3");
  int64_t heads = x.shape[r - 3], t = x.shape[r - 2], dh = x.shape[r - 1];
  Shape shape(x.shape.begin(), x.shape.end() - 3);
  shape.insert(shape.end(), {t, heads * dh});
  Shape xs = stridesOf(x.shape);
  return gatherInto(op, shape, x, [&](const Shape &idx) {
    int64_t o = 0;
    for (int64_t d = 0; d < r - 3; ++d)
      o += idx[d] * xs[d];
    int64_t tt = idx[r - 3], c = idx[r - 2];
    return o + (c / dh) * xs[r - 3] + tt * xs[r - 2] + c % dh;
  });
}

llvm::Expected<Tensor> evalPositions(PositionsOp op, const Env &env) {
  const Tensor &like = env[op.getLike()];
  auto axis = normalizeAxis(op.getAxis(), like.rank());
  if (!axis)
    return opError(op, "axis out of range");
  int64_t n = like.shape[*axis];
  auto out = makeResult(op, {n});
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < n; ++k)
    out->i[k] = op.getOffset() + k;
  return out;
}

llvm::Expected<Tensor> evalCausalMask(CausalMaskOp op, const Env &env) {
  const Tensor &s = env[op.getScores()];
  int64_t r = s.rank();
  if (r < 2)
    return opError(op, "scores must have rank >= 2");
  int64_t tq = s.shape[r - 2], tk = s.shape[r - 1];
  auto out = makeResult(op, {tq, tk});
  if (!out)
    return out.takeError();
  for (int64_t q = 0; q < tq; ++q)
    for (int64_t k = 0; k < tk; ++k)
      out->i[q * tk + k] = k <= q + (tk - tq);
  return out;
}

llvm::Expected<Tensor> evalUpdateSlice(UpdateSliceOp op, const Env &env) {
  // dest with update written at [start, start + n) of axis, start clamped
  // to [0, size - n] (as XLA's dynamic_update_slice).
  const Tensor &dest = env[op.getDest()], &update = env[op.getUpdate()];
  const Tensor &start = env[op.getStart()];
  auto axis = normalizeAxis(op.getAxis(), dest.rank());
  if (!axis || update.rank() != dest.rank())
    return opError(op, "axis or rank mismatch");
  for (int64_t d = 0; d < dest.rank(); ++d)
    if (d == *axis ? update.shape[d] > dest.shape[d]
                   : update.shape[d] != dest.shape[d])
      return opError(op, "update " + shapeStr(update.shape) +
                             " does not fit dest " + shapeStr(dest.shape));
  int64_t n = update.shape[*axis];
  int64_t at = std::clamp<int64_t>(start.getInt(0), 0, dest.shape[*axis] - n);
  auto out = makeResult(op, dest.shape);
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < dest.size(); ++k)
    copyElement(*out, k, dest, k);
  Shape ds = stridesOf(dest.shape);
  int64_t k = 0;
  forEachIndex(update.shape, [&](const Shape &idx) {
    copyElement(*out, dot(idx, ds) + at * ds[*axis], update, k++);
  });
  return out;
}

llvm::Expected<Tensor> evalGather(GatherOp op, const Env &env) {
  // result[...] = input[..., indices[...]]
  const Tensor &x = env[op.getInput()], &ids = env[op.getIndices()];
  if (x.rank() != ids.rank() + 1 ||
      !std::equal(ids.shape.begin(), ids.shape.end(), x.shape.begin()))
    return opError(op, "indices " + shapeStr(ids.shape) +
                           " do not match the leading dims of " +
                           shapeStr(x.shape));
  int64_t c = x.shape.back();
  auto out = makeResult(op, ids.shape);
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < ids.size(); ++k) {
    int64_t id = ids.i[k];
    if (id < 0 || id >= c)
      return opError(op, "index " + std::to_string(id) + " at position " +
                             std::to_string(k) + " is out of range [0, " +
                             std::to_string(c) + ")");
    copyElement(*out, k, x, k * c + id);
  }
  return out;
}

llvm::Expected<Tensor> evalEmbedding(EmbeddingOp op, const Env &env) {
  // result[..., :] = table[ids[...], :]
  const Tensor &table = env[op.getTable()], &ids = env[op.getIds()];
  if (table.rank() != 2)
    return opError(op, "table must be 2-D");
  int64_t v = table.shape[0], d = table.shape[1];
  Shape shape = ids.shape;
  shape.push_back(d);
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < ids.size(); ++k) {
    int64_t id = ids.i[k];
    if (id < 0 || id >= v)
      return opError(op, "id " + std::to_string(id) + " at position " +
                             std::to_string(k) + " is out of range [0, " +
                             std::to_string(v) + ")");
    for (int64_t j = 0; j < d; ++j)
      out->f[k * d + j] = table.f[id * d + j];
  }
  return out;
}

llvm::Expected<Tensor> evalIndexAdd(IndexAddOp op, const Env &env) {
  // result = input; result[ids[k], :] += source[k, :] (ids out of range add
  // nothing), each sum rounded to the dtype as the compiled code's are.
  const Tensor &input = env[op.getInput()], &ids = env[op.getIds()],
               &source = env[op.getSource()];
  if (input.rank() != 2 || source.size() != ids.size() * input.shape[1])
    return opError(op, "shapes of input, ids and source do not agree");
  int64_t v = input.shape[0], d = input.shape[1];
  Tensor out = input;
  for (int64_t k = 0; k < ids.size(); ++k) {
    int64_t id = ids.i[k];
    if (id < 0 || id >= v)
      continue;
    for (int64_t j = 0; j < d; ++j)
      out.f[id * d + j] =
          roundTo(out.dtype, out.f[id * d + j] + source.f[k * d + j]);
  }
  return out;
}

llvm::Expected<Tensor> evalSinusoidal(SinusoidalEncodingOp op, const Env &env) {
  // pe[2i] = sin(p / 10000^(2i/dim)), pe[2i+1] = cos(p / 10000^(2i/dim))
  const Tensor &pos = env[op.getPositions()];
  int64_t dim = op.getDim();
  if (dim % 2 != 0)
    return opError(op, "dim must be even");
  Shape shape = pos.shape;
  shape.push_back(dim);
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < pos.size(); ++k) {
    double p = static_cast<double>(pos.i[k]);
    for (int64_t i = 0; i < dim / 2; ++i) {
      double angle = p / std::pow(10000.0, double(2 * i) / double(dim));
      out->f[k * dim + 2 * i] = std::sin(angle);
      out->f[k * dim + 2 * i + 1] = std::cos(angle);
    }
  }
  return out;
}

llvm::Expected<Tensor> evalPatchify(PatchifyOp op, const Env &env) {
  // [B, C, H, W] -> [B, (H/p)(W/p), C*p*p]; patches row-major, each
  // flattened in (c, py, px) order.
  const Tensor &x = env[op.getInput()];
  int64_t p = op.getPatch();
  if (x.rank() != 4 || x.shape[2] % p != 0 || x.shape[3] % p != 0)
    return opError(op, "image must be [B, C, H, W] with H, W divisible by " +
                           std::to_string(p));
  int64_t b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t gw = w / p, n = (h / p) * gw;
  return gatherInto(op, {b, n, c * p * p}, x, [&](const Shape &idx) {
    int64_t ph = idx[1] / gw, pw = idx[1] % gw;
    int64_t ch = idx[2] / (p * p), py = idx[2] / p % p, px = idx[2] % p;
    return ((idx[0] * c + ch) * h + ph * p + py) * w + pw * p + px;
  });
}

llvm::Expected<Tensor> evalPrependToken(PrependTokenOp op, const Env &env) {
  // [B, N, D] and a [1, ..., 1, D] token -> [B, N+1, D], token at position 0.
  const Tensor &x = env[op.getInput()], &tok = env[op.getToken()];
  if (x.rank() != 3 || tok.size() != x.shape[2])
    return opError(op, "expects [B, N, D] and a token of D elements");
  int64_t b = x.shape[0], n = x.shape[1], d = x.shape[2];
  auto out = makeResult(op, {b, n + 1, d});
  if (!out)
    return out.takeError();
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t t = 0; t <= n; ++t)
      for (int64_t j = 0; j < d; ++j)
        out->f[(bi * (n + 1) + t) * d + j] =
            t == 0 ? tok.f[j] : x.f[(bi * n + t - 1) * d + j];
  return out;
}

} // namespace

void li::detail::registerShape(Registry &r) {
  add<ReshapeOp>(r, evalReshape);
  add<TransposeOp>(r, evalTranspose);
  add<ConcatOp>(r, evalConcat);
  add<SliceOp>(r, evalSlice);
  add<SplitHeadsOp>(r, evalSplitHeads);
  add<MergeHeadsOp>(r, evalMergeHeads);
  add<PositionsOp>(r, evalPositions);
  add<CausalMaskOp>(r, evalCausalMask);
  add<GatherOp>(r, evalGather);
  add<UpdateSliceOp>(r, evalUpdateSlice);
  add<EmbeddingOp>(r, evalEmbedding);
  add<IndexAddOp>(r, evalIndexAdd);
  add<SinusoidalEncodingOp>(r, evalSinusoidal);
  add<PatchifyOp>(r, evalPatchify);
  add<PrependTokenOp>(r, evalPrependToken);
}
