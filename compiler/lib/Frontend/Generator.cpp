//===- Generator.cpp - declarations, config, statements, functions --------===//
#include "Generator.h"
#include "loom/formats/name_pattern.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/BitVector.h"

#include <functional>

using namespace mlir;
using namespace ::loom::frontend;
namespace spec = ::loom::spec;

Generator::Generator(const spec::Model &model, MLIRContext &ctx,
                     const GenOptions &options, ModelInfo &info,
                     spec::Diagnostics &diags)
    : model(model), ctx(ctx), options(options), info(info), diags(diags),
      b(&ctx) {}

bool Generator::error(spec::Pos pos, const std::string &message) {
  diags.error(model.file, pos, message);
  failed = true;
  return false;
}

Location Generator::loc(spec::Pos pos, const Scope &scope) {
  Location l = FileLineColLoc::get(&ctx, model.file, pos.line, pos.col);
  if (!scope.path.empty())
    l = NameLoc::get(StringAttr::get(&ctx, scope.path), l);
  return l;
}

std::optional<Type> Generator::elementType(const std::string &dtype,
                                           spec::Pos pos) {
  if (dtype == "f32")
    return b.getF32Type();
  if (dtype == "f16")
    return b.getF16Type();
  if (dtype == "bf16")
    return b.getBF16Type();
  if (dtype == "i32")
    return b.getI32Type();
  if (dtype == "i64")
    return b.getI64Type();
  if (dtype == "i1")
    return b.getI1Type();
  error(pos, "unknown element type '" + dtype + "'");
  return std::nullopt;
}

