//===- session.cpp - the sessions that run an opened artifact --------------===//
// (Opening the artifact itself: artifact.cpp.)
#include "session.h"
#include "messages.h"
#include "profiler.h"
#include "threadpool.h"

#include "context.h"
#include "driver.h"
#include "hooks.h"

#include "loom/formats/dtype.h"
#include "loom/formats/io.h"
#include "loom/formats/safetensors.h"


#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace loom::rt {

namespace {

/// Copies the dense tensor `src` of shape `from` into `dst` laid out densely
/// in shape `to` (elementwise >= `from`, same rank), filling the rest with
/// the element `pad`.
void padInto(const char *src, const int64_t *from, char *dst, const int64_t *to,
             size_t rank, size_t size, const unsigned char *pad) {
  auto fill = [&](char *p, int64_t n) {
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(p + k * size, pad, size);
  };
  if (rank == 0) {
    std::memcpy(dst, src, size);
    return;
  }
  int64_t inner = 1, innerTo = 1;
  for (size_t d = 1; d < rank; ++d) {
    inner *= from[d];
    innerTo *= to[d];
  }
  if (rank == 1)
    std::memcpy(dst, src, static_cast<size_t>(from[0]) * size);
  else
    for (int64_t i = 0; i < from[0]; ++i)
      padInto(src + i * inner * size, from + 1, dst + i * innerTo * size, to + 1,
              rank - 1, size, pad);
  fill(dst + from[0] * innerTo * size, (to[0] - from[0]) * innerTo);
}

/// A CUDA session's tensors: managed memory, at one address for the host
/// (loom_param_data, checkpoints, inputs, outputs) and the GPU, which
/// keeps what it uses resident between calls.
class ManagedMemory : public Memory {
public:
  explicit ManagedMemory(cuda::Context &context) : context_(context) {}
  Status allocate(uint64_t size, const std::string &what, void *&out) override {
    return context_.allocateManaged(size, what, out);
  }
  void release(void *p) override { context_.freeManaged(p); }

private:
  cuda::Context &context_;
};

} // namespace

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

Status Session::create(std::shared_ptr<const Artifact> artifact,
                       std::unique_ptr<Session> &out) {
  std::unique_ptr<Session> s(new Session(std::move(artifact)));
  const Manifest &m = s->manifest();
  if (s->artifact_->cudaOrdinal() >= 0) {
    LOOM_RT_TRY(
        cuda::Context::create(s->artifact_->cudaDriver(), s->artifact_->cudaOrdinal(), s->cuda_));
    s->memory_ = std::make_unique<ManagedMemory>(*s->cuda_);
  }
  Memory *memory = s->memory_.get();
  std::string why;
  int threads = defaultThreadCount(&why);
  if (threads == 0)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT, why);
  LOOM_RT_TRY(s->setThreads(threads));
  s->params_.resize(m.params.size());
  for (size_t i = 0; i < m.params.size(); ++i)
    LOOM_RT_TRY(s->params_[i].allocate(m.params[i].nbytes,
                                       "parameter '" + m.params[i].name + "'", memory));
  s->inputs_.resize(m.inputs.size());
  s->inputSet_.assign(m.inputs.size(), false);
  for (size_t i = 0; i < m.inputs.size(); ++i)
    LOOM_RT_TRY(s->inputs_[i].allocate(m.inputs[i].nbytes,
                                       "input '" + m.inputs[i].name + "'", memory));
  // Shape buckets: the inputs as given wait here until run() knows the
  // bucket (docs/artifact.md, "Shape buckets"); only the host reads them.
  if (!m.buckets.empty()) {
    s->staging_.resize(m.inputs.size());
    s->given_.resize(m.inputs.size());
    for (size_t i = 0; i < m.inputs.size(); ++i) {
      LOOM_RT_TRY(s->staging_[i].allocate(m.inputs[i].nbytes,
                                          "input '" + m.inputs[i].name + "'"));
      s->given_[i] = m.inputs[i].shape;
    }
  }
  s->ranAs_.assign(m.functions.size(), -1);
  // One arena serves every function: a session runs one at a time.
  uint64_t arenaBytes = 0;
  for (const FunctionSpec &f : m.functions)
    arenaBytes = std::max(arenaBytes, f.arenaBytes);
  LOOM_RT_TRY(s->arena_.allocate(arenaBytes, "the arena", memory));

  // Optimizer state starts at zero (AdamW's m and v, SGD's momentum).
  s->state_.resize(m.state.size());
  s->stateHeld_.assign(m.state.size(), true);
  for (size_t i = 0; i < m.state.size(); ++i)
    LOOM_RT_TRY(s->state_[i].allocate(m.state[i].nbytes,
                                      "state '" + m.state[i].name + "'", memory));

  s->functions_.resize(m.functions.size());
  for (size_t fi = 0; fi < m.functions.size(); ++fi) {
    const FunctionSpec &f = m.functions[fi];
    FunctionState &state = s->functions_[fi];
    state.outputs.resize(f.outputs.size());
    // An output written in place lives in its parameter or state tensor.
    std::vector<bool> inPlace(f.outputs.size());
    for (const UpdateSpec &u : f.updates)
      inPlace[u.output] = u.inPlace;
    for (size_t i = 0; i < f.outputs.size(); ++i)
      if (!inPlace[i])
        LOOM_RT_TRY(state.outputs[i].allocate(
            f.outputs[i].nbytes,
            "output '" + f.outputs[i].name + "' of '" + f.name + "'", memory));
    state.slots.resize(f.slots.size());
  }
  s->bindSlots();
  out = std::move(s);
  return Status::ok();
}

