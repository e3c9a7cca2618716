//===- Blocks.cpp - repeated layers as one block, and the spec ------------===//
//
// PyTorch's exporter names nodes by module path (`/h.0/attn/MatMul`), so
// the statements of layer i of a ModuleList `h` carry the scope `h.i`. When
// the instances 0..n-1 follow each other, have the same statements (ops,
// attributes, parameter shapes and names under `h.i.`), read one value
// threaded from the previous instance plus values every instance shares, and
// give exactly one value to the rest of the graph, they become
// `block layer(x, ...)` and `x = repeat(n) layer(x, ...) as h`; MLIRGen then
// names instance i's parameters `h.i.<name>` again, as the weights file has
// them. Anything that does not match stays flat (still correct).
//
//===----------------------------------------------------------------------===//
#include "Program.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

using namespace loom;
using namespace loom::onnx::detail;

namespace {

/// `h.3` -> ("h", 3); the first scope part of that form gives the instance.
bool instanceOf(const PStmt &s, std::string &base, int64_t &index,
                std::string &prefix) {
  std::string path;
  for (const std::string &part : s.scope) {
    path += (path.empty() ? "" : ".") + part;
    size_t dot = part.rfind('.');
    if (dot == std::string::npos || dot + 1 == part.size())
      continue;
    std::string digits = part.substr(dot + 1);
    if (!std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        digits.size() > 9)
      continue;
    index = std::stoll(digits);
    prefix = path;
    base = path.substr(0, path.size() - digits.size() - 1);
    return true;
  }
  return false;
}

bool sameAttr(const spec::AttrValue &a, const spec::AttrValue &b);

bool sameExpr(const spec::IntExpr &a, const spec::IntExpr &b) {
  if (a.kind != b.kind || a.value != b.value || a.name != b.name ||
      a.operands.size() != b.operands.size())
    return false;
  for (size_t i = 0; i < a.operands.size(); ++i)
    if (!sameExpr(a.operands[i], b.operands[i]))
      return false;
  return true;
}

bool sameAttr(const spec::AttrValue &a, const spec::AttrValue &b) {
  if (a.kind != b.kind || a.list.size() != b.list.size())
    return false;
  switch (a.kind) {
  case spec::AttrValue::Kind::Int:
    return sameExpr(a.intValue, b.intValue);
  case spec::AttrValue::Kind::Float:
    return a.floatValue == b.floatValue;
  case spec::AttrValue::Kind::Bool:
    return a.boolValue == b.boolValue;
  case spec::AttrValue::Kind::List:
    for (size_t i = 0; i < a.list.size(); ++i)
      if (!sameAttr(a.list[i], b.list[i]))
        return false;
    return true;
  }
  return false;
}

struct Instance {
  size_t begin = 0, end = 0; // statement range
  std::string prefix;        // h.3
  std::vector<int> externals; // values from outside, by first use
  std::vector<int> params;    // parameter values, by first use
  std::vector<int> outputs;   // values read outside the range
};

class BlockFinder {
public:
  explicit BlockFinder(Program &p) : p(p) {}

  void run() {
    // Segments: maximal runs of statements of one instance.
    struct Segment {
      size_t begin, end;
      std::string base, prefix;
      int64_t index;
    };
    std::vector<Segment> segs;
    for (size_t i = 0; i < p.stmts.size(); ++i) {
      std::string base, prefix;
      int64_t index = -1;
      if (!instanceOf(p.stmts[i], base, index, prefix)) {
        segs.push_back({i, i + 1, "", "", -1});
        continue;
      }
      if (!segs.empty() && segs.back().prefix == prefix && segs.back().end == i)
        segs.back().end = i + 1;
      else
        segs.push_back({i, i + 1, base, prefix, index});
    }
    // Runs of segments with one base and indices 0, 1, ..., n-1; replaced
    // from the back so earlier ranges keep their statement numbers.
    std::vector<std::vector<Segment>> runs;
    for (size_t i = 0; i < segs.size();) {
      if (segs[i].index != 0) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < segs.size() && segs[j].base == segs[i].base &&
             segs[j].index == int64_t(j - i))
        ++j;
      if (j - i >= 2)
        runs.emplace_back(segs.begin() + i, segs.begin() + j);
      i = j;
    }
    computeUsers();
    for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
      std::vector<Instance> inst;
      for (const Segment &s : *run) {
        Instance in;
        in.begin = s.begin;
        in.end = s.end;
        in.prefix = s.prefix;
        inst.push_back(in);
      }
      tryFold(run->front().base, inst);
    }
  }

