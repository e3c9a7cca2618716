// RUN: loom-opt %s --loom-autodiff --loom-train-step='split-step=true' | FileCheck %s
// RUN: loom-opt %s --loom-autodiff --loom-train-step='split-step=true optimizer=sgd momentum=0 clip-norm=0' | FileCheck %s --check-prefix=SGD
// RUN: loom-opt %s --loom-autodiff --loom-train-step | FileCheck %s --check-prefix=FUSED

// split-step (data-parallel training): @train_step as usual, @loss_grad
// kept, and per parameter i an @apply__<i> that updates it from its
// gradient and the global gradient norm, both given as inputs (the runtime
// all-reduces the gradients of @loss_grad in between).

// CHECK: func.func @loss_grad(
// CHECK: func.func @train_step(

// CHECK-LABEL: func.func @apply__0(
// CHECK-SAME: %[[W:[^:]*]]: tensor<3x2xf32> {loom.param = "w"}
// CHECK-SAME: %[[G:[^:]*]]: tensor<3x2xf32> {loom.input = "grad.w"}
// CHECK-SAME: %[[M:[^:]*]]: tensor<3x2xf32> {loom.state = "optim.m.w"}
// CHECK-SAME: %[[V:[^:]*]]: tensor<3x2xf32> {loom.state = "optim.v.w"}
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32> {loom.input = "optim.lr"}
// CHECK-SAME: %[[T:[^:]*]]: tensor<f32> {loom.input = "optim.step"}
// CHECK-SAME: %[[N:[^:]*]]: tensor<f32> {loom.input = "optim.grad_norm"}
// CHECK-SAME: -> (tensor<3x2xf32> {loom.output = "new.w", loom.update = "param:w"},
// CHECK-SAME: tensor<3x2xf32> {loom.output = "new.optim.m.w", loom.update = "state:optim.m.w"},
// CHECK-SAME: tensor<3x2xf32> {loom.output = "new.optim.v.w", loom.update = "state:optim.v.w"})
// CHECK-SAME: loom.optimizer = {{{.*}}optimizer = "adamw"
// Clipping by the given norm: g / max(1, (norm + 1e-6) / clip).
// CHECK: %[[EPS:.*]] = loom.constant dense<9.99999997E-7>
// CHECK: %[[NE:.*]] = loom.add %[[N]], %[[EPS]]
// CHECK: %[[R:.*]] = loom.div %[[NE]],
// CHECK: %[[MX:.*]] = loom.maximum %{{.*}}, %[[R]]
// CHECK: %[[S:.*]] = loom.div %{{.*}}, %[[MX]]
// CHECK: %[[GC:.*]] = loom.mul %[[G]], %[[S]]
// CHECK: loom.pow %{{.*}}, %[[T]]
// The matrix is decayed (weight decay 0.01 by default).
// CHECK: loom.constant dense<0.00999999977>
// CHECK: loom.mul %{{.*}}, %[[W]]
// CHECK: %[[STEP:.*]] = loom.mul %[[LR]],
// CHECK: %[[NEW:.*]] = loom.sub %[[W]], %[[STEP]]
// CHECK: return %[[NEW]],

// CHECK-LABEL: func.func @apply__1(
// CHECK-SAME: {loom.param = "b"}
// CHECK-SAME: {loom.input = "grad.b"}
// The bias is not decayed.
// CHECK-NOT: dense<0.00999999977>
// CHECK: return

// Plain SGD without clipping: no state, no use of the norm.
// SGD-LABEL: func.func @apply__0(
// SGD-SAME: {loom.param = "w"}
// SGD-SAME: {loom.input = "grad.w"}
// SGD-SAME: {loom.input = "optim.lr"}
// SGD-SAME: {loom.input = "optim.step"}
// SGD-SAME: {loom.input = "optim.grad_norm"}
// SGD-SAME: -> (tensor<3x2xf32> {loom.output = "new.w", loom.update = "param:w"})
// SGD-NEXT: loom.mul %arg2, %arg1
// SGD-NEXT: loom.sub %arg0,
// SGD-NEXT: return

// Without split-step: neither half.
// FUSED-NOT: @loss_grad
// FUSED-NOT: @apply__

func.func @loss(%x: tensor<4x3xf32> {loom.input = "x"}, %w: tensor<3x2xf32> {loom.param = "w"},
                %b: tensor<2xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %z = loom.add %y, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %s = loom.mul %z, %z : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  %l = loom.reduce_sum %s axes = [0, 1] : (tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
