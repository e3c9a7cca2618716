// Halide generator for loom's row softmax: out[r, c] = exp(in[r, c] - max_r) /
// sum_c exp(in[r, c] - max_r), f32, one row per softmax. Built and run at build
// time (Halide 14 / LLVM 14); the compiler and runtime only see the object code.
#include "Halide.h"

namespace {

class SoftmaxRows : public Halide::Generator<SoftmaxRows> {
public:
  // Dim 0 is the contiguous column (softmax) axis, dim 1 the row.
  Input<Buffer<float>> input{"input", 2};
  Output<Buffer<float>> output{"output", 2};

  void generate() {
    Var c("c"), r("r");
    Expr cols = input.dim(0).extent();
    RDom k(0, cols);

    /* THE ALGORITHM */
    Func row_max("row_max"), shifted("shifted"), row_sum("row_sum");
    row_max(r) = Halide::Float(32).min();
    row_max(r) = max(row_max(r), input(k, r));
    shifted(c, r) = exp(input(c, r) - row_max(r));
    row_sum(r) = 0.0f;
    row_sum(r) += shifted(k, r);
    output(c, r) = shifted(c, r) / row_sum(r);

    /* THE SCHEDULE */
    // Rows are independent: one task per row block. The three passes over a
    // row stay in L1 for transformer widths (<= 50k columns f32 = 200 KB is L2).
    const int vec = natural_vector_size<float>();
    output.parallel(r).vectorize(c, vec, TailStrategy::GuardWithIf);
    row_max.compute_at(output, r);
    row_max.update().atomic().vectorize(k, vec);
    shifted.compute_at(output, r).vectorize(c, vec, TailStrategy::GuardWithIf);
    row_sum.compute_at(output, r);
    row_sum.update().atomic().vectorize(k, vec);

    input.dim(0).set_stride(1);
    output.dim(0).set_stride(1);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SoftmaxRows, softmax_rows)
