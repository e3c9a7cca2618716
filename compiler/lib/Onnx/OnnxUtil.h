//===- OnnxUtil.h - reading ONNX attributes and tensors -------------------===//
#ifndef LOOM_ONNX_ONNXUTIL_H
#define LOOM_ONNX_ONNXUTIL_H

#include "Program.h"

// onnx_pb.h defines ONNX_API, then includes onnx-ml.pb.h (ONNX_ML=1).
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

namespace loom::onnx::detail {

const ::onnx::AttributeProto *findAttr(const ::onnx::NodeProto &n,
                                       const std::string &name);
int64_t attrInt(const ::onnx::NodeProto &n, const std::string &name,
                int64_t dflt);
float attrFloat(const ::onnx::NodeProto &n, const std::string &name,
                float dflt);
std::string attrString(const ::onnx::NodeProto &n, const std::string &name,
                       const std::string &dflt);
std::optional<std::vector<int64_t>> attrInts(const ::onnx::NodeProto &n,
                                             const std::string &name);

/// The loom type of an ONNX TensorProto data type, or nullopt.
std::optional<DType> fromOnnxType(int32_t type);

/// Decodes a TensorProto (raw_data or the typed fields); "" or the error.
std::string decodeTensor(const ::onnx::TensorProto &t, Const &out);

/// Folds `n` over constant inputs. Returns false with `error` empty when the
/// op is not one the folder knows (the caller then translates it), false
/// with `error` set when the inputs are invalid for it.
bool foldNode(const ::onnx::NodeProto &n, const std::vector<const Const *> &in,
              std::vector<Const> &out, std::string &error);

/// Rounds `v` to what `t` can hold (f32 rounding, integer truncation).
double roundTo(DType t, double v);

/// numpy broadcast of two shapes; false if they do not broadcast.
bool broadcastShapes(const std::vector<int64_t> &a,
                     const std::vector<int64_t> &b, std::vector<int64_t> &out);

} // namespace loom::onnx::detail

#endif // LOOM_ONNX_ONNXUTIL_H
