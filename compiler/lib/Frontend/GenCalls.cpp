//===- GenCalls.cpp - op calls, block calls and repeats -------------------===//
#include "Generator.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace ::loom::frontend;
namespace spec = ::loom::spec;

std::string Generator::suggest(const std::string &name, const Scope &scope,
                               bool blocksOnly) {
  std::string best;
  unsigned bestDistance = 3;
  auto consider = [&](const std::string &candidate) {
    unsigned d = llvm::StringRef(name).edit_distance(candidate, true, 3);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  };
  if (!blocksOnly) {
    for (const auto &[n, v] : scope.values)
      consider(n);
    for (const OpSpec &op : allOps())
      consider(op.mnemonic);
  }
  for (const auto &[n, blk] : blocks)
    consider(n);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::optional<Value> Generator::lookup(const std::string &name, spec::Pos pos,
                                       Scope &scope) {
  auto it = scope.values.find(name);
  if (it != scope.values.end())
    return it->second;
  std::string where = scope.block ? "block '" + scope.block->name + "'"
                                  : "the model body";
  std::string hint;
  if (config.count(name))
    hint = " ('" + name + "' is a config integer, not a tensor)";
  else if (scope.block && llvm::any_of(model.params, [&](const spec::Param &p) {
             return p.name == name;
           }))
    hint = " (model-level values reach a block only as arguments)";
  else
    hint = suggest(name, scope);
  error(pos, "undefined value '" + name + "' in " + where + hint);
  return std::nullopt;
}

std::optional<Value> Generator::genSingle(const spec::Expr &e, Scope &scope) {
  auto values = genExpr(e, scope);
  if (!values)
    return std::nullopt;
  if (values->size() != 1) {
    error(e.pos, "'" + e.name + "' gives " + std::to_string(values->size()) +
                     " values where one tensor is expected");
    return std::nullopt;
  }
  return values->front();
}

std::optional<std::vector<Value>> Generator::genExpr(const spec::Expr &e,
                                                     Scope &scope) {
  if (e.kind == spec::Expr::Kind::Ref) {
    auto v = lookup(e.name, e.pos, scope);
    if (!v)
      return std::nullopt;
    return std::vector<Value>{*v};
  }
  if (const OpSpec *op = lookupOp(e.name)) {
    if (!e.instance.empty()) {
      error(e.pos, "'as " + e.instance + "' names block instances; '" +
                       e.name + "' is a loom op");
      return std::nullopt;
    }
    auto v = genOpCall(*op, e, scope);
    if (!v)
      return std::nullopt;
    return std::vector<Value>{*v};
  }
  auto blk = blocks.find(e.name);
  if (blk == blocks.end()) {
    error(e.pos, "unknown op or block '" + e.name + "'" + suggest(e.name, scope));
    return std::nullopt;
  }
  if (!e.keywords.empty()) {
    error(e.keywords[0].pos, "block '" + e.name +
                                 "' takes positional tensor arguments only");
    return std::nullopt;
  }
  std::vector<Value> args;
  for (const spec::Expr &a : e.args) {
    auto v = genSingle(a, scope);
    if (!v)
      return std::nullopt;
    args.push_back(*v);
  }
  std::string path = scope.path;
  if (!e.instance.empty())
    path = path.empty() ? e.instance : path + "." + e.instance;
  return genBlockCall(*blk->second, e, std::move(args), scope, path);
}

/// True when instantiating `blk` creates parameters (itself or nested).
static bool createsParams(const spec::Block &blk,
                          const std::map<std::string, const spec::Block *> &all) {
  if (!blk.params.empty())
    return true;
  std::function<bool(const spec::Expr &)> visit = [&](const spec::Expr &e) {
    if (e.kind != spec::Expr::Kind::Call)
      return false;
    for (const spec::Expr &a : e.args)
      if (visit(a))
        return true;
    auto it = all.find(e.name);
    return it != all.end() && createsParams(*it->second, all);
  };
  for (const spec::Stmt &s : blk.body)
    if (visit(s.value))
      return true;
  return false;
}

std::optional<std::vector<Value>>
Generator::genBlockCall(const spec::Block &blk, const spec::Expr &e,
                        std::vector<Value> args, Scope &caller,
                        const std::string &instancePath) {
  // Nested repeats multiply: the whole model is bounded, not each count.
  if (++blockInstances > kMaxBlockInstances) {
    error(e.pos, "the model expands to more than " +
                     std::to_string(kMaxBlockInstances) +
                     " block instances (nested repeats multiply)");
    return std::nullopt;
  }
  if (args.size() != blk.args.size()) {
    error(e.pos, "block '" + blk.name + "' takes " +
                     std::to_string(blk.args.size()) + " argument(s) (" +
                     llvm::join(blk.args, ", ") + "), got " +
                     std::to_string(args.size()));
    return std::nullopt;
  }
  if (e.instance.empty() && createsParams(blk, blocks)) {
    error(e.pos, "block '" + blk.name + "' has parameters: name the instance "
                 "with 'as NAME' (its parameters become NAME.<param>)");
    return std::nullopt;
  }
  Scope scope;
  scope.path = instancePath;
  scope.block = &blk;
  for (auto [name, v] : llvm::zip(blk.args, args))
    scope.values[name] = v;
  if (!declareParams(blk.params, scope, blk.name, e.pos) ||
      !genStmts(blk.body, scope))
    return std::nullopt;
  ++info.blockInstances[blk.name];
  std::vector<Value> results;
  for (const std::string &r : blk.returns) {
    auto v = lookup(r, blk.returnPos, scope);
    if (!v)
      return std::nullopt;
    results.push_back(*v);
  }
  return results;
}

std::optional<std::vector<Value>> Generator::genRepeat(const spec::Stmt &s,
                                                       Scope &scope) {
  const spec::Expr &call = s.value;
  auto blk = blocks.find(call.name);
  if (blk == blocks.end()) {
    error(call.pos, lookupOp(call.name)
                        ? "repeat takes a block, and '" + call.name +
                              "' is a loom op"
                        : "unknown block '" + call.name + "'" +
                              suggest(call.name, scope, /*blocksOnly=*/true));
    return std::nullopt;
  }
  auto count = evalInt(*s.repeat, /*allowDims=*/false);
  if (!count)
    return std::nullopt;
  if (*count < 1 || *count > kMaxRepeat) {
    error(s.repeat->pos, *count < 1 ? "repeat count must be at least 1, got " +
                                          std::to_string(*count)
                                    : "repeat count " + std::to_string(*count) +
                                          " is over the limit of " +
                                          std::to_string(kMaxRepeat));
    return std::nullopt;
  }
  if (call.instance.empty()) {
    error(call.pos, "repeat needs an instance name: 'as NAME' makes NAME.0, "
                    "NAME.1, ...");
    return std::nullopt;
  }
  const spec::Block &block = *blk->second;
  size_t threaded = block.returns.size();
  if (call.args.size() < threaded) {
    error(call.pos, "repeat threads the first " + std::to_string(threaded) +
                        " argument(s) through the copies (block '" +
                        block.name + "' returns " + std::to_string(threaded) +
                        "), but the call passes " +
                        std::to_string(call.args.size()));
    return std::nullopt;
  }
  std::vector<Value> args;
  for (const spec::Expr &a : call.args) {
    auto v = genSingle(a, scope);
    if (!v)
      return std::nullopt;
    args.push_back(*v);
  }
  std::string base =
      scope.path.empty() ? call.instance : scope.path + "." + call.instance;
  std::vector<Value> current(args.begin(), args.begin() + threaded);
  for (int64_t i = 0; i < *count; ++i) {
    std::vector<Value> callArgs = current;
    callArgs.insert(callArgs.end(), args.begin() + threaded, args.end());
    auto out = genBlockCall(block, call, std::move(callArgs), scope,
                            base + "." + std::to_string(i));
    if (!out)
      return std::nullopt;
    current = *out;
  }
  return current;
}

//===----------------------------------------------------------------------===//
// Op calls
//===----------------------------------------------------------------------===//

static std::string describe(const spec::AttrValue &v) {
  switch (v.kind) {
  case spec::AttrValue::Kind::Int:
    return "'" + spec::printIntExpr(v.intValue) + "'";
  case spec::AttrValue::Kind::Float:
    return "a float";
  case spec::AttrValue::Kind::Bool:
    return v.boolValue ? "true" : "false";
  case spec::AttrValue::Kind::List:
    return "a list";
  }
  return "?";
}

std::optional<Attribute> Generator::convertAttr(const OpSpec &op,
                                                const AttrSpec &attr,
                                                const spec::AttrValue &v) {
  auto wrong = [&]() -> std::optional<Attribute> {
    error(v.pos, "attribute '" + std::string(attr.name) + "' of '" +
                     op.mnemonic + "' must be " + attrKindName(attr.kind) +
                     ", got " + describe(v));
    return std::nullopt;
  };
  using VK = spec::AttrValue::Kind;
  auto keyword = [&]() -> std::optional<std::string> {
    if (v.kind != VK::Int || v.intValue.kind != spec::IntExpr::Kind::Name)
      return std::nullopt;
    return v.intValue.name;
  };
  switch (attr.kind) {
  case AttrKind::Int: {
    if (v.kind != VK::Int)
      return wrong();
    auto i = evalInt(v.intValue, false);
    if (!i)
      return std::nullopt;
    return b.getI64IntegerAttr(*i);
  }
  case AttrKind::IntList: {
    if (v.kind != VK::List)
      return wrong();
    SmallVector<int64_t> values;
    for (const spec::AttrValue &item : v.list) {
      if (item.kind != VK::Int)
        return wrong();
      auto i = evalInt(item.intValue, false);
      if (!i)
        return std::nullopt;
      values.push_back(*i);
    }
    return b.getDenseI64ArrayAttr(values);
  }
  case AttrKind::Float: {
    if (v.kind == VK::Float)
      return b.getF64FloatAttr(v.floatValue);
    if (v.kind != VK::Int)
      return wrong();
    auto i = evalInt(v.intValue, false);
    if (!i)
      return std::nullopt;
    return b.getF64FloatAttr(static_cast<double>(*i));
  }
  case AttrKind::Unit:
    if (v.kind != VK::Bool)
      return wrong();
    return v.boolValue ? Attribute(b.getUnitAttr()) : Attribute();
  case AttrKind::GeluApprox: {
    auto k = keyword();
    auto e = k ? mlir::loom::symbolizeGeluApproximation(*k) : std::nullopt;
    if (!e)
      return wrong();
    return mlir::loom::GeluApproximationAttr::get(&ctx, *e);
  }
  case AttrKind::Predicate: {
    auto k = keyword();
    auto e = k ? mlir::loom::symbolizeComparePredicate(*k) : std::nullopt;
    if (!e)
      return wrong();
    return mlir::loom::ComparePredicateAttr::get(&ctx, *e);
  }
  case AttrKind::DType: {
    auto k = keyword();
    static const char *dtypes[] = {"f32", "f16", "bf16", "i32", "i64", "i1"};
    if (!k || !llvm::is_contained(dtypes, *k))
      return wrong();
    auto t = elementType(*k, v.pos);
    if (!t)
      return std::nullopt;
    return TypeAttr::get(*t);
  }
  }
  return wrong();
}

std::optional<Value> Generator::genOpCall(const OpSpec &op, const spec::Expr &e,
                                          Scope &scope) {
  bool variadic = op.operands.size() == 1 &&
                  llvm::StringRef(op.operands[0]).ends_with("...");
  size_t maxOperands = op.operands.size();
  size_t minOperands = maxOperands - (op.optionalOperand >= 0 ? 1 : 0);
  std::vector<std::string> operandNames(op.operands.begin(), op.operands.end());
  std::string signature = llvm::join(operandNames, ", ");
  // Required operands are positional; the optional one (last) may also come
  // by keyword.
  if (variadic ? e.args.empty()
               : (e.args.size() < minOperands || e.args.size() > maxOperands)) {
    std::string expected =
        variadic ? "at least 1"
        : minOperands == maxOperands
            ? std::to_string(maxOperands)
            : std::to_string(minOperands) + " or " + std::to_string(maxOperands);
    error(e.pos, "'" + std::string(op.mnemonic) + "' takes " + expected +
                     " tensor argument(s) (" + signature + "), got " +
                     std::to_string(e.args.size()));
    return std::nullopt;
  }
  SmallVector<Value> operands;
  for (const spec::Expr &a : e.args) {
    auto v = genSingle(a, scope);
    if (!v)
      return std::nullopt;
    operands.push_back(*v);
  }
  NamedAttrList attrs;
  std::set<std::string> given;
  for (const spec::KeywordArg &kw : e.keywords) {
    if (!given.insert(kw.name).second) {
      error(kw.pos, "argument '" + kw.name + "' given twice");
      return std::nullopt;
    }
    auto operandIt = llvm::find(operandNames, kw.name);
    if (!variadic && operandIt != operandNames.end()) {
      size_t index = operandIt - operandNames.begin();
      if (static_cast<int>(index) != op.optionalOperand ||
          operands.size() != index) {
        error(kw.pos, "'" + kw.name + "' of '" + op.mnemonic +
                          "' is " + (index < operands.size()
                                         ? "already given positionally"
                                         : "a required operand: pass it "
                                           "positionally"));
        return std::nullopt;
      }
      if (kw.value.kind != spec::AttrValue::Kind::Int ||
          kw.value.intValue.kind != spec::IntExpr::Kind::Name) {
        error(kw.value.pos, "'" + kw.name + "' takes a tensor value name");
        return std::nullopt;
      }
      auto v = lookup(kw.value.intValue.name, kw.value.pos, scope);
      if (!v)
        return std::nullopt;
      operands.push_back(*v);
      continue;
    }
    auto attrIt = llvm::find_if(op.attrs, [&](const AttrSpec &a) {
      return kw.name == a.name;
    });
    if (attrIt == op.attrs.end()) {
      std::vector<std::string> names;
      for (const AttrSpec &a : op.attrs)
        names.push_back(a.name);
      error(kw.pos, "'" + std::string(op.mnemonic) + "' has no argument '" +
                        kw.name + "' (operands: " + signature +
                        (names.empty() ? "; no attributes"
                                       : "; attributes: " +
                                             llvm::join(names, ", ")) +
                        ")");
      return std::nullopt;
    }
    auto a = convertAttr(op, *attrIt, kw.value);
    if (failed)
      return std::nullopt;
    if (a && *a)
      attrs.set(attrIt->name, *a);
  }
  // Required attributes: the DSL default, or an error.
  for (const AttrSpec &a : op.attrs) {
    if (!a.required || given.count(a.name))
      continue;
    if (*a.dslDefault == '\0') {
      error(e.pos, "'" + std::string(op.mnemonic) + "' needs '" + a.name +
                       "=' (" + attrKindName(a.kind) + ")");
      return std::nullopt;
    }
    if (a.kind == AttrKind::Float)
      attrs.set(a.name, b.getF64FloatAttr(std::stod(a.dslDefault)));
    else
      attrs.set(a.name, b.getI64IntegerAttr(std::stoll(a.dslDefault)));
  }
  Location l = loc(e.pos, scope);
  if (llvm::StringRef(op.mnemonic) == "constant") {
    // constant(value=V, dtype=T): a rank-0 tensor that broadcasts.
    Type elt = b.getF32Type();
    if (auto dtype = attrs.get("dtype"))
      elt = cast<TypeAttr>(dtype).getValue();
    double v = cast<FloatAttr>(attrs.get("value")).getValueAsDouble();
    auto type = RankedTensorType::get({}, elt);
    Attribute scalar = isa<FloatType>(elt)
                           ? Attribute(FloatAttr::get(elt, v))
                           : Attribute(IntegerAttr::get(elt, (int64_t)v));
    return mlir::loom::ConstantOp::create(
               b, l, cast<ElementsAttr>(DenseElementsAttr::get(type, scalar)))
        .getResult();
  }
  OperationState state(l, "loom." + std::string(op.mnemonic));
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(b.getNoneType());
  Operation *created = b.create(state);
  // The op's own inference gives the result type, and its diagnostics (at
  // the call's position) explain shape errors.
  auto iface = cast<InferTypeOpInterface>(created);
  SmallVector<Type> types;
  if (mlir::failed(iface.inferReturnTypes(
          &ctx, l, created->getOperands(), created->getRawDictionaryAttrs(),
          created->getPropertiesStorage(), created->getRegions(), types))) {
    created->erase();
    failed = true;
    return std::nullopt;
  }
  created->getResult(0).setType(types.front());
  // Results are as bounded as declared tensors: an outer product or a
  // broadcast of legal operands can describe more bytes than int64 holds,
  // and the arena planner would then place a wrapped size.
  if (auto t = dyn_cast<RankedTensorType>(types.front());
      t && !staticBytes(t.getShape(),
                        std::max<unsigned>(1, t.getElementTypeBitWidth() / 8))) {
    std::string type;
    llvm::raw_string_ostream os(type);
    t.print(os);
    created->erase();
    error(e.pos, "the result of '" + e.name + "' (" + type +
                     ") would take more than 2^48 bytes (256 TiB)");
    failed = true;
    return std::nullopt;
  }
  if (mlir::failed(mlir::verify(created, /*verifyRecursively=*/false))) {
    failed = true;
    return std::nullopt;
  }
  return created->getResult(0);
}
