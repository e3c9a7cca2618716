//===- AttentionMatch.cpp - attention as convert-loom-to-linalg leaves it -===//
//
// See AttentionMatch.h.
//
//===----------------------------------------------------------------------===//
#include "AttentionMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace mlir::loom::attention {

namespace {

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

bool isStaticF32(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32();
}

/// The single op of a generic's payload (arith.constants aside) that
/// produces the yielded value, when it has type OpTy.
template <typename OpTy> OpTy soleOp(linalg::GenericOp g) {
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return nullptr;
  auto op = yield.getOperand(0).getDefiningOp<OpTy>();
  if (!op || op->getBlock() != &body)
    return nullptr;
  for (Operation &other : body.without_terminator())
    if (&other != op.getOperation() && !isa<arith::ConstantOp>(other))
      return nullptr;
  return op;
}


/// The input operand a body value is the block argument of, or null.
OpOperand *inputOf(linalg::GenericOp g, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &g.getRegion().front() ||
      arg.getArgNumber() >= g.getNumDpsInputs())
    return nullptr;
  return g.getDpsInputOperand(arg.getArgNumber());
}

/// The output's block argument of a single-output generic.
Value outArg(linalg::GenericOp g) {
  return g.getRegion().front().getArgument(g.getNumDpsInputs());
}

/// The value a fill writes, when `v` is a linalg.fill of a constant.
std::optional<APFloat> fillValue(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.hasPureTensorSemantics())
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(fill.getInputs()[0], m_Constant(&attr)))
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValue();
  return std::nullopt;
}

/// An all-parallel generic over `rank` loops with one result written through
/// the identity (its init only shapes the result).
bool isElementwise(linalg::GenericOp g, unsigned rank) {
  return g && g.hasPureTensorSemantics() && g.getNumLoops() == rank &&
         g.getNumParallelLoops() == rank && g.getNumDpsInits() == 1 &&
         g.getIndexingMapsArray().back().isIdentity() &&
         !g.payloadUsesValueFromOperand(g.getDpsInitOperand(0)) &&
         isStaticF32(g->getResult(0));
}

/// A map that reads a row value ([rows.., 1] of a reduction over the last
/// of `rank` loops): the identity on the row loops, then 0 (or the last
/// loop itself when it has extent 1, as canonicalization leaves it).
bool readsRowValue(AffineMap map, unsigned rank, int64_t lastExtent) {
  if (map.getNumDims() != rank || map.getNumResults() != rank)
    return false;
  for (unsigned i = 0; i + 1 < rank; ++i)
    if (map.getResult(i) != getAffineDimExpr(i, map.getContext()))
      return false;
  AffineExpr last = map.getResult(rank - 1);
  if (auto c = dyn_cast<AffineConstantExpr>(last))
    return c.getValue() == 0;
  return lastExtent == 1 &&
         last == getAffineDimExpr(rank - 1, map.getContext());
}

/// A row reduction of the softmax: one input read in place, the init a fill
/// of `identity` written at (rows.., 0), the last loop reduced, the payload
/// one op of type OpTy combining the element and the accumulator.
template <typename OpTy>
bool isRowReduction(linalg::GenericOp g, unsigned rank, int64_t lastExtent,
                    bool (*identity)(const APFloat &)) {
  if (!g || !g.hasPureTensorSemantics() || g.getNumLoops() != rank ||
      g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 1 ||
      g.getIteratorTypesArray().back() != utils::IteratorType::reduction ||
      !g.getIndexingMapsArray()[0].isIdentity() ||
      !readsRowValue(g.getIndexingMapsArray()[1], rank, lastExtent))
    return false;
  if (lastExtent == 1 && !isa<AffineConstantExpr>(
                             g.getIndexingMapsArray()[1].getResult(rank - 1)))
    return false; // a "reduction" the output also indexes: not a row value
  std::optional<APFloat> init = fillValue(g.getDpsInits()[0]);
  if (!init || !identity(*init))
    return false;
  auto op = soleOp<OpTy>(g);
  if (!op)
    return false;
  Value in = g.getRegion().front().getArgument(0), out = outArg(g);
  return (op->getOperand(0) == in && op->getOperand(1) == out) ||
         (op->getOperand(0) == out && op->getOperand(1) == in);
}

