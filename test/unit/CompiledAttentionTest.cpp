//===- CompiledAttentionTest.cpp - fused attention vs the interpreter -----===//
//
// loom-fuse-attention computes attention one block of query rows at a time
// (docs/architecture.md): the [.., Tq, Tk] scores never reach memory, key
// chunks above a causal diagonal are skipped, rows and keys that are no
// multiple of the block sizes (64 rows, 64 keys) get remainder blocks and
// chunks. Each case runs the compiled code (MLIR kernels forced, so the
// Halide kernel choice cannot take the op away) against the interpreter
// and checks that the fusion happened: the arena holds no [Tq, Tk] scores.
//
// Tolerance (Metric::Norm: the largest error relative to the output's
// largest magnitude): the compiled side rounds QKᵀ, the row sums and PV to
// f32, summing in chunk order, and divides once at the end; the
// interpreter works in double. With D = 64 the scores reach |s| ~ 25
// before scaling and their f32 rounding dominates: measured 3-5e-7 causal
// and 0.8-1.6e-6 with a padding mask, as the unfused compiled
// chain on these shapes (4e-7 and 1.2e-6, checked by returning the
// probabilities too, which keeps the chain unfused). kLong (1e-5, the
// repository's bound for chains of several ops such as attention) covers
// them with 6x margin; cases with D <= 32 (errors 1.5-5e-7) use kAccum.
//
// Gradients (CompiledAttentionGrad): loom-autodiff differentiates attention
// into loom.attention_lse and loom.attention_grad, which
// convert-loom-to-linalg lowers into blocked loops (FlashAttention-2's
// backward: P recomputed from the saved log-sum-exp, no [.., Tq, Tk]
// tensor). A tiny loss, sum(attention(Q, K, V) * W) with Q, K and V the
// parameters, goes through loom-autodiff; the compiled @loss_grad (dQ, dK,
// dV) is compared with the interpreter's @loss_grad of the same loss with
// attention decomposed before differentiation (softmax's and the
// contractions' rules: an oracle that shares nothing with the new ops), and
// the interpreter's own attention_grad with that oracle too. Tolerance
// (Metric::Norm per gradient): kLong, 1e-5; the errors are printed
// ([compiled-vs-interpreter] attention grad ...), ~1e-6 expected: P is
// exp(s - lse) in f32 with |s - lse| up to ~10, and dS = P (dP - D) cancels
// where dP ~ D.
//
//===----------------------------------------------------------------------===//
#include "CompiledCaseUtil.h"

#include "loom/Pipelines/Pipelines.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace loom::testutil;

