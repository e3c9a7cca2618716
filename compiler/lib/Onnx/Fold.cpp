//===- Fold.cpp - ONNX attributes, tensors and constant folding -----------===//
//
// PyTorch's exporter computes every reshape target from the input's shape
// at run time (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), builds
// position ids with Range and masks with ConstantOfShape/Expand. With the
// input shapes static all of that is constant: foldNode evaluates it here,
// in double precision rounded to the result type after every op (ONNX
// Runtime computes f32 constants in f32, so the rounding keeps the two
// bit-equal for the scalars that reach the graph).
//
//===----------------------------------------------------------------------===//
#include "OnnxUtil.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

using namespace loom::onnx::detail;

const char *loom::onnx::detail::dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I64: return "i64";
  case DType::I32: return "i32";
  case DType::Bool: return "i1";
  }
  return "?";
}

bool loom::onnx::detail::isFloat(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16 ||
         t == DType::BF16;
}

int64_t loom::onnx::detail::numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const ::onnx::AttributeProto *
loom::onnx::detail::findAttr(const ::onnx::NodeProto &n, const std::string &name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t loom::onnx::detail::attrInt(const ::onnx::NodeProto &n,
                                    const std::string &name, int64_t dflt) {
  const auto *a = findAttr(n, name);
  return a ? a->i() : dflt;
}

float loom::onnx::detail::attrFloat(const ::onnx::NodeProto &n,
                                    const std::string &name, float dflt) {
  const auto *a = findAttr(n, name);
  return a ? a->f() : dflt;
}

std::string loom::onnx::detail::attrString(const ::onnx::NodeProto &n,
                                           const std::string &name,
                                           const std::string &dflt) {
  const auto *a = findAttr(n, name);
  return a ? a->s() : dflt;
}

std::optional<std::vector<int64_t>>
loom::onnx::detail::attrInts(const ::onnx::NodeProto &n, const std::string &name) {
  const auto *a = findAttr(n, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<DType> loom::onnx::detail::fromOnnxType(int32_t type) {
  using T = ::onnx::TensorProto;
  switch (type) {
  case T::FLOAT: return DType::F32;
  case T::DOUBLE: return DType::F64;
  case T::INT64: return DType::I64;
  case T::INT32: return DType::I32;
  case T::BOOL: return DType::Bool;
  default: return std::nullopt;
  }
}

double loom::onnx::detail::roundTo(DType t, double v) {
  switch (t) {
  case DType::F32:
    return static_cast<double>(static_cast<float>(v));
  case DType::I64:
  case DType::I32:
    if (std::isnan(v))
      return 0;
    return std::trunc(std::clamp(v, -9.2e18, 9.2e18));
  case DType::Bool:
    return v != 0 ? 1 : 0;
  default:
    return v;
  }
}

std::string loom::onnx::detail::decodeTensor(const ::onnx::TensorProto &t,
                                             Const &out) {
  auto dt = fromOnnxType(t.data_type());
  if (!dt)
    return "tensor '" + t.name() + "' has an unsupported element type (" +
           std::to_string(t.data_type()) + ")";
  if (t.data_location() == ::onnx::TensorProto::EXTERNAL)
    return "tensor '" + t.name() + "' keeps its data in an external file "
           "(not supported: export without external data)";
  out.dtype = *dt;
  out.shape.clear();
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
      return "tensor '" + t.name() + "' has an invalid shape";
    out.shape.push_back(d);
    n *= d;
  }
  size_t width = *dt == DType::F64 || *dt == DType::I64 ? 8
                 : *dt == DType::Bool                  ? 1
                                                       : 4;
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (raw.size() != static_cast<size_t>(n) * width)
      return "tensor '" + t.name() + "' has " + std::to_string(raw.size()) +
             " bytes of data, its shape needs " + std::to_string(n * width);
    out.data.assign(n, 0.0);
    const char *p = raw.data();
    for (int64_t i = 0; i < n; ++i, p += width) {
      switch (*dt) {
      case DType::F32: { float v; std::memcpy(&v, p, 4); out.data[i] = v; break; }
      case DType::F64: { double v; std::memcpy(&v, p, 8); out.data[i] = v; break; }
      case DType::I64: { int64_t v; std::memcpy(&v, p, 8); out.data[i] = double(v); break; }
      case DType::I32: { int32_t v; std::memcpy(&v, p, 4); out.data[i] = v; break; }
      case DType::Bool: out.data[i] = *p ? 1 : 0; break;
      default: break;
      }
    }
    return "";
  }
  auto fill = [&](const auto &field) -> std::string {
    if (field.size() != n)
      return "tensor '" + t.name() + "' has " + std::to_string(field.size()) +
             " values, its shape needs " + std::to_string(n);
    out.data.assign(n, 0.0);
    for (int64_t i = 0; i < n; ++i)
      out.data[i] = static_cast<double>(field.Get(i));
    return "";
  };
  switch (*dt) {
  case DType::F32: return fill(t.float_data());
  case DType::F64: return fill(t.double_data());
  case DType::I64: return fill(t.int64_data());
  default: return fill(t.int32_data()); // int32 and bool
  }
}

bool loom::onnx::detail::broadcastShapes(const std::vector<int64_t> &a,
                                         const std::vector<int64_t> &b,
                                         std::vector<int64_t> &out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1)
      return false;
    out[i] = x == 1 ? y : x;
  }
  return true;
}

