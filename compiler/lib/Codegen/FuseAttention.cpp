//===- FuseAttention.cpp - attention one block of queries at a time -------===//
//
// See Passes.td. Matches attention as convert-loom-to-linalg leaves it (the
// QKᵀ contraction, its scale and masks, the softmax's row max, exp, row sum
// and quotient, the PV contraction) and rebuilds it as one loop over
// (batch, head, block of query rows): the block's scores live in a
// block-sized temporary instead of a [.., T, T] tensor, and under a causal
// mask the key chunks above the diagonal are never computed.
//
//===----------------------------------------------------------------------===//
#include "AttentionMatch.h"
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMFUSEATTENTION
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom::attention;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "loom.parallel";

/// loom-plan-arena keeps an allocation inside a loop on the stack only up to
/// this size; a block of scores must fit.
constexpr int64_t kMaxBlockBytes = 256 * 1024;

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

/// Where one block is: the batch indices (one per batch dim of the scores),
/// its first query row and its static number of rows.
struct QueryBlock {
  SmallVector<Value> batch;
  Value q0;
  int64_t rows;
};

/// Offsets and sizes of a contraction's loops for one chunk: batch loops at
/// the block's batch index (extent 1), rows at the block, the chunk's keys
/// on `keyRole`, the rest whole.
void loopTile(OpBuilder &b, Contraction &c, const QueryBlock &blk, Role keyRole,
              Value k0, int64_t kc, SmallVector<OpFoldResult> &offsets,
              SmallVector<int64_t> &sizes) {
  SmallVector<int64_t> extents = c.op.getStaticLoopRanges();
  offsets.assign(extents.size(), b.getIndexAttr(0));
  sizes.assign(extents.begin(), extents.end());
  for (auto [d, role] : llvm::enumerate(c.roles)) {
    if (role == Role::Batch) {
      offsets[d] = blk.batch[c.batchDim[d]];
      sizes[d] = 1;
    } else if (role == Role::Row) {
      offsets[d] = blk.q0;
      sizes[d] = blk.rows;
    } else if (role == keyRole) {
      offsets[d] = k0;
      sizes[d] = kc;
    }
  }
}

/// The part of `v` that loops with `offsets`/`sizes` read through `map`,
/// without the dims of dropped loops and broadcasts. `kept` gets the loops
/// of the remaining dims, in order.
Value slice(OpBuilder &b, Location loc, Value v, AffineMap map,
            ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
            function_ref<bool(unsigned)> dropLoop,
            SmallVector<unsigned> &kept) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> off, sz, strides(map.getNumResults(),
                                             b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  kept.clear();
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      unsigned loop = d.getPosition();
      off.push_back(offsets[loop]);
      sz.push_back(b.getIndexAttr(sizes[loop]));
      if (!dropLoop(loop)) {
        shape.push_back(sizes[loop]);
        kept.push_back(loop);
      }
    } else {
      off.push_back(b.getIndexAttr(0));
      sz.push_back(b.getIndexAttr(1));
    }
  }
  auto sliceType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, sliceType, v, off, sz, strides);
}

/// The map of a sliced operand in a generic whose loop `newLoop[l]` is the
/// old loop l.
AffineMap keptMap(ArrayRef<unsigned> kept, ArrayRef<int64_t> newLoop,
                  unsigned loops, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (unsigned l : kept)
    exprs.push_back(getAffineDimExpr(newLoop[l], ctx));
  return AffineMap::get(loops, 0, exprs, ctx);
}

