//===- capi.cpp - the C ABI (loom/runtime.h) over the C++ classes ----------===//
//
// Every entry point checks its pointers, turns a failed Status into a
// loom_status plus the thread's last-error message, and catches anything the
// C++ library might throw (std::bad_alloc): no exception crosses the C ABI.
//
//===----------------------------------------------------------------------===//
#include "loom/runtime.h"

#include "loom/formats/dtype.h"
#include "loom/formats/safetensors.h"
#include "profiler.h"
#include "session.h"

#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct loom_artifact {
  std::shared_ptr<loom::rt::Artifact> impl;
};

struct loom_session {
  std::unique_ptr<loom::rt::Session> impl;
};

namespace {

using loom::rt::Status;

thread_local std::string lastError;

loom_status fail(loom_status code, std::string message) {
  lastError = std::move(message);
  return code;
}

loom_status report(const Status &s) {
  return s.isOk() ? LOOM_OK : fail(s.code(), s.message());
}

/// Runs BODY, mapping escaping exceptions to status codes.
template <typename Body> loom_status guarded(Body body) {
#if defined(__cpp_exceptions)
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(LOOM_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(LOOM_ERR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(LOOM_ERR_INTERNAL, "internal error: unknown exception");
  }
#else
  return body();
#endif
}

loom_status nullArgument(const char *function) {
  return fail(LOOM_ERR_INVALID_ARGUMENT,
              std::string(function) + ": a required pointer argument is NULL");
}

void fillInfo(const loom::rt::TensorSpec &t, loom_tensor_info *out) {
  out->name = t.name.c_str();
  out->dtype = t.dtype;
  out->rank = static_cast<int32_t>(t.shape.size());
  out->shape = t.shape.data();
  out->numel = t.numel;
  out->nbytes = t.nbytes;
}

const loom::rt::FunctionSpec *findFunction(const loom_artifact *a,
                                           const char *name) {
  int i = a->impl->manifest().findFunction(name);
  return i < 0 ? nullptr : &a->impl->manifest().functions[i];
}

loom_status noFunction(const loom_artifact *a, const char *name) {
  std::string names;
  for (const loom::rt::FunctionSpec &f : a->impl->manifest().functions)
    names += (names.empty() ? "'" : ", '") + f.name + "'";
  return fail(LOOM_ERR_NOT_FOUND, "artifact '" + a->impl->dir() +
                                      "' has no function '" + name +
                                      "' (functions: " + names + ")");
}

} // namespace

extern "C" {

const char *loom_last_error(void) { return lastError.c_str(); }

const char *loom_status_name(loom_status status) {
  switch (status) {
  case LOOM_OK: return "LOOM_OK";
  case LOOM_ERR_INVALID_ARGUMENT: return "LOOM_ERR_INVALID_ARGUMENT";
  case LOOM_ERR_IO: return "LOOM_ERR_IO";
  case LOOM_ERR_MANIFEST: return "LOOM_ERR_MANIFEST";
  case LOOM_ERR_LIBRARY: return "LOOM_ERR_LIBRARY";
  case LOOM_ERR_FORMAT: return "LOOM_ERR_FORMAT";
  case LOOM_ERR_MISMATCH: return "LOOM_ERR_MISMATCH";
  case LOOM_ERR_NOT_FOUND: return "LOOM_ERR_NOT_FOUND";
  case LOOM_ERR_STATE: return "LOOM_ERR_STATE";
  case LOOM_ERR_OUT_OF_MEMORY: return "LOOM_ERR_OUT_OF_MEMORY";
  case LOOM_ERR_INTERNAL: return "LOOM_ERR_INTERNAL";
  }
  return "unknown";
}

const char *loom_dtype_name(loom_dtype dtype) { return loom::rt::dtypeName(dtype); }

size_t loom_dtype_size(loom_dtype dtype) { return loom::rt::dtypeSize(dtype); }

loom_status loom_artifact_open(const char *dir, loom_artifact **out) {
  if (!dir || !out)
    return nullArgument("loom_artifact_open");
  return loom_artifact_open_device(dir, nullptr, out);
}

loom_status loom_artifact_open_device(const char *dir, const char *device,
                                      loom_artifact **out) {
  if (!dir || !out)
    return nullArgument("loom_artifact_open_device");
  *out = nullptr;
  return guarded([&] {
    std::shared_ptr<loom::rt::Artifact> a;
    if (loom_status s = report(loom::rt::Artifact::open(dir, device ? device : "", a)))
      return s;
    *out = new loom_artifact{std::move(a)};
    return LOOM_OK;
  });
}

const char *loom_artifact_target(const loom_artifact *a) {
  return a ? a->impl->manifest().target.c_str() : "";
}

const char *loom_artifact_device(const loom_artifact *a) {
  return a ? a->impl->device().c_str() : "";
}

void loom_artifact_close(loom_artifact *artifact) { delete artifact; }

const char *loom_artifact_model(const loom_artifact *a) {
  return a ? a->impl->manifest().model.c_str() : "";
}

const char *loom_artifact_tokenizer(const loom_artifact *a) {
  return a ? a->impl->manifest().tokenizer.c_str() : "";
}

size_t loom_artifact_num_params(const loom_artifact *a) {
  return a ? a->impl->manifest().params.size() : 0;
}

loom_status loom_artifact_param(const loom_artifact *a, size_t index,
                                loom_tensor_info *out) {
  if (!a || !out)
    return nullArgument("loom_artifact_param");
  if (index >= a->impl->manifest().params.size())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "parameter index " + std::to_string(index) + " is out of range");
  fillInfo(a->impl->manifest().params[index], out);
  return LOOM_OK;
}

size_t loom_artifact_num_inputs(const loom_artifact *a) {
  return a ? a->impl->manifest().inputs.size() : 0;
}

loom_status loom_artifact_input(const loom_artifact *a, size_t index,
                                loom_tensor_info *out) {
  if (!a || !out)
    return nullArgument("loom_artifact_input");
  if (index >= a->impl->manifest().inputs.size())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "input index " + std::to_string(index) + " is out of range");
  fillInfo(a->impl->manifest().inputs[index], out);
  return LOOM_OK;
}

