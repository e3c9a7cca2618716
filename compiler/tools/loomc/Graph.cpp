//===- Graph.cpp - loomc --graph: draw the model ---------------------------===//
#include "Graph.h"

#include "loom/Codegen/KernelChoice.h"
#include "loom/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace {

int fail(const std::string &message) {
  llvm::errs() << "loomc: error: " << message << "\n";
  return 1;
}

/// Whether a function's signature has a dynamic dim (an unbound --dim).
bool hasDynamicShapes(mlir::func::FuncOp fn) {
  auto dynamic = [](mlir::Type t) {
    auto s = llvm::dyn_cast<mlir::ShapedType>(t);
    return s && !s.hasStaticShape();
  };
  return llvm::any_of(fn.getArgumentTypes(), dynamic) ||
         llvm::any_of(fn.getResultTypes(), dynamic);
}

} // namespace

int loomc::drawGraph(const GraphRequest &r, mlir::ModuleOp module,
                     const loom::spec::Model &model, bool train, bool grad) {
  loom::graph::Options options;
  options.function = !r.function.empty() ? r.function
                     : train             ? "train_step"
                     : grad              ? "loss_grad"
                                         : "forward";
  options.blocks = r.blocks;
  options.params = r.params;
  options.model = &model;
  std::vector<loom::graph::KernelCall> kernels;
  std::string error;
  if (r.kernels) {
    auto fn = module.lookupSymbol<mlir::func::FuncOp>(options.function);
    if (fn && hasDynamicShapes(fn))
      return fail("--graph-kernels compiles the model, which needs static "
                  "shapes: bind every dim with --dim NAME=N");
    // The same choices a compile would make (loom-select-kernels, fusion).
    mlir::Builder attrs(module.getContext());
    module->setAttr(mlir::loom::kKernelsModeAttr,
                    attrs.getStringAttr(r.kernelsMode.empty() ? "auto"
                                                              : r.kernelsMode));
    std::string cache = r.kernelCache.empty()
                            ? mlir::loom::KernelChoiceCache::defaultPath()
                            : r.kernelCache;
    if (!cache.empty())
      module->setAttr(mlir::loom::kKernelCacheAttr, attrs.getStringAttr(cache));
    if (r.noFusion)
      module->setAttr(loom::pipelines::kNoFusionAttr, attrs.getUnitAttr());
    if (!loom::graph::compileKernelCalls(module, kernels, error))
      return fail(error);
    options.kernels = &kernels;
  }
  std::string dot;
  size_t nodes = 0;
  if (!loom::graph::writeDot(module, options, dot, error, &nodes))
    return fail(error);
  if (r.format != "dot" && nodes > loom::graph::kSlowLayoutNodes)
    llvm::errs() << "loomc: note: " << nodes
                 << " nodes: Graphviz may take many minutes to lay them out "
                    "(--graph-blocks=collapsed draws fewer)\n";
  bool toStdout = r.output.empty() || r.output == "-";
  if (r.format == "dot") {
    if (toStdout) {
      llvm::outs() << dot;
      return 0;
    }
    std::error_code ec;
    llvm::raw_fd_ostream out(r.output, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      llvm::errs() << r.output << ": error: cannot write: " << ec.message()
                   << "\n";
      return 1;
    }
    out << dot;
    return 0;
  }
  if (!toStdout)
    return loom::graph::render(dot, r.format, r.output, error) ? 0 : fail(error);
  // An SVG on stdout: rendered to a temporary file first.
  llvm::SmallString<128> path;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("loomc-graph", r.format, path))
    return fail("cannot create a temporary file: " + ec.message());
  bool ok = loom::graph::render(dot, r.format, std::string(path), error);
  if (ok) {
    auto text = llvm::MemoryBuffer::getFile(path);
    if (text)
      llvm::outs() << (*text)->getBuffer();
    else
      ok = false, error = "cannot read the rendered graph back";
  }
  llvm::sys::fs::remove(path);
  return ok ? 0 : fail(error);
}
