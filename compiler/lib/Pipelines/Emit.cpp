//===- Emit.cpp - LLVM IR, assembly, objects and shared libraries ---------===//
#include "loom/Pipelines/Emit.h"
#include "loom/Pipelines/Manifest.h"
#include "loom/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <memory>

using namespace mlir;

bool loom::pipelines::emitLLVM(ModuleOp module, Artifact kind,
                               const EmitOptions &options, std::string &out,
                               std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::string cpu = options.cpu, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      options.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!machine) {
    error = "no target machine for " + triple.str() + " / " + cpu;
    return false;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  auto optimize = makeOptimizingTransformer(options.optLevel, 0, machine.get());
  if (llvm::Error e = optimize(llvmModule.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(e));
    return false;
  }

  llvm::raw_string_ostream os(out);
  if (kind == Artifact::LLVMIR) {
    llvmModule->print(os, nullptr);
    return true;
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, stream, nullptr,
                                   kind == Artifact::Assembly
                                       ? llvm::CodeGenFileType::AssemblyFile
                                       : llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(*llvmModule);
  out.assign(buffer.begin(), buffer.end());
  return true;
}

bool loom::pipelines::linkSharedLibrary(const std::string &objectPath,
                                        const std::string &soPath,
                                        std::string &error) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc) {
    error = "no C compiler driver 'cc' on PATH to link the shared library";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> args = {*cc, "-shared", "-o", soPath,
                                             objectPath, "-lm"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking " + soPath + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

bool loom::pipelines::compileToSharedLibrary(ModuleOp module,
                                             const std::string &soPath,
                                             const EmitOptions &options,
                                             std::vector<FunctionSlots> &slots,
                                             std::string &error,
                                             void (*configure)(PassManager &,
                                                               void *)) {
  auto outputs = collectFunctionInfo(module);
  if (failed(runStagesUpTo(module, "memref", configure, nullptr))) {
    error = "lowering failed (see the diagnostics)";
    return false;
  }
  if (!collectSlots(module, outputs, slots, error))
    return false;
  if (failed(runStagesUpTo(module, "llvm-dialect", configure, nullptr,
                           /*after=*/"memref"))) {
    error = "lowering to LLVM failed (see the diagnostics)";
    return false;
  }
  std::string object;
  if (!emitLLVM(module, Artifact::Object, options, object, error))
    return false;
  std::string objectPath = soPath + ".o";
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(objectPath, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = objectPath + ": cannot write: " + ec.message();
      return false;
    }
    out << object;
  }
  // Link to a temporary name and rename: a process that has the old library
  // mapped keeps it intact (overwriting a mapped .so in place crashes it).
  std::string tmp = soPath + ".tmp";
  bool ok = linkSharedLibrary(objectPath, tmp, error);
  llvm::sys::fs::remove(objectPath);
  if (ok)
    if (std::error_code ec = llvm::sys::fs::rename(tmp, soPath)) {
      error = soPath + ": cannot write: " + ec.message();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  return ok;
}
