//===- Attention.cpp - the training step's attention, block by block ------===//
//
// loom-autodiff differentiates loom.attention into loom.attention_lse (the
// row log-sum-exp of the scores, saved by the forward) and
// loom.attention_grad (FlashAttention-2's backward). Both are lowered here
// straight into loops over blocks of queries and chunks of keys whose
// temporaries are block-sized (on the stack after loom-plan-arena), so a
// training step never stores a [.., Tq, Tk] tensor for attention: at GPT-2's
// T = 1024 the decomposed backward wrote three of them (P, dP, dS), 48 MB
// each per layer.
//
// The loops are ordinary linalg on tensors: the chunk GEMMs are contraction
// generics that loom-tile-contractions turns into micro-kernels (each reads
// its operands as stored, or as Aᵀ, which the micro-kernel reads as
// broadcasts), the rest elementwise and row-reduction generics that update
// their outputs in place (their payloads read them: loom-fuse-elementwise
// would otherwise replace an unread output by a tensor.empty, which CSE
// could merge with one outside the loop, and every thread would then write
// one arena buffer; see loom-fuse-attention). The outer loop is an scf.for
// tagged loom.parallel whose iterations write disjoint slices of the
// results: threads take ranges of it, with no atomics.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::lowering;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "loom.parallel";

/// loom-plan-arena keeps an allocation inside a loop on the stack only up to
/// this size: every block temporary must fit.
constexpr int64_t kMaxBlockBytes = 256 * 1024;
/// Query rows per block and keys per chunk (at most): 64 × 64 f32 blocks
/// (16 KiB) stay in L1 between the GEMMs that share them.
constexpr int64_t kBlock = 64;

using utils::IteratorType;

/// The shape of one attention: batch dims, lengths, head dims, scale and
/// masks, all static.
struct Dims {
  SmallVector<int64_t> batch; // leading dims of Q (and of K, V, the scores)
  int64_t tq = 0, tk = 0, dk = 0, dv = 0;
  double scale = 1.0;
  bool causal = false;
  int64_t shift = 0; // causal: key j is visible to query i iff j <= i + shift
  Value mask;        // i1, broadcast to [batch.., Tq, Tk], or null
  int64_t rows = kBlock, kc = kBlock;

  int64_t entries() const {
    int64_t n = 1;
    for (int64_t e : batch)
      n *= e;
    return n;
  }
};

Dims dimsOf(Value q, Value k, Value v, Value mask, bool causal,
            std::optional<APFloat> scale) {
  auto qt = cast<RankedTensorType>(q.getType());
  auto kt = cast<RankedTensorType>(k.getType());
  int64_t r = qt.getRank();
  Dims d;
  d.batch.assign(qt.getShape().begin(), qt.getShape().end() - 2);
  d.tq = qt.getDimSize(r - 2);
  d.dk = qt.getDimSize(r - 1);
  d.tk = kt.getDimSize(r - 2);
  d.dv = v ? cast<RankedTensorType>(v.getType()).getDimSize(r - 1) : 0;
  d.scale = scale ? scale->convertToDouble()
                  : 1.0 / std::sqrt(static_cast<double>(d.dk));
  d.causal = causal;
  d.shift = d.tk - d.tq;
  d.mask = mask;
  // Every block temporary ([rows or kc] × [kc, rows, Dk or Dv]) within the
  // stack's limit.
  int64_t widest = std::max({d.dk, d.dv, int64_t(kBlock)});
  int64_t fit = std::max<int64_t>(1, kMaxBlockBytes / (4 * widest));
  d.rows = std::min({kBlock, d.tq, fit});
  d.kc = std::min({kBlock, d.tk, fit});
  return d;
}

