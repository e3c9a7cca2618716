// RUN: loom-opt %s -split-input-file --loom-autodiff | FileCheck %s

// Attention has a rule of its own: it stays whole (so its forward fuses as
// at inference), attention_lse saves the row log-sum-exp of the scores
// next to it, and attention_grad (the blocked backward) reads the output,
// the log-sum-exp and the cotangent: no [.., Tq, Tk] value (softmax,
// batch_matmul of the scores) in the gradient.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-NOT:     loom.softmax
// CHECK-NOT:     tensor<2x3x16x16xf32>
// CHECK:         %[[O:.*]] = loom.attention %arg0, %arg1, %arg2 causal
// CHECK-NEXT:    %[[L:.*]] = loom.attention_lse %arg0, %arg1 causal : (tensor<2x3x16x8xf32>, tensor<2x3x16x8xf32>) -> tensor<2x3x16xf32>
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = loom.attention_grad %arg0, %arg1, %arg2, %[[O]], %[[L]], %{{.*}} causal :
// CHECK-NOT:     tensor<2x3x16x16xf32>
// CHECK:         return %{{.*}}, %[[DQ]], %[[DK]], %[[DV]]
func.func @loss(%q: tensor<2x3x16x8xf32> {loom.param = "q"}, %k: tensor<2x3x16x8xf32> {loom.param = "k"}, %v: tensor<2x3x16x8xf32> {loom.param = "v"}) -> tensor<f32> {
  %o = loom.attention %q, %k, %v causal : (tensor<2x3x16x8xf32>, tensor<2x3x16x8xf32>, tensor<2x3x16x8xf32>) -> tensor<2x3x16x8xf32>
  %l = loom.reduce_sum %o axes = [0, 1, 2, 3] : (tensor<2x3x16x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A mask and a scale travel to both; gradients only for what is active
// (the mask is an input, not differentiated).
// CHECK-LABEL: func.func @loss_grad(
// CHECK:         loom.attention_lse %arg0, %arg1 mask(%arg3) {scale = 2.500000e-01 : f64} :
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = loom.attention_grad %arg0, %arg1, %arg2, %{{.*}}, %{{.*}}, %{{.*}} mask(%arg3) {scale = 2.500000e-01 : f64} :
// CHECK:         return %{{.*}}, %[[DQ]], %[[DK]], %[[DV]]
func.func @loss(%q: tensor<2x4x5x8xf32> {loom.param = "q"}, %k: tensor<2x4x9x8xf32> {loom.param = "k"}, %v: tensor<2x4x9x12xf32> {loom.param = "v"}, %m: tensor<2x1x1x9xi1> {loom.input = "m"}) -> tensor<f32> {
  %o = loom.attention %q, %k, %v mask(%m) {scale = 2.500000e-01 : f64} : (tensor<2x4x5x8xf32>, tensor<2x4x9x8xf32>, tensor<2x4x9x12xf32>, tensor<2x1x1x9xi1>) -> tensor<2x4x5x12xf32>
  %l = loom.reduce_sum %o axes = [0, 1, 2, 3] : (tensor<2x4x5x12xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// 16-bit attention keeps the decomposition's backward (the blocked kernels
// are f32).
// CHECK-LABEL: func.func @loss_grad(
// CHECK-NOT:     loom.attention_grad
// CHECK:         loom.softmax
// CHECK-NOT:     loom.attention_grad
func.func @loss(%q: tensor<1x4x8xbf16> {loom.param = "q"}) -> tensor<f32> {
  %o = loom.attention %q, %q, %q causal : (tensor<1x4x8xbf16>, tensor<1x4x8xbf16>, tensor<1x4x8xbf16>) -> tensor<1x4x8xbf16>
  %c = loom.cast %o to f32 : (tensor<1x4x8xbf16>) -> tensor<1x4x8xf32>
  %l = loom.reduce_sum %c axes = [0, 1, 2] : (tensor<1x4x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
