//===- make_fixture.cpp - tiny ONNX files for the importer's tests --------===//
//
// Writes ONNX models with the protobuf API (no torch needed):
//
//   loom-onnx-fixture layers DIR      DIR/model.onnx: two residual tanh
//       layers named like PyTorch's exporter (/layers.0/fc/MatMul, ...), a
//       Shape -> Gather -> Unsqueeze -> Concat -> Reshape subgraph on the
//       symbolic batch dim, an RMS norm written out (Pow, ReduceMean, Add,
//       Sqrt, Div), a softmax; DIR/in_x.npy (batch 3) and
//       DIR/out_y.npy computed here in double precision (the oracle).
//   loom-onnx-fixture unsupported FILE   one node '/h.0/attn/Foo' (Foo)
//   loom-onnx-fixture truncated FILE     the layers model cut in half
//
//===----------------------------------------------------------------------===//
#include "loom/formats/npy.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int kBatch = 3, kWidth = 8;

void addInitializer(onnx::GraphProto &g, const std::string &name,
                    const std::vector<int64_t> &dims,
                    const std::vector<float> &values) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                              values.size() * sizeof(float)));
}

void addInts(onnx::GraphProto &g, const std::string &name,
             const std::vector<int64_t> &values, bool scalar = false) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  if (!scalar)
    t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values)
    t->add_int64_data(v);
}

onnx::NodeProto *addNode(onnx::GraphProto &g, const std::string &name,
                         const std::string &op,
                         const std::vector<std::string> &inputs,
                         const std::vector<std::string> &outputs) {
  onnx::NodeProto *n = g.add_node();
  n->set_name(name);
  n->set_op_type(op);
  for (const auto &i : inputs)
    n->add_input(i);
  for (const auto &o : outputs)
    n->add_output(o);
  return n;
}

void addValue(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> *list,
              const std::string &name, const std::vector<std::string> &dims) {
  onnx::ValueInfoProto *v = list->Add();
  v->set_name(name);
  auto *tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (const auto &d : dims) {
    auto *dim = tt->mutable_shape()->add_dim();
    if (std::isdigit(static_cast<unsigned char>(d[0])))
      dim->set_dim_value(std::stoll(d));
    else
      dim->set_dim_param(d);
  }
}

onnx::ModelProto baseModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("loom-onnx-fixture");
  auto *opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  m.mutable_graph()->set_name("fixture");
  return m;
}

float weight(int layer, int i, int j) {
  return 0.3f * static_cast<float>(std::sin(1.0 + 7 * layer + 0.37 * i + 0.91 * j));
}
float bias(int layer, int j) {
  return 0.1f * static_cast<float>(std::cos(2.0 + layer + 0.5 * j));
}

onnx::ModelProto layersModel() {
  onnx::ModelProto m = baseModel();
  onnx::GraphProto &g = *m.mutable_graph();
  addValue(g.mutable_input(), "x", {"batch", std::to_string(kWidth)});
  std::string h = "x";
  for (int l = 0; l < 2; ++l) {
    std::string p = "layers." + std::to_string(l), path = "/layers." + std::to_string(l);
    std::vector<float> w, b;
    for (int i = 0; i < kWidth; ++i)
      for (int j = 0; j < kWidth; ++j)
        w.push_back(weight(l, i, j));
    for (int j = 0; j < kWidth; ++j)
      b.push_back(bias(l, j));
    addInitializer(g, p + ".fc.weight", {kWidth, kWidth}, w);
    addInitializer(g, p + ".fc.bias", {kWidth}, b);
    addNode(g, path + "/fc/MatMul", "MatMul", {h, p + ".fc.weight"}, {path + "/fc/MatMul_output_0"});
    addNode(g, path + "/fc/Add", "Add", {path + "/fc/MatMul_output_0", p + ".fc.bias"}, {path + "/fc/Add_output_0"});
    addNode(g, path + "/act/Tanh", "Tanh", {path + "/fc/Add_output_0"}, {path + "/act/Tanh_output_0"});
    addNode(g, path + "/Add", "Add", {h, path + "/act/Tanh_output_0"}, {path + "/Add_output_0"});
    h = path + "/Add_output_0";
  }
  // An RMS norm written out: h / sqrt(mean(h^2, -1) + 1e-6).
  addInitializer(g, "two", {}, {2.0f});
  addInitializer(g, "eps", {}, {1e-6f});
  addNode(g, "/norm/Pow", "Pow", {h, "two"}, {"/norm/Pow_output_0"});
  auto *mean = addNode(g, "/norm/ReduceMean", "ReduceMean", {"/norm/Pow_output_0"},
                       {"/norm/ReduceMean_output_0"});
  auto *axes = mean->add_attribute();
  axes->set_name("axes");
  axes->set_type(onnx::AttributeProto::INTS);
  axes->add_ints(-1);
  addNode(g, "/norm/Add", "Add", {"/norm/ReduceMean_output_0", "eps"}, {"/norm/Add_output_0"});
  addNode(g, "/norm/Sqrt", "Sqrt", {"/norm/Add_output_0"}, {"/norm/Sqrt_output_0"});
  addNode(g, "/norm/Div", "Div", {h, "/norm/Sqrt_output_0"}, {"/norm/Div_output_0"});
  h = "/norm/Div_output_0";
  // y = softmax(reshape(h, [batch, -1, 2])): the target shape from Shape(x).
  addInts(g, "zero", {0}, /*scalar=*/true);
  addInts(g, "axes0", {0});
  addInts(g, "tail", {-1, 2});
  addNode(g, "/Shape", "Shape", {"x"}, {"/Shape_output_0"});
  addNode(g, "/Gather", "Gather", {"/Shape_output_0", "zero"}, {"/Gather_output_0"});
  addNode(g, "/Unsqueeze", "Unsqueeze", {"/Gather_output_0", "axes0"}, {"/Unsqueeze_output_0"});
  auto *cat = addNode(g, "/Concat", "Concat", {"/Unsqueeze_output_0", "tail"}, {"/Concat_output_0"});
  auto *axis = cat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(0);
  addNode(g, "/Reshape", "Reshape", {h, "/Concat_output_0"}, {"/Reshape_output_0"});
  addNode(g, "/Softmax", "Softmax", {"/Reshape_output_0"}, {"y"});
  addValue(g.mutable_output(), "y", {"batch", std::to_string(kWidth / 2), "2"});
  return m;
}

