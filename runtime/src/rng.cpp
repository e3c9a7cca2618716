//===- rng.cpp - reproducible parameter initialization ---------------------===//
//
// Built with -ffp-contract=off (runtime/CMakeLists.txt); see
// loom/formats/rng.h for why nothing here calls libm's transcendental
// functions.
//
//===----------------------------------------------------------------------===//
#include "loom/formats/rng.h"

#include "loom/formats/dtype.h"

#include <cmath>
#include <cstring>

namespace loom::rt {

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string &s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

ParamStream::ParamStream(uint64_t seed, const std::string &name)
    : base_(mix64(fnv1a64(name) ^ mix64(seed))) {}

double ParamStream::uniform(uint64_t n) const {
  return static_cast<double>(draw(n) >> 11) * 0x1.0p-53;
}

double portableLog(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp is exact.
  int e;
  double m = std::frexp(x, &e);
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the series
  // s^(2k+1) / (2k+1) is below 1e-19 relative by k = 12.
  double s = (m - 1) / (m + 1);
  double s2 = s * s;
  double poly = 1.0 / 25;
  for (int k = 11; k >= 0; --k)
    poly = 1.0 / (2 * k + 1) + s2 * poly;
  return 2 * s * poly + e * 0.69314718055994530942;
}

void portableSinCos2Pi(double v, double &sine, double &cosine) {
  // Nearest quarter turn q; r = v - q/4 is exact and |r| <= 1/8, so the
  // series below see |t| <= pi/4 and need terms up to t^18 / 18!.
  double q = std::floor(4 * v + 0.5);
  double r = v - q * 0.25;
  double t = r * 6.28318530717958647693;
  double t2 = t * t;
  // Horner over +-1/n!; the compiler folds the quotients exactly.
  // sin t = t (1 - t2/3! + t2^2/5! - ... + t2^8/17!)
  static const double kSin[] = {1.0,
                                -1.0 / 6,
                                1.0 / 120,
                                -1.0 / 5040,
                                1.0 / 362880,
                                -1.0 / 39916800,
                                1.0 / 6227020800.0,
                                -1.0 / 1307674368000.0,
                                1.0 / 355687428096000.0};
  // cos t = 1 - t2/2! + ... + t2^9/18!
  static const double kCos[] = {1.0,
                                -1.0 / 2,
                                1.0 / 24,
                                -1.0 / 720,
                                1.0 / 40320,
                                -1.0 / 3628800,
                                1.0 / 479001600.0,
                                -1.0 / 87178291200.0,
                                1.0 / 20922789888000.0,
                                -1.0 / 6402373705728000.0};
  double ps = kSin[8];
  for (int k = 7; k >= 0; --k)
    ps = kSin[k] + t2 * ps;
  double pc = kCos[9];
  for (int k = 8; k >= 0; --k)
    pc = kCos[k] + t2 * pc;
  double st = t * ps, ct = pc;
  switch (static_cast<int64_t>(q) & 3) {
  case 0: sine = st; cosine = ct; break;
  case 1: sine = ct; cosine = -st; break;
  case 2: sine = -st; cosine = -ct; break;
  default: sine = -ct; cosine = st; break;
  }
}

namespace {

void store(void *data, loom_dtype dtype, int64_t i, double v) {
  unsigned char *p = static_cast<unsigned char *>(data);
  switch (dtype) {
  case LOOM_DTYPE_F32: {
    float f = static_cast<float>(v);
    std::memcpy(p + 4 * i, &f, 4);
    break;
  }
  case LOOM_DTYPE_F16: {
    uint16_t h = floatToHalf(static_cast<float>(v));
    std::memcpy(p + 2 * i, &h, 2);
    break;
  }
  case LOOM_DTYPE_BF16: {
    uint16_t h = floatToBf16(static_cast<float>(v));
    std::memcpy(p + 2 * i, &h, 2);
    break;
  }
  case LOOM_DTYPE_I32: {
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(p + 4 * i, &x, 4);
    break;
  }
  case LOOM_DTYPE_I64: {
    int64_t x = static_cast<int64_t>(v);
    std::memcpy(p + 8 * i, &x, 8);
    break;
  }
  case LOOM_DTYPE_I1:
    p[i] = v != 0;
    break;
  }
}

} // namespace

void fillInit(const InitSpec &init, uint64_t seed, const std::string &name,
              loom_dtype dtype, int64_t numel, void *data) {
  ParamStream stream(seed, name);
  switch (init.kind) {
  case InitSpec::Kind::Zeros:
  case InitSpec::Kind::Ones:
  case InitSpec::Kind::Constant: {
    double v = init.kind == InitSpec::Kind::Zeros  ? 0.0
               : init.kind == InitSpec::Kind::Ones ? 1.0
                                                   : init.value;
    for (int64_t i = 0; i < numel; ++i)
      store(data, dtype, i, v);
    return;
  }
  case InitSpec::Kind::Uniform:
    for (int64_t i = 0; i < numel; ++i)
      store(data, dtype, i,
            init.low + (init.high - init.low) * stream.uniform(i));
    return;
  case InitSpec::Kind::Normal:
    for (int64_t i = 0; i < numel; i += 2) {
      uint64_t pair = static_cast<uint64_t>(i);
      // u1 in (0, 1] keeps the log finite; u2 in [0, 1).
      double u1 = static_cast<double>((stream.draw(pair) >> 11) + 1) * 0x1.0p-53;
      double u2 = stream.uniform(pair + 1);
      double radius = std::sqrt(-2 * portableLog(u1));
      double sine, cosine;
      portableSinCos2Pi(u2, sine, cosine);
      store(data, dtype, i, init.mean + init.std * radius * cosine);
      if (i + 1 < numel)
        store(data, dtype, i + 1, init.mean + init.std * radius * sine);
    }
    return;
  }
}

} // namespace loom::rt
