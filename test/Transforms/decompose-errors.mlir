// RUN: loom-opt %s -split-input-file -verify-diagnostics --loom-decompose
// RUN: loom-opt %s -split-input-file -verify-diagnostics --loom-decompose='ops=cross_entropy'
// (The errors go to stderr, checked above: only the decomposed valid case here.)
// RUN: not loom-opt %s -split-input-file --loom-decompose 2>/dev/null | FileCheck %s
// Composites that are not selected are not checked.
// RUN: loom-opt %s -split-input-file --loom-decompose='ops=gelu' | FileCheck %s --check-prefix=GELU

// A composite the pass cannot express in primitives is an error at the op,
// not a silent leftover: an ignore_index that is no value of the targets'
// element type would become a truncated constant (5000000000 -> 705032704
// in i32) and ignore the wrong class.
func.func @ignore_index_out_of_range(%l: tensor<?x100xf32>, %t: tensor<?xi32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op cannot be decomposed into primitive loom ops: ignore_index 5000000000 is not a value of the i32 targets}}
  %p = loom.cross_entropy %l, %t ignore_index = 5000000000 : (tensor<?x100xf32>, tensor<?xi32>) -> tensor<f32>
  return %p : tensor<f32>
}

// -----

// The same range check in the other direction.
func.func @ignore_index_below_range(%l: tensor<4x100xf32>, %t: tensor<4xi32>) -> tensor<f32> {
  // expected-error @+1 {{ignore_index -2147483649 is not a value of the i32 targets}}
  %p = loom.cross_entropy %l, %t ignore_index = -2147483649 : (tensor<4x100xf32>, tensor<4xi32>) -> tensor<f32>
  return %p : tensor<f32>
}

// -----

// The i32 extremes and any i64 value are fine.
// CHECK-LABEL: func.func @ignore_index_in_range
// CHECK-DAG: loom.constant dense<-2147483648> : tensor<i32>
// CHECK-DAG: loom.constant dense<2147483647> : tensor<i32>
// CHECK-DAG: loom.constant dense<5000000000> : tensor<i64>
// CHECK-NOT: loom.cross_entropy
// CHECK: return
// GELU-COUNT-5: loom.cross_entropy
func.func @ignore_index_in_range(%l: tensor<4x100xf32>, %t: tensor<4xi32>, %t64: tensor<4xi64>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  %a = loom.cross_entropy %l, %t ignore_index = -2147483648 : (tensor<4x100xf32>, tensor<4xi32>) -> tensor<f32>
  %b = loom.cross_entropy %l, %t ignore_index = 2147483647 : (tensor<4x100xf32>, tensor<4xi32>) -> tensor<f32>
  %c = loom.cross_entropy %l, %t64 ignore_index = 5000000000 : (tensor<4x100xf32>, tensor<4xi64>) -> tensor<f32>
  return %a, %b, %c : tensor<f32>, tensor<f32>, tensor<f32>
}
