// RUN: loom-opt %s --loom-plan-arena -split-input-file | FileCheck %s

// loom-plan-arena: every memref.alloc of a public function becomes a
// memref.view into a new last argument `memref<Nxi8> {loom.arena}` at a
// planned offset; buffers whose live ranges (definition to last use, views
// included) are disjoint share offsets. Sizes round up to 64 bytes; buffers
// are placed biggest first at the lowest offset free for their live range.

// Three buffers: %a (64 B) is dead once %b (128 B) is written, so %c (64 B)
// takes %a's offset. Biggest first: %b at 0, %a at 128, %c at 128; the arena
// is 192 bytes. Deallocations are dropped and do not extend a live range.
// CHECK-LABEL: func.func @plan
// CHECK-SAME: (%[[IN:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<16xf32>, %[[ARENA:[a-z0-9_]+]]: memref<192xi8> {loom.arena}) attributes {loom.arena_bytes = 192 : i64}
// CHECK: %[[OA:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][] : memref<192xi8> to memref<16xf32>
// CHECK-NEXT: memref.copy %[[IN]], %[[A]]
// CHECK-NEXT: %[[OB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[OB]]][] : memref<192xi8> to memref<32xf32>
// CHECK: %[[OC:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[C:.*]] = memref.view %[[ARENA]][%[[OC]]][] : memref<192xi8> to memref<16xf32>
// CHECK: memref.copy %[[C]], %[[OUT]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @plan(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<16xf32>
  memref.copy %in, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<32xf32>
  %v = memref.load %a[%c0] : memref<16xf32>
  memref.store %v, %b[%c0] : memref<32xf32>
  %c = memref.alloc() : memref<16xf32>
  %w = memref.load %b[%c0] : memref<32xf32>
  memref.store %w, %c[%c0] : memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<32xf32>
  memref.dealloc %c : memref<16xf32>
  return
}

// -----

// Sizes by element width (i1 takes one byte), rounded up to 64: 70 x i1 =
// 70 B -> 128, 3 x f32 = 12 B -> 64, 5 x bf16 = 10 B -> 64, a scalar f32 ->
// 64. All live at once: 0, 128, 192, 256; the arena is 320 bytes.
// CHECK-LABEL: func.func @sizes
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<320xi8> {loom.arena}) attributes {loom.arena_bytes = 320 : i64}
// CHECK: %[[O1:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[O1]]][] : memref<320xi8> to memref<70xi1>
// CHECK-NEXT: %[[O2:.*]] = arith.constant 128 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[O2]]][] : memref<320xi8> to memref<3xf32>
// CHECK-NEXT: %[[O3:.*]] = arith.constant 192 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[O3]]][] : memref<320xi8> to memref<5xbf16>
// CHECK-NEXT: %[[O4:.*]] = arith.constant 256 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[O4]]][] : memref<320xi8> to memref<f32>
func.func @sizes(%c0: index) {
  %m = memref.alloc() : memref<70xi1>
  %f = memref.alloc() : memref<3xf32>
  %h = memref.alloc() : memref<5xbf16>
  %s = memref.alloc() : memref<f32>
  %x = memref.load %m[%c0] : memref<70xi1>
  %y = memref.load %f[%c0] : memref<3xf32>
  %z = memref.load %h[%c0] : memref<5xbf16>
  %t = memref.load %s[] : memref<f32>
  return
}

// -----

// A view of a buffer extends its live range: %a's own last use is the
// collapse_shape, before %c is allocated, but the subview of the collapsed
// view is read after it, so %c cannot take %a's offset.
// CHECK-LABEL: func.func @views
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<128xi8> {loom.arena}) attributes {loom.arena_bytes = 128 : i64}
// CHECK: %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK: memref.collapse_shape %[[A]]
// CHECK: %[[OC:.*]] = arith.constant 64 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[OC]]][] : memref<128xi8> to memref<16xf32>
func.func @views(%in: memref<4x4xf32>, %out: memref<2xf32>, %c0: index) {
  %a = memref.alloc() : memref<4x4xf32>
  memref.copy %in, %a : memref<4x4xf32> to memref<4x4xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %sub = memref.subview %flat[2] [2] [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 2>>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %sub, %out : memref<2xf32, strided<[1], offset: 2>> to memref<2xf32>
  %v = memref.load %out[%c0] : memref<2xf32>
  memref.store %v, %c[%c0] : memref<16xf32>
  return
}

// -----

// Without the late read of the view, %c reuses %a's offset: the arena is 64
// bytes.
// CHECK-LABEL: func.func @views_dead
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<64xi8> {loom.arena}) attributes {loom.arena_bytes = 64 : i64}
// CHECK-COUNT-2: memref.view %[[ARENA]][%{{.*}}][] : memref<64xi8>
func.func @views_dead(%in: memref<4x4xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<4x4xf32>
  memref.copy %in, %a : memref<4x4xf32> to memref<4x4xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  memref.copy %flat, %out : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %out, %c : memref<16xf32> to memref<16xf32>
  return
}

// -----

// A use inside a loop counts at the loop: %b, written in the loop, overlaps
// %a; %c, allocated after the loop, takes %a's offset.
// CHECK-LABEL: func.func @loop_use
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<128xi8> {loom.arena}) attributes {loom.arena_bytes = 128 : i64}
// CHECK: %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][]
// CHECK-NEXT: %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[OB]]][]
// CHECK: scf.for
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK: %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.view %[[ARENA]][%[[OC]]][]
func.func @loop_use(%out: memref<4xf32>, %c0: index, %c1: index, %c4: index) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    memref.store %v, %b[%i] : memref<4xf32>
  }
  %c = memref.alloc() : memref<4xf32>
  memref.copy %b, %c : memref<4xf32> to memref<4xf32>
  memref.copy %c, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A small static buffer allocated inside a loop (a block's scratch from
// loom-fuse-rows) goes on the stack of the iteration, not in the arena.
// CHECK-LABEL: func.func @loop_scratch
// CHECK-SAME: memref<0xi8> {loom.arena}) attributes {loom.arena_bytes = 0 : i64}
// CHECK: scf.for
// CHECK-NEXT: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x768xf32>
// CHECK-NOT: memref.alloc()
// CHECK: memref.load %[[S]]
func.func @loop_scratch(%out: memref<4xf32>, %c0: index, %c1: index, %c4: index) {
  scf.for %i = %c0 to %c4 step %c1 {
    %s = memref.alloc() {alignment = 64 : i64} : memref<8x768xf32>
    %v = memref.load %s[%c0, %i] : memref<8x768xf32>
    memref.store %v, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// Private functions and declarations are untouched; a public function
// without allocations still gets an (empty) arena, so every entry point has
// one.
// CHECK-LABEL: func.func private @helper(%{{.*}}: memref<4xf32>) {
// CHECK-NEXT: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func private @decl(memref<4xf32>)
// CHECK-LABEL: func.func @no_allocs
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>, %{{.*}}: memref<0xi8> {loom.arena}) attributes {loom.arena_bytes = 0 : i64}
func.func private @helper(%in: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %in, %a : memref<4xf32> to memref<4xf32>
  return
}
func.func private @decl(memref<4xf32>)
func.func @no_allocs(%in: memref<4xf32>, %out: memref<4xf32>) {
  memref.copy %in, %out : memref<4xf32> to memref<4xf32>
  return
}
