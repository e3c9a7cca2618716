//===- loomc.cpp - the loom model compiler driver -------------------------===//
//
//   loomc MODEL -o DIR --dim NAME=N...        (artifact: model.so + manifest)
//   loomc MODEL [--emit=KIND] [-o FILE] [--dim NAME=N]... [--no-locs]
//   loomc fmt MODEL --to=text|json [-o FILE]
//   loomc info MODEL [--dim NAME=N]...
//   loomc MODEL --graph=dot|svg|png|pdf [-o FILE]   (a picture of the model)
//
// Every failure is reported as `file:line:col: error: ...` (or
// `loomc: error: ...` for the command line) with exit code 1.
//
//===----------------------------------------------------------------------===//
#include "Autotune.h"
#include "Graph.h"
#include "Buckets.h"
#include "Decode.h"
#include "Interpret.h"
#include "loom/Autodiff/Passes.h"
#include "loom/Frontend/MLIRGen.h"
#include "loom/Onnx/OnnxImport.h"
#include "loom/Analysis/ModelStats.h"
#include "loom/Spec/Spec.h"
#include "loom/Artifact/Manifest.h"
#include "loom/Codegen/KernelChoice.h"
#include "loom/Codegen/Passes.h"
#include "loom/Conversion/Passes.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Target/Emit.h"
#include "loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

namespace spec = ::loom::spec;
namespace fe = ::loom::frontend;
namespace lp = ::loom::pipelines;
namespace la = ::loom::artifact;
namespace lt = ::loom::target;
using mlir::loom::LoomTrainStepOptions;

/// Dims are 32-bit-sized: sizes and FLOP counts stay far from overflow.
constexpr long long kMaxDim = 2147483647;

const char *kUsage = R"(usage:
  loomc MODEL -o DIR --dim NAME=N...
      compile a model spec (.loom text or .json) into DIR/model.so and
      DIR/manifest.json (docs/artifact.md); every dim must be bound
  loomc MODEL -o DIR --dim B=1,4 --dim T=16,32,64 ...
      shape buckets: one artifact with an entry point per combination of
      the listed values (forward__B1_T16, ...; the largest keeps the plain
      names); `loom run` and loom_run pick the smallest bucket that holds
      the inputs and pad them (docs/artifact.md, "Shape buckets")
  loomc MODEL --emit=KIND [-o FILE] [--dim NAME=N]... [--no-locs]
      stop at one stage and print it: loom (default), linalg, memref,
      llvm-dialect, llvm-ir, asm, obj, so, header, manifest, kernels
      (obj and so need -o); kernels is the kernels.json an artifact
      carries: every kernel call with the loom ops and spec lines it
      implements, its FLOPs and bytes, and its generator
  loomc MODEL --report --dim NAME=N... [-o DIR]
      per kernel call: FLOPs, bytes, arithmetic intensity, generator, spec
      position and loom ops (with -o DIR: after writing the artifact)
  loomc MODEL --interpret [--dim NAME=N]... [--weights FILE | --seed N]
        --input NAME=FILE.npy... [--function F] [--output NAME=FILE.npy]...
      run F (default forward) in the reference interpreter with the
      parameters `loom run` would use; prints each output like `loom run
      --print`
  loomc MODEL --graph=dot|svg|png|pdf [-o FILE] [--graph-blocks=MODE]
        [--graph-kernels] [--graph-params] [--function F] [--dim NAME=N]...
      draw F (default forward; train_step with --train, loss_grad with
      --grad): loom ops, inputs and outputs as nodes, tensor types on the
      edges, parameters in their reader's label, block instances as
      clusters. dot prints Graphviz DOT; svg, png and pdf run Graphviz's
      `dot` (png and pdf need -o). --graph-blocks=expanded: nested clusters;
      collapsed: one node per block instance, one per repeat (× n); auto
      (default): collapsed above 150 ops. --graph-kernels: compile (bind
      every dim) and colour the ops of each fused kernel alike.
      --graph-params: parameters and constants as nodes (docs/graphs.md)
  loomc --print-pipeline
      the named pass pipelines, stage by stage
  loomc fmt MODEL --to=text|json [-o FILE]
      print the spec in canonical text or JSON syntax (lossless)
  loomc MODEL.onnx [--dim NAME=N]... [-o DIR | --emit=KIND | fmt | info]
      an ONNX model (PyTorch export, opset >= 14) read as a spec: --dim
      binds its symbolic input dims; -o DIR also writes
      DIR/weights.safetensors, --emit=weights -o FILE only the weights
      (docs/onnx.md)
  loomc info MODEL [--dim NAME=N]...
      parameter counts, FLOPs, activation memory, input and output shapes
