//===- Printer.cpp - canonical text and JSON forms of a model ------------===//
//
// Both printers write the items in one fixed order (model, config, dims,
// inputs, params, ties, blocks, body, outputs, loss) so that `loomc fmt` is a
// normal form: printing a parsed spec again gives the same bytes.
//
//===----------------------------------------------------------------------===//
#include "Fragments.h"
#include "loom/Spec/Spec.h"

#include <string>
#include <utility>
#include <vector>

namespace loom::spec {
namespace {

//===----------------------------------------------------------------------===//
// Shared pieces: integer expressions, types, inits, attributes
//===----------------------------------------------------------------------===//

/// Binding strength: additive < multiplicative < unary minus < atom.
int precedence(const IntExpr &e) {
  switch (e.kind) {
  case IntExpr::Kind::Add:
  case IntExpr::Kind::Sub:
    return 1;
  case IntExpr::Kind::Mul:
  case IntExpr::Kind::Div:
    return 2;
  case IntExpr::Kind::Neg:
    return 3;
  case IntExpr::Kind::Literal:
    // A negative literal is spelled with a leading '-', like a negation.
    return e.value < 0 ? 3 : 4;
  case IntExpr::Kind::Name:
    return 4;
  }
  return 4;
}

void printIntExprTo(const IntExpr &e, std::string &os);

/// Prints `e` as an operand that must bind at least `minPrec` tightly.
void printOperand(const IntExpr &e, int minPrec, std::string &os) {
  bool parens = precedence(e) < minPrec;
  if (parens)
    os += '(';
  printIntExprTo(e, os);
  if (parens)
    os += ')';
}

void printIntExprTo(const IntExpr &e, std::string &os) {
  const char *op = nullptr;
  switch (e.kind) {
  case IntExpr::Kind::Literal:
    os += std::to_string(e.value);
    return;
  case IntExpr::Kind::Name:
    os += e.name;
    return;
  case IntExpr::Kind::Neg:
    os += '-';
    // `--x` reads back as two negations; parentheses there would only
    // deepen the nesting the text parser counts against its limit.
    if (!e.operands.empty())
      printOperand(e.operands[0], 3, os);
    return;
  case IntExpr::Kind::Add:
    op = " + ";
    break;
  case IntExpr::Kind::Sub:
    op = " - ";
    break;
  case IntExpr::Kind::Mul:
    op = " * ";
    break;
  case IntExpr::Kind::Div:
    op = " / ";
    break;
  }
  if (e.operands.size() != 2)
    return;
  // All four operators associate to the left, so a right operand of the same
  // strength needs parentheses: `a - (b - c)`, and also `a + (b + c)` so
  // that the tree, not just the value, reads back the same.
  int prec = precedence(e);
  printOperand(e.operands[0], prec, os);
  os += op;
  printOperand(e.operands[1], prec + 1, os);
}

std::string typeStr(const TensorType &t) {
  std::string os = t.dtype + "[";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i)
      os += ", ";
    printIntExprTo(t.shape[i], os);
  }
  return os + "]";
}

void printAttr(const AttrValue &v, std::string &os) {
  switch (v.kind) {
  case AttrValue::Kind::Int:
    printIntExprTo(v.intValue, os);
    return;
  case AttrValue::Kind::Float:
    os += printFloat(v.floatValue);
    return;
  case AttrValue::Kind::Bool:
    os += v.boolValue ? "true" : "false";
    return;
  case AttrValue::Kind::List:
    os += '[';
    for (size_t i = 0; i < v.list.size(); ++i) {
      if (i)
        os += ", ";
      printAttr(v.list[i], os);
    }
    os += ']';
    return;
  }
}

void printKeywords(const std::vector<KeywordArg> &args, bool first,
                   std::string &os) {
  for (const KeywordArg &k : args) {
    if (!first)
      os += ", ";
    first = false;
    os += k.name + "=";
    printAttr(k.value, os);
  }
}

std::string initStr(const Init &init) {
  std::string os = init.kind;
  if (init.args.empty())
    return os;
  os += '(';
  printKeywords(init.args, /*first=*/true, os);
  return os + ")";
}

