//===- ChunkKernels.cpp - kernels that run a range of their iterations ----===//
//
// See Passes.td. A kernel that qualifies takes (begin, end) and narrows one
// parallel dimension of its loop nest to those iterations; its calls pass
// the whole range until loom-dispatch-kernels routes them to the runtime.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMCHUNKKERNELS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "loom.parallel";
constexpr llvm::StringLiteral kTripsAttr = "loom.parallel_trips";

/// Iterations of a loop dimension with constant bounds (0 when unknown).
int64_t tripCount(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return 0;
  return *u > *l ? (*u - *l + *s - 1) / *s : 0;
}

double work(Region &region);

/// Operations `op` executes: a loop's body times its trips, a region op its
/// regions, anything else 1. Unknown trip counts count once (the estimate
/// then errs towards running serially).
double work(Operation &op) {
  double trips = 1;
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    trips = std::max<int64_t>(1, tripCount(loop.getLowerBound(),
                                           loop.getUpperBound(),
                                           loop.getStep()));
  } else if (auto par = dyn_cast<scf::ParallelOp>(op)) {
    for (auto [l, u, s] : llvm::zip(par.getLowerBound(), par.getUpperBound(),
                                    par.getStep()))
      trips *= std::max<int64_t>(1, tripCount(l, u, s));
  }
  double inner = op.getNumRegions() == 0 ? 1 : 0;
  for (Region &r : op.getRegions())
    inner += work(r);
  return trips * inner;
}

double work(Region &region) {
  double w = 0;
  for (Block &b : region)
    for (Operation &op : b)
      w += work(op);
  return w;
}

/// The parallel dimension to split and its trip count: the outermost with
/// enough iterations for every thread of a small machine, else the widest.
struct Split {
  Operation *loop;
  unsigned dim;
  int64_t trips;
};

std::optional<Split> chooseSplit(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    if (!loop->hasAttr(kParallelAttr) || loop.getNumResults() != 0)
      return std::nullopt;
    int64_t t = tripCount(loop.getLowerBound(), loop.getUpperBound(),
                          loop.getStep());
    if (t < 2)
      return std::nullopt;
    return Split{op, 0, t};
  }
  auto par = dyn_cast<scf::ParallelOp>(op);
  if (!par || par.getNumResults() != 0)
    return std::nullopt;
  std::optional<Split> widest;
  for (unsigned d = 0; d < par.getNumLoops(); ++d) {
    int64_t t = tripCount(par.getLowerBound()[d], par.getUpperBound()[d],
                          par.getStep()[d]);
    if (t >= 4)
      return Split{op, d, t};
    if (t >= 2 && (!widest || t > widest->trips))
      widest = Split{op, d, t};
  }
  return widest;
}

/// Arguments the dispatch can pass in 8-byte slots.
bool passableInSlots(Type t) {
  if (auto m = dyn_cast<MemRefType>(t))
    return m.getLayout().isIdentity() && m.hasStaticShape();
  return t.isIndex() || (t.isIntOrFloat() && t.getIntOrFloatBitWidth() <= 64);
}

struct LoomChunkKernelsPass
    : public mlir::loom::impl::LoomChunkKernelsBase<LoomChunkKernelsPass> {
  using LoomChunkKernelsBase::LoomChunkKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<StringAttr, int64_t> chunked;
    for (auto fn : module.getOps<func::FuncOp>()) {
      // Kernels: private functions with a body (loom-outline-kernels).
      if (!fn.isPrivate() || fn.isExternal() || fn->hasAttr(kTripsAttr) ||
          !fn.getBody().hasOneBlock())
        continue;
      if (!llvm::all_of(fn.getArgumentTypes(), passableInSlots))
        continue;
      Operation *nest = nullptr;
      bool single = true;
      for (Operation &op : fn.getBody().front())
        if (op.getNumRegions() != 0) {
          single = nest == nullptr;
          nest = &op;
        }
      if (!nest || !single)
        continue;
      std::optional<Split> split = chooseSplit(nest);
      if (!split || work(fn.getBody()) < double(minWork))
        continue;
      narrow(fn, *split);
      chunked[fn.getSymNameAttr()] = split->trips;
    }
    if (chunked.empty())
      return;
    module.walk([&](func::CallOp call) {
      auto it = chunked.find(call.getCalleeAttr().getAttr());
      if (it == chunked.end())
        return;
      OpBuilder b(call);
      SmallVector<Value> args(call.getOperands());
      args.push_back(arith::ConstantIndexOp::create(b, call.getLoc(), 0));
      args.push_back(
          arith::ConstantIndexOp::create(b, call.getLoc(), it->second));
      call->setOperands(args);
    });
  }

  /// Adds (begin, end) to `fn` and makes the split dimension run
  /// iterations [begin, end): lb + begin * step up to min(ub, lb + end * step).
  void narrow(func::FuncOp fn, const Split &split) {
    OpBuilder b(fn.getContext());
    Location loc = split.loop->getLoc();
    Type index = b.getIndexType();
    unsigned n = fn.getNumArguments();
    (void)fn.insertArguments({n, n}, {index, index}, {{}, {}}, {loc, loc});
    Value begin = fn.getArgument(n), end = fn.getArgument(n + 1);
    b.setInsertionPoint(split.loop);
    Value lb, ub, step;
    unsigned lbIndex, ubIndex;
    if (auto loop = dyn_cast<scf::ForOp>(split.loop)) {
      lb = loop.getLowerBound();
      ub = loop.getUpperBound();
      step = loop.getStep();
      lbIndex = 0;
      ubIndex = 1;
    } else {
      auto par = cast<scf::ParallelOp>(split.loop);
      unsigned loops = par.getNumLoops();
      lb = par.getLowerBound()[split.dim];
      ub = par.getUpperBound()[split.dim];
      step = par.getStep()[split.dim];
      lbIndex = split.dim;
      ubIndex = loops + split.dim;
    }
    Value first = arith::AddIOp::create(
        b, loc, lb, arith::MulIOp::create(b, loc, begin, step));
    Value last = arith::MinSIOp::create(
        b, loc, ub,
        arith::AddIOp::create(b, loc, lb,
                              arith::MulIOp::create(b, loc, end, step)));
    split.loop->setOperand(lbIndex, first);
    split.loop->setOperand(ubIndex, last);
    fn->setAttr(kTripsAttr, b.getI64IntegerAttr(split.trips));
  }
};

} // namespace
