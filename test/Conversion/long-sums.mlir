// RUN: loom-opt %s --convert-loom-to-linalg | FileCheck %s

// Sums of more than 4096 terms are lowered in stages of at most 4096 terms
// (partial sums, then sums of the partials), so rounding grows with the
// number of stages, not of terms. 64 x 128 = 8192 terms: rows first (128
// each), then the 64 row sums.
// CHECK-LABEL: func.func @all(
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<64x128xf32>) outs({{.*}} : tensor<64xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ROWS]] : tensor<64xf32>) outs({{.*}} : tensor<f32>)
func.func @all(%x: tensor<64x128xf32>) -> tensor<f32> {
  %0 = loom.reduce_sum %x axes = [0, 1] : (tensor<64x128xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// One dim of 5000 terms: zero-padded to 5 blocks of 1024, summed per block,
// then over the blocks; keep_dims and the mean's division come after.
// CHECK-LABEL: func.func @row(
// CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 0] high[0, 120]
// CHECK: %[[SPLIT:.*]] = tensor.expand_shape %[[PAD]] {{\[\[}}0], [1, 2]] output_shape [3, 5, 1024] : tensor<3x5120xf32> into tensor<3x5x1024xf32>
// CHECK: %[[BLOCKS:.*]] = linalg.generic {{.*}} ins(%[[SPLIT]] : tensor<3x5x1024xf32>) outs({{.*}} : tensor<3x5xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[BLOCKS]] : tensor<3x5xf32>) outs({{.*}} : tensor<3xf32>)
// CHECK: %[[KEPT:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>) outs({{.*}} : tensor<3x1xf32>)
// CHECK: arith.divf
func.func @row(%x: tensor<3x5000xf32>) -> tensor<3x1xf32> {
  %0 = loom.reduce_mean %x axes = [1] keep_dims : (tensor<3x5000xf32>) -> tensor<3x1xf32>
  return %0 : tensor<3x1xf32>
}

// Up to 4096 terms: one generic, as before.
// CHECK-LABEL: func.func @short(
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<3x4096xf32>) outs({{.*}} : tensor<3xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @short(%x: tensor<3x4096xf32>) -> tensor<3xf32> {
  %0 = loom.reduce_sum %x axes = [1] : (tensor<3x4096xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
