//===- fuzz_manifest.cpp - libFuzzer target: the manifest parser ----------===//
//
// Build (self-contained; no CMake target, no MLIR):
//   FUZZ_SOURCES: runtime/src/manifest.cpp runtime/src/rng.cpp
//   FUZZ_INCLUDES: runtime/include
//   (plus nlohmann/json, found in /usr/include)
// e.g. from the repository root:
//   clang++ -std=c++17 -O1 -g -fno-exceptions -fsanitize=fuzzer,address,undefined \
//     -Iruntime/include test/fuzz/fuzz_manifest.cpp runtime/src/manifest.cpp \
//     -o fuzz_manifest
// Seed corpus: test/fuzz/corpus/manifest/; dictionary: test/fuzz/manifest.dict.
//
// loom_artifact_open parses whatever manifest.json a directory holds, so any
// text must parse or fail with LOOM_ERR_MANIFEST and a message naming the
// file (no crash, no abort from nlohmann, no sanitizer report). A manifest
// that parses must be what the session code relies on without checking
// again (manifestInvariants), and must survive a round trip: written back as
// JSON (writeManifest), it parses to the same Manifest.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/dtype.h"
#include "loom/formats/manifest.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <utility>

using namespace loom::rt;
using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_manifest: %s\n", what);
  std::abort();
}

void checkTensor(const TensorSpec &t) {
  if (t.name.empty() || t.name.find('\0') != std::string::npos)
    fail("a tensor name is empty or holds NUL");
  if (!dtypeName(t.dtype))
    fail("a dtype outside the enum");
  int64_t numel;
  uint64_t nbytes;
  if (!checkedSize(t.shape, dtypeSize(t.dtype), numel, nbytes) ||
      numel != t.numel || nbytes != t.nbytes)
    fail("numel or nbytes do not match dtype and shape");
}

const TensorSpec &target(const Manifest &m, const UpdateSpec &u) {
  if (u.isParam ? u.target >= m.params.size() : u.target >= m.state.size())
    fail("an update's target is out of range");
  return u.isParam ? static_cast<const TensorSpec &>(m.params[u.target])
                   : m.state[u.target];
}

/// What Session::create and loom_run index with, unchecked.
/// Whether output `k` of `f` is written in place (it has no slot).
bool isInPlace(const FunctionSpec &f, size_t k) {
  for (const UpdateSpec &u : f.updates)
    if (u.inPlace && u.output == k)
      return true;
  return false;
}

void manifestInvariants(const Manifest &m) {
  if (m.library.empty() || m.library[0] == '/')
    fail("the library is not a relative path");
  for (size_t i = 0; i < m.params.size(); ++i) {
    checkTensor(m.params[i]);
    if (m.findParam(m.params[i].name) != static_cast<int>(i))
      fail("findParam does not find a parameter by its name");
    for (const std::string &a : m.params[i].aliases)
      if (m.findParam(a) != static_cast<int>(i))
        fail("findParam does not find a parameter by its alias");
  }
  for (const auto &entry : m.paramIndex)
    if (entry.second >= m.params.size())
      fail("paramIndex points past params");
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    checkTensor(m.inputs[i]);
    if (m.findInput(m.inputs[i].name) != static_cast<int>(i))
      fail("two inputs share a name");
  }
  for (size_t i = 0; i < m.state.size(); ++i) {
    checkTensor(m.state[i]);
    if (m.findState(m.state[i].name) != static_cast<int>(i) ||
        m.findParam(m.state[i].name) >= 0)
      fail("a state name is used twice");
  }
  if (m.functions.empty())
    fail("no functions");
  for (size_t fi = 0; fi < m.functions.size(); ++fi) {
    const FunctionSpec &f = m.functions[fi];
    if (m.findFunction(f.name) != static_cast<int>(fi))
      fail("two functions share a name");
    if (f.symbol.empty())
      fail("an empty symbol");
    if (f.slots.empty() || f.slots.back().kind != SlotSpec::Kind::Arena)
      fail("the last slot is not the arena");
    size_t outputs = 0;
    std::set<std::pair<int, size_t>> seen;
    for (size_t i = 0; i < f.slots.size(); ++i) {
      const SlotSpec &s = f.slots[i];
      size_t bound = 0;
      switch (s.kind) {
      case SlotSpec::Kind::Param:
        bound = m.params.size();
        break;
      case SlotSpec::Kind::Input:
        bound = m.inputs.size();
        break;
      case SlotSpec::Kind::State:
        bound = m.state.size();
        break;
      case SlotSpec::Kind::Output:
        // Outputs written in place (an update's "output" on a param or
        // state slot) come in slot order too but have no slot.
        bound = f.outputs.size();
        while (outputs < f.outputs.size() && isInPlace(f, outputs))
          ++outputs;
        if (s.index != outputs++)
          fail("output slots are not numbered in order");
        break;
      case SlotSpec::Kind::Arena:
        if (i + 1 != f.slots.size())
          fail("an arena slot before the last");
        continue;
      }
      if (s.index >= bound)
        fail("a slot index is out of range");
      if (!seen.insert({static_cast<int>(s.kind), s.index}).second)
        fail("a tensor has two slots in one function");
    }
    while (outputs < f.outputs.size() && isInPlace(f, outputs))
      ++outputs;
    if (outputs != f.outputs.size())
      fail("outputs without a slot");
    std::set<std::pair<bool, size_t>> targets;
    for (const TensorSpec &t : f.outputs)
      checkTensor(t);
    for (const UpdateSpec &u : f.updates) {
      if (u.output >= f.outputs.size())
        fail("an update's output is out of range");
      if (u.inPlace) {
        // Its slot is the tensor's own.
        bool slot = false;
        for (const SlotSpec &s : f.slots)
          slot |= s.kind == (u.isParam ? SlotSpec::Kind::Param : SlotSpec::Kind::State) &&
                  s.index == u.target;
        if (!slot)
          fail("an in-place update of a tensor the function has no slot for");
      }
      const TensorSpec &dst = target(m, u);
      if (dst.dtype != f.outputs[u.output].dtype ||
          dst.shape != f.outputs[u.output].shape)
        fail("an update swaps buffers of different sizes");
      if (!targets.insert({u.isParam, u.target}).second)
        fail("a tensor is updated twice");
    }
    if (!f.hyperparameters.empty() && f.optimizer.empty())
      fail("hyperparameters without an optimizer kind");
  }
}

