//===- loomc.cpp - the loom model compiler driver -------------------------===//
//
//   loomc MODEL -o DIR --dim NAME=N...        (artifact: model.so + manifest)
//   loomc MODEL [--emit=KIND] [-o FILE] [--dim NAME=N]... [--no-locs]
//   loomc fmt MODEL --to=text|json [-o FILE]
//   loomc info MODEL [--dim NAME=N]...
//
// Every failure is reported as `file:line:col: error: ...` (or
// `loomc: error: ...` for the command line) with exit code 1.
//
//===----------------------------------------------------------------------===//
#include "Interpret.h"
#include "loom/Autodiff/Passes.h"
#include "loom/Frontend/MLIRGen.h"
#include "loom/Frontend/ModelStats.h"
#include "loom/Frontend/Spec.h"
#include "loom/Pipelines/Emit.h"
#include "loom/Pipelines/Manifest.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Conversion/Passes.h"
#include "loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace spec = ::loom::spec;
namespace fe = ::loom::frontend;
namespace lp = ::loom::pipelines;

/// Dims are 32-bit-sized: sizes and FLOP counts stay far from overflow.
constexpr long long kMaxDim = 2147483647;

const char *kUsage = R"(usage:
  loomc MODEL -o DIR --dim NAME=N...
      compile a model spec (.loom text or .json) into DIR/model.so and
      DIR/manifest.json (docs/artifact.md); every dim must be bound
  loomc MODEL --emit=KIND [-o FILE] [--dim NAME=N]... [--no-locs]
      stop at one stage and print it: loom (default), linalg, memref,
      llvm-dialect, llvm-ir, asm, obj, so, header (obj and so need -o)
  loomc MODEL --interpret [--dim NAME=N]... [--weights FILE | --seed N]
        --input NAME=FILE.npy... [--function F] [--output NAME=FILE.npy]...
      run F (default forward) in the reference interpreter with the
      parameters `loom run` would use; prints each output like `loom run
      --print`
  loomc --print-pipeline
      the named pass pipelines, stage by stage
  loomc fmt MODEL --to=text|json [-o FILE]
      print the spec in canonical text or JSON syntax (lossless)
  loomc info MODEL [--dim NAME=N]...
      parameter counts, FLOPs, activation memory, input and output shapes
options:
  --dim NAME=N   bind a symbolic dim (e.g. --dim B=1 --dim T=1024)
  -o FILE        write to FILE instead of stdout
  --no-locs      print IR without the spec locations
  --print-ir-after-all   dump the IR after every pass (to stderr)
  --mcpu=CPU     target CPU for code generation (default: native)
  --jobs=N       threads for LLVM optimization and code generation
                 (default: one per hardware thread)
training (adds @train_step to the artifact; `loom train` runs it):
  --train[=adamw|sgd]   build the compiled training step (default adamw)
  --weight-decay=X      decoupled (adamw) or L2 (sgd) weight decay of the
                        rank >= 2 parameters (default 0.01 adamw, 0 sgd)
  --beta1=X --beta2=X --eps=X   AdamW (default 0.9, 0.999, 1e-8)
  --momentum=X          SGD momentum (default 0.9)
  --clip-norm=X         clip the global gradient norm to X (default 1; 0 off)
  the learning rate and its schedule are chosen at run time (`loom train`)
)";

int usageError(const std::string &message) {
  llvm::errs() << "loomc: error: " << message << "\n"
               << "run 'loomc --help' for usage\n";
  return 1;
}

struct Options {
  std::string command = "compile"; // compile | fmt | info
  std::string model;
  std::string emit; // empty: loom IR, or an artifact directory with -o
  std::string mcpu = "native";
  unsigned jobs = 0;
  bool printPipeline = false;
  bool interpret = false;
  bool seedGiven = false;
  loomc::InterpretOptions interp;
  bool printIRAfterAll = false;
  std::string to;
  std::string output;
  bool locs = true;
  fe::GenOptions gen;
  bool train = false;
  mlir::loom::TrainStepOptions trainOptions;
  bool weightDecayGiven = false, momentumGiven = false, hyperGiven = false;
};

