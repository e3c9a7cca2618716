// RUN: loom-opt %s --loom-update-in-place --split-input-file | FileCheck %s --check-prefix=TENSOR
// RUN: loom-opt %s --loom-bufferize --split-input-file | FileCheck %s

// A training step's new parameter is written over the old one: the update
// is materialized in its argument (made writable), the optimizer's generic
// writes there directly, and the result leaves the signature; the argument
// carries the output's name for the manifest.

// TENSOR-LABEL: func.func @step(
// TENSOR-SAME: %[[P:[^:]*]]: tensor<8xf32> {bufferization.writable = true, loom.param = "w"}
// TENSOR: %[[NEW:.*]] = linalg.generic
// TENSOR: %[[M:.*]] = bufferization.materialize_in_destination %[[NEW]] in %[[P]]
// TENSOR: return %{{.*}}, %[[M]]

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[P:[^:]*]]: memref<8xf32> {loom.output = "new.w", loom.param = "w"}
// CHECK-SAME: %[[G:[^:]*]]: memref<8xf32> {loom.input = "g"}
// CHECK-SAME: %{{[^:]*}}: memref<f32> {loom.output = "loss"}
// CHECK-NOT: loom.update
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[G]] : memref<8xf32>, memref<8xf32>) outs(%[[P]] : memref<8xf32>)
// CHECK-NOT: linalg.copy
// CHECK: return
#id = affine_map<(d0) -> (d0)>
func.func @step(%w: tensor<8xf32> {loom.param = "w"}, %g: tensor<8xf32> {loom.input = "g"})
    -> (tensor<f32> {loom.output = "loss"},
        tensor<8xf32> {loom.output = "new.w", loom.update = "param:w"}) {
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %c0 = arith.constant 0 : index
  %x = tensor.extract %g[%c0] : tensor<8xf32>
  %loss = tensor.from_elements %x : tensor<f32>
  return %loss, %new : tensor<f32>, tensor<8xf32>
}

// -----

// When the old value is still read after the update is computed, writing
// the update over it at once would change what that read sees:
// bufferization computes it in an arena buffer and copies it into the
// parameter after the last read. Still one copy of the parameter.
// CHECK-LABEL: func.func @late_read(
// CHECK-SAME: %[[P:[^:]*]]: memref<8xf32> {loom.output = "new.w", loom.param = "w"}
// CHECK-SAME: %[[OLD:[^:]*]]: memref<8xf32> {loom.output = "old"}
// CHECK: %[[TMP:.*]] = memref.view
// CHECK: linalg.generic {{.*}} outs(%[[TMP]] : memref<8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]] : memref<8xf32>) outs(%[[OLD]] : memref<8xf32>)
// CHECK: linalg.copy ins(%[[TMP]] : memref<8xf32>) outs(%[[P]] : memref<8xf32>)
// CHECK-NEXT: return
#id = affine_map<(d0) -> (d0)>
func.func @late_read(%w: tensor<8xf32> {loom.param = "w"}, %g: tensor<8xf32> {loom.input = "g"})
    -> (tensor<8xf32> {loom.output = "new.w", loom.update = "param:w"},
        tensor<8xf32> {loom.output = "old"}) {
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<8xf32>
  %old = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : tensor<8xf32>) outs(%e2 : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.mulf %a, %a : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  return %new, %old : tensor<8xf32>, tensor<8xf32>
}
