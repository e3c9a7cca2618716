//===- tasks_cli.h - what the task commands share -------------------------===//
//
// The pieces every `loom` task command (tasks.cpp, tasks_translate.cpp)
// uses: --help handling, the shared flags (--weights, --threads, the
// positional arguments), and Model, an artifact with its session whose
// forward the command checks before it runs anything.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_TASKS_CLI_H
#define LOOM_TOOLS_TASKS_CLI_H

#include "cli.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace loom::cli::tasks {

/// Handles --help / -h anywhere on the line (before any other check).
inline bool wantsHelp(int argc, char **argv, const char *usage) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(usage, stdout);
      return true;
    }
  return false;
}

inline std::string shapeText(const loom_tensor_info &t) {
  std::string s = std::string(loom_dtype_name(t.dtype)) + " [";
  for (int32_t i = 0; i < t.rank; ++i)
    s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

// ---- the model ------------------------------------------------------------------

/// An input or output a command needs: name, dtype and rank.
struct Need {
  const char *name;
  loom_dtype dtype;
  int32_t rank;
};

/// A task command's artifact, its session and its weights.
class Model {
public:
  Model(std::string dir, const char *command) : dir_(std::move(dir)), command_(command) {
    check(loom_artifact_open(dir_.c_str(), &h_.artifact));
  }

  bool input(const char *name, loom_tensor_info &out) const {
    for (size_t i = 0; i < loom_artifact_num_inputs(h_.artifact); ++i) {
      check(loom_artifact_input(h_.artifact, i, &out));
      if (!std::strcmp(out.name, name))
        return true;
    }
    return false;
  }

  bool output(const char *name, loom_tensor_info &out) const {
    size_t n = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &n) != LOOM_OK)
      return false;
    for (size_t i = 0; i < n; ++i) {
      check(loom_artifact_output(h_.artifact, "forward", i, &out));
      if (!std::strcmp(out.name, name))
        return true;
    }
    return false;
  }

  /// Fails unless forward takes INPUTS and returns OUTPUTS with the dtypes
  /// and ranks given, all with the same batch dim; WHAT names the model
  /// kind and SIGNATURE the forward the command needs.
  void require(const char *what, const char *signature, const std::vector<Need> &inputs,
               const std::vector<Need> &outputs) const {
    std::string problem;
    int64_t batch = -1;
    std::string batchFrom;
    auto checkOne = [&](const Need &n, bool isInput) {
      loom_tensor_info t;
      bool found = isInput ? input(n.name, t) : output(n.name, t);
      std::string kind = isInput ? "input" : "forward output";
      if (!found)
        problem = "it has no " + kind + " '" + n.name + "'";
      else if (t.dtype != n.dtype || t.rank != n.rank)
        problem = "its " + kind + " '" + n.name + "' is " + shapeText(t);
      else if (batch >= 0 && t.shape[0] != batch)
        problem = "its " + kind + " '" + n.name + "' has batch " +
                  std::to_string(t.shape[0]) + " but '" + batchFrom + "' has " +
                  std::to_string(batch);
      else if (batch < 0) {
        batch = t.shape[0];
        batchFrom = n.name;
      }
    };
    size_t numOut = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &numOut) != LOOM_OK)
      problem = "it has no forward function";
    for (const Need &n : inputs)
      if (problem.empty())
        checkOne(n, true);
    for (const Need &n : outputs)
      if (problem.empty())
        checkOne(n, false);
    if (problem.empty())
      return;
    failWith("loom " + std::string(command_) + " needs " + what + ", " + signature +
             "; artifact '" + dir_ + "': " + problem + " (" + contents() + ")");
  }

  /// Creates the session and loads the weights.
  void start(const std::string &weights, int threads) {
    check(loom_session_create(h_.artifact, &h_.session));
    if (threads > 0)
      check(loom_session_set_threads(h_.session, threads));
    check(loom_load_weights(h_.session, weights.c_str(), 0));
  }

  /// Sets input INFO (as the artifact declares it) from DATA.
  void set(const loom_tensor_info &info, const void *data) {
    check(loom_set_input(h_.session, info.name, info.dtype, info.shape, info.rank, data,
                         info.nbytes));
  }

  void run() { check(loom_run(h_.session, "forward")); }

  const float *get(const char *name) const {
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(h_.session, "forward", name, &info, &data));
    return static_cast<const float *>(data);
  }

  /// The value of scalar f32 parameter NAME, if the model has one.
  bool scalarParam(const char *name, float &value) {
    loom_tensor_info info;
    void *data;
    for (size_t i = 0; i < loom_artifact_num_params(h_.artifact); ++i) {
      check(loom_artifact_param(h_.artifact, i, &info));
      if (!std::strcmp(info.name, name) && info.rank == 0 &&
          info.dtype == LOOM_DTYPE_F32) {
        check(loom_param_data(h_.session, name, &info, &data));
        std::memcpy(&value, data, sizeof value);
        return true;
      }
    }
    return false;
  }

  /// The upper bound of integer input NAME's valid values (its embedding's
  /// rows), or FALLBACK.
  int64_t inputLimit(const char *name, int64_t fallback) const {
    loom_tensor_info t;
    for (size_t i = 0; i < loom_artifact_num_inputs(h_.artifact); ++i) {
      check(loom_artifact_input(h_.artifact, i, &t));
      int64_t lo, hi;
      if (!std::strcmp(t.name, name) &&
          loom_artifact_input_range(h_.artifact, i, &lo, &hi, nullptr) == LOOM_OK)
        return hi;
    }
    return fallback;
  }

  /// Fails unless the spec's tokenizer is bytes (or unnamed): the text of
  /// these commands is byte-level for now.
  void requireByteTokens() const {
    std::string kind = loom_artifact_tokenizer(h_.artifact);
    if (!kind.empty() && kind != "bytes")
      failWith("artifact '" + dir_ + "' names the tokenizer '" + kind + "'; loom " +
               command_ + " encodes text as bytes only so far");
  }

  const loom_artifact *artifact() const { return h_.artifact; }
  loom_session *session() const { return h_.session; }
  const std::string &dir() const { return dir_; }

