//===- TileContractions.cpp - register-blocked GEMM micro-kernels ---------===//
//
// Every f32 contraction of a bufferized function becomes cache tiles ->
// register tiles -> a vector micro-kernel whose C tile stays in registers
// across k (see Passes.td and ../shared/research/mlir-matmul-recipe.md).
// The strategy is written as a transform-dialect script, generated for the
// module's contractions and run by the transform interpreter: MLIR's own
// tiling, peeling, vectorization and hoisting, composed as measured.
//
// Each contraction gets a unique `loom.contraction_id` (its handle survives
// tiling but peeling clones the op, so later steps re-match by attribute)
// and the unit `loom.contraction` for the module-wide vectorization.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/MemRef/TransformOps/MemRefTransformOps.h"
#include "mlir/Dialect/SCF/TransformOps/SCFTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMTILECONTRACTIONS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kIdAttr = "loom.contraction_id";
constexpr llvm::StringLiteral kTagAttr = "loom.contraction";
constexpr llvm::StringLiteral kPackTransposeAttr = "loom.pack_transpose";

/// One contraction and where its dimensions are among the op's loops.
struct Contraction {
  linalg::GenericOp op;
  SmallVector<int64_t> batch; // and all m dims but the innermost: tiled by 1
  int64_t m, n, k;
  SmallVector<int64_t> extents; // per loop
  bool transposedB;             // B stored [.., n, k]
  int64_t bRowStride = 0;       // elements between B[k, n] and B[k + 1, n]
  bool bUnbatched = false;      // B indexed by (k, n) or (n, k) only
  bool packed = false;          // B read from packed kc x nc blocks
};

bool isStaticF32Buffer(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32();
}

/// The contractions the strategy handles: f32 memrefs with static shapes,
/// one n and k dimension, any number of batch and m dimensions.
std::optional<Contraction> classify(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!isStaticF32Buffer(v))
      return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.size() != 1 ||
      dims->k.size() != 1)
    return std::nullopt;
  // A [B, T, K] times a weight [K, N] has two m dims (B and T: the weight has
  // no batch): the innermost one, as C stores it, is the micro-kernel's m,
  // the others are tiled by 1 like batch dims.
  AffineMap out = op.getIndexingMapsArray()[2];
  int64_t m = dims->m.front();
  int64_t mPos = -1;
  for (unsigned d : dims->m) {
    std::optional<unsigned> pos =
        out.getResultPosition(getAffineDimExpr(d, op.getContext()));
    if (pos && int64_t(*pos) > mPos) {
      mPos = *pos;
      m = d;
    }
  }
  Contraction c{op, {}, m, dims->n[0], dims->k[0], {}, false};
  c.batch.assign(dims->batch.begin(), dims->batch.end());
  for (unsigned d : dims->m)
    if (int64_t(d) != m)
      c.batch.push_back(d);
  llvm::sort(c.batch);
  c.extents = op.getStaticLoopRanges();
  for (int64_t e : c.extents)
    if (ShapedType::isDynamic(e) || e <= 0)
      return std::nullopt;
  AffineMap rhs = op.getIndexingMapsArray()[1];
  c.transposedB = rhs.getNumResults() > 0 &&
                  rhs.getResults().back().isFunctionOfDim(c.k);
  c.bUnbatched = rhs.getNumResults() == 2;
  if (!c.transposedB) {
    auto bType = cast<MemRefType>(op.getDpsInputOperand(1)->get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (bType.getRank() >= 2 &&
        succeeded(bType.getStridesAndOffset(strides, offset)))
      c.bRowStride = strides[bType.getRank() - 2];
  }
  return c;
}

std::string list(ArrayRef<int64_t> v) {
  return "[" + llvm::join(llvm::map_range(v, [](int64_t x) {
                            return std::to_string(x);
                          }),
                          ", ") +
         "]";
}

/// The result types of a tile_using_for that makes `loops` loops: the tiled
/// op, then one handle per loop.
std::string tiledAndLoops(size_t loops) {
  std::string s = "!transform.any_op";
  for (size_t i = 0; i < loops; ++i)
    s += ", !transform.any_op";
  return s;
}

/// The bytes a buffer may touch: a root (a function argument or a local
/// allocation) and a byte range in it. A `memref.view` of the arena at a constant offset covers
/// exactly its static size (loom-plan-arena gives buffers that are live at
/// the same time disjoint ranges); anything else covers its whole root.
struct Extent {
  Value root;
  int64_t lo = 0, hi = std::numeric_limits<int64_t>::max();
};

