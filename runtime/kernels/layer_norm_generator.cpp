// Halide generator for loom's row layer norm:
//   y[r, c] = (x[r, c] - mean_r) / sqrt(var_r + eps) * gamma[c] (+ beta[c])
// with the biased variance var_r = mean_c (x[r, c] - mean_r)^2, computed in a
// second pass over the row (no E[x^2] - mean^2 cancellation). has_beta=false
// builds the variant without the beta input (the C ABI's beta == NULL).
#include "Halide.h"

namespace {

using namespace Halide;

class LayerNormRows : public Generator<LayerNormRows> {
public:
  GeneratorParam<bool> has_beta{"has_beta", true};
  // Lanes of the partial sums: 4 vectors, so the adds of a row are 4
  // independent chains.
  GeneratorParam<int> sum_lanes{"sum_lanes", 64};
  GeneratorParam<int> task_rows{"task_rows", 4};

  // Dim 0 is the contiguous column (normalized) axis, dim 1 the row.
  Input<Buffer<float>> x{"x", 2};
  Input<Buffer<float>> gamma{"gamma", 1};
  Output<Buffer<float>> y{"y", 2};

  // Added by configure() after gamma (so before y in the C signature): beta
  // (has_beta only), then eps.
  GeneratorInput<Buffer<float>> *beta = nullptr;
  GeneratorInput<float> *eps = nullptr;

  void configure() {
    if (has_beta)
      beta = add_input<Buffer<float>>("beta", 1);
    eps = add_input<float>("eps");
  }

  void generate() {
    Var c("c"), r("r"), l("l");
    const int W = sum_lanes;
    Expr cols = x.dim(0).extent();
    Expr full = cols / W;
    RDom ro(0, full, "ro"), rl(0, W, "rl"), rt(full * W, cols - full * W, "rt");

    /* THE ALGORITHM */
    // Row sums as W lane-wise partial sums over the row's full W-blocks, the
    // lanes added at the end, plus the row's last cols % W elements.
    Func psum("psum"), lsum("lsum"), tsum("tsum"), mean("mean");
    psum(l, r) += x(ro * W + l, r);
    lsum(r) += psum(rl, r);
    tsum(r) += x(rt, r);
    mean(r) = (lsum(r) + tsum(r)) / cast<float>(cols);

    Func centered("centered"), pvar("pvar"), lvar("lvar"), tvar("tvar"),
        rstd("rstd");
    centered(c, r) = x(c, r) - mean(r);
    pvar(l, r) += centered(ro * W + l, r) * centered(ro * W + l, r);
    lvar(r) += pvar(rl, r);
    tvar(r) += centered(rt, r) * centered(rt, r);
    rstd(r) = 1.0f / sqrt((lvar(r) + tvar(r)) / cast<float>(cols) + *eps);

    Expr normalized = centered(c, r) * rstd(r) * gamma(c);
    y(c, r) = has_beta ? normalized + (*beta)(c) : normalized;

    /* THE SCHEDULE */
    // Rows are independent: a task per task_rows rows; each row's three
    // passes (sum, centered squares, output) read it from L1.
    const int vec = natural_vector_size<float>();
    Var rt_("rt_"), ri("ri");
    y.split(r, rt_, ri, task_rows, TailStrategy::GuardWithIf)
        .parallel(rt_)
        .vectorize(c, vec, TailStrategy::GuardWithIf);
    for (Func f : {psum, pvar}) {
      f.compute_at(y, ri).vectorize(l);
      f.update().reorder(l, ro).vectorize(l);
    }
    for (Func f : {lsum, tsum, mean, lvar, tvar, rstd})
      f.compute_at(y, ri);
    centered.compute_inline();

    x.dim(0).set_stride(1);
    gamma.dim(0).set_stride(1);
    if (has_beta)
      beta->dim(0).set_stride(1);
    y.dim(0).set_stride(1);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(LayerNormRows, layer_norm_rows)
