// RUN: loom-opt %s --loom-dispatch-kernels | FileCheck %s

// A module whose only parallel work is a Halide kernel's still exports the
// parallel-for hook (starting at the serial loop): the kernel library
// finds it by name and splits its loops through the runtime's pool.

// CHECK: llvm.func internal @__loom_serial_for
// CHECK: llvm.mlir.global external @loom_parallel_for_hook()
// CHECK: llvm.mlir.addressof @__loom_serial_for
module {
  llvm.func @loom_kernel_softmax_rows_f32(!llvm.ptr, !llvm.ptr, i64, i64) -> i32
  llvm.func @loom_f(%x: !llvm.ptr, %y: !llvm.ptr) {
    %r = llvm.mlir.constant(4 : i64) : i64
    %c = llvm.mlir.constant(8 : i64) : i64
    %0 = llvm.call @loom_kernel_softmax_rows_f32(%x, %y, %r, %c) : (!llvm.ptr, !llvm.ptr, i64, i64) -> i32
    llvm.return
  }
}
