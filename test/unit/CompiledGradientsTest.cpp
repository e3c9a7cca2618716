//===- CompiledGradientsTest.cpp - compiled @loss_grad vs interpreter -----===//
//
// Each tiny model of models/ is generated with its dims bound, run through
// loom-autodiff (wrt=params), and its @loss_grad (alone: @forward and @loss
// are dropped, so the library holds one entry point, loom_loss_grad) is
// compiled with compileToSharedLibrary and loaded with dlopen. The compiled
// loss and every gradient are compared with the reference interpreter's
// @loss_grad on the same parameters and inputs (TinyModelInputs.h). That
// @loss_grad itself matches finite differences is AutodiffGradCheckTest's
// job; here the lowering of the backward ops (transposes, one-hot matmuls,
// reductions of broadcast cotangents, selects of masked entries, ...) is on
// trial.
//
// Tolerance: 2e-5, relative to each output's largest magnitude (for the
// loss, the plain relative error). The forward alone stays around 1e-6
// against the interpreter's double accumulation (CompiledModelsTest: 1e-5).
// The backward chains about twice as many f32 ops, several of which cancel
// (a layer norm's backward subtracts row means of g * xhat, the softmax's
// g - sum(g * y)); measured worst over the five models: 1.9e-6 (printed per
// model). 2e-5 leaves a factor of 10 for other seeds, dims and vector
// widths, while a wrong lowering (a transposed operand, a lost accumulation,
// a wrong reduction axis) is off by 1e-2 and more relative to the output's
// scale.
//
// Zero gradients: the gradient of an attention key bias is zero in exact
// arithmetic (softmax is invariant to the constant q.b_k added to a row of
// scores), so both sides hold rounding noise (~1e-9) and a relative error
// means nothing. An output whose interpreter values are all at most 1e-6
// times the model's largest gradient element is taken as such a zero, and
// the compiled values must be that small too (measured: 2.6e-8 times).
//
//===----------------------------------------------------------------------===//
#include "CompiledTestUtil.h"
#include "TinyModelInputs.h"

#include "loom/Autodiff/Passes.h"
#include "loom/Pipelines/Pipelines.h"

#include "Loom/IR/LoomDialect.h"

#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

using namespace loom::testutil;
namespace tiny = ::loom::testutil::tiny;

