// RUN: loom-opt %s --split-input-file --loom-fuse-attention="query-block=32 key-block=64" --canonicalize --cse | FileCheck %s

// Block sizes are pinned (the defaults are tuned: 64 rows) so that the small
// shapes below still show several blocks.

// Causal self-attention as convert-loom-to-linalg leaves it: QKᵀ into
// [1, 2, 128, 128] scores, the scale, the causal mask (an index generic)
// and its select, the row max, x - max, exp, the row sum, the quotient and
// PV. It becomes one parallel loop over 2 heads x 4 blocks of 32 query rows
// (a head's blocks alternate light and heavy: 0, 3, 1, 2). The block's
// queries are transposed once ([16, 32]); its scores are a [128 keys, 32
// rows] temporary (an alloc_tensor: never merged with an equal tensor
// outside the loop). Pass 1 runs over chunks of 64 keys up to the block's
// diagonal (a run-time trip count, min(2, ceil((q0 + 32) / 64))): first
// the chunks every row sees whole (no mask), then the rest (the mask
// recomputed from indices); per chunk the GEMM K_chunk [64, 16] x Q_blkᵀ
// [16, 32] into the block's scores, then, in place, the scale, the mask
// and the running row max (a reduction over the keys, the outer loop).
// Pass 2, in place too: exp(s - max) with the row sums, and PV of the
// chunk, the exponentials read as Aᵀ ([64, 32] for a [32, 16] result); the
// quotient comes last. Nothing of [.., 128, 128] is left.
// CHECK-LABEL: func.func @causal
// CHECK-NOT: 128x128
// CHECK: %[[OUT:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args({{.*}}) -> (tensor<1x2x128x16xf32>)
// CHECK: %[[N:.*]] = arith.minsi %{{.*}}, %c2 : index
// CHECK: %[[CLEAN:.*]] = arith.minsi %{{.*}}, %[[N]] : index
// CHECK: %[[QT:.*]] = linalg.transpose ins(%{{.*}} : tensor<32x16xf32>) outs(%{{.*}} : tensor<16x32xf32>) permutation = [1, 0]
// CHECK: bufferization.alloc_tensor() : tensor<128x32xf32>
// CHECK: %[[P1:.*]]:2 = scf.for %{{.*}} = %c0 to %[[CLEAN]] step %c1 {{.*}} -> (tensor<128x32xf32>, tensor<32xf32>)
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<64x32xf32>
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[QT]] : tensor<64x16xf32>, tensor<16x32xf32>) outs(%[[Z]] : tensor<64x32xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} outs(%[[S]], %{{.*}} : tensor<64x32xf32>, tensor<32xf32>)
// CHECK-NOT: arith.cmpi
// CHECK: arith.cmpf ogt
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, 0] [64, 32] [1, 1] : tensor<64x32xf32> into tensor<128x32xf32>
// CHECK: %[[P2:.*]]:2 = scf.for %{{.*}} = %[[CLEAN]] to %[[N]] step %c1 iter_args(%{{.*}} = %[[P1]]#0, %{{.*}} = %[[P1]]#1)
// CHECK: arith.cmpi sle
// CHECK: arith.select
// CHECK: arith.cmpf ogt
// CHECK: scf.for %{{.*}} = %c0 to %[[N]] step %c1 {{.*}} -> (tensor<128x32xf32>, tensor<32xf32>, tensor<32x16xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<64x32xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<32x16xf32>)
// CHECK: arith.divf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, %{{.*}}, %{{.*}}, 0] [1, 1, 32, 16] [1, 1, 1, 1] : tensor<32x16xf32> into tensor<1x2x128x16xf32>
// CHECK: } {loom.parallel}
// CHECK: return %[[OUT]]
#map = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#map1 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#map2 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#map3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3) -> ()>
#map5 = affine_map<(d0, d1) -> (d0, d1)>
#map6 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#map7 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
module {
  func.func @causal(%arg0: tensor<1x2x128x16xf32>, %arg1: tensor<1x2x128x16xf32>, %arg2: tensor<1x2x128x16xf32>) -> tensor<1x2x128x16xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %cst_1 = arith.constant dense<0xFF800000> : tensor<f32>
    %cst_2 = arith.constant dense<2.500000e-01> : tensor<f32>
    %0 = tensor.empty() : tensor<1x2x128x128xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<1x2x128x128xf32>) -> tensor<1x2x128x128xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>) outs(%1 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %25 = arith.addf %out, %24 fastmath<reassoc,contract> : f32
      linalg.yield %25 : f32
    } -> tensor<1x2x128x128xf32>
    %3 = tensor.empty() : tensor<1x2x128x128xf32>
    %4 = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %cst_2 : tensor<1x2x128x128xf32>, tensor<f32>) outs(%3 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x128xf32>
    %5 = tensor.empty() : tensor<128x128xi1>
    %6 = linalg.generic {indexing_maps = [#map5], iterator_types = ["parallel", "parallel"]} outs(%5 : tensor<128x128xi1>) {
    ^bb0(%out: i1):
      %24 = linalg.index 0 : index
      %25 = linalg.index 1 : index
      %26 = arith.cmpi sle, %25, %24 : index
      linalg.yield %26 : i1
    } -> tensor<128x128xi1>
    %7 = tensor.empty() : tensor<1x2x128x128xf32>
    %8 = linalg.generic {indexing_maps = [#map6, #map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %4, %cst_1 : tensor<128x128xi1>, tensor<1x2x128x128xf32>, tensor<f32>) outs(%7 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: i1, %in_3: f32, %in_4: f32, %out: f32):
      %24 = arith.select %in, %in_3, %in_4 : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x128xf32>
    %9 = tensor.empty() : tensor<1x2x128x1xf32>
    %10 = linalg.fill ins(%cst : f32) outs(%9 : tensor<1x2x128x1xf32>) -> tensor<1x2x128x1xf32>
    %11 = linalg.generic {indexing_maps = [#map3, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%8 : tensor<1x2x128x128xf32>) outs(%10 : tensor<1x2x128x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = arith.maximumf %in, %out : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x1xf32>
    %12 = tensor.empty() : tensor<1x2x128x128xf32>
    %13 = linalg.generic {indexing_maps = [#map3, #map7, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%8, %11 : tensor<1x2x128x128xf32>, tensor<1x2x128x1xf32>) outs(%12 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.subf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x128xf32>
    %14 = tensor.empty() : tensor<1x2x128x128xf32>
    %15 = linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%13 : tensor<1x2x128x128xf32>) outs(%14 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = math.exp %in : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x128xf32>
    %16 = tensor.empty() : tensor<1x2x128x1xf32>
    %17 = linalg.fill ins(%cst_0 : f32) outs(%16 : tensor<1x2x128x1xf32>) -> tensor<1x2x128x1xf32>
    %18 = linalg.generic {indexing_maps = [#map3, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%15 : tensor<1x2x128x128xf32>) outs(%17 : tensor<1x2x128x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x1xf32>
    %19 = tensor.empty() : tensor<1x2x128x128xf32>
    %20 = linalg.generic {indexing_maps = [#map3, #map7, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%15, %18 : tensor<1x2x128x128xf32>, tensor<1x2x128x1xf32>) outs(%19 : tensor<1x2x128x128xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.divf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x128x128xf32>
    %21 = tensor.empty() : tensor<1x2x128x16xf32>
    %22 = linalg.fill ins(%cst_0 : f32) outs(%21 : tensor<1x2x128x16xf32>) -> tensor<1x2x128x16xf32>
    %23 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%20, %arg2 : tensor<1x2x128x128xf32>, tensor<1x2x128x16xf32>) outs(%22 : tensor<1x2x128x16xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %25 = arith.addf %out, %24 fastmath<reassoc,contract> : f32
      linalg.yield %25 : f32
    } -> tensor<1x2x128x16xf32>
    return %23 : tensor<1x2x128x16xf32>
  }
}

// -----

// BERT's padding mask [B, 1, 1, Tk], 9 keys, 5 queries and a scale of 0.3:
// one block per (batch, head), all keys in one chunk (static: the chunk
// loops fold away), the mask sliced per batch entry as [9] keys.
// CHECK-LABEL: func.func @masked
// CHECK-NOT: 2x4x5x9
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args({{.*}}) -> (tensor<2x4x5x12xf32>)
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<9x8xf32>, tensor<8x5xf32>) outs(%{{.*}} : tensor<9x5xf32>)
// CHECK: %[[MASK:.*]] = tensor.extract_slice %arg3[%{{.*}}, 0, 0, 0] [1, 1, 1, 9] [1, 1, 1, 1] : tensor<2x1x1x9xi1> to tensor<9xi1>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[MASK]] : tensor<9xi1>) outs(%{{.*}}, %{{.*}} : tensor<9x5xf32>, tensor<5xf32>)
// CHECK: arith.mulf %{{.*}}, %cst
// CHECK: arith.select
// CHECK: math.exp
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<9x5xf32>, tensor<9x12xf32>) outs(%{{.*}} : tensor<5x12xf32>)
// CHECK: arith.divf
// CHECK: } {loom.parallel}
#map = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#map1 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#map2 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#map3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3) -> ()>
#map5 = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>
#map6 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
module {
  func.func @masked(%arg0: tensor<2x4x5x8xf32>, %arg1: tensor<2x4x9x8xf32>, %arg2: tensor<2x4x9x12xf32>, %arg3: tensor<2x1x1x9xi1>) -> tensor<2x4x5x12xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %cst_1 = arith.constant dense<0xFF800000> : tensor<f32>
    %cst_2 = arith.constant dense<3.000000e-01> : tensor<f32>
    %0 = tensor.empty() : tensor<2x4x5x9xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<2x4x5x9xf32>) -> tensor<2x4x5x9xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<2x4x5x8xf32>, tensor<2x4x9x8xf32>) outs(%1 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %22 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %23 = arith.addf %out, %22 fastmath<reassoc,contract> : f32
      linalg.yield %23 : f32
    } -> tensor<2x4x5x9xf32>
    %3 = tensor.empty() : tensor<2x4x5x9xf32>
    %4 = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %cst_2 : tensor<2x4x5x9xf32>, tensor<f32>) outs(%3 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %22 = arith.mulf %in, %in_3 : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x9xf32>
    %5 = tensor.empty() : tensor<2x4x5x9xf32>
    %6 = linalg.generic {indexing_maps = [#map5, #map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg3, %4, %cst_1 : tensor<2x1x1x9xi1>, tensor<2x4x5x9xf32>, tensor<f32>) outs(%5 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: i1, %in_3: f32, %in_4: f32, %out: f32):
      %22 = arith.select %in, %in_3, %in_4 : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x9xf32>
    %7 = tensor.empty() : tensor<2x4x5x1xf32>
    %8 = linalg.fill ins(%cst : f32) outs(%7 : tensor<2x4x5x1xf32>) -> tensor<2x4x5x1xf32>
    %9 = linalg.generic {indexing_maps = [#map3, #map6], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%6 : tensor<2x4x5x9xf32>) outs(%8 : tensor<2x4x5x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = arith.maximumf %in, %out : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x1xf32>
    %10 = tensor.empty() : tensor<2x4x5x9xf32>
    %11 = linalg.generic {indexing_maps = [#map3, #map6, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<2x4x5x9xf32>, tensor<2x4x5x1xf32>) outs(%10 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %22 = arith.subf %in, %in_3 : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x9xf32>
    %12 = tensor.empty() : tensor<2x4x5x9xf32>
    %13 = linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11 : tensor<2x4x5x9xf32>) outs(%12 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = math.exp %in : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x9xf32>
    %14 = tensor.empty() : tensor<2x4x5x1xf32>
    %15 = linalg.fill ins(%cst_0 : f32) outs(%14 : tensor<2x4x5x1xf32>) -> tensor<2x4x5x1xf32>
    %16 = linalg.generic {indexing_maps = [#map3, #map6], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%13 : tensor<2x4x5x9xf32>) outs(%15 : tensor<2x4x5x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x1xf32>
    %17 = tensor.empty() : tensor<2x4x5x9xf32>
    %18 = linalg.generic {indexing_maps = [#map3, #map6, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%13, %16 : tensor<2x4x5x9xf32>, tensor<2x4x5x1xf32>) outs(%17 : tensor<2x4x5x9xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %22 = arith.divf %in, %in_3 : f32
      linalg.yield %22 : f32
    } -> tensor<2x4x5x9xf32>
    %19 = tensor.empty() : tensor<2x4x5x12xf32>
    %20 = linalg.fill ins(%cst_0 : f32) outs(%19 : tensor<2x4x5x12xf32>) -> tensor<2x4x5x12xf32>
    %21 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%18, %arg2 : tensor<2x4x5x9xf32>, tensor<2x4x9x12xf32>) outs(%20 : tensor<2x4x5x12xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %22 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %23 = arith.addf %out, %22 fastmath<reassoc,contract> : f32
      linalg.yield %23 : f32
    } -> tensor<2x4x5x12xf32>
    return %21 : tensor<2x4x5x12xf32>
  }
}

// -----

// Rank 3 (no heads), 100 causal positions: 3 blocks of 32 rows in the
// parallel loop, then the last 4 rows (a loop of one iteration, folded);
// keys in one chunk of 64 and a remainder chunk of 36 (under scf.if: only
// blocks that reach key 64 compute it; the 4-row block always does).
// CHECK-LABEL: func.func @remainders
// CHECK: %[[MAIN:.*]] = scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args({{.*}}) -> (tensor<1x100x8xf32>)
// CHECK: bufferization.alloc_tensor() : tensor<100x32xf32>
// CHECK: scf.if
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<36x8xf32>, tensor<8x32xf32>) outs(%{{.*}} : tensor<36x32xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[64, 0] [36, 32] [1, 1]
// CHECK: } {loom.parallel}
// CHECK: bufferization.alloc_tensor() : tensor<100x4xf32>
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<36x8xf32>, tensor<8x4xf32>) outs(%{{.*}} : tensor<36x4xf32>)
// CHECK: %[[LAST:.*]] = tensor.insert_slice %{{.*}} into %[[MAIN]][0, 96, 0] [1, 4, 8] [1, 1, 1] : tensor<4x8xf32> into tensor<1x100x8xf32>
// CHECK: return %[[LAST]]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map4 = affine_map<(d0, d1, d2) -> ()>
#map5 = affine_map<(d0, d1) -> (d0, d1)>
#map6 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map7 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
module {
  func.func @remainders(%arg0: tensor<1x100x8xf32>, %arg1: tensor<1x100x8xf32>, %arg2: tensor<1x100x8xf32>) -> tensor<1x100x8xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %cst_1 = arith.constant dense<0xFF800000> : tensor<f32>
    %cst_2 = arith.constant dense<0.353553385> : tensor<f32>
    %0 = tensor.empty() : tensor<1x100x100xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<1x100x100xf32>) -> tensor<1x100x100xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x100x8xf32>, tensor<1x100x8xf32>) outs(%1 : tensor<1x100x100xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %25 = arith.addf %out, %24 fastmath<reassoc,contract> : f32
      linalg.yield %25 : f32
    } -> tensor<1x100x100xf32>
    %3 = tensor.empty() : tensor<1x100x100xf32>
    %4 = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%2, %cst_2 : tensor<1x100x100xf32>, tensor<f32>) outs(%3 : tensor<1x100x100xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x100xf32>
    %5 = tensor.empty() : tensor<100x100xi1>
    %6 = linalg.generic {indexing_maps = [#map5], iterator_types = ["parallel", "parallel"]} outs(%5 : tensor<100x100xi1>) {
    ^bb0(%out: i1):
      %24 = linalg.index 0 : index
      %25 = linalg.index 1 : index
      %26 = arith.cmpi sle, %25, %24 : index
      linalg.yield %26 : i1
    } -> tensor<100x100xi1>
    %7 = tensor.empty() : tensor<1x100x100xf32>
    %8 = linalg.generic {indexing_maps = [#map6, #map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6, %4, %cst_1 : tensor<100x100xi1>, tensor<1x100x100xf32>, tensor<f32>) outs(%7 : tensor<1x100x100xf32>) {
    ^bb0(%in: i1, %in_3: f32, %in_4: f32, %out: f32):
      %24 = arith.select %in, %in_3, %in_4 : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x100xf32>
    %9 = tensor.empty() : tensor<1x100x1xf32>
    %10 = linalg.fill ins(%cst : f32) outs(%9 : tensor<1x100x1xf32>) -> tensor<1x100x1xf32>
    %11 = linalg.generic {indexing_maps = [#map3, #map7], iterator_types = ["parallel", "parallel", "reduction"]} ins(%8 : tensor<1x100x100xf32>) outs(%10 : tensor<1x100x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = arith.maximumf %in, %out : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x1xf32>
    %12 = tensor.empty() : tensor<1x100x100xf32>
    %13 = linalg.generic {indexing_maps = [#map3, #map7, #map3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%8, %11 : tensor<1x100x100xf32>, tensor<1x100x1xf32>) outs(%12 : tensor<1x100x100xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.subf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x100xf32>
    %14 = tensor.empty() : tensor<1x100x100xf32>
    %15 = linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%13 : tensor<1x100x100xf32>) outs(%14 : tensor<1x100x100xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = math.exp %in : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x100xf32>
    %16 = tensor.empty() : tensor<1x100x1xf32>
    %17 = linalg.fill ins(%cst_0 : f32) outs(%16 : tensor<1x100x1xf32>) -> tensor<1x100x1xf32>
    %18 = linalg.generic {indexing_maps = [#map3, #map7], iterator_types = ["parallel", "parallel", "reduction"]} ins(%15 : tensor<1x100x100xf32>) outs(%17 : tensor<1x100x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %24 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x1xf32>
    %19 = tensor.empty() : tensor<1x100x100xf32>
    %20 = linalg.generic {indexing_maps = [#map3, #map7, #map3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%15, %18 : tensor<1x100x100xf32>, tensor<1x100x1xf32>) outs(%19 : tensor<1x100x100xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.divf %in, %in_3 : f32
      linalg.yield %24 : f32
    } -> tensor<1x100x100xf32>
    %21 = tensor.empty() : tensor<1x100x8xf32>
    %22 = linalg.fill ins(%cst_0 : f32) outs(%21 : tensor<1x100x8xf32>) -> tensor<1x100x8xf32>
    %23 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%20, %arg2 : tensor<1x100x100xf32>, tensor<1x100x8xf32>) outs(%22 : tensor<1x100x8xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %24 = arith.mulf %in, %in_3 fastmath<reassoc,contract> : f32
      %25 = arith.addf %out, %24 fastmath<reassoc,contract> : f32
      linalg.yield %25 : f32
    } -> tensor<1x100x8xf32>
    return %23 : tensor<1x100x8xf32>
  }
}

// -----

// Not fused: the probabilities are also returned (a training graph's
// backward reads them too), a bias is added to the scores (not a scale or
// mask), the softmax runs over the queries (axis 2, not the keys).
// CHECK-LABEL: func.func @probs_returned
// CHECK-NOT: scf.for
// CHECK: return %{{.*}}, %{{.*}} : tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>
// CHECK-LABEL: func.func @bias_in_scores
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x8x8xf32>)
// CHECK-LABEL: func.func @softmax_over_queries
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x8x8xf32>)
#map = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#map1 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#map2 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#map3 = affine_map<(d0, d1) -> (d0, d1)>
#map4 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#map5 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map6 = affine_map<(d0, d1, d2, d3) -> ()>
#map7 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
module {
  func.func @probs_returned(%arg0: tensor<1x2x8x4xf32>, %arg1: tensor<1x2x8x4xf32>, %arg2: tensor<1x2x8x4xf32>) -> (tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>) {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %cst_1 = arith.constant dense<0xFF800000> : tensor<f32>
    %0 = tensor.empty() : tensor<1x2x8x8xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%1 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %22 = arith.mulf %in, %in_2 fastmath<reassoc,contract> : f32
      %23 = arith.addf %out, %22 fastmath<reassoc,contract> : f32
      linalg.yield %23 : f32
    } -> tensor<1x2x8x8xf32>
    %3 = tensor.empty() : tensor<8x8xi1>
    %4 = linalg.generic {indexing_maps = [#map3], iterator_types = ["parallel", "parallel"]} outs(%3 : tensor<8x8xi1>) {
    ^bb0(%out: i1):
      %22 = linalg.index 0 : index
      %23 = linalg.index 1 : index
      %24 = arith.cmpi sle, %23, %22 : index
      linalg.yield %24 : i1
    } -> tensor<8x8xi1>
    %5 = tensor.empty() : tensor<1x2x8x8xf32>
    %6 = linalg.generic {indexing_maps = [#map4, #map5, #map6, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4, %2, %cst_1 : tensor<8x8xi1>, tensor<1x2x8x8xf32>, tensor<f32>) outs(%5 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: i1, %in_2: f32, %in_3: f32, %out: f32):
      %22 = arith.select %in, %in_2, %in_3 : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x8xf32>
    %7 = tensor.empty() : tensor<1x2x8x1xf32>
    %8 = linalg.fill ins(%cst : f32) outs(%7 : tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %9 = linalg.generic {indexing_maps = [#map5, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%6 : tensor<1x2x8x8xf32>) outs(%8 : tensor<1x2x8x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = arith.maximumf %in, %out : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x1xf32>
    %10 = tensor.empty() : tensor<1x2x8x8xf32>
    %11 = linalg.generic {indexing_maps = [#map5, #map7, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%10 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %22 = arith.subf %in, %in_2 : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x8xf32>
    %12 = tensor.empty() : tensor<1x2x8x8xf32>
    %13 = linalg.generic {indexing_maps = [#map5, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11 : tensor<1x2x8x8xf32>) outs(%12 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = math.exp %in : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x8xf32>
    %14 = tensor.empty() : tensor<1x2x8x1xf32>
    %15 = linalg.fill ins(%cst_0 : f32) outs(%14 : tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %16 = linalg.generic {indexing_maps = [#map5, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%13 : tensor<1x2x8x8xf32>) outs(%15 : tensor<1x2x8x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %22 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x1xf32>
    %17 = tensor.empty() : tensor<1x2x8x8xf32>
    %18 = linalg.generic {indexing_maps = [#map5, #map7, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%13, %16 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%17 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %22 = arith.divf %in, %in_2 : f32
      linalg.yield %22 : f32
    } -> tensor<1x2x8x8xf32>
    %19 = tensor.empty() : tensor<1x2x8x4xf32>
    %20 = linalg.fill ins(%cst_0 : f32) outs(%19 : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
    %21 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%18, %arg2 : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%20 : tensor<1x2x8x4xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %22 = arith.mulf %in, %in_2 fastmath<reassoc,contract> : f32
      %23 = arith.addf %out, %22 fastmath<reassoc,contract> : f32
      linalg.yield %23 : f32
    } -> tensor<1x2x8x4xf32>
    return %21, %18 : tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>
  }
  func.func @bias_in_scores(%arg0: tensor<1x2x8x4xf32>, %arg1: tensor<1x2x8x4xf32>, %arg2: tensor<1x2x8x4xf32>, %arg3: tensor<8x8xf32>) -> tensor<1x2x8x4xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<1x2x8x8xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%1 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %20 = arith.mulf %in, %in_1 fastmath<reassoc,contract> : f32
      %21 = arith.addf %out, %20 fastmath<reassoc,contract> : f32
      linalg.yield %21 : f32
    } -> tensor<1x2x8x8xf32>
    %3 = tensor.empty() : tensor<1x2x8x8xf32>
    %4 = linalg.generic {indexing_maps = [#map5, #map4, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %arg3 : tensor<1x2x8x8xf32>, tensor<8x8xf32>) outs(%3 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %20 = arith.addf %in, %in_1 : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x8xf32>
    %5 = tensor.empty() : tensor<1x2x8x1xf32>
    %6 = linalg.fill ins(%cst : f32) outs(%5 : tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %7 = linalg.generic {indexing_maps = [#map5, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%4 : tensor<1x2x8x8xf32>) outs(%6 : tensor<1x2x8x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %20 = arith.maximumf %in, %out : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x1xf32>
    %8 = tensor.empty() : tensor<1x2x8x8xf32>
    %9 = linalg.generic {indexing_maps = [#map5, #map7, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4, %7 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%8 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %20 = arith.subf %in, %in_1 : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x8xf32>
    %10 = tensor.empty() : tensor<1x2x8x8xf32>
    %11 = linalg.generic {indexing_maps = [#map5, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%9 : tensor<1x2x8x8xf32>) outs(%10 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %20 = math.exp %in : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x8xf32>
    %12 = tensor.empty() : tensor<1x2x8x1xf32>
    %13 = linalg.fill ins(%cst_0 : f32) outs(%12 : tensor<1x2x8x1xf32>) -> tensor<1x2x8x1xf32>
    %14 = linalg.generic {indexing_maps = [#map5, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x2x8x8xf32>) outs(%13 : tensor<1x2x8x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %20 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x1xf32>
    %15 = tensor.empty() : tensor<1x2x8x8xf32>
    %16 = linalg.generic {indexing_maps = [#map5, #map7, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11, %14 : tensor<1x2x8x8xf32>, tensor<1x2x8x1xf32>) outs(%15 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %20 = arith.divf %in, %in_1 : f32
      linalg.yield %20 : f32
    } -> tensor<1x2x8x8xf32>
    %17 = tensor.empty() : tensor<1x2x8x4xf32>
    %18 = linalg.fill ins(%cst_0 : f32) outs(%17 : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
    %19 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%16, %arg2 : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%18 : tensor<1x2x8x4xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %20 = arith.mulf %in, %in_1 fastmath<reassoc,contract> : f32
      %21 = arith.addf %out, %20 fastmath<reassoc,contract> : f32
      linalg.yield %21 : f32
    } -> tensor<1x2x8x4xf32>
    return %19 : tensor<1x2x8x4xf32>
  }
  func.func @softmax_over_queries(%arg0: tensor<1x2x8x4xf32>, %arg1: tensor<1x2x8x4xf32>, %arg2: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<1x2x8x8xf32>
    %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%1 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %18 = arith.mulf %in, %in_1 fastmath<reassoc,contract> : f32
      %19 = arith.addf %out, %18 fastmath<reassoc,contract> : f32
      linalg.yield %19 : f32
    } -> tensor<1x2x8x8xf32>
    %3 = tensor.empty() : tensor<1x2x1x8xf32>
    %4 = linalg.fill ins(%cst : f32) outs(%3 : tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32>
    %5 = linalg.generic {indexing_maps = [#map5, #map8], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%2 : tensor<1x2x8x8xf32>) outs(%4 : tensor<1x2x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %18 = arith.maximumf %in, %out : f32
      linalg.yield %18 : f32
    } -> tensor<1x2x1x8xf32>
    %6 = tensor.empty() : tensor<1x2x8x8xf32>
    %7 = linalg.generic {indexing_maps = [#map5, #map8, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %5 : tensor<1x2x8x8xf32>, tensor<1x2x1x8xf32>) outs(%6 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %18 = arith.subf %in, %in_1 : f32
      linalg.yield %18 : f32
    } -> tensor<1x2x8x8xf32>
    %8 = tensor.empty() : tensor<1x2x8x8xf32>
    %9 = linalg.generic {indexing_maps = [#map5, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%7 : tensor<1x2x8x8xf32>) outs(%8 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %18 = math.exp %in : f32
      linalg.yield %18 : f32
    } -> tensor<1x2x8x8xf32>
    %10 = tensor.empty() : tensor<1x2x1x8xf32>
    %11 = linalg.fill ins(%cst_0 : f32) outs(%10 : tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32>
    %12 = linalg.generic {indexing_maps = [#map5, #map8], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%9 : tensor<1x2x8x8xf32>) outs(%11 : tensor<1x2x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %18 = arith.addf %in, %out fastmath<reassoc> : f32
      linalg.yield %18 : f32
    } -> tensor<1x2x1x8xf32>
    %13 = tensor.empty() : tensor<1x2x8x8xf32>
    %14 = linalg.generic {indexing_maps = [#map5, #map8, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%9, %12 : tensor<1x2x8x8xf32>, tensor<1x2x1x8xf32>) outs(%13 : tensor<1x2x8x8xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %18 = arith.divf %in, %in_1 : f32
      linalg.yield %18 : f32
    } -> tensor<1x2x8x8xf32>
    %15 = tensor.empty() : tensor<1x2x8x4xf32>
    %16 = linalg.fill ins(%cst_0 : f32) outs(%15 : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
    %17 = linalg.generic {indexing_maps = [#map2, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%14, %arg2 : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%16 : tensor<1x2x8x4xf32>) {
    ^bb0(%in: f32, %in_1: f32, %out: f32):
      %18 = arith.mulf %in, %in_1 fastmath<reassoc,contract> : f32
      %19 = arith.addf %out, %18 fastmath<reassoc,contract> : f32
      linalg.yield %19 : f32
    } -> tensor<1x2x8x4xf32>
    return %17 : tensor<1x2x8x4xf32>
  }
}
