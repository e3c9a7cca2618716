//===- Compile.cpp - a loom module to a shared library --------------------===//
#include "loom/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace ::loom;

bool (::loom::pipelines::compileToSharedLibrary)(
    ModuleOp module, const std::string &soPath,
    const target::EmitOptions &options, artifact::Artifact &artifact,
    std::string &error, void (*configure)(PassManager &, void *),
    TimingScope *timing, std::vector<artifact::KernelSite> *sites) {
  TimingScope none;
  TimingScope &root = timing ? *timing : none;
  if (failed(runStagesUpTo(module, "memref", configure, nullptr, "", timing))) {
    error = "lowering failed (see the diagnostics)";
    return false;
  }
  // The slots are fixed once buffers are: the manifest is read here.
  if (!artifact::describeArtifact(module, artifact, error))
    return false;
  if (failed(runStagesUpTo(module, "llvm-dialect", configure, nullptr,
                           /*after=*/"memref", timing))) {
    error = "lowering to LLVM failed (see the diagnostics)";
    return false;
  }
  // (The CUDA target has no profiled kernel sites yet: kernels.json is empty.)
  if (sites && artifact.target == "cpu" &&
      !artifact::describeKernels(module, *sites, error))
    return false;
  // The CUDA host code's runtime calls go through hooks the manifest names.
  if (!artifact.cudaHooks.empty()) {
    SmallVector<Attribute> hooks;
    for (const std::string &h : artifact.cudaHooks)
      hooks.push_back(StringAttr::get(module.getContext(), h));
    module->setAttr("loom.cuda_hooks", ArrayAttr::get(module.getContext(), hooks));
  }
  // The manifest's fingerprint, exported: the runtime refuses a library
  // whose manifest is not the one it was built with.
  {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    uint64_t fingerprint = artifact::manifestFingerprint(
        artifact, llvm::sys::path::filename(soPath).str());
    auto i64 = b.getI64Type();
    LLVM::GlobalOp::create(b, module.getLoc(), i64, /*isConstant=*/true,
                           LLVM::Linkage::External, "loom_manifest_fingerprint",
                           b.getIntegerAttr(i64, static_cast<int64_t>(fingerprint)));
  }
  // Calls of Halide kernels (loom-lower-kernel-calls) link their library.
  std::vector<std::string> libraries;
  bool callsKernels = false;
  module.walk([&](LLVM::LLVMFuncOp fn) {
    callsKernels |= fn.isExternal() && fn.getSymName().starts_with("loom_kernel_");
  });
  if (callsKernels) {
    std::string lib = target::kernelsLibrary(error);
    if (lib.empty())
      return false;
    // The bundle's C++ (matmul packing, the C ABI wrappers) needs
    // libstdc++: named here, because a host that loads the artifact with
    // libstdc++ not in its global scope (Python, any FFI) has no
    // __gxx_personality_v0 to lend it.
    libraries = {lib, "-lstdc++", "-lpthread", "-ldl"};
  }
  std::vector<std::string> objects;
  {
    TimingScope emitting = root.nest(StringRef("llvm"));
    // The CUDA target's host code only fills argument arrays and calls the
    // launch hook, in functions of thousands of launches: LLVM's -O3 spends
    // most of the compile on them for nothing measurable.
    target::EmitOptions hostOptions = options;
    if (artifact.target == "cuda")
      hostOptions.optLevel = 0;
    if (!target::emitObjects(module, hostOptions, objects, error,
                             timing ? &emitting : nullptr))
      return false;
  }
  TimingScope linking = root.nest(StringRef("link"));
  std::vector<std::string> objectPaths;
  auto removeObjects = [&] {
    for (const std::string &p : objectPaths)
      llvm::sys::fs::remove(p);
  };
  for (size_t i = 0; i < objects.size(); ++i) {
    objectPaths.push_back(soPath + "." + std::to_string(i) + ".o");
    std::error_code ec;
    llvm::raw_fd_ostream out(objectPaths.back(), ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = objectPaths.back() + ": cannot write: " + ec.message();
      removeObjects();
      return false;
    }
    out << objects[i];
  }
  // Link to a temporary name and rename: a process that has the old library
  // mapped keeps it intact (overwriting a mapped .so in place crashes it).
  std::string tmp = soPath + ".tmp";
  bool ok = target::linkSharedLibrary(objectPaths, tmp, error, libraries);
  removeObjects();
  if (ok)
    if (std::error_code ec = llvm::sys::fs::rename(tmp, soPath)) {
      error = soPath + ": cannot write: " + ec.message();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  return ok;
}

LogicalResult(::loom::pipelines::emitCudaPtx)(
    ModuleOp module, std::string &text, void (*configure)(PassManager &, void *),
    TimingScope *timing) {
  if (failed(runStagesUpTo(module, "gpu", configure, nullptr, "", timing)))
    return failure();
  auto arch = module->getAttrOfType<StringAttr>(kCudaArchAttr);
  auto toolkit = module->getAttrOfType<StringAttr>(kCudaToolkitAttr);
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (configure)
    configure(pm, nullptr);
  if (failed(parsePassPipeline(cudaToLLVMPipeline(arch ? arch.str() : "sm_90",
                                                  toolkit ? toolkit.str() : "",
                                                  /*cubin=*/false),
                               pm)) ||
      failed(pm.run(module)))
    return failure();
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute a : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(a)) {
        text += "// gpu.module " + binary.getSymName().str() + "\n";
        text += object.getObject().getValue().rtrim('\0').str();
        text += "\n";
      }
  });
  return success();
}
