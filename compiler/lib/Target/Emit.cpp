//===- Emit.cpp - LLVM IR, assembly, objects and shared libraries ---------===//
#include "loom/Target/Emit.h"

#include <cstdlib>

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

using namespace mlir;

namespace {

/// The target machine for the host (or options.cpu).
std::unique_ptr<llvm::TargetMachine>
makeTargetMachine(const loom::target::EmitOptions &options,
                  std::string &error) {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
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
      options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                              : llvm::CodeGenOptLevel::Default));
  if (!machine)
    error = "no target machine for " + triple.str() + " / " + cpu;
  return machine;
}

/// Optimizes `llvmModule` and emits it as KIND into OUT.
bool optimizeAndEmit(llvm::Module &llvmModule, llvm::TargetMachine &machine,
                     loom::target::FileKind kind, unsigned optLevel,
                     std::string &out, std::string &error) {
  using loom::target::FileKind;
  llvmModule.setDataLayout(machine.createDataLayout());
  llvmModule.setTargetTriple(machine.getTargetTriple());
  auto optimize = makeOptimizingTransformer(optLevel, 0, &machine);
  if (llvm::Error e = optimize(&llvmModule)) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(e));
    return false;
  }
  llvm::raw_string_ostream os(out);
  if (kind == FileKind::LLVMIR) {
    llvmModule.print(os, nullptr);
    return true;
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, stream, nullptr,
                                  kind == FileKind::Assembly
                                      ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(llvmModule);
  out.assign(buffer.begin(), buffer.end());
  return true;
}

/// Drops the argument and result attributes LLVM has no use for (loom's
/// slot names: loom.param, loom.input, ...; the manifest was read from them
/// already). The translation warns about each one, and a warning prints the
/// whole function it is attached to: on a training step's hundreds of
/// arguments that was half of all LLVM time.
void dropForeignArgAttrs(ModuleOp module) {
  auto keep = [](NamedAttribute a) {
    return a.getName().getValue().starts_with("llvm.");
  };
  auto filter = [&](DictionaryAttr dict) -> DictionaryAttr {
    if (!dict || llvm::all_of(dict, keep))
      return dict;
    SmallVector<NamedAttribute> kept;
    llvm::copy_if(dict, std::back_inserter(kept), keep);
    return DictionaryAttr::get(dict.getContext(), kept);
  };
  module.walk([&](LLVM::LLVMFuncOp fn) {
    if (ArrayAttr args = fn.getArgAttrsAttr()) {
      SmallVector<Attribute> attrs;
      for (Attribute a : args)
        attrs.push_back(filter(dyn_cast_or_null<DictionaryAttr>(a)));
      fn.setArgAttrsAttr(ArrayAttr::get(fn.getContext(), attrs));
    }
    if (ArrayAttr results = fn.getResAttrsAttr()) {
      SmallVector<Attribute> attrs;
      for (Attribute a : results)
        attrs.push_back(filter(dyn_cast_or_null<DictionaryAttr>(a)));
      fn.setResAttrsAttr(ArrayAttr::get(fn.getContext(), attrs));
    }
  });
}

