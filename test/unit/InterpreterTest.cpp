//===- InterpreterTest.cpp - the interpreter against hand-computed values -===//
//
// Every expected value here is worked out by hand from the op descriptions
// (dialects/Loom/IR/Loom*Ops.td), not from the interpreter or the compiler.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestUtil.h"

#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace loom::testutil;
namespace interp = loom::interp;

namespace {

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    ctx.loadDialect<mlir::loom::LoomDialect, mlir::func::FuncDialect>();
  }

  /// Runs @forward of `body` (a func.func) on `args`; fails the test on an
  /// interpreter error.
  std::vector<Tensor> run(const std::string &body,
                          const std::vector<Tensor> &args) {
    module = parse(ctx, body);
    EXPECT_TRUE(module) << "parse failed";
    if (!module)
      return {};
    std::vector<Tensor> results;
    std::string err = interp::run(lookup(*module), args, results);
    EXPECT_EQ(err, "");
    return results;
  }

  /// The interpreter's error for @forward of `body` on `args`.
  std::string runError(const std::string &body,
                       const std::vector<Tensor> &args) {
    module = parse(ctx, body);
    EXPECT_TRUE(module) << "parse failed";
    if (!module)
      return "";
    std::vector<Tensor> results;
    return interp::run(lookup(*module), args, results);
  }

  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

Tensor f32(Shape shape, std::vector<double> v) {
  return Tensor::floats(DType::F32, std::move(shape), std::move(v));
}
Tensor i32(Shape shape, std::vector<int64_t> v) {
  return Tensor::ints(DType::I32, std::move(shape), std::move(v));
}
Tensor i1(Shape shape, std::vector<int64_t> v) {
  return Tensor::ints(DType::I1, std::move(shape), std::move(v));
}
Tensor iota(Shape shape) {
  std::vector<double> v(interp::numElements(shape));
  for (size_t k = 0; k < v.size(); ++k)
    v[k] = static_cast<double>(k);
  return f32(std::move(shape), v);
}

