//===- AutodiffGradCheckTest.cpp - loom-autodiff against finite differences ===//
//
// For every VJP rule: a tiny @loss (usually reduce_sum(op(...) * w) with a
// fixed random `w`), run through loom-autodiff; @loss_grad is evaluated in the
// reference interpreter and each gradient element is compared with a central
// finite difference of @loss, also in the interpreter.
//
// Rounding: the dialect has no f64, so @loss runs on f32 tensors (the
// interpreter accumulates in double and rounds each op's result to f32). The
// step is taken on the f32-rounded parameter and the difference quotient
// divides by the actually representable step (x+h) - (x-h). With h = 1e-2
// and losses of magnitude ~1..10, f32 rounding of the loss contributes
// ~1e-5 to the quotient and the O(h^2) truncation ~1e-4 for these smooth
// functions. Tolerance: |ad - fd| <= 2e-3 * max(1, |fd|) per element (the
// measured worst is 3e-4; wrong rules miss by far more: a missing factor or
// term shows up as O(1e-1..1) errors). The tiny models of models/: see
// kModelTol and modelGradCheck.
// Non-smooth ops (relu, maximum, reduce_max) get inputs whose kinks are
// farther than h from every element.
//
//===----------------------------------------------------------------------===//
#include "TinyModelInputs.h"

#include "loom/Autodiff/Passes.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Frontend/MLIRGen.h"
#include "loom/Spec/Spec.h"
#include "loom/Interpreter/Interpreter.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <set>

using namespace loom::interp;
namespace tiny = loom::testutil::tiny;

