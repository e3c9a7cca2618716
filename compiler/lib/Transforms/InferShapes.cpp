//===- InferShapes.cpp - refine loom result types to inferred shapes ------===//
//
// A forward walk in program order: each loom op's types are re-inferred from
// its (possibly just refined) operands. A result is only refined where every
// user accepts a more static type: loom ops do (their verifiers check
// compatibility, not equality), and so does func.return when the function's
// signature can follow (nothing calls it).
//
//===----------------------------------------------------------------------===//
#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/ShapeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMINFERSHAPES
#include "loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

/// The dim-wise most static of two compatible tensor types.
RankedTensorType meet(RankedTensorType a, RankedTensorType b) {
  Shape s;
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    s.push_back(meetDim(x, y));
  return RankedTensorType::get(s, a.getElementType(), a.getEncoding());
}

bool usersAcceptRefinement(Value v, bool returnFollows) {
  for (Operation *user : v.getUsers()) {
    // Unregistered ops (no dialect) accept nothing but their exact types.
    if (isa_and_nonnull<LoomDialect>(user->getDialect()))
      continue;
    if (isa<func::ReturnOp>(user) && returnFollows)
      continue;
    return false;
  }
  return true;
}

struct LoomInferShapesPass
    : public mlir::loom::impl::LoomInferShapesBase<LoomInferShapesPass> {
  void runOnOperation() override {
    getOperation()->walk([&](func::FuncOp fn) { refine(fn); });
  }

  void refine(func::FuncOp fn) {
    // The signature follows the returned types only for a single-block body
    // that no call site depends on. Finding the call sites means reading the
    // whole symbol table; when the pass runs nested (on each func.func, in
    // parallel) that table is not ours to read, and a sibling's pass may be
    // rewriting its own signature meanwhile, so the signature stays.
    Operation *symbolTableOp = SymbolTable::getNearestSymbolTable(fn);
    bool returnFollows =
        !fn.isExternal() && fn.getBody().hasOneBlock() &&
        (!symbolTableOp ||
         (getOperation()->isAncestor(symbolTableOp) &&
          SymbolTable::symbolKnownUseEmpty(fn, symbolTableOp)));
    fn.walk([&](Operation *op) {
      auto iface = dyn_cast<InferTypeOpInterface>(op);
      if (!iface || !isa_and_nonnull<LoomDialect>(op->getDialect()))
        return;
      SmallVector<Type> inferred;
      if (failed(iface.inferReturnTypes(
              op->getContext(), op->getLoc(), op->getOperands(),
              op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
              op->getRegions(), inferred)))
        return; // The verifier reports it.
      for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
        auto declared = dyn_cast<RankedTensorType>(result.getType());
        auto better = dyn_cast<RankedTensorType>(type);
        if (!declared || !better || declared == better ||
            !areCompatibleTensorTypes(TypeRange{declared}, TypeRange{better}))
          continue;
        if (usersAcceptRefinement(result, returnFollows))
          result.setType(meet(declared, better));
      }
    });
    if (!returnFollows)
      return;
    auto ret = dyn_cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    if (!ret)
      return;
    fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(),
                                 ret.getOperandTypes()));
  }
};

} // namespace
