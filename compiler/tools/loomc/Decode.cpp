//===- Decode.cpp - loomc --decode: the KV-cache step functions -----------===//
#include "Decode.h"

#include "loom/Transforms/Passes.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace spec = ::loom::spec;
namespace fe = ::loom::frontend;

namespace {
int reportErrors(const spec::Diagnostics &diags) {
  llvm::errs() << diags.str();
  return 1;
}
} // namespace

/// --decode: the KV-cache step functions. Each is the forward generated
/// again with the step input's sequence dim bound to the tokens it takes
/// (1 to decode, the chunk to prefill), rewritten by loom-decode-step for
/// one cache bucket and moved into `module`.
int loomc::buildDecode(const DecodeOptions &o, const spec::Model &model,
                       mlir::ModuleOp module, const fe::ModelInfo &info,
                       spec::Diagnostics &diags, mlir::TimingScope &timing) {
  auto bad = [&](const std::string &msg) {
    llvm::errs() << o.specPath << ": error: --decode: " << msg << "\n";
    return 1;
  };
  std::string input = o.input;
  if (input.empty())
    for (const char *candidate : {"tokens", "tgt_tokens"})
      for (const fe::TensorInfo &t : info.inputs)
        if (input.empty() && t.name == candidate)
          input = candidate;
  const fe::TensorInfo *step = nullptr;
  for (const fe::TensorInfo &t : info.inputs)
    if (t.name == input)
      step = &t;
  if (!step)
    return bad(input.empty() ? "model '" + model.name +
                                   "' has no input 'tokens' or 'tgt_tokens' "
                                   "(name one: --decode=INPUT)"
                             : "model '" + model.name + "' has no input '" +
                                   input + "'");
  if (step->shape.size() != 2 || step->dimNames.size() != 2 ||
      step->dimNames[1].empty())
    return bad("input '" + input + "' is not [B, T] with a symbolic T");
  const std::string &dim = step->dimNames[1];
  int64_t maxLen = step->shape[1];
  if (maxLen <= 0)
    return bad("bind the cache length with --dim " + dim + "=N");
  int64_t chunk = o.prefillChunk ? o.prefillChunk : std::min<int64_t>(64, maxLen);
  if (chunk > maxLen)
    return bad("--prefill-chunk " + std::to_string(chunk) + " exceeds " +
               dim + " = " + std::to_string(maxLen));
  std::vector<int64_t> buckets = o.buckets;
  if (buckets.empty()) {
    for (int64_t l = 64; l < maxLen; l *= 2)
      buckets.push_back(l);
    buckets.push_back(maxLen);
  }
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  if (buckets.back() != maxLen)
    return bad("the largest bucket must be " + dim + " = " +
               std::to_string(maxLen) + " (the cache length), got " +
               std::to_string(buckets.back()));
  mlir::TimingScope scope = timing.nest(llvm::StringRef("decode functions"));
  mlir::MLIRContext *ctx = module.getContext();
  auto mainInputs = llvm::to_vector(
      module->getAttrOfType<mlir::ArrayAttr>(mlir::loom::LoomDialect::kInputsAttrName));
  auto hasInput = [&](mlir::StringAttr n) {
    return llvm::any_of(mainInputs, [&](mlir::Attribute a) {
      auto d = llvm::dyn_cast<mlir::DictionaryAttr>(a);
      return d && d.get("name") == n;
    });
  };
  for (bool prefill : {false, true}) {
    int64_t queries = prefill ? chunk : 1;
    fe::GenOptions gen = o.gen;
    gen.dims[dim] = queries;
    fe::ModelInfo stepInfo;
    auto temp = fe::generateModule(model, *ctx, gen, stepInfo, diags);
    if (!temp)
      return reportErrors(diags);
    mlir::PassManager pm(ctx);
    for (int64_t keys : buckets) {
      if (keys < queries)
        continue;
      mlir::loom::LoomDecodeStepOptions d;
      d.name = (prefill ? "prefill_" : "decode_") + std::to_string(keys);
      d.prefix = prefill ? "prefill" : "decode";
      d.stepInput = input;
      d.maxLen = maxLen;
      d.keyLen = keys;
      d.keepOutputs = !prefill;
      pm.addPass(mlir::loom::createLoomDecodeStep(d));
    }
    if (mlir::failed(pm.run(*temp)))
      return reportErrors(diags);
    for (auto fn : llvm::make_early_inc_range(temp->getOps<mlir::func::FuncOp>())) {
      if (fn.getSymName() == "encode") {
        // Prefill and decode share one encoder (what they read from the
        // source): the first one built stays.
        auto have = module.lookupSymbol<mlir::func::FuncOp>("encode");
        if (have && have.getFunctionType() != fn.getFunctionType())
          return bad("the prefill and decode steps hoist different values "
                     "into 'encode'");
        if (have)
          continue;
      } else if (!fn.getSymName().starts_with(prefill ? "prefill_" : "decode_")) {
        continue;
      }
      fn->remove();
      module.push_back(fn);
    }
    for (mlir::Attribute a : (*temp)->getAttrOfType<mlir::ArrayAttr>(
             mlir::loom::LoomDialect::kInputsAttrName)) {
      auto d = llvm::dyn_cast<mlir::DictionaryAttr>(a);
      auto n = d ? d.getAs<mlir::StringAttr>("name") : nullptr;
      if (n && n.getValue().starts_with(prefill ? "prefill." : "decode.") &&
          !hasInput(n))
        mainInputs.push_back(a);
    }
  }
  module->setAttr(mlir::loom::LoomDialect::kInputsAttrName,
                  mlir::ArrayAttr::get(ctx, mainInputs));
  return 0;
}
