//===- loom/formats/dtype.h - dtypes, shapes, 16-bit floats ---------------===//
//
// Part of loom_formats, the runtime's public file-format library (no MLIR;
// the runtime, the `loom` CLI and loomc share it). loom's dtypes and their
// manifest spellings; checkedSize, the overflow-checked shape arithmetic
// every reader sizes a tensor with, so that a hostile shape is an error and
// never a wrapped-around size; f16/bf16 conversions by integer code.
// Header-only: the parsers use it and compile alone for the fuzzers.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_DTYPE_H
#define LOOM_FORMATS_DTYPE_H

#include "loom/runtime.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace loom::rt {

constexpr loom_dtype kAllDTypes[] = {LOOM_DTYPE_F32, LOOM_DTYPE_F16,
                                     LOOM_DTYPE_BF16, LOOM_DTYPE_I32,
                                     LOOM_DTYPE_I64,  LOOM_DTYPE_I1};

/// The manifest spelling: "f32", ...; nullptr for a value outside the enum.
inline const char *dtypeName(loom_dtype t) {
  switch (t) {
  case LOOM_DTYPE_F32: return "f32";
  case LOOM_DTYPE_F16: return "f16";
  case LOOM_DTYPE_BF16: return "bf16";
  case LOOM_DTYPE_I32: return "i32";
  case LOOM_DTYPE_I64: return "i64";
  case LOOM_DTYPE_I1: return "i1";
  }
  return nullptr;
}

inline size_t dtypeSize(loom_dtype t) {
  switch (t) {
  case LOOM_DTYPE_F32: case LOOM_DTYPE_I32: return 4;
  case LOOM_DTYPE_F16: case LOOM_DTYPE_BF16: return 2;
  case LOOM_DTYPE_I64: return 8;
  case LOOM_DTYPE_I1: return 1;
  }
  return 0;
}

/// The safetensors spelling of a loom dtype ("F32", ..., i1 is "BOOL").
inline const char *safetensorsDTypeName(loom_dtype t) {
  switch (t) {
  case LOOM_DTYPE_F32: return "F32";
  case LOOM_DTYPE_F16: return "F16";
  case LOOM_DTYPE_BF16: return "BF16";
  case LOOM_DTYPE_I32: return "I32";
  case LOOM_DTYPE_I64: return "I64";
  case LOOM_DTYPE_I1: return "BOOL";
  }
  return nullptr;
}

inline bool parseDTypeName(const std::string &s, loom_dtype &out) {
  for (loom_dtype t : kAllDTypes)
    if (s == dtypeName(t)) {
      out = t;
      return true;
    }
  return false;
}

inline bool isFloatDType(loom_dtype t) {
  return t == LOOM_DTYPE_F32 || t == LOOM_DTYPE_F16 || t == LOOM_DTYPE_BF16;
}

/// numel and numel * elemSize, or false if either overflows (numel must fit
/// int64_t, bytes uint64_t) or a dim is negative.
inline bool checkedSize(const std::vector<int64_t> &shape, uint64_t elemSize,
                        int64_t &numel, uint64_t &nbytes) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d != 0 && n > static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(d))
      return false;
    n *= static_cast<uint64_t>(d);
  }
  if (elemSize != 0 && n > UINT64_MAX / elemSize)
    return false;
  numel = static_cast<int64_t>(n);
  nbytes = n * elemSize;
  return true;
}

/// "[2, 3]"; "[]" for a scalar.
inline std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

//===----------------------------------------------------------------------===//
// 16-bit floats. Rounding is to nearest-even, by integer arithmetic only, so
// the results are the same on every machine.
//===----------------------------------------------------------------------===//

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t floatToBf16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN
    return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16ToFloat(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

inline uint16_t floatToHalf(float f) {
  uint32_t u = floatBits(f);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) // NaN
    return sign | 0x7e00;
  if (a >= 0x477ff000u) // rounds to >= 65520: infinity (and infinity itself)
    return sign | 0x7c00;
  if (a < 0x38800000u) { // below 2^-14: subnormal half (or zero)
    if (a < 0x33000000u) // below 2^-25: rounds to zero
      return sign;
    uint32_t exp = a >> 23;
    uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exp; // 14..24: brings mant to units of 2^-24
    uint32_t q = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
      ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits. A carry
  // out of the mantissa correctly bumps the exponent.
  uint32_t r = a - 0x38000000u; // exponent bias 127 -> 15
  r += 0xfffu + ((r >> 13) & 1);
  return static_cast<uint16_t>(sign | (r >> 13));
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f)
    return bitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0)
      return bitsFloat(sign);
    // Subnormal: value = mant * 2^-24, exact in float.
    float v = static_cast<float>(mant) * bitsFloat(0x33800000u);
    return sign ? -v : v;
  }
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

/// Element i of a buffer of dtype t, as a double (for summaries and tests).
inline double elementAsDouble(const void *data, loom_dtype t, size_t i) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  switch (t) {
  case LOOM_DTYPE_F32: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case LOOM_DTYPE_F16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return halfToFloat(v); }
  case LOOM_DTYPE_BF16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return bf16ToFloat(v); }
  case LOOM_DTYPE_I32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case LOOM_DTYPE_I64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return static_cast<double>(v); }
  case LOOM_DTYPE_I1: return p[i] ? 1.0 : 0.0;
  }
  return 0;
}

} // namespace loom::rt

#endif // LOOM_FORMATS_DTYPE_H