namespace {

constexpr double kAccum = 2e-6;
constexpr double kLong = 1e-5;

/// Seeded random arguments for `fn`: `gens` picks the generator of an
/// argument (masks, token ids), the others are uniform.
std::vector<Tensor> randomArguments(mlir::func::FuncOp fn,
                                    const std::map<unsigned, Gen> &gens) {
  Rng rng(1);
  std::vector<Tensor> args;
  for (unsigned k = 0; k < fn.getNumArguments(); ++k) {
    auto it = gens.find(k);
    args.push_back(fill(rng,
                        mlir::cast<mlir::RankedTensorType>(
                            fn.getArgument(k).getType()),
                        it == gens.end() ? nullptr : &it->second));
  }
  return args;
}

class CompiledAttention : public CompiledVsInterpreter {
protected:
  /// Runs `body` (a @forward with static shapes) compiled and interpreted,
  /// compares every output and checks that the scores (`scoresBytes`) never
  /// reach the arena: the fused kernel keeps a block of them on the stack
  /// (in the arena only when its loop runs once), and the arena holds a
  /// copy of the results at most. Unfused, it holds the scores and the
  /// probabilities.
  void checkFused(const std::string &name, const std::string &body,
                  double tol, std::map<unsigned, Gen> gens,
                  int64_t scoresBytes) {
    SCOPED_TRACE(name);
    covered().insert(body);
    std::string text = "module attributes {loom.kernels = \"mlir\"} {" +
                       body + "\n}";
    auto module = parse(*ctx, text);
    ASSERT_TRUE(module) << "cannot parse:\n" << text;
    mlir::func::FuncOp fn = lookup(*module);
    ASSERT_TRUE(fn);
    mlir::Builder b(ctx);
    std::vector<std::string> names;
    for (unsigned k = 0; k < fn.getNumArguments(); ++k) {
      names.push_back("in" + std::to_string(k));
      fn.setArgAttr(k, "loom.input", b.getStringAttr(names.back()));
    }
    for (unsigned k = 0; k < fn.getNumResults(); ++k)
      fn.setResultAttr(k, "loom.output",
                       b.getStringAttr("out" + std::to_string(k)));
    std::vector<Tensor> args = randomArguments(fn, gens);
    std::vector<Tensor> ref;
    ASSERT_EQ(loom::interp::run(fn, args, ref), "") << "interpreter failed";

    CompiledModule compiled;
    ASSERT_EQ(compiled.compile(*module), "") << "compilation failed";
    const loom::artifact::Function *f = compiled.function("forward");
    ASSERT_TRUE(f);
    int64_t outputBytes = 0;
    for (mlir::Type t : fn.getResultTypes())
      outputBytes += mlir::cast<mlir::RankedTensorType>(t).getNumElements() * 4;
    EXPECT_LT(f->arenaBytes, outputBytes + scoresBytes / 2)
        << "the arena holds " << f->arenaBytes << " bytes, the scores take "
        << scoresBytes << ": attention was not fused";
    std::vector<Tensor> got;
    ASSERT_EQ(compiled.call("forward", names, args, got), "") << "call failed";
    ASSERT_EQ(got.size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k) {
      Comparison cmp = compare(got[k], ref[k], Metric::Norm);
      EXPECT_EQ(cmp.problem, "") << "output #" << k;
      report(name, k, Metric::Norm, cmp.error, tol);
      EXPECT_LE(cmp.error, tol)
          << "output #" << k << " worst element " << cmp.worst
          << ": compiled " << (cmp.worst >= 0 ? got[k].get(cmp.worst) : 0.0)
          << ", interpreter " << (cmp.worst >= 0 ? ref[k].get(cmp.worst) : 0.0);
    }
  }
};

std::string shape(int64_t b, int64_t h, int64_t t, int64_t d) {
  return std::to_string(b) + "x" + std::to_string(h) + "x" +
         std::to_string(t) + "x" + std::to_string(d) + "xf32";
}

/// Self-attention over [B, H, T, D] (GPT: causal).
std::string selfAttention(int64_t b, int64_t h, int64_t t, int64_t d,
                          bool causal) {
  return subst(R"(
  func.func @forward(%q: tensor<$S>, %k: tensor<$S>, %v: tensor<$S>) -> tensor<$S> {
    %0 = loom.attention %q, %k, %v $C: (tensor<$S>, tensor<$S>, tensor<$S>) -> tensor<$S>
    return %0 : tensor<$S>
  })",
               {{"$S", shape(b, h, t, d)}, {"$C", causal ? "causal " : ""}});
}

/// BERT's padding mask: [B, 1, 1, T] over every head and query.
std::string paddedAttention(int64_t b, int64_t h, int64_t t, int64_t d) {
  return subst(R"(
  func.func @forward(%q: tensor<$S>, %k: tensor<$S>, %v: tensor<$S>, %m: tensor<$Mxi1>) -> tensor<$S> {
    %0 = loom.attention %q, %k, %v mask(%m) : (tensor<$S>, tensor<$S>, tensor<$S>, tensor<$Mxi1>) -> tensor<$S>
    return %0 : tensor<$S>
  })",
               {{"$S", shape(b, h, t, d)},
                {"$M", std::to_string(b) + "x1x1x" + std::to_string(t)}});
}

int64_t scoreBytes(int64_t b, int64_t h, int64_t tq, int64_t tk) {
  return b * h * tq * tk * 4;
}