namespace {

/// Row-major strides.
std::vector<int64_t> strides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// The flat index into `in` (broadcast to `out`) of flat index `flat` of out.
int64_t broadcastIndex(int64_t flat, const std::vector<int64_t> &out,
                       const std::vector<int64_t> &in) {
  int64_t idx = 0, stride = 1;
  for (int i = int(out.size()) - 1, j = int(in.size()) - 1; i >= 0; --i, --j) {
    int64_t c = flat % out[i];
    flat /= out[i];
    if (j >= 0) {
      if (in[j] != 1)
        idx += c * stride;
      stride *= in[j];
    }
  }
  return idx;
}

int64_t normAxis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

std::vector<int64_t> ints(const Const &c) {
  std::vector<int64_t> v;
  for (double d : c.data)
    v.push_back(static_cast<int64_t>(std::clamp(d, -9.2e18, 9.2e18)));
  return v;
}

Const elementwise(const std::vector<const Const *> &in, DType dt,
                  const std::vector<int64_t> &shape,
                  double (*f)(const double *)) {
  Const r;
  r.dtype = dt;
  r.shape = shape;
  int64_t n = numElements(shape);
  r.data.resize(n);
  double args[3];
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < in.size(); ++k)
      args[k] = in[k]->data[broadcastIndex(i, shape, in[k]->shape)];
    r.data[i] = roundTo(dt, f(args));
  }
  return r;
}

} // namespace

