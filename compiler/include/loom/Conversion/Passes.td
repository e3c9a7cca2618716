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

    ```mlir
    %y = loom.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
    becomes a `linalg.generic` with maps `(d0, d1) -> (d0, d1)`,
    `(d0, d1) -> (d1)` and `arith.addf` in its body.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // LOOM_CONVERSION_PASSES_TD