/// Expects every element of `t` within 1 ulp-ish of f32 of `want`.
void expectValues(const Tensor &t, const std::vector<double> &want,
                  double tol = 1e-6) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(want.size()));
  for (size_t k = 0; k < want.size(); ++k) {
    if (std::isnan(want[k])) {
      EXPECT_TRUE(std::isnan(t.get(k))) << "element " << k;
    } else if (std::isinf(want[k])) {
      EXPECT_EQ(t.get(k), want[k]) << "element " << k;
    } else {
      EXPECT_NEAR(t.get(k), want[k], tol * std::max(1.0, std::fabs(want[k])))
          << "element " << k;
    }
  }
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST_F(InterpreterTest, SoftmaxPaddingMaskAndCausal) {
  // Row 0 sees key 0 only (causal); rows 1, 2 see keys 0, 1 (key 2 padded).
  auto r = run(R"(
    func.func @forward(%s: tensor<1x3x3xf32>, %m: tensor<1x1x3xi1>) -> tensor<1x3x3xf32> {
      %p = loom.softmax %s mask(%m) causal axis = -1 : (tensor<1x3x3xf32>, tensor<1x1x3xi1>) -> tensor<1x3x3xf32>
      return %p : tensor<1x3x3xf32>
    })",
               {f32({1, 3, 3}, {7, 1, 2, 0, std::log(3.0), 5, std::log(2.0), 0, 9}),
                i1({1, 1, 3}, {1, 1, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {1, 0, 0, 0.25, 0.75, 0, 2.0 / 3, 1.0 / 3, 0});
}

TEST_F(InterpreterTest, LogSoftmaxMaskedEntriesAreMinusInf) {
  auto r = run(R"(
    func.func @forward(%s: tensor<2x2xf32>, %m: tensor<2xi1>) -> tensor<2x2xf32> {
      %p = loom.log_softmax %s mask(%m) axis = 1 : (tensor<2x2xf32>, tensor<2xi1>) -> tensor<2x2xf32>
      return %p : tensor<2x2xf32>
    })",
               {f32({2, 2}, {3, 100, -1, 4}), i1({2}, {1, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {0, -kInf, 0, -kInf});
}

TEST_F(InterpreterTest, CausalWithFewerQueriesThanKeys) {
  // mask[i, j] = j <= i + (Tk - Tq): with Tq = 2, Tk = 4 query 0 sees keys
  // 0..2, query 1 sees all four.
  auto r = run(R"(
    func.func @forward(%s: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xi1>) {
      %p = loom.softmax %s causal axis = -1 : (tensor<2x4xf32>) -> tensor<2x4xf32>
      %m = loom.causal_mask %s : (tensor<2x4xf32>) -> tensor<2x4xi1>
      return %p, %m : tensor<2x4xf32>, tensor<2x4xi1>
    })",
               {f32({2, 4}, {0, 0, 0, 50, 0, 0, 0, 0})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0.25, 0.25, 0.25, 0.25});
  EXPECT_EQ(r[1].i, (std::vector<int64_t>{1, 1, 1, 0, 1, 1, 1, 1}));
}

TEST_F(InterpreterTest, SoftmaxFullyMaskedRowIsNaN) {
  auto r = run(R"(
    func.func @forward(%s: tensor<2x2xf32>, %m: tensor<2x2xi1>) -> tensor<2x2xf32> {
      %p = loom.softmax %s mask(%m) axis = -1 : (tensor<2x2xf32>, tensor<2x2xi1>) -> tensor<2x2xf32>
      return %p : tensor<2x2xf32>
    })",
               {f32({2, 2}, {1, 2, 3, 4}), i1({2, 2}, {0, 0, 1, 1})});
  ASSERT_EQ(r.size(), 1u);
  double e = 1.0 / (1.0 + std::exp(1.0));
  expectValues(r[0], {kNaN, kNaN, e, 1 - e});
}

TEST_F(InterpreterTest, CrossEntropyIgnoresPositions) {
  // Row 0: -log(1/2); row 1 ignored (its target is out of range, which is
  // fine for an ignored row); row 2: -log(3/4). Mean over the two kept rows.
  const char *body = R"(
    func.func @forward(%l: tensor<3x2xf32>, %t: tensor<3xi32>) -> tensor<f32> {
      %c = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<3x2xf32>, tensor<3xi32>) -> tensor<f32>
      return %c : tensor<f32>
    })";
  auto r = run(body, {f32({3, 2}, {0, 0, std::log(3.0), 0, 0, std::log(3.0)}),
                      i32({3}, {1, -100, 1})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].shape, Shape{});
  expectValues(r[0], {(std::log(2.0) + std::log(4.0 / 3.0)) / 2});

  // Every target ignored: NaN, as in PyTorch.
  r = run(body, {f32({3, 2}, {0, 0, 0, 0, 0, 0}), i32({3}, {-100, -100, -100})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(std::isnan(r[0].f[0]));

  // A kept target out of range is an error, not a crash.
  std::string err =
      runError(body, {f32({3, 2}, {0, 0, 0, 0, 0, 0}), i32({3}, {0, 2, 1})});
  EXPECT_NE(err.find("target 2 at position 1 is out of range"), std::string::npos)
      << err;
}

TEST_F(InterpreterTest, CrossEntropyCustomIgnoreIndex) {
  auto r = run(R"(
    func.func @forward(%l: tensor<2x2x3xf32>, %t: tensor<2x2xi64>) -> tensor<f32> {
      %c = loom.cross_entropy %l, %t ignore_index = 0 : (tensor<2x2x3xf32>, tensor<2x2xi64>) -> tensor<f32>
      return %c : tensor<f32>
    })",
               {f32({2, 2, 3}, {5, 5, 5, 1, 1, 1, 0, 0, 0, 9, 9, 9}),
                Tensor::ints(DType::I64, {2, 2}, {0, 2, 1, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {std::log(3.0)});
}

TEST_F(InterpreterTest, Gather) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2x3xf32>, %i: tensor<2xi32>) -> tensor<2xf32> {
      %g = loom.gather %x, %i : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<2xf32>
      return %g : tensor<2xf32>
    })",
               {f32({2, 3}, {10, 11, 12, 20, 21, 22}), i32({2}, {2, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {12, 20});
}

TEST_F(InterpreterTest, ReshapeCopyAndInfer) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2x3x4xf32>) -> (tensor<2x12xf32>, tensor<2x3x2x2xf32>, tensor<4x6xf32>) {
      %a = loom.reshape %x shape = [0, -1] : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
      %b = loom.reshape %x shape = [0, 0, 2, -1] : (tensor<2x3x4xf32>) -> tensor<2x3x2x2xf32>
      %c = loom.reshape %x shape = [-1, 6] : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
      return %a, %b, %c : tensor<2x12xf32>, tensor<2x3x2x2xf32>, tensor<4x6xf32>
    })",
               {iota({2, 3, 4})});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].shape, (Shape{2, 12}));
  EXPECT_EQ(r[1].shape, (Shape{2, 3, 2, 2}));
  EXPECT_EQ(r[2].shape, (Shape{4, 6}));
  for (const Tensor &t : r)
    EXPECT_EQ(t.f, iota({24}).f); // row-major order is kept
}

