// loom_matmul_pack_bt: the extern stage of the matmul generator for B
// stored [n, k] (matmul_generator.cpp). It fills the region of
// bkn(x, k) = B[x, k] that Halide asks for (one K x 48 column panel per
// task), laid out x-fastest, i.e. it transposes a 48-row strip of B.
//
// Halide 14 has no transpose primitive: written in Halide, the copy became one
// scalar insert per element (about a cycle each, 12% of the GEMM at M =
// 256). Here 16 x 16 blocks go through AVX-512 registers (16 loads, 64
// shuffles, 16 stores), when the CPU has AVX-512F; otherwise, and for the
// edges of the region, a scalar loop does it. The function is compiled for
// the baseline x86-64 ISA: the AVX-512 code sits in its own target("avx512f")
// function, chosen by a run-time CPU check, so the SSE4.1 variant of the
// pipeline may call it on any machine.
#include "HalideRuntime.h"

#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LOOM_PACK_AVX512 1
// GCC 12's AVX-512 unpack intrinsics start from _mm512_undefined_ps(), which
// -Wuninitialized reports at every inlined use.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace {

struct Strip {
  const float *src; // B[x, k] at src[x * srcRow + k]
  int64_t srcRow;
  float *dst; // panel(x, k) at dst[x + k * dstRow]
  int64_t dstRow;
};

void transposeScalar(const Strip &s, int x0, int x1, int k0, int k1) {
  for (int k = k0; k < k1; ++k)
    for (int x = x0; x < x1; ++x)
      s.dst[x + k * s.dstRow] = s.src[x * s.srcRow + k];
}

#ifdef LOOM_PACK_AVX512
// Transposes the 16 x 16 block at rows x0.., columns k0.. of the strip.
__attribute__((target("avx512f"))) inline void
transpose16(const Strip &s, int x0, int k0) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i)
    r[i] = _mm512_loadu_ps(s.src + (x0 + i) * s.srcRow + k0);
  // 2 x 2 blocks of floats, then of pairs, then of 128-bit lanes (twice).
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]),
            c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] =
          _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
  }
  // r[m] now holds column k0 + m of the block.
  for (int m = 0; m < 16; ++m)
    _mm512_storeu_ps(s.dst + x0 + (k0 + m) * s.dstRow, r[m]);
}

__attribute__((target("avx512f"))) void transposeAvx512(const Strip &s, int nx,
                                                        int nk) {
  const int fx = nx / 16 * 16, fk = nk / 16 * 16;
  // A strip of 16 rows at a time, along k: 16 sequential read streams,
  // which the prefetchers follow (48 streams at once did not).
  for (int x0 = 0; x0 < fx; x0 += 16)
    for (int k0 = 0; k0 < fk; k0 += 16)
      transpose16(s, x0, k0);
  transposeScalar(s, fx, nx, 0, nk);
  transposeScalar(s, 0, fx, fk, nk);
}

bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

} // namespace

// Halide extern stage: out(x, k) = b(k, x). b is the pipeline input (dims
// k, n); out is the region of bkn (dims x, k) to fill.
extern "C" int loom_matmul_pack_bt(halide_buffer_t *b, halide_buffer_t *out) {
  const int x0 = out->dim[0].min, nx = out->dim[0].extent;
  const int k0 = out->dim[1].min, nk = out->dim[1].extent;
  if (b->is_bounds_query()) {
    // The region of B this needs: rows x0.., columns k0...
    b->dim[0].min = k0;
    b->dim[0].extent = nk;
    b->dim[1].min = x0;
    b->dim[1].extent = nx;
    return 0;
  }
  if (out->is_bounds_query())
    return 0;
  if (b->dim[0].stride != 1 || out->dim[0].stride != 1)
    return -1; // the generator constrains both
  Strip s;
  s.srcRow = b->dim[1].stride;
  s.src = reinterpret_cast<const float *>(b->host) +
          (int64_t)(x0 - b->dim[1].min) * s.srcRow + (k0 - b->dim[0].min);
  s.dstRow = out->dim[1].stride;
  s.dst = reinterpret_cast<float *>(out->host);
#ifdef LOOM_PACK_AVX512
  if (hasAvx512()) {
    transposeAvx512(s, nx, nk);
    return 0;
  }
#endif
  transposeScalar(s, 0, nx, 0, nk);
  return 0;
}