private:
  /// "its inputs: a: f32 [2]; forward returns: y: f32 [2]".
  std::string contents() const {
    std::string s = "its inputs: ";
    loom_tensor_info t;
    size_t n = loom_artifact_num_inputs(h_.artifact);
    for (size_t i = 0; i < n; ++i) {
      check(loom_artifact_input(h_.artifact, i, &t));
      s += (i ? ", " : "") + std::string(t.name) + ": " + shapeText(t);
    }
    if (n == 0)
      s += "none";
    size_t numOut = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &numOut) == LOOM_OK) {
      s += "; forward returns: ";
      for (size_t i = 0; i < numOut; ++i) {
        check(loom_artifact_output(h_.artifact, "forward", i, &t));
        s += (i ? ", " : "") + std::string(t.name) + ": " + shapeText(t);
      }
    }
    return s;
  }

  Handles h_;
  std::string dir_;
  const char *command_;
};

inline loom_tensor_info inputInfo(const Model &m, const char *name) {
  loom_tensor_info t;
  if (!m.input(name, t))
    failWith(std::string("no input '") + name + "'");
  return t;
}

inline loom_tensor_info outputInfo(const Model &m, const char *name) {
  loom_tensor_info t;
  if (!m.output(name, t))
    failWith(std::string("no output '") + name + "'");
  return t;
}

/// The options every task command shares, and its positional arguments.
struct Common {
  std::string weights;
  int threads = 0;
  std::vector<std::string> positional;
};

/// Parses argv[2..]: the shared flags, positional arguments, and the
/// command's own flags through OWN (true when it took the flag).
template <typename Own>
Common parseCommon(int argc, char **argv, const char *command, Own own) {
  Common c;
  bool onlyPositional = false;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    if (onlyPositional || !a.isOption()) {
      c.positional.push_back(a.arg);
    } else if (a.arg == "--") {
      onlyPositional = true;
    } else if (a.flag == "--weights") {
      c.weights = a.value();
    } else if (a.flag == "--threads") {
      c.threads = parseThreads(a.value());
    } else if (!own(a)) {
      failWith("unknown option '" + a.arg + "' (loom " + command + " --help)");
    }
  }
  if (c.positional.empty())
    failWith(std::string("loom ") + command + ": missing ARTIFACT_DIR");
  return c;
}

inline void requireWeights(const Common &c, const char *command) {
  if (c.weights.empty())
    failWith(std::string("loom ") + command +
             ": missing --weights FILE (a `loom train` checkpoint)");
}

} // namespace loom::cli::tasks

#endif // LOOM_TOOLS_TASKS_CLI_H