TEST_F(InterpreterTest, SliceNegativeAndClampedBounds) {
  auto r = run(R"(
    func.func @forward(%x: tensor<5x2xf32>) -> (tensor<2x2xf32>, tensor<4x2xf32>, tensor<5x1xf32>) {
      %a = loom.slice %x axis = 0 start = -3 end = -1 : (tensor<5x2xf32>) -> tensor<2x2xf32>
      %b = loom.slice %x axis = 0 start = 1 end = 100 : (tensor<5x2xf32>) -> tensor<4x2xf32>
      %c = loom.slice %x axis = -1 start = -1 end = 2 : (tensor<5x2xf32>) -> tensor<5x1xf32>
      return %a, %b, %c : tensor<2x2xf32>, tensor<4x2xf32>, tensor<5x1xf32>
    })",
               {iota({5, 2})});
  ASSERT_EQ(r.size(), 3u);
  expectValues(r[0], {4, 5, 6, 7});
  expectValues(r[1], {2, 3, 4, 5, 6, 7, 8, 9});
  expectValues(r[2], {1, 3, 5, 7, 9});
}

TEST_F(InterpreterTest, PatchifyOrderIsChannelRowColumn) {
  // x[0, c, y, x] = 100 c + 10 y + x; patch 2 on 4x4 gives 4 patches of 8.
  std::vector<double> img;
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        img.push_back(100 * c + 10 * y + x);
  auto r = run(R"(
    func.func @forward(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x8xf32> {
      %p = loom.patchify %x patch = 2 : (tensor<1x2x4x4xf32>) -> tensor<1x4x8xf32>
      return %p : tensor<1x4x8xf32>
    })",
               {f32({1, 2, 4, 4}, img)});
  ASSERT_EQ(r.size(), 1u);
  // Patch 1 is (row 0, column 1); features (c, py, px) in that order.
  std::vector<double> patch1 = {2, 3, 12, 13, 102, 103, 112, 113};
  std::vector<double> patch2 = {20, 21, 30, 31, 120, 121, 130, 131};
  for (int f = 0; f < 8; ++f) {
    EXPECT_EQ(r[0].f[8 + f], patch1[f]) << f;
    EXPECT_EQ(r[0].f[16 + f], patch2[f]) << f;
  }
}

TEST_F(InterpreterTest, PatchEmbedIsAStridedConvolution) {
  // One output channel whose kernel picks pixel (c=1, py=1, px=0) plus a bias.
  std::vector<double> img;
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        img.push_back(100 * c + 10 * y + x);
  std::vector<double> w(8, 0.0);
  w[1 * 4 + 1 * 2 + 0] = 1.0;
  auto r = run(R"(
    func.func @forward(%x: tensor<1x2x4x4xf32>, %w: tensor<1x2x2x2xf32>, %b: tensor<1xf32>) -> tensor<1x4x1xf32> {
      %p = loom.patch_embed %x, %w, %b patch = 2 : (tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x4x1xf32>
      return %p : tensor<1x4x1xf32>
    })",
               {f32({1, 2, 4, 4}, img), f32({1, 2, 2, 2}, w), f32({1}, {0.5})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {110.5, 112.5, 130.5, 132.5});
}

TEST_F(InterpreterTest, PrependToken) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2x2x3xf32>, %t: tensor<1x1x3xf32>) -> tensor<2x3x3xf32> {
      %h = loom.prepend_token %x, %t : (tensor<2x2x3xf32>, tensor<1x1x3xf32>) -> tensor<2x3x3xf32>
      return %h : tensor<2x3x3xf32>
    })",
               {iota({2, 2, 3}), f32({1, 1, 3}, {-1, -2, -3})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {-1, -2, -3, 0, 1, 2, 3, 4, 5, -1, -2, -3, 6, 7, 8, 9, 10, 11});
}