private:
  Program &p;
  std::vector<std::vector<size_t>> users; // value -> statements reading it
  std::set<int> graphOutputs;

  void computeUsers() {
    users.assign(p.values.size(), {});
    for (size_t s = 0; s < p.stmts.size(); ++s)
      for (const Arg &a : p.stmts[s].args)
        if (!a.isScalar())
          users[a.value].push_back(s);
    for (const auto &[name, v] : p.outputs)
      graphOutputs.insert(v);
  }

  bool inside(const Instance &in, int v) const {
    int d = p.values[v].def;
    return d >= int(in.begin) && d < int(in.end);
  }

  void describe(Instance &in) {
    std::set<int> seenExt, seenParam;
    for (size_t s = in.begin; s < in.end; ++s) {
      for (const Arg &a : p.stmts[s].args) {
        if (a.isScalar() || inside(in, a.value))
          continue;
        // A parameter other instances read too (the exporter merges equal
        // initializers) comes in as an argument, like any shared value.
        if (p.values[a.value].param >= 0 && !sharedParam(in, a.value)) {
          if (seenParam.insert(a.value).second)
            in.params.push_back(a.value);
        } else if (seenExt.insert(a.value).second) {
          in.externals.push_back(a.value);
        }
      }
      for (int r : p.stmts[s].results) {
        bool outside = graphOutputs.count(r) > 0;
        for (size_t u : users[r])
          outside |= u < in.begin || u >= in.end;
        if (outside)
          in.outputs.push_back(r);
      }
    }
  }

  bool sharedParam(const Instance &in, int v) const {
    for (size_t u : users[v])
      if (u < in.begin || u >= in.end)
        return true;
    return false;
  }

  /// Statement offset and result number of `v` inside `in`.
  std::pair<int, int> position(const Instance &in, int v) const {
    int d = p.values[v].def;
    const auto &rs = p.stmts[d].results;
    return {d - int(in.begin),
            int(std::find(rs.begin(), rs.end(), v) - rs.begin())};
  }

  bool tryFold(const std::string &base, std::vector<Instance> &inst) {
    size_t n = inst.size(), len = inst[0].end - inst[0].begin;
    for (Instance &in : inst) {
      if (in.end - in.begin != len)
        return false;
      describe(in);
      if (in.outputs.size() != 1)
        return false;
    }
    const Instance &first = inst[0];
    if (first.externals.empty())
      return false;
    // The threaded value: instance 1 reads instance 0's output.
    auto t = std::find(inst[1].externals.begin(), inst[1].externals.end(),
                       first.outputs[0]);
    if (t == inst[1].externals.end())
      return false;
    size_t threaded = t - inst[1].externals.begin();
    std::vector<std::string> paramNames;
    for (int v : first.params) {
      const std::string &name = p.params[p.values[v].param].name;
      if (name.rfind(first.prefix + ".", 0) != 0)
        return false;
      paramNames.push_back(name.substr(first.prefix.size() + 1));
    }
    for (size_t k = 1; k < n; ++k) {
      const Instance &in = inst[k];
      if (in.externals.size() != first.externals.size() ||
          in.params.size() != first.params.size() ||
          position(in, in.outputs[0]) != position(first, first.outputs[0]))
        return false;
      for (size_t j = 0; j < in.externals.size(); ++j)
        if (in.externals[j] != (j == threaded ? inst[k - 1].outputs[0]
                                              : first.externals[j]))
          return false;
      // The previous output feeds this instance only.
      for (size_t u : users[inst[k - 1].outputs[0]])
        if (u < in.begin || u >= in.end)
          return false;
      if (graphOutputs.count(inst[k - 1].outputs[0]))
        return false;
      for (size_t j = 0; j < in.params.size(); ++j) {
        const PParam &pp = p.params[p.values[in.params[j]].param];
        if (pp.name != in.prefix + "." + paramNames[j] ||
            pp.shape != p.params[p.values[first.params[j]].param].shape)
          return false;
        for (size_t u : users[in.params[j]])
          if (u < in.begin || u >= in.end)
            return false;
      }
      for (size_t s = 0; s < len; ++s) {
        const PStmt &a = p.stmts[first.begin + s], &b = p.stmts[in.begin + s];
        if (a.op != b.op || a.block >= 0 || b.block >= 0 ||
            a.args.size() != b.args.size() || a.attrs.size() != b.attrs.size() ||
            a.results.size() != b.results.size() ||
            p.values[a.results[0]].shape != p.values[b.results[0]].shape)
          return false;
        for (size_t i = 0; i < a.attrs.size(); ++i)
          if (a.attrs[i].name != b.attrs[i].name ||
              !sameAttr(a.attrs[i].value, b.attrs[i].value))
            return false;
        for (size_t i = 0; i < a.args.size(); ++i) {
          const Arg &x = a.args[i], &y = b.args[i];
          if (x.isScalar() != y.isScalar())
            return false;
          if (x.isScalar()) {
            if (x.scalar != y.scalar || x.dtype != y.dtype)
              return false;
            continue;
          }
          if (inside(first, x.value) != inside(in, y.value))
            return false;
          if (inside(first, x.value)) {
            if (position(first, x.value) != position(in, y.value))
              return false;
            continue;
          }
          bool px = p.values[x.value].param >= 0 && !sharedParam(first, x.value),
               py = p.values[y.value].param >= 0 && !sharedParam(in, y.value);
          if (px != py)
            return false;
          const auto &lx = px ? first.params : first.externals;
          const auto &ly = py ? in.params : in.externals;
          if (std::find(lx.begin(), lx.end(), x.value) - lx.begin() !=
              std::find(ly.begin(), ly.end(), y.value) - ly.begin())
            return false;
        }
      }
    }
    // Fold: the block holds instance 0's statements.
    PBlock blk;
    blk.name = p.blocks.empty() ? "layer" : "layer_" + std::to_string(p.blocks.size() + 1);
    blk.args.push_back(first.externals[threaded]);
    for (size_t j = 0; j < first.externals.size(); ++j)
      if (j != threaded)
        blk.args.push_back(first.externals[j]);
    blk.params = first.params;
    blk.paramNames = paramNames;
    blk.body.assign(p.stmts.begin() + first.begin, p.stmts.begin() + first.end);
    blk.result = first.outputs[0];
    PStmt call;
    call.op = blk.name;
    call.block = static_cast<int>(p.blocks.size());
    call.repeat = static_cast<int64_t>(n);
    call.instance = base;
    for (int v : blk.args)
      call.args.push_back(Arg{v, 0, p.values[v].dtype});
    call.results = {inst[n - 1].outputs[0]};
    p.blocks.push_back(std::move(blk));
    p.stmts.erase(p.stmts.begin() + first.begin, p.stmts.begin() + inst[n - 1].end);
    p.stmts.insert(p.stmts.begin() + first.begin, std::move(call));
    return true;
  }
};