std::optional<Extent> extentOf(Value memref) {
  if (isa<BlockArgument>(memref))
    return Extent{memref};
  if (auto view = memref.getDefiningOp<memref::ViewOp>()) {
    auto type = dyn_cast<MemRefType>(view.getType());
    std::optional<int64_t> offset =
        getConstantIntValue(view.getByteShift());
    Value source = view.getSource();
    if (!isa<BlockArgument>(source) &&
        !source.getDefiningOp<memref::AllocaOp>() &&
        !source.getDefiningOp<memref::AllocOp>())
      return std::nullopt;
    if (!offset || !type || !type.hasStaticShape() ||
        !type.getLayout().isIdentity() || !type.getElementType().isIntOrFloat())
      return Extent{source};
    int64_t bytes = type.getNumElements() *
                    std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    return Extent{source, *offset, *offset + bytes};
  }
  return std::nullopt;
}

/// Function arguments are distinct buffers (the runtime's contract, which
/// the outlined kernels already state as `noalias`), and distinct from local
/// allocations; views of one root are disjoint when their byte ranges are.
bool disjoint(Value a, Value b) {
  std::optional<Extent> x = extentOf(a), y = extentOf(b);
  if (!x || !y)
    return false;
  if (x->root != y->root)
    return true;
  return x->hi <= y->lo || y->hi <= x->lo;
}

/// The C tile of a micro-kernel stays in registers across k: a loop whose
/// body reads and writes one loop-invariant vector of C, and otherwise only
/// reads buffers that provably do not overlap it, carries the vector as an
/// iteration argument instead. Upstream's hoisting gives up on any buffer
/// that is a view (every arena intermediate), and LLVM does not promote
/// it either: the tile went through memory on every k step.
void hoistAccumulators(Operation *root) {
  SmallVector<scf::ForOp> loops;
  root->walk([&](scf::ForOp loop) { loops.push_back(loop); }); // inner first
  IRRewriter rewriter(root->getContext());
  for (scf::ForOp loop : loops) {
    bool changed = true;
    while (changed) {
      changed = false;
      Block *body = loop.getBody();
      auto invariant = [&](Value v) {
        return !loop->isAncestor(v.getParentBlock()->getParentOp()) &&
               v.getParentBlock() != body;
      };
      for (auto write : body->getOps<vector::TransferWriteOp>()) {
        Value buffer = write.getBase();
        if (!isa<MemRefType>(buffer.getType()) || write.getMask() ||
            !llvm::all_of(write.getIndices(), invariant) ||
            !invariant(buffer))
          continue;
        vector::TransferReadOp read;
        bool legal = true;
        for (Operation &op : body->without_terminator()) {
          if (&op == write.getOperation())
            continue;
          if (auto r = dyn_cast<vector::TransferReadOp>(&op)) {
            if (r.getBase() == buffer && !read && !r.getMask() &&
                r.getIndices() == write.getIndices() &&
                r.getVectorType() == write.getVectorType() &&
                r.getPermutationMap() == write.getPermutationMap() &&
                r.getInBoundsValues() == write.getInBoundsValues() &&
                r->isBeforeInBlock(write)) {
              read = r;
              continue;
            }
            if (!disjoint(r.getBase(), buffer))
              legal = false;
            continue;
          }
          if (auto l = dyn_cast<vector::LoadOp>(&op)) {
            if (!disjoint(l.getBase(), buffer))
              legal = false;
            continue;
          }
          if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
            legal = false;
        }
        if (!legal || !read)
          continue;
        // The read's padding and the write's value come from inside the
        // loop only through the tile itself.
        if (!invariant(read.getPadding()))
          continue;
        rewriter.moveOpBefore(read, loop);
        rewriter.moveOpAfter(write, loop);
        auto yield = [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{write.getVector()};
        };
        FailureOr<LoopLikeOpInterface> grown =
            cast<LoopLikeOpInterface>(loop.getOperation())
                .replaceWithAdditionalYields(rewriter, read.getResult(),
                                             /*replaceInitOperandUsesInLoop=*/true,
                                             yield);
        if (failed(grown))
          return; // scf.for always supports it
        loop = cast<scf::ForOp>(grown->getOperation());
        write.getValueToStoreMutable().assign(loop.getResults().back());
        changed = true;
        break;
      }
    }
  }
}

