//===- FuseSiblings.cpp - one pass over inputs that several ops read ------===//
//
// See Passes.td. Two all-parallel generics over the same iteration space
// that read a common input become one generic with the outputs of both; the
// merged body computes both bodies (CSE then shares what they share), so the
// common inputs are streamed from memory once.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSESIBLINGS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// An elementwise generic on tensors: all loops parallel, static ranges,
/// every output written at the identity (so its shape is the loop ranges).
bool isCandidate(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumReductionLoops() != 0 || op->getNumRegions() != 1)
    return false;
  for (int64_t r : op.getStaticLoopRanges())
    if (ShapedType::isDynamic(r))
      return false;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return false;
  // Outputs that are read (accumulators) would need their values carried
  // over; elementwise ops from the lowering never read them.
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.payloadUsesValueFromOperand(&init))
      return false;
  return true;
}

/// Both read one whole value (every element once: a permutation map)
/// through the same indexing map. A shared scalar or broadcast row (the
/// learning rate) is not worth a merge: it is no stream from memory.
bool shareAnInput(linalg::GenericOp a, linalg::GenericOp b) {
  for (OpOperand *x : a.getDpsInputOperands())
    for (OpOperand *y : b.getDpsInputOperands())
      if (x->get() == y->get() &&
          a.getMatchingIndexingMap(x) == b.getMatchingIndexingMap(y) &&
          a.getMatchingIndexingMap(x).isPermutation())
        return true;
  return false;
}

/// `a` (before `b` in the block) can move down to `b`: nothing between them
/// or `b` itself uses its results.
bool canSinkTo(linalg::GenericOp a, linalg::GenericOp b) {
  for (Operation *user : a->getUsers())
    if (user->getBlock() != b->getBlock() || !b->isBeforeInBlock(user))
      return false;
  return true;
}

/// A generic computing `a` and `b` at `b`'s position; results are a's then
/// b's.
linalg::GenericOp merge(linalg::GenericOp a, linalg::GenericOp b,
                        OpBuilder &builder) {
  SmallVector<Value> inputs, inits;
  SmallVector<AffineMap> maps;
  // Inputs: a's, then b's not already there (same value and map).
  SmallVector<std::pair<Value, AffineMap>> seen;
  auto addInput = [&](OpOperand *o, linalg::GenericOp op) -> unsigned {
    AffineMap m = op.getMatchingIndexingMap(o);
    for (auto [i, vm] : llvm::enumerate(seen))
      if (vm.first == o->get() && vm.second == m)
        return i;
    seen.push_back({o->get(), m});
    inputs.push_back(o->get());
    maps.push_back(m);
    return seen.size() - 1;
  };
  SmallVector<unsigned> aIn, bIn;
  for (OpOperand *o : a.getDpsInputOperands())
    aIn.push_back(addInput(o, a));
  for (OpOperand *o : b.getDpsInputOperands())
    bIn.push_back(addInput(o, b));
  SmallVector<Type> results;
  for (linalg::GenericOp op : {a, b})
    for (OpOperand &init : op.getDpsInitsMutable()) {
      inits.push_back(init.get());
      maps.push_back(op.getMatchingIndexingMap(&init));
      results.push_back(init.get().getType());
    }
  builder.setInsertionPoint(b);
  auto merged = linalg::GenericOp::create(
      builder, b.getLoc(), results, inputs, inits, maps,
      b.getIteratorTypesArray());
  // Block arguments: inputs, then a's outputs, then b's.
  Block *body = builder.createBlock(&merged.getRegion());
  for (Value v : inputs)
    body->addArgument(getElementTypeOrSelf(v.getType()), b.getLoc());
  for (Value v : inits)
    body->addArgument(getElementTypeOrSelf(v.getType()), b.getLoc());
  SmallVector<Value> yields;
  unsigned outBase = inputs.size();
  for (auto [op, inMap] : {std::pair(a, &aIn), std::pair(b, &bIn)}) {
    Block &old = op.getRegion().front();
    IRMapping map;
    for (auto [k, idx] : llvm::enumerate(*inMap))
      map.map(old.getArgument(k), body->getArgument(idx));
    for (unsigned k = 0; k < op.getNumDpsInits(); ++k)
      map.map(old.getArgument(op.getNumDpsInputs() + k),
              body->getArgument(outBase + k));
    outBase += op.getNumDpsInits();
    builder.setInsertionPointToEnd(body);
    for (Operation &inner : old.without_terminator())
      builder.clone(inner, map);
    for (Value y : old.getTerminator()->getOperands())
      yields.push_back(map.lookupOrDefault(y));
  }
  linalg::YieldOp::create(builder, b.getLoc(), yields);
  return merged;
}

struct LoomFuseSiblingsPass
    : public mlir::loom::impl::LoomFuseSiblingsBase<LoomFuseSiblingsPass> {
  void runOnOperation() override {
    // Per block, in order: each candidate absorbs the earlier candidates it
    // can (same loop ranges, a common input, no use in between).
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *b) { blocks.push_back(b); });
    for (Block *block : blocks) {
      SmallVector<linalg::GenericOp> open;
      for (Operation &op : llvm::make_early_inc_range(*block)) {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic || !isCandidate(generic))
          continue;
        for (size_t i = 0; i < open.size();) {
          linalg::GenericOp prior = open[i];
          if (prior.getStaticLoopRanges() != generic.getStaticLoopRanges() ||
              !shareAnInput(prior, generic) || !canSinkTo(prior, generic)) {
            ++i;
            continue;
          }
          OpBuilder builder(generic);
          linalg::GenericOp merged = merge(prior, generic, builder);
          unsigned na = prior.getNumResults();
          prior->replaceAllUsesWith(merged->getResults().take_front(na));
          generic->replaceAllUsesWith(merged->getResults().drop_front(na));
          prior->erase();
          generic->erase();
          generic = merged;
          open.erase(open.begin() + i);
        }
        open.push_back(generic);
      }
    }
  }
};

} // namespace