/// Unique value names within one scope (the model body or a block).
class Names {
public:
  explicit Names(const Program &p) : p(p) {}
  void reserve(const std::string &name) { used.insert(name); }
  void bind(int v, const std::string &name) {
    used.insert(name);
    names[v] = name;
  }
  const std::string &of(int v) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    static const std::set<std::string> keywords = {
        "model", "config", "dims",  "input", "param", "tie",  "block",
        "return", "repeat", "as",   "output", "loss", "init", "tokenizer",
        "true",  "false"};
    std::string base = p.values[v].hint.empty() ? "t" : p.values[v].hint;
    if (!(std::isalpha(static_cast<unsigned char>(base[0])) || base[0] == '_') ||
        keywords.count(base))
      base = "v_" + base;
    std::string name = base;
    for (int i = 2; used.count(name); ++i)
      name = base + "_" + std::to_string(i);
    bind(v, name);
    return names[v];
  }

private:
  const Program &p;
  std::set<std::string> used;
  std::map<int, std::string> names;
};

spec::Expr argExpr(const Arg &a, Names &names) {
  spec::Expr e;
  if (!a.isScalar()) {
    e.kind = spec::Expr::Kind::Ref;
    e.name = names.of(a.value);
    return e;
  }
  e.kind = spec::Expr::Kind::Call;
  e.name = "constant";
  spec::KeywordArg value;
  value.name = "value";
  value.value.kind = spec::AttrValue::Kind::Float;
  value.value.floatValue = a.scalar;
  spec::KeywordArg dtype;
  dtype.name = "dtype";
  dtype.value.kind = spec::AttrValue::Kind::Int;
  dtype.value.intValue.kind = spec::IntExpr::Kind::Name;
  dtype.value.intValue.name = dtypeName(a.dtype);
  e.keywords = {value};
  if (a.dtype != DType::F32)
    e.keywords.push_back(dtype);
  return e;
}