bool loom::onnx::detail::foldNode(const ::onnx::NodeProto &n,
                                  const std::vector<const Const *> &in,
                                  std::vector<Const> &out, std::string &error) {
  const std::string &op = n.op_type();
  auto arity = [&](size_t lo) {
    if (in.size() < lo || std::any_of(in.begin(), in.begin() + lo,
                                      [](const Const *c) { return !c; })) {
      error = "expects " + std::to_string(lo) + " inputs";
      return false;
    }
    return true;
  };
  auto result = [&](Const c) {
    out.push_back(std::move(c));
    return true;
  };
  // Elementwise ops with numpy broadcasting.
  using Fn = double (*)(const double *);
  static const std::map<std::string, Fn> binary = {
      {"Add", [](const double *a) { return a[0] + a[1]; }},
      {"Sub", [](const double *a) { return a[0] - a[1]; }},
      {"Mul", [](const double *a) { return a[0] * a[1]; }},
      {"Div", [](const double *a) { return a[0] / a[1]; }},
      {"Pow", [](const double *a) { return std::pow(a[0], a[1]); }},
      {"Max", [](const double *a) { return std::max(a[0], a[1]); }},
      {"Min", [](const double *a) { return std::min(a[0], a[1]); }},
      {"Mod", [](const double *a) { return std::fmod(a[0], a[1]); }},
      {"Equal", [](const double *a) { return double(a[0] == a[1]); }},
      {"Less", [](const double *a) { return double(a[0] < a[1]); }},
      {"LessOrEqual", [](const double *a) { return double(a[0] <= a[1]); }},
      {"Greater", [](const double *a) { return double(a[0] > a[1]); }},
      {"GreaterOrEqual", [](const double *a) { return double(a[0] >= a[1]); }},
      {"And", [](const double *a) { return double(a[0] != 0 && a[1] != 0); }},
      {"Or", [](const double *a) { return double(a[0] != 0 || a[1] != 0); }},
  };
  static const std::map<std::string, Fn> unary = {
      {"Neg", [](const double *a) { return -a[0]; }},
      {"Sqrt", [](const double *a) { return std::sqrt(a[0]); }},
      {"Exp", [](const double *a) { return std::exp(a[0]); }},
      {"Log", [](const double *a) { return std::log(a[0]); }},
      {"Tanh", [](const double *a) { return std::tanh(a[0]); }},
      {"Erf", [](const double *a) { return std::erf(a[0]); }},
      {"Abs", [](const double *a) { return std::fabs(a[0]); }},
      {"Reciprocal", [](const double *a) { return 1.0 / a[0]; }},
      {"Not", [](const double *a) { return double(a[0] == 0); }},
      {"Identity", [](const double *a) { return a[0]; }},
  };
  if (auto it = binary.find(op); it != binary.end()) {
    if (!arity(2))
      return false;
    std::vector<int64_t> shape;
    if (!broadcastShapes(in[0]->shape, in[1]->shape, shape)) {
      error = "operand shapes do not broadcast";
      return false;
    }
    bool cmp = op == "Equal" || op == "Less" || op == "LessOrEqual" ||
               op == "Greater" || op == "GreaterOrEqual" || op == "And" ||
               op == "Or";
    DType dt = cmp ? DType::Bool : in[0]->dtype;
    if (op == "Div" && !isFloat(dt))
      return result(elementwise(in, dt, shape, [](const double *a) {
        return a[1] == 0 ? 0.0 : std::trunc(a[0] / a[1]);
      }));
    return result(elementwise(in, dt, shape, it->second));
  }
  if (auto it = unary.find(op); it != unary.end()) {
    if (!arity(1))
      return false;
    return result(elementwise({in[0]}, in[0]->dtype, in[0]->shape, it->second));
  }
  if (op == "Where") {
    if (!arity(3))
      return false;
    std::vector<int64_t> s1, shape;
    if (!broadcastShapes(in[0]->shape, in[1]->shape, s1) ||
        !broadcastShapes(s1, in[2]->shape, shape)) {
      error = "operand shapes do not broadcast";
      return false;
    }
    return result(elementwise(in, in[1]->dtype, shape, [](const double *a) {
      return a[0] != 0 ? a[1] : a[2];
    }));
  }
  if (op == "Cast") {
    if (!arity(1))
      return false;
    auto dt = fromOnnxType(static_cast<int32_t>(attrInt(n, "to", 1)));
    if (!dt) {
      error = "casts to an unsupported type";
      return false;
    }
    return result(elementwise({in[0]}, *dt, in[0]->shape,
                              [](const double *a) { return a[0]; }));
  }
  if (op == "Shape") {
    if (!arity(1))
      return false;
    int64_t r = in[0]->shape.size();
    int64_t start = std::clamp(normAxis(attrInt(n, "start", 0), r), int64_t(0), r);
    int64_t end = std::clamp(normAxis(attrInt(n, "end", r), r), int64_t(0), r);
    Const c{DType::I64, {std::max<int64_t>(0, end - start)}, {}};
    for (int64_t i = start; i < end; ++i)
      c.data.push_back(double(in[0]->shape[i]));
    return result(c);
  }
  if (op == "Size") {
    if (!arity(1))
      return false;
    return result(Const{DType::I64, {}, {double(in[0]->numel())}});
  }
  if (op == "ConstantOfShape") {
    if (!arity(1))
      return false;
    Const value{DType::F32, {1}, {0.0}};
    if (const auto *a = findAttr(n, "value"))
      if (std::string e = decodeTensor(a->t(), value); !e.empty()) {
        error = e;
        return false;
      }
    std::vector<int64_t> shape = ints(*in[0]);
    if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; }) ||
        numElements(shape) > (1 << 26)) {
      error = "has an invalid shape";
      return false;
    }
    Const c{value.dtype, shape, std::vector<double>(numElements(shape),
                                                    value.data.empty() ? 0 : value.data[0])};
    return result(c);
  }
  if (op == "Range") {
    if (!arity(3))
      return false;
    if (in[0]->data.size() != 1 || in[1]->data.size() != 1 ||
        in[2]->data.size() != 1) {
      error = "needs scalar start, limit and delta";
      return false;
    }
    double start = in[0]->data[0], limit = in[1]->data[0],
           delta = in[2]->data[0];
    if (delta == 0) {
      error = "has delta 0";
      return false;
    }
    int64_t count = std::max<int64_t>(0, int64_t(std::ceil((limit - start) / delta)));
    if (count > (1 << 26)) {
      error = "is too long";
      return false;
    }
    Const c{in[0]->dtype, {count}, {}};
    for (int64_t i = 0; i < count; ++i)
      c.data.push_back(roundTo(c.dtype, start + double(i) * delta));
    return result(c);
  }
  if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
      op == "Flatten") {
    if (!arity(1))
      return false;
    Const c = *in[0];
    std::vector<int64_t> axes;
    if (in.size() > 1 && in[1])
      axes = ints(*in[1]);
    else if (auto a = attrInts(n, "axes"))
      axes = *a;
    std::vector<int64_t> shape;
    if (op == "Unsqueeze") {
      size_t r = c.shape.size() + axes.size();
      std::vector<bool> isNew(r, false);
      for (int64_t a : axes)
        if (a = normAxis(a, r); a >= 0 && size_t(a) < r)
          isNew[a] = true;
      for (size_t i = 0, j = 0; i < r; ++i)
        shape.push_back(isNew[i] ? 1 : c.shape.at(j++));
    } else if (op == "Squeeze") {
      for (size_t i = 0; i < c.shape.size(); ++i) {
        bool drop = axes.empty() ? c.shape[i] == 1
                                 : std::any_of(axes.begin(), axes.end(), [&](int64_t a) {
                                     return normAxis(a, c.shape.size()) == int64_t(i);
                                   });
        if (!drop)
          shape.push_back(c.shape[i]);
      }
    } else if (op == "Flatten") {
      int64_t axis = normAxis(attrInt(n, "axis", 1), c.shape.size());
      int64_t outer = 1;
      for (int64_t i = 0; i < axis; ++i)
        outer *= c.shape[i];
      shape = {outer, c.numel() / std::max<int64_t>(1, outer)};
    } else {
      if (in.size() < 2 || !in[1]) {
        error = "needs a shape";
        return false;
      }
      std::vector<int64_t> target = ints(*in[1]);
      int64_t known = 1, infer = -1;
      for (size_t i = 0; i < target.size(); ++i) {
        int64_t d = target[i];
        if (d == 0 && !attrInt(n, "allowzero", 0))
          d = i < c.shape.size() ? c.shape[i] : 0;
        if (d == -1)
          infer = i;
        else
          known *= d;
        shape.push_back(d);
      }
      if (infer >= 0)
        shape[infer] = known ? c.numel() / known : 0;
    }
    if (numElements(shape) != c.numel()) {
      error = "changes the element count";
      return false;
    }
    c.shape = shape;
    return result(c);
  }
  if (op == "Concat") {
    if (in.empty() || std::any_of(in.begin(), in.end(), [](const Const *c) { return !c; })) {
      error = "needs inputs";
      return false;
    }
    size_t r = in[0]->shape.size();
    int64_t axis = normAxis(attrInt(n, "axis", 0), r);
    if (axis < 0 || size_t(axis) >= r) {
      error = "has an axis out of range";
      return false;
    }
    Const c{in[0]->dtype, in[0]->shape, {}};
    c.shape[axis] = 0;
    for (const Const *x : in) {
      if (x->shape.size() != r) {
        error = "concatenates tensors of different ranks";
        return false;
      }
      c.shape[axis] += x->shape[axis];
    }
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= c.shape[i];
    for (int64_t o = 0; o < outer; ++o)
      for (const Const *x : in) {
        int64_t chunk = x->numel() / std::max<int64_t>(1, outer);
        c.data.insert(c.data.end(), x->data.begin() + o * chunk,
                      x->data.begin() + (o + 1) * chunk);
      }
    return result(c);
  }
  if (op == "Gather") {
    if (!arity(2))
      return false;
    const Const &d = *in[0];
    int64_t axis = normAxis(attrInt(n, "axis", 0), d.shape.size());
    if (axis < 0 || size_t(axis) >= d.shape.size()) {
      error = "has an axis out of range";
      return false;
    }
    Const c{d.dtype, {}, {}};
    c.shape.assign(d.shape.begin(), d.shape.begin() + axis);
    c.shape.insert(c.shape.end(), in[1]->shape.begin(), in[1]->shape.end());
    c.shape.insert(c.shape.end(), d.shape.begin() + axis + 1, d.shape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= d.shape[i];
    for (size_t i = axis + 1; i < d.shape.size(); ++i)
      inner *= d.shape[i];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t idx : ints(*in[1])) {
        if (idx < 0)
          idx += d.shape[axis];
        if (idx < 0 || idx >= d.shape[axis]) {
          error = "has an index out of range";
          return false;
        }
        int64_t base = (o * d.shape[axis] + idx) * inner;
        c.data.insert(c.data.end(), d.data.begin() + base,
                      d.data.begin() + base + inner);
      }
    return result(c);
  }
  if (op == "Slice") {
    if (!arity(3))
      return false;
    const Const &d = *in[0];
    std::vector<int64_t> starts = ints(*in[1]), ends = ints(*in[2]), axes, steps;
    if (in.size() > 3 && in[3])
      axes = ints(*in[3]);
    else
      for (size_t i = 0; i < starts.size(); ++i)
        axes.push_back(i);
    if (in.size() > 4 && in[4])
      steps = ints(*in[4]);
    else
      steps.assign(starts.size(), 1);
    size_t r = d.shape.size();
    std::vector<int64_t> lo(r, 0), step(r, 1), shape = d.shape;
    for (size_t k = 0; k < starts.size() && k < ends.size() && k < axes.size(); ++k) {
      int64_t a = normAxis(axes[k], r), dim = d.shape.at(a), s = starts[k],
              e = ends[k], st = k < steps.size() ? steps[k] : 1;
      if (st == 0) {
        error = "has step 0";
        return false;
      }
      s = s < 0 ? s + dim : s;
      e = e < 0 ? e + dim : e;
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        shape[a] = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        shape[a] = s > e ? (s - e - st - 1) / -st : 0;
      }
      lo[a] = s;
      step[a] = st;
    }
    Const c{d.dtype, shape, {}};
    std::vector<int64_t> inStrides = strides(d.shape);
    int64_t total = numElements(shape);
    for (int64_t f = 0; f < total; ++f) {
      int64_t rem = f, src = 0;
      for (int i = int(r) - 1; i >= 0; --i) {
        int64_t ci = rem % shape[i];
        rem /= shape[i];
        src += (lo[i] + ci * step[i]) * inStrides[i];
      }
      c.data.push_back(d.data[src]);
    }
    return result(c);
  }
  if (op == "Expand") {
    if (!arity(2))
      return false;
    std::vector<int64_t> shape;
    if (!broadcastShapes(in[0]->shape, ints(*in[1]), shape) ||
        numElements(shape) > (1 << 26)) {
      error = "expands to an invalid shape";
      return false;
    }
    return result(elementwise({in[0]}, in[0]->dtype, shape,
                              [](const double *a) { return a[0]; }));
  }
  if (op == "Transpose") {
    if (!arity(1))
      return false;
    const Const &d = *in[0];
    size_t r = d.shape.size();
    std::vector<int64_t> perm;
    if (auto p = attrInts(n, "perm"))
      perm = *p;
    else
      for (size_t i = 0; i < r; ++i)
        perm.push_back(r - 1 - i);
    if (perm.size() != r) {
      error = "has a permutation of the wrong rank";
      return false;
    }
    std::vector<int64_t> shape(r), inStrides = strides(d.shape);
    for (size_t i = 0; i < r; ++i)
      shape[i] = d.shape.at(perm[i]);
    Const c{d.dtype, shape, {}};
    for (int64_t f = 0; f < d.numel(); ++f) {
      int64_t rem = f, src = 0;
      for (int i = int(r) - 1; i >= 0; --i) {
        src += (rem % shape[i]) * inStrides[perm[i]];
        rem /= shape[i];
      }
      c.data.push_back(d.data[src]);
    }
    return result(c);
  }
  if (op == "Trilu") {
    if (!arity(1))
      return false;
    const Const &d = *in[0];
    if (d.shape.size() < 2) {
      error = "needs rank >= 2";
      return false;
    }
    int64_t k = in.size() > 1 && in[1] ? ints(*in[1]).at(0) : 0;
    bool upper = attrInt(n, "upper", 1);
    int64_t rows = d.shape[d.shape.size() - 2], cols = d.shape.back();
    Const c = d;
    for (int64_t f = 0; f < c.numel(); ++f) {
      int64_t j = f % cols, i = (f / cols) % rows;
      if (upper ? j - i < k : j - i > k)
        c.data[f] = 0;
    }
    return result(c);
  }
  return false; // not foldable here
}
