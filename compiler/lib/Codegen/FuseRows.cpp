//===- FuseRows.cpp - row normalizations one block of rows at a time ------===//
//
// See Passes.td. Finds chains of generics that end in an all-parallel
// consumer reading row reductions of the same space (layer norm, softmax,
// their backward passes), tiles the consumer along its row dimensions and
// fuses the chain into the tile loop.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSEROWS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "loom.parallel";

/// A map that keeps loop i at result i or broadcasts it (constant 0), over
/// `rank` loops: a block of rows of one op is the same block of the other.
bool keepsDimsInPlace(AffineMap map, unsigned rank) {
  if (map.getNumDims() != rank || map.getNumResults() != rank)
    return false;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (d.getPosition() != i)
        return false;
    } else if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/// The positions where `map` has the constant 0.
SmallVector<unsigned> zeroResults(AffineMap map) {
  SmallVector<unsigned> zeros;
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto c = dyn_cast<AffineConstantExpr>(e); c && c.getValue() == 0)
      zeros.push_back(i);
  return zeros;
}

AffineMap dropResults(AffineMap map, ArrayRef<unsigned> positions) {
  SmallVector<AffineExpr> kept;
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (!llvm::is_contained(positions, i))
      kept.push_back(e);
  return AffineMap::get(map.getNumDims(), 0, kept, map.getContext());
}

/// The reassociation that drops the unit dims at `zeros` from `type`: each
/// kept dim takes the dropped dims that follow it (leading dropped dims go
/// with the first kept one).
SmallVector<ReassociationIndices>
unitDimsReassociation(RankedTensorType type, ArrayRef<unsigned> zeros) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    bool dropped = llvm::is_contained(zeros, unsigned(i));
    if (dropped && groups.empty()) {
      leading.push_back(i);
    } else if (dropped) {
      groups.back().push_back(i);
    } else {
      groups.emplace_back(leading);
      groups.back().push_back(i);
      leading.clear();
    }
  }
  return groups; // empty when every dim is dropped (a rank-0 source)
}

