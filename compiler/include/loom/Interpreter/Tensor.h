//===- Tensor.h - host tensors of the reference interpreter ----*- C++ -*-===//
//
// A dense, row-major host tensor: an element type, a static shape and the
// values. Floating-point values are held as double but always hold a value
// that the element type can represent (the interpreter rounds every op's
// result to its element type, so it models f32/f16/bf16 storage). Integer
// and i1 values are held exactly as int64 (i1 is 0 or 1).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_INTERPRETER_TENSOR_H
#define LOOM_INTERPRETER_TENSOR_H

#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loom::interp {

enum class DType { F32, F16, BF16, I32, I64, I1 };

/// "f32", "bf16", "i1", ... (the manifest's names).
const char *dtypeName(DType t);
/// The interpreter's type for an MLIR element type, or nullopt.
std::optional<DType> dtypeOf(mlir::Type elementType);
/// The MLIR element type of `t`.
mlir::Type mlirType(DType t, mlir::MLIRContext *ctx);
bool isFloat(DType t);
/// Bytes per element in the artifact ABI (i1 is one byte).
int64_t byteWidth(DType t);

/// Rounds `v` to the nearest value of the float type `t` (round to nearest
/// even; f32 through `float`, f16/bf16 through APFloat). Identity for ints.
double roundTo(DType t, double v);
/// Wraps `v` to the integer type `t` (two's complement; i1 keeps bit 0).
int64_t wrapTo(DType t, int64_t v);

using Shape = std::vector<int64_t>;

int64_t numElements(const Shape &shape);
/// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);
/// "[2, 8, 64]"
std::string shapeStr(const Shape &shape);

struct Tensor {
  DType dtype = DType::F32;
  Shape shape;
  std::vector<double> f;   // float element types
  std::vector<int64_t> i;  // integer and i1 element types

  /// A zero-filled tensor.
  static Tensor zeros(DType dtype, Shape shape);
  /// Float tensor from values (rounded to `dtype`).
  static Tensor floats(DType dtype, Shape shape, std::vector<double> values);
  /// Integer / i1 tensor from values (wrapped to `dtype`).
  static Tensor ints(DType dtype, Shape shape, std::vector<int64_t> values);
  /// A rank-0 tensor.
  static Tensor scalar(DType dtype, double value);

  bool isFloat() const { return interp::isFloat(dtype); }
  int64_t size() const { return numElements(shape); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// Element `k` (row-major) as a double (ints converted).
  double get(int64_t k) const {
    return isFloat() ? f[k] : static_cast<double>(i[k]);
  }
  int64_t getInt(int64_t k) const {
    return isFloat() ? static_cast<int64_t>(f[k]) : i[k];
  }
  /// Rounds floats / wraps ints in place to `dtype`.
  void normalize();

  /// Raw bytes in the artifact ABI (dense, row-major, natural element size).
  std::vector<uint8_t> toBytes() const;
  /// The inverse of toBytes: `data` holds size() elements of `dtype`.
  static Tensor fromBytes(DType dtype, Shape shape, const void *data);

  /// "tensor<2x8xf32>" (for messages).
  std::string typeStr() const;
};

/// Float conversions used by toBytes/fromBytes (round to nearest even).
uint16_t toHalfBits(double v);
uint16_t toBFloat16Bits(double v);
double fromHalfBits(uint16_t bits);
double fromBFloat16Bits(uint16_t bits);

} // namespace loom::interp

#endif // LOOM_INTERPRETER_TENSOR_H