/// Only f32 with static shapes, whose head dims fit a block temporary.
LogicalResult supported(Operation *op, PatternRewriter &rewriter) {
  if (failed(requireStatic(op, rewriter)))
    return failure();
  // loom-autodiff makes these ops for f32 attention only (16-bit attention
  // keeps the decomposition's backward).
  for (Type t : op->getOperandTypes())
    if (auto rt = dyn_cast<RankedTensorType>(t);
        rt && isa<FloatType>(rt.getElementType()) &&
        !rt.getElementType().isF32()) {
      op->emitError() << "convert-loom-to-linalg: the blocked attention is "
                         "f32 only, got "
                      << t;
      return failure();
    }
  // A head dim must fit a block temporary (one row of it, at least).
  unsigned heads = isa<AttentionLseOp>(op) ? 2 : 3; // Q, K (, V)
  for (Value v : op->getOperands().take_front(heads)) {
    auto rt = cast<RankedTensorType>(v.getType());
    if (4 * rt.getShape().back() > kMaxBlockBytes) {
      op->emitError() << "convert-loom-to-linalg: a head dim of "
                      << rt.getShape().back()
                      << " does not fit a block of the blocked attention";
      return failure();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

struct Emit {
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;

  Emit(OpBuilder &b, Location loc) : b(b), loc(loc), ctx(b.getContext()) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineMap map(unsigned loops, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(loops, 0, exprs, ctx);
  }

  /// A block's f32 temporary. Not a tensor.empty: CSE merges equal
  /// empties, and one outside the loop would become one arena buffer that
  /// every thread writes; an alloc_tensor is an allocation in the loop body,
  /// which loom-plan-arena puts on the stack.
  Value scratch(ArrayRef<int64_t> shape) {
    return bufferization::AllocTensorOp::create(
        b, loc, RankedTensorType::get(shape, b.getF32Type()), ValueRange{});
  }
  Value filled(ArrayRef<int64_t> shape, double v) {
    return linalg::FillOp::create(b, loc, f32(v), scratch(shape)).getResult(0);
  }

  /// [rows, cols] of a [batch.., T, C] tensor at (batch.., row0, 0).
  Value rowsOf(Value t, ArrayRef<Value> batch, Value row0, int64_t rows) {
    auto type = cast<RankedTensorType>(t.getType());
    int64_t cols = type.getShape().back();
    SmallVector<OpFoldResult> off, sz, st;
    for (Value v : batch) {
      off.push_back(v);
      sz.push_back(b.getIndexAttr(1));
    }
    off.append({row0, b.getIndexAttr(0)});
    sz.append({b.getIndexAttr(rows), b.getIndexAttr(cols)});
    st.assign(off.size(), b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows, cols}, type.getElementType()), t,
        off, sz, st);
  }
  /// `block` [rows, cols] written into [batch.., T, C] `dest` at (batch..,
  /// row0, 0).
  Value insertRows(Value block, Value dest, ArrayRef<Value> batch, Value row0) {
    auto type = cast<RankedTensorType>(block.getType());
    SmallVector<OpFoldResult> off, sz, st;
    for (Value v : batch) {
      off.push_back(v);
      sz.push_back(b.getIndexAttr(1));
    }
    off.append({row0, b.getIndexAttr(0)});
    sz.append({b.getIndexAttr(type.getDimSize(0)),
               b.getIndexAttr(type.getDimSize(1))});
    st.assign(off.size(), b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, block, dest, off, sz, st);
  }
  /// [rows] of a [batch.., T] tensor at (batch.., row0).
  Value vecOf(Value t, ArrayRef<Value> batch, Value row0, int64_t rows) {
    SmallVector<OpFoldResult> off, sz, st;
    for (Value v : batch) {
      off.push_back(v);
      sz.push_back(b.getIndexAttr(1));
    }
    off.push_back(row0);
    sz.push_back(b.getIndexAttr(rows));
    st.assign(off.size(), b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows}, b.getF32Type()), t, off, sz, st);
  }
  Value insertVec(Value v, Value dest, ArrayRef<Value> batch, Value row0) {
    SmallVector<OpFoldResult> off, sz, st;
    for (Value x : batch) {
      off.push_back(x);
      sz.push_back(b.getIndexAttr(1));
    }
    off.push_back(row0);
    sz.push_back(
        b.getIndexAttr(cast<RankedTensorType>(v.getType()).getDimSize(0)));
    st.assign(off.size(), b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, v, dest, off, sz, st);
  }

  /// The mask's part for queries [q0, q0 + rows) and keys [k0, k0 + kc) of
  /// batch entry `batch`, unsqueezed (broadcast dims stay size 1), and its
  /// map in a 2-loop generic whose loop `rowLoop` runs over the queries and
  /// `keyLoop` over the keys.
  std::pair<Value, AffineMap> maskOf(const Dims &a, ArrayRef<Value> batch,
                                     Value q0, int64_t rows, Value k0,
                                     int64_t kc, unsigned rowLoop,
                                     unsigned keyLoop) {
    auto mt = cast<RankedTensorType>(a.mask.getType());
    int64_t rank = mt.getRank(), full = int64_t(a.batch.size()) + 2;
    SmallVector<OpFoldResult> off, sz, st;
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t dim = i + (full - rank); // the scores' dim it broadcasts to
      int64_t extent = dim < full - 2    ? a.batch[dim]
                       : dim == full - 2 ? a.tq
                                         : a.tk;
      bool broadcast = mt.getDimSize(i) == 1 && extent != 1;
      if (broadcast || dim < full - 2) {
        off.push_back(broadcast ? OpFoldResult(b.getIndexAttr(0))
                                : OpFoldResult(batch[dim]));
        sz.push_back(b.getIndexAttr(1));
        shape.push_back(1);
        exprs.push_back(getAffineConstantExpr(0, ctx));
      } else if (dim == full - 2) {
        off.push_back(q0);
        sz.push_back(b.getIndexAttr(rows));
        shape.push_back(rows);
        exprs.push_back(d(rowLoop));
      } else {
        off.push_back(k0);
        sz.push_back(b.getIndexAttr(kc));
        shape.push_back(kc);
        exprs.push_back(d(keyLoop));
      }
    }
    st.assign(off.size(), b.getIndexAttr(1));
    Value slice = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(shape, mt.getElementType()), a.mask, off,
        sz, st);
    return {slice, map(2, exprs)};
  }

  /// acc[m, n] += lhs · rhs over loops (m, n, k), the payload of
  /// convert-loom-to-linalg's matmul (loom-tile-contractions' contraction).
  Value contract(Value lhs, AffineMap lhsMap, Value rhs, AffineMap rhsMap,
                 Value acc) {
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{acc.getType()}, ValueRange{lhs, rhs}, ValueRange{acc},
        ArrayRef<AffineMap>{lhsMap, rhsMap, map(3, {d(0), d(1)})},
        ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                               IteratorType::reduction},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          auto fm = arith::FastMathFlagsAttr::get(
              nb.getContext(),
              arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
          Value p = arith::MulFOp::create(nb, l, args[0], args[1], fm);
          linalg::YieldOp::create(
              nb, l, Value(arith::AddFOp::create(nb, l, args[2], p, fm)));
        });
    return g->getResult(0);
  }

  Value transpose(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return linalg::TransposeOp::create(
               b, loc, v, scratch({t.getDimSize(1), t.getDimSize(0)}),
               ArrayRef<int64_t>{1, 0})
        ->getResult(0);
  }

  /// Inside a generic: whether the key at loop `keyLoop` (+ k0) is visible
  /// to the query at loop `rowLoop` (+ q0) under the causal mask and the
  /// mask value `maskArg` (null: none). Null when everything is visible.
  Value visible(OpBuilder &nb, Location l, const Dims &a, Value q0, Value k0,
                unsigned rowLoop, unsigned keyLoop, Value maskArg) {
    Value vis;
    if (a.causal) {
      Value qi = arith::AddIOp::create(
          nb, l, linalg::IndexOp::create(nb, l, rowLoop), q0);
      Value kj = arith::AddIOp::create(
          nb, l, linalg::IndexOp::create(nb, l, keyLoop), k0);
      Value limit = arith::AddIOp::create(
          nb, l, qi, arith::ConstantIndexOp::create(nb, l, a.shift));
      vis = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, kj, limit);
    }
    if (maskArg)
      vis = vis ? Value(arith::AndIOp::create(nb, l, vis, maskArg)) : maskArg;
    return vis;
  }

  /// A loop over `trips` iterations threading `inits`; `body` gets the
  /// induction variable and the iteration values and returns the next.
  SmallVector<Value>
  loop(Value from, Value to, ValueRange inits,
       function_ref<SmallVector<Value>(Emit &, Value, ValueRange)> body) {
    auto l = scf::ForOp::create(
        b, loc, from, to, index(1), inits,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange iters) {
          Emit inner(nb, nl);
          scf::YieldOp::create(nb, nl, body(inner, iv, iters));
        });
    return SmallVector<Value>(l.getResults().begin(), l.getResults().end());
  }

  /// The outermost loop over `trips` independent iterations: threads take
  /// ranges of them (loom-chunk-kernels).
  SmallVector<Value> parallelLoop(
      int64_t trips, ValueRange inits,
      function_ref<SmallVector<Value>(Emit &, Value, ValueRange)> body) {
    auto l = scf::ForOp::create(
        b, loc, index(0), index(trips), index(1), inits,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange iters) {
          Emit inner(nb, nl);
          scf::YieldOp::create(nb, nl, body(inner, iv, iters));
        });
    l->setAttr(kParallelAttr, b.getUnitAttr());
    return SmallVector<Value>(l.getResults().begin(), l.getResults().end());
  }

  /// Splits `i` (row-major over `extents`, then `inner`) into the batch
  /// indices; returns the index over `inner`.
  Value split(Value i, ArrayRef<int64_t> extents, int64_t inner,
              SmallVector<Value> &batch) {
    Value rest = i, innerIdx = index(0);
    if (inner > 1) {
      innerIdx = arith::RemUIOp::create(b, loc, rest, index(inner));
      rest = arith::DivUIOp::create(b, loc, rest, index(inner));
    }
    batch.assign(extents.size(), Value());
    for (int64_t dim = int64_t(extents.size()) - 1; dim >= 0; --dim) {
      if (extents[dim] == 1) {
        batch[dim] = index(0);
        continue;
      }
      batch[dim] = arith::RemUIOp::create(b, loc, rest, index(extents[dim]));
      rest = arith::DivUIOp::create(b, loc, rest, index(extents[dim]));
    }
    return innerIdx;
  }
};

