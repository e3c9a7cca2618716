//===- manifest.cpp - manifest.json of a compiled artifact -----------------===//
//
// Errors name the file and a JSON path to the offending value
// ("params[3] 'wte': shape[1] is not a non-negative integer"). Values are
// type-checked before they are read, so no nlohmann accessor can throw.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/manifest.h"
#include "loom/formats/name_pattern.h"

#include "loom/formats/dtype.h"
#include "loom/formats/rng.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

namespace loom::rt {

using json = nlohmann::json;

int FunctionSpec::findOutput(std::string_view n) const {
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].name == n)
      return static_cast<int>(i);
  return -1;
}

int Manifest::findParam(std::string_view n) const {
  auto it = paramIndex.find(n);
  return it == paramIndex.end() ? -1 : static_cast<int>(it->second);
}

int Manifest::findState(std::string_view n) const {
  for (size_t i = 0; i < state.size(); ++i)
    if (state[i].name == n)
      return static_cast<int>(i);
  return -1;
}

int Manifest::findInput(std::string_view n) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].name == n)
      return static_cast<int>(i);
  return -1;
}

int Manifest::findFunction(std::string_view n) const {
  for (size_t i = 0; i < functions.size(); ++i)
    if (functions[i].name == n)
      return static_cast<int>(i);
  return -1;
}

namespace {

class Parser {
public:
  explicit Parser(const std::string &fileName) : fileName(fileName) {}

  Status parse(const std::string &text, Manifest &m);

private:
  Status error(const std::string &where, const std::string &what) const {
    return Status::error(LOOM_ERR_MANIFEST, "manifest '" + fileName + "': " +
                                                where + (where.empty() ? "" : ": ") +
                                                what);
  }

  /// Every key of OBJ must be in ALLOWED.
  Status onlyKeys(const json &obj, const std::string &where,
                  std::initializer_list<const char *> allowed) const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (std::none_of(allowed.begin(), allowed.end(),
                       [&](const char *k) { return it.key() == k; }))
        return error(where, "unknown field '" + it.key() +
                                "' (docs/artifact.md lists the fields of "
                                "version 1)");
    return Status::ok();
  }

  /// A non-empty string without NUL (names travel through C strings).
  Status name(const json &obj, const char *key, const std::string &where,
              std::string &out) const {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
      return error(where, std::string("'") + key + "' is missing or not a string");
    out = it->get_ref<const std::string &>();
    if (out.empty() || out.find('\0') != std::string::npos)
      return error(where, std::string("'") + key + "' is empty or contains NUL");
    return Status::ok();
  }

  Status number(const json &obj, const char *key, const std::string &where,
                double &out) const {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number())
      return error(where, std::string("'") + key + "' is missing or not a number");
    out = it->get<double>();
    if (!std::isfinite(out))
      return error(where, std::string("'") + key + "' is not finite");
    return Status::ok();
  }

  Status tensor(const json &obj, const std::string &where, TensorSpec &t) const;
  Status init(const json &obj, const std::string &where, loom_dtype dtype,
              InitSpec &out) const;
  Status function(const std::string &fname, const json &obj, Manifest &m,
                  FunctionSpec &f) const;
  Status buckets(const json &list, Manifest &m) const;
  Status target(const json &root, Manifest &m) const;

  std::string fileName;
};

/// A JSON integer that fits int64_t.
bool readInt64(const json &v, int64_t &out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    out = static_cast<int64_t>(u);
    return u <= static_cast<uint64_t>(INT64_MAX);
  }
  if (!v.is_number_integer())
    return false;
  out = v.get<int64_t>();
  return true;
}

} // namespace

uint64_t manifestFingerprint(const std::string &canonicalJson) {
  return fnv1a64(canonicalJson);
}

std::string hexFingerprint(uint64_t fingerprint) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fingerprint));
  return hex;
}

