// RUN: not loom-opt %s -split-input-file --loom-autodiff 2>&1 | FileCheck %s
// RUN: not loom-opt %s -split-input-file --loom-autodiff='wrt=everything' 2>&1 | FileCheck %s --check-prefix=WRT
// RUN: not loom-opt %s -split-input-file --loom-autodiff='function=nope' 2>&1 | FileCheck %s --check-prefix=NOFN

// An op without a VJP rule on a path to the loss is named, at its location.
// CHECK: errors.mlir:[[# @LINE + 3]]:8: error: 'arith.negf' op has no autodiff (VJP) rule, but lies on a path from a differentiated argument to the loss
// WRT: wrt must be 'params' or 'params,inputs', got 'everything'
func.func @loss(%w: tensor<3xf32> {loom.param = "w"}) -> tensor<f32> {
  %n = arith.negf %w : tensor<3xf32>
  %l = loom.reduce_sum %n axes = [0] : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The loss must be a rank-0 float tensor.
// CHECK: error: loom-autodiff: @loss must return one rank-0 float tensor (the loss), but returns 'tensor<3xf32>'
func.func @loss(%w: tensor<3xf32> {loom.param = "w"}) -> tensor<3xf32> {
  %y = loom.exp %w : (tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Shapes must be static.
// CHECK: error: loom-autodiff needs static shapes, but argument #0 has type 'tensor<?x3xf32>'
func.func @loss(%w: tensor<?x3xf32> {loom.param = "w"}) -> tensor<f32> {
  %l = loom.reduce_sum %w axes = [0, 1] : (tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// NOFN: error: loom-autodiff: no function @nope
// CHECK: error: loom-autodiff: no function @loss
func.func @other(%w: tensor<3xf32>) -> tensor<3xf32> {
  return %w : tensor<3xf32>
}
