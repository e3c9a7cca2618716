// RUN: loom-opt %s --loom-tile-contractions | FileCheck %s

// Every f32 contraction becomes register tiles whose C tile is carried in
// vector registers across k (scf.for iter_args) and updated with one
// broadcast FMA per row per k; the loops are peeled so that remainders are
// smaller static tiles. 9 x 40 with K = 17 and B stored [k, n]: tiles
// 8 x 32 (full), 1 x 32 (m remainder), 8 x 8 and 1 x 8 (n remainders);
// unit dims of a tile are cast away (a 1 x 32 tile is one vector<32xf32>).
// CHECK-LABEL: func.func @nn(
// CHECK-NOT: linalg.generic
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x8xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>)
// CHECK: return

// An unbatched B stored [n, k] (a weight in PyTorch layout, the LM head) is
// transposed into [k, n] while its block is packed: 16 x 16 tiles through
// vector shuffles (peeled: the 8 x 16, 16 x 1 and 8 x 1 remainders of
// 40 x 17 are static tiles too), then the same 8 x 32 tiles as @nn.
// CHECK-LABEL: func.func @nt(
// CHECK: %[[BUF:.*]] = memref.alloca() {loom.pack_scratch} : memref<2720xi8>
// CHECK: %[[BLOCK:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<2720xi8> to memref<17x40xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read %arg1{{.*}} : memref<40x17xf32>, vector<16x16xf32>
// CHECK: vector.shuffle
// CHECK-NOT: linalg.generic
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.load %[[BLOCK]]{{.*}} : memref<17x40xf32>, vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x8xf32>)
// CHECK: return

// A batched B stored [.., n, k] (QK^T) takes the taller 24 x 16 tile (its
// columns are strided): here all of M = 9, so 9 x 16 tiles and a 9 x 8
// remainder.
// CHECK-LABEL: func.func @nt_batched(
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
#a2 = affine_map<(b, m, n, k) -> (b, m, k)>
#bt2 = affine_map<(b, m, n, k) -> (b, n, k)>
#c2 = affine_map<(b, m, n, k) -> (b, m, n)>
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
func.func @nt_batched(%A: memref<2x9x17xf32>, %B: memref<2x40x17xf32>, %C: memref<2x9x40xf32>) {
  linalg.generic {indexing_maps = [#a2, #bt2, #c2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<2x9x17xf32>, memref<2x40x17xf32>) outs(%C : memref<2x9x40xf32>) {
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

// Operands that are views of the arena (every intermediate, after
// loom-plan-arena): upstream's hoisting gives up on views; loom carries the
// C tile anyway when the byte ranges prove that C overlaps neither A nor B.
// A batched contraction also loses the unit batch dim of its tiles.
// CHECK-LABEL: func.func @arena_views(
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.yield {{.*}} : vector<8x32xf32>
// CHECK-NEXT: }
// CHECK-NEXT: vector.transfer_write
// CHECK: return
#a3 = affine_map<(b, m, n, k) -> (b, m, k)>
#b3 = affine_map<(b, m, n, k) -> (k, n)>
#c3 = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @arena_views(%arena: memref<65536xi8>) {
  %c0 = arith.constant 0 : index
  %c8192 = arith.constant 8192 : index
  %c16384 = arith.constant 16384 : index
  %A = memref.view %arena[%c0][] : memref<65536xi8> to memref<2x8x64xf32>
  %B = memref.view %arena[%c8192][] : memref<65536xi8> to memref<64x32xf32>
  %C = memref.view %arena[%c16384][] : memref<65536xi8> to memref<2x8x32xf32>
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<2x8x64xf32>, memref<64x32xf32>) outs(%C : memref<2x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// C overlapping A (a planner bug, or a view the pass cannot bound): the
// tile stays in memory, read and written on every k step.
// CHECK-LABEL: func.func @overlapping_views(
// CHECK-NOT: iter_args
// CHECK: vector.fma
// CHECK: vector.transfer_write
// CHECK: return
func.func @overlapping_views(%arena: memref<65536xi8>) {
  %c0 = arith.constant 0 : index
  %c8192 = arith.constant 8192 : index
  %A = memref.view %arena[%c0][] : memref<65536xi8> to memref<2x8x64xf32>
  %B = memref.view %arena[%c8192][] : memref<65536xi8> to memref<64x32xf32>
  %C = memref.view %arena[%c0][] : memref<65536xi8> to memref<2x8x32xf32>
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<2x8x64xf32>, memref<64x32xf32>) outs(%C : memref<2x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// B's rows 8 KiB apart (N = 2048): each kc x nc block of B (here 17 x 384,
// the last 17 x 128) is copied into a stack buffer once, before the m tiles
// that read it; the micro-kernel loads B from that copy.
// CHECK-LABEL: func.func @packed_b(
// CHECK: scf.for
// CHECK: %[[BUF:.*]] = memref.alloca() {loom.pack_scratch} : memref<26112xi8>
// CHECK: %[[BLOCK:.*]] = memref.view %[[BUF]]
// CHECK: linalg.copy ins(%{{.*}} : memref<17x384xf32, strided<[2048, 1], offset: ?>>) outs(%[[BLOCK]] : memref<17x384xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.load %[[BLOCK]][{{.*}}] : memref<17x384xf32>, vector<32xf32>
// CHECK: linalg.copy ins(%{{.*}} : memref<17x128xf32, strided<[2048, 1], offset: 1920>>)
// CHECK: return
func.func @packed_b(%A: memref<9x17xf32>, %B: memref<17x2048xf32>, %C: memref<9x2048xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%A, %B : memref<9x17xf32>, memref<17x2048xf32>) outs(%C : memref<9x2048xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
