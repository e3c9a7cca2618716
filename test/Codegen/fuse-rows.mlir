// RUN: loom-opt %s --split-input-file --loom-fuse-rows --canonicalize --cse | FileCheck %s

// A layer norm as loom-to-linalg leaves it (row sum, mean, x - mean, sum of
// squares, reciprocal deviation, output: six generics, five passes over
// [4, 64, 768]) becomes one loop nest over blocks of 8 rows (8 x 768 x 4 =
// 24 KiB, the largest divisor of 64 within 32 KiB) with all six generics on
// the block; the row statistics lose their unit dim ([1, 8], not
// [1, 8, 1]) and x - mean is a block-sized temporary. Both loops are
// parallel. The softmax's three generics go the same way, a block being a
// whole 64-row head (64 x 64 x 4 = 16 KiB).
// CHECK-LABEL: func.func @forward
// CHECK: %[[LN:.*]] = scf.for {{.*}} -> (tensor<4x64x768xf32>)
// CHECK: scf.for {{.*}} step %c8 {{.*}} -> (tensor<4x64x768xf32>)
// CHECK: tensor.extract_slice %arg0[{{.*}}] [1, 8, 768]
// CHECK: linalg.fill {{.*}} -> tensor<1x8xf32>
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: } -> tensor<1x8xf32>
// CHECK: } -> tensor<1x8x1xf32>
// CHECK: } -> tensor<1x8x768xf32>
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: } -> tensor<1x8xf32>
// CHECK: } -> tensor<1x8x1xf32>
// CHECK: } -> tensor<1x8x768xf32>
// CHECK-NOT: linalg.generic
// CHECK: tensor.insert_slice
// CHECK: } {loom.parallel}
// CHECK: } {loom.parallel}
// CHECK: %[[SM:.*]] = scf.for
// CHECK: scf.for
// CHECK: tensor.extract_slice %arg3[{{.*}}] [1, 1, 64, 64]
// CHECK: } -> tensor<1x1x64xf32>
// CHECK: } -> tensor<1x1x64xf32>
// CHECK: } -> tensor<1x1x64x64xf32>
// CHECK-NOT: linalg.generic
// CHECK: } {loom.parallel}
// CHECK: } {loom.parallel}
// CHECK: return %[[LN]], %[[SM]]
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map2 = affine_map<(d0, d1, d2) -> (d2)>
#map3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
func.func @forward(%arg0: tensor<4x64x768xf32>, %arg1: tensor<768xf32>, %arg2: tensor<768xf32>, %arg3: tensor<4x12x64x64xf32>) -> (tensor<4x64x768xf32>, tensor<4x12x64x64xf32>) {
  %cst = arith.constant 9.99999974E-6 : f32
  %cst_0 = arith.constant 7.680000e+02 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 1.000000e+00 : f32
  %cst_3 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x64x1xf32>
  %1 = linalg.fill ins(%cst_3 : f32) outs(%0 : tensor<4x64x1xf32>) -> tensor<4x64x1xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<4x64x768xf32>) outs(%1 : tensor<4x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.addf %in, %out fastmath<reassoc> : f32
    linalg.yield %16 : f32
  } -> tensor<4x64x1xf32>
  %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%2 : tensor<4x64x1xf32>) outs(%0 : tensor<4x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.divf %in, %cst_0 : f32
    linalg.yield %16 : f32
  } -> tensor<4x64x1xf32>
  %4 = tensor.empty() : tensor<4x64x768xf32>
  %5 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %3 : tensor<4x64x768xf32>, tensor<4x64x1xf32>) outs(%4 : tensor<4x64x768xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %16 = arith.subf %in, %in_4 : f32
    linalg.yield %16 : f32
  } -> tensor<4x64x768xf32>
  %6 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%5 : tensor<4x64x768xf32>) outs(%1 : tensor<4x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.mulf %in, %in : f32
    %17 = arith.addf %16, %out fastmath<reassoc> : f32
    linalg.yield %17 : f32
  } -> tensor<4x64x1xf32>
  %7 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6 : tensor<4x64x1xf32>) outs(%0 : tensor<4x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.divf %in, %cst_0 : f32
    %17 = arith.addf %16, %cst : f32
    %18 = math.sqrt %17 : f32
    %19 = arith.divf %cst_2, %18 : f32
    linalg.yield %19 : f32
  } -> tensor<4x64x1xf32>
  %8 = linalg.generic {indexing_maps = [#map, #map1, #map2, #map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%5, %7, %arg1, %arg2 : tensor<4x64x768xf32>, tensor<4x64x1xf32>, tensor<768xf32>, tensor<768xf32>) outs(%4 : tensor<4x64x768xf32>) {
  ^bb0(%in: f32, %in_4: f32, %in_5: f32, %in_6: f32, %out: f32):
    %16 = arith.mulf %in, %in_4 : f32
    %17 = arith.mulf %16, %in_5 : f32
    %18 = arith.addf %17, %in_6 : f32
    linalg.yield %18 : f32
  } -> tensor<4x64x768xf32>
  %9 = tensor.empty() : tensor<4x12x64x1xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%9 : tensor<4x12x64x1xf32>) -> tensor<4x12x64x1xf32>
  %11 = linalg.generic {indexing_maps = [#map3, #map4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg3 : tensor<4x12x64x64xf32>) outs(%10 : tensor<4x12x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.maximumf %in, %out : f32
    linalg.yield %16 : f32
  } -> tensor<4x12x64x1xf32>
  %12 = linalg.fill ins(%cst_3 : f32) outs(%9 : tensor<4x12x64x1xf32>) -> tensor<4x12x64x1xf32>
  %13 = linalg.generic {indexing_maps = [#map3, #map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg3, %11 : tensor<4x12x64x64xf32>, tensor<4x12x64x1xf32>) outs(%12 : tensor<4x12x64x1xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %16 = arith.subf %in, %in_4 : f32
    %17 = math.exp %16 : f32
    %18 = arith.addf %17, %out fastmath<reassoc> : f32
    linalg.yield %18 : f32
  } -> tensor<4x12x64x1xf32>
  %14 = tensor.empty() : tensor<4x12x64x64xf32>
  %15 = linalg.generic {indexing_maps = [#map3, #map4, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg3, %11, %13 : tensor<4x12x64x64xf32>, tensor<4x12x64x1xf32>, tensor<4x12x64x1xf32>) outs(%14 : tensor<4x12x64x64xf32>) {
  ^bb0(%in: f32, %in_4: f32, %in_5: f32, %out: f32):
    %16 = arith.subf %in, %in_4 : f32
    %17 = math.exp %16 : f32
    %18 = arith.divf %17, %in_5 : f32
    linalg.yield %18 : f32
  } -> tensor<4x12x64x64xf32>
  return %8, %15 : tensor<4x64x768xf32>, tensor<4x12x64x64xf32>
}

// -----

// A mean over the rows (axis 0) broadcast back is not a row normalization:
// a block of rows would need every row. Left as it was. A softmax over an
// input that is also returned (exp(y)) still runs by blocks: the exp is
// computed in the loop (fuse-siblings merged it with the softmax's output)
// and both results come out of it.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: %[[BOTH:.*]]:2 = scf.for {{.*}} -> (tensor<16x768xf32>, tensor<16x768xf32>)
// CHECK: } -> tensor<8xf32>
// CHECK: } -> tensor<8xf32>
// CHECK: } -> (tensor<8x768xf32>, tensor<8x768xf32>)
// CHECK: } {loom.parallel}
// CHECK: return %{{.*}}, %[[BOTH]]#1, %[[BOTH]]#0
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d1)>
#map2 = affine_map<(d0) -> (d0)>
#map3 = affine_map<(d0, d1) -> (d0, 0)>
func.func @forward(%arg0: tensor<64x32xf32>, %arg1: tensor<16x768xf32>) -> (tensor<64x32xf32>, tensor<16x768xf32>, tensor<16x768xf32>) {
  %cst = arith.constant 6.400000e+01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<32xf32>
  %1 = linalg.fill ins(%cst_1 : f32) outs(%0 : tensor<32xf32>) -> tensor<32xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<64x32xf32>) outs(%1 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %13 = arith.addf %in, %out fastmath<reassoc> : f32
    linalg.yield %13 : f32
  } -> tensor<32xf32>
  %3 = linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel"]} ins(%2 : tensor<32xf32>) outs(%0 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %13 = arith.divf %in, %cst : f32
    linalg.yield %13 : f32
  } -> tensor<32xf32>
  %4 = tensor.empty() : tensor<64x32xf32>
  %5 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0, %3 : tensor<64x32xf32>, tensor<32xf32>) outs(%4 : tensor<64x32xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %13 = arith.subf %in, %in_2 : f32
    linalg.yield %13 : f32
  } -> tensor<64x32xf32>
  %6 = tensor.empty() : tensor<16x768xf32>
  %7 = tensor.empty() : tensor<16x1xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%7 : tensor<16x1xf32>) -> tensor<16x1xf32>
  %9 = linalg.generic {indexing_maps = [#map, #map3], iterator_types = ["parallel", "reduction"]} ins(%arg1 : tensor<16x768xf32>) outs(%8 : tensor<16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %13 = math.exp %in : f32
    %14 = arith.maximumf %13, %out : f32
    linalg.yield %14 : f32
  } -> tensor<16x1xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%7 : tensor<16x1xf32>) -> tensor<16x1xf32>
  %11 = linalg.generic {indexing_maps = [#map, #map3, #map3], iterator_types = ["parallel", "reduction"]} ins(%arg1, %9 : tensor<16x768xf32>, tensor<16x1xf32>) outs(%10 : tensor<16x1xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %13 = math.exp %in : f32
    %14 = arith.subf %13, %in_2 : f32
    %15 = math.exp %14 : f32
    %16 = arith.addf %15, %out fastmath<reassoc> : f32
    linalg.yield %16 : f32
  } -> tensor<16x1xf32>
  %12:2 = linalg.generic {indexing_maps = [#map, #map3, #map3, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%arg1, %9, %11 : tensor<16x768xf32>, tensor<16x1xf32>, tensor<16x1xf32>) outs(%6, %6 : tensor<16x768xf32>, tensor<16x768xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32, %out_4: f32):
    %13 = math.exp %in : f32
    %14 = arith.subf %13, %in_2 : f32
    %15 = math.exp %14 : f32
    %16 = arith.divf %15, %in_3 : f32
    linalg.yield %13, %16 : f32, f32
  } -> (tensor<16x768xf32>, tensor<16x768xf32>)
  return %5, %12#1, %12#0 : tensor<64x32xf32>, tensor<16x768xf32>, tensor<16x768xf32>
}

// -----

// A training step's cross entropy: the loss (log of the sum of
// exponentials plus the row max, placed first) and the gradient
// (softmax - one-hot, weighted) share the row max and the sum. The
// gradient's loop computes both reductions once per block of 32 rows and
// yields them; the loss's generic moves after the loop and reads them
// (the unit dim restored by an expand_shape). One read of the logits.
// CHECK-LABEL: func.func @xent
// CHECK: %[[L:.*]]:3 = scf.for {{.*}} -> (tensor<2x64x256xf32>, tensor<2x64xf32>, tensor<2x64xf32>)
// CHECK: scf.for {{.*}} step %c32
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[{{.*}}] [1, 32, 256]
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x32x256xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] :
// CHECK: math.exp
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]], %[[SUM]],
// CHECK-NOT: linalg.generic
// CHECK: tensor.insert_slice %[[G]]
// CHECK: tensor.insert_slice %[[MAX]]
// CHECK: tensor.insert_slice %[[SUM]]
// CHECK: } {loom.parallel}
// CHECK: } {loom.parallel}
// CHECK-DAG: %[[M3:.*]] = tensor.expand_shape %[[L]]#1 {{\[}}[0], [1, 2]]
// CHECK-DAG: %[[S3:.*]] = tensor.expand_shape %[[L]]#2 {{\[}}[0], [1, 2]]
// CHECK: %[[LSE:.*]] = linalg.generic {{.*}} ins(%[[S3]], %[[M3]] :
// CHECK: math.log
// CHECK: return %[[LSE]], %[[L]]#0
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @xent(%x: tensor<2x64x256xf32>, %t: tensor<2x64xi64>, %w: tensor<2x64x1xf32>) -> (tensor<2x64x1xf32>, tensor<2x64x256xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<2x64x1xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<2x64x1xf32>) -> tensor<2x64x1xf32>
  %m = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x64x256xf32>) outs(%m0 : tensor<2x64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x64x1xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x64x1xf32>) -> tensor<2x64x1xf32>
  %s = linalg.generic {indexing_maps = [#map, #map1, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %m : tensor<2x64x256xf32>, tensor<2x64x1xf32>) outs(%s0 : tensor<2x64x1xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %out fastmath<reassoc> : f32
    linalg.yield %r : f32
  } -> tensor<2x64x1xf32>
  %lse = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<2x64x1xf32>, tensor<2x64x1xf32>) outs(%e1 : tensor<2x64x1xf32>) {
  ^bb0(%sum: f32, %mx: f32, %out: f32):
    %l = math.log %sum : f32
    %r = arith.addf %l, %mx : f32
    linalg.yield %r : f32
  } -> tensor<2x64x1xf32>
  %e3 = tensor.empty() : tensor<2x64x256xf32>
  %g = linalg.generic {indexing_maps = [#map, #map1, #map1, #map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m, %s, %t, %w : tensor<2x64x256xf32>, tensor<2x64x1xf32>, tensor<2x64x1xf32>, tensor<2x64xi64>, tensor<2x64x1xf32>) outs(%e3 : tensor<2x64x256xf32>) {
  ^bb0(%in: f32, %mx: f32, %sum: f32, %ti: i64, %wi: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %sum : f32
    %j = linalg.index 2 : index
    %jj = arith.index_cast %j : index to i64
    %hit = arith.cmpi eq, %jj, %ti : i64
    %oh = arith.uitofp %hit : i1 to f32
    %q = arith.subf %p, %oh : f32
    %r = arith.mulf %q, %wi : f32
    linalg.yield %r : f32
  } -> tensor<2x64x256xf32>
  return %lse, %g : tensor<2x64x1xf32>, tensor<2x64x256xf32>
}
