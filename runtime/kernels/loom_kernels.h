/* loom_kernels.h - C ABI of loom's ahead-of-time generated kernels.
 *
 * Generated code reaches these through func.call, and the runtime may call
 * them directly. Each returns 0 on success, non-zero on failure: a null
 * pointer (where not allowed), an extent <= 0, a tensor of more than
 * INT32_MAX elements (Halide indexes with int32), or inconsistent arguments;
 * then nothing is written. (A failure inside a pipeline, such as a failed
 * allocation, returns Halide's error code.) Tensors are dense row-major f32;
 * outputs must not overlap inputs unless a kernel says otherwise.
 *
 * The kernels are Halide 14 pipelines (runtime/kernels/NAME_generator.cpp),
 * compiled for AVX-512 (skylake-avx512 feature set) with an SSE4.1 fallback
 * chosen at run time.
 *
 * Threads: the kernels' parallel loops go through the Halide runtime's
 * halide_do_par_for, which this library points (once, on the first call of
 * any kernel) at a handler that calls the model library's
 *     void (*loom_parallel_for_hook)(int64_t n,
 *         void (*fn)(void *slots, int64_t begin, int64_t end), void *slots);
 * when the program defines that variable (it is a weak reference here; a
 * compiled model defines it and the runtime points it at its thread pool).
 * Without it (or with it null) the tasks run serially on the calling
 * thread; the kernels never start threads of their own (so a model that
 * calls them should define the hook even if none of its own loops is
 * parallel). A kernel called from inside a hook range runs its tasks
 * serially. Every kernel is safe to call from several threads at once.
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

/* c[m, n] = a[m, k] . B, with B stored as b[k, n] (b_transposed = 0) or as
 * b[n, k] (b_transposed = 1: PyTorch's linear weight layout, c = a b^T).
 * b_transposed must be 0 or 1. c must not overlap a or b. Sums are f32 (FMA)
 * in an order that depends on the shape only, not on the threads (the same
 * bits serially and in parallel). M >= 8 and N >= 48 use the register-tiled
 * GEMM (tiles of 48 x 8 AVX-512 accumulators; per task a K x 48 panel of B
 * packed, transposed by an AVX-512 extern stage when b_transposed); smaller
 * products (GEMV, M = 1) a streaming kernel.
 * runtime/kernels/matmul_generator.cpp, matmul_pack.cpp. */
int loom_kernel_matmul_f32(const float *a, const float *b, float *c,
                           int64_t m, int64_t k, int64_t n, int b_transposed);

/* Layer norm over the last axis:
 *   y[r, c] = (x[r, c] - mean_r) / sqrt(var_r + eps) * gamma[c] + beta[c]
 * with mean_r and the biased variance var_r over the cols of row r. gamma
 * and beta hold cols floats; beta may be NULL (no shift). eps must be >= 0
 * (and not NaN). x and y may alias. runtime/kernels/layer_norm_generator.cpp. */
int loom_kernel_layer_norm_f32(const float *x, const float *gamma,
                               const float *beta, float *y, int64_t rows,
                               int64_t cols, float eps);

/* Fused scaled-dot-product attention, forward. For each of bh slices (batch
 * x heads), with q[tq, d], k[tk, d], v[tk, d] and o[tq, d] the slice's
 * row-major blocks (slice s starts at q + s * tq * d, and so on):
 *   S[i, j] = scale * q[i, :] . k[j, :]   (hidden where causal and j > i)
 *   o[i, :] = sum_j softmax_j(S[i, :]) v[j, :]
 *   lse[s * tq + i] = log sum_j exp(S[i, j])   (visible j only)
 * causal (0 or 1) aligns query i with key i and needs tq == tk; scale must
 * be finite (q is multiplied by it before the dot products). lse may be
 * NULL; otherwise it receives bh * tq floats (for the backward pass). o and
 * lse must not overlap the inputs. The tq x tk scores are never stored: one
 * parallel task per (slice, block of 64 queries; 32 when causal, d = 64 and
 * tq <= 256) keeps its block's scores in a private buffer of block x tk
 * floats (block-row softmax: past a few thousand keys it leaves L2), and a
 * causal block skips the keys past its last query. d = 64 has unrolled
 * register tiles; other d a generic schedule.
 * runtime/kernels/attention_generator.cpp. */
int loom_kernel_attention_f32(const float *q, const float *k, const float *v,
                              float *o, float *lse, int64_t bh, int64_t tq,
                              int64_t tk, int64_t d, float scale, int causal);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_KERNELS_H */
