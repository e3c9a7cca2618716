//===- ModelStats.cpp - parameter, FLOP and memory figures ----------------===//
#include "loom/Analysis/ModelStats.h"
#include "loom/Transforms/Passes.h"

#include "Loom/IR/LoomOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <iomanip>
#include <map>
#include <sstream>

using namespace mlir;
using namespace ::loom::frontend;
using namespace ::loom::analysis;

namespace {

std::optional<double> elements(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.hasStaticShape())
    return std::nullopt;
  double n = 1;
  for (int64_t d : rt.getShape())
    n *= static_cast<double>(d);
  return n;
}

std::optional<double> bytes(Type t) {
  auto n = elements(t);
  if (!n)
    return std::nullopt;
  unsigned bits = cast<RankedTensorType>(t).getElementTypeBitWidth();
  return *n * std::max(1u, bits / 8);
}

/// FLOPs of one primitive op, per the rules in ModelStats.h.
std::optional<double> opFlops(Operation *op) {
  using namespace mlir::loom;
  if (isa<ConstantOp, ReshapeOp, TransposeOp, ConcatOp, SliceOp, UpdateSliceOp, GatherOp,
          EmbeddingOp, PositionsOp, CausalMaskOp, PatchifyOp, PrependTokenOp,
          CastOp, SplitHeadsOp, MergeHeadsOp>(op))
    return 0;
  if (isa<MatmulOp, BatchMatmulOp>(op)) {
    auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
    auto out = elements(op->getResult(0).getType());
    if (!out || !lhs.hasStaticShape())
      return std::nullopt;
    return 2 * *out * static_cast<double>(lhs.getShape().back());
  }
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(op))
    return elements(op->getOperand(0).getType());
  // Everything else left after decomposition is elementwise.
  return elements(op->getResult(0).getType());
}

FunctionStats statsOf(func::FuncOp fn) {
  FunctionStats s;
  if (!fn)
    return s;
  // Count on the decomposed form so composites cost what their primitives do.
  OwningOpRef<func::FuncOp> copy = cast<func::FuncOp>(fn->clone());
  RewritePatternSet patterns(fn.getContext());
  mlir::loom::populateDecompositionPatterns(patterns);
  (void)applyPatternsGreedily(copy->getOperation(), std::move(patterns));

  double flops = 0, all = 0, live = 0, peak = 0;
  bool known = true;
  std::map<Operation *, int> index;
  std::vector<Operation *> order;
  copy->walk([&](Operation *op) {
    if (isa<mlir::loom::LoomDialect>(op->getDialect())) {
      index[op] = order.size();
      order.push_back(op);
    }
  });
  // A result dies after its last user (in program order).
  std::map<Operation *, std::vector<Value>> dying;
  for (Operation *op : order)
    for (Value r : op->getResults()) {
      Operation *last = op;
      for (Operation *u : r.getUsers())
        if (index.count(u) && index[u] > index[last])
          last = u;
      dying[last].push_back(r);
    }
  for (Operation *op : order) {
    auto f = opFlops(op);
    known &= f.has_value();
    flops += f.value_or(0);
    for (Value r : op->getResults()) {
      auto n = bytes(r.getType());
      known &= n.has_value();
      all += n.value_or(0);
      live += n.value_or(0);
    }
    peak = std::max(peak, live);
    for (Value r : dying[op])
      live -= bytes(r.getType()).value_or(0);
  }
  if (known) {
    s.flops = flops;
    s.allActivationBytes = all;
    s.peakActivationBytes = peak;
  }
  return s;
}

std::string withCommas(int64_t v) {
  std::string s = std::to_string(v >= 0 ? v : -v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(i, ",");
  return (v < 0 ? "-" : "") + s;
}

std::string human(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T", "P", "E"};
  int i = 0;
  while (v >= 1000 && i < 6) {
    v /= 1000;
    ++i;
  }
  std::ostringstream os;
  os << std::setprecision(4) << v << " " << prefixes[i] << unit;
  return os.str();
}

std::string humanBytes(double v) {
  const char *prefixes[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int i = 0;
  while (v >= 1024 && i < 5) {
    v /= 1024;
    ++i;
  }
  std::ostringstream os;
  os << std::setprecision(4) << v << " " << prefixes[i];
  return os.str();
}

std::string shapeOf(const TensorInfo &t) {
  std::string s = t.dtype + "[";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i)
      s += ", ";
    if (i < t.dimNames.size() && !t.dimNames[i].empty())
      s += t.dimNames[i];
    else
      s += ShapedType::isDynamic(t.shape[i]) ? "?" : std::to_string(t.shape[i]);
  }
  return s + "]";
}

} // namespace

ModelStats (::loom::analysis::computeStats)(ModuleOp module, const ModelInfo &info) {
  ModelStats stats;
  for (const ParamInfo &p : info.params) {
    stats.totalParams += p.numElements();
    int64_t width = p.dtype == "f32" || p.dtype == "i32" ? 4
                    : p.dtype == "i64"                  ? 8
                    : p.dtype == "i1"                   ? 1
                                                        : 2;
    stats.totalParamBytes += p.numElements() * width;
  }
  stats.forward = statsOf(module.lookupSymbol<func::FuncOp>("forward"));
  stats.loss = statsOf(module.lookupSymbol<func::FuncOp>("loss"));
  return stats;
}