/// The layers model's output for its input, in double precision.
void reference(const std::vector<float> &x, std::vector<float> &y) {
  std::vector<double> h(x.begin(), x.end());
  for (int l = 0; l < 2; ++l) {
    std::vector<double> next(h.size());
    for (int r = 0; r < kBatch; ++r)
      for (int j = 0; j < kWidth; ++j) {
        double acc = bias(l, j);
        for (int i = 0; i < kWidth; ++i)
          acc += h[r * kWidth + i] * weight(l, i, j);
        next[r * kWidth + j] = h[r * kWidth + j] + std::tanh(acc);
      }
    h = next;
  }
  for (int r = 0; r < kBatch; ++r) {
    double sq = 0;
    for (int j = 0; j < kWidth; ++j)
      sq += h[r * kWidth + j] * h[r * kWidth + j];
    double rms = std::sqrt(sq / kWidth + static_cast<double>(1e-6f));
    for (int j = 0; j < kWidth; ++j)
      h[r * kWidth + j] /= rms;
  }
  y.resize(h.size());
  for (size_t k = 0; k < h.size(); k += 2) {
    double m = std::max(h[k], h[k + 1]);
    double e0 = std::exp(h[k] - m), e1 = std::exp(h[k + 1] - m);
    y[k] = static_cast<float>(e0 / (e0 + e1));
    y[k + 1] = static_cast<float>(e1 / (e0 + e1));
  }
}

bool write(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
  return static_cast<bool>(f);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: loom-onnx-fixture layers|unsupported|truncated OUT\n");
    return 1;
  }
  std::string kind = argv[1], out = argv[2], bytes;
  if (kind == "layers") {
    if (!layersModel().SerializeToString(&bytes) || !write(out + "/model.onnx", bytes))
      return 1;
    std::vector<float> x, y;
    for (int k = 0; k < kBatch * kWidth; ++k)
      x.push_back(static_cast<float>(std::sin(0.7 * k) * 1.5));
    reference(x, y);
    if (!loom::rt::writeNpy(out + "/in_x.npy", LOOM_DTYPE_F32, {kBatch, kWidth},
                            x.data(), x.size() * 4).isOk() ||
        !loom::rt::writeNpy(out + "/out_y.npy", LOOM_DTYPE_F32,
                            {kBatch, kWidth / 2, 2}, y.data(), y.size() * 4).isOk())
      return 1;
    return 0;
  }
  if (kind == "unsupported") {
    onnx::ModelProto m = baseModel();
    onnx::GraphProto &g = *m.mutable_graph();
    addValue(g.mutable_input(), "x", {"2", "4"});
    addNode(g, "/h.0/attn/Tanh", "Tanh", {"x"}, {"t"});
    addNode(g, "/h.0/attn/Foo", "Foo", {"t"}, {"y"});
    addValue(g.mutable_output(), "y", {"2", "4"});
    return m.SerializeToString(&bytes) && write(out, bytes) ? 0 : 1;
  }
  if (kind == "truncated") {
    if (!layersModel().SerializeToString(&bytes))
      return 1;
    return write(out, bytes.substr(0, bytes.size() / 2)) ? 0 : 1;
  }
  std::fprintf(stderr, "loom-onnx-fixture: unknown kind '%s'\n", kind.c_str());
  return 1;
}
