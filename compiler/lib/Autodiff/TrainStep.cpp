//===- TrainStep.cpp - the loom-train-step pass ---------------------------===//
//
// From @loss_grad(params, inputs) -> (loss, grad.<p>...) (loom-autodiff)
// builds one compiled training step:
//
//   @train_step(params, inputs, optimizer state, optim.lr, optim.step)
//       -> (loss, optim.grad_norm, new.<p>..., new.<state>...)
//
// The forward and backward are the body of @loss_grad, cloned; after them
// come global-norm clipping and the optimizer update, all as loom ops, so
// the update fuses and lowers like any other elementwise code. Results that
// replace a parameter or a state tensor carry `loom.update` ("param:NAME" or
// "state:NAME"); the runtime swaps each with the buffer it replaces after
// the call (double buffering: no copy, no aliasing inside the kernel).
//
// With split-step the module keeps @loss_grad and gains @apply__<i>: the
// update of the i-th parameter alone, from inputs grad.<p> and
// optim.grad_norm (data-parallel training reduces the gradients between
// the two; see buildApplyFunctions).
//
// Optimizers (t = optim.step, counted from 1; lr = optim.lr, the scheduled
// learning rate, fed by the runtime each step):
//  * adamw:  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//            p = p - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) - lr wd p
//            (decoupled weight decay, Loshchilov & Hutter; PyTorch's AdamW)
//  * sgd:    b = mu b + g + wd p;  p = p - lr b   (PyTorch's SGD; no state
//            when momentum = 0)
// g is the gradient scaled by min(1, clip / (||g||_2 + 1e-6)), the norm
// taken over all parameters together (clip-norm = 0 disables clipping).
// Weight decay applies to parameters of rank >= 2 (weight matrices,
// embeddings); biases, norm gains and scalars are not decayed. The options
// and their defaults are declared once, in loom/Autodiff/Passes.td.
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/Passes.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMTRAINSTEP
#include "loom/Autodiff/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

/// A trained parameter: where @loss_grad takes it and returns its gradient.
struct Param {
  unsigned arg;     // argument of @loss_grad
  unsigned gradRes; // result of @loss_grad
  std::string name;
  RankedTensorType type;
};

/// The hyperparameters with the optimizer's defaults filled in.
struct Hyper {
  bool adam;
  double beta1, beta2, eps, weightDecay, momentum, clipNorm;
};

/// The parameters whose gradients @loss_grad returns, in result order.
FailureOr<SmallVector<Param>> trainedParams(func::FuncOp grad) {
  SmallVector<Param> params;
  llvm::StringMap<unsigned> paramArg;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    if (auto p = grad.getArgAttrOfType<StringAttr>(i, LoomDialect::kParamAttrName))
      paramArg[p.getValue()] = i;
  for (unsigned r = 1; r < grad.getNumResults(); ++r) {
    auto n = grad.getResultAttrOfType<StringAttr>(r, LoomDialect::kOutputAttrName);
    if (!n || !n.getValue().starts_with("grad."))
      continue;
    auto it = paramArg.find(n.getValue().drop_front(5));
    if (it == paramArg.end())
      continue; // the gradient of an input
    auto type = cast<RankedTensorType>(grad.getArgument(it->second).getType());
    if (!type.getElementType().isF32())
      return grad.emitError("loom-train-step: parameter '")
             << it->first() << "' is " << type
             << "; training needs f32 parameters";
    params.push_back({it->second, r, it->first().str(), type});
  }
  if (params.empty())
    return grad.emitError("loom-train-step: @loss_grad returns no parameter "
                          "gradients");
  return params;
}

/// {k: "v", ...} as a dictionary of string attributes.
DictionaryAttr strings(Builder &b,
                       std::initializer_list<std::pair<StringRef, std::string>> kv) {
  SmallVector<NamedAttribute> list;
  for (const auto &[k, v] : kv)
    list.push_back(b.getNamedAttr(k, b.getStringAttr(v)));
  return b.getDictionaryAttr(list);
}

/// The result attributes of an update: its output name, and what it
/// replaces ("param:<p>" or "state:<s>").
DictionaryAttr updateResult(Builder &b, StringRef kind, const std::string &name) {
  return strings(b, {{LoomDialect::kOutputAttrName, "new." + name},
                     {LoomDialect::kUpdateAttrName, (kind + ":" + name).str()}});
}

