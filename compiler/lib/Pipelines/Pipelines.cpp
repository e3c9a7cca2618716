//===- Pipelines.cpp - loom's named compilation pipelines -----------------===//
#include "loom/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

#include <optional>

using namespace mlir;

const std::vector<::loom::pipelines::Stage> &(::loom::pipelines::cpuStages)() {
  static const std::vector<Stage> stages = {
      {"loom-to-linalg", "linalg",
       "composites decomposed, loom lowered to linalg/tensor/arith/math on "
       "tensors, elementwise ops fused",
       // Integer inputs get their valid ranges (the runtime checks them)
       // and position tables their length check; composites become
       // primitives (fused kernels come later), the primitives become
       // linalg on tensors; attention (QKᵀ, softmax, PV) runs one block of
       // query rows at a time, its [T, T] scores never in memory and the
       // causal half skipped, before the elementwise fusions take its chain
       // apart; producer/consumer elementwise generics merge so
       // fewer intermediates reach the arena, and siblings reading a common
       // input merge so it is read once; row normalizations (layer norm,
       // softmax, their gradients) run one block of rows at a time; a B
       // stored [n, k] that enough rows reuse is transposed once for the
       // GEMM kernel.
       "loom-index-ranges,loom-select-kernels,loom-decompose,canonicalize,cse,"
       "convert-loom-to-linalg,canonicalize,loom-fuse-attention,loom-fuse-epilogue,"
       "loom-fuse-elementwise,canonicalize,cse,loom-fuse-siblings,cse,"
       "loom-fuse-rows,canonicalize,cse,"
       "loom-transpose-rhs"},
      {"loom-bufferize", "memref",
       "tensors become buffers: results written to caller buffers (updates "
       "in place), every intermediate placed in one planned arena",
       // Function boundaries use identity layouts so the bare-pointer ABI
       // applies; a training step's new parameters and optimizer state are
       // written over the old where bufferization proves it safe; other
       // results become out-parameters of public functions; the remaining
       // allocations move into the arena. A tensor returned twice
       // gets a copy first (one buffer per result).
       "loom-distinct-results,loom-update-in-place,eliminate-empty-tensors,"
       "one-shot-bufferize{bufferize-function-boundaries "
       "function-boundary-type-conversion=identity-layout-map},"
       "loom-drop-in-place-results,"
       "buffer-results-to-out-params{hoist-static-allocs "
       "modify-public-functions},"
       "canonicalize,loom-plan-arena,loom-lower-copies,canonicalize"},
      {"loom-to-llvm", "llvm-dialect",
       "contractions as register-blocked vector micro-kernels, the rest as "
       "loops, then the LLVM dialect with bare-pointer arguments and "
       "void loom_F(void **slots) entry points",
       // Contractions first (tiles, peeled remainders, vector FMAs), then
       // every other linalg op as loops; each top-level loop nest becomes a
       // noalias kernel, identical kernels merge. Vector transfers unroll
       // fully (a non-unrolled lowering allocas inside loops). Kernels with
       // enough parallel work take an iteration range and are called through
       // the runtime's parallel-for hook.
       "loom-lower-kernel-calls,loom-tile-contractions,"
       "convert-linalg-to-parallel-loops,loom-outline-kernels,"
       "loom-dedup-kernels,loom-chunk-kernels,loom-profile-sites,"
       "convert-vector-to-scf{full-unroll=true},lower-affine,"
       "convert-scf-to-cf,convert-vector-to-llvm,"
       "expand-strided-metadata,lower-affine,"
       "loom-approximate-math,convert-math-to-libm,convert-math-to-llvm,"
       "finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
       "convert-cf-to-llvm,"
       "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
       "convert-ub-to-llvm,reconcile-unrealized-casts,"
       "loom-dispatch-kernels,loom-packed-entry-points"},
  };
  return stages;
}

const std::vector<::loom::pipelines::Stage> &(::loom::pipelines::cudaStages)() {
  static const std::vector<Stage> stages = [] {
    const std::vector<Stage> &cpu = cpuStages();
    std::vector<Stage> s;
    s.push_back({"loom-to-linalg-cuda", "linalg",
                 "as loom-to-linalg, without the CPU's kernel choices "
                 "(Halide kernels, row-blocked and query-blocked loops, the "
                 "GEMM's transposed B)",
                 // Row and attention blocking bound the CPU's working set in
                 // its caches with loops the host would run; on the GPU each
                 // op is a launch of its own (fused attention is the
                 // tensor-core work still to come, docs/cuda.md).
                 "loom-index-ranges,loom-decompose,canonicalize,cse,"
                 "convert-loom-to-linalg,canonicalize,loom-fuse-epilogue,"
                 "loom-fuse-elementwise,canonicalize,cse,loom-fuse-siblings,cse"});
    s.push_back({"loom-bufferize-cuda", "memref", cpu[1].summary, cpu[1].pipeline});
    s.push_back({"loom-to-gpu", "gpu",
                 "every linalg op a CUDA kernel launch (one thread per "
                 "output element, reductions in the thread), outlined into "
                 "a gpu.module",
                 "loom-map-to-gpu,canonicalize,cse,loom-gpu-outline,"
                 "canonicalize,cse"});
    return s;
  }();
  return stages;
}