options:
  --dim NAME=N   bind a symbolic dim (e.g. --dim B=1 --dim T=1024)
  --config NAME=N  replace a config entry of the spec (e.g. --config d=384
                 --config n_layer=6: a smaller model of the same family;
                 with fmt, the spec is printed with the new value)
  --dim NAME=N1,N2,...  a list of values: shape buckets, one entry point per
                 combination (not with --decode; docs/artifact.md)
  --kernels=mlir|halide|auto   who generates the kernels of the ops a Halide
                 kernel can compute (attention, softmax, layer norm,
                 matmul/linear): loom's MLIR code, the Halide kernels, or
                 (default) per op instance, as timed by --autotune and kept
                 in the kernel choice cache, else a cost model (docs/kernels.md)
  --kernel-cache=FILE  the choice cache (default
                 $XDG_CACHE_HOME/loom/kernel-choices.json, ~/.cache/loom/...)
  --no-fusion    leave out loom's fusion passes (loom-fuse-*: attention,
                 epilogues, elementwise, siblings, rows), to measure them
  --autotune     time both generators on this machine for every candidate op
                 instance not yet in the cache, record the winners, then
                 compile with them
  -o FILE        write to FILE instead of stdout
  --no-locs      print IR without the spec locations
  --print-ir-after-all   dump the IR after every pass (to stderr)
  --timing       print where the compile time went: spec to IR, the training
                 graph, every pass of every stage, LLVM, linking (to stderr)
  --mcpu=CPU     target CPU for code generation (default: native)
  --target=cpu|cuda   what the artifact runs on (default cpu); cuda: NVIDIA
                 GPUs, kernels as a cubin (or PTX) embedded in model.so,
                 `loom run --device cuda` (docs/cuda.md); cuda-emulate: the
                 CUDA mapping with its launches run as CPU loops (a test)
  --cuda-arch=SM       the GPU architecture (default sm_90: H100/H200)
  --cuda-toolkit=DIR   the CUDA toolkit whose ptxas makes the cubin and whose
                 libdevice the kernels link (default: $CUDA_HOME, $CUDA_PATH,
                 the one holding ptxas on PATH, else /usr/local/cuda)
  --jobs=N       threads for LLVM optimization and code generation
                 (default: one per hardware thread)
training (adds @train_step to the artifact; `loom train` runs it):
  --train[=adamw|sgd]   build the compiled training step (default adamw)
  --weight-decay=X      decoupled (adamw) or L2 (sgd) weight decay of the
                        rank >= 2 parameters (default 0.01 adamw, 0 sgd)
  --beta1=X --beta2=X --eps=X   AdamW (default 0.9, 0.999, 1e-8)
  --momentum=X          SGD momentum (default 0.9)
  --clip-norm=X         clip the global gradient norm to X (default 1; 0 off)
  the learning rate and its schedule are chosen at run time (`loom train`);
  loom-opt --loom-training='...' builds the same step from the same options
generation (adds KV-cache step functions; `loom generate` uses them):
  --decode[=INPUT]      prefill_<L> and decode_<L> for each cache bucket L:
                        new tokens of INPUT (default tokens, else tgt_tokens)
                        attend to a key/value cache of T positions (T: the
                        bound length of INPUT) held in the session, so a
                        token costs O(L) attention, L the smallest bucket
                        that holds the sequence so far
  --decode-buckets=L,...  the bucket lengths (default: powers of two from 64
                        below T, and T)
  --prefill-chunk=C     prompt tokens per prefill call (default min(64, T))
gradients:
  --grad                add @loss_grad (the loss and grad.<param> for every
                        parameter) as an entry point: `loom run --function
                        loss_grad --print` prints the gradients (with --train,
                        the artifact has both)
  --split-step          with --train: also the step in two halves for
                        data-parallel training (`mpirun -np N loom train`,
                        docs/distributed.md): @loss_grad and @apply__<i>,
                        the update of the i-th parameter from grad.<p>
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
  std::string target = "cpu";  // cpu | cuda | cuda-emulate
  std::string cudaArch = "sm_90";
  std::string cudaToolkit;     // "" = found
  unsigned jobs = 0;
  bool printPipeline = false;
  bool interpret = false;
  loomc::GraphRequest graph;
  bool functionGiven = false;
  bool seedGiven = false;
  loomc::InterpretOptions interp;
  bool printIRAfterAll = false;
  bool timing = false;
  bool report = false;
  std::string kernels;     // mlir | halide | auto ("" = auto)
  std::string kernelCache; // "" = the default path
  bool autotune = false;
  bool noFusion = false;
  std::string to;
  std::string output;
  bool locs = true;
  fe::GenOptions gen;
  /// --config NAME=N: config entries replaced before generation (and fmt).
  std::vector<std::pair<std::string, int64_t>> config;
  bool train = false;
  bool grad = false;
  bool splitStep = false; // --split-step
  /// Unset hyperparameters keep Passes.td's defaults (the pass resolves the
  /// optimizer-dependent ones), so loomc and loom-opt build the same step.
  LoomTrainStepOptions trainOptions;
  std::set<std::string> hyperGiven;
  bool decode = false;
  std::string decodeInput;          // "": tokens, else tgt_tokens
  std::vector<int64_t> decodeBuckets; // empty: the default
  int64_t prefillChunk = 0;         // 0: min(64, T)
  loomc::BucketDims buckets;        // --dim NAME=a,b,...: shape buckets
};

