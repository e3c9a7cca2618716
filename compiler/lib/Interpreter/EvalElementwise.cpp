//===- EvalElementwise.cpp - constants, elementwise ops, cast, dropout ----===//
//
// Float ops compute in double from the (already rounded) operands; the driver
// rounds the result to the element type, which for + - * / sqrt gives exactly
// the correctly rounded f32/f16/bf16 result. Integer ops wrap like two's
// complement hardware (i32 at 32 bits).
//
//===----------------------------------------------------------------------===//
#include "Eval.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::loom;
using namespace ::loom::interp;
using namespace ::loom::interp::detail;
namespace li = ::loom::interp;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Evaluates `body(out, k, offsets)` for every element k of the broadcast of
/// `ins`, where offsets[j] is the element of ins[j] that element k reads.
/// `body` returns "" or an error message (which stops the evaluation).
template <typename F>
llvm::Expected<Tensor> broadcastEval(Operation *op,
                                     const std::vector<const Tensor *> &ins,
                                     F body) {
  Shape shape;
  for (const Tensor *t : ins) {
    auto b = broadcastShapes(shape, t->shape);
    if (!b)
      return opError(op, "operand shapes " + shapeStr(shape) + " and " +
                             shapeStr(t->shape) + " do not broadcast");
    shape = *b;
  }
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  std::vector<Shape> strides;
  for (const Tensor *t : ins)
    strides.push_back(broadcastStrides(t->shape, shape));
  std::vector<int64_t> offs(ins.size());
  int64_t k = 0;
  std::string err;
  forEachIndex(shape, [&](const Shape &idx) {
    if (!err.empty())
      return;
    for (size_t j = 0; j < ins.size(); ++j)
      offs[j] = dot(idx, strides[j]);
    err = body(*out, k++, offs);
  });
  if (!err.empty())
    return opError(op, err);
  return out;
}

/// A binary arithmetic op on floats (`ff`) or integers (`fi`, which gets the
/// element type and may fail with a message).
template <typename FF, typename FI>
llvm::Expected<Tensor> binary(Operation *op, const Tensor &a, const Tensor &b,
                              FF ff, FI fi) {
  if (a.dtype != b.dtype)
    return opError(op, "operands differ in element type");
  return broadcastEval(op, {&a, &b},
                       [&](Tensor &out, int64_t k,
                           const std::vector<int64_t> &o) -> std::string {
                         if (out.isFloat()) {
                           out.f[k] = ff(a.f[o[0]], b.f[o[1]]);
                           return "";
                         }
                         std::string err;
                         out.i[k] = fi(a.i[o[0]], b.i[o[1]], out.dtype, err);
                         return err;
                       });
}

/// Wrapping integer arithmetic through uint64.
int64_t wrapAdd(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}
int64_t wrapSub(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
}
int64_t wrapMul(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}

/// arith.maximumf: NaN propagates, +0 > -0.
double maximumF(double x, double y) {
  if (std::isnan(x) || std::isnan(y))
    return kNaN;
  if (x == y)
    return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

template <typename F>
llvm::Expected<Tensor> unaryFloat(Operation *op, const Tensor &x, F f) {
  if (!x.isFloat())
    return opError(op, "expects a float operand");
  auto out = makeResult(op, x.shape);
  if (!out)
    return out.takeError();
  for (int64_t k = 0; k < x.size(); ++k)
    out->f[k] = f(x.f[k]);
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

//===----------------------------------------------------------------------===//
// constant / cast
//===----------------------------------------------------------------------===//

double toDouble(const llvm::APFloat &v) {
  llvm::APFloat d = v;
  bool lost = false;
  d.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return d.convertToDouble();
}

llvm::Expected<Tensor> evalConstant(ConstantOp op, const Env &) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense)
    return opError(op, "only dense constants are supported");
  Shape shape(dense.getType().getShape().begin(),
              dense.getType().getShape().end());
  auto out = makeResult(op, shape);
  if (!out)
    return out.takeError();
  int64_t k = 0;
  if (out->isFloat()) {
    for (const llvm::APFloat &v : dense.getValues<llvm::APFloat>())
      out->f[k++] = toDouble(v);
  } else {
    bool isI1 = out->dtype == DType::I1;
    for (const llvm::APInt &v : dense.getValues<llvm::APInt>())
      out->i[k++] = isI1 ? static_cast<int64_t>(v.getZExtValue())
                         : v.getSExtValue();
  }
  return out;
}

