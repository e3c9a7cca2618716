// Halide generators for loom's f32 matrix products C[m, n] = A[m, k] · B.
//
//   matmul      B stored [k, n] (b_transposed = false) or [n, k] (true, the
//               PyTorch linear-weight layout). Register-tiled GEMM for
//               M >= tile_y and N >= tile_x (the wrapper checks).
//   matmul_small any shape; the wrapper uses it for M < tile_y (GEMV-like
//               products) and N < tile_x. Memory bound by design.
//
// Halide buffers index dim 0 fastest: A is (k, m), B is (n, k) or (k, n), C
// is (n, m). Built and run at build time (Halide 14 / LLVM 14).
#include "Halide.h"

namespace {

using namespace Halide;

class Matmul : public Generator<Matmul> {
public:
  GeneratorParam<bool> b_transposed{"b_transposed", false};
  // Register tile: tile_x columns (a multiple of the vector width) by tile_y
  // rows of accumulators. 48 x 8 = 3 zmm x 8 rows = 24 of AVX-512's 32
  // registers; the rest hold the B vectors and A broadcasts.
  GeneratorParam<int> tile_x{"tile_x", 48};
  GeneratorParam<int> tile_y{"tile_y", 8};
  // Rows of C one parallel task computes for its column panel (a multiple of
  // tile_y). The task packs its K x tile_x panel of B once and reuses it for
  // all these rows, so larger is less packing; smaller is more tasks.
  GeneratorParam<int> task_rows{"task_rows", 256};
  // Copy the B panel into a dense tile_x-wide buffer per task (always done
  // for b_transposed, where the copy is the transpose).
  GeneratorParam<bool> pack_b{"pack_b", true};

  Input<Buffer<float>> a{"a", 2};
  Input<Buffer<float>> b{"b", 2};
  Output<Buffer<float>> c{"c", 2};

  void generate() {
    Var x("x"), y("y");
    Expr K = a.dim(0).extent();
    RDom r(0, K, "r");

    /* THE ALGORITHM */
    // bkn(x, k) = B[k, x] whatever the storage order. For B stored [n, k]
    // it is an extern stage, loom_matmul_pack_bt (matmul_pack.cpp): Halide 14
    // lowers a transpose to one scalar insert per element (~1 cycle, 12% of
    // the GEMM at M = 256), the extern uses AVX-512 16 x 16 register
    // transposes. It fills the region of bkn it is asked for (a panel).
    Func bkn("bkn"), prod("prod");
    if (b_transposed)
      bkn.define_extern("loom_matmul_pack_bt", {b}, Float(32), {x, y},
                        NameMangling::C);
    else
      bkn(x, y) = b(x, y);
    prod(x, y) += a(r, y) * bkn(x, r);
    c(x, y) = prod(x, y);

    /* THE SCHEDULE */
    const int vec = natural_vector_size<float>();
    const int tx = tile_x, ty = tile_y;
    const int chunk = task_rows / ty; // micro tiles per task
    Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), yoo("yoo"), yoi("yoi"),
        task("task");
    // Shift-inwards tails: the last panel / micro tile overlaps its neighbour
    // and recomputes a few outputs (the same values), so every micro tile is
    // full and its loops have constant extents. Needs N >= tile_x and
    // M >= tile_y. The row-chunk split only guards whole micro tiles.
    c.split(x, xo, xi, tx, TailStrategy::ShiftInwards)
        .split(y, yo, yi, ty, TailStrategy::ShiftInwards)
        .split(yo, yoo, yoi, chunk, TailStrategy::GuardWithIf)
        .reorder(xi, yi, yoi, xo, yoo)
        .fuse(xo, yoo, task)
        .parallel(task)
        .vectorize(xi, vec)
        .unroll(xi)
        .unroll(yi);
    // The accumulators: a tile_x x tile_y block that LLVM keeps in registers
    // across the whole k loop (all its indices are constants after unrolling).
    prod.compute_at(c, yoi).vectorize(x, vec).unroll(x).unroll(y);
    prod.update()
        .reorder(x, y, r)
        .vectorize(x, vec)
        .unroll(x)
        .unroll(y)
        .unroll(r, 2, TailStrategy::GuardWithIf);
    if (b_transposed) {
      // Per task: the K x tile_x panel of B, dense with stride tile_x (a
      // compile-time constant: the extern's region is only known at run
      // time, and with a variable stride LLVM spilled accumulators).
      bkn.compute_at(c, task).bound_storage(x, tx);
    } else if (pack_b) {
      bkn.compute_at(c, task).vectorize(x, vec).unroll(x);
    }