/// Ends FN's body with `return RESULTS` and gives it its full signature.
void finishFunction(func::FuncOp fn, OpBuilder &b, Location loc, ArrayRef<Value> results,
                    ArrayRef<Type> argTypes, ArrayRef<DictionaryAttr> argAttrs,
                    ArrayRef<Attribute> resAttrs) {
  func::ReturnOp::create(b, loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  fn.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  fn.setAllArgAttrs(argAttrs);
  fn.setAllResultAttrs(resAttrs);
}

/// Builds the step's body after the cloned forward and backward: the global
/// gradient norm, clipping, and the update of every parameter and state
/// tensor. Returns the results in signature order.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc, const Hyper &h)
      : b(b), e(b, loc), h(h), base(loc) {}

  /// Ops built from here on: at `where` (a parameter's location, or the
  /// step's), tagged as the optimizer's part `what` ("loom.adamw"), so
  /// kernels and profiles say whose update a kernel is (Origins.h).
  void at(Location where, StringRef what) {
    e.loc = FusedLoc::get(where.getContext(), {where},
                          StringAttr::get(where.getContext(), what));
  }

  /// sqrt(sum over all gradients of g^2).
  Value globalNorm(ArrayRef<Value> grads, ArrayRef<Location> where) {
    Value sumSq;
    for (auto [g, l] : llvm::zip(grads, where)) {
      at(l, "loom.clip_grad_norm");
      Value s = sumAll(e.mul(g, g));
      sumSq = sumSq ? e.add(sumSq, s) : s;
    }
    at(base, "loom.clip_grad_norm");
    return SqrtOp::create(b, e.loc, sumSq);
  }

  /// g * min(1, clip / (norm + 1e-6)), written as
  /// g / max(1, (norm + 1e-6) / clip).
  void clip(MutableArrayRef<Value> grads, Value norm, ArrayRef<Location> where) {
    if (h.clipNorm <= 0)
      return;
    at(base, "loom.clip_grad_norm");
    Value ratio = e.div(e.add(norm, c(1e-6)), c(h.clipNorm));
    Value scale = e.div(c(1.0), MaximumOp::create(b, e.loc, c(1.0), ratio));
    for (auto [g, l] : llvm::zip(grads, where)) {
      at(l, "loom.clip_grad_norm");
      g = e.mul(g, scale);
    }
  }

  /// AdamW with bias corrections 1 - beta^t; returns (p', m', v').
  std::tuple<Value, Value, Value> adamw(Value w, Value g, Value m, Value v,
                                        Value lr, Value bc1, Value bc2,
                                        bool decay) {
    Value m2 = e.add(e.mul(c(h.beta1), m), e.mul(c(1.0 - h.beta1), g));
    Value v2 = e.add(e.mul(c(h.beta2), v), e.mul(c(1.0 - h.beta2), e.mul(g, g)));
    Value mhat = e.div(m2, bc1);
    Value vhat = e.div(v2, bc2);
    Value upd = e.div(mhat, e.add(SqrtOp::create(b, e.loc, vhat), c(h.eps)));
    if (decay)
      upd = e.add(upd, e.mul(c(h.weightDecay), w));
    return {e.sub(w, e.mul(lr, upd)), m2, v2};
  }

  /// 1 - beta^t.
  Value biasCorrection(double beta, Value t) {
    return e.sub(c(1.0), PowOp::create(b, e.loc, c(beta), t));
  }

  /// SGD (L2 decay, optional momentum buffer `buf`); returns (p', buf').
  std::pair<Value, Value> sgd(Value w, Value g, Value buf, Value lr,
                              bool decay) {
    Value d = decay ? e.add(g, e.mul(c(h.weightDecay), w)) : g;
    Value newBuf;
    if (buf) {
      d = e.add(e.mul(c(h.momentum), buf), d);
      newBuf = d;
    }
    return {e.sub(w, e.mul(lr, d)), newBuf};
  }

private:
  Value c(double v) { return e.scalar(b.getF32Type(), v); }
  Value sumAll(Value x) {
    auto t = cast<RankedTensorType>(x.getType());
    if (t.getRank() == 0)
      return x;
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < t.getRank(); ++i)
      axes.push_back(i);
    return ReduceSumOp::create(b, e.loc, x, axes, false);
  }

  OpBuilder &b;
  LoomBuilder e;
  const Hyper &h;
  Location base; // the step's own location
};

struct TrainStepPass : public mlir::loom::impl::LoomTrainStepBase<TrainStepPass> {
  using LoomTrainStepBase::LoomTrainStepBase;