/// Calls `body(q0, rows)` for every block of query rows of `a` (full
/// blocks, then the remainder) and threads `inits` through; the full
/// blocks start at block `first` (a value).
SmallVector<Value> forQueryBlocks(
    Emit &bb, const Dims &a, Value first, ValueRange inits,
    function_ref<SmallVector<Value>(Emit &, Value q0, int64_t rows, ValueRange)>
        body) {
  int64_t full = a.tq / a.rows, rem = a.tq % a.rows;
  SmallVector<Value> vals(inits);
  if (full > 0)
    vals = bb.loop(
        first, bb.index(full), vals, [&](Emit &ib, Value i, ValueRange iters) {
          Value q0 = arith::MulIOp::create(ib.b, ib.loc, i, ib.index(a.rows));
          return body(ib, q0, a.rows, iters);
        });
  if (rem > 0)
    vals = body(bb, bb.index(full * a.rows), rem, vals);
  return vals;
}

//===----------------------------------------------------------------------===//
// lse = log(sum exp(scale QKᵀ)) over the visible keys
//===----------------------------------------------------------------------===//

/// One block of query rows: [rows] log-sum-exps. Per chunk of keys, the
/// scores are kept transposed, [kc, rows] = K_chunk · Q_blkᵀ (K as stored,
/// Q_blk transposed once per block, as loom-fuse-attention does), so the
/// row statistics reduce over a chunk's outer dim, vertically. The max is
/// kept online: l is rescaled by exp(m_old - m_new) when the max grows.
Value lseBlock(Emit &bb, const Dims &a, Value q, Value k, ArrayRef<Value> batch,
               Value q0, int64_t rows) {
  Value qt = bb.transpose(bb.rowsOf(q, batch, q0, rows)); // [Dk, rows]
  Value m0 = bb.filled({rows}, -std::numeric_limits<double>::infinity());
  Value l0 = bb.filled({rows}, 0.0);
  int64_t full = a.tk / a.kc, rem = a.tk % a.kc;
  // Under a causal mask the block sees keys [0, q0 + rows + shift).
  Value fullChunks = bb.index(full);
  if (a.causal) {
    Value end =
        arith::AddIOp::create(bb.b, bb.loc, q0, bb.index(rows + a.shift));
    Value chunks =
        arith::CeilDivSIOp::create(bb.b, bb.loc, end, bb.index(a.kc));
    fullChunks = arith::MinSIOp::create(bb.b, bb.loc, chunks, fullChunks);
  }
  auto chunk = [&](Emit &cb, Value k0, int64_t kc,
                   ValueRange iters) -> SmallVector<Value> {
    Value m = iters[0], l = iters[1];
    Value kj = cb.rowsOf(k, batch, k0, kc); // [kc, Dk]
    Value s =
        cb.contract(kj, cb.map(3, {cb.d(0), cb.d(2)}), qt,
                    cb.map(3, {cb.d(2), cb.d(1)}), cb.filled({kc, rows}, 0.0));
    // Loops (key, row): scale and masks in place, the new row max.
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    if (a.mask) {
      auto [mv, mm] = cb.maskOf(a, batch, q0, rows, k0, kc, 1, 0);
      ins.push_back(mv);
      maps.push_back(mm);
    }
    AffineMap keyRow = cb.map(2, {cb.d(0), cb.d(1)}),
              row = cb.map(2, {cb.d(1)});
    maps.append({keyRow, row});
    SmallVector<IteratorType> overKeys = {IteratorType::reduction,
                                          IteratorType::parallel};
    // The chunk's row max starts at -inf; the running max and the rescale
    // of l come next, per row.
    auto g1 = linalg::GenericOp::create(
        cb.b, cb.loc, TypeRange{s.getType(), m.getType()}, ins,
        ValueRange{s,
                   cb.filled({rows}, -std::numeric_limits<double>::infinity())},
        maps, overKeys, [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value x = arith::MulFOp::create(
              nb, nl, args[ins.size()],
              arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(a.scale)));
          Value vis =
              cb.visible(nb, nl, a, q0, k0, 1, 0, a.mask ? args[0] : Value());
          if (vis)
            x = arith::SelectOp::create(
                nb, nl, vis, x,
                arith::ConstantOp::create(
                    nb, nl,
                    nb.getF32FloatAttr(
                        -std::numeric_limits<float>::infinity())));
          // x > m ? x : m (one vmaxps; a NaN score still makes l NaN).
          Value mx = args.back();
          Value gt =
              arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x, mx);
          linalg::YieldOp::create(
              nb, nl,
              ValueRange{x, Value(arith::SelectOp::create(nb, nl, gt, x, mx))});
        });
    Value t = g1->getResult(0);
    // m_new = max(m_old, chunk max); l *= exp(m_old - m_new), which is 1
    // while the max stays (also at -inf, where the difference is NaN).
    // Both in place: the chunk loop yields the buffers it was given.
    AffineMap id1 = cb.map(1, {cb.d(0)});
    auto g2 = linalg::GenericOp::create(
        cb.b, cb.loc, TypeRange{m.getType(), l.getType()},
        ValueRange{g1->getResult(1)}, ValueRange{m, l},
        ArrayRef<AffineMap>{id1, id1, id1},
        ArrayRef<IteratorType>{IteratorType::parallel},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value mc = args[0], mOld = args[1];
          Value gt = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                           mc, mOld);
          Value mNew = arith::SelectOp::create(nb, nl, gt, mc, mOld);
          Value alpha = math::ExpOp::create(
              nb, nl, arith::SubFOp::create(nb, nl, mOld, mNew));
          alpha = arith::SelectOp::create(
              nb, nl, gt, alpha,
              arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(1.0f)));
          linalg::YieldOp::create(
              nb, nl,
              ValueRange{mNew,
                         Value(arith::MulFOp::create(nb, nl, args[2], alpha))});
        });
    Value mNew = g2->getResult(0);
    // l += exp(t - m_new) over the chunk's keys (hidden keys add 0).
    auto g3 = linalg::GenericOp::create(
        cb.b, cb.loc, TypeRange{l.getType()}, ValueRange{t, mNew},
        ValueRange{g2->getResult(1)}, ArrayRef<AffineMap>{keyRow, row, row},
        overKeys, [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value ninf = arith::ConstantOp::create(
              nb, nl,
              nb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
          Value hidden = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OEQ, args[0], ninf);
          Value e = math::ExpOp::create(
              nb, nl, arith::SubFOp::create(nb, nl, args[0], args[1]));
          e = arith::SelectOp::create(
              nb, nl, hidden,
              arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0.0f)), e);
          linalg::YieldOp::create(
              nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], e)));
        });
    return {mNew, g3->getResult(0)};
  };
  SmallVector<Value> vals = {m0, l0};
  if (full > 0)
    vals = bb.loop(bb.index(0), fullChunks, vals,
                   [&](Emit &cb, Value j, ValueRange iters) {
                     Value k0 =
                         arith::MulIOp::create(cb.b, cb.loc, j, cb.index(a.kc));
                     return chunk(cb, k0, a.kc, iters);
                   });
  if (rem > 0) {
    // The last keys: under a causal mask only blocks that reach them.
    Value k0 = bb.index(full * a.kc);
    if (!a.causal) {
      vals = chunk(bb, k0, rem, vals);
    } else {
      Value end =
          arith::AddIOp::create(bb.b, bb.loc, q0, bb.index(rows + a.shift));
      Value needed = arith::CmpIOp::create(bb.b, bb.loc,
                                           arith::CmpIPredicate::sgt, end, k0);
      auto branch = scf::IfOp::create(
          bb.b, bb.loc, needed,
          [&](OpBuilder &nb, Location nl) {
            Emit ib(nb, nl);
            scf::YieldOp::create(nb, nl, chunk(ib, k0, rem, vals));
          },
          [&](OpBuilder &nb, Location nl) {
            scf::YieldOp::create(nb, nl, vals);
          });
      vals.assign(branch.getResults().begin(), branch.getResults().end());
    }
  }
  // lse = m + log(l): -inf for a row without visible keys.
  AffineMap id1 = bb.map(1, {bb.d(0)});
  auto out = linalg::GenericOp::create(
      bb.b, bb.loc, TypeRange{vals[1].getType()}, ValueRange{vals[0]},
      ValueRange{vals[1]}, ArrayRef<AffineMap>{id1, id1},
      ArrayRef<IteratorType>{IteratorType::parallel},
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl,
            Value(arith::AddFOp::create(nb, nl, args[0],
                                        math::LogOp::create(nb, nl, args[1]))));
      });
  return out->getResult(0);
}

