// RUN: loom-opt %s --loom-outline-kernels --split-input-file --verify-diagnostics | FileCheck %s

// Each top-level loop nest of a public function becomes a private noinline
// function called in its place. Constants and views are rematerialized in
// the kernel (a view keeps the bare-pointer ABI: only the buffer it views is
// passed); rank-0 work outside loops stays. Every buffer argument is
// llvm.noalias (kernel buffers never overlap: see the pass).

// CHECK-LABEL: func.func private @f__k0(
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32> {llvm.noalias}, %[[ARENA:[^:]*]]: memref<64xi8> {llvm.noalias})
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[V:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<64xi8> to memref<4xf32>
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[V]]
// CHECK-LABEL: func.func private @f__k1(
// CHECK-SAME: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<64xi8> {llvm.noalias}, %[[S:.*]]: f32)
// CHECK: arith.mulf %{{.*}}, %[[S]]
// CHECK-LABEL: func.func @f(
// CHECK: %[[LOADED:.*]] = memref.load
// CHECK: call @f__k0(%{{.*}}, %{{.*}}) : (memref<4xf32>, memref<64xi8>) -> ()
// CHECK: call @f__k1(%{{.*}}, %{{.*}}, %[[LOADED]])
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
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2xf32> {llvm.noalias}, %[[A:[^:]*]]: memref<4xf32> {llvm.noalias}, %[[B:[^:]*]]: memref<4xf32> {llvm.noalias})
// CHECK-NOT: memref.view
// CHECK: %[[SUB:.*]] = memref.subview %[[A]][2] [2] [1]
// CHECK: scf.for
// CHECK: memref.load %[[SUB]]
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK-LABEL: func.func @h(
// CHECK: %[[VA:.*]] = memref.view %{{.*}} : memref<128xi8> to memref<4xf32>
// CHECK: %[[VB:.*]] = memref.view %{{.*}} : memref<128xi8> to memref<4xf32>
// CHECK: call @h__k0(%{{.*}}, %[[VA]], %[[VB]])
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
