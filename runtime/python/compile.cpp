//===- compile.cpp - loomc's compile path, in process ---------------------===//
//
// The same steps as compiler/tools/loomc/loomc.cpp's artifact path (spec ->
// loom IR -> [training step] -> stages -> model.so + manifest.json +
// kernels.json), through the same libraries, so an artifact compiled from
// Python is byte-for-byte what loomc writes for the same options.
//
//===----------------------------------------------------------------------===//
#include "compile.h"

#include "loom/Artifact/Kernels.h"
#include "loom/Artifact/Manifest.h"
#include "loom/Autodiff/Passes.h"
#include "loom/Codegen/KernelChoice.h"
#include "loom/Codegen/Passes.h"
#include "loom/Conversion/Passes.h"
#include "loom/Frontend/MLIRGen.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Spec/Spec.h"
#include "loom/Target/Emit.h"
#include "loom/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <mutex>

namespace loom::python {
namespace {

namespace spec = ::loom::spec;
namespace fe = ::loom::frontend;
namespace lp = ::loom::pipelines;
namespace la = ::loom::artifact;
namespace lt = ::loom::target;

CompileResult failure(CompileResult::Kind kind, std::string message) {
  CompileResult r;
  r.kind = kind;
  r.message = std::move(message);
  return r;
}

CompileResult specFailure(const spec::Diagnostics &diags) {
  CompileResult r;
  r.kind = CompileResult::SpecError;
  r.message = diags.str();
  while (!r.message.empty() && r.message.back() == '\n')
    r.message.pop_back();
  for (const spec::Diagnostic &d : diags.all())
    r.diagnostics.push_back({d.file, d.pos.line, d.pos.col, d.message});
  return r;
}

bool writeFile(const std::string &path, const std::string &bytes,
               std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = path + ": cannot write: " + ec.message();
    return false;
  }
  out << bytes;
  return true;
}

/// loomc's checks of the training hyperparameters (checkCombinations).
std::string checkTraining(const CompileRequest &r,
                          mlir::loom::LoomTrainStepOptions &step) {
  if (r.train.empty()) {
    if (r.splitStep)
      return "split_step goes with train";
    if (r.weightDecay || r.beta1 || r.beta2 || r.eps || r.momentum || r.clipNorm)
      return "weight_decay, beta1, beta2, eps, momentum and clip_norm go "
             "with train";
    return "";
  }
  if (r.train != "adamw" && r.train != "sgd")
    return "train takes 'adamw' or 'sgd' (or True), got '" + r.train + "'";
  step.optimizer = r.train;
  struct {
    const char *name;
    const std::optional<double> &value;
    double *field;
  } hypers[] = {{"weight_decay", r.weightDecay, &step.weightDecay},
                {"beta1", r.beta1, &step.beta1},
                {"beta2", r.beta2, &step.beta2},
                {"eps", r.eps, &step.eps},
                {"momentum", r.momentum, &step.momentum},
                {"clip_norm", r.clipNorm, &step.clipNorm}};
  for (auto &h : hypers) {
    if (!h.value)
      continue;
    if (!(*h.value >= 0) || !std::isfinite(*h.value))
      return std::string(h.name) + " expects a non-negative number";
    *h.field = *h.value;
  }
  if (step.beta1 >= 1 || step.beta2 >= 1 || step.momentum >= 1)
    return "beta1, beta2 and momentum must be below 1";
  if (step.eps <= 0)
    return "eps must be positive";
  if (step.optimizer == "adamw" && r.momentum)
    return "momentum is for train='sgd' (AdamW has beta1)";
  step.keepGrad = r.grad;
  step.splitStep = r.splitStep;
  return "";
}

} // namespace

