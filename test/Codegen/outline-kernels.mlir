// RUN: loom-opt %s --loom-outline-kernels --split-input-file --verify-diagnostics | FileCheck %s

// Each top-level loop nest of a public function becomes a private noinline
// function called in its place. Constants and views are rematerialized in
// the kernel (the arena view keeps the bare-pointer ABI: only the arena
// argument itself is passed); rank-0 work outside loops stays.

// CHECK-LABEL: func.func private @f__k0(
// CHECK-SAME: %[[X:.*]]: memref<4xf32>, %[[ARENA:.*]]: memref<64xi8>)
// CHECK-SAME: attributes {passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[V:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<64xi8> to memref<4xf32>
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[V]]
// CHECK-LABEL: func.func private @f__k1(
// CHECK-SAME: memref<4xf32>, %{{.*}}: memref<64xi8>, %[[S:.*]]: f32)
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
