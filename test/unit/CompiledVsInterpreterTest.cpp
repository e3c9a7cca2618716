//===- CompiledVsInterpreterTest.cpp - every loom op, compiled vs oracle --===//
//
// For every primitive and composite loom op: a small @forward with static,
// awkward shapes (1, primes, sizes that are no multiple of 16, batch 1 and
// > 1), random seeded inputs, interpreted (double accumulation, f32 storage)
// and compiled (compileToSharedLibrary, dlopen, loom_forward), compared
// output by output.
//
// Tolerances (see Metric in InterpreterTestUtil.h):
//  - kExact (0, per element): IEEE + - * /, sqrt, max, compares, selects,
//    casts, integer arithmetic and all data movement are correctly rounded
//    (or exact) on both sides, so the results must be bit-identical.
//  - kLibm (1e-6, per element): exp, log, tanh, erf, pow and sigmoid call
//    libm's float functions (within 1-2 ulp, 1 ulp = 1.2e-7) plus at most a
//    few correctly rounded steps; the interpreter rounds the double result.
//  - kAccum (per case, relative to the result's largest magnitude): compiled
//    reductions and contractions accumulate in f32 in loop order, composites
//    run as f32 primitives (decompositions); the interpreter accumulates in
//    double and rounds once. The error grows like eps * sqrt(K) for K-term
//    sums, so 2e-6 covers the K <= 100 cases here with margin and 1e-5 the
//    long (K = 1000+) ones and chains of several ops (attention, losses).
//    Elementwise composites whose formula cancels (gelu's 1 + erf(x) for
//    x << 0, layer_norm's x - mean) use this metric too: there the small
//    elements carry an absolute, not a relative, error of about eps * max.
//
//===----------------------------------------------------------------------===//
#include "CompiledCaseUtil.h"

#include "Loom/IR/LoomDialect.h"

#include <set>

using namespace loom::testutil;

namespace {

constexpr double kExact = 0.0;
constexpr double kLibm = 1e-6;
constexpr double kAccum = 2e-6;
constexpr double kLong = 1e-5;

//===----------------------------------------------------------------------===//
// Elementwise binary ops: same shape, trailing broadcast, two-sided
// broadcast, rank-0 scalar.
//===----------------------------------------------------------------------===//

std::string binaryBody(const std::string &op, const std::string &t) {
  return subst(R"(
  func.func @forward(%a: tensor<7x13x$T>, %b: tensor<7x13x$T>, %c: tensor<17x$T>, %d: tensor<2x5x17x$T>, %e: tensor<1x13x$T>, %f: tensor<7x1x$T>, %s: tensor<$T>) -> (tensor<7x13x$T>, tensor<2x5x17x$T>, tensor<7x13x$T>, tensor<7x13x$T>) {
    %0 = loom.$OP %a, %b : (tensor<7x13x$T>, tensor<7x13x$T>) -> tensor<7x13x$T>
    %1 = loom.$OP %d, %c : (tensor<2x5x17x$T>, tensor<17x$T>) -> tensor<2x5x17x$T>
    %2 = loom.$OP %e, %f : (tensor<1x13x$T>, tensor<7x1x$T>) -> tensor<7x13x$T>
    %3 = loom.$OP %s, %a : (tensor<$T>, tensor<7x13x$T>) -> tensor<7x13x$T>
    return %0, %1, %2, %3 : tensor<7x13x$T>, tensor<2x5x17x$T>, tensor<7x13x$T>, tensor<7x13x$T>
  })",
               {{"$OP", op}, {"$T", t}});
}

/// Nonzero floats: magnitude in [0.25, 4), either sign.
Gen nonzero() {
  return {[](Rng &r, DType t, const Shape &s) {
    Tensor x = uniformTensor(r, t, s, 0.25, 4.0);
    for (double &v : x.f)
      if (r.uniform() < 0.5)
        v = -v;
    return x;
  }};
}
std::map<unsigned, Gen> allArgs(const Gen &g) {
  std::map<unsigned, Gen> m;
  for (unsigned k = 0; k < 7; ++k)
    m[k] = g;
  return m;
}

TEST_F(CompiledVsInterpreter, ArithmeticF32) {
  for (const char *op : {"add", "sub", "mul", "maximum"})
    check({std::string(op) + " f32", binaryBody(op, "f32"), Metric::Element,
           kExact});
  check({"div f32", binaryBody("div", "f32"), Metric::Element, kExact,
         allArgs(nonzero())});
  check({"pow f32", binaryBody("pow", "f32"), Metric::Element, kLibm,
         {{0, U(0.1, 3)}, {1, U(-2, 2)}, {2, U(-2, 2)}, {3, U(0.1, 3)},
          {4, U(0.1, 3)}, {5, U(-2, 2)}, {6, U(0.1, 3)}}});
}

TEST_F(CompiledVsInterpreter, ArithmeticIntegers) {
  for (const char *t : {"i32", "i64"}) {
    for (const char *op : {"add", "sub", "mul", "maximum"})
      check({std::string(op) + " " + t, binaryBody(op, t), Metric::Element,
             kExact, allArgs(I(-1000, 1000))});
    check({std::string("div ") + t, binaryBody("div", t), Metric::Element,
           kExact, allArgs(I(1, 50))});
  }
  // i32 wraps around.
  check({"add i32 wraps", binaryBody("add", "i32"), Metric::Element, kExact,
         allArgs(I(2000000000, 2147483647))});
}

