//===- TranslateOps.cpp - one case per ONNX op ----------------------------===//
//
// A node whose inputs are not all constant becomes loom calls here; the
// table in docs/onnx.md lists the mapping. Every mapping is exact (no loom
// op was added): Expand is a concatenation of copies, Conv a patch
// embedding, a constant Gather index a slice.
//
//===----------------------------------------------------------------------===//
#include "Translator.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

using namespace loom::onnx;
using namespace loom::onnx::detail;
namespace spec = loom::spec;

bool Translator::unaryOp(const std::string &op) {
  auto x = tensor(0, "input");
  if (!x)
    return false;
  define(0, emit(op, {arg(*x)}, {}, p->values[*x].dtype, shapeOf(*x)));
  return true;
}

bool Translator::translateOp(const ::onnx::NodeProto &n,
                             std::vector<const Val *> &in) {
  const std::string &op = n.op_type();
  auto need = [&](size_t k) {
    if (in.size() < k || std::any_of(in.begin(), in.begin() + k,
                                     [](const Val *v) { return !v; }))
      return fail("expects " + std::to_string(k) + " inputs");
    return true;
  };
  static const std::map<std::string, std::string> binary = {
      {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"},
      {"Pow", "pow"}, {"Max", "maximum"}, {"Equal", "compare"},
      {"Less", "compare"}, {"LessOrEqual", "compare"}, {"Greater", "compare"},
      {"GreaterOrEqual", "compare"}};
  static const std::map<std::string, std::string> unary = {
      {"Sqrt", "sqrt"}, {"Erf", "erf"}, {"Tanh", "tanh"}, {"Exp", "exp"},
      {"Log", "log"}, {"Neg", "neg"}, {"Relu", "relu"}, {"Sigmoid", "sigmoid"}};
  if (auto it = binary.find(op); it != binary.end()) {
    if (!need(2))
      return false;
    return elementwiseBinary(it->second);
  }
  if (auto it = unary.find(op); it != unary.end()) {
    if (!need(1))
      return false;
    return unaryOp(it->second);
  }
  if (op == "Identity" || op == "Dropout") {
    if (!need(1))
      return false;
    if (op == "Dropout" && n.output_size() > 1 && !n.output(1).empty() &&
        uses[n.output(1)] > 0)
      return fail("the dropout mask output is not supported");
    auto x = tensor(0, "input");
    if (!x)
      return false;
    define(0, *x);
    return true;
  }
  if (op == "Reciprocal") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    DType dt = p->values[*x].dtype;
    define(0, emit("div", {scalar(1, dt), arg(*x)}, {}, dt, shapeOf(*x)));
    return true;
  }
  if (op == "Gelu") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    std::string approx = attrString(n, "approximate", "none");
    define(0, emit("gelu", {arg(*x)},
                   {kwWord("approximate", approx == "tanh" ? "tanh" : "erf")},
                   p->values[*x].dtype, shapeOf(*x)));
    return true;
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    int64_t axis = attrInt(n, "axis", -1);
    define(0, emit(op == "Softmax" ? "softmax" : "log_softmax", {arg(*x)},
                   {kwInt("axis", axis)}, p->values[*x].dtype, shapeOf(*x)));
    return true;
  }
  if (op == "LayerNormalization") {
    if (!need(2))
      return false;
    for (int o = 1; o < n.output_size(); ++o)
      if (!n.output(o).empty() && uses[n.output(o)] > 0)
        return fail("only the normalized output is supported (output " +
                    std::to_string(o) + " is used)");
    auto x = tensor(0, "input");
    if (!x)
      return false;
    size_t rank = shapeOf(*x).size();
    if (axisOf(attrInt(n, "axis", -1), rank) != int64_t(rank) - 1)
      return fail("normalizes over more than the last axis (axis = " +
                  std::to_string(attrInt(n, "axis", -1)) + ")");
    auto g = tensor(1, "weight");
    if (!g)
      return false;
    std::vector<Arg> args = {arg(*x), arg(*g)};
    if (input(2)) {
      auto b = tensor(2, "bias");
      if (!b)
        return false;
      args.push_back(arg(*b));
    }
    define(0, emit("layer_norm", args,
                   {kwFloat("epsilon", attrFloat(n, "epsilon", 1e-5f))},
                   p->values[*x].dtype, shapeOf(*x)));
    return true;
  }
  if (op == "MatMul" || op == "Gemm") {
    if (!need(2))
      return false;
    const auto &as = in[0]->shape, &bs = in[1]->shape;
    if (as.size() < 2 || bs.size() < 2)
      return fail("rank-1 operands are not supported");
    bool transB = op == "Gemm" && attrInt(n, "transB", 0);
    if (op == "Gemm" && (attrInt(n, "transA", 0) || attrFloat(n, "alpha", 1) != 1 ||
                         attrFloat(n, "beta", 1) != 1))
      return fail("Gemm with transA, alpha or beta is not supported");
    int64_t k = as.back(), kb = transB ? bs.back() : bs[bs.size() - 2];
    if (k != kb)
      return fail("contraction dims differ (" + std::to_string(k) + " and " +
                  std::to_string(kb) + ")");
    auto a = tensor(0, "input");
    auto b = tensor(1, "weight");
    if (!a || !b)
      return false;
    if (bs.size() == 2) {
      std::vector<int64_t> shape = as;
      shape.back() = transB ? bs[0] : bs[1];
      std::vector<Arg> args = {arg(*a), arg(*b)};
      if (op == "Gemm" && input(2)) {
        if (input(2)->shape != std::vector<int64_t>{shape.back()})
          return fail("Gemm's C must be a vector of the output width");
        auto c = tensor(2, "bias");
        if (!c)
          return false;
        args.push_back(arg(*c));
      }
      std::vector<spec::KeywordArg> attrs;
      if (transB)
        attrs.push_back(kwTrue("transpose_weight"));
      define(0, emit("linear", args, attrs, p->values[*a].dtype, shape));
      return true;
    }
    std::vector<int64_t> batchA(as.begin(), as.end() - 2),
        batchB(bs.begin(), bs.end() - 2), shape;
    if (!broadcastShapes(batchA, batchB, shape))
      return fail("batch dims do not broadcast");
    shape.push_back(as[as.size() - 2]);
    shape.push_back(bs.back());
    define(0, emit("batch_matmul", {arg(*a), arg(*b)}, {}, p->values[*a].dtype,
                   shape));
    return true;
  }
  if (op == "Where") {
    if (!need(3))
      return false;
    std::vector<int64_t> s1, shape;
    if (!broadcastShapes(in[0]->shape, in[1]->shape, s1) ||
        !broadcastShapes(s1, in[2]->shape, shape))
      return fail("operand shapes do not broadcast");
    auto c = tensor(0, "condition");
    auto x = operand(1, "on_true", shape.size());
    auto y = operand(2, "on_false", shape.size());
    if (!c || !x || !y)
      return false;
    if (x->isScalar() && y->isScalar())
      return fail("both branches constant is not supported");
    DType dt = x->isScalar() ? y->dtype : x->dtype;
    // -inf/inf as the largest finite f32: the spec's number syntax has no
    // infinities, and exp(-FLT_MAX - m) is 0 all the same.
    for (Arg *s : {&*x, &*y})
      if (s->isScalar()) {
        s->dtype = dt;
        if (std::isinf(s->scalar))
          s->scalar = s->scalar < 0 ? -FLT_MAX : FLT_MAX;
      }
    define(0, emit("select", {arg(*c), *x, *y}, {}, dt, shape));
    return true;
  }
  if (op == "Cast") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    auto dt = fromOnnxType(static_cast<int32_t>(attrInt(n, "to", 1)));
    if (!dt || *dt == DType::F64)
      return fail("casts to an unsupported type");
    if (*dt == p->values[*x].dtype)
      define(0, *x);
    else
      define(0, emit("cast", {arg(*x)}, {kwWord("dtype", dtypeName(*dt))}, *dt,
                     shapeOf(*x)));
    return true;
  }
  if (op == "Reshape" || op == "Unsqueeze" || op == "Squeeze" ||
      op == "Flatten") {
    if (!need(1))
      return false;
    // The folder computes the shape: run it on a data-less stand-in.
    Const standIn{in[0]->dtype, in[0]->shape, {}};
    std::vector<const Const *> cs = {&standIn};
    for (size_t i = 1; i < in.size(); ++i) {
      if (in[i] && (!in[i]->isConst || in[i]->weight))
        return fail("input " + std::to_string(i) + " ('" + n.input(i) +
                    "') must be a constant for static shapes");
      cs.push_back(in[i] ? &in[i]->c : nullptr);
    }
    std::vector<Const> out;
    std::string error;
    if (!foldNode(n, cs, out, error))
      return fail(error.empty() ? "cannot compute the shape" : error);
    auto x = tensor(0, "input");
    if (!x)
      return false;
    define(0, reshape(*x, out[0].shape));
    return true;
  }
  if (op == "Transpose") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    size_t r = shapeOf(*x).size();
    std::vector<int64_t> perm;
    if (auto pa = attrInts(n, "perm"))
      perm = *pa;
    else
      for (size_t i = 0; i < r; ++i)
        perm.push_back(r - 1 - i);
    if (perm.size() != r)
      return fail("permutation of the wrong rank");
    std::vector<int64_t> shape;
    for (int64_t a : perm)
      shape.push_back(shapeOf(*x).at(a));
    define(0, emit("transpose", {arg(*x)}, {kwInts("permutation", perm)},
                   p->values[*x].dtype, shape));
    return true;
  }
  if (op == "Concat") {
    std::vector<Arg> args;
    std::vector<int64_t> shape;
    int64_t axis = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (!in[i])
        continue;
      axis = axisOf(attrInt(n, "axis", 0), in[i]->shape.size());
      if (in[i]->shape.at(axis) == 0)
        continue; // torch concatenates empty tensors
      auto t = tensor(i, "in" + std::to_string(i));
      if (!t)
        return false;
      if (shape.empty())
        shape = shapeOf(*t);
      else
        shape[axis] += shapeOf(*t)[axis];
      args.push_back(arg(*t));
    }
    if (args.empty())
      return fail("concatenates nothing");
    if (args.size() == 1)
      define(0, args[0].value);
    else
      define(0, emit("concat", args, {kwInt("axis", axis)}, args[0].dtype, shape));
    return true;
  }
  if (op == "Slice") {
    if (!need(3))
      return false;
    auto x = tensor(0, "input");
    auto starts = constInts(1), ends = constInts(2);
    if (!x || !starts || !ends)
      return false;
    std::vector<int64_t> axes, steps;
    if (input(3)) {
      auto a = constInts(3);
      if (!a)
        return false;
      axes = *a;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    if (input(4)) {
      auto s = constInts(4);
      if (!s)
        return false;
      steps = *s;
    }
    int v = *x;
    for (size_t k = 0; k < axes.size() && k < starts->size() && k < ends->size(); ++k) {
      if (k < steps.size() && steps[k] != 1)
        return fail("slices with step " + std::to_string(steps[k]) +
                    " (only step 1 is supported)");
      int64_t a = axisOf(axes[k], shapeOf(v).size()), dim = shapeOf(v).at(a);
      int64_t s = (*starts)[k], e = (*ends)[k];
      s = std::clamp<int64_t>(s < 0 ? s + dim : s, 0, dim);
      e = std::clamp<int64_t>(e < 0 ? e + dim : e, 0, dim);
      if (e <= s)
        return fail("takes an empty slice");
      slice(v, a, s, e, 0);
      v = vals[n.output(0)].id;
    }
    define(0, v);
    return true;
  }
  if (op == "Split") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    int64_t axis = axisOf(attrInt(n, "axis", 0), shapeOf(*x).size());
    int64_t dim = shapeOf(*x).at(axis);
    std::vector<int64_t> sizes;
    if (input(1)) {
      auto s = constInts(1);
      if (!s)
        return false;
      sizes = *s;
    } else if (auto s = attrInts(n, "split")) {
      sizes = *s;
    } else {
      int64_t parts = attrInt(n, "num_outputs", n.output_size());
      int64_t chunk = (dim + parts - 1) / parts;
      for (int64_t i = 0; i < parts; ++i)
        sizes.push_back(std::min(chunk, dim - i * chunk));
    }
    int64_t start = 0;
    for (size_t o = 0; o < sizes.size() && o < size_t(n.output_size()); ++o) {
      slice(*x, axis, start, start + sizes[o], o);
      start += sizes[o];
    }
    return true;
  }
  if (op == "Gather") {
    if (!need(2))
      return false;
    int64_t axis = axisOf(attrInt(n, "axis", 0), in[0]->shape.size());
    const Val *idx = in[1];
    if (idx->isConst && !idx->weight && idx->c.shape.size() <= 1) {
      // x[:, i] and x[:, i:j]: slices.
      std::vector<int64_t> ids;
      for (double d : idx->c.data)
        ids.push_back(int64_t(d) < 0 ? int64_t(d) + in[0]->shape.at(axis) : int64_t(d));
      bool contiguous = !ids.empty();
      for (size_t k = 1; k < ids.size(); ++k)
        contiguous &= ids[k] == ids[0] + int64_t(k);
      if (contiguous && (idx->c.shape.empty() || !(axis == 0 && in[0]->weight))) {
        auto x = tensor(0, "input");
        if (!x)
          return false;
        if (ids[0] < 0 || ids.back() >= shapeOf(*x).at(axis))
          return fail("index out of range");
        slice(*x, axis, ids[0], ids.back() + 1, 0);
        int v = vals[n.output(0)].id;
        if (idx->c.shape.empty()) {
          std::vector<int64_t> shape = shapeOf(v);
          shape.erase(shape.begin() + axis);
          v = reshape(v, shape);
        }
        define(0, v);
        return true;
      }
    }
    if (axis != 0 || in[0]->shape.size() != 2)
      return fail("only row lookups (axis 0 of a 2-D table) and constant "
                  "indices are supported");
    auto table = tensor(0, "weight");
    auto ids = tensor(1, "ids");
    if (!table || !ids)
      return false;
    std::vector<int64_t> shape = shapeOf(*ids);
    shape.push_back(shapeOf(*table)[1]);
    define(0, emit("embedding", {arg(*table), arg(*ids)}, {},
                   p->values[*table].dtype, shape));
    return true;
  }
  if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax") {
    auto x = tensor(0, "input");
    if (!x)
      return false;
    std::vector<int64_t> axes;
    if (input(1)) {
      auto a = constInts(1);
      if (!a)
        return false;
      axes = *a;
    } else if (auto a = attrInts(n, "axes")) {
      axes = *a;
    }
    size_t r = shapeOf(*x).size();
    if (axes.empty()) {
      if (attrInt(n, "noop_with_empty_axes", 0)) {
        define(0, *x);
        return true;
      }
      for (size_t i = 0; i < r; ++i)
        axes.push_back(i);
    }
    bool keep = attrInt(n, "keepdims", 1);
    std::vector<int64_t> shape;
    for (size_t i = 0; i < r; ++i) {
      bool reduced = std::any_of(axes.begin(), axes.end(),
                                 [&](int64_t a) { return axisOf(a, r) == int64_t(i); });
      if (!reduced)
        shape.push_back(shapeOf(*x)[i]);
      else if (keep)
        shape.push_back(1);
    }
    std::vector<spec::KeywordArg> attrs = {kwInts("axes", axes)};
    if (keep)
      attrs.push_back(kwTrue("keep_dims"));
    std::string loomOp = op == "ReduceMean" ? "reduce_mean"
                         : op == "ReduceSum" ? "reduce_sum"
                                             : "reduce_max";
    define(0, emit(loomOp, {arg(*x)}, attrs, p->values[*x].dtype, shape));
    return true;
  }
  if (op == "Expand") {
    if (!need(2))
      return false;
    auto target = constInts(1);
    if (!target)
      return false;
    std::vector<int64_t> shape;
    if (!broadcastShapes(in[0]->shape, *target, shape))
      return fail("cannot expand to the target shape");
    auto x = tensor(0, "input");
    if (!x)
      return false;
    // Each stretched axis as a concatenation of copies: exact, no new op.
    std::vector<int64_t> padded(shape.size() - shapeOf(*x).size(), 1);
    padded.insert(padded.end(), shapeOf(*x).begin(), shapeOf(*x).end());
    int v = reshape(*x, padded);
    for (size_t a = 0; a < shape.size(); ++a) {
      if (shapeOf(v)[a] == shape[a])
        continue;
      if (shape[a] > 4096)
        return fail("expands an axis to more than 4096 copies");
      std::vector<Arg> copies(shape[a], arg(v));
      std::vector<int64_t> s = shapeOf(v);
      s[a] = shape[a];
      v = emit("concat", copies, {kwInt("axis", a)}, p->values[v].dtype, s);
    }
    define(0, v);
    return true;
  }
  if (op == "Conv") {
    if (!need(2))
      return false;
    const auto &xs = in[0]->shape, &ws = in[1]->shape;
    auto kernel = attrInts(n, "kernel_shape").value_or(
        ws.size() == 4 ? std::vector<int64_t>{ws[2], ws[3]} : std::vector<int64_t>{});
    auto stridesA = attrInts(n, "strides").value_or(std::vector<int64_t>{1, 1});
    auto pads = attrInts(n, "pads").value_or(std::vector<int64_t>(4, 0));
    auto dil = attrInts(n, "dilations").value_or(std::vector<int64_t>{1, 1});
    bool patch = xs.size() == 4 && ws.size() == 4 && kernel.size() == 2 &&
                 kernel[0] == kernel[1] && stridesA == kernel &&
                 std::all_of(pads.begin(), pads.end(), [](int64_t d) { return d == 0; }) &&
                 dil == std::vector<int64_t>{1, 1} && attrInt(n, "group", 1) == 1 &&
                 xs[2] % kernel[0] == 0 && xs[3] % kernel[0] == 0 &&
                 attrString(n, "auto_pad", "NOTSET") == "NOTSET";
    if (!patch)
      return fail("only patch embeddings (a 2-D convolution with stride equal "
                  "to its square kernel, no padding, dilation or groups) are "
                  "supported");
    int64_t pch = kernel[0];
    auto x = tensor(0, "input");
    auto w = tensor(1, "weight");
    if (!x || !w)
      return false;
    std::vector<Arg> args = {arg(*x), arg(*w)};
    if (input(2)) {
      auto b = tensor(2, "bias");
      if (!b)
        return false;
      args.push_back(arg(*b));
    }
    int64_t gh = xs[2] / pch, gw = xs[3] / pch, d = ws[0];
    int e = emit("patch_embed", args, {kwInt("patch", pch)}, DType::F32,
                 {xs[0], gh * gw, d});
    int t = emit("transpose", {arg(e)}, {kwInts("permutation", {0, 2, 1})},
                 DType::F32, {xs[0], d, gh * gw});
    define(0, reshape(t, {xs[0], d, gh, gw}));
    return true;
  }
  return fail("unsupported ONNX op '" + op + "'");
}
