//===- Decompose.cpp - composite loom ops in primitive loom ops -----------===//
//
// Each pattern rewrites one composite op into primitives with the same
// semantics as the op's documentation. Decompositions keep the original op's
// location so diagnostics and kernel names still lead back to the spec line.
//
//===----------------------------------------------------------------------===//
#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/Origins.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMDECOMPOSE
#include "loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

/// Builder for decompositions: every op gets the composite's location.
struct Emitter : LoomBuilder {
  using LoomBuilder::LoomBuilder;

  Value negInf(Type elt) {
    auto ft = cast<FloatType>(elt);
    auto inf = APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true);
    auto dense = DenseElementsAttr::get(RankedTensorType::get({}, elt), inf);
    return ConstantOp::create(b, loc, cast<ElementsAttr>(dense));
  }
  /// Sums over every axis into a rank-0 tensor.
  Value sumAll(Value x) {
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    if (rank == 0)
      return x;
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    return ReduceSumOp::create(b, loc, x, axes, false);
  }
  /// Puts -inf where the causal diagonal or the mask hides a score.
  Value applyMasks(Value scores, Value mask, bool causal) {
    Type elt = getElementTypeOrSelf(scores.getType());
    if (causal) {
      Value m = CausalMaskOp::create(b, loc, scores);
      scores = SelectOp::create(b, loc, m, scores, negInf(elt));
    }
    if (mask)
      scores = SelectOp::create(b, loc, mask, scores, negInf(elt));
    return scores;
  }
};

Type elementOf(Value v) { return getElementTypeOrSelf(v.getType()); }

/// ignore_index must be a value of the targets' element type: a truncated
/// constant would ignore the wrong class.
std::string ignoreIndexBlocker(Value targets, int64_t ignore) {
  unsigned width = elementOf(targets).getIntOrFloatBitWidth();
  if (width >= 64 || llvm::isIntN(width, ignore))
    return "";
  return ("ignore_index " + Twine(ignore) + " is not a value of the i" +
          Twine(width) + " targets")
      .str();
}

/// Why `op` (a composite) cannot be decomposed, or "" when it can.
std::string decompositionBlocker(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([](CrossEntropyOp o) {
        return ignoreIndexBlocker(o.getTargets(), o.getIgnoreIndex());
      })
      .Default([](Operation *) { return std::string(); });
}

/// Replaces `op` by `value`. The primitives may infer a more static type than
/// the composite declared; loom users accept that, other users (func.return)
/// need exactly the declared type, which a reshape copying every dim restores.
void replace(PatternRewriter &b, Operation *op, Value value) {
  Type declared = op->getResult(0).getType();
  bool onlyLoomUsers = llvm::all_of(op->getUsers(), [](Operation *user) {
    // Unregistered ops have no dialect.
    return isa_and_nonnull<LoomDialect>(user->getDialect());
  });
  if (value.getType() != declared && !onlyLoomUsers) {
    SmallVector<int64_t> copy(cast<RankedTensorType>(declared).getRank(), 0);
    value = ReshapeOp::create(b, op->getLoc(), declared, value,
                              b.getDenseI64ArrayAttr(copy));
  }
  b.replaceOp(op, value);
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

struct DecomposeGelu : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op, PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value x = op.getInput();
    Type elt = elementOf(x);
    Value inner;
    if (op.getApproximate() == GeluApproximation::tanh) {
      // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
      Value x3 = e.mul(x, e.mul(x, x));
      Value poly = e.add(x, e.mul(e.scalar(elt, 0.044715), x3));
      inner = TanhOp::create(b, op.getLoc(),
                             e.mul(e.scalar(elt, std::sqrt(2.0 / M_PI)), poly));
    } else {
      // erf(x / sqrt(2))
      inner = ErfOp::create(b, op.getLoc(), e.mul(x, e.scalar(elt, M_SQRT1_2)));
    }
    Value halfX = e.mul(e.scalar(elt, 0.5), x);
    replace(b, op, e.mul(halfX, e.add(e.scalar(elt, 1.0), inner)));
    return success();
  }
};

struct DecomposeSilu : OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op, PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value s = SigmoidOp::create(b, op.getLoc(), op.getInput());
    replace(b, op, e.mul(op.getInput(), s));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

