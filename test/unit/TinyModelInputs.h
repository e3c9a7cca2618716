//===- TinyModelInputs.h - the tiny models of models/ with valid inputs -*- C++ -*-===//
//
// Generates a tiny model of models/ with its dims bound and fills its
// parameters and inputs with values the model accepts, for the tests that
// run whole models (gradient checks, compiled gradients). The fill follows
// CompiledModelsTest.cpp:
//
// Parameters: normal(std) initializers become uniform(-0.2, 0.2) (larger
// than the real inits, so attention scores are far from uniform and every
// layer matters), ones become 1 + u(-0.1, 0.1), zeros u(-0.1, 0.1),
// constants keep their value (CLIP's logit_scale), uniform(low, high) stays.
// Inputs: ids in [0, vocab), BERT token types in {0, 1}, padding masks (a
// true prefix of each row, at least one true), targets with some
// ignore_index (-100) but at least one valid, ViT labels in [0, 10), CLIP's
// eot one-hot per row, pixels uniform(-1, 1).
//
// Everything lives in loom::testutil::tiny so that it cannot collide with
// the generators of CompiledCaseUtil.h in the same test binary.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TEST_UNIT_TINYMODELINPUTS_H
#define LOOM_TEST_UNIT_TINYMODELINPUTS_H

#include "InterpreterTestUtil.h"

#include "loom/Frontend/MLIRGen.h"
#include "loom/Spec/Spec.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom::testutil::tiny {

/// Fills one input tensor of the given element type and shape.
using Make = std::function<Tensor(Rng &, DType, const Shape &)>;

/// Floats uniform in [lo, hi).
inline Make uniform(double lo, double hi) {
  return [=](Rng &r, DType t, const Shape &s) {
    return uniformTensor(r, t, s, lo, hi);
  };
}

/// Integers uniform in [lo, hi).
inline Make ints(int64_t lo, int64_t hi) {
  return [=](Rng &r, DType t, const Shape &s) {
    return intTensor(r, t, s, lo, hi);
  };
}

/// Targets: ids in [lo, hi), each replaced by `ignore` with probability p;
/// at least one stays valid (a loss over no valid target divides by zero).
inline Make targets(int64_t lo, int64_t hi, int64_t ignore, double p) {
  return [=](Rng &r, DType t, const Shape &s) {
    Tensor x = intTensor(r, t, s, lo, hi);
    int64_t valid = 0;
    for (int64_t &v : x.i) {
      if (r.uniform() < p)
        v = ignore;
      valid += v != ignore;
    }
    if (valid == 0 && !x.i.empty())
      x.i[r.integer(0, x.size())] = r.integer(lo, hi);
    return x;
  };
}

/// A padding mask: each row (last dim, length n) is true on a prefix of
/// random length in [max(1, n - maxPad), n] and false after it; row 0 is
/// never padded.
inline Make padding(int64_t maxPad) {
  return [=](Rng &r, DType t, const Shape &s) {
    int64_t n = s.empty() ? 1 : s.back();
    std::vector<int64_t> v(interp::numElements(s));
    for (int64_t row = 0; row < (int64_t)v.size() / n; ++row) {
      int64_t len = row == 0 ? n : n - r.integer(0, maxPad + 1);
      len = std::max<int64_t>(len, 1);
      for (int64_t k = 0; k < n; ++k)
        v[row * n + k] = k < len;
    }
    return Tensor::ints(t, s, v);
  };
}

/// One-hot rows: each row of the last dim has a single 1 at a random place.
inline Make oneHotRows() {
  return [](Rng &r, DType t, const Shape &s) {
    Tensor x = Tensor::zeros(t, s);
    int64_t last = s.back();
    for (int64_t row = 0; row < x.size() / last; ++row)
      x.f[row * last + r.integer(0, last)] = 1.0;
    return x;
  };
}

struct TinyModel {
  std::string name; // for messages: "tiny_bert"
  std::string file; // under models/
  std::map<std::string, int64_t> dims;
  std::map<std::string, Make> inputs;
  uint64_t seed = 7;
};

