//===- OutlineKernels.cpp - one function per top-level loop nest ----------===//
#include "loom/Codegen/Passes.h"

#include "KernelCost.h"
#include "Loom/IR/Origins.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SetVector.h"

#include <functional>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMOUTLINEKERNELS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// A `memref.view` of the arena argument with an identity layout: one
/// planned buffer.
bool isArenaBuffer(Operation *op) {
  auto view = dyn_cast<memref::ViewOp>(op);
  if (!view || !view.getType().getLayout().isIdentity())
    return false;
  auto arg = dyn_cast<BlockArgument>(view.getSource());
  if (!arg)
    return false;
  auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  return fn && fn.getArgAttr(arg.getArgNumber(), "loom.arena");
}

/// Ops recomputed inside a kernel instead of passed to it: constants and
/// views (whose results may have layouts the bare-pointer ABI cannot pass).
/// An arena buffer (the `memref.view` loom-plan-arena made of an
/// allocation) is passed instead: as an argument of its own it can be
/// marked noalias, which a pointer computed inside from the arena cannot.
bool isRematerializable(Operation *op) {
  if (op->getNumRegions() != 0 || op->getNumResults() != 1)
    return false;
  if (op->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (isArenaBuffer(op))
    return false;
  return isa<ViewLikeOpInterface, memref::ExpandShapeOp,
             memref::CollapseShapeOp, memref::ReinterpretCastOp,
             memref::CastOp>(op);
}

/// The packing buffers of contractions that run one after another (in one
/// kernel, or in the function itself): one buffer, the largest, at the
/// start of `body`, 64-byte aligned.
void sharePackScratch(ArrayRef<memref::AllocaOp> packed, Block *body) {
  if (packed.empty())
    return;
  memref::AllocaOp largest = packed.front();
  for (memref::AllocaOp a : packed)
    if (a.getType().getNumElements() > largest.getType().getNumElements())
      largest = a;
  largest->moveBefore(body, body->begin());
  largest.setAlignment(64);
  // The others become views of it at offset 0 (of their own type: a
  // kernel may take one as an argument).
  OpBuilder b(largest->getContext());
  b.setInsertionPointAfter(largest);
  Value zero;
  for (memref::AllocaOp a : packed) {
    if (a == largest)
      continue;
    // Views of it read the shared buffer directly.
    a.getResult().replaceUsesWithIf(largest.getResult(), [](OpOperand &use) {
      return isa<memref::ViewOp>(use.getOwner());
    });
    if (a.use_empty()) {
    } else if (a.getType() == largest.getType()) {
      a.replaceAllUsesWith(largest.getResult());
    } else {
      if (!zero)
        zero = arith::ConstantIndexOp::create(b, a.getLoc(), 0);
      a.replaceAllUsesWith(memref::ViewOp::create(b, a.getLoc(), a.getType(),
                                                  largest, zero, ValueRange{})
                               .getResult());
    }
    a.erase();
  }
}

/// The location of a kernel's call: the locations of every op in the loop
/// nest that records a loom op (mlir::loom::tagOrigins), fused, so the
/// call names all the spec lines and loom ops the kernel implements; the
/// loop's own location where none does.
Location siteLocation(Operation *loop) {
  llvm::SetVector<Location> locs;
  loop->walk([&](Operation *op) {
    std::vector<loom::Origin> origins;
    loom::collectOrigins(op->getLoc(), origins);
    if (!origins.empty())
      locs.insert(op->getLoc());
  });
  if (locs.empty())
    return loop->getLoc();
  if (locs.size() == 1)
    return locs.front();
  return FusedLoc::get(loop->getContext(), locs.getArrayRef());
}

struct LoomOutlineKernelsPass
    : public mlir::loom::impl::LoomOutlineKernelsBase<LoomOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        entries.push_back(fn);
    for (func::FuncOp fn : entries)
      if (failed(outline(fn, symbols)))
        return signalPassFailure();
  }

  LogicalResult outline(func::FuncOp fn, SymbolTable &symbols) {
    SmallVector<Operation *> loops;
    for (Operation &op : fn.getBody().getOps())
      if (isa<scf::ForOp, scf::ParallelOp>(op))
        loops.push_back(&op);
    MLIRContext *ctx = fn.getContext();
    unsigned n = 0;
    for (Operation *loop : loops) {
      if (loop->getNumResults() != 0)
        continue; // loops carrying values stay (none are expected)

      // What the loop reads from above, in the order the loop first uses
      // it (its own operands, then its body in pre-order): rematerialize
      // chains of constants and views (operands before users), pass
      // everything else. The order depends only on the loop's structure,
      // so the same loop outlined from two functions (forward and
      // train_step) gives the same kernel, which loom-dedup-kernels merges;
      // arena placement or program order would make them differ.
      llvm::SetVector<Operation *> cloned;
      llvm::SetVector<Value> args;
      auto definedInside = [&](Value v) {
        return loop->isAncestor(v.getParentRegion()->getParentOp());
      };
      std::function<void(Value)> use = [&](Value v) {
        if (definedInside(v) || args.contains(v))
          return;
        Operation *def = v.getDefiningOp();
        if (def && isRematerializable(def)) {
          if (cloned.contains(def))
            return;
          for (Value operand : def->getOperands())
            use(operand);
          cloned.insert(def);
          return;
        }
        args.insert(v);
      };
      for (Value v : loop->getOperands())
        use(v);
      for (Region &region : loop->getRegions())
        region.walk<WalkOrder::PreOrder>([&](Operation *op) {
          for (Value v : op->getOperands())
            use(v);
        });
      for (Value a : args) {
        auto m = dyn_cast<MemRefType>(a.getType());
        if (m && !m.getLayout().isIdentity())
          return loop->emitOpError("loom-outline-kernels: cannot pass ")
                 << a.getType() << " (non-identity layout) to a kernel";
      }

      SmallVector<Type> argTypes;
      for (Value a : args)
        argTypes.push_back(a.getType());
      OpBuilder mb(ctx);
      mb.setInsertionPoint(fn);
      std::string name = (fn.getSymName() + "__k" + Twine(n++)).str();
      auto kernel = func::FuncOp::create(mb, loop->getLoc(), name,
                                         mb.getFunctionType(argTypes, {}));
      kernel.setPrivate();
      kernel->setAttr("passthrough", mb.getArrayAttr({mb.getStringAttr("noinline")}));
      // Every buffer argument is disjoint from the others: entry-function
      // arguments are separate allocations of the runtime, the arena is one
      // more, and two arena buffers a kernel uses are both live at the
      // kernel, which loom-plan-arena never overlaps (closed live ranges).
      // Said to LLVM, this lets it keep values in registers and vectorize
      // (otherwise every store may clobber every load).
      for (auto [i, a] : llvm::enumerate(args))
        if (isa<MemRefType>(a.getType()))
          kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                            mb.getUnitAttr());
      Block *body = kernel.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockEnd(body);
      IRMapping map;
      for (auto [a, barg] : llvm::zip(args, body->getArguments()))
        map.map(a, barg);
      // The rematerialized ops in first-use order (operands first).
      for (Operation *op : cloned)
        b.clone(*op, map);
      Operation *inner = b.clone(*loop, map);
      // Scratch buffers of a loop nest (loom-tile-contractions' packed B
      // blocks) are allocated once per call, at the kernel's entry: an
      // alloca left inside a loop would grow the stack every iteration.
      // Each call (each thread's chunk) gets its own.
      // The packed-B buffers of one contraction (loom.pack_scratch, byte
      // arrays) belong to its peeled loop nests, which run one after the
      // other: they share the largest (1.2 MB, not one per remainder).
      SmallVector<memref::AllocaOp> scratch, packed;
      inner->walk([&](memref::AllocaOp a) {
        if (a->getNumOperands() != 0)
          return;
        auto t = a.getType();
        if (a->hasAttr(loom::kPackScratchAttr) && t.getRank() == 1 &&
            t.getElementType().isInteger(8) && t.getLayout().isIdentity())
          packed.push_back(a);
        else
          scratch.push_back(a);
      });
      for (memref::AllocaOp a : scratch)
        a->moveBefore(body, body->begin());
      sharePackScratch(packed, body);
      func::ReturnOp::create(b, loop->getLoc());
      symbols.insert(kernel);

      OpBuilder cb(loop);
      auto call = func::CallOp::create(cb, siteLocation(loop), kernel,
                                       args.getArrayRef());
      // What loom-profile-sites reports for this call (the kernel may be
      // shared with other sites once loom-dedup-kernels merges twins).
      double bytes = 0;
      for (Value a : args)
        bytes += loom::bufferBytes(a);
      call->setAttr(loom::kSiteFlopsAttr,
                    cb.getI64IntegerAttr(static_cast<int64_t>(loom::countFlops(loop))));
      call->setAttr(loom::kSiteBytesAttr,
                    cb.getI64IntegerAttr(static_cast<int64_t>(bytes)));
      loop->erase();
    }
    // Contractions left in the function itself (too little parallel work
    // to outline) run one after another too: one packing buffer for all
    // (eight 1.2 MB buffers overflowed the 8 MB stack of a small GPT's
    // training step).
    {
      SmallVector<memref::AllocaOp> packed;
      fn.walk([&](memref::AllocaOp a) {
        auto t = a.getType();
        if (a->getNumOperands() == 0 && a->hasAttr(loom::kPackScratchAttr) &&
            t.getRank() == 1 && t.getElementType().isInteger(8) &&
            t.getLayout().isIdentity())
          packed.push_back(a);
      });
      sharePackScratch(packed, &fn.getBody().front());
    }
    // Views and constants only the kernels used are dead now.
    // (Reverse order: a view's users come after it.)
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(fn.getBody().front())))
      if (isRematerializable(&op) && op.use_empty())
        op.erase();
    return success();
  }
};

} // namespace