/// Parses a hyperparameter's value; "" on success.
std::string parseNonNegative(const std::string &flag, const std::string &v,
                             double &out) {
  char *end = nullptr;
  errno = 0;
  out = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(out) ||
      out < 0)
    return flag + " expects a non-negative number, got '" + v + "'";
  return "";
}

/// "--input NAME=FILE.npy" and "--output NAME=FILE.npy".
std::string parseBinding(const std::string &flag, const std::string &v,
                         std::vector<std::pair<std::string, std::string>> &out) {
  size_t eq = v.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
    return flag + " expects NAME=FILE.npy, got '" + v + "'";
  out.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  return "";
}

std::string parseDim(const std::string &v, fe::GenOptions &gen,
                     loomc::BucketDims &buckets) {
  size_t eq = v.find('=');
  std::string name = v.substr(0, eq);
  std::string num = eq == std::string::npos ? "" : v.substr(eq + 1);
  buckets.erase(name);
  if (!name.empty() && num.find(',') != std::string::npos) {
    std::vector<int64_t> values;
    std::string err = loomc::parseDimValues(v, num, kMaxDim, values);
    if (!err.empty())
      return err;
    gen.dims[name] = values.back(); // the main module: the largest
    if (values.size() > 1)
      buckets[name] = values;
    return "";
  }
  char *end = nullptr;
  errno = 0;
  long long n = num.empty() ? 0 : std::strtoll(num.c_str(), &end, 10);
  if (name.empty() || num.empty() || *end != '\0' || n <= 0)
    return "--dim expects NAME=N with N > 0, got '" + v + "'";
  if (errno == ERANGE || n > kMaxDim)
    return "--dim " + name + ": " + num + " is too large (at most " +
           std::to_string(kMaxDim) + ")";
  gen.dims[name] = n;
  return "";
}

/// One command-line flag: whether it takes a value (`--f V` or `--f=V`;
/// Optional: only `--f=V`) and what it does. `apply` returns "" or the
/// usage error.
struct Flag {
  enum Value { None, Required, Optional } value;
  std::function<std::string(Options &, const std::string &)> apply;
};