loom_status loom_artifact_input_range(const loom_artifact *a, size_t index,
                                      int64_t *lo, int64_t *hi, int64_t *ignore) {
  if (!a || !lo || !hi)
    return nullArgument("loom_artifact_input_range");
  const auto &inputs = a->impl->manifest().inputs;
  if (index >= inputs.size())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "input index " + std::to_string(index) + " is out of range");
  const loom::rt::IndexRange &r = inputs[index].range;
  if (!r.present)
    return fail(LOOM_ERR_NOT_FOUND,
                "input '" + inputs[index].name + "' has no valid range");
  *lo = r.lo;
  *hi = r.hi;
  if (ignore)
    *ignore = r.hasIgnore ? r.ignore : INT64_MIN;
  return LOOM_OK;
}

size_t loom_artifact_num_functions(const loom_artifact *a) {
  return a ? a->impl->manifest().functions.size() : 0;
}

const char *loom_artifact_function_name(const loom_artifact *a, size_t index) {
  if (!a || index >= a->impl->manifest().functions.size())
    return nullptr;
  return a->impl->manifest().functions[index].name.c_str();
}

loom_status loom_artifact_num_outputs(const loom_artifact *a,
                                      const char *function, size_t *count) {
  if (!a || !function || !count)
    return nullArgument("loom_artifact_num_outputs");
  return guarded([&] {
    const loom::rt::FunctionSpec *f = findFunction(a, function);
    if (!f)
      return noFunction(a, function);
    *count = f->outputs.size();
    return LOOM_OK;
  });
}

