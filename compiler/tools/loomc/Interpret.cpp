//===- Interpret.cpp - loomc --interpret: run a model in the oracle -------===//
//
// Reads parameters and inputs with the runtime's own readers (safetensors,
// npy, seeded init), so the interpreter sees exactly the values a compiled
// run sees, and `loomc --interpret` and `loom run` can be compared output by
// output.
//
//===----------------------------------------------------------------------===//
#include "Interpret.h"

#include "loom/Interpreter/Interpreter.h"

// The runtime's file formats (loom_formats; no MLIR there).
#include "loom/formats/dtype.h"
#include "loom/formats/npy.h"
#include "loom/formats/rng.h"
#include "loom/formats/safetensors.h"
#include "loom/formats/io.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>

namespace interp = ::loom::interp;
namespace rt = ::loom::rt;
namespace fe = ::loom::frontend;

using loomc::InterpretOptions;

namespace {

int fail(const std::string &message) {
  llvm::errs() << "loomc: error: " << message << "\n";
  return 1;
}

std::optional<interp::DType> dtypeFromName(const std::string &s) {
  static const std::map<std::string, interp::DType> names = {
      {"f32", interp::DType::F32}, {"f16", interp::DType::F16},
      {"bf16", interp::DType::BF16}, {"i32", interp::DType::I32},
      {"i64", interp::DType::I64}, {"i1", interp::DType::I1}};
  auto it = names.find(s);
  if (it == names.end())
    return std::nullopt;
  return it->second;
}

std::optional<interp::DType> dtypeFromRuntime(loom_dtype d) {
  return dtypeFromName(rt::dtypeName(d));
}

/// Decodes `bytes` (little-endian, `dtype` layout of the artifact ABI).
interp::Tensor decode(interp::DType dtype, std::vector<int64_t> shape,
                      const uint8_t *bytes) {
  int64_t n = interp::numElements(shape);
  std::vector<double> f;
  std::vector<int64_t> i;
  for (int64_t k = 0; k < n; ++k) {
    switch (dtype) {
    case interp::DType::F32: {
      float v;
      std::memcpy(&v, bytes + 4 * k, 4);
      f.push_back(v);
      break;
    }
    case interp::DType::F16:
    case interp::DType::BF16: {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * k, 2);
      const llvm::fltSemantics &sem = dtype == interp::DType::F16
                                          ? llvm::APFloat::IEEEhalf()
                                          : llvm::APFloat::BFloat();
      f.push_back(llvm::APFloat(sem, llvm::APInt(16, bits)).convertToDouble());
      break;
    }
    case interp::DType::I32: {
      int32_t v;
      std::memcpy(&v, bytes + 4 * k, 4);
      i.push_back(v);
      break;
    }
    case interp::DType::I64: {
      int64_t v;
      std::memcpy(&v, bytes + 8 * k, 8);
      i.push_back(v);
      break;
    }
    case interp::DType::I1:
      i.push_back(bytes[k] != 0);
      break;
    }
  }
  return interp::isFloat(dtype)
             ? interp::Tensor::floats(dtype, std::move(shape), std::move(f))
             : interp::Tensor::ints(dtype, std::move(shape), std::move(i));
}

/// The parameters' values: from a safetensors file (names or aliases), or
/// the spec's init for `seed`, exactly as the runtime computes them.
bool loadParams(const fe::ModelInfo &info, const InterpretOptions &o,
                std::map<std::string, interp::Tensor> &params) {
  std::string fileBytes;
  rt::SafetensorsFile file;
  if (!o.weights.empty()) {
    rt::Status s = rt::readFile(o.weights, fileBytes);
    if (s.isOk())
      s = rt::parseSafetensors(
          reinterpret_cast<const uint8_t *>(fileBytes.data()), fileBytes.size(),
          o.weights, file);
    if (!s.isOk()) {
      fail(s.message());
      return false;
    }
  }
  for (const fe::ParamInfo &p : info.params) {
    auto dtype = dtypeFromName(p.dtype);
    if (!dtype) {
      fail("parameter '" + p.name + "' has unsupported dtype " + p.dtype);
      return false;
    }
    int64_t n = p.numElements();
    std::vector<uint8_t> bytes(n * interp::byteWidth(*dtype));
    if (o.weights.empty()) {
      rt::InitSpec init;
      using K = rt::InitSpec::Kind;
      auto arg = [&](const char *k) {
        auto it = p.initArgs.find(k);
        return it == p.initArgs.end() ? 0.0 : it->second;
      };
      if (p.initKind == "normal") {
        init.kind = K::Normal;
        init.std = arg("std");
      } else if (p.initKind == "uniform") {
        init.kind = K::Uniform;
        init.low = arg("low");
        init.high = arg("high");
      } else if (p.initKind == "ones") {
        init.kind = K::Ones;
      } else if (p.initKind == "constant") {
        init.kind = K::Constant;
        init.value = arg("value");
      } else {
        init.kind = K::Zeros;
      }
      loom_dtype rtType = LOOM_DTYPE_F32;
      for (int d = 0; d <= LOOM_DTYPE_I1; ++d)
        if (p.dtype == rt::dtypeName(static_cast<loom_dtype>(d)))
          rtType = static_cast<loom_dtype>(d);
      rt::fillInit(init, o.seed, p.name, rtType, n, bytes.data());
    } else {
      const rt::SafetensorsTensor *t = file.find(p.name);
      for (size_t a = 0; !t && a < p.aliases.size(); ++a)
        t = file.find(p.aliases[a]);
      if (!t) {
        fail(o.weights + ": no tensor '" + p.name + "'");
        return false;
      }
      if (t->shape != p.shape || t->nbytes() != bytes.size()) {
        fail(o.weights + ": tensor '" + p.name + "' does not match the model");
        return false;
      }
      std::memcpy(bytes.data(), t->data, bytes.size());
    }
    params.emplace(p.name, decode(*dtype, p.shape, bytes.data()));
  }
  return true;
}

