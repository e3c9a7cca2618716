//===- JsonParser.cpp - the JSON syntax, with positions -------------------===//
//
// JsonDom.h reads the text into a DOM with positions; this file turns that
// DOM into a spec::Model following docs/dsl.md ("JSON syntax"). The embedded
// sub-languages (types, inits, integer expressions) go through the text
// parser's fragment entry points, started just inside their string's quote so
// that errors point into the string.
//
//===----------------------------------------------------------------------===//
#include "Fragments.h"
#include "JsonDom.h"
#include "loom/Spec/Spec.h"

#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace loom::spec {
namespace {

using jsondom::JMember;
using jsondom::JValue;
using jsondom::shown;

//===----------------------------------------------------------------------===//
// DOM -> Model
//===----------------------------------------------------------------------===//

/// Converts the DOM; stops at the first error, like the text parser.
class Converter {
public:
  Converter(const std::string &file, Diagnostics &diags)
      : file(file), diags(diags) {}

  bool model(const JValue &root, Model &m);

private:
  bool error(Pos pos, std::string message) {
    diags.error(file, pos, std::move(message));
    return false;
  }
  /// Where an embedded fragment starts: just inside the opening quote.
  static Pos inside(Pos p) { return {p.line, p.col + 1}; }

  bool checkKeys(const JValue &obj, std::initializer_list<const char *> allowed,
                 const std::string &where);
  const JValue *member(const JValue &obj, const char *key) const;
  bool name(const JValue &v, const std::string &what, std::string &out);
  bool keyName(const JMember &mem, std::string &out);
  bool checkpoints(const JValue &v, std::vector<CheckpointMap> &out);
  bool nameList(const JValue &v, const std::string &what,
                std::vector<std::string> &out);
  bool intExpr(const JValue &v, const std::string &what, IntExpr &out);
  bool type(const JValue &v, const std::string &what, TensorType &out);
  bool params(const JValue &v, const std::string &what,
              std::vector<Param> &out);
  bool stmts(const JValue &v, const std::string &what, std::vector<Stmt> &out);
  bool stmt(const JValue &v, Stmt &out);
  bool expr(const JValue &v, Expr &out);
  bool attr(const JValue &v, AttrValue &out);
  bool block(const JMember &mem, Block &out);

