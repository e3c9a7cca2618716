//===- LoomDialect.cpp - the loom dialect ---------------------------------===//
#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::loom;

#include "Loom/IR/LoomOpsDialect.cpp.inc"

void LoomDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Loom/IR/LoomOps.cpp.inc"
      >();
  registerKernelCallInterfaces(*getContext());
}

Operation *LoomDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

/// Checks a `loom.param` / `loom.input` / `loom.output` name: a non-empty
/// string, unique among the function's arguments and results.
static LogicalResult verifyNameAttr(Operation *op, NamedAttribute attr,
                                    unsigned index, bool isResult) {
  StringRef kind = isResult ? "result" : "argument";
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || name.getValue().empty())
    return op->emitError() << "'" << attr.getName().getValue() << "' on "
                           << kind << " #" << index
                           << " must be a non-empty string";
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' may only name arguments or results of a "
                              "function";
  static const StringRef argKeys[] = {LoomDialect::kParamAttrName,
                                      LoomDialect::kInputAttrName,
                                      LoomDialect::kStateAttrName};
  static const StringRef resultKeys[] = {LoomDialect::kOutputAttrName};
  // The verifier calls this once per named argument: checking each against
  // all others made verification quadratic (a 10,000-layer model has
  // 40,000 parameters). The first named position checks the whole list
  // at once, with a map; the others only find that they are not first.
  // Arguments (parameters and inputs) and results (outputs) are separate
  // namespaces: an output may share its name with an input.
  ArrayRef<StringRef> keys = isResult ? ArrayRef<StringRef>(resultKeys)
                                      : ArrayRef<StringRef>(argKeys);
  unsigned count = isResult ? fn.getNumResults() : fn.getNumArguments();
  auto nameAt = [&](unsigned i) -> StringAttr {
    DictionaryAttr dict =
        isResult ? fn.getResultAttrDict(i) : fn.getArgAttrDict(i);
    if (!dict)
      return {};
    for (StringRef key : keys)
      if (auto n = dict.getAs<StringAttr>(key))
        return n;
    return {};
  };
  for (unsigned i = 0; i < index; ++i)
    if (nameAt(i))
      return success(); // an earlier position checks the list
  // Report each duplicate pair once: from the later position.
  DenseMap<StringAttr, unsigned> first;
  for (unsigned i = index; i < count; ++i) {
    StringAttr n = nameAt(i);
    if (!n)
      continue;
    auto [it, inserted] = first.try_emplace(n, i);
    if (!inserted)
      return op->emitError()
             << "name \"" << n.getValue() << "\" of " << kind << " #" << i
             << " is also used by " << kind << " #" << it->second;
  }
  return success();
}

LogicalResult LoomDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attr) {
  StringRef key = attr.getName().getValue();
  if (key == kParamAttrName || key == kInputAttrName || key == kStateAttrName) {
    // An argument is a parameter, an input or optimizer state: one of them.
    if (auto fn = dyn_cast<FunctionOpInterface>(op))
      if (DictionaryAttr dict = fn.getArgAttrDict(argIndex);
          dict && (!!dict.get(kParamAttrName) + !!dict.get(kInputAttrName) +
                   !!dict.get(kStateAttrName)) > 1)
        return op->emitError() << "argument #" << argIndex
                               << " has more than one of loom.param, "
                                  "loom.input and loom.state";
    return verifyNameAttr(op, attr, argIndex, /*isResult=*/false);
  }
  // After bufferization, results become out-parameters that keep their
  // loom.output names, and loom-plan-arena marks the arena argument.
  if (key == kOutputAttrName || key == kUpdateAttrName) {
    if (!isa<StringAttr>(attr.getValue()) ||
        cast<StringAttr>(attr.getValue()).getValue().empty())
      return op->emitError() << "'" << key << "' on argument #" << argIndex
                             << " must be a non-empty string";
    return success();
  }
  if (key == kArenaAttrName || key == kCacheAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << key << "' must be a unit attribute";
    if (key == kCacheAttrName)
      if (auto fn = dyn_cast<FunctionOpInterface>(op))
        if (!fn.getArgAttr(argIndex, kStateAttrName))
          return op->emitError() << "'loom.cache' on argument #" << argIndex
                                 << " needs loom.state (a cache is state)";
    return success();
  }
  return op->emitError() << "unknown loom argument attribute '" << key
                         << "' (expected loom.param, loom.input, loom.state, "
                            "loom.cache, or after bufferization loom.output, "
                            "loom.update or loom.arena)";
}

LogicalResult LoomDialect::verifyRegionResultAttribute(Operation *op,
                                                       unsigned regionIndex,
                                                       unsigned resultIndex,
                                                       NamedAttribute attr) {
  StringRef key = attr.getName().getValue();
  if (key == kOutputAttrName)
    return verifyNameAttr(op, attr, resultIndex, /*isResult=*/true);
  if (key == kUpdateAttrName) {
    // "param:NAME" or "state:NAME", naming an argument of the function with
    // the same type as the result.
    auto value = dyn_cast<StringAttr>(attr.getValue());
    auto fn = dyn_cast<FunctionOpInterface>(op);
    if (!value || !fn)
      return op->emitError() << "'loom.update' on result #" << resultIndex
                             << " must be a string on a function result";
    auto [kind, name] = value.getValue().split(':');
    StringRef argKey = kind == "param"   ? StringRef(kParamAttrName)
                       : kind == "state" ? StringRef(kStateAttrName)
                                         : StringRef();
    if (argKey.empty() || name.empty())
      return op->emitError() << "'loom.update' on result #" << resultIndex
                             << " must be \"param:NAME\" or \"state:NAME\", "
                                "got \"" << value.getValue() << "\"";
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto n = fn.getArgAttrOfType<StringAttr>(i, argKey);
      if (!n || n.getValue() != name)
        continue;
      if (fn.getArgumentTypes()[i] != fn.getResultTypes()[resultIndex])
        return op->emitError()
               << "result #" << resultIndex << " updates " << kind << " '"
               << name << "' of type " << fn.getArgumentTypes()[i]
               << " but has type " << fn.getResultTypes()[resultIndex];
      return success();
    }
    return op->emitError() << "result #" << resultIndex << " updates " << kind
                           << " '" << name << "', which no argument is";
  }
  return op->emitError() << "unknown loom result attribute '" << key
                         << "' (expected loom.output or loom.update)";
}
