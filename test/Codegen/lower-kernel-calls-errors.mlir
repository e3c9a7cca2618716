// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-lower-kernel-calls

// What loom-lower-kernel-calls refuses, each with an error at the call.

func.func @tensors(%q: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @+1 {{loom-lower-kernel-calls: runs after bufferization (the call still has tensors)}}
  %o = loom.kernel_call "softmax_rows" ins(%q : tensor<4xf32>) outs(%e : tensor<4xf32>) {} -> tensor<4xf32>
  return %o : tensor<4xf32>
}

// -----

func.func @unknown(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{loom-lower-kernel-calls: no kernel 'conv' with 1 inputs}}
  loom.kernel_call "conv" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {}
  return
}

// -----

func.func @strided(%x: memref<4xf32, strided<[1], offset: 2>>, %y: memref<4xf32>) {
  // expected-error @+1 {{operand 'memref<4xf32, strided<[1], offset: 2>>' is not a dense buffer the kernel can take}}
  loom.kernel_call "softmax_rows" ins(%x : memref<4xf32, strided<[1], offset: 2>>) outs(%y : memref<4xf32>) {}
  return
}

// -----

func.func @mixed(%x: tensor<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{operands must be all ranked tensors or all memrefs}}
  loom.kernel_call "softmax_rows" ins(%x : tensor<4xf32>) outs(%y : memref<4xf32>) {}
  return
}

// -----

func.func @result_type(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{result type 'tensor<8xf32>' differs from its output's 'tensor<4xf32>'}}
  %r = loom.kernel_call "softmax_rows" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {} -> tensor<8xf32>
  return
}
