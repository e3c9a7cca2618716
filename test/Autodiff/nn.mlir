// RUN: loom-opt %s -split-input-file --loom-autodiff | FileCheck %s

// matmul: dA = g B^T, dB = A^T g.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1x1xf32>, tensor<3x2xf32>)
// CHECK: %[[DA:.*]] = loom.batch_matmul %[[G]], %arg1 transpose_rhs : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
// CHECK: %[[AT:.*]] = loom.transpose %arg0 permutation = [1, 0]
// CHECK: %[[DB:.*]] = loom.matmul %[[AT]], %[[G]] : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @loss(%a: tensor<3x4xf32> {loom.param = "a"}, %b: tensor<4x2xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.matmul %a, %b : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %l = loom.reduce_sum %y axes = [0, 1] : (tensor<3x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// batch_matmul with transpose_rhs and a broadcast batch dim on the rhs.
// dA = g B, dB = g^T A summed over the broadcast batch dim.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1x1x1xf32>, tensor<2x3x5xf32>)
// CHECK: %[[DA:.*]] = loom.batch_matmul %[[G]], %arg1 : (tensor<2x3x5xf32>, tensor<1x5x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[GT:.*]] = loom.transpose %[[G]] permutation = [0, 2, 1]
// CHECK: %[[B2:.*]] = loom.batch_matmul %[[GT]], %arg0 : (tensor<2x5x3xf32>, tensor<2x3x4xf32>) -> tensor<2x5x4xf32>
// CHECK: %[[DB:.*]] = loom.reduce_sum %[[B2]] axes = [0] keep_dims : (tensor<2x5x4xf32>) -> tensor<1x5x4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @loss(%a: tensor<2x3x4xf32> {loom.param = "a"}, %b: tensor<1x5x4xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.batch_matmul %a, %b transpose_rhs : (tensor<2x3x4xf32>, tensor<1x5x4xf32>) -> tensor<2x3x5xf32>
  %l = loom.reduce_sum %y axes = [0, 1, 2] : (tensor<2x3x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// softmax's fused rule: dx = y * (g - sum(g * y)).
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[Y:.*]] = loom.softmax %arg0 axis = -1
// CHECK-NOT: loom.exp
// CHECK: loom.add %{{.*}}, %{{.*}} : (tensor<1x1xf32>, tensor<2x5xf32>)
// CHECK-NOT: loom.exp
// CHECK: %[[G:.*]] = loom.mul %{{.*}}, %arg1 :
// CHECK: %[[GY:.*]] = loom.mul %[[G]], %[[Y]] :
// CHECK: %[[S:.*]] = loom.reduce_sum %[[GY]] axes = [-1] keep_dims
// CHECK: %[[D:.*]] = loom.sub %[[G]], %[[S]] :
// CHECK: %[[DX:.*]] = loom.mul %[[Y]], %[[D]] :
// CHECK-NOT: loom.exp
// CHECK: return %{{.*}}, %[[DX]]
func.func @loss(%x: tensor<2x5xf32> {loom.param = "x"}, %w: tensor<2x5xf32> {loom.input = "w"}) -> tensor<f32> {
  %y = loom.softmax %x axis = -1 : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %z = loom.mul %y, %w : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  %l = loom.reduce_sum %z axes = [0, 1] : (tensor<2x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cross_entropy: (softmax - onehot) * valid / count.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[P:.*]] = loom.softmax %arg0 axis = -1
// CHECK: %[[OH:.*]] = loom.compare eq
// CHECK: %[[OHF:.*]] = loom.cast %[[OH]] to f32
// CHECK: %[[IGN:.*]] = loom.constant dense<-100> : tensor<i32>
// CHECK: %[[VALID:.*]] = loom.compare ne, %arg1, %[[IGN]]
// CHECK: %[[VF:.*]] = loom.cast %[[VALID]] to f32
// CHECK: %[[CNT:.*]] = loom.reduce_sum %[[VF]] axes = [0, 1]
// CHECK: %[[VG:.*]] = loom.mul %[[VF]], %[[ONE]]
// CHECK: %[[W:.*]] = loom.div %[[VG]], %[[CNT]]
// CHECK: %[[WR:.*]] = loom.reshape %[[W]] shape = [2, 3, 1]
// CHECK: %[[PM:.*]] = loom.sub %[[P]], %[[OHF]]
// CHECK: %[[DX:.*]] = loom.mul %[[PM]], %[[WR]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @loss(%x: tensor<2x3x5xf32> {loom.param = "x"}, %t: tensor<2x3xi32> {loom.input = "t"}) -> tensor<f32> {
  %l = loom.cross_entropy %x, %t ignore_index = -100 : (tensor<2x3x5xf32>, tensor<2x3xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// attention has a rule of its own (attention.mlir): it stays whole, its
// log-sum-exp is saved next to it and attention_grad gives the three
// cotangents, summed here (Q, K and V are one value); layer_norm has a fused
// rule that recomputes its statistics.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-NOT: loom.softmax
// CHECK: %[[O:.*]] = loom.attention %arg0, %arg0, %arg0 causal
// CHECK: %[[L:.*]] = loom.attention_lse %arg0, %arg0 causal
// CHECK: loom.layer_norm %[[O]], %arg1
// CHECK: loom.reduce_mean %[[O]] axes = [-1] keep_dims
// CHECK: loom.rsqrt
// CHECK: %[[DX:.*]] = loom.mul %{{.*}}, %{{.*}} : (tensor<1x2x3x1xf32>, tensor<1x2x3x4xf32>)
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = loom.attention_grad %arg0, %arg0, %arg0, %[[O]], %[[L]], %[[DX]] causal
// CHECK: %[[S:.*]] = loom.add %[[DQ]], %[[DK]]
// CHECK: %[[G:.*]] = loom.add %[[S]], %[[DV]]
// CHECK: return %{{.*}}, %[[G]],

func.func @loss(%q: tensor<1x2x3x4xf32> {loom.param = "q"}, %g: tensor<4xf32> {loom.param = "g"}) -> tensor<f32> {
  %o = loom.attention %q, %q, %q causal : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %n = loom.layer_norm %o, %g epsilon = 1.000000e-05 : (tensor<1x2x3x4xf32>, tensor<4xf32>) -> tensor<1x2x3x4xf32>
  %l = loom.reduce_sum %n axes = [0, 1, 2, 3] : (tensor<1x2x3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// linear: dx = g W^T (one batch_matmul), dW = x^T g over the flattened rows,
// db = g summed over the rows.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1x1x1xf32>, tensor<2x3x5xf32>)
// CHECK: %[[DX:.*]] = loom.batch_matmul %[[G]], %arg1 transpose_rhs : (tensor<2x3x5xf32>, tensor<4x5xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[XF:.*]] = loom.reshape %arg0 shape = [6, 4]
// CHECK: %[[GF:.*]] = loom.reshape %[[G]] shape = [6, 5]
// CHECK: %[[XT:.*]] = loom.transpose %[[XF]] permutation = [1, 0]
// CHECK: %[[DW:.*]] = loom.matmul %[[XT]], %[[GF]] : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32>
// CHECK: %[[DB0:.*]] = loom.reduce_sum %[[G]] axes = [0, 1] keep_dims
// CHECK: %[[DB:.*]] = loom.reshape %[[DB0]] shape = [5]
// CHECK: return %{{.*}}, %[[DX]], %[[DW]], %[[DB]]
func.func @loss(%x: tensor<2x3x4xf32> {loom.param = "x"}, %w: tensor<4x5xf32> {loom.param = "w"}, %b: tensor<5xf32> {loom.param = "b"}) -> tensor<f32> {
  %y = loom.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %l = loom.reduce_sum %y axes = [0, 1, 2] : (tensor<2x3x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
