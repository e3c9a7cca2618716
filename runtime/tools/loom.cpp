//===- loom.cpp - run a compiled artifact from the command line ------------===//
//
//   loom run ARTIFACT_DIR [--weights FILE.safetensors | --seed N]
//            --input NAME=FILE.npy ... [--function forward]
//            [--output NAME=FILE.npy ...] [--print] [--allow-extra]
//   loom init ARTIFACT_DIR [--seed N] -o FILE.safetensors
//   loom info ARTIFACT_DIR
//
// Artifacts, sessions and runs go through the public C API (this is its
// first client); .npy files use loom_formats' reader and writer. Every
// failure prints `loom: error: ...` naming the file or tensor and exits 1.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "loom/runtime.h"
#include "profile.h"

#include "loom/formats/dtype.h"
#include "loom/formats/npy.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

using namespace loom::rt;
using namespace loom::cli;

namespace {

const char *kUsage =
    "usage:\n"
    "  loom run ARTIFACT_DIR [--weights FILE.safetensors | --seed N]\n"
    "           --input NAME=FILE.npy ... [--function NAME]\n"
    "           [--output NAME=FILE.npy ...] [--print] [--allow-extra]\n"
    "           [--repeat N] [--threads N] [--profile TRACE.json]\n"
    "           [--device cpu|cuda|cuda:N]\n"
    "  loom init ARTIFACT_DIR [--seed N] -o FILE.safetensors\n"
    "  loom import-weights ARTIFACT_DIR CHECKPOINT [--map NAME] [--allow-missing]\n"
    "           [--allow-extra] [--seed N] -o FILE.safetensors\n"
    "  loom info ARTIFACT_DIR\n"
    "  loom train ARTIFACT_DIR --data SPEC --steps N [options]  (loom train --help)\n"
    "  loom generate ARTIFACT_DIR --weights FILE [options]      (loom generate --help)\n"
    "  loom fill-mask ARTIFACT_DIR --weights FILE \"a [MASK]\"    (loom fill-mask --help)\n"
    "  loom classify ARTIFACT_DIR --weights FILE IMAGE...       (loom classify --help)\n"
    "  loom clip-rank ARTIFACT_DIR --weights FILE IMAGE CAPTION...  (loom clip-rank --help)\n"
    "  loom translate ARTIFACT_DIR --weights FILE TEXT|--eval N (loom translate --help)\n"
    "  loom sample images|captions --count N -o DIR             (loom sample --help)\n"
    "  loom tokenizer train|encode|decode ...                   (loom tokenizer --help)\n"
    "  loom profile TRACE.json [--top N] [--by kernel|site|op]  (loom profile --help)\n"
    "  loom devices [--require-cuda]                            (loom devices --help)\n"
    "\n"
    "run       runs a function (default forward) of a compiled artifact. Without\n"
    "          --weights, parameters are initialized from the manifest with\n"
    "          --seed (default 0). --print shows each output's shape, first\n"
    "          values, mean and max |x|; --output writes one as .npy (bf16 is\n"
    "          written as f32; a bf16 input is read from an f32 .npy).\n"
    "          --allow-extra ignores checkpoint tensors the model lacks.\n"
    "          --repeat N runs N more times after the first and prints the\n"
    "          median and minimum wall time of one call. --threads N runs\n"
    "          the kernels on N threads (default: LOOM_NUM_THREADS, else all\n"
    "          hardware threads; results do not depend on it). --device\n"
    "          says where it runs (default: the target loomc compiled for;\n"
    "          cuda: device LOOM_CUDA_DEVICE, else 0); an artifact runs on\n"
    "          its own target only.\n"
    "init      writes the manifest's initialization for a seed as safetensors.\n"
    "import-weights  reads another framework's checkpoint (a safetensors file,\n"
    "          a directory with model.safetensors, or a sharded checkpoint's\n"
    "          index.json), renames its tensors by the spec's checkpoint map\n"
    "          (--map NAME, default the first the spec declares), converts\n"
    "          and transposes them as the map says, prints what was renamed,\n"
    "          ignored and missing, and writes loom's safetensors (load it with\n"
    "          --weights, or fine-tune from it: loom train --weights FILE).\n"
    "          --allow-missing keeps the seeded initialization (--seed) of\n"
    "          parameters the checkpoint lacks (a new head); --allow-extra\n"
    "          skips checkpoint tensors that are no parameter.\n"
    "info      lists the artifact's parameters, inputs and functions.\n";

} // namespace