/// Clones the payload of `g` with its block arguments standing for `args`
/// (null for arguments the payload does not read); returns the yielded
/// value.
Value inlinePayload(OpBuilder &b, linalg::GenericOp g, ArrayRef<Value> args) {
  IRMapping map;
  Block &body = g.getRegion().front();
  for (auto [arg, v] : llvm::zip(body.getArguments(), args))
    if (v)
      map.map(arg, v);
  for (Operation &op : body.without_terminator())
    b.clone(op, map);
  return map.lookupOrDefault(
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
}

struct LoomFuseAttentionPass
    : public mlir::loom::impl::LoomFuseAttentionBase<LoomFuseAttentionPass> {
  using LoomFuseAttentionBase::LoomFuseAttentionBase;

  void runOnOperation() override {
    if (queryBlock <= 0 || keyBlock <= 0 || blockBytes <= 0) {
      getOperation()->emitError(
          "loom-fuse-attention: block sizes must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumDpsInputs() == 2 && op.getNumReductionLoops() == 1)
        candidates.push_back(op);
    });
    for (linalg::GenericOp pv : candidates)
      if (std::optional<Attention> a = matchAttention(pv))
        rewrite(*a);
  }

  /// Chunks of keys: `full` of `kc` keys, then `rem` more, as far as
  /// `count` (a value: fewer under a causal mask) and `remNeeded` say. Under
  /// a causal mask the first `clean` chunks are wholly visible to every row
  /// of the block: their scores need no mask.
  struct Chunks {
    int64_t kc, full, rem;
    Value count;     // full chunks this block needs
    Value remNeeded; // null: always (when rem > 0)
    Value clean;     // null: no chunk is known to be unmasked
  };

  using ChunkBody = function_ref<SmallVector<Value>(
      OpBuilder &, Location, Value k0, int64_t kc, bool clean,
      ValueRange iters)>;

  /// Runs `body` over the block's chunks, threading `inits` through; with
  /// `splitClean`, the unmasked chunks get a loop (and body) of their own.
  SmallVector<Value> forChunks(OpBuilder &b, Location loc, const Chunks &ch,
                               bool splitClean, ValueRange inits,
                               ChunkBody body) {
    SmallVector<Value> vals(inits);
    Value kcv = arith::ConstantIndexOp::create(b, loc, ch.kc);
    auto loop = [&](Value from, Value to, bool clean) {
      auto l = scf::ForOp::create(
          b, loc, from, to, arith::ConstantIndexOp::create(b, loc, 1), vals,
          [&](OpBuilder &nb, Location l, Value j, ValueRange iters) {
            Value k0 = arith::MulIOp::create(nb, l, j, kcv);
            scf::YieldOp::create(nb, l, body(nb, l, k0, ch.kc, clean, iters));
          });
      vals.assign(l.getResults().begin(), l.getResults().end());
    };
    if (ch.full > 0) {
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
      if (splitClean && ch.clean) {
        loop(c0, ch.clean, /*clean=*/true);
        loop(ch.clean, ch.count, /*clean=*/false);
      } else {
        loop(c0, ch.count, /*clean=*/false);
      }
    }
    if (ch.rem > 0) {
      Value k0 = arith::ConstantIndexOp::create(b, loc, ch.full * ch.kc);
      if (!ch.remNeeded) {
        vals = body(b, loc, k0, ch.rem, false, vals);
      } else {
        auto branch = scf::IfOp::create(
            b, loc, ch.remNeeded,
            [&](OpBuilder &nb, Location l) {
              scf::YieldOp::create(nb, l, body(nb, l, k0, ch.rem, false, vals));
            },
            [&](OpBuilder &nb, Location l) {
              scf::YieldOp::create(nb, l, vals);
            });
        vals.assign(branch.getResults().begin(), branch.getResults().end());
      }
    }
    return vals;
  }

  /// C[m, n] += A[..] · B[..] over loops (m, n, k), with the payload (the
  /// multiply-add, its fast-math flags) of `like`.
  Value contract(OpBuilder &b, Location loc, linalg::GenericOp like, Value lhs,
                 AffineMap lhsMap, Value rhs, AffineMap rhsMap, Value acc) {
    MLIRContext *ctx = b.getContext();
    AffineMap out = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{acc.getType()}, ValueRange{lhs, rhs},
        ValueRange{acc}, ArrayRef<AffineMap>{lhsMap, rhsMap, out},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction});
    IRMapping none;
    like.getRegion().cloneInto(&g.getRegion(), none);
    // The payload multiplies its first two arguments: swapped operands
    // give the same products.
    return g->getResult(0);
  }

  /// Operand `idx` of contraction `c` sliced at the block and chunk,
  /// without batch and broadcast dims; its map over new loops `newLoop`.
  std::pair<Value, AffineMap> sliceOperand(OpBuilder &b, Location loc,
                                           Contraction &c, unsigned idx,
                                           const QueryBlock &blk, Role keyRole,
                                           Value k0, int64_t kc,
                                           ArrayRef<int64_t> newLoop) {
    SmallVector<OpFoldResult> offsets;
    SmallVector<int64_t> sizes;
    loopTile(b, c, blk, keyRole, k0, kc, offsets, sizes);
    SmallVector<unsigned> kept;
    Value v = slice(b, loc, c.op.getDpsInputs()[idx],
                    c.op.getIndexingMapsArray()[idx], offsets, sizes,
                    [&](unsigned l) { return c.roles[l] == Role::Batch; },
                    kept);
    return {v, keptMap(kept, newLoop, 3, b.getContext())};
  }

  /// A block's (or chunk's) f32 temporary. Not a tensor.empty: CSE merges
  /// equal empties, and one of the loop's shape outside it (GPT's [64, 64]
  /// weights' gradients, say) would make every thread's temporary one
  /// arena buffer. An alloc_tensor is never merged: each is an allocation
  /// in the loop body, which loom-plan-arena puts on the stack.
  static Value scratch(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
    return bufferization::AllocTensorOp::create(
        b, loc, RankedTensorType::get(shape, b.getF32Type()), ValueRange{});
  }

  /// A temporary filled with the value the fill `like` writes.
  Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
               Value like) {
    auto fill = like.getDefiningOp<linalg::FillOp>();
    return linalg::FillOp::create(b, loc, fill.getInputs()[0],
                                  scratch(b, loc, shape))
        .getResult(0);
  }

  /// One block of query rows: [rows, Dv], normalized.
  ///
  /// Scores are kept transposed, [keys, rows]: a chunk of them is
  /// K_chunk · Q_blkᵀ, an ordinary GEMM for loom-tile-contractions (A = K
  /// as stored, B = Q_blkᵀ transposed once per block; as [rows, keys] = Q ·
  /// Kᵀ, B would be K stored [n, k], transposed into a packed block for
  /// every chunk of every block). The row statistics then reduce over the
  /// outer dim of a chunk: max and sum are vertical vector operations over
  /// the rows, with no horizontal reduction per row and chunk (those cost a
  /// third of the softmax with 64-key chunks). PV reads the chunk's
  /// exponentials as Aᵀ, a contiguous column of A per k step.
  Value emitBlock(OpBuilder &b, Location loc, Attention &a,
                  const QueryBlock &blk, int64_t kcMax) {
    MLIRContext *ctx = b.getContext();
    int64_t rows = blk.rows;
    auto outType = cast<RankedTensorType>(a.pv.op->getResult(0).getType());
    int64_t dv = outType.getShape().back();
    Chunks ch;
    ch.kc = std::min(kcMax, a.tk);
    ch.full = a.tk / ch.kc;
    ch.rem = a.tk % ch.kc;
    if (a.causal) {
      // Keys [0, min(Tk, q0 + rows + shift)) are all the block can see.
      Value end = arith::AddIOp::create(
          b, loc, blk.q0,
          arith::ConstantIndexOp::create(b, loc, rows + *a.causal));
      end = arith::MinSIOp::create(
          b, loc, end, arith::ConstantIndexOp::create(b, loc, a.tk));
      Value chunks = arith::CeilDivSIOp::create(
          b, loc, end, arith::ConstantIndexOp::create(b, loc, ch.kc));
      ch.count = arith::MinSIOp::create(
          b, loc, chunks, arith::ConstantIndexOp::create(b, loc, ch.full));
      if (ch.rem > 0)
        ch.remNeeded = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sgt, end,
            arith::ConstantIndexOp::create(b, loc, ch.full * ch.kc));
      // Chunk j is visible to row q0 (and so to the whole block) when its
      // last key (j + 1) kc - 1 <= q0 + shift.
      Value visible = arith::DivUIOp::create(
          b, loc,
          arith::AddIOp::create(
              b, loc, blk.q0,
              arith::ConstantIndexOp::create(b, loc, *a.causal + 1)),
          arith::ConstantIndexOp::create(b, loc, ch.kc));
      ch.clean = arith::MinSIOp::create(b, loc, visible, ch.count);
    } else {
      ch.count = arith::ConstantIndexOp::create(b, loc, ch.full);
    }

    // Loops of the chunk generics: (key, row); of the GEMMs: (m, n, k).
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx);
    AffineMap keyRow = AffineMap::get(2, 0, {d0, d1}, ctx);
    AffineMap row = AffineMap::get(2, 0, {d1}, ctx);
    SmallVector<utils::IteratorType> overKeys = {
        utils::IteratorType::reduction, utils::IteratorType::parallel};
    auto keySlice = [&](OpBuilder &nb, Location l, Value v, Value k0,
                        int64_t kc) -> Value {
      return tensor::ExtractSliceOp::create(
          nb, l, v, ArrayRef<OpFoldResult>{k0, nb.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{nb.getIndexAttr(kc), nb.getIndexAttr(rows)},
          ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1)});
    };

    // Q_blkᵀ [D, rows], once per block (QKᵀ's loops: m = keys, n = rows).
    Contraction &qk = a.qk;
    SmallVector<int64_t> qkLoop(qk.roles.size(), -1);
    qkLoop[qk.col] = 0;
    qkLoop[qk.row] = 1;
    qkLoop[qk.red] = 2;
    auto [q, qMap] = sliceOperand(b, loc, qk, 0, blk, Role::Col,
                                  arith::ConstantIndexOp::create(b, loc, 0),
                                  a.tk, qkLoop); // Q has no key dim
    if (qMap.getResult(0) == d1) { // stored [rows, D]
      auto qType = cast<RankedTensorType>(q.getType());
      Value qt0 =
          scratch(b, loc, {qType.getDimSize(1), qType.getDimSize(0)});
      q = linalg::TransposeOp::create(b, loc, q, qt0,
                                      ArrayRef<int64_t>{1, 0})
              ->getResult(0);
      qMap = AffineMap::get(3, 0, {d2, d1}, ctx);
    }

    // Every generic below updates its outputs in place (the payload reads
    // them): loom-fuse-elementwise replaces an output the payload does not
    // read by a tensor.empty, which CSE merges with any equal empty outside
    // the loop, and one buffer would then serve every thread's blocks.

    // Pass 1: the chunk's scores (K_chunk · Q_blkᵀ accumulated in the
    // block's scores, then the scale and masks there) and the running row
    // max.
    Value scores0 = scratch(b, loc, {a.tk, rows});
    Value max0 = filled(b, loc, {rows}, a.max.getDpsInits()[0]);
    SmallVector<Value> pass1 = forChunks(
        b, loc, ch, /*splitClean=*/true, {scores0, max0},
        [&](OpBuilder &nb, Location l, Value k0, int64_t kc, bool clean,
            ValueRange iters) -> SmallVector<Value> {
          auto [k, kMap] =
              sliceOperand(nb, l, qk, 1, blk, Role::Col, k0, kc, qkLoop);
          auto zero = qk.op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
          Value z = linalg::FillOp::create(nb, l, zero.getInputs()[0],
                                           keySlice(nb, l, iters[0], k0, kc))
                        .getResult(0);
          Value s = contract(nb, l, qk.op, k, kMap, q, qMap, z);
          // Tensor masks, sliced like the scores: the query dim read by the
          // row loop, the key dim by the key loop.
          SmallVector<Value> ins;
          SmallVector<AffineMap> maps;
          SmallVector<OpFoldResult> offsets(a.rank, nb.getIndexAttr(0));
          SmallVector<int64_t> sizes(a.rank, 1);
          for (unsigned i = 0; i + 2 < a.rank; ++i)
            offsets[i] = blk.batch[i];
          offsets[a.rank - 2] = blk.q0;
          offsets[a.rank - 1] = k0;
          sizes[a.rank - 2] = rows;
          sizes[a.rank - 1] = kc;
          SmallVector<int64_t> maskLoop(a.rank, -1);
          maskLoop[a.rank - 2] = 1;
          maskLoop[a.rank - 1] = 0;
          SmallVector<int64_t> maskArg(a.steps.size(), -1);
          for (auto [i, step] : llvm::enumerate(a.steps)) {
            if (!step.mask || step.shift)
              continue;
            SmallVector<unsigned> kept;
            ins.push_back(slice(
                nb, l, step.mask->get(),
                step.op.getMatchingIndexingMap(step.mask), offsets, sizes,
                [&](unsigned loop) { return loop + 2 < a.rank; }, kept));
            maps.push_back(keptMap(kept, maskLoop, 2, ctx));
            maskArg[i] = ins.size() - 1;
          }
          maps.append({keyRow, row});
          auto g = linalg::GenericOp::create(
              nb, l, TypeRange{s.getType(), iters[1].getType()}, ins,
              ValueRange{s, iters[1]}, maps, overKeys,
              [&](OpBuilder &bb, Location bl, ValueRange args) {
                Value x = args[ins.size()];
                for (auto [i, step] : llvm::enumerate(a.steps)) {
                  // In a wholly visible chunk the causal select keeps x.
                  if (clean && step.shift && *step.shift >= *a.causal)
                    continue;
                  unsigned n = step.op.getNumDpsInputs();
                  SmallVector<Value> stepArgs(n + 1);
                  stepArgs[step.chainInput] = x;
                  if (step.shift) {
                    // The causal mask at the chunk's place, recomputed from
                    // indices instead of read from a [Tq, Tk] tensor.
                    auto maskOp =
                        step.mask->get().getDefiningOp<linalg::GenericOp>();
                    Value qi = arith::AddIOp::create(
                        bb, bl, linalg::IndexOp::create(bb, bl, 1), blk.q0);
                    Value kj = arith::AddIOp::create(
                        bb, bl, linalg::IndexOp::create(bb, bl, 0), k0);
                    IRMapping idx;
                    Block &mb = maskOp.getRegion().front();
                    for (Operation &op : mb.without_terminator()) {
                      if (auto io = dyn_cast<linalg::IndexOp>(op)) {
                        idx.map(io.getResult(), io.getDim() == 0 ? qi : kj);
                        continue;
                      }
                      bb.clone(op, idx);
                    }
                    stepArgs[step.mask->getOperandNumber()] = idx.lookup(
                        cast<linalg::YieldOp>(mb.getTerminator()).getOperand(0));
                  } else if (step.mask) {
                    stepArgs[step.mask->getOperandNumber()] = args[maskArg[i]];
                  }
                  // Constant inputs (the scale, -inf) as scalars.
                  for (OpOperand *in : step.op.getDpsInputOperands()) {
                    unsigned j = in->getOperandNumber();
                    if (stepArgs[j])
                      continue;
                    std::optional<APFloat> f = constantFloat(
                        step.op, step.op.getRegion().front().getArgument(j));
                    if (f)
                      stepArgs[j] = arith::ConstantOp::create(
                          bb, bl, bb.getF32FloatAttr(f->convertToFloat()));
                  }
                  x = inlinePayload(bb, step.op, stepArgs);
                }
                // x > m ? x : m, one vmaxps, where maximumf's NaN and
                // signed-zero rules take six instructions. The softmax
                // comes out the same: a NaN score, ignored here, still
                // makes its exp, the row's sum and so the whole row NaN,
                // as a NaN max would; the sign of a zero max cannot change
                // exp(x - max).
                Value m = args.back();
                Value gt = arith::CmpFOp::create(
                    bb, bl, arith::CmpFPredicate::OGT, x, m);
                Value newMax = arith::SelectOp::create(bb, bl, gt, x, m);
                linalg::YieldOp::create(bb, bl, ValueRange{x, newMax});
              });
          Value scores = tensor::InsertSliceOp::create(
              nb, l, g->getResult(0), iters[0],
              ArrayRef<OpFoldResult>{k0, nb.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{nb.getIndexAttr(kc), nb.getIndexAttr(rows)},
              ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1)});
          return {scores, g->getResult(1)};
        });
    Value max = pass1[1];

    // Pass 2: e = exp(s - max) over the chunk's scores, the row sums, and
    // e·V added to the block's output. The quotient comes last: (Σ e v) /
    // Σ e, one division per output element instead of one per score.
    SmallVector<int64_t> pvLoop(a.pv.roles.size(), -1);
    pvLoop[a.pv.row] = 0;
    pvLoop[a.pv.col] = 1;
    pvLoop[a.pv.red] = 2;
    Value sum0 = filled(b, loc, {rows}, a.sum.getDpsInits()[0]);
    Value acc0 = filled(b, loc, {rows, dv}, a.pv.op.getDpsInits()[0]);
    SmallVector<Value> pass2 = forChunks(
        b, loc, ch, /*splitClean=*/false, {pass1[0], sum0, acc0},
        [&](OpBuilder &nb, Location l, Value k0, int64_t kc, bool,
            ValueRange iters) -> SmallVector<Value> {
          Value s = keySlice(nb, l, iters[0], k0, kc);
          auto g = linalg::GenericOp::create(
              nb, l, TypeRange{s.getType(), iters[1].getType()},
              ValueRange{max}, ValueRange{s, iters[1]},
              ArrayRef<AffineMap>{row, keyRow, row}, overKeys,
              [&](OpBuilder &bb, Location bl, ValueRange args) {
                SmallVector<Value> subArgs(2);
                subArgs[a.subScores] = args[1];
                subArgs[a.subMax] = args[0];
                Value x = inlinePayload(bb, a.sub, subArgs);
                Value e = inlinePayload(bb, a.exp, {x});
                Value sum = inlinePayload(bb, a.sum, {e, args[2]});
                linalg::YieldOp::create(bb, bl, ValueRange{e, sum});
              });
          auto [v, vMap] =
              sliceOperand(nb, l, a.pv, 1, blk, Role::Red, k0, kc, pvLoop);
          Value acc = contract(nb, l, a.pv.op, g->getResult(0),
                               AffineMap::get(3, 0, {d2, d0}, ctx), v, vMap,
                               iters[2]);
          Value scores = tensor::InsertSliceOp::create(
              nb, l, g->getResult(0), iters[0],
              ArrayRef<OpFoldResult>{k0, nb.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{nb.getIndexAttr(kc), nb.getIndexAttr(rows)},
              ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1)});
          return {scores, g->getResult(1), acc};
        });

    AffineExpr r = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx);
    auto quotient = linalg::GenericOp::create(
        b, loc, TypeRange{pass2[2].getType()}, ValueRange{pass2[1]},
        ValueRange{pass2[2]},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, {r}, ctx),
                            AffineMap::get(2, 0, {r, c}, ctx)},
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location bl, ValueRange args) {
          SmallVector<Value> divArgs(2);
          divArgs[a.divExp] = args[1];
          divArgs[a.divSum] = args[0];
          linalg::YieldOp::create(bb, bl, inlinePayload(bb, a.div, divArgs));
        });
    return quotient->getResult(0);
  }

  /// A loop over `trips` blocks of `rows` query rows (blocks of a batch
  /// entry consecutive), starting at row `firstRow`, writing into `out`.
  Value emitLoop(OpBuilder &b, Location loc, Attention &a, Value out,
                 int64_t rows, int64_t blocksPerRow, int64_t firstRow,
                 int64_t kc) {
    auto outType = cast<RankedTensorType>(out.getType());
    SmallVector<int64_t> batchExtents(outType.getShape().drop_back(2));
    int64_t trips = blocksPerRow;
    for (int64_t e : batchExtents)
      trips *= e;
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value n = arith::ConstantIndexOp::create(b, loc, trips);
    auto loop = scf::ForOp::create(
        b, loc, c0, n, c1, ValueRange{out},
        [&](OpBuilder &nb, Location l, Value i, ValueRange iters) {
          // i = ((b0 * B1 + b1) ...) * blocksPerRow + block.
          QueryBlock blk;
          blk.rows = rows;
          Value rest = i;
          auto split = [&](int64_t extent) {
            Value e = arith::ConstantIndexOp::create(nb, l, extent);
            Value idx = arith::RemUIOp::create(nb, l, rest, e);
            rest = arith::DivUIOp::create(nb, l, rest, e);
            return idx;
          };
          Value block = blocksPerRow > 1 ? split(blocksPerRow) : c0;
          if (a.causal && blocksPerRow > 2) {
            // Under a causal mask block b costs ~b + 1 chunks: consecutive
            // iterations alternate light and heavy blocks (0, n-1, 1, n-2,
            // ...), so every range of iterations a thread takes costs
            // about the average.
            Value two = arith::ConstantIndexOp::create(nb, l, 2);
            Value half = arith::DivUIOp::create(nb, l, block, two);
            Value odd = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ne,
                arith::RemUIOp::create(nb, l, block, two), c0);
            Value mirrored = arith::SubIOp::create(
                nb, l, arith::ConstantIndexOp::create(nb, l, blocksPerRow - 1),
                half);
            block = arith::SelectOp::create(nb, l, odd, mirrored, half);
          }
          blk.batch.resize(batchExtents.size());
          for (int64_t d = int64_t(batchExtents.size()) - 1; d >= 0; --d)
            blk.batch[d] = batchExtents[d] > 1 ? split(batchExtents[d]) : c0;
          blk.q0 = arith::AddIOp::create(
              nb, l, arith::ConstantIndexOp::create(nb, l, firstRow),
              arith::MulIOp::create(
                  nb, l, block, arith::ConstantIndexOp::create(nb, l, rows)));
          Value o = emitBlock(nb, l, a, blk, kc);
          SmallVector<OpFoldResult> offsets, sizes, strides;
          for (Value v : blk.batch) {
            offsets.push_back(v);
            sizes.push_back(nb.getIndexAttr(1));
          }
          offsets.append({blk.q0, nb.getIndexAttr(0)});
          sizes.append({nb.getIndexAttr(rows),
                        nb.getIndexAttr(outType.getShape().back())});
          strides.assign(offsets.size(), nb.getIndexAttr(1));
          Value updated = tensor::InsertSliceOp::create(nb, l, o, iters[0],
                                                        offsets, sizes, strides);
          scf::YieldOp::create(nb, l, updated);
        });
    // Blocks are independent: threads take ranges of them.
    loop->setAttr(kParallelAttr, b.getUnitAttr());
    return loop.getResult(0);
  }

  void rewrite(Attention &a) {
    // Rows per block: at most query-block, and every per-block temporary
    // (the scores, Tk x rows; Q_blkᵀ, D x rows; the output, rows x Dv)
    // within block-bytes and the stack's limit; a multiple of 8 (the GEMM
    // kernel's register tile) where that leaves any.
    int64_t d = a.qk.op.getStaticLoopRanges()[a.qk.red];
    int64_t dv = a.pv.op.getStaticLoopRanges()[a.pv.col];
    int64_t rowBytes = 4 * std::max({a.tk, d, dv});
    int64_t budget = std::min<int64_t>(blockBytes, kMaxBlockBytes);
    if (rowBytes > kMaxBlockBytes)
      return; // not even one row fits on the stack: left as it was
    int64_t rows = std::min<int64_t>(
        {queryBlock, a.tq, std::max<int64_t>(1, budget / rowBytes)});
    if (rows < a.tq && rows > 8)
      rows -= rows % 8;
    int64_t kc = std::min<int64_t>(keyBlock, a.tk);

    linalg::GenericOp pv = a.pv.op;
    IRRewriter rewriter(pv.getContext());
    rewriter.setInsertionPoint(pv);
    Location loc = pv.getLoc();
    auto outType = cast<RankedTensorType>(pv->getResult(0).getType());
    Value out = tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                        outType.getElementType());
    int64_t full = a.tq / rows, rem = a.tq % rows;
    if (full > 0)
      out = emitLoop(rewriter, loc, a, out, rows, full, 0, kc);
    if (rem > 0)
      out = emitLoop(rewriter, loc, a, out, rem, 1, full * rows, kc);
    rewriter.replaceOp(pv, out);

    // The decomposed chain (consumers first) and what only it used.
    SmallVector<Operation *> dead = {a.div, a.sum, a.exp, a.sub, a.max};
    for (const Step &step : llvm::reverse(a.steps))
      dead.push_back(step.op);
    dead.push_back(a.qk.op);
    bool changed = true;
    while (changed) {
      changed = false;
      for (size_t i = 0; i < dead.size(); ++i) {
        Operation *op = dead[i];
        if (!op || !op->use_empty())
          continue;
        SmallVector<Value> operands(op->getOperands());
        rewriter.eraseOp(op);
        dead[i] = nullptr;
        changed = true;
        // Fills, empties and mask generics nothing else uses go too.
        for (Value v : operands) {
          Operation *def = v.getDefiningOp();
          if (def && def->use_empty() &&
              isa<linalg::FillOp, tensor::EmptyOp, linalg::GenericOp>(def) &&
              !llvm::is_contained(dead, def))
            dead.push_back(def);
        }
      }
    }
  }
};

} // namespace
