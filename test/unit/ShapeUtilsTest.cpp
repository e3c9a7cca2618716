//===- ShapeUtilsTest.cpp - broadcasting, axes and inferring builders -----===//
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::loom;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(Broadcast, NumpyRules) {
  EXPECT_EQ(*broadcastShapes({2, 3}, {3}), (Shape{2, 3}));
  EXPECT_EQ(*broadcastShapes({4, 1, 5}, {7, 1}), (Shape{4, 7, 5}));
  EXPECT_EQ(*broadcastShapes({}, {2, 2}), (Shape{2, 2}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
  EXPECT_FALSE(broadcastShapes({5, 2}, {3, 2}).has_value());
}

TEST(Broadcast, DynamicDims) {
  // ? against a static non-1 dim resolves to the static size.
  EXPECT_EQ(*broadcastShapes({kDyn, 768}, {768}), (Shape{kDyn, 768}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {4}), (Shape{4}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {1}), (Shape{kDyn}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {kDyn}), (Shape{kDyn}));
}

TEST(Axes, Normalize) {
  EXPECT_EQ(*normalizeAxis(-1, 3), 2);
  EXPECT_EQ(*normalizeAxis(0, 3), 0);
  EXPECT_FALSE(normalizeAxis(3, 3).has_value());
  EXPECT_FALSE(normalizeAxis(-4, 3).has_value());
  EXPECT_FALSE(normalizeAxis(0, 0).has_value());
}

TEST(Shapes, ProductAndPrinting) {
  EXPECT_EQ(*staticProduct({2, 3, 4}), 24);
  EXPECT_EQ(*staticProduct({}), 1);
  EXPECT_FALSE(staticProduct({2, kDyn}).has_value());
  EXPECT_EQ(shapeStr({2, kDyn, 768}), "[2, ?, 768]");
}

class BuilderTest : public ::testing::Test {
protected:
  BuilderTest() : builder(&ctx) {
    ctx.loadDialect<LoomDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  /// A function whose arguments have the given types; the builder sits in it.
  func::FuncOp function(ArrayRef<Type> args) {
    auto fn = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                   builder.getFunctionType(args, {}));
    builder.setInsertionPointToStart(fn.addEntryBlock());
    return fn;
  }
  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(BuilderTest, CompatibleTypes) {
  EXPECT_TRUE(areCompatibleTensorTypes(TypeRange{f32({kDyn, 3})},
                                       TypeRange{f32({2, 3})}));
  EXPECT_FALSE(areCompatibleTensorTypes(TypeRange{f32({4, 3})},
                                        TypeRange{f32({2, 3})}));
  EXPECT_FALSE(areCompatibleTensorTypes(TypeRange{f32({2, 3})},
                                        TypeRange{f32({2, 3, 1})}));
}

TEST_F(BuilderTest, BuildersInferResultTypes) {
  auto fn = function({f32({kDyn, kDyn, 768}), f32({768, 2304}),
                      f32({2304})});
  Location loc = builder.getUnknownLoc();
  auto lin = LinearOp::create(builder, loc, fn.getArgument(0),
                              fn.getArgument(1), fn.getArgument(2), false);
  EXPECT_EQ(lin.getType(), f32({kDyn, kDyn, 2304}));
  auto heads = SplitHeadsOp::create(builder, loc, lin.getResult(), 12);
  EXPECT_EQ(heads.getType(), f32({kDyn, 12, kDyn, 192}));
  auto attn = AttentionOp::create(builder, loc, heads, heads, heads, Value(),
                                  true, nullptr);
  EXPECT_EQ(attn.getType(), f32({kDyn, 12, kDyn, 192}));
  auto merged = MergeHeadsOp::create(builder, loc, attn.getResult());
  EXPECT_EQ(merged.getType(), f32({kDyn, kDyn, 2304}));
  func::ReturnOp::create(builder, loc);
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(BuilderTest, InferenceRejectsBadShapes) {
  auto fn = function({f32({2, 3}), f32({4, 5})});
  SmallVector<Type> types;
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(MatmulOp::inferReturnTypes(
      &ctx, builder.getUnknownLoc(),
      MatmulOp::Adaptor(ValueRange{fn.getArgument(0), fn.getArgument(1)}),
      types)));
  EXPECT_NE(message.find("contraction dims differ"), std::string::npos)
      << message;
  fn.erase();
}
} // namespace
