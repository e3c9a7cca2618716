//===- PlanArena.cpp - one arena for every intermediate buffer ------------===//
//
// The runtime hands each entry function one scratch buffer; this pass decides
// where every intermediate lives in it. A buffer is live from its allocation
// to the last use of it or of any view of it (in block order: allocations
// are planned before loops exist). Buffers are placed by decreasing size at
// the lowest 64-byte aligned offset that no time-overlapping buffer occupies
// (greedy by size, as in TFLite's arena planner).
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMPLANARENA
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;
/// No buffer, and no arena, over 2^48 bytes (the front end's tensor limit):
/// sizes and offsets stay far from wrapping around int64.
constexpr int64_t kMaxBytes = int64_t(1) << 48;
/// The largest buffer allocated inside a loop that goes on the stack
/// (kernels run on pool threads with 8 MiB stacks).
constexpr int64_t kMaxLocalBytes = 256 * 1024;

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0; // op indices in the block
  int64_t offset = -1;
};

/// The bytes of a static buffer, or nothing over kMaxBytes (or wrapping).
std::optional<int64_t> bufferBytes(MemRefType t) {
  int64_t bytes = std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
  for (int64_t d : t.getShape())
    if (__builtin_mul_overflow(bytes, d, &bytes) || bytes > kMaxBytes)
      return std::nullopt;
  return bytes;
}

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

/// Index (in `block`) of the op holding `op`, following parents.
int64_t positionIn(Block &block, Operation *op,
                   const DenseMap<Operation *, int64_t> &index) {
  while (op && op->getBlock() != &block)
    op = op->getParentOp();
  auto it = op ? index.find(op) : index.end();
  return it == index.end() ? -1 : it->second;
}

/// The last use of `v` or of any view derived from it.
int64_t lastUse(Value v, Block &block,
                const DenseMap<Operation *, int64_t> &index) {
  int64_t last = -1;
  for (Operation *user : v.getUsers()) {
    // A deallocation ends the buffer's life, it does not read it (and the
    // pass drops it): counting it would keep every deallocated buffer live
    // to its dealloc, usually the end of the function.
    if (isa<memref::DeallocOp>(user))
      continue;
    last = std::max(last, positionIn(block, user, index));
    if (isa<ViewLikeOpInterface>(user) || isa<memref::ReshapeOp>(user) ||
        isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(user))
      for (Value r : user->getResults())
        last = std::max(last, lastUse(r, block, index));
  }
  return last;
}

struct LoomPlanArenaPass
    : public mlir::loom::impl::LoomPlanArenaBase<LoomPlanArenaPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal() || fn.isPrivate())
        continue;
      if (failed(plan(fn)))
        return signalPassFailure();
    }
  }

  LogicalResult plan(func::FuncOp fn) {
    if (!fn.getBody().hasOneBlock())
      return fn.emitError("loom-plan-arena: expected a single-block function");
    Block &block = fn.getBody().front();
    DenseMap<Operation *, int64_t> index;
    for (auto [i, op] : llvm::enumerate(block))
      index[&op] = i;

    std::vector<Buffer> buffers;
    SmallVector<memref::AllocOp> local;
    WalkResult walk = fn.walk([&](memref::AllocOp alloc) {
      if (alloc->getBlock() != &block) {
        // A loop body's scratch (loom-fuse-rows' per-block temporaries)
        // lives on the stack of whoever runs that iteration.
        MemRefType t = alloc.getType();
        std::optional<int64_t> bytes =
            t.hasStaticShape() ? bufferBytes(t) : std::nullopt;
        if (bytes && t.getLayout().isIdentity() && *bytes <= kMaxLocalBytes) {
          local.push_back(alloc);
          return WalkResult::advance();
        }
        alloc.emitError("loom-plan-arena: allocation inside a region (over ")
            << kMaxLocalBytes << " bytes or not static)";
        return WalkResult::interrupt();
      }
      MemRefType t = alloc.getType();
      if (!t.hasStaticShape() || !t.getLayout().isIdentity()) {
        alloc.emitError("loom-plan-arena: allocation must be static with an "
                        "identity layout");
        return WalkResult::interrupt();
      }
      Buffer b;
      b.alloc = alloc;
      std::optional<int64_t> bytes = bufferBytes(t);
      if (!bytes) {
        alloc.emitError("loom-plan-arena: a buffer of ")
            << t << " takes more than 2^48 bytes";
        return WalkResult::interrupt();
      }
      b.bytes = alignUp(*bytes);
      b.first = index[alloc];
      b.last = std::max(b.first, lastUse(alloc.getResult(), block, index));
      buffers.push_back(b);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    for (memref::AllocOp alloc : local) {
      OpBuilder b(alloc);
      Value stack = memref::AllocaOp::create(b, alloc.getLoc(), alloc.getType(),
                                             alloc.getAlignmentAttr());
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(stack);
      alloc.erase();
    }

    // Greedy by size: biggest first, lowest offset that fits among buffers
    // whose live ranges overlap.
    std::vector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    std::stable_sort(order.begin(), order.end(),
                     [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t total = 0;
    std::vector<Buffer *> placed;
    for (Buffer *b : order) {
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *p : placed)
        if (p->first <= b->last && b->first <= p->last)
          busy.push_back({p->offset, p->offset + p->bytes});
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + b->bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      b->offset = offset;
      total = std::max(total, offset + b->bytes);
      if (total > kMaxBytes)
        return fn.emitError("loom-plan-arena: the arena would take more "
                            "than 2^48 bytes");
      placed.push_back(b);
    }

    OpBuilder builder(fn.getContext());
    auto arenaType = MemRefType::get({total}, builder.getI8Type());
    if (failed(fn.insertArgument(fn.getNumArguments(), arenaType,
                                 builder.getDictionaryAttr(builder.getNamedAttr(
                                     "loom.arena", builder.getUnitAttr())),
                                 fn.getLoc())))
      return failure();
    Value arena = block.getArguments().back();
    for (Buffer &b : buffers) {
      builder.setInsertionPoint(b.alloc);
      Value offset = arith::ConstantIndexOp::create(builder, b.alloc.getLoc(),
                                                    b.offset);
      Value view = memref::ViewOp::create(builder, b.alloc.getLoc(),
                                          b.alloc.getType(), arena, offset,
                                          ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(b.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    fn->setAttr("loom.arena_bytes", builder.getI64IntegerAttr(total));
    return success();
  }
};

} // namespace
