//===- Translate.cpp - ONNX nodes to loom op calls ------------------------===//
//
// One pass over the (topologically sorted) nodes. Every ONNX value is either
// a constant (initializers, Constant nodes, and whatever folds from them) or
// a program value with a static shape. A node whose inputs are all constant
// folds (Fold.cpp) unless one of them is a weight (a float initializer of
// more than 16 elements: those stay parameters under their own names).
// Otherwise the node becomes loom op calls; constants it reads become inline
// scalars or parameters (Translator::tensor).
//
//===----------------------------------------------------------------------===//
#include "Translator.h"

#include "loom/formats/safetensors.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace loom::onnx;
using namespace loom::onnx::detail;
namespace spec = loom::spec;


namespace loom::onnx::detail {

spec::KeywordArg kwInt(const std::string &name, int64_t v) {
  spec::KeywordArg k;
  k.name = name;
  k.value.kind = spec::AttrValue::Kind::Int;
  k.value.intValue.value = v;
  if (v < 0) { // the printer spells negative literals as Neg(Literal)
    k.value.intValue.kind = spec::IntExpr::Kind::Neg;
    spec::IntExpr lit;
    lit.value = -v;
    k.value.intValue.value = 0;
    k.value.intValue.operands = {lit};
  }
  return k;
}

spec::KeywordArg kwInts(const std::string &name, const std::vector<int64_t> &v) {
  spec::KeywordArg k;
  k.name = name;
  k.value.kind = spec::AttrValue::Kind::List;
  for (int64_t x : v)
    k.value.list.push_back(kwInt("", x).value);
  return k;
}

spec::KeywordArg kwFloat(const std::string &name, double v) {
  spec::KeywordArg k;
  k.name = name;
  k.value.kind = spec::AttrValue::Kind::Float;
  k.value.floatValue = v;
  return k;
}

spec::KeywordArg kwWord(const std::string &name, const std::string &word) {
  spec::KeywordArg k;
  k.name = name;
  k.value.kind = spec::AttrValue::Kind::Int;
  k.value.intValue.kind = spec::IntExpr::Kind::Name;
  k.value.intValue.name = word;
  return k;
}

spec::KeywordArg kwTrue(const std::string &name) {
  spec::KeywordArg k;
  k.name = name;
  k.value.kind = spec::AttrValue::Kind::Bool;
  k.value.boolValue = true;
  return k;
}

/// `[A-Za-z0-9_]` kept, anything else `_`.
std::string sanitize(const std::string &s) {
  std::string r;
  for (char c : s)
    r += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  return r.empty() ? "_" : r;
}

/// A loom name: dotted parts of `[A-Za-z0-9_]`, the first starting with a
/// letter or `_`.
bool isLoomName(const std::string &s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  bool partStart = true;
  for (char c : s) {
    if (c == '.') {
      if (partStart)
        return false;
      partStart = true;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
    partStart = false;
  }
  return !partStart;
}

/// `/h.0/attn/MatMul_1` -> {"h.0", "attn", "MatMul_1"}.
std::vector<std::string> nodePath(const std::string &name) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : name) {
    if (c == '/') {
      if (!cur.empty())
        parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    parts.push_back(cur);
  return parts;
}

std::vector<std::string> splitDots(const std::string &s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == '.')
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

} // namespace loom::onnx::detail

std::optional<std::vector<int64_t>> Translator::constInts(size_t i) {
  const Val *v = input(i);
  if (!v)
    return std::nullopt;
  if (!v->isConst || v->weight) {
    fail("input " + std::to_string(i) + " ('" + node->input(i) +
         "') must be a constant for static shapes");
    return std::nullopt;
  }
  std::vector<int64_t> r;
  for (double d : v->c.data)
    r.push_back(static_cast<int64_t>(std::clamp(d, -9.2e18, 9.2e18)));
  return r;
}

std::optional<int> Translator::tensor(size_t i, const std::string &role) {
  const Val *v = input(i);
  if (!v) {
    fail("input " + std::to_string(i) + " is missing");
    return std::nullopt;
  }
  if (!v->isConst)
    return v->id;
  const std::string &onnxName = node->input(i);
  if (auto it = materialized.find(onnxName); it != materialized.end())
    return it->second;
  Const c;
  if (v->weight) {
    if (std::string e = decodeTensor(*v->weight, c); !e.empty()) {
      fail(e);
      return std::nullopt;
    }
  } else {
    c = v->c;
  }
  int id = -1;
  bool isInt = c.dtype == DType::I64 || c.dtype == DType::I32;
  bool iota = isInt && c.numel() > 0;
  for (int64_t k = 0; iota && k < c.numel(); ++k)
    iota = c.data[k] == double(k);
  if (iota) {
    // 0..n-1: positions along a dim of that length of some graph input.
    for (const auto &[name, in] : p->inputs) {
      const auto &s = shapeOf(in);
      for (size_t a = 0; a < s.size() && id < 0; ++a)
        if (s[a] == c.numel())
          id = emit("positions", {arg(in)}, {kwInt("axis", a)}, DType::I64,
                    {c.numel()});
      if (id >= 0)
        break;
    }
    if (id >= 0) {
      id = reshape(id, c.shape);
      if (c.dtype != DType::I64)
        id = emit("cast", {arg(id)}, {kwWord("dtype", dtypeName(c.dtype))},
                  c.dtype, c.shape);
    }
  }
  if (id < 0) {
    if (c.dtype == DType::F64 || c.dtype == DType::F16 || c.dtype == DType::BF16) {
      fail("constant '" + onnxName + "' has an unsupported element type");
      return std::nullopt;
    }
    PParam param;
    param.name = paramName(onnxName, role);
    param.shape = c.shape;
    param.data.assign(c.data.begin(), c.data.end());
    std::string hint = param.name;
    std::replace(hint.begin(), hint.end(), '.', '_');
    id = p->newValue(DType::F32, c.shape, hint);
    p->values[id].param = static_cast<int>(p->params.size());
    param.value = id;
    p->params.push_back(std::move(param));
    if (c.dtype == DType::Bool)
      id = emit("compare", {arg(id), scalar(0, DType::F32)},
                {kwWord("predicate", "ne")}, DType::Bool, c.shape);
    else if (c.dtype != DType::F32)
      id = emit("cast", {arg(id)}, {kwWord("dtype", dtypeName(c.dtype))},
                c.dtype, c.shape);
  }
  materialized[onnxName] = id;
  return id;
}

std::optional<Arg> Translator::operand(size_t i, const std::string &role,
                                       size_t otherRank) {
  const Val *v = input(i);
  if (v && v->isConst && !v->weight && v->c.numel() == 1 &&
      v->c.shape.size() <= otherRank)
    return scalar(v->c.data[0], v->c.dtype);
  auto t = tensor(i, role);
  if (!t)
    return std::nullopt;
  return arg(*t);
}

bool Translator::elementwiseBinary(const std::string &op) {
  const Val *a = input(0), *b = input(1);
  if (!a || !b)
    return fail("expects two inputs");
  std::vector<int64_t> shape;
  if (!broadcastShapes(a->shape, b->shape, shape))
    return fail("operand shapes do not broadcast");
  auto x = operand(0, "lhs", b->shape.size());
  auto y = operand(1, "rhs", a->shape.size());
  if (!x || !y)
    return false;
  if (x->isScalar() && y->isScalar())
    return fail("internal: two scalar operands");
  // Integer constants meeting float values (and the reverse) keep the value's type.
  if (x->isScalar())
    x->dtype = y->dtype;
  if (y->isScalar())
    y->dtype = x->dtype;
  DType dt = op == "compare" ? DType::Bool : x->dtype;
  std::vector<spec::KeywordArg> attrs;
  std::string loomOp = op;
  static const std::map<std::string, std::string> predicates = {
      {"Equal", "eq"}, {"Less", "lt"}, {"LessOrEqual", "le"},
      {"Greater", "gt"}, {"GreaterOrEqual", "ge"}};
  if (auto it = predicates.find(node->op_type()); it != predicates.end()) {
    loomOp = "compare";
    dt = DType::Bool;
    attrs.push_back(kwWord("predicate", it->second));
  }
  // x ** 2 and x ** 3 (layer norms and GELU written out) as products: exact
  // for negative bases whatever pow's lowering does.
  if (loomOp == "pow" && y->isScalar() && !x->isScalar() &&
      (y->scalar == 2 || y->scalar == 3 || y->scalar == 0.5 || y->scalar == 1)) {
    int v = x->value;
    if (y->scalar == 0.5) {
      define(0, emit("sqrt", {*x}, {}, dt, shape));
      return true;
    }
    int r = y->scalar == 1 ? v : emit("mul", {*x, *x}, {}, dt, shape);
    if (y->scalar == 3)
      r = emit("mul", {arg(r), *x}, {}, dt, shape);
    define(0, r);
    return true;
  }
  // A MatMul's bias: linear(x, w) + b -> linear(x, w, b).
  if (loomOp == "add" && shape.size() >= 2) {
    for (int k = 0; k < 2; ++k) {
      const Arg &m = k == 0 ? *x : *y;
      const Val *other = input(1 - k);
      if (m.isScalar() || other->shape.size() != 1 || !other->isConst)
        continue;
      int def = p->values[m.value].def;
      if (def < 0 || p->stmts[def].op != "linear" ||
          p->stmts[def].args.size() != 2 || uses[node->input(k)] != 1 ||
          other->shape[0] != shape.back() || shapeOf(m.value) != shape)
        continue;
      auto bias = tensor(1 - k, "bias");
      if (!bias)
        return false;
      p->stmts[def].args.push_back(arg(*bias));
      define(0, m.value);
      return true;
    }
  }
  define(0, emit(loomOp, {*x, *y}, attrs, dt, shape));
  return true;
}

bool Translator::slice(int v, int64_t axis, int64_t start, int64_t end,
                       size_t out) {
  std::vector<int64_t> shape = shapeOf(v);
  shape[axis] = end - start;
  if (start == 0 && end == shapeOf(v)[axis])
    define(out, v);
  else
    define(out, emit("slice", {arg(v)},
                     {kwInt("axis", axis), kwInt("start", start),
                      kwInt("end", end)},
                     p->values[v].dtype, shape));
  return true;
}

bool Translator::translate(const ::onnx::NodeProto &n) {
  node = &n;
  nodeName = n.name().empty() ? n.op_type() + "_" + std::to_string(p->stmts.size())
                              : n.name();
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    return fail("unsupported ONNX op '" + n.op_type() + "' of domain '" +
                n.domain() + "'");
  std::vector<const Val *> in;
  bool allConst = true, anyWeight = false;
  for (int i = 0; i < n.input_size(); ++i) {
    if (n.input(i).empty()) {
      in.push_back(nullptr);
      continue;
    }
    auto it = vals.find(n.input(i));
    if (it == vals.end())
      return fail("input '" + n.input(i) + "' is not defined before the node");
    in.push_back(&it->second);
    allConst &= it->second.isConst;
    anyWeight |= it->second.weight != nullptr;
  }
  if (n.op_type() == "Constant") {
    Const c;
    if (const auto *a = findAttr(n, "value")) {
      if (std::string e = decodeTensor(a->t(), c); !e.empty())
        return fail(e);
    } else if (const auto *a = findAttr(n, "value_float")) {
      c = Const{DType::F32, {}, {a->f()}};
    } else if (const auto *a = findAttr(n, "value_int")) {
      c = Const{DType::I64, {}, {double(a->i())}};
    } else if (const auto *a = findAttr(n, "value_ints")) {
      c = Const{DType::I64, {a->ints_size()}, {}};
      for (int64_t x : a->ints())
        c.data.push_back(double(x));
    } else if (const auto *a = findAttr(n, "value_floats")) {
      c = Const{DType::F32, {a->floats_size()}, {}};
      for (float x : a->floats())
        c.data.push_back(x);
    } else {
      return fail("has no supported value attribute");
    }
    defineConst(0, std::move(c));
    return true;
  }
  // Shape reads only the static shape: its input need not be constant.
  if (n.op_type() == "Shape" && !in.empty() && in[0]) {
    Const shapeOnly{in[0]->dtype, in[0]->shape, {}}; // Shape reads no data
    std::vector<Const> out;
    std::string error;
    if (!foldNode(n, {&shapeOnly}, out, error))
      return fail(error);
    defineConst(0, std::move(out[0]));
    return true;
  }
  if (allConst && !anyWeight) {
    std::vector<const Const *> cs;
    for (const Val *v : in)
      cs.push_back(v ? &v->c : nullptr);
    std::vector<Const> out;
    std::string error;
    if (foldNode(n, cs, out, error)) {
      for (size_t i = 0; i < out.size(); ++i)
        defineConst(i, std::move(out[i]));
      return true;
    }
    if (!error.empty())
      return fail(error);
  }
  return translateOp(n, in);
}

bool Translator::run(Program &program) {
  p = &program;
  const ::onnx::GraphProto &g = model.graph();
  int64_t opset = -1;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0 || g.node_size() == 0)
    return failFile("not an ONNX model (no graph or no default opset)");
  if (opset < 14)
    return failFile("opset " + std::to_string(opset) +
                    " is too old (loomc reads opset 14 and later)");
  p->name = g.name().empty() || !isLoomName(sanitize(g.name()))
                ? "onnx_model"
                : sanitize(g.name());
  for (const auto &n : g.node())
    for (const std::string &i : n.input())
      ++uses[i];
  for (const auto &o : g.output())
    ++uses[o.name()];
  std::set<std::string> initNames;
  for (const auto &t : g.initializer()) {
    Val v;
    v.isConst = true;
    auto dt = fromOnnxType(t.data_type());
    if (!dt)
      return failFile("initializer '" + t.name() +
                      "' has an unsupported element type (" +
                      std::to_string(t.data_type()) + ")");
    v.dtype = *dt;
    for (int64_t d : t.dims())
      v.shape.push_back(d);
    if (isFloat(*dt) && t.dims_size() > 0 && numElements(v.shape) > 16) {
      v.weight = &t;
    } else if (std::string e = decodeTensor(t, v.c); !e.empty()) {
      return failFile(e);
    }
    v.c.dtype = v.dtype;
    v.c.shape = v.shape;
    initNames.insert(t.name());
    vals[t.name()] = std::move(v);
  }
  std::set<std::string> dimsUsed;
  for (const auto &in : g.input()) {
    if (initNames.count(in.name()))
      continue;
    const auto &tt = in.type().tensor_type();
    auto dt = fromOnnxType(tt.elem_type());
    if (!dt || *dt == DType::F64)
      return failFile("input '" + in.name() + "' has an unsupported element type");
    std::vector<int64_t> shape;
    std::vector<spec::IntExpr> dims;
    for (const auto &d : tt.shape().dim()) {
      spec::IntExpr e;
      if (d.has_dim_value() && d.dim_value() > 0 && d.dim_value() < (int64_t(1) << 31)) {
        shape.push_back(d.dim_value());
        e.value = d.dim_value();
      } else if (d.has_dim_param()) {
        auto it = options.dims.find(d.dim_param());
        if (it == options.dims.end())
          return failFile("input '" + in.name() + "' has the symbolic dim '" +
                          d.dim_param() + "': bind it with --dim " +
                          d.dim_param() + "=N");
        shape.push_back(it->second);
        std::string cname = sanitize(d.dim_param());
        if (!isLoomName(cname))
          cname = "dim_" + cname;
        e.kind = spec::IntExpr::Kind::Name;
        e.name = cname;
        if (!dimsUsed.count(cname)) {
          dimsUsed.insert(cname);
          spec::ConfigEntry c;
          c.name = cname;
          c.value.value = it->second;
          p->config.push_back(c);
        }
      } else {
        return failFile("input '" + in.name() + "' has a dim of unknown size");
      }
      dims.push_back(e);
    }
    std::string name = sanitize(in.name());
    if (!isLoomName(name))
      name = "input_" + name;
    int v = p->newValue(*dt, shape, name);
    p->inputs.push_back({name, v});
    p->inputDims[v] = dims;
    Val val;
    val.id = v;
    val.dtype = *dt;
    val.shape = shape;
    vals[in.name()] = val;
  }
  for (const auto &[name, value] : options.dims) {
    bool found = false;
    for (const auto &c : p->config)
      found |= c.name == sanitize(name);
    if (!found)
      return failFile("--dim " + name + ": no graph input has a dim named '" +
                      name + "'");
  }
  for (const auto &n : g.node())
    if (!translate(n))
      return false;
  for (const auto &o : g.output()) {
    auto it = vals.find(o.name());
    if (it == vals.end())
      return failFile("output '" + o.name() + "' is not computed by the graph");
    if (it->second.isConst)
      return failFile("output '" + o.name() + "' is a constant (not supported)");
    std::string name = sanitize(o.name());
    if (!isLoomName(name))
      name = "output_" + name;
    p->outputs.push_back({name, it->second.id});
  }
  return true;
}

