//===- loom/formats/rng.h - reproducible parameter init -------------------===//
//
// Part of loom_formats: the manifest's `init` and the bytes it stands for
// (loom init, loom_init_params and loomc --interpret agree through it).
//
// Same seed => same bytes on any machine. Three things make that hold:
//  * the generator is integer-only (splitmix64, counter-based: draw n of a
//    stream is mix64(base + (n + 1) * 0x9E3779B97F4A7C15), so values do not
//    depend on the order elements are filled in);
//  * the floating point uses only IEEE-754 operations that are correctly
//    rounded everywhere (+ - * / sqrt, floor, frexp): log, sin and cos are
//    fixed series here instead of libm, whose last bits differ across
//    versions; rng.cpp is compiled with -ffp-contract=off so no compiler
//    fuses a*b+c into an FMA on one machine and not another;
//  * rounding to f16/bf16 is integer code (dtype.h).
//
// Each parameter has its own stream, base = mix64(fnv1a64(NAME) ^
// mix64(seed)), so adding, removing or reordering parameters leaves the
// others' values alone. fillInit writes exactly NUMEL elements: the caller
// sizes the buffer with checkedSize (dtype.h).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_RNG_H
#define LOOM_FORMATS_RNG_H

#include "loom/runtime.h"

#include <cstdint>
#include <string>

namespace loom::rt {

/// A parameter's `init` from the manifest.
struct InitSpec {
  enum class Kind { Normal, Uniform, Zeros, Ones, Constant };
  Kind kind = Kind::Zeros;
  double mean = 0, std = 0; // Normal
  double low = 0, high = 0; // Uniform
  double value = 0;         // Constant
};

/// splitmix64's finalizer: a bijection on 64-bit integers.
uint64_t mix64(uint64_t x);
/// FNV-1a, 64-bit.
uint64_t fnv1a64(const std::string &s);

/// The counter-based stream of one parameter.
class ParamStream {
public:
  ParamStream(uint64_t seed, const std::string &name);
  uint64_t draw(uint64_t n) const {
    return mix64(base_ + (n + 1) * 0x9E3779B97F4A7C15ull);
  }
  /// Draw n as a double in [0, 1) (its top 53 bits).
  double uniform(uint64_t n) const;

private:
  uint64_t base_;
};

/// log(x) for finite x > 0, and sin/cos(2*pi*v) for v in [0, 1), accurate to
/// a few ulp and bit-identical on every IEEE-754 machine.
double portableLog(double x);
void portableSinCos2Pi(double v, double &sine, double &cosine);

/// Fills NUMEL elements of DTYPE at DATA with INIT's values for parameter
/// NAME. Normal: Box-Muller on draws (2k, 2k+1) gives elements (2k, 2k+1).
/// Uniform: element k = low + (high - low) * uniform(k). Values are computed
/// in double and rounded to the dtype to nearest-even (through f32 for f16
/// and bf16; integers and i1 take zeros/ones/constant only).
void fillInit(const InitSpec &init, uint64_t seed, const std::string &name,
              loom_dtype dtype, int64_t numel, void *data);

} // namespace loom::rt

#endif // LOOM_FORMATS_RNG_H