void Session::bindSlots() {
  const Manifest &m = manifest();
  for (size_t fi = 0; fi < m.functions.size(); ++fi) {
    const FunctionSpec &f = m.functions[fi];
    FunctionState &state = functions_[fi];
    for (size_t i = 0; i < f.slots.size(); ++i) {
      const SlotSpec &slot = f.slots[i];
      void *p = nullptr;
      switch (slot.kind) {
      case SlotSpec::Kind::Param: p = params_[slot.index].data(); break;
      case SlotSpec::Kind::Input: p = inputs_[slot.index].data(); break;
      case SlotSpec::Kind::State: p = state_[slot.index].data(); break;
      case SlotSpec::Kind::Output: p = state.outputs[slot.index].data(); break;
      case SlotSpec::Kind::Arena: p = arena_.data(); break;
      }
      state.slots[i] = p;
    }
  }
}

Status Session::initParams(uint64_t seed) {
  const Manifest &m = manifest();
  for (size_t i = 0; i < m.params.size(); ++i)
    fillInit(m.params[i].init, seed, m.params[i].name, m.params[i].dtype,
             m.params[i].numel, params_[i].data());
  for (size_t i = 0; i < m.state.size(); ++i)
    if (stateHeld_[i])
      std::memset(state_[i].data(), 0, m.state[i].nbytes);
  paramsSet_ = true;
  prefetchParams();
  return Status::ok();
}

void Session::prefetchParams() {
  if (!cuda_)
    return;
  std::vector<std::pair<const void *, uint64_t>> blocks;
  for (const AlignedBuffer &p : params_)
    blocks.emplace_back(p.data(), p.size());
  for (size_t i = 0; i < state_.size(); ++i)
    if (stateHeld_[i])
      blocks.emplace_back(state_[i].data(), state_[i].size());
  cuda_->prefetch(blocks);
}

