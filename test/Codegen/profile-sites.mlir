// RUN: loom-opt %s --loom-profile-sites --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s
// RUN: loom-opt %s --loom-profile-sites --convert-func-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// Every kernel call of a public function is a site, numbered in function
// and program order (twin calls of one kernel are two sites); the table
// goes to loom.kernel_sites with the cost loom-outline-kernels left on the
// call (-1 where none) and the call's location, which names the loom ops
// and spec lines the kernel implements.

// CHECK: module attributes {loom.kernel_sites = [
// CHECK-SAME: {bytes = 80 : i64, flops = 4 : i64, function = "f", generator = "mlir", id = 0 : i64, kernel = "f__k0", loc = loc(fused<"loom.gelu">["m.loom":3:7])}
// CHECK-SAME: {bytes = 80 : i64, flops = 4 : i64, function = "f", generator = "mlir", id = 1 : i64, kernel = "f__k0", loc = loc(fused<"loom.gelu">[fused["m.loom":3:7, "h.1"]])}
// CHECK-SAME: {bytes = -1 : i64, flops = -1 : i64, function = "g", generator = "mlir", id = 2 : i64, kernel = "f__k0"
// CHECK-SAME: ]}

// CHECK-LABEL: func.func @f(
// CHECK: %[[S0:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK: %[[B0:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @__loom_profile(%[[S0]], %[[B0]])
// CHECK-NEXT: call @f__k0
// CHECK-NEXT: %[[E0:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: llvm.call @__loom_profile(%[[S0]], %[[E0]])
// CHECK: %[[S1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: llvm.call @__loom_profile(%[[S1]],
// CHECK-NEXT: call @f__k0
// An external function (not a kernel loom made) is not a site.
// CHECK: llvm.call @__loom_profile(%[[S1]],
// CHECK-NOT: @__loom_profile
// CHECK: call @helper
// CHECK-LABEL: func.func @g(
// CHECK: llvm.mlir.constant(2 : i64)
// Kernels themselves are not instrumented.
// CHECK-LABEL: func.func private @f__k0(
// CHECK-NOT: __loom_profile
// CHECK: return

// The probe: the hook is null until the runtime sets it.
// CHECK: llvm.mlir.global external @loom_profile_hook() {addr_space = 0 : i32, alignment = 8 : i64} : !llvm.ptr
// CHECK: llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.func internal @__loom_profile(%[[SITE:.*]]: i64 {{.*}}, %[[PHASE:.*]]: i32 {{.*}})
// CHECK: %[[H:.*]] = llvm.load
// CHECK: llvm.icmp "eq" %[[H]]
// CHECK: llvm.cond_br
// CHECK: llvm.call %[[H]](%[[SITE]], %[[PHASE]])


// LLVM: llvm.func @f(
// LLVM: llvm.call @__loom_profile
// LLVM: llvm.call @f__k0

module {
  func.func @f(%a: memref<4xf32>, %b: memref<64xi8>) {
    call @f__k0(%a, %b) {loom.bytes = 80 : i64, loom.flops = 4 : i64} : (memref<4xf32>, memref<64xi8>) -> () loc(fused<"loom.gelu">["m.loom":3:7])
    call @f__k0(%a, %b) {loom.bytes = 80 : i64, loom.flops = 4 : i64} : (memref<4xf32>, memref<64xi8>) -> () loc(fused<"loom.gelu">[fused["m.loom":3:7, "h.1"]])
    call @helper(%a) : (memref<4xf32>) -> ()
    return
  }
  func.func @g(%a: memref<4xf32>, %b: memref<64xi8>) {
    call @f__k0(%a, %b) : (memref<4xf32>, memref<64xi8>) -> ()
    return
  }
  func.func private @helper(memref<4xf32>)
  func.func private @f__k0(%a: memref<4xf32>, %b: memref<64xi8>) {
    return
  }
}