/// Row reductions keep their reduced dims as size-1 dims written at the
/// constant 0 ([rows, 1], read through (d0, 0)), which tiling cannot slice.
/// Inside a chain every such value is read by chain members only, so it
/// is rebuilt without those dims: its init becomes a smaller tensor.empty
/// (and fill), its producer and readers drop the constant results of their
/// maps. Returns the rebuilt chain (consumer first), or nothing when a
/// value does not have that form (the chain is then left alone).
std::optional<SmallVector<Operation *>>
dropBroadcastDims(ArrayRef<Operation *> chain, RewriterBase &rewriter) {
  DenseSet<Operation *> members(chain.begin(), chain.end());
  Operation *consumer = chain.front();
  // Check first: every init written at constant 0 comes from an empty
  // tensor (or a fill of one), and its readers read those dims at 0.
  for (Operation *op : chain) {
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g)
      continue;
    for (OpOperand &init : g.getDpsInitsMutable()) {
      SmallVector<unsigned> zeros =
          zeroResults(g.getMatchingIndexingMap(&init));
      if (zeros.empty())
        continue;
      Value v = init.get();
      if (auto fill = v.getDefiningOp<linalg::FillOp>())
        v = fill.getDpsInits()[0];
      if (!v.getDefiningOp<tensor::EmptyOp>())
        return std::nullopt;
      OpResult result = g.getTiedOpResult(&init);
      for (OpOperand &use : result.getUses()) {
        // Users outside the chain keep the full shape (an expand_shape of
        // the rebuilt value, below).
        if (!members.contains(use.getOwner()))
          continue;
        auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
        if (!user || user.isDpsInit(&use))
          return std::nullopt;
        // Read at 0, or by a loop of extent 1 (a row-space op).
        AffineMap m = user.getMatchingIndexingMap(&use);
        SmallVector<int64_t> userRanges = user.getStaticLoopRanges();
        for (unsigned z : zeros) {
          AffineExpr e = m.getResult(z);
          auto d = dyn_cast<AffineDimExpr>(e);
          if (!isa<AffineConstantExpr>(e) &&
              !(d && userRanges[d.getPosition()] == 1))
            return std::nullopt;
        }
      }
    }
  }
  // Rebuild in program order (producers first).
  SmallVector<Operation *> ordered(chain.begin(), chain.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  DenseMap<Value, std::pair<Value, SmallVector<unsigned>>> collapsed;
  DenseMap<Operation *, Operation *> rebuilt;
  for (Operation *op : ordered) {
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g)
      continue;
    bool touched = false;
    for (OpOperand &operand : g->getOpOperands())
      if (collapsed.count(operand.get()) ||
          (g.isDpsInit(&operand) &&
           !zeroResults(g.getMatchingIndexingMap(&operand)).empty()))
        touched = true;
    if (!touched)
      continue;
    rewriter.setInsertionPoint(g);
    Location loc = g.getLoc();
    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : g.getDpsInputOperands()) {
      AffineMap m = g.getMatchingIndexingMap(in);
      auto it = collapsed.find(in->get());
      if (it == collapsed.end()) {
        inputs.push_back(in->get());
        maps.push_back(m);
      } else {
        inputs.push_back(it->second.first);
        maps.push_back(dropResults(m, it->second.second));
      }
    }
    SmallVector<SmallVector<unsigned>> initZeros;
    for (OpOperand &init : g.getDpsInitsMutable()) {
      AffineMap m = g.getMatchingIndexingMap(&init);
      SmallVector<unsigned> zeros = zeroResults(m);
      initZeros.push_back(zeros);
      if (zeros.empty()) {
        inits.push_back(init.get());
        maps.push_back(m);
        continue;
      }
      auto type = cast<RankedTensorType>(init.get().getType());
      SmallVector<int64_t> shape;
      for (auto [i, d] : llvm::enumerate(type.getShape()))
        if (!llvm::is_contained(zeros, i))
          shape.push_back(d);
      Value empty = tensor::EmptyOp::create(rewriter, loc, shape,
                                            type.getElementType());
      if (auto fill = init.get().getDefiningOp<linalg::FillOp>())
        empty = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0],
                                       empty)
                    .getResult(0);
      inits.push_back(empty);
      maps.push_back(dropResults(m, zeros));
    }
    auto ng = linalg::GenericOp::create(
        rewriter, loc, TypeRange(ValueRange(inits)), inputs, inits, maps,
        g.getIteratorTypesArray());
    rewriter.inlineRegionBefore(g.getRegion(), ng.getRegion(),
                                ng.getRegion().begin());
    for (auto [i, r] : llvm::enumerate(g->getResults())) {
      if (initZeros[i].empty()) {
        rewriter.replaceAllUsesWith(r, ng->getResult(i));
        continue;
      }
      collapsed[r] = {ng->getResult(i), initZeros[i]};
      if (llvm::all_of(r.getUsers(),
                       [&](Operation *u) { return members.contains(u); }))
        continue;
      rewriter.setInsertionPointAfter(ng);
      Value full = tensor::ExpandShapeOp::create(
          rewriter, loc, r.getType(), ng->getResult(i),
          unitDimsReassociation(cast<RankedTensorType>(r.getType()),
                                initZeros[i]));
      rewriter.replaceUsesWithIf(r, full, [&](OpOperand &use) {
        return !members.contains(use.getOwner());
      });
    }
    rebuilt[g] = ng;
  }
  // The old generics are dead (their collapsed results were read by
  // rebuilt members only); fills that fed them may be too.
  SmallVector<Operation *> result;
  for (Operation *op : chain) {
    auto it = rebuilt.find(op);
    result.push_back(it == rebuilt.end() ? op : it->second);
  }
  for (Operation *op : llvm::reverse(ordered))
    if (rebuilt.count(op))
      rewriter.eraseOp(op);
  // New fills belong to the chain; old ones that lost their users go.
  SmallVector<Operation *> extra;
  for (auto [old, ng] : rebuilt)
    for (Value init : cast<linalg::GenericOp>(ng).getDpsInits())
      if (auto fill = init.getDefiningOp<linalg::FillOp>())
        extra.push_back(fill);
  SmallVector<Operation *> kept;
  for (Operation *op : result)
    if (!isa<linalg::FillOp>(op) || !op->use_empty())
      kept.push_back(op);
    else
      rewriter.eraseOp(op);
  llvm::append_range(kept, extra);
  return kept;
}

