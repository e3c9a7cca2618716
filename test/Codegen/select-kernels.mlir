// RUN: loom-opt %s --split-input-file --loom-select-kernels=kernels=halide | FileCheck %s --check-prefix=HALIDE
// RUN: loom-opt %s --split-input-file --loom-select-kernels=kernels=mlir | FileCheck %s --check-prefix=MLIR
// RUN: loom-opt %s --split-input-file --loom-select-kernels | FileCheck %s --check-prefix=AUTO
// RUN: not loom-opt %s --split-input-file --loom-select-kernels=kernels=cuda 2>&1 | FileCheck %s --check-prefix=BAD

// Every op instance a Halide kernel computes becomes a loom.kernel_call
// with --kernels=halide; --kernels=mlir leaves them; auto (no cache) asks
// the cost model, which keeps loom's own code (Halide only where a
// measurement in the cache says so).

// BAD: error: loom-select-kernels: kernels must be mlir, halide or auto, not 'cuda'

// HALIDE-LABEL: func.func @ops
// HALIDE: %[[E0:.*]] = tensor.empty() : tensor<1x2x8x16xf32>
// HALIDE: %[[A:.*]] = loom.kernel_call "attention" ins(%arg0, %arg0, %arg0 : {{.*}}) outs(%[[E0]] : tensor<1x2x8x16xf32>) {causal = true, scale = 2.500000e-01 : f64} -> tensor<1x2x8x16xf32>
// A mask operand is not the kernel's: loom's own code.
// HALIDE: loom.attention %arg0, %arg0, %arg0 mask(%arg5)
// HALIDE: loom.kernel_call "layer_norm" ins(%arg1, %arg2, %arg3 : {{.*}}) outs(%{{.*}} : tensor<8x16xf32>) {epsilon = 1.000000e-05 : f64}
// The linear's GEMM is the call; its bias is added after it.
// HALIDE: %[[L:.*]] = loom.kernel_call "matmul" ins(%arg1, %arg4 : tensor<8x16xf32>, tensor<32x16xf32>) outs(%{{.*}} : tensor<8x32xf32>) {b_transposed = true}
// HALIDE: loom.add %[[L]], %arg6
// HALIDE: loom.kernel_call "softmax_rows" ins(%arg1 : tensor<8x16xf32>)
// A softmax along another axis is not.
// HALIDE: loom.softmax %arg1 axis = 0
// Dynamic shapes are not either.
// HALIDE: loom.layer_norm %arg7

// MLIR-LABEL: func.func @ops
// MLIR-NOT: kernel_call
// AUTO-LABEL: func.func @ops
// AUTO-NOT: kernel_call

func.func @ops(%x: tensor<1x2x8x16xf32>, %h: tensor<8x16xf32>, %g: tensor<16xf32>,
               %b: tensor<16xf32>, %w: tensor<32x16xf32>, %m: tensor<1x1x1x8xi1>,
               %bias: tensor<32xf32>, %d: tensor<?x16xf32>) {
  %a = loom.attention %x, %x, %x causal : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %am = loom.attention %x, %x, %x mask(%m) : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x1x8xi1>) -> tensor<1x2x8x16xf32>
  %n = loom.layer_norm %h, %g, %b epsilon = 1.0e-05 : (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %l = loom.linear %h, %w, %bias transpose_weight : (tensor<8x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<8x32xf32>
  %s = loom.softmax %h axis = -1 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s0 = loom.softmax %h axis = 0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %dn = loom.layer_norm %d, %g, %b epsilon = 1.0e-05 : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return
}

// -----

// AUTO-LABEL: func.func @long
// AUTO-NOT: kernel_call
// AUTO: return
func.func @long(%q: tensor<1x1x256x8xf32>, %h: tensor<8x16xf32>, %w: tensor<16x32xf32>) -> (tensor<1x1x256x8xf32>, tensor<8x32xf32>) {
  %a = loom.attention %q, %q, %q causal : (tensor<1x1x256x8xf32>, tensor<1x1x256x8xf32>, tensor<1x1x256x8xf32>) -> tensor<1x1x256x8xf32>
  %m = loom.matmul %h, %w : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
  return %a, %m : tensor<1x1x256x8xf32>, tensor<8x32xf32>
}
