//===- MapToGpu.cpp - linalg on buffers to CUDA kernel launches -----------===//
//
// The CUDA target's mapping (docs/cuda.md): after bufferization, every
// linalg op becomes one gpu.launch over a linear index space, and nothing
// else touches memory on the host. loom-gpu-emulate undoes the launches into
// host loops, so the mapping is checked against the interpreter on machines
// without a GPU.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMMAPTOGPU
#define GEN_PASS_DEF_LOOMGPUEMULATE
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// Parallel dimensions first, reductions after, each group in its order: the
/// parallel loops then nest outermost and become the launch's index space.
LogicalResult parallelDimsFirst(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<unsigned> parallel, reduction;
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    (linalg::isParallelIterator(type) ? parallel : reduction).push_back(i);
  SmallVector<unsigned> order(parallel);
  order.append(reduction);
  if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
    return success();
  return interchangeGenericOp(rewriter, op, order);
}

/// scf.parallel loops nested inside a kernel run sequentially in its thread.
void sequentializeNested(RewriterBase &rewriter, Operation *root) {
  SmallVector<scf::ParallelOp> nested;
  root->walk([&](scf::ParallelOp p) { nested.push_back(p); });
  // Innermost first (walk is post-order), so each body is already plain.
  for (scf::ParallelOp p : nested) {
    rewriter.setInsertionPoint(p);
    IRMapping map;
    Block *body = p.getBody();
    std::function<void(unsigned)> build = [&](unsigned d) {
      if (d == p.getNumLoops()) {
        for (Operation &op : body->without_terminator())
          rewriter.clone(op, map);
        return;
      }
      auto loop = scf::ForOp::create(rewriter, p.getLoc(), p.getLowerBound()[d],
                                     p.getUpperBound()[d], p.getStep()[d]);
      map.map(body->getArgument(d), loop.getInductionVar());
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
      build(d + 1);
    };
    build(0);
    rewriter.eraseOp(p);
  }
}

/// Values defined by memref.get_global outside `launch` and used inside it
/// are re-fetched inside: the global is then a symbol the kernel references,
/// which kernel outlining copies into the device module (a host address of
/// a constant table means nothing on the device).
void refetchGlobals(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  DenseMap<Value, Value> inside;
  launch.walk([&](Operation *op) {
    for (OpOperand &use : op->getOpOperands()) {
      auto global = use.get().getDefiningOp<memref::GetGlobalOp>();
      if (!global || body.isAncestor(global->getParentRegion()))
        continue;
      Value &copy = inside[use.get()];
      if (!copy) {
        OpBuilder b(&body.front(), body.front().begin());
        copy = b.clone(*global)->getResult(0);
      }
      use.set(copy);
    }
  });
}

/// A launch of `blocks` × `threads` (1-D) whose body is built by `fill` at an
/// insertion point before the terminator, given the thread's linear id.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value blocks,
                           int64_t threads,
                           function_ref<void(OpBuilder &, Value)> fill) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value tpb = arith::ConstantIndexOp::create(b, loc, threads);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one, tpb, one, one);
  OpBuilder inner = OpBuilder::atBlockBegin(&launch.getBody().front());
  gpu::TerminatorOp::create(inner, loc);
  inner.setInsertionPoint(launch.getBody().front().getTerminator());
  Value id = arith::AddIOp::create(
      inner, loc,
      arith::MulIOp::create(inner, loc, launch.getBlockIds().x,
                            arith::ConstantIndexOp::create(inner, loc, threads)),
      launch.getThreadIds().x);
  fill(inner, id);
  return launch;
}

bool touchesMemory(Operation *op);

