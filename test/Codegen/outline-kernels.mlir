// RUN: loom-opt %s --loom-outline-kernels --split-input-file --verify-diagnostics | FileCheck %s
// RUN: loom-opt %s --loom-outline-kernels --loom-dedup-kernels --split-input-file | FileCheck %s --check-prefix=DEDUP

// Each top-level loop nest of a public function becomes a private noinline
// function called in its place. Constants and views are rematerialized in
// the kernel (a view keeps the bare-pointer ABI: only the buffer it views is
// passed); rank-0 work outside loops stays. Every buffer argument is
// llvm.noalias (kernel buffers never overlap: see the pass). Arguments come
// in the order the loop first uses them, so the same loop gives the same
// kernel wherever its buffers are (last case).

// CHECK-LABEL: func.func private @f__k0(
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32> {llvm.noalias}, %[[ARENA:[^:]*]]: memref<64xi8> {llvm.noalias})
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[V:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<64xi8> to memref<4xf32>
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[V]]
// CHECK-LABEL: func.func private @f__k1(
// CHECK-SAME: memref<64xi8> {llvm.noalias}, %[[S:[^:]*]]: f32, %{{.*}}: memref<4xf32> {llvm.noalias})
// CHECK: arith.mulf %{{.*}}, %[[S]]
// CHECK-LABEL: func.func @f(
// CHECK: %[[LOADED:.*]] = memref.load
// The call records the loop nest's cost for loomc --report and loom profile:
// 4 multiplies, the buffers it touches (16 + 64 bytes) counted once.
// CHECK: call @f__k0(%{{.*}}, %{{.*}}) {loom.bytes = 80 : i64, loom.flops = 4 : i64} : (memref<4xf32>, memref<64xi8>) -> ()
// CHECK: call @f__k1(%{{.*}}, %[[LOADED]], %{{.*}})
// CHECK-NOT: scf.for
// CHECK: return
func.func @f(%x: memref<4xf32>, %s: memref<f32>, %out: memref<4xf32>, %arena: memref<64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %tmp = memref.view %arena[%c0][] : memref<64xi8> to memref<4xf32>
  %scale = memref.load %s[] : memref<f32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    %e = math.exp %v : f32
    memref.store %e, %tmp[%i] : memref<4xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %tmp[%i] : memref<4xf32>
    %m = arith.mulf %v, %scale : f32
    memref.store %m, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// Private functions (kernels themselves) are left alone.
// CHECK-LABEL: func.func private @g(
// CHECK: scf.for
func.func private @g(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %z, %x[%i] : memref<4xf32>
  }
  return
}

// -----