const std::map<std::string, Flag> &flagTable() {
  using F = Flag;
  auto hyper = [](double LoomTrainStepOptions::*field, const char *flag) {
    return F{F::Required, [field, flag](Options &o, const std::string &v) {
               double x;
               std::string err = parseNonNegative(flag, v, x);
               o.trainOptions.*field = x;
               o.hyperGiven.insert(flag);
               return err;
             }};
  };
  // A flag without a value that sets a bool; a flag whose value is stored.
  auto sets = [](bool Options::*field, bool value) {
    return F{F::None, [field, value](Options &o, const std::string &) {
               o.*field = value;
               return std::string();
             }};
  };
  auto stores = [](F::Value kind, std::string Options::*field) {
    return F{kind, [field](Options &o, const std::string &v) {
               o.*field = v;
               return std::string();
             }};
  };
  static const std::map<std::string, Flag> table = {
      {"--no-locs", sets(&Options::locs, false)},
      {"--interpret", sets(&Options::interpret, true)},
      {"--print-pipeline", sets(&Options::printPipeline, true)},
      {"--print-ir-after-all", sets(&Options::printIRAfterAll, true)},
      {"--mlir-print-ir-after-all", sets(&Options::printIRAfterAll, true)},
      {"--grad", sets(&Options::grad, true)},
      {"--split-step", sets(&Options::splitStep, true)},
      {"--timing", sets(&Options::timing, true)},
      {"--mcpu", stores(F::Optional, &Options::mcpu)},
      {"--target", stores(F::Optional, &Options::target)},
      {"--cuda-arch", stores(F::Optional, &Options::cudaArch)},
      {"--cuda-toolkit", stores(F::Optional, &Options::cudaToolkit)},
      {"--jobs", {F::Optional, [](Options &o, const std::string &n) {
         char *end = nullptr;
         long j = std::strtol(n.c_str(), &end, 10);
         if (n.empty() || *end != '\0' || j < 1 || j > 256)
           return "--jobs expects a thread count from 1 to 256, got '" + n + "'";
         o.jobs = static_cast<unsigned>(j);
         return std::string();
       }}},
      {"--train", {F::Optional, [](Options &o, const std::string &v) {
         o.train = true;
         if (!v.empty())
           o.trainOptions.optimizer = v;
         if (o.trainOptions.optimizer != "adamw" && o.trainOptions.optimizer != "sgd")
           return "--train takes adamw or sgd, got '" + o.trainOptions.optimizer + "'";
         return std::string();
       }}},
      {"--decode", {F::Optional, [](Options &o, const std::string &v) {
         o.decode = true;
         o.decodeInput = v;
         return std::string();
       }}},
      {"--decode-buckets", {F::Required, [](Options &o, const std::string &v) {
         o.decodeBuckets.clear();
         llvm::SmallVector<llvm::StringRef> parts;
         llvm::StringRef(v).split(parts, ',');
         for (llvm::StringRef part : parts) {
           int64_t n = 0;
           if (part.getAsInteger(10, n) || n < 1 || n > (int64_t(1) << 30))
             return "--decode-buckets expects lengths from 1 to 2^30 separated "
                    "by commas, got '" + v + "'";
           o.decodeBuckets.push_back(n);
         }
         return std::string();
       }}},
      {"--prefill-chunk", {F::Required, [](Options &o, const std::string &v) {
         int64_t n = 0;
         if (llvm::StringRef(v).getAsInteger(10, n) || n < 1 || n > (int64_t(1) << 30))
           return "--prefill-chunk expects a length from 1 to 2^30, got '" + v + "'";
         o.prefillChunk = n;
         return std::string();
       }}},
      {"--weight-decay", hyper(&LoomTrainStepOptions::weightDecay, "--weight-decay")},
      {"--beta1", hyper(&LoomTrainStepOptions::beta1, "--beta1")},
      {"--beta2", hyper(&LoomTrainStepOptions::beta2, "--beta2")},
      {"--eps", hyper(&LoomTrainStepOptions::eps, "--eps")},
      {"--momentum", hyper(&LoomTrainStepOptions::momentum, "--momentum")},
      {"--clip-norm", hyper(&LoomTrainStepOptions::clipNorm, "--clip-norm")},
      {"--emit", stores(F::Required, &Options::emit)},
      {"--report", {F::None, [](Options &o, const std::string &) {
         o.report = true;
         return std::string();
       }}},
      {"--kernels", {F::Required, [](Options &o, const std::string &v) {
         if (v != "mlir" && v != "halide" && v != "auto")
           return "--kernels expects mlir, halide or auto, got '" + v + "'";
         o.kernels = v;
         return std::string();
       }}},
      {"--kernel-cache", stores(F::Required, &Options::kernelCache)},
      {"--no-fusion", sets(&Options::noFusion, true)},
      {"--autotune", {F::None, [](Options &o, const std::string &) {
         o.autotune = true;
         return std::string();
       }}},
      {"--to", stores(F::Required, &Options::to)},
      {"--graph", {F::Required, [](Options &o, const std::string &v) {
         if (v != "dot" && v != "svg" && v != "png" && v != "pdf")
           return "--graph expects dot, svg, png or pdf, got '" + v + "'";
         o.graph.format = v;
         return std::string();
       }}},
      {"--graph-blocks", {F::Required, [](Options &o, const std::string &v) {
         using loom::graph::Blocks;
         if (v != "auto" && v != "collapsed" && v != "expanded")
           return "--graph-blocks expects auto, collapsed or expanded, got '" +
                  v + "'";
         o.graph.blocks = v == "auto" ? Blocks::Auto
                          : v == "collapsed" ? Blocks::Collapsed
                                             : Blocks::Expanded;
         o.graph.blocksGiven = true;
         return std::string();
       }}},
      {"--graph-kernels", {F::None, [](Options &o, const std::string &) {
         o.graph.kernels = true;
         return std::string();
       }}},
      {"--graph-params", {F::None, [](Options &o, const std::string &) {
         o.graph.params = true;
         return std::string();
       }}},
      {"-o", stores(F::Required, &Options::output)},
      {"--dim", {F::Required, [](Options &o, const std::string &v) {
         return parseDim(v, o.gen, o.buckets);
       }}},
      {"--config", {F::Required, [](Options &o, const std::string &v) {
         fe::GenOptions one;
         loomc::BucketDims none;
         std::string err = parseDim(v, one, none);
         if (!err.empty() || !none.empty() || one.dims.size() != 1)
           return "--config expects NAME=N with N > 0, got '" + v + "'";
         o.config.emplace_back(one.dims.begin()->first, one.dims.begin()->second);
         return std::string();
       }}},
      {"--input", {F::Required, [](Options &o, const std::string &v) {
         return parseBinding("--input", v, o.interp.inputs);
       }}},
      {"--output", {F::Required, [](Options &o, const std::string &v) {
         return parseBinding("--output", v, o.interp.outputs);
       }}},
      {"--weights", {F::Required, [](Options &o, const std::string &v) {
         o.interp.weights = v;
         return std::string();
       }}},
      {"--function", {F::Required, [](Options &o, const std::string &v) {
         o.interp.function = v;
         o.functionGiven = true;
         return std::string();
       }}},
      {"--seed", {F::Required, [](Options &o, const std::string &v) {
         char *end = nullptr;
         errno = 0;
         unsigned long long n = std::strtoull(v.c_str(), &end, 10);
         if (v.empty() || *end != '\0' || errno == ERANGE || v[0] == '-')
           return "--seed expects a non-negative integer, got '" + v + "'";
         o.interp.seed = n;
         o.seedGiven = true;
         return std::string();
       }}},
  };
  return table;
}

