// RUN: loom-opt %s --loom-chunk-kernels=min-work=1000 | FileCheck %s

// A kernel whose nest is an scf.parallel with enough work takes (begin,
// end) and runs that range of its first dimension with at least 4
// iterations (d0 has 1: d1 is split); calls pass the whole range.

// CHECK-LABEL: func.func private @f__k0(
// CHECK-SAME: %[[A:.*]]: memref<1x64x32xf32> {llvm.noalias}, %[[B:.*]]: memref<1x64x32xf32> {llvm.noalias}, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: loom.parallel_trips = 64 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[S:.*]] = arith.muli %[[BEGIN]], %[[C1]]
// CHECK: %[[LB:.*]] = arith.addi %[[C0]], %[[S]]
// CHECK: %[[E:.*]] = arith.muli %[[END]], %[[C1]]
// CHECK: %[[UE:.*]] = arith.addi %[[C0]], %[[E]]
// CHECK: %[[UB:.*]] = arith.minsi %[[C64]], %[[UE]]
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%[[C0]], %[[LB]], %[[C0]]) to (%[[C1]], %[[UB]], %{{.*}})
func.func private @f__k0(%a: memref<1x64x32xf32> {llvm.noalias}, %b: memref<1x64x32xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c1, %c64, %c32) step (%c1, %c1, %c1) {
    %v = memref.load %a[%i, %j, %k] : memref<1x64x32xf32>
    %m = arith.mulf %v, %v : f32
    memref.store %m, %b[%i, %j, %k] : memref<1x64x32xf32>
    scf.reduce
  }
  return
}

// An scf.for marked loom.parallel (a cache-tile loop) is split with its
// step: iterations are tiles.
// CHECK-LABEL: func.func private @f__k1(
// CHECK-SAME: %{{.*}}: index, %{{.*}}: index)
// CHECK-SAME: loom.parallel_trips = 3 : i64
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK: {loom.parallel}
func.func private @f__k1(%a: memref<96xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c96 = arith.constant 96 : index
  %one = arith.constant 1.0 : f32
  scf.for %t = %c0 to %c96 step %c32 {
    scf.for %i = %c0 to %c32 step %c1 {
      scf.for %r = %c0 to %c32 step %c1 {
        %j = arith.addi %t, %i : index
        %v = memref.load %a[%j] : memref<96xf32>
        %w = arith.addf %v, %one : f32
        memref.store %w, %a[%j] : memref<96xf32>
      }
    }
  } {loom.parallel}
  return
}

// Not split: too little work; an unmarked scf.for (it may accumulate); a
// single iteration.
// CHECK-LABEL: func.func private @f__k2(
// CHECK-SAME: %{{[^,]*}}: memref<64xf32> {llvm.noalias})
// CHECK-NOT: loom.parallel_trips
func.func private @f__k2(%a: memref<64xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %v = memref.load %a[%i] : memref<64xf32>
    %m = arith.mulf %v, %v : f32
    memref.store %m, %a[%i] : memref<64xf32>
    scf.reduce
  }
  return
}
// CHECK-LABEL: func.func private @f__k3(
// CHECK-SAME: %{{[^,]*}}: memref<4096xf32> {llvm.noalias}, %{{[^,]*}}: memref<1xf32> {llvm.noalias})
// CHECK-NOT: loom.parallel_trips
func.func private @f__k3(%a: memref<4096xf32> {llvm.noalias}, %s: memref<1xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  scf.for %i = %c0 to %c4096 step %c1 {
    %v = memref.load %a[%i] : memref<4096xf32>
    %acc = memref.load %s[%c0] : memref<1xf32>
    %m = arith.addf %v, %acc : f32
    memref.store %m, %s[%c0] : memref<1xf32>
  }
  return
}
// CHECK-LABEL: func.func private @f__k4(
// CHECK-SAME: %{{[^,]*}}: memref<1x4096xf32> {llvm.noalias})
// CHECK-NOT: loom.parallel_trips
func.func private @f__k4(%a: memref<1x4096xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    scf.for %j = %c0 to %c4096 step %c1 {
      %v = memref.load %a[%i, %j] : memref<1x4096xf32>
      %m = arith.mulf %v, %v : f32
      memref.store %m, %a[%i, %j] : memref<1x4096xf32>
    }
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @f(
// CHECK: %[[Z:.*]] = arith.constant 0 : index
// CHECK: %[[N64:.*]] = arith.constant 64 : index
// CHECK: call @f__k0(%arg0, %arg1, %[[Z]], %[[N64]])
// CHECK: %[[Z2:.*]] = arith.constant 0 : index
// CHECK: %[[N3:.*]] = arith.constant 3 : index
// CHECK: call @f__k1(%arg2, %[[Z2]], %[[N3]])
// CHECK: call @f__k2(%{{[^,]*}})
func.func @f(%a: memref<1x64x32xf32>, %b: memref<1x64x32xf32>, %c: memref<96xf32>, %d: memref<64xf32>) {
  call @f__k0(%a, %b) : (memref<1x64x32xf32>, memref<1x64x32xf32>) -> ()
  call @f__k1(%c) : (memref<96xf32>) -> ()
  call @f__k2(%d) : (memref<64xf32>) -> ()
  return
}
