//===- Eval.h - shared by the interpreter's op families ---------*- C++ -*-===//
//
// Each family (EvalElementwise.cpp, EvalShape.cpp, EvalLinalg.cpp,
// EvalNN.cpp) registers one evaluation function per op name. A function reads
// its operands from the Env and returns the op's result unrounded or rounded:
// the driver rounds every result to its element type afterwards.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_LIB_INTERPRETER_EVAL_H
#define LOOM_LIB_INTERPRETER_EVAL_H

#include "loom/Interpreter/Tensor.h"

#include "Loom/IR/LoomOps.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <optional>

namespace loom::interp::detail {

/// The values computed so far.
class Env {
public:
  const Tensor &operator[](mlir::Value v) const { return values.find(v)->second; }
  /// Null for an absent optional operand.
  const Tensor *optional(mlir::Value v) const {
    return v ? &values.find(v)->second : nullptr;
  }
  llvm::DenseMap<mlir::Value, Tensor> values;
};

/// An op's results, in order (one for all but a few ops).
using EvalFn = std::function<llvm::Expected<std::vector<Tensor>>(
    mlir::Operation *, const Env &)>;
using Registry = llvm::StringMap<EvalFn>;

/// Registers a single-result op: `f(op, env)` returns its Tensor.
template <typename OpTy, typename F>
void add(Registry &registry, F f) {
  registry[OpTy::getOperationName()] =
      [f](mlir::Operation *op,
          const Env &env) -> llvm::Expected<std::vector<Tensor>> {
    llvm::Expected<Tensor> t = f(llvm::cast<OpTy>(op), env);
    if (!t)
      return t.takeError();
    std::vector<Tensor> results;
    results.push_back(std::move(*t));
    return results;
  };
}

/// Registers an op with several results: `f(op, env)` returns them all.
template <typename OpTy, typename F>
void addMulti(Registry &registry, F f) {
  registry[OpTy::getOperationName()] =
      [f](mlir::Operation *op,
          const Env &env) -> llvm::Expected<std::vector<Tensor>> {
    return f(llvm::cast<OpTy>(op), env);
  };
}

void registerElementwise(Registry &registry);
void registerShape(Registry &registry);
void registerLinalg(Registry &registry);
void registerNN(Registry &registry);

/// "'loom.gather' op at file:line:col: message"
llvm::Error opError(mlir::Operation *op, const llvm::Twine &message);

/// The interpreter type of `op`'s (single) result.
llvm::Expected<DType> resultDType(mlir::Operation *op);

/// numpy broadcast of two concrete shapes.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);
/// Strides that read a tensor of shape `in` at the indices of `out` (numpy
/// broadcasting: trailing dims align, stretched and missing dims get 0).
Shape broadcastStrides(const Shape &in, const Shape &out);
/// Maps a possibly negative axis into [0, rank), or nullopt.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Calls fn(index) for every multi-index of `shape` in row-major order.
template <typename F>
void forEachIndex(const Shape &shape, F fn) {
  int64_t n = numElements(shape);
  Shape idx(shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    fn(static_cast<const Shape &>(idx));
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

inline int64_t dot(const Shape &idx, const Shape &strides) {
  int64_t o = 0;
  for (size_t d = 0; d < idx.size(); ++d)
    o += idx[d] * strides[d];
  return o;
}

/// An empty result tensor of `op`'s result type with `shape`.
llvm::Expected<Tensor> makeResult(mlir::Operation *op, Shape shape);

} // namespace loom::interp::detail

#endif // LOOM_LIB_INTERPRETER_EVAL_H
