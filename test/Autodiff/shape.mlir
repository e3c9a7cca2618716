// RUN: loom-opt %s -split-input-file --loom-autodiff | FileCheck %s

// transpose, slice (zero-padded back by concat), reshape, reduce_max (the
// cotangent shared among the maximal elements).
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[R:.*]] = loom.reshape %{{.*}} shape = [6] : (tensor<3x2xf32>) -> tensor<6xf32>
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[R]]
// CHECK: %[[Y:.*]] = loom.reshape %[[MAX]] shape = [1]
// CHECK: %[[EQ:.*]] = loom.compare eq, %[[R]], %[[Y]]
// CHECK: %[[M:.*]] = loom.cast %[[EQ]] to f32
// CHECK: %[[CNT:.*]] = loom.reduce_sum %[[M]] axes = [0] keep_dims
// CHECK: %[[SH:.*]] = loom.div %{{.*}}, %[[CNT]]
// CHECK: %[[D:.*]] = loom.mul %[[M]], %[[SH]]
// CHECK: %[[DS:.*]] = loom.reshape %[[D]] shape = [3, 2]
// CHECK-DAG: %[[Z1:.*]] = loom.constant dense<0.000000e+00> : tensor<1x2xf32>
// CHECK-DAG: %[[Z2:.*]] = loom.constant dense<0.000000e+00> : tensor<2x2xf32>
// CHECK: %[[P:.*]] = loom.concat %[[Z1]], %[[DS]], %[[Z2]] axis = 0 : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<6x2xf32>
// CHECK: %[[DX:.*]] = loom.transpose %[[P]] permutation = [1, 0]
// CHECK: return %[[MAX]], %[[DX]]
func.func @loss(%x: tensor<2x6xf32> {loom.param = "x"}) -> tensor<f32> {
  %t = loom.transpose %x permutation = [1, 0] : (tensor<2x6xf32>) -> tensor<6x2xf32>
  %s = loom.slice %t axis = 0 start = 1 end = 4 : (tensor<6x2xf32>) -> tensor<3x2xf32>
  %r = loom.reshape %s shape = [6] : (tensor<3x2xf32>) -> tensor<6xf32>
  %l = loom.reduce_max %r axes = [0] : (tensor<6xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_mean: the cotangent divided by the count, broadcast back.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[N:.*]] = loom.constant dense<1.000000e+01> : tensor<f32>
// CHECK: loom.div %{{.*}}, %[[N]]
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[DX:.*]] = loom.slice %[[G]] axis = 1 start = 0 end = 3
// CHECK: %[[DY:.*]] = loom.slice %[[G]] axis = 1 start = 3 end = 5
// CHECK: return %{{.*}}, %[[DX]], %[[DY]]
func.func @loss(%x: tensor<2x3xf32> {loom.param = "x"}, %y: tensor<2x2xf32> {loom.param = "y"}) -> tensor<f32> {
  %c = loom.concat %x, %y axis = 1 : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
  %l = loom.reduce_mean %c axes = [0, 1] : (tensor<2x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// embedding: a scatter-add of g's rows (index_add into zeros); gather:
// onehot(ids) * g.
// CHECK-LABEL: func.func @loss_grad(
// gather:
// CHECK: %[[POS:.*]] = loom.positions %{{.*}} axis = 2 : (tensor<2x3x4xf32>) -> tensor<4xi64>
// CHECK: %[[K:.*]] = loom.cast %arg2 to i64
// CHECK: %[[KR:.*]] = loom.reshape %[[K]] shape = [2, 3, 1]
// CHECK: %[[OH:.*]] = loom.compare eq, %[[KR]], %[[POS]]
// CHECK: %[[OHF:.*]] = loom.cast %[[OH]] to f32
// CHECK: %[[GE:.*]] = loom.mul %[[OHF]], %{{.*}} : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
// embedding:
// CHECK: %[[Z:.*]] = loom.constant dense<0.000000e+00> : tensor<10x4xf32>
// CHECK: %[[DW:.*]] = loom.index_add %[[Z]], %arg1, %[[GE]] : (tensor<10x4xf32>, tensor<2x3xi32>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @loss(%t: tensor<10x4xf32> {loom.param = "wte"}, %ids: tensor<2x3xi32> {loom.input = "ids"}, %k: tensor<2x3xi32> {loom.input = "k"}) -> tensor<f32> {
  %e = loom.embedding %t, %ids : (tensor<10x4xf32>, tensor<2x3xi32>) -> tensor<2x3x4xf32>
  %g = loom.gather %e, %k : (tensor<2x3x4xf32>, tensor<2x3xi32>) -> tensor<2x3xf32>
  %l = loom.reduce_sum %g axes = [0, 1] : (tensor<2x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// split_heads / merge_heads / prepend_token / patchify
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[MH:.*]] = loom.merge_heads %{{.*}} : (tensor<1x2x5x4xf32>) -> tensor<1x5x8xf32>
// CHECK: %[[DP:.*]] = loom.slice %[[MH]] axis = 1 start = 1 end = 5
// CHECK: %[[TOK:.*]] = loom.slice %[[MH]] axis = 1 start = 0 end = 1
// CHECK: %[[DCLS:.*]] = loom.reduce_sum %[[TOK]] axes = [0] keep_dims
// CHECK: %[[R6:.*]] = loom.reshape %[[DP]] shape = [1, 2, 2, 2, 2, 2]
// CHECK: %[[TR:.*]] = loom.transpose %[[R6]] permutation = [0, 3, 1, 4, 2, 5]
// CHECK: %[[DIMG:.*]] = loom.reshape %[[TR]] shape = [1, 2, 4, 4]
// CHECK: return %{{.*}}, %[[DIMG]], %[[DCLS]]
func.func @loss(%img: tensor<1x2x4x4xf32> {loom.param = "img"}, %cls: tensor<1x1x8xf32> {loom.param = "cls"}) -> tensor<f32> {
  %p = loom.patchify %img patch = 2 : (tensor<1x2x4x4xf32>) -> tensor<1x4x8xf32>
  %h = loom.prepend_token %p, %cls : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> tensor<1x5x8xf32>
  %s = loom.split_heads %h num_heads = 2 : (tensor<1x5x8xf32>) -> tensor<1x2x5x4xf32>
  %l = loom.reduce_sum %s axes = [0, 1, 2, 3] : (tensor<1x2x5x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
