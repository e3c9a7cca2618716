// RUN: loom-opt %s -split-input-file --loom-autodiff | FileCheck %s

// Broadcasting: the cotangent of the [3] operand is summed over the
// broadcast dim and reshaped back.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: %[[X:.*]]: tensor<4x3xf32> {loom.param = "x"}, %[[B:.*]]: tensor<3xf32> {loom.param = "b"})
// CHECK-SAME: -> (tensor<f32> {loom.output = "loss"}, tensor<4x3xf32> {loom.output = "grad.x"}, tensor<3xf32> {loom.output = "grad.b"})
// CHECK: %[[LOSS:.*]] = loom.reduce_sum
// CHECK: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1x1xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK: %[[DX:.*]] = loom.mul %[[G]], %[[B]] : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK: %[[GB:.*]] = loom.mul %[[G]], %[[X]] :
// CHECK: %[[S:.*]] = loom.reduce_sum %[[GB]] axes = [0] keep_dims : (tensor<4x3xf32>) -> tensor<1x3xf32>
// CHECK: %[[DB:.*]] = loom.reshape %[[S]] shape = [3] : (tensor<1x3xf32>) -> tensor<3xf32>
// CHECK: return %[[LOSS]], %[[DX]], %[[DB]]
func.func @loss(%x: tensor<4x3xf32> {loom.param = "x"}, %b: tensor<3xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.mul %x, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = loom.reduce_sum %y axes = [0, 1] : (tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Unary rules reuse forward values: exp' = y, tanh' = 1 - y^2,
// sigmoid' = y (1 - y); gelu (tanh) recomputes its inner tanh.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[E:.*]] = loom.exp %arg0
// CHECK: %[[T:.*]] = loom.tanh %[[E]]
// CHECK: %[[S:.*]] = loom.sigmoid %[[T]]
// CHECK: loom.gelu tanh %[[S]]
// CHECK: loom.tanh
// CHECK: %[[SM:.*]] = loom.sub %{{.*}}, %[[S]] :
// CHECK: loom.mul %[[S]], %[[SM]] :
// CHECK: %[[T2:.*]] = loom.mul %[[T]], %[[T]] :
// CHECK: loom.sub %{{.*}}, %[[T2]] :
// CHECK: %[[DX:.*]] = loom.mul %{{.*}}, %[[E]] :
// CHECK: return %{{.*}}, %[[DX]]
func.func @loss(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
  %e = loom.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %t = loom.tanh %e : (tensor<4xf32>) -> tensor<4xf32>
  %s = loom.sigmoid %t : (tensor<4xf32>) -> tensor<4xf32>
  %g = loom.gelu tanh %s : (tensor<4xf32>) -> tensor<4xf32>
  %l = loom.reduce_sum %g axes = [0] : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// select: the mask gets no cotangent; each branch gets the cotangent where
// it was chosen.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: -> (tensor<f32> {loom.output = "loss"}, tensor<4xf32> {loom.output = "grad.a"}, tensor<f32> {loom.output = "grad.b"})
// CHECK: %[[G:.*]] = loom.add
// CHECK: %[[Z:.*]] = loom.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[DA:.*]] = loom.select %arg0, %[[G]], %[[Z]]
// CHECK: %[[GB:.*]] = loom.select %arg0, %[[Z]], %[[G]]
// CHECK: %[[S:.*]] = loom.reduce_sum %[[GB]] axes = [0] keep_dims
// CHECK: %[[DB:.*]] = loom.reshape %[[S]] shape = [] : (tensor<1xf32>) -> tensor<f32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @loss(%m: tensor<4xi1> {loom.input = "m"}, %a: tensor<4xf32> {loom.param = "a"}, %b: tensor<f32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.select %m, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %l = loom.reduce_sum %y axes = [0] : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dropout: the backward applies the same mask (seed operand and stream).
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[G:.*]] = loom.add
// CHECK: %[[DX:.*]] = loom.dropout %[[G]] seed(%arg1) {rate = 1.000000e-01 : f64, stream = 3 : i64, training}
// CHECK: return %{{.*}}, %[[DX]]
func.func @loss(%x: tensor<8xf32> {loom.param = "x"}, %s: tensor<i64> {loom.input = "s"}) -> tensor<f32> {
  %y = loom.dropout %x seed(%s) {rate = 1.000000e-01 : f64, stream = 3 : i64, training} : (tensor<8xf32>, tensor<i64>) -> tensor<8xf32>
  %l = loom.reduce_sum %y axes = [0] : (tensor<8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cast: the cotangent is cast back to the operand's element type; the
// integer operand of the second cast gets none.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1xbf16>, tensor<4xbf16>)
// CHECK: %[[GX:.*]] = loom.mul %[[G]], %{{.*}} :
// CHECK: %[[DX:.*]] = loom.cast %[[GX]] to f32 : (tensor<4xbf16>) -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @loss(%x: tensor<4xf32> {loom.param = "x"}, %i: tensor<4xi32> {loom.input = "i"}) -> tensor<f32> {
  %h = loom.cast %x to bf16 : (tensor<4xf32>) -> tensor<4xbf16>
  %f = loom.cast %i to bf16 : (tensor<4xi32>) -> tensor<4xbf16>
  %y = loom.mul %h, %f : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  %s = loom.reduce_sum %y axes = [0] : (tensor<4xbf16>) -> tensor<bf16>
  %l = loom.cast %s to f32 : (tensor<bf16>) -> tensor<f32>
  return %l : tensor<f32>
}
