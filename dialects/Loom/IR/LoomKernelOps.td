//===- LoomKernelOps.td - calls of ahead-of-time generated kernels --------===//
#ifndef LOOM_KERNEL_OPS
#define LOOM_KERNEL_OPS

include "Loom/IR/LoomBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"

def Loom_KernelCallOp : Op<Loom_Dialect, "kernel_call",
    [AttrSizedOperandSegments, DestinationStyleOpInterface]> {
  let summary = "an op instance computed by an ahead-of-time generated kernel";
  let description = [{
    Code generation's second generator: `loom-select-kernels` replaces an op
    instance it hands to a Halide kernel (runtime/kernels/, C ABI in
    `loom_kernels.h`) by this op, which names the kernel and carries the
    op's attributes. It is destination-passing: on tensors the results are
    the `outs`; one-shot bufferization turns it into the same op on
    buffers, without results, writing into the `outs` buffers, and
    `loom-lower-kernel-calls` turns that into a call of
    `loom_kernel_<kernel>_f32` with pointers and extents. Never created by
    the front end; the interpreter does not know it.

    ```mlir
    %o = loom.kernel_call "attention" ins(%q, %k, %v : tensor<1x12x64x64xf32>, tensor<1x12x64x64xf32>, tensor<1x12x64x64xf32>)
           outs(%init : tensor<1x12x64x64xf32>) {causal = true, scale = 1.250000e-01 : f64} -> tensor<1x12x64x64xf32>
    loom.kernel_call "attention" ins(%qb, %kb, %vb : memref<1x12x64x64xf32>, memref<1x12x64x64xf32>, memref<1x12x64x64xf32>)
           outs(%ob : memref<1x12x64x64xf32>) {causal = true, scale = 1.250000e-01 : f64}
    ```
  }];
  let arguments = (ins StrAttr:$kernel, Variadic<AnyShaped>:$inputs,
                       Variadic<AnyShaped>:$outputs, DictionaryAttr:$params);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $kernel (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` $params attr-dict
    (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
}

#endif // LOOM_KERNEL_OPS