TEST_F(CompiledAttention, Causal) {
  // GPT-2's head size; T = 64 (one block, one chunk), 128, 1024 (GPT-2's
  // context: 16 blocks of 64 rows and 16 chunks of 64 keys, most blocks
  // skip some), 100 and 1000 (a remainder block of 36 and 40 rows, a
  // remainder chunk of 36 and 40 keys).
  for (int64_t t : {64, 128, 100, 1000, 1024}) {
    int64_t h = t >= 1000 ? 1 : 2;
    checkFused("causal T=" + std::to_string(t), selfAttention(1, h, t, 64, true),
               kLong, {}, scoreBytes(1, h, t, t));
  }
  // Batch 2, 12 heads of 16, T = 77 (CLIP's text length).
  checkFused("causal B=2 H=12 T=77", selfAttention(2, 12, 77, 16, true), kAccum,
             {}, scoreBytes(2, 12, 77, 77));
}

TEST_F(CompiledAttention, PaddingMask) {
  // Masks keep key 0 (no fully masked row) and drop ~30% of the others.
  for (int64_t t : {64, 128, 100, 1000}) {
    int64_t b = t >= 1000 ? 1 : 2;
    checkFused("padding mask T=" + std::to_string(t),
               paddedAttention(b, 2, t, 64), kLong,
               {{3, Mask(0.7, /*keepFirst=*/true)}}, scoreBytes(b, 2, t, t));
  }
}

TEST_F(CompiledAttention, Unmasked) {
  // ViT-B/16's 197 tokens (3 blocks of 64 keys and 5 more); D = 64.
  checkFused("unmasked T=197", selfAttention(1, 3, 197, 64, false), kLong, {},
             scoreBytes(1, 3, 197, 197));
}

TEST_F(CompiledAttention, CrossAndCombinedMasks) {
  // Causal with more keys than queries (key <= query + 63: a cache of 63
  // keys and 37 new queries), together with a padding mask, and a scale.
  checkFused("causal cross + mask", R"(
  func.func @forward(%q: tensor<2x3x37x32xf32>, %k: tensor<2x3x100x32xf32>, %v: tensor<2x3x100x24xf32>, %m: tensor<2x1x1x100xi1>) -> tensor<2x3x37x24xf32> {
    %0 = loom.attention %q, %k, %v mask(%m) causal {scale = 2.000000e-01 : f64} : (tensor<2x3x37x32xf32>, tensor<2x3x100x32xf32>, tensor<2x3x100x24xf32>, tensor<2x1x1x100xi1>) -> tensor<2x3x37x24xf32>
    return %0 : tensor<2x3x37x24xf32>
  })",
             kAccum, {{3, Mask(0.7, /*keepFirst=*/true)}},
             scoreBytes(2, 3, 37, 100));
  // Batch entry 0 masks every key: its rows are NaN on both sides (a NaN
  // row max, 0/0), entry 1 keeps keys 0, 2, 3, 5, 6 and 7.
  checkFused("fully masked rows", R"(
  func.func @forward(%q: tensor<2x2x7x8xf32>, %k: tensor<2x2x9x8xf32>, %v: tensor<2x2x9x8xf32>, %m: tensor<2x1x1x9xi1>) -> tensor<2x2x7x8xf32> {
    %0 = loom.attention %q, %k, %v mask(%m) : (tensor<2x2x7x8xf32>, tensor<2x2x9x8xf32>, tensor<2x2x9x8xf32>, tensor<2x1x1x9xi1>) -> tensor<2x2x7x8xf32>
    return %0 : tensor<2x2x7x8xf32>
  })",
             kAccum,
             {{3, Fixed({0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0})}},
             scoreBytes(2, 2, 7, 9));
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

class CompiledAttentionGrad : public CompiledVsInterpreter {
protected:
  /// `text` (a module with @loss) through loom-autodiff, attention
  /// decomposed first when `decomposed` (the path before attention had a
  /// rule of its own); only @loss_grad is kept.
  mlir::OwningOpRef<mlir::ModuleOp> gradients(const std::string &text,
                                              bool decomposed) {
    auto module = parse(*ctx, text);
    if (!module)
      return {};
    mlir::PassManager pm(ctx);
    if (decomposed &&
        failed(mlir::parsePassPipeline("loom-decompose{ops=attention}", pm)))
      return {};
    loom::pipelines::buildGradientPipeline(pm);
    if (failed(pm.run(*module)))
      return {};
    (*module).lookupSymbol<mlir::func::FuncOp>("loss").erase();
    return module;
  }

