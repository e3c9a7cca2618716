// RUN: loom-opt %s --loom-lower-copies | FileCheck %s

// memref.copy between buffers becomes linalg.copy (plain loops later; a
// memref.copy with a strided layout would call MLIR's memrefCopy helper,
// which the artifact does not ship).
// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<4x8xf32>, %[[C:.*]]: memref<8xf32>)
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[A]] : memref<4x8xf32>) outs(%[[B]] : memref<4x8xf32>)
// CHECK: %[[ROW:.*]] = memref.subview %[[A]][1, 0] [1, 8] [1, 1]
// CHECK: linalg.copy ins(%[[ROW]] : memref<8xf32, strided<[1], offset: 8>>) outs(%[[C]] : memref<8xf32>)
// CHECK-NOT: memref.copy
func.func @copies(%a: memref<4x8xf32>, %b: memref<4x8xf32>, %c: memref<8xf32>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  %row = memref.subview %a[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %row, %c : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
  return
}
