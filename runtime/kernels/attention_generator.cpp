// Halide generator for loom's fused scaled-dot-product attention forward:
// per batch*head slice b,
//   o[b, i, :] = sum_j softmax_j(scale * q[b, i, :] . k[b, j, :]) v[b, j, :]
//   lse[b, i]  = log sum_j exp(scale * q[b, i, :] . k[b, j, :])
// with key j > query i hidden when `causal` (then tq == tk).
//
// One call of this pipeline computes ONE block of up to q_block queries,
// starting at query q_start, for each slice of the buffers it is given (the
// C wrapper passes one slice): the wrapper runs the (slice, block) tasks in
// parallel through loom's hook. The pipeline itself has no parallel loop.
//
// A task keeps its block's scores s[q_block, keys] in a private buffer
// (block-row softmax: the whole row of keys at once, which stays in L2 up to
// a few thousand keys), so the tq x tk score matrix is never written out. A
// causal block stops at its last query's key.
//
// Layout: scores and probabilities are query-fastest, (ii, j), so both
// products run on vectors of 16 queries with the k / v element broadcast from
// its own contiguous row; only the q block is transposed (once per task).
//
// Halide dims: q is (d, tq, nb), k and v (d, tk, nb); the outputs hold the
// block's rows only: o is (d, rows, nb) and lse (rows, nb), rows <= q_block
// (the last block of a slice is short; its missing rows are computed from a
// repeated query and dropped). head_dim > 0 fixes d at compile time
// (unrolled register tiles); head_dim = 0 takes any d.
//
// Why one block per call: with both outputs computed per task, Halide 14
// needs compute_with to share the task's intermediates between o and lse,
// and compute_with on a fused (block, slice) parallel loop loses the child's
// bounds (each task then computed every block up to its own). Per call, the
// outputs share a plain loop over slices, whose bounds stay exact.
#include "Halide.h"

#include <cstdio>
#include <cstdlib>

namespace {

using namespace Halide;

class Attention : public Generator<Attention> {
public:
  GeneratorParam<int> head_dim{"head_dim", 64};
  // Queries per task; the C wrapper splits the queries by it.
  GeneratorParam<int> q_block{"q_block", 64};
  // QK^T register tile: (q_block / 16) vectors of queries x key_tile keys.
  GeneratorParam<int> key_tile{"key_tile", 6};
  // PV register tile: (head_dim / 16) vectors of d x out_rows queries; a
  // divisor of q_block.
  GeneratorParam<int> out_rows{"out_rows", 4};

  Input<Buffer<float>> q{"q", 3};
  Input<Buffer<float>> k{"k", 3};
  Input<Buffer<float>> v{"v", 3};
  Input<float> scale{"scale"};
  Input<bool> causal{"causal"};
  // Index in q of the block's first query.
  Input<int> q_start{"q_start"};
  Output<Buffer<float>> o{"o", 3};
  Output<Buffer<float>> lse{"lse", 2};

