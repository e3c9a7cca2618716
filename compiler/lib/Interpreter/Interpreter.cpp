//===- Interpreter.cpp - the driver: arguments, dispatch, results ---------===//
#include "loom/Interpreter/Interpreter.h"
#include "Eval.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace ::loom::interp;
using namespace ::loom::interp::detail;
namespace li = ::loom::interp;

//===----------------------------------------------------------------------===//
// Shared helpers (Eval.h)
//===----------------------------------------------------------------------===//

llvm::Error li::detail::opError(Operation *op, const llvm::Twine &message) {
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "'" + op->getName().getStringRef() +
                                     "' op at " + loc + ": " + message);
}

llvm::Expected<DType> li::detail::resultDType(Operation *op) {
  if (op->getNumResults() != 1)
    return opError(op, "expected one result");
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type)
    return opError(op, "result is not a ranked tensor");
  auto dt = dtypeOf(type.getElementType());
  if (!dt)
    return opError(op, "unsupported element type in the result");
  return *dt;
}

llvm::Expected<Tensor> li::detail::makeResult(Operation *op, Shape shape) {
  auto dt = resultDType(op);
  if (!dt)
    return dt.takeError();
  return Tensor::zeros(*dt, std::move(shape));
}

std::optional<Shape> li::detail::broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t k = 0; k < rank; ++k) {
    int64_t x = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    int64_t y = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[k] = x == 1 ? y : x;
  }
  return out;
}

Shape li::detail::broadcastStrides(const Shape &in, const Shape &out) {
  Shape strides(out.size(), 0);
  Shape own = stridesOf(in);
  size_t lead = out.size() - in.size();
  for (size_t k = 0; k < in.size(); ++k)
    strides[lead + k] = in[k] == 1 && out[lead + k] != 1 ? 0 : own[k];
  return strides;
}

std::optional<int64_t> li::detail::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

static const Registry &registry() {
  static const Registry r = [] {
    Registry reg;
    registerElementwise(reg);
    registerShape(reg);
    registerLinalg(reg);
    registerNN(reg);
    return reg;
  }();
  return r;
}

bool li::isSupported(llvm::StringRef name) {
  return registry().count(name) != 0;
}

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Checks that `t` fits `type` (element type, rank, every static dim) and
/// holds as many values as its shape says.
static std::string fits(const Tensor &t, Type type) {
  auto rt = dyn_cast<RankedTensorType>(type);
  if (!rt)
    return "the type is not a ranked tensor";
  auto dt = dtypeOf(rt.getElementType());
  if (!dt)
    return "unsupported element type";
  if (*dt != t.dtype)
    return std::string("element type ") + dtypeName(t.dtype) + " is not " +
           dtypeName(*dt);
  if (rt.getRank() != t.rank())
    return "rank " + std::to_string(t.rank()) + " is not " +
           std::to_string(rt.getRank());
  for (int64_t d = 0; d < t.rank(); ++d) {
    if (t.shape[d] < 0)
      return "dim " + std::to_string(d) + " is negative";
    if (!rt.isDynamicDim(d) && rt.getDimSize(d) != t.shape[d])
      return "dim " + std::to_string(d) + " is " + std::to_string(t.shape[d]) +
             ", the type says " + std::to_string(rt.getDimSize(d));
  }
  size_t have = t.isFloat() ? t.f.size() : t.i.size();
  if (have != static_cast<size_t>(t.size()))
    return "holds " + std::to_string(have) + " values for shape " +
           shapeStr(t.shape);
  return "";
}

static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

static llvm::Expected<std::vector<Tensor>>
runFunction(func::FuncOp fn, const std::vector<Tensor> &args,
            const RunOptions &options, int depth) {
  std::string name = "@" + fn.getSymName().str();
  if (depth > 64)
    return error("call depth exceeds 64 at " + name + " (recursion?)");
  if (fn.isExternal())
    return error("function " + name + " has no body");
  if (!fn.getBody().hasOneBlock())
    return error("function " + name +
                 " has more than one block; the interpreter runs "
                 "straight-line loom functions");
  Block &block = fn.getBody().front();
  if (args.size() != block.getNumArguments())
    return error("function " + name + " takes " +
                 std::to_string(block.getNumArguments()) + " arguments, got " +
                 std::to_string(args.size()));
  Env env;
  for (auto [k, arg] : llvm::enumerate(block.getArguments())) {
    std::string why = fits(args[k], arg.getType());
    if (!why.empty())
      return error("function " + name + ": argument #" + std::to_string(k) +
                   " (" + args[k].typeStr() + ") does not fit " +
                   typeStr(arg.getType()) + ": " + why);
    Tensor t = args[k];
    t.normalize();
    env.values[arg] = std::move(t);
  }

  for (Operation &op : block) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (Value v : ret.getOperands())
        results.push_back(env[v]);
      return results;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (!callee)
        return opError(&op, "callee not found");
      std::vector<Tensor> callArgs;
      for (Value v : call.getOperands())
        callArgs.push_back(env[v]);
      auto results = runFunction(callee, callArgs, options, depth + 1);
      if (!results)
        return results.takeError();
      for (auto [v, t] : llvm::zip(call.getResults(), *results))
        env.values[v] = std::move(t);
      continue;
    }
    const Registry &reg = registry();
    auto it = reg.find(op.getName().getStringRef());
    if (it == reg.end()) {
      if (!isa_and_nonnull<mlir::loom::LoomDialect>(op.getDialect()))
        return opError(&op, "is not a loom op; the interpreter evaluates "
                            "loom-dialect functions only");
      return opError(&op, "has no interpreter semantics");
    }
    llvm::Expected<std::vector<Tensor>> results = it->second(&op, env);
    if (!results)
      return results.takeError();
    if (results->size() != op.getNumResults())
      return opError(&op, "computed " + llvm::Twine(results->size()) +
                              " results for " +
                              llvm::Twine(op.getNumResults()));
    for (auto [value, result] : llvm::zip(op.getResults(), *results)) {
      result.normalize();
      std::string why = fits(result, value.getType());
      if (!why.empty())
        return opError(&op, "computed " + result.typeStr() +
                                " does not fit the declared result type " +
                                typeStr(value.getType()) + ": " + why);
      if (options.onResult)
        options.onResult(&op, result);
      env.values[value] = std::move(result);
    }
  }
  return error("function " + name + " has no func.return");
}

llvm::Expected<std::vector<Tensor>>
li::run(func::FuncOp fn, const std::vector<Tensor> &args,
        const RunOptions &options) {
  return runFunction(fn, args, options, 0);
}

std::string li::run(func::FuncOp fn, const std::vector<Tensor> &args,
                    std::vector<Tensor> &results, const RunOptions &options) {
  auto r = li::run(fn, args, options);
  if (!r)
    return llvm::toString(r.takeError());
  results = std::move(*r);
  return "";
}