  void runOnOperation() override;

private:
  LogicalResult resolveOptions(ModuleOp module, Hyper &h);
  void recordHyperparameters(func::FuncOp step, const Hyper &h);
  void appendOptimizerInputs(ModuleOp module, ArrayRef<const char *> names);
  void buildApplyFunctions(ModuleOp module, func::FuncOp step,
                           ArrayRef<Param> params, ArrayRef<Location> paramLocs,
                           ArrayRef<std::string> stateKinds, const Hyper &h);
  void appendGradientInputs(ModuleOp module, ArrayRef<Param> params);
};

LogicalResult TrainStepPass::resolveOptions(ModuleOp module, Hyper &h) {
  h.adam = optimizer == "adamw";
  if (!h.adam && optimizer != "sgd")
    return module.emitError("loom-train-step: optimizer must be 'adamw' or "
                            "'sgd', got '")
           << optimizer << "'";
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = eps;
  h.clipNorm = clipNorm;
  // Negative: the optimizer's default (PyTorch's AdamW and SGD-with-momentum).
  h.weightDecay = weightDecay >= 0 ? double(weightDecay) : (h.adam ? 0.01 : 0.0);
  h.momentum = momentum >= 0 ? double(momentum) : (h.adam ? 0.0 : 0.9);
  auto check = [&](bool ok, const char *what) {
    if (!ok)
      module.emitError("loom-train-step: ") << what;
    return ok;
  };
  if (!check(h.beta1 >= 0 && h.beta1 < 1, "beta1 must be in [0, 1)") ||
      !check(h.beta2 >= 0 && h.beta2 < 1, "beta2 must be in [0, 1)") ||
      !check(h.eps > 0, "eps must be positive") ||
      !check(h.momentum < 1, "momentum must be in [0, 1)") ||
      !check(h.clipNorm >= 0, "clip-norm must be >= 0"))
    return failure();
  return success();
}

void TrainStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  Hyper h;
  if (failed(resolveOptions(module, h)))
    return signalPassFailure();
  auto grad = module.lookupSymbol<func::FuncOp>("loss_grad");
  if (!grad) {
    module.emitError("loom-train-step: no function @loss_grad (run "
                     "loom-autodiff first)");
    return signalPassFailure();
  }
  if (module.lookupSymbol("train_step")) {
    grad.emitError("loom-train-step: @train_step exists already");
    return signalPassFailure();
  }
  auto params = trainedParams(grad);
  if (failed(params))
    return signalPassFailure();
  size_t n = params->size();

  // The state of each parameter, in parameter order.
  SmallVector<std::string> stateKinds;
  if (h.adam)
    stateKinds = {"m", "v"};
  else if (h.momentum > 0)
    stateKinds = {"momentum"};

  // Signature: @loss_grad's arguments, then the state, then lr and step.
  OpBuilder mb(module.getContext());
  auto scalarType = RankedTensorType::get({}, mb.getF32Type());
  auto attrs = [&](std::initializer_list<std::pair<StringRef, std::string>> kv) {
    return strings(mb, kv);
  };
  SmallVector<Type> argTypes(grad.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    argAttrs.push_back(grad.getArgAttrDict(i) ? grad.getArgAttrDict(i)
                                              : mb.getDictionaryAttr({}));
  unsigned stateBase = argTypes.size();
  for (const std::string &kind : stateKinds)
    for (const Param &p : *params) {
      argTypes.push_back(p.type);
      argAttrs.push_back(attrs({{LoomDialect::kStateAttrName,
                                 "optim." + kind + "." + p.name}}));
    }
  unsigned lrArg = argTypes.size();
  for (const char *input : {"optim.lr", "optim.step"}) {
    argTypes.push_back(scalarType);
    argAttrs.push_back(attrs({{LoomDialect::kInputAttrName, input}}));
  }

  mb.setInsertionPointAfter(grad);
  auto step = func::FuncOp::create(mb, grad.getLoc(), "train_step",
                                   mb.getFunctionType(argTypes, {}));
  Block *body = step.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  auto arg = [&](unsigned i) -> Value { return body->getArgument(i); };

  // Forward and backward: @loss_grad's body.
  IRMapping map;
  Block &gradBody = grad.getBody().front();
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    map.map(gradBody.getArgument(i), arg(i));
  for (Operation &op : gradBody.without_terminator())
    b.clone(op, map);
  auto gradRet = cast<func::ReturnOp>(gradBody.getTerminator());
  Value loss = map.lookup(gradRet.getOperand(0));

  UpdateBuilder u(b, grad.getLoc(), h);
  SmallVector<Value> grads;
  SmallVector<Location> paramLocs;
  for (const Param &p : *params) {
    grads.push_back(map.lookup(gradRet.getOperand(p.gradRes)));
    // The parameter's checkpoint name around its spec position.
    paramLocs.push_back(gradBody.getArgument(p.arg).getLoc());
  }
  Value norm = u.globalNorm(grads, paramLocs);
  u.clip(grads, norm, paramLocs);
  u.at(grad.getLoc(), h.adam ? "loom.adamw" : "loom.sgd");

  Value lr = arg(lrArg), t = arg(lrArg + 1);
  Value bc1, bc2;
  if (h.adam) {
    bc1 = u.biasCorrection(h.beta1, t);
    bc2 = u.biasCorrection(h.beta2, t);
  }
  SmallVector<Value> newParams, newState(stateKinds.size() * n);
  for (auto [i, p] : llvm::enumerate(*params)) {
    Value w = arg(p.arg);
    u.at(paramLocs[i], h.adam ? "loom.adamw" : "loom.sgd");
    bool decay = h.weightDecay > 0 && p.type.getRank() >= 2;
    if (h.adam) {
      auto [w2, m2, v2] = u.adamw(w, grads[i], arg(stateBase + i),
                                  arg(stateBase + n + i), lr, bc1, bc2, decay);
      newParams.push_back(w2);
      newState[i] = m2;
      newState[n + i] = v2;
    } else {
      Value buf = stateKinds.empty() ? Value() : arg(stateBase + i);
      auto [w2, buf2] = u.sgd(w, grads[i], buf, lr, decay);
      newParams.push_back(w2);
      if (buf)
        newState[i] = buf2;
    }
  }

  SmallVector<Value> results{loss, norm};
  SmallVector<Attribute> resAttrs{
      attrs({{LoomDialect::kOutputAttrName, "loss"}}),
      attrs({{LoomDialect::kOutputAttrName, "optim.grad_norm"}})};
  for (auto [i, p] : llvm::enumerate(*params)) {
    results.push_back(newParams[i]);
    resAttrs.push_back(updateResult(mb, "param", p.name));
  }
  for (auto [k, kind] : llvm::enumerate(stateKinds))
    for (auto [i, p] : llvm::enumerate(*params)) {
      results.push_back(newState[k * n + i]);
      resAttrs.push_back(updateResult(mb, "state", "optim." + kind + "." + p.name));
    }
  finishFunction(step, b, grad.getLoc(), results, argTypes, argAttrs, resAttrs);
  recordHyperparameters(step, h);
  appendOptimizerInputs(module, {"optim.lr", "optim.step"});
  if (splitStep) {
    buildApplyFunctions(module, step, *params, paramLocs, stateKinds, h);
    appendOptimizerInputs(module, {"optim.grad_norm"});
    appendGradientInputs(module, *params);
  }
  // The step holds @loss_grad's body: compiling both would double the code.
  if (!keepGrad && !splitStep)
    grad.erase();
}

