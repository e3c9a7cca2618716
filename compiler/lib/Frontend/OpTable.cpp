//===- OpTable.cpp - how the DSL calls loom ops ---------------------------===//
#include "OpTable.h"

using namespace loom::frontend;

namespace {
using K = AttrKind;

std::vector<OpSpec> buildTable() {
  std::vector<OpSpec> t;
  auto binary = [&](const char *m) { t.push_back({m, {"lhs", "rhs"}, -1, {}}); };
  auto unary = [&](const char *m) { t.push_back({m, {"input"}, -1, {}}); };
  for (const char *m : {"add", "sub", "mul", "div", "maximum", "pow"})
    binary(m);
  for (const char *m : {"neg", "exp", "log", "sqrt", "rsqrt", "erf", "tanh",
                        "sigmoid", "relu", "silu", "merge_heads"})
    unary(m);
  // A rank-0 constant; the only op without tensor operands.
  t.push_back({"constant", {}, -1,
               {{"value", K::Float, true}, {"dtype", K::DType, false, "", /*dslOnly=*/true}}});
  t.push_back({"compare", {"lhs", "rhs"}, -1,
               {{"predicate", K::Predicate, true}}});
  t.push_back({"select", {"condition", "on_true", "on_false"}, -1, {}});
  t.push_back({"gelu", {"input"}, -1, {{"approximate", K::GeluApprox, true}}});
  t.push_back({"cast", {"input"}, -1, {{"dtype", K::DType, true}}});
  t.push_back({"dropout", {"input", "seed"}, 1,
               {{"rate", K::Float, true},
                {"stream", K::Int, false},
                {"training", K::Unit, false}}});
  t.push_back({"reshape", {"input"}, -1, {{"shape", K::IntList, true}}});
  t.push_back({"transpose", {"input"}, -1,
               {{"permutation", K::IntList, true}}});
  t.push_back({"concat", {"inputs..."}, -1, {{"axis", K::Int, true}}});
  t.push_back({"slice", {"input"}, -1,
               {{"axis", K::Int, true},
                {"start", K::Int, true},
                {"end", K::Int, true}}});
  t.push_back({"update_slice", {"dest", "update", "start"}, -1,
               {{"axis", K::Int, true}}});
  t.push_back({"split_heads", {"input"}, -1, {{"num_heads", K::Int, true}}});
  t.push_back({"positions", {"like"}, -1,
               {{"axis", K::Int, true}, {"offset", K::Int, false}}});
  t.push_back({"causal_mask", {"scores"}, -1, {}});
  t.push_back({"gather", {"input", "indices"}, -1, {}});
  for (const char *m : {"reduce_sum", "reduce_mean", "reduce_max"})
    t.push_back({m, {"input"}, -1,
                 {{"axes", K::IntList, true}, {"keep_dims", K::Unit, false}}});
  t.push_back({"embedding", {"table", "ids"}, -1, {}});
  t.push_back({"index_add", {"input", "ids", "source"}, -1, {}});
  t.push_back({"sinusoidal_encoding", {"positions"}, -1,
               {{"dim", K::Int, true}}});
  t.push_back({"matmul", {"lhs", "rhs"}, -1, {}});
  t.push_back({"batch_matmul", {"lhs", "rhs"}, -1,
               {{"transpose_rhs", K::Unit, false}}});
  t.push_back({"linear", {"input", "weight", "bias"}, 2,
               {{"transpose_weight", K::Unit, false}}});
  t.push_back({"layer_norm", {"input", "gamma", "beta"}, 2,
               {{"epsilon", K::Float, true, "1e-05"}}});
  t.push_back({"rms_norm", {"input", "gamma"}, -1,
               {{"epsilon", K::Float, true, "1e-06"}}});
  t.push_back({"l2_normalize", {"input"}, -1,
               {{"axis", K::Int, true, "-1"},
                {"epsilon", K::Float, true, "1e-12"}}});
  for (const char *m : {"softmax", "log_softmax"})
    t.push_back({m, {"input", "mask"}, 1,
                 {{"axis", K::Int, true, "-1"}, {"causal", K::Unit, false}}});
  t.push_back({"attention", {"query", "key", "value", "mask"}, 3,
               {{"causal", K::Unit, false}, {"scale", K::Float, false}}});
  t.push_back({"patchify", {"input"}, -1, {{"patch", K::Int, true}}});
  t.push_back({"patch_embed", {"input", "weight", "bias"}, 2,
               {{"patch", K::Int, true}}});
  t.push_back({"prepend_token", {"input", "token"}, -1, {}});
  t.push_back({"cross_entropy", {"logits", "targets"}, -1,
               {{"ignore_index", K::Int, false}}});
  t.push_back({"contrastive_loss", {"image", "text", "logit_scale"}, -1, {}});
  return t;
}
} // namespace

const std::vector<OpSpec> &loom::frontend::allOps() {
  static const std::vector<OpSpec> table = buildTable();
  return table;
}

const OpSpec *loom::frontend::lookupOp(const std::string &mnemonic) {
  for (const OpSpec &op : allOps())
    if (mnemonic == op.mnemonic)
      return &op;
  return nullptr;
}

const char *loom::frontend::attrKindName(AttrKind kind) {
  switch (kind) {
  case K::Int:
    return "an integer";
  case K::IntList:
    return "a list of integers";
  case K::Float:
    return "a number";
  case K::Unit:
    return "true or false";
  case K::GeluApprox:
    return "erf or tanh";
  case K::Predicate:
    return "one of eq, ne, lt, le, gt, ge";
  case K::DType:
    return "an element type (f32, f16, bf16, i32, i64, i1)";
  }
  return "?";
}