std::string join(const std::vector<std::string> &names) {
  std::string os;
  for (size_t i = 0; i < names.size(); ++i)
    os += (i ? ", " : "") + names[i];
  return os;
}

//===----------------------------------------------------------------------===//
// Text
//===----------------------------------------------------------------------===//

void printExpr(const Expr &e, std::string &os) {
  os += e.name;
  if (e.kind == Expr::Kind::Ref)
    return;
  os += '(';
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i)
      os += ", ";
    printExpr(e.args[i], os);
  }
  printKeywords(e.keywords, e.args.empty(), os);
  os += ')';
  if (!e.instance.empty())
    os += " as " + e.instance;
}

void printStmt(const Stmt &s, const std::string &indent, std::string &os) {
  os += indent + join(s.results) + " = ";
  if (s.repeat) {
    os += "repeat(";
    printIntExprTo(*s.repeat, os);
    os += ") ";
  }
  printExpr(s.value, os);
  os += '\n';
}

void printParam(const Param &p, const std::string &indent, std::string &os) {
  os += indent + "param " + p.name + ": " + typeStr(p.type) + " init " +
        initStr(p.init) + "\n";
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

/// A JSON value to print: scalars are kept already encoded.
struct JOut {
  enum class Kind { Atom, Array, Object };
  Kind kind = Kind::Atom;
  std::string atom;
  std::vector<JOut> items;
  std::vector<std::pair<std::string, JOut>> members;
};

std::string quote(const std::string &s) {
  std::string os = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      os += '\\';
      os += c;
    } else if (c < 0x20) {
      static const char *hex = "0123456789abcdef";
      os += "\\u00";
      os += hex[c >> 4];
      os += hex[c & 15];
    } else {
      os += c;
    }
  }
  return os + "\"";
}

JOut atom(std::string encoded) {
  JOut j;
  j.atom = std::move(encoded);
  return j;
}
JOut str(const std::string &s) { return atom(quote(s)); }
JOut array() {
  JOut j;
  j.kind = JOut::Kind::Array;
  return j;
}
JOut object() {
  JOut j;
  j.kind = JOut::Kind::Object;
  return j;
}
JOut strings(const std::vector<std::string> &names) {
  JOut j = array();
  for (const std::string &n : names)
    j.items.push_back(str(n));
  return j;
}

/// A literal, or the negation of a positive one (how `-5` parses), is a JSON
/// integer; anything else the expression string.
JOut intExprJson(const IntExpr &e) {
  if (e.kind == IntExpr::Kind::Literal)
    return atom(std::to_string(e.value));
  if (e.kind == IntExpr::Kind::Neg && e.operands.size() == 1 &&
      e.operands[0].kind == IntExpr::Kind::Literal && e.operands[0].value > 0)
    return atom("-" + std::to_string(e.operands[0].value));
  return str(printIntExpr(e));
}

JOut attrJson(const AttrValue &v) {
  switch (v.kind) {
  case AttrValue::Kind::Int:
    return intExprJson(v.intValue);
  case AttrValue::Kind::Float:
    return atom(printFloat(v.floatValue));
  case AttrValue::Kind::Bool:
    return atom(v.boolValue ? "true" : "false");
  case AttrValue::Kind::List: {
    JOut j = array();
    for (const AttrValue &item : v.list)
      j.items.push_back(attrJson(item));
    return j;
  }
  }
  return atom("null");
}

JOut exprJson(const Expr &e) {
  if (e.kind == Expr::Kind::Ref)
    return str(e.name);
  JOut j = object();
  j.members.emplace_back("call", str(e.name));
  if (!e.args.empty()) {
    JOut args = array();
    for (const Expr &a : e.args)
      args.items.push_back(exprJson(a));
    j.members.emplace_back("args", std::move(args));
  }
  if (!e.keywords.empty()) {
    JOut attrs = object();
    for (const KeywordArg &k : e.keywords)
      attrs.members.emplace_back(k.name, attrJson(k.value));
    j.members.emplace_back("attrs", std::move(attrs));
  }
  if (!e.instance.empty())
    j.members.emplace_back("as", str(e.instance));
  return j;
}

