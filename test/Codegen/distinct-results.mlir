// RUN: loom-opt %s --loom-distinct-results -split-input-file | FileCheck %s

// A tensor returned twice (two outputs that CSE merged) gets a copy for the
// second result, so buffer-results-to-out-params sees one buffer per result.
// Tensor arguments (the caller's parameters and inputs) become read-only.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32> {bufferization.writable = false})
// CHECK: %[[Y:.*]] = arith.addf
// CHECK-NEXT: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%[[Y]]) : tensor<4xf32>
// CHECK-NEXT: return %[[Y]], %[[COPY]]
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y, %y : tensor<4xf32>, tensor<4xf32>
}

// -----

// Three times: two copies; a distinct value between them is left alone.
// CHECK-LABEL: func.func @thrice
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32> {bufferization.writable = false}, %[[Z:.*]]: tensor<4xf32> {bufferization.writable = false})
// CHECK-DAG: %[[C1:.*]] = bufferization.alloc_tensor() copy(%[[X]])
// CHECK-DAG: %[[C2:.*]] = bufferization.alloc_tensor() copy(%[[X]])
// CHECK: return %[[X]], %[[Z]], %[[C1]], %[[C2]]
func.func @thrice(%x: tensor<4xf32>, %z: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  return %x, %z, %x, %x : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Distinct results and non-tensor results are untouched.
// CHECK-LABEL: func.func @distinct
// CHECK-NOT: alloc_tensor
// CHECK: return
func.func @distinct(%x: tensor<4xf32>, %i: index) -> (tensor<4xf32>, index, index) {
  return %x, %i, %i : tensor<4xf32>, index, index
}
