//===- PackedEntryPoints.cpp - void loom_F(void **slots) wrappers ---------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMPACKEDENTRYPOINTS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {
struct LoomPackedEntryPointsPass
    : public mlir::loom::impl::LoomPackedEntryPointsBase<
          LoomPackedEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    auto ptr = LLVM::LLVMPointerType::get(module.getContext());
    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
      // Entry points are defined, visible and externally linked; loom_*
      // names are the wrappers themselves, and a wrapper already there (the
      // pass ran before) is kept rather than defined twice.
      if (fn.isExternal() || fn.isPrivate() ||
          fn.getLinkage() == LLVM::Linkage::Private ||
          fn.getLinkage() == LLVM::Linkage::Internal ||
          fn.getSymName().starts_with("loom_") ||
          module.lookupSymbol(("loom_" + fn.getSymName()).str()))
        continue;
      auto type = fn.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) ||
          !llvm::all_of(type.getParams(),
                        [&](Type t) { return t == ptr; }))
        continue;
      entries.push_back(fn);
    }
    for (LLVM::LLVMFuncOp fn : entries) {
      Location loc = fn.getLoc();
      b.setInsertionPointAfter(fn);
      auto wrapperType = LLVM::LLVMFunctionType::get(
          LLVM::LLVMVoidType::get(b.getContext()), {ptr});
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, ("loom_" + fn.getSymName()).str(), wrapperType);
      Block *body = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value slots = body->getArgument(0);
      SmallVector<Value> args;
      for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, slots,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
      }
      LLVM::CallOp::create(b, loc, fn, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};
} // namespace
