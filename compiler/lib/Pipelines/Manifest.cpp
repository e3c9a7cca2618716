//===- Manifest.cpp - the artifact's manifest.json ------------------------===//
#include "loom/Pipelines/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <nlohmann/json.hpp>

#include <set>

using namespace mlir;
using json = nlohmann::ordered_json;

std::string loom::pipelines::dtypeName(Type t) {
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

std::map<std::string, loom::pipelines::FunctionInfo>
loom::pipelines::collectFunctionInfo(ModuleOp module) {
  std::map<std::string, FunctionInfo> infos;
  for (auto fn : module.getOps<func::FuncOp>()) {
    FunctionInfo &info = infos[fn.getSymName().str()];
    for (unsigned i = 0; i < fn.getNumResults(); ++i) {
      auto n = fn.getResultAttrOfType<StringAttr>(i, "loom.output");
      info.outputs.push_back(n ? n.str() : "result" + std::to_string(i));
      auto u = fn.getResultAttrOfType<StringAttr>(i, "loom.update");
      info.updates.push_back(u ? u.str() : "");
    }
    if (auto opt = fn->getAttrOfType<DictionaryAttr>("loom.optimizer")) {
      for (NamedAttribute a : opt) {
        if (auto s = dyn_cast<StringAttr>(a.getValue()))
          info.optimizer = s.str();
        else if (auto f = dyn_cast<FloatAttr>(a.getValue()))
          info.hyperparameters.emplace_back(a.getName().str(),
                                            f.getValueAsDouble());
      }
    }
  }
  return infos;
}

bool loom::pipelines::collectSlots(
    ModuleOp module,
    const std::map<std::string, FunctionInfo> &infos,
    std::vector<FunctionSlots> &functions, std::string &error) {
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    FunctionSlots f;
    f.name = fn.getSymName().str();
    auto it = infos.find(f.name);
    if (it != infos.end()) {
      f.optimizer = it->second.optimizer;
      f.hyperparameters = it->second.hyperparameters;
    }
    size_t nextOutput = 0;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto type = dyn_cast<MemRefType>(fn.getArgument(i).getType());
      if (!type || !type.hasStaticShape()) {
        error = "function @" + f.name + ": argument " + std::to_string(i) +
                " is not a static buffer";
        return false;
      }
      Slot s;
      s.shape.assign(type.getShape().begin(), type.getShape().end());
      s.dtype = dtypeName(type.getElementType());
      if (auto p = fn.getArgAttrOfType<StringAttr>(i, "loom.param")) {
        s.kind = "param";
        s.name = p.str();
      } else if (auto in = fn.getArgAttrOfType<StringAttr>(i, "loom.input")) {
        s.kind = "input";
        s.name = in.str();
      } else if (auto st = fn.getArgAttrOfType<StringAttr>(i, "loom.state")) {
        s.kind = "state";
        s.name = st.str();
      } else if (fn.getArgAttr(i, "loom.arena")) {
        s.kind = "arena";
        s.shape.clear();
        s.dtype.clear();
      } else {
        s.kind = "output";
        if (it == infos.end() || nextOutput >= it->second.outputs.size()) {
          error = "function @" + f.name + ": more out-parameters than results";
          return false;
        }
        s.name = it->second.outputs[nextOutput];
        s.update = it->second.updates[nextOutput];
        ++nextOutput;
        if (auto out = fn.getArgAttrOfType<StringAttr>(i, "loom.output");
            out && out.str() != s.name) {
          error = "function @" + f.name + ": out-parameter " +
                  std::to_string(i) + " is named '" + out.str() +
                  "' but result " + std::to_string(nextOutput - 1) + " '" +
                  s.name + "'";
          return false;
        }
      }
      f.slots.push_back(s);
    }
    if (auto bytes = fn->getAttrOfType<IntegerAttr>("loom.arena_bytes"))
      f.arenaBytes = bytes.getInt();
    if (f.slots.empty() || f.slots.back().kind != "arena") {
      error = "function @" + f.name + " has no arena argument";
      return false;
    }
    functions.push_back(std::move(f));
  }
  return true;
}

std::string loom::pipelines::writeManifest(
    const frontend::ModelInfo &info, const frontend::GenOptions &options,
    const std::string &specPath, const std::string &library,
    const std::vector<FunctionSlots> &functions) {
  json m;
  m["format"] = "loom-artifact";
  m["version"] = 1;
  m["model"] = info.name;
  m["spec"] = specPath;
  m["library"] = library;
  json dims = json::object();
  for (const auto &[name, value] : options.dims)
    dims[name] = value;
  m["dims"] = dims;
  json params = json::array();
  for (const frontend::ParamInfo &p : info.params) {
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
  for (const frontend::TensorInfo &t : info.inputs)
    inputs.push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}});
  m["inputs"] = inputs;
  // Optimizer state: the loom.state arguments of the training step, in
  // order; the runtime zero-initializes them and saves them in checkpoints.
  json state = json::array();
  std::set<std::string> seenState;
  for (const FunctionSlots &f : functions)
    for (const Slot &s : f.slots)
      if (s.kind == "state" && seenState.insert(s.name).second)
        state.push_back({{"name", s.name}, {"dtype", s.dtype}, {"shape", s.shape}});
  if (!state.empty())
    m["state"] = state;
  json fns = json::object();
  for (const FunctionSlots &f : functions) {
    json slots = json::array();
    for (const Slot &s : f.slots) {
      json j = {{"kind", s.kind}};
      if (!s.name.empty())
        j["name"] = s.name;
      if (s.kind == "output") {
        j["dtype"] = s.dtype;
        j["shape"] = s.shape;
        if (!s.update.empty())
          j["updates"] = s.update;
      }
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
  return m.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string loom::pipelines::writeHeader(
    const frontend::ModelInfo &info, const std::vector<FunctionSlots> &functions) {
  std::string h = "/* Generated by loomc for model '" + info.name +
                  "'. Entry points of model.so (docs/artifact.md). */\n"
                  "#ifndef LOOM_MODEL_" + info.name + "_H\n#define LOOM_MODEL_" +
                  info.name + "_H\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const FunctionSlots &f : functions) {
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
           "\n";
    }
    h += " */\nvoid loom_" + f.name + "(void **slots);\n";
    h += "enum { loom_" + f.name + "_arena_bytes = " +
         std::to_string(f.arenaBytes) + " };\n\n";
  }
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}
