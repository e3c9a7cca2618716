//===- module.cpp - loom._loom: the Python extension module ---------------===//
//
// A thin layer: the compiler's in-process compile (compile.h) and the
// runtime's C ABI (loom/runtime.h), with numpy arrays at the boundary. The
// Python package (loom/__init__.py) builds the public API on top: argument
// handling, dtype checks, weights as dicts, temporary artifact directories.
//
// Every failed C ABI call raises loom.LoomError with loom_last_error()'s
// message and the status name in `.status`. The GIL is released while a
// model compiles or a function runs.
//
//===----------------------------------------------------------------------===//
#include "compile.h"

#include "loom/runtime.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace {

/// loom.LoomError (a RuntimeError); set once at import.
PyObject *loomError = nullptr;

[[noreturn]] void raise(loom_status status, const std::string &message) {
  py::object error = py::reinterpret_borrow<py::object>(loomError)(message);
  error.attr("status") = loom_status_name(status);
  PyErr_SetObject(loomError, error.ptr());
  throw py::error_already_set();
}

/// Raises on failure, with the runtime's message for this thread.
void check(loom_status status) {
  if (status != LOOM_OK)
    raise(status, loom_last_error());
}

py::dtype numpyDtype(loom_dtype dtype) {
  switch (dtype) {
  case LOOM_DTYPE_F32: return py::dtype("float32");
  case LOOM_DTYPE_F16: return py::dtype("float16");
  case LOOM_DTYPE_BF16: return py::dtype("uint16"); // raw bits: numpy has no bf16
  case LOOM_DTYPE_I32: return py::dtype("int32");
  case LOOM_DTYPE_I64: return py::dtype("int64");
  case LOOM_DTYPE_I1: return py::dtype("bool");
  }
  return py::dtype("uint8");
}

py::dict describe(const loom_tensor_info &t) {
  py::dict d;
  d["name"] = t.name;
  d["dtype"] = loom_dtype_name(t.dtype);
  d["shape"] = py::tuple(py::cast(std::vector<int64_t>(t.shape, t.shape + t.rank)));
  d["nbytes"] = t.nbytes;
  return d;
}

/// A view of runtime memory kept alive by `owner`, or (base = none) a copy.
py::array wrap(const loom_tensor_info &t, const void *data, py::handle owner,
               bool writeable) {
  std::vector<py::ssize_t> shape(t.shape, t.shape + t.rank);
  py::array a(numpyDtype(t.dtype), shape, {}, data, owner);
  if (owner && !writeable)
    a.attr("setflags")(py::arg("write") = false);
  return a;
}

class Artifact {
public:
  explicit Artifact(const std::string &dir) {
    check(loom_artifact_open(dir.c_str(), &handle));
  }
  ~Artifact() { loom_artifact_close(handle); }
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  loom_artifact *get() const { return handle; }
  /// describe() of every tensor of one of the artifact's lists (params,
  /// state): COUNT and GET are the C ABI's pair for it.
  template <typename Count, typename Get>
  py::list describeAll(Count count, Get get) const {
    py::list out;
    for (size_t i = 0, n = count(handle); i < n; ++i) {
      loom_tensor_info t;
      check(get(handle, i, &t));
      out.append(describe(t));
    }
    return out;
  }

  std::string model() const { return loom_artifact_model(handle); }
  std::string tokenizer() const { return loom_artifact_tokenizer(handle); }

  py::list params() const {
    return describeAll(loom_artifact_num_params, loom_artifact_param);
  }
  py::list state() const {
    return describeAll(loom_artifact_num_state, loom_artifact_state);
  }
  py::list inputs() const {
    py::list out;
    for (size_t i = 0, n = loom_artifact_num_inputs(handle); i < n; ++i) {
      loom_tensor_info t;
      check(loom_artifact_input(handle, i, &t));
      py::dict d = describe(t);
      int64_t lo, hi, ignore;
      if (loom_artifact_input_range(handle, i, &lo, &hi, &ignore) == LOOM_OK) {
        d["range"] = py::make_tuple(lo, hi);
        d["ignore"] = ignore == INT64_MIN ? py::object(py::none()) : py::int_(ignore);
      }
      out.append(d);
    }
    return out;
  }
  std::vector<std::string> functions() const {
    std::vector<std::string> out;
    for (size_t i = 0, n = loom_artifact_num_functions(handle); i < n; ++i)
      out.push_back(loom_artifact_function_name(handle, i));
    return out;
  }
  py::list outputs(const std::string &function) const {
    size_t n;
    check(loom_artifact_num_outputs(handle, function.c_str(), &n));
    py::list out;
    for (size_t i = 0; i < n; ++i) {
      loom_tensor_info t;
      check(loom_artifact_output(handle, function.c_str(), i, &t));
      out.append(describe(t));
    }
    return out;
  }

private:
  loom_artifact *handle = nullptr;
};