/// Evaluates config arithmetic. Names are config entries, or symbolic dims
/// when `allowDims`: a bound dim has its value, an unbound one is dynamic
/// and may only stand alone (`*dynamic` is set).
std::optional<int64_t> Generator::evalInt(const spec::IntExpr &e,
                                          bool allowDims, bool *dynamic) {
  using K = spec::IntExpr::Kind;
  switch (e.kind) {
  case K::Literal:
    return e.value;
  case K::Name: {
    auto it = config.find(e.name);
    if (it != config.end())
      return it->second;
    if (allowDims && dimNames.count(e.name)) {
      auto bound = options.dims.find(e.name);
      if (bound != options.dims.end())
        return bound->second;
      if (dynamic) {
        *dynamic = true;
        return 0;
      }
      error(e.pos, "dim '" + e.name +
                       "' is not bound here; bind it with --dim " + e.name +
                       "=N or use it as a whole dimension");
      return std::nullopt;
    }
    error(e.pos, "undefined config name '" + e.name + "'" +
                     (dimNames.count(e.name)
                          ? " (dims are only allowed in input shapes)"
                          : ""));
    return std::nullopt;
  }
  case K::Neg: {
    auto v = evalInt(e.operands[0], allowDims);
    if (!v)
      return std::nullopt;
    if (*v == INT64_MIN) {
      error(e.pos, "integer overflow");
      return std::nullopt;
    }
    return -*v;
  }
  default:
    break;
  }
  auto l = evalInt(e.operands[0], allowDims);
  auto r = l ? evalInt(e.operands[1], allowDims) : std::nullopt;
  if (!l || !r)
    return std::nullopt;
  int64_t out = 0;
  bool overflow = false;
  switch (e.kind) {
  case K::Add:
    overflow = __builtin_add_overflow(*l, *r, &out);
    break;
  case K::Sub:
    overflow = __builtin_sub_overflow(*l, *r, &out);
    break;
  case K::Mul:
    overflow = __builtin_mul_overflow(*l, *r, &out);
    break;
  case K::Div:
    if (*r == 0) {
      error(e.pos, "division by zero in '" + spec::printIntExpr(e) + "'");
      return std::nullopt;
    }
    if (*l % *r != 0) {
      error(e.pos, "'" + spec::printIntExpr(e) + "' is not exact: " +
                       std::to_string(*l) + " is not divisible by " +
                       std::to_string(*r));
      return std::nullopt;
    }
    out = *l / *r;
    break;
  default:
    break;
  }
  if (overflow) {
    error(e.pos, "integer overflow in '" + spec::printIntExpr(e) + "'");
    return std::nullopt;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

bool Generator::checkDeclarations() {
  std::map<std::string, spec::Pos> seen;
  auto unique = [&](const std::string &kind, const std::string &name,
                    spec::Pos pos, std::map<std::string, spec::Pos> &table) {
    auto [it, inserted] = table.emplace(name, pos);
    if (!inserted)
      error(pos, "duplicate " + kind + " '" + name + "' (first declared at " +
                     std::to_string(it->second.line) + ":" +
                     std::to_string(it->second.col) + ")");
  };
  std::map<std::string, spec::Pos> configs, blockNames, values;
  for (const spec::ConfigEntry &c : model.config)
    unique("config name", c.name, c.pos, configs);
  for (const spec::Dim &d : model.dims) {
    if (configs.count(d.name))
      error(d.pos, "dim '" + d.name + "' is also a config name");
    unique("dim", d.name, d.pos, seen);
    dimNames.insert(d.name);
  }
  for (const spec::Input &in : model.inputs)
    unique("input or parameter", in.name, in.pos, values);
  for (const spec::Param &p : model.params)
    unique("input or parameter", p.name, p.pos, values);
  for (const spec::Tie &t : model.ties)
    unique("input or parameter", t.name, t.pos, values);
  for (const spec::Block &blk : model.blocks) {
    unique("block", blk.name, blk.pos, blockNames);
    if (lookupOp(blk.name))
      error(blk.pos, "block '" + blk.name + "' has the name of a loom op");
    blocks[blk.name] = &blk;
    std::map<std::string, spec::Pos> local;
    for (const std::string &a : blk.args)
      unique("block argument", a, blk.pos, local);
    for (const spec::Param &p : blk.params)
      unique("block argument or parameter", p.name, p.pos, local);
  }
  // Outputs (and the loss) are a namespace of their own.
  std::map<std::string, spec::Pos> outputs;
  for (const spec::Output &o : model.outputs)
    unique("output", o.name, o.pos, outputs);
  return !failed;
}

/// Rejects blocks that call themselves, directly or through other blocks.
bool Generator::checkRecursion() {
  std::map<std::string, int> state; // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::function<bool(const spec::Block &)> visit;
  std::function<bool(const spec::Expr &)> visitExpr =
      [&](const spec::Expr &e) -> bool {
    if (e.kind != spec::Expr::Kind::Call)
      return true;
    for (const spec::Expr &a : e.args)
      if (!visitExpr(a))
        return false;
    auto it = blocks.find(e.name);
    if (it == blocks.end())
      return true;
    if (state[e.name] == 1) {
      std::string cycle;
      bool on = false;
      for (const std::string &s : stack) {
        on |= s == e.name;
        if (on)
          cycle += s + " -> ";
      }
      return error(e.pos, "recursive block: " + cycle + e.name);
    }
    return state[e.name] == 2 || visit(*it->second);
  };
  visit = [&](const spec::Block &blk) -> bool {
    state[blk.name] = 1;
    stack.push_back(blk.name);
    for (const spec::Stmt &s : blk.body)
      if (!visitExpr(s.value))
        return false;
    stack.pop_back();
    state[blk.name] = 2;
    return true;
  };
  for (const spec::Block &blk : model.blocks)
    if (state[blk.name] == 0 && !visit(blk))
      return false;
  return true;
}

bool Generator::evaluateConfig() {
  for (const spec::ConfigEntry &c : model.config) {
    auto v = evalInt(c.value, /*allowDims=*/false);
    if (!v)
      return false;
    config[c.name] = *v;
    info.config.emplace_back(c.name, *v);
  }
  for (const auto &[name, value] : options.dims)
    if (!dimNames.count(name))
      return error(model.pos, "--dim " + name + ": the model declares no dim '" +
                                  name + "'");
  return true;
}

Value Generator::addArgument(Type type, Location l, llvm::StringRef attrName,
                             const std::string &name) {
  Value v = entry->addArgument(type, l);
  NamedAttrList attrs;
  attrs.set(attrName, b.getStringAttr(name));
  argAttrs.push_back(attrs);
  return v;
}


std::optional<TensorInfo> Generator::tensorInfo(const std::string &name,
                                                const spec::TensorType &type) {
  TensorInfo t{name, type.dtype, {}, {}};
  for (const spec::IntExpr &d : type.shape) {
    bool dynamic = false;
    auto v = evalInt(d, /*allowDims=*/true, &dynamic);
    if (!v)
      return std::nullopt;
    if (!dynamic && *v <= 0) {
      error(d.pos, "dimension " + spec::printIntExpr(d) + " = " +
                       std::to_string(*v) + " of '" + name +
                       "' must be positive");
      return std::nullopt;
    }
    t.shape.push_back(dynamic ? ShapedType::kDynamic : *v);
    t.dimNames.push_back(d.kind == spec::IntExpr::Kind::Name &&
                                 dimNames.count(d.name)
                             ? d.name
                             : "");
  }
  // The static part of its size must be a size: element counts and bytes
  // that wrapped around int64 used to print as small numbers and compile.
  int64_t width = type.dtype == "f64" || type.dtype == "i64"   ? 8
                  : type.dtype == "f32" || type.dtype == "i32" ? 4
                  : type.dtype == "i1"                         ? 1
                                                               : 2;
  if (!staticBytes(t.shape, width)) {
    std::string dims;
    for (const spec::IntExpr &e : type.shape)
      dims += (dims.empty() ? "" : ", ") + spec::printIntExpr(e);
    error(type.pos, "'" + name + "' of type " + type.dtype + "[" + dims +
                        "] would take more than 2^48 bytes (256 TiB)");
    return std::nullopt;
  }
  return t;
}

namespace loom::frontend {
std::optional<int64_t> staticBytes(llvm::ArrayRef<int64_t> shape,
                                   int64_t width) {
  int64_t bytes = width;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) &&
        (__builtin_mul_overflow(bytes, d, &bytes) || bytes > kMaxTensorBytes))
      return std::nullopt;
  return bytes;
}
} // namespace loom::frontend