/// Parses argv; returns an exit code on error or --help.
std::optional<int> parseArgs(int argc, char **argv, Options &o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (!args.empty() && (args[0] == "fmt" || args[0] == "info")) {
    o.command = args[0];
    ++i;
  }
  auto value = [&](const std::string &arg, const std::string &flag,
                   std::string &out) -> std::optional<bool> {
    if (arg.rfind(flag + "=", 0) == 0) {
      out = arg.substr(flag.size() + 1);
      return true;
    }
    if (arg == flag) {
      if (i + 1 >= args.size())
        return false;
      out = args[++i];
      return true;
    }
    return std::nullopt;
  };
  for (; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string v;
    if (a == "-h" || a == "--help") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (a == "--no-locs") {
      o.locs = false;
      continue;
    }
    if (a == "--interpret") {
      o.interpret = true;
      continue;
    }
    if (a == "--print-pipeline") {
      o.printPipeline = true;
      continue;
    }
    if (a == "--print-ir-after-all" || a == "--mlir-print-ir-after-all") {
      o.printIRAfterAll = true;
      continue;
    }
    if (a.rfind("--mcpu=", 0) == 0) {
      o.mcpu = a.substr(7);
      continue;
    }
    if (a.rfind("--jobs=", 0) == 0) {
      std::string n = a.substr(7);
      char *end = nullptr;
      long j = std::strtol(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || j < 1 || j > 256)
        return usageError("--jobs expects a thread count from 1 to 256, got '" +
                          n + "'");
      o.jobs = static_cast<unsigned>(j);
      continue;
    }
    if (a == "--train" || a.rfind("--train=", 0) == 0) {
      o.train = true;
      if (a.size() > 7)
        o.trainOptions.optimizer = a.substr(8);
      if (o.trainOptions.optimizer != "adamw" && o.trainOptions.optimizer != "sgd")
        return usageError("--train takes adamw or sgd, got '" +
                          o.trainOptions.optimizer + "'");
      continue;
    }
    for (const char *flag : {"--weight-decay", "--beta1", "--beta2", "--eps",
                             "--momentum", "--clip-norm"}) {
      auto r = value(a, flag, v);
      if (!r)
        continue;
      if (!*r)
        return usageError(std::string(flag) + " needs a value");
      char *end = nullptr;
      errno = 0;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x) ||
          x < 0)
        return usageError(std::string(flag) +
                          " expects a non-negative number, got '" + v + "'");
      std::string f = flag;
      mlir::loom::TrainStepOptions &t = o.trainOptions;
      if (f == "--weight-decay") {
        t.weightDecay = x;
        o.weightDecayGiven = true;
      } else if (f == "--beta1")
        t.beta1 = x;
      else if (f == "--beta2")
        t.beta2 = x;
      else if (f == "--eps")
        t.eps = x;
      else if (f == "--momentum") {
        t.momentum = x;
        o.momentumGiven = true;
      } else
        t.clipNorm = x;
      o.hyperGiven = true;
      goto next;
    }
    for (const char *flag : {"--emit", "--to", "-o", "--dim", "--input",
                             "--output", "--weights", "--seed", "--function"}) {
      auto r = value(a, flag, v);
      if (!r)
        continue;
      if (!*r)
        return usageError(std::string(flag) + " needs a value");
      std::string f = flag;
      if (f == "--emit")
        o.emit = v;
      else if (f == "--to")
        o.to = v;
      else if (f == "-o")
        o.output = v;
      else if (f == "--input" || f == "--output") {
        size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
          return usageError(f + " expects NAME=FILE.npy, got '" + v + "'");
        (f == "--input" ? o.interp.inputs : o.interp.outputs)
            .emplace_back(v.substr(0, eq), v.substr(eq + 1));
      } else if (f == "--weights")
        o.interp.weights = v;
      else if (f == "--function")
        o.interp.function = v;
      else if (f == "--seed") {
        char *end = nullptr;
        errno = 0;
        unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno == ERANGE || v[0] == '-')
          return usageError("--seed expects a non-negative integer, got '" +
                            v + "'");
        o.interp.seed = n;
        o.seedGiven = true;
      }
      else {
        size_t eq = v.find('=');
        std::string name = v.substr(0, eq);
        std::string num = eq == std::string::npos ? "" : v.substr(eq + 1);
        char *end = nullptr;
        errno = 0;
        long long n = num.empty() ? 0 : std::strtoll(num.c_str(), &end, 10);
        if (name.empty() || num.empty() || *end != '\0' || n <= 0)
          return usageError("--dim expects NAME=N with N > 0, got '" + v + "'");
        if (errno == ERANGE || n > kMaxDim)
          return usageError("--dim " + name + ": " + num +
                            " is too large (at most " +
                            std::to_string(kMaxDim) + ")");
        o.gen.dims[name] = n;
      }
      goto next;
    }
    if (a.size() > 1 && a[0] == '-')
      return usageError("unknown option '" + a + "'");
    if (!o.model.empty())
      return usageError("more than one model given ('" + o.model + "' and '" +
                        a + "')");
    o.model = a;
  next:;
  }
  if (o.printPipeline)
    return std::nullopt;
  if (o.model.empty())
    return usageError("no model spec given");
  if (o.command == "fmt" && o.to != "text" && o.to != "json")
    return usageError("fmt needs --to=text or --to=json");
  bool interpretFlags = !o.interp.inputs.empty() || !o.interp.outputs.empty() ||
                        !o.interp.weights.empty() || o.seedGiven ||
                        o.interp.function != "forward";
  if (interpretFlags && !o.interpret)
    return usageError("--input, --output, --weights, --seed and --function "
                      "go with --interpret");
  if (o.interpret && (o.command != "compile" || !o.emit.empty() ||
                      !o.output.empty()))
    return usageError("--interpret runs the model; it does not combine with "
                      "fmt, info, --emit or -o");
  if (o.hyperGiven && !o.train)
    return usageError("--weight-decay, --beta1, --beta2, --eps, --momentum "
                      "and --clip-norm go with --train");
  if (o.train && (o.command != "compile" || o.interpret))
    return usageError("--train goes with compiling (-o DIR or --emit)");
  {
    mlir::loom::TrainStepOptions &t = o.trainOptions;
    bool adam = t.optimizer == "adamw";
    if (!o.weightDecayGiven)
      t.weightDecay = adam ? 0.01 : 0.0;
    if (!o.momentumGiven)
      t.momentum = adam ? 0.0 : 0.9;
    if (t.beta1 >= 1 || t.beta2 >= 1 || t.momentum >= 1)
      return usageError("--beta1, --beta2 and --momentum must be below 1");
    if (t.eps <= 0)
      return usageError("--eps must be positive");
    if (adam && o.momentumGiven)
      return usageError("--momentum is for --train=sgd (AdamW has --beta1)");
  }
  if (!o.interp.weights.empty() && o.seedGiven)
    return usageError("--weights and --seed exclude each other");
  if (o.command != "fmt" && !o.to.empty())
    return usageError("--to is only for 'loomc fmt'");
  static const char *kinds[] = {"loom",     "linalg", "memref", "llvm-dialect",
                                "llvm-ir",  "asm",    "obj",    "so",
                                "header"};
  if (o.command == "compile" && !o.emit.empty() &&
      std::find(std::begin(kinds), std::end(kinds), o.emit) == std::end(kinds))
    return usageError("unknown --emit kind '" + o.emit +
                      "' (available: loom, linalg, memref, llvm-dialect, "
                      "llvm-ir, asm, obj, so, header)");
  if ((o.emit == "obj" || o.emit == "so") && o.output.empty())
    return usageError("--emit=" + o.emit + " writes a binary file: give -o FILE");
  return std::nullopt;
}

