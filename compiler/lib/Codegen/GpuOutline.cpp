//===- GpuOutline.cpp - launches outlined into one device module ----------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMGPUOUTLINE
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// The kernel's text without its name or locations: equal keys, identical
/// kernels.
std::string structuralKey(gpu::GPUFuncOp fn) {
  StringAttr name = fn.getNameAttr();
  fn->setAttr(SymbolTable::getSymbolAttrName(), StringAttr::get(fn.getContext(), "k"));
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope();
  fn->print(os, flags);
  fn->setAttr(SymbolTable::getSymbolAttrName(), name);
  return text;
}

struct LoomGpuOutlinePass
    : public mlir::loom::impl::LoomGpuOutlineBase<LoomGpuOutlinePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    module.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    if (launches.empty())
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "loom_kernels");
    SymbolTable kernelTable(kernels);
    SymbolTable hostTable(module);
    std::map<std::string, gpu::GPUFuncOp> byKey;
    for (gpu::LaunchOp launch : launches) {
      // Constants (and shapes) become the kernel's own: fewer arguments.
      if (failed(sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
            return matchPattern(op, m_Constant()) || isa<memref::DimOp>(op);
          }))) {
        launch.emitError("loom-gpu-outline: cannot sink into the launch");
        return signalPassFailure();
      }
      auto host = launch->getParentOfType<FunctionOpInterface>();
      std::string name = (host ? host.getName() : StringRef("kernel")).str() + "_kernel";
      SmallVector<Value> operands;
      gpu::GPUFuncOp fn = outlineKernelFunc(launch, name, operands);
      std::string key = structuralKey(fn);
      auto [it, fresh] = byKey.try_emplace(key, fn);
      if (fresh) {
        kernelTable.insert(fn); // renamed when taken: forward_kernel_0, ...
        // Constant tables the kernel reads, copied in once.
        fn.walk([&](memref::GetGlobalOp get) {
          if (kernelTable.lookup(get.getNameAttr().getAttr()))
            return;
          if (Operation *global = hostTable.lookup(get.getNameAttr().getAttr()))
            kernelTable.insert(global->clone());
        });
      } else {
        fn.erase();
      }
      OpBuilder at(launch);
      gpu::LaunchFuncOp::create(
          at, launch.getLoc(), it->second, launch.getGridSizeOperandValues(),
          launch.getBlockSizeOperandValues(), launch.getDynamicSharedMemorySize(),
          operands);
      launch.erase();
    }
  }
};

} // namespace