std::string (::loom::analysis::formatInfo)(const ModelInfo &info,
                                       const ModelStats &stats,
                                       const GenOptions &options) {
  std::ostringstream os;
  os << "model " << info.name << "\n";
  os << "parameters: " << withCommas(stats.totalParams) << " ("
     << human(static_cast<double>(stats.totalParams), "") << ", "
     << humanBytes(static_cast<double>(stats.totalParamBytes)) << ")\n";

  // Per block: parameters of one instance (nested blocks included) times the
  // number of instances at the top of the instance tree.
  std::map<std::string, int64_t> byGroup;
  std::vector<std::string> groupOrder;
  for (const ParamInfo &p : info.params) {
    // Model-level parameters group by name prefix: bert.embeddings.*,
    // cls.predictions.*, ln_f.*; a plain name (wte) is its own group.
    std::string group = p.name;
    {
      size_t first = p.name.find('.');
      size_t second =
          first == std::string::npos ? first : p.name.find('.', first + 1);
      if (second != std::string::npos)
        group = p.name.substr(0, second);
      else if (first != std::string::npos)
        group = p.name.substr(0, first);
    }
    if (!p.blockPath.empty()) {
      // h.3.attn -> h.*, encoder.layers.1 -> encoder.layers.*
      std::string path = p.blockPath;
      size_t dot = path.find('.');
      while (dot != std::string::npos) {
        size_t next = path.find('.', dot + 1);
        std::string part = path.substr(dot + 1, next == std::string::npos
                                                    ? std::string::npos
                                                    : next - dot - 1);
        if (!part.empty() &&
            part.find_first_not_of("0123456789") == std::string::npos) {
          path = path.substr(0, dot) + ".*";
          break;
        }
        dot = next;
      }
      if (path == p.blockPath && path.find('.') != std::string::npos)
        path = path.substr(0, path.find('.'));
      group = path;
    }
    if (!byGroup.count(group))
      groupOrder.push_back(group);
    byGroup[group] += p.numElements();
  }
  os << "parameters by block:\n";
  for (const std::string &g : groupOrder)
    os << "  " << std::left << std::setw(28) << g << std::right
       << std::setw(18) << withCommas(byGroup[g]) << "\n";
  if (!info.blockInstances.empty()) {
    os << "block instances:";
    for (const auto &[name, count] : info.blockInstances)
      os << " " << name << " x" << count;
    os << "\n";
  }
  int tied = 0;
  for (const ParamInfo &p : info.params)
    tied += p.aliases.size();
  if (tied) {
    os << "tied names:";
    for (const ParamInfo &p : info.params)
      for (const std::string &a : p.aliases)
        os << " " << a << " = " << p.name;
    os << "\n";
  }
  os << "inputs:\n";
  for (const TensorInfo &t : info.inputs)
    os << "  " << t.name << ": " << shapeOf(t) << "\n";
  os << "outputs:\n";
  for (const TensorInfo &t : info.outputs)
    os << "  " << t.name << ": " << shapeOf(t) << "\n";
  if (info.hasLoss)
    os << "  loss: scalar\n";

  std::string dims;
  for (const auto &[n, v] : options.dims)
    dims += (dims.empty() ? "" : ", ") + n + "=" + std::to_string(v);
  // Per sample: the first dim of the first input; per token: its first two.
  int64_t samples = 0, tokens = 0;
  if (!info.inputs.empty()) {
    const TensorInfo &in = info.inputs.front();
    if (!in.shape.empty() && !ShapedType::isDynamic(in.shape[0]))
      samples = in.shape[0];
    if (in.shape.size() >= 2 && !in.dimNames[1].empty() &&
        !ShapedType::isDynamic(in.shape[1]))
      tokens = samples * in.shape[1];
  }
  auto report = [&](const char *what, const FunctionStats &s, double factor) {
    if (!s.flops) {
      os << what << ": bind every dim (--dim NAME=N) to count FLOPs\n";
      return;
    }
    double f = *s.flops * factor;
    os << what << " FLOPs (" << dims << "): " << human(f, "FLOP");
    if (tokens)
      os << ", " << human(f / tokens, "FLOP") << " per token";
    else if (samples)
      os << ", " << human(f / samples, "FLOP") << " per sample";
    os << "\n";
  };
  if (info.outputs.size())
    report("forward", stats.forward, 1.0);
  if (info.hasLoss)
    report("training step (loss forward x3: backward ~ 2x forward)",
           stats.loss, 3.0);
  if (stats.forward.peakActivationBytes)
    os << "activation memory, inference (peak live, program order): "
       << humanBytes(*stats.forward.peakActivationBytes)
       << "\n";
  if (stats.loss.allActivationBytes)
    os << "activation memory, training (all intermediates kept): "
       << humanBytes(*stats.loss.allActivationBytes)
       << "\n";
  return os.str();
}