/// After packScript: the promoted copy of a B stored [n, k] becomes a
/// transpose into a [k, n] buffer (the same stack bytes), and the
/// contraction reads B at (k, n) from it. The transpose is tagged for the
/// vectorized 16 x 16 lowering. Returns false when the promotion does not
/// have the expected shape (the contraction then keeps its [n, k] block).
bool transposePackedBlock(linalg::GenericOp op) {
  OpOperand *rhs = op.getDpsInputOperand(1);
  auto sub = rhs->get().getDefiningOp<memref::SubViewOp>();
  if (!sub)
    return false;
  auto view = sub.getSource().getDefiningOp<memref::ViewOp>();
  if (!view || !view.getSource().getDefiningOp<memref::AllocaOp>() ||
      view.getSizes().size() != 2 || sub.getType().getRank() != 2)
    return false;
  linalg::CopyOp copy;
  for (Operation *user : sub->getUsers())
    if (auto c = dyn_cast<linalg::CopyOp>(user);
        c && c.getOutputs()[0] == sub.getResult())
      copy = c;
  if (!copy || !copy->isBeforeInBlock(op))
    return false;
  AffineMap map = op.getMatchingIndexingMap(rhs);
  if (map.getNumResults() != 2)
    return false;

  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  auto viewType = cast<MemRefType>(view.getType());
  SmallVector<int64_t> shape = {viewType.getShape()[1], viewType.getShape()[0]};
  auto tType = MemRefType::get(shape, viewType.getElementType());
  SmallVector<Value> sizes = {view.getSizes()[1], view.getSizes()[0]};
  Value tView = memref::ViewOp::create(b, loc, tType, view.getSource(), zero,
                                       sizes);
  SmallVector<OpFoldResult> subSizes = sub.getMixedSizes();
  std::swap(subSizes[0], subSizes[1]);
  SmallVector<OpFoldResult> zeros(2, b.getIndexAttr(0)), ones(2, b.getIndexAttr(1));
  Value tSub = memref::SubViewOp::create(b, loc, tView, zeros, subSizes, ones);
  // A generic rather than linalg.transpose: tiling leaves memref.casts on
  // the tiles' operands, which generics fold away (static tiles vectorize).
  MLIRContext *ctx = op.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> tMaps = {AffineMap::get(2, 0, {d1, d0}, ctx),
                                  AffineMap::get(2, 0, {d0, d1}, ctx)};
  auto transpose = linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange{copy.getInputs()[0]}, ValueRange{tSub},
      tMaps, SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, args[0]);
      });
  transpose->setAttr(kPackTransposeAttr, b.getUnitAttr());
  copy.erase();
  rhs->set(tSub);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[1] = AffineMap::get(map.getNumDims(), 0,
                           {map.getResult(1), map.getResult(0)},
                           op.getContext());
  op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  if (sub->use_empty())
    sub.erase();
  if (view->use_empty())
    view.erase();
  return true;
}

//===----------------------------------------------------------------------===//
// Register epilogues
//===----------------------------------------------------------------------===//

/// An elementwise generic applied to a contraction's C tiles as they leave
/// the registers (Passes.td): `op` reads the contraction's C buffer `c`.
struct Epilogue {
  linalg::GenericOp op;
  Value c;
};

/// The generic right after contraction `c` when it can be an epilogue:
/// every C element is final when its tile is stored (k fits one cache
/// tile), it reads C in place and its other operands along n (or per row),
/// computes with arith/math ops only, and nothing it reads or writes
/// overlaps what the contraction reads or writes meanwhile.
std::optional<Epilogue> findEpilogue(const Contraction &c, int64_t kc) {
  if (c.extents[c.k] > kc)
    return std::nullopt;
  linalg::GenericOp gemm = c.op;
  auto e = dyn_cast_or_null<linalg::GenericOp>(gemm->getNextNode());
  if (!e || !e.hasPureBufferSemantics() || e.getNumDpsInits() != 1 ||
      e.getNumLoops() != e.getNumParallelLoops())
    return std::nullopt;
  Value cBuf = gemm.getDpsInitOperand(0)->get();
  auto cType = cast<MemRefType>(cBuf.getType());
  unsigned rank = cType.getRank();
  if (e.getNumLoops() != rank ||
      ArrayRef(e.getStaticLoopRanges()) != cType.getShape())
    return std::nullopt;
  OpOperand *out = e.getDpsInitOperand(0);
  Value outBuf = out->get();
  auto outType = dyn_cast<MemRefType>(outBuf.getType());
  if (!e.getMatchingIndexingMap(out).isIdentity() || !outType ||
      !outType.getLayout().isIdentity() ||
      !outType.getElementType().isIntOrFloat())
    return std::nullopt;
  Block &body = e.getRegion().front();
  if (!body.getArgument(e.getNumDpsInputs()).use_empty())
    return std::nullopt; // reads its output's old value
  if (outBuf != cBuf &&
      (!disjoint(outBuf, cBuf) ||
       llvm::any_of(gemm.getDpsInputs(),
                    [&](Value v) { return !disjoint(outBuf, v); })))
    return std::nullopt;
  bool readsC = false;
  for (OpOperand *in : e.getDpsInputOperands()) {
    AffineMap m = e.getMatchingIndexingMap(in);
    if (in->get() == cBuf) {
      if (!m.isIdentity())
        return std::nullopt;
      readsC = true;
      continue;
    }
    auto t = dyn_cast<MemRefType>(in->get().getType());
    if (!t || !t.hasStaticShape() || !t.getLayout().isIdentity() ||
        !m.isProjectedPermutation() || !disjoint(in->get(), cBuf) ||
        (outBuf != cBuf && !disjoint(in->get(), outBuf)))
      return std::nullopt;
    // Read like C, along n only (innermost: a contiguous vector), or
    // neither along m nor n (a scalar per tile).
    if (m.isIdentity())
      continue;
    bool readsM = false, readsN = false;
    for (unsigned r = 0; r < m.getNumResults(); ++r) {
      readsM |= m.getDimPosition(r) == rank - 2;
      readsN |= m.getDimPosition(r) == rank - 1;
    }
    if (readsM || (readsN && m.getDimPosition(m.getNumResults() - 1) != rank - 1))
      return std::nullopt;
  }
  if (!readsC)
    return std::nullopt;
  for (Operation &op : body.without_terminator())
    if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) ||
        op.getNumRegions() != 0 || op.getNumResults() != 1 ||
        isa<VectorType>(op.getResult(0).getType()))
      return std::nullopt;
  return Epilogue{e, cBuf};
}