CompileResult compileSpec(const CompileRequest &r) {
  mlir::loom::LoomTrainStepOptions step;
  if (std::string err = checkTraining(r, step); !err.empty())
    return failure(CompileResult::UsageError, err);
  if (r.kernels != "mlir" && r.kernels != "halide" && r.kernels != "auto")
    return failure(CompileResult::UsageError,
                   "kernels expects 'mlir', 'halide' or 'auto', got '" +
                       r.kernels + "'");
  if (std::string error; !lt::checkCPU(r.mcpu, error))
    return failure(CompileResult::UsageError, "mcpu: " + error);

  spec::Diagnostics diags;
  std::optional<spec::Model> model =
      !r.specPath.empty() ? spec::parseFile(r.specPath, diags)
      : r.specIsJson      ? spec::parseJson(r.specText, r.specName, diags)
                          : spec::parseText(r.specText, r.specName, diags);
  if (!model)
    return specFailure(diags);
  if (std::string err = spec::overrideConfig(*model, r.config); !err.empty())
    return failure(CompileResult::UsageError, "config: " + err);

  // Every dim given must be declared, and code generation needs them all.
  std::string names, unbound;
  for (const spec::Dim &d : model->dims) {
    names += (names.empty() ? "" : ", ") + d.name;
    if (!r.dims.count(d.name))
      unbound += (unbound.empty() ? "" : ", ") + d.name;
  }
  for (const auto &[name, value] : r.dims) {
    bool declared = false;
    for (const spec::Dim &d : model->dims)
      declared |= d.name == name;
    if (!declared)
      return failure(CompileResult::UsageError,
                     "dims: model '" + model->name + "' declares no dim '" +
                         name + "'" +
                         (names.empty() ? " (it has none)"
                                        : " (its dims: " + names + ")"));
    if (value <= 0 || value > 2147483647)
      return failure(CompileResult::UsageError,
                     "dims: " + name + " = " + std::to_string(value) +
                         " is out of range (1 to 2^31 - 1)");
  }
  if (!unbound.empty())
    return failure(CompileResult::UsageError,
                   "compiling '" + model->name +
                       "' needs static shapes: bind " + unbound +
                       " in dims={...}");

  static std::once_flag passesRegistered;
  std::call_once(passesRegistered, [] {
    mlir::registerAllPasses();
    mlir::loom::registerLoomPasses();
    mlir::loom::registerLoomConversionPasses();
    mlir::loom::registerLoomCodegenPasses();
  });
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::MLIRContext context(registry);
  fe::DiagnosticBridge bridge(context, diags, model->file);
  fe::GenOptions gen;
  gen.dims = r.dims;
  fe::ModelInfo info;
  auto module = fe::generateModule(*model, context, gen, info, diags);
  if (!module)
    return specFailure(diags);

  if (!r.train.empty() || r.grad) {
    if (!module->lookupSymbol("loss"))
      return failure(CompileResult::UsageError,
                     model->file + ": error: " +
                         (r.train.empty() ? "grad" : "train") +
                         " needs a loss: model '" + model->name +
                         "' declares none (add `loss = NAME`)");
    mlir::PassManager pm(&context);
    if (!r.train.empty())
      lp::buildTrainingPipeline(pm, step);
    else
      lp::buildGradientPipeline(pm);
    if (mlir::failed(pm.run(*module)))
      return specFailure(diags);
  }

  std::string cachePath = r.kernelCache.empty()
                              ? mlir::loom::KernelChoiceCache::defaultPath()
                              : r.kernelCache;
  mlir::Builder attrs(&context);
  (*module)->setAttr(mlir::loom::kKernelsModeAttr, attrs.getStringAttr(r.kernels));
  if (!cachePath.empty())
    (*module)->setAttr(mlir::loom::kKernelCacheAttr, attrs.getStringAttr(cachePath));
  if (!r.fusion)
    (*module)->setAttr(lp::kNoFusionAttr, attrs.getUnitAttr());

  if (std::error_code ec = llvm::sys::fs::create_directories(r.outDir))
    return failure(CompileResult::CompileError,
                   r.outDir + ": cannot create directory: " + ec.message());
  lt::EmitOptions emit;
  emit.cpu = r.mcpu;
  emit.jobs = r.jobs;
  la::Artifact artifact;
  std::vector<la::KernelSite> sites;
  std::string error;
  if (!lp::compileToSharedLibrary(*module, r.outDir + "/model.so", emit,
                                  artifact, error, nullptr, nullptr, &sites)) {
    if (!diags.empty())
      return specFailure(diags);
    return failure(CompileResult::CompileError, error);
  }
  if (!writeFile(r.outDir + "/manifest.json",
                 la::writeManifest(artifact, "model.so"), error) ||
      !writeFile(r.outDir + "/kernels.json",
                 la::writeKernelsJson(sites, artifact.model,
                                      la::manifestFingerprint(artifact, "model.so")),
                 error))
    return failure(CompileResult::CompileError, error);
  return {};
}

} // namespace loom::python