namespace {

constexpr double kStep = 1e-2;
constexpr double kTol = 2e-3;
/// The tiny models' gradients are small (~1e-4..1): errors are taken
/// relative to max(|fd|, 1e-2), with tolerance 1e-2. The floor is where f32
/// rounding of the loss takes over: a loss of ~2..6 has an ulp of ~5e-7,
/// i.e. ~2.4e-5 in the difference quotient with h = 1e-2, plus the O(h^2)
/// truncation through two to four layers of attention and norms. Measured
/// (B=2, T=S=4, seeds of TinyModelInputs.h): worst element error 3.2e-3,
/// worst directional error 2.4e-3 over the five models. A wrong rule is off
/// by far more (a missing term or factor: 1e-1..1; a gradient 5% off fails).
constexpr double kModelFloor = 1e-2;
constexpr double kModelTol = 1e-2;

struct ArgGen {
  double lo = -1.0, hi = 1.0; // floats
  int64_t ilo = 0, ihi = 2;   // ints in [ilo, ihi)
  std::vector<int64_t> fixed; // fixed ints, if non-empty
};

struct Harness {
  mlir::MLIRContext ctx;
  Harness() {
    mlir::DialectRegistry registry;
    registry.insert<mlir::loom::LoomDialect, mlir::func::FuncDialect>();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
};

Tensor makeArg(std::mt19937_64 &rng, mlir::Type type, const ArgGen &g) {
  auto t = mlir::cast<mlir::RankedTensorType>(type);
  DType dt = *dtypeOf(t.getElementType());
  Shape s(t.getShape().begin(), t.getShape().end());
  int64_t n = numElements(s);
  if (isFloat(dt)) {
    std::uniform_real_distribution<double> u(g.lo, g.hi);
    std::vector<double> v(n);
    for (double &x : v)
      x = u(rng);
    return Tensor::floats(dt, s, v);
  }
  std::vector<int64_t> v(n);
  if (!g.fixed.empty()) {
    v = g.fixed;
  } else {
    std::uniform_int_distribution<int64_t> u(g.ilo, g.ihi - 1);
    for (int64_t &x : v)
      x = u(rng);
  }
  return Tensor::ints(dt, s, v);
}

double evalLoss(mlir::func::FuncOp fn, const std::vector<Tensor> &args) {
  std::vector<Tensor> out;
  std::string err = run(fn, args, out);
  EXPECT_EQ(err, "");
  if (!err.empty() || out.empty())
    return NAN;
  return out[0].f[0];
}

/// Runs loom-autodiff on `module` and checks every gradient of @loss_grad
/// against finite differences of @loss. Returns the largest error seen.
double gradCheck(mlir::ModuleOp module, std::map<std::string, ArgGen> gens,
                 uint64_t seed = 1, int64_t maxElems = -1,
                 std::vector<std::string> onlyParams = {},
                 double floor = 1.0, double tol = kTol) {
  mlir::PassManager pm(module.getContext());
  loom::pipelines::buildGradientPipeline(pm);
  if (failed(pm.run(module))) {
    ADD_FAILURE() << "loom-autodiff failed";
    return INFINITY;
  }
  auto loss = module.lookupSymbol<mlir::func::FuncOp>("loss");
  auto grad = module.lookupSymbol<mlir::func::FuncOp>("loss_grad");
  if (!loss || !grad) {
    ADD_FAILURE() << "no @loss / @loss_grad";
    return INFINITY;
  }
  std::mt19937_64 rng(seed);
  std::vector<Tensor> args;
  std::vector<std::string> params; // per arg, "" if not a param
  for (unsigned i = 0; i < loss.getNumArguments(); ++i) {
    std::string name;
    if (auto p = loss.getArgAttrOfType<mlir::StringAttr>(i, "loom.param"))
      name = p.str();
    else if (auto in = loss.getArgAttrOfType<mlir::StringAttr>(i, "loom.input"))
      name = in.str();
    ArgGen g = gens.count(name) ? gens[name] : ArgGen{};
    args.push_back(makeArg(rng, loss.getArgument(i).getType(), g));
    params.push_back(loss.getArgAttrOfType<mlir::StringAttr>(i, "loom.param")
                         ? name
                         : "");
  }
  std::vector<Tensor> out;
  std::string err = run(grad, args, out);
  if (!err.empty()) {
    ADD_FAILURE() << "interpreting @loss_grad: " << err;
    return INFINITY;
  }
  double l0 = evalLoss(loss, args);
  EXPECT_NEAR(out[0].f[0], l0, 1e-6 * std::max(1.0, std::fabs(l0)));

  double worst = 0;
  unsigned k = 1;
  for (unsigned i = 0; i < args.size(); ++i) {
    if (params[i].empty())
      continue;
    const Tensor &g = out.at(k++);
    if (!onlyParams.empty() &&
        std::find(onlyParams.begin(), onlyParams.end(), params[i]) ==
            onlyParams.end())
      continue;
    EXPECT_EQ(g.shape, args[i].shape) << params[i];
    std::vector<int64_t> elems;
    for (int64_t e = 0; e < args[i].size(); ++e)
      elems.push_back(e);
    if (maxElems >= 0 && (int64_t)elems.size() > maxElems) {
      std::shuffle(elems.begin(), elems.end(), rng);
      elems.resize(maxElems);
    }
    for (int64_t e : elems) {
      std::vector<Tensor> a = args;
      double x = args[i].f[e];
      a[i].f[e] = x + kStep;
      a[i].normalize();
      double xp = a[i].f[e];
      double lp = evalLoss(loss, a);
      a[i].f[e] = x - kStep;
      a[i].normalize();
      double xm = a[i].f[e];
      double lm = evalLoss(loss, a);
      double fd = (lp - lm) / (xp - xm);
      double ad = g.f[e];
      double e1 = std::fabs(ad - fd) / std::max(floor, std::fabs(fd));
      worst = std::max(worst, e1);
      EXPECT_LE(e1, tol) << "d/d " << params[i] << "[" << e << "]: autodiff "
                          << ad << ", finite difference " << fd;
    }
  }
  return worst;
}

/// @loss(params..., inputs..., %w) = reduce_sum(body's %y * %w).
std::string wrap(const std::string &args, const std::string &body,
                 const std::string &yType) {
  std::string rank0 = yType == "tensor<f32>" ? "" : "all";
  std::string s = "func.func @loss(" + args + ", %w: " + yType +
                  " {loom.input = \"w\"}) -> tensor<f32> {\n" + body +
                  "\n  %yw = loom.mul %y, %w : (" + yType + ", " + yType +
                  ") -> " + yType + "\n";
  if (yType == "tensor<f32>")
    return s + "  return %yw : tensor<f32>\n}\n";
  // rank of yType: count 'x'
  size_t lt = yType.find('<'), gt = yType.rfind('x');
  int rank = 0;
  for (size_t p = lt; p < gt + 1; ++p)
    rank += yType[p] == 'x';
  std::string axes;
  for (int r = 0; r < rank; ++r)
    axes += (r ? ", " : "") + std::to_string(r);
  return s + "  %l = loom.reduce_sum %yw axes = [" + axes + "] : (" + yType +
         ") -> tensor<f32>\n  return %l : tensor<f32>\n}\n";
}

struct GradCheck : ::testing::Test {
  Harness h;
  double check(const std::string &src, std::map<std::string, ArgGen> gens = {},
               uint64_t seed = 1) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(src, &h.ctx);
    if (!module) {
      ADD_FAILURE() << "parse failed:\n" << src;
      return INFINITY;
    }
    double w = gradCheck(*module, gens, seed);
    std::cout << "  max error " << w << "\n";
    return w;
  }
  /// y = op(params); unary float op on a 2x3 param.
  void unary(const std::string &op, ArgGen g = {}) {
    SCOPED_TRACE(op);
    check(wrap("%x: tensor<2x3xf32> {loom.param = \"x\"}",
               "  %y = " + op + " %x : (tensor<2x3xf32>) -> tensor<2x3xf32>",
               "tensor<2x3xf32>"),
          {{"x", g}});
  }
  void binary(const std::string &op, const std::string &ta,
              const std::string &tb, const std::string &ty, ArgGen ga = {},
              ArgGen gb = {}) {
    SCOPED_TRACE(op + " " + ta + " " + tb);
    check(wrap("%a: " + ta + " {loom.param = \"a\"}, %b: " + tb +
                   " {loom.param = \"b\"}",
               "  %y = " + op + " %a, %b : (" + ta + ", " + tb + ") -> " + ty,
               ty),
          {{"a", ga}, {"b", gb}});
  }
};

const std::string T23 = "tensor<2x3xf32>";

TEST_F(GradCheck, Binary) {
  binary("loom.add", T23, "tensor<3xf32>", T23);
  binary("loom.sub", T23, "tensor<2x1xf32>", T23);
  binary("loom.mul", "tensor<1x3xf32>", T23, T23);
  binary("loom.div", T23, "tensor<3xf32>", T23, {}, {0.5, 1.5});
  binary("loom.div", "tensor<f32>", T23, T23, {}, {0.5, 1.5});
  binary("loom.pow", T23, "tensor<3xf32>", T23, {0.5, 1.5}, {0.5, 2.5});
}

TEST_F(GradCheck, MaximumAndRelu) {
  // a in [-1, -0.1] or [0.1, 1] relative to b: use disjoint ranges.
  binary("loom.maximum", T23, "tensor<3xf32>", T23, {0.2, 1.0}, {-1.0, -0.1});
  binary("loom.maximum", T23, T23, T23, {-1.0, -0.1}, {0.2, 1.0});
  unary("loom.relu", {0.1, 1.0});
  unary("loom.relu", {-1.0, -0.1});
}

TEST_F(GradCheck, Unary) {
  unary("loom.neg");
  unary("loom.exp");
  unary("loom.log", {0.5, 2.0});
  unary("loom.sqrt", {0.5, 2.0});
  unary("loom.rsqrt", {0.5, 2.0});
  unary("loom.erf");
  unary("loom.tanh");
  unary("loom.sigmoid");
  unary("loom.silu", {-3.0, 3.0});
  unary("loom.gelu erf", {-3.0, 3.0});
  unary("loom.gelu tanh", {-3.0, 3.0});
}

TEST_F(GradCheck, SelectAndDropout) {
  check(wrap("%a: tensor<2x3xf32> {loom.param = \"a\"}, %b: tensor<3xf32> "
             "{loom.param = \"b\"}, %m: tensor<2x3xi1> {loom.input = \"m\"}",
             "  %y = loom.select %m, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, "
             "tensor<3xf32>) -> tensor<2x3xf32>",
             T23));
  check(wrap("%x: tensor<4x8xf32> {loom.param = \"x\"}, %s: tensor<i64> "
             "{loom.input = \"s\"}",
             "  %y = loom.dropout %x seed(%s) {rate = 5.000000e-01 : f64, "
             "stream = 3 : i64, training} : (tensor<4x8xf32>, tensor<i64>) -> "
             "tensor<4x8xf32>",
             "tensor<4x8xf32>"),
        {{"s", ArgGen{0, 0, 0, 0, {12345}}}});
}

TEST_F(GradCheck, Shape) {
  check(wrap("%x: tensor<2x6xf32> {loom.param = \"x\"}",
             "  %y = loom.reshape %x shape = [3, -1] : (tensor<2x6xf32>) -> "
             "tensor<3x4xf32>",
             "tensor<3x4xf32>"));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.transpose %x permutation = [2, 0, 1] : "
             "(tensor<2x3x4xf32>) -> tensor<4x2x3xf32>",
             "tensor<4x2x3xf32>"));
  check(wrap("%a: tensor<2x3xf32> {loom.param = \"a\"}, %b: tensor<2x2xf32> "
             "{loom.param = \"b\"}",
             "  %y = loom.concat %a, %b, %a axis = -1 : (tensor<2x3xf32>, "
             "tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x8xf32>",
             "tensor<2x8xf32>"));
  check(wrap("%x: tensor<2x6xf32> {loom.param = \"x\"}",
             "  %y = loom.slice %x axis = 1 start = -4 end = 5 : "
             "(tensor<2x6xf32>) -> tensor<2x3xf32>",
             T23));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.split_heads %x num_heads = 2 : (tensor<2x3x4xf32>) -> "
             "tensor<2x2x3x2xf32>",
             "tensor<2x2x3x2xf32>"));
  check(wrap("%x: tensor<2x2x3x2xf32> {loom.param = \"x\"}",
             "  %y = loom.merge_heads %x : (tensor<2x2x3x2xf32>) -> "
             "tensor<2x3x4xf32>",
             "tensor<2x3x4xf32>"));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}, %t: tensor<1x4xf32> "
             "{loom.param = \"t\"}",
             "  %y = loom.prepend_token %x, %t : (tensor<2x3x4xf32>, "
             "tensor<1x4xf32>) -> tensor<2x4x4xf32>",
             "tensor<2x4x4xf32>"));
  check(wrap("%x: tensor<1x2x4x4xf32> {loom.param = \"x\"}",
             "  %y = loom.patchify %x patch = 2 : (tensor<1x2x4x4xf32>) -> "
             "tensor<1x4x8xf32>",
             "tensor<1x4x8xf32>"));
}

