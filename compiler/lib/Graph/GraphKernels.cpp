//===- GraphKernels.cpp - which loom ops each kernel call implements ------===//
//
// The same lowering as `loomc --emit=kernels` (the stages up to the LLVM
// dialect, on a clone), read back as origin keys the graph can match.
//
//===----------------------------------------------------------------------===//
#include "loom/Graph/Graph.h"

#include "loom/Artifact/Kernels.h"
#include "loom/Pipelines/Pipelines.h"

bool loom::graph::compileKernelCalls(mlir::ModuleOp module,
                                     std::vector<KernelCall> &out,
                                     std::string &error) {
  mlir::OwningOpRef<mlir::ModuleOp> copy(module.clone());
  if (mlir::failed(::loom::pipelines::runStagesUpTo(*copy, "llvm-dialect", nullptr,
                                            nullptr))) {
    error = "--graph-kernels: compiling the model failed";
    return false;
  }
  std::vector<::loom::artifact::KernelSite> sites;
  if (!::loom::artifact::describeKernels(*copy, sites, error))
    return false;
  for (const ::loom::artifact::KernelSite &s : sites) {
    KernelCall call{s.id, s.function, s.kernel, {}};
    for (const ::loom::artifact::KernelOrigin &o : s.origins)
      call.origins.push_back(originKey(o.op, o.spec, o.path));
    out.push_back(std::move(call));
  }
  return true;
}