llvm::Expected<Tensor> evalCast(CastOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  auto out = makeResult(op, x.shape);
  if (!out)
    return out.takeError();
  DType to = out->dtype;
  for (int64_t k = 0; k < x.size(); ++k) {
    if (x.isFloat()) {
      double v = x.f[k];
      if (isFloat(to)) {
        out->f[k] = v; // rounded to `to` (nearest even) by the driver
      } else if (to == DType::I1) {
        out->i[k] = v != 0.0; // NaN is nonzero
      } else {
        double t = std::trunc(v);
        double lo = to == DType::I32 ? -2147483648.0 : -9223372036854775808.0;
        if (std::isnan(v) || t < lo || t >= -lo)
          return opError(op, "value " + std::to_string(v) + " at element " +
                                 std::to_string(k) + " does not fit " +
                                 dtypeName(to) +
                                 " (float to int conversion is undefined)");
        out->i[k] = static_cast<int64_t>(t);
      }
    } else {
      int64_t v = x.i[k];
      if (isFloat(to)) {
        // One rounding from the exact integer (as sitofp / uitofp).
        llvm::APFloat f(to == DType::F32    ? llvm::APFloat::IEEEsingle()
                        : to == DType::F16 ? llvm::APFloat::IEEEhalf()
                                           : llvm::APFloat::BFloat());
        f.convertFromAPInt(llvm::APInt(64, static_cast<uint64_t>(v), true),
                           /*IsSigned=*/true, llvm::APFloat::rmNearestTiesToEven);
        out->f[k] = toDouble(f);
      } else if (to == DType::I1) {
        out->i[k] = v != 0;
      } else {
        out->i[k] = v; // i1 is 0/1 (zero extension); i64 -> i32 wraps
      }
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

/// The lowering's hash (compiler/lib/Conversion/LoomToLinalg/Elementwise.cpp):
/// splitmix64 of seed + stream * golden + (i + 1) * mix1; keep iff the top 24
/// bits, as a fraction of 2^24, are >= rate.
bool dropoutKeeps(uint64_t seed, uint64_t stream, uint64_t index,
                  double rate) {
  uint64_t z = seed + stream * 0x9E3779B97F4A7C15ull +
               (index + 1) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  double u = static_cast<double>(z >> 40) * 0x1p-24;
  return u >= rate;
}

llvm::Expected<Tensor> evalDropout(DropoutOp op, const Env &env) {
  const Tensor &x = env[op.getInput()];
  double rate = op.getRate().convertToDouble();
  Tensor out = x;
  if (!op.getTraining() || rate == 0.0)
    return out;
  if (!(rate >= 0.0 && rate < 1.0))
    return opError(op, "rate must be in [0, 1)");
  const Tensor *seed = env.optional(op.getSeed());
  if (!seed || seed->size() != 1)
    return opError(op, "training dropout needs a rank-0 seed");
  uint64_t s = static_cast<uint64_t>(seed->i[0]);
  uint64_t stream = static_cast<uint64_t>(op.getStream());
  double scale = 1.0 / (1.0 - rate);
  for (int64_t k = 0; k < x.size(); ++k)
    out.f[k] = dropoutKeeps(s, stream, static_cast<uint64_t>(k), rate)
                   ? x.f[k] * scale
                   : 0.0;
  return out;
}

//===----------------------------------------------------------------------===//
// compare / select
//===----------------------------------------------------------------------===//

llvm::Expected<Tensor> evalCompare(CompareOp op, const Env &env) {
  const Tensor &a = env[op.getLhs()], &b = env[op.getRhs()];
  if (a.dtype != b.dtype)
    return opError(op, "operands differ in element type");
  ComparePredicate p = op.getPredicate();
  return broadcastEval(
      op, {&a, &b},
      [&](Tensor &out, int64_t k, const std::vector<int64_t> &o) -> std::string {
        bool r = false;
        if (a.isFloat()) {
          // Ordered predicates (false on NaN), `ne` unordered (true on NaN),
          // as arith.cmpf oeq/une/olt/ole/ogt/oge.
          double x = a.f[o[0]], y = b.f[o[1]];
          switch (p) {
          case ComparePredicate::eq: r = x == y; break;
          case ComparePredicate::ne: r = !(x == y); break;
          case ComparePredicate::lt: r = x < y; break;
          case ComparePredicate::le: r = x <= y; break;
          case ComparePredicate::gt: r = x > y; break;
          case ComparePredicate::ge: r = x >= y; break;
          }
        } else {
          int64_t x = a.i[o[0]], y = b.i[o[1]];
          switch (p) {
          case ComparePredicate::eq: r = x == y; break;
          case ComparePredicate::ne: r = x != y; break;
          case ComparePredicate::lt: r = x < y; break;
          case ComparePredicate::le: r = x <= y; break;
          case ComparePredicate::gt: r = x > y; break;
          case ComparePredicate::ge: r = x >= y; break;
          }
        }
        out.i[k] = r;
        return "";
      });
}

llvm::Expected<Tensor> evalSelect(SelectOp op, const Env &env) {
  const Tensor &c = env[op.getCondition()], &t = env[op.getOnTrue()],
               &f = env[op.getOnFalse()];
  if (t.dtype != f.dtype)
    return opError(op, "on_true and on_false differ in element type");
  return broadcastEval(
      op, {&c, &t, &f},
      [&](Tensor &out, int64_t k, const std::vector<int64_t> &o) -> std::string {
        bool take = c.i[o[0]] != 0;
        if (out.isFloat())
          out.f[k] = take ? t.f[o[1]] : f.f[o[2]];
        else
          out.i[k] = take ? t.i[o[1]] : f.i[o[2]];
        return "";
      });
}

} // namespace

void li::detail::registerElementwise(Registry &r) {
  add<ConstantOp>(r, evalConstant);
  add<CastOp>(r, evalCast);
  add<DropoutOp>(r, evalDropout);
  add<CompareOp>(r, evalCompare);
  add<SelectOp>(r, evalSelect);

  auto noInt = [](const char *what) {
    return [what](int64_t, int64_t, DType, std::string &err) -> int64_t {
      err = std::string(what) + " is not defined on integers";
      return 0;
    };
  };
  add<AddOp>(r, [](AddOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()],
                  [](double x, double y) { return x + y; },
                  [](int64_t x, int64_t y, DType, std::string &) {
                    return wrapAdd(x, y);
                  });
  });
  add<SubOp>(r, [](SubOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()],
                  [](double x, double y) { return x - y; },
                  [](int64_t x, int64_t y, DType, std::string &) {
                    return wrapSub(x, y);
                  });
  });
  add<MulOp>(r, [](MulOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()],
                  [](double x, double y) { return x * y; },
                  [](int64_t x, int64_t y, DType, std::string &) {
                    return wrapMul(x, y);
                  });
  });
  add<DivOp>(r, [](DivOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()],
                  [](double x, double y) { return x / y; },
                  [](int64_t x, int64_t y, DType t, std::string &err) {
                    int64_t min = t == DType::I32 ? INT32_MIN : INT64_MIN;
                    if (y == 0 || (x == min && y == -1)) {
                      err = "integer division " + std::to_string(x) + " / " +
                            std::to_string(y) + " is undefined";
                      return int64_t(0);
                    }
                    return x / y; // truncates toward zero, as arith.divsi
                  });
  });
  add<MaximumOp>(r, [](MaximumOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()], maximumF,
                  [](int64_t x, int64_t y, DType, std::string &) {
                    return std::max(x, y);
                  });
  });
  add<PowOp>(r, [noInt](PowOp op, const Env &env) {
    return binary(op, env[op.getLhs()], env[op.getRhs()],
                  [](double x, double y) { return std::pow(x, y); },
                  noInt("pow"));
  });
  add<NegOp>(r, [](NegOp op, const Env &env) -> llvm::Expected<Tensor> {
    Tensor out = env[op.getInput()];
    for (double &v : out.f)
      v = -v;
    for (int64_t &v : out.i)
      v = wrapSub(0, v);
    return out;
  });