Status Session::loadWeights(const std::string &path, uint32_t flags) {
  if (flags & ~uint32_t(LOOM_LOAD_ALLOW_EXTRA | LOOM_LOAD_REQUIRE_STATE))
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "unknown loom_load_weights flags " + std::to_string(flags));
  MappedFile file;
  LOOM_RT_TRY(file.open(path));
  SafetensorsFile st;
  LOOM_RT_TRY(parseSafetensors(file.data(), file.size(), path, st));

  // Check everything before copying anything: a failed load leaves the
  // parameters as they were.
  const Manifest &m = manifest();
  std::vector<std::vector<const SafetensorsTensor *>> found(m.params.size());
  std::vector<std::string> missing, extra, misshaped, conflicting;
  // Optimizer state (names "optim.*"): loaded when the artifact has that
  // state, ignored when it has none (a training checkpoint used for
  // inference). A file without any state leaves the state at zero (a fresh
  // optimizer on given weights).
  // Key/value caches ("cache": true) are the session's scratch: neither
  // loaded nor saved, and a file's tensors of that name are extra.
  std::vector<const SafetensorsTensor *> stateFound(m.state.size(), nullptr);
  size_t numState = 0, numOptimizerState = 0;
  for (const TensorSpec &spec : m.state)
    numOptimizerState += !spec.cache;
  for (const SafetensorsTensor &t : st.tensors) {
    int i = m.findParam(t.name);
    if (i >= 0) {
      found[i].push_back(&t);
      continue;
    }
    if (int si = m.findState(t.name); si >= 0 && !m.state[si].cache) {
      stateFound[si] = &t;
      ++numState;
      continue;
    }
    if (numOptimizerState == 0 && t.name.rfind("optim.", 0) == 0)
      continue;
    extra.push_back(t.name);
  }
  for (size_t i = 0; i < m.params.size(); ++i) {
    const ParamSpec &p = m.params[i];
    if (found[i].empty()) {
      missing.push_back(p.name);
      continue;
    }
    bool shapeOk = true;
    for (const SafetensorsTensor *t : found[i])
      if (t->dtype != safetensorsDTypeName(p.dtype) || t->shape != p.shape) {
        shapeOk = false;
        misshaped.push_back(
            quote(t->name) +
            (t->name == p.name ? " (" : " (alias of " + quote(p.name) + "; ") +
            "file: " + t->dtype + " " + shapeString(t->shape) +
            ", manifest: " + describe(p) + ")");
      }
    // A tied parameter saved under two names must hold one value.
    for (size_t k = 1; shapeOk && k < found[i].size(); ++k)
      if (std::memcmp(found[i][k]->data, found[i][0]->data,
                      found[i][0]->nbytes()) != 0)
        conflicting.push_back(quote(found[i][0]->name) + " and " +
                              quote(found[i][k]->name));
  }
  for (size_t i = 0; numState > 0 && i < m.state.size(); ++i) {
    const TensorSpec &spec = m.state[i];
    const SafetensorsTensor *t = stateFound[i];
    if (spec.cache)
      continue;
    if (!t)
      missing.push_back(spec.name);
    else if (t->dtype != safetensorsDTypeName(spec.dtype) || t->shape != spec.shape)
      misshaped.push_back(quote(t->name) + " (file: " + t->dtype + " " +
                          shapeString(t->shape) + ", manifest: " +
                          describe(spec) + ")");
  }
  if (flags & LOOM_LOAD_ALLOW_EXTRA)
    extra.clear();
  if (!missing.empty() || !extra.empty() || !misshaped.empty() ||
      !conflicting.empty()) {
    std::string msg = "weights '" + path + "' do not match artifact '" +
                      artifact_->dir() + "'";
    if (!missing.empty())
      msg += "; missing tensors: " + nameList(missing);
    if (!extra.empty())
      msg += "; extra tensors (not parameters of the model): " + nameList(extra);
    if (!misshaped.empty())
      msg += "; misshaped tensors: " + itemList(misshaped);
    if (!conflicting.empty())
      msg += "; tied names with different values: " + itemList(conflicting);
    return Status::error(LOOM_ERR_MISMATCH, msg);
  }
  // Only once the weights themselves fit (another model's file is reported
  // by its tensors above).
  if ((flags & LOOM_LOAD_REQUIRE_STATE) && numState == 0 && numOptimizerState > 0)
    return Status::error(LOOM_ERR_MISMATCH,
                         "weights '" + path + "' hold no optimizer state (" +
                             std::to_string(numOptimizerState) +
                             " optim.* tensors expected): not a training "
                             "checkpoint of this artifact");
  for (size_t i = 0; i < m.params.size(); ++i)
    if (m.params[i].nbytes > 0)
      std::memcpy(params_[i].data(), found[i][0]->data, m.params[i].nbytes);
  for (size_t i = 0; i < m.state.size(); ++i) {
    if (!stateHeld_[i])
      continue;
    if (numState == 0 || m.state[i].cache)
      std::memset(state_[i].data(), 0, m.state[i].nbytes);
    else if (m.state[i].nbytes > 0)
      std::memcpy(state_[i].data(), stateFound[i]->data, m.state[i].nbytes);
  }
  paramsSet_ = true;
  prefetchParams();
  return Status::ok();
}