std::optional<Contraction> contraction(linalg::GenericOp g) {
  if (!g || !g.hasPureTensorSemantics() || g.getNumDpsInputs() != 2 ||
      g.getNumDpsInits() != 1 || g.getNumReductionLoops() != 1 ||
      !linalg::isaContractionOpInterface(g))
    return std::nullopt;
  for (Value v : g->getOperands())
    if (!isStaticF32(v))
      return std::nullopt;
  std::optional<APFloat> init = fillValue(g.getDpsInits()[0]);
  if (!init || !init->isZero())
    return std::nullopt;
  Contraction c;
  c.op = g;
  unsigned loops = g.getNumLoops();
  c.roles.assign(loops, Role::Batch);
  c.batchDim.assign(loops, -1);
  AffineMap out = g.getIndexingMapsArray()[2];
  if (!out.isProjectedPermutation() || out.getNumResults() + 1 != loops ||
      out.getNumResults() < 2)
    return std::nullopt;
  unsigned rank = out.getNumResults();
  for (unsigned i = 0; i < rank; ++i) {
    unsigned d = cast<AffineDimExpr>(out.getResult(i)).getPosition();
    if (i + 2 < rank) {
      c.batchDim[d] = i;
    } else {
      c.roles[d] = i + 2 == rank ? Role::Row : Role::Col;
      (i + 2 == rank ? c.row : c.col) = d;
    }
  }
  for (unsigned d = 0; d < loops; ++d)
    if (g.getIteratorTypesArray()[d] == utils::IteratorType::reduction) {
      c.roles[d] = Role::Red;
      c.red = d;
    }
  if (c.red < 0 || c.roles[c.row] != Role::Row || c.roles[c.col] != Role::Col)
    return std::nullopt;
  // A reads rows and the reduced loop, B the columns and the reduced loop;
  // anything else either reads is a batch loop or a broadcast (constant 0).
  auto reads = [&](AffineMap m, int64_t d) {
    return llvm::is_contained(m.getResults(),
                              getAffineDimExpr(d, g.getContext()));
  };
  AffineMap a = g.getIndexingMapsArray()[0], b = g.getIndexingMapsArray()[1];
  if (!reads(a, c.row) || !reads(a, c.red) || reads(a, c.col) ||
      !reads(b, c.col) || !reads(b, c.red) || reads(b, c.row))
    return std::nullopt;
  for (AffineMap m : {a, b})
    for (AffineExpr e : m.getResults()) {
      if (auto k = dyn_cast<AffineConstantExpr>(e); k && k.getValue() == 0)
        continue;
      if (!isa<AffineDimExpr>(e))
        return std::nullopt;
    }
  return c;
}

/// The causal mask as loom lowers it: an input-less i1 generic over
/// [queries, keys] yielding `key <= query + shift`. Returns the shift.
std::optional<int64_t> causalShift(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 0 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 2 || g.getNumParallelLoops() != 2 ||
      !g.getIndexingMapsArray()[0].isIdentity())
    return std::nullopt;
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto cmpOp = yield.getOperand(0).getDefiningOp<arith::CmpIOp>();
  if (!cmpOp || cmpOp.getPredicate() != arith::CmpIPredicate::sle)
    return std::nullopt;
  auto indexOf = [&](Value x) -> int64_t {
    auto idx = x.getDefiningOp<linalg::IndexOp>();
    return idx && idx->getBlock() == &body ? int64_t(idx.getDim()) : -1;
  };
  if (indexOf(cmpOp.getLhs()) != 1)
    return std::nullopt;
  Value rhs = cmpOp.getRhs();
  int64_t shift = 0;
  if (auto add = rhs.getDefiningOp<arith::AddIOp>()) {
    std::optional<int64_t> c = getConstantIntValue(add.getRhs());
    rhs = add.getLhs();
    if (!c) {
      c = getConstantIntValue(add.getLhs());
      rhs = add.getRhs();
    }
    if (!c)
      return std::nullopt;
    shift = *c;
  }
  if (indexOf(rhs) != 0)
    return std::nullopt;
  // Nothing else in the body (index ops, the add and constants aside).
  for (Operation &op : body.without_terminator())
    if (!isa<linalg::IndexOp, arith::ConstantOp, arith::AddIOp,
             arith::CmpIOp>(op))
      return std::nullopt;
  return shift;
}