struct LowerAttentionLse : OpRewritePattern<AttentionLseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionLseOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(supported(op, rewriter)))
      return failure();
    Dims a = dimsOf(op.getQuery(), op.getKey(), Value(), op.getMask(),
                    op.getCausal(), op.getScale());
    Emit bb(rewriter, op.getLoc());
    Value out = emptyTensor(rewriter, op.getLoc(),
                            cast<RankedTensorType>(op.getType()));
    // Threads take (batch entry, block) pairs: full blocks in one loop, the
    // remainder rows in another.
    int64_t full = a.tq / a.rows, rem = a.tq % a.rows;
    auto emit = [&](int64_t blocksPerEntry, int64_t firstRow, int64_t rows) {
      out = bb.parallelLoop(
          a.entries() * blocksPerEntry, ValueRange{out},
          [&](Emit &ib, Value i, ValueRange iters) -> SmallVector<Value> {
            SmallVector<Value> batch;
            Value blk = ib.split(i, a.batch, blocksPerEntry, batch);
            Value q0 = arith::AddIOp::create(
                ib.b, ib.loc, ib.index(firstRow),
                arith::MulIOp::create(ib.b, ib.loc, blk, ib.index(rows)));
            Value l =
                lseBlock(ib, a, op.getQuery(), op.getKey(), batch, q0, rows);
            return {ib.insertVec(l, iters[0], batch, q0)};
          })[0];
    };
    if (full > 0)
      emit(full, 0, a.rows);
    if (rem > 0)
      emit(1, full * a.rows, rem);
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The backward
//===----------------------------------------------------------------------===//