/// The five tiny models with valid input generators; `dims` binds B, T, S.
inline TinyModel tinyGpt(std::map<std::string, int64_t> dims) {
  return {"tiny_gpt", "tiny_gpt.loom", std::move(dims),
          {{"tokens", ints(0, 256)}, {"targets", targets(0, 256, -100, 0.25)}}};
}
inline TinyModel tinyBert(std::map<std::string, int64_t> dims) {
  // Masked LM: most targets are -100, a few carry the original id.
  return {"tiny_bert", "tiny_bert.loom", std::move(dims),
          {{"tokens", ints(0, 256)},
           {"token_types", ints(0, 2)},
           {"attention_mask", padding(2)},
           {"mlm_targets", targets(0, 256, -100, 0.7)},
           {"nsp_labels", ints(0, 2)}}};
}
inline TinyModel tinyVit(std::map<std::string, int64_t> dims) {
  return {"tiny_vit", "tiny_vit.json", std::move(dims),
          {{"pixels", uniform(-1, 1)}, {"labels", ints(0, 10)}}};
}
inline TinyModel tinyClip(std::map<std::string, int64_t> dims) {
  return {"tiny_clip", "tiny_clip.loom", std::move(dims),
          {{"pixels", uniform(-1, 1)},
           {"tokens", ints(0, 256)},
           {"eot", oneHotRows()}}};
}
inline TinyModel tinyTransformer(std::map<std::string, int64_t> dims) {
  return {"tiny_transformer", "tiny_transformer.loom", std::move(dims),
          {{"src_tokens", ints(0, 256)},
           {"src_mask", padding(1)},
           {"tgt_tokens", ints(0, 256)},
           {"tgt_targets", targets(0, 256, -100, 0.25)}}};
}

/// A parameter's value from its initializer (see the file comment).
inline Tensor paramValue(Rng &rng, const frontend::ParamInfo &p) {
  std::optional<DType> t;
  for (DType d : {DType::F32, DType::F16, DType::BF16})
    if (p.dtype == interp::dtypeName(d))
      t = d;
  Shape s(p.shape.begin(), p.shape.end());
  DType dt = t.value_or(DType::F32);
  if (p.initKind == "ones")
    return uniformTensor(rng, dt, s, 0.9, 1.1);
  if (p.initKind == "zeros")
    return uniformTensor(rng, dt, s, -0.1, 0.1);
  if (p.initKind == "constant") {
    std::vector<double> v(interp::numElements(s), p.initArgs.at("value"));
    return Tensor::floats(dt, s, v);
  }
  if (p.initKind == "uniform")
    return uniformTensor(rng, dt, s, p.initArgs.at("low"), p.initArgs.at("high"));
  return uniformTensor(rng, dt, s, -0.2, 0.2);
}

/// A generated model and one value per parameter (and tied alias) and input
/// name.
struct Loaded {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  frontend::ModelInfo info;
  std::map<std::string, Tensor> values;
};

/// Parses and generates `m` in `ctx` and fills its values. Returns "" or the
/// error.
inline std::string load(mlir::MLIRContext &ctx, const TinyModel &m,
                        Loaded &out) {
  spec::Diagnostics diags;
  std::optional<spec::Model> model =
      spec::parseFile(std::string(LOOM_SOURCE_DIR) + "/models/" + m.file, diags);
  if (!model)
    return diags.str();
  frontend::GenOptions options;
  options.dims = m.dims;
  out.module = frontend::generateModule(*model, ctx, options, out.info, diags);
  if (!out.module)
    return diags.str();
  Rng rng(m.seed);
  for (const frontend::ParamInfo &p : out.info.params) {
    Tensor v = paramValue(rng, p);
    out.values[p.name] = v;
    for (const std::string &alias : p.aliases)
      out.values[alias] = v;
  }
  for (const frontend::TensorInfo &in : out.info.inputs) {
    auto gen = m.inputs.find(in.name);
    if (gen == m.inputs.end())
      return "no generator for input " + in.name;
    std::optional<DType> t;
    for (DType d : {DType::F32, DType::F16, DType::BF16, DType::I32,
                    DType::I64, DType::I1})
      if (in.dtype == interp::dtypeName(d))
        t = d;
    if (!t)
      return "input " + in.name + " has dtype " + in.dtype;
    for (int64_t d : in.shape)
      if (d < 0)
        return "input " + in.name + " has an unbound dim";
    out.values[in.name] =
        gen->second(rng, *t, Shape(in.shape.begin(), in.shape.end()));
  }
  return "";
}

/// `fn`'s arguments, by name from `values`; "" or the missing name's error.
inline std::string argumentsOf(mlir::func::FuncOp fn,
                               const std::map<std::string, Tensor> &values,
                               std::vector<Tensor> &args) {
  args.clear();
  for (const std::string &n : argNames(fn)) {
    auto it = values.find(n);
    if (it == values.end())
      return "no value for argument '" + n + "'";
    args.push_back(it->second);
  }
  return "";
}

} // namespace loom::testutil::tiny

#endif // LOOM_TEST_UNIT_TINYMODELINPUTS_H
