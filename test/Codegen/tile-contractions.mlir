// RUN: loom-opt %s --loom-tile-contractions | FileCheck %s

// Every f32 contraction becomes register tiles whose C tile is carried in
// vector registers across k (scf.for iter_args) and updated with one
// broadcast FMA per row per k; the loops are peeled so that remainders are
// smaller static tiles. 9 x 40 with K = 17 and B stored [k, n]: tiles
// 8 x 32 (full), 1 x 32 (m remainder), 8 x 8 and 1 x 8 (n remainders).
// CHECK-LABEL: func.func @nn(
// CHECK-NOT: linalg.generic
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<1x32xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x8xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<1x8xf32>)
// CHECK: return

// B stored [n, k] takes the taller 24 x 16 tile (its columns are strided):
// here all of M = 9, so 9 x 16 tiles and a 9 x 8 remainder.
// CHECK-LABEL: func.func @nt(
// CHECK-NOT: linalg.generic
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<9x16xf32>)
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<9x8xf32>)
// CHECK: return

// Not a contraction of f32 buffers: left alone.
// CHECK-LABEL: func.func @int(
// CHECK: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @nn(%A: memref<9x17xf32>, %B: memref<17x40xf32>, %C: memref<9x40xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<9x17xf32>, memref<17x40xf32>) outs(%C : memref<9x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @nt(%A: memref<9x17xf32>, %B: memref<40x17xf32>, %C: memref<9x40xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<9x17xf32>, memref<40x17xf32>) outs(%C : memref<9x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @int(%A: memref<9x17xi32>, %B: memref<17x40xi32>, %C: memref<9x40xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<9x17xi32>, memref<17x40xi32>) outs(%C : memref<9x40xi32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}
