/* loom_kernels.h - C ABI of loom's ahead-of-time generated kernels.
 *
 * Generated code reaches these through func.call, and the runtime may call
 * them directly. Each returns 0 on success, non-zero on failure (for instance
 * a bad extent). Tensors are dense row-major f32.
 */
#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[r, :] = softmax(in[r, :]) for r < rows; in and out hold rows * cols
 * floats and may alias. Halide kernel (runtime/kernels/softmax_generator.cpp). */
int loom_kernel_softmax_rows_f32(const float *in, float *out, int64_t rows,
                                 int64_t cols);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_KERNELS_H */