int writeOutput(const Options &o, const std::string &text) {
  if (o.output.empty() || o.output == "-") {
    llvm::outs() << text;
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(o.output, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << o.output << ": error: cannot write: " << ec.message()
                 << "\n";
    return 1;
  }
  out << text;
  return 0;
}

int reportErrors(const spec::Diagnostics &diags) {
  llvm::errs() << diags.str();
  return 1;
}

std::string printModule(mlir::ModuleOp module, bool locs) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (locs)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module.print(os, flags);
  os << "\n";
  return text;
}

void enableDumps(mlir::PassManager &pm, void *) {
  pm.getContext()->disableMultithreading();
  pm.enableIRPrinting();
}

bool writeFile(const std::string &path, const std::string &bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    llvm::errs() << path << ": error: cannot write: " << ec.message() << "\n";
    return false;
  }
  out << bytes;
  return true;
}

/// Runs the stages, then emits `kind`: an IR stage, LLVM IR, assembly, an
/// object, a shared library, a header, or the artifact directory.
int compile(const Options &o, const std::string &kind, mlir::ModuleOp module,
            const fe::ModelInfo &info, spec::Diagnostics &diags) {
  auto dumps = o.printIRAfterAll ? enableDumps : nullptr;
  lp::EmitOptions emit;
  emit.cpu = o.mcpu;
  emit.jobs = o.jobs;
  std::string error;

  if (kind == "so" || kind == "artifact") {
    std::string dir = kind == "artifact" ? o.output : "";
    if (!dir.empty())
      if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
        llvm::errs() << dir << ": error: cannot create directory: "
                     << ec.message() << "\n";
        return 1;
      }
    std::vector<lp::FunctionSlots> slots;
    std::string so = dir.empty() ? o.output : dir + "/model.so";
    if (!lp::compileToSharedLibrary(module, so, emit, slots, error, dumps)) {
      if (!diags.empty())
        return reportErrors(diags);
      llvm::errs() << "loomc: error: " << error << "\n";
      return 1;
    }
    if (dir.empty())
      return 0;
    if (!writeFile(dir + "/manifest.json",
                   lp::writeManifest(info, o.gen, o.model, "model.so", slots)))
      return 1;
    int64_t arena = 0;
    for (const lp::FunctionSlots &f : slots)
      arena = std::max(arena, f.arenaBytes);
    llvm::outs() << "loomc: wrote " << dir << "/model.so and " << dir
                 << "/manifest.json (" << slots.size()
                 << " functions, largest arena " << arena << " bytes)\n";
    return 0;
  }

  auto outputs = lp::collectFunctionInfo(module);
  std::string stopAt = kind == "linalg" || kind == "memref" ? kind
                       : kind == "header"                   ? "memref"
                                                            : "llvm-dialect";
  if (mlir::failed(lp::runStagesUpTo(module, stopAt, dumps, nullptr)))
    return reportErrors(diags);
  if (kind == "linalg" || kind == "memref" || kind == "llvm-dialect")
    return writeOutput(o, printModule(module, o.locs));
  if (kind == "header") {
    std::vector<lp::FunctionSlots> slots;
    if (!lp::collectSlots(module, outputs, slots, error)) {
      llvm::errs() << "loomc: internal error: " << error << "\n";
      return 1;
    }
    return writeOutput(o, lp::writeHeader(info, slots));
  }
  std::string bytes;
  lp::Artifact what = kind == "llvm-ir" ? lp::Artifact::LLVMIR
                      : kind == "asm"   ? lp::Artifact::Assembly
                                        : lp::Artifact::Object;
  if (!lp::emitLLVM(module, what, emit, bytes, error)) {
    llvm::errs() << "loomc: error: " << error << "\n";
    return 1;
  }
  if (kind == "obj")
    return writeFile(o.output, bytes) ? 0 : 1;
  return writeOutput(o, bytes);
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (auto code = parseArgs(argc, argv, o))
    return *code;
  if (o.printPipeline) {
    for (const lp::Stage &stage : lp::cpuStages())
      llvm::outs() << "# --emit=" << stage.stopsAt << ": " << stage.summary
                   << "\n" << stage.name << ": builtin.module("
                   << stage.pipeline << ")\n\n";
    return 0;
  }

  spec::Diagnostics diags;
  std::optional<spec::Model> model = spec::parseFile(o.model, diags);
  if (!model)
    return reportErrors(diags);

  if (o.command == "fmt")
    return writeOutput(o, o.to == "json" ? spec::printJson(*model)
                                         : spec::printText(*model));

  for (const auto &[name, value] : o.gen.dims) {
    bool declared = false;
    std::string names;
    for (const spec::Dim &d : model->dims) {
      declared |= d.name == name;
      names += (names.empty() ? "" : ", ") + d.name;
    }
    if (!declared)
      return usageError("--dim " + name + ": model '" + model->name +
                        "' declares no dim '" + name + "'" +
                        (names.empty() ? " (it has none)"
                                       : " (its dims: " + names + ")"));
  }

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  mlir::loom::registerLoomPasses();
  mlir::loom::registerLoomConversionPasses();
  mlir::MLIRContext context(registry);
  // Errors from any pass print at their spec position.
  fe::DiagnosticBridge bridge(context, diags, model->file);
  fe::ModelInfo info;
  auto module = fe::generateModule(*model, context, o.gen, info, diags);
  if (!module)
    return reportErrors(diags);

  if (o.train) {
    // The forward stays; @loss_grad and @train_step join it.
    mlir::PassManager pm(&context);
    mlir::loom::AutodiffOptions ad;
    pm.addPass(mlir::loom::createAutodiffPass(ad));
    pm.addPass(mlir::loom::createTrainStepPass(o.trainOptions));
    if (!module->lookupSymbol("loss")) {
      llvm::errs() << o.model << ": error: --train needs a loss: model '"
                   << model->name << "' declares none (add `loss = NAME`)\n";
      return 1;
    }
    if (mlir::failed(pm.run(*module)))
      return reportErrors(diags);
    // @train_step holds a copy of @loss_grad's body; compiling both would
    // double the code (loom-opt --loom-autodiff shows the gradient IR; the
    // unit tests compile @loss_grad against the interpreter).
    if (auto grad = module->lookupSymbol<mlir::func::FuncOp>("loss_grad"))
      grad.erase();
    info.inputs.push_back({"optim.lr", "f32", {}, {}});
    info.inputs.push_back({"optim.step", "f32", {}, {}});
  }

  if (o.command == "info")
    return writeOutput(
        o, fe::formatInfo(info, fe::computeStats(*module, info), o.gen));

  if (o.interpret)
    return loomc::interpret(*module, info, o.interp);

  std::string kind = o.emit.empty() ? (o.output.empty() ? "loom" : "artifact")
                                    : o.emit;
  if (kind == "loom")
    return writeOutput(o, printModule(*module, o.locs));

  // Code generation needs static shapes.
  std::string unbound;
  for (const spec::Dim &d : model->dims)
    if (!o.gen.dims.count(d.name))
      unbound += (unbound.empty() ? "" : ", ") + d.name;
  if (!unbound.empty())
    return usageError("compiling '" + model->name + "' needs static shapes: "
                      "bind " + unbound + " with --dim NAME=N");
  return compile(o, kind, *module, info, diags);
}