spec::Stmt stmtOf(const PStmt &s, Names &names) {
  spec::Stmt st;
  st.value.kind = spec::Expr::Kind::Call;
  st.value.name = s.op;
  for (const Arg &a : s.args)
    st.value.args.push_back(argExpr(a, names));
  st.value.keywords = s.attrs;
  if (s.block >= 0) {
    st.value.instance = s.instance;
    spec::IntExpr n;
    n.value = s.repeat;
    st.repeat = n;
  }
  for (int r : s.results)
    st.results.push_back(names.of(r));
  return st;
}

spec::TensorType typeOf(const PValue &v) {
  spec::TensorType t;
  t.dtype = dtypeName(v.dtype);
  for (int64_t d : v.shape) {
    spec::IntExpr e;
    e.value = d;
    t.shape.push_back(e);
  }
  return t;
}

spec::Param paramOf(const Program &p, int v, const std::string &name) {
  spec::Param sp;
  sp.name = name;
  sp.type = typeOf(p.values[v]);
  sp.init.kind = "zeros"; // the values come from the weights file
  return sp;
}

} // namespace

void loom::onnx::detail::recoverBlocks(Program &program) {
  BlockFinder(program).run();
}

spec::Model loom::onnx::detail::emitSpec(const Program &p) {
  spec::Model m;
  m.file = p.file;
  m.name = p.name;
  m.config = p.config;
  for (const PBlock &b : p.blocks) {
    spec::Block sb;
    sb.name = b.name;
    Names names(p);
    for (const std::string &pn : b.paramNames)
      names.reserve(pn);
    for (size_t i = 0; i < b.params.size(); ++i) {
      names.bind(b.params[i], b.paramNames[i]);
      sb.params.push_back(paramOf(p, b.params[i], b.paramNames[i]));
    }
    for (size_t i = 0; i < b.args.size(); ++i) {
      std::string a = i == 0 ? "x" : names.of(b.args[i]);
      if (i == 0)
        names.bind(b.args[0], a);
      sb.args.push_back(a);
    }
    for (const PStmt &s : b.body)
      sb.body.push_back(stmtOf(s, names));
    sb.returns.push_back(names.of(b.result));
    m.blocks.push_back(std::move(sb));
  }
  Names names(p);
  // Parameters read by the model body (block parameters live in blocks).
  std::set<int> bodyValues;
  for (const PStmt &s : p.stmts)
    for (const Arg &a : s.args)
      if (!a.isScalar())
        bodyValues.insert(a.value);
  for (const auto &[name, v] : p.outputs)
    bodyValues.insert(v);
  for (const auto &[name, v] : p.inputs) {
    names.bind(v, name);
    spec::Input in;
    in.name = name;
    in.type = typeOf(p.values[v]);
    if (auto it = p.inputDims.find(v); it != p.inputDims.end())
      in.type.shape = it->second;
    m.inputs.push_back(in);
  }
  for (const PParam &pp : p.params) {
    if (!bodyValues.count(pp.value))
      continue;
    names.bind(pp.value, pp.name);
    m.params.push_back(paramOf(p, pp.value, pp.name));
  }
  // Outputs keep their ONNX names where the value has no other name yet.
  for (const auto &[name, v] : p.outputs)
    if (p.values[v].def >= 0 && p.values[v].param < 0)
      names.bind(v, name);
  for (const PStmt &s : p.stmts)
    m.body.push_back(stmtOf(s, names));
  for (const auto &[name, v] : p.outputs) {
    spec::Output o;
    o.name = name;
    o.value = names.of(v);
    m.outputs.push_back(o);
  }
  return m;
}
