//===- InterpreterTestUtil.h - helpers for the interpreter tests -*- C++ -*-===//
//
// Parsing loom IR from strings, random inputs, running compiled shared
// libraries through dlopen (no loom runtime), and comparing tensors.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TEST_UNIT_INTERPRETERTESTUTIL_H
#define LOOM_TEST_UNIT_INTERPRETERTESTUTIL_H

#include "loom/Interpreter/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::testutil {

using interp::DType;
using interp::Shape;
using interp::Tensor;

/// Parses `text` (a module or a bare func.func); null after printing the
/// diagnostics to stderr.
inline mlir::OwningOpRef<mlir::ModuleOp> parse(mlir::MLIRContext &ctx,
                                               const std::string &text) {
  return mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
}

inline mlir::func::FuncOp lookup(mlir::ModuleOp module,
                                 const std::string &name = "forward") {
  return module.lookupSymbol<mlir::func::FuncOp>(name);
}

/// Deterministic generator (splitmix64), independent of the C++ library.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi).
  int64_t integer(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo));
  }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
  }

private:
  uint64_t state;
};

inline Tensor uniformTensor(Rng &rng, DType t, Shape shape, double lo,
                            double hi) {
  std::vector<double> v(interp::numElements(shape));
  for (double &x : v)
    x = rng.uniform(lo, hi);
  return Tensor::floats(t, std::move(shape), std::move(v));
}

inline Tensor intTensor(Rng &rng, DType t, Shape shape, int64_t lo,
                        int64_t hi) {
  std::vector<int64_t> v(interp::numElements(shape));
  for (int64_t &x : v)
    x = rng.integer(lo, hi);
  return Tensor::ints(t, std::move(shape), std::move(v));
}

/// How a compiled result is compared with the interpreter's.
enum class Metric {
  /// max_i |c_i - r_i| / max(|r_i|, 1e-30): every element on its own.
  Element,
  /// max_i |c_i - r_i| / max_j |r_j|: relative to the tensor's largest
  /// magnitude (for results where cancellation makes tiny elements carry
  /// absolute, not relative, error).
  Norm,
};

struct Comparison {
  double error = 0.0;  // the metric's value
  std::string problem; // shape/dtype/NaN/int mismatches, "" if none
  int64_t worst = -1;  // element with the largest error
};

/// Compares `got` (compiled) against `ref` (interpreter). Integer and i1
/// results must match exactly; NaN must match NaN, infinities must match.
inline Comparison compare(const Tensor &got, const Tensor &ref, Metric m) {
  Comparison c;
  if (got.dtype != ref.dtype || got.shape != ref.shape) {
    c.problem = "got " + got.typeStr() + ", expected " + ref.typeStr();
    return c;
  }
  if (!ref.isFloat()) {
    for (int64_t k = 0; k < ref.size(); ++k)
      if (got.i[k] != ref.i[k]) {
        c.problem = "element " + std::to_string(k) + ": got " +
                    std::to_string(got.i[k]) + ", expected " +
                    std::to_string(ref.i[k]);
        return c;
      }
    return c;
  }
  double scale = 0.0;
  for (double v : ref.f)
    if (std::isfinite(v))
      scale = std::max(scale, std::fabs(v));
  for (int64_t k = 0; k < ref.size(); ++k) {
    double g = got.f[k], r = ref.f[k];
    if (std::isnan(r) || std::isnan(g) || std::isinf(r) || std::isinf(g)) {
      bool same = (std::isnan(r) && std::isnan(g)) || g == r;
      if (!same) {
        c.problem = "element " + std::to_string(k) + ": got " +
                    std::to_string(g) + ", expected " + std::to_string(r);
        return c;
      }
      continue;
    }
    double denom = m == Metric::Element ? std::max(std::fabs(r), 1e-30)
                                        : std::max(scale, 1e-30);
    double e = std::fabs(g - r) / denom;
    if (e > c.error) {
      c.error = e;
      c.worst = k;
    }
  }
  return c;
}

/// The loom.param / loom.input name of every argument of `fn` ("" if none).
inline std::vector<std::string> argNames(mlir::func::FuncOp fn) {
  std::vector<std::string> names;
  for (unsigned k = 0; k < fn.getNumArguments(); ++k) {
    auto p = fn.getArgAttrOfType<mlir::StringAttr>(k, "loom.param");
    auto in = fn.getArgAttrOfType<mlir::StringAttr>(k, "loom.input");
    names.push_back(p ? p.str() : in ? in.str() : "");
  }
  return names;
}

} // namespace loom::testutil

#endif // LOOM_TEST_UNIT_INTERPRETERTESTUTIL_H
