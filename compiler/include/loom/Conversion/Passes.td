//===- Passes.td - lowering of the loom dialect -*- tablegen -*-===//
//
// Conversions out of the loom dialect. The code-generation passes that work on
// upstream dialects (fusion, arena planning, kernel outlining, entry points)
// are in loom/Codegen/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CONVERSION_PASSES_TD
#define LOOM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLoomToLinalg : Pass<"convert-loom-to-linalg"> {
  let summary = "Lowers primitive loom ops to linalg, tensor, arith and math";
  let description = [{
    Each primitive loom op becomes upstream ops on tensors: elementwise ops
    and reductions become `linalg.generic` (broadcasting through indexing
    maps), `matmul` and `batch_matmul` a contraction `linalg.generic` (loop
    order chosen for a contiguous inner loop), `transpose` `linalg.transpose`, shape ops
    `tensor.reshape` / `extract_slice` / `insert_slice`, lookups
    `tensor.extract` inside a generic. Composite ops must be decomposed first
    (`loom-decompose`). Shapes must be static (bind dims with `--dim`); a
    dynamic shape is reported as an error naming the op.

    The training step's attention (`loom.attention_lse`,
    `loom.attention_grad`) becomes one `loom.parallel` loop nest each that
    never stores a [Tq, Tk] tensor: the log-sum-exp runs over blocks of
    query rows and chunks of keys with an online max; the backward
    (FlashAttention-2's) over (batch..) with, per chunk of keys, a loop over
    the blocks of queries that see it (the causal part skipped), which
    recomputes the probabilities from the log-sum-exp, accumulates dK and
    dV of the chunk in block temporaries and adds into dQ.

    ```mlir
    %y = loom.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
    becomes a `linalg.generic` with maps `(d0, d1) -> (d0, d1)`,
    `(d0, d1) -> (d1)` and `arith.addf` in its body.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

#endif // LOOM_CONVERSION_PASSES_TD