TEST_F(GradCheck, Reductions) {
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.reduce_sum %x axes = [1] : (tensor<2x3x4xf32>) -> "
             "tensor<2x4xf32>",
             "tensor<2x4xf32>"));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.reduce_mean %x axes = [0, -1] keep_dims : "
             "(tensor<2x3x4xf32>) -> tensor<1x3x1xf32>",
             "tensor<1x3x1xf32>"));
  // Distinct values (a permutation of a grid with spacing 0.1 > 2h).
  std::vector<double> vals;
  for (int i = 0; i < 24; ++i)
    vals.push_back(-1.2 + 0.1 * ((i * 7) % 24));
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}",
           "  %y = loom.reduce_max %x axes = [1] : (tensor<2x3x4xf32>) -> "
           "tensor<2x4xf32>",
           "tensor<2x4xf32>"),
      &h.ctx);
  ASSERT_TRUE(module);
  // The random draw of [-1, 1] has gaps > 2h between the maxima with this
  // seed; the check fails loudly otherwise.
  gradCheck(*module, {}, 3);
}

TEST_F(GradCheck, GatherAndEmbedding) {
  check(wrap("%x: tensor<3x5xf32> {loom.param = \"x\"}, %i: tensor<3xi32> "
             "{loom.input = \"i\"}",
             "  %y = loom.gather %x, %i : (tensor<3x5xf32>, tensor<3xi32>) -> "
             "tensor<3xf32>",
             "tensor<3xf32>"),
        {{"i", ArgGen{0, 0, 0, 5}}});
  check(wrap("%t: tensor<5x4xf32> {loom.param = \"t\"}, %i: tensor<2x3xi64> "
             "{loom.input = \"i\"}",
             "  %y = loom.embedding %t, %i : (tensor<5x4xf32>, tensor<2x3xi64>) "
             "-> tensor<2x3x4xf32>",
             "tensor<2x3x4xf32>"),
        {{"i", ArgGen{0, 0, 0, 0, {1, 3, 1, 0, 4, 3}}}});
  // index_add (embedding's gradient) in both its float operands, with a
  // repeated id.
  check(wrap("%t: tensor<5x4xf32> {loom.param = \"t\"}, %s: tensor<2x3x4xf32> "
             "{loom.param = \"s\"}, %i: tensor<2x3xi32> {loom.input = \"i\"}",
             "  %y = loom.index_add %t, %i, %s : (tensor<5x4xf32>, "
             "tensor<2x3xi32>, tensor<2x3x4xf32>) -> tensor<5x4xf32>",
             "tensor<5x4xf32>"),
        {{"i", ArgGen{0, 0, 0, 0, {1, 3, 1, 0, 4, 3}}}});
  // Positions are integers: sinusoidal_encoding has no gradient; x does.
  check(wrap("%x: tensor<3x4xf32> {loom.param = \"x\"}",
             "  %p = loom.positions %x axis = 0 : (tensor<3x4xf32>) -> "
             "tensor<3xi64>\n"
             "  %e = loom.sinusoidal_encoding %p dim = 4 : (tensor<3xi64>) -> "
             "tensor<3x4xf32>\n"
             "  %y = loom.mul %x, %e : (tensor<3x4xf32>, tensor<3x4xf32>) -> "
             "tensor<3x4xf32>",
             "tensor<3x4xf32>"));
}

