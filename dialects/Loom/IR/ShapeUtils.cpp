//===- ShapeUtils.cpp - shape arithmetic shared by the loom ops -----------===//
#include "Loom/IR/ShapeUtils.h"
#include "Loom/IR/LoomOps.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::loom;

std::string mlir::loom::str(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

std::string mlir::loom::shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  }
  return s + "]";
}

LogicalResult mlir::loom::opError(std::optional<Location> loc,
                                  llvm::StringRef opName,
                                  const llvm::Twine &message) {
  return emitOptionalError(loc, "'" + opName + "' op " + message);
}

std::optional<Shape> mlir::loom::broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                 llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the back; a missing dim counts as 1.
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1) {
      out[i] = y;
    } else if (y == 1) {
      out[i] = x;
    } else if (ShapedType::isDynamic(x)) {
      // ? against a static s != 1 must be s (or broadcast failure at run time).
      out[i] = y;
    } else if (ShapedType::isDynamic(y) || x == y) {
      out[i] = x;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<int64_t> mlir::loom::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<int64_t> mlir::loom::staticProduct(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (ShapedType::isDynamic(d))
      return std::nullopt;
    n *= d;
  }
  return n;
}

bool mlir::loom::areCompatibleTensorTypes(TypeRange lhs, TypeRange rhs) {
  if (lhs.size() != rhs.size())
    return false;
  for (auto [l, r] : llvm::zip(lhs, rhs)) {
    auto lt = dyn_cast<RankedTensorType>(l);
    auto rt = dyn_cast<RankedTensorType>(r);
    if (!lt || !rt)
      return l == r;
    if (lt.getElementType() != rt.getElementType() ||
        lt.getRank() != rt.getRank())
      return false;
    for (auto [a, b] : llvm::zip(lt.getShape(), rt.getShape()))
      if (!dimsCompatible(a, b))
        return false;
  }
  return true;
}
