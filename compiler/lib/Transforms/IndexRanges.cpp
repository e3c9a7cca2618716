//===- IndexRanges.cpp - the valid values of every integer input ---------===//
//
// Compiled kernels trust their indices: an embedding row or a class id out of
// range reads outside its table. The spec says what is valid, so this pass
// works it out and records it where the runtime checks every call's inputs
// (docs/artifact.md, `range`): for each integer input, the values that reach
// an embedding's ids (rows of its table), a gather's indices or a
// cross-entropy's targets (classes, plus its ignore_index), through ops that
// only move values (reshape, transpose, slice, concat, integer casts).
// Position ids the model makes itself (`positions`) are checked here, at
// compile time: a sequence longer than a position table is an error at the
// embedding's spec line.
//
//===----------------------------------------------------------------------===//
#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMINDEXRANGES
#include "loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

/// What one input may hold: [lo, hi), and `ignore` besides when every use
/// that bounds it is a cross-entropy ignoring that value.
struct Range {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  std::optional<int64_t> ignore;
  bool bounded = false, ignoreValid = true;
  std::string of; // what bounds it, for the runtime's message

  void add(int64_t newLo, int64_t newHi, std::optional<int64_t> ign,
           const std::string &what) {
    if (!bounded || newHi - newLo < hi - lo)
      of = what;
    lo = std::max(lo, newLo);
    hi = std::min(hi, newHi);
    if (!ign)
      ignoreValid = false;
    else if (bounded && ignore != ign)
      ignoreValid = false;
    ignore = ign;
    bounded = true;
  }
};

/// "embedding 'wte'" when the table is a parameter argument.
std::string tableName(Value table, StringRef op) {
  if (auto arg = dyn_cast<BlockArgument>(table))
    if (auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (auto name = fn.getArgAttrOfType<StringAttr>(
              arg.getArgNumber(), LoomDialect::kParamAttrName))
        return (op + " '" + name.getValue() + "'").str();
  return op.str();
}

/// The size of the last dim of `v`'s type, or nullopt when dynamic.
std::optional<int64_t> lastDim(Value v, unsigned fromEnd = 1) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() < fromEnd || t.isDynamicDim(t.getRank() - fromEnd))
    return std::nullopt;
  return t.getDimSize(t.getRank() - fromEnd);
}

/// Adds the bounds every use of `v` (and of values that carry its elements
/// unchanged) puts on its values.
void collect(Value v, Range &r, llvm::SmallPtrSetImpl<Value> &seen) {
  if (!seen.insert(v).second)
    return;
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (auto e = dyn_cast<EmbeddingOp>(user)) {
      if (use.get() == e.getIds())
        if (auto rows = lastDim(e.getTable(), 2))
          r.add(0, *rows, std::nullopt, tableName(e.getTable(), "embedding"));
    } else if (auto g = dyn_cast<GatherOp>(user)) {
      if (use.get() == g.getIndices())
        if (auto n = lastDim(g.getInput()))
          r.add(0, *n, std::nullopt, "gather over " + std::to_string(*n));
    } else if (auto ce = dyn_cast<CrossEntropyOp>(user)) {
      if (use.get() == ce.getTargets())
        if (auto n = lastDim(ce.getLogits()))
          r.add(0, *n, ce.getIgnoreIndexAttr().getInt(),
                "cross_entropy over " + std::to_string(*n) + " classes");
    } else if (isa<ReshapeOp, TransposeOp, SliceOp, ConcatOp>(user)) {
      collect(user->getResult(0), r, seen);
    } else if (auto c = dyn_cast<CastOp>(user)) {
      auto t = dyn_cast<RankedTensorType>(c.getType());
      if (t && t.getElementType().isSignlessInteger() &&
          t.getElementType().getIntOrFloatBitWidth() > 1)
        collect(c.getResult(), r, seen);
    }
  }
}

struct LoomIndexRangesPass
    : public mlir::loom::impl::LoomIndexRangesBase<LoomIndexRangesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Learned position tables long enough for the positions they are given.
    WalkResult walk = module.walk([](EmbeddingOp e) {
      auto pos = e.getIds().getDefiningOp<PositionsOp>();
      auto like = pos ? dyn_cast<RankedTensorType>(pos.getLike().getType())
                      : nullptr;
      auto rows = lastDim(e.getTable(), 2);
      if (!like || !rows)
        return WalkResult::advance();
      int64_t axis = pos.getAxisAttr().getInt();
      int64_t offset = pos.getOffsetAttr().getInt();
      if (axis < 0 || axis >= like.getRank() || like.isDynamicDim(axis))
        return WalkResult::advance();
      int64_t n = like.getDimSize(axis);
      if (offset >= 0 && n <= *rows && offset <= *rows - n)
        return WalkResult::advance();
      // offset + n - 1 without overflow (offset is an attribute).
      std::string last = offset > INT64_MAX - n
                             ? "beyond 2^63"
                             : std::to_string(offset + n - 1);
      e.emitError() << tableName(e.getTable(), "the position embedding")
                    << " has " << *rows << " rows, but the positions it looks up "
                    << "run from " << offset << " to " << last
                    << " (a dim of " << n
                    << "): bind a shorter sequence or enlarge the table";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // Every integer input's bounds, over every function that takes it.
    std::map<std::string, Range> ranges;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      for (BlockArgument arg : fn.getArguments()) {
        auto name = fn.getArgAttrOfType<StringAttr>(
            arg.getArgNumber(), LoomDialect::kInputAttrName);
        auto t = dyn_cast<RankedTensorType>(arg.getType());
        if (!name || !t || !t.getElementType().isSignlessInteger() ||
            t.getElementType().getIntOrFloatBitWidth() == 1)
          continue;
        Range &r = ranges[name.str()];
        Range here;
        llvm::SmallPtrSet<Value, 8> seen;
        collect(arg, here, seen);
        if (here.bounded)
          r.add(here.lo, here.hi, here.ignoreValid ? here.ignore : std::nullopt,
                here.of);
      }
    }
    auto list = module->getAttrOfType<ArrayAttr>(LoomDialect::kInputsAttrName);
    if (!list)
      return;
    Builder b(module.getContext());
    SmallVector<Attribute> inputs;
    for (Attribute a : list) {
      auto d = dyn_cast<DictionaryAttr>(a);
      auto name = d ? d.getAs<StringAttr>("name") : nullptr;
      auto it = name ? ranges.find(name.str()) : ranges.end();
      if (it == ranges.end() || !it->second.bounded) {
        inputs.push_back(a);
        continue;
      }
      const Range &r = it->second;
      NamedAttrList attrs(d);
      attrs.set("range", b.getDenseI64ArrayAttr({r.lo, r.hi}));
      attrs.set("range_of", b.getStringAttr(r.of));
      if (r.ignoreValid && r.ignore && (*r.ignore < r.lo || *r.ignore >= r.hi))
        attrs.set("ignore", b.getI64IntegerAttr(*r.ignore));
      else
        attrs.erase("ignore");
      inputs.push_back(attrs.getDictionary(module.getContext()));
    }
    module->setAttr(LoomDialect::kInputsAttrName, b.getArrayAttr(inputs));
  }
};

} // namespace
