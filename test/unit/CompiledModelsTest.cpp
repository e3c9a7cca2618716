//===- CompiledModelsTest.cpp - tiny models, compiled vs interpreter ------===//
//
// Each tiny model of models/ is generated with its dims bound, compiled once
// (@forward and @loss in one library), and both functions are run on random
// parameters and inputs, compiled and interpreted.
//
// Parameters: normal(std) initializers become uniform(-0.2, 0.2) (std 0.12,
// larger than the real inits so attention scores are far from uniform and
// every layer matters), ones become 1 + u(-0.1, 0.1), zeros u(-0.1, 0.1),
// constants keep their value. Inputs: ids in range, some targets at
// ignore_index, padding masks that keep position 0, one-hot eot weights.
//
// Tolerance: 1e-5, relative to each output's largest magnitude (a loss is a
// scalar, so for it this is the plain relative error). Two to four layers
// of f32 primitives (matmuls with K <= 256, layer norms, softmaxes,
// logsumexp) against double accumulation stay around 1e-6 (the measured
// errors are printed); 1e-5 leaves room for other seeds and dims without
// hiding a wrong op, which shows up as errors of 1e-2 and more.
//
//===----------------------------------------------------------------------===//
#include "CompiledCaseUtil.h"

#include "loom/Frontend/MLIRGen.h"
#include "loom/Spec/Spec.h"

#include "Loom/IR/LoomDialect.h"

#include <chrono>

using namespace loom::testutil;
namespace fe = ::loom::frontend;
namespace spec = ::loom::spec;