/// The checks between flags, once all are read; "" or the usage error.
std::string checkCombinations(Options &o) {
  if (o.model.empty())
    return "no model spec given";
  if (o.command == "fmt" && o.to.empty() && loom::onnx::isOnnxPath(o.model))
    o.to = "text"; // an import is printed to be read
  if (o.command == "fmt" && o.to != "text" && o.to != "json")
    return "fmt needs --to=text or --to=json";
  bool graphing = !o.graph.format.empty();
  if ((o.graph.blocksGiven || o.graph.kernels || o.graph.params) && !graphing)
    return "--graph-blocks, --graph-kernels and --graph-params go with --graph";
  if (graphing && (o.command != "compile" || o.interpret || !o.emit.empty() ||
                   o.report || o.autotune || o.decode))
    return "--graph draws the model; it does not combine with fmt, info, "
           "--interpret, --emit, --report, --autotune or --decode";
  if ((o.graph.format == "png" || o.graph.format == "pdf") &&
      (o.output.empty() || o.output == "-"))
    return "--graph=" + o.graph.format + " writes a binary file: give -o FILE";
  bool interpretFlags = !o.interp.inputs.empty() || !o.interp.outputs.empty() ||
                        !o.interp.weights.empty() || o.seedGiven ||
                        (o.functionGiven && !graphing);
  if (interpretFlags && !o.interpret)
    return "--input, --output, --weights, --seed and --function go with "
           "--interpret";
  if (o.interpret && (o.command != "compile" || !o.emit.empty() ||
                      !o.output.empty()))
    return "--interpret runs the model; it does not combine with fmt, info, "
           "--emit or -o";
  if (o.splitStep && !o.train)
    return "--split-step goes with --train";
  if (!o.hyperGiven.empty() && !o.train)
    return "--weight-decay, --beta1, --beta2, --eps, --momentum and "
           "--clip-norm go with --train";
  if ((!o.decodeBuckets.empty() || o.prefillChunk) && !o.decode)
    return "--decode-buckets and --prefill-chunk go with --decode";
  if (o.decode && !o.buckets.empty())
    return "--decode and shape buckets (--dim " + o.buckets.begin()->first +
           "=N1,N2,...) do not combine: the KV-cache steps have buckets of "
           "their own (--decode-buckets)";
  if (o.decode && (o.command != "compile" || o.interpret))
    return "--decode goes with compiling (-o DIR or --emit)";
  if ((o.train || o.grad) && (o.command != "compile" || o.interpret))
    return std::string(o.train ? "--train" : "--grad") +
           " goes with compiling (-o DIR or --emit)";
  const LoomTrainStepOptions &t = o.trainOptions;
  bool adam = t.optimizer == "adamw";
  if (t.beta1 >= 1 || t.beta2 >= 1 || t.momentum >= 1)
    return "--beta1, --beta2 and --momentum must be below 1";
  if (t.eps <= 0)
    return "--eps must be positive";
  if (adam && o.hyperGiven.count("--momentum"))
    return "--momentum is for --train=sgd (AdamW has --beta1)";
  if (!o.interp.weights.empty() && o.seedGiven)
    return "--weights and --seed exclude each other";
  if (o.command != "fmt" && !o.to.empty())
    return "--to is only for 'loomc fmt'";
  static const char *kinds[] = {"loom", "linalg", "memref", "gpu", "ptx",
                                "llvm-dialect", "llvm-ir", "asm", "obj", "so",
                                "header", "manifest", "kernels", "weights"};
  if (o.target != "cpu" && o.target != "cuda" && o.target != "cuda-emulate")
    return "--target: unknown target '" + o.target + "' (cpu, cuda)";
  {
    const std::string &a = o.cudaArch;
    bool digits = a.size() >= 5 && a.rfind("sm_", 0) == 0 &&
                  std::all_of(a.begin() + 3, a.end() - (a.back() == 'a'),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::atoi(a.c_str() + 3) < 70)
      return "--cuda-arch: expected sm_70 or newer, as sm_90 or sm_90a, got '" +
             a + "'";
  }
  if ((o.emit == "gpu" || o.emit == "ptx") && o.target == "cpu")
    return "--emit=" + o.emit + " goes with --target=cuda";
  if (o.target != "cpu" && (o.emit == "kernels" || o.report || o.autotune ||
                            !o.kernels.empty()))
    return "--kernels, --autotune, --report and --emit=kernels are for the "
           "cpu target";
  if (o.command == "compile" && !o.emit.empty() &&
      std::find(std::begin(kinds), std::end(kinds), o.emit) == std::end(kinds))
    return "unknown --emit kind '" + o.emit +
           "' (available: loom, linalg, memref, gpu, ptx, llvm-dialect, "
           "llvm-ir, asm, "
           "obj, so, header, manifest, kernels, weights)";
  if (o.emit == "weights" && (o.output.empty() || !loom::onnx::isOnnxPath(o.model)))
    return "--emit=weights writes an ONNX model's weights: give MODEL.onnx "
           "and -o FILE.safetensors";
  if (o.report && (o.command != "compile" || o.interpret ||
                   !(o.emit.empty() || o.emit == "kernels")))
    return "--report goes with compiling (-o DIR, or alone)";
  if ((!o.kernels.empty() || o.autotune || !o.kernelCache.empty() || o.noFusion) &&
      (o.command != "compile" || o.interpret))
    return "--kernels, --kernel-cache, --autotune and --no-fusion go with "
           "compiling";
  if (o.autotune && !o.kernels.empty() && o.kernels != "auto")
    return "--autotune chooses per op instance: it goes with --kernels=auto";
  if ((o.emit == "obj" || o.emit == "so") && o.output.empty())
    return "--emit=" + o.emit + " writes a binary file: give -o FILE";
  return "";
}