TEST_F(GradCheck, Contractions) {
  binary("loom.matmul", "tensor<3x4xf32>", "tensor<4x2xf32>", "tensor<3x2xf32>");
  binary("loom.batch_matmul", "tensor<2x3x4xf32>", "tensor<4x5xf32>",
         "tensor<2x3x5xf32>");
  binary("loom.batch_matmul", "tensor<1x3x4xf32>", "tensor<2x1x4x5xf32>",
         "tensor<2x1x3x5xf32>");
  // transpose_rhs: spelled in the op's syntax.
  check(wrap("%a: tensor<2x3x4xf32> {loom.param = \"a\"}, %b: tensor<1x5x4xf32>"
             " {loom.param = \"b\"}",
             "  %y = loom.batch_matmul %a, %b transpose_rhs : (tensor<2x3x4xf32>"
             ", tensor<1x5x4xf32>) -> tensor<2x3x5xf32>",
             "tensor<2x3x5xf32>"));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}, %w0: tensor<5x4xf32> "
             "{loom.param = \"w0\"}, %b: tensor<5xf32> {loom.param = \"b\"}",
             "  %y = loom.linear %x, %w0, %b transpose_weight : "
             "(tensor<2x3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> "
             "tensor<2x3x5xf32>",
             "tensor<2x3x5xf32>"));
}