Status Session::saveWeights(const std::string &path) const {
  const Manifest &m = manifest();
  std::vector<SafetensorsEntry> entries;
  for (size_t i = 0; i < m.params.size(); ++i)
    entries.push_back({m.params[i].name, safetensorsDTypeName(m.params[i].dtype),
                       m.params[i].shape, params_[i].data(), m.params[i].nbytes});
  std::vector<std::pair<std::string, std::string>> metadata{{"producer", "loom"}};
  if (!m.model.empty())
    metadata.emplace_back("model", m.model);
  Status s = writeSafetensors(path, entries, metadata);
  if (!s.isOk() && s.code() != LOOM_ERR_IO)
    return Status::error(s.code(), "cannot write '" + path + "': " + s.message());
  return s;
}

Status Session::saveCheckpoint(
    const std::string &path,
    const std::vector<std::pair<std::string, std::string>> &extra) const {
  const Manifest &m = manifest();
  std::vector<SafetensorsEntry> entries;
  for (size_t i = 0; i < m.params.size(); ++i)
    entries.push_back({m.params[i].name, safetensorsDTypeName(m.params[i].dtype),
                       m.params[i].shape, params_[i].data(), m.params[i].nbytes});
  for (size_t i = 0; i < m.state.size(); ++i)
    if (!m.state[i].cache && !stateHeld_[i])
      return Status::error(LOOM_ERR_STATE,
                           "cannot write checkpoint '" + path + "': state '" +
                               m.state[i].name +
                               "' is not held by this session (released)");
  for (size_t i = 0; i < m.state.size(); ++i)
    if (!m.state[i].cache)
      entries.push_back({m.state[i].name, safetensorsDTypeName(m.state[i].dtype),
                         m.state[i].shape, state_[i].data(), m.state[i].nbytes});
  std::vector<std::pair<std::string, std::string>> metadata{{"producer", "loom"}};
  if (!m.model.empty())
    metadata.emplace_back("model", m.model);
  for (const auto &kv : extra) {
    if (kv.first == "producer" || kv.first == "model")
      return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                           "checkpoint metadata key '" + kv.first + "' is reserved");
    metadata.push_back(kv);
  }
  Status s = writeSafetensors(path, entries, metadata);
  if (!s.isOk() && s.code() != LOOM_ERR_IO)
    return Status::error(s.code(), "cannot write '" + path + "': " + s.message());
  return s;
}

