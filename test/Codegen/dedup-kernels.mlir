// RUN: loom-opt %s --loom-dedup-kernels | FileCheck %s

// Twins (same signature and body, other names and locations) merge into the
// first; a kernel that differs in one constant, or in which argument it
// writes, stays. Calls from every function follow.

// CHECK-LABEL: func.func private @f__k0(
// CHECK-NOT: func.func private @f__k1(
// CHECK-LABEL: func.func private @f__k2(
// CHECK-LABEL: func.func private @f__k3(
// CHECK-NOT: func.func private @g__k0(
// CHECK-LABEL: func.func @f(
// CHECK-NEXT: call @f__k0(%arg0, %arg1)
// CHECK-NEXT: call @f__k0(%arg1, %arg0)
// CHECK-NEXT: call @f__k2(%arg0, %arg1)
// CHECK-NEXT: call @f__k3(%arg0, %arg1)
// CHECK-LABEL: func.func @g(
// CHECK-NEXT: call @f__k0(%arg0, %arg1)

func.func private @f__k0(%a: memref<4xf32> {llvm.noalias}, %b: memref<4xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %b[%i] : memref<4xf32>
  }
  return
} loc("h.0.mlp")
func.func private @f__k1(%a: memref<4xf32> {llvm.noalias}, %b: memref<4xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %b[%i] : memref<4xf32>
  }
  return
} loc("h.1.mlp")
// Another constant.
func.func private @f__k2(%a: memref<4xf32> {llvm.noalias}, %b: memref<4xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 3.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %b[%i] : memref<4xf32>
  }
  return
}
// Reads and writes the other argument.
func.func private @f__k3(%a: memref<4xf32> {llvm.noalias}, %b: memref<4xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %b[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %a[%i] : memref<4xf32>
  }
  return
}
// A twin outlined from another entry function.
func.func private @g__k0(%a: memref<4xf32> {llvm.noalias}, %b: memref<4xf32> {llvm.noalias}) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %b[%i] : memref<4xf32>
  }
  return
}
func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) {
  call @f__k0(%x, %y) : (memref<4xf32>, memref<4xf32>) -> ()
  call @f__k1(%y, %x) : (memref<4xf32>, memref<4xf32>) -> ()
  call @f__k2(%x, %y) : (memref<4xf32>, memref<4xf32>) -> ()
  call @f__k3(%x, %y) : (memref<4xf32>, memref<4xf32>) -> ()
  return
}
func.func @g(%x: memref<4xf32>, %y: memref<4xf32>) {
  call @g__k0(%x, %y) : (memref<4xf32>, memref<4xf32>) -> ()
  return
}
