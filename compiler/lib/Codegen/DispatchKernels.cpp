//===- DispatchKernels.cpp - range kernels through the parallel-for hook --===//
//
// See Passes.td. The contract with the runtime is one exported global, a
// function pointer; everything else is internal to the library.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMDISPATCHKERNELS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTripsAttr = "loom.parallel_trips";
constexpr llvm::StringLiteral kHookName = "loom_parallel_for_hook";
constexpr llvm::StringLiteral kSerialName = "__loom_serial_for";

struct LoomDispatchKernelsPass
    : public mlir::loom::impl::LoomDispatchKernelsBase<
          LoomDispatchKernelsPass> {
  Type ptr, i64, voidTy;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    ptr = LLVM::LLVMPointerType::get(ctx);
    i64 = IntegerType::get(ctx, 64);
    voidTy = LLVM::LLVMVoidType::get(ctx);

    DenseMap<StringAttr, LLVM::LLVMFuncOp> kernels;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
      if (!fn->hasAttr(kTripsAttr) || fn.isExternal())
        continue;
      ArrayRef<Type> params = fn.getFunctionType().getParams();
      if (params.size() < 2 || params.take_back(2) != ArrayRef<Type>{i64, i64}) {
        fn.emitOpError("loom-dispatch-kernels: a kernel marked ")
            << kTripsAttr << " must end in (i64 begin, i64 end)";
        return signalPassFailure();
      }
      kernels[fn.getSymNameAttr()] = fn;
    }
    // Calls grouped by the function making them (each gets one slot buffer).
    llvm::MapVector<LLVM::LLVMFuncOp, SmallVector<LLVM::CallOp>> calls;
    module.walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (callee && kernels.count(StringAttr::get(ctx, *callee)))
        calls[call->getParentOfType<LLVM::LLVMFuncOp>()].push_back(call);
    });
    // Halide kernels linked in (loom-lower-kernel-calls) split their
    // parallel loops through the hook too: a module calling one defines it
    // even without parallel kernels of its own (else they run serially).
    bool callsLibraryKernels = false;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      callsLibraryKernels |=
          fn.isExternal() && fn.getSymName().starts_with("loom_kernel_");
    if (calls.empty() && !callsLibraryKernels)
      return;

    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    LLVM::LLVMFuncOp serial = defineSerialFor(b, module.getLoc());
    LLVM::GlobalOp hook = defineHook(b, module.getLoc(), serial);
    DenseMap<StringAttr, LLVM::LLVMFuncOp> ranges;
    for (auto &[name, kernel] : kernels) {
      b.setInsertionPointAfter(kernel);
      ranges[name] = defineRange(b, kernel);
    }
    auto hookType =
        LLVM::LLVMFunctionType::get(voidTy, {i64, ptr, ptr});
    for (auto &[caller, sites] : calls) {
      size_t slotsNeeded = 0;
      for (LLVM::CallOp call : sites)
        slotsNeeded = std::max<size_t>(slotsNeeded, call.getNumOperands() - 2);
      Location loc = caller.getLoc();
      b.setInsertionPointToStart(&caller.getBody().front());
      Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
      Value slots = LLVM::AllocaOp::create(
          b, loc, ptr, LLVM::LLVMArrayType::get(i64, std::max<size_t>(1, slotsNeeded)),
          one, /*alignment=*/8);
      for (LLVM::CallOp call : sites) {
        StringAttr name = StringAttr::get(ctx, *call.getCallee());
        int64_t trips =
            cast<IntegerAttr>(kernels[name]->getAttr(kTripsAttr)).getInt();
        b.setInsertionPoint(call);
        Location cl = call.getLoc();
        for (auto [i, arg] : llvm::enumerate(call.getOperands().drop_back(2))) {
          Value slot = LLVM::GEPOp::create(b, cl, ptr, i64, slots,
                                           ArrayRef<LLVM::GEPArg>{int32_t(i)});
          LLVM::StoreOp::create(b, cl, arg, slot);
        }
        Value fnPtr = LLVM::LoadOp::create(
            b, cl, ptr, LLVM::AddressOfOp::create(b, cl, hook));
        Value range = LLVM::AddressOfOp::create(b, cl, ranges[name]);
        Value n = LLVM::ConstantOp::create(b, cl, i64, b.getI64IntegerAttr(trips));
        LLVM::CallOp::create(b, cl, hookType, ValueRange{fnPtr, n, range, slots});
        call.erase();
      }
    }
  }

  /// void __loom_serial_for(i64 n, ptr fn, ptr slots) { fn(slots, 0, n); }
  LLVM::LLVMFuncOp defineSerialFor(OpBuilder &b, Location loc) {
    auto fn = LLVM::LLVMFuncOp::create(
        b, loc, kSerialName, LLVM::LLVMFunctionType::get(voidTy, {i64, ptr, ptr}),
        LLVM::Linkage::Internal);
    OpBuilder::InsertionGuard guard(b);
    Block *body = fn.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
    LLVM::CallOp::create(
        b, loc, LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, i64}),
        ValueRange{body->getArgument(1), body->getArgument(2), zero,
                   body->getArgument(0)});
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return fn;
  }

  /// The exported function pointer the runtime overwrites.
  LLVM::GlobalOp defineHook(OpBuilder &b, Location loc,
                            LLVM::LLVMFuncOp serial) {
    auto hook = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::External, kHookName,
                                       Attribute(), /*alignment=*/8);
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&hook.getInitializerRegion());
    LLVM::ReturnOp::create(b, loc,
                           ValueRange{LLVM::AddressOfOp::create(b, loc, serial)});
    return hook;
  }

  /// void K__range(ptr slots, i64 begin, i64 end): K(slots[0..], begin, end).
  LLVM::LLVMFuncOp defineRange(OpBuilder &b, LLVM::LLVMFuncOp kernel) {
    Location loc = kernel.getLoc();
    auto fn = LLVM::LLVMFuncOp::create(
        b, loc, (kernel.getSymName() + "__range").str(),
        LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, i64}),
        LLVM::Linkage::Internal);
    OpBuilder::InsertionGuard guard(b);
    Block *body = fn.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    ArrayRef<Type> params = kernel.getFunctionType().getParams();
    SmallVector<Value> args;
    for (auto [i, t] : llvm::enumerate(params.drop_back(2))) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, body->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
      args.push_back(LLVM::LoadOp::create(b, loc, t, slot));
    }
    args.push_back(body->getArgument(1));
    args.push_back(body->getArgument(2));
    LLVM::CallOp::create(b, loc, kernel, args);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return fn;
  }
};

} // namespace
