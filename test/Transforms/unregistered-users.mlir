// RUN: loom-opt %s --allow-unregistered-dialect --loom-decompose | FileCheck %s --check-prefix=DEC
// RUN: loom-opt %s --allow-unregistered-dialect --loom-infer-shapes | FileCheck %s --check-prefix=INFER

// Ops of unregistered dialects have no dialect object; both passes treat them
// as users that need the exact declared type (and must not crash on them).

// DEC-LABEL: func.func @unregistered_user
// DEC-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// DEC: %[[S:.*]] = loom.sigmoid %[[X]]
// DEC: %[[M:.*]] = loom.mul %[[X]], %[[S]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// DEC: %[[R:.*]] = loom.reshape %[[M]] shape = [0, 0] : (tensor<4x8xf32>) -> tensor<?x8xf32>
// DEC: "foo.use"(%[[R]]) : (tensor<?x8xf32>) -> ()
// INFER-LABEL: func.func @unregistered_user
// INFER: %[[Y:.*]] = loom.silu %{{.*}} : (tensor<4x8xf32>) -> tensor<?x8xf32>
// INFER: "foo.use"(%[[Y]]) : (tensor<?x8xf32>) -> ()
// A loom op between unregistered ones is still refined from its operands.
// INFER: %[[N:.*]] = loom.neg %{{.*}} : (tensor<4xf32>) -> tensor<4xf32>
// INFER: %[[E:.*]] = loom.exp %[[N]] : (tensor<4xf32>) -> tensor<?xf32>
// INFER: "foo.use"(%[[E]])
func.func @unregistered_user(%x: tensor<4x8xf32>) {
  %y = loom.silu %x : (tensor<4x8xf32>) -> tensor<?x8xf32>
  "foo.use"(%y) : (tensor<?x8xf32>) -> ()
  %a = "foo.make"() : () -> tensor<4xf32>
  %n = loom.neg %a : (tensor<4xf32>) -> tensor<?xf32>
  %e = loom.exp %n : (tensor<?xf32>) -> tensor<?xf32>
  "foo.use"(%e) : (tensor<?xf32>) -> ()
  return
}