  void generate() {
    const int QB = q_block;
    const int D0 = head_dim;
    const int vec = natural_vector_size<float>();
    const int KT = key_tile, OR = out_rows;
    if (QB % vec != 0 || QB % OR != 0) {
      std::fprintf(stderr, "attention: q_block must be a multiple of the "
                           "vector width and of out_rows\n");
      std::abort();
    }
    Var ii("ii"), j("j"), dd("dd"), b("b");
    Expr D = D0 > 0 ? Expr(D0) : q.dim(0).extent();
    Expr tq = q.dim(1).extent(), tk = k.dim(1).extent();
    const Expr lowest = Float(32).min();

    /* THE ALGORITHM */
    // Row ii is query q_start + ii; rows past tq repeat query tq - 1
    // (computed, never stored). q is pre-scaled.
    Func qT("qT"), kc("kc");
    qT(ii, dd, b) = q(dd, min(q_start + ii, tq - 1), b) * scale;
    // Keys clamped: score tiles may round up past tk.
    kc(dd, j, b) = k(dd, min(j, tk - 1), b);

    // Scores of the block against every key it sees.
    RDom rd(0, D, "rd");
    Func sacc("sacc"), s("s");
    sacc(ii, j, b) += qT(ii, rd, b) * kc(rd, j, b);
    s(ii, j, b) = sacc(ii, j, b);

    // Keys [0, kend) matter to the block; within them, key j is visible to
    // row ii when j <= q_start + ii.
    Expr kend = select(causal, min(tk, q_start + QB), tk);
    RDom rj(0, tk, "rj");
    rj.where(rj < kend);
    auto visible = [&](Expr key) { return !causal || key <= q_start + ii; };

    Func mx("mx"), p("p"), l("l"), acc("acc");
    mx(ii, b) = lowest;
    mx(ii, b) = max(mx(ii, b), select(visible(rj), s(ii, rj, b), lowest));
    p(ii, j, b) = select(visible(j), exp(s(ii, j, b) - mx(ii, b)), 0.0f);
    l(ii, b) += p(ii, rj, b);
    acc(dd, ii, b) += p(ii, rj, b) * v(dd, rj, b);

    o(dd, ii, b) = acc(dd, ii, b) / l(ii, b);
    lse(ii, b) = mx(ii, b) + log(l(ii, b));

    /* THE SCHEDULE */
    Var io("io"), iii("iii"), jo("jo"), ji("ji");
    // Per slice: the intermediates for the whole block (so every extent is
    // a constant), then o's and lse's rows.
    o.reorder(dd, ii, b);
    lse.compute_with(o, b);
    for (Func f : {qT, s, mx, p, l, acc})
      f.compute_at(o, b).bound(ii, 0, QB);

    qT.vectorize(ii, vec).unroll(ii);

    // s = q k^T: register tile of QB x KT; the KT keys' k rows are broadcast,
    // the QB queries' q column is QB / 16 vector loads.
    s.split(j, jo, ji, KT, TailStrategy::RoundUp)
        .reorder(ii, ji, jo)
        .vectorize(ii, vec)
        .unroll(ii)
        .unroll(ji);
    sacc.compute_at(s, jo).vectorize(ii, vec).unroll(ii).unroll(j);
    sacc.update()
        .reorder(ii, j, rd)
        .vectorize(ii, vec)
        .unroll(ii)
        .unroll(j);

    mx.vectorize(ii, vec);
    mx.update().reorder(ii, rj).vectorize(ii, vec);
    p.reorder(ii, j).vectorize(ii, vec);
    l.vectorize(ii, vec);
    l.update().reorder(ii, rj).vectorize(ii, vec);

    // acc = p v: register tile of OR queries x D (the tile's accumulators
    // stay in registers across the key loop: LLVM promotes them, all other
    // accesses being to other buffers); per key, OR broadcasts of p and
    // D / 16 vector loads of the v row.
    if (D0 > 0) {
      acc.vectorize(dd, vec).unroll(dd);
      acc.update()
          .split(ii, io, iii, OR)
          .reorder(dd, iii, rj, io)
          .vectorize(dd, vec)
          .unroll(dd)
          .unroll(iii);
      o.vectorize(dd, vec).unroll(dd);
    } else {
      acc.vectorize(dd, vec, TailStrategy::GuardWithIf);
      acc.update()
          .split(ii, io, iii, OR)
          .reorder(dd, iii, rj, io)
          .vectorize(dd, vec, TailStrategy::GuardWithIf)
          .unroll(iii);
      o.vectorize(dd, vec, TailStrategy::GuardWithIf);
    }

    // Dense rows; the outputs start at row 0 of the block and slice 0.
    for (auto *in : {&q, &k, &v}) {
      in->dim(0).set_stride(1);
      in->dim(1).set_min(0);
      in->dim(2).set_min(0);
    }
    v.dim(1).set_extent(tk);
    o.dim(0).set_stride(1);
    o.dim(1).set_min(0);
    o.dim(2).set_min(0);
    lse.dim(0).set_stride(1);
    lse.dim(0).set_min(0);
    lse.dim(1).set_min(0);
    if (D0 > 0) {
      for (auto *t : {&q, &k, &v})
        t->dim(0).set_bounds(0, D0);
      o.dim(0).set_bounds(0, D0);
    }
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(Attention, attention)
