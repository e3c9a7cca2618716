//===- Manifest.cpp - the artifact's manifest.json ------------------------===//
#include "loom/Artifact/Manifest.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

using namespace mlir;
using mlir::loom::LoomDialect;
using json = nlohmann::ordered_json;
using namespace ::loom::artifact;

std::string (::loom::artifact::dtypeName)(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isSignlessInteger(32))
    return "i32";
  if (t.isSignlessInteger(64))
    return "i64";
  if (t.isSignlessInteger(1))
    return "i1";
  return "";
}

int64_t Artifact::largestArena() const {
  int64_t arena = 0;
  for (const Function &f : functions)
    arena = std::max(arena, f.arenaBytes);
  return arena;
}

namespace {

/// Reads {name, dtype, shape} (the loom.params / loom.inputs entries).
bool readTensor(Attribute a, Tensor &t, const char *list, std::string &error) {
  auto d = dyn_cast<DictionaryAttr>(a);
  auto name = d ? d.getAs<StringAttr>("name") : nullptr;
  auto dtype = d ? d.getAs<StringAttr>("dtype") : nullptr;
  auto shape = d ? d.getAs<DenseI64ArrayAttr>("shape") : nullptr;
  if (!name || !dtype || !shape) {
    error = std::string("module attribute ") + list +
            ": every entry needs name, dtype and shape";
    return false;
  }
  t.name = name.str();
  t.dtype = dtype.str();
  t.shape.assign(shape.asArrayRef().begin(), shape.asArrayRef().end());
  if (auto range = d.getAs<DenseI64ArrayAttr>("range");
      range && range.size() == 2)
    t.range = std::make_pair(range[0], range[1]);
  if (auto of = d.getAs<StringAttr>("range_of"))
    t.rangeOf = of.str();
  if (auto ignore = d.getAs<IntegerAttr>("ignore"))
    t.ignore = ignore.getInt();
  return true;
}

bool readParam(Attribute a, Param &p, std::string &error) {
  if (!readTensor(a, p, "loom.params", error))
    return false;
  auto d = cast<DictionaryAttr>(a);
  auto init = d.getAs<DictionaryAttr>("init");
  auto kind = init ? init.getAs<StringAttr>("kind") : nullptr;
  auto aliases = d.getAs<ArrayAttr>("aliases");
  if (!kind || !aliases) {
    error = "module attribute loom.params: parameter '" + p.name +
            "' needs init {kind, ...} and aliases";
    return false;
  }
  p.initKind = kind.str();
  for (NamedAttribute arg : init)
    if (auto f = dyn_cast<FloatAttr>(arg.getValue()))
      p.initArgs.emplace_back(arg.getName().str(), f.getValueAsDouble());
  for (Attribute alias : aliases)
    if (auto s = dyn_cast<StringAttr>(alias))
      p.aliases.push_back(s.str());
  return true;
}

/// The slots of one public function of a bufferized module.
bool readFunction(func::FuncOp fn, Function &f, std::string &error) {
  f.name = fn.getSymName().str();
  auto fail = [&](const std::string &what) {
    error = "function @" + f.name + ": " + what;
    return false;
  };
  if (auto opt = fn->getAttrOfType<DictionaryAttr>(LoomDialect::kOptimizerAttrName))
    for (NamedAttribute a : opt) {
      if (auto s = dyn_cast<StringAttr>(a.getValue()))
        f.optimizer = s.str();
      else if (auto x = dyn_cast<FloatAttr>(a.getValue()))
        f.hyperparameters.emplace_back(a.getName().str(), x.getValueAsDouble());
    }
  unsigned outputs = 0;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto type = dyn_cast<MemRefType>(fn.getArgument(i).getType());
    if (!type || !type.hasStaticShape())
      return fail("argument " + std::to_string(i) + " is not a static buffer");
    Slot s;
    s.shape.assign(type.getShape().begin(), type.getShape().end());
    s.dtype = dtypeName(type.getElementType());
    auto named = [&](StringRef key) {
      return fn.getArgAttrOfType<StringAttr>(i, key);
    };
    if (auto p = named(LoomDialect::kParamAttrName)) {
      s.kind = "param";
      s.name = p.str();
    } else if (auto in = named(LoomDialect::kInputAttrName)) {
      s.kind = "input";
      s.name = in.str();
    } else if (auto st = named(LoomDialect::kStateAttrName)) {
      s.kind = "state";
      s.name = st.str();
      s.cache = !!fn.getArgAttr(i, LoomDialect::kCacheAttrName);
    } else if (fn.getArgAttr(i, LoomDialect::kArenaAttrName)) {
      s.kind = "arena";
      s.shape.clear();
      s.dtype.clear();
    } else {
      // An out-parameter: buffer-results-to-out-params moves the result's
      // loom.output / loom.update here. A result nobody named (IR written
      // by hand) is "result<k>", k counting the outputs.
      s.kind = "output";
      auto out = named(LoomDialect::kOutputAttrName);
      s.name = out ? out.str() : "result" + std::to_string(outputs);
      if (auto u = named(LoomDialect::kUpdateAttrName))
        s.update = u.str();
      ++outputs;
    }
    // loom-drop-in-place-results: the call writes this output over the
    // parameter or state tensor.
    if (s.kind == "param" || s.kind == "state")
      if (auto out = named(LoomDialect::kOutputAttrName)) {
        s.output = out.str();
        ++outputs;
      }
    f.slots.push_back(s);
  }
  if (auto bytes = fn->getAttrOfType<IntegerAttr>(LoomDialect::kArenaBytesAttrName))
    f.arenaBytes = bytes.getInt();
  if (f.slots.empty() || f.slots.back().kind != "arena")
    return fail("no arena argument (run loom-plan-arena)");
  return true;
}

} // namespace