#define LOOM_UNARY(OP, EXPR)                                                   \
  add<OP>(r, [](OP op, const Env &env) {                                       \
    return unaryFloat(op, env[op.getInput()], [](double x) { return EXPR; });  \
  });
  LOOM_UNARY(ExpOp, std::exp(x))
  LOOM_UNARY(LogOp, std::log(x))
  LOOM_UNARY(SqrtOp, std::sqrt(x))
  LOOM_UNARY(RsqrtOp, 1.0 / std::sqrt(x))
  LOOM_UNARY(ErfOp, std::erf(x))
  LOOM_UNARY(TanhOp, std::tanh(x))
  LOOM_UNARY(SigmoidOp, sigmoid(x))
  // max(x, 0) with NaN propagating and relu(-0) = +0 (as arith.maximumf).
  LOOM_UNARY(ReluOp, maximumF(x, 0.0))
  // x * sigmoid(x)
  LOOM_UNARY(SiluOp, x * sigmoid(x))
#undef LOOM_UNARY

  add<GeluOp>(r, [](GeluOp op, const Env &env) {
    bool tanhApprox = op.getApproximate() == GeluApproximation::tanh;
    return unaryFloat(op, env[op.getInput()], [tanhApprox](double x) {
      if (tanhApprox)
        return 0.5 * x *
               (1.0 + std::tanh(std::sqrt(2.0 / M_PI) *
                                (x + 0.044715 * x * x * x)));
      // x * Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2 the standard normal CDF
      // (erfc keeps Phi accurate where 1 + erf(x / sqrt 2) would cancel).
      return x * 0.5 * std::erfc(-x / std::sqrt(2.0));
    });
  });
}