void printSummary(const std::string &name, const interp::Tensor &t) {
  llvm::outs() << name << ": " << interp::dtypeName(t.dtype) << " "
               << interp::shapeStr(t.shape) << "\n  first:";
  int64_t n = t.size();
  double sum = 0, maxAbs = 0;
  for (int64_t k = 0; k < n; ++k) {
    double v = t.isFloat() ? t.f[k] : static_cast<double>(t.i[k]);
    if (k < 8)
      llvm::outs() << " " << llvm::format("%g", v);
    sum += v;
    maxAbs = std::max(maxAbs, std::fabs(v));
  }
  if (n > 8)
    llvm::outs() << " ...";
  llvm::outs() << "\n  mean: " << llvm::format("%g", n ? sum / n : 0.0)
               << "  max|x|: " << llvm::format("%g", maxAbs) << "\n";
}

} // namespace

int loomc::interpret(mlir::ModuleOp module, const fe::ModelInfo &info,
                     const InterpretOptions &o) {
  auto fn = module.lookupSymbol<mlir::func::FuncOp>(o.function);
  if (!fn)
    return fail("the model has no function '" + o.function +
                "' (forward, or loss when the spec declares one)");
  std::map<std::string, interp::Tensor> params;
  if (!loadParams(info, o, params))
    return 1;
  std::map<std::string, std::string> inputFiles(o.inputs.begin(),
                                                o.inputs.end());
  std::vector<interp::Tensor> args;
  for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
    if (auto p = fn.getArgAttrOfType<mlir::StringAttr>(a, "loom.param")) {
      args.push_back(params.at(p.str()));
      continue;
    }
    auto in = fn.getArgAttrOfType<mlir::StringAttr>(a, "loom.input");
    if (!in)
      return fail("argument #" + std::to_string(a) + " of @" + o.function +
                  " is neither a parameter nor an input");
    auto file = inputFiles.find(in.str());
    if (file == inputFiles.end())
      return fail("input '" + in.str() + "' of @" + o.function +
                  " not given (--input " + in.str() + "=FILE.npy)");
    rt::NpyArray array;
    rt::Status s = rt::readNpy(file->second, array);
    if (!s.isOk())
      return fail(s.message());
    auto dtype = dtypeFromRuntime(array.dtype);
    auto expected = mlir::cast<mlir::RankedTensorType>(fn.getArgument(a).getType());
    if (!dtype || *dtype != *interp::dtypeOf(expected.getElementType()))
      return fail(file->second + ": input '" + in.str() + "' has dtype " +
                  rt::dtypeName(array.dtype) + ", the model expects " +
                  interp::dtypeName(*interp::dtypeOf(expected.getElementType())));
    args.push_back(decode(*dtype, array.shape,
                          reinterpret_cast<const uint8_t *>(array.data.data())));
    inputFiles.erase(file);
  }
  if (!inputFiles.empty())
    return fail("@" + o.function + " has no input '" + inputFiles.begin()->first + "'");

  std::vector<interp::Tensor> results;
  std::string error = interp::run(fn, args, results);
  if (!error.empty())
    return fail(error);
  std::map<std::string, const interp::Tensor *> byName;
  for (unsigned r = 0; r < fn.getNumResults(); ++r) {
    auto name = fn.getResultAttrOfType<mlir::StringAttr>(r, "loom.output");
    std::string n = name ? name.str() : "result" + std::to_string(r);
    byName[n] = &results[r];
    printSummary(n, results[r]);
  }
  for (const auto &[name, path] : o.outputs) {
    auto it = byName.find(name);
    if (it == byName.end())
      return fail("@" + o.function + " has no output '" + name + "'");
    const interp::Tensor &t = *it->second;
    // Written as the artifact ABI lays it out (bf16/f16 as f32, as loom run).
    std::vector<uint8_t> bytes;
    loom_dtype outType;
    if (t.isFloat()) {
      outType = LOOM_DTYPE_F32;
      for (double v : t.f) {
        float x = static_cast<float>(v);
        const uint8_t *b = reinterpret_cast<const uint8_t *>(&x);
        bytes.insert(bytes.end(), b, b + 4);
      }
    } else if (t.dtype == interp::DType::I1) {
      outType = LOOM_DTYPE_I1;
      for (int64_t v : t.i)
        bytes.push_back(v != 0);
    } else {
      outType = t.dtype == interp::DType::I32 ? LOOM_DTYPE_I32 : LOOM_DTYPE_I64;
      for (int64_t v : t.i) {
        if (outType == LOOM_DTYPE_I32) {
          int32_t x = static_cast<int32_t>(v);
          const uint8_t *b = reinterpret_cast<const uint8_t *>(&x);
          bytes.insert(bytes.end(), b, b + 4);
        } else {
          const uint8_t *b = reinterpret_cast<const uint8_t *>(&v);
          bytes.insert(bytes.end(), b, b + 8);
        }
      }
    }
    rt::Status s = rt::writeNpy(path, outType, t.shape, bytes.data(), bytes.size());
    if (!s.isOk())
      return fail(s.message());
  }
  return 0;
}
