// C ABI wrappers around the Halide kernels: turn pointers and extents into
// halide_buffer_t descriptors.
#include "loom_kernels.h"

#include "HalideBuffer.h"
#include "loom_halide_softmax_rows.h"

#include <limits>

namespace {
bool validExtent(int64_t n) {
  return n > 0 && n <= std::numeric_limits<int32_t>::max();
}
} // namespace

extern "C" int loom_kernel_softmax_rows_f32(const float *in, float *out,
                                            int64_t rows, int64_t cols) {
  if (!in || !out || !validExtent(rows) || !validExtent(cols) ||
      rows * cols > std::numeric_limits<int32_t>::max())
    return -1;
  // Halide buffers index dim 0 fastest: (col, row).
  Halide::Runtime::Buffer<float> input(const_cast<float *>(in),
                                       static_cast<int>(cols),
                                       static_cast<int>(rows));
  Halide::Runtime::Buffer<float> output(out, static_cast<int>(cols),
                                        static_cast<int>(rows));
  return loom_halide_softmax_rows(input, output);
}