std::string(::loom::pipelines::cudaToLLVMPipeline)(const std::string &arch,
                                                   const std::string &toolkit,
                                                   bool cubin) {
  // As MLIR's gpu-lower-to-nvvm-pipeline, with loom's host conventions:
  // bare-pointer entry points and void loom_F(void **slots) wrappers. The
  // kernels keep memref descriptors (a slice's offset is dynamic).
  // PTX 8.1: kernel parameters up to 32 KB (4 KB before), needed by fused
  // kernels with many buffers (each passes a memref descriptor).
  std::string features = "+ptx81";
  std::string target = "chip=" + arch + " features=" + features + " O=3";
  std::string binary = std::string("format=") + (cubin ? "bin" : "isa");
  if (!toolkit.empty())
    binary += " toolkit=" + toolkit;
  return "convert-scf-to-cf,nvvm-attach-target{" + target +
         "},expand-strided-metadata,lower-affine,"
         "gpu.module(strip-debuginfo,convert-gpu-to-nvvm{index-bitwidth=64},"
         "canonicalize,cse,reconcile-unrealized-casts),"
         "finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
         "convert-cf-to-llvm,convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
         "gpu-to-llvm,gpu-module-to-binary{" + binary +
         "},convert-ub-to-llvm,reconcile-unrealized-casts,"
         "loom-packed-entry-points";
}

namespace {

/// `pipeline` without loom's fusion passes and GEMM epilogues (the module attribute
/// loom.no_fusion, loomc --no-fusion: the benchmark's fusion-off rows).
std::string withoutFusion(const std::string &pipeline) {
  std::string out, item;
  int depth = 0;
  auto flush = [&] {
    // The GEMMs' register epilogues are fusion too.
    if (item == "loom-tile-contractions")
      item = "loom-tile-contractions{epilogues=false}";
    if (!item.empty() && item.rfind("loom-fuse-", 0) != 0)
      out += (out.empty() ? "" : ",") + item;
    item.clear();
  };
  for (char ch : pipeline) {
    depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
    if (ch == ',' && depth == 0)
      flush();
    else
      item += ch;
  }
  flush();
  return out;
}

} // namespace

std::optional<std::vector<::loom::pipelines::Stage>>(
    ::loom::pipelines::stagesFor)(ModuleOp module, std::string &error) {
  auto target = module->getAttrOfType<StringAttr>(kTargetAttr);
  if (!target || target.getValue() == "cpu")
    return cpuStages();
  auto arch = module->getAttrOfType<StringAttr>(kCudaArchAttr);
  auto toolkit = module->getAttrOfType<StringAttr>(kCudaToolkitAttr);
  std::vector<Stage> stages = cudaStages();
  if (target.getValue() == "cuda") {
    std::string tk = toolkit ? toolkit.str() : "";
    stages.push_back({"loom-gpu-to-llvm", "llvm-dialect",
                      "kernels to NVVM, PTX and (with ptxas) a cubin embedded "
                      "in the host code, which launches them",
                      cudaToLLVMPipeline(arch ? arch.str() : "sm_90", tk,
                                         /*cubin=*/!tk.empty())});
    return stages;
  }
  if (target.getValue() == "cuda-emulate") {
    // The launches as host loops, then the CPU's last stage: the CUDA
    // mapping, run where no GPU is.
    stages.back().pipeline = "loom-map-to-gpu,loom-gpu-emulate,canonicalize,cse";
    stages.push_back(cpuStages().back());
    return stages;
  }
  error = "unknown target '" + target.str() + "' (cpu, cuda or cuda-emulate)";
  return std::nullopt;
}

