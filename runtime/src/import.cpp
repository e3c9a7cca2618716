//===- import.cpp - parameters from another framework's checkpoint --------===//
//
// Session::importWeights: a Hugging Face-style safetensors checkpoint (one
// file, a directory holding model.safetensors, or a sharded checkpoint's
// model.safetensors.index.json) renamed onto the artifact's parameters by
// one of the spec's checkpoint maps (manifest "checkpoints"). A checkpoint
// tensor's name is tried as it is and then without each prefix a `strip`
// rule names (GPT2LMHeadModel's "transformer."); an `ignore` rule matching
// any of them drops the tensor; otherwise, per name, the renaming rules are
// tried in order and one applies when its result names a parameter (or a
// tied alias), so one map serves checkpoints with and without a prefix
// ("*" -> "bert.*" leaves "bert.pooler..." alone); a name no rule renames
// is looked up as it is.
// Tensors are converted to the parameter's dtype (F64, F32, F16, BF16) and
// transposed where the rule says so. Nothing is copied until everything
// matched.
//
//===----------------------------------------------------------------------===//
#include "messages.h"
#include "session.h"

#include "loom/formats/dtype.h"
#include "loom/formats/io.h"
#include "loom/formats/name_pattern.h"
#include "loom/formats/safetensors.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace loom::rt {

namespace {

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool isFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The safetensors files PATH stands for: itself, or a directory's
/// model.safetensors, or the shards a model.safetensors.index.json names.
Status checkpointFiles(const std::string &path, std::vector<std::string> &files) {
  std::string index;
  if (isDirectory(path)) {
    std::string dir = path.back() == '/' ? path : path + "/";
    if (isFile(dir + "model.safetensors")) {
      files.push_back(dir + "model.safetensors");
      return Status::ok();
    }
    if (!isFile(dir + "model.safetensors.index.json"))
      return Status::error(
          LOOM_ERR_IO, "checkpoint directory '" + path +
                           "' holds neither model.safetensors nor "
                           "model.safetensors.index.json (only safetensors "
                           "checkpoints are read: convert a pytorch_model.bin "
                           "with safetensors' convert script)");
    index = dir + "model.safetensors.index.json";
  } else if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
    index = path;
  } else {
    files.push_back(path);
    return Status::ok();
  }
  std::ifstream in(index);
  std::stringstream text;
  text << in.rdbuf();
  if (!in)
    return Status::error(LOOM_ERR_IO, "cannot read '" + index + "'");
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  auto map = j.is_object() ? j.find("weight_map") : j.end();
  if (j.is_discarded() || map == j.end() || !map->is_object())
    return Status::error(LOOM_ERR_FORMAT, "'" + index +
                                              "' is not a safetensors index "
                                              "(no \"weight_map\" object)");
  std::string dir = index.substr(0, index.rfind('/') + 1);
  std::set<std::string> seen;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it->is_string())
      return Status::error(LOOM_ERR_FORMAT, "'" + index + "': weight_map['" +
                                                it.key() + "'] is not a file name");
    const std::string &f = it->get_ref<const std::string &>();
    if (f.empty() || f.find('/') != std::string::npos || f == "..")
      return Status::error(LOOM_ERR_FORMAT, "'" + index + "': shard '" + f +
                                                "' is not a file beside the index");
    if (seen.insert(f).second)
      files.push_back(dir + f);
  }
  if (files.empty())
    return Status::error(LOOM_ERR_FORMAT, "'" + index + "' names no shard");
  return Status::ok();
}

bool floatDTypeOf(const std::string &st, loom_dtype &out, bool &isF64) {
  isF64 = st == "F64";
  if (isF64 || st == "F32")
    out = LOOM_DTYPE_F32;
  else if (st == "F16")
    out = LOOM_DTYPE_F16;
  else if (st == "BF16")
    out = LOOM_DTYPE_BF16;
  else
    return false;
  return true;
}

/// Element i of a float checkpoint tensor as a float.
float readElement(const uint8_t *p, const std::string &dtype, size_t i) {
  if (dtype == "F64") {
    double v;
    std::memcpy(&v, p + 8 * i, 8);
    return static_cast<float>(v);
  }
  loom_dtype t;
  bool f64;
  floatDTypeOf(dtype, t, f64);
  return static_cast<float>(elementAsDouble(p, t, i));
}

void writeElement(uint8_t *p, loom_dtype t, size_t i, float v) {
  switch (t) {
  case LOOM_DTYPE_F32: std::memcpy(p + 4 * i, &v, 4); break;
  case LOOM_DTYPE_F16: { uint16_t h = floatToHalf(v); std::memcpy(p + 2 * i, &h, 2); break; }
  case LOOM_DTYPE_BF16: { uint16_t h = floatToBf16(v); std::memcpy(p + 2 * i, &h, 2); break; }
  default: break;
  }
}

