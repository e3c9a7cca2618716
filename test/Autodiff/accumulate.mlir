// RUN: loom-opt %s --loom-autodiff | FileCheck %s

// %x is used twice (by the mul, twice, and by the exp): its cotangents are
// summed with loom.add.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[EXP:.*]] = loom.exp %arg0
// CHECK: %[[G:.*]] = loom.add %{{.*}}, %{{.*}} : (tensor<1xf32>, tensor<4xf32>)
// CHECK: %[[D1:.*]] = loom.mul %[[G]], %[[EXP]] :
// CHECK: %[[D2:.*]] = loom.mul %[[G]], %arg0 :
// CHECK: %[[D3:.*]] = loom.mul %[[G]], %arg0 :
// CHECK: %[[A1:.*]] = loom.add %[[D1]], %[[D2]] :
// CHECK: %[[A2:.*]] = loom.add %[[A1]], %[[D3]] :
// CHECK: return %{{.*}}, %[[A2]] : tensor<f32>, tensor<4xf32>
func.func @loss(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
  %a = loom.mul %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = loom.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %y = loom.add %a, %e : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = loom.reduce_sum %y axes = [0] : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