// With the arena marked (loom-plan-arena's output), each planned buffer is
// its own noalias argument: a kernel reading one arena buffer and writing
// another sees two pointers LLVM may assume disjoint. Subviews of a buffer
// are still made inside the kernel from the passed buffer.
// CHECK-LABEL: func.func private @h__k0(
// CHECK-SAME: %[[A:[^:]*]]: memref<4xf32> {llvm.noalias}, %[[B:[^:]*]]: memref<4xf32> {llvm.noalias}, %[[OUT:[^:]*]]: memref<2xf32> {llvm.noalias})
// CHECK-NOT: memref.view
// CHECK: %[[SUB:.*]] = memref.subview %[[A]][2] [2] [1]
// CHECK: scf.for
// CHECK: memref.load %[[SUB]]
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK-LABEL: func.func @h(
// CHECK: %[[VA:.*]] = memref.view %{{.*}} : memref<128xi8> to memref<4xf32>
// CHECK: %[[VB:.*]] = memref.view %{{.*}} : memref<128xi8> to memref<4xf32>
// CHECK: call @h__k0(%[[VA]], %[[VB]], %{{.*}})
func.func @h(%out: memref<2xf32>, %arena: memref<128xi8> {loom.arena}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %a = memref.view %arena[%c0][] : memref<128xi8> to memref<4xf32>
  %b = memref.view %arena[%c64][] : memref<128xi8> to memref<4xf32>
  %hi = memref.subview %a[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
  scf.for %i = %c0 to %c2 step %c1 {
    %v = memref.load %hi[%i] : memref<2xf32, strided<[1], offset: 2>>
    memref.store %v, %b[%i] : memref<4xf32>
    memref.store %v, %out[%i] : memref<2xf32>
  }
  return
}

// -----

// The same loop in two functions whose buffers sit in other arena places
// and argument positions, with its constants defined in another order:
// identical kernels, signature and body (loom-dedup-kernels merges them).
// DEDUP-LABEL: func.func private @p__k0(
// DEDUP-NOT: func.func private @q__k0(
// DEDUP-LABEL: func.func @q(
// DEDUP: call @p__k0(%{{.*}}, %{{.*}}, %arg1)
// CHECK-LABEL: func.func private @p__k0(
// CHECK-SAME: %{{[^:]*}}: memref<8xf32> {llvm.noalias}, %{{[^:]*}}: memref<8xf32> {llvm.noalias}, %{{[^:]*}}: memref<8xf32> {llvm.noalias})
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[H:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: scf.for
// CHECK-LABEL: func.func @p(
// CHECK: %[[PY:.*]] = memref.view %arg1[%{{.*}}][] : memref<96xi8> to memref<8xf32>
// CHECK: %[[PX:.*]] = memref.view %arg1[%{{.*}}][] : memref<96xi8> to memref<8xf32>
// CHECK: call @p__k0(%[[PX]], %[[PY]], %arg0)
// CHECK-LABEL: func.func private @q__k0(
// CHECK-SAME: %{{[^:]*}}: memref<8xf32> {llvm.noalias}, %{{[^:]*}}: memref<8xf32> {llvm.noalias}, %{{[^:]*}}: memref<8xf32> {llvm.noalias})
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[H:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: scf.for
// CHECK-LABEL: func.func @q(
// CHECK: %[[QX:.*]] = memref.view %arg0[%{{.*}}][] : memref<96xi8> to memref<8xf32>
// CHECK: %[[QY:.*]] = memref.view %arg0[%{{.*}}][] : memref<96xi8> to memref<8xf32>
// CHECK: call @q__k0(%[[QX]], %[[QY]], %arg1)
func.func @p(%out: memref<8xf32>, %arena: memref<96xi8> {loom.arena}) {
  %h = arith.constant 0.5 : f32
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %y = memref.view %arena[%c0][] : memref<96xi8> to memref<8xf32>
  %x = memref.view %arena[%c32][] : memref<96xi8> to memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %a = memref.load %x[%i] : memref<8xf32>
    %b = memref.load %y[%i] : memref<8xf32>
    %s = arith.addf %a, %b : f32
    %m = arith.mulf %s, %h : f32
    memref.store %m, %out[%i] : memref<8xf32>
  }
  return
}
func.func @q(%arena: memref<96xi8> {loom.arena}, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %h = arith.constant 0.5 : f32
  %x = memref.view %arena[%c0][] : memref<96xi8> to memref<8xf32>
  %y = memref.view %arena[%c64][] : memref<96xi8> to memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %a = memref.load %x[%i] : memref<8xf32>
    %b = memref.load %y[%i] : memref<8xf32>
    %s = arith.addf %a, %b : f32
    %m = arith.mulf %s, %h : f32
    memref.store %m, %out[%i] : memref<8xf32>
  }
  return
}

// -----

// Stack buffers move to the kernel's entry (inside a loop an alloca would
// grow the stack every iteration), one per call so threads never share
// them. The packed-B buffers of one contraction (loom.pack_scratch: its
// peeled loop nests run one after the other) share the largest; other
// scratch (a row block's statistics, live together) keeps its own.
// CHECK-LABEL: func.func private @s__k0(
// CHECK-NEXT: %[[PACK:.*]] = memref.alloca() {alignment = 64 : i64, loom.pack_scratch} : memref<4096xi8>
// CHECK-NEXT: %[[ROW:.*]] = memref.alloca() : memref<8xf32>
// CHECK-NOT: memref.alloca
// CHECK: memref.view %[[PACK]]
// CHECK: memref.view %[[PACK]]
// CHECK: return
func.func @s(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %p = memref.alloca() {loom.pack_scratch} : memref<4096xi8>
    %v = memref.view %p[%c0][] : memref<4096xi8> to memref<1024xf32>
    %r = memref.alloca() : memref<8xf32>
    %a = memref.load %v[%i] : memref<1024xf32>
    memref.store %a, %r[%i] : memref<8xf32>
    %b = memref.load %r[%i] : memref<8xf32>
    memref.store %b, %out[%i] : memref<8xf32>
    %q = memref.alloca() {loom.pack_scratch} : memref<1024xi8>
    %w = memref.view %q[%c0][] : memref<1024xi8> to memref<256xf32>
    %c = memref.load %w[%i] : memref<256xf32>
    memref.store %c, %out[%i] : memref<8xf32>
  }
  return
}

// Contractions too small to outline stay in the function and run one after
// another: their packing buffers share one too, at the function's entry
// (eight 1.2 MB buffers used to overflow the main thread's 8 MB stack).
// CHECK-LABEL: func.func @host_packs(
// CHECK-NEXT: %[[P:.*]] = memref.alloca() {alignment = 64 : i64, loom.pack_scratch} : memref<8192xi8>
// CHECK-NOT: memref.alloca
// CHECK: memref.view %[[P]]
// CHECK: memref.view %[[P]]
// CHECK: return
func.func @host_packs(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %p = memref.alloca() {loom.pack_scratch} : memref<4096xi8>
  %v = memref.view %p[%c0][] : memref<4096xi8> to memref<1024xf32>
  %a = memref.load %v[%c0] : memref<1024xf32>
  memref.store %a, %out[%c0] : memref<8xf32>
  %q = memref.alloca() {loom.pack_scratch} : memref<8192xi8>
  %w = memref.view %q[%c0][] : memref<8192xi8> to memref<2048xf32>
  %b = memref.load %w[%c0] : memref<2048xf32>
  memref.store %b, %out[%c0] : memref<8xf32>
  return
}

// -----

// A host-level packing buffer a kernel takes as its argument keeps its type:
// the kernel gets an i8 view of the shared buffer.
// CHECK-LABEL: func.func @host_packs_to_kernels(
// CHECK-NEXT: %[[P:.*]] = memref.alloca() {alignment = 64 : i64, loom.pack_scratch} : memref<8192xi8>
// CHECK: %[[SMALL:.*]] = memref.view %[[P]][%{{.*}}][] : memref<8192xi8> to memref<4096xi8>
// CHECK-NOT: memref.alloca
// CHECK: call @host_packs_to_kernels__k0(%[[SMALL]], %{{.*}}) {{{.*}}} : (memref<4096xi8>, memref<8xf32>) -> ()
// CHECK: call @host_packs_to_kernels__k1(%[[P]], %{{.*}}) {{{.*}}} : (memref<8192xi8>, memref<8xf32>) -> ()
func.func @host_packs_to_kernels(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %p = memref.alloca() {loom.pack_scratch} : memref<4096xi8>
  %v = memref.view %p[%c0][] : memref<4096xi8> to memref<1024xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %a = memref.load %v[%i] : memref<1024xf32>
    memref.store %a, %out[%i] : memref<8xf32>
  }
  %q = memref.alloca() {loom.pack_scratch} : memref<8192xi8>
  %w = memref.view %q[%c0][] : memref<8192xi8> to memref<2048xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %b = memref.load %w[%i] : memref<2048xf32>
    memref.store %b, %out[%i] : memref<8xf32>
  }
  return
}
