// RUN: loom-opt %s --loom-packed-entry-points | FileCheck %s
// Running the pass again adds nothing (and defines no symbol twice).
// RUN: loom-opt %s --loom-packed-entry-points --loom-packed-entry-points | FileCheck %s
// RUN: loom-opt %s --loom-packed-entry-points | FileCheck %s --check-prefix=SKIP

// loom-packed-entry-points: every public, defined llvm.func whose arguments
// are all pointers and which returns nothing gets `void loom_F(void **slots)`:
// slot i is loaded from slots[i] and passed as argument i.

// CHECK-LABEL: llvm.func @forward(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.return
// CHECK-NEXT: }
// CHECK-NEXT: llvm.func @loom_forward(%[[SLOTS:.*]]: !llvm.ptr) {
// CHECK-NEXT: %[[P0:.*]] = llvm.getelementptr %[[SLOTS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[P1:.*]] = llvm.getelementptr %[[SLOTS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[A1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[P2:.*]] = llvm.getelementptr %[[SLOTS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[A2:.*]] = llvm.load %[[P2]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @forward(%[[A0]], %[[A1]], %[[A2]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.return
// CHECK-NEXT: }
llvm.func @forward(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr) {
  llvm.return
}

// A single slot (every compiled function has at least the arena).
// CHECK-LABEL: llvm.func @loss(
// CHECK: llvm.func @loom_loss(%[[SLOTS:.*]]: !llvm.ptr) {
// CHECK-NEXT: %[[P0:.*]] = llvm.getelementptr %[[SLOTS]][0]
// CHECK-NEXT: %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @loss(%[[A0]]) : (!llvm.ptr) -> ()
llvm.func @loss(%arena: !llvm.ptr) {
  llvm.return
}

// Skipped: a non-pointer argument, a result, a private symbol (what
// convert-func-to-llvm makes of a private func.func), private or internal
// linkage, a declaration, and the wrappers' own loom_ names.
// CHECK-LABEL: llvm.func @scalar_arg(
// CHECK-LABEL: llvm.func @returns_value(
// CHECK-LABEL: llvm.func @private_symbol(
// CHECK-SAME: attributes {sym_visibility = "private"}
// CHECK-LABEL: llvm.func private @private_linkage(
// CHECK-LABEL: llvm.func internal @internal_linkage(
// CHECK-LABEL: llvm.func @declaration(!llvm.ptr)
// CHECK-LABEL: llvm.func @loom_custom(
// None of them has a wrapper, anywhere in the output:
// SKIP-NOT: @loom_scalar_arg
// SKIP-NOT: @loom_returns_value
// SKIP-NOT: @loom_private_symbol
// SKIP-NOT: @loom_private_linkage
// SKIP-NOT: @loom_internal_linkage
// SKIP-NOT: @loom_declaration
// SKIP-NOT: @loom_loom_custom
llvm.func @scalar_arg(%a: !llvm.ptr, %n: i64) {
  llvm.return
}
llvm.func @returns_value(%a: !llvm.ptr) -> i32 {
  %0 = llvm.mlir.constant(0 : i32) : i32
  llvm.return %0 : i32
}
llvm.func @private_symbol(%a: !llvm.ptr) attributes {sym_visibility = "private"} {
  llvm.return
}
llvm.func private @private_linkage(%a: !llvm.ptr) {
  llvm.return
}
llvm.func internal @internal_linkage(%a: !llvm.ptr) {
  llvm.return
}
llvm.func @declaration(!llvm.ptr)
llvm.func @loom_custom(%a: !llvm.ptr) {
  llvm.return
}
