//===- compile.h - loomc's compile path, in process, for the bindings -----===//
//
// What `loomc MODEL -o DIR --dim ...` does, as a function: parse the spec
// (a file or text), generate loom IR, optionally build the training step,
// run every stage and write DIR/model.so, manifest.json and kernels.json.
// No pybind11 here: this translation unit is compiled like the compiler's
// (no exceptions, LLVM's flags), and the binding module calls it.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_PYTHON_COMPILE_H
#define LOOM_PYTHON_COMPILE_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom::python {

struct CompileRequest {
  /// Either a spec file (`specPath`), or spec text with the name its
  /// diagnostics use (`specName`, e.g. "<spec>").
  std::string specPath;
  std::string specText;
  std::string specName = "<spec>";
  bool specIsJson = false; // for specText only (a path goes by extension)
  std::string outDir;
  std::map<std::string, int64_t> dims;
  /// Config entries replaced before generation (loomc --config).
  std::vector<std::pair<std::string, int64_t>> config;
  /// "" (inference), "adamw" or "sgd" (loomc --train[=...]).
  std::string train;
  bool grad = false; // loomc --grad
  bool splitStep = false; // loomc --split-step (data-parallel training)
  /// Unset: Passes.td's defaults (as loomc).
  std::optional<double> weightDecay, beta1, beta2, eps, momentum, clipNorm;
  std::string kernels = "auto"; // mlir | halide | auto
  std::string kernelCache;      // "" = the default path
  bool fusion = true;
  std::string mcpu = "native";
  unsigned jobs = 0;
};

struct Diagnostic {
  std::string file;
  int line = 0, col = 0;
  std::string message;
};

struct CompileResult {
  enum Kind { Ok, SpecError, UsageError, CompileError } kind = Ok;
  /// Every error, one per line (loomc's text for the same failure).
  std::string message;
  /// The located errors (SpecError).
  std::vector<Diagnostic> diagnostics;
};

/// Compiles; never throws, never prints.
CompileResult compileSpec(const CompileRequest &request);

} // namespace loom::python

#endif // LOOM_PYTHON_COMPILE_H