TEST_F(GradCheck, PatchEmbed) {
  check(wrap("%x: tensor<1x2x4x4xf32> {loom.param = \"x\"}, %w0: "
             "tensor<3x2x2x2xf32> {loom.param = \"w0\"}, %b: tensor<3xf32> "
             "{loom.param = \"b\"}",
             "  %y = loom.patch_embed %x, %w0, %b patch = 2 : "
             "(tensor<1x2x4x4xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>) -> "
             "tensor<1x4x3xf32>",
             "tensor<1x4x3xf32>"));
}

TEST_F(GradCheck, Linear) {
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}, %w0: tensor<4x5xf32> "
             "{loom.param = \"w0\"}",
             "  %y = loom.linear %x, %w0 : (tensor<2x3x4xf32>, tensor<4x5xf32>) "
             "-> tensor<2x3x5xf32>",
             "tensor<2x3x5xf32>"));
}

TEST_F(GradCheck, Norms) {
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}, %g: tensor<4xf32> "
             "{loom.param = \"g\"}, %b: tensor<4xf32> {loom.param = \"b\"}",
             "  %y = loom.layer_norm %x, %g, %b epsilon = 1.000000e-05 : "
             "(tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> "
             "tensor<2x3x4xf32>",
             "tensor<2x3x4xf32>"));
  check(wrap("%x: tensor<2x3x4xf32> {loom.param = \"x\"}, %g: tensor<4xf32> "
             "{loom.param = \"g\"}",
             "  %y = loom.rms_norm %x, %g epsilon = 1.000000e-06 : "
             "(tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>",
             "tensor<2x3x4xf32>"));
  check(wrap("%x: tensor<3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.l2_normalize %x axis = -1 epsilon = 1.0e-12 : "
             "(tensor<3x4xf32>) -> tensor<3x4xf32>",
             "tensor<3x4xf32>"));
  // Along axis 0; and with epsilon 1 above every norm (x in [-0.5, 0.5]):
  // then y = x / eps.
  check(wrap("%x: tensor<3x4xf32> {loom.param = \"x\"}",
             "  %y = loom.l2_normalize %x axis = 0 epsilon = 1.0e-12 : "
             "(tensor<3x4xf32>) -> tensor<3x4xf32>",
             "tensor<3x4xf32>"));
  check(wrap("%x: tensor<4x2xf32> {loom.param = \"x\"}",
             "  %y = loom.l2_normalize %x axis = -1 epsilon = 1.0 : "
             "(tensor<4x2xf32>) -> tensor<4x2xf32>",
             "tensor<4x2xf32>"),
        {{"x", {-0.5, 0.5}}});
}