class Session {
public:
  explicit Session(const Artifact &artifact) {
    check(loom_session_create(artifact.get(), &handle));
  }
  ~Session() { loom_session_destroy(handle); }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  int threads() const { return loom_session_threads(handle); }
  void setThreads(int threads) { check(loom_session_set_threads(handle, threads)); }
  void initParams(uint64_t seed) { check(loom_init_params(handle, seed)); }
  void loadWeights(const std::string &path, uint32_t flags) {
    check(loom_load_weights(handle, path.c_str(), flags));
  }
  std::string importWeights(const std::string &path, const std::string &map,
                            uint32_t flags) {
    const char *report = nullptr;
    check(loom_import_weights(handle, path.c_str(), map.empty() ? nullptr : map.c_str(),
                              flags, &report));
    return report ? report : "";
  }
  void saveWeights(const std::string &path) const {
    check(loom_save_weights(handle, path.c_str()));
  }
  void saveCheckpoint(const std::string &path,
                      const std::vector<std::pair<std::string, std::string>> &meta) const {
    std::vector<const char *> keys, values;
    for (const auto &[k, v] : meta) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    check(loom_save_checkpoint(handle, path.c_str(), keys.data(), values.data(),
                               meta.size()));
  }

  /// Zero-copy, writable views; `self` (the Python session) is their base.
  py::array param(py::object self, const std::string &name) {
    loom_tensor_info t;
    void *data;
    check(loom_param_data(handle, name.c_str(), &t, &data));
    return wrap(t, data, self, /*writeable=*/true);
  }
  py::array state(py::object self, const std::string &name) {
    loom_tensor_info t;
    void *data;
    check(loom_state_data(handle, name.c_str(), &t, &data));
    return wrap(t, data, self, /*writeable=*/true);
  }

  /// `array` is C-contiguous with the loom dtype `dtype` (the package
  /// checks); the runtime copies it into its own 64-byte aligned buffer.
  void setInput(const std::string &name, int dtype, const py::array &array) {
    std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
    check(loom_set_input(handle, name.c_str(), static_cast<loom_dtype>(dtype),
                         shape.data(), static_cast<int32_t>(shape.size()),
                         array.data(), static_cast<size_t>(array.nbytes())));
  }

  void run(const std::string &function) {
    loom_status status;
    {
      py::gil_scoped_release unlocked;
      status = loom_run(handle, function.c_str());
    }
    check(status);
  }

  /// A copy, or (copy = false) a read-only view whose base is `self`.
  py::array output(py::object self, const std::string &function,
                   const std::string &name, bool copy) const {
    loom_tensor_info t;
    const void *data;
    check(loom_get_output(handle, function.c_str(), name.c_str(), &t, &data));
    return wrap(t, data, copy ? py::handle() : py::handle(self), false);
  }

private:
  loom_session *handle = nullptr;
};

template <typename T>
void setOptional(std::optional<T> &field, const py::object &value) {
  if (!value.is_none())
    field = value.cast<T>();
}

} // namespace