TEST_F(InterpreterTest, SinusoidalEncoding) {
  // dim 4: pe = [sin p, cos p, sin(p/100), cos(p/100)] (10000^(2/4) = 100).
  auto r = run(R"(
    func.func @forward(%p: tensor<3xi64>) -> tensor<3x4xf32> {
      %e = loom.sinusoidal_encoding %p dim = 4 : (tensor<3xi64>) -> tensor<3x4xf32>
      return %e : tensor<3x4xf32>
    })",
               {Tensor::ints(DType::I64, {3}, {0, 1, 5})});
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> want;
  for (double p : {0.0, 1.0, 5.0})
    for (double v : {std::sin(p), std::cos(p), std::sin(p / 100), std::cos(p / 100)})
      want.push_back(v);
  expectValues(r[0], want, 1e-7);
}

TEST_F(InterpreterTest, LayerNormNumbers) {
  // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
  auto r = run(R"(
    func.func @forward(%x: tensor<1x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
      %y = loom.layer_norm %x, %g, %b epsilon = 0.75 : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
      %z = loom.layer_norm %x, %g epsilon = 0.0 : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
      return %y, %z : tensor<1x4xf32>, tensor<1x4xf32>
    })",
               {f32({1, 4}, {1, 2, 3, 4}), f32({4}, {1, 1, 2, 2}),
                f32({4}, {0, 0, 0, 1})});
  ASSERT_EQ(r.size(), 2u);
  // eps 0.75: sqrt(1.25 + 0.75) = sqrt 2.
  double s2 = std::sqrt(2.0), s125 = std::sqrt(1.25);
  expectValues(r[0], {-1.5 / s2, -0.5 / s2, 2 * 0.5 / s2, 2 * 1.5 / s2 + 1});
  expectValues(r[1], {-1.5 / s125, -0.5 / s125, 1 / s125, 3 / s125});
}

TEST_F(InterpreterTest, RmsNormAndL2Normalize) {
  auto r = run(R"(
    func.func @forward(%x: tensor<1x2xf32>, %g: tensor<2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
      %y = loom.rms_norm %x, %g epsilon = 0.0 : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
      %n = loom.l2_normalize %x axis = -1 epsilon = 1.0e-12 : (tensor<1x2xf32>) -> tensor<1x2xf32>
      %c = loom.l2_normalize %x axis = 0 epsilon = 10.0 : (tensor<1x2xf32>) -> tensor<1x2xf32>
      return %y, %n, %c : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
    })",
               {f32({1, 2}, {3, 4}), f32({2}, {1, 2})});
  ASSERT_EQ(r.size(), 3u);
  double rms = std::sqrt(12.5);
  expectValues(r[0], {3 / rms, 8 / rms});
  expectValues(r[1], {0.6, 0.8});
  expectValues(r[2], {0.3, 0.4}); // norms 3 and 4 along axis 0, below eps 10
}

TEST_F(InterpreterTest, AttentionByHand) {
  // One query against two keys; scale 1: scores [0, ln 3] -> p = [1/4, 3/4].
  auto r = run(R"(
    func.func @forward(%q: tensor<1x1x2xf32>, %k: tensor<1x2x2xf32>, %v: tensor<1x2x2xf32>) -> tensor<1x1x2xf32> {
      %o = loom.attention %q, %k, %v {scale = 1.0 : f64} : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1x2x2xf32>) -> tensor<1x1x2xf32>
      return %o : tensor<1x1x2xf32>
    })",
               {f32({1, 1, 2}, {1, 0}), f32({1, 2, 2}, {0, 5, std::log(3.0), -5}),
                f32({1, 2, 2}, {4, 8, 0, -4})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {1, -1});
}