loom_status loom_artifact_output(const loom_artifact *a, const char *function,
                                 size_t index, loom_tensor_info *out) {
  if (!a || !function || !out)
    return nullArgument("loom_artifact_output");
  return guarded([&] {
    const loom::rt::FunctionSpec *f = findFunction(a, function);
    if (!f)
      return noFunction(a, function);
    if (index >= f->outputs.size())
      return fail(LOOM_ERR_INVALID_ARGUMENT,
                  "output index " + std::to_string(index) + " of '" +
                      function + "' is out of range");
    fillInfo(f->outputs[index], out);
    return LOOM_OK;
  });
}

loom_status loom_session_create(const loom_artifact *a, loom_session **out) {
  if (!a || !out)
    return nullArgument("loom_session_create");
  *out = nullptr;
  return guarded([&] {
    std::unique_ptr<loom::rt::Session> s;
    if (loom_status st = report(loom::rt::Session::create(a->impl, s)))
      return st;
    *out = new loom_session{std::move(s)};
    return LOOM_OK;
  });
}

void loom_session_destroy(loom_session *session) { delete session; }

loom_status loom_session_set_threads(loom_session *s, int32_t threads) {
  if (!s)
    return nullArgument("loom_session_set_threads");
  return guarded([&] { return report(s->impl->setThreads(threads)); });
}

int32_t loom_session_threads(const loom_session *s) {
  return s ? s->impl->threads() : 0;
}

loom_status loom_session_set_profiling(loom_session *s, int32_t enabled) {
  if (!s)
    return nullArgument("loom_session_set_profiling");
  return guarded([&] {
    s->impl->setProfiling(enabled != 0);
    return LOOM_OK;
  });
}

size_t loom_session_profile_events(const loom_session *s,
                                   const loom_profile_event **events) {
  if (events)
    *events = nullptr;
  if (!s || !events || !s->impl->profiler())
    return 0;
  const auto &e = s->impl->profiler()->events();
  *events = e.data();
  return e.size();
}

void loom_session_clear_profile(loom_session *s) {
  if (s && s->impl->profiler())
    s->impl->profiler()->clear();
}

loom_status loom_init_params(loom_session *s, uint64_t seed) {
  if (!s)
    return nullArgument("loom_init_params");
  return guarded([&] { return report(s->impl->initParams(seed)); });
}

loom_status loom_load_weights(loom_session *s, const char *path, uint32_t flags) {
  if (!s || !path)
    return nullArgument("loom_load_weights");
  return guarded([&] { return report(s->impl->loadWeights(path, flags)); });
}

loom_status loom_import_weights(loom_session *s, const char *path, const char *map,
                                uint32_t flags, const char **reportOut) {
  if (!s || !path)
    return nullArgument("loom_import_weights");
  thread_local std::string text;
  return guarded([&] {
    text.clear();
    loom_status st = report(s->impl->importWeights(path, map ? map : "", flags, text));
    if (reportOut)
      *reportOut = text.c_str();
    return st;
  });
}

loom_status loom_save_weights(const loom_session *s, const char *path) {
  if (!s || !path)
    return nullArgument("loom_save_weights");
  return guarded([&] { return report(s->impl->saveWeights(path)); });
}

loom_status loom_save_checkpoint(const loom_session *s, const char *path,
                                 const char *const *keys,
                                 const char *const *values, size_t count) {
  if (!s || !path || (count > 0 && (!keys || !values)))
    return nullArgument("loom_save_checkpoint");
  return guarded([&] {
    std::vector<std::pair<std::string, std::string>> metadata;
    for (size_t i = 0; i < count; ++i) {
      if (!keys[i] || !values[i])
        return nullArgument("loom_save_checkpoint");
      metadata.emplace_back(keys[i], values[i]);
    }
    return report(s->impl->saveCheckpoint(path, metadata));
  });
}