  const std::string &file;
  Diagnostics &diags;
};

bool Converter::checkKeys(const JValue &obj,
                          std::initializer_list<const char *> allowed,
                          const std::string &where) {
  for (const JMember &mem : obj.members) {
    bool known = false;
    for (const char *a : allowed)
      known |= mem.key == a;
    if (known)
      continue;
    std::string list;
    for (const char *a : allowed)
      list += std::string(list.empty() ? "" : ", ") + "'" + a + "'";
    return error(mem.keyPos, "unknown key " + shown(mem.key) + " in " + where +
                                 "; expected one of " + list);
  }
  return true;
}

const JValue *Converter::member(const JValue &obj, const char *key) const {
  for (const JMember &mem : obj.members)
    if (mem.key == key)
      return &mem.value;
  return nullptr;
}

bool Converter::name(const JValue &v, const std::string &what,
                     std::string &out) {
  if (!v.isString())
    return error(v.pos, what + " must be a string");
  if (!isValidName(v.str))
    return error(inside(v.pos), "invalid name " + shown(v.str));
  out = v.str;
  return true;
}

/// A member's key that names something (a parameter, an input, ...).
bool Converter::keyName(const JMember &mem, std::string &out) {
  if (!isValidName(mem.key))
    return error(inside(mem.keyPos), "invalid name " + shown(mem.key));
  out = mem.key;
  return true;
}

/// An array of names, or one name as a plain string.
bool Converter::nameList(const JValue &v, const std::string &what,
                         std::vector<std::string> &out) {
  if (v.isString()) {
    out.emplace_back();
    return name(v, what, out.back());
  }
  if (v.kind != JValue::Kind::Array)
    return error(v.pos, what + " must be an array of strings");
  for (const JValue &item : v.items) {
    if (!item.isString())
      return error(item.pos, what + " must be an array of strings");
    out.emplace_back();
    if (!name(item, what, out.back()))
      return false;
  }
  return true;
}

bool Converter::intExpr(const JValue &v, const std::string &what,
                        IntExpr &out) {
  if (v.kind == JValue::Kind::Int) {
    out = IntExpr();
    out.pos = v.pos;
    if (v.intValue >= 0) {
      out.value = v.intValue;
      return true;
    }
    // The text syntax reads `-5` as the negation of 5; JSON's -5 gives the
    // same tree, so that the two syntaxes convert into each other.
    if (v.intValue == std::numeric_limits<int64_t>::min())
      return error(v.pos, "integer out of range");
    IntExpr literal;
    literal.value = -v.intValue;
    literal.pos = {v.pos.line, v.pos.col + 1};
    out.kind = IntExpr::Kind::Neg;
    out.operands.push_back(std::move(literal));
    return true;
  }
  if (!v.isString())
    return error(v.pos,
                 what + " must be an integer or an integer expression string");
  std::optional<IntExpr> e =
      parseIntExprFragment(v.str, file, inside(v.pos), diags);
  if (!e)
    return false;
  out = std::move(*e);
  return true;
}

bool Converter::type(const JValue &v, const std::string &what,
                     TensorType &out) {
  if (!v.isString())
    return error(v.pos, what + " must be a type string such as \"f32[B, T]\"");
  std::optional<TensorType> t =
      parseTypeFragment(v.str, file, inside(v.pos), diags);
  if (!t)
    return false;
  out = std::move(*t);
  return true;
}

bool Converter::params(const JValue &v, const std::string &what,
                       std::vector<Param> &out) {
  if (v.kind != JValue::Kind::Object)
    return error(v.pos, what + " must be an object of parameters");
  for (const JMember &mem : v.members) {
    Param p;
    p.pos = mem.keyPos;
    if (!keyName(mem, p.name))
      return false;
    const JValue &pv = mem.value;
    std::string where = "parameter '" + mem.key + "'";
    if (pv.kind != JValue::Kind::Object)
      return error(pv.pos, where + " must be an object with \"type\" and "
                                   "\"init\"");
    if (!checkKeys(pv, {"type", "init"}, where))
      return false;
    const JValue *t = member(pv, "type");
    const JValue *i = member(pv, "init");
    if (!t)
      return error(pv.pos, where + " needs a \"type\"");
    if (!i)
      return error(pv.pos, where + " needs an \"init\"");
    if (!type(*t, "the type of " + where, p.type))
      return false;
    if (!i->isString())
      return error(i->pos, "the init of " + where +
                               " must be a string such as \"zeros\"");
    std::optional<Init> init =
        parseInitFragment(i->str, file, inside(i->pos), diags);
    if (!init)
      return false;
    p.init = std::move(*init);
    out.push_back(std::move(p));
  }
  return true;
}

bool Converter::stmts(const JValue &v, const std::string &what,
                      std::vector<Stmt> &out) {
  if (v.kind != JValue::Kind::Array)
    return error(v.pos, what + " must be an array of statements");
  for (const JValue &item : v.items) {
    out.emplace_back();
    if (!stmt(item, out.back()))
      return false;
  }
  return true;
}

bool Converter::stmt(const JValue &v, Stmt &out) {
  if (v.kind != JValue::Kind::Object)
    return error(v.pos, "a statement must be an object "
                        "{\"let\": [...], \"value\": ...}");
  if (!checkKeys(v, {"let", "value", "repeat"}, "a statement"))
    return false;
  out.pos = v.pos;
  const JValue *let = member(v, "let");
  const JValue *value = member(v, "value");
  const JValue *repeat = member(v, "repeat");
  if (!let)
    return error(v.pos, "a statement needs \"let\"");
  if (!value)
    return error(v.pos, "a statement needs \"value\"");
  if (!nameList(*let, "'let'", out.results))
    return false;
  if (out.results.empty())
    return error(let->pos, "'let' needs at least one name");
  if (!expr(*value, out.value))
    return false;
  if (repeat) {
    out.repeat.emplace();
    if (!intExpr(*repeat, "'repeat'", *out.repeat))
      return false;
    if (out.value.kind != Expr::Kind::Call)
      return error(value->pos, "a repeated statement's value must be a "
                               "block call");
  }
  return true;
}

bool Converter::expr(const JValue &v, Expr &out) {
  if (v.isString()) {
    out.kind = Expr::Kind::Ref;
    out.pos = v.pos;
    return name(v, "a value", out.name);
  }
  if (v.kind != JValue::Kind::Object)
    return error(v.pos, "an expression must be a value name or an object "
                        "{\"call\": ...}");
  if (!checkKeys(v, {"call", "args", "attrs", "as"}, "a call"))
    return false;
  const JValue *call = member(v, "call");
  if (!call)
    return error(v.pos, "a call needs \"call\"");
  out.kind = Expr::Kind::Call;
  out.pos = call->pos;
  if (!name(*call, "'call'", out.name))
    return false;
  if (const JValue *args = member(v, "args")) {
    if (args->kind != JValue::Kind::Array)
      return error(args->pos, "'args' must be an array of expressions");
    for (const JValue &a : args->items) {
      out.args.emplace_back();
      if (!expr(a, out.args.back()))
        return false;
    }
  }
  if (const JValue *attrs = member(v, "attrs")) {
    if (attrs->kind != JValue::Kind::Object)
      return error(attrs->pos, "'attrs' must be an object");
    for (const JMember &mem : attrs->members) {
      if (!isValidName(mem.key))
        return error(inside(mem.keyPos),
                     "invalid attribute name " + shown(mem.key));
      KeywordArg k;
      k.name = mem.key;
      k.pos = mem.keyPos;
      if (!attr(mem.value, k.value))
        return false;
      out.keywords.push_back(std::move(k));
    }
  }
  if (const JValue *as = member(v, "as"))
    if (!name(*as, "'as'", out.instance))
      return false;
  return true;
}

bool Converter::attr(const JValue &v, AttrValue &out) {
  out.pos = v.pos;
  switch (v.kind) {
  case JValue::Kind::Int:
  case JValue::Kind::String:
    out.kind = AttrValue::Kind::Int;
    if (!intExpr(v, "an attribute", out.intValue))
      return false;
    // The text syntax reads a bare true/false as a boolean, never a name.
    if (out.intValue.kind == IntExpr::Kind::Name &&
        (out.intValue.name == "true" || out.intValue.name == "false"))
      return error(v.pos, "a boolean attribute is written " +
                              out.intValue.name + ", without quotes");
    return true;
  case JValue::Kind::Float:
    out.kind = AttrValue::Kind::Float;
    out.floatValue = v.floatValue;
    return true;
  case JValue::Kind::Bool:
    out.kind = AttrValue::Kind::Bool;
    out.boolValue = v.boolValue;
    return true;
  case JValue::Kind::Array:
    out.kind = AttrValue::Kind::List;
    for (const JValue &item : v.items) {
      out.list.emplace_back();
      if (!attr(item, out.list.back()))
        return false;
    }
    return true;
  default:
    return error(v.pos, "an attribute must be a number, a boolean, a string "
                        "or an array");
  }
}

bool Converter::block(const JMember &mem, Block &out) {
  out.pos = mem.keyPos;
  if (!keyName(mem, out.name))
    return false;
  const JValue &v = mem.value;
  std::string where = "block '" + mem.key + "'";
  if (v.kind != JValue::Kind::Object)
    return error(v.pos, where + " must be an object");
  if (!checkKeys(v, {"args", "params", "body", "return"}, where))
    return false;
  if (const JValue *args = member(v, "args")) {
    if (args->kind != JValue::Kind::Array)
      return error(args->pos, "'args' must be an array of strings");
    if (!nameList(*args, "'args'", out.args))
      return false;
  }
  if (const JValue *ps = member(v, "params"))
    if (!params(*ps, "'params'", out.params))
      return false;
  if (const JValue *body = member(v, "body"))
    if (!stmts(*body, "'body'", out.body))
      return false;
  const JValue *ret = member(v, "return");
  if (!ret)
    return error(v.pos, where + " needs \"return\"");
  out.returnPos = ret->pos;
  if (!nameList(*ret, "'return'", out.returns))
    return false;
  if (out.returns.empty())
    return error(ret->pos, "'return' needs at least one name");
  return true;
}

// "checkpoints": {"huggingface": [{"from": "transformer.*", "to": "*"},
//   {"from": "a.*", "to": "b.*", "transpose": true}, {"ignore": "*.bias"}]}
bool Converter::checkpoints(const JValue &v, std::vector<CheckpointMap> &out) {
  if (v.kind != JValue::Kind::Object)
    return error(v.pos, "'checkpoints' must be an object of rule arrays");
  for (const JMember &mem : v.members) {
    CheckpointMap map;
    map.pos = mem.keyPos;
    if (!keyName(mem, map.name))
      return false;
    std::string where = "checkpoint map '" + mem.key + "'";
    if (mem.value.kind != JValue::Kind::Array)
      return error(mem.value.pos, where + " must be an array of rules");
    for (const JValue &r : mem.value.items) {
      CheckpointRule rule;
      rule.pos = r.pos;
      if (r.kind != JValue::Kind::Object)
        return error(r.pos, "a rule of " + where +
                                " must be an object: {\"from\": ..., \"to\": ...} "
                                "{\"ignore\": ...} or {\"strip\": ...}");
      if (!checkKeys(r, {"from", "to", "transpose", "ignore", "strip"},
                     "a checkpoint rule"))
        return false;
      const JValue *from = member(r, "from"), *to = member(r, "to"),
                   *transpose = member(r, "transpose"),
                   *ignore = member(r, "ignore"), *strip = member(r, "strip");
      if (ignore || strip) {
        const JValue *one = ignore ? ignore : strip;
        const char *key = ignore ? "ignore" : "strip";
        if (from || to || transpose || (ignore && strip))
          return error(r.pos, std::string(ignore ? "an '" : "a '") + key +
                                  "' rule has no other field");
        if (!one->isString())
          return error(one->pos, std::string("'") + key + "' must be a string");
        rule.ignore = ignore != nullptr;
        rule.strip = strip != nullptr;
        rule.from = one->str;
      } else {
        if (!from || !to)
          return error(r.pos, "a checkpoint rule needs \"from\" and \"to\" (or \"ignore\")");
        if (!from->isString())
          return error(from->pos, "'from' must be a string");
        if (!to->isString())
          return error(to->pos, "'to' must be a string");
        rule.from = from->str;
        rule.to = to->str;
        if (transpose) {
          if (transpose->kind != JValue::Kind::Bool)
            return error(transpose->pos, "'transpose' must be true or false");
          rule.transpose = transpose->boolValue;
        }
      }
      if (std::string why = checkRulePatterns(rule); !why.empty())
        return error(rule.pos, why);
      map.rules.push_back(std::move(rule));
    }
    out.push_back(std::move(map));
  }
  return true;
}

bool Converter::model(const JValue &root, Model &m) {
  if (root.kind != JValue::Kind::Object)
    return error(root.pos, "a model must be a JSON object");
  if (!checkKeys(root,
                 {"model", "config", "dims", "inputs", "params", "ties",
                  "blocks", "body", "outputs", "loss", "tokenizer",
                  "checkpoints"},
                 "the model"))
    return false;
  bool named = false;
  for (const JMember &mem : root.members) {
    const JValue &v = mem.value;
    const std::string &key = mem.key;
    if (key == "model") {
      named = true;
      m.pos = mem.keyPos;
      if (!name(v, "'model'", m.name))
        return false;
    } else if (key == "config") {
      if (v.kind != JValue::Kind::Object)
        return error(v.pos, "'config' must be an object of integers and "
                            "expression strings");
      for (const JMember &c : v.members) {
        ConfigEntry e;
        e.pos = c.keyPos;
        if (!keyName(c, e.name))
          return false;
        if (!intExpr(c.value, "config value '" + c.key + "'", e.value))
          return false;
        m.config.push_back(std::move(e));
      }
    } else if (key == "dims") {
      if (v.kind != JValue::Kind::Array)
        return error(v.pos, "'dims' must be an array of strings");
      for (const JValue &d : v.items) {
        if (!d.isString())
          return error(d.pos, "'dims' must be an array of strings");
        Dim dim;
        dim.pos = d.pos;
        if (!name(d, "'dims'", dim.name))
          return false;
        m.dims.push_back(std::move(dim));
      }
    } else if (key == "inputs") {
      if (v.kind != JValue::Kind::Object)
        return error(v.pos, "'inputs' must be an object of type strings");
      for (const JMember &i : v.members) {
        Input in;
        in.pos = i.keyPos;
        if (!keyName(i, in.name))
          return false;
        if (!type(i.value, "input '" + i.key + "'", in.type))
          return false;
        m.inputs.push_back(std::move(in));
      }
    } else if (key == "params") {
      if (!params(v, "'params'", m.params))
        return false;
    } else if (key == "ties") {
      if (v.kind != JValue::Kind::Object)
        return error(v.pos, "'ties' must be an object of strings");
      for (const JMember &t : v.members) {
        Tie tie;
        tie.pos = t.keyPos;
        if (!keyName(t, tie.name))
          return false;
        if (!name(t.value, "tie '" + t.key + "'", tie.target))
          return false;
        m.ties.push_back(std::move(tie));
      }
    } else if (key == "blocks") {
      if (v.kind != JValue::Kind::Object)
        return error(v.pos, "'blocks' must be an object of blocks");
      for (const JMember &b : v.members) {
        m.blocks.emplace_back();
        if (!block(b, m.blocks.back()))
          return false;
      }
    } else if (key == "body") {
      if (!stmts(v, "'body'", m.body))
        return false;
    } else if (key == "outputs") {
      if (v.kind != JValue::Kind::Object)
        return error(v.pos, "'outputs' must be an object of strings");
      for (const JMember &o : v.members) {
        Output out;
        out.pos = o.keyPos;
        if (!keyName(o, out.name))
          return false;
        if (!name(o.value, "output '" + o.key + "'", out.value))
          return false;
        m.outputs.push_back(std::move(out));
      }
    } else if (key == "tokenizer") {
      Output t;
      t.pos = v.pos;
      t.name = "tokenizer";
      if (!name(v, "'tokenizer'", t.value))
        return false;
      m.tokenizer = std::move(t);
    } else if (key == "checkpoints") {
      if (!checkpoints(v, m.checkpoints))
        return false;
    } else if (key == "loss") {
      Output loss;
      loss.pos = mem.keyPos;
      loss.name = "loss";
      if (!name(v, "'loss'", loss.value))
        return false;
      m.loss = std::move(loss);
    }
  }
  if (!named)
    return error(root.pos, "the model needs a \"model\" name");
  return true;
}

} // namespace

std::optional<Model> parseJson(const std::string &text, const std::string &file,
                               Diagnostics &diags) {
  std::optional<JValue> root = jsondom::parseDom(text, file, diags);
  if (!root)
    return std::nullopt;
  Model m;
  m.file = file;
  if (!Converter(file, diags).model(*root, m))
    return std::nullopt;
  return m;
}

} // namespace loom::spec
