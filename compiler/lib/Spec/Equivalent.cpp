//===- Equivalent.cpp - structural equality of two specs -----------------===//
//
// Used by the round-trip tests and fuzzers: the same model read from text and
// from JSON differs only in positions and the file name.
//
//===----------------------------------------------------------------------===//
#include "loom/Spec/Spec.h"
#include "loom/formats/name_pattern.h"

namespace loom::spec {
namespace {

template <typename T, typename Eq>
bool sameList(const std::vector<T> &a, const std::vector<T> &b, Eq eq) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!eq(a[i], b[i]))
      return false;
  return true;
}

bool same(const IntExpr &a, const IntExpr &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case IntExpr::Kind::Literal:
    return a.value == b.value;
  case IntExpr::Kind::Name:
    return a.name == b.name;
  default:
    return sameList(
        a.operands, b.operands,
        [](const IntExpr &x, const IntExpr &y) { return same(x, y); });
  }
}

bool same(const AttrValue &a, const AttrValue &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case AttrValue::Kind::Int:
    return same(a.intValue, b.intValue);
  case AttrValue::Kind::Float:
    // Bitwise-exact apart from the sign of zero, which == ignores too.
    return a.floatValue == b.floatValue;
  case AttrValue::Kind::Bool:
    return a.boolValue == b.boolValue;
  case AttrValue::Kind::List:
    return sameList(a.list, b.list, [](const AttrValue &x, const AttrValue &y) {
      return same(x, y);
    });
  }
  return false;
}

bool same(const KeywordArg &a, const KeywordArg &b) {
  return a.name == b.name && same(a.value, b.value);
}

bool same(const Expr &a, const Expr &b) {
  auto kw = [](const KeywordArg &x, const KeywordArg &y) { return same(x, y); };
  auto ex = [](const Expr &x, const Expr &y) { return same(x, y); };
  return a.kind == b.kind && a.name == b.name && a.instance == b.instance &&
         sameList(a.args, b.args, ex) && sameList(a.keywords, b.keywords, kw);
}

bool same(const Stmt &a, const Stmt &b) {
  if (a.results != b.results || !same(a.value, b.value) ||
      a.repeat.has_value() != b.repeat.has_value())
    return false;
  return !a.repeat || same(*a.repeat, *b.repeat);
}

bool same(const TensorType &a, const TensorType &b) {
  return a.dtype == b.dtype &&
         sameList(a.shape, b.shape, [](const IntExpr &x, const IntExpr &y) {
           return same(x, y);
         });
}

bool same(const Init &a, const Init &b) {
  return a.kind == b.kind &&
         sameList(a.args, b.args, [](const KeywordArg &x, const KeywordArg &y) {
           return same(x, y);
         });
}

bool same(const Param &a, const Param &b) {
  return a.name == b.name && same(a.type, b.type) && same(a.init, b.init);
}

bool same(const Block &a, const Block &b) {
  return a.name == b.name && a.args == b.args && a.returns == b.returns &&
         sameList(a.params, b.params,
                  [](const Param &x, const Param &y) { return same(x, y); }) &&
         sameList(a.body, b.body,
                  [](const Stmt &x, const Stmt &y) { return same(x, y); });
}

bool same(const Output &a, const Output &b) {
  return a.name == b.name && a.value == b.value;
}

} // namespace

bool equivalent(const Model &a, const Model &b) {
  if (a.name != b.name || a.loss.has_value() != b.loss.has_value())
    return false;
  if (a.loss && !same(*a.loss, *b.loss))
    return false;
  if (a.tokenizer.has_value() != b.tokenizer.has_value() ||
      (a.tokenizer && !same(*a.tokenizer, *b.tokenizer)))
    return false;
  return sameList(a.config, b.config,
                  [](const ConfigEntry &x, const ConfigEntry &y) {
                    return x.name == y.name && same(x.value, y.value);
                  }) &&
         sameList(
             a.dims, b.dims,
             [](const Dim &x, const Dim &y) { return x.name == y.name; }) &&
         sameList(a.inputs, b.inputs,
                  [](const Input &x, const Input &y) {
                    return x.name == y.name && same(x.type, y.type);
                  }) &&
         sameList(a.params, b.params,
                  [](const Param &x, const Param &y) { return same(x, y); }) &&
         sameList(a.ties, b.ties,
                  [](const Tie &x, const Tie &y) {
                    return x.name == y.name && x.target == y.target;
                  }) &&
         sameList(a.blocks, b.blocks,
                  [](const Block &x, const Block &y) { return same(x, y); }) &&
         sameList(a.body, b.body,
                  [](const Stmt &x, const Stmt &y) { return same(x, y); }) &&
         sameList(a.outputs, b.outputs,
                  [](const Output &x, const Output &y) { return same(x, y); }) &&
         sameList(a.checkpoints, b.checkpoints,
                  [](const CheckpointMap &x, const CheckpointMap &y) {
                    return x.name == y.name &&
                           sameList(x.rules, y.rules,
                                    [](const CheckpointRule &r,
                                       const CheckpointRule &q) {
                                      return r.from == q.from && r.to == q.to &&
                                             r.transpose == q.transpose &&
                                             r.ignore == q.ignore &&
                                             r.strip == q.strip;
                                    });
                  });
}

std::string overrideConfig(Model &model,
                           const std::vector<std::pair<std::string, int64_t>> &values) {
  for (const auto &[name, value] : values) {
    ConfigEntry *entry = nullptr;
    std::string names;
    for (ConfigEntry &c : model.config) {
      if (c.name == name)
        entry = &c;
      names += (names.empty() ? "" : ", ") + c.name;
    }
    if (!entry)
      return "model '" + model.name + "' has no config entry '" + name + "'" +
             (names.empty() ? " (it has no config)" : " (its config: " + names + ")");
    IntExpr literal;
    literal.value = value;
    literal.pos = entry->value.pos;
    entry->value = literal;
  }
  return "";
}

std::string checkRulePatterns(const CheckpointRule &rule) {
  return formats::checkNamePatterns(rule.from, rule.to, rule.ignore, rule.strip);
}

} // namespace loom::spec