JOut stmtsJson(const std::vector<Stmt> &body) {
  JOut j = array();
  for (const Stmt &s : body) {
    JOut st = object();
    st.members.emplace_back("let", strings(s.results));
    if (s.repeat)
      st.members.emplace_back("repeat", intExprJson(*s.repeat));
    st.members.emplace_back("value", exprJson(s.value));
    j.items.push_back(std::move(st));
  }
  return j;
}

JOut paramsJson(const std::vector<Param> &params) {
  JOut j = object();
  for (const Param &p : params) {
    JOut pj = object();
    pj.members.emplace_back("type", str(typeStr(p.type)));
    pj.members.emplace_back("init", str(initStr(p.init)));
    j.members.emplace_back(p.name, std::move(pj));
  }
  return j;
}

/// One line: `{"a": 1, "b": [2, 3]}`.
void printFlat(const JOut &j, std::string &os) {
  switch (j.kind) {
  case JOut::Kind::Atom:
    os += j.atom;
    return;
  case JOut::Kind::Array:
    os += '[';
    for (size_t i = 0; i < j.items.size(); ++i) {
      if (i)
        os += ", ";
      printFlat(j.items[i], os);
    }
    os += ']';
    return;
  case JOut::Kind::Object:
    os += '{';
    for (size_t i = 0; i < j.members.size(); ++i) {
      if (i)
        os += ", ";
      os += quote(j.members[i].first) + ": ";
      printFlat(j.members[i].second, os);
    }
    os += '}';
    return;
  }
}

/// Lines stay within this width where a value allows it (docs/dsl.md's
/// example is laid out the same way).
constexpr size_t kWidth = 100;

/// Prints `j` on the rest of a line that already holds `used` characters:
/// flat if it fits, else one member or item per line, 2 spaces deeper.
void printPretty(const JOut &j, size_t indent, size_t used, bool forceBreak,
                 std::string &os) {
  std::string flat;
  printFlat(j, flat);
  bool atomic =
      j.kind == JOut::Kind::Atom || (j.items.empty() && j.members.empty());
  // One column is kept for the ',' that may follow.
  if (atomic || (!forceBreak && used + flat.size() + 1 <= kWidth)) {
    os += flat;
    return;
  }
  std::string pad(indent + 2, ' ');
  bool isObject = j.kind == JOut::Kind::Object;
  os += isObject ? "{\n" : "[\n";
  size_t n = isObject ? j.members.size() : j.items.size();
  for (size_t i = 0; i < n; ++i) {
    os += pad;
    if (isObject) {
      std::string key = quote(j.members[i].first) + ": ";
      os += key;
      printPretty(j.members[i].second, indent + 2, pad.size() + key.size(),
                  false, os);
    } else {
      printPretty(j.items[i], indent + 2, pad.size(), false, os);
    }
    os += i + 1 < n ? ",\n" : "\n";
  }
  os += std::string(indent, ' ') + (isObject ? "}" : "]");
}

} // namespace

std::string printIntExpr(const IntExpr &e) {
  std::string os;
  printIntExprTo(e, os);
  return os;
}

std::string printText(const Model &m) {
  std::string os = "model " + m.name + "\n";
  if (m.tokenizer)
    os += "tokenizer " + m.tokenizer->value + "\n";
  if (!m.config.empty()) {
    os += "\nconfig {\n";
    for (const ConfigEntry &c : m.config)
      os += "  " + c.name + " = " + printIntExpr(c.value) + "\n";
    os += "}\n";
  }
  if (!m.dims.empty()) {
    std::vector<std::string> names;
    for (const Dim &d : m.dims)
      names.push_back(d.name);
    os += "\ndims " + join(names) + "\n";
  }
  if (!m.inputs.empty()) {
    os += '\n';
    for (const Input &in : m.inputs)
      os += "input " + in.name + ": " + typeStr(in.type) + "\n";
  }
  if (!m.params.empty() || !m.ties.empty()) {
    os += '\n';
    for (const Param &p : m.params)
      printParam(p, "", os);
    for (const Tie &t : m.ties)
      os += "tie " + t.name + " = " + t.target + "\n";
  }
  for (const Block &b : m.blocks) {
    os += "\nblock " + b.name + "(" + join(b.args) + ") {\n";
    for (const Param &p : b.params)
      printParam(p, "  ", os);
    for (const Stmt &s : b.body)
      printStmt(s, "  ", os);
    os += "  return " + join(b.returns) + "\n}\n";
  }
  if (!m.body.empty()) {
    os += '\n';
    for (const Stmt &s : m.body)
      printStmt(s, "", os);
  }
  if (!m.outputs.empty() || m.loss) {
    os += '\n';
    for (const Output &o : m.outputs) {
      os += "output " + o.name;
      if (o.value != o.name)
        os += " = " + o.value;
      os += '\n';
    }
    if (m.loss)
      os += "loss = " + m.loss->value + "\n";
  }
  for (const CheckpointMap &c : m.checkpoints) {
    os += "\ncheckpoint " + c.name + " {\n";
    for (const CheckpointRule &r : c.rules) {
      if (r.ignore || r.strip)
        os += std::string("  ") + (r.ignore ? "ignore" : "strip") + " \"" +
              r.from + "\"\n";
      else
        os += "  \"" + r.from + "\" -> \"" + r.to + "\"" +
              (r.transpose ? " transpose" : "") + "\n";
    }
    os += "}\n";
  }
  return os;
}