LogicalResult(::loom::pipelines::runStagesUpTo)(
    ModuleOp module, const std::string &emitKind,
    void (*configure)(PassManager &, void *), void *configureData,
    const std::string &after, TimingScope *timing) {
  bool started = after.empty();
  std::string error;
  std::optional<std::vector<Stage>> stages = stagesFor(module, error);
  if (!stages)
    return module.emitError() << error;
  for (const Stage &stage : *stages) {
    if (!started) {
      started = after == stage.stopsAt;
      continue;
    }
    PassManager pm(module.getContext(), ModuleOp::getOperationName());
    std::string pipeline = module->hasAttr(kNoFusionAttr)
                               ? withoutFusion(stage.pipeline)
                               : stage.pipeline;
    if (failed(parsePassPipeline(pipeline, pm)))
      return module.emitError() << "internal error: bad pipeline for stage "
                                << stage.name;
    if (configure)
      configure(pm, configureData);
    std::optional<TimingScope> stageTiming;
    if (timing) {
      stageTiming.emplace(timing->nest(StringRef(stage.name)));
      pm.enableTiming(*stageTiming);
    }
    if (failed(pm.run(module)))
      return failure();
    if (emitKind == stage.stopsAt)
      return success();
  }
  return success();
}

void(::loom::pipelines::buildTrainingPipeline)(
    OpPassManager &pm, const mlir::loom::LoomTrainStepOptions &step) {
  // Gradients of the parameters only: inputs are data.
  pm.addPass(mlir::loom::createLoomAutodiff());
  // Forward + backward + clipping + the optimizer, in one function.
  pm.addPass(mlir::loom::createLoomTrainStep(step));
}

void(::loom::pipelines::buildGradientPipeline)(OpPassManager &pm) {
  pm.addPass(mlir::loom::createLoomAutodiff());
}

namespace {

/// loom-training's options: the loom-train-step options, with the defaults
/// of the generated LoomTrainStepOptions (Passes.td) so they exist once.
struct TrainingOptions : public PassPipelineOptions<TrainingOptions> {
  mlir::loom::LoomTrainStepOptions d;
  Option<std::string> optimizer{*this, "optimizer",
                                llvm::cl::desc("adamw or sgd"),
                                llvm::cl::init(d.optimizer)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("AdamW beta1"),
                       llvm::cl::init(d.beta1)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("AdamW beta2"),
                       llvm::cl::init(d.beta2)};
  Option<double> eps{*this, "eps", llvm::cl::desc("AdamW epsilon"),
                     llvm::cl::init(d.eps)};
  Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("weight decay (negative: the optimizer's default)"),
      llvm::cl::init(d.weightDecay)};
  Option<double> momentum{
      *this, "momentum", llvm::cl::desc("SGD momentum (negative: 0.9)"),
      llvm::cl::init(d.momentum)};
  Option<double> clipNorm{*this, "clip-norm",
                          llvm::cl::desc("global gradient-norm bound (0: off)"),
                          llvm::cl::init(d.clipNorm)};
  Option<bool> keepGrad{*this, "keep-grad",
                        llvm::cl::desc("keep @loss_grad as an entry point"),
                        llvm::cl::init(d.keepGrad)};
  Option<bool> splitStep{
      *this, "split-step",
      llvm::cl::desc("also emit @loss_grad and per-parameter @apply__<i> "
                     "(data-parallel training)"),
      llvm::cl::init(d.splitStep)};

  mlir::loom::LoomTrainStepOptions step() const {
    mlir::loom::LoomTrainStepOptions s;
    s.optimizer = optimizer;
    s.beta1 = beta1;
    s.beta2 = beta2;
    s.eps = eps;
    s.weightDecay = weightDecay;
    s.momentum = momentum;
    s.clipNorm = clipNorm;
    s.keepGrad = keepGrad;
    s.splitStep = splitStep;
    return s;
  }
};

} // namespace

void(::loom::pipelines::registerPipelines)() {
  std::vector<Stage> stages = cpuStages();
  for (const Stage &stage : cudaStages())
    if (stage.name != std::string("loom-bufferize-cuda"))
      stages.push_back(stage);
  for (const Stage &stage : stages) {
    std::string pipeline = stage.pipeline;
    PassPipelineRegistration<>(
        stage.name, stage.summary, [pipeline](OpPassManager &pm) {
          if (failed(parsePassPipeline(pipeline, pm)))
            llvm::report_fatal_error("bad built-in pipeline");
        });
  }
  PassPipelineRegistration<TrainingOptions>(
      "loom-training",
      "loom-autodiff then loom-train-step: @train_step (forward, backward, "
      "clipping, optimizer) from @loss, as loomc --train builds it",
      [](OpPassManager &pm, const TrainingOptions &o) {
        buildTrainingPipeline(pm, o.step());
      });
  PassPipelineRegistration<>(
      "loom-gradients",
      "loom-autodiff: @loss_grad (the loss and the parameter gradients) "
      "from @loss, as loomc --grad builds it",
      [](OpPassManager &pm) { buildGradientPipeline(pm); });
}
