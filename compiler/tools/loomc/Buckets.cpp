//===- Buckets.cpp - loomc --dim NAME=a,b,... (shape buckets) -------------===//
#include "Buckets.h"

#include "loom/Artifact/Manifest.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace fe = ::loom::frontend;
namespace spec = ::loom::spec;
using mlir::loom::LoomDialect;

std::string loomc::parseDimValues(const std::string &arg, const std::string &list,
                                  int64_t maxValue, std::vector<int64_t> &values) {
  values.clear();
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(list).split(parts, ',');
  for (llvm::StringRef part : parts) {
    int64_t n = 0;
    if (part.empty() || part.getAsInteger(10, n) || n <= 0)
      return "--dim expects NAME=N or NAME=N1,N2,... with every N > 0, got '" +
             arg + "'";
    if (n > maxValue)
      return "--dim " + arg + ": " + part.str() + " is too large (at most " +
             std::to_string(maxValue) + ")";
    values.push_back(n);
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return "";
}

std::string loomc::bucketSuffix(const spec::Model &model, const BucketDims &buckets,
                                const std::map<std::string, int64_t> &dims) {
  std::string s;
  for (const spec::Dim &d : model.dims) {
    if (!buckets.count(d.name))
      continue;
    std::string name = d.name;
    // Spec dims are identifiers already; keep the symbol a C identifier
    // whatever they become.
    for (char &c : name)
      if (!llvm::isAlnum(c) && c != '_')
        c = '_';
    s += (s.empty() ? "__" : "_") + name + std::to_string(dims.at(d.name));
  }
  return s;
}

namespace {

std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : ", ") + std::to_string(d);
  return "[" + s + "]";
}

/// The parameter of `params` (loom.params) named `name`, or null.
mlir::DictionaryAttr findParam(mlir::ArrayAttr params, mlir::StringAttr name) {
  for (mlir::Attribute a : params)
    if (auto d = llvm::dyn_cast<mlir::DictionaryAttr>(a); d && d.get("name") == name)
      return d;
  return nullptr;
}

} // namespace

int loomc::buildBuckets(const std::string &modelPath, const spec::Model &model,
                        mlir::ModuleOp module, const fe::GenOptions &gen,
                        const BucketDims &buckets,
                        const std::function<int(mlir::ModuleOp)> &pipeline,
                        spec::Diagnostics &diags) {
  auto bad = [&](const std::string &msg) {
    llvm::errs() << modelPath << ": error: shape buckets: " << msg << "\n";
    return 1;
  };
  mlir::MLIRContext *ctx = module.getContext();
  mlir::Builder b(ctx);
  // The public functions of the largest bucket, in module order.
  std::vector<std::string> names;
  for (auto fn : module.getOps<mlir::func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal())
      names.push_back(fn.getSymName().str());

  // Every combination of the bucket values (the first dim varies slowest).
  std::vector<std::map<std::string, int64_t>> combos(1);
  for (const auto &[name, values] : buckets) {
    std::vector<std::map<std::string, int64_t>> next;
    for (const auto &c : combos)
      for (int64_t v : values) {
        next.push_back(c);
        next.back()[name] = v;
      }
    combos = std::move(next);
  }
  // Smallest first (padded elements: the product of the bucketed dims),
  // the largest (every dim at its maximum: the plain names) last.
  auto volume = [](const std::map<std::string, int64_t> &c) {
    int64_t v = 1;
    for (const auto &[n, x] : c)
      v *= x;
    return v;
  };
  std::stable_sort(combos.begin(), combos.end(), [&](const auto &a, const auto &c) {
    return volume(a) < volume(c);
  });

  auto mainParams =
      module->getAttrOfType<mlir::ArrayAttr>(LoomDialect::kParamsAttrName);
  llvm::SmallVector<mlir::Attribute> table;
  for (const auto &combo : combos) {
    bool largest = llvm::all_of(combo, [&](const auto &kv) {
      return kv.second == gen.dims.at(kv.first);
    });
    std::string suffix = largest ? "" : bucketSuffix(model, buckets, combo);
    llvm::SmallVector<mlir::NamedAttribute> dims, functions;
    for (const auto &[n, v] : combo)
      dims.push_back(b.getNamedAttr(n, b.getI64IntegerAttr(v)));
    for (const std::string &n : names)
      functions.push_back(b.getNamedAttr(n, b.getStringAttr(n + suffix)));
    table.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("dims", b.getDictionaryAttr(dims)),
         b.getNamedAttr("functions", b.getDictionaryAttr(functions))}));
    if (largest)
      continue;

    fe::GenOptions bucketGen = gen;
    for (const auto &[n, v] : combo)
      bucketGen.dims[n] = v;
    fe::ModelInfo info;
    auto temp = fe::generateModule(model, *ctx, bucketGen, info, diags);
    if (!temp) {
      llvm::errs() << diags.str();
      return 1;
    }
    if (int rc = pipeline(*temp))
      return rc;
    // The parameters are shared by every bucket: a bucketed dim must not
    // size one (a position table [T, d] would differ per bucket).
    auto params = (*temp)->getAttrOfType<mlir::ArrayAttr>(LoomDialect::kParamsAttrName);
    if (params != mainParams) {
      for (mlir::Attribute a : params) {
        auto d = llvm::cast<mlir::DictionaryAttr>(a);
        auto name = d.getAs<mlir::StringAttr>("name");
        mlir::DictionaryAttr other = findParam(mainParams, name);
        auto shape = d.getAs<mlir::DenseI64ArrayAttr>("shape");
        auto big = other ? other.getAs<mlir::DenseI64ArrayAttr>("shape") : nullptr;
        if (!other || shape != big)
          return bad("parameter '" + name.str() + "' has shape " +
                     (shape ? shapeText(shape.asArrayRef()) : "?") +
                     " in bucket " + suffix.substr(2) + " but " +
                     (big ? shapeText(big.asArrayRef()) : "none") +
                     " in the largest: a bucketed dim must not size a "
                     "parameter (bucket only dims like B and T that size "
                     "inputs and activations)");
      }
      return bad("the parameters of bucket " + suffix.substr(2) +
                 " differ from the largest bucket's");
    }
    // Rename every function of the bucket (its private helpers too, so
    // nothing collides), then move them over.
    for (auto fn : llvm::to_vector((*temp).getOps<mlir::func::FuncOp>())) {
      auto renamed = b.getStringAttr(fn.getSymName() + suffix);
      if (mlir::failed(mlir::SymbolTable::replaceAllSymbolUses(
              fn, renamed, temp->getOperation())))
        return bad("cannot rename @" + fn.getSymName().str());
      mlir::SymbolTable::setSymbolName(fn, renamed);
    }
    for (const std::string &n : names)
      if (!(*temp).lookupSymbol(n + suffix))
        return bad("bucket " + suffix.substr(2) + " has no function '" + n + "'");
    for (auto fn : llvm::make_early_inc_range((*temp).getOps<mlir::func::FuncOp>())) {
      if (module.lookupSymbol(fn.getSymName()))
        return bad("function @" + fn.getSymName().str() +
                   " is defined twice (a model function ends in a bucket "
                   "suffix?)");
      fn->remove();
      module.push_back(fn);
    }
  }
  module->setAttr(::loom::artifact::kBucketsAttrName, b.getArrayAttr(table));
  return 0;
}
