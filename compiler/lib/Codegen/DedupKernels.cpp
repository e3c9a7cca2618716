//===- DedupKernels.cpp - one copy of each distinct kernel ----------------===//
//
// Compile time grows with the number of kernels LLVM optimizes; a model's
// repeated blocks make many identical ones. The key of a kernel is its
// printed form (generic, no locations) with the symbol name left out, so two
// kernels share a key exactly when they compute the same thing.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMDEDUPKERNELS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

/// A kernel: a private function with a body, as loom-outline-kernels makes
/// them (every private function is a candidate; only exact twins merge).
bool isKernel(func::FuncOp fn) { return fn.isPrivate() && !fn.isExternal(); }

std::string structuralKey(func::FuncOp fn) {
  // The whole function (so every value prints with its own number), with
  // its name blanked: the name is the one thing twins do not share.
  std::string key;
  llvm::raw_string_ostream os(key);
  OpPrintingFlags flags;
  flags.printGenericOpForm().enableDebugInfo(false).useLocalScope();
  fn->print(os, flags);
  std::string name = "sym_name = \"" + fn.getSymName().str() + "\"";
  size_t at = key.find(name);
  if (at != std::string::npos)
    key.replace(at, name.size(), "sym_name = \"\"");
  return key;
}

struct LoomDedupKernelsPass
    : public mlir::loom::impl::LoomDedupKernelsBase<LoomDedupKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<func::FuncOp> first;
    DenseMap<StringAttr, StringAttr> replacement;
    SmallVector<func::FuncOp> duplicates;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!isKernel(fn))
        continue;
      auto [it, inserted] = first.try_emplace(structuralKey(fn), fn);
      if (inserted)
        continue;
      replacement[fn.getSymNameAttr()] = it->second.getSymNameAttr();
      duplicates.push_back(fn);
    }
    if (duplicates.empty())
      return;
    module.walk([&](func::CallOp call) {
      auto to = replacement.find(call.getCalleeAttr().getAttr());
      if (to != replacement.end())
        call.setCalleeAttr(FlatSymbolRefAttr::get(to->second));
    });
    for (func::FuncOp fn : duplicates)
      fn.erase();
  }
};

} // namespace