/// Applies `ep` to the vectorized contraction's C stores, which are in the
/// loop nests right before it, and erases it. Leaves everything as it was
/// (and returns false) unless every store of C is a whole row vector of a
/// finished tile (the k loop's result) at C's own indices.
bool applyEpilogue(const Epilogue &ep) {
  linalg::GenericOp e = ep.op;
  unsigned rank = cast<MemRefType>(ep.c.getType()).getRank();
  SmallVector<vector::TransferWriteOp> writes;
  SmallVector<Operation *> nests;
  bool ok = true;
  for (Operation *op = e->getPrevNode(); op && ok; op = op->getPrevNode()) {
    if (isa<arith::ConstantOp, memref::AllocaOp, memref::ViewOp>(op))
      continue;
    if (!isa<scf::ForOp>(op))
      break;
    nests.push_back(op);
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        Value root = v;
        while (auto sub = root.getDefiningOp<memref::SubViewOp>())
          root = sub.getSource();
        if (root != ep.c)
          continue;
        if (isa<vector::TransferReadOp, memref::SubViewOp>(nested))
          continue;
        auto w = dyn_cast<vector::TransferWriteOp>(nested);
        auto vt = w ? dyn_cast<VectorType>(w.getVector().getType()) : nullptr;
        if (!w || v != ep.c || w.getBase() != ep.c || w.getMask() || !vt ||
            !w.getPermutationMap().isMinorIdentity() ||
            !llvm::all_of(w.getInBoundsValues(), [](bool b) { return b; }) ||
            !w.getVector().getDefiningOp<scf::ForOp>()) {
          ok = false;
          continue;
        }
        writes.push_back(w);
      }
    });
  }
  if (!ok || writes.empty())
    return false;

  Block &body = e.getRegion().front();
  Value outBuf = e.getDpsInitOperand(0)->get();
  Location loc = e.getLoc();
  for (vector::TransferWriteOp w : writes) {
    OpBuilder b(w);
    // The tile: a vector over C's last vrank dims (rows of m, then n),
    // computed one row (a 1-D vector along n) at a time: the LLVM
    // conversion takes 1-D vector ops, as the micro-kernel's own.
    auto tile = cast<VectorType>(w.getVector().getType());
    unsigned vrank = tile.getRank();
    int64_t n = tile.getShape().back();
    ValueRange idx = w.getIndices();
    auto rowOf = [&](Type elt) { return VectorType::get({n}, elt); };
    // Operands read once per tile: C's tile itself, another operand read
    // like C (a tile), along n only (one row for all), or a scalar.
    enum class Kind { Tile, Row, Scalar };
    SmallVector<std::tuple<BlockArgument, Value, Kind>> reads;
    for (OpOperand *in : e.getDpsInputOperands()) {
      BlockArgument arg = body.getArgument(in->getOperandNumber());
      if (arg.use_empty())
        continue;
      if (in->get() == ep.c) {
        reads.push_back({arg, w.getVector(), Kind::Tile});
        continue;
      }
      AffineMap m = e.getMatchingIndexingMap(in);
      SmallVector<Value> at;
      unsigned tileDims = 0;
      for (unsigned r = 0; r < m.getNumResults(); ++r) {
        at.push_back(idx[m.getDimPosition(r)]);
        tileDims += m.getDimPosition(r) >= rank - vrank;
      }
      Type elt = arg.getType();
      if (m.isIdentity()) {
        Value v = vector::TransferReadOp::create(
            b, loc, VectorType::get(tile.getShape(), elt), in->get(), at,
            arith::getZeroConstant(b, loc, elt),
            SmallVector<bool>(vrank, true));
        reads.push_back({arg, v, Kind::Tile});
      } else if (tileDims == 1 && m.getNumResults() > 0 &&
                 m.getDimPosition(m.getNumResults() - 1) == rank - 1) {
        Value v = vector::LoadOp::create(b, loc, rowOf(elt), in->get(), at);
        reads.push_back({arg, v, Kind::Row});
      } else {
        // findEpilogue admits nothing else: no m, no n.
        Value v = memref::LoadOp::create(b, loc, in->get(), at);
        reads.push_back({arg, v, Kind::Scalar});
      }
    }
    Type resultElt =
        cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getType();
    Value result = outBuf == ep.c
                       ? w.getVector()
                       : Value(arith::ConstantOp::create(
                             b, loc,
                             DenseElementsAttr::get(
                                 VectorType::get(tile.getShape(), resultElt),
                                 b.getZeroAttr(resultElt))));
    SmallVector<int64_t> rows(tile.getShape().drop_back());
    int64_t count = 1;
    for (int64_t r : rows)
      count *= r;
    for (int64_t flat = 0; flat < count; ++flat) {
      SmallVector<int64_t> pos(rows.size());
      for (int64_t i = rows.size() - 1, rest = flat; i >= 0; --i) {
        pos[i] = rest % rows[i];
        rest /= rows[i];
      }
      IRMapping map;
      for (auto [arg, v, kind] : reads)
        map.map(arg, kind == Kind::Tile && !pos.empty()
                         ? Value(vector::ExtractOp::create(b, loc, v, pos))
                         : v);
      // Scalars (constants, per-tile operands) are broadcast where a
      // vector op reads them.
      auto vec = [&](Value v) -> Value {
        Value m = map.lookupOrDefault(v);
        if (isa<VectorType>(m.getType()))
          return m;
        return vector::BroadcastOp::create(b, loc, rowOf(m.getType()), m);
      };
      for (Operation &op : body.without_terminator()) {
        if (isa<arith::ConstantOp>(op)) {
          map.map(op.getResult(0), b.clone(op)->getResult(0));
          continue;
        }
        SmallVector<Value> operands;
        for (Value v : op.getOperands())
          operands.push_back(vec(v));
        Operation *clone = b.clone(op);
        clone->setOperands(operands);
        clone->getResult(0).setType(rowOf(op.getResult(0).getType()));
        map.map(op.getResult(0), clone->getResult(0));
      }
      Value r = vec(cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
      result = pos.empty() ? r
                           : Value(vector::InsertOp::create(b, loc, r, result,
                                                            pos));
    }
    if (outBuf == ep.c) {
      w.getValueToStoreMutable().assign(result);
    } else {
      b.setInsertionPointAfter(w);
      vector::TransferWriteOp::create(b, loc, result, outBuf, idx,
                                      SmallVector<bool>(vrank, true));
    }
  }
  // The kernels now carry the epilogue's spec origin too.
  for (Operation *nest : nests)
    nest->setLoc(FusedLoc::get(e.getContext(), {nest->getLoc(), loc}));
  e.erase();
  return true;
}

