//===- OnnxImport.h - ONNX graphs as loom model specs ---------------------===//
//
// `loomc model.onnx` reads an ONNX model (as PyTorch's exporter writes it,
// opset >= 14) into the same spec AST the text and JSON parsers build, so
// MLIRGen, `loomc fmt`, `info`, `--interpret` and compiling work on it
// unchanged. Initializers become parameters (named after the initializer, or
// after the node reading it where the name is not a loom name, such as
// `onnx::MatMul_123`), and their values are kept to be written as
// safetensors. Shape computations (Shape, Gather, Concat, Range, ...) are
// folded for the static input shapes (`--dim NAME=N` binds a symbolic ONNX
// dim), and layers the exporter names `/h.0/...`, `/h.1/...` with the same
// structure become one `block` and a `repeat`.
//
// No MLIR here: the library reads protobuf (Debian's libonnx-dev) and builds
// spec::Model.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_ONNX_ONNXIMPORT_H
#define LOOM_ONNX_ONNXIMPORT_H

#include "loom/Spec/Spec.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom::onnx {

struct ImportOptions {
  /// Values of the ONNX graph inputs' symbolic dims (dim_param).
  std::map<std::string, int64_t> dims;
  /// Recover blocks from repeated layers (off: one flat body).
  bool blocks = true;
};

/// One parameter's value, f32, by its checkpoint name in the spec.
struct Weight {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct Imported {
  spec::Model model;
  std::vector<Weight> weights;
};

/// True for paths loomc reads as ONNX (`*.onnx`).
bool isOnnxPath(const std::string &path);

/// Reads and translates `path`. On failure returns nullopt and sets `error`
/// to one or more lines `model.onnx: node 'NAME' (OpType): error: ...` or
/// `model.onnx: error: ...`.
std::optional<Imported> importFile(const std::string &path,
                                   const ImportOptions &options,
                                   std::string &error);

/// Writes the weights as safetensors (F32); "" or the error.
std::string writeWeights(const Imported &imported, const std::string &path);

} // namespace loom::onnx

#endif // LOOM_ONNX_ONNXIMPORT_H