/// Parses argv; returns an exit code on error or --help.
std::optional<int> parseArgs(int argc, char **argv, Options &o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (!args.empty() && (args[0] == "fmt" || args[0] == "info")) {
    o.command = args[0];
    ++i;
  }
  const auto &flags = flagTable();
  for (; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "-h" || a == "--help") {
      llvm::outs() << kUsage;
      return 0;
    }
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    auto flag = flags.find(name);
    if (flag == flags.end() || (eq != std::string::npos &&
                                flag->second.value == Flag::None)) {
      if (a.size() > 1 && a[0] == '-')
        return usageError("unknown option '" + a + "'");
      if (!o.model.empty())
        return usageError("more than one model given ('" + o.model +
                          "' and '" + a + "')");
      o.model = a;
      continue;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (flag->second.value == Flag::Required) {
      if (i + 1 >= args.size())
        return usageError(name + " needs a value");
      value = args[++i];
    } else if (flag->second.value == Flag::Optional && name != "--train" &&
               name != "--decode") {
      return usageError(name + " needs a value (" + name + "=...)");
    }
    std::string err = flag->second.apply(o, value);
    if (!err.empty())
      return usageError(err);
  }
  if (o.printPipeline)
    return std::nullopt;
  std::string err = checkCombinations(o);
  if (!err.empty())
    return usageError(err);
  return std::nullopt;
}