TEST_F(InterpreterTest, AttentionDefaultScaleAndMask) {
  // Dk = 4: scale 1/2. Key 1 is masked out, so the output is value 0.
  auto r = run(R"(
    func.func @forward(%q: tensor<1x1x4xf32>, %k: tensor<1x3x4xf32>, %v: tensor<1x3x1xf32>, %m: tensor<1x1x3xi1>) -> tensor<1x1x1xf32> {
      %o = loom.attention %q, %k, %v mask(%m) : (tensor<1x1x4xf32>, tensor<1x3x4xf32>, tensor<1x3x1xf32>, tensor<1x1x3xi1>) -> tensor<1x1x1xf32>
      return %o : tensor<1x1x1xf32>
    })",
               {f32({1, 1, 4}, {1, 1, 1, 1}),
                f32({1, 3, 4}, {0, 0, 0, 0, 9, 9, 9, 9, 1, 1, 0, 0}),
                f32({1, 3, 1}, {10, 1000, 20}), i1({1, 1, 3}, {1, 0, 1})});
  ASSERT_EQ(r.size(), 1u);
  // scores 0 and (2 * 1/2) = 1 for keys 0 and 2.
  double p2 = 1.0 / (1.0 + std::exp(-1.0));
  expectValues(r[0], {10 * (1 - p2) + 20 * p2});
}

TEST_F(InterpreterTest, ContrastiveLoss) {
  // Orthonormal pairs, logit_scale 0: logits = I, each CE is log(1 + e^-1).
  auto r = run(R"(
    func.func @forward(%i: tensor<2x2xf32>, %t: tensor<2x2xf32>, %s: tensor<f32>) -> tensor<f32> {
      %l = loom.contrastive_loss %i, %t, %s : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<f32>) -> tensor<f32>
      return %l : tensor<f32>
    })",
               {f32({2, 2}, {2, 0, 0, 3}), f32({2, 2}, {5, 0, 0, 0.5}),
                f32({}, {0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {std::log(1 + std::exp(-1.0))});
}

TEST_F(InterpreterTest, GeluSiluSigmoid) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %a = loom.gelu erf %x : (tensor<2xf32>) -> tensor<2xf32>
      %b = loom.gelu tanh %x : (tensor<2xf32>) -> tensor<2xf32>
      %c = loom.silu %x : (tensor<2xf32>) -> tensor<2xf32>
      %d = loom.sigmoid %x : (tensor<2xf32>) -> tensor<2xf32>
      return %a, %b, %c, %d : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    })",
               {f32({2}, {1, -2})});
  ASSERT_EQ(r.size(), 4u);
  // Phi(1) = 0.8413447460685429, Phi(-2) = 0.022750131948179195.
  expectValues(r[0], {0.8413447460685429, -2 * 0.022750131948179195});
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) at 1 and -2.
  auto t = [](double x) {
    return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  };
  expectValues(r[1], {t(1), t(-2)});
  expectValues(r[2], {1 / (1 + std::exp(-1.0)), -2 / (1 + std::exp(2.0))});
  expectValues(r[3], {1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(2.0))});
}

TEST_F(InterpreterTest, SplitAndMergeHeads) {
  // [1, T=2, D=4] with 2 heads: head h of token t is x[t, 2h : 2h+2].
  auto r = run(R"(
    func.func @forward(%x: tensor<1x2x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4xf32>) {
      %h = loom.split_heads %x num_heads = 2 : (tensor<1x2x4xf32>) -> tensor<1x2x2x2xf32>
      %m = loom.merge_heads %h : (tensor<1x2x2x2xf32>) -> tensor<1x2x4xf32>
      return %h, %m : tensor<1x2x2x2xf32>, tensor<1x2x4xf32>
    })",
               {iota({1, 2, 4})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {0, 1, 4, 5, 2, 3, 6, 7});
  expectValues(r[1], {0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_F(InterpreterTest, ReductionsAndBroadcastingMatmul) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2x3xf32>, %w: tensor<3x1xf32>) -> (tensor<2x1xf32>, tensor<3xf32>, tensor<f32>, tensor<2x2x1xf32>) {
      %s = loom.reduce_sum %x axes = [1] keep_dims : (tensor<2x3xf32>) -> tensor<2x1xf32>
      %m = loom.reduce_mean %x axes = [0] : (tensor<2x3xf32>) -> tensor<3xf32>
      %x3 = loom.reshape %x shape = [1, 2, 3] : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
      %mx = loom.reduce_max %x3 axes = [0, -1, 1] : (tensor<1x2x3xf32>) -> tensor<f32>
      %b = loom.concat %x3, %x3 axis = 0 : (tensor<1x2x3xf32>, tensor<1x2x3xf32>) -> tensor<2x2x3xf32>
      %p = loom.batch_matmul %b, %w : (tensor<2x2x3xf32>, tensor<3x1xf32>) -> tensor<2x2x1xf32>
      return %s, %m, %mx, %p : tensor<2x1xf32>, tensor<3xf32>, tensor<f32>, tensor<2x2x1xf32>
    })",
               {f32({2, 3}, {1, 2, 3, -4, 5, 6}), f32({3, 1}, {1, 10, 100})});
  ASSERT_EQ(r.size(), 4u);
  expectValues(r[0], {6, 7});
  expectValues(r[1], {-1.5, 3.5, 4.5});
  expectValues(r[2], {6});
  expectValues(r[3], {321, 646, 321, 646});
}