/// The CUDA target's host code calls MLIR's GPU runtime-wrapper ABI
/// (mgpuModuleLoad, mgpuLaunchKernel, ...). Each such function is defined
/// here as a jump through a pointer `loom_hook_<name>` that the runtime sets
/// after dlopen (runtime/cuda/hooks.cpp), so the artifact links no CUDA
/// library and one runtime binary serves machines with and without a GPU.
/// The modules' global constructors and destructors (which would load the
/// kernels at dlopen, before the runtime has a context) become the exported
/// `loom_cuda_load` and `loom_cuda_unload`. Fails when a function is called
/// that `hooks` (the manifest's list) does not name.
bool exposeCudaHooks(llvm::Module &m, const std::vector<std::string> &hooks,
                     std::string &error) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::PointerType *ptr = llvm::PointerType::getUnqual(ctx);
  bool any = false;
  for (llvm::Function &f : m) {
    if (!f.isDeclaration() || !f.getName().starts_with("mgpu"))
      continue;
    if (std::find(hooks.begin(), hooks.end(), f.getName().str()) == hooks.end()) {
      error = "internal error: the CUDA host code calls " + f.getName().str() +
              ", which the artifact's hook list does not name";
      return false;
    }
    any = true;
    auto *slot = new llvm::GlobalVariable(
        m, ptr, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantPointerNull::get(ptr), "loom_hook_" + f.getName());
    f.setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", &f));
    llvm::Value *target = b.CreateLoad(ptr, slot);
    llvm::SmallVector<llvm::Value *> args;
    for (llvm::Argument &a : f.args())
      args.push_back(&a);
    llvm::CallInst *call = b.CreateCall(f.getFunctionType(), target, args);
    call->setTailCall();
    if (f.getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
  }
  if (!any)
    return true;
  // A slot for every hook the manifest names, called or not: the runtime
  // sets each one it lists.
  for (const std::string &h : hooks)
    if (!m.getGlobalVariable("loom_hook_" + h))
      new llvm::GlobalVariable(m, ptr, /*isConstant=*/false,
                               llvm::GlobalValue::ExternalLinkage,
                               llvm::ConstantPointerNull::get(ptr), "loom_hook_" + h);
  auto lift = [&](const char *global, const char *name) {
    std::vector<std::pair<uint64_t, llvm::Function *>> fns;
    if (llvm::GlobalVariable *list = m.getGlobalVariable(global)) {
      if (auto *array = llvm::dyn_cast<llvm::ConstantArray>(list->getInitializer()))
        for (llvm::Value *op : array->operands()) {
          auto *entry = llvm::cast<llvm::ConstantStruct>(op);
          auto *priority = llvm::cast<llvm::ConstantInt>(entry->getOperand(0));
          if (auto *fn = llvm::dyn_cast<llvm::Function>(entry->getOperand(1)))
            fns.push_back({priority->getZExtValue(), fn});
        }
      list->eraseFromParent();
    }
    std::stable_sort(fns.begin(), fns.end(),
                     [](auto &a, auto &b) { return a.first < b.first; });
    auto *fn = llvm::Function::Create(
        llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
        llvm::GlobalValue::ExternalLinkage, name, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    for (auto &[priority, f] : fns) {
      // The constructors were placed in .text.startup; they are ordinary
      // functions now.
      f->setSection("");
      b.CreateCall(f);
    }
    b.CreateRetVoid();
  };
  lift("llvm.global_ctors", "loom_cuda_load");
  lift("llvm.global_dtors", "loom_cuda_unload");
  return true;
}

std::unique_ptr<llvm::Module> translate(ModuleOp module,
                                        llvm::LLVMContext &llvmContext,
                                        std::string &error) {
  dropForeignArgAttrs(module);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  MLIRContext &context = *module.getContext();
  registerBuiltinDialectTranslation(context);
  registerLLVMDialectTranslation(context);
  // The CUDA target's host module holds gpu.binary ops (the embedded
  // kernels) and LLVM-level gpu.launch_func ops.
  std::vector<std::string> hooks;
  bool cuda = false;
  module.walk([&](gpu::BinaryOp) { cuda = true; });
  if (cuda) {
    registerGPUDialectTranslation(context);
    registerNVVMDialectTranslation(context);
    DialectRegistry registry;
    gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
    context.appendDialectRegistry(registry);
    if (auto list = module->getAttrOfType<ArrayAttr>("loom.cuda_hooks"))
      for (Attribute a : list)
        hooks.push_back(cast<StringAttr>(a).str());
  }
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  if (cuda && !exposeCudaHooks(*llvmModule, hooks, error))
    return nullptr;
  return llvmModule;
}

} // namespace

bool loom::target::checkCPU(const std::string &cpu, std::string &error) {
  if (cpu == "native")
    return true;
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  // A subtarget for the generic CPU (no warning), asked about `cpu`.
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, "", ""));
  if (info && info->isCPUStringValid(cpu))
    return true;
  error = "unknown CPU '" + cpu + "' for " + triple.str() +
          " (native, or an LLVM CPU name such as znver4, skylake-avx512, "
          "x86-64-v3)";
  return false;
}

bool loom::target::emitLLVM(ModuleOp module, FileKind kind,
                               const EmitOptions &options, std::string &out,
                               std::string &error) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translate(module, llvmContext, error);
  if (!llvmModule)
    return false;
  std::unique_ptr<llvm::TargetMachine> machine = makeTargetMachine(options, error);
  if (!machine)
    return false;
  return optimizeAndEmit(*llvmModule, *machine, kind, options.optLevel, out,
                         error);
}

