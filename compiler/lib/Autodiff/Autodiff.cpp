//===- Autodiff.cpp - the loom-autodiff pass (reverse mode) ---------------===//
//
// From func @loss(args) -> tensor<f32> builds @loss_grad(args) -> (loss,
// d loss / d arg for each differentiated argument, in argument order):
//
//  1. clone @loss into @loss_grad and decompose the composites that have no
//     rule of their own (patch_embed, contrastive_loss);
//  2. mark the active values (those depending on a differentiated argument);
//  3. walk the ops backwards from the loss with cotangent 1, calling each
//     op's VJP rule and accumulating cotangents of values used more than once
//     with loom.add.
//
// Saved activations: the backward ops read the forward values directly (no
// recomputation); only the fused norm rules recompute their statistics
// (mean, 1/sqrt(var + eps)) from the op's input. Shapes must be static (the front end binds the dims).
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/Passes.h"
#include "loom/Autodiff/VJP.h"
#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/Origins.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMAUTODIFF
#include "loom/Autodiff/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;
using namespace mlir::loom::autodiff;

namespace {

bool isFloatTensor(Type t) {
  return isa<FloatType>(getElementTypeOrSelf(t));
}

bool isStatic(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape();
}

/// Differentiates `fn` (already a clone with composites decomposed) in place:
/// appends the gradients of `wrt` arguments to its results.
LogicalResult differentiate(func::FuncOp fn, ArrayRef<unsigned> wrt) {
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(0);

  // Static shapes only.
  for (BlockArgument a : body.getArguments())
    if (!isStatic(a.getType()))
      return fn.emitError("loom-autodiff needs static shapes, but argument #")
             << a.getArgNumber() << " has type " << a.getType()
             << " (bind the dims, e.g. --dim B=4)";
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() != 0)
      return op.emitOpError("has regions; loom-autodiff handles straight-line "
                            "loom functions only");
    for (Type t : op.getResultTypes())
      if (!isStatic(t))
        return op.emitOpError("has a result of non-static type ")
               << t << "; loom-autodiff needs static shapes";
  }

  // Activity: values that depend on a differentiated argument.
  llvm::DenseSet<Value> active;
  for (unsigned i : wrt)
    active.insert(body.getArgument(i));
  for (Operation &op : body.without_terminator()) {
    bool any = llvm::any_of(op.getOperands(),
                            [&](Value v) { return active.contains(v); });
    if (any)
      for (Value r : op.getResults())
        if (isFloatTensor(r.getType()))
          active.insert(r);
  }

  OpBuilder b(ret);
  Location loc = fn.getLoc();
  llvm::DenseMap<Value, Value> cot;
  auto accumulate = [&](Value v, Value g, Location at) {
    auto it = cot.find(v);
    if (it == cot.end())
      cot[v] = g;
    else
      it->second = AddOp::create(b, at, it->second, g);
  };
  if (active.contains(loss))
    cot[loss] = scalarConst(b, loss.getLoc(),
                            getElementTypeOrSelf(loss.getType()), 1.0);

  const VJPTable &rules = vjpRules();
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() != 1)
      continue;
    auto it = cot.find(op->getResult(0));
    if (it == cot.end())
      continue;
    auto rule = rules.find(op->getName().getTypeID());
    if (rule == rules.end())
      return op->emitOpError("has no autodiff (VJP) rule, but lies on a path "
                             "from a differentiated argument to the loss");
    SmallVector<bool> needs;
    for (Value v : op->getOperands())
      needs.push_back(active.contains(v) && isFloatTensor(v.getType()));
    SmallVector<Value> grads(op->getNumOperands());
    VJPContext ctx{b, op, it->second, needs, grads};
    if (failed(rule->second(ctx)))
      return failure();
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      if (!grads[i] || !needs[i])
        continue;
      Value g = grads[i];
      if (g.getType() != op->getOperand(i).getType()) {
        auto want = cast<RankedTensorType>(op->getOperand(i).getType());
        auto have = cast<RankedTensorType>(g.getType());
        if (have.getShape() != want.getShape() ||
            have.getElementType() != want.getElementType())
          return op->emitOpError("VJP rule produced a cotangent of type ")
                 << g.getType() << " for operand #" << i << " of type "
                 << want << " (internal error)";
      }
      accumulate(op->getOperand(i), g, op->getLoc());
    }
  }

  SmallVector<Value> results(ret.getOperands());
  for (unsigned i : wrt) {
    BlockArgument a = body.getArgument(i);
    Value g = cot.lookup(a);
    if (!g) // the loss does not depend on it
      g = splatConst(b, loc, cast<RankedTensorType>(a.getType()), 0.0);
    results.push_back(g);
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  return success();
}