/// An imported ONNX model's weights as safetensors.
int writeOnnxWeights(const loom::onnx::Imported &model, const std::string &path) {
  std::string error = loom::onnx::writeWeights(model, path);
  if (error.empty())
    return 0;
  llvm::errs() << path << ": error: " << error << "\n";
  return 1;
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

int reportErrors(const spec::Diagnostics &diags);

/// --emit=ptx: the kernels' PTX (lp::emitCudaPtx).
int emitPtx(const Options &o, mlir::ModuleOp module, spec::Diagnostics &diags,
            void (*dumps)(mlir::PassManager &, void *), mlir::TimingScope *timed) {
  std::string text;
  if (mlir::failed(lp::emitCudaPtx(module, text, dumps, timed)))
    return reportErrors(diags);
  return writeOutput(o, text);
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
/// object, a shared library, a header, a manifest, or the artifact directory.
int compile(const Options &o, const std::string &kind, mlir::ModuleOp module,
            spec::Diagnostics &diags, mlir::TimingScope &timing) {
  mlir::TimingScope *timed = o.timing ? &timing : nullptr;
  auto dumps = o.printIRAfterAll ? enableDumps : nullptr;
  lt::EmitOptions emit;
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
    la::Artifact artifact;
    std::vector<la::KernelSite> sites;
    std::string so = dir.empty() ? o.output : dir + "/model.so";
    if (!lp::compileToSharedLibrary(module, so, emit, artifact, error, dumps,
                                    timed, &sites)) {
      if (!diags.empty())
        return reportErrors(diags);
      llvm::errs() << "loomc: error: " << error << "\n";
      return 1;
    }
    if (dir.empty())
      return 0;
    if (!writeFile(dir + "/manifest.json", la::writeManifest(artifact, "model.so")))
      return 1;
    if (!writeFile(dir + "/kernels.json",
                   la::writeKernelsJson(
                       sites, artifact.model,
                       la::manifestFingerprint(artifact, "model.so"))))
      return 1;
    llvm::outs() << "loomc: wrote " << dir << "/model.so and " << dir
                 << "/manifest.json (" << artifact.functions.size()
                 << " functions, largest arena " << artifact.largestArena()
                 << " bytes)\n";
    if (o.report)
      llvm::outs() << la::writeKernelReport(sites, artifact.model);
    return 0;
  }

  if (kind == "kernels" || kind == "report") {
    // The manifest (for the fingerprint) at the memref stage, the sites
    // after lowering.
    la::Artifact artifact;
    std::vector<la::KernelSite> sites;
    if (mlir::failed(lp::runStagesUpTo(module, "memref", dumps, nullptr, "", timed)) ||
        !la::describeArtifact(module, artifact, error) ||
        mlir::failed(lp::runStagesUpTo(module, "llvm-dialect", dumps, nullptr,
                                       "memref", timed)) ||
        !la::describeKernels(module, sites, error)) {
      if (!diags.empty())
        return reportErrors(diags);
      llvm::errs() << "loomc: error: " << error << "\n";
      return 1;
    }
    if (kind == "report")
      return writeOutput(o, la::writeKernelReport(sites, artifact.model));
    std::string text = la::writeKernelsJson(
        sites, artifact.model, la::manifestFingerprint(artifact, "model.so"));
    if (o.report)
      llvm::errs() << la::writeKernelReport(sites, artifact.model);
    return writeOutput(o, text);
  }

  if (kind == "ptx")
    return emitPtx(o, module, diags, dumps, timed);
  std::string stopAt = kind == "linalg" || kind == "memref" || kind == "gpu"
                           ? kind
                       : kind == "header" || kind == "manifest" ? "memref"
                                                                : "llvm-dialect";
  if (mlir::failed(lp::runStagesUpTo(module, stopAt, dumps, nullptr, "", timed)))
    return reportErrors(diags);
  if (kind == "linalg" || kind == "memref" || kind == "gpu" ||
      kind == "llvm-dialect")
    return writeOutput(o, printModule(module, o.locs));
  if (kind == "header" || kind == "manifest") {
    la::Artifact artifact;
    if (!la::describeArtifact(module, artifact, error)) {
      llvm::errs() << "loomc: internal error: " << error << "\n";
      return 1;
    }
    return writeOutput(o, kind == "header"
                              ? la::writeHeader(artifact)
                              : la::writeManifest(artifact, "model.so"));
  }
  std::string bytes;
  mlir::TimingScope emitting = timing.nest(llvm::StringRef("llvm"));
  lt::FileKind what = kind == "llvm-ir" ? lt::FileKind::LLVMIR
                      : kind == "asm"   ? lt::FileKind::Assembly
                                        : lt::FileKind::Object;
  if (!lt::emitLLVM(module, what, emit, bytes, error)) {
    llvm::errs() << "loomc: error: " << error << "\n";
    return 1;
  }
  if (kind == "obj")
    return writeFile(o.output, bytes) ? 0 : 1;
  return writeOutput(o, bytes);
}

/// --train / --grad: the training or gradient pipeline on the module.
int buildTraining(const Options &o, const spec::Model &model,
                  mlir::ModuleOp module, spec::Diagnostics &diags,
                  mlir::TimingScope &timing) {
  if (!module.lookupSymbol("loss")) {
    llvm::errs() << o.model << ": error: " << (o.train ? "--train" : "--grad")
                 << " needs a loss: model '" << model.name
                 << "' declares none (add `loss = NAME`)\n";
    return 1;
  }
  mlir::PassManager pm(module.getContext());
  mlir::TimingScope scope = timing.nest(llvm::StringRef(
      o.train ? "loom-training" : "loom-gradients"));
  if (o.timing)
    pm.enableTiming(scope);
  if (o.train) {
    LoomTrainStepOptions step = o.trainOptions;
    step.keepGrad = o.grad;
    step.splitStep = o.splitStep;
    lp::buildTrainingPipeline(pm, step);
  } else {
    lp::buildGradientPipeline(pm);
  }
  if (mlir::failed(pm.run(module)))
    return reportErrors(diags);
  return 0;
}


} // namespace