uint64_t loom::cli::parseSeed(const std::string &text) {
  if (text.empty() || text.size() > 20 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    failWith("--seed wants a non-negative integer, got '" + text + "'");
  uint64_t v = 0;
  for (char c : text) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      failWith("--seed " + text + " does not fit 64 bits");
    v = v * 10 + digit;
  }
  return v;
}

int loom::cli::parseThreads(const std::string &text) {
  char *end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      *end != '\0' || n < 1 || n > 1024)
    failWith("--threads wants a thread count from 1 to 1024, got '" + text +
             "'");
  return static_cast<int>(n);
}

namespace {

/// "NAME=FILE" -> (NAME, FILE).
std::pair<std::string, std::string> parseBinding(const std::string &flag,
                                                 const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    failWith(flag + " wants NAME=FILE.npy, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

struct Options {
  std::string command, artifact, weights, outFile, function = "forward";
  std::string checkpoint, map; // import-weights
  bool allowMissing = false;
  std::string profile; // a Chrome trace of the timed runs' kernels
  bool haveSeed = false, print = false, allowExtra = false;
  uint64_t seed = 0;
  int repeat = 0; // > 0: time that many runs after one warm-up
  int threads = 0; // 0: the session's default
  std::string device; // "": the artifact's target
  std::vector<std::pair<std::string, std::string>> inputs, outputs;
};

Options parseArgs(int argc, char **argv) {
  Options o;
  if (argc < 2)
    failWith("no command given\n" + std::string(kUsage));
  o.command = argv[1];
  if (o.command != "run" && o.command != "init" && o.command != "info" &&
      o.command != "import-weights")
    failWith("unknown command '" + o.command + "' (see loom --help)");
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    // --flag=value and --flag value are both accepted.
    std::string flag = arg, value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      flag = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
      inlineValue = true;
    }
    auto takeValue = [&]() -> std::string {
      if (inlineValue)
        return value;
      if (i + 1 >= argc)
        failWith(flag + " needs a value");
      return argv[++i];
    };
    auto allowedFor = [&](std::initializer_list<const char *> commands) {
      for (const char *c : commands)
        if (o.command == c)
          return;
      failWith(flag + " does not apply to 'loom " + o.command + "'");
    };
    if (flag == "--weights") {
      allowedFor({"run"});
      o.weights = takeValue();
    } else if (flag == "--seed") {
      allowedFor({"run", "init", "import-weights"});
      o.seed = parseSeed(takeValue());
      o.haveSeed = true;
    } else if (flag == "--input") {
      allowedFor({"run"});
      o.inputs.push_back(parseBinding(flag, takeValue()));
    } else if (flag == "--output") {
      allowedFor({"run"});
      o.outputs.push_back(parseBinding(flag, takeValue()));
    } else if (flag == "--function") {
      allowedFor({"run"});
      o.function = takeValue();
    } else if (flag == "--print" && !inlineValue) {
      allowedFor({"run"});
      o.print = true;
    } else if (flag == "--repeat") {
      allowedFor({"run"});
      std::string v = takeValue();
      char *end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 1000000)
        failWith("--repeat expects a count from 1 to 1000000, got '" + v + "'");
      o.repeat = static_cast<int>(n);
    } else if (flag == "--profile") {
      allowedFor({"run"});
      o.profile = takeValue();
    } else if (flag == "--threads") {
      allowedFor({"run"});
      o.threads = parseThreads(takeValue());
    } else if (flag == "--device") {
      allowedFor({"run"});
      o.device = parseDevice(takeValue());
    } else if (flag == "--allow-extra" && !inlineValue) {
      allowedFor({"run", "import-weights"});
      o.allowExtra = true;
    } else if (flag == "--allow-missing" && !inlineValue) {
      allowedFor({"import-weights"});
      o.allowMissing = true;
    } else if (flag == "--map") {
      allowedFor({"import-weights"});
      o.map = takeValue();
    } else if (flag == "-o" || flag == "--out") {
      allowedFor({"init", "import-weights"});
      o.outFile = takeValue();
    } else if (arg.size() > 1 && arg[0] == '-') {
      failWith("unknown option '" + arg + "'");
    } else if (o.artifact.empty()) {
      o.artifact = arg;
    } else if (o.command == "import-weights" && o.checkpoint.empty()) {
      o.checkpoint = arg;
    } else {
      failWith("unexpected argument '" + arg + "'");
    }
  }
  if (o.artifact.empty())
    failWith("loom " + o.command + ": missing ARTIFACT_DIR");
  if (!o.weights.empty() && o.haveSeed)
    failWith("--weights and --seed exclude each other");
  if (o.command == "init" && o.outFile.empty())
    failWith("loom init: missing -o FILE.safetensors");
  if (o.command == "import-weights" && o.checkpoint.empty())
    failWith("loom import-weights: missing CHECKPOINT (a .safetensors file or "
             "a checkpoint directory)");
  if (o.command == "import-weights" && o.outFile.empty())
    failWith("loom import-weights: missing -o FILE.safetensors");
  return o;
}

