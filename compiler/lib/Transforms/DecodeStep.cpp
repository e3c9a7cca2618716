//===- DecodeStep.cpp - a KV-cache step function from the forward ---------===//
//
// Generation recomputing the whole prefix costs O(T^2) attention and T
// passes over the weights per token. A step function processes only the new
// tokens: their keys and values are appended to a cache the runtime owns
// (state tensors of the session, preallocated to max-len positions) and
// their queries attend over the cached prefix. The forward the spec
// describes is the only source: the step is that forward, generated with
// the sequence dim bound to the number of new tokens, with three rewrites
// (positions offset by the run-time start, causal self-attention against
// the cache, outputs dropped for prefill). See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//
#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMDECODESTEP
#include "loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

/// Every value computed (transitively) from `roots`.
llvm::DenseSet<Value> dependents(func::FuncOp fn, ArrayRef<Value> roots) {
  llvm::DenseSet<Value> out(roots.begin(), roots.end());
  fn.walk([&](Operation *op) {
    if (llvm::any_of(op->getOperands(), [&](Value v) { return out.count(v); }))
      for (Value r : op->getResults())
        out.insert(r);
  });
  return out;
}

/// Erases the ops of `fn` whose results nobody uses (loom ops are pure),
/// then the arguments nothing reads (but state ones under `keepState`).
LogicalResult pruneDead(func::FuncOp fn, bool keepState = false) {
  // From the back: an op's users come after it, so one pass suffices.
  Block &body = fn.getBody().front();
  for (Operation *op = body.getTerminator()->getPrevNode(); op;) {
    Operation *prev = op->getPrevNode();
    if (op->use_empty() && isPure(op))
      op->erase();
    op = prev;
  }
  llvm::BitVector unused(fn.getNumArguments());
  for (BlockArgument arg : fn.getArguments())
    if (arg.use_empty() &&
        !(keepState && fn.getArgAttr(arg.getArgNumber(), LoomDialect::kStateAttrName)))
      unused.set(arg.getArgNumber());
  return fn.eraseArguments(unused);
}