std::string printJson(const Model &m) {
  JOut root = object();
  root.members.emplace_back("model", str(m.name));
  if (m.tokenizer)
    root.members.emplace_back("tokenizer", str(m.tokenizer->value));
  if (!m.config.empty()) {
    JOut c = object();
    for (const ConfigEntry &e : m.config)
      c.members.emplace_back(e.name, intExprJson(e.value));
    root.members.emplace_back("config", std::move(c));
  }
  if (!m.dims.empty()) {
    JOut d = array();
    for (const Dim &dim : m.dims)
      d.items.push_back(str(dim.name));
    root.members.emplace_back("dims", std::move(d));
  }
  if (!m.inputs.empty()) {
    JOut in = object();
    for (const Input &i : m.inputs)
      in.members.emplace_back(i.name, str(typeStr(i.type)));
    root.members.emplace_back("inputs", std::move(in));
  }
  if (!m.params.empty())
    root.members.emplace_back("params", paramsJson(m.params));
  if (!m.ties.empty()) {
    JOut t = object();
    for (const Tie &tie : m.ties)
      t.members.emplace_back(tie.name, str(tie.target));
    root.members.emplace_back("ties", std::move(t));
  }
  if (!m.blocks.empty()) {
    JOut bs = object();
    for (const Block &b : m.blocks) {
      JOut bj = object();
      bj.members.emplace_back("args", strings(b.args));
      if (!b.params.empty())
        bj.members.emplace_back("params", paramsJson(b.params));
      bj.members.emplace_back("body", stmtsJson(b.body));
      bj.members.emplace_back("return", strings(b.returns));
      bs.members.emplace_back(b.name, std::move(bj));
    }
    root.members.emplace_back("blocks", std::move(bs));
  }
  if (!m.body.empty())
    root.members.emplace_back("body", stmtsJson(m.body));
  if (!m.outputs.empty()) {
    JOut o = object();
    for (const Output &out : m.outputs)
      o.members.emplace_back(out.name, str(out.value));
    root.members.emplace_back("outputs", std::move(o));
  }
  if (m.loss)
    root.members.emplace_back("loss", str(m.loss->value));
  if (!m.checkpoints.empty()) {
    JOut cs = object();
    for (const CheckpointMap &c : m.checkpoints) {
      JOut rules = array();
      for (const CheckpointRule &r : c.rules) {
        JOut rj = object();
        if (r.ignore || r.strip) {
          rj.members.emplace_back(r.ignore ? "ignore" : "strip", str(r.from));
        } else {
          rj.members.emplace_back("from", str(r.from));
          rj.members.emplace_back("to", str(r.to));
          if (r.transpose)
            rj.members.emplace_back("transpose", atom("true"));
        }
        rules.items.push_back(std::move(rj));
      }
      cs.members.emplace_back(c.name, std::move(rules));
    }
    root.members.emplace_back("checkpoints", std::move(cs));
  }
  std::string os;
  printPretty(root, 0, 0, /*forceBreak=*/true, os);
  return os + "\n";
}

} // namespace loom::spec
