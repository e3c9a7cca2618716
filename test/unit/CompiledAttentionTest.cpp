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
//===----------------------------------------------------------------------===//
#include "CompiledCaseUtil.h"

using namespace loom::testutil;

namespace {

constexpr double kAccum = 2e-6;
constexpr double kLong = 1e-5;

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
    Rng rng(1);
    std::vector<Tensor> args;
    for (unsigned k = 0; k < fn.getNumArguments(); ++k) {
      auto it = gens.find(k);
      args.push_back(fill(rng,
                          mlir::cast<mlir::RankedTensorType>(
                              fn.getArgument(k).getType()),
                          it == gens.end() ? nullptr : &it->second));
    }
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

} // namespace