TEST_F(GradCheck, Softmax) {
  check(wrap("%x: tensor<2x5xf32> {loom.param = \"x\"}",
             "  %y = loom.softmax %x axis = -1 : (tensor<2x5xf32>) -> "
             "tensor<2x5xf32>",
             "tensor<2x5xf32>"),
        {{"x", {-2, 2}}});
  check(wrap("%x: tensor<3x2xf32> {loom.param = \"x\"}",
             "  %y = loom.softmax %x axis = 0 : (tensor<3x2xf32>) -> "
             "tensor<3x2xf32>",
             "tensor<3x2xf32>"));
  check(wrap("%x: tensor<2x4x4xf32> {loom.param = \"x\"}, %m: tensor<2x1x4xi1> "
             "{loom.input = \"m\"}",
             "  %y = loom.softmax %x mask(%m) causal axis = -1 : "
             "(tensor<2x4x4xf32>, tensor<2x1x4xi1>) -> tensor<2x4x4xf32>",
             "tensor<2x4x4xf32>"),
        {{"m", ArgGen{0, 0, 0, 0, {1, 1, 0, 1, 1, 0, 1, 1}}}});
  check(wrap("%x: tensor<2x5xf32> {loom.param = \"x\"}",
             "  %y = loom.log_softmax %x axis = -1 : (tensor<2x5xf32>) -> "
             "tensor<2x5xf32>",
             "tensor<2x5xf32>"),
        {{"x", {-2, 2}}});
  check(wrap("%x: tensor<3x3xf32> {loom.param = \"x\"}",
             "  %y = loom.softmax %x causal axis = -1 : (tensor<3x3xf32>) -> "
             "tensor<3x3xf32>",
             "tensor<3x3xf32>"));
  // Masked log_softmax: -inf at hidden entries; the loss selects them away.
  check("func.func @loss(%x: tensor<2x4xf32> {loom.param = \"x\"}, %m: "
        "tensor<1x4xi1> {loom.input = \"m\"}, %w: tensor<2x4xf32> {loom.input "
        "= \"w\"}) -> tensor<f32> {\n"
        "  %y = loom.log_softmax %x mask(%m) axis = -1 : (tensor<2x4xf32>, "
        "tensor<1x4xi1>) -> tensor<2x4xf32>\n"
        "  %z = loom.constant dense<0.0> : tensor<f32>\n"
        "  %s = loom.select %m, %y, %z : (tensor<1x4xi1>, tensor<2x4xf32>, "
        "tensor<f32>) -> tensor<2x4xf32>\n"
        "  %yw = loom.mul %s, %w : (tensor<2x4xf32>, tensor<2x4xf32>) -> "
        "tensor<2x4xf32>\n"
        "  %l = loom.reduce_sum %yw axes = [0, 1] : (tensor<2x4xf32>) -> "
        "tensor<f32>\n  return %l : tensor<f32>\n}\n",
        {{"m", ArgGen{0, 0, 0, 0, {1, 0, 1, 1}}}});
}

TEST_F(GradCheck, Attention) {
  check(wrap("%q: tensor<1x2x3x4xf32> {loom.param = \"q\"}, %k: "
             "tensor<1x2x3x4xf32> {loom.param = \"k\"}, %v: tensor<1x2x3x4xf32>"
             " {loom.param = \"v\"}",
             "  %y = loom.attention %q, %k, %v causal : (tensor<1x2x3x4xf32>, "
             "tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>",
             "tensor<1x2x3x4xf32>"),
        {{"q", {-2, 2}}, {"k", {-2, 2}}});
}

TEST_F(GradCheck, Losses) {
  check("func.func @loss(%x: tensor<2x3x5xf32> {loom.param = \"x\"}, %t: "
        "tensor<2x3xi32> {loom.input = \"t\"}) -> tensor<f32> {\n"
        "  %l = loom.cross_entropy %x, %t ignore_index = -100 : "
        "(tensor<2x3x5xf32>, tensor<2x3xi32>) -> tensor<f32>\n"
        "  return %l : tensor<f32>\n}\n",
        {{"x", {-2, 2}}, {"t", ArgGen{0, 0, 0, 0, {1, -100, 4, 0, 2, -100}}}});
  check("func.func @loss(%i: tensor<3x4xf32> {loom.param = \"i\"}, %t: "
        "tensor<3x4xf32> {loom.param = \"t\"}, %s: tensor<f32> {loom.param = "
        "\"s\"}) -> tensor<f32> {\n"
        "  %l = loom.contrastive_loss %i, %t, %s : (tensor<3x4xf32>, "
        "tensor<3x4xf32>, tensor<f32>) -> tensor<f32>\n"
        "  return %l : tensor<f32>\n}\n",
        {{"s", {0.5, 1.0}}});
}

TEST_F(GradCheck, AccumulatesValuesUsedTwice) {
  check(wrap("%x: tensor<2x3xf32> {loom.param = \"x\"}",
             "  %a = loom.mul %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> "
             "tensor<2x3xf32>\n"
             "  %e = loom.exp %x : (tensor<2x3xf32>) -> tensor<2x3xf32>\n"
             "  %y = loom.add %a, %e : (tensor<2x3xf32>, tensor<2x3xf32>) -> "
             "tensor<2x3xf32>",
             T23));
}

//===- whole models ----------------------------------------------------===//