namespace {

constexpr double kModelTol = 1e-5;

/// One-hot rows: each row of the last dim has a single 1 at a random place.
Gen oneHot() {
  return {[](Rng &r, DType t, const Shape &s) {
    Tensor x = Tensor::zeros(t, s);
    int64_t last = s.back();
    for (int64_t row = 0; row < x.size() / last; ++row)
      x.f[row * last + r.integer(0, last)] = 1.0;
    return x;
  }};
}

struct ModelCase {
  std::string file;
  std::map<std::string, int64_t> dims;
  std::map<std::string, Gen> inputs;
  uint64_t seed = 7;
};

Tensor paramValue(Rng &rng, const fe::ParamInfo &p) {
  DType t = *loom::testutil::dtypeFromName(p.dtype);
  Shape s(p.shape.begin(), p.shape.end());
  if (p.initKind == "ones") {
    Tensor x = uniformTensor(rng, t, s, 0.9, 1.1);
    return x;
  }
  if (p.initKind == "zeros")
    return uniformTensor(rng, t, s, -0.1, 0.1);
  if (p.initKind == "constant")
    return Fixed({p.initArgs.at("value")}).make(rng, t, s);
  if (p.initKind == "uniform")
    return uniformTensor(rng, t, s, p.initArgs.at("low"), p.initArgs.at("high"));
  return uniformTensor(rng, t, s, -0.2, 0.2);
}

void runModel(const ModelCase &c) {
  std::string label = c.file;
  for (const auto &[k, v] : c.dims)
    label += " " + k + "=" + std::to_string(v);
  SCOPED_TRACE(label);

  mlir::DialectRegistry registry;
  registerEverything(registry);
  mlir::MLIRContext ctx(registry);
  spec::Diagnostics diags;
  std::optional<spec::Model> model =
      spec::parseFile(std::string(LOOM_SOURCE_DIR) + "/models/" + c.file, diags);
  ASSERT_TRUE(model) << diags.str();
  fe::GenOptions options;
  options.dims = c.dims;
  fe::ModelInfo info;
  auto module = fe::generateModule(*model, ctx, options, info, diags);
  ASSERT_TRUE(module) << diags.str();

  // One value per parameter / input name, shared by both functions.
  Rng rng(c.seed);
  std::map<std::string, Tensor> values;
  for (const fe::ParamInfo &p : info.params) {
    Tensor v = paramValue(rng, p);
    values[p.name] = v;
    for (const std::string &alias : p.aliases)
      values[alias] = v;
  }
  for (const fe::TensorInfo &in : info.inputs) {
    DType t = *loom::testutil::dtypeFromName(in.dtype);
    Shape s(in.shape.begin(), in.shape.end());
    auto it = c.inputs.find(in.name);
    ASSERT_TRUE(it != c.inputs.end()) << "no generator for input " << in.name;
    values[in.name] = it->second.make(rng, t, s);
  }

  CompiledModule compiled;
  auto t0 = std::chrono::steady_clock::now();
  std::string err = compiled.compile(*module);
  std::cout << "[compiled-vs-interpreter] " << label << " compile " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  ASSERT_EQ(err, "") << "compilation failed";

  for (const char *name : {"forward", "loss"}) {
    mlir::func::FuncOp fn = lookup(*module, name);
    if (!fn) {
      EXPECT_STREQ(name, "loss") << "no @forward";
      continue;
    }
    std::vector<std::string> names = argNames(fn);
    std::vector<Tensor> args;
    for (const std::string &n : names) {
      ASSERT_TRUE(values.count(n)) << "no value for argument " << n;
      args.push_back(values[n]);
    }
    std::vector<Tensor> ref, got;
    t0 = std::chrono::steady_clock::now();
    err = loom::interp::run(fn, args, ref);
    std::cout << "[compiled-vs-interpreter] interp " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
    ASSERT_EQ(err, "") << "interpreter failed on @" << name;
    err = compiled.call(name, names, args, got);
    ASSERT_EQ(err, "") << "call of @" << name << " failed";
    ASSERT_EQ(got.size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k) {
      Comparison cmp = compare(got[k], ref[k], Metric::Norm);
      EXPECT_EQ(cmp.problem, "") << "@" << name << " output #" << k;
      report(label + " @" + name, k, Metric::Norm, cmp.error, kModelTol);
      EXPECT_LE(cmp.error, kModelTol)
          << "@" << name << " output #" << k << " worst element " << cmp.worst
          << ": compiled " << (cmp.worst >= 0 ? got[k].get(cmp.worst) : 0.0)
          << ", interpreter " << (cmp.worst >= 0 ? ref[k].get(cmp.worst) : 0.0);
      // Random models give finite values (a NaN on both sides would compare
      // equal).
      int64_t nonFinite = 0;
      for (double v : ref[k].f)
        nonFinite += !std::isfinite(v);
      EXPECT_EQ(nonFinite, 0) << "@" << name << " output #" << k;
    }
  }
}

TEST(CompiledModels, TinyGpt) {
  std::map<std::string, Gen> in = {{"tokens", I(0, 256)},
                                   {"targets", ISome(0, 256, -100, 0.25)}};
  runModel({"tiny_gpt.loom", {{"B", 2}, {"T", 8}}, in});
  runModel({"tiny_gpt.loom", {{"B", 1}, {"T", 5}}, in, 11});
  // The full context.
  runModel({"tiny_gpt.loom", {{"B", 3}, {"T", 64}}, in, 17});
}

TEST(CompiledModels, TinyBert) {
  std::map<std::string, Gen> in = {
      {"tokens", I(0, 256)},
      {"token_types", I(0, 2)},
      {"attention_mask", Mask(0.7, /*keepFirst=*/true)},
      {"mlm_targets", ISome(0, 256, -100, 0.6)},
      {"nsp_labels", I(0, 2)}};
  runModel({"tiny_bert.loom", {{"B", 2}, {"T", 8}}, in});
  runModel({"tiny_bert.loom", {{"B", 1}, {"T", 7}}, in, 3});
}

TEST(CompiledModels, TinyVit) {
  std::map<std::string, Gen> in = {{"pixels", U(-1, 1)}, {"labels", I(0, 10)}};
  runModel({"tiny_vit.json", {{"B", 2}}, in});
  runModel({"tiny_vit.json", {{"B", 1}}, in, 5});
}

TEST(CompiledModels, TinyClip) {
  std::map<std::string, Gen> in = {
      {"pixels", U(-1, 1)}, {"tokens", I(0, 256)}, {"eot", oneHot()}};
  runModel({"tiny_clip.loom", {{"B", 3}, {"T", 8}}, in});
  runModel({"tiny_clip.loom", {{"B", 2}, {"T", 13}}, in, 9});
}

TEST(CompiledModels, TinyTransformer) {
  std::map<std::string, Gen> in = {
      {"src_tokens", I(0, 256)},
      {"src_mask", Mask(0.7, /*keepFirst=*/true)},
      {"tgt_tokens", I(0, 256)},
      {"tgt_targets", ISome(0, 256, -100, 0.25)}};
  runModel({"tiny_transformer.loom", {{"B", 2}, {"S", 7}, {"T", 5}}, in});
  runModel({"tiny_transformer.loom", {{"B", 1}, {"S", 3}, {"T", 8}}, in, 13});
}

} // namespace