TEST_F(InterpreterTest, EmbeddingAndPositions) {
  auto r = run(R"(
    func.func @forward(%w: tensor<3x2xf32>, %ids: tensor<1x2xi32>) -> (tensor<1x2x2xf32>, tensor<2xi64>) {
      %e = loom.embedding %w, %ids : (tensor<3x2xf32>, tensor<1x2xi32>) -> tensor<1x2x2xf32>
      %p = loom.positions %ids axis = 1 {offset = 7 : i64} : (tensor<1x2xi32>) -> tensor<2xi64>
      return %e, %p : tensor<1x2x2xf32>, tensor<2xi64>
    })",
               {iota({3, 2}), i32({1, 2}, {2, 0})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {4, 5, 0, 1});
  EXPECT_EQ(r[1].i, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(r[1].dtype, DType::I64);
}

TEST_F(InterpreterTest, IndexAddAccumulatesAndSkipsOutOfRange) {
  // rows: w = iota; ids 2, 0, 2, 5 (out of range), -1 (out of range).
  auto r = run(R"(
    func.func @forward(%w: tensor<3x2xf32>, %ids: tensor<5xi32>, %s: tensor<5x2xf32>) -> tensor<3x2xf32> {
      %y = loom.index_add %w, %ids, %s : (tensor<3x2xf32>, tensor<5xi32>, tensor<5x2xf32>) -> tensor<3x2xf32>
      return %y : tensor<3x2xf32>
    })",
               {iota({3, 2}), i32({5}, {2, 0, 2, 5, -1}),
                f32({5, 2}, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {0 + 30, 1 + 40, 2, 3, 4 + 10 + 50, 5 + 20 + 60});
}

TEST_F(InterpreterTest, StorageRoundingAndIntegers) {
  auto r = run(R"(
    func.func @forward(%x: tensor<3xf32>, %i: tensor<2xi32>) -> (tensor<3xf32>, tensor<3xbf16>, tensor<2xi32>, tensor<3xi32>, tensor<2xf32>) {
      %eps = loom.constant dense<1.0e-08> : tensor<f32>
      %a = loom.add %x, %eps : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
      %b = loom.cast %x to bf16 : (tensor<3xf32>) -> tensor<3xbf16>
      %one = loom.constant dense<1> : tensor<i32>
      %c = loom.add %i, %one : (tensor<2xi32>, tensor<i32>) -> tensor<2xi32>
      %n = loom.neg %x : (tensor<3xf32>) -> tensor<3xf32>
      %d = loom.cast %n to i32 : (tensor<3xf32>) -> tensor<3xi32>
      %m = loom.compare gt, %i, %one : (tensor<2xi32>, tensor<i32>) -> tensor<2xi1>
      %e = loom.cast %m to f32 : (tensor<2xi1>) -> tensor<2xf32>
      return %a, %b, %c, %d, %e : tensor<3xf32>, tensor<3xbf16>, tensor<2xi32>, tensor<3xi32>, tensor<2xf32>
    })",
               {f32({3}, {1.0, 1.00390625, 1.01171875}),
                i32({2}, {2147483647, -5})});
  ASSERT_EQ(r.size(), 5u);
  // 1 + 1e-8 is 1 in f32.
  EXPECT_EQ(r[0].f[0], 1.0);
  // bf16 has 7 fraction bits: 1 + 2^-8 ties to 1, 1 + 3 * 2^-8 ties to
  // 1 + 2^-6 (the even neighbour).
  EXPECT_EQ(r[1].f, (std::vector<double>{1.0, 1.0, 1.015625}));
  // i32 wraps.
  EXPECT_EQ(r[2].i, (std::vector<int64_t>{-2147483648LL, -4}));
  // Float to int truncates toward zero.
  EXPECT_EQ(r[3].i, (std::vector<int64_t>{-1, -1, -1}));
  EXPECT_EQ(r[4].f, (std::vector<double>{1.0, 0.0}));
}

TEST_F(InterpreterTest, DropoutIsSeededInvertedDropout) {
  const char *body = R"(
    func.func @forward(%x: tensor<64x64xf32>, %s: tensor<i64>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
      %a = loom.dropout %x seed(%s) {rate = 2.500000e-01 : f64, stream = 3 : i64, training} : (tensor<64x64xf32>, tensor<i64>) -> tensor<64x64xf32>
      %b = loom.dropout %x seed(%s) {rate = 2.500000e-01 : f64, stream = 4 : i64, training} : (tensor<64x64xf32>, tensor<i64>) -> tensor<64x64xf32>
      %c = loom.dropout %x seed(%s) {rate = 2.500000e-01 : f64, stream = 3 : i64} : (tensor<64x64xf32>, tensor<i64>) -> tensor<64x64xf32>
      return %a, %b, %c : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
    })";
  std::vector<double> ones(64 * 64, 1.0);
  Tensor seed = Tensor::ints(DType::I64, {}, {0x0123456789ABCDEFLL});
  auto r = run(body, {f32({64, 64}, ones), seed});
  ASSERT_EQ(r.size(), 3u);
  int kept = 0, differ = 0;
  for (int k = 0; k < 64 * 64; ++k) {
    double v = r[0].f[k];
    EXPECT_TRUE(v == 0.0 || std::fabs(v - 4.0 / 3.0) < 1e-6) << v;
    kept += v != 0.0;
    differ += (v != 0.0) != (r[1].f[k] != 0.0);
  }
  // 4096 draws at keep probability 3/4: mean 3072, sd 28.
  EXPECT_GT(kept, 3072 - 150);
  EXPECT_LT(kept, 3072 + 150);
  EXPECT_GT(differ, 1000); // streams give independent masks
  EXPECT_EQ(r[2].f, ones);  // identity without `training`
  // The first 16 keep flags of stream 3, computed independently in Python
  // from the documented hash (splitmix64 of seed + 3 * 0x9E3779B97F4A7C15 +
  // (i + 1) * 0xBF58476D1CE4E5B9, top 24 bits / 2^24 >= 0.25).
  std::vector<int> flags = {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1};
  for (int k = 0; k < 16; ++k)
    EXPECT_EQ(r[0].f[k] != 0.0, flags[k] == 1) << "element " << k;
  auto again = run(body, {f32({64, 64}, ones), seed});
  EXPECT_EQ(again[0].f, r[0].f); // a pure function of seed, stream, index
}

