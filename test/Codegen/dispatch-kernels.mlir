// RUN: loom-opt %s --loom-dispatch-kernels | FileCheck %s
// RUN: loom-opt %s --loom-dispatch-kernels | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// Calls of a range kernel (loom.parallel_trips) store the arguments in the
// caller's slot buffer and call the hook with (trips, @K__range, slots);
// other calls stay. The hook starts as the serial loop.

// CHECK-LABEL: llvm.func internal @f__k0__range(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK: %[[P0:.*]] = llvm.getelementptr %arg0[0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[P1:.*]] = llvm.getelementptr %arg0[1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: %[[A1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> f32
// CHECK: llvm.call @f__k0(%[[A0]], %[[A1]], %[[B]], %[[E]])

// CHECK-LABEL: llvm.func @f(
// CHECK: %[[SLOTS:.*]] = llvm.alloca %{{.*}} x !llvm.array<2 x i64>
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[SLOTS]][0]
// CHECK: llvm.store %arg0, %[[S0]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[SLOTS]][1]
// CHECK: llvm.store %{{.*}}, %[[S1]] : f32, !llvm.ptr
// CHECK: %[[HOOK:.*]] = llvm.mlir.addressof @loom_parallel_for_hook
// CHECK: %[[FN:.*]] = llvm.load %[[HOOK]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[RANGE:.*]] = llvm.mlir.addressof @f__k0__range
// CHECK: %[[N:.*]] = llvm.mlir.constant(48 : i64)
// CHECK: llvm.call %[[FN]](%[[N]], %[[RANGE]], %[[SLOTS]])
// CHECK: llvm.call @g__k0(%arg0)

// CHECK-LABEL: llvm.func internal @__loom_serial_for(
// CHECK-SAME: %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.call %arg1(%arg2, %{{.*}}, %arg0)
// CHECK: llvm.mlir.global external @loom_parallel_for_hook()
// CHECK: llvm.mlir.addressof @__loom_serial_for

// IR: @loom_parallel_for_hook = global ptr @__loom_serial_for, align 8

llvm.func @f__k0(%a: !llvm.ptr {llvm.noalias}, %x: f32, %begin: i64, %end: i64) attributes {loom.parallel_trips = 48 : i64} {
  llvm.return
}
llvm.func @g__k0(%a: !llvm.ptr) {
  llvm.return
}
llvm.func @f(%a: !llvm.ptr) {
  %x = llvm.mlir.constant(2.0 : f32) : f32
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c48 = llvm.mlir.constant(48 : i64) : i64
  llvm.call @f__k0(%a, %x, %c0, %c48) : (!llvm.ptr, f32, i64, i64) -> ()
  llvm.call @g__k0(%a) : (!llvm.ptr) -> ()
  llvm.return
}