struct DecomposeSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    int64_t axis = op.getAxis();
    Value s = e.applyMasks(op.getInput(), op.getMask(), op.getCausal());
    Value max = ReduceMaxOp::create(b, op.getLoc(), s, ArrayRef<int64_t>{axis},
                                    true);
    Value ex = ExpOp::create(b, op.getLoc(), e.sub(s, max));
    replace(b, op, e.div(ex, e.sumKeep(ex, axis)));
    return success();
  }
};

struct DecomposeLogSoftmax : OpRewritePattern<LogSoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    int64_t axis = op.getAxis();
    Value s = e.applyMasks(op.getInput(), op.getMask(), op.getCausal());
    Value max = ReduceMaxOp::create(b, op.getLoc(), s, ArrayRef<int64_t>{axis},
                                    true);
    Value shifted = e.sub(s, max);
    Value ex = ExpOp::create(b, op.getLoc(), shifted);
    Value lse = LogOp::create(b, op.getLoc(), e.sumKeep(ex, axis));
    replace(b, op, e.sub(shifted, lse));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

struct DecomposeLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value x = op.getInput();
    Value centered = e.sub(x, e.meanKeep(x, -1));
    Value var = e.meanKeep(e.mul(centered, centered), -1);
    Value eps = e.scalar(elementOf(x), op.getEpsilon().convertToDouble());
    Value inv = RsqrtOp::create(b, op.getLoc(), e.add(var, eps));
    Value y = e.mul(e.mul(centered, inv), op.getGamma());
    if (Value beta = op.getBeta())
      y = e.add(y, beta);
    replace(b, op, y);
    return success();
  }
};

struct DecomposeRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value x = op.getInput();
    Value ms = e.meanKeep(e.mul(x, x), -1);
    Value eps = e.scalar(elementOf(x), op.getEpsilon().convertToDouble());
    Value inv = RsqrtOp::create(b, op.getLoc(), e.add(ms, eps));
    replace(b, op, e.mul(e.mul(x, inv), op.getGamma()));
    return success();
  }
};

struct DecomposeL2Normalize : OpRewritePattern<L2NormalizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(L2NormalizeOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value x = op.getInput();
    Value norm = SqrtOp::create(b, op.getLoc(), e.sumKeep(e.mul(x, x),
                                                          op.getAxis()));
    Value eps = e.scalar(elementOf(x), op.getEpsilon().convertToDouble());
    Value denom = MaximumOp::create(b, op.getLoc(), norm, eps);
    replace(b, op, e.div(x, denom));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Contractions, heads, attention
//===----------------------------------------------------------------------===//

struct DecomposeLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Value y = BatchMatmulOp::create(b, op.getLoc(), op.getInput(),
                                    op.getWeight(), op.getTransposeWeight());
    if (Value bias = op.getBias())
      y = e.add(y, bias);
    replace(b, op, y);
    return success();
  }
};

struct DecomposeSplitHeads : OpRewritePattern<SplitHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitHeadsOp op,
                                PatternRewriter &b) const override {
    int64_t rank = op.getInput().getType().getRank();
    // [..., T, D] -> [..., T, H, D/H] -> [..., H, T, D/H]
    SmallVector<int64_t> shape(rank - 1, 0);
    shape.push_back(op.getNumHeads());
    shape.push_back(-1);
    Value r = ReshapeOp::create(b, op.getLoc(), op.getInput(),
                                b.getDenseI64ArrayAttr(shape));
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank + 1));
    std::swap(perm[rank - 1], perm[rank - 2]);
    replace(b, op, TransposeOp::create(b, op.getLoc(), r,
                                       b.getDenseI64ArrayAttr(perm)));
    return success();
  }
};

struct DecomposeMergeHeads : OpRewritePattern<MergeHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MergeHeadsOp op,
                                PatternRewriter &b) const override {
    int64_t rank = op.getInput().getType().getRank();
    // [..., H, T, Dh] -> [..., T, H, Dh] -> [..., T, H*Dh]
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 3], perm[rank - 2]);
    Value t = TransposeOp::create(b, op.getLoc(), op.getInput(),
                                  b.getDenseI64ArrayAttr(perm));
    SmallVector<int64_t> shape(rank - 2, 0);
    shape.push_back(-1);
    replace(b, op, ReshapeOp::create(b, op.getLoc(), t,
                                     b.getDenseI64ArrayAttr(shape)));
    return success();
  }
};