TEST_F(InterpreterTest, DynamicDimsFixedByArguments) {
  auto r = run(R"(
    func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
      %s = loom.reduce_sum %x axes = [1] keep_dims : (tensor<?x4xf32>) -> tensor<?x1xf32>
      return %s : tensor<?x1xf32>
    })",
               {iota({3, 4})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].shape, (Shape{3, 1}));
  expectValues(r[0], {6, 22, 38});
}

TEST_F(InterpreterTest, ZeroSizeTensors) {
  auto r = run(R"(
    func.func @forward(%x: tensor<2x0xf32>, %y: tensor<0x3xf32>) -> (tensor<2x0xf32>, tensor<3xf32>, tensor<0x3xf32>) {
      %p = loom.softmax %x axis = 0 : (tensor<2x0xf32>) -> tensor<2x0xf32>
      %s = loom.reduce_sum %y axes = [0] : (tensor<0x3xf32>) -> tensor<3xf32>
      %n = loom.l2_normalize %y axis = 1 epsilon = 1.0e-12 : (tensor<0x3xf32>) -> tensor<0x3xf32>
      return %p, %s, %n : tensor<2x0xf32>, tensor<3xf32>, tensor<0x3xf32>
    })",
               {f32({2, 0}, {}), f32({0, 3}, {})});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].size(), 0);
  expectValues(r[1], {0, 0, 0}); // an empty sum is 0
  EXPECT_EQ(r[2].shape, (Shape{0, 3}));
}