  /// Compiled @loss_grad of `body` (a @loss) against the interpreter on the
  /// decomposed path; its arena must not hold the scores (`scoresBytes`)
  /// where they dwarf the [.., T, D] tensors (`rowBytes` each).
  void checkGradients(const std::string &name, const std::string &body,
                      double tol, std::map<unsigned, Gen> gens,
                      int64_t scoresBytes, int64_t rowBytes) {
    SCOPED_TRACE(name);
    covered().insert(body);
    std::string text =
        "module attributes {loom.kernels = \"mlir\"} {" + body + "\n}";
    auto fast = gradients(text, false), slow = gradients(text, true);
    ASSERT_TRUE(fast && slow) << "loom-autodiff failed on:\n" << text;
    mlir::func::FuncOp grad = lookup(*fast, "loss_grad"),
                       oracle = lookup(*slow, "loss_grad");
    ASSERT_TRUE(grad && oracle);
    int blocked = 0, decomposed = 0;
    grad.walk([&](mlir::loom::AttentionGradOp) { ++blocked; });
    oracle.walk([&](mlir::loom::AttentionGradOp) { ++decomposed; });
    ASSERT_EQ(blocked, 1) << "attention was not differentiated by its rule";
    ASSERT_EQ(decomposed, 0);

    std::vector<Tensor> args = randomArguments(grad, gens);
    std::vector<Tensor> ref, interpreted, got;
    ASSERT_EQ(loom::interp::run(oracle, args, ref), "") << "oracle failed";
    ASSERT_EQ(loom::interp::run(grad, args, interpreted), "")
        << "interpreter failed on attention_grad";

    CompiledModule compiled;
    ASSERT_EQ(compiled.compile(*fast), "") << "compilation failed";
    const loom::artifact::Function *f = compiled.function("loss_grad");
    ASSERT_TRUE(f);
    if (scoresBytes >= 16 * rowBytes)
      EXPECT_LT(f->arenaBytes, scoresBytes / 2 + 16 * rowBytes)
          << "the arena holds " << f->arenaBytes << " bytes, the scores take "
          << scoresBytes << ": attention's backward stores them";
    ASSERT_EQ(compiled.call("loss_grad", argNames(grad), args, got), "")
        << "call failed";
    ASSERT_EQ(got.size(), ref.size());
    ASSERT_EQ(interpreted.size(), ref.size());
    const char *what[] = {"loss", "dQ", "dK", "dV"};
    const std::pair<const char *, const std::vector<Tensor> *> sides[] = {
        {"compiled", &got}, {"interpreter", &interpreted}};
    for (size_t k = 0; k < ref.size() && k < 4; ++k) {
      for (const auto &[side, t] : sides) {
        const Tensor &x = (*t)[k];
        Comparison cmp = compare(x, ref[k], Metric::Norm);
        EXPECT_EQ(cmp.problem, "") << side << " " << what[k];
        report(std::string("attention grad ") + side + " " + name, k,
               Metric::Norm, cmp.error, tol);
        EXPECT_LE(cmp.error, tol)
            << side << " " << what[k] << " worst element " << cmp.worst
            << ": " << (cmp.worst >= 0 ? x.get(cmp.worst) : 0.0)
            << ", oracle " << (cmp.worst >= 0 ? ref[k].get(cmp.worst) : 0.0);
      }
    }
  }
};