bool loom::onnx::isOnnxPath(const std::string &path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

std::optional<Imported> loom::onnx::importFile(const std::string &path,
                                               const ImportOptions &options,
                                               std::string &error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = path + ": error: cannot read the file\n";
    return std::nullopt;
  }
  std::stringstream buf;
  buf << f.rdbuf();
  std::string bytes = buf.str();
  ::onnx::ModelProto model;
  if (bytes.size() > (size_t(2) << 30) - 1 ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = path + ": error: not a valid ONNX model (the protobuf does not "
                   "parse: truncated or corrupt file)\n";
    return std::nullopt;
  }
  Program program;
  program.file = path;
  Imported out;
  // The translator checks what it reads; a malformed graph that slips past
  // a check (an axis out of range) ends here as an error, not a crash.
  try {
    Translator t(model, path, options);
    if (!t.run(program)) {
      error = t.errors;
      return std::nullopt;
    }
    if (options.blocks)
      recoverBlocks(program);
    out.model = emitSpec(program);
  } catch (const std::exception &e) {
    error = path + ": error: malformed ONNX graph (" + e.what() + ")\n";
    return std::nullopt;
  }
  out.model.file = path;
  for (const PParam &p : program.params)
    out.weights.push_back({p.name, p.shape, p.data});
  return out;
}

std::string loom::onnx::writeWeights(const Imported &imported,
                                     const std::string &path) {
  std::vector<rt::SafetensorsEntry> entries;
  for (const Weight &w : imported.weights)
    entries.push_back({w.name, "F32", w.shape, w.data.data(),
                       w.data.size() * sizeof(float)});
  rt::Status s = rt::writeSafetensors(path, entries,
                                      {{"format", "pt"}, {"source", "onnx"}});
  return s.isOk() ? "" : s.message();
}