TEST_F(InterpreterTest, ErrorsAreReported) {
  // An argument that does not fit the type.
  std::string err = runError(R"(
    func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      return %x : tensor<2x4xf32>
    })",
                             {iota({3, 4})});
  EXPECT_NE(err.find("argument #0"), std::string::npos) << err;
  // Wrong number of arguments.
  err = runError(R"(
    func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
      return %x : tensor<2xf32>
    })",
                 {});
  EXPECT_NE(err.find("takes 1 arguments"), std::string::npos) << err;
  // An id out of range.
  err = runError(R"(
    func.func @forward(%w: tensor<3x2xf32>, %ids: tensor<2xi32>) -> tensor<2x2xf32> {
      %e = loom.embedding %w, %ids : (tensor<3x2xf32>, tensor<2xi32>) -> tensor<2x2xf32>
      return %e : tensor<2x2xf32>
    })",
                 {iota({3, 2}), i32({2}, {1, 3})});
  EXPECT_NE(err.find("id 3 at position 1 is out of range"), std::string::npos)
      << err;
  // Integer division by zero.
  err = runError(R"(
    func.func @forward(%a: tensor<2xi32>, %b: tensor<2xi32>) -> tensor<2xi32> {
      %d = loom.div %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
      return %d : tensor<2xi32>
    })",
                 {i32({2}, {1, 2}), i32({2}, {1, 0})});
  EXPECT_NE(err.find("is undefined"), std::string::npos) << err;
}

TEST_F(InterpreterTest, UnsupportedElementTypeIsAnError) {
  module = parse(ctx, R"(
    func.func @forward(%x: tensor<2xf64>) -> tensor<2xf64> {
      return %x : tensor<2xf64>
    })");
  ASSERT_TRUE(module);
  std::vector<Tensor> results;
  std::string err = interp::run(lookup(*module), {iota({2})}, results);
  EXPECT_NE(err.find("unsupported element type"), std::string::npos) << err;
}

TEST_F(InterpreterTest, TraceSeesEveryOp) {
  module = parse(ctx, R"(
    func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = loom.exp %x : (tensor<2xf32>) -> tensor<2xf32>
      %z = loom.neg %y : (tensor<2xf32>) -> tensor<2xf32>
      return %z : tensor<2xf32>
    })");
  ASSERT_TRUE(module);
  std::vector<std::string> seen;
  interp::RunOptions options;
  options.onResult = [&](mlir::Operation *op, const Tensor &t) {
    seen.push_back(op->getName().getStringRef().str() + " " + t.typeStr());
  };
  std::vector<Tensor> results;
  EXPECT_EQ(interp::run(lookup(*module), {iota({2})}, results, options), "");
  EXPECT_EQ(seen, (std::vector<std::string>{"loom.exp tensor<2xf32>",
                                            "loom.neg tensor<2xf32>"}));
}

TEST_F(InterpreterTest, NonLoomOpIsAnError) {
  ctx.loadDialect<mlir::arith::ArithDialect>();
  std::string err = runError(R"(
    func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = arith.addf %x, %x : tensor<2xf32>
      return %y : tensor<2xf32>
    })",
                             {iota({2})});
  EXPECT_NE(err.find("'arith.addf' op"), std::string::npos) << err;
  EXPECT_NE(err.find("not a loom op"), std::string::npos) << err;
}

TEST_F(InterpreterTest, CallsAndSupportQuery) {
  auto r = run(R"(
    module {
      func.func private @twice(%x: tensor<2xf32>) -> tensor<2xf32> {
        %y = loom.add %x, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
        return %y : tensor<2xf32>
      }
      func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
        %y = func.call @twice(%x) : (tensor<2xf32>) -> tensor<2xf32>
        return %y : tensor<2xf32>
      }
    })",
               {f32({2}, {1, 2})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {2, 4});
  EXPECT_TRUE(interp::isSupported("loom.attention"));
  EXPECT_FALSE(interp::isSupported("arith.addf"));
}

} // namespace
