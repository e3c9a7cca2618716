//===- GpuOneModule.cpp - all kernels in one device module, deduplicated --===//
#include "loom/Codegen/Passes.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMGPUONEMODULE
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// The kernel's text without its name or locations: equal keys, identical
/// kernels.
std::string structuralKey(gpu::GPUFuncOp fn) {
  StringAttr name = fn.getNameAttr();
  fn.setName("k");
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope();
  fn->print(os, flags);
  fn->setAttr(SymbolTable::getSymbolAttrName(), name);
  return text;
}

struct LoomGpuOneModulePass
    : public mlir::loom::impl::LoomGpuOneModuleBase<LoomGpuOneModulePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    MLIRContext *ctx = &getContext();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), "loom_kernels");
    Block &body = merged.getBodyRegion().front();
    std::map<std::string, StringAttr> byKey;
    llvm::StringSet<> globals;
    // "module::kernel" -> the kernel's name in @loom_kernels.
    llvm::StringMap<StringAttr> renamed;
    for (gpu::GPUModuleOp m : modules) {
      for (Operation &op : llvm::make_early_inc_range(m.getBody()->getOperations())) {
        if (auto fn = dyn_cast<gpu::GPUFuncOp>(op)) {
          std::string key = structuralKey(fn);
          std::string from = (m.getSymName() + "::" + fn.getName()).str();
          auto [it, fresh] = byKey.try_emplace(key, StringAttr());
          if (fresh) {
            fn->moveBefore(&body, body.end());
            fn.setName(m.getSymName());
            it->second = fn.getNameAttr();
          }
          renamed[from] = it->second;
        } else if (auto global = dyn_cast<memref::GlobalOp>(op)) {
          // Outlining copied each constant table a kernel uses into its
          // module, under the host module's (unique) name.
          if (globals.insert(global.getSymName()).second)
            global->moveBefore(&body, body.end());
        } else if (!op.hasTrait<OpTrait::IsTerminator>()) {
          op.emitError("loom-gpu-one-module: unexpected op in a gpu.module");
          return signalPassFailure();
        }
      }
    }
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernelAttr();
      std::string from = (kernel.getRootReference().getValue() + "::" +
                          kernel.getLeafReference().getValue())
                             .str();
      auto it = renamed.find(from);
      if (it == renamed.end()) {
        launch.emitError("loom-gpu-one-module: launch of an unknown kernel");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getSymNameAttr(), {FlatSymbolRefAttr::get(ctx, it->second)}));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp m : modules)
      m.erase();
  }
};

} // namespace