/// Does `op`'s host part (outside its launches) read or write a buffer?
bool hostPartReadsMemory(Operation *op) {
  bool reads = false;
  op->walk<WalkOrder::PreOrder>([&](Operation *inner) {
    if (isa<gpu::LaunchOp>(inner))
      return WalkResult::skip();
    if (inner != op && inner->getNumRegions() == 0 && touchesMemory(inner)) {
      reads = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return reads;
}

/// Does `op` (or anything in it) read or write a buffer?
bool touchesMemory(Operation *op) {
  bool touches = false;
  op->walk([&](Operation *inner) {
    if (isa<memref::SubViewOp, memref::ViewOp, memref::ReshapeOp,
            memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
            memref::ReinterpretCastOp, memref::GetGlobalOp,
            memref::ExtractStridedMetadataOp, memref::DimOp>(inner))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!effects) {
      if (!inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
          !isa<scf::YieldOp, scf::ForOp, scf::IfOp>(inner)) {
        touches = true;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (const MemoryEffects::EffectInstance &e : list)
      if (isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect())) {
        touches = true;
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return touches;
}

LogicalResult launchAsLoops(RewriterBase &rewriter, gpu::LaunchOp launch);

struct LoomMapToGpuPass
    : public mlir::loom::impl::LoomMapToGpuBase<LoomMapToGpuPass> {
  using LoomMapToGpuBase::LoomMapToGpuBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    if (threads < 1 || threads > 1024) {
      module.emitError() << "loom-map-to-gpu: threads must be 1..1024";
      return signalPassFailure();
    }
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      if (failed(lowerLinalg(rewriter, fn)) || failed(mapLoops(rewriter, fn)) ||
          failed(scratchOnDevice(rewriter, fn)) ||
          failed(wrapHostCode(rewriter, fn.getBody())))
        return signalPassFailure();
    }
  }

  LogicalResult lowerLinalg(IRRewriter &rewriter, func::FuncOp fn) {
    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      if (!op.hasPureBufferSemantics())
        return op.emitError("loom-map-to-gpu: linalg op on tensors (bufferize first)");
      linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          return op.emitError("loom-map-to-gpu: cannot generalize this op");
        generic = *g;
      }
      if (failed(parallelDimsFirst(rewriter, generic)))
        return generic.emitError("loom-map-to-gpu: cannot reorder the loops");
      if (generic.getNumParallelLoops() == 0) {
        // A full reduction (a loss, a norm): one thread runs its loops.
        rewriter.setInsertionPoint(generic);
        Value one = arith::ConstantIndexOp::create(rewriter, generic.getLoc(), 1);
        createLaunch(rewriter, generic.getLoc(), one, 1, [&](OpBuilder &b, Value) {
          generic->moveBefore(b.getInsertionBlock(), b.getInsertionPoint());
        });
        rewriter.setInsertionPoint(generic);
        if (failed(linalg::linalgOpToLoops(rewriter, generic)))
          return generic.emitError("loom-map-to-gpu: cannot lower to loops");
        rewriter.eraseOp(generic);
        continue;
      }
      rewriter.setInsertionPoint(generic);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, generic)))
        return generic.emitError("loom-map-to-gpu: cannot lower to loops");
      rewriter.eraseOp(generic);
    }
    return success();
  }

  /// Each outermost scf.parallel becomes a launch.
  LogicalResult mapLoops(IRRewriter &rewriter, func::FuncOp fn) {
    SmallVector<scf::ParallelOp> outer;
    fn.walk<WalkOrder::PreOrder>([&](scf::ParallelOp p) {
      outer.push_back(p);
      return WalkResult::skip();
    });
    for (scf::ParallelOp p : outer) {
      if (p.getNumReductions() != 0)
        return p.emitError("loom-map-to-gpu: parallel loop with reductions");
      Location loc = p.getLoc();
      rewriter.setInsertionPoint(p);
      // Trip counts, and their product: the launch's index space.
      SmallVector<Value> trips;
      Value total = arith::ConstantIndexOp::create(rewriter, loc, 1);
      for (unsigned d = 0; d < p.getNumLoops(); ++d) {
        Value span = arith::SubIOp::create(rewriter, loc, p.getUpperBound()[d],
                                           p.getLowerBound()[d]);
        Value n = arith::CeilDivSIOp::create(rewriter, loc, span, p.getStep()[d]);
        trips.push_back(n);
        total = arith::MulIOp::create(rewriter, loc, total, n);
      }
      Value tpb = arith::ConstantIndexOp::create(rewriter, loc, threads);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      // At least one block: an empty loop still makes a valid launch.
      Value blocks = arith::MaxSIOp::create(
          rewriter, loc, arith::CeilDivSIOp::create(rewriter, loc, total, tpb), one);
      Block *body = p.getBody();
      gpu::LaunchOp launch = createLaunch(
          rewriter, loc, blocks, threads, [&](OpBuilder &b, Value id) {
            Value inRange = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ult, id, total);
            auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
            b.setInsertionPoint(guard.thenBlock()->getTerminator());
            IRMapping map;
            Value rest = id;
            // Innermost dimension fastest.
            for (int d = p.getNumLoops() - 1; d >= 0; --d) {
              Value i = d == 0 ? rest
                               : arith::RemUIOp::create(b, loc, rest, trips[d]).getResult();
              if (d != 0)
                rest = arith::DivUIOp::create(b, loc, rest, trips[d]);
              Value iv = arith::AddIOp::create(
                  b, loc, p.getLowerBound()[d],
                  arith::MulIOp::create(b, loc, i, p.getStep()[d]));
              map.map(body->getArgument(d), iv);
            }
            for (Operation &op : body->without_terminator())
              b.clone(op, map);
          });
      sequentializeNested(rewriter, launch);
      refetchGlobals(launch);
      rewriter.eraseOp(p);
    }
    return success();
  }

  /// Scratch buffers the host code allocates inside its loops (the blocked
  /// attention gradient's per-(batch, head) temporaries, which convert-loom-
  /// to-linalg makes and the arena cannot hold: it plans buffers outside
  /// loops) become device-visible buffers allocated once at the function's entry
  /// and freed at its returns: the loop's iterations run one after another
  /// (their launches are stream-ordered) and each writes its scratch before
  /// reading it, so one buffer serves them all.
  LogicalResult scratchOnDevice(IRRewriter &rewriter, func::FuncOp fn) {
    SmallVector<Operation *> allocs;
    fn.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<memref::AllocaOp, memref::AllocOp>(op))
        allocs.push_back(op);
      return WalkResult::advance();
    });
    Block &entry = fn.getBody().front();
    for (Operation *op : allocs) {
      auto type = cast<MemRefType>(op->getResult(0).getType());
      if (!type.hasStaticShape() || op->getNumOperands() != 0)
        return op->emitError("loom-map-to-gpu: a host buffer of dynamic size");
      for (Operation *user : op->getResult(0).getUsers())
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      // The loops around it share the buffer now: their iterations are no
      // longer independent (a loop tagged loom.parallel may otherwise run
      // them on several threads: the emulated target's CPU stage does).
      for (Operation *p = op->getParentOp(); p && p != fn; p = p->getParentOp())
        p->removeAttr("loom.parallel");
      rewriter.setInsertionPointToStart(&entry);
      // host_shared (managed memory, from the runtime's cache): MLIR's
      // lowering takes a synchronous gpu.alloc only in that form, and the
      // GPU keeps the pages once it has touched them.
      auto device = gpu::AllocOp::create(rewriter, op->getLoc(), type, Type(),
                                         ValueRange(), ValueRange(), ValueRange(),
                                         rewriter.getUnitAttr());
      rewriter.replaceAllUsesWith(op->getResult(0), device.getMemref());
      rewriter.eraseOp(op);
      // MLIR lowers only an asynchronous gpu.dealloc: on a stream
      // (the runtime's one), waited for at once.
      fn.walk([&](func::ReturnOp ret) {
        rewriter.setInsertionPoint(ret);
        Location loc = ret.getLoc();
        Type token = gpu::AsyncTokenType::get(rewriter.getContext());
        Value start = gpu::WaitOp::create(rewriter, loc, token, ValueRange())
                          .getAsyncToken();
        Value done = gpu::DeallocOp::create(rewriter, loc, token,
                                            ValueRange{start}, device.getMemref())
                         .getAsyncToken();
        gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{done});
      });
    }
    return success();
  }

  /// Host code left touching memory runs as a one-thread launch; a region
  /// holding launches (a loop over blocks of rows) stays on the host and is
  /// searched in turn.
  LogicalResult wrapHostCode(IRRewriter &rewriter, Region &region) {
    for (Block &block : region) {
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (isa<gpu::LaunchOp, gpu::AllocOp, gpu::DeallocOp, gpu::WaitOp>(op) ||
            op.hasTrait<OpTrait::IsTerminator>())
          continue;
        SmallVector<gpu::LaunchOp> inner;
        op.walk([&](gpu::LaunchOp l) { inner.push_back(l); });
        if (!inner.empty() && hostPartReadsMemory(&op)) {
          // A host loop that needs values from buffers (the embedding's
          // gradient: a row index read per token, then a row added): its
          // launches become loops again and the whole loop runs in one
          // thread. Correct, not fast: a scatter-add kernel is to come.
          for (gpu::LaunchOp l : inner)
            if (failed(launchAsLoops(rewriter, l)))
              return failure();
          inner.clear();
        }
        if (!inner.empty()) {
          for (Region &r : op.getRegions())
            if (failed(wrapHostCode(rewriter, r)))
              return failure();
          continue;
        }
        // (scratchOnDevice moved every host allocation to the device.)
        if (!touchesMemory(&op))
          continue;
        for (Value result : op.getResults())
          if (!result.use_empty())
            return op.emitError("loom-map-to-gpu: the host code would need a "
                                "value read from device memory");
        rewriter.setInsertionPoint(&op);
        Value one = arith::ConstantIndexOp::create(rewriter, op.getLoc(), 1);
        gpu::LaunchOp launch = createLaunch(
            rewriter, op.getLoc(), one, 1,
            [&](OpBuilder &b, Value) { op.moveBefore(b.getInsertionBlock(),
                                                     b.getInsertionPoint()); });
        sequentializeNested(rewriter, launch);
        refetchGlobals(launch);
      }
    }
    return success();
  }
};