loom_status loom_read_metadata(const char *path, const char *key,
                               const char **value) {
  if (!path || !key || !value)
    return nullArgument("loom_read_metadata");
  return guarded([&] {
    static thread_local std::string result;
    std::string v;
    if (loom_status st = report(loom::rt::readSafetensorsMetadata(path, key, v)))
      return st;
    result = std::move(v);
    *value = result.c_str();
    return LOOM_OK;
  });
}

size_t loom_artifact_num_state(const loom_artifact *a) {
  return a ? a->impl->manifest().state.size() : 0;
}

loom_status loom_artifact_state(const loom_artifact *a, size_t index,
                                loom_tensor_info *info) {
  if (!a || !info)
    return nullArgument("loom_artifact_state");
  const auto &state = a->impl->manifest().state;
  if (index >= state.size())
    return fail(LOOM_ERR_INVALID_ARGUMENT,
                "state index " + std::to_string(index) + " out of range (" +
                    std::to_string(state.size()) + " state tensors)");
  fillInfo(state[index], info);
  return LOOM_OK;
}

loom_status loom_param_data(loom_session *s, const char *name,
                            loom_tensor_info *info, void **data) {
  if (!s || !name || !info || !data)
    return nullArgument("loom_param_data");
  return guarded([&] {
    const loom::rt::TensorSpec *spec;
    if (loom_status st = report(s->impl->param(name, spec, *data)))
      return st;
    fillInfo(*spec, info);
    return LOOM_OK;
  });
}

loom_status loom_state_data(loom_session *s, const char *name,
                            loom_tensor_info *info, void **data) {
  if (!s || !name || !info || !data)
    return nullArgument("loom_state_data");
  return guarded([&] {
    const loom::rt::TensorSpec *spec;
    if (loom_status st = report(s->impl->state(name, spec, *data)))
      return st;
    fillInfo(*spec, info);
    return LOOM_OK;
  });
}

loom_status loom_input_data(loom_session *s, const char *name, loom_tensor_info *info,
                            void **data) {
  if (!s || !name || !info || !data)
    return nullArgument("loom_input_data");
  return guarded([&] {
    const loom::rt::TensorSpec *spec;
    if (loom_status st = report(s->impl->inputData(name, spec, *data)))
      return st;
    fillInfo(*spec, info);
    return LOOM_OK;
  });
}

loom_status loom_session_hold_state(loom_session *s, const char *name,
                                    int32_t hold) {
  if (!s || !name)
    return nullArgument("loom_session_hold_state");
  return guarded([&] { return report(s->impl->holdState(name, hold != 0)); });
}

loom_status loom_set_input(loom_session *s, const char *name, loom_dtype dtype,
                           const int64_t *shape, int32_t rank, const void *data,
                           size_t nbytes) {
  if (!s || !name)
    return nullArgument("loom_set_input");
  return guarded([&] {
    return report(s->impl->setInput(name, dtype, shape, rank, data, nbytes));
  });
}

loom_status loom_run(loom_session *s, const char *function) {
  if (!s || !function)
    return nullArgument("loom_run");
  return guarded([&] { return report(s->impl->run(function)); });
}

loom_status loom_session_ran_function(const loom_session *s, const char *function,
                                      const char **ran) {
  if (!s || !function || !ran)
    return nullArgument("loom_session_ran_function");
  return guarded([&] {
    const std::string *name;
    if (loom_status st = report(s->impl->ranFunction(function, name)))
      return st;
    *ran = name->c_str();
    return LOOM_OK;
  });
}

loom_status loom_get_output(const loom_session *s, const char *function,
                            const char *name, loom_tensor_info *info,
                            const void **data) {
  if (!s || !function || !name || !info || !data)
    return nullArgument("loom_get_output");
  return guarded([&] {
    const loom::rt::TensorSpec *spec;
    if (loom_status st = report(s->impl->output(function, name, spec, *data)))
      return st;
    fillInfo(*spec, info);
    return LOOM_OK;
  });
}

} // extern "C"