std::string describe(const loom_tensor_info &t) {
  return std::string(loom_dtype_name(t.dtype)) + " " +
         shapeString(std::vector<int64_t>(t.shape, t.shape + t.rank));
}

void openSession(const Options &o, Handles &h) {
  openArtifact(o.artifact, o.device, &h.artifact);
  check(loom_session_create(h.artifact, &h.session));
  if (o.threads > 0)
    check(loom_session_set_threads(h.session, o.threads));
}

void setInput(loom_session *session, const loom_artifact *artifact,
              const std::string &name, const std::string &file) {
  loom_tensor_info want{};
  bool found = false;
  std::string names;
  for (size_t i = 0; i < loom_artifact_num_inputs(artifact) && !found; ++i) {
    check(loom_artifact_input(artifact, i, &want));
    found = name == want.name;
    names += (i ? ", " : "") + std::string(want.name);
  }
  if (!found)
    failWith("--input " + name + "=" + file + ": the artifact has no input '" +
             name + "'" + (names.empty() ? " (it takes none)" : " (inputs: " + names + ")"));
  NpyArray a;
  Status s = readNpy(file, a);
  if (!s.isOk())
    failWith(s.message());
  // bf16 has no .npy spelling: take f32 and round to nearest-even.
  if (want.dtype == LOOM_DTYPE_BF16 && a.dtype == LOOM_DTYPE_F32) {
    std::string converted(a.data.size() / 2, '\0');
    for (size_t i = 0; i < a.data.size() / 4; ++i) {
      float f;
      std::memcpy(&f, &a.data[4 * i], 4);
      uint16_t h = floatToBf16(f);
      std::memcpy(&converted[2 * i], &h, 2);
    }
    a.data = std::move(converted);
    a.dtype = LOOM_DTYPE_BF16;
  }
  std::vector<int64_t> wantShape(want.shape, want.shape + want.rank);
  if (a.dtype == want.dtype && a.shape != wantShape &&
      loom_set_input(session, name.c_str(), a.dtype, a.shape.data(),
                     static_cast<int32_t>(a.shape.size()), a.data.data(),
                     a.data.size()) == LOOM_OK)
    return; // a smaller shape a bucketed artifact takes
  if (a.dtype != want.dtype || a.shape != wantShape) {
    std::string msg = loom_last_error();
    if (a.dtype == want.dtype && msg.find("bucket") != std::string::npos)
      failWith("'" + file + "': " + msg);
    std::string hint;
    if (a.dtype != want.dtype && npyDescr(want.dtype))
      hint = std::string(" (convert it with .astype('") + npyDescr(want.dtype) + "'))";
    failWith("input '" + name + "': '" + file + "' holds " + dtypeName(a.dtype) +
             " " + shapeString(a.shape) + ", the artifact takes " +
             describe(want) + hint);
  }
  check(loom_set_input(session, name.c_str(), a.dtype, a.shape.data(),
                       static_cast<int32_t>(a.shape.size()), a.data.data(),
                       a.data.size()));
}

