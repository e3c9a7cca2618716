//===- Tensor.cpp - host tensors of the reference interpreter -------------===//
#include "loom/Interpreter/Tensor.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/APFloat.h"

#include <cstring>

using namespace loom::interp;

const char *loom::interp::dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::I1: return "i1";
  }
  return "?";
}

std::optional<DType> loom::interp::dtypeOf(mlir::Type t) {
  if (t.isF32())
    return DType::F32;
  if (t.isF16())
    return DType::F16;
  if (t.isBF16())
    return DType::BF16;
  if (t.isSignlessInteger(32))
    return DType::I32;
  if (t.isSignlessInteger(64))
    return DType::I64;
  if (t.isSignlessInteger(1))
    return DType::I1;
  return std::nullopt;
}

mlir::Type loom::interp::mlirType(DType t, mlir::MLIRContext *ctx) {
  mlir::Builder b(ctx);
  switch (t) {
  case DType::F32: return b.getF32Type();
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::I32: return b.getI32Type();
  case DType::I64: return b.getI64Type();
  case DType::I1: return b.getI1Type();
  }
  return {};
}

bool loom::interp::isFloat(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

int64_t loom::interp::byteWidth(DType t) {
  switch (t) {
  case DType::F32: case DType::I32: return 4;
  case DType::F16: case DType::BF16: return 2;
  case DType::I64: return 8;
  case DType::I1: return 1;
  }
  return 0;
}

static double viaAPFloat(const llvm::fltSemantics &sem, double v) {
  llvm::APFloat a(v);
  bool lost = false;
  a.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  a.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return a.convertToDouble();
}

double loom::interp::roundTo(DType t, double v) {
  switch (t) {
  case DType::F32: return static_cast<double>(static_cast<float>(v));
  case DType::F16: return viaAPFloat(llvm::APFloat::IEEEhalf(), v);
  case DType::BF16: return viaAPFloat(llvm::APFloat::BFloat(), v);
  default: return v;
  }
}

int64_t loom::interp::wrapTo(DType t, int64_t v) {
  switch (t) {
  case DType::I32:
    return static_cast<int64_t>(
        static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))));
  case DType::I1: return v & 1;
  default: return v;
  }
}

static uint16_t bitsOf(const llvm::fltSemantics &sem, double v) {
  llvm::APFloat a(v);
  bool lost = false;
  a.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(a.bitcastToAPInt().getZExtValue());
}

static double fromBits(const llvm::fltSemantics &sem, uint16_t bits) {
  llvm::APFloat a(sem, llvm::APInt(16, bits));
  bool lost = false;
  a.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return a.convertToDouble();
}

uint16_t loom::interp::toHalfBits(double v) {
  return bitsOf(llvm::APFloat::IEEEhalf(), v);
}
uint16_t loom::interp::toBFloat16Bits(double v) {
  return bitsOf(llvm::APFloat::BFloat(), v);
}
double loom::interp::fromHalfBits(uint16_t b) {
  return fromBits(llvm::APFloat::IEEEhalf(), b);
}
double loom::interp::fromBFloat16Bits(uint16_t b) {
  return fromBits(llvm::APFloat::BFloat(), b);
}

int64_t loom::interp::numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Shape loom::interp::stridesOf(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

std::string loom::interp::shapeStr(const Shape &shape) {
  std::string s = "[";
  for (size_t d = 0; d < shape.size(); ++d)
    s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + "]";
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (t.isFloat())
    t.f.assign(t.size(), 0.0);
  else
    t.i.assign(t.size(), 0);
  return t;
}

Tensor Tensor::floats(DType dtype, Shape shape, std::vector<double> values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.f = std::move(values);
  t.normalize();
  return t;
}

Tensor Tensor::ints(DType dtype, Shape shape, std::vector<int64_t> values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.i = std::move(values);
  t.normalize();
  return t;
}

Tensor Tensor::scalar(DType dtype, double value) {
  if (interp::isFloat(dtype))
    return floats(dtype, {}, {value});
  return ints(dtype, {}, {static_cast<int64_t>(value)});
}

void Tensor::normalize() {
  if (isFloat()) {
    for (double &v : f)
      v = roundTo(dtype, v);
  } else {
    for (int64_t &v : i)
      v = wrapTo(dtype, v);
  }
}

std::vector<uint8_t> Tensor::toBytes() const {
  int64_t n = size(), w = byteWidth(dtype);
  std::vector<uint8_t> out(static_cast<size_t>(n * w));
  uint8_t *p = out.data();
  for (int64_t k = 0; k < n; ++k, p += w) {
    switch (dtype) {
    case DType::F32: {
      float v = static_cast<float>(f[k]);
      std::memcpy(p, &v, 4);
      break;
    }
    case DType::F16: {
      uint16_t v = toHalfBits(f[k]);
      std::memcpy(p, &v, 2);
      break;
    }
    case DType::BF16: {
      uint16_t v = toBFloat16Bits(f[k]);
      std::memcpy(p, &v, 2);
      break;
    }
    case DType::I32: {
      int32_t v = static_cast<int32_t>(i[k]);
      std::memcpy(p, &v, 4);
      break;
    }
    case DType::I64: std::memcpy(p, &i[k], 8); break;
    case DType::I1: *p = static_cast<uint8_t>(i[k] & 1); break;
    }
  }
  return out;
}

Tensor Tensor::fromBytes(DType dtype, Shape shape, const void *data) {
  Tensor t = zeros(dtype, std::move(shape));
  const uint8_t *p = static_cast<const uint8_t *>(data);
  int64_t n = t.size(), w = byteWidth(dtype);
  for (int64_t k = 0; k < n; ++k, p += w) {
    switch (dtype) {
    case DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      t.f[k] = v;
      break;
    }
    case DType::F16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      t.f[k] = fromHalfBits(v);
      break;
    }
    case DType::BF16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      t.f[k] = fromBFloat16Bits(v);
      break;
    }
    case DType::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      t.i[k] = v;
      break;
    }
    case DType::I64: std::memcpy(&t.i[k], p, 8); break;
    case DType::I1: t.i[k] = *p & 1; break;
    }
  }
  return t;
}

std::string Tensor::typeStr() const {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + dtypeName(dtype) + ">";
}
