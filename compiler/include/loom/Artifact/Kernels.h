//===- Kernels.h - the artifact's kernels.json and loomc --report -*- C++ -*-===//
//
// Every kernel call of the compiled functions is a *site* (loom-profile-
// sites numbers them; the runtime's profiler times them by that number).
// kernels.json, written next to the library, says for each site which
// kernel runs, who generated it, its FLOPs and compulsory bytes, and the
// loom ops and spec lines it implements. It is read from the module after
// the loom-to-llvm stage (the module attribute loom.kernel_sites).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_ARTIFACT_KERNELS_H
#define LOOM_ARTIFACT_KERNELS_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom::artifact {

/// A loom op at a spec position ("gpt2.loom:23:9") in a block instance
/// ("h.3.ln_1", may be empty).
struct KernelOrigin {
  std::string op, spec, path;
};

struct KernelSite {
  int64_t id = 0;
  std::string function;  // the entry point making the call
  std::string kernel;    // the called symbol (shared by twin sites)
  std::string generator; // mlir | halide
  int64_t flops = -1;    // -1: not counted
  int64_t bytes = -1;
  std::string spec, path; // the first origin's position (or the call's)
  std::vector<KernelOrigin> origins;
};

/// The sites of a module lowered through loom-profile-sites. False with
/// `error` when it was not.
bool describeKernels(mlir::ModuleOp module, std::vector<KernelSite> &out,
                     std::string &error);

/// kernels.json (docs/artifact.md): `fingerprint` is the manifest's, so a
/// reader can tell that it belongs to the library next to it.
std::string writeKernelsJson(const std::vector<KernelSite> &sites,
                             const std::string &model, uint64_t fingerprint);

/// loomc --report: per function, one row per site with FLOPs, bytes,
/// arithmetic intensity, generator, spec position and loom ops.
std::string writeKernelReport(const std::vector<KernelSite> &sites,
                              const std::string &model);

} // namespace loom::artifact

#endif // LOOM_ARTIFACT_KERNELS_H