PYBIND11_MODULE(_loom, m) {
  m.doc() = "loom's compiler and runtime (use the `loom` package)";
  loomError = PyErr_NewExceptionWithDoc(
      "loom.LoomError",
      "A loom runtime or compiler error; `status` names the C ABI status "
      "(LOOM_ERR_MISMATCH, ...) or the compile stage.",
      PyExc_RuntimeError, nullptr);
  m.attr("LoomError") = py::handle(loomError);

  m.def(
      "compile",
      [](const std::string &specPath, const std::string &specText,
         const std::string &specName, bool specIsJson, const std::string &out,
         const std::map<std::string, int64_t> &dims, const std::string &train,
         bool grad, const py::dict &hyper, const std::string &kernels,
         const std::string &kernelCache, bool fusion, const std::string &mcpu,
         unsigned jobs, const std::vector<std::pair<std::string, int64_t>> &config,
         bool splitStep) {
        loom::python::CompileRequest r;
        r.specPath = specPath;
        r.specText = specText;
        r.specName = specName;
        r.specIsJson = specIsJson;
        r.outDir = out;
        r.dims = dims;
        r.config = config;
        r.train = train;
        r.grad = grad;
        r.splitStep = splitStep;
        auto get = [&](const char *k) {
          return hyper.contains(k) ? py::object(hyper[k]) : py::object(py::none());
        };
        setOptional(r.weightDecay, get("weight_decay"));
        setOptional(r.beta1, get("beta1"));
        setOptional(r.beta2, get("beta2"));
        setOptional(r.eps, get("eps"));
        setOptional(r.momentum, get("momentum"));
        setOptional(r.clipNorm, get("clip_norm"));
        r.kernels = kernels;
        r.kernelCache = kernelCache;
        r.fusion = fusion;
        r.mcpu = mcpu;
        r.jobs = jobs;
        loom::python::CompileResult result;
        {
          py::gil_scoped_release unlocked;
          result = loom::python::compileSpec(r);
        }
        static const char *kinds[] = {"ok", "spec", "usage", "compile"};
        py::list diags;
        for (const auto &d : result.diagnostics)
          diags.append(py::make_tuple(d.file, d.line, d.col, d.message));
        return py::make_tuple(kinds[result.kind], result.message, diags);
      },
      py::arg("spec_path"), py::arg("spec_text"), py::arg("spec_name"),
      py::arg("spec_is_json"), py::arg("out"), py::arg("dims"), py::arg("train"),
      py::arg("grad"), py::arg("hyper"), py::arg("kernels"),
      py::arg("kernel_cache"), py::arg("fusion"), py::arg("mcpu"),
      py::arg("jobs"), py::arg("config"), py::arg("split_step"),
      "Compiles a spec into the artifact directory `out`; returns (kind, "
      "message, diagnostics), kind 'ok', 'spec', 'usage' or 'compile'.");

  py::class_<Artifact>(m, "Artifact")
      .def(py::init<const std::string &>())
      .def_property_readonly("model", &Artifact::model)
      .def_property_readonly("tokenizer", &Artifact::tokenizer)
      .def("params", &Artifact::params)
      .def("state", &Artifact::state)
      .def("inputs", &Artifact::inputs)
      .def("functions", &Artifact::functions)
      .def("outputs", &Artifact::outputs);

  py::class_<Session>(m, "Session")
      // The native session keeps the native artifact alive by itself (the
      // C ABI counts references); keep_alive keeps the Python one too.
      .def(py::init<const Artifact &>(), py::keep_alive<1, 2>())
      .def_property("threads", &Session::threads, &Session::setThreads)
      .def("init_params", &Session::initParams)
      .def("load_weights", &Session::loadWeights)
      .def("import_weights", &Session::importWeights)
      .def("save_weights", &Session::saveWeights)
      .def("save_checkpoint", &Session::saveCheckpoint)
      .def("param", [](py::object self, const std::string &name) {
        return self.cast<Session &>().param(self, name);
      })
      .def("state", [](py::object self, const std::string &name) {
        return self.cast<Session &>().state(self, name);
      })
      .def("set_input", &Session::setInput)
      .def("run", &Session::run)
      .def("output", [](py::object self, const std::string &function,
                        const std::string &name, bool copy) {
        return self.cast<const Session &>().output(self, function, name, copy);
      });

  m.attr("LOAD_ALLOW_EXTRA") = static_cast<unsigned>(LOOM_LOAD_ALLOW_EXTRA);
  m.attr("LOAD_REQUIRE_STATE") = static_cast<unsigned>(LOOM_LOAD_REQUIRE_STATE);
  m.attr("LOAD_ALLOW_MISSING") = static_cast<unsigned>(LOOM_LOAD_ALLOW_MISSING);
  m.attr("DTYPES") = py::dict(
      py::arg("f32") = static_cast<int>(LOOM_DTYPE_F32),
      py::arg("f16") = static_cast<int>(LOOM_DTYPE_F16),
      py::arg("bf16") = static_cast<int>(LOOM_DTYPE_BF16),
      py::arg("i32") = static_cast<int>(LOOM_DTYPE_I32),
      py::arg("i64") = static_cast<int>(LOOM_DTYPE_I64),
      py::arg("i1") = static_cast<int>(LOOM_DTYPE_I1));
}