TEST_F(CompiledVsInterpreter, ArithmeticHalfAndBFloat) {
  // Both sides round every op to the 16-bit format; the compiled code goes
  // through f32, which for + and * still rounds correctly. exp is
  // expf-then-round vs exp-then-round: at most one 16-bit ulp apart
  // (2^-7 for bf16, 2^-10 for f16, relative).
  for (const char *t : {"bf16", "f16"}) {
    check({std::string("add ") + t, binaryBody("add", t), Metric::Element, kExact});
    check({std::string("mul ") + t, binaryBody("mul", t), Metric::Element, kExact});
  }
  check({"exp bf16", R"(
  func.func @forward(%a: tensor<5x37xbf16>) -> tensor<5x37xbf16> {
    %0 = loom.exp %a : (tensor<5x37xbf16>) -> tensor<5x37xbf16>
    return %0 : tensor<5x37xbf16>
  })", Metric::Element, 0x1p-7});
  check({"exp f16", R"(
  func.func @forward(%a: tensor<5x37xf16>) -> tensor<5x37xf16> {
    %0 = loom.exp %a : (tensor<5x37xf16>) -> tensor<5x37xf16>
    return %0 : tensor<5x37xf16>
  })", Metric::Element, 0x1p-10});
}

TEST_F(CompiledVsInterpreter, CompareAndSelect) {
  // Values from a small set so that ties (eq, le, ge) happen; floats include
  // NaN and infinities (ordered predicates are false on NaN, ne is true).
  std::string body = R"(
  func.func @forward(%a: tensor<7x13x$T>, %b: tensor<13x$T>) -> (tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>) {
    %0 = loom.compare eq, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    %1 = loom.compare ne, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    %2 = loom.compare lt, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    %3 = loom.compare le, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    %4 = loom.compare gt, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    %5 = loom.compare ge, %a, %b : (tensor<7x13x$T>, tensor<13x$T>) -> tensor<7x13xi1>
    return %0, %1, %2, %3, %4, %5 : tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>, tensor<7x13xi1>
  })";
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  check({"compare f32", subst(body, {{"$T", "f32"}}), Metric::Element, kExact,
         {{0, Fixed({0, 1, -1, 2, nan, inf, 1, 0, -inf, 2, 1})},
          {1, Fixed({1, 0, nan, -1, 2, inf, 1})}}});
  check({"compare i32", subst(body, {{"$T", "i32"}}), Metric::Element, kExact,
         {{0, I(-2, 3)}, {1, I(-2, 3)}}});
  check({"select", R"(
  func.func @forward(%c: tensor<7x1xi1>, %a: tensor<7x13xf32>, %s: tensor<f32>, %m: tensor<2x3x5xi1>, %i: tensor<5xi32>, %j: tensor<2x1x5xi32>) -> (tensor<7x13xf32>, tensor<2x3x5xi32>) {
    %0 = loom.select %c, %a, %s : (tensor<7x1xi1>, tensor<7x13xf32>, tensor<f32>) -> tensor<7x13xf32>
    %1 = loom.select %m, %i, %j : (tensor<2x3x5xi1>, tensor<5xi32>, tensor<2x1x5xi32>) -> tensor<2x3x5xi32>
    return %0, %1 : tensor<7x13xf32>, tensor<2x3x5xi32>
  })", Metric::Element, kExact, {{0, Mask(0.5)}, {3, Mask(0.5)}}});
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

TEST_F(CompiledVsInterpreter, Unary) {
  check({"neg", unaryBody("neg"), Metric::Element, kExact});
  check({"relu", unaryBody("relu"), Metric::Element, kExact,
         unaryArgs(Fixed({-1.5, 0.0, -0.0, 2.5, 1e-30, -1e-30, 7}))});
  check({"sqrt", unaryBody("sqrt"), Metric::Element, kExact,
         unaryArgs(U(0, 100))});
  check({"exp", unaryBody("exp"), Metric::Element, kLibm, unaryArgs(U(-20, 20))});
  check({"log", unaryBody("log"), Metric::Element, kLibm,
         unaryArgs(U(1e-3, 100))});
  check({"rsqrt", unaryBody("rsqrt"), Metric::Element, kLibm,
         unaryArgs(U(1e-3, 100))});
  check({"erf", unaryBody("erf"), Metric::Element, kLibm, unaryArgs(U(-4, 4))});
  check({"tanh", unaryBody("tanh"), Metric::Element, kLibm, unaryArgs(U(-6, 6))});
  check({"sigmoid", unaryBody("sigmoid"), Metric::Element, kLibm,
         unaryArgs(U(-20, 20))});
  check({"neg i32", R"(
  func.func @forward(%a: tensor<5x7xi32>) -> tensor<5x7xi32> {
    %0 = loom.neg %a : (tensor<5x7xi32>) -> tensor<5x7xi32>
    return %0 : tensor<5x7xi32>
  })", Metric::Element, kExact, {{0, I(-100, 100)}}});
}

TEST_F(CompiledVsInterpreter, ActivationComposites) {
  // silu = x * sigmoid(x): relative errors stay small for every x.
  check({"silu", unaryBody("silu"), Metric::Element, kLibm,
         unaryArgs(U(-8, 8))});
  // gelu's 1 + erf / 1 + tanh cancel for x << 0 (see the header).
  check({"gelu erf", unaryBody("gelu erf"), Metric::Norm, kAccum,
         unaryArgs(U(-5, 5))});
  check({"gelu tanh", unaryBody("gelu tanh"), Metric::Norm, kAccum,
         unaryArgs(U(-5, 5))});
}

TEST_F(CompiledVsInterpreter, Casts) {
  check({"cast from f32", R"(
  func.func @forward(%a: tensor<3x11xf32>) -> (tensor<3x11xi32>, tensor<3x11xi64>, tensor<3x11xi1>, tensor<3x11xbf16>, tensor<3x11xf16>, tensor<3x11xf32>) {
    %0 = loom.cast %a to i32 : (tensor<3x11xf32>) -> tensor<3x11xi32>
    %1 = loom.cast %a to i64 : (tensor<3x11xf32>) -> tensor<3x11xi64>
    %2 = loom.cast %a to i1 : (tensor<3x11xf32>) -> tensor<3x11xi1>
    %3 = loom.cast %a to bf16 : (tensor<3x11xf32>) -> tensor<3x11xbf16>
    %4 = loom.cast %a to f16 : (tensor<3x11xf32>) -> tensor<3x11xf16>
    %5 = loom.cast %3 to f32 : (tensor<3x11xbf16>) -> tensor<3x11xf32>
    return %0, %1, %2, %3, %4, %5 : tensor<3x11xi32>, tensor<3x11xi64>, tensor<3x11xi1>, tensor<3x11xbf16>, tensor<3x11xf16>, tensor<3x11xf32>
  })", Metric::Element, kExact,
         {{0, Fixed({-100.75, -2.5, -0.5, 0.0, 0.49, 1.0, 1.00390625, 3.9, 77.7,
                     1.01171875, 65519.0, -7e-8})}}});
  check({"cast from ints", R"(
  func.func @forward(%i: tensor<3x11xi32>, %l: tensor<3x11xi64>, %m: tensor<3x11xi1>) -> (tensor<3x11xf32>, tensor<3x11xi64>, tensor<3x11xi1>, tensor<3x11xi32>, tensor<3x11xf32>, tensor<3x11xi32>, tensor<3x11xbf16>) {
    %0 = loom.cast %i to f32 : (tensor<3x11xi32>) -> tensor<3x11xf32>
    %1 = loom.cast %i to i64 : (tensor<3x11xi32>) -> tensor<3x11xi64>
    %2 = loom.cast %i to i1 : (tensor<3x11xi32>) -> tensor<3x11xi1>
    %3 = loom.cast %l to i32 : (tensor<3x11xi64>) -> tensor<3x11xi32>
    %4 = loom.cast %m to f32 : (tensor<3x11xi1>) -> tensor<3x11xf32>
    %5 = loom.cast %m to i32 : (tensor<3x11xi1>) -> tensor<3x11xi32>
    %6 = loom.cast %l to bf16 : (tensor<3x11xi64>) -> tensor<3x11xbf16>
    return %0, %1, %2, %3, %4, %5, %6 : tensor<3x11xf32>, tensor<3x11xi64>, tensor<3x11xi1>, tensor<3x11xi32>, tensor<3x11xf32>, tensor<3x11xi32>, tensor<3x11xbf16>
  })", Metric::Element, kExact,
         {{0, Fixed({-16777217, -3, 0, 1, 16777217, 2147483647, 5})},
          {1, Fixed({-5000000000.0, 4294967297.0, -1, 0, 123456789})},
          {2, Mask(0.5)}}});
}

TEST_F(CompiledVsInterpreter, CastsBetween16BitFloats) {
  // f16 <-> bf16: one rounding to nearest even from the exact value (f16
  // values beyond bf16's precision, bf16 values beyond f16's range).
  check({"cast f16 <-> bf16", R"(
  func.func @forward(%a: tensor<5x7xf16>, %b: tensor<5x7xbf16>) -> (tensor<5x7xbf16>, tensor<5x7xf16>, tensor<5x7xf32>) {
    %0 = loom.cast %a to bf16 : (tensor<5x7xf16>) -> tensor<5x7xbf16>
    %1 = loom.cast %b to f16 : (tensor<5x7xbf16>) -> tensor<5x7xf16>
    %2 = loom.cast %a to f32 : (tensor<5x7xf16>) -> tensor<5x7xf32>
    return %0, %1, %2 : tensor<5x7xbf16>, tensor<5x7xf16>, tensor<5x7xf32>
  })", Metric::Element, kExact,
         {{0, U(-3, 3)}, {1, Fixed({1e5, -1e5, 3.0e-8, 1.0 / 3, 65504, 7e4, -2.5})}}});
}

TEST_F(CompiledVsInterpreter, ConstantsAndDropout) {
  check({"constants", R"(
  func.func @forward(%a: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi32>, tensor<2xi1>) {
    %c = loom.constant dense<[[1.5, -2.0, 3.25], [0.0, 1.0e-3, -7.0]]> : tensor<2x3xf32>
    %s = loom.constant dense<2.5> : tensor<f32>
    %0 = loom.mul %a, %c : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %1 = loom.add %c, %s : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
    %2 = loom.constant dense<[7, -8, 9]> : tensor<3xi32>
    %3 = loom.constant dense<[true, false]> : tensor<2xi1>
    return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi32>, tensor<2xi1>
  })", Metric::Element, kExact});
  // The masks must match exactly (same hash); the kept values are x times
  // 1/(1-rate), rounded to f32 first in the compiled code (one extra
  // rounding: <= 1 ulp).
  check({"dropout", R"(
  func.func @forward(%a: tensor<7x13xf32>, %b: tensor<3x5x17xf32>, %s: tensor<i64>) -> (tensor<7x13xf32>, tensor<3x5x17xf32>, tensor<3x5x17xf32>, tensor<7x13xf32>) {
    %0 = loom.dropout %a seed(%s) {rate = 1.000000e-01 : f64, stream = 5 : i64, training} : (tensor<7x13xf32>, tensor<i64>) -> tensor<7x13xf32>
    %1 = loom.dropout %b seed(%s) {rate = 5.000000e-01 : f64, training} : (tensor<3x5x17xf32>, tensor<i64>) -> tensor<3x5x17xf32>
    %2 = loom.dropout %b seed(%s) {rate = 0.7 : f64, stream = 123456789 : i64, training} : (tensor<3x5x17xf32>, tensor<i64>) -> tensor<3x5x17xf32>
    %3 = loom.dropout %a seed(%s) {rate = 0.3 : f64, stream = 1 : i64} : (tensor<7x13xf32>, tensor<i64>) -> tensor<7x13xf32>
    return %0, %1, %2, %3 : tensor<7x13xf32>, tensor<3x5x17xf32>, tensor<3x5x17xf32>, tensor<7x13xf32>
  })", Metric::Element, 3e-7, {{2, Bits()}}});
}

//===----------------------------------------------------------------------===//
// Shape ops, indices, embeddings, vision
//===----------------------------------------------------------------------===//

TEST_F(CompiledVsInterpreter, ReshapeTransposeConcatSlice) {
  check({"reshape", R"(
  func.func @forward(%a: tensor<2x3x4xf32>, %i: tensor<4x6xi32>) -> (tensor<2x12xf32>, tensor<4x6xf32>, tensor<2x3x2x2xf32>, tensor<24xi32>, tensor<2x1x12xi32>) {
    %0 = loom.reshape %a shape = [0, -1] : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
    %1 = loom.reshape %a shape = [-1, 6] : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
    %2 = loom.reshape %a shape = [0, 0, 2, -1] : (tensor<2x3x4xf32>) -> tensor<2x3x2x2xf32>
    %3 = loom.reshape %i shape = [-1] : (tensor<4x6xi32>) -> tensor<24xi32>
    %4 = loom.reshape %i shape = [2, 1, 12] : (tensor<4x6xi32>) -> tensor<2x1x12xi32>
    return %0, %1, %2, %3, %4 : tensor<2x12xf32>, tensor<4x6xf32>, tensor<2x3x2x2xf32>, tensor<24xi32>, tensor<2x1x12xi32>
  })", Metric::Element, kExact, {{1, I(-50, 50)}}});
  check({"transpose", R"(
  func.func @forward(%a: tensor<2x3x5xf32>, %b: tensor<7x13xf32>, %m: tensor<3x1x2xi1>) -> (tensor<5x2x3xf32>, tensor<13x7xf32>, tensor<2x3x1xi1>, tensor<3x2x5xf32>) {
    %0 = loom.transpose %a permutation = [2, 0, 1] : (tensor<2x3x5xf32>) -> tensor<5x2x3xf32>
    %1 = loom.transpose %b permutation = [1, 0] : (tensor<7x13xf32>) -> tensor<13x7xf32>
    %2 = loom.transpose %m permutation = [2, 0, 1] : (tensor<3x1x2xi1>) -> tensor<2x3x1xi1>
    %3 = loom.transpose %a permutation = [1, 0, 2] : (tensor<2x3x5xf32>) -> tensor<3x2x5xf32>
    return %0, %1, %2, %3 : tensor<5x2x3xf32>, tensor<13x7xf32>, tensor<2x3x1xi1>, tensor<3x2x5xf32>
  })", Metric::Element, kExact});
  check({"concat", R"(
  func.func @forward(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>, %d: tensor<1x3xf32>, %i: tensor<3x2xi64>, %j: tensor<1x2xi64>) -> (tensor<2x9xf32>, tensor<3x3xf32>, tensor<4x2xi64>) {
    %0 = loom.concat %a, %b, %c axis = -1 : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x9xf32>
    %1 = loom.concat %a, %d axis = 0 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
    %2 = loom.concat %j, %i axis = 0 : (tensor<1x2xi64>, tensor<3x2xi64>) -> tensor<4x2xi64>
    return %0, %1, %2 : tensor<2x9xf32>, tensor<3x3xf32>, tensor<4x2xi64>
  })", Metric::Element, kExact});
  check({"slice", R"(
  func.func @forward(%a: tensor<3x11x5xf32>, %i: tensor<7xi64>) -> (tensor<3x2x5xf32>, tensor<3x10x5xf32>, tensor<3x11x1xf32>, tensor<1x11x5xf32>, tensor<3xi64>) {
    %0 = loom.slice %a axis = 1 start = -3 end = -1 : (tensor<3x11x5xf32>) -> tensor<3x2x5xf32>
    %1 = loom.slice %a axis = 1 start = 1 end = 100 : (tensor<3x11x5xf32>) -> tensor<3x10x5xf32>
    %2 = loom.slice %a axis = -1 start = 4 end = 5 : (tensor<3x11x5xf32>) -> tensor<3x11x1xf32>
    %3 = loom.slice %a axis = 0 start = 2 end = 3 : (tensor<3x11x5xf32>) -> tensor<1x11x5xf32>
    %4 = loom.slice %i axis = 0 start = 2 end = 5 : (tensor<7xi64>) -> tensor<3xi64>
    return %0, %1, %2, %3, %4 : tensor<3x2x5xf32>, tensor<3x10x5xf32>, tensor<3x11x1xf32>, tensor<1x11x5xf32>, tensor<3xi64>
  })", Metric::Element, kExact});
}

TEST_F(CompiledVsInterpreter, Heads) {
  check({"split_heads / merge_heads", R"(
  func.func @forward(%a: tensor<2x7x12xf32>, %b: tensor<7x12xf32>, %c: tensor<1x3x5x4xf32>) -> (tensor<2x3x7x4xf32>, tensor<4x7x3xf32>, tensor<1x5x12xf32>, tensor<2x7x12xf32>) {
    %0 = loom.split_heads %a num_heads = 3 : (tensor<2x7x12xf32>) -> tensor<2x3x7x4xf32>
    %1 = loom.split_heads %b num_heads = 4 : (tensor<7x12xf32>) -> tensor<4x7x3xf32>
    %2 = loom.merge_heads %c : (tensor<1x3x5x4xf32>) -> tensor<1x5x12xf32>
    %3 = loom.merge_heads %0 : (tensor<2x3x7x4xf32>) -> tensor<2x7x12xf32>
    return %0, %1, %2, %3 : tensor<2x3x7x4xf32>, tensor<4x7x3xf32>, tensor<1x5x12xf32>, tensor<2x7x12xf32>
  })", Metric::Element, kExact});
}

TEST_F(CompiledVsInterpreter, IndicesAndEmbeddings) {
  check({"positions / causal_mask", R"(
  func.func @forward(%a: tensor<2x7xi32>, %s: tensor<2x5x7xf32>, %q: tensor<1x1xf32>) -> (tensor<7xi64>, tensor<2xi64>, tensor<5x7xi1>, tensor<1x1xi1>) {
    %0 = loom.positions %a axis = 1 {offset = 3 : i64} : (tensor<2x7xi32>) -> tensor<7xi64>
    %1 = loom.positions %a axis = -2 : (tensor<2x7xi32>) -> tensor<2xi64>
    %2 = loom.causal_mask %s : (tensor<2x5x7xf32>) -> tensor<5x7xi1>
    %3 = loom.causal_mask %q : (tensor<1x1xf32>) -> tensor<1x1xi1>
    return %0, %1, %2, %3 : tensor<7xi64>, tensor<2xi64>, tensor<5x7xi1>, tensor<1x1xi1>
  })", Metric::Element, kExact});
  check({"gather", R"(
  func.func @forward(%a: tensor<3x5x13xf32>, %i: tensor<3x5xi32>, %b: tensor<1x7xi32>, %j: tensor<1xi64>) -> (tensor<3x5xf32>, tensor<1xi32>) {
    %0 = loom.gather %a, %i : (tensor<3x5x13xf32>, tensor<3x5xi32>) -> tensor<3x5xf32>
    %1 = loom.gather %b, %j : (tensor<1x7xi32>, tensor<1xi64>) -> tensor<1xi32>
    return %0, %1 : tensor<3x5xf32>, tensor<1xi32>
  })", Metric::Element, kExact, {{1, I(0, 13)}, {3, I(0, 7)}}});
  // update_slice: run-time starts from below 0 to past the end are clamped
  // to [0, size - n] (so every value writes in bounds); the argument dest is
  // the caller's, so the compiled code copies it first.
  check({"update_slice", R"(
  func.func @forward(%c: tensor<2x3x11x4xf32>, %u: tensor<2x3x2x4xf32>, %p: tensor<i64>, %q: tensor<i32>, %i: tensor<9xi32>, %j: tensor<1xi32>) -> (tensor<2x3x11x4xf32>, tensor<2x3x11x4xf32>, tensor<9xi32>) {
    %0 = loom.update_slice %c, %u, %p axis = 2 : (tensor<2x3x11x4xf32>, tensor<2x3x2x4xf32>, tensor<i64>) -> tensor<2x3x11x4xf32>
    %1 = loom.update_slice %0, %u, %q axis = -2 : (tensor<2x3x11x4xf32>, tensor<2x3x2x4xf32>, tensor<i32>) -> tensor<2x3x11x4xf32>
    %2 = loom.update_slice %i, %j, %q axis = 0 : (tensor<9xi32>, tensor<1xi32>, tensor<i32>) -> tensor<9xi32>
    return %0, %1, %2 : tensor<2x3x11x4xf32>, tensor<2x3x11x4xf32>, tensor<9xi32>
  })", Metric::Element, kExact, {{2, I(-3, 13)}, {3, I(-2, 12)}}});
  check({"embedding", R"(
  func.func @forward(%w: tensor<37x13xf32>, %i: tensor<2x7xi32>, %j: tensor<5xi64>, %k: tensor<1x1xi32>) -> (tensor<2x7x13xf32>, tensor<5x13xf32>, tensor<1x1x13xf32>) {
    %0 = loom.embedding %w, %i : (tensor<37x13xf32>, tensor<2x7xi32>) -> tensor<2x7x13xf32>
    %1 = loom.embedding %w, %j : (tensor<37x13xf32>, tensor<5xi64>) -> tensor<5x13xf32>
    %2 = loom.embedding %w, %k : (tensor<37x13xf32>, tensor<1x1xi32>) -> tensor<1x1x13xf32>
    return %0, %1, %2 : tensor<2x7x13xf32>, tensor<5x13xf32>, tensor<1x1x13xf32>
  })", Metric::Element, kExact, {{1, I(0, 37)}, {2, I(0, 37)}, {3, I(36, 37)}}});
  // index_add: 36 ids into 11 rows repeat (sums in order, each rounded to
  // f32 on both sides: exact), ids in [-2, 13) include out-of-range ones
  // (they add nothing); an argument table is copied first (it is the
  // caller's), an intermediate one is updated in place; a single (rank-0)
  // id adds one row.
  check({"index_add", R"(
  func.func @forward(%t: tensor<11x13xf32>, %i: tensor<4x9xi32>, %s: tensor<4x9x13xf32>, %j: tensor<5xi64>, %r: tensor<5x13xf32>, %k: tensor<i32>, %q: tensor<13xf32>) -> (tensor<11x13xf32>, tensor<11x13xf32>, tensor<11x13xf32>) {
    %0 = loom.index_add %t, %i, %s : (tensor<11x13xf32>, tensor<4x9xi32>, tensor<4x9x13xf32>) -> tensor<11x13xf32>
    %sq = loom.mul %t, %t : (tensor<11x13xf32>, tensor<11x13xf32>) -> tensor<11x13xf32>
    %1 = loom.index_add %sq, %j, %r : (tensor<11x13xf32>, tensor<5xi64>, tensor<5x13xf32>) -> tensor<11x13xf32>
    %2 = loom.index_add %t, %k, %q : (tensor<11x13xf32>, tensor<i32>, tensor<13xf32>) -> tensor<11x13xf32>
    return %0, %1, %2 : tensor<11x13xf32>, tensor<11x13xf32>, tensor<11x13xf32>
  })", Metric::Element, kExact, {{1, I(-2, 13)}, {3, I(0, 11)}, {5, I(0, 11)}}});
}

TEST_F(CompiledVsInterpreter, SinusoidalEncoding) {
  // The compiled code computes the angle p * w, w = exp(-2i ln(10000) / dim),
  // in f32: the exponent's rounding (relative |ln w| eps in w) and the
  // product's (eps) give an angle error up to about p * w * (1 + |ln w|) *
  // 6e-8 <= p * 1.2e-7, which sin/cos pass on as an absolute error (values
  // lie in [-1, 1]). Positions below 64: <= 8e-6.
  std::string body = R"(
  func.func @forward(%p: tensor<2x7xi64>, %q: tensor<5xi32>) -> (tensor<2x7x16xf32>, tensor<5x6xf32>) {
    %0 = loom.sinusoidal_encoding %p dim = 16 : (tensor<2x7xi64>) -> tensor<2x7x16xf32>
    %1 = loom.sinusoidal_encoding %q dim = 6 : (tensor<5xi32>) -> tensor<5x6xf32>
    return %0, %1 : tensor<2x7x16xf32>, tensor<5x6xf32>
  })";
  check({"sinusoidal_encoding", body, Metric::Norm, 1e-5,
         {{0, I(0, 64)}, {1, I(0, 64)}}});
  // Large positions (1000 to 5000): the same bound gives 6e-4.
  check({"sinusoidal_encoding large positions", body, Metric::Norm, 6e-4,
         {{0, I(1000, 5000)}, {1, I(1000, 5000)}}});
}

TEST_F(CompiledVsInterpreter, Vision) {
  check({"patchify / prepend_token", R"(
  func.func @forward(%x: tensor<2x3x8x12xf32>, %y: tensor<1x1x5x5xf32>, %h: tensor<2x7x13xf32>, %t1: tensor<13xf32>, %t2: tensor<1x13xf32>, %t3: tensor<1x1x13xf32>) -> (tensor<2x6x48xf32>, tensor<1x1x25xf32>, tensor<2x8x13xf32>, tensor<2x8x13xf32>, tensor<2x8x13xf32>) {
    %0 = loom.patchify %x patch = 4 : (tensor<2x3x8x12xf32>) -> tensor<2x6x48xf32>
    %1 = loom.patchify %y patch = 5 : (tensor<1x1x5x5xf32>) -> tensor<1x1x25xf32>
    %2 = loom.prepend_token %h, %t1 : (tensor<2x7x13xf32>, tensor<13xf32>) -> tensor<2x8x13xf32>
    %3 = loom.prepend_token %h, %t2 : (tensor<2x7x13xf32>, tensor<1x13xf32>) -> tensor<2x8x13xf32>
    %4 = loom.prepend_token %h, %t3 : (tensor<2x7x13xf32>, tensor<1x1x13xf32>) -> tensor<2x8x13xf32>
    return %0, %1, %2, %3, %4 : tensor<2x6x48xf32>, tensor<1x1x25xf32>, tensor<2x8x13xf32>, tensor<2x8x13xf32>, tensor<2x8x13xf32>
  })", Metric::Element, kExact});
  check({"patch_embed", R"(
  func.func @forward(%x: tensor<2x3x8x12xf32>, %w: tensor<5x3x4x4xf32>, %b: tensor<5xf32>, %y: tensor<1x1x5x5xf32>, %v: tensor<7x1x5x5xf32>) -> (tensor<2x6x5xf32>, tensor<1x1x7xf32>) {
    %0 = loom.patch_embed %x, %w, %b patch = 4 : (tensor<2x3x8x12xf32>, tensor<5x3x4x4xf32>, tensor<5xf32>) -> tensor<2x6x5xf32>
    %1 = loom.patch_embed %y, %v patch = 5 : (tensor<1x1x5x5xf32>, tensor<7x1x5x5xf32>) -> tensor<1x1x7xf32>
    return %0, %1 : tensor<2x6x5xf32>, tensor<1x1x7xf32>
  })", Metric::Norm, kAccum});
}

//===----------------------------------------------------------------------===//
// Reductions and contractions
//===----------------------------------------------------------------------===//

TEST_F(CompiledVsInterpreter, Reductions) {
  std::string body = R"(
  func.func @forward(%a: tensor<7x13xf32>, %b: tensor<3x5x17xf32>, %c: tensor<1x1xf32>) -> (tensor<7x1xf32>, tensor<5xf32>, tensor<f32>, tensor<1x1x1xf32>, tensor<1xf32>) {
    %0 = loom.$OP %a axes = [1] keep_dims : (tensor<7x13xf32>) -> tensor<7x1xf32>
    %1 = loom.$OP %b axes = [0, -1] : (tensor<3x5x17xf32>) -> tensor<5xf32>
    %2 = loom.$OP %b axes = [2, 0, 1] : (tensor<3x5x17xf32>) -> tensor<f32>
    %3 = loom.$OP %b axes = [0, 1, 2] keep_dims : (tensor<3x5x17xf32>) -> tensor<1x1x1xf32>
    %4 = loom.$OP %c axes = [1] : (tensor<1x1xf32>) -> tensor<1xf32>
    return %0, %1, %2, %3, %4 : tensor<7x1xf32>, tensor<5xf32>, tensor<f32>, tensor<1x1x1xf32>, tensor<1xf32>
  })";
  // Inputs in [0.5, 2): sums without cancellation, so the f32 error is
  // relative to each result (<= K eps with K <= 255).
  auto pos = std::map<unsigned, Gen>{{0, U(0.5, 2)}, {1, U(0.5, 2)}, {2, U(0.5, 2)}};
  check({"reduce_sum", subst(body, {{"$OP", "reduce_sum"}}), Metric::Element,
         kLong, pos});
  check({"reduce_mean", subst(body, {{"$OP", "reduce_mean"}}), Metric::Element,
         kLong, pos});
  check({"reduce_max", subst(body, {{"$OP", "reduce_max"}}), Metric::Element,
         kExact});
  // Random signs, a long axis: relative to the largest result.
  check({"reduce_sum long", R"(
  func.func @forward(%a: tensor<3x1999xf32>) -> (tensor<3xf32>, tensor<3x1xf32>) {
    %0 = loom.reduce_sum %a axes = [1] : (tensor<3x1999xf32>) -> tensor<3xf32>
    %1 = loom.reduce_mean %a axes = [-1] keep_dims : (tensor<3x1999xf32>) -> tensor<3x1xf32>
    return %0, %1 : tensor<3xf32>, tensor<3x1xf32>
  })", Metric::Norm, kLong});
}

TEST_F(CompiledVsInterpreter, Contractions) {
  check({"matmul", R"(
  func.func @forward(%a: tensor<7x13xf32>, %b: tensor<13x5xf32>, %c: tensor<1x1xf32>, %d: tensor<1x1xf32>, %e: tensor<17x100xf32>, %f: tensor<100x3xf32>) -> (tensor<7x5xf32>, tensor<1x1xf32>, tensor<17x3xf32>) {
    %0 = loom.matmul %a, %b : (tensor<7x13xf32>, tensor<13x5xf32>) -> tensor<7x5xf32>
    %1 = loom.matmul %c, %d : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
    %2 = loom.matmul %e, %f : (tensor<17x100xf32>, tensor<100x3xf32>) -> tensor<17x3xf32>
    return %0, %1, %2 : tensor<7x5xf32>, tensor<1x1xf32>, tensor<17x3xf32>
  })", Metric::Norm, kAccum});
  check({"batch_matmul", R"(
  func.func @forward(%a: tensor<2x7x13xf32>, %b: tensor<2x13x5xf32>, %c: tensor<3x1x7x13xf32>, %d: tensor<4x13x5xf32>, %q: tensor<2x3x7x16xf32>, %k: tensor<2x3x9x16xf32>, %m: tensor<7x13xf32>) -> (tensor<2x7x5xf32>, tensor<3x4x7x5xf32>, tensor<2x3x7x9xf32>, tensor<2x7x5xf32>) {
    %0 = loom.batch_matmul %a, %b : (tensor<2x7x13xf32>, tensor<2x13x5xf32>) -> tensor<2x7x5xf32>
    %1 = loom.batch_matmul %c, %d : (tensor<3x1x7x13xf32>, tensor<4x13x5xf32>) -> tensor<3x4x7x5xf32>
    %2 = loom.batch_matmul %q, %k transpose_rhs : (tensor<2x3x7x16xf32>, tensor<2x3x9x16xf32>) -> tensor<2x3x7x9xf32>
    %3 = loom.batch_matmul %m, %b : (tensor<7x13xf32>, tensor<2x13x5xf32>) -> tensor<2x7x5xf32>
    return %0, %1, %2, %3 : tensor<2x7x5xf32>, tensor<3x4x7x5xf32>, tensor<2x3x7x9xf32>, tensor<2x7x5xf32>
  })", Metric::Norm, kAccum});
  check({"linear", R"(
  func.func @forward(%x: tensor<2x7x13xf32>, %w: tensor<13x5xf32>, %b: tensor<5xf32>, %v: tensor<5x13xf32>, %y: tensor<1x13xf32>) -> (tensor<2x7x5xf32>, tensor<2x7x5xf32>, tensor<1x5xf32>) {
    %0 = loom.linear %x, %w, %b : (tensor<2x7x13xf32>, tensor<13x5xf32>, tensor<5xf32>) -> tensor<2x7x5xf32>
    %1 = loom.linear %x, %v transpose_weight : (tensor<2x7x13xf32>, tensor<5x13xf32>) -> tensor<2x7x5xf32>
    %2 = loom.linear %y, %v, %b transpose_weight : (tensor<1x13xf32>, tensor<5x13xf32>, tensor<5xf32>) -> tensor<1x5xf32>
    return %0, %1, %2 : tensor<2x7x5xf32>, tensor<2x7x5xf32>, tensor<1x5xf32>
  })", Metric::Norm, kAccum});
}

//===----------------------------------------------------------------------===//
// Normalization, softmax, attention, losses
//===----------------------------------------------------------------------===//

TEST_F(CompiledVsInterpreter, Normalization) {
  check({"layer_norm / rms_norm", R"(
  func.func @forward(%x: tensor<2x7x13xf32>, %g: tensor<13xf32>, %b: tensor<13xf32>, %y: tensor<1x1x100xf32>, %h: tensor<100xf32>) -> (tensor<2x7x13xf32>, tensor<2x7x13xf32>, tensor<1x1x100xf32>, tensor<2x7x13xf32>) {
    %0 = loom.layer_norm %x, %g, %b epsilon = 1.000000e-05 : (tensor<2x7x13xf32>, tensor<13xf32>, tensor<13xf32>) -> tensor<2x7x13xf32>
    %1 = loom.layer_norm %x, %g epsilon = 1.0e-12 : (tensor<2x7x13xf32>, tensor<13xf32>) -> tensor<2x7x13xf32>
    %2 = loom.layer_norm %y, %h epsilon = 0.5 : (tensor<1x1x100xf32>, tensor<100xf32>) -> tensor<1x1x100xf32>
    %3 = loom.rms_norm %x, %g epsilon = 1.000000e-06 : (tensor<2x7x13xf32>, tensor<13xf32>) -> tensor<2x7x13xf32>
    return %0, %1, %2, %3 : tensor<2x7x13xf32>, tensor<2x7x13xf32>, tensor<1x1x100xf32>, tensor<2x7x13xf32>
  })", Metric::Norm, kAccum});
  check({"l2_normalize", R"(
  func.func @forward(%x: tensor<5x16xf32>, %z: tensor<2x3xf32>) -> (tensor<5x16xf32>, tensor<5x16xf32>, tensor<2x3xf32>) {
    %0 = loom.l2_normalize %x axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<5x16xf32>) -> tensor<5x16xf32>
    %1 = loom.l2_normalize %x axis = 0 epsilon = 1.0e-12 : (tensor<5x16xf32>) -> tensor<5x16xf32>
    %2 = loom.l2_normalize %z axis = 1 epsilon = 0.5 : (tensor<2x3xf32>) -> tensor<2x3xf32>
    return %0, %1, %2 : tensor<5x16xf32>, tensor<5x16xf32>, tensor<2x3xf32>
  })", Metric::Norm, kAccum, {{1, U(-0.1, 0.1)}}});
}

TEST_F(CompiledVsInterpreter, Softmax) {
  check({"softmax", R"(
  func.func @forward(%s: tensor<2x3x7x7xf32>, %m: tensor<2x1x1x7xi1>, %a: tensor<3x5x7xf32>, %o: tensor<5x1xf32>, %r: tensor<2x3x4x9xf32>) -> (tensor<2x3x7x7xf32>, tensor<3x5x7xf32>, tensor<5x1xf32>, tensor<2x3x4x9xf32>, tensor<2x3x7x7xf32>) {
    %0 = loom.softmax %s mask(%m) causal axis = -1 : (tensor<2x3x7x7xf32>, tensor<2x1x1x7xi1>) -> tensor<2x3x7x7xf32>
    %1 = loom.softmax %a axis = 1 : (tensor<3x5x7xf32>) -> tensor<3x5x7xf32>
    %2 = loom.softmax %o axis = 1 : (tensor<5x1xf32>) -> tensor<5x1xf32>
    %3 = loom.softmax %r causal axis = 3 : (tensor<2x3x4x9xf32>) -> tensor<2x3x4x9xf32>
    %4 = loom.softmax %s mask(%m) axis = -1 : (tensor<2x3x7x7xf32>, tensor<2x1x1x7xi1>) -> tensor<2x3x7x7xf32>
    return %0, %1, %2, %3, %4 : tensor<2x3x7x7xf32>, tensor<3x5x7xf32>, tensor<5x1xf32>, tensor<2x3x4x9xf32>, tensor<2x3x7x7xf32>
  })", Metric::Norm, kAccum, {{0, U(-8, 8)}, {1, Mask(0.6, true)}}});
  check({"log_softmax", R"(
  func.func @forward(%s: tensor<2x3x7x7xf32>, %m: tensor<2x1x1x7xi1>, %a: tensor<13x256xf32>) -> (tensor<2x3x7x7xf32>, tensor<13x256xf32>, tensor<13x256xf32>) {
    %0 = loom.log_softmax %s mask(%m) causal axis = -1 : (tensor<2x3x7x7xf32>, tensor<2x1x1x7xi1>) -> tensor<2x3x7x7xf32>
    %1 = loom.log_softmax %a axis = -1 : (tensor<13x256xf32>) -> tensor<13x256xf32>
    %2 = loom.log_softmax %a axis = 0 : (tensor<13x256xf32>) -> tensor<13x256xf32>
    return %0, %1, %2 : tensor<2x3x7x7xf32>, tensor<13x256xf32>, tensor<13x256xf32>
  })", Metric::Norm, kAccum, {{0, U(-8, 8)}, {1, Mask(0.6, true)}, {2, U(-10, 10)}}});
  // A fully masked row is NaN on both sides.
  check({"softmax fully masked rows", R"(
  func.func @forward(%s: tensor<3x5xf32>, %m: tensor<3x5xi1>) -> tensor<3x5xf32> {
    %0 = loom.softmax %s mask(%m) axis = -1 : (tensor<3x5xf32>, tensor<3x5xi1>) -> tensor<3x5xf32>
    return %0 : tensor<3x5xf32>
  })", Metric::Norm, kAccum, {{1, Fixed({0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1})}}});
}

TEST_F(CompiledVsInterpreter, Attention) {
  check({"attention self causal", R"(
  func.func @forward(%q: tensor<2x3x7x16xf32>, %k: tensor<2x3x7x16xf32>, %v: tensor<2x3x7x16xf32>) -> tensor<2x3x7x16xf32> {
    %0 = loom.attention %q, %k, %v causal : (tensor<2x3x7x16xf32>, tensor<2x3x7x16xf32>, tensor<2x3x7x16xf32>) -> tensor<2x3x7x16xf32>
    return %0 : tensor<2x3x7x16xf32>
  })", Metric::Norm, kAccum});
  check({"attention cross masked", R"(
  func.func @forward(%q: tensor<2x4x5x8xf32>, %k: tensor<2x4x9x8xf32>, %v: tensor<2x4x9x12xf32>, %m: tensor<2x1x1x9xi1>) -> tensor<2x4x5x12xf32> {
    %0 = loom.attention %q, %k, %v mask(%m) {scale = 3.000000e-01 : f64} : (tensor<2x4x5x8xf32>, tensor<2x4x9x8xf32>, tensor<2x4x9x12xf32>, tensor<2x1x1x9xi1>) -> tensor<2x4x5x12xf32>
    return %0 : tensor<2x4x5x12xf32>
  })", Metric::Norm, kAccum, {{3, Mask(0.6, true)}}});
  check({"attention single query, causal with more keys", R"(
  func.func @forward(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x1x8xf32>, %v: tensor<1x1x1x8xf32>, %a: tensor<1x3x13xf32>, %b: tensor<1x7x13xf32>, %c: tensor<1x7x5xf32>, %m: tensor<3x7xi1>) -> (tensor<1x1x1x8xf32>, tensor<1x3x5xf32>) {
    %0 = loom.attention %q, %k, %v : (tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32>
    %1 = loom.attention %a, %b, %c mask(%m) causal : (tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>, tensor<3x7xi1>) -> tensor<1x3x5xf32>
    return %0, %1 : tensor<1x1x1x8xf32>, tensor<1x3x5xf32>
  })", Metric::Norm, kAccum, {{6, Mask(0.7, true)}}});
  // The training step's attention (loom-autodiff's rule): the row
  // log-sum-exp and the blocked backward; causal with more keys than
  // queries and a padding mask, and rank 3 with a [Tq, Tk] mask. The
  // gradients through autodiff: CompiledAttentionTest.cpp.
  check({"attention_lse, attention_grad", R"(
  func.func @forward(%q: tensor<2x3x10x8xf32>, %k: tensor<2x3x12x8xf32>, %v: tensor<2x3x12x6xf32>, %g: tensor<2x3x10x6xf32>, %m: tensor<2x1x1x12xi1>, %a: tensor<1x3x13xf32>, %b: tensor<1x7x13xf32>, %c: tensor<1x7x5xf32>, %h: tensor<1x3x5xf32>, %n: tensor<3x7xi1>) -> (tensor<2x3x10xf32>, tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x3x12x6xf32>, tensor<1x3xf32>, tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>) {
    %o = loom.attention %q, %k, %v mask(%m) causal : (tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x3x12x6xf32>, tensor<2x1x1x12xi1>) -> tensor<2x3x10x6xf32>
    %l = loom.attention_lse %q, %k mask(%m) causal : (tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x1x1x12xi1>) -> tensor<2x3x10xf32>
    %dq, %dk, %dv = loom.attention_grad %q, %k, %v, %o, %l, %g mask(%m) causal : (tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x3x12x6xf32>, tensor<2x3x10x6xf32>, tensor<2x3x10xf32>, tensor<2x3x10x6xf32>, tensor<2x1x1x12xi1>) -> (tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x3x12x6xf32>)
    %o2 = loom.attention %a, %b, %c mask(%n) {scale = 3.000000e-01 : f64} : (tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>, tensor<3x7xi1>) -> tensor<1x3x5xf32>
    %l2 = loom.attention_lse %a, %b mask(%n) {scale = 3.000000e-01 : f64} : (tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<3x7xi1>) -> tensor<1x3xf32>
    %da, %db, %dc = loom.attention_grad %a, %b, %c, %o2, %l2, %h mask(%n) {scale = 3.000000e-01 : f64} : (tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>, tensor<1x3x5xf32>, tensor<1x3xf32>, tensor<1x3x5xf32>, tensor<3x7xi1>) -> (tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>)
    return %l, %dq, %dk, %dv, %l2, %da, %db, %dc : tensor<2x3x10xf32>, tensor<2x3x10x8xf32>, tensor<2x3x12x8xf32>, tensor<2x3x12x6xf32>, tensor<1x3xf32>, tensor<1x3x13xf32>, tensor<1x7x13xf32>, tensor<1x7x5xf32>
  })", Metric::Norm, kAccum, {{4, Mask(0.7, true)}, {9, Mask(0.7, true)}}});
}

TEST_F(CompiledVsInterpreter, Losses) {
  // Cross-entropy: a mean over up to 14 rows of a logsumexp over 13-256
  // classes, a chain of reductions in f32.
  check({"cross_entropy", R"(
  func.func @forward(%l: tensor<2x7x13xf32>, %t: tensor<2x7xi32>, %m: tensor<5x3xf32>, %u: tensor<5xi64>, %v: tensor<1x256xf32>, %w: tensor<1xi32>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
    %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<2x7x13xf32>, tensor<2x7xi32>) -> tensor<f32>
    %1 = loom.cross_entropy %m, %u ignore_index = 1 : (tensor<5x3xf32>, tensor<5xi64>) -> tensor<f32>
    %2 = loom.cross_entropy %v, %w ignore_index = -100 : (tensor<1x256xf32>, tensor<1xi32>) -> tensor<f32>
    return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
  })", Metric::Element, kLong,
         {{0, U(-5, 5)}, {1, ISome(0, 13, -100, 0.3)}, {3, I(0, 3)},
          {4, U(-5, 5)}, {5, I(0, 256)}}});
  check({"cross_entropy all ignored", R"(
  func.func @forward(%l: tensor<2x3xf32>, %t: tensor<2xi32>) -> tensor<f32> {
    %0 = loom.cross_entropy %l, %t ignore_index = -1 : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
    return %0 : tensor<f32>
  })", Metric::Element, kExact, {{1, Fixed({-1})}}});
  check({"contrastive_loss", R"(
  func.func @forward(%i: tensor<5x16xf32>, %t: tensor<5x16xf32>, %s: tensor<f32>, %a: tensor<1x7xf32>, %b: tensor<1x7xf32>) -> (tensor<f32>, tensor<f32>) {
    %0 = loom.contrastive_loss %i, %t, %s : (tensor<5x16xf32>, tensor<5x16xf32>, tensor<f32>) -> tensor<f32>
    %1 = loom.contrastive_loss %a, %b, %s : (tensor<1x7xf32>, tensor<1x7xf32>, tensor<f32>) -> tensor<f32>
    return %0, %1 : tensor<f32>, tensor<f32>
  })", Metric::Element, kLong, {{2, Fixed({2.6592})}}});
}

/// Every op the dialect registers appears in some case. The cases record
/// what they compiled, so this needs them in the same process: ctest runs the
/// whole CompiledVsInterpreter suite once more as one test
/// (compiled-vs-interpreter-coverage), where this case runs last.
TEST_F(CompiledVsInterpreter, ZZCoversEveryLoomOp) {
  if (covered().empty())
    GTEST_SKIP() << "checked by ctest's compiled-vs-interpreter-coverage, "
                    "which runs every case in one process";
  std::string all;
  for (const std::string &b : covered())
    all += b;
  for (mlir::RegisteredOperationName name : ctx->getRegisteredOperations()) {
    if (name.getDialectNamespace() != "loom")
      continue;
    std::string op = name.getStringRef().str();
    // Made by code generation, after the interpreter's domain: the ops it
    // replaces are compared with --kernels=halide in
    // test/Integration/kernel-generators.test, the kernels themselves in
    // runtime/kernels/HalideKernelsTest.cpp.
    if (op == "loom.kernel_call")
      continue;
    EXPECT_NE(all.find(op + " "), std::string::npos)
        << op << " has no compiled-vs-interpreter case";
    EXPECT_TRUE(loom::interp::isSupported(op)) << op;
  }
}

} // namespace