struct LoomFuseRowsPass
    : public mlir::loom::impl::LoomFuseRowsBase<LoomFuseRowsPass> {
  using LoomFuseRowsBase::LoomFuseRowsBase;

  void runOnOperation() override {
    // Last first: a chain's consumer comes after its producers. Fusing
    // rebuilds and erases ops, so the next candidate is looked up afresh
    // each time (top-level ops only: the tiled consumers inside the new
    // loops are done); a mark remembers the ones already tried.
    // One function at a time: a module of many functions (shape buckets,
    // training steps) is then linear in their number, not quadratic.
    constexpr llvm::StringLiteral kTried = "loom.fuse_rows_tried";
    SmallVector<Operation *> scopes;
    if (auto module = dyn_cast<ModuleOp>(getOperation()))
      for (Operation &op : module.getBody()->getOperations()) {
        if (isa<FunctionOpInterface>(op))
          scopes.push_back(&op);
      }
    else
      scopes.push_back(getOperation());
    for (Operation *scope : scopes)
      while (true) {
        linalg::GenericOp next;
        scope->walk([&](linalg::GenericOp op) {
          if (!op->hasAttr(kTried) &&
              isa_and_nonnull<FunctionOpInterface>(op->getParentOp()) &&
              isConsumer(op))
            next = op; // the last one wins
        });
        if (!next)
          break;
        next->setAttr(kTried, UnitAttr::get(&getContext()));
        fuse(next);
      }
    getOperation()->walk([&](linalg::GenericOp op) { op->removeAttr(kTried); });
    // A block's temporaries (x - mean, the row sums) are slices of
    // whole-tensor empties: made block-sized empties, they become small
    // buffers inside the loop (on the stack, loom-plan-arena) instead of
    // whole-tensor arena buffers that every block writes back to memory.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
    privatizeTemporaries(getOperation());
  }

  /// Those block-sized empties must stay inside their loop. A tensor.empty
  /// is pure: the next cse merges it with an equal empty before the loop
  /// (an imported GPT's position embedding [1, T, d] has the shape of a
  /// batch entry's layer-norm temporary), and every thread of the parallel
  /// loop then writes that one arena buffer (wrong logits now and then on
  /// 2+ threads). So each loop is cse'd on its own first (equal fills of
  /// empties in it still merge, see unshareFills), then its remaining
  /// empties become alloc_tensors, which nothing merges or hoists
  /// (loom-fuse-attention's scratch: per-thread stack buffers).
  static void privatizeTemporaries(Operation *root) {
    SmallVector<scf::ForOp> loops;
    root->walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!loop->hasAttr(kParallelAttr))
        return WalkResult::advance();
      loops.push_back(loop);
      return WalkResult::skip(); // nested parallel loops: done with it
    });
    IRRewriter rewriter(root->getContext());
    DominanceInfo dominance;
    for (scf::ForOp loop : loops) {
      eliminateCommonSubExpressions(rewriter, dominance, loop);
      SmallVector<tensor::EmptyOp> empties;
      loop.getBody()->walk([&](tensor::EmptyOp e) { empties.push_back(e); });
      for (tensor::EmptyOp e : empties) {
        rewriter.setInsertionPoint(e);
        rewriter.replaceOpWithNewOp<bufferization::AllocTensorOp>(
            e, e.getType(), e.getDynamicSizes());
      }
    }
  }

  /// An all-parallel generic on tensors with static ranges and at least two
  /// loops (rows and a row), or a row reduction of that form (a cross
  /// entropy's sum of exponentials after the row max, when no gradient
  /// follows: the two then share one pass).
  static bool isConsumer(linalg::GenericOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
        linalg::isaContractionOpInterface(op))
      return false;
    if (op.getNumReductionLoops() != 0) {
      SmallVector<utils::IteratorType> it = op.getIteratorTypesArray();
      unsigned parallel = op.getNumParallelLoops();
      if (op.getNumDpsInits() != 1 || parallel == 0 ||
          llvm::any_of(ArrayRef(it).take_front(parallel), [](auto t) {
            return t != utils::IteratorType::parallel;
          }))
        return false;
    }
    for (int64_t r : op.getStaticLoopRanges())
      if (ShapedType::isDynamic(r) || r <= 0)
        return false;
    return true;
  }

  /// The ops the consumer's chain consists of (consumer first), or empty
  /// when it has no row reduction or does not qualify.
  SmallVector<Operation *> chainOf(linalg::GenericOp consumer,
                                   int64_t &rowDims, bool shareReductions) {
    unsigned rank = consumer.getNumLoops();
    SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
    llvm::SetVector<Operation *> chain;
    chain.insert(consumer);
    auto eligible = [&](Operation *p) {
      if (auto fill = dyn_cast<linalg::FillOp>(p))
        return fill.hasPureTensorSemantics();
      auto g = dyn_cast<linalg::GenericOp>(p);
      if (!g || !g.hasPureTensorSemantics() || g.getNumLoops() != rank ||
          linalg::isaContractionOpInterface(g))
        return false;
      // The consumer's space, or its space of rows (row dims of extent 1:
      // the mean and the reciprocal deviation from the row sums).
      for (auto [r, c] : llvm::zip(g.getStaticLoopRanges(), ranges))
        if (r != c && r != 1)
          return false;
      for (AffineMap m : g.getIndexingMapsArray())
        if (!keepsDimsInPlace(m, rank) &&
            !(m.getNumResults() < rank && m.isProjectedPermutation()))
          return false;
      for (OpOperand &init : g.getDpsInitsMutable())
        if (!keepsDimsInPlace(g.getMatchingIndexingMap(&init), rank))
          return false;
      return true;
    };
    bool changed = true;
    while (changed) {
      changed = false;
      for (size_t i = 0; i < chain.size(); ++i) {
        Operation *op = chain[i];
        for (Value v : op->getOperands()) {
          Operation *p = v.getDefiningOp();
          if (!p || chain.contains(p) || !eligible(p))
            continue;
          // A row reduction read outside the chain too (the row max and
          // sum of exponentials that a cross entropy's loss and its
          // gradient share, a layer norm's statistics its backward reads)
          // is computed in the chain's loop and its result yielded from
          // it; other producers with outside users are read, not fused.
          bool internal = llvm::all_of(p->getUsers(), [&](Operation *u) {
            return chain.contains(u);
          });
          if (!internal && !(shareReductions && isRowStatistic(p, ranges)))
            continue;
          chain.insert(p);
          changed = true;
        }
      }
    }
    // The chain's reductions fix the row: the trailing loops they reduce.
    // Every reduction must reduce exactly those, and every member must read
    // the other members in place (or broadcast).
    int64_t firstReduced = -1;
    for (Operation *op : chain) {
      auto g = dyn_cast<linalg::GenericOp>(op);
      if (!g || g.getNumReductionLoops() == 0)
        continue;
      SmallVector<utils::IteratorType> it = g.getIteratorTypesArray();
      int64_t first = rank;
      while (first > 0 && it[first - 1] == utils::IteratorType::reduction)
        --first;
      if (first == 0 || g.getNumReductionLoops() != rank - first)
        return {};
      if (firstReduced != -1 && firstReduced != first)
        return {};
      firstReduced = first;
    }
    if (firstReduced == -1)
      return {};
    for (Operation *op : chain) {
      auto g = dyn_cast<linalg::GenericOp>(op);
      if (!g)
        continue;
      for (OpOperand &use : g->getOpOperands()) {
        Operation *p = use.get().getDefiningOp();
        if (p && chain.contains(p) &&
            !keepsDimsInPlace(g.getMatchingIndexingMap(&use), rank))
          return {};
      }
    }
    rowDims = rank - firstReduced;
    return chain.takeVector();
  }

  /// A value per row: a generic reducing its trailing loops into a result
  /// that keeps them as size-1 dims (a row sum or max), or one computed in
  /// the space of rows (loop extents 1 where the consumer's are not: the
  /// mean, the reciprocal deviation). Cheap to hand out of the loop.
  static bool isRowStatistic(Operation *op, ArrayRef<int64_t> consumerRanges) {
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g || g.getNumDpsInits() != 1)
      return false;
    if (g.getNumReductionLoops() > 0)
      return !zeroResults(g.getMatchingIndexingMap(g.getDpsInitOperand(0)))
                  .empty();
    for (auto [r, c] : llvm::zip(g.getStaticLoopRanges(), consumerRanges))
      if (r == 1 && c != 1)
        return true;
    return false;
  }

  /// Whether the chain's results that are yielded to users outside it can
  /// be: no value the chain reads may depend on those users (the loop
  /// would then need what it computes).
  static bool outsideUsersAfterChain(ArrayRef<Operation *> chain) {
    DenseSet<Operation *> members(chain.begin(), chain.end());
    Block *block = chain.front()->getBlock();
    SetVector<Operation *> outsideUsers;
    for (Operation *op : chain)
      for (Operation *user : op->getUsers())
        if (!members.contains(user)) {
          // A use inside another op's region counts as that op's.
          Operation *top = block->findAncestorOpInBlock(*user);
          if (!top)
            return false;
          outsideUsers.insert(top);
        }
    if (outsideUsers.empty())
      return true;
    BackwardSliceOptions options;
    options.omitBlockArguments = true;
    options.omitUsesFromAbove = false;
    options.inclusive = true;
    SetVector<Operation *> slice;
    for (Operation *op : chain)
      op->walk([&](Operation *nested) {
        for (Value v : nested->getOperands()) {
          Operation *def = v.getDefiningOp();
          if (def && !members.contains(def) && !slice.contains(def))
            (void)getBackwardSlice(def, &slice, options);
        }
      });
    return llvm::none_of(outsideUsers,
                         [&](Operation *u) { return slice.contains(u); });
  }

  /// A yielded copy of a reduction starts from a fill of its slice of the
  /// loop's result; the other copies from a fill of a block-sized empty.
  /// The fill overwrites what it fills: made a fill of an empty too, the
  /// copies become identical and cse keeps one.
  static void unshareFills(LoopLikeOpInterface loop, RewriterBase &rewriter) {
    SmallVector<linalg::FillOp> fills;
    loop->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() &&
          fill.getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      auto type = cast<RankedTensorType>(fill.getResult(0).getType());
      if (!type.hasStaticShape())
        continue;
      rewriter.setInsertionPoint(fill);
      Value empty = tensor::EmptyOp::create(rewriter, fill.getLoc(),
                                            type.getShape(),
                                            type.getElementType());
      rewriter.modifyOpInPlace(
          fill, [&] { fill.getDpsInitsMutable()[0].assign(empty); });
    }
  }

  void fuse(linalg::GenericOp consumer) {
    int64_t rowDims = 0;
    // Shared reductions first; when their outside users feed the chain
    // (a layer norm's backward reading the statistics of the forward
    // whose output it differentiates), without them: the forward's own
    // chain computes and yields them.
    SmallVector<Operation *> chain =
        chainOf(consumer, rowDims, /*shareReductions=*/true);
    if (!chain.empty() && !outsideUsersAfterChain(chain))
      chain = chainOf(consumer, rowDims, /*shareReductions=*/false);
    // A reduction alone is one pass already.
    auto generics = [](ArrayRef<Operation *> ops) {
      return llvm::count_if(ops, [](Operation *op) {
        return isa<linalg::GenericOp>(op);
      });
    };
    if (chain.empty() ||
        (consumer.getNumReductionLoops() != 0 && generics(chain) < 2))
      return;
    unsigned rank = consumer.getNumLoops();
    SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
    // Rows per block: the largest divisor of the innermost row-indexing
    // dimension that keeps a block within tileBytes (a divisor: blocks stay
    // static, so their reduction buffers can live on the stack).
    int64_t rowBytes = 4;
    for (unsigned d = rank - rowDims; d < rank; ++d)
      rowBytes *= ranges[d];
    unsigned inner = rank - rowDims - 1;
    int64_t want = std::max<int64_t>(1, tileBytes / rowBytes);
    int64_t block = 1;
    for (int64_t b = std::min(want, ranges[inner]); b >= 1; --b)
      if (ranges[inner] % b == 0) {
        block = b;
        break;
      }
    SmallVector<int64_t> sizes(rank, 0);
    for (unsigned d = 0; d < inner; ++d)
      sizes[d] = 1;
    sizes[inner] = block;

    MLIRContext *ctx = consumer.getContext();
    IRRewriter rewriter(ctx);
    std::optional<SmallVector<Operation *>> clean =
        dropBroadcastDims(chain, rewriter);
    if (!clean)
      return;
    chain = std::move(*clean);
    consumer = cast<linalg::GenericOp>(chain.front());
    DenseSet<Operation *> members(chain.begin(), chain.end());
    // Members read outside the chain: their results leave the loop. A
    // producer is fused once per slice that reads it (the row max for the
    // sum of exponentials and again for the consumer); the first copy is
    // yielded, the others are identical computations that cse merges below.
    DenseSet<Operation *> toYield, yieldedOnce;
    for (Operation *op : chain)
      if (op != consumer.getOperation() &&
          llvm::any_of(op->getUsers(),
                       [&](Operation *u) { return !members.contains(u); }))
        toYield.insert(op);
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (!members.contains(producer.getOwner()))
            return std::nullopt;
          scf::SCFTileAndFuseOptions::ControlFnResult fuse;
          fuse.yieldProducerReplacement =
              toYield.contains(producer.getOwner()) &&
              yieldedOnce.insert(producer.getOwner()).second;
          return fuse;
        });
    rewriter.setInsertionPoint(consumer);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(consumer.getOperation()), options);
    if (failed(result))
      return; // left as it was: separate kernels
    // The consumer's results, and those of producers read outside the
    // chain, come from the loop now.
    bool yielded = false;
    for (Operation *op : chain)
      for (OpResult r : op->getResults()) {
        auto it = result->replacements.find(r);
        if (it == result->replacements.end())
          continue;
        yielded |= op != consumer.getOperation();
        rewriter.replaceUsesWithIf(r, it->second, [&](OpOperand &use) {
          return !members.contains(use.getOwner());
        });
      }
    for (LoopLikeOpInterface loop : result->loops)
      loop->setAttr(kParallelAttr, rewriter.getUnitAttr());
    if (!toYield.empty())
      unshareFills(result->loops.back(), rewriter);
    // The chain outside the loop is dead now (its only users were the
    // chain): consumer first, so producers lose their users in turn.
    Block *body = consumer->getBlock();
    for (Operation *op : chain)
      if (op->use_empty())
        rewriter.eraseOp(op);
    // Outside users of a yielded result may precede the loop (the forward
    // loss reads the row max the gradient's loop now computes): they move
    // after it.
    if (yielded)
      moveDependentsAfter(result->loops.front(), body);
  }

  /// Moves the ops of `body` before `loop` that read its results (directly,
  /// inside their regions, or through each other) to just after it, in
  /// their order. The loop reads none of them (outsideUsersAfterChain), so
  /// the order stays valid, and they stay close to where they were: the
  /// values they read are not kept alive across the rest of the block.
  static void moveDependentsAfter(Operation *loop, Block *body) {
    DenseSet<Operation *> dependent = {loop};
    SmallVector<Operation *> toMove;
    for (Operation &op : *body) {
      if (&op == loop)
        break;
      bool reads = false;
      op.walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          if (Operation *def = v.getDefiningOp())
            if (Operation *top = body->findAncestorOpInBlock(*def))
              reads |= dependent.contains(top);
      });
      if (reads) {
        dependent.insert(&op);
        toMove.push_back(&op);
      }
    }
    Operation *after = loop;
    for (Operation *op : toMove) {
      op->moveAfter(after);
      after = op;
    }
  }
};

} // namespace