struct DecomposeAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    double scale;
    if (auto s = op.getScale()) {
      scale = s->convertToDouble();
    } else {
      int64_t dk = op.getQuery().getType().getShape().back();
      if (ShapedType::isDynamic(dk))
        dk = op.getKey().getType().getShape().back();
      scale = 1.0 / std::sqrt(static_cast<double>(dk));
    }
    Value scores = BatchMatmulOp::create(b, op.getLoc(), op.getQuery(),
                                         op.getKey(), /*transpose_rhs=*/true);
    scores = e.mul(scores, e.scalar(elementOf(scores), scale));
    Value probs = SoftmaxOp::create(b, op.getLoc(), scores, op.getMask(), -1,
                                    op.getCausal());
    replace(b, op, BatchMatmulOp::create(b, op.getLoc(), probs, op.getValue(),
                                         false));
    return success();
  }
};

struct DecomposePatchEmbed : OpRewritePattern<PatchEmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PatchEmbedOp op,
                                PatternRewriter &b) const override {
    Value patches = PatchifyOp::create(b, op.getLoc(), op.getInput(),
                                       op.getPatch());
    // [D, C, p, p] -> [D, C*p*p], the order patchify flattens a patch in.
    Value w = ReshapeOp::create(b, op.getLoc(), op.getWeight(),
                                b.getDenseI64ArrayAttr({0, -1}));
    replace(b, op, LinearOp::create(b, op.getLoc(), patches, w, op.getBias(),
                                    /*transpose_weight=*/true));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// Mean over non-ignored positions of -log_softmax(logits)[target], as
/// log Σ exp(x - max) + max - x[target] per row: no log-softmax tensor is
/// built (at GPT-2's vocabulary it is as large as the logits, written once
/// to be read at one class per row). The row max and the sum of
/// exponentials are built exactly as softmax's decomposition builds them,
/// so in a training step cse shares them with the gradient's softmax and
/// loom-fuse-rows computes them and the gradient in one pass over each row.
Value crossEntropy(Emitter &e, Value logits, Value targets, int64_t ignore) {
  Location loc = e.loc;
  Type elt = elementOf(logits);
  Type idElt = elementOf(targets);
  int64_t rank = cast<RankedTensorType>(logits.getType()).getRank();
  Value max = ReduceMaxOp::create(e.b, loc, logits, ArrayRef<int64_t>{-1},
                                  /*keepdim=*/true);
  Value ex = ExpOp::create(e.b, loc, e.sub(logits, max));
  Value lse = e.add(LogOp::create(e.b, loc, e.sumKeep(ex, -1)), max);
  // [.., 1] -> [..]: the targets' shape.
  lse = ReshapeOp::create(e.b, loc, lse,
                          e.b.getDenseI64ArrayAttr(
                              SmallVector<int64_t>(rank - 1, 0)));
  Value valid = CompareOp::create(e.b, loc, ComparePredicate::ne, targets,
                                  e.scalar(idElt, ignore));
  // Ignored targets may be out of range: gather class 0 there instead.
  Value safe = SelectOp::create(e.b, loc, valid, targets, e.scalar(idElt, 0));
  Value picked = GatherOp::create(e.b, loc, logits, safe);
  Value kept = SelectOp::create(e.b, loc, valid, e.sub(lse, picked),
                                e.scalar(elt, 0.0));
  Value count = e.sumAll(CastOp::create(e.b, loc, valid, TypeAttr::get(elt)));
  return e.div(e.sumAll(kept), count);
}

struct DecomposeCrossEntropy : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &b) const override {
    std::string why = decompositionBlocker(op);
    if (!why.empty())
      return b.notifyMatchFailure(op, why);
    Emitter e{b, op.getLoc()};
    replace(b, op, crossEntropy(e, op.getLogits(), op.getTargets(),
                                op.getIgnoreIndex()));
    return success();
  }
};