bool loom::target::emitObjects(ModuleOp module, const EmitOptions &options,
                                  std::vector<std::string> &objects,
                                  std::string &error, TimingScope *timing) {
  TimingScope none;
  TimingScope &root = timing ? *timing : none;
  llvm::LLVMContext llvmContext;
  std::optional<TimingScope> phase(root.nest(StringRef("translate to LLVM IR")));
  std::unique_ptr<llvm::Module> llvmModule = translate(module, llvmContext, error);
  phase.reset();
  if (!llvmModule)
    return false;
  // Kernels are separate functions (loom-outline-kernels), so the module
  // splits into balanced parts; each is optimized and compiled on its own
  // thread in its own LLVMContext (contexts are not thread-safe), reached
  // through bitcode. Local symbols become hidden externals across parts.
  unsigned defined = 0;
  for (const llvm::Function &f : *llvmModule)
    defined += !f.isDeclaration();
  unsigned jobs = options.jobs ? options.jobs
                               : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, std::max(1u, defined / 16));
  objects.assign(jobs, std::string());
  if (jobs <= 1) {
    phase.emplace(root.nest(StringRef("optimize and generate code")));
    std::unique_ptr<llvm::TargetMachine> machine = makeTargetMachine(options, error);
    return machine && optimizeAndEmit(*llvmModule, *machine, FileKind::Object,
                                      options.optLevel, objects[0], error);
  }
  std::vector<llvm::SmallString<0>> bitcode;
  phase.emplace(root.nest(StringRef("split into parts")));
  llvm::SplitModule(
      *llvmModule, jobs,
      [&](std::unique_ptr<llvm::Module> part) {
        bitcode.emplace_back();
        llvm::raw_svector_ostream os(bitcode.back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false);
  phase.emplace(root.nest(StringRef("optimize and generate code (parallel)")));
  objects.assign(bitcode.size(), std::string());
  std::vector<std::string> errors(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      auto part = llvm::parseBitcodeFile(
          llvm::MemoryBufferRef(llvm::StringRef(bitcode[i].data(), bitcode[i].size()),
                                "part"),
          context);
      if (!part) {
        errors[i] = "reading a module part: " + llvm::toString(part.takeError());
        return;
      }
      std::unique_ptr<llvm::TargetMachine> machine =
          makeTargetMachine(options, errors[i]);
      if (machine)
        optimizeAndEmit(**part, *machine, FileKind::Object, options.optLevel,
                        objects[i], errors[i]);
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return false;
    }
  return true;
}

std::string loom::target::findCudaToolkit(const std::string &given,
                                          std::string &error) {
  auto has = [](const std::string &dir) {
    return !dir.empty() && llvm::sys::fs::can_execute(dir + "/bin/ptxas");
  };
  if (!given.empty()) {
    if (has(given))
      return given;
    error = "'" + given + "' is not a CUDA toolkit (no bin/ptxas in it)";
    return "";
  }
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && has(v))
      return v;
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    // .../bin/ptxas -> ...
    llvm::SmallString<256> dir(*ptxas);
    llvm::sys::fs::real_path(*ptxas, dir);
    std::string root = llvm::sys::path::parent_path(
                           llvm::sys::path::parent_path(dir)).str();
    if (has(root))
      return root;
  }
  if (has("/usr/local/cuda"))
    return "/usr/local/cuda";
  error = "no CUDA toolkit found (its ptxas makes the cubin, its libdevice "
          "serves the kernels' math): install one, put its bin/ on PATH, or "
          "give --cuda-toolkit=DIR";
  return "";
}

std::string loom::target::kernelsLibrary(std::string &error) {
  std::string path;
  if (const char *env = std::getenv("LOOM_KERNELS_LIBRARY"); env && *env)
    path = env;
#ifdef LOOM_KERNELS_LIBRARY
  else
    path = LOOM_KERNELS_LIBRARY;
#endif
  if (path.empty() || !llvm::sys::fs::exists(path)) {
    error = "the model calls Halide kernels but the kernel library " +
            (path.empty() ? std::string("is unknown") : "'" + path + "' is missing") +
            " (set LOOM_KERNELS_LIBRARY, or compile with --kernels=mlir)";
    return "";
  }
  return path;
}

bool loom::target::linkSharedLibrary(
    const std::vector<std::string> &objectPaths, const std::string &soPath,
    std::string &error, const std::vector<std::string> &libraries) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc) {
    error = "no C compiler driver 'cc' on PATH to link the shared library";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> args = {*cc, "-shared", "-o", soPath};
  for (const std::string &o : objectPaths)
    args.push_back(o);
  for (const std::string &l : libraries)
    args.push_back(l);
  args.push_back("-lm");
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
