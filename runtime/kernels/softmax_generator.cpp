// Halide generator for loom's row softmax: out[r, c] = exp(in[r, c] - max_r) /
// sum_c exp(in[r, c] - max_r), f32, one row per softmax. Built and run at build
// time (Halide 14 / LLVM 14); the compiler and runtime only see the object code.
#include "Halide.h"

namespace {

class SoftmaxRows : public Halide::Generator<SoftmaxRows> {
public:
  // Lanes of the partial max / sum: 4 vectors, so a row's reduction is 4
  // independent chains with one horizontal step at the end (an atomic
  // vectorized reduction reduced every vector horizontally).
  GeneratorParam<int> lanes{"lanes", 64};
  GeneratorParam<int> task_rows{"task_rows", 4};

  // Dim 0 is the contiguous column (softmax) axis, dim 1 the row.
  Input<Buffer<float>> input{"input", 2};
  Output<Buffer<float>> output{"output", 2};

  void generate() {
    Var c("c"), r("r"), l("l");
    const int W = lanes;
    Expr cols = input.dim(0).extent();
    Expr full = cols / W;
    // The row's full W-blocks, lane by lane; the last cols % W columns.
    RDom ro(0, full, "ro"), rl(0, W, "rl"), rt(full * W, cols - full * W, "rt");
    const Expr lowest = Halide::Float(32).min();

    /* THE ALGORITHM */
    Func pmax("pmax"), row_max("row_max"), shifted("shifted"), psum("psum"),
        row_sum("row_sum");
    pmax(l, r) = lowest;
    pmax(l, r) = max(pmax(l, r), input(ro * W + l, r));
    row_max(r) = lowest;
    row_max(r) = max(row_max(r), pmax(rl, r));
    row_max(r) = max(row_max(r), input(rt, r));
    shifted(c, r) = exp(input(c, r) - row_max(r));
    psum(l, r) += shifted(ro * W + l, r);
    row_sum(r) += psum(rl, r);
    row_sum(r) += shifted(rt, r);
    output(c, r) = shifted(c, r) / row_sum(r);

    /* THE SCHEDULE */
    // Rows are independent: one task per task_rows rows. A row's passes
    // (max, exp and sum, scale) run from L1 for transformer widths (<= 50k
    // columns f32 = 200 KB is L2). shifted is stored once per task (folded
    // to one row), not allocated per row.
    const int vec = natural_vector_size<float>();
    Var rt_("rt_"), ri("ri");
    output.split(r, rt_, ri, task_rows, TailStrategy::GuardWithIf)
        .parallel(rt_)
        .vectorize(c, vec, TailStrategy::GuardWithIf);
    for (Func f : {pmax, psum}) {
      f.compute_at(output, ri).vectorize(l);
      f.update().reorder(l, ro).vectorize(l);
    }
    // The W partial results fold in one vector reduction; the tail is
    // scalar (< W columns).
    for (Func f : {row_max, row_sum}) {
      f.compute_at(output, ri);
      f.update(0).atomic().vectorize(rl);
      f.update(1).unscheduled();
    }
    shifted.store_at(output, rt_)
        .compute_at(output, ri)
        .vectorize(c, vec, TailStrategy::GuardWithIf);

    input.dim(0).set_stride(1);
    output.dim(0).set_stride(1);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SoftmaxRows, softmax_rows)
