// RUN: loom-opt %s --loom-autodiff --loom-train-step='clip-norm=0 weight-decay=0.1' | FileCheck %s
// RUN: loom-opt %s --loom-autodiff --loom-train-step='optimizer=sgd momentum=0.9 clip-norm=1' | FileCheck %s --check-prefix=SGD
// RUN: loom-opt %s --loom-autodiff --loom-train-step='optimizer=sgd momentum=0 clip-norm=0' | FileCheck %s --check-prefix=PLAIN
// RUN: not loom-opt %s --loom-train-step 2>&1 | FileCheck %s --check-prefix=NOGRAD
// RUN: not loom-opt %s --loom-autodiff --loom-train-step='optimizer=lion' 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not loom-opt %s --loom-autodiff --loom-train-step='beta1=1' 2>&1 | FileCheck %s --check-prefix=BADBETA

// @train_step: @loss_grad's arguments, then the optimizer state (AdamW: m
// then v, one per parameter, named optim.m.<p> / optim.v.<p>), then the
// scheduled learning rate and the step count; results: the loss, the global
// gradient norm, the new parameters and the new state, each naming what it
// replaces.

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x3xf32> {loom.input = "x"}
// CHECK-SAME: %[[W:[^:]*]]: tensor<3x2xf32> {loom.param = "w"}
// CHECK-SAME: %[[B:[^:]*]]: tensor<2xf32> {loom.param = "b"}
// CHECK-SAME: %[[MW:[^:]*]]: tensor<3x2xf32> {loom.state = "optim.m.w"}
// CHECK-SAME: %[[MB:[^:]*]]: tensor<2xf32> {loom.state = "optim.m.b"}
// CHECK-SAME: %[[VW:[^:]*]]: tensor<3x2xf32> {loom.state = "optim.v.w"}
// CHECK-SAME: %[[VB:[^:]*]]: tensor<2xf32> {loom.state = "optim.v.b"}
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32> {loom.input = "optim.lr"}
// CHECK-SAME: %[[T:[^:]*]]: tensor<f32> {loom.input = "optim.step"}
// CHECK-SAME: -> (tensor<f32> {loom.output = "loss"}, tensor<f32> {loom.output = "optim.grad_norm"},
// CHECK-SAME: tensor<3x2xf32> {loom.output = "new.w", loom.update = "param:w"},
// CHECK-SAME: tensor<2xf32> {loom.output = "new.b", loom.update = "param:b"},
// CHECK-SAME: tensor<3x2xf32> {loom.output = "new.optim.m.w", loom.update = "state:optim.m.w"},
// CHECK-SAME: tensor<2xf32> {loom.output = "new.optim.m.b", loom.update = "state:optim.m.b"},
// CHECK-SAME: tensor<3x2xf32> {loom.output = "new.optim.v.w", loom.update = "state:optim.v.w"},
// CHECK-SAME: tensor<2xf32> {loom.output = "new.optim.v.b", loom.update = "state:optim.v.b"})
// CHECK-SAME: attributes {loom.optimizer = {beta1 = 9.000000e-01 : f64, beta2 = {{.*}} : f64, clip_norm = 0.000000e+00 : f64, eps = 1.000000e-08 : f64, optimizer = "adamw", weight_decay = 1.000000e-01 : f64}}
// The forward and backward come first (cloned from @loss_grad).
// CHECK: loom.matmul %[[X]], %[[W]]
// Global norm: sqrt of the sum of squares of every gradient.
// CHECK: %[[NORM:.*]] = loom.sqrt
// Bias corrections 1 - beta^t.
// CHECK: loom.pow %{{.*}}, %[[T]]
// CHECK: loom.pow %{{.*}}, %[[T]]
// AdamW for w: moments, then the decoupled decay of the matrix.
// CHECK: %[[BM:.*]] = loom.mul %{{.*}}, %[[MW]]
// CHECK: %[[M2:.*]] = loom.add %[[BM]],
// CHECK: loom.sqrt
// CHECK: %[[DECAY:.*]] = loom.mul %{{.*}}, %[[W]]
// CHECK: %[[U:.*]] = loom.add %{{.*}}, %[[DECAY]]
// CHECK: %[[STEP:.*]] = loom.mul %[[LR]], %[[U]]
// CHECK: %[[NEWW:.*]] = loom.sub %[[W]], %[[STEP]]
// The bias is not decayed: its update reads b only to subtract from it.
// CHECK: %[[NEWB:.*]] = loom.sub %[[B]],
// CHECK: return %{{.*}}, %[[NORM]], %[[NEWW]], %[[NEWB]], %[[M2]],

// SGD with momentum: one buffer per parameter; clipping scales the
// gradients by 1 / max(1, (norm + 1e-6) / clip).
// SGD-LABEL: func.func @train_step(
// SGD-SAME: {loom.state = "optim.momentum.w"}
// SGD-SAME: {loom.state = "optim.momentum.b"}
// SGD-SAME: {loom.output = "new.optim.momentum.b", loom.update = "state:optim.momentum.b"}
// SGD-NOT: optim.m.
// SGD: %[[NORM:.*]] = loom.sqrt
// SGD: loom.maximum
// SGD-NOT: loom.pow
// SGD: return

// Plain SGD keeps no state.
// PLAIN-LABEL: func.func @train_step(
// PLAIN-NOT: loom.state
// PLAIN: return

// NOGRAD: error: loom-train-step: no function @loss_grad (run loom-autodiff first)
// BADOPT: error: loom-train-step: optimizer must be 'adamw' or 'sgd', got 'lion'
// BADBETA: error: loom-train-step: beta1 must be in [0, 1)

func.func @loss(%x: tensor<4x3xf32> {loom.input = "x"}, %w: tensor<3x2xf32> {loom.param = "w"},
                %b: tensor<2xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %z = loom.add %y, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %s = loom.mul %z, %z : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  %l = loom.reduce_sum %s axes = [0, 1] : (tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