/// sum(attention(Q, K, V) * W) over [B, H, T, D], Q, K, V the parameters.
std::string attentionLoss(int64_t b, int64_t h, int64_t t, int64_t d,
                          bool causal, bool mask) {
  return subst(R"(
  func.func @loss(%q: tensor<$S> {loom.param = "q"}, %k: tensor<$S> {loom.param = "k"}, %v: tensor<$S> {loom.param = "v"}, %w: tensor<$S> {loom.input = "w"}$MA) -> tensor<f32> {
    %0 = loom.attention %q, %k, %v $MU$C: (tensor<$S>, tensor<$S>, tensor<$S>$MT) -> tensor<$S>
    %1 = loom.mul %0, %w : (tensor<$S>, tensor<$S>) -> tensor<$S>
    %2 = loom.reduce_sum %1 axes = [0, 1, 2, 3] : (tensor<$S>) -> tensor<f32>
    return %2 : tensor<f32>
  })",
               {{"$S", shape(b, h, t, d)},
                {"$C", causal ? "causal " : ""},
                {"$MA", mask ? ", %m: tensor<$M> {loom.input = \"m\"}" : ""},
                {"$MU", mask ? "mask(%m) " : ""},
                {"$MT", mask ? ", tensor<$M>" : ""},
                {"$M", std::to_string(b) + "x1x1x" + std::to_string(t) + "xi1"}});
}

TEST_F(CompiledAttentionGrad, Causal) {
  // One block and chunk (64), two (128), a remainder block and chunk of 36
  // (100), GPT-2's context (1024: 16 x 16 blocks, the upper half skipped).
  for (int64_t t : {64, 128, 100, 1024}) {
    int64_t h = t >= 1000 ? 1 : 2;
    checkGradients("causal T=" + std::to_string(t),
                   attentionLoss(1, h, t, 64, true, false), kLong, {},
                   scoreBytes(1, h, t, t), h * t * 64 * 4);
  }
}

TEST_F(CompiledAttentionGrad, PaddingMask) {
  // BERT's [B, 1, 1, T] padding mask; key 0 always kept.
  for (int64_t t : {64, 100, 128, 1024}) {
    int64_t b = t >= 1000 ? 1 : 2;
    checkGradients("padding mask T=" + std::to_string(t),
                   attentionLoss(b, 2, t, 64, false, true), kLong,
                   {{4, Mask(0.7, /*keepFirst=*/true)}},
                   scoreBytes(b, 2, t, t), b * 2 * t * 64 * 4);
  }
}

TEST_F(CompiledAttentionGrad, Unmasked) {
  // ViT: no mask; 197 tokens (3 blocks and 5 rows), and T = 1024.
  for (int64_t t : {64, 197, 1024}) {
    int64_t h = t >= 1000 ? 1 : 3;
    checkGradients("unmasked T=" + std::to_string(t),
                   attentionLoss(1, h, t, 64, false, false), kLong, {},
                   scoreBytes(1, h, t, t), h * t * 64 * 4);
  }
}

TEST_F(CompiledAttentionGrad, CrossAndCombinedMasks) {
  // Causal with more keys than queries (key <= query + 63), a padding mask,
  // a scale, Dk != Dv, batch and heads.
  checkGradients("causal cross + mask", R"(
  func.func @loss(%q: tensor<2x3x37x32xf32> {loom.param = "q"}, %k: tensor<2x3x100x32xf32> {loom.param = "k"}, %v: tensor<2x3x100x24xf32> {loom.param = "v"}, %w: tensor<2x3x37x24xf32> {loom.input = "w"}, %m: tensor<2x1x1x100xi1> {loom.input = "m"}) -> tensor<f32> {
    %0 = loom.attention %q, %k, %v mask(%m) causal {scale = 2.000000e-01 : f64} : (tensor<2x3x37x32xf32>, tensor<2x3x100x32xf32>, tensor<2x3x100x24xf32>, tensor<2x1x1x100xi1>) -> tensor<2x3x37x24xf32>
    %1 = loom.mul %0, %w : (tensor<2x3x37x24xf32>, tensor<2x3x37x24xf32>) -> tensor<2x3x37x24xf32>
    %2 = loom.reduce_sum %1 axes = [0, 1, 2, 3] : (tensor<2x3x37x24xf32>) -> tensor<f32>
    return %2 : tensor<f32>
  })",
                 kLong, {{4, Mask(0.7, /*keepFirst=*/true)}},
                 scoreBytes(2, 3, 37, 100), 2 * 3 * 100 * 32 * 4);
}

} // namespace