/// The value `user` reads as input `idx`, produced by a generic that has
/// no other users than `allowed`.
linalg::GenericOp producerOnlyFor(Value v, ArrayRef<Operation *> allowed) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1)
    return nullptr;
  for (Operation *user : g->getResult(0).getUsers())
    if (!llvm::is_contained(allowed, user))
      return nullptr;
  return g;
}

} // namespace

// The float a body value is, when it is a constant: defined by an
// arith.constant, or the block argument of a splat-constant input.
std::optional<APFloat> constantFloat(linalg::GenericOp g, Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != &g.getRegion().front() ||
        arg.getArgNumber() >= g.getNumDpsInputs())
      return std::nullopt;
    v = g.getDpsInputs()[arg.getArgNumber()];
  }
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValue();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr); dense && dense.isSplat())
    return dense.getSplatValue<APFloat>();
  return std::nullopt;
}

std::optional<Attention> matchAttention(linalg::GenericOp pvOp) {
  std::optional<Contraction> pv = contraction(pvOp);
  if (!pv)
    return std::nullopt;
  Attention a;
  a.pv = *pv;
  AffineMap pMap = pvOp.getIndexingMapsArray()[0];
  unsigned rank = pMap.getNumResults();
  a.rank = rank;
  // P is read as [batch.., rows, keys], its batch dims by the batch loops
  // of the output dims with the same numbers.
  for (unsigned i = 0; i < rank; ++i) {
    auto d = dyn_cast<AffineDimExpr>(pMap.getResult(i));
    if (!d)
      return std::nullopt;
    unsigned loop = d.getPosition();
    if (i + 2 < rank ? pv->batchDim[loop] != int64_t(i)
                     : loop != (i + 2 == rank ? pv->row : pv->red))
      return std::nullopt;
  }
  auto pType = cast<RankedTensorType>(pvOp.getDpsInputs()[0].getType());
  a.tq = pType.getDimSize(rank - 2);
  a.tk = pType.getDimSize(rank - 1);

  // P = E / L, L = sum(E), E = exp(X), X = S - max(S).
  a.div = producerOnlyFor(pvOp.getDpsInputs()[0], {pvOp});
  if (!isElementwise(a.div, rank) || a.div.getNumDpsInputs() != 2)
    return std::nullopt;
  auto divf = soleOp<arith::DivFOp>(a.div);
  if (!divf)
    return std::nullopt;
  OpOperand *eIn = inputOf(a.div, divf.getLhs()), *lIn = inputOf(a.div, divf.getRhs());
  if (!eIn || !lIn ||
      !a.div.getMatchingIndexingMap(eIn).isIdentity() ||
      !readsRowValue(a.div.getMatchingIndexingMap(lIn), rank, a.tk))
    return std::nullopt;
  a.divExp = eIn->getOperandNumber();
  a.divSum = lIn->getOperandNumber();
  a.sum = producerOnlyFor(lIn->get(), {a.div});
  a.exp = eIn->get().getDefiningOp<linalg::GenericOp>();
  if (!isRowReduction<arith::AddFOp>(
          a.sum, rank, a.tk, [](const APFloat &f) { return f.isPosZero(); }) ||
      a.sum.getDpsInputs()[0] != eIn->get() ||
      !producerOnlyFor(eIn->get(), {a.div, a.sum}))
    return std::nullopt;
  if (!isElementwise(a.exp, rank) || a.exp.getNumDpsInputs() != 1 ||
      !a.exp.getIndexingMapsArray()[0].isIdentity())
    return std::nullopt;
  auto expOp = soleOp<math::ExpOp>(a.exp);
  if (!expOp || expOp.getOperand() != a.exp.getRegion().front().getArgument(0))
    return std::nullopt;
  a.sub = producerOnlyFor(a.exp.getDpsInputs()[0], {a.exp});
  if (!isElementwise(a.sub, rank) || a.sub.getNumDpsInputs() != 2)
    return std::nullopt;
  auto subf = soleOp<arith::SubFOp>(a.sub);
  if (!subf)
    return std::nullopt;
  OpOperand *sIn = inputOf(a.sub, subf.getLhs()), *mIn = inputOf(a.sub, subf.getRhs());
  if (!sIn || !mIn || !a.sub.getMatchingIndexingMap(sIn).isIdentity() ||
      !readsRowValue(a.sub.getMatchingIndexingMap(mIn), rank, a.tk))
    return std::nullopt;
  a.subScores = sIn->getOperandNumber();
  a.subMax = mIn->getOperandNumber();
  a.max = producerOnlyFor(mIn->get(), {a.sub});
  if (!isRowReduction<arith::MaximumFOp>(
          a.max, rank, a.tk,
          [](const APFloat &f) { return f.isInfinity() && f.isNegative(); }) ||
      a.max.getDpsInputs()[0] != sIn->get())
    return std::nullopt;

  // S: the scores, through scale and mask steps, each read by the next only.
  Value s = sIn->get();
  SmallVector<Operation *> users = {a.max, a.sub};
  while (true) {
    auto g = producerOnlyFor(s, users);
    if (!g)
      return std::nullopt;
    if (linalg::isaContractionOpInterface(g))
      break;
    if (!isElementwise(g, rank))
      return std::nullopt;
    Step step{g, 0};
    bool found = false;
    for (OpOperand *in : g.getDpsInputOperands())
      if (in->get().getDefiningOp<linalg::GenericOp>() &&
          isStaticF32(in->get()) &&
          g.getMatchingIndexingMap(in).isIdentity() && !found) {
        // The previous step (an f32 generic read in place); checked below.
        step.chainInput = in->getOperandNumber();
        found = true;
      }
    if (!found)
      return std::nullopt;
    Value x = g.getRegion().front().getArgument(step.chainInput);
    if (auto mul = soleOp<arith::MulFOp>(g)) {
      Value other = mul.getLhs() == x ? mul.getRhs() : mul.getLhs();
      if ((mul.getLhs() != x && mul.getRhs() != x) || !constantFloat(g, other))
        return std::nullopt;
    } else if (auto sel = soleOp<arith::SelectOp>(g)) {
      std::optional<APFloat> fill = constantFloat(g, sel.getFalseValue());
      step.mask = inputOf(g, sel.getCondition());
      if (sel.getTrueValue() != x || !fill || !fill->isInfinity() ||
          !fill->isNegative() || !step.mask)
        return std::nullopt;
      // Broadcasts of the mask may use constant 0s; batch dims are sliced.
      AffineMap m = g.getMatchingIndexingMap(step.mask);
      for (AffineExpr e : m.getResults())
        if (!isa<AffineDimExpr>(e) &&
            !(isa<AffineConstantExpr>(e) &&
              cast<AffineConstantExpr>(e).getValue() == 0))
          return std::nullopt;
      AffineMap qk = AffineMap::get(
          rank, 0,
          {getAffineDimExpr(rank - 2, g.getContext()),
           getAffineDimExpr(rank - 1, g.getContext())},
          g.getContext());
      if (m == qk)
        step.shift = causalShift(step.mask->get());
    } else {
      return std::nullopt;
    }
    a.steps.push_back(step);
    s = g.getDpsInputs()[step.chainInput];
    users = {g};
  }
  std::reverse(a.steps.begin(), a.steps.end());
  // Skipping is exact when a causal select is the last step (or only masks
  // follow it: they keep -inf), and when every row keeps at least one key
  // (shift >= 0; otherwise a fully masked row must stay NaN).
  for (auto [i, step] : llvm::enumerate(a.steps)) {
    if (!step.shift || *step.shift < 0)
      continue;
    bool onlyMasksAfter = llvm::all_of(
        ArrayRef<Step>(a.steps).drop_front(i + 1),
        [](const Step &t) { return t.mask != nullptr; });
    if (onlyMasksAfter)
      a.causal = step.shift;
  }

  std::optional<Contraction> qk =
      contraction(s.getDefiningOp<linalg::GenericOp>());
  if (!qk || qk->op->getResult(0).getType() != pType)
    return std::nullopt;
  a.qk = *qk;
  return a;
}

} // namespace mlir::loom::attention
