//===- Pipelines.h - loom's named compilation pipelines -------------------===//
//
// loomc lowers a model in stages; each stage is a textual pass pipeline so it
// can be printed (`loomc --print-pipeline`), run alone in loom-opt
// (`loom-opt --loom-to-linalg`, ...), and dumped after every pass.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_PIPELINES_PIPELINES_H
#define LOOM_PIPELINES_PIPELINES_H

#include "loom/Artifact/Kernels.h"
#include "loom/Artifact/Manifest.h"
#include "loom/Autodiff/Passes.h"
#include "loom/Target/Emit.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include <optional>
#include <string>
#include <vector>

namespace loom::pipelines {

/// A unit module attribute: runStagesUpTo leaves out every loom-fuse-*
/// pass (loomc --no-fusion), so a benchmark can show what fusion buys.
constexpr llvm::StringLiteral kNoFusionAttr = "loom.no_fusion";

struct Stage {
  const char *name;     // registered as loom-opt --<name>
  const char *stopsAt;  // the --emit kind whose IR this stage produces
  const char *summary;
  std::string pipeline; // textual pass pipeline (anchored on builtin.module)
};

/// The stages in order: loom -> linalg -> bufferized (arena) -> LLVM dialect.
const std::vector<Stage> &cpuStages();

/// The module attributes that choose the target (loomc --target): "cpu"
/// (absent: the same), "cuda", or "cuda-emulate" (the CUDA mapping with its
/// launches run as host loops: a test of the mapping without a GPU); the
/// CUDA architecture ("sm_90") and the toolkit directory whose ptxas makes
/// the cubin and whose libdevice the kernels' math links (empty: PTX only,
/// JIT-compiled by the driver when loaded).
constexpr llvm::StringLiteral kTargetAttr = "loom.target";
constexpr llvm::StringLiteral kCudaArchAttr = "loom.cuda_arch";
constexpr llvm::StringLiteral kCudaToolkitAttr = "loom.cuda_toolkit";

/// The CUDA target's first stages: loom -> linalg (no CPU kernel choices) ->
/// bufferized -> gpu (kernels outlined; `--emit=gpu`).
const std::vector<Stage> &cudaStages();
/// The last CUDA stage's pipeline: gpu -> NVVM -> PTX / cubin, host code in
/// the LLVM dialect with packed entry points.
std::string cudaToLLVMPipeline(const std::string &arch, const std::string &toolkit,
                               bool cubin);
/// The kernels' PTX of a --target=cuda module (loomc --emit=ptx: what
/// ptxas turns into the cubin), each device module's after a
/// `// gpu.module NAME` line. Errors go to the context's diagnostics.
mlir::LogicalResult emitCudaPtx(mlir::ModuleOp module, std::string &text,
                                void (*configure)(mlir::PassManager &, void *),
                                mlir::TimingScope *timing);

/// The stages `module`'s target attributes select (nullopt, with `error`,
/// for an unknown target).
std::optional<std::vector<Stage>> stagesFor(mlir::ModuleOp module,
                                            std::string &error);

/// Runs the stages up to and including the one producing `emitKind`
/// ("linalg", "memref" or "llvm-dialect"), starting after the stage that
/// produces `after` (from the start when empty); `configure` may enable IR
/// dumps on the pass manager; with `timing`, each stage's passes are timed
/// under a scope named after the stage. Errors are emitted as MLIR
/// diagnostics.
mlir::LogicalResult runStagesUpTo(mlir::ModuleOp module,
                                  const std::string &emitKind,
                                  void (*configure)(mlir::PassManager &, void *),
                                  void *configureData,
                                  const std::string &after = "",
                                  mlir::TimingScope *timing = nullptr);

/// loom-training: loom-autodiff (gradients of the parameters), then
/// loom-train-step with `step` (defaults: Passes.td). @loss_grad is dropped
/// unless step.keepGrad. loomc --train, loom-opt --loom-training and the
/// tests build the step through here.
void buildTrainingPipeline(mlir::OpPassManager &pm,
                           const mlir::loom::LoomTrainStepOptions &step = {});

/// loom-gradients: loom-autodiff alone; @loss_grad(params, inputs) ->
/// (loss, grad.<param>...) becomes an entry point (loomc --grad).
void buildGradientPipeline(mlir::OpPassManager &pm);

/// Registers each stage and the training and gradient pipelines with the
/// pass pipeline registry (for loom-opt).
void registerPipelines();

/// Runs every stage on `module` (loom dialect, static shapes), describes the
/// artifact from the bufferized module (`artifact`, for the manifest) and
/// writes the shared library `soPath`. Errors go to the context's
/// diagnostics (stages) or to `error` (emission, linking). With `timing`,
/// the stages' passes, LLVM code generation and linking are timed under it
/// (loomc --timing). With `sites`, the kernel call sites (kernels.json) are
/// read from the lowered module into it.
bool compileToSharedLibrary(mlir::ModuleOp module, const std::string &soPath,
                            const target::EmitOptions &options,
                            artifact::Artifact &artifact, std::string &error,
                            void (*configure)(mlir::PassManager &,
                                              void *) = nullptr,
                            mlir::TimingScope *timing = nullptr,
                            std::vector<artifact::KernelSite> *sites = nullptr);

} // namespace loom::pipelines

#endif // LOOM_PIPELINES_PIPELINES_H
