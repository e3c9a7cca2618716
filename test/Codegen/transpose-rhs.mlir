// RUN: loom-opt %s --loom-transpose-rhs -split-input-file -mlir-print-local-scope | FileCheck %s

// Batched products with B stored [b, n, k] (QKᵀ-like) with 128 rows per
// batch and K = 1024 (a 4 KiB row stride): B is transposed once into
// [b, k, n] and read at (b, k, n).
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#y = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @batched_nt
// CHECK-SAME: (%[[X:.*]]: tensor<2x128x1024xf32>, %[[W:.*]]: tensor<2x48x1024xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x1024x48xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<2x48x1024xf32>) outs(%[[E]] : tensor<2x1024x48xf32>) permutation = [0, 2, 1]
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
// CHECK-SAME: ins(%[[X]], %[[WT]] : tensor<2x128x1024xf32>, tensor<2x1024x48xf32>)
func.func @batched_nt(%x: tensor<2x128x1024xf32>, %w: tensor<2x48x1024xf32>, %init: tensor<2x128x48xf32>) -> tensor<2x128x48xf32> {
  %0 = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x128x1024xf32>, tensor<2x48x1024xf32>) outs(%init : tensor<2x128x48xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x128x48xf32>
  return %0 : tensor<2x128x48xf32>
}

// -----

// An unbatched weight stored [N, K] (a PyTorch-layout linear), even with
// 2 x 128 rows and K = 1024: loom-tile-contractions transposes its blocks
// while packing them, so no whole copy is made here.
#xl = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#wl = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#yl = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @linear_nt
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @linear_nt(%x: tensor<2x128x1024xf32>, %w: tensor<48x1024xf32>, %init: tensor<2x128x48xf32>) -> tensor<2x128x48xf32> {
  %0 = linalg.generic {indexing_maps = [#xl, #wl, #yl], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x128x1024xf32>, tensor<48x1024xf32>) outs(%init : tensor<2x128x48xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x128x48xf32>
  return %0 : tensor<2x128x48xf32>
}

// -----

// Left alone: unbatched weights (see above), whatever their rows and K; a B
// already stored [K, N].
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#bnt = affine_map<(d0, d1, d2) -> (d1, d2)>
#bnn = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @kept
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @kept(%x: tensor<256x768xf32>, %w: tensor<32x768xf32>, %v: tensor<768x32xf32>, %z: tensor<64x1024xf32>, %u: tensor<32x1024xf32>, %i: tensor<256x32xf32>, %j: tensor<64x32xf32>) -> (tensor<256x32xf32>, tensor<256x32xf32>, tensor<64x32xf32>) {
  %0 = linalg.generic {indexing_maps = [#a, #bnt, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<256x768xf32>, tensor<32x768xf32>) outs(%i : tensor<256x32xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %r, %m : f32
    linalg.yield %s : f32
  } -> tensor<256x32xf32>
  %1 = linalg.generic {indexing_maps = [#a, #bnn, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %v : tensor<256x768xf32>, tensor<768x32xf32>) outs(%i : tensor<256x32xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %r, %m : f32
    linalg.yield %s : f32
  } -> tensor<256x32xf32>
  %2 = linalg.generic {indexing_maps = [#a, #bnt, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%z, %u : tensor<64x1024xf32>, tensor<32x1024xf32>) outs(%j : tensor<64x32xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %r, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x32xf32>
  return %0, %1, %2 : tensor<256x32xf32>, tensor<256x32xf32>, tensor<64x32xf32>
}