int main(int argc, char **argv) {
  Options o;
  if (auto code = parseArgs(argc, argv, o))
    return *code;
  if (std::string error; !lt::checkCPU(o.mcpu, error))
    return usageError("--mcpu: " + error);
  if (o.printPipeline) {
    std::vector<lp::Stage> stages = lp::cpuStages();
    if (o.target != "cpu") {
      mlir::MLIRContext context;
      mlir::OpBuilder b(&context);
      mlir::OwningOpRef<mlir::ModuleOp> m = mlir::ModuleOp::create(b.getUnknownLoc());
      (*m)->setAttr(lp::kTargetAttr, b.getStringAttr(o.target));
      (*m)->setAttr(lp::kCudaArchAttr, b.getStringAttr(o.cudaArch));
      (*m)->setAttr(lp::kCudaToolkitAttr, b.getStringAttr(
          o.cudaToolkit.empty() ? "TOOLKIT" : o.cudaToolkit));
      std::string error;
      stages = *lp::stagesFor(*m, error);
    }
    for (const lp::Stage &stage : stages)
      llvm::outs() << "# --emit=" << stage.stopsAt << ": " << stage.summary
                   << "\n" << stage.name << ": builtin.module("
                   << stage.pipeline << ")\n\n";
    return 0;
  }

  spec::Diagnostics diags;
  std::optional<spec::Model> model;
  std::optional<loom::onnx::Imported> onnxModel;
  if (loom::onnx::isOnnxPath(o.model)) {
    // The import binds the dims (shape arithmetic folds): the spec has none.
    std::string error;
    onnxModel = loom::onnx::importFile(o.model, {o.gen.dims, true}, error);
    if (!onnxModel) {
      llvm::errs() << error;
      return 1;
    }
    model = onnxModel->model;
    o.gen.dims.clear();
    if (o.emit == "weights")
      return writeOnnxWeights(*onnxModel, o.output);
  } else {
    model = spec::parseFile(o.model, diags);
  }
  if (!model)
    return reportErrors(diags);
  if (std::string err = spec::overrideConfig(*model, o.config); !err.empty())
    return usageError("--config: " + err);

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
  // gpu-module-to-binary translates the kernels to LLVM IR (--target=cuda).
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::registerAllPasses();
  mlir::loom::registerLoomPasses();
  mlir::loom::registerLoomConversionPasses();
  mlir::loom::registerLoomCodegenPasses();
  mlir::MLIRContext context(registry);
  // Errors from any pass print at their spec position.
  fe::DiagnosticBridge bridge(context, diags, model->file);
  fe::ModelInfo info;
  // --timing: one tree for the whole compile, printed to stderr when
  // `timer` goes.
  mlir::DefaultTimingManager timer;
  timer.setEnabled(o.timing);
  mlir::TimingScope timing = timer.getRootScope();
  std::optional<mlir::TimingScope> generating =
      timing.nest(llvm::StringRef("spec to loom IR"));
  auto module = fe::generateModule(*model, context, o.gen, info, diags);
  generating.reset();
  if (!module)
    return reportErrors(diags);

  if (o.train || o.grad)
    if (int rc = buildTraining(o, *model, *module, diags, timing))
      return rc;
  if (o.decode)
    if (int rc = loomc::buildDecode({o.model, o.decodeInput, o.decodeBuckets,
                                     o.prefillChunk, o.gen},
                                    *model, *module, info, diags, timing))
      return rc;
  if (!o.buckets.empty() && o.command == "compile" && !o.interpret) {
    mlir::TimingScope scope = timing.nest(llvm::StringRef("shape buckets"));
    auto pipeline = [&](mlir::ModuleOp m) {
      return o.train || o.grad ? buildTraining(o, *model, m, diags, scope) : 0;
    };
    if (int rc = loomc::buildBuckets(o.model, *model, *module, o.gen,
                                     o.buckets, pipeline, diags))
      return rc;
  }

  if (o.command == "info")
    return writeOutput(o, ::loom::analysis::formatInfo(
                              info, ::loom::analysis::computeStats(*module, info),
                              o.gen));

  if (o.interpret)
    return loomc::interpret(*module, info, o.interp);

  if (!o.graph.format.empty()) {
    loomc::GraphRequest graph = o.graph;
    graph.function = o.functionGiven ? o.interp.function : "";
    graph.output = o.output;
    graph.kernelsMode = o.kernels;
    graph.kernelCache = o.kernelCache;
    graph.noFusion = o.noFusion;
    int rc = loomc::drawGraph(graph, *module, *model, o.train, o.grad);
    return rc && !diags.empty() ? reportErrors(diags) : rc;
  }

  std::string kind = o.emit.empty() ? (o.output.empty()
                                         ? (o.report ? "report" : "loom")
                                         : "artifact")
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
  // Who generates each kernel (loom-select-kernels reads these).
  std::string cachePath = o.kernelCache.empty()
                              ? mlir::loom::KernelChoiceCache::defaultPath()
                              : o.kernelCache;
  mlir::Builder attrs(&context);
  (*module)->setAttr(mlir::loom::kKernelsModeAttr,
                     attrs.getStringAttr(o.kernels.empty() ? "auto" : o.kernels));
  if (!cachePath.empty())
    (*module)->setAttr(mlir::loom::kKernelCacheAttr, attrs.getStringAttr(cachePath));
  if (o.noFusion)
    (*module)->setAttr(lp::kNoFusionAttr, attrs.getUnitAttr());
  if (o.target != "cpu") {
    (*module)->setAttr(lp::kTargetAttr, attrs.getStringAttr(o.target));
    (*module)->setAttr(lp::kCudaArchAttr, attrs.getStringAttr(o.cudaArch));
    if (o.target == "cuda") {
      std::string error;
      std::string toolkit = lt::findCudaToolkit(o.cudaToolkit, error);
      if (toolkit.empty())
        return usageError("--target=cuda: " + error);
      (*module)->setAttr(lp::kCudaToolkitAttr, attrs.getStringAttr(toolkit));
    }
  }
  if (o.autotune) {
    lt::EmitOptions emit;
    emit.cpu = o.mcpu;
    emit.jobs = o.jobs;
    std::string error;
    if (cachePath.empty())
      return usageError("--autotune needs a cache: give --kernel-cache FILE "
                        "(no HOME or XDG_CACHE_HOME to default to)");
    if (!loomc::autotune(*module, cachePath, emit, error)) {
      if (!diags.empty())
        return reportErrors(diags);
      llvm::errs() << "loomc: error: " << error << "\n";
      return 1;
    }
  }
  int rc = compile(o, kind, *module, diags, timing);
  if (rc == 0 && onnxModel && kind == "artifact")
    return writeOnnxWeights(*onnxModel, o.output + "/weights.safetensors");
  return rc;
}