json tensorJson(const TensorSpec &t) {
  return {{"name", t.name}, {"dtype", dtypeName(t.dtype)}, {"shape", t.shape}};
}

json inputJson(const InputSpec &t) {
  json j = tensorJson(t);
  if (t.range.present) {
    j["range"] = {t.range.lo, t.range.hi};
    j["range_of"] = t.range.of;
    if (t.range.hasIgnore)
      j["ignore"] = t.range.ignore;
  }
  return j;
}

/// The in-place update of a param (isParam) or state tensor, or null.
const UpdateSpec *inPlaceUpdate(const FunctionSpec &f, bool isParam, size_t target) {
  for (const UpdateSpec &u : f.updates)
    if (u.inPlace && u.isParam == isParam && u.target == target)
      return &u;
  return nullptr;
}

json initJson(const InitSpec &init) {
  switch (init.kind) {
  case InitSpec::Kind::Normal:
    return {{"kind", "normal"}, {"mean", init.mean}, {"std", init.std}};
  case InitSpec::Kind::Uniform:
    return {{"kind", "uniform"}, {"low", init.low}, {"high", init.high}};
  case InitSpec::Kind::Zeros:
    return {{"kind", "zeros"}};
  case InitSpec::Kind::Ones:
    return {{"kind", "ones"}};
  case InitSpec::Kind::Constant:
    return {{"kind", "constant"}, {"value", init.value}};
  }
  fail("an init kind outside the enum");
}

/// The manifest as loomc would write it (docs/artifact.md).
json writeManifest(const Manifest &m) {
  json j = {{"format", "loom-artifact"},
            {"version", 1},
            {"model", m.model},
            {"spec", m.spec},
            {"library", m.library}};
  json dims = json::object();
  for (const auto &[name, value] : m.dims)
    dims[name] = value;
  j["dims"] = dims;
  json params = json::array();
  for (const ParamSpec &p : m.params) {
    json e = tensorJson(p);
    e["init"] = initJson(p.init);
    e["aliases"] = p.aliases;
    params.push_back(e);
  }
  j["params"] = params;
  json inputs = json::array(), state = json::array();
  for (const InputSpec &t : m.inputs)
    inputs.push_back(inputJson(t));
  for (const TensorSpec &t : m.state)
    state.push_back(tensorJson(t));
  j["inputs"] = inputs;
  j["state"] = state;
  json functions = json::object();
  for (const FunctionSpec &f : m.functions) {
    json slots = json::array();
    for (const SlotSpec &s : f.slots) {
      switch (s.kind) {
      case SlotSpec::Kind::Param:
      case SlotSpec::Kind::State: {
        bool isParam = s.kind == SlotSpec::Kind::Param;
        json slot = {{"kind", isParam ? "param" : "state"},
                     {"name", isParam ? m.params[s.index].name : m.state[s.index].name}};
        if (const UpdateSpec *u = inPlaceUpdate(f, isParam, s.index))
          slot["output"] = f.outputs[u->output].name;
        slots.push_back(slot);
        break;
      }
      case SlotSpec::Kind::Input:
        slots.push_back({{"kind", "input"}, {"name", m.inputs[s.index].name}});
        break;
      case SlotSpec::Kind::Output: {
        json o = tensorJson(f.outputs[s.index]);
        o["kind"] = "output";
        for (const UpdateSpec &u : f.updates)
          if (u.output == s.index)
            o["updates"] =
                (u.isParam ? "param:" : "state:") + target(m, u).name;
        slots.push_back(o);
        break;
      }
      case SlotSpec::Kind::Arena:
        slots.push_back({{"kind", "arena"}});
        break;
      }
    }
    json fj = {
        {"symbol", f.symbol}, {"arena_bytes", f.arenaBytes}, {"slots", slots}};
    if (!f.optimizer.empty()) {
      json opt = {{"kind", f.optimizer}};
      for (const auto &[key, value] : f.hyperparameters)
        opt[key] = value;
      fj["optimizer"] = opt;
    }
    functions[f.name] = fj;
  }
  j["functions"] = functions;
  return j;
}