/// Gradient check of a tiny model of models/ (TinyModelInputs.h fills valid
/// parameters and inputs): loom-autodiff once, @loss_grad once in the
/// interpreter, then for EVERY parameter tensor three central differences of
/// @loss:
///  - along a random direction v (entries +-1/sqrt(n), |v| = 1) over the
///    whole tensor: <grad, v> against (L(p + h v) - L(p - h v)) / 2h. This
///    sees an error anywhere in the tensor (a wrong gradient of norm |e|
///    moves <grad, v> by ~|e|/sqrt(n), at the scale of <grad, v> itself
///    ~|grad|/sqrt(n));
///  - at the element with the largest |grad|;
///  - at `randomElems` random elements (for embedding tables these mostly
///    land in unused rows, whose gradient must be exactly 0).
/// The step is applied to f32-rounded values and both sides use the actually
/// representable perturbation (p+)-(p-).
///
/// Kinks: relu (tiny_transformer's feed-forward) is not differentiable at 0,
/// and with ~3000 pre-activations some lie within the shift that a step of
/// 1e-2 causes: the difference quotient then mixes both slopes (measured:
/// errors up to 5e-2 with h = 1e-2). Every @loss evaluation records which
/// relu outputs are positive; where p+h or p-h flips one against p, the step
/// is divided by 4 (at most twice) and the floor of the error is raised by
/// the same factor, as f32 rounding of the loss contributes ~ulp(L)/2h. A
/// check that still straddles a kink is skipped and counted (reported).
struct ModelCheckStats {
  double worst = 0;       // element checks
  double worstDir = 0;    // directional checks
  std::string worstWhere; // "param[elem]"
  int params = 0, checks = 0, refined = 0, skipped = 0;
};

/// @loss on `args`; `active` receives, for every loom.relu evaluated, which
/// of its outputs are positive.
double evalLossKinks(mlir::func::FuncOp fn, const std::vector<Tensor> &args,
                     std::vector<bool> &active) {
  active.clear();
  RunOptions opts;
  opts.onResult = [&](mlir::Operation *op, const Tensor &t) {
    if (op->getName().getStringRef() == "loom.relu")
      for (double v : t.f)
        active.push_back(v > 0);
  };
  std::vector<Tensor> out;
  std::string err = run(fn, args, out, opts);
  EXPECT_EQ(err, "");
  if (!err.empty() || out.empty())
    return NAN;
  return out[0].f[0];
}

struct Central {
  double ad = 0, fd = 0; // d/dt L(p + t dir) at t = 0
  bool kink = false;     // p+h or p-h changed the relu pattern of p
};

/// @loss along `dir` (element index, weight) of argument `i`, step h.
Central central(mlir::func::FuncOp loss, std::vector<Tensor> &args, unsigned i,
                const Tensor &g, const std::vector<std::pair<int64_t, double>> &dir,
                double h, const std::vector<bool> &active0) {
  Tensor &p = args[i];
  std::vector<double> x(dir.size()), xp(dir.size());
  std::vector<bool> active;
  Central c;
  for (size_t k = 0; k < dir.size(); ++k)
    x[k] = p.f[dir[k].first];
  for (size_t k = 0; k < dir.size(); ++k)
    p.f[dir[k].first] = x[k] + h * dir[k].second;
  p.normalize();
  for (size_t k = 0; k < dir.size(); ++k)
    xp[k] = p.f[dir[k].first];
  double lp = evalLossKinks(loss, args, active);
  c.kink |= active != active0;
  for (size_t k = 0; k < dir.size(); ++k)
    p.f[dir[k].first] = x[k] - h * dir[k].second;
  p.normalize();
  for (size_t k = 0; k < dir.size(); ++k)
    c.ad += g.f[dir[k].first] * (xp[k] - p.f[dir[k].first]);
  double lm = evalLossKinks(loss, args, active);
  c.kink |= active != active0;
  for (size_t k = 0; k < dir.size(); ++k)
    p.f[dir[k].first] = x[k];
  c.ad /= 2 * h;
  c.fd = (lp - lm) / (2 * h);
  return c;
}