/// FlashAttention-2's backward for one batch entry, per chunk of keys:
///
///   Kᵀ_j, Vᵀ_j (once per chunk); dK_j = dV_j = 0
///   for each block i of queries that sees chunk j:
///     D_i = rowsum(dO_i ∘ O_i)                   [rows]
///     S = Q_i · Kᵀ_j, dP = dO_i · Vᵀ_j           [rows, kc] (GEMMs)
///     P = exp(scale S - lse_i) (0 where hidden)
///     dS = scale P (dP - D_i)                    (both in place)
///     dV_j += Pᵀ · dO_i, dK_j += dSᵀ · Q_i, dQ_i += dS · K_j (GEMMs)
///   dK[j] = dK_j, dV[j] = dV_j
///
/// Each GEMM reads its operands as stored (the chunk's K and V transposed
/// once for the blocks) or as Aᵀ. Blocks above the diagonal of a causal
/// mask are skipped: a chunk starting at key k0 is seen from query
/// k0 - shift on.
SmallVector<Value> gradEntry(Emit &bb, const Dims &a, AttentionGradOp op,
                             ArrayRef<Value> batch, ValueRange grads) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue(),
        o = op.getOutput(), lse = op.getLse(), g = op.getGradOutput();
  auto chunk = [&](Emit &cb, Value k0, int64_t kc,
                   ValueRange iters) -> SmallVector<Value> {
    Value kj = cb.rowsOf(k, batch, k0, kc);               // [kc, Dk]
    Value kt = cb.transpose(kj);                          // [Dk, kc]
    Value vt = cb.transpose(cb.rowsOf(v, batch, k0, kc)); // [Dv, kc]
    Value dk0 = cb.filled({kc, a.dk}, 0.0), dv0 = cb.filled({kc, a.dv}, 0.0);
    Value first = cb.index(0);
    if (a.causal) {
      // The first block whose last row q0 + rows - 1 sees key k0:
      // floor(max(0, k0 - shift) / rows).
      Value from = arith::MaxSIOp::create(
          cb.b, cb.loc,
          arith::SubIOp::create(cb.b, cb.loc, k0, cb.index(a.shift)),
          cb.index(0));
      first = arith::DivUIOp::create(cb.b, cb.loc, from, cb.index(a.rows));
    }
    SmallVector<Value> vals = forQueryBlocks(
        cb, a, first, ValueRange{iters[0], dk0, dv0},
        [&](Emit &ib, Value q0, int64_t rows,
            ValueRange it) -> SmallVector<Value> {
          Value dq = it[0], dkj = it[1], dvj = it[2];
          Value qi = ib.rowsOf(q, batch, q0, rows);  // [rows, Dk]
          Value gi = ib.rowsOf(g, batch, q0, rows);  // [rows, Dv]
          Value oi = ib.rowsOf(o, batch, q0, rows);  // [rows, Dv]
          Value li = ib.vecOf(lse, batch, q0, rows); // [rows]
          AffineMap rc = ib.map(2, {ib.d(0), ib.d(1)}),
                    r = ib.map(2, {ib.d(0)});
          // D_i = rowsum(dO_i ∘ O_i).
          auto dGen = linalg::GenericOp::create(
              ib.b, ib.loc, TypeRange{li.getType()}, ValueRange{gi, oi},
              ValueRange{ib.filled({rows}, 0.0)},
              ArrayRef<AffineMap>{rc, rc, r},
              ArrayRef<IteratorType>{IteratorType::parallel,
                                     IteratorType::reduction},
              [&](OpBuilder &nb, Location nl, ValueRange args) {
                Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
                linalg::YieldOp::create(
                    nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], p)));
              });
          Value di = dGen->getResult(0);
          AffineMap mk = ib.map(3, {ib.d(0), ib.d(2)}),
                    kn = ib.map(3, {ib.d(2), ib.d(1)}),
                    km = ib.map(3, {ib.d(2), ib.d(0)});
          Value s = ib.contract(qi, mk, kt, kn, ib.filled({rows, kc}, 0.0));
          Value dp = ib.contract(gi, mk, vt, kn, ib.filled({rows, kc}, 0.0));
          // P and dS over (row, key), in place of S and dP.
          SmallVector<Value> ins = {li, di};
          SmallVector<AffineMap> maps = {r, r};
          if (a.mask) {
            auto [mv, mm] = ib.maskOf(a, batch, q0, rows, k0, kc, 0, 1);
            ins.push_back(mv);
            maps.push_back(mm);
          }
          maps.append({rc, rc});
          auto pGen = linalg::GenericOp::create(
              ib.b, ib.loc, TypeRange{s.getType(), dp.getType()}, ins,
              ValueRange{s, dp}, maps,
              ArrayRef<IteratorType>{IteratorType::parallel,
                                     IteratorType::parallel},
              [&](OpBuilder &nb, Location nl, ValueRange args) {
                Value scale = arith::ConstantOp::create(
                    nb, nl, nb.getF32FloatAttr(a.scale));
                Value x =
                    arith::MulFOp::create(nb, nl, args[ins.size()], scale);
                Value p = math::ExpOp::create(
                    nb, nl, arith::SubFOp::create(nb, nl, x, args[0]));
                Value vis = ib.visible(nb, nl, a, q0, k0, 0, 1,
                                       a.mask ? args[2] : Value());
                if (vis)
                  p = arith::SelectOp::create(
                      nb, nl, vis, p,
                      arith::ConstantOp::create(nb, nl,
                                                nb.getF32FloatAttr(0.0f)));
                Value ds = arith::MulFOp::create(
                    nb, nl, arith::MulFOp::create(nb, nl, p, scale),
                    arith::SubFOp::create(nb, nl, args[ins.size() + 1],
                                          args[1]));
                linalg::YieldOp::create(nb, nl, ValueRange{p, ds});
              });
          Value p = pGen->getResult(0), ds = pGen->getResult(1);
          Value dvNew = ib.contract(p, km, gi, kn, dvj);  // Pᵀ · dO_i
          Value dkNew = ib.contract(ds, km, qi, kn, dkj); // dSᵀ · Q_i
          Value dqi = ib.rowsOf(dq, batch, q0, rows);
          dqi = ib.contract(ds, mk, kj, kn, dqi); // dS · K_j
          return {ib.insertRows(dqi, dq, batch, q0), dkNew, dvNew};
        });
    return {vals[0], cb.insertRows(vals[1], iters[1], batch, k0),
            cb.insertRows(vals[2], iters[2], batch, k0)};
  };
  int64_t full = a.tk / a.kc, rem = a.tk % a.kc;
  // Every chunk is seen by some query (the last sees key Tk - 1).
  SmallVector<Value> vals(grads);
  if (full > 0)
    vals = bb.loop(bb.index(0), bb.index(full), vals,
                   [&](Emit &cb, Value j, ValueRange iters) {
                     Value k0 =
                         arith::MulIOp::create(cb.b, cb.loc, j, cb.index(a.kc));
                     return chunk(cb, k0, a.kc, iters);
                   });
  if (rem > 0)
    vals = chunk(bb, bb.index(full * a.kc), rem, vals);
  return vals;
}

