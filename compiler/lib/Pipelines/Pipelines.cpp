//===- Pipelines.cpp - loom's named compilation pipelines -----------------===//
#include "loom/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

const std::vector<loom::pipelines::Stage> &loom::pipelines::cpuStages() {
  static const std::vector<Stage> stages = {
      {"loom-to-linalg", "linalg",
       "composites decomposed, loom lowered to linalg/tensor/arith/math on "
       "tensors, elementwise ops fused",
       // Composites become primitives (fused kernels come later), the
       // primitives become linalg on tensors, producer/consumer elementwise
       // generics merge so fewer intermediates reach the arena.
       "loom-decompose,canonicalize,cse,"
       "convert-loom-to-linalg,canonicalize,"
       "loom-fuse-elementwise,canonicalize,cse"},
      {"loom-bufferize", "memref",
       "tensors become buffers: results written to caller buffers, every "
       "intermediate placed in one planned arena",
       // Function boundaries use identity layouts so the bare-pointer ABI
       // applies; results become out-parameters of public functions; the
       // remaining allocations move into the arena. A tensor returned twice
       // gets a copy first (one buffer per result).
       "loom-distinct-results,"
       "one-shot-bufferize{bufferize-function-boundaries "
       "function-boundary-type-conversion=identity-layout-map},"
       "buffer-results-to-out-params{hoist-static-allocs "
       "modify-public-functions},"
       "canonicalize,loom-plan-arena,loom-lower-copies,canonicalize"},
      {"loom-to-llvm", "llvm-dialect",
       "loops, then the LLVM dialect with bare-pointer arguments and "
       "void loom_F(void **slots) entry points",
       "convert-linalg-to-loops,loom-outline-kernels,lower-affine,"
       "convert-scf-to-cf,"
       "expand-strided-metadata,lower-affine,"
       "convert-math-to-libm,convert-math-to-llvm,"
       "finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
       "convert-cf-to-llvm,"
       "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
       "convert-ub-to-llvm,reconcile-unrealized-casts,"
       "loom-packed-entry-points"},
  };
  return stages;
}

LogicalResult loom::pipelines::runStagesUpTo(
    ModuleOp module, const std::string &emitKind,
    void (*configure)(PassManager &, void *), void *configureData,
    const std::string &after) {
  bool started = after.empty();
  for (const Stage &stage : cpuStages()) {
    if (!started) {
      started = after == stage.stopsAt;
      continue;
    }
    PassManager pm(module.getContext(), ModuleOp::getOperationName());
    if (failed(parsePassPipeline(stage.pipeline, pm)))
      return module.emitError() << "internal error: bad pipeline for stage "
                                << stage.name;
    if (configure)
      configure(pm, configureData);
    if (failed(pm.run(module)))
      return failure();
    if (emitKind == stage.stopsAt)
      return success();
  }
  return success();
}

void loom::pipelines::registerPipelines() {
  for (const Stage &stage : cpuStages()) {
    std::string pipeline = stage.pipeline;
    PassPipelineRegistration<>(
        stage.name, stage.summary, [pipeline](OpPassManager &pm) {
          if (failed(parsePassPipeline(pipeline, pm)))
            llvm::report_fatal_error("bad built-in pipeline");
        });
  }
}