    a.dim(0).set_stride(1);
    b.dim(0).set_stride(1);
    c.dim(0).set_stride(1);
  }
};

class MatmulSmall : public Generator<MatmulSmall> {
public:
  GeneratorParam<bool> b_transposed{"b_transposed", false};
  // b_transposed = false: vectors of columns per task (its accumulators).
  GeneratorParam<int> task_vectors{"task_vectors", 8};

  Input<Buffer<float>> a{"a", 2};
  Input<Buffer<float>> b{"b", 2};
  Output<Buffer<float>> c{"c", 2};

  void generate() {
    Var x("x"), y("y"), l("l");
    Expr K = a.dim(0).extent();
    const int vec = natural_vector_size<float>();

    /* THE ALGORITHM */
    if (!b_transposed) {
      // c(x, y) = sum_k a(k, y) b(x, k): rows of B stream through, one
      // broadcast of a per row.
      RDom r(0, K, "r");
      Func prod("prod");
      prod(x, y) += a(r, y) * b(x, r);
      c(x, y) = prod(x, y);

      /* THE SCHEDULE */
      // Tasks of task_vectors vectors of columns (per row of C); k
      // innermost but one, the accumulators in registers.
      Var xo("xo"), xi("xi"), t("t");
      const int tx = vec * task_vectors;
      c.split(x, xo, xi, tx, TailStrategy::GuardWithIf)
          .reorder(xi, xo, y)
          .fuse(xo, y, t)
          .parallel(t)
          .vectorize(xi, vec, TailStrategy::GuardWithIf);
      prod.compute_at(c, t).vectorize(x, vec, TailStrategy::GuardWithIf);
      prod.update()
          .reorder(x, r)
          .vectorize(x, vec, TailStrategy::GuardWithIf)
          .unroll(r, 2, TailStrategy::GuardWithIf);
    } else {
      // c(x, y) = sum_k a(k, y) b(k, x): dot products along contiguous k.
      // part(l, x, y) sums lane l of the vec-wide k blocks; the row's last
      // K % vec elements are added separately.
      Expr kv = K / vec;
      RDom ro(0, kv, "ro"), rl(0, vec, "rl"), rt(kv * vec, K - kv * vec, "rt");
      Func part("part"), tail("tail");
      part(l, x, y) += a(ro * vec + l, y) * b(ro * vec + l, x);
      tail(x, y) += a(rt, y) * b(rt, x);
      c(x, y) = sum(part(rl, x, y)) + tail(x, y);

      /* THE SCHEDULE */
      // A task is 4 columns of one row of C: 4 vector accumulators over k.
      Var xo("xo"), xi("xi"), t("t");
      c.split(x, xo, xi, 4, TailStrategy::GuardWithIf)
          .reorder(xi, xo, y)
          .fuse(xo, y, t)
          .parallel(t);
      part.compute_at(c, t).vectorize(l).unroll(x);
      part.update().reorder(l, x, ro).vectorize(l).unroll(x);
      tail.compute_at(c, t);
    }

    a.dim(0).set_stride(1);
    b.dim(0).set_stride(1);
    c.dim(0).set_stride(1);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(Matmul, matmul)
HALIDE_REGISTER_GENERATOR(MatmulSmall, matmul_small)