struct LowerAttentionGrad : OpRewritePattern<AttentionGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(supported(op, rewriter)))
      return failure();
    Dims a = dimsOf(op.getQuery(), op.getKey(), op.getValue(), op.getMask(),
                    op.getCausal(), op.getScale());
    Location loc = op.getLoc();
    Emit bb(rewriter, loc);
    // dQ accumulates over the chunks of keys; dK and dV are written chunk
    // by chunk.
    auto type = [](Value v) { return cast<RankedTensorType>(v.getType()); };
    Value dq = filledTensor(rewriter, loc, type(op.getGradQuery()), 0.0);
    Value dk = emptyTensor(rewriter, loc, type(op.getGradKey()));
    Value dv = emptyTensor(rewriter, loc, type(op.getGradValue()));
    // Threads take batch entries (batch × heads): each writes its own
    // slices of dQ, dK and dV.
    SmallVector<Value> grads =
        bb.parallelLoop(a.entries(), ValueRange{dq, dk, dv},
                        [&](Emit &ib, Value i, ValueRange iters) {
                          SmallVector<Value> batch;
                          ib.split(i, a.batch, 1, batch);
                          return gradEntry(ib, a, op, batch, iters);
                        });
    rewriter.replaceOp(op, grads);
    return success();
  }
};

} // namespace

void lowering::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttentionLse, LowerAttentionGrad>(patterns.getContext());
}
