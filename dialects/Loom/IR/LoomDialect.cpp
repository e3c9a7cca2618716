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
  auto check = [&](ArrayRef<DictionaryAttr> dicts, bool results)
      -> LogicalResult {
    for (auto [i, dict] : llvm::enumerate(dicts)) {
      if (!dict || (results == isResult && i == index))
        continue;
      for (StringRef key : {LoomDialect::kParamAttrName,
                            LoomDialect::kInputAttrName,
                            LoomDialect::kOutputAttrName}) {
        auto other = dict.getAs<StringAttr>(key);
        if (other && other == name)
          return op->emitError()
                 << "name \"" << name.getValue() << "\" of " << kind << " #"
                 << index << " is also used by "
                 << (results ? "result #" : "argument #") << i;
      }
    }
    return success();
  };
  SmallVector<DictionaryAttr> argDicts, resDicts;
  fn.getAllArgAttrs(argDicts);
  fn.getAllResultAttrs(resDicts);
  // Report each duplicate pair once: from the later position.
  if (failed(check(ArrayRef(argDicts).take_front(isResult ? argDicts.size()
                                                          : index),
                   /*results=*/false)))
    return failure();
  if (isResult &&
      failed(check(ArrayRef(resDicts).take_front(index), /*results=*/true)))
    return failure();
  return success();
}

LogicalResult LoomDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attr) {
  StringRef key = attr.getName().getValue();
  if (key == kParamAttrName || key == kInputAttrName)
    return verifyNameAttr(op, attr, argIndex, /*isResult=*/false);
  return op->emitError() << "unknown loom argument attribute '" << key
                         << "' (expected loom.param or loom.input)";
}

LogicalResult LoomDialect::verifyRegionResultAttribute(Operation *op,
                                                       unsigned regionIndex,
                                                       unsigned resultIndex,
                                                       NamedAttribute attr) {
  StringRef key = attr.getName().getValue();
  if (key == kOutputAttrName)
    return verifyNameAttr(op, attr, resultIndex, /*isResult=*/true);
  return op->emitError() << "unknown loom result attribute '" << key
                         << "' (expected loom.output)";
}