struct DecomposeContrastiveLoss : OpRewritePattern<ContrastiveLossOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ContrastiveLossOp op,
                                PatternRewriter &b) const override {
    Emitter e{b, op.getLoc()};
    Location loc = op.getLoc();
    Value img = L2NormalizeOp::create(b, loc, op.getImage(), -1, APFloat(1e-12));
    Value txt = L2NormalizeOp::create(b, loc, op.getText(), -1, APFloat(1e-12));
    Value sim = BatchMatmulOp::create(b, loc, img, txt, /*transpose_rhs=*/true);
    Value logits = e.mul(sim, ExpOp::create(b, loc, op.getLogitScale()));
    Value labels = PositionsOp::create(b, loc, logits, 0, 0);
    Value transposed = TransposeOp::create(b, loc, logits,
                                           b.getDenseI64ArrayAttr({1, 0}));
    Value perImage = crossEntropy(e, logits, labels, -100);
    Value perText = crossEntropy(e, transposed, labels, -100);
    Value half = e.scalar(elementOf(logits), 0.5);
    replace(b, op, e.mul(e.add(perImage, perText), half));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Registry and pass
//===----------------------------------------------------------------------===//

template <typename Pattern>
void addIfSelected(RewritePatternSet &patterns, ArrayRef<std::string> only,
                   StringRef mnemonic) {
  if (only.empty() || llvm::is_contained(only, mnemonic.str()))
    patterns.add<Pattern>(patterns.getContext());
}

const llvm::StringLiteral kComposites[] = {
    "attention",   "layer_norm",   "rms_norm",         "l2_normalize",
    "gelu",        "silu",         "softmax",          "log_softmax",
    "cross_entropy", "contrastive_loss", "linear",     "patch_embed",
    "split_heads", "merge_heads"};

struct LoomDecomposePass
    : public mlir::loom::impl::LoomDecomposeBase<LoomDecomposePass> {
  using LoomDecomposeBase::LoomDecomposeBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    for (const std::string &name : ops)
      if (!llvm::is_contained(compositeOpMnemonics(), name))
        return emitError(UnknownLoc::get(ctx))
               << "loom-decompose: '" << name
               << "' is not a composite loom op (expected one of: "
               << llvm::join(compositeOpMnemonics(), ", ") << ")";
    return success();
  }

  void runOnOperation() override {
    // The primitives of a composite carry its location: tagged with the
    // composite's name first, they keep naming it (Origins.h).
    tagOrigins(getOperation(), /*compositesOnly=*/true);
    RewritePatternSet patterns(&getContext());
    populateDecompositionPatterns(patterns, ops);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // A selected composite that is still there could not be expressed in
    // primitives: report it rather than leave it to a backend that has no
    // kernel for it.
    bool blocked = false;
    getOperation()->walk([&](Operation *op) {
      if (!op->hasTrait<OpTrait::loom::CompositeOpTrait>())
        return;
      StringRef name = op->getName().stripDialect();
      if (!ops.empty() && !llvm::is_contained(ops, name.str()))
        return;
      std::string why = decompositionBlocker(op);
      op->emitOpError("cannot be decomposed into primitive loom ops")
          << (why.empty() ? "" : ": ") << why;
      blocked = true;
    });
    if (blocked)
      signalPassFailure();
  }
};

} // namespace

llvm::ArrayRef<llvm::StringLiteral> mlir::loom::compositeOpMnemonics() {
  return kComposites;
}

void mlir::loom::populateDecompositionPatterns(RewritePatternSet &patterns,
                                               ArrayRef<std::string> only) {
  addIfSelected<DecomposeAttention>(patterns, only, "attention");
  addIfSelected<DecomposeLayerNorm>(patterns, only, "layer_norm");
  addIfSelected<DecomposeRmsNorm>(patterns, only, "rms_norm");
  addIfSelected<DecomposeL2Normalize>(patterns, only, "l2_normalize");
  addIfSelected<DecomposeGelu>(patterns, only, "gelu");
  addIfSelected<DecomposeSilu>(patterns, only, "silu");
  addIfSelected<DecomposeSoftmax>(patterns, only, "softmax");
  addIfSelected<DecomposeLogSoftmax>(patterns, only, "log_softmax");
  addIfSelected<DecomposeCrossEntropy>(patterns, only, "cross_entropy");
  addIfSelected<DecomposeContrastiveLoss>(patterns, only, "contrastive_loss");
  addIfSelected<DecomposeLinear>(patterns, only, "linear");
  addIfSelected<DecomposePatchEmbed>(patterns, only, "patch_embed");
  addIfSelected<DecomposeSplitHeads>(patterns, only, "split_heads");
  addIfSelected<DecomposeMergeHeads>(patterns, only, "merge_heads");
}