/// `launch` as loops over its blocks and threads, in the launch's place.
/// Exact without barriers, shared memory or async tokens (checked).
LogicalResult launchAsLoops(RewriterBase &rewriter, gpu::LaunchOp launch) {
      if (launch.getAsyncToken() || !launch.getWorkgroupAttributions().empty() ||
          !launch.getPrivateAttributions().empty())
        return launch.emitError("loom-gpu-emulate: only synchronous launches "
                                "without attributions");
      bool barrier = false;
      launch.walk([&](gpu::BarrierOp) { barrier = true; });
      if (barrier)
        return launch.emitError("loom-gpu-emulate: a barrier needs real threads");
      Location loc = launch.getLoc();
      rewriter.setInsertionPoint(launch);
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Block &body = launch.getBody().front();
      IRMapping map;
      gpu::KernelDim3 gridArgs = launch.getGridSize(), blockArgs = launch.getBlockSize();
      map.map(gridArgs.x, grid.x);
      map.map(gridArgs.y, grid.y);
      map.map(gridArgs.z, grid.z);
      map.map(blockArgs.x, block.x);
      map.map(blockArgs.y, block.y);
      map.map(blockArgs.z, block.z);
      // Blocks z, y, x, then threads z, y, x: the innermost loop walks
      // thread x, as consecutive threads do.
      Value bounds[6] = {grid.z, grid.y, grid.x, block.z, block.y, block.x};
      Value ids[6] = {launch.getBlockIds().z, launch.getBlockIds().y,
                      launch.getBlockIds().x, launch.getThreadIds().z,
                      launch.getThreadIds().y, launch.getThreadIds().x};
      OpBuilder b = rewriter;
      for (int i = 0; i < 6; ++i) {
        auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
        map.map(ids[i], loop.getInductionVar());
        b.setInsertionPoint(loop.getBody()->getTerminator());
      }
      for (Operation &op : body.without_terminator())
        b.clone(op, map);
      rewriter.eraseOp(launch);
      return success();
}