bool Generator::declareInputs(Scope &scope) {
  for (const spec::Input &in : model.inputs) {
    auto t = tensorInfo(in.name, in.type);
    auto elt = elementType(in.type.dtype, in.type.pos);
    if (!t || !elt)
      return false;
    scope.values[in.name] = addArgument(RankedTensorType::get(t->shape, *elt),
                                        loc(in.pos, scope), "loom.input",
                                        in.name);
    info.inputs.push_back(*t);
  }
  return true;
}

bool Generator::declareParams(const std::vector<spec::Param> &params,
                              Scope &scope, const std::string &blockName,
                              std::optional<spec::Pos> callPos) {
  for (const spec::Param &p : params) {
    std::string name = scope.path.empty() ? p.name : scope.path + "." + p.name;
    // A set, not a scan of info.params: a scan made the front end
    // quadratic in the layer count (2000 layers: 47 s).
    if (paramNames.count(name))
      return error(callPos.value_or(p.pos),
                   "parameter '" + name + "' already exists" +
                       (callPos ? ": instance '" + scope.path +
                                      "' is created twice (give each "
                                      "instance its own name with 'as')"
                                : std::string()));
    auto t = tensorInfo(name, p.type);
    auto elt = elementType(p.type.dtype, p.type.pos);
    if (!t || !elt)
      return false;
    for (auto [i, d] : llvm::enumerate(t->shape))
      if (ShapedType::isDynamic(d))
        return error(p.type.shape[i].pos,
                     "parameter '" + name + "' has a dynamic dim: parameters "
                     "have static shapes (config names only)");
    // Each tensor is below 2^48 bytes (tensorInfo); their sum is bounded
    // too, so totals over the model (loomc info, the runtime's
    // allocations) never wrap.
    int64_t bytes = *staticBytes( // below 2^48: checked by tensorInfo
        t->shape, std::max<unsigned>(1, (*elt).getIntOrFloatBitWidth() / 8));
    if (__builtin_add_overflow(paramBytes, bytes, &paramBytes) ||
        paramBytes > kMaxTensorBytes)
      return error(callPos.value_or(p.pos),
                   "the model's parameters take more than 2^48 bytes "
                   "(256 TiB) with '" + name + "'");
    ParamInfo pi;
    pi.name = name;
    pi.dtype = p.type.dtype;
    pi.shape = t->shape;
    pi.blockPath = scope.path;
    pi.blockName = blockName;
    pi.pos = p.pos;
    pi.initKind = p.init.kind;
    static const std::map<std::string, std::vector<std::string>> inits = {
        {"normal", {"std"}},         {"uniform", {"low", "high"}},
        {"zeros", {}},               {"ones", {}},
        {"constant", {"value"}}};
    auto known = inits.find(p.init.kind);
    if (known == inits.end())
      return error(p.init.pos, "unknown init '" + p.init.kind +
                                   "' (expected normal, uniform, zeros, ones "
                                   "or constant)");
    for (const spec::KeywordArg &kw : p.init.args) {
      if (!llvm::is_contained(known->second, kw.name))
        return error(kw.pos, "init '" + p.init.kind + "' has no argument '" +
                                 kw.name + "'");
      double v;
      if (kw.value.kind == spec::AttrValue::Kind::Float) {
        v = kw.value.floatValue;
      } else if (kw.value.kind == spec::AttrValue::Kind::Int) {
        auto i = evalInt(kw.value.intValue, false);
        if (!i)
          return false;
        v = static_cast<double>(*i);
      } else {
        return error(kw.pos, "init argument '" + kw.name + "' must be a number");
      }
      pi.initArgs[kw.name] = v;
    }
    for (const std::string &required : known->second)
      if (!pi.initArgs.count(required))
        return error(p.init.pos, "init '" + p.init.kind + "' needs '" +
                                     required + "'");
    if (pi.initKind == "normal" && !(pi.initArgs["std"] > 0))
      return error(p.init.pos, "normal init needs std > 0");
    if (pi.initKind == "uniform" &&
        !(pi.initArgs["low"] < pi.initArgs["high"]))
      return error(p.init.pos, "uniform init needs low < high");
    Location l = NameLoc::get(b.getStringAttr(name), loc(p.pos, Scope{}));
    scope.values[p.name] = addArgument(RankedTensorType::get(t->shape, *elt),
                                       l, "loom.param", name);
    paramNames.insert(name);
    info.params.push_back(std::move(pi));
  }
  return true;
}

