// RUN: loom-opt %s --loom-autodiff | FileCheck %s
// RUN: loom-opt %s --loom-autodiff='wrt=params,inputs' | FileCheck %s --check-prefix=INPUTS
// RUN: loom-opt %s --loom-autodiff='function=objective' | FileCheck %s --check-prefix=FN

// @loss is kept; @loss_grad returns the loss and one gradient per param in
// argument order, named by loom.output. An unused param gets zeros.

// CHECK-LABEL: func.func @loss(
// CHECK: return
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: -> (tensor<f32> {loom.output = "loss"}, tensor<3xf32> {loom.output = "grad.w"}, tensor<2xf32> {loom.output = "grad.unused"})
// CHECK-DAG: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ZERO:.*]] = loom.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[ZERO]] : tensor<f32>, tensor<3xf32>, tensor<2xf32>

// INPUTS-LABEL: func.func @loss_grad(
// INPUTS-SAME: {loom.output = "grad.x"}
// INPUTS-SAME: {loom.output = "grad.w"}
// INPUTS-SAME: {loom.output = "grad.unused"}
// INPUTS-NOT: grad.ids

// FN-LABEL: func.func @objective_grad(
// FN-SAME: -> (tensor<f32> {loom.output = "loss"}, tensor<3xf32> {loom.output = "grad.w"})
func.func @loss(%x: tensor<4x3xf32> {loom.input = "x"}, %w: tensor<3xf32> {loom.param = "w"},
                %ids: tensor<4xi32> {loom.input = "ids"}, %u: tensor<2xf32> {loom.param = "unused"}) -> tensor<f32> {
  %y = loom.mul %x, %w : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = loom.reduce_sum %y axes = [0, 1] : (tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

func.func @objective(%w: tensor<3xf32> {loom.param = "w"}) -> tensor<f32> {
  %l = loom.reduce_sum %w axes = [0] : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