bool (::loom::artifact::describeArtifact)(ModuleOp module, Artifact &out,
                                      std::string &error) {
  out = Artifact();
  out.model = module.getSymName() ? module.getSymName()->str() : "";
  // The CUDA target (loomc --target=cuda): what the runtime must provide.
  // An emulated CUDA mapping runs on the CPU: a cpu artifact.
  if (auto t = module->getAttrOfType<StringAttr>("loom.target");
      t && t.getValue() == "cuda") {
    out.target = "cuda";
    auto arch = module->getAttrOfType<StringAttr>("loom.cuda_arch");
    out.cudaArch = arch ? arch.str() : "sm_90";
    out.cudaBinary = "cubin";
    // What MLIR 22's gpu.launch_func translation calls: the module loaded
    // and unloaded once, a function looked up, a stream made, the kernel
    // launched, the stream synchronized and destroyed per launch. The
    // library has a loom_hook_ slot for each, used or not.
    // Scratch the host code's loops need (loom-map-to-gpu) comes from the
    // runtime's caching device allocator.
    out.cudaHooks = {"mgpuModuleLoad",      "mgpuModuleUnload",
                     "mgpuModuleGetFunction", "mgpuStreamCreate",
                     "mgpuLaunchKernel",    "mgpuStreamSynchronize",
                     "mgpuStreamDestroy",   "mgpuMemAlloc",
                     "mgpuMemFree"};
  }
  if (auto file = dyn_cast<FileLineColLoc>(module.getLoc()))
    out.spec = file.getFilename().str();
  if (auto t = module->getAttrOfType<StringAttr>(LoomDialect::kTokenizerAttrName))
    out.tokenizer = t.str();
  if (auto maps = module->getAttrOfType<ArrayAttr>(LoomDialect::kCheckpointsAttrName))
    for (auto map : maps.getAsRange<DictionaryAttr>()) {
      CheckpointMap &c = out.checkpoints.emplace_back();
      if (auto name = map.getAs<StringAttr>("name"))
        c.name = name.str();
      if (auto rules = map.getAs<ArrayAttr>("rules"))
        for (auto r : rules.getAsRange<DictionaryAttr>()) {
          CheckpointRule &rule = c.rules.emplace_back();
          if (auto from = r.getAs<StringAttr>("from"))
            rule.from = from.str();
          if (auto to = r.getAs<StringAttr>("to"))
            rule.to = to.str();
          rule.transpose = !!r.get("transpose");
          rule.ignore = !!r.get("ignore");
          rule.strip = !!r.get("strip");
        }
    }
  if (auto dims = module->getAttrOfType<DictionaryAttr>(LoomDialect::kDimsAttrName))
    for (NamedAttribute d : dims)
      if (auto v = dyn_cast<IntegerAttr>(d.getValue()))
        out.dims.emplace_back(d.getName().str(), v.getInt());
  if (auto params = module->getAttrOfType<ArrayAttr>(LoomDialect::kParamsAttrName))
    for (Attribute a : params) {
      out.params.emplace_back();
      if (!readParam(a, out.params.back(), error))
        return false;
    }
  if (auto inputs = module->getAttrOfType<ArrayAttr>(LoomDialect::kInputsAttrName))
    for (Attribute a : inputs) {
      out.inputs.emplace_back();
      if (!readTensor(a, out.inputs.back(), "loom.inputs", error))
        return false;
    }
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    out.functions.emplace_back();
    if (!readFunction(fn, out.functions.back(), error))
      return false;
  }
  if (auto buckets = module->getAttrOfType<ArrayAttr>(kBucketsAttrName))
    for (Attribute a : buckets) {
      auto d = dyn_cast<DictionaryAttr>(a);
      auto dims = d ? d.getAs<DictionaryAttr>("dims") : nullptr;
      auto fns = d ? d.getAs<DictionaryAttr>("functions") : nullptr;
      if (!dims || !fns) {
        error = std::string("module attribute ") + kBucketsAttrName +
                ": every entry needs dims and functions";
        return false;
      }
      Bucket bucket;
      for (NamedAttribute x : dims)
        if (auto v = dyn_cast<IntegerAttr>(x.getValue()))
          bucket.dims.emplace_back(x.getName().str(), v.getInt());
      for (NamedAttribute x : fns)
        if (auto v = dyn_cast<StringAttr>(x.getValue()))
          bucket.functions.emplace_back(x.getName().str(), v.str());
      out.buckets.push_back(std::move(bucket));
    }
  return true;
}