/// split-step: @apply__<i> for the i-th parameter, the update @train_step
/// makes of it, from its (all-reduced) gradient and the global norm given as
/// inputs. The ops are the step's, so a data-parallel update is the same
/// arithmetic as a single process's.
void TrainStepPass::buildApplyFunctions(ModuleOp module, func::FuncOp step,
                                        ArrayRef<Param> params,
                                        ArrayRef<Location> paramLocs,
                                        ArrayRef<std::string> stateKinds,
                                        const Hyper &h) {
  OpBuilder mb(module.getContext());
  mb.setInsertionPointAfter(step);
  auto scalarType = RankedTensorType::get({}, mb.getF32Type());
  auto dict = [&](std::initializer_list<std::pair<StringRef, std::string>> kv) {
    return strings(mb, kv);
  };
  for (auto [i, p] : llvm::enumerate(params)) {
    // (p, grad.<p>, state..., optim.lr, optim.step, optim.grad_norm)
    SmallVector<Type> argTypes{p.type, p.type};
    SmallVector<DictionaryAttr> argAttrs{
        dict({{LoomDialect::kParamAttrName, p.name}}),
        dict({{LoomDialect::kInputAttrName, "grad." + p.name}})};
    for (const std::string &kind : stateKinds) {
      argTypes.push_back(p.type);
      argAttrs.push_back(
          dict({{LoomDialect::kStateAttrName, "optim." + kind + "." + p.name}}));
    }
    unsigned lrArg = argTypes.size();
    for (const char *input : {"optim.lr", "optim.step", "optim.grad_norm"}) {
      argTypes.push_back(scalarType);
      argAttrs.push_back(dict({{LoomDialect::kInputAttrName, input}}));
    }
    auto fn = func::FuncOp::create(mb, paramLocs[i], "apply__" + std::to_string(i),
                                   mb.getFunctionType(argTypes, {}));
    mb.setInsertionPointAfter(fn);
    Block *body = fn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(body);
    auto arg = [&](unsigned k) -> Value { return body->getArgument(k); };

    UpdateBuilder u(b, paramLocs[i], h);
    SmallVector<Value, 1> grads{arg(1)};
    u.clip(grads, arg(lrArg + 2), paramLocs[i]);
    u.at(paramLocs[i], h.adam ? "loom.adamw" : "loom.sgd");
    Value lr = arg(lrArg), t = arg(lrArg + 1);
    bool decay = h.weightDecay > 0 && p.type.getRank() >= 2;
    SmallVector<Value> results;
    if (h.adam) {
      Value bc1 = u.biasCorrection(h.beta1, t);
      Value bc2 = u.biasCorrection(h.beta2, t);
      auto [w2, m2, v2] = u.adamw(arg(0), grads[0], arg(2), arg(3), lr, bc1, bc2, decay);
      results = {w2, m2, v2};
    } else {
      Value buf = stateKinds.empty() ? Value() : arg(2);
      auto [w2, buf2] = u.sgd(arg(0), grads[0], buf, lr, decay);
      results.push_back(w2);
      if (buf)
        results.push_back(buf2);
    }
    SmallVector<Attribute> resAttrs{updateResult(mb, "param", p.name)};
    for (const std::string &kind : stateKinds)
      resAttrs.push_back(updateResult(mb, "state", "optim." + kind + "." + p.name));
    finishFunction(fn, b, paramLocs[i], results, argTypes, argAttrs, resAttrs);
    recordHyperparameters(fn, h);
  }
}

