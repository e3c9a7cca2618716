// RUN: loom-opt %s --split-input-file --loom-tile-contractions | FileCheck %s
// RUN: loom-opt %s --split-input-file --loom-tile-contractions=epilogues=false | FileCheck %s --check-prefix=OFF

// A GELU (tanh) right after its GEMM, in place on C (inference): applied to
// each 8 x 32 C tile as it leaves the registers, one row vector at a time,
// before the single store; no pass over C remains.
// CHECK-LABEL: func.func @gelu_in_place
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: %[[ROW0:.*]] = vector.extract %[[ACC]][0] : vector<32xf32> from vector<8x32xf32>
// CHECK: math.tanh {{.*}} : vector<32xf32>
// CHECK: vector.insert {{.*}} [0] : vector<32xf32> into vector<8x32xf32>
// CHECK-COUNT-7: math.tanh {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}}, %arg2
// CHECK-NOT: linalg.generic
// CHECK: return
// OFF-LABEL: func.func @gelu_in_place
// OFF: vector.transfer_write
// OFF: linalg.generic
// OFF: math.tanh {{.*}} : f32
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @gelu_in_place(%x: memref<16x64xf32>, %w: memref<64x64xf32>, %y: memref<16x64xf32>) {
  %cst = arith.constant 4.471500e-02 : f32
  %k = arith.constant 0.797884583 : f32
  %one = arith.constant 1.000000e+00 : f32
  %half = arith.constant 5.000000e-01 : f32
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<16x64xf32>, memref<64x64xf32>) outs(%y : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 fastmath<reassoc,contract> : f32
    %1 = arith.addf %out, %0 fastmath<reassoc,contract> : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : memref<16x64xf32>) outs(%y : memref<16x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %in : f32
    %1 = arith.mulf %in, %0 : f32
    %2 = arith.mulf %1, %cst : f32
    %3 = arith.addf %in, %2 : f32
    %4 = arith.mulf %3, %k : f32
    %5 = math.tanh %4 : f32
    %6 = arith.addf %5, %one : f32
    %7 = arith.mulf %in, %half : f32
    %8 = arith.mulf %7, %6 : f32
    linalg.yield %8 : f32
  }
  return
}

// -----

// Training keeps C (the pre-activation, read by the backward): the tile is
// stored to C and the epilogue's result to its own output; a per-column
// operand (a scale along n) is read as one row vector per tile.
// CHECK-LABEL: func.func @into_other_buffer
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: %[[S:.*]] = vector.load %arg3[{{.*}}] : memref<64xf32>, vector<32xf32>
// CHECK: vector.extract %[[ACC]][0]
// CHECK: arith.mulf {{.*}}, %[[S]] : vector<32xf32>
// CHECK: vector.transfer_write %[[ACC]], %arg2
// CHECK: vector.transfer_write {{.*}}, %arg4
// CHECK-NOT: linalg.generic
// CHECK: return
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @into_other_buffer(%x: memref<16x64xf32>, %w: memref<64x64xf32>, %h: memref<16x64xf32>, %s: memref<64xf32>, %y: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<16x64xf32>, memref<64x64xf32>) outs(%h : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 fastmath<reassoc,contract> : f32
    %1 = arith.addf %out, %0 fastmath<reassoc,contract> : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %s : memref<16x64xf32>, memref<64xf32>) outs(%y : memref<16x64xf32>) {
  ^bb0(%in: f32, %sc: f32, %out: f32):
    %0 = arith.mulf %in, %sc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// K beyond one cache tile (kc = 768): C is stored once per k block, so
// the generic stays a pass of its own.
// CHECK-LABEL: func.func @long_k
// CHECK: linalg.generic
// CHECK: math.tanh {{.*}} : f32
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @long_k(%x: memref<16x1024xf32>, %w: memref<1024x64xf32>, %y: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<16x1024xf32>, memref<1024x64xf32>) outs(%y : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 fastmath<reassoc,contract> : f32
    %1 = arith.addf %out, %0 fastmath<reassoc,contract> : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : memref<16x64xf32>) outs(%y : memref<16x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.tanh %in : f32
    linalg.yield %0 : f32
  }
  return
}