struct AutodiffPass : public mlir::loom::impl::LoomAutodiffBase<AutodiffPass> {
  using LoomAutodiffBase::LoomAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool withInputs;
    if (wrt == "params")
      withInputs = false;
    else if (wrt == "params,inputs" || wrt == "inputs,params")
      withInputs = true;
    else {
      module.emitError("loom-autodiff: wrt must be 'params' or "
                       "'params,inputs', got '")
          << wrt << "'";
      return signalPassFailure();
    }
    auto fn = module.lookupSymbol<func::FuncOp>(function);
    if (!fn) {
      module.emitError("loom-autodiff: no function @") << function;
      return signalPassFailure();
    }
    if (fn.isExternal() || !fn.getBody().hasOneBlock()) {
      fn.emitError("loom-autodiff: the function must have one block");
      return signalPassFailure();
    }
    auto results = fn.getFunctionType().getResults();
    auto lossType = results.empty() ? RankedTensorType()
                                    : dyn_cast<RankedTensorType>(results[0]);
    if (results.size() != 1 || !lossType || lossType.getRank() != 0 ||
        !isFloatTensor(lossType)) {
      fn.emitError("loom-autodiff: @")
          << function << " must return one rank-0 float tensor (the loss), "
          << "but returns " << fn.getFunctionType().getResults();
      return signalPassFailure();
    }
    std::string gradName = function + "_grad";
    if (module.lookupSymbol(gradName)) {
      fn.emitError("loom-autodiff: @") << gradName << " exists already";
      return signalPassFailure();
    }

    // Which arguments, and their names.
    SmallVector<unsigned> wrtArgs;
    SmallVector<std::string> names;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      std::string name;
      if (auto p = fn.getArgAttrOfType<StringAttr>(i, "loom.param"))
        name = p.str();
      else if (auto in = fn.getArgAttrOfType<StringAttr>(i, "loom.input");
               in && withInputs && isFloatTensor(fn.getArgument(i).getType()))
        name = in.str();
      else
        continue;
      wrtArgs.push_back(i);
      names.push_back(name);
    }

    OpBuilder mb(module.getContext());
    mb.setInsertionPointAfter(fn);
    auto grad = cast<func::FuncOp>(mb.clone(*fn));
    grad.setSymName(gradName);

    // The backward's ops carry the location of the forward op they
    // differentiate; tagged with its name first, they keep naming it in
    // kernels and profiles (Origins.h): "linear", not "transpose".
    tagOrigins(grad, /*compositesOnly=*/false);
    // Composites without a rule of their own: through their definition.
    RewritePatternSet patterns(module.getContext());
    populateDecompositionPatterns(patterns, decomposedBeforeDifferentiation());
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(grad, std::move(patterns), config))) {
      grad.emitError("loom-autodiff: decomposition did not converge");
      return signalPassFailure();
    }

    if (failed(differentiate(grad, wrtArgs))) {
      grad.erase();
      return signalPassFailure();
    }

    // Signature and result names.
    Block &body = grad.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    grad.setFunctionType(FunctionType::get(module.getContext(),
                                           grad.getArgumentTypes(),
                                           ret.getOperandTypes()));
    SmallVector<Attribute> resAttrs;
    auto named = [&](StringRef n) {
      return mb.getDictionaryAttr(
          mb.getNamedAttr("loom.output", mb.getStringAttr(n)));
    };
    resAttrs.push_back(named("loss"));
    for (const std::string &n : names)
      resAttrs.push_back(named("grad." + n));
    grad.setAllResultAttrs(resAttrs);
  }
};

} // namespace