namespace {

bool readIndex(const json &v, uint64_t &out) {
  if (!v.is_number_unsigned())
    return false;
  out = v.get<uint64_t>();
  return out <= static_cast<uint64_t>(INT64_MAX);
}

/// name, dtype and shape; the caller has checked the object's keys.
Status Parser::tensor(const json &obj, const std::string &where,
                      TensorSpec &t) const {
  LOOM_RT_TRY(name(obj, "name", where, t.name));
  std::string at = where + " '" + t.name + "'";
  auto dtype = obj.find("dtype");
  if (dtype == obj.end() || !dtype->is_string() ||
      !parseDTypeName(dtype->get_ref<const std::string &>(), t.dtype))
    return error(at, "'dtype' must be one of f32, f16, bf16, i32, i64, i1");
  auto shape = obj.find("shape");
  if (shape == obj.end() || !shape->is_array())
    return error(at, "'shape' is missing or not an array");
  t.shape.clear();
  for (size_t i = 0; i < shape->size(); ++i) {
    uint64_t d;
    if (!readIndex((*shape)[i], d))
      return error(at, "shape[" + std::to_string(i) +
                           "] is not a non-negative integer");
    t.shape.push_back(static_cast<int64_t>(d));
  }
  if (!checkedSize(t.shape, dtypeSize(t.dtype), t.numel, t.nbytes))
    return error(at, "shape " + shapeString(t.shape) + " overflows");
  return Status::ok();
}

Status Parser::init(const json &obj, const std::string &where,
                    loom_dtype dtype, InitSpec &out) const {
  std::string at = where + ": init";
  if (!obj.is_object())
    return error(at, "is not an object");
  auto kind = obj.find("kind");
  if (kind == obj.end() || !kind->is_string())
    return error(at, "'kind' is missing or not a string");
  const std::string &k = kind->get_ref<const std::string &>();
  bool isFloat = isFloatDType(dtype);
  if (k == "normal") {
    LOOM_RT_TRY(onlyKeys(obj, at, {"kind", "std", "mean"}));
    out.kind = InitSpec::Kind::Normal;
    LOOM_RT_TRY(number(obj, "std", at, out.std));
    if (obj.contains("mean"))
      LOOM_RT_TRY(number(obj, "mean", at, out.mean));
    if (out.std < 0)
      return error(at, "'std' is negative");
  } else if (k == "uniform") {
    LOOM_RT_TRY(onlyKeys(obj, at, {"kind", "low", "high"}));
    out.kind = InitSpec::Kind::Uniform;
    LOOM_RT_TRY(number(obj, "low", at, out.low));
    LOOM_RT_TRY(number(obj, "high", at, out.high));
    if (!(out.low <= out.high))
      return error(at, "'low' exceeds 'high'");
  } else if (k == "zeros" || k == "ones") {
    LOOM_RT_TRY(onlyKeys(obj, at, {"kind"}));
    out.kind = k == "zeros" ? InitSpec::Kind::Zeros : InitSpec::Kind::Ones;
    return Status::ok();
  } else if (k == "constant") {
    LOOM_RT_TRY(onlyKeys(obj, at, {"kind", "value"}));
    out.kind = InitSpec::Kind::Constant;
    LOOM_RT_TRY(number(obj, "value", at, out.value));
    if (isFloat)
      return Status::ok();
    double lo = dtype == LOOM_DTYPE_I1 ? 0 : dtype == LOOM_DTYPE_I32 ? -2147483648.0 : -0x1p63;
    double hi = dtype == LOOM_DTYPE_I1 ? 1 : dtype == LOOM_DTYPE_I32 ? 2147483647.0 : 0x1p63 - 1024;
    if (out.value != std::floor(out.value) || out.value < lo || out.value > hi)
      return error(at, "constant " + std::to_string(out.value) +
                           " is not a value of " + dtypeName(dtype));
    return Status::ok();
  } else {
    return error(at, "unknown kind '" + k +
                         "' (normal, uniform, zeros, ones, constant)");
  }
  if (!isFloat)
    return error(at, "'" + k + "' needs a floating-point dtype, not " +
                         dtypeName(dtype));
  return Status::ok();
}

Status Parser::function(const std::string &fname, const json &obj, Manifest &m,
                        FunctionSpec &f) const {
  std::string at = "functions." + fname;
  if (!obj.is_object())
    return error(at, "is not an object");
  LOOM_RT_TRY(onlyKeys(obj, at, {"symbol", "arena_bytes", "slots", "optimizer"}));
  f.name = fname;
  LOOM_RT_TRY(name(obj, "symbol", at, f.symbol));
  bool identifier = !(f.symbol[0] >= '0' && f.symbol[0] <= '9');
  for (char c : f.symbol)
    identifier &= (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9'));
  if (!identifier)
    return error(at, "symbol '" + f.symbol + "' is not a C identifier");
  auto arena = obj.find("arena_bytes");
  if (arena == obj.end() || !readIndex(*arena, f.arenaBytes))
    return error(at, "'arena_bytes' is missing or not a non-negative integer");
  auto slots = obj.find("slots");
  if (slots == obj.end() || !slots->is_array())
    return error(at, "'slots' is missing or not an array");

  if (auto opt = obj.find("optimizer"); opt != obj.end()) {
    std::string oat = at + ".optimizer";
    if (!opt->is_object())
      return error(oat, "is not an object");
    for (auto it = opt->begin(); it != opt->end(); ++it) {
      if (it.key() == "kind") {
        if (!it->is_string() || it->get_ref<const std::string &>().empty())
          return error(oat, "'kind' is not a non-empty string");
        f.optimizer = it->get_ref<const std::string &>();
      } else if (it->is_number()) {
        f.hyperparameters.emplace_back(it.key(), it->get<double>());
      } else {
        return error(oat, "'" + it.key() + "' is not a number");
      }
    }
    if (f.optimizer.empty())
      return error(oat, "'kind' is missing");
  }

  std::set<size_t> usedParams, usedInputs, usedState;
  std::set<std::pair<bool, size_t>> updated;
  for (size_t i = 0; i < slots->size(); ++i) {
    const json &s = (*slots)[i];
    std::string sat = at + ".slots[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("kind") || !s["kind"].is_string())
      return error(sat, "is not an object with a string 'kind'");
    const std::string &kind = s["kind"].get_ref<const std::string &>();
    if (!f.slots.empty() && f.slots.back().kind == SlotSpec::Kind::Arena)
      return error(sat, "follows the arena slot, which must be last");
    SlotSpec slot;
    if (kind == "param" || kind == "input" || kind == "state") {
      if (kind == "input")
        LOOM_RT_TRY(onlyKeys(s, sat, {"kind", "name", "shape"}));
      else
        LOOM_RT_TRY(onlyKeys(s, sat, {"kind", "name", "output"}));
      std::string n;
      LOOM_RT_TRY(name(s, "name", sat, n));
      bool isParam = kind == "param", isState = kind == "state";
      int index = isParam ? m.findParam(n) : isState ? m.findState(n) : m.findInput(n);
      // A slot names a parameter by its name, not an alias.
      if (index < 0 || (isParam && m.params[index].name != n))
        return error(sat, kind + " '" + n + "' is not in '" +
                              (isState ? std::string("state") : kind + "s") + "'");
      slot.kind = isParam ? SlotSpec::Kind::Param
                  : isState ? SlotSpec::Kind::State
                            : SlotSpec::Kind::Input;
      slot.index = static_cast<size_t>(index);
      if (kind == "input") {
        // A bucket function's input: same rank, no dim larger than the
        // input's (the runtime's buffer holds the largest bucket).
        const InputSpec &in = m.inputs[slot.index];
        slot.shape = in.shape;
        if (auto sh = s.find("shape"); sh != s.end()) {
          if (!sh->is_array() || sh->size() != in.shape.size())
            return error(sat, "'shape' is not an array of rank " +
                                  std::to_string(in.shape.size()) + " (input '" +
                                  n + "' is " + shapeString(in.shape) + ")");
          for (size_t d = 0; d < in.shape.size(); ++d) {
            uint64_t x;
            if (!readIndex((*sh)[d], x) || static_cast<int64_t>(x) > in.shape[d])
              return error(sat, "shape[" + std::to_string(d) +
                                    "] is not an integer from 0 to " +
                                    std::to_string(in.shape[d]) + " (input '" + n +
                                    "' is " + shapeString(in.shape) + ")");
            slot.shape[d] = static_cast<int64_t>(x);
          }
        }
      }
      auto &used = isParam ? usedParams : isState ? usedState : usedInputs;
      if (!used.insert(slot.index).second)
        return error(sat, kind + " '" + n + "' has two slots");
      if (auto o = s.find("output"); o != s.end()) {
        // The call writes this output over the tensor (an update in place).
        TensorSpec t = isParam ? static_cast<const TensorSpec &>(m.params[slot.index])
                               : m.state[slot.index];
        if (!o->is_string() || o->get_ref<const std::string &>().empty())
          return error(sat, "'output' is not a non-empty string");
        t.name = o->get<std::string>();
        if (f.findOutput(t.name) >= 0)
          return error(sat, "output '" + t.name + "' has two slots");
        if (!updated.insert({isParam, slot.index}).second)
          return error(sat, "'" + n + "' is updated twice");
        f.updates.push_back({f.outputs.size(), isParam, slot.index, /*inPlace=*/true});
        f.outputs.push_back(std::move(t));
      }
    } else if (kind == "output") {
      LOOM_RT_TRY(onlyKeys(s, sat, {"kind", "name", "dtype", "shape", "updates"}));
      TensorSpec t;
      LOOM_RT_TRY(tensor(s, sat, t));
      if (f.findOutput(t.name) >= 0)
        return error(sat, "output '" + t.name + "' has two slots");
      slot.kind = SlotSpec::Kind::Output;
      slot.index = f.outputs.size();
      if (auto u = s.find("updates"); u != s.end()) {
        // "param:NAME" or "state:NAME", of the output's dtype and shape.
        std::string v = u->is_string() ? u->get<std::string>() : "";
        size_t colon = v.find(':');
        std::string what = v.substr(0, colon == std::string::npos ? 0 : colon);
        std::string target = colon == std::string::npos ? "" : v.substr(colon + 1);
        UpdateSpec up;
        up.output = slot.index;
        up.isParam = what == "param";
        int index = what == "param"   ? m.findParam(target)
                    : what == "state" ? m.findState(target)
                                      : -1;
        if ((what != "param" && what != "state") || index < 0 ||
            (up.isParam && m.params[index].name != target))
          return error(sat, "'updates' must be \"param:NAME\" or \"state:NAME\" "
                            "naming a parameter or state tensor, got '" + v + "'");
        up.target = static_cast<size_t>(index);
        const TensorSpec &dst = up.isParam ? static_cast<const TensorSpec &>(m.params[index])
                                           : m.state[index];
        if (dst.dtype != t.dtype || dst.shape != t.shape)
          return error(sat, "output '" + t.name + "' updates '" + target +
                                "' but their dtypes or shapes differ");
        if (!updated.insert({up.isParam, up.target}).second)
          return error(sat, "'" + target + "' is updated twice");
        f.updates.push_back(up);
      }
      f.outputs.push_back(std::move(t));
    } else if (kind == "arena") {
      LOOM_RT_TRY(onlyKeys(s, sat, {"kind"}));
      slot.kind = SlotSpec::Kind::Arena;
    } else {
      return error(sat, "unknown kind '" + kind +
                            "' (param, input, state, output, arena)");
    }
    f.slots.push_back(slot);
  }
  if (f.slots.empty() || f.slots.back().kind != SlotSpec::Kind::Arena)
    return error(at, "the last slot must be the arena");
  return Status::ok();
}

Status Parser::parse(const std::string &text, Manifest &m) {
  // nlohmann keeps the last of duplicate keys; two "params" (or two
  // functions of one name) are ambiguous, so the parser callback tracks the
  // keys of every open object and a duplicate is an error.
  std::vector<std::set<std::string>> openObjects;
  bool hasDuplicate = false;
  std::string duplicate;
  auto callback = [&](int, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::object_start)
      openObjects.emplace_back();
    else if (event == json::parse_event_t::object_end && !openObjects.empty())
      openObjects.pop_back();
    else if (event == json::parse_event_t::key && !hasDuplicate &&
             !openObjects.empty() && parsed.is_string() &&
             !openObjects.back().insert(parsed.get_ref<const std::string &>()).second) {
      hasDuplicate = true;
      duplicate = parsed.get_ref<const std::string &>();
    }
    return true;
  };
  json root = json::parse(text, callback, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return error("", "not valid JSON");
  if (hasDuplicate)
    return error("", "the key '" + duplicate + "' appears twice in one object");
  if (!root.is_object())
    return error("", "not a JSON object");
  LOOM_RT_TRY(onlyKeys(root, "", {"format", "version", "model", "spec",
                                  "tokenizer", "library", "dims", "params",
                                  "inputs", "state", "functions", "buckets",
                                  "checkpoints", "fingerprint", "target", "cuda"}));
  // The fingerprint covers everything else: a manifest edited after loomc
  // wrote it (an arena size, a shape) is refused here, and the library
  // must carry the same value (Artifact::open).
  if (auto fp = root.find("fingerprint"); fp != root.end()) {
    const std::string *hex = fp->is_string() ? &fp->get_ref<const std::string &>() : nullptr;
    if (!hex || hex->size() != 16 ||
        hex->find_first_not_of("0123456789abcdef") != std::string::npos)
      return error("", "'fingerprint' is not 16 lowercase hex digits");
    m.fingerprint = std::strtoull(hex->c_str(), nullptr, 16);
    m.hasFingerprint = true;
    json rest = root;
    rest.erase("fingerprint");
    uint64_t actual = manifestFingerprint(
        rest.dump(-1, ' ', false, json::error_handler_t::replace));
    if (actual != m.fingerprint)
      return error("", "'fingerprint' " + *hex + " does not match the content (" +
                           hexFingerprint(actual) +
                           "): the manifest was changed after loomc wrote it");
  }
  auto format = root.find("format");
  if (format == root.end() || *format != "loom-artifact")
    return error("", "'format' is not \"loom-artifact\"");
  auto version = root.find("version");
  uint64_t v;
  if (version == root.end() || !readIndex(*version, v))
    return error("", "'version' is missing or not a non-negative integer");
  if (v != 1)
    return error("", "version " + std::to_string(v) +
                         " is not supported (this runtime reads version 1)");
  for (auto [key, field] : {std::pair<const char *, std::string *>{"model", &m.model},
                            {"spec", &m.spec}, {"tokenizer", &m.tokenizer}}) {
    auto it = root.find(key);
    if (it == root.end())
      continue;
    if (!it->is_string())
      return error("", std::string("'") + key + "' is not a string");
    *field = it->get_ref<const std::string &>();
  }
  if (!m.tokenizer.empty() && m.tokenizer != "bytes" && m.tokenizer != "bpe" &&
      m.tokenizer != "wordpiece")
    return error("", "'tokenizer' is '" + m.tokenizer +
                         "', not bytes, bpe or wordpiece");

  LOOM_RT_TRY(target(root, m));

  LOOM_RT_TRY(name(root, "library", "", m.library));
  // The library lives inside the artifact directory.
  if (m.library[0] == '/' || m.library == ".." || m.library.rfind("../", 0) == 0 ||
      m.library.find("/../") != std::string::npos ||
      (m.library.size() >= 3 && m.library.compare(m.library.size() - 3, 3, "/..") == 0))
    return error("", "library '" + m.library +
                         "' must be a relative path inside the artifact");

  if (auto maps = root.find("checkpoints"); maps != root.end()) {
    if (!maps->is_array())
      return error("checkpoints", "is not an array");
    for (size_t i = 0; i < maps->size(); ++i) {
      const json &c = (*maps)[i];
      std::string at = "checkpoints[" + std::to_string(i) + "]";
      if (!c.is_object())
        return error(at, "is not an object");
      LOOM_RT_TRY(onlyKeys(c, at, {"name", "rules"}));
      CheckpointMap map;
      LOOM_RT_TRY(name(c, "name", at, map.name));
      for (const CheckpointMap &other : m.checkpoints)
        if (other.name == map.name)
          return error(at, "checkpoint map '" + map.name + "' appears twice");
      auto rules = c.find("rules");
      if (rules == c.end() || !rules->is_array())
        return error(at, "'rules' is missing or not an array");
      for (size_t k = 0; k < rules->size(); ++k) {
        const json &r = (*rules)[k];
        std::string rat = at + ".rules[" + std::to_string(k) + "]";
        if (!r.is_object())
          return error(rat, "is not an object");
        CheckpointRule rule;
        if (r.contains("ignore")) {
          LOOM_RT_TRY(onlyKeys(r, rat, {"ignore"}));
          LOOM_RT_TRY(name(r, "ignore", rat, rule.from));
          rule.ignore = true;
        } else if (r.contains("strip")) {
          LOOM_RT_TRY(onlyKeys(r, rat, {"strip"}));
          LOOM_RT_TRY(name(r, "strip", rat, rule.from));
          rule.strip = true;
        } else {
          LOOM_RT_TRY(onlyKeys(r, rat, {"from", "to", "transpose"}));
          LOOM_RT_TRY(name(r, "from", rat, rule.from));
          LOOM_RT_TRY(name(r, "to", rat, rule.to));
          if (auto t = r.find("transpose"); t != r.end()) {
            if (!t->is_boolean())
              return error(rat, "'transpose' is not true or false");
            rule.transpose = t->get<bool>();
          }
        }
        if (std::string why = formats::checkNamePatterns(rule.from, rule.to,
                                                         rule.ignore, rule.strip);
            !why.empty())
          return error(rat, why);
        map.rules.push_back(std::move(rule));
      }
      m.checkpoints.push_back(std::move(map));
    }
  }

  if (auto dims = root.find("dims"); dims != root.end()) {
    if (!dims->is_object())
      return error("dims", "is not an object");
    for (auto it = dims->begin(); it != dims->end(); ++it) {
      uint64_t d;
      if (!readIndex(it.value(), d))
        return error("dims." + it.key(), "is not a non-negative integer");
      m.dims.emplace_back(it.key(), static_cast<int64_t>(d));
    }
  }

  auto params = root.find("params");
  if (params == root.end() || !params->is_array())
    return error("", "'params' is missing or not an array");
  for (size_t i = 0; i < params->size(); ++i) {
    const json &p = (*params)[i];
    std::string at = "params[" + std::to_string(i) + "]";
    if (!p.is_object())
      return error(at, "is not an object");
    LOOM_RT_TRY(onlyKeys(p, at, {"name", "dtype", "shape", "init", "aliases"}));
    ParamSpec ps;
    LOOM_RT_TRY(tensor(p, at, ps));
    at += " '" + ps.name + "'";
    if (!p.contains("init"))
      return error(at, "'init' is missing");
    LOOM_RT_TRY(init(p["init"], at, ps.dtype, ps.init));
    if (auto aliases = p.find("aliases"); aliases != p.end()) {
      if (!aliases->is_array())
        return error(at, "'aliases' is not an array");
      for (const json &a : *aliases) {
        if (!a.is_string() || a.get_ref<const std::string &>().empty() ||
            a.get_ref<const std::string &>().find('\0') != std::string::npos)
          return error(at, "an alias is not a non-empty string");
        ps.aliases.push_back(a.get_ref<const std::string &>());
      }
    }
    // Names and aliases share one namespace: a checkpoint name must pick
    // exactly one parameter.
    size_t index = m.params.size();
    if (!m.paramIndex.emplace(ps.name, index).second)
      return error(at, "the name '" + ps.name + "' is used twice");
    for (const std::string &a : ps.aliases)
      if (!m.paramIndex.emplace(a, index).second)
        return error(at, "the name '" + a + "' is used twice");
    m.params.push_back(std::move(ps));
  }

  auto inputs = root.find("inputs");
  if (inputs == root.end() || !inputs->is_array())
    return error("", "'inputs' is missing or not an array");
  for (size_t i = 0; i < inputs->size(); ++i) {
    const json &in = (*inputs)[i];
    std::string at = "inputs[" + std::to_string(i) + "]";
    if (!in.is_object())
      return error(at, "is not an object");
    LOOM_RT_TRY(onlyKeys(in, at, {"name", "dtype", "shape", "range", "range_of", "ignore"}));
    InputSpec t;
    LOOM_RT_TRY(tensor(in, at, t));
    if (m.findInput(t.name) >= 0)
      return error(at, "input '" + t.name + "' is declared twice");
    if (auto r = in.find("range"); r != in.end()) {
      bool isInt = t.dtype == LOOM_DTYPE_I32 || t.dtype == LOOM_DTYPE_I64;
      if (!isInt)
        return error(at, "'range' on input '" + t.name + "', which is not i32 or i64");
      if (!r->is_array() || r->size() != 2 || !readInt64((*r)[0], t.range.lo) ||
          !readInt64((*r)[1], t.range.hi) || t.range.lo >= t.range.hi)
        return error(at, "'range' must be [lo, hi] with 64-bit integers lo < hi");
      t.range.present = true;
      if (auto of = in.find("range_of"); of != in.end()) {
        if (!of->is_string())
          return error(at, "'range_of' is not a string");
        t.range.of = of->get<std::string>();
      }
      if (auto ig = in.find("ignore"); ig != in.end()) {
        if (!readInt64(*ig, t.range.ignore))
          return error(at, "'ignore' is not a 64-bit integer");
        t.range.hasIgnore = true;
      }
    } else if (in.contains("range_of") || in.contains("ignore")) {
      return error(at, "'range_of' and 'ignore' need a 'range'");
    }
    m.inputs.push_back(std::move(t));
  }

  if (auto state = root.find("state"); state != root.end()) {
    if (!state->is_array())
      return error("", "'state' is not an array");
    for (size_t i = 0; i < state->size(); ++i) {
      const json &st = (*state)[i];
      std::string at = "state[" + std::to_string(i) + "]";
      if (!st.is_object())
        return error(at, "is not an object");
      LOOM_RT_TRY(onlyKeys(st, at, {"name", "dtype", "shape", "cache"}));
      TensorSpec t;
      LOOM_RT_TRY(tensor(st, at, t));
      if (auto c = st.find("cache"); c != st.end()) {
        if (!c->is_boolean())
          return error(at + ".cache", "is not a boolean");
        t.cache = c->get<bool>();
      }
      // State and parameters share a checkpoint: their names must differ.
      if (m.findState(t.name) >= 0 || m.findParam(t.name) >= 0)
        return error(at, "the name '" + t.name + "' is used twice");
      m.state.push_back(std::move(t));
    }
  }

  auto functions = root.find("functions");
  if (functions == root.end() || !functions->is_object() || functions->empty())
    return error("", "'functions' is missing, not an object, or empty");
  for (auto it = functions->begin(); it != functions->end(); ++it) {
    if (it.key().empty() || it.key().find('\0') != std::string::npos)
      return error("functions", "a function name is empty or contains NUL");
    FunctionSpec f;
    LOOM_RT_TRY(function(it.key(), it.value(), m, f));
    m.functions.push_back(std::move(f));
  }
  if (auto b = root.find("buckets"); b != root.end())
    LOOM_RT_TRY(buckets(*b, m));
  for (size_t i = 0; i < m.cuda.streamOrdered.size(); ++i)
    if (m.findFunction(m.cuda.streamOrdered[i]) < 0)
      return error("cuda.stream_ordered[" + std::to_string(i) + "]",
                   "'" + m.cuda.streamOrdered[i] + "' is not in 'functions'");
  // Without a bucket table every function takes its inputs whole.
  for (const FunctionSpec &f : m.functions)
    for (size_t i = 0; i < f.slots.size(); ++i)
      if (f.slots[i].kind == SlotSpec::Kind::Input && f.bucket < 0 &&
          f.slots[i].shape != m.inputs[f.slots[i].index].shape)
        return error("functions." + f.name + ".slots[" + std::to_string(i) + "]",
                     "'shape' differs from the input's, but the function is in "
                     "no entry of 'buckets'");
  return Status::ok();
}

/// `target` and, for "cuda", the `cuda` object (docs/cuda.md). Whether the
/// runtime provides each hook is the runtime's to say (Artifact::open):
/// here they only have to be distinct C identifiers.
Status Parser::target(const json &root, Manifest &m) const {
  if (auto t = root.find("target"); t != root.end()) {
    if (!t->is_string() || (*t != "cpu" && *t != "cuda"))
      return error("", "'target' is not \"cpu\" or \"cuda\"");
    m.target = t->get<std::string>();
  }
  auto cuda = root.find("cuda");
  if (cuda == root.end()) {
    if (m.target == "cuda")
      return error("", "'target' is \"cuda\" but 'cuda' is missing");
    return Status::ok();
  }
  if (m.target != "cuda")
    return error("cuda", "is only for \"target\": \"cuda\"");
  if (!cuda->is_object())
    return error("cuda", "is not an object");
  LOOM_RT_TRY(onlyKeys(*cuda, "cuda", {"arch", "binary", "hooks", "stream_ordered"}));
  CudaSpec &c = m.cuda;
  LOOM_RT_TRY(name(*cuda, "arch", "cuda", c.arch));
  // sm_<major><minor>[a|f]: the last digit is the minor version.
  bool sm = c.arch.rfind("sm_", 0) == 0;
  size_t digits = sm ? c.arch.find_first_not_of("0123456789", 3) : 0;
  if (digits == std::string::npos)
    digits = c.arch.size();
  std::string suffix = sm ? c.arch.substr(digits) : "";
  if (!sm || digits < 5 || digits > 6 || (suffix != "" && suffix != "a" && suffix != "f"))
    return error("cuda", "'arch' is '" + c.arch + "', not sm_<major><minor> (sm_90, sm_90a)");
  c.major = 0;
  for (size_t k = 3; k + 1 < digits; ++k)
    c.major = 10 * c.major + (c.arch[k] - '0');
  c.minor = c.arch[digits - 1] - '0';
  c.archSpecific = suffix == "a";
  LOOM_RT_TRY(name(*cuda, "binary", "cuda", c.binary));
  if (c.binary != "cubin" && c.binary != "ptx")
    return error("cuda", "'binary' is '" + c.binary + "', not cubin or ptx");
  auto hooks = cuda->find("hooks");
  if (hooks == cuda->end() || !hooks->is_array())
    return error("cuda", "'hooks' is missing or not an array");
  for (size_t i = 0; i < hooks->size(); ++i) {
    const json &h = (*hooks)[i];
    std::string at = "cuda.hooks[" + std::to_string(i) + "]";
    const std::string *n = h.is_string() ? &h.get_ref<const std::string &>() : nullptr;
    bool identifier = n && !n->empty() && !(n->front() >= '0' && n->front() <= '9');
    for (size_t k = 0; identifier && k < n->size(); ++k) {
      char ch = (*n)[k];
      identifier = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9');
    }
    if (!identifier)
      return error(at, "is not a string naming a C identifier");
    if (std::find(c.hooks.begin(), c.hooks.end(), *n) != c.hooks.end())
      return error(at, "'" + *n + "' appears twice");
    c.hooks.push_back(*n);
  }
  // Function names, checked against `functions` once those are read.
  if (auto ordered = cuda->find("stream_ordered"); ordered != cuda->end()) {
    if (!ordered->is_array())
      return error("cuda", "'stream_ordered' is not an array");
    for (size_t i = 0; i < ordered->size(); ++i) {
      const json &f = (*ordered)[i];
      if (!f.is_string() || f.get_ref<const std::string &>().empty())
        return error("cuda.stream_ordered[" + std::to_string(i) + "]",
                     "is not a function name");
      c.streamOrdered.push_back(f.get<std::string>());
    }
  }
  return Status::ok();
}

/// `buckets` (docs/artifact.md, "Shape buckets"): every entry names the
/// same dims (declared in `dims`, values from 1 to the bound value) and the
/// same plain functions; exactly one entry, the last, is the artifact's own
/// dims and maps every name to itself; no function serves two entries.
Status Parser::buckets(const json &list, Manifest &m) const {
  if (!list.is_array() || list.empty())
    return error("buckets", "is not a non-empty array");
  std::set<size_t> claimed;
  std::set<std::vector<std::pair<std::string, int64_t>>> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const json &e = list[i];
    std::string at = "buckets[" + std::to_string(i) + "]";
    if (!e.is_object())
      return error(at, "is not an object");
    LOOM_RT_TRY(onlyKeys(e, at, {"dims", "functions"}));
    auto dims = e.find("dims");
    auto fns = e.find("functions");
    if (dims == e.end() || !dims->is_object() || dims->empty() ||
        fns == e.end() || !fns->is_object() || fns->empty())
      return error(at, "needs non-empty objects 'dims' and 'functions'");
    BucketSpec b;
    bool largest = true;
    for (auto it = dims->begin(); it != dims->end(); ++it) {
      auto bound = std::find_if(m.dims.begin(), m.dims.end(),
                                [&](const auto &d) { return d.first == it.key(); });
      uint64_t v;
      if (bound == m.dims.end())
        return error(at, "dim '" + it.key() + "' is not in 'dims'");
      if (!readIndex(it.value(), v) || v == 0 || static_cast<int64_t>(v) > bound->second)
        return error(at + ".dims." + it.key(),
                     "is not an integer from 1 to " + std::to_string(bound->second));
      b.dims.emplace_back(it.key(), static_cast<int64_t>(v));
      if (__builtin_mul_overflow(b.volume, static_cast<int64_t>(v), &b.volume))
        return error(at, "its dims overflow");
      largest &= static_cast<int64_t>(v) == bound->second;
    }
    if (i > 0) {
      const BucketSpec &first = m.buckets[0];
      bool sameDims = first.dims.size() == b.dims.size();
      for (size_t k = 0; sameDims && k < b.dims.size(); ++k)
        sameDims = first.dims[k].first == b.dims[k].first;
      if (!sameDims)
        return error(at, "names other dims than buckets[0]");
    }
    if (!seen.insert(b.dims).second)
      return error(at, "repeats the dims of an earlier entry");
    if (largest != (i + 1 == list.size()))
      return error(at, largest ? "is the artifact's own dims but not the last entry"
                               : "the last entry must be the artifact's own dims");
    for (auto it = fns->begin(); it != fns->end(); ++it) {
      int plain = m.findFunction(it.key());
      if (plain < 0)
        return error(at + ".functions", "'" + it.key() + "' is not in 'functions'");
      int fi = it->is_string() ? m.findFunction(it->get_ref<const std::string &>()) : -1;
      if (fi < 0)
        return error(at + ".functions." + it.key(),
                     "does not name a function of 'functions'");
      if (largest && fi != plain)
        return error(at + ".functions." + it.key(),
                     "the largest bucket must run the plain function itself");
      if (!claimed.insert(static_cast<size_t>(fi)).second)
        return error(at + ".functions." + it.key(),
                     "names a function another entry already names");
      if (i > 0 && m.buckets[0].functions.size() > b.functions.size() &&
          m.buckets[0].functions[b.functions.size()].first != it.key())
        return error(at + ".functions", "lists other functions than buckets[0]");
      b.functions.emplace_back(it.key(), static_cast<size_t>(fi));
    }
    if (i > 0 && b.functions.size() != m.buckets[0].functions.size())
      return error(at + ".functions", "lists other functions than buckets[0]");
    m.buckets.push_back(std::move(b));
  }
  // Which function runs for which: the plain name lists its buckets,
  // smallest volume first (a manifest may list them in any order but the
  // last).
  std::vector<size_t> order(m.buckets.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return m.buckets[a].volume < m.buckets[b].volume;
  });
  for (size_t bi : order)
    for (const auto &[name, fi] : m.buckets[bi].functions) {
      m.functions[fi].bucket = static_cast<int>(bi);
      m.functions[static_cast<size_t>(m.findFunction(name))].buckets.push_back(fi);
    }
  for (const auto &[name, fi] : m.buckets.back().functions)
    if (m.functions[fi].buckets.back() != fi)
      return error("buckets", "a smaller bucket is as large as the last one");
  // Every bucket function takes what its plain function takes, and an
  // input's bucketed dims are those some bucket takes smaller.
  for (InputSpec &in : m.inputs)
    in.bucketed.assign(in.shape.size(), false);
  for (const FunctionSpec &plain : m.functions)
    for (size_t fi : plain.buckets) {
      const FunctionSpec &f = m.functions[fi];
      bool same = f.slots.size() == plain.slots.size() &&
                  f.outputs.size() == plain.outputs.size();
      for (size_t k = 0; same && k < f.slots.size(); ++k)
        same = f.slots[k].kind == plain.slots[k].kind &&
               f.slots[k].index == plain.slots[k].index;
      if (!same)
        return error("buckets", "function '" + f.name + "' takes other slots than '" +
                                    plain.name + "'");
      for (const SlotSpec &slot : f.slots)
        if (slot.kind == SlotSpec::Kind::Input) {
          InputSpec &in = m.inputs[slot.index];
          for (size_t d = 0; d < in.shape.size(); ++d)
            if (slot.shape[d] != in.shape[d])
              in.bucketed[d] = true;
        }
    }
  return Status::ok();
}

} // namespace

Status parseManifest(const std::string &text, const std::string &fileName,
                     Manifest &out) {
  out = Manifest();
  return Parser(fileName).parse(text, out);
}

} // namespace loom::rt
