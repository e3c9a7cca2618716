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
// embeddings); biases, norm gains and scalars are not decayed.
//
//===----------------------------------------------------------------------===//
#include "loom/Autodiff/Passes.h"
#include "Loom/IR/LoomBuilder.h"
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::loom;

namespace {

struct TrainStepPass
    : public PassWrapper<TrainStepPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TrainStepPass)

  TrainStepPass() = default;
  TrainStepPass(const TrainStepPass &other) : PassWrapper(other) {}
  explicit TrainStepPass(const TrainStepOptions &o) {
    optimizer = o.optimizer;
    beta1 = o.beta1;
    beta2 = o.beta2;
    eps = o.eps;
    weightDecay = o.weightDecay;
    momentum = o.momentum;
    clipNorm = o.clipNorm;
  }

  StringRef getArgument() const final { return "loom-train-step"; }
  StringRef getDescription() const final {
    return "Builds @train_step from @loss_grad: forward, backward, global-norm "
           "gradient clipping and the optimizer update (adamw or sgd with "
           "momentum) in one function. Takes the optimizer state (loom.state "
           "arguments, zero-initialized by the runtime) and the scalar inputs "
           "optim.lr and optim.step; returns the loss, optim.grad_norm and "
           "the new parameters and state, each marked with loom.update.";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LoomDialect, func::FuncDialect>();
  }

  Option<std::string> optimizer{*this, "optimizer",
                                llvm::cl::desc("adamw or sgd"),
                                llvm::cl::init("adamw")};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("AdamW beta1"),
                       llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("AdamW beta2"),
                       llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps", llvm::cl::desc("AdamW epsilon"),
                     llvm::cl::init(1e-8)};
  Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("Weight decay of the rank >= 2 parameters"),
      llvm::cl::init(0.0)};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("SGD momentum"),
                          llvm::cl::init(0.0)};
  Option<double> clipNorm{
      *this, "clip-norm",
      llvm::cl::desc("Global gradient-norm bound (0: no clipping)"),
      llvm::cl::init(0.0)};

  void runOnOperation() override;
};

void TrainStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = module.getContext();
  bool adam = optimizer == "adamw";
  if (!adam && optimizer != "sgd") {
    module.emitError("loom-train-step: optimizer must be 'adamw' or 'sgd', "
                     "got '")
        << optimizer << "'";
    return signalPassFailure();
  }
  auto check = [&](bool ok, const char *what) {
    if (!ok)
      module.emitError("loom-train-step: ") << what;
    return ok;
  };
  if (!check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1)") ||
      !check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1)") ||
      !check(eps > 0, "eps must be positive") ||
      !check(weightDecay >= 0, "weight-decay must be >= 0") ||
      !check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)") ||
      !check(clipNorm >= 0, "clip-norm must be >= 0"))
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

  // Which result is the gradient of which parameter argument.
  struct Param {
    unsigned arg;      // argument of @loss_grad
    unsigned gradRes;  // result of @loss_grad
    std::string name;
    RankedTensorType type;
  };
  SmallVector<Param> params;
  llvm::StringMap<unsigned> paramArg;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    if (auto p = grad.getArgAttrOfType<StringAttr>(i, "loom.param"))
      paramArg[p.getValue()] = i;
  for (unsigned r = 1; r < grad.getNumResults(); ++r) {
    auto n = grad.getResultAttrOfType<StringAttr>(r, "loom.output");
    if (!n || !n.getValue().starts_with("grad."))
      continue;
    auto it = paramArg.find(n.getValue().drop_front(5));
    if (it == paramArg.end())
      continue; // the gradient of an input
    auto type = cast<RankedTensorType>(grad.getArgument(it->second).getType());
    if (!type.getElementType().isF32()) {
      grad.emitError("loom-train-step: parameter '")
          << it->first() << "' is " << type
          << "; training needs f32 parameters";
      return signalPassFailure();
    }
    params.push_back({it->second, r, it->first().str(), type});
  }
  if (params.empty()) {
    grad.emitError("loom-train-step: @loss_grad returns no parameter "
                   "gradients");
    return signalPassFailure();
  }

  // The state of each parameter, in parameter order.
  SmallVector<std::string> stateKinds;
  if (adam)
    stateKinds = {"m", "v"};
  else if (momentum > 0)
    stateKinds = {"momentum"};

  // Signature: @loss_grad's arguments, then the state, then lr and step.
  OpBuilder mb(ctx);
  auto scalarType = RankedTensorType::get({}, mb.getF32Type());
  SmallVector<Type> argTypes(grad.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    argAttrs.push_back(grad.getArgAttrDict(i) ? grad.getArgAttrDict(i)
                                              : mb.getDictionaryAttr({}));
  auto attr = [&](StringRef key, StringRef value) {
    return mb.getDictionaryAttr(
        mb.getNamedAttr(key, mb.getStringAttr(value)));
  };
  auto attr2 = [&](StringRef key, StringRef value, StringRef key2,
                   StringRef value2) {
    return mb.getDictionaryAttr(
        {mb.getNamedAttr(key, mb.getStringAttr(value)),
         mb.getNamedAttr(key2, mb.getStringAttr(value2))});
  };
  unsigned stateBase = argTypes.size();
  for (const std::string &kind : stateKinds)
    for (const Param &p : params) {
      argTypes.push_back(p.type);
      argAttrs.push_back(attr("loom.state", "optim." + kind + "." + p.name));
    }
  unsigned lrArg = argTypes.size();
  argTypes.push_back(scalarType);
  argAttrs.push_back(attr("loom.input", "optim.lr"));
  unsigned stepArg = argTypes.size();
  argTypes.push_back(scalarType);
  argAttrs.push_back(attr("loom.input", "optim.step"));

  mb.setInsertionPointAfter(grad);
  auto step = func::FuncOp::create(mb, grad.getLoc(), "train_step",
                                   mb.getFunctionType(argTypes, {}));
  Block *body = step.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);

  // Forward and backward: @loss_grad's body.
  IRMapping map;
  Block &gradBody = grad.getBody().front();
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    map.map(gradBody.getArgument(i), body->getArgument(i));
  for (Operation &op : gradBody.without_terminator())
    b.clone(op, map);
  auto gradRet = cast<func::ReturnOp>(gradBody.getTerminator());
  Value loss = map.lookup(gradRet.getOperand(0));

  LoomBuilder e(b, grad.getLoc());
  Type f32 = b.getF32Type();
  auto c = [&](double v) { return e.scalar(f32, v); };
  auto sumAll = [&](Value x) {
    auto t = cast<RankedTensorType>(x.getType());
    if (t.getRank() == 0)
      return x;
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < t.getRank(); ++i)
      axes.push_back(i);
    return Value(ReduceSumOp::create(b, e.loc, x, axes, false));
  };

  // Global gradient norm, and the clipping factor.
  SmallVector<Value> grads;
  Value sumSq;
  for (const Param &p : params) {
    Value g = map.lookup(gradRet.getOperand(p.gradRes));
    grads.push_back(g);
    Value s = sumAll(e.mul(g, g));
    sumSq = sumSq ? e.add(sumSq, s) : s;
  }
  Value norm = SqrtOp::create(b, e.loc, sumSq);
  if (clipNorm > 0) {
    // min(1, clip / (norm + 1e-6)) = 1 / max(1, (norm + 1e-6) / clip)
    Value ratio = e.div(e.add(norm, c(1e-6)), c(clipNorm));
    Value scale = e.div(c(1.0), MaximumOp::create(b, e.loc, c(1.0), ratio));
    for (Value &g : grads)
      g = e.mul(g, scale);
  }

  Value lr = body->getArgument(lrArg);
  Value t = body->getArgument(stepArg);
  // Bias corrections 1 - beta^t (AdamW).
  Value bc1, bc2;
  if (adam) {
    bc1 = e.sub(c(1.0), PowOp::create(b, e.loc, c(beta1), t));
    bc2 = e.sub(c(1.0), PowOp::create(b, e.loc, c(beta2), t));
  }

  SmallVector<Value> newParams, newState(stateKinds.size() * params.size());
  for (auto [i, p] : llvm::enumerate(params)) {
    Value w = body->getArgument(p.arg);
    Value g = grads[i];
    bool decay = weightDecay > 0 && p.type.getRank() >= 2;
    if (adam) {
      Value m = body->getArgument(stateBase + i);
      Value v = body->getArgument(stateBase + params.size() + i);
      Value m2 = e.add(e.mul(c(beta1), m), e.mul(c(1.0 - beta1), g));
      Value v2 = e.add(e.mul(c(beta2), v), e.mul(c(1.0 - beta2), e.mul(g, g)));
      Value mhat = e.div(m2, bc1);
      Value vhat = e.div(v2, bc2);
      Value upd = e.div(mhat, e.add(SqrtOp::create(b, e.loc, vhat), c(eps)));
      if (decay)
        upd = e.add(upd, e.mul(c(weightDecay), w));
      newParams.push_back(e.sub(w, e.mul(lr, upd)));
      newState[i] = m2;
      newState[params.size() + i] = v2;
    } else {
      Value d = decay ? e.add(g, e.mul(c(weightDecay), w)) : g;
      if (momentum > 0) {
        Value buf = body->getArgument(stateBase + i);
        d = e.add(e.mul(c(momentum), buf), d);
        newState[i] = d;
      }
      newParams.push_back(e.sub(w, e.mul(lr, d)));
    }
  }

  SmallVector<Value> results{loss, norm};
  SmallVector<Attribute> resAttrs{attr("loom.output", "loss"),
                                  attr("loom.output", "optim.grad_norm")};
  for (auto [i, p] : llvm::enumerate(params)) {
    results.push_back(newParams[i]);
    resAttrs.push_back(attr2("loom.output", "new." + p.name, "loom.update",
                             "param:" + p.name));
  }
  for (auto [k, kind] : llvm::enumerate(stateKinds))
    for (auto [i, p] : llvm::enumerate(params)) {
      std::string name = "optim." + kind + "." + p.name;
      results.push_back(newState[k * params.size() + i]);
      resAttrs.push_back(
          attr2("loom.output", "new." + name, "loom.update", "state:" + name));
    }
  func::ReturnOp::create(b, grad.getLoc(), results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  step.setFunctionType(mb.getFunctionType(argTypes, resultTypes));
  step.setAllArgAttrs(argAttrs);
  step.setAllResultAttrs(resAttrs);

  // Record the hyperparameters baked into the code (the manifest shows them).
  SmallVector<NamedAttribute> hp{
      mb.getNamedAttr("optimizer", mb.getStringAttr(optimizer)),
      mb.getNamedAttr("clip_norm", mb.getF64FloatAttr(clipNorm)),
      mb.getNamedAttr("weight_decay", mb.getF64FloatAttr(weightDecay))};
  if (adam) {
    hp.push_back(mb.getNamedAttr("beta1", mb.getF64FloatAttr(beta1)));
    hp.push_back(mb.getNamedAttr("beta2", mb.getF64FloatAttr(beta2)));
    hp.push_back(mb.getNamedAttr("eps", mb.getF64FloatAttr(eps)));
  } else {
    hp.push_back(mb.getNamedAttr("momentum", mb.getF64FloatAttr(momentum)));
  }
  step->setAttr("loom.optimizer", mb.getDictionaryAttr(hp));
}

} // namespace

std::unique_ptr<Pass>
mlir::loom::createTrainStepPass(const TrainStepOptions &options) {
  return std::make_unique<TrainStepPass>(options);
}

void mlir::loom::registerTrainStepPass() { PassRegistration<TrainStepPass>(); }