namespace {

constexpr double kGradTol = 2e-5;
/// A gradient whose largest element is at most this times the model's
/// largest gradient element is zero in exact arithmetic (see the file
/// comment), and the compiled one must be as small.
constexpr double kZero = 1e-6;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

void runGradients(const tiny::TinyModel &m) {
  std::string label = m.name;
  for (const auto &[k, v] : m.dims)
    label += " " + k + "=" + std::to_string(v);
  SCOPED_TRACE(label);

  mlir::DialectRegistry registry;
  registerEverything(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadDialect<mlir::loom::LoomDialect, mlir::func::FuncDialect>();
  tiny::Loaded l;
  std::string err = tiny::load(ctx, m, l);
  ASSERT_EQ(err, "");
  mlir::ModuleOp module = *l.module;

  auto t0 = std::chrono::steady_clock::now();
  mlir::PassManager pm(&ctx);
  loom::pipelines::buildGradientPipeline(pm);
  ASSERT_TRUE(succeeded(pm.run(module))) << "loom-autodiff failed";
  // Only @loss_grad goes into the library.
  for (const char *name : {"forward", "loss"})
    if (auto fn = module.lookupSymbol<mlir::func::FuncOp>(name))
      fn.erase();
  mlir::func::FuncOp grad = module.lookupSymbol<mlir::func::FuncOp>("loss_grad");
  ASSERT_TRUE(grad);

  std::vector<std::string> names = argNames(grad);
  std::vector<Tensor> args;
  err = tiny::argumentsOf(grad, l.values, args);
  ASSERT_EQ(err, "");
  // Result names: loss, grad.<param> in argument order.
  std::vector<std::string> outNames;
  for (unsigned k = 0; k < grad.getNumResults(); ++k) {
    auto n = grad.getResultAttrOfType<mlir::StringAttr>(k, "loom.output");
    outNames.push_back(n ? n.str() : "#" + std::to_string(k));
  }

  std::vector<Tensor> ref, got;
  auto t1 = std::chrono::steady_clock::now();
  err = loom::interp::run(grad, args, ref);
  ASSERT_EQ(err, "") << "interpreter failed on @loss_grad";
  double interpSecs = since(t1);

  CompiledModule compiled;
  t1 = std::chrono::steady_clock::now();
  err = compiled.compile(module);
  double compileSecs = since(t1);
  ASSERT_EQ(err, "") << "compilation of @loss_grad failed";
  t1 = std::chrono::steady_clock::now();
  err = compiled.call("loss_grad", names, args, got);
  double callSecs = since(t1);
  ASSERT_EQ(err, "") << "call of loom_loss_grad failed";
  ASSERT_EQ(got.size(), ref.size());

  // The scale of the model's gradients: the largest element of any of them.
  double global = 0;
  for (size_t k = 1; k < ref.size(); ++k)
    for (double v : ref[k].f)
      if (std::isfinite(v))
        global = std::max(global, std::fabs(v));
  double worst = 0, worstZero = 0;
  int zeros = 0;
  std::string worstName;
  for (size_t k = 0; k < ref.size(); ++k) {
    Comparison cmp = compare(got[k], ref[k], Metric::Norm);
    EXPECT_EQ(cmp.problem, "") << outNames[k];
    if (!cmp.problem.empty())
      continue;
    double scale = 0;
    for (double v : ref[k].f)
      scale = std::max(scale, std::fabs(v));
    if (k > 0 && scale <= kZero * global) {
      // Zero in exact arithmetic (a key bias): both sides are rounding
      // noise; the compiled one must be as small.
      double most = 0;
      for (double v : got[k].f)
        most = std::max(most, std::fabs(v));
      ++zeros;
      worstZero = std::max(worstZero, most / global);
      EXPECT_LE(most, kZero * global)
          << outNames[k] << ": zero in exact arithmetic (interpreter: at most "
          << scale << "), compiled up to " << most;
      continue;
    }
    double err = 0;
    int64_t at = -1;
    for (int64_t e = 0; e < ref[k].size(); ++e) {
      double d = std::fabs(got[k].f[e] - ref[k].f[e]) / std::max(scale, 1e-30);
      if (d > err) {
        err = d;
        at = e;
      }
    }
    if (err > worst) {
      worst = err;
      worstName = outNames[k];
    }
    EXPECT_LE(err, kGradTol)
        << outNames[k] << " worst element " << at << ": compiled "
        << (at >= 0 ? got[k].get(at) : 0.0) << ", interpreter "
        << (at >= 0 ? ref[k].get(at) : 0.0) << " (scale " << scale << ")";
    // Random models give finite values (a NaN on both sides would compare
    // equal).
    int64_t nonFinite = 0;
    for (double v : ref[k].f)
      nonFinite += !std::isfinite(v);
    EXPECT_EQ(nonFinite, 0) << outNames[k];
  }
  std::cout << "[compiled-gradients] " << label << ": " << ref.size() - 1
            << " gradients, max norm err=" << worst << " (" << worstName
            << ") tol=" << kGradTol << "; " << zeros
            << " zero gradients, compiled max |g| " << worstZero
            << " of the largest gradient; loss " << ref[0].f[0]
            << "; interpreter " << interpSecs << " s, compile " << compileSecs
            << " s, call " << callSecs << " s, total " << since(t0) << " s\n";
}

TEST(CompiledGradients, TinyGpt) {
  runGradients(tiny::tinyGpt({{"B", 2}, {"T", 8}}));
}

TEST(CompiledGradients, TinyBert) {
  runGradients(tiny::tinyBert({{"B", 2}, {"T", 8}}));
}

TEST(CompiledGradients, TinyVit) { runGradients(tiny::tinyVit({{"B", 2}})); }

TEST(CompiledGradients, TinyClip) {
  runGradients(tiny::tinyClip({{"B", 3}, {"T", 8}}));
}

TEST(CompiledGradients, TinyTransformer) {
  runGradients(tiny::tinyTransformer({{"B", 2}, {"S", 7}, {"T", 5}}));
}

} // namespace