namespace {

/// FNV-1a, 64 bits (docs/artifact.md, `fingerprint`).
uint64_t fnv1a(const std::string &bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

json manifestJson(const Artifact &artifact, const std::string &library);

/// The compact dump the fingerprint hashes: keys sorted (as a plain
/// nlohmann::json, which the runtime parses into, orders them), no spaces.
std::string canonical(const json &m) {
  nlohmann::json sorted = nlohmann::json::parse(
      m.dump(-1, ' ', false, json::error_handler_t::replace), nullptr,
      /*allow_exceptions=*/false);
  return sorted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

uint64_t (::loom::artifact::manifestFingerprint)(const Artifact &artifact,
                                                 const std::string &library) {
  return fnv1a(canonical(manifestJson(artifact, library)));
}

std::string (::loom::artifact::writeManifest)(const Artifact &artifact,
                                          const std::string &library) {
  json m = manifestJson(artifact, library);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(fnv1a(canonical(m))));
  m["fingerprint"] = hex;
  return m.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {
json manifestJson(const Artifact &artifact, const std::string &library) {
  const std::vector<Function> &functions = artifact.functions;
  json m;
  m["format"] = "loom-artifact";
  m["version"] = 1;
  m["model"] = artifact.model;
  m["spec"] = artifact.spec;
  if (!artifact.tokenizer.empty())
    m["tokenizer"] = artifact.tokenizer;
  m["library"] = library;
  if (artifact.target != "cpu") {
    m["target"] = artifact.target;
    // Every function: loom-map-to-gpu leaves no host code that reads or
    // writes a buffer, so a call's launches need only the stream's order
    // (the runtime synchronizes once per call and may replay a graph).
    json ordered = json::array();
    for (const Function &f : artifact.functions)
      ordered.push_back(f.name);
    m["cuda"] = {{"arch", artifact.cudaArch},
                 {"binary", artifact.cudaBinary},
                 {"hooks", artifact.cudaHooks},
                 {"stream_ordered", ordered}};
  }
  if (!artifact.checkpoints.empty()) {
    json maps = json::array();
    for (const CheckpointMap &c : artifact.checkpoints) {
      json rules = json::array();
      for (const CheckpointRule &r : c.rules) {
        if (r.ignore)
          rules.push_back({{"ignore", r.from}});
        else if (r.strip)
          rules.push_back({{"strip", r.from}});
        else if (r.transpose)
          rules.push_back({{"from", r.from}, {"to", r.to}, {"transpose", true}});
        else
          rules.push_back({{"from", r.from}, {"to", r.to}});
      }
      maps.push_back({{"name", c.name}, {"rules", rules}});
    }
    m["checkpoints"] = maps;
  }
  json dims = json::object();
  for (const auto &[name, value] : artifact.dims)
    dims[name] = value;
  m["dims"] = dims;
  json params = json::array();
  for (const Param &p : artifact.params) {
    json init = {{"kind", p.initKind}};
    for (const auto &[k, v] : p.initArgs)
      init[k] = v;
    json entry = {{"name", p.name}, {"dtype", p.dtype},
                  {"shape", p.shape}, {"init", init}};
    entry["aliases"] = p.aliases;
    params.push_back(entry);
  }
  m["params"] = params;
  json inputs = json::array();
  for (const Tensor &t : artifact.inputs) {
    json entry = {{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}};
    if (t.range) {
      entry["range"] = {t.range->first, t.range->second};
      if (!t.rangeOf.empty())
        entry["range_of"] = t.rangeOf;
      if (t.ignore)
        entry["ignore"] = *t.ignore;
    }
    inputs.push_back(entry);
  }
  m["inputs"] = inputs;
  // State: the loom.state arguments, in order; the runtime zero-initializes
  // them. Optimizer state is saved in checkpoints; a key/value cache
  // (`"cache": true`) is the session's scratch and never saved or loaded.
  json state = json::array();
  std::set<std::string> seenState;
  for (const Function &f : functions)
    for (const Slot &s : f.slots)
      if (s.kind == "state" && seenState.insert(s.name).second) {
        json entry = {{"name", s.name}, {"dtype", s.dtype}, {"shape", s.shape}};
        if (s.cache)
          entry["cache"] = true;
        state.push_back(entry);
      }
  if (!state.empty())
    m["state"] = state;
  json fns = json::object();
  for (const Function &f : functions) {
    json slots = json::array();
    for (const Slot &s : f.slots) {
      json j = {{"kind", s.kind}};
      if (!s.name.empty())
        j["name"] = s.name;
      // A shape bucket's function takes a smaller input than `inputs`
      // declares (the largest bucket's): its slot says which.
      if (s.kind == "input")
        for (const Tensor &t : artifact.inputs)
          if (t.name == s.name && t.shape != s.shape)
            j["shape"] = s.shape;
      if (s.kind == "output") {
        j["dtype"] = s.dtype;
        j["shape"] = s.shape;
        if (!s.update.empty())
          j["updates"] = s.update;
      }
      if (!s.output.empty())
        j["output"] = s.output;
      slots.push_back(j);
    }
    fns[f.name] = {{"symbol", "loom_" + f.name},
                   {"arena_bytes", f.arenaBytes},
                   {"slots", slots}};
    if (!f.optimizer.empty()) {
      json opt = {{"kind", f.optimizer}};
      for (const auto &[k, v] : f.hyperparameters)
        opt[k] = v;
      fns[f.name]["optimizer"] = opt;
    }
  }
  m["functions"] = fns;
  if (!artifact.buckets.empty()) {
    json buckets = json::array();
    for (const Bucket &b : artifact.buckets) {
      json dims = json::object(), names = json::object();
      for (const auto &[n, v] : b.dims)
        dims[n] = v;
      for (const auto &[n, f] : b.functions)
        names[n] = f;
      buckets.push_back({{"dims", dims}, {"functions", names}});
    }
    m["buckets"] = buckets;
  }
  return m;
}
} // namespace

std::string (::loom::artifact::writeHeader)(const Artifact &artifact) {
  const std::vector<Function> &functions = artifact.functions;
  const std::string &model = artifact.model;
  std::string h = "/* Generated by loomc for model '" + model +
                  "'. Entry points of model.so (docs/artifact.md). */\n"
                  "#ifndef LOOM_MODEL_" + model + "_H\n#define LOOM_MODEL_" +
                  model + "_H\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const Function &f : functions) {
    h += "/* loom_" + f.name + ": slots[i] points to, in order:\n";
    for (size_t i = 0; i < f.slots.size(); ++i) {
      const Slot &s = f.slots[i];
      std::string shape;
      for (int64_t d : s.shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      h += " *   [" + std::to_string(i) + "] " + s.kind + " " +
           (s.kind == "arena" ? std::to_string(f.arenaBytes) + " bytes, 64-byte aligned"
                              : s.name + " " + s.dtype + "[" + shape + "]") +
           (s.update.empty() ? "" : " (replaces " + s.update + ")") +
           (s.output.empty() ? ""
                             : " (the call writes output " + s.output +
                                   " over it)") +
           "\n";
    }
    h += " */\nvoid loom_" + f.name + "(void **slots);\n";
    h += "enum { loom_" + f.name + "_arena_bytes = " +
         std::to_string(f.arenaBytes) + " };\n\n";
  }
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}