ModelCheckStats modelGradCheck(mlir::MLIRContext &ctx,
                               const tiny::TinyModel &m, int randomElems = 1) {
  ModelCheckStats st;
  auto t0 = std::chrono::steady_clock::now();
  tiny::Loaded l;
  std::string err = tiny::load(ctx, m, l);
  if (!err.empty()) {
    ADD_FAILURE() << m.name << ": " << err;
    return st;
  }
  mlir::ModuleOp module = *l.module;
  if (auto fwd = module.lookupSymbol<mlir::func::FuncOp>("forward"))
    fwd.erase();
  mlir::PassManager pm(&ctx);
  loom::pipelines::buildGradientPipeline(pm);
  if (failed(pm.run(module))) {
    ADD_FAILURE() << m.name << ": loom-autodiff failed";
    return st;
  }
  auto loss = module.lookupSymbol<mlir::func::FuncOp>("loss");
  auto grad = module.lookupSymbol<mlir::func::FuncOp>("loss_grad");
  if (!loss || !grad) {
    ADD_FAILURE() << m.name << ": no @loss / @loss_grad";
    return st;
  }
  std::vector<Tensor> args;
  err = tiny::argumentsOf(loss, l.values, args);
  if (!err.empty()) {
    ADD_FAILURE() << m.name << ": " << err;
    return st;
  }
  std::vector<std::string> names = loom::testutil::argNames(loss);
  std::vector<Tensor> out;
  err = run(grad, args, out);
  if (!err.empty()) {
    ADD_FAILURE() << m.name << ": interpreting @loss_grad: " << err;
    return st;
  }
  std::vector<bool> active0;
  double l0 = evalLossKinks(loss, args, active0);
  EXPECT_NEAR(out[0].f[0], l0, 1e-6 * std::max(1.0, std::fabs(l0)));
  EXPECT_TRUE(std::isfinite(l0));

  loom::testutil::Rng rng(m.seed + 1);
  unsigned k = 1;
  for (unsigned i = 0; i < args.size(); ++i) {
    if (!loss.getArgAttrOfType<mlir::StringAttr>(i, "loom.param"))
      continue;
    const Tensor &g = out.at(k++);
    const std::string &name = names[i];
    ++st.params;
    if (g.shape != args[i].shape || g.dtype != args[i].dtype) {
      ADD_FAILURE() << m.name << ": gradient of " << name << " is "
                    << g.typeStr() << ", the parameter " << args[i].typeStr();
      continue;
    }
    int64_t n = g.size();
    auto check = [&](const std::vector<std::pair<int64_t, double>> &dir,
                     bool directional, const std::string &where) {
      double h = kStep;
      Central c = central(loss, args, i, g, dir, h, active0);
      for (int r = 0; r < 2 && c.kink; ++r) {
        h /= 4;
        c = central(loss, args, i, g, dir, h, active0);
      }
      if (c.kink) {
        ++st.skipped;
        return;
      }
      st.refined += h != kStep;
      ++st.checks;
      double floor = kModelFloor * (kStep / h);
      double e = std::fabs(c.ad - c.fd) / std::max(floor, std::fabs(c.fd));
      if (!std::isfinite(c.ad) || !std::isfinite(c.fd))
        e = INFINITY;
      double &w = directional ? st.worstDir : st.worst;
      if (e > w) {
        w = e;
        if (!directional)
          st.worstWhere = where;
      }
      EXPECT_LE(e, kModelTol)
          << m.name << ": d/d " << where << ": autodiff " << c.ad
          << ", finite difference " << c.fd << " (step " << h << ")";
    };
    // Random direction over the whole tensor.
    std::vector<std::pair<int64_t, double>> dir;
    for (int64_t e = 0; e < n; ++e)
      dir.push_back({e, (rng.next() & 1 ? 1.0 : -1.0) / std::sqrt((double)n)});
    check(dir, true, name + " along v");
    // The largest gradient element and random ones.
    std::vector<int64_t> elems;
    int64_t big = 0;
    for (int64_t e = 1; e < n; ++e)
      if (std::fabs(g.f[e]) > std::fabs(g.f[big]))
        big = e;
    elems.push_back(big);
    for (int r = 0; r < randomElems && n > 1; ++r)
      elems.push_back(rng.integer(0, n));
    for (int64_t e : elems)
      check({{e, 1.0}}, false, name + "[" + std::to_string(e) + "]");
  }
  // A few straddled kinks are expected (tiny_transformer); most must be
  // resolved by the smaller steps.
  EXPECT_LE(st.skipped, st.checks / 20) << m.name;
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << "  " << m.name << ": " << st.params << " parameters, "
            << st.checks << " checks (" << st.refined
            << " with a smaller step at a relu kink, " << st.skipped
            << " skipped), max error " << st.worst << " (at " << st.worstWhere
            << "), directional " << st.worstDir << ", " << secs << " s\n";
  return st;
}

TEST_F(GradCheck, TinyGpt) {
  modelGradCheck(h.ctx, tiny::tinyGpt({{"B", 2}, {"T", 4}}), 2);
}

TEST_F(GradCheck, TinyBert) {
  modelGradCheck(h.ctx, tiny::tinyBert({{"B", 2}, {"T", 4}}), 2);
}

TEST_F(GradCheck, TinyVit) {
  modelGradCheck(h.ctx, tiny::tinyVit({{"B", 2}}), 2);
}

TEST_F(GradCheck, TinyClip) {
  modelGradCheck(h.ctx, tiny::tinyClip({{"B", 2}, {"T", 4}}), 2);
}

TEST_F(GradCheck, TinyTransformer) {
  modelGradCheck(h.ctx,
                 tiny::tinyTransformer({{"B", 2}, {"S", 4}, {"T", 4}}), 2);
}

} // namespace