/// split-step: grad.<p> are inputs of the apply functions.
void TrainStepPass::appendGradientInputs(ModuleOp module, ArrayRef<Param> params) {
  auto list = module->getAttrOfType<ArrayAttr>(LoomDialect::kInputsAttrName);
  if (!list)
    return;
  Builder mb(module.getContext());
  SmallVector<Attribute> inputs(list.begin(), list.end());
  for (const Param &p : params)
    inputs.push_back(mb.getDictionaryAttr(
        {mb.getNamedAttr("name", mb.getStringAttr("grad." + p.name)),
         mb.getNamedAttr("dtype", mb.getStringAttr("f32")),
         mb.getNamedAttr("shape", mb.getDenseI64ArrayAttr(p.type.getShape()))}));
  module->setAttr(LoomDialect::kInputsAttrName, mb.getArrayAttr(inputs));
}

/// The hyperparameters baked into the code (the manifest shows them).
void TrainStepPass::recordHyperparameters(func::FuncOp step, const Hyper &h) {
  Builder mb(step.getContext());
  SmallVector<NamedAttribute> hp{
      mb.getNamedAttr("optimizer", mb.getStringAttr(optimizer)),
      mb.getNamedAttr("clip_norm", mb.getF64FloatAttr(h.clipNorm)),
      mb.getNamedAttr("weight_decay", mb.getF64FloatAttr(h.weightDecay))};
  if (h.adam) {
    hp.push_back(mb.getNamedAttr("beta1", mb.getF64FloatAttr(h.beta1)));
    hp.push_back(mb.getNamedAttr("beta2", mb.getF64FloatAttr(h.beta2)));
    hp.push_back(mb.getNamedAttr("eps", mb.getF64FloatAttr(h.eps)));
  } else {
    hp.push_back(mb.getNamedAttr("momentum", mb.getF64FloatAttr(h.momentum)));
  }
  step->setAttr(LoomDialect::kOptimizerAttrName, mb.getDictionaryAttr(hp));
}

/// optim.lr and optim.step (and optim.grad_norm with split-step) are inputs
/// of the model now: the module's input list (loom.inputs, read by the
/// manifest writer) gains them.
void TrainStepPass::appendOptimizerInputs(ModuleOp module,
                                          ArrayRef<const char *> names) {
  auto list = module->getAttrOfType<ArrayAttr>(LoomDialect::kInputsAttrName);
  if (!list)
    return; // not a module made from a spec (a hand-written test)
  Builder mb(module.getContext());
  SmallVector<Attribute> inputs(list.begin(), list.end());
  for (const char *name : names)
    inputs.push_back(mb.getDictionaryAttr(
        {mb.getNamedAttr("name", mb.getStringAttr(name)),
         mb.getNamedAttr("dtype", mb.getStringAttr("f32")),
         mb.getNamedAttr("shape", mb.getDenseI64ArrayAttr({}))}));
  module->setAttr(LoomDialect::kInputsAttrName, mb.getArrayAttr(inputs));
}

} // namespace