struct LoomTileContractionsPass
    : public mlir::loom::impl::LoomTileContractionsBase<
          LoomTileContractionsPass> {
  using LoomTileContractionsBase::LoomTileContractionsBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    LoomTileContractionsBase::getDependentDialects(registry);
    linalg::registerTransformDialectExtension(registry);
    scf::registerTransformDialectExtension(registry);
    vector::registerTransformDialectExtension(registry);
    memref::registerTransformDialectExtension(registry);
  }

  /// Whether contraction `c` reads B from packed blocks. B's rows (one per
  /// k) 2 KiB apart or more: the micro-kernel's loads touch a new page and
  /// an aliasing L1 set every few k steps (GEMM M256 K768 N3072: 360 -> 460
  /// GFLOP/s packed), and a weight streamed from memory (a model's layers
  /// do not fit in cache) arrives faster as the copy's long contiguous rows
  /// (GPT-2 forward T128 96 -> 89 ms packing N = 768 too, though the same
  /// GEMM alone, its B in cache, is ~5% slower packed). Narrower B (rows
  /// under 512 floats, heads of 64) is read as it is. B stored [n, k] (an unbatched weight: the LM head,
  /// PyTorch-layout linears): its block is transposed into [k, n] while
  /// packed, so the 8 x 32 micro-kernel reads it like any other B instead of
  /// gathering a column of 16 scalars per k for the 24 x 16 one.
  bool shouldPack(const Contraction &c) const {
    if (!packB)
      return false;
    if (c.transposedB)
      return c.bUnbatched;
    return c.bRowStride * 4 >= 2048;
  }

  /// First phase for a packed contraction: cache loops over batch, n and k
  /// (m untiled), and B's kc x nc block copied into a stack buffer there:
  /// once per block, reused by every m tile.
  std::string packScript(const Contraction &c, int id) const {
    size_t loops = c.extents.size();
    SmallVector<int64_t> nk(loops, 0), order(c.batch);
    for (int64_t b : c.batch)
      nk[b] = 1;
    nk[c.n] = std::min(nc.getValue(), c.extents[c.n]);
    nk[c.k] = std::min(kc.getValue(), c.extents[c.k]);
    order.append({c.n, c.k, c.m}); // a full permutation (m untiled)
    std::string s;
    llvm::raw_string_ostream os(s);
    std::string p = "%c" + std::to_string(id);
    os << "    " << p << " = transform.structured.match ops{[\"linalg.generic\"]} "
       << "attributes{" << kIdAttr << " = " << id << " : i64} in %root"
       << " : (!transform.any_op) -> !transform.any_op\n";
    os << "    " << p << "n0, " << p << "nk:" << c.batch.size() + 2
       << " = transform.structured.tile_using_for " << p << " tile_sizes "
       << list(nk) << " interchange = " << list(order)
       << " : (!transform.any_op) -> (" << tiledAndLoops(c.batch.size() + 2)
       << ")\n";
    os << "    " << p << "n1 = transform.structured.promote " << p
       << "n0 { operands_to_promote = [1], use_alloca } : "
          "(!transform.any_op) -> !transform.any_op\n";
    return s;
  }

  /// Tiling and peeling of contraction `id` (handles stay per op).
  std::string tileScript(const Contraction &c, int id) const {
    size_t loops = c.extents.size(), nb = c.batch.size();
    int64_t regM = c.transposedB ? mrTransposed : mr;
    int64_t regN = c.transposedB ? nrTransposed : nr;
    auto clamp = [&](int64_t dim, int64_t tile) {
      return std::min(tile, c.extents[dim]);
    };
    SmallVector<int64_t> cache(loops, 0), reg(loops, 0), kOne(loops, 0);
    SmallVector<int64_t> cacheOrder(c.batch), regOrder(c.batch);
    for (int64_t b : c.batch)
      cache[b] = 1;
    cache[c.m] = clamp(c.m, mc);
    cache[c.n] = clamp(c.n, nc);
    cache[c.k] = clamp(c.k, kc);
    cacheOrder.append({c.n, c.k, c.m});
    reg[c.m] = clamp(c.m, regM);
    reg[c.n] = clamp(c.n, regN);
    regOrder.append({c.n, c.m, c.k});
    kOne[c.k] = 1;
    std::string s;
    llvm::raw_string_ostream os(s);
    std::string p = "%c" + std::to_string(id);
    os << "    " << p << " = transform.structured.match ops{[\"linalg.generic\"]} "
       << "attributes{" << kIdAttr << " = " << id << " : i64} in %root"
       << " : (!transform.any_op) -> !transform.any_op\n";
    // Cache loops, outermost first: batch.., n, k, m.
    std::vector<std::string> cl;
    if (c.packed) {
      // packScript tiled batch, n and k and packed B's block there; their
      // loops are the op's parents (k innermost). Then m.
      SmallVector<int64_t> mOnly(loops, 0);
      mOnly[c.m] = cache[c.m];
      for (size_t i = 0; i < nb + 2; ++i) {
        std::string h = p + "p" + std::to_string(i);
        os << "    " << h << " = transform.get_parent_op " << p
           << " {op_name = \"scf.for\", nth_parent = " << nb + 2 - i
           << " : i64} : (!transform.any_op) -> !transform.any_op\n";
        cl.push_back(h);
      }
      os << "    " << p << "t0, " << p << "ml = transform.structured.tile_using_for "
         << p << " tile_sizes " << list(mOnly)
         << " : (!transform.any_op) -> (" << tiledAndLoops(1) << ")\n";
      cl.push_back(p + "ml");
    } else {
      os << "    " << p << "t0, " << p << "cl:" << nb + 3
         << " = transform.structured.tile_using_for " << p << " tile_sizes "
         << list(cache) << " interchange = " << list(cacheOrder)
         << " : (!transform.any_op) -> (" << tiledAndLoops(nb + 3) << ")\n";
      for (size_t i = 0; i < nb + 3; ++i)
        cl.push_back(p + "cl#" + std::to_string(i));
    }
    os << "    " << p << "t1, " << p << "rl:2 = transform.structured.tile_using_for "
       << p << "t0 tile_sizes " << list(reg) << " interchange = "
       << list(regOrder) << " : (!transform.any_op) -> (" << tiledAndLoops(2) << ")\n";
    os << "    " << p << "t2, " << p << "kl = transform.structured.tile_using_for "
       << p << "t1 tile_sizes " << list(kOne)
       << " : (!transform.any_op) -> (" << tiledAndLoops(1) << ")\n";
    // The cache loops over batch, n and m write disjoint C tiles: marked for
    // loom-chunk-kernels (peeling copies the mark to the remainder loop).
    for (size_t i = 0; i < nb + 3; ++i)
      if (i != nb + 1) // the k loop accumulates
        os << "    transform.annotate " << cl[i]
           << " \"loom.parallel\" : !transform.any_op\n";
    // Innermost first: each outer peel clones the peeled inner loops, so
    // every remainder combination gets static trip counts. A loop that
    // divides evenly cannot be peeled (a silenceable failure): suppressed.
    std::vector<std::string> peel = {p + "rl#1", p + "rl#0", cl[nb + 2],
                                     cl[nb + 1], cl[nb]};
    for (auto [i, loop] : llvm::enumerate(peel)) {
      std::string h = p + "f" + std::to_string(i);
      os << "    " << h << " = transform.cast " << loop
         << " : !transform.any_op to !transform.op<\"scf.for\">\n"
         << "    transform.sequence " << h
         << " : !transform.op<\"scf.for\"> failures(suppress) {\n"
         << "    ^bb0(%l: !transform.op<\"scf.for\">):\n"
         << "      %main, %rest = transform.loop.peel %l : "
            "(!transform.op<\"scf.for\">) -> (!transform.any_op, "
            "!transform.any_op)\n"
         << "    }\n";
    }
    return s;
  }

  /// Vectorization of every tile, C hoisted out of k, contraction lowered
  /// to outer products (broadcast FMAs). lower_broadcast / lower_shape_cast
  /// are left out: with them the greedy driver does not terminate on
  /// 1 x n remainder tiles (the LLVM conversion handles what they would).
  std::string vectorizeScript() const {
    // Per function: the pattern applications and the hoisting take one
    // function handle each.
    return R"(    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.foreach %funcs : !transform.any_op {
    ^bb0(%f: !transform.any_op):
      transform.apply_patterns to %f { transform.apply_patterns.canonicalization } : !transform.any_op
      %tr = transform.structured.match ops{["linalg.generic"]} attributes{loom.pack_transpose} in %f : (!transform.any_op) -> !transform.any_op
      %trt, %trl:2 = transform.structured.tile_using_for %tr tile_sizes [16, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
      %peel = transform.merge_handles %trl#1, %trl#0 : !transform.any_op
      transform.foreach %peel : !transform.any_op {
      ^bb0(%l: !transform.any_op):
        %lc = transform.cast %l : !transform.any_op to !transform.op<"scf.for">
        transform.sequence %lc : !transform.op<"scf.for"> failures(suppress) {
        ^bb0(%x: !transform.op<"scf.for">):
          %xm, %xr = transform.loop.peel %x : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        }
        transform.yield
      }
      transform.apply_patterns to %f { transform.apply_patterns.canonicalization } : !transform.any_op
      %tr2 = transform.structured.match ops{["linalg.generic"]} attributes{loom.pack_transpose} in %f : (!transform.any_op) -> !transform.any_op
      transform.foreach %tr2 : !transform.any_op {
      ^bb0(%t: !transform.any_op):
        transform.sequence %t : !transform.any_op failures(suppress) {
        ^bb0(%x: !transform.any_op):
          transform.structured.vectorize %x : !transform.any_op
        }
        transform.yield
      }
      %tiles = transform.structured.match ops{["linalg.generic"]} attributes{loom.contraction} in %f : (!transform.any_op) -> !transform.any_op
      transform.structured.vectorize %tiles : !transform.any_op
      transform.apply_patterns to %f {
        transform.apply_patterns.vector.reduction_to_contract
        transform.apply_patterns.vector.cast_away_vector_leading_one_dim
        transform.apply_patterns.vector.transfer_permutation_patterns
        transform.apply_patterns.memref.fold_memref_alias_ops
        transform.apply_patterns.canonicalization
      } : !transform.any_op
      %loops = transform.structured.match ops{["scf.for"]} in %f : (!transform.any_op) -> !transform.any_op
      transform.apply_licm to %loops : !transform.any_op
      transform.apply_cse to %f : !transform.any_op
      %f2 = transform.structured.hoist_redundant_vector_transfers %f : (!transform.any_op) -> !transform.any_op
      transform.apply_patterns to %f2 {
        transform.apply_patterns.vector.transfer_permutation_patterns
      } : !transform.any_op
      transform.apply_patterns to %f2 {
        transform.apply_patterns.vector.lower_transpose lowering_strategy = shuffle_16x16
      } : !transform.any_op
      transform.apply_patterns to %f2 {
        transform.apply_patterns.vector.lower_contraction lowering_strategy = outerproduct
        transform.apply_patterns.vector.lower_outerproduct
        transform.apply_patterns.vector.transfer_permutation_patterns
        transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
        transform.apply_patterns.vector.lower_transpose lowering_strategy = eltwise
        transform.apply_patterns.canonicalization
      } : !transform.any_op
      transform.yield
    }
)";
  }

  LogicalResult runScript(ModuleOp module, const std::string &script) {
    ParserConfig config(module.getContext());
    OwningOpRef<ModuleOp> transforms =
        parseSourceString<ModuleOp>(script, config, "loom-tile-contractions");
    if (!transforms)
      return module.emitError("loom-tile-contractions: internal error: the "
                              "generated transform script does not parse");
    Operation *entry = transform::detail::findTransformEntryPoint(
        module, *transforms, "__transform_main");
    if (!entry ||
        failed(transform::applyTransformNamedSequence(
            module, entry, *transforms, transform::TransformOptions())))
      return module.emitError("loom-tile-contractions: the tiling strategy "
                              "failed (see the notes above)");
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (nr % 16 != 0 || nrTransposed <= 0 || mr <= 0 || mrTransposed <= 0 ||
        mc <= 0 || nc <= 0 || kc <= 0) {
      module.emitError("loom-tile-contractions: tile sizes must be positive "
                       "and nr a multiple of 16 (AVX-512 vectors)");
      return signalPassFailure();
    }
    SmallVector<Contraction> found;
    module.walk([&](linalg::GenericOp op) {
      if (auto c = classify(op))
        found.push_back(*c);
    });
    if (found.empty())
      return;
    // Epilogues are chosen on the untransformed IR (the generic right after
    // each contraction) and applied once the C tiles are vectors.
    SmallVector<Epilogue> epilogueOps;
    if (epilogues)
      for (const Contraction &c : found)
        if (auto ep = findEpilogue(c, kc))
          epilogueOps.push_back(*ep);
    Builder b(module.getContext());
    const char *header =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%root: "
        "!transform.any_op {transform.readonly}) {\n";
    const char *footer = "    transform.yield\n  }\n}\n";
    // Phase 1: batch/n/k cache loops and B's packed blocks.
    std::string script = header;
    bool anyPacked = false;
    for (auto [id, c] : llvm::enumerate(found)) {
      c.op->setAttr(kIdAttr, b.getI64IntegerAttr(id));
      c.op->setAttr(kTagAttr, b.getUnitAttr());
      c.packed = shouldPack(c);
      if (c.packed) {
        script += packScript(c, id);
        anyPacked = true;
      }
    }
    script += footer;
    if (anyPacked && failed(runScript(module, script)))
      return signalPassFailure();
    // The packed blocks' stack buffers: one contraction's peeled loop nests
    // run one after another, so loom-outline-kernels lets them share one.
    module.walk([&](linalg::GenericOp g) {
      if (!g->hasAttr(kIdAttr) || g.getNumDpsInputs() != 2)
        return;
      Value v = g.getDpsInputOperand(1)->get();
      if (auto sub = v.getDefiningOp<memref::SubViewOp>())
        v = sub.getSource();
      if (auto view = v.getDefiningOp<memref::ViewOp>())
        if (auto alloca = view.getSource().getDefiningOp<memref::AllocaOp>())
          alloca->setAttr(loom::kPackScratchAttr, b.getUnitAttr());
    });
    // Blocks of a B stored [n, k] are transposed while packed: from here on
    // the contraction reads an ordinary [k, n] B.
    for (auto [id, c] : llvm::enumerate(found)) {
      if (!c.packed || !c.transposedB)
        continue;
      linalg::GenericOp op;
      module.walk([&, id = id](linalg::GenericOp g) {
        if (auto a = g->getAttrOfType<IntegerAttr>(kIdAttr);
            a && a.getInt() == int64_t(id))
          op = g;
      });
      if (op && transposePackedBlock(op))
        c.transposedB = false;
    }
    // Phase 2: m, register tiles, peeling, vectorization.
    script = header;
    for (auto [id, c] : llvm::enumerate(found))
      script += tileScript(c, id);
    script += vectorizeScript() + footer;
    if (failed(runScript(module, script)))
      return signalPassFailure();
    hoistAccumulators(module);
    for (const Epilogue &ep : epilogueOps)
      (void)applyEpilogue(ep);
    // Tiles that the vectorizer left (none expected) lose the tags.
    module.walk([&](linalg::GenericOp op) {
      op->removeAttr(kIdAttr);
      op->removeAttr(kTagAttr);
    });
  }
};

} // namespace
