//===- LoomShapeOps.cpp - shape-changing ops, gather and reductions -------===//
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace mlir::loom;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  ArrayRef<int64_t> spec = adaptor.getShape();
  Shape out;
  int inferredAt = -1;
  for (auto [i, s] : llvm::enumerate(spec)) {
    if (s == 0) {
      if (static_cast<int64_t>(i) >= in.getRank())
        return opError(loc, getOperationName(),
                       "shape entry " + Twine(i) +
                           " is 0 (copy) but the input " + str(in) +
                           " has only " + Twine(in.getRank()) + " dims");
      out.push_back(in.getDimSize(i));
    } else if (s == -1) {
      if (inferredAt >= 0)
        return opError(loc, getOperationName(),
                       "shape " + shapeStr(spec) +
                           " has more than one -1 (inferred) entry");
      inferredAt = i;
      out.push_back(ShapedType::kDynamic);
    } else if (s < -1) {
      return opError(loc, getOperationName(),
                     "shape entry " + Twine(i) + " is " + Twine(s) +
                         "; sizes must be positive, 0 (copy) or -1 (infer)");
    } else {
      out.push_back(s);
    }
  }
  // Dims copied with 0 appear on both sides and cancel, so [?, ?, 768] ->
  // [0, 0, 12, -1] still infers 64 with dynamic batch and sequence.
  Shape inRest, outRest;
  for (auto [i, d] : llvm::enumerate(in.getShape()))
    if (i >= spec.size() || spec[i] != 0)
      inRest.push_back(d);
  for (auto [i, d] : llvm::enumerate(out))
    if (spec[i] != 0 && static_cast<int>(i) != inferredAt)
      outRest.push_back(d);
  std::optional<int64_t> inCount = staticProduct(inRest);
  std::optional<int64_t> knownCount = staticProduct(outRest);
  if (inCount && knownCount) {
    if (inferredAt >= 0) {
      if (*knownCount == 0 || *inCount % *knownCount != 0)
        return opError(loc, getOperationName(),
                       "cannot reshape " + str(in) + " to " + shapeStr(spec) +
                           ": " + Twine(*inCount) +
                           " elements are not a multiple of " +
                           Twine(*knownCount));
      out[inferredAt] = *inCount / *knownCount;
    } else if (*inCount != *knownCount) {
      return opError(loc, getOperationName(),
                     "cannot reshape " + str(in) + " to " + shapeStr(out) +
                         ": element counts differ (" + Twine(*inCount) +
                         " vs " + Twine(*knownCount) + ")");
    }
  }
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return opError(loc, getOperationName(),
                   "permutation " + shapeStr(perm) + " has " +
                       Twine(perm.size()) + " entries but the input " +
                       str(in) + " has rank " + Twine(in.getRank()));
  llvm::SmallVector<bool> seen(perm.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return opError(loc, getOperationName(),
                     "permutation " + shapeStr(perm) +
                         " is not a permutation of 0.." +
                         Twine(in.getRank() - 1));
    seen[p] = true;
    out.push_back(in.getDimSize(p));
  }
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return opError(loc, getOperationName(), "needs at least one input");
  auto first = tensorType(inputs[0]);
  auto axis = normalizeAxis(static_cast<int64_t>(adaptor.getAxis()),
                            first.getRank());
  if (!axis)
    return opError(loc, getOperationName(),
                   "axis " + Twine(static_cast<int64_t>(adaptor.getAxis())) +
                       " is out of range for rank " + Twine(first.getRank()));
  Shape out(first.getShape());
  for (auto [i, v] : llvm::enumerate(inputs.drop_front())) {
    auto t = tensorType(v);
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return opError(loc, getOperationName(),
                     "input #" + Twine(i + 1) + " " + str(t) +
                         " differs in rank or element type from input #0 " +
                         str(first));
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == *axis) {
        out[d] = ShapedType::isDynamic(out[d]) || t.isDynamicDim(d)
                     ? ShapedType::kDynamic
                     : out[d] + t.getDimSize(d);
      } else if (!dimsCompatible(out[d], t.getDimSize(d))) {
        return opError(loc, getOperationName(),
                       "input #" + Twine(i + 1) + " " + str(t) +
                           " differs from input #0 " + str(first) +
                           " in dim " + Twine(d) + " (not the concat axis)");
      } else {
        out[d] = meetDim(out[d], t.getDimSize(d));
      }
    }
  }
  types.push_back(tensorOf(out, first.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  int64_t rawAxis = static_cast<int64_t>(adaptor.getAxis());
  auto axis = normalizeAxis(rawAxis, in.getRank());
  if (!axis)
    return opError(loc, getOperationName(),
                   "axis " + Twine(rawAxis) + " is out of range for " +
                       str(in));
  int64_t start = static_cast<int64_t>(adaptor.getStart());
  int64_t end = static_cast<int64_t>(adaptor.getEnd());
  int64_t size = in.getDimSize(*axis);
  Shape out(in.getShape());
  if (!ShapedType::isDynamic(size)) {
    int64_t s = start < 0 ? start + size : start;
    int64_t e = end < 0 ? end + size : std::min(end, size);
    if (s < 0 || s >= size || e <= s)
      return opError(loc, getOperationName(),
                     "range [" + Twine(start) + ", " + Twine(end) +
                         ") is empty or out of bounds for dim " +
                         Twine(*axis) + " of size " + Twine(size));
    out[*axis] = e - s;
  } else if (start >= 0 && end >= 0) {
    if (end <= start)
      return opError(loc, getOperationName(),
                     "range [" + Twine(start) + ", " + Twine(end) +
                         ") is empty");
    // The dim may still be shorter than `end`; then the size is unknown.
    out[*axis] = ShapedType::kDynamic;
  } else {
    out[*axis] = ShapedType::kDynamic;
  }
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// update_slice
//===----------------------------------------------------------------------===//

LogicalResult UpdateSliceOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto dest = tensorType(adaptor.getDest());
  auto update = tensorType(adaptor.getUpdate());
  int64_t rawAxis = static_cast<int64_t>(adaptor.getAxis());
  auto axis = normalizeAxis(rawAxis, dest.getRank());
  if (!axis)
    return opError(loc, getOperationName(),
                   "axis " + Twine(rawAxis) + " is out of range for " +
                       str(dest));
  if (update.getRank() != dest.getRank() ||
      update.getElementType() != dest.getElementType())
    return opError(loc, getOperationName(),
                   "update " + str(update) + " differs from dest " +
                       str(dest) + " in rank or element type");
  Shape out(dest.getShape());
  for (int64_t d = 0; d < dest.getRank(); ++d) {
    int64_t u = update.getDimSize(d), t = dest.getDimSize(d);
    if (d == *axis) {
      if (!ShapedType::isDynamic(u) && !ShapedType::isDynamic(t) && u > t)
        return opError(loc, getOperationName(),
                       "update " + str(update) + " is longer than dest " +
                           str(dest) + " on axis " + Twine(d));
    } else if (!dimsCompatible(u, t)) {
      return opError(loc, getOperationName(),
                     "update " + str(update) + " differs from dest " +
                         str(dest) + " in dim " + Twine(d) +
                         " (not the update axis)");
    } else {
      out[d] = meetDim(u, t);
    }
  }
  types.push_back(tensorOf(out, dest.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// split_heads / merge_heads
//===----------------------------------------------------------------------===//

LogicalResult SplitHeadsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  int64_t heads = static_cast<int64_t>(adaptor.getNumHeads());
  if (in.getRank() < 2)
    return opError(loc, getOperationName(),
                   "input must have rank >= 2 ([..., T, D]), got " + str(in));
  int64_t d = in.getShape().back();
  if (!ShapedType::isDynamic(d) && d % heads != 0)
    return opError(loc, getOperationName(),
                   "channel dim " + Twine(d) + " of " + str(in) +
                       " is not divisible by num_heads = " + Twine(heads));
  Shape out(in.getShape().drop_back(2));
  out.push_back(heads);
  out.push_back(in.getShape()[in.getRank() - 2]);
  out.push_back(ShapedType::isDynamic(d) ? d : d / heads);
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

LogicalResult MergeHeadsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  if (in.getRank() < 3)
    return opError(loc, getOperationName(),
                   "input must have rank >= 3 ([..., H, T, Dh]), got " +
                       str(in));
  ArrayRef<int64_t> s = in.getShape();
  int64_t h = s[s.size() - 3], t = s[s.size() - 2], dh = s.back();
  Shape out(s.drop_back(3));
  out.push_back(t);
  out.push_back(ShapedType::isDynamic(h) || ShapedType::isDynamic(dh)
                    ? ShapedType::kDynamic
                    : h * dh);
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// positions / causal_mask / gather
//===----------------------------------------------------------------------===//

LogicalResult PositionsOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto like = tensorType(adaptor.getLike());
  int64_t rawAxis = static_cast<int64_t>(adaptor.getAxis());
  auto axis = normalizeAxis(rawAxis, like.getRank());
  if (!axis)
    return opError(loc, getOperationName(),
                   "axis " + Twine(rawAxis) + " is out of range for " +
                       str(like));
  types.push_back(
      tensorOf({like.getDimSize(*axis)}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult CausalMaskOp::inferReturnTypes(MLIRContext *ctx,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto scores = tensorType(adaptor.getScores());
  if (scores.getRank() < 2)
    return opError(loc, getOperationName(),
                   "scores must have rank >= 2 ([..., Tq, Tk]), got " +
                       str(scores));
  ArrayRef<int64_t> s = scores.getShape();
  int64_t tq = s[s.size() - 2], tk = s.back();
  if (!ShapedType::isDynamic(tq) && !ShapedType::isDynamic(tk) && tq > tk)
    return opError(loc, getOperationName(),
                   "more queries (" + Twine(tq) + ") than keys (" + Twine(tk) +
                       ") in " + str(scores));
  types.push_back(tensorOf({tq, tk}, IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = tensorType(adaptor.getInput());
  auto idx = tensorType(adaptor.getIndices());
  if (in.getRank() != idx.getRank() + 1)
    return opError(loc, getOperationName(),
                   "input " + str(in) + " must have rank one more than indices " +
                       str(idx));
  Shape out;
  for (int64_t d = 0; d < idx.getRank(); ++d) {
    if (!dimsCompatible(in.getDimSize(d), idx.getDimSize(d)))
      return opError(loc, getOperationName(),
                     "indices " + str(idx) + " do not match the leading dims "
                         "of input " + str(in) + " at dim " + Twine(d));
    out.push_back(meetDim(in.getDimSize(d), idx.getDimSize(d)));
  }
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(std::optional<Location> loc, StringRef name,
                                 Value input, ArrayRef<int64_t> axes,
                                 bool keepDims, SmallVectorImpl<Type> &types) {
  auto in = tensorType(input);
  if (axes.empty())
    return opError(loc, name, "needs at least one axis");
  llvm::SmallSet<int64_t, 4> reduced;
  for (int64_t a : axes) {
    auto axis = normalizeAxis(a, in.getRank());
    if (!axis)
      return opError(loc, name,
                     "axis " + Twine(a) + " is out of range for " + str(in));
    if (!reduced.insert(*axis).second)
      return opError(loc, name,
                     "axis " + Twine(a) + " is listed twice in " +
                         shapeStr(axes));
  }
  Shape out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!reduced.contains(d))
      out.push_back(in.getDimSize(d));
    else if (keepDims)
      out.push_back(1);
  }
  types.push_back(tensorOf(out, in.getElementType()));
  return success();
}

#define LOOM_REDUCE_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferReduce(loc, getOperationName(), adaptor.getInput(),           \
                       adaptor.getAxes(), adaptor.getKeepDims(), types);      \
  }
LOOM_REDUCE_INFER(ReduceSumOp)
LOOM_REDUCE_INFER(ReduceMeanOp)
LOOM_REDUCE_INFER(ReduceMaxOp)
#undef LOOM_REDUCE_INFER
