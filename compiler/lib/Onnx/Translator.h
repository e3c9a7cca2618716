//===- Translator.h - ONNX nodes to loom op calls (internal) --------------===//
//
// The translator's state, shared by Translate.cpp (values, constants, the
// walk over the graph) and TranslateOps.cpp (one case per ONNX op).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_ONNX_TRANSLATOR_H
#define LOOM_ONNX_TRANSLATOR_H

#include "loom/Onnx/OnnxImport.h"
#include "OnnxUtil.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace loom::onnx::detail {

/// Keyword arguments of a call: `axis=2`, `shape=[2, -1]`, `epsilon=1e-05`,
/// `approximate=tanh`, `causal=true`.
spec::KeywordArg kwInt(const std::string &name, int64_t v);
spec::KeywordArg kwInts(const std::string &name, const std::vector<int64_t> &v);
spec::KeywordArg kwFloat(const std::string &name, double v);
spec::KeywordArg kwWord(const std::string &name, const std::string &word);
spec::KeywordArg kwTrue(const std::string &name);
/// `[A-Za-z0-9_]` kept, anything else `_`.
std::string sanitize(const std::string &s);
/// A loom name: dotted parts of `[A-Za-z0-9_]`, the first starting with a
/// letter or `_`.
bool isLoomName(const std::string &s);
/// `/h.0/attn/MatMul_1` -> {"h.0", "attn", "MatMul_1"}.
std::vector<std::string> nodePath(const std::string &name);
std::vector<std::string> splitDots(const std::string &s);
std::string lower(std::string s);

/// An ONNX value while translating.
struct Val {
  bool isConst = false;
  Const c;                                    // isConst (unless weight)
  const ::onnx::TensorProto *weight = nullptr; // a lazily decoded weight
  int id = -1;                                // program value
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

class Translator {
public:
  Translator(const ::onnx::ModelProto &model, std::string file,
             const ImportOptions &options)
      : model(model), file(std::move(file)), options(options) {}

  bool run(Program &p);
  std::string errors;

private:
  const ::onnx::ModelProto &model;
  std::string file;
  const ImportOptions &options;
  Program *p = nullptr;
  std::map<std::string, Val> vals;
  std::map<std::string, int> materialized; // ONNX value -> program value
  std::set<std::string> paramNames;
  std::map<std::string, int> uses; // ONNX value -> number of node inputs
  const ::onnx::NodeProto *node = nullptr;
  std::string nodeName;

  bool fail(const std::string &message) {
    errors += file + ": node '" + nodeName + "' (" + node->op_type() +
              "): error: " + message + "\n";
    return false;
  }
  bool failFile(const std::string &message) {
    errors += file + ": error: " + message + "\n";
    return false;
  }

  bool translate(const ::onnx::NodeProto &n);
  bool translateOp(const ::onnx::NodeProto &n, std::vector<const Val *> &in);

  std::vector<std::string> scope() const {
    std::vector<std::string> s = nodePath(nodeName);
    if (!s.empty())
      s.pop_back();
    return s;
  }
  std::string hint() const {
    std::vector<std::string> s = nodePath(nodeName);
    return sanitize(lower(s.empty() ? node->op_type() : s.back()));
  }

  /// Adds `op(args, attrs)` with one result of the given type.
  int emit(const std::string &op, std::vector<Arg> args,
           std::vector<spec::KeywordArg> attrs, DType dt,
           std::vector<int64_t> shape) {
    PStmt s;
    s.op = op;
    s.args = std::move(args);
    s.attrs = std::move(attrs);
    s.scope = scope();
    int v = p->newValue(dt, std::move(shape), hint());
    p->values[v].def = static_cast<int>(p->stmts.size());
    s.results = {v};
    p->stmts.push_back(std::move(s));
    return v;
  }
  Arg arg(int v) const {
    Arg a;
    a.value = v;
    a.dtype = p->values[v].dtype;
    return a;
  }
  Arg scalar(double v, DType dt) const {
    Arg a;
    a.scalar = v;
    a.dtype = dt;
    return a;
  }
  const std::vector<int64_t> &shapeOf(int v) const { return p->values[v].shape; }

  int reshape(int v, const std::vector<int64_t> &shape) {
    if (shapeOf(v) == shape)
      return v;
    return emit("reshape", {arg(v)}, {kwInts("shape", shape)},
                p->values[v].dtype, shape);
  }

  /// A parameter name for a constant read by the current node as `role`.
  std::string paramName(const std::string &onnxName, const std::string &role) {
    std::string name = onnxName;
    if (!isLoomName(name) || paramNames.count(name)) {
      std::vector<std::string> path = nodePath(nodeName);
      name.clear();
      for (const std::string &part : path) // `layer.0` keeps its dot
        for (const std::string &sub : splitDots(part))
          name += (name.empty() ? "" : ".") + sanitize(sub);
      if (name.empty())
        name = sanitize(node->op_type());
      if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
        name = "_" + name;
      name += "." + role;
      std::string base = name;
      for (int i = 2; paramNames.count(name); ++i)
        name = base + "_" + std::to_string(i);
    }
    paramNames.insert(name);
    return name;
  }

  /// The tensor value of input `i` (constants become parameters, or
  /// `positions` for 0..n-1 index vectors).
  std::optional<int> tensor(size_t i, const std::string &role);
  /// Input `i` as a call argument: small constants inline as scalars.
  std::optional<Arg> operand(size_t i, const std::string &role,
                             size_t otherRank);
  /// Input `i`'s constant integers (shape operands).
  std::optional<std::vector<int64_t>> constInts(size_t i);

  void define(size_t output, int v) {
    if (output < static_cast<size_t>(node->output_size()) &&
        !node->output(output).empty()) {
      Val val;
      val.id = v;
      val.dtype = p->values[v].dtype;
      val.shape = p->values[v].shape;
      vals[node->output(output)] = val;
    }
  }
  void defineConst(size_t output, Const c) {
    Val val;
    val.isConst = true;
    val.dtype = c.dtype;
    val.shape = c.shape;
    val.c = std::move(c);
    vals[node->output(output)] = std::move(val);
  }

  const Val *input(size_t i) const {
    if (i >= static_cast<size_t>(node->input_size()) || node->input(i).empty())
      return nullptr;
    auto it = vals.find(node->input(i));
    return it == vals.end() ? nullptr : &it->second;
  }

  int64_t axisOf(int64_t axis, size_t rank) {
    return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
  }

  bool elementwiseBinary(const std::string &op);
  bool unaryOp(const std::string &op);
  bool slice(int v, int64_t axis, int64_t start, int64_t end, size_t out);
};

} // namespace loom::onnx::detail

#endif // LOOM_ONNX_TRANSLATOR_H