struct LoomDecodeStepPass
    : public mlir::loom::impl::LoomDecodeStepBase<LoomDecodeStepPass> {
  using LoomDecodeStepBase::LoomDecodeStepBase;

  /// Moves the computation of `shared` (values of `fn`, a clone of `source`
  /// through `cloned`) into the encoder function, creating it from
  /// `source` if the module has none; `fn` reads them from state arguments
  /// enc.<i> instead.
  LogicalResult hoist(ModuleOp module, func::FuncOp source,
                      const IRMapping &cloned, func::FuncOp fn,
                      const llvm::SetVector<Value> &shared,
                      const llvm::DenseSet<Value> &perStep, OpBuilder &b) {
    MLIRContext *ctx = module.getContext();
    // fn's values back to source's.
    llvm::DenseMap<Value, Value> original;
    for (auto [from, to] : cloned.getValueMap())
      original[to] = from;
    SmallVector<Type> types;
    for (Value v : shared)
      types.push_back(v.getType());
    auto enc = module.lookupSymbol<func::FuncOp>(encoder);
    if (enc) {
      if (enc.getResultTypes() != ArrayRef<Type>(types))
        return module.emitError()
               << "loom-decode-step: '" << name << "' shares other values ("
               << types.size() << ") than the existing '" << encoder
               << "' computes (" << enc.getNumResults() << ")";
    } else {
      b.setInsertionPointAfter(source);
      IRMapping m;
      enc = cast<func::FuncOp>(b.clone(*source, m));
      enc.setSymName(encoder);
      SmallVector<Value> results;
      SmallVector<Attribute> resultAttrs;
      for (auto [i, v] : llvm::enumerate(shared)) {
        auto it = original.find(v);
        if (it == original.end())
          return fn.emitError() << "loom-decode-step: a shared value has no "
                                   "counterpart in '" << function << "'";
        std::string stateName = "enc." + std::to_string(i);
        unsigned argIndex = enc.getNumArguments();
        (void)enc.insertArgument(
            argIndex, v.getType(),
            b.getDictionaryAttr(
                {b.getNamedAttr(LoomDialect::kStateAttrName,
                                StringAttr::get(ctx, stateName)),
                 b.getNamedAttr(LoomDialect::kCacheAttrName, UnitAttr::get(ctx))}),
            enc.getLoc());
        results.push_back(m.lookup(it->second));
        resultAttrs.push_back(b.getDictionaryAttr(
            {b.getNamedAttr(LoomDialect::kOutputAttrName,
                            StringAttr::get(ctx, "new." + stateName)),
             b.getNamedAttr(LoomDialect::kUpdateAttrName,
                            StringAttr::get(ctx, "state:" + stateName))}));
      }
      auto ret = cast<func::ReturnOp>(enc.getBody().back().getTerminator());
      b.setInsertionPoint(ret);
      func::ReturnOp::create(b, ret.getLoc(), results);
      ret.erase();
      enc.setType(FunctionType::get(ctx, enc.getArgumentTypes(), types));
      enc.setAllResultAttrs(resultAttrs);
      // Its state arguments are where its results go: they stay.
      if (failed(pruneDead(enc, /*keepState=*/true)))
        return failure();
    }
    for (auto [i, sharedValue] : llvm::enumerate(shared)) {
      Value v = sharedValue;
      std::string stateName = "enc." + std::to_string(i);
      unsigned argIndex = fn.getNumArguments();
      (void)fn.insertArgument(
          argIndex, v.getType(),
          b.getDictionaryAttr(
              {b.getNamedAttr(LoomDialect::kStateAttrName,
                              StringAttr::get(ctx, stateName)),
               b.getNamedAttr(LoomDialect::kCacheAttrName, UnitAttr::get(ctx))}),
          fn.getLoc());
      Value arg = fn.getArgument(argIndex);
      v.replaceUsesWithIf(arg, [&](OpOperand &use) {
        Operation *user = use.getOwner();
        return user->getNumResults() > 0 && perStep.count(user->getResult(0));
      });
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &msg) {
      module.emitError() << "loom-decode-step: " << msg;
      signalPassFailure();
    };
    auto source = module.lookupSymbol<func::FuncOp>(function);
    if (!source)
      return fail("no function '" + function + "' to build '" + name +
                  "' from");
    if (module.lookupSymbol(name))
      return fail("the module already has a symbol '" + name + "'");
    const int64_t maxLen = this->maxLen; // the option, as a plain value
    if (maxLen <= 0)
      return fail("max-len must be positive");
    int64_t keys = keyLen > 0 ? static_cast<int64_t>(keyLen) : maxLen;
    if (keys > maxLen)
      return fail("key-len " + Twine(keys) + " exceeds max-len " +
                  Twine(maxLen));

    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(source);
    IRMapping cloned;
    auto fn = cast<func::FuncOp>(b.clone(*source, cloned));
    fn.setSymName(name);
    MLIRContext *ctx = module.getContext();
    Location loc = fn.getLoc();

    // The step input, renamed, and the start position.
    BlockArgument tokens;
    for (BlockArgument arg : fn.getArguments())
      if (auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                   LoomDialect::kInputAttrName))
        if (n.getValue() == stepInput)
          tokens = arg;
    auto tokType = tokens ? dyn_cast<RankedTensorType>(tokens.getType())
                          : RankedTensorType();
    if (!tokType || tokType.getRank() != 2 || !tokType.hasStaticShape()) {
      fn.erase();
      return fail("function '" + function + "' takes no static [B, T] input '" +
                  stepInput + "'");
    }
    int64_t queries = tokType.getDimSize(1);
    if (queries > keys) {
      fn.erase();
      return fail(Twine(queries) + " new tokens do not fit key-len " +
                  Twine(keys));
    }
    std::string tokName = prefix + ".tokens", posName = prefix + ".pos";
    fn.setArgAttr(tokens.getArgNumber(), LoomDialect::kInputAttrName,
                  StringAttr::get(ctx, tokName));
    auto posType = RankedTensorType::get({}, IntegerType::get(ctx, 64));
    unsigned posIndex = fn.getNumArguments();
    (void)fn.insertArgument(posIndex, posType,
                            b.getDictionaryAttr(b.getNamedAttr(
                                LoomDialect::kInputAttrName,
                                StringAttr::get(ctx, posName))),
                            loc);
    Value pos = fn.getArgument(posIndex);

    llvm::DenseSet<Value> fromTokens = dependents(fn, {tokens});

    // Positions of the new tokens: [pos, pos + Tq).
    SmallVector<PositionsOp> positions;
    fn.walk([&](PositionsOp p) {
      if (fromTokens.count(p.getLike()))
        positions.push_back(p);
    });
    for (PositionsOp p : positions) {
      b.setInsertionPointAfter(p);
      auto shifted = AddOp::create(b, p.getLoc(), p.getType(), p.getResult(), pos);
      p.getResult().replaceAllUsesExcept(shifted.getResult(), shifted);
      // A learned position table needs a row for every cached position
      // (loom-index-ranges checks the unshifted ones at compile time).
      for (Operation *user : shifted->getUsers())
        if (auto e = dyn_cast<EmbeddingOp>(user)) {
          auto table = cast<RankedTensorType>(e.getTable().getType());
          if (table.getRank() >= 2 && !table.isDynamicDim(table.getRank() - 2) &&
              table.getDimSize(table.getRank() - 2) < maxLen) {
            e.emitError() << "loom-decode-step: the position table has "
                          << table.getDimSize(table.getRank() - 2)
                          << " rows, fewer than the " << maxLen
                          << " positions of the cache";
            fn.erase();
            return signalPassFailure();
          }
        }
    }

    // Causal self-attention against the cache. Attention without `causal`
    // over keys of the new tokens would see only them: no cache serves it.
    SmallVector<AttentionOp> attentions;
    AttentionOp bidirectional;
    fn.walk([&](AttentionOp a) {
      if (!fromTokens.count(a.getKey()))
        return;
      if (a.getCausal() && fromTokens.count(a.getQuery()))
        attentions.push_back(a);
      else if (!bidirectional)
        bidirectional = a;
    });
    if (bidirectional) {
      bidirectional.emitError()
          << "loom-decode-step: this attention's keys come from '" << stepInput
          << "' but it is not causal: a key/value cache cannot serve it (each "
             "position would need the tokens after it)";
      fn.erase();
      return signalPassFailure();
    }
    if (attentions.empty()) {
      fn.erase();
      return fail("function '" + function + "' has no causal self-attention "
                  "over '" + stepInput + "' to cache");
    }
    SmallVector<Value> newResults;
    SmallVector<DictionaryAttr> newResultAttrs;
    int index = 0;
    for (AttentionOp a : attentions) {
      Location aloc = a.getLoc();
      auto kType = cast<RankedTensorType>(a.getKey().getType());
      auto vType = cast<RankedTensorType>(a.getValue().getType());
      int64_t rank = kType.getRank();
      if (rank < 2 || kType.getDimSize(rank - 2) != queries ||
          vType.getDimSize(rank - 2) != queries || a.getMask()) {
        a.emitError() << "loom-decode-step: cannot cache this attention "
                         "(keys of " << kType << " for " << queries
                      << " new tokens" << (a.getMask() ? ", with a mask" : "")
                      << ")";
        fn.erase();
        return signalPassFailure();
      }
      int64_t axis = rank - 2;
      Value cached[2];
      Value operands[2] = {a.getKey(), a.getValue()};
      const char *what[2] = {"key", "value"};
      for (int kv = 0; kv < 2; ++kv) {
        auto t = cast<RankedTensorType>(operands[kv].getType());
        SmallVector<int64_t> shape(t.getShape());
        shape[axis] = maxLen;
        auto cacheType = RankedTensorType::get(shape, t.getElementType());
        std::string stateName =
            "kv." + std::to_string(index) + "." + what[kv];
        unsigned argIndex = fn.getNumArguments();
        (void)fn.insertArgument(
            argIndex, cacheType,
            b.getDictionaryAttr(
                {b.getNamedAttr(LoomDialect::kStateAttrName,
                                StringAttr::get(ctx, stateName)),
                 b.getNamedAttr(LoomDialect::kCacheAttrName, UnitAttr::get(ctx))}),
            aloc);
        b.setInsertionPoint(a);
        Value all = UpdateSliceOp::create(b, aloc, cacheType,
                                          fn.getArgument(argIndex),
                                          operands[kv], pos, axis);
        newResults.push_back(all);
        newResultAttrs.push_back(b.getDictionaryAttr(
            {b.getNamedAttr(LoomDialect::kOutputAttrName,
                            StringAttr::get(ctx, "new." + stateName)),
             b.getNamedAttr(LoomDialect::kUpdateAttrName,
                            StringAttr::get(ctx, "state:" + stateName))}));
        cached[kv] = keys == maxLen
                         ? all
                         : Value(SliceOp::create(b, aloc, all, axis, 0, keys));
      }
      // Query i (at pos + i) sees the keys at j <= pos + i.
      auto i64 = IntegerType::get(ctx, 64);
      Value qpos = PositionsOp::create(
          b, aloc, RankedTensorType::get({queries}, i64), a.getQuery(), axis);
      qpos = AddOp::create(b, aloc, qpos.getType(), qpos, pos);
      qpos = ReshapeOp::create(b, aloc, RankedTensorType::get({queries, 1}, i64),
                               qpos, b.getDenseI64ArrayAttr({queries, 1}));
      Value kpos = PositionsOp::create(
          b, aloc, RankedTensorType::get({keys}, i64), cached[0], axis);
      Value mask = CompareOp::create(
          b, aloc, RankedTensorType::get({queries, keys}, b.getI1Type()),
          ComparePredicateAttr::get(ctx, ComparePredicate::le), kpos, qpos);
      FloatAttr scale = a.getScaleAttr();
      if (!scale)
        scale = b.getF64FloatAttr(
            1.0 / std::sqrt(static_cast<double>(kType.getShape().back())));
      auto replaced = AttentionOp::create(b, aloc, a.getType(), a.getQuery(),
                                          cached[0], cached[1], mask,
                                          UnitAttr(), scale);
      a.getResult().replaceAllUsesWith(replaced.getResult());
      a.erase();
      ++index;
    }

    // Values the steps share: computed from other inputs (the source), not
    // from the new tokens, the start or the caches.
    if (!encoder.empty()) {
      SmallVector<Value> stepRoots = {tokens, pos}, others;
      for (BlockArgument arg : fn.getArguments()) {
        if (fn.getArgAttr(arg.getArgNumber(), LoomDialect::kStateAttrName))
          stepRoots.push_back(arg);
        else if (arg != tokens && arg != pos &&
                 fn.getArgAttr(arg.getArgNumber(), LoomDialect::kInputAttrName))
          others.push_back(arg);
      }
      llvm::DenseSet<Value> perStep = dependents(fn, stepRoots);
      llvm::DenseSet<Value> fromOthers = dependents(fn, others);
      llvm::SetVector<Value> shared;
      fn.walk([&](Operation *op) {
        if (op->getNumResults() == 0 || !perStep.count(op->getResult(0)))
          return;
        for (Value v : op->getOperands())
          if (!perStep.count(v) && fromOthers.count(v) && v.getDefiningOp())
            shared.insert(v);
      });
      if (!shared.empty() && failed(hoist(module, source, cloned, fn, shared,
                                          perStep, b)))
        return signalPassFailure();
    }

    // Results: the function's outputs (decode) or none (prefill), then the
    // updated caches.
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    SmallVector<Value> results;
    SmallVector<Attribute> resultAttrs;
    if (keepOutputs)
      for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
        results.push_back(ret.getOperand(i));
        DictionaryAttr d = fn.getResultAttrDict(i);
        resultAttrs.push_back(d ? d : b.getDictionaryAttr({}));
      }
    for (size_t i = 0; i < newResults.size(); ++i) {
      results.push_back(newResults[i]);
      resultAttrs.push_back(newResultAttrs[i]);
    }
    b.setInsertionPoint(ret);
    func::ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    SmallVector<Type> resultTypes;
    for (Value v : results)
      resultTypes.push_back(v.getType());
    fn.setType(FunctionType::get(ctx, fn.getArgumentTypes(), resultTypes));
    fn.setAllResultAttrs(resultAttrs);

    // What nothing uses any more (the LM head of prefill, a hoisted
    // encoder) and arguments nothing reads (the targets, the source) go.
    if (failed(pruneDead(fn))) {
      fn.erase();
      return fail("cannot drop unused arguments");
    }

    // The new inputs, for the manifest: the tokens' shape and the valid
    // start positions (the runtime refuses others before a kernel runs).
    auto list = module->getAttrOfType<ArrayAttr>(LoomDialect::kInputsAttrName);
    SmallVector<Attribute> inputs;
    if (list)
      inputs.append(list.begin(), list.end());
    auto has = [&](StringRef n) {
      return llvm::any_of(inputs, [&](Attribute a) {
        auto d = dyn_cast<DictionaryAttr>(a);
        auto s = d ? d.getAs<StringAttr>("name") : nullptr;
        return s && s.getValue() == n;
      });
    };
    std::string tokDtype =
        tokType.getElementType().isInteger(64) ? "i64" : "i32";
    if (!has(tokName))
      inputs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(tokName)),
           b.getNamedAttr("dtype", b.getStringAttr(tokDtype)),
           b.getNamedAttr("shape", b.getDenseI64ArrayAttr(tokType.getShape()))}));
    if (!has(posName))
      inputs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(posName)),
           b.getNamedAttr("dtype", b.getStringAttr("i64")),
           b.getNamedAttr("shape", b.getDenseI64ArrayAttr({})),
           b.getNamedAttr("range", b.getDenseI64ArrayAttr(
                                       {0, maxLen - queries + 1})),
           b.getNamedAttr("range_of",
                          b.getStringAttr("a key/value cache of " +
                                          std::to_string(maxLen) +
                                          " positions, " +
                                          std::to_string(queries) +
                                          " new per call"))}));
    module->setAttr(LoomDialect::kInputsAttrName, b.getArrayAttr(inputs));
  }
};

} // namespace