/// A checkpoint tensor bound to a parameter.
struct Binding {
  const SafetensorsTensor *tensor;
  bool transpose;
};

} // namespace

Status Session::importWeights(const std::string &path, const std::string &mapName,
                              uint32_t flags, std::string &report) {
  if (flags & ~uint32_t(LOOM_LOAD_ALLOW_EXTRA | LOOM_LOAD_ALLOW_MISSING))
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "unknown loom_import_weights flags " + std::to_string(flags));
  const Manifest &m = manifest();
  if ((flags & LOOM_LOAD_ALLOW_MISSING) && !paramsSet_)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "LOOM_LOAD_ALLOW_MISSING keeps the current values of "
                         "parameters the checkpoint lacks: initialize them "
                         "first (loom_init_params)");
  const CheckpointMap *map = nullptr;
  if (!mapName.empty()) {
    for (const CheckpointMap &c : m.checkpoints)
      if (c.name == mapName)
        map = &c;
    if (!map) {
      std::vector<std::string> names;
      for (const CheckpointMap &c : m.checkpoints)
        names.push_back(c.name);
      return Status::error(LOOM_ERR_NOT_FOUND,
                           "the model has no checkpoint map '" + mapName + "'" +
                               (names.empty() ? std::string(" (its spec declares none)")
                                              : " (it has " + nameList(names) + ")"));
    }
  } else if (!m.checkpoints.empty()) {
    map = &m.checkpoints.front();
  }

  std::vector<std::string> files;
  LOOM_RT_TRY(checkpointFiles(path, files));
  std::vector<std::unique_ptr<MappedFile>> mapped;
  std::vector<SafetensorsFile> parsed(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    mapped.push_back(std::make_unique<MappedFile>());
    LOOM_RT_TRY(mapped.back()->open(files[i]));
    LOOM_RT_TRY(parseSafetensors(mapped.back()->data(), mapped.back()->size(),
                                 files[i], parsed[i]));
  }

  std::vector<std::vector<Binding>> found(m.params.size());
  std::vector<std::string> extra, ignored, misshaped, conflicting, missing;
  size_t renamed = 0, transposed = 0, converted = 0, total = 0;
  std::vector<std::string> caps;
  for (const SafetensorsFile &file : parsed)
    for (const SafetensorsTensor &t : file.tensors) {
      ++total;
      // The name itself, then without each prefix a strip rule names.
      std::vector<std::string> names{t.name};
      for (size_t r = 0; map && r < map->rules.size(); ++r) {
        const std::string &prefix = map->rules[r].from;
        if (map->rules[r].strip && t.name.size() > prefix.size() &&
            t.name.compare(0, prefix.size(), prefix) == 0)
          names.push_back(t.name.substr(prefix.size()));
      }
      bool drop = false;
      for (size_t r = 0; map && r < map->rules.size() && !drop; ++r)
        for (const std::string &n : names)
          if (map->rules[r].ignore &&
              (drop = formats::matchNamePattern(map->rules[r].from, n, caps)))
            break;
      if (drop) {
        ignored.push_back(t.name);
        continue;
      }
      int index = -1;
      bool transpose = false;
      for (size_t k = 0; k < names.size() && index < 0; ++k) {
        for (size_t r = 0; map && r < map->rules.size() && index < 0; ++r) {
          const CheckpointRule &rule = map->rules[r];
          if (rule.ignore || rule.strip ||
              !formats::matchNamePattern(rule.from, names[k], caps))
            continue;
          index = m.findParam(formats::substituteNamePattern(rule.to, caps));
          transpose = index >= 0 && rule.transpose;
        }
        if (index < 0)
          index = m.findParam(names[k]);
      }
      if (index < 0) {
        extra.push_back(t.name);
        continue;
      }
      renamed += t.name != m.params[index].name &&
                 std::find(m.params[index].aliases.begin(),
                           m.params[index].aliases.end(),
                           t.name) == m.params[index].aliases.end();
      found[index].push_back({&t, transpose});
    }

  for (size_t i = 0; i < m.params.size(); ++i) {
    const ParamSpec &p = m.params[i];
    if (found[i].empty()) {
      missing.push_back(p.name);
      continue;
    }
    for (const Binding &b : found[i]) {
      const SafetensorsTensor &t = *b.tensor;
      loom_dtype from;
      bool f64;
      std::vector<int64_t> shape = t.shape;
      if (b.transpose && shape.size() == 2)
        std::swap(shape[0], shape[1]);
      std::string what;
      if (!floatDTypeOf(t.dtype, from, f64) || !isFloatDType(p.dtype))
        what = "dtype " + t.dtype + " cannot become " + dtypeName(p.dtype);
      else if (b.transpose && t.shape.size() != 2)
        what = "the map transposes it, but it has rank " +
               std::to_string(t.shape.size());
      else if (shape != p.shape)
        what = "checkpoint: " + t.dtype + " " + shapeString(t.shape) +
               (b.transpose ? " transposed to " + shapeString(shape) : "") +
               ", model: " + describe(p);
      if (!what.empty())
        misshaped.push_back(quote(t.name) +
                            (t.name == p.name ? "" : " (as " + quote(p.name) + ")") +
                            " (" + what + ")");
    }
  }
  if (!misshaped.empty() || (!extra.empty() && !(flags & LOOM_LOAD_ALLOW_EXTRA)) ||
      (!missing.empty() && !(flags & LOOM_LOAD_ALLOW_MISSING))) {
    std::string msg = "checkpoint '" + path + "' does not fit artifact '" +
                      artifact_->dir() + "'" +
                      (map ? " with checkpoint map '" + map->name + "'" : "");
    if (!missing.empty() && !(flags & LOOM_LOAD_ALLOW_MISSING))
      msg += "; missing tensors (allow them to keep their initialization "
             "with --allow-missing): " + nameList(missing);
    if (!extra.empty() && !(flags & LOOM_LOAD_ALLOW_EXTRA))
      msg += "; extra tensors (no parameter of the model, no ignore rule): " +
             nameList(extra);
    if (!misshaped.empty())
      msg += "; misshaped tensors: " + itemList(misshaped);
    return Status::error(LOOM_ERR_MISMATCH, msg);
  }

  // Convert into fresh buffers first: a tied pair saved with two different
  // values must fail before any parameter changes.
  std::vector<AlignedBuffer> values(m.params.size());
  for (size_t i = 0; i < m.params.size(); ++i) {
    const ParamSpec &p = m.params[i];
    if (found[i].empty())
      continue;
    for (size_t k = 0; k < found[i].size(); ++k) {
      const Binding &b = found[i][k];
      const SafetensorsTensor &t = *b.tensor;
      AlignedBuffer buf;
      LOOM_RT_TRY(buf.allocate(p.nbytes, "parameter '" + p.name + "'"));
      uint8_t *dst = static_cast<uint8_t *>(buf.data());
      bool same = t.dtype == safetensorsDTypeName(p.dtype);
      if (same && !b.transpose) {
        if (p.nbytes > 0)
          std::memcpy(dst, t.data, p.nbytes);
      } else {
        int64_t rows = b.transpose ? t.shape[0] : 1;
        int64_t cols = b.transpose ? t.shape[1] : static_cast<int64_t>(p.numel);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            size_t from = static_cast<size_t>(r * cols + c);
            size_t to = b.transpose ? static_cast<size_t>(c * rows + r) : from;
            writeElement(dst, p.dtype, to, readElement(t.data, t.dtype, from));
          }
      }
      if (k == 0) {
        transposed += b.transpose;
        converted += !same;
        values[i] = std::move(buf);
      } else if (p.nbytes > 0 &&
                 std::memcmp(buf.data(), values[i].data(), p.nbytes) != 0) {
        conflicting.push_back(quote(found[i][0].tensor->name) + " and " +
                              quote(t.name) + " (both " + quote(p.name) + ")");
      }
    }
  }
  if (!conflicting.empty())
    return Status::error(LOOM_ERR_MISMATCH,
                         "checkpoint '" + path + "': tied tensors with different "
                         "values: " + itemList(conflicting));

  for (size_t i = 0; i < m.params.size(); ++i)
    if (!found[i].empty() && m.params[i].nbytes > 0)
      std::memcpy(params_[i].data(), values[i].data(), m.params[i].nbytes);
  // A fresh optimizer on imported weights; caches start empty.
  for (size_t i = 0; i < m.state.size(); ++i)
    if (stateHeld_[i])
      std::memset(state_[i].data(), 0, m.state[i].nbytes);
  paramsSet_ = true;
  prefetchParams();

  size_t loaded = m.params.size() - missing.size();
  report = "imported " + std::to_string(loaded) + " of " +
           std::to_string(m.params.size()) + " parameters from '" + path + "'" +
           (files.size() > 1 ? " (" + std::to_string(files.size()) + " shards)" : "") +
           (map ? " with checkpoint map '" + map->name + "'" : "") + ": " +
           std::to_string(total) + " checkpoint tensors, " + std::to_string(renamed) +
           " renamed, " + std::to_string(transposed) + " transposed, " +
           std::to_string(converted) + " converted to the model's dtype";
  if (!ignored.empty())
    report += "\nignored by the map (" + std::to_string(ignored.size()) +
              "): " + nameList(ignored, 8);
  if (!extra.empty())
    report += "\nextra, not used (" + std::to_string(extra.size()) +
              "): " + nameList(extra, 8);
  if (!missing.empty())
    report += "\nmissing, initialization kept (" + std::to_string(missing.size()) +
              "): " + nameList(missing, 8);
  return Status::ok();
}

} // namespace loom::rt