void writeOutput(const loom_tensor_info &info, const void *data,
                 const std::string &file) {
  std::vector<int64_t> shape(info.shape, info.shape + info.rank);
  std::vector<float> widened;
  loom_dtype dtype = info.dtype;
  if (dtype == LOOM_DTYPE_BF16) { // bf16 -> f32 is exact
    widened.resize(static_cast<size_t>(info.numel));
    for (size_t i = 0; i < widened.size(); ++i)
      widened[i] = static_cast<float>(elementAsDouble(data, dtype, i));
    data = widened.data();
    dtype = LOOM_DTYPE_F32;
  }
  Status s = writeNpy(file, dtype, shape, data,
                      static_cast<size_t>(info.numel) * dtypeSize(dtype));
  if (!s.isOk())
    failWith("output '" + std::string(info.name) + "': " + s.message());
}

void printSummary(const loom_tensor_info &info, const void *data) {
  std::printf("%s: %s\n", info.name, describe(info).c_str());
  size_t n = static_cast<size_t>(info.numel);
  if (n == 0) {
    std::printf("  (empty)\n");
    return;
  }
  std::printf("  first:");
  for (size_t i = 0; i < n && i < 8; ++i)
    std::printf(" %.6g", elementAsDouble(data, info.dtype, i));
  std::printf("%s\n", n > 8 ? " ..." : "");
  double sum = 0, maxAbs = 0;
  size_t nonFinite = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = elementAsDouble(data, info.dtype, i);
    if (!std::isfinite(v)) {
      ++nonFinite;
      continue;
    }
    sum += v;
    maxAbs = std::max(maxAbs, std::fabs(v));
  }
  std::printf("  mean: %.6g  max|x|: %.6g", n > nonFinite ? sum / double(n - nonFinite) : 0.0, maxAbs);
  if (nonFinite)
    std::printf("  non-finite: %zu", nonFinite);
  std::printf("\n");
}

int commandRun(const Options &o) {
  Handles h;
  openSession(o, h);
  size_t numOutputs = 0;
  check(loom_artifact_num_outputs(h.artifact, o.function.c_str(), &numOutputs));
  if (!o.weights.empty())
    check(loom_load_weights(h.session, o.weights.c_str(),
                            o.allowExtra ? LOOM_LOAD_ALLOW_EXTRA : 0));
  else
    check(loom_init_params(h.session, o.seed));
  for (const auto &[name, file] : o.inputs)
    setInput(h.session, h.artifact, name, file);
  if (loom_run(h.session, o.function.c_str()) != LOOM_OK) {
    std::string msg = loom_last_error();
    if (msg.find("input '") != std::string::npos && msg.find("not set") != std::string::npos)
      msg += " (give it with --input NAME=FILE.npy)";
    failWith(msg);
  }
  // Shape buckets: say which one ran for inputs smaller than the largest.
  if (const char *ran = nullptr;
      loom_session_ran_function(h.session, o.function.c_str(), &ran) == LOOM_OK &&
      o.function != ran)
    std::printf("bucket: %s\n", ran);
  // With --profile, the runs after the first (which warmed caches and
  // pages) are traced; at least one is.
  std::unique_ptr<loom::tools::TraceRecorder> trace;
  if (!o.profile.empty()) {
    trace = std::make_unique<loom::tools::TraceRecorder>(
        o.artifact, h.artifact, loom_session_threads(h.session));
    check(loom_session_set_profiling(h.session, 1));
    if (o.repeat == 0) {
      check(loom_run(h.session, o.function.c_str()));
      trace->collect(h.session, -1);
    }
  }
  if (o.repeat > 0) {
    // The first run above warmed caches and pages; time the call alone.
    std::vector<double> ms;
    for (int i = 0; i < o.repeat; ++i) {
      auto start = std::chrono::steady_clock::now();
      check(loom_run(h.session, o.function.c_str()));
      if (trace)
        trace->collect(h.session, i);
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s: %d runs, median %.3f ms, min %.3f ms\n",
                o.function.c_str(), o.repeat, ms[ms.size() / 2], ms.front());
  }
  if (trace) {
    trace->write(o.profile);
    std::fprintf(stderr, "loom: wrote %s (%zu profiled call(s); `loom profile %s`)\n",
                 o.profile.c_str(), trace->calls(), o.profile.c_str());
  }
  for (const auto &[name, file] : o.outputs) {
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(h.session, o.function.c_str(), name.c_str(), &info, &data));
    writeOutput(info, data, file);
  }
  if (o.print)
    for (size_t i = 0; i < numOutputs; ++i) {
      loom_tensor_info info;
      const void *data;
      check(loom_artifact_output(h.artifact, o.function.c_str(), i, &info));
      check(loom_get_output(h.session, o.function.c_str(), info.name, &info, &data));
      printSummary(info, data);
    }
  return 0;
}