Status Session::param(const std::string &name, const TensorSpec *&spec,
                      void *&data) {
  int i = manifest().findParam(name);
  if (i < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no parameter '" + name + "'");
  spec = &manifest().params[i];
  data = params_[i].data();
  return Status::ok();
}

Status Session::state(const std::string &name, const TensorSpec *&spec,
                      void *&data) {
  int i = manifest().findState(name);
  if (i < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no state tensor '" + name + "'");
  if (!stateHeld_[i])
    return Status::error(LOOM_ERR_STATE, "state '" + name +
                                             "' is not held by this session (released)");
  spec = &manifest().state[i];
  data = state_[i].data();
  return Status::ok();
}

Status Session::inputData(const std::string &name, const TensorSpec *&spec,
                          void *&data) {
  const Manifest &m = manifest();
  int i = m.findInput(name);
  if (i < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no input '" + name + "'");
  const InputSpec &t = m.inputs[i];
  if (t.range.present)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "input '" + name + "' is range-checked (it indexes a tensor): "
                         "set it with loom_set_input");
  if (!staging_.empty())
    return Status::error(LOOM_ERR_STATE, "input '" + name +
                                             "' of a bucketed artifact is laid out by "
                                             "loom_run: set it with loom_set_input");
  inputSet_[i] = true;
  spec = &t;
  data = inputs_[i].data();
  return Status::ok();
}

Status Session::holdState(const std::string &name, bool hold) {
  const Manifest &m = manifest();
  int i = m.findState(name);
  if (i < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no state tensor '" + name + "'");
  if (hold == stateHeld_[i])
    return Status::ok();
  if (hold)
    LOOM_RT_TRY(state_[i].allocate(m.state[i].nbytes, "state '" + name + "'", memory_.get()));
  else
    state_[i] = AlignedBuffer();
  stateHeld_[i] = hold;
  bindSlots();
  return Status::ok();
}

Status Session::setInput(std::string_view nameView, loom_dtype dtype,
                         const int64_t *shape, int32_t rank, const void *data,
                         size_t nbytes) {
  const Manifest &m = manifest();
  int i = m.findInput(nameView);
  // Only the error paths below build strings.
  auto name = [&] { return std::string(nameView); };
  if (i < 0) {
    std::vector<std::string> names;
    for (const TensorSpec &t : m.inputs)
      names.push_back(t.name);
    return Status::error(LOOM_ERR_NOT_FOUND,
                         "artifact '" + artifact_->dir() + "' has no input '" +
                             name() + "'" +
                             (names.empty() ? " (it takes none)"
                                            : " (inputs: " + nameList(names) + ")"));
  }
  const InputSpec &t = m.inputs[i];
  if (rank < 0 || (rank > 0 && !shape) || (nbytes > 0 && !data))
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "input '" + name() + "': null shape or data, or negative rank");
  bool sameShape = static_cast<size_t>(rank) == t.shape.size() &&
                   std::equal(t.shape.begin(), t.shape.end(), shape);
  // A bucketed artifact takes any size up to the largest bucket's along
  // the bucketed dims; the other dims must match.
  bool fits = !sameShape && !t.bucketed.empty() &&
              static_cast<size_t>(rank) == t.shape.size() && dtype == t.dtype;
  for (size_t d = 0; fits && d < t.shape.size(); ++d)
    fits = shape[d] == t.shape[d] ||
           (t.bucketed[d] && shape[d] >= 0 && shape[d] < t.shape[d]);
  if (fits) {
    sameShape = true;
  } else if (!sameShape && !t.bucketed.empty() && dtype == t.dtype &&
             static_cast<size_t>(rank) == t.shape.size()) {
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (shape[d] == t.shape[d] || (t.bucketed[d] && shape[d] >= 0 && shape[d] < t.shape[d]))
        continue;
      return Status::error(
          LOOM_ERR_MISMATCH,
          "input '" + name() + "': got " + dtypeName(dtype) + " " +
              shapeString(std::vector<int64_t>(shape, shape + rank)) + "; dim " +
              std::to_string(d) + " is " + std::to_string(shape[d]) + ", but " +
              (t.bucketed[d] ? "the largest shape bucket takes at most " +
                                   std::to_string(t.shape[d])
                             : "it is not a bucketed dim and must be " +
                                   std::to_string(t.shape[d])) +
              " (the artifact takes up to " + describe(t) + ")");
    }
  }
  if (!dtypeName(dtype) || dtype != t.dtype || !sameShape)
    return Status::error(LOOM_ERR_MISMATCH,
                         "input '" + name() + "': got " +
                             (dtypeName(dtype) ? dtypeName(dtype) : "an unknown dtype") +
                             " " + shapeString(std::vector<int64_t>(shape, shape + rank)) +
                             ", the artifact takes " +
                             describe(t));
  int64_t numel = 1;
  for (int32_t d = 0; d < rank; ++d)
    numel *= shape[d];
  uint64_t expected = static_cast<uint64_t>(numel) * dtypeSize(t.dtype);
  if (nbytes != expected)
    return Status::error(LOOM_ERR_MISMATCH,
                         "input '" + name() + "': got " + std::to_string(nbytes) +
                             " bytes, " + dtypeName(t.dtype) + " " +
                             shapeString(std::vector<int64_t>(shape, shape + rank)) +
                             " is " + std::to_string(expected));
  // Indices are checked before a kernel trusts them (an embedding row or a
  // class out of range would be read out of bounds).
  if (t.range.present)
    LOOM_RT_TRY(checkRange(name(), t, shape, numel, data));
  bool bucketed = !staging_.empty();
  if (nbytes > 0)
    std::memcpy((bucketed ? staging_ : inputs_)[i].data(), data, nbytes);
  if (bucketed)
    std::copy(shape, shape + rank, given_[i].begin());
  inputSet_[i] = true;
  return Status::ok();
}

Status Session::checkRange(const std::string &input, const InputSpec &t,
                           const int64_t *shape, int64_t numel,
                           const void *data) {
  const IndexRange &r = t.range;
  auto at = [&](int64_t k) -> int64_t {
    return t.dtype == LOOM_DTYPE_I32 ? static_cast<const int32_t *>(data)[k]
                                     : static_cast<const int64_t *>(data)[k];
  };
  for (int64_t k = 0; k < numel; ++k) {
    int64_t v = at(k);
    if ((v >= r.lo && v < r.hi) || (r.hasIgnore && v == r.ignore))
      continue;
    // Where: the element's index in the input's shape.
    std::string where;
    int64_t rest = k;
    std::vector<int64_t> index(t.shape.size());
    for (size_t d = t.shape.size(); d-- > 0;) {
      index[d] = shape[d] ? rest % shape[d] : 0;
      rest = shape[d] ? rest / shape[d] : 0;
    }
    for (int64_t x : index)
      where += (where.empty() ? "" : ", ") + std::to_string(x);
    return Status::error(
        LOOM_ERR_INVALID_ARGUMENT,
        "input '" + input + "': element [" + where + "] is " + std::to_string(v) +
            ", outside the valid range [" + std::to_string(r.lo) + ", " +
            std::to_string(r.hi) + ")" +
            (r.hasIgnore ? " (or " + std::to_string(r.ignore) + ", ignored)" : "") +
            (r.of.empty() ? "" : " of " + r.of));
  }
  return Status::ok();
}

Status Session::run(std::string_view functionView) {
  const Manifest &m = manifest();
  int fi = m.findFunction(functionView);
  auto function = [&] { return std::string(functionView); };
  if (fi < 0) {
    std::vector<std::string> names;
    for (const FunctionSpec &f : m.functions)
      names.push_back(f.name);
    return Status::error(LOOM_ERR_NOT_FOUND,
                         "artifact '" + artifact_->dir() + "' has no function '" +
                             function() + "' (functions: " + nameList(names) + ")");
  }
  size_t plain = static_cast<size_t>(fi);
  if (!staging_.empty()) {
    size_t chosen;
    LOOM_RT_TRY(prepareBucket(plain, functionView, chosen));
    fi = static_cast<int>(chosen);
  }
  const FunctionSpec &f = m.functions[fi];
  for (const SlotSpec &slot : f.slots) {
    if (slot.kind == SlotSpec::Kind::Param && !paramsSet_)
      return Status::error(LOOM_ERR_STATE,
                           "cannot run '" + function() +
                               "': parameters are not set (initialize or load "
                               "weights first)");
    if (slot.kind == SlotSpec::Kind::State && !paramsSet_)
      return Status::error(LOOM_ERR_STATE,
                           "cannot run '" + function() +
                               "': parameters are not set (initialize or load "
                               "weights first)");
    if (slot.kind == SlotSpec::Kind::State && !stateHeld_[slot.index])
      return Status::error(LOOM_ERR_STATE, "cannot run '" + function() +
                                               "': state '" +
                                               m.state[slot.index].name +
                                               "' is released (loom_session_hold_state)");
    if (slot.kind == SlotSpec::Kind::Input && !inputSet_[slot.index])
      return Status::error(LOOM_ERR_STATE, "cannot run '" + function() +
                                               "': input '" +
                                               m.inputs[slot.index].name +
                                               "' is not set");
  }
  FunctionState &state = functions_[fi];
  Status called;
  if (profiler_) {
    profiler_->setFunction(fi);
    int64_t begin = profiler_->now();
    {
      CurrentPool current(pool_.get());
      CurrentProfiler profiling(profiler_.get());
      called = invoke(fi, state);
    }
    profiler_->call(fi, begin, profiler_->now());
  } else {
    // Kernels dispatched from this call run on this session's pool.
    CurrentPool current(pool_.get());
    called = invoke(fi, state);
  }
  LOOM_RT_TRY(called);
  state.ran = true;
  ranAs_[plain] = fi;
  ranAs_[fi] = fi;
  // A training step's new parameters and state replace the old: written in
  // place by the call, or in buffers of their own, swapped in here (the
  // output then holds the previous values) with the slots re-pointed.
  bool swapped = false;
  for (const UpdateSpec &u : f.updates)
    if (!u.inPlace) {
      std::swap(u.isParam ? params_[u.target] : state_[u.target],
                state.outputs[u.output]);
      swapped = true;
    }
  if (swapped)
    bindSlots();
  return Status::ok();
}

Status Session::invoke(size_t fi, FunctionState &state) {
  EntryPoint entry = artifact_->entryPoint(fi);
  if (cuda_)
    return cuda_->call(fi, manifest().functions[fi].name, entry, state.slots,
                       artifact_->streamOrdered(fi));
  entry(state.slots.data());
  return Status::ok();
}

void Session::setProfiling(bool enabled) {
  if (enabled)
    profiler_ = std::make_unique<Profiler>();
  else
    profiler_.reset();
}

Status Session::output(std::string_view functionView, std::string_view nameView,
                       const TensorSpec *&spec, const void *&data) const {
  const Manifest &m = manifest();
  int fi = m.findFunction(functionView);
  auto function = [&] { return std::string(functionView); };
  auto name = [&] { return std::string(nameView); };
  if (fi < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no function '" +
                                                 function() + "'");
  // A bucketed function's outputs are those of the bucket that ran, in
  // its (padded) shapes.
  if (ranAs_[fi] >= 0)
    fi = ranAs_[fi];
  const FunctionSpec &f = m.functions[fi];
  int oi = f.findOutput(nameView);
  if (oi < 0) {
    std::vector<std::string> names;
    for (const TensorSpec &t : f.outputs)
      names.push_back(t.name);
    return Status::error(LOOM_ERR_NOT_FOUND,
                         "function '" + function() + "' has no output '" + name() +
                             "'" +
                             (names.empty() ? "" : " (outputs: " + nameList(names) + ")"));
  }
  if (!functions_[fi].ran)
    return Status::error(LOOM_ERR_STATE, "function '" + function() +
                                             "' has not run yet");
  spec = &f.outputs[oi];
  data = functions_[fi].outputs[oi].data();
  // An output that updated a parameter or state tensor was written over it
  // or swapped into it after the run: the new values live there now.
  for (const UpdateSpec &u : f.updates)
    if (u.output == static_cast<size_t>(oi))
      data = (u.isParam ? params_[u.target] : state_[u.target]).data();
  return Status::ok();
}

Status Session::ranFunction(std::string_view function,
                            const std::string *&name) const {
  const Manifest &m = manifest();
  int fi = m.findFunction(function);
  if (fi < 0)
    return Status::error(LOOM_ERR_NOT_FOUND, "artifact '" + artifact_->dir() +
                                                 "' has no function '" +
                                                 std::string(function) + "'");
  if (ranAs_[fi] < 0)
    return Status::error(LOOM_ERR_STATE,
                         "function '" + std::string(function) + "' has not run yet");
  name = &m.functions[ranAs_[fi]].name;
  return Status::ok();
}

Status Session::prepareBucket(size_t fi, std::string_view function,
                              size_t &chosen) {
  const Manifest &m = manifest();
  const FunctionSpec &plain = m.functions[fi];
  // Whether every input `f` takes, as given, fits its slot's shape.
  auto holds = [&](const FunctionSpec &f) {
    for (const SlotSpec &slot : f.slots)
      if (slot.kind == SlotSpec::Kind::Input && inputSet_[slot.index])
        for (size_t d = 0; d < slot.shape.size(); ++d)
          if (given_[slot.index][d] > slot.shape[d])
            return false;
    return true;
  };
  chosen = fi;
  if (!plain.buckets.empty()) {
    auto it = std::find_if(plain.buckets.begin(), plain.buckets.end(),
                           [&](size_t b) { return holds(m.functions[b]); });
    // The last bucket is the inputs' own shape, which setInput enforced.
    chosen = it == plain.buckets.end() ? plain.buckets.back() : *it;
  }
  const FunctionSpec &f = m.functions[chosen];
  if (!holds(f))
    for (const SlotSpec &slot : f.slots)
      if (slot.kind == SlotSpec::Kind::Input && inputSet_[slot.index] &&
          given_[slot.index] != slot.shape &&
          !std::equal(given_[slot.index].begin(), given_[slot.index].end(),
                      slot.shape.begin(),
                      [](int64_t g, int64_t s) { return g <= s; }))
        return Status::error(
            LOOM_ERR_MISMATCH,
            "cannot run '" + std::string(function) + "': input '" +
                m.inputs[slot.index].name + "' is " +
                shapeString(given_[slot.index]) + ", larger than the " +
                shapeString(slot.shape) + " function '" + f.name + "' takes");
  // Lay every input out in the bucket's shape: integers padded with their
  // ignore value (a cross-entropy skips the padding) or 0, masks with
  // false, floats with 0.
  for (const SlotSpec &slot : f.slots) {
    if (slot.kind != SlotSpec::Kind::Input || !inputSet_[slot.index])
      continue;
    const InputSpec &in = m.inputs[slot.index];
    size_t size = dtypeSize(in.dtype);
    unsigned char pad[8] = {};
    if (in.range.hasIgnore && in.dtype == LOOM_DTYPE_I32) {
      int32_t v = static_cast<int32_t>(in.range.ignore);
      std::memcpy(pad, &v, sizeof v);
    } else if (in.range.hasIgnore && in.dtype == LOOM_DTYPE_I64) {
      std::memcpy(pad, &in.range.ignore, sizeof in.range.ignore);
    }
    padInto(static_cast<const char *>(staging_[slot.index].data()),
            given_[slot.index].data(), static_cast<char *>(inputs_[slot.index].data()),
            slot.shape.data(), slot.shape.size(), size, pad);
  }
  return Status::ok();
}

Status Session::setThreads(int threads) {
  if (threads < 1 || threads > 1024)
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "thread count " + std::to_string(threads) +
                             " is not between 1 and 1024");
  if (pool_ && pool_->threads() == threads)
    return Status::ok();
  pool_.reset(); // joins the old workers first
  if (threads > 1)
    pool_ = std::make_unique<ThreadPool>(threads);
  return Status::ok();
}

int Session::threads() const { return pool_ ? pool_->threads() : 1; }

Session::Session(std::shared_ptr<const Artifact> a) : artifact_(std::move(a)) {}
Session::~Session() = default;

} // namespace loom::rt
