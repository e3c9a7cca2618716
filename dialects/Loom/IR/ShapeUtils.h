//===- ShapeUtils.h - shape arithmetic shared by the loom ops ---*- C++ -*-===//
//
// Dims use ShapedType::kDynamic for unknown sizes. Every helper that can fail
// emits its diagnostic at `loc` (when present) naming the op, so verifier
// errors read "'loom.matmul' op ...".
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_IR_SHAPEUTILS_H
#define LOOM_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::loom {

using Shape = llvm::SmallVector<int64_t, 6>;

/// Prints a type the way MLIR does (for messages).
std::string str(Type type);
/// "[2, ?, 768]"
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

/// Emits "'<opName>' op <message>" at loc (if any) and returns failure.
LogicalResult opError(std::optional<Location> loc, llvm::StringRef opName,
                      const llvm::Twine &message);

/// Equal, or at least one is dynamic.
inline bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}
/// The more static of two compatible dims.
inline int64_t meetDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

/// numpy broadcast of two shapes, or nullopt when a pair of static dims
/// differs and neither is 1.
std::optional<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                     llvm::ArrayRef<int64_t> b);

/// Maps a possibly negative axis into [0, rank), or nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Product of the dims, or nullopt when any is dynamic.
std::optional<int64_t> staticProduct(llvm::ArrayRef<int64_t> shape);

inline RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, Type elt) {
  return RankedTensorType::get(shape, elt);
}

} // namespace mlir::loom

#endif // LOOM_IR_SHAPEUTILS_H