int commandInit(const Options &o) {
  Handles h;
  openSession(o, h);
  check(loom_init_params(h.session, o.seed));
  check(loom_save_weights(h.session, o.outFile.c_str()));
  return 0;
}

int commandImport(const Options &o) {
  Handles h;
  openSession(o, h);
  uint32_t flags = (o.allowExtra ? LOOM_LOAD_ALLOW_EXTRA : 0) |
                   (o.allowMissing ? LOOM_LOAD_ALLOW_MISSING : 0);
  if (o.allowMissing)
    check(loom_init_params(h.session, o.seed));
  const char *report = nullptr;
  check(loom_import_weights(h.session, o.checkpoint.c_str(),
                            o.map.empty() ? nullptr : o.map.c_str(), flags, &report));
  std::printf("%s\n", report);
  check(loom_save_weights(h.session, o.outFile.c_str()));
  std::printf("wrote %s\n", o.outFile.c_str());
  return 0;
}

int commandInfo(const Options &o) {
  Handles h;
  check(loom_artifact_open(o.artifact.c_str(), &h.artifact));
  const loom_artifact *a = h.artifact;
  std::printf("model: %s\n", loom_artifact_model(a));
  loom_tensor_info t;
  uint64_t paramBytes = 0;
  int64_t paramCount = 0;
  std::printf("params:\n");
  for (size_t i = 0; i < loom_artifact_num_params(a); ++i) {
    check(loom_artifact_param(a, i, &t));
    std::printf("  %s: %s\n", t.name, describe(t).c_str());
    paramBytes += t.nbytes;
    paramCount += t.numel;
  }
  std::printf("  total: %" PRId64 " values, %" PRIu64 " bytes\n", paramCount, paramBytes);
  std::printf("inputs:\n");
  for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
    check(loom_artifact_input(a, i, &t));
    std::printf("  %s: %s\n", t.name, describe(t).c_str());
  }
  std::printf("functions:\n");
  for (size_t f = 0; f < loom_artifact_num_functions(a); ++f) {
    const char *name = loom_artifact_function_name(a, f);
    size_t n = 0;
    check(loom_artifact_num_outputs(a, name, &n));
    std::printf("  %s:\n", name);
    for (size_t i = 0; i < n; ++i) {
      check(loom_artifact_output(a, name, i, &t));
      std::printf("    -> %s: %s\n", t.name, describe(t).c_str());
    }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
                    !std::strcmp(argv[1], "help"))) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  // `loom run --help`, `loom info ARTIFACT -h`: the usage, like `loom --help`
  // (train, generate and the task commands print their own).
  static const char *const kOwnUsage[] = {"train",    "generate",  "fill-mask", "classify",
                                          "clip-rank", "translate", "sample", "tokenizer",
                                          "profile", "devices"};
  bool ownUsage = false;
  for (const char *c : kOwnUsage)
    ownUsage |= argc >= 2 && !std::strcmp(argv[1], c);
  if (argc >= 2 && !ownUsage)
    for (int i = 2; i < argc; ++i)
      if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
      }
  try {
    if (argc >= 2 && !std::strcmp(argv[1], "train"))
      return commandTrain(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "devices"))
      return commandDevices(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "generate"))
      return commandGenerate(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "fill-mask"))
      return commandFillMask(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "classify"))
      return commandClassify(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "clip-rank"))
      return commandClipRank(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "translate"))
      return commandTranslate(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "sample"))
      return commandSample(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "tokenizer"))
      return commandTokenizer(argc, argv);
    if (argc >= 2 && !std::strcmp(argv[1], "profile"))
      return loom::tools::commandProfile(argc, argv);
    Options o = parseArgs(argc, argv);
    if (o.command == "run")
      return commandRun(o);
    if (o.command == "init")
      return commandInit(o);
    if (o.command == "import-weights")
      return commandImport(o);
    return commandInfo(o);
  } catch (const Failure &f) {
    std::fprintf(stderr, "loom: error: %s\n", f.message.c_str());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "loom: error: %s\n", e.what());
  }
  return 1;
}