bool sameTensor(const TensorSpec &a, const TensorSpec &b) {
  return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape &&
         a.numel == b.numel && a.nbytes == b.nbytes;
}

/// Bitwise: -0.0 must come back as -0.0.
bool sameDouble(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool sameInit(const InitSpec &a, const InitSpec &b) {
  return a.kind == b.kind && sameDouble(a.mean, b.mean) &&
         sameDouble(a.std, b.std) && sameDouble(a.low, b.low) &&
         sameDouble(a.high, b.high) && sameDouble(a.value, b.value);
}

bool sameManifest(const Manifest &a, const Manifest &b) {
  if (a.model != b.model || a.spec != b.spec || a.library != b.library ||
      a.dims != b.dims || a.params.size() != b.params.size() ||
      a.inputs.size() != b.inputs.size() || a.state.size() != b.state.size() ||
      a.functions.size() != b.functions.size() || a.paramIndex != b.paramIndex)
    return false;
  for (size_t i = 0; i < a.params.size(); ++i)
    if (!sameTensor(a.params[i], b.params[i]) ||
        !sameInit(a.params[i].init, b.params[i].init) ||
        a.params[i].aliases != b.params[i].aliases)
      return false;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const IndexRange &x = a.inputs[i].range, &y = b.inputs[i].range;
    if (!sameTensor(a.inputs[i], b.inputs[i]) || x.present != y.present ||
        x.lo != y.lo || x.hi != y.hi || x.of != y.of ||
        x.hasIgnore != y.hasIgnore || x.ignore != y.ignore)
      return false;
  }
  for (size_t i = 0; i < a.state.size(); ++i)
    if (!sameTensor(a.state[i], b.state[i]))
      return false;
  for (size_t i = 0; i < a.functions.size(); ++i) {
    const FunctionSpec &f = a.functions[i], &g = b.functions[i];
    if (f.name != g.name || f.symbol != g.symbol ||
        f.arenaBytes != g.arenaBytes || f.slots.size() != g.slots.size() ||
        f.outputs.size() != g.outputs.size() ||
        f.updates.size() != g.updates.size() || f.optimizer != g.optimizer ||
        f.hyperparameters.size() != g.hyperparameters.size())
      return false;
    for (size_t k = 0; k < f.slots.size(); ++k)
      if (f.slots[k].kind != g.slots[k].kind ||
          f.slots[k].index != g.slots[k].index)
        return false;
    for (size_t k = 0; k < f.outputs.size(); ++k)
      if (!sameTensor(f.outputs[k], g.outputs[k]))
        return false;
    for (size_t k = 0; k < f.updates.size(); ++k)
      if (f.updates[k].output != g.updates[k].output ||
          f.updates[k].isParam != g.updates[k].isParam ||
          f.updates[k].target != g.updates[k].target ||
          f.updates[k].inPlace != g.updates[k].inPlace)
        return false;
    for (size_t k = 0; k < f.hyperparameters.size(); ++k)
      if (f.hyperparameters[k].first != g.hyperparameters[k].first ||
          !sameDouble(f.hyperparameters[k].second, g.hyperparameters[k].second))
        return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  Manifest m;
  Status s = parseManifest(text, "fuzz", m);
  if (!s.isOk()) {
    if (s.code() != LOOM_ERR_MANIFEST ||
        s.message().rfind("manifest 'fuzz': ", 0) != 0)
      fail("an error without LOOM_ERR_MANIFEST or the file name");
    return 0;
  }
  manifestInvariants(m);

  // dump() escapes invalid UTF-8 instead of throwing (the build has no
  // exceptions); parsed text is valid UTF-8 anyway.
  std::string written =
      writeManifest(m).dump(-1, ' ', false, json::error_handler_t::replace);
  Manifest again;
  Status s2 = parseManifest(written, "fuzz", again);
  if (!s2.isOk()) {
    std::fprintf(stderr, "%s\n%s\n", s2.message().c_str(), written.c_str());
    fail("a manifest written from a parsed one does not parse");
  }
  if (!sameManifest(m, again)) {
    std::fprintf(stderr, "%s\n", written.c_str());
    fail("round trip changed the manifest");
  }
  return 0;
}