bool Generator::declareTies(Scope &scope) {
  for (const spec::Tie &t : model.ties) {
    auto target = std::find_if(
        info.params.begin(), info.params.end(),
        [&](const ParamInfo &p) { return p.name == t.target; });
    if (target == info.params.end())
      return error(t.pos, "tie '" + t.name + "': '" + t.target +
                              "' is not a model-level parameter");
    target->aliases.push_back(t.name);
    paramNames.insert(t.name);
    scope.values[t.name] = scope.values[t.target];
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Generator::genStmts(const std::vector<spec::Stmt> &stmts, Scope &scope) {
  for (const spec::Stmt &s : stmts) {
    std::optional<std::vector<Value>> values =
        s.repeat ? genRepeat(s, scope) : genExpr(s.value, scope);
    if (!values)
      return false;
    if (values->size() != s.results.size())
      return error(s.pos, "'" + s.value.name + "' gives " +
                              std::to_string(values->size()) +
                              " value(s) but the statement binds " +
                              std::to_string(s.results.size()));
    for (auto [name, v] : llvm::zip(s.results, *values))
      scope.values[name] = v;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Functions
//===----------------------------------------------------------------------===//

/// Clones `graph` as `name` returning `results`, then drops the ops and
/// arguments the results do not need.
void Generator::derive(func::FuncOp graph, const std::string &name,
                       const std::vector<std::pair<std::string, Value>> &results,
                       const std::vector<std::string> &resultNames) {
  IRMapping map;
  b.setInsertionPointToEnd(module->getBody());
  auto fn = cast<func::FuncOp>(b.clone(*graph, map));
  fn.setSymName(name);
  Block &body = fn.getBody().front();
  body.getTerminator()->erase();
  b.setInsertionPointToEnd(&body);
  SmallVector<Value> values;
  SmallVector<Type> types;
  for (const auto &r : results) {
    values.push_back(map.lookup(r.second));
    types.push_back(r.second.getType());
  }
  func::ReturnOp::create(b, fn.getLoc(), values);
  fn.setType(b.getFunctionType(body.getArgumentTypes(), types));
  for (auto [i, n] : llvm::enumerate(resultNames))
    fn.setResultAttr(i, "loom.output", b.getStringAttr(n));
  // Everything loom builds is pure: drop what the results do not reach.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (!op.hasTrait<OpTrait::IsTerminator>() && op.use_empty())
      op.erase();
  llvm::BitVector unused(body.getNumArguments());
  for (BlockArgument a : body.getArguments())
    if (a.use_empty())
      unused.set(a.getArgNumber());
  (void)fn.eraseArguments(unused);
}


OwningOpRef<ModuleOp> Generator::run() {
  if (!checkDeclarations() || !checkRecursion() || !evaluateConfig())
    return nullptr;
  info.name = model.name;
  module = ModuleOp::create(FileLineColLoc::get(&ctx, model.file, model.pos.line,
                                                model.pos.col),
                            model.name);
  b.setInsertionPointToEnd(module->getBody());
  auto graph = func::FuncOp::create(b, module->getLoc(), "graph",
                                    b.getFunctionType({}, {}));
  entry = graph.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Scope top;
  if (!declareInputs(top) || !declareParams(model.params, top, "") ||
      !declareTies(top) || !genStmts(model.body, top))
    return nullptr;

  std::vector<std::pair<std::string, Value>> outputs;
  std::vector<std::string> outputNames;
  for (const spec::Output &o : model.outputs) {
    auto v = lookup(o.value, o.pos, top);
    if (!v)
      return nullptr;
    outputs.emplace_back(o.name, *v);
    outputNames.push_back(o.name);
    auto t = cast<RankedTensorType>(v->getType());
    TensorInfo ti{o.name, "", {t.getShape().begin(), t.getShape().end()}, {}};
    llvm::raw_string_ostream os(ti.dtype);
    t.getElementType().print(os);
    info.outputs.push_back(ti);
  }
  std::optional<Value> loss;
  if (model.loss) {
    loss = lookup(model.loss->value, model.loss->pos, top);
    if (!loss)
      return nullptr;
    auto t = cast<RankedTensorType>(loss->getType());
    if (t.getRank() != 0) {
      std::string s;
      llvm::raw_string_ostream os(s);
      t.print(os);
      error(model.loss->pos, "the loss '" + model.loss->value +
                                 "' must be a rank-0 tensor, got " + s);
      return nullptr;
    }
    info.hasLoss = true;
  }
  if (model.tokenizer) {
    const std::string &kind = model.tokenizer->value;
    if (kind != "bytes" && kind != "bpe" && kind != "wordpiece") {
      error(model.tokenizer->pos, "unknown tokenizer '" + kind +
                                      "' (bytes, bpe or wordpiece)");
      return nullptr;
    }
  }
  if (!checkCheckpointMaps())
    return nullptr;
  if (outputs.empty() && !loss) {
    error(model.pos, "model '" + model.name +
                         "' declares no output and no loss: nothing to compute");
    return nullptr;
  }
  graph.setType(b.getFunctionType(entry->getArgumentTypes(), {}));
  // All at once: setArgAttrs rebuilds the whole attribute array per call
  // (quadratic in the parameter count).
  SmallVector<DictionaryAttr> dicts;
  for (NamedAttrList &attrs : argAttrs)
    dicts.push_back(attrs.getDictionary(&ctx));
  graph.setAllArgAttrs(dicts);
  func::ReturnOp::create(b, graph.getLoc());

  if (!outputs.empty())
    derive(graph, "forward", outputs, outputNames);
  if (loss)
    derive(graph, "loss", {{"loss", *loss}}, {"loss"});
  graph.erase();
  recordModuleAttrs();
  if (failed || mlir::failed(mlir::verify(*module)))
    return nullptr;
  return std::move(module);
}

/// A checkpoint map's names are unique and each renaming rule can name a
/// parameter (or tied alias) of this model: a typo in a pattern would
/// otherwise only show up as "missing" tensors at import time.
bool Generator::checkCheckpointMaps() {
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (const ParamInfo &p : info.params) {
    names.push_back(p.name);
    names.insert(names.end(), p.aliases.begin(), p.aliases.end());
  }
  std::vector<std::string> caps;
  for (const spec::CheckpointMap &map : model.checkpoints) {
    if (!seen.insert(map.name).second) {
      error(map.pos, "checkpoint map '" + map.name + "' is declared twice");
      return false;
    }
    for (const spec::CheckpointRule &r : map.rules) {
      if (r.ignore || r.strip)
        continue;
      bool any = false;
      for (const std::string &n : names)
        if ((any = ::loom::formats::matchNamePattern(r.to, n, caps)))
          break;
      if (!any) {
        error(r.pos, "checkpoint rule \"" + r.from + "\" -> \"" + r.to +
                         "\" names no parameter of model '" + model.name + "'");
        return false;
      }
    }
  }
  return true;
}

/// What the artifact's manifest needs beyond the functions, as module
/// attributes (LoomBase.td): the manifest is then written from the lowered
/// module alone, whatever passes ran in between. The spec file is the
/// module's location (so IR printed without locations does not depend on
/// which file, text or JSON, it came from).
void Generator::recordModuleAttrs() {
  using mlir::loom::LoomDialect;
  auto str = [&](llvm::StringRef s) { return b.getStringAttr(s); };
  auto named = [&](llvm::StringRef k, Attribute v) {
    return b.getNamedAttr(k, v);
  };
  auto tensor = [&](const std::string &name, const std::string &dtype,
                    llvm::ArrayRef<int64_t> shape) {
    // An unbound dim is -1 (code generation needs every dim bound).
    SmallVector<int64_t> dims;
    for (int64_t d : shape)
      dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
    return SmallVector<NamedAttribute>{named("name", str(name)),
                                       named("dtype", str(dtype)),
                                       named("shape", b.getDenseI64ArrayAttr(dims))};
  };
  SmallVector<NamedAttribute> dims;
  for (const auto &[name, value] : options.dims)
    dims.push_back(named(name, b.getI64IntegerAttr(value)));
  SmallVector<Attribute> params;
  for (const ParamInfo &p : info.params) {
    SmallVector<NamedAttribute> init{named("kind", str(p.initKind))};
    for (const auto &[k, v] : p.initArgs)
      init.push_back(named(k, b.getF64FloatAttr(v)));
    SmallVector<Attribute> aliases;
    for (const std::string &a : p.aliases)
      aliases.push_back(str(a));
    SmallVector<NamedAttribute> entry = tensor(p.name, p.dtype, p.shape);
    entry.push_back(named("init", b.getDictionaryAttr(init)));
    entry.push_back(named("aliases", b.getArrayAttr(aliases)));
    params.push_back(b.getDictionaryAttr(entry));
  }
  SmallVector<Attribute> inputs;
  for (const TensorInfo &t : info.inputs)
    inputs.push_back(b.getDictionaryAttr(tensor(t.name, t.dtype, t.shape)));
  ModuleOp m = *module;
  m->setAttr(LoomDialect::kDimsAttrName, b.getDictionaryAttr(dims));
  m->setAttr(LoomDialect::kParamsAttrName, b.getArrayAttr(params));
  m->setAttr(LoomDialect::kInputsAttrName, b.getArrayAttr(inputs));
  if (model.tokenizer)
    m->setAttr(LoomDialect::kTokenizerAttrName, str(model.tokenizer->value));
  if (!model.checkpoints.empty()) {
    SmallVector<Attribute> maps;
    for (const spec::CheckpointMap &map : model.checkpoints) {
      SmallVector<Attribute> rules;
      for (const spec::CheckpointRule &r : map.rules) {
        // {from, to[, transpose]}, {from, ignore} or {from, strip}.
        SmallVector<NamedAttribute> rule{named("from", str(r.from))};
        if (!r.to.empty())
          rule.push_back(named("to", str(r.to)));
        for (auto [key, set] : {std::pair{"transpose", r.transpose},
                                {"ignore", r.ignore}, {"strip", r.strip}})
          if (set)
            rule.push_back(named(key, b.getUnitAttr()));
        rules.push_back(b.getDictionaryAttr(rule));
      }
      maps.push_back(b.getDictionaryAttr(
          {named("name", str(map.name)), named("rules", b.getArrayAttr(rules))}));
    }
    m->setAttr(LoomDialect::kCheckpointsAttrName, b.getArrayAttr(maps));
  }
}
