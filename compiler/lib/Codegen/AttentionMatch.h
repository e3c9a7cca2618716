//===- AttentionMatch.h - attention as convert-loom-to-linalg leaves it ---===//
//
// loom-fuse-attention's matcher (AttentionMatch.cpp), apart from its
// rewriting (FuseAttention.cpp): the decomposed attention around one PV
// contraction, found by walking up from it through the softmax (quotient,
// row sum, exp, subtraction of the row max), the elementwise scale and mask
// steps, to the QKᵀ contraction.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CODEGEN_ATTENTIONMATCH_H
#define LOOM_CODEGEN_ATTENTIONMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/APFloat.h"

#include <optional>

namespace mlir::loom::attention {

/// Which role a contraction's loop plays in the blocked computation.
enum class Role { Batch, Row, Col, Red };

/// A contraction generic whose result is [batch.., rows, cols] (every
/// parallel loop, in that order: batch loops first, in the order of the
/// score dims they index) and that reduces one loop.
struct Contraction {
  linalg::GenericOp op;
  SmallVector<Role> roles;       // per loop
  SmallVector<int64_t> batchDim; // per loop: the result dim of a batch loop
  int64_t row = -1, col = -1, red = -1;
};

/// One elementwise step between the scores and the softmax: a scale
/// (x * c) or a mask (select(m, x, -inf)).
struct Step {
  linalg::GenericOp op;
  unsigned chainInput;          // the input that is the previous step
  OpOperand *mask = nullptr;    // a select's condition (a tensor input)
  std::optional<int64_t> shift; // ... when it is loom's causal mask
};

/// The decomposed attention around one PV contraction.
struct Attention {
  Contraction qk, pv;
  SmallVector<Step> steps; // in program order
  linalg::GenericOp max, sub, exp, sum, div;
  unsigned subScores = 0, subMax = 1;  // sub's inputs: S and max(S)
  unsigned divExp = 0, divSum = 1;     // div's inputs: E and sum(E)
  unsigned rank = 0;       // of the scores: batch dims, queries, keys
  int64_t tq = 0, tk = 0;
  /// The shift of a causal mask (key <= query + shift) whose -inf reaches
  /// the softmax as it is (its select is the last step, or only other
  /// masks follow): key chunks past query + shift cannot contribute and
  /// are skipped.
  std::optional<int64_t> causal;
};

/// The attention whose PV contraction is PV_OP, if the chain above it is
/// one loom-fuse-attention rebuilds.
std::optional<Attention> matchAttention(linalg::GenericOp pvOp);

/// The float a body value of G is, when it is a constant: defined by an
/// arith.constant, or the block argument of a splat-constant input.
std::optional<APFloat> constantFloat(linalg::GenericOp g, Value v);

} // namespace mlir::loom::attention

#endif // LOOM_CODEGEN_ATTENTIONMATCH_H
