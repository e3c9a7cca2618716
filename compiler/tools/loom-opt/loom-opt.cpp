//===- loom-opt.cpp - runs loom and upstream passes on .mlir files --------===//
#include "Loom/IR/LoomDialect.h"
#include "loom/Autodiff/Passes.h"
#include "loom/Codegen/Passes.h"
#include "loom/Conversion/Passes.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::loom::registerLoomPasses();
  mlir::loom::registerLoomConversionPasses();
  mlir::loom::registerLoomCodegenPasses();
  mlir::loom::registerLoomAutodiffPasses();
  loom::pipelines::registerPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates the kernels to LLVM IR (--target=cuda).
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::loom::LoomDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "loom optimizer: the loom dialect, its passes and upstream MLIR\n",
      registry));
}
