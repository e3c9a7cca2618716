//===- CompiledCaseUtil.h - one op case: interpret, compile, compare -*- C++ -*-===//
#ifndef LOOM_TEST_UNIT_COMPILEDCASEUTIL_H
#define LOOM_TEST_UNIT_COMPILEDCASEUTIL_H

#include "CompiledTestUtil.h"

#include "Loom/IR/LoomDialect.h"

#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>

namespace loom::testutil {

/// How one argument is filled.
struct Gen {
  std::function<Tensor(Rng &, DType, const Shape &)> make;
};

/// Floats uniform in [lo, hi).
inline Gen U(double lo, double hi) {
  return {[=](Rng &r, DType t, const Shape &s) {
    return uniformTensor(r, t, s, lo, hi);
  }};
}
/// Integers uniform in [lo, hi).
inline Gen I(int64_t lo, int64_t hi) {
  return {[=](Rng &r, DType t, const Shape &s) {
    return intTensor(r, t, s, lo, hi);
  }};
}
/// Integers in [lo, hi), each replaced by `special` with probability p.
inline Gen ISome(int64_t lo, int64_t hi, int64_t special, double p) {
  return {[=](Rng &r, DType t, const Shape &s) {
    Tensor x = intTensor(r, t, s, lo, hi);
    for (int64_t &v : x.i)
      if (r.uniform() < p)
        v = special;
    return x;
  }};
}
/// Every 64-bit pattern (seeds).
inline Gen Bits() {
  return {[](Rng &r, DType t, const Shape &s) {
    std::vector<int64_t> v(interp::numElements(s));
    for (int64_t &x : v)
      x = static_cast<int64_t>(r.next());
    return Tensor::ints(t, s, v);
  }};
}
/// i1 true with probability p; with keepFirst, index 0 of the last dim is
/// always true (no fully masked softmax row).
inline Gen Mask(double p, bool keepFirst = false) {
  return {[=](Rng &r, DType t, const Shape &s) {
    std::vector<int64_t> v(interp::numElements(s));
    int64_t last = s.empty() ? 1 : s.back();
    for (size_t k = 0; k < v.size(); ++k)
      v[k] = (keepFirst && k % last == 0) || r.uniform() < p;
    return Tensor::ints(t, s, v);
  }};
}
/// Values cycled from a list.
inline Gen Fixed(std::vector<double> values) {
  return {[=](Rng &, DType t, const Shape &s) {
    std::vector<double> v(interp::numElements(s));
    for (size_t k = 0; k < v.size(); ++k)
      v[k] = values[k % values.size()];
    if (interp::isFloat(t))
      return Tensor::floats(t, s, v);
    std::vector<int64_t> iv(v.begin(), v.end());
    return Tensor::ints(t, s, iv);
  }};
}

/// Default fill: floats uniform in [-2, 2), ints in [0, 10), masks p = 0.7.
inline Tensor fill(Rng &rng, mlir::RankedTensorType type, const Gen *gen) {
  DType t = *interp::dtypeOf(type.getElementType());
  Shape s(type.getShape().begin(), type.getShape().end());
  if (gen)
    return gen->make(rng, t, s);
  if (interp::isFloat(t))
    return uniformTensor(rng, t, s, -2.0, 2.0);
  if (t == DType::I1)
    return Mask(0.7).make(rng, t, s);
  return intTensor(rng, t, s, 0, 10);
}

struct OpCase {
  std::string name;
  std::string body; // func.func @forward(...) with static shapes
  Metric metric = Metric::Element;
  double tol = 0.0;
  std::map<unsigned, Gen> gens; // by argument index
  uint64_t seed = 1;
};

/// The largest error seen per case, printed for the record.
inline void report(const std::string &name, size_t output, Metric m,
                   double err, double tol) {
  std::cout << "[compiled-vs-interpreter] " << name << " #" << output << " "
            << (m == Metric::Element ? "elem" : "norm") << " err=" << err
            << " tol=" << tol << "\n";
}

/// Interprets @forward, compiles it, runs the library, compares every
/// output. Arguments get loom.input names and results loom.output names.
inline void runCase(mlir::MLIRContext &ctx, const OpCase &c) {
  SCOPED_TRACE(c.name);
  auto module = parse(ctx, c.body);
  ASSERT_TRUE(module) << "cannot parse:\n" << c.body;
  mlir::func::FuncOp fn = lookup(*module);
  ASSERT_TRUE(fn);
  mlir::Builder b(&ctx);
  for (unsigned k = 0; k < fn.getNumArguments(); ++k)
    fn.setArgAttr(k, "loom.input", b.getStringAttr("in" + std::to_string(k)));
  for (unsigned k = 0; k < fn.getNumResults(); ++k)
    fn.setResultAttr(k, "loom.output", b.getStringAttr("out" + std::to_string(k)));

  Rng rng(c.seed);
  std::vector<Tensor> args;
  for (unsigned k = 0; k < fn.getNumArguments(); ++k) {
    auto it = c.gens.find(k);
    args.push_back(fill(rng, mlir::cast<mlir::RankedTensorType>(
                                 fn.getArgument(k).getType()),
                        it == c.gens.end() ? nullptr : &it->second));
  }
  std::vector<Tensor> ref;
  std::string err = interp::run(fn, args, ref);
  ASSERT_EQ(err, "") << "interpreter failed";

  CompiledModule compiled;
  err = compiled.compile(*module);
  ASSERT_EQ(err, "") << "compilation failed";
  std::vector<Tensor> got;
  err = compiled.call("forward", argNames(fn), args, got);
  ASSERT_EQ(err, "") << "call failed";
  ASSERT_EQ(got.size(), ref.size());
  for (size_t k = 0; k < ref.size(); ++k) {
    Comparison cmp = compare(got[k], ref[k], c.metric);
    EXPECT_EQ(cmp.problem, "") << "output #" << k;
    report(c.name, k, c.metric, cmp.error, c.tol);
    EXPECT_LE(cmp.error, c.tol)
        << "output #" << k << " worst element " << cmp.worst << ": compiled "
        << (cmp.worst >= 0 ? got[k].get(cmp.worst) : 0.0) << ", interpreter "
        << (cmp.worst >= 0 ? ref[k].get(cmp.worst) : 0.0);
  }
}

/// "$T" -> `to` etc.
inline std::string subst(std::string text,
                         const std::vector<std::pair<std::string, std::string>> &map) {
  for (const auto &[from, to] : map)
    for (size_t p = text.find(from); p != std::string::npos;
         p = text.find(from, p + to.size()))
      text.replace(p, from.size(), to);
  return text;
}

/// The op cases' fixture: one context with every dialect for the suite.
class CompiledVsInterpreter : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    mlir::DialectRegistry registry;
    registerEverything(registry);
    ctx = new mlir::MLIRContext(registry);
    ctx->loadDialect<mlir::loom::LoomDialect, mlir::func::FuncDialect>();
  }
  static void TearDownTestSuite() {
    delete ctx;
    ctx = nullptr;
  }
  void check(const OpCase &c) {
    covered().insert(c.body);
    runCase(*ctx, c);
  }
  /// Every body checked so far (for the coverage test, which runs last).
  static std::set<std::string> &covered() {
    static std::set<std::string> s;
    return s;
  }
  static inline mlir::MLIRContext *ctx = nullptr;
};

/// A unary op on [5, 37], a rank-0 and a [1] tensor.
inline std::string unaryBody(const std::string &op) {
  return subst(R"(
  func.func @forward(%a: tensor<5x37xf32>, %s: tensor<f32>, %o: tensor<1xf32>) -> (tensor<5x37xf32>, tensor<f32>, tensor<1xf32>) {
    %0 = loom.$OP %a : (tensor<5x37xf32>) -> tensor<5x37xf32>
    %1 = loom.$OP %s : (tensor<f32>) -> tensor<f32>
    %2 = loom.$OP %o : (tensor<1xf32>) -> tensor<1xf32>
    return %0, %1, %2 : tensor<5x37xf32>, tensor<f32>, tensor<1xf32>
  })",
               {{"$OP", op}});
}

inline std::map<unsigned, Gen> unaryArgs(const Gen &g) {
  return {{0, g}, {1, g}, {2, g}};
}

} // namespace loom::testutil

#endif // LOOM_TEST_UNIT_COMPILEDCASEUTIL_H