struct LoomGpuEmulatePass
    : public mlir::loom::impl::LoomGpuEmulateBase<LoomGpuEmulatePass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches)
      if (failed(launchAsLoops(rewriter, launch)))
        return signalPassFailure();
    // Device scratch (loom-map-to-gpu's) is host memory here, and its
    // stream waits mean nothing: erased users first (post-order walk).
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<gpu::AllocOp, gpu::DeallocOp, gpu::WaitOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : llvm::reverse(ops)) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        if (alloc.getAsyncToken() || !alloc.getDynamicSizes().empty()) {
          alloc.emitError("loom-gpu-emulate: only synchronous static gpu.alloc");
          return signalPassFailure();
        }
        // Aligned as the runtime's buffers (the CPU's kernels assume it).
        rewriter.replaceOpWithNewOp<memref::AllocOp>(
            op, cast<MemRefType>(alloc.getMemref().getType()),
            rewriter.getI64IntegerAttr(64));
      } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        memref::DeallocOp::create(rewriter, op->getLoc(), dealloc.getMemref());
        if (Value token = dealloc.getAsyncToken())
          rewriter.replaceAllUsesWith(token, dealloc.getAsyncDependencies().front());
        rewriter.eraseOp(op);
      } else {
        auto wait = cast<gpu::WaitOp>(op);
        if (wait.getAsyncToken() && !wait.getAsyncToken().use_empty()) {
          wait.emitError("loom-gpu-emulate: a stream token still in use");
          return signalPassFailure();
        }
        rewriter.eraseOp(op);
      }
    }
  }
};

} // namespace
