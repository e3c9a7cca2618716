// RUN: loom-opt %s -canonicalize -split-input-file | FileCheck %s

// Folders and canonicalization patterns of the loom dialect. Every identity
// only fires when the result keeps the op's exact type; the negative cases
// below pin down where it must not.

//===----------------------------------------------------------------------===//
// x + 0, 0 + x
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NOT: loom.add
// CHECK: return %[[X]], %[[X]], %[[X]]
func.func @add_zero(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = loom.constant dense<0.0> : tensor<f32>
  %zv = loom.constant dense<0.0> : tensor<8xf32>
  %a = loom.add %x, %z : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = loom.add %z, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %c = loom.add %x, %zv : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Integer tensors take the same identity.
// CHECK-LABEL: func.func @add_zero_int
// CHECK-SAME: (%[[X:.*]]: tensor<?xi32>)
// CHECK-NOT: loom.add
// CHECK: return %[[X]]
func.func @add_zero_int(%x: tensor<?xi32>) -> tensor<?xi32> {
  %z = loom.constant dense<0> : tensor<i32>
  %a = loom.add %x, %z : (tensor<?xi32>, tensor<i32>) -> tensor<?xi32>
  return %a : tensor<?xi32>
}

// -----

// The zero broadcasts x to a larger shape: dropping it would change the type.
// CHECK-LABEL: func.func @add_zero_broadcasts
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK: %[[Z:.*]] = loom.constant dense<0.000000e+00> : tensor<4x8xf32>
// CHECK: %[[A:.*]] = loom.add %[[X]], %[[Z]] : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[B:.*]] = loom.add %[[Z]], %[[X]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[A]], %[[B]]
func.func @add_zero_broadcasts(%x: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = loom.constant dense<0.0> : tensor<4x8xf32>
  %a = loom.add %x, %z : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = loom.add %z, %x : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A zero of higher rank adds a leading dim even when it has size 1.
// CHECK-LABEL: func.func @add_zero_adds_rank
// CHECK: loom.add {{.*}} : (tensor<8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
func.func @add_zero_adds_rank(%x: tensor<8xf32>) -> tensor<1x8xf32> {
  %z = loom.constant dense<0.0> : tensor<1x8xf32>
  %a = loom.add %x, %z : (tensor<8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

// -----

// A non-zero constant and a non-splat constant are kept.
// CHECK-LABEL: func.func @add_nonzero
// CHECK-COUNT-2: loom.add
// CHECK: return
func.func @add_nonzero(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %one = loom.constant dense<1.0> : tensor<f32>
  %mixed = loom.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %a = loom.add %x, %one : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %b = loom.add %x, %mixed : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %a, %b : tensor<2xf32>, tensor<2xf32>
}

//===----------------------------------------------------------------------===//
// x - 0
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NOT: loom.sub
// CHECK: return %[[X]]
func.func @sub_zero(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %z = loom.constant dense<0.0> : tensor<f32>
  %a = loom.sub %x, %z : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// -----

// 0 - x is -x, not x.
// CHECK-LABEL: func.func @zero_sub
// CHECK: %[[S:.*]] = loom.sub
// CHECK: return %[[S]]
func.func @zero_sub(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = loom.constant dense<0.0> : tensor<f32>
  %a = loom.sub %z, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// x * 1, 1 * x, x / 1, x ^ 1
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xbf16>)
// CHECK-NOT: loom.mul
// CHECK: return %[[X]], %[[X]]
func.func @mul_one(%x: tensor<2x3xbf16>) -> (tensor<2x3xbf16>, tensor<2x3xbf16>) {
  %one = loom.constant dense<1.0> : tensor<bf16>
  %a = loom.mul %x, %one : (tensor<2x3xbf16>, tensor<bf16>) -> tensor<2x3xbf16>
  %b = loom.mul %one, %x : (tensor<bf16>, tensor<2x3xbf16>) -> tensor<2x3xbf16>
  return %a, %b : tensor<2x3xbf16>, tensor<2x3xbf16>
}

// -----

// CHECK-LABEL: func.func @mul_one_broadcasts
// CHECK: %[[M:.*]] = loom.mul {{.*}} : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[M]]
func.func @mul_one_broadcasts(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %one = loom.constant dense<1.0> : tensor<2x3xf32>
  %a = loom.mul %x, %one : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @div_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf16>)
// CHECK-NOT: loom.div
// CHECK: return %[[X]]
func.func @div_one(%x: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %one = loom.constant dense<1.0> : tensor<f16>
  %a = loom.div %x, %one : (tensor<?x?xf16>, tensor<f16>) -> tensor<?x?xf16>
  return %a : tensor<?x?xf16>
}

// -----

// 1 / x is a reciprocal, not x.
// CHECK-LABEL: func.func @one_div
// CHECK: %[[D:.*]] = loom.div
// CHECK: return %[[D]]
func.func @one_div(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = loom.constant dense<1.0> : tensor<f32>
  %a = loom.div %one, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @pow_one
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>
// CHECK: %[[TWO:.*]] = loom.constant dense<2.000000e+00>
// CHECK: %[[P:.*]] = loom.pow %[[X]], %[[TWO]] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
// CHECK-NOT: loom.pow
// CHECK: return %[[X]], %[[P]]
func.func @pow_one(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %one = loom.constant dense<1.0> : tensor<f32>
  %two = loom.constant dense<2.0> : tensor<f32>
  %a = loom.pow %x, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = loom.pow %x, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The exponent of 1 broadcasts x up: kept.
// CHECK-LABEL: func.func @pow_one_broadcasts
// CHECK: loom.pow {{.*}} -> tensor<4x8xf32>
func.func @pow_one_broadcasts(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %one = loom.constant dense<1.0> : tensor<4x8xf32>
  %a = loom.pow %x, %one : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// neg(neg(x))
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @neg_neg
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xi64>)
// CHECK: %[[N:.*]] = loom.neg %[[X]]
// CHECK-NOT: loom.neg
// CHECK: return %[[X]], %[[N]]
func.func @neg_neg(%x: tensor<?x4xi64>) -> (tensor<?x4xi64>, tensor<?x4xi64>) {
  %n = loom.neg %x : (tensor<?x4xi64>) -> tensor<?x4xi64>
  %nn = loom.neg %n : (tensor<?x4xi64>) -> tensor<?x4xi64>
  return %nn, %n : tensor<?x4xi64>, tensor<?x4xi64>
}

// -----

// The inner neg declares a less static type; the outer one keeps it, so
// neg(neg(x)) would change the type from tensor<2x4xf32> to tensor<?x4xf32>.
// CHECK-LABEL: func.func @neg_neg_other_type
// CHECK: loom.neg
// CHECK: loom.neg
func.func @neg_neg_other_type(%x: tensor<2x4xf32>) -> tensor<?x4xf32> {
  %n = loom.neg %x : (tensor<2x4xf32>) -> tensor<?x4xf32>
  %nn = loom.neg %n : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %nn : tensor<?x4xf32>
}

//===----------------------------------------------------------------------===//
// select
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @select_splat_condition
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NOT: loom.select
// CHECK: return %[[A]], %[[B]], %[[A]]
func.func @select_splat_condition(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %t = loom.constant dense<true> : tensor<4xi1>
  %f = loom.constant dense<false> : tensor<i1>
  %x = loom.select %t, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = loom.select %f, %a, %b : (tensor<i1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // Both branches the same value: the condition does not matter.
  %c = loom.compare lt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %z = loom.select %c, %a, %a : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %x, %y, %z : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A condition that is not a constant, or a non-splat one, keeps the select.
// CHECK-LABEL: func.func @select_not_constant
// CHECK-SAME: (%[[C:.*]]: tensor<4xi1>, %[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[X:.*]] = loom.select %[[C]], %[[A]], %[[B]]
// CHECK: %[[Y:.*]] = loom.select %{{.*}}, %[[A]], %[[B]]
// CHECK: return %[[X]], %[[Y]]
func.func @select_not_constant(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %x = loom.select %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %m = loom.constant dense<[true, false, true, false]> : tensor<4xi1>
  %y = loom.select %m, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %x, %y : tensor<4xf32>, tensor<4xf32>
}

// -----

// The splat condition broadcasts the chosen value to a larger shape: kept.
// CHECK-LABEL: func.func @select_condition_broadcasts
// CHECK: loom.select {{.*}} -> tensor<3x4xf32>
func.func @select_condition_broadcasts(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<3x4xf32> {
  %t = loom.constant dense<true> : tensor<3x4xi1>
  %x = loom.select %t, %a, %b : (tensor<3x4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %x : tensor<3x4xf32>
}

//===----------------------------------------------------------------------===//
// cast, dropout
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xbf16>)
// CHECK: %[[C:.*]] = loom.cast %[[X]] to f32
// CHECK-NOT: loom.cast
// CHECK: return %[[X]], %[[C]]
func.func @cast_same_type(%x: tensor<?x8xbf16>) -> (tensor<?x8xbf16>, tensor<?x8xf32>) {
  %a = loom.cast %x to bf16 : (tensor<?x8xbf16>) -> tensor<?x8xbf16>
  %b = loom.cast %x to f32 : (tensor<?x8xbf16>) -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xbf16>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @dropout_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x768xf32>, %[[S:.*]]: tensor<i64>)
// CHECK-NOT: loom.dropout
// CHECK: return %[[X]], %[[X]], %[[X]]
func.func @dropout_identity(%x: tensor<?x768xf32>, %seed: tensor<i64>) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>) {
  // Inference: no training flag.
  %a = loom.dropout %x {rate = 1.000000e-01 : f64} : (tensor<?x768xf32>) -> tensor<?x768xf32>
  %b = loom.dropout %x seed(%seed) {rate = 1.000000e-01 : f64, stream = 2 : i64} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
  // Training with rate 0 drops nothing.
  %c = loom.dropout %x seed(%seed) {rate = 0.000000e+00 : f64, training} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
  return %a, %b, %c : tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>
}

// -----

// Training dropout with a non-zero rate is random: kept, seed and all.
// CHECK-LABEL: func.func @dropout_training
// CHECK-SAME: (%[[X:.*]]: tensor<?x768xf32>, %[[S:.*]]: tensor<i64>)
// CHECK: %[[D:.*]] = loom.dropout %[[X]] seed(%[[S]]) {rate = 1.000000e-01 : f64, stream = 3 : i64, training}
// CHECK: return %[[D]]
func.func @dropout_training(%x: tensor<?x768xf32>, %seed: tensor<i64>) -> tensor<?x768xf32> {
  %d = loom.dropout %x seed(%seed) {rate = 1.000000e-01 : f64, stream = 3 : i64, training} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
  return %d : tensor<?x768xf32>
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[Y:.*]]: tensor<?x?x768xf32>)
// CHECK-NOT: loom.reshape
// CHECK: return %[[X]], %[[Y]]
func.func @reshape_identity(%x: tensor<2x3x4xf32>, %y: tensor<?x?x768xf32>) -> (tensor<2x3x4xf32>, tensor<?x?x768xf32>) {
  %a = loom.reshape %x shape = [2, -1, 4] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // Copying every dim of a dynamic tensor is the identity too.
  %b = loom.reshape %y shape = [0, 0, 0] : (tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  return %a, %b : tensor<2x3x4xf32>, tensor<?x?x768xf32>
}

// -----

// An all-copy reshape that only refines the declared type is not the
// identity on types: kept.
// CHECK-LABEL: func.func @reshape_refining_kept
// CHECK: %[[R:.*]] = loom.reshape {{.*}} shape = [0, 0] : (tensor<?x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[R]]
func.func @reshape_refining_kept(%x: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %a = loom.reshape %x shape = [0, 0] : (tensor<?x8xf32>) -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[Y:.*]]: tensor<?x6xf32>)
// CHECK: %[[A:.*]] = loom.reshape %[[X]] shape = [4, 6] : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK: %[[B:.*]] = loom.reshape %[[Y]] shape = [-1, 3] : (tensor<?x6xf32>) -> tensor<?x3xf32>
// CHECK-NOT: loom.reshape
// CHECK: return %[[A]], %[[B]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>, %y: tensor<?x6xf32>) -> (tensor<4x6xf32>, tensor<?x3xf32>) {
  %0 = loom.reshape %x shape = [6, 4] : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = loom.reshape %0 shape = [4, -1] : (tensor<6x4xf32>) -> tensor<4x6xf32>
  // No copied dims: -1 is inferred from the same element count.
  %2 = loom.reshape %y shape = [0, 2, 3] : (tensor<?x6xf32>) -> tensor<?x2x3xf32>
  %3 = loom.reshape %2 shape = [-1, 3] : (tensor<?x2x3xf32>) -> tensor<?x3xf32>
  return %1, %3 : tensor<4x6xf32>, tensor<?x3xf32>
}

// -----

// A fully static result makes copied dims harmless: they are replaced by the
// result's sizes.
// CHECK-LABEL: func.func @reshape_of_reshape_static_copy
// CHECK-SAME: (%[[X:.*]]: tensor<2x12xf32>)
// CHECK: %[[R:.*]] = loom.reshape %[[X]] shape = [2, 3, 4] : (tensor<2x12xf32>) -> tensor<2x3x4xf32>
// CHECK-NOT: loom.reshape
// CHECK: return %[[R]]
func.func @reshape_of_reshape_static_copy(%x: tensor<2x12xf32>) -> tensor<2x3x4xf32> {
  %0 = loom.reshape %x shape = [2, 2, 6] : (tensor<2x12xf32>) -> tensor<2x2x6xf32>
  %1 = loom.reshape %0 shape = [0, 3, 4] : (tensor<2x2x6xf32>) -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// The outer shape copies dim 1 of the intermediate value (size 2) with 0 and
// the result is dynamic: on x, 0 would copy 6 instead. Not folded.
// CHECK-LABEL: func.func @reshape_of_reshape_copy_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xf32>)
// CHECK: %[[A:.*]] = loom.reshape %[[X]] shape = [0, 2, 3]
// CHECK: %[[B:.*]] = loom.reshape %[[A]] shape = [-1, 0]
// CHECK: return %[[B]]
func.func @reshape_of_reshape_copy_dynamic(%x: tensor<?x6xf32>) -> tensor<?x2xf32> {
  %0 = loom.reshape %x shape = [0, 2, 3] : (tensor<?x6xf32>) -> tensor<?x2x3xf32>
  %1 = loom.reshape %0 shape = [-1, 0] : (tensor<?x2x3xf32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf32>)
// CHECK-NOT: loom.transpose
// CHECK: return %[[X]]
func.func @transpose_identity(%x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  %t = loom.transpose %x permutation = [0, 1, 2] : (tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
  return %t : tensor<?x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.*]] = loom.transpose %[[X]] permutation = [2, 0, 1] : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NOT: loom.transpose
// CHECK: return %[[T]], %[[X]]
func.func @transpose_of_transpose(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %a = loom.transpose %x permutation = [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %b = loom.transpose %a permutation = [1, 2, 0] : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  // Three rotations compose to the identity, which then folds away.
  %c = loom.transpose %b permutation = [1, 2, 0] : (tensor<4x2x3xf32>) -> tensor<2x3x4xf32>
  return %b, %c : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// Two swaps of the last dims of a dynamic tensor.
// CHECK-LABEL: func.func @transpose_swap_back
// CHECK-SAME: (%[[X:.*]]: tensor<?x12x?x64xf32>)
// CHECK-NOT: loom.transpose
// CHECK: return %[[X]]
func.func @transpose_swap_back(%x: tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32> {
  %a = loom.transpose %x permutation = [0, 2, 1, 3] : (tensor<?x12x?x64xf32>) -> tensor<?x?x12x64xf32>
  %b = loom.transpose %a permutation = [0, 2, 1, 3] : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  return %b : tensor<?x12x?x64xf32>
}

//===----------------------------------------------------------------------===//
// concat, slice
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @concat_single
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[Y:.*]]: tensor<2x5xf32>)
// CHECK: %[[C:.*]] = loom.concat %[[X]], %[[Y]] axis = 1
// CHECK-NOT: loom.concat
// CHECK: return %[[X]], %[[C]]
func.func @concat_single(%x: tensor<2x3xf32>, %y: tensor<2x5xf32>) -> (tensor<2x3xf32>, tensor<2x8xf32>) {
  %a = loom.concat %x axis = 0 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = loom.concat %x, %y axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  return %a, %b : tensor<2x3xf32>, tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @slice_full
// CHECK-SAME: (%[[X:.*]]: tensor<4x197x768xf32>)
// CHECK: %[[S:.*]] = loom.slice %[[X]] axis = 1 start = 0 end = 1
// CHECK-NOT: loom.slice
// CHECK: return %[[X]], %[[X]], %[[S]]
func.func @slice_full(%x: tensor<4x197x768xf32>) -> (tensor<4x197x768xf32>, tensor<4x197x768xf32>, tensor<4x1x768xf32>) {
  %a = loom.slice %x axis = 1 start = 0 end = 197 : (tensor<4x197x768xf32>) -> tensor<4x197x768xf32>
  // Negative start and a clamped end cover the dim as well.
  %b = loom.slice %x axis = -1 start = -768 end = 1000 : (tensor<4x197x768xf32>) -> tensor<4x197x768xf32>
  %c = loom.slice %x axis = 1 start = 0 end = 1 : (tensor<4x197x768xf32>) -> tensor<4x1x768xf32>
  return %a, %b, %c : tensor<4x197x768xf32>, tensor<4x197x768xf32>, tensor<4x1x768xf32>
}

// -----

// On a dynamic dim [0, 8) may or may not be everything: kept.
// CHECK-LABEL: func.func @slice_dynamic_kept
// CHECK: loom.slice
func.func @slice_dynamic_kept(%x: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %a = loom.slice %x axis = 0 start = 0 end = 8 : (tensor<?x768xf32>) -> tensor<?x768xf32>
  return %a : tensor<?x768xf32>
}

//===----------------------------------------------------------------------===//
// split_heads / merge_heads
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @merge_of_split
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x768xf32>)
// CHECK-NOT: loom.split_heads
// CHECK-NOT: loom.merge_heads
// CHECK: return %[[X]]
func.func @merge_of_split(%x: tensor<?x?x768xf32>) -> tensor<?x?x768xf32> {
  %s = loom.split_heads %x num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %m = loom.merge_heads %s : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  return %m : tensor<?x?x768xf32>
}

// -----

// CHECK-LABEL: func.func @split_of_merge
// CHECK-SAME: (%[[X:.*]]: tensor<?x12x?x64xf32>)
// CHECK-NOT: loom.split_heads
// CHECK-NOT: loom.merge_heads
// CHECK: return %[[X]]
func.func @split_of_merge(%x: tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32> {
  %m = loom.merge_heads %x : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  %s = loom.split_heads %m num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  return %s : tensor<?x12x?x64xf32>
}

// -----

// Merging 12 heads and splitting into 8 regroups the channels.
// CHECK-LABEL: func.func @split_of_merge_other_heads
// CHECK: loom.merge_heads
// CHECK: loom.split_heads {{.*}} num_heads = 8
func.func @split_of_merge_other_heads(%x: tensor<?x12x?x64xf32>) -> tensor<?x8x?x96xf32> {
  %m = loom.merge_heads %x : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  %s = loom.split_heads %m num_heads = 8 : (tensor<?x?x768xf32>) -> tensor<?x8x?x96xf32>
  return %s : tensor<?x8x?x96xf32>
}

// -----

// With a dynamic head count the types agree (tensor<2x?x5x?xf32> both ways)
// whatever num_heads is; the round trip is only the identity when the input
// had exactly num_heads heads, which is unknown here. Not folded.
// CHECK-LABEL: func.func @split_of_merge_dynamic_heads
// CHECK-SAME: (%[[X:.*]]: tensor<2x?x5x?xf32>)
// CHECK: %[[M:.*]] = loom.merge_heads %[[X]]
// CHECK: %[[S:.*]] = loom.split_heads %[[M]] num_heads = 8
// CHECK: return %[[S]]
func.func @split_of_merge_dynamic_heads(%x: tensor<2x?x5x?xf32>) -> tensor<2x?x5x?xf32> {
  %m = loom.merge_heads %x : (tensor<2x?x5x?xf32>) -> tensor<2x5x?xf32>
  %s = loom.split_heads %m num_heads = 8 : (tensor<2x5x?xf32>) -> tensor<2x?x5x?xf32>
  return %s : tensor<2x?x5x?xf32>
}

//===----------------------------------------------------------------------===//
// x / sqrt(y) -> x * rsqrt(y)
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @div_by_sqrt
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[Y:.*]]: tensor<4x1xf32>)
// CHECK: %[[R:.*]] = loom.rsqrt %[[Y]] : (tensor<4x1xf32>) -> tensor<4x1xf32>
// CHECK: %[[M:.*]] = loom.mul %[[X]], %[[R]] : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
// CHECK-NOT: loom.sqrt
// CHECK-NOT: loom.div
// CHECK: return %[[M]]
func.func @div_by_sqrt(%x: tensor<4x8xf32>, %y: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %s = loom.sqrt %y : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %d = loom.div %x, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// The sqrt has another user: it stays for that user, the division still
// becomes a product. The quotient keeps its declared (less static) type.
// CHECK-LABEL: func.func @div_by_sqrt_shared
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?x1xf32>)
// CHECK-DAG: %[[S:.*]] = loom.sqrt %[[Y]]
// CHECK-DAG: %[[R:.*]] = loom.rsqrt %[[Y]]
// CHECK: %[[M:.*]] = loom.mul %[[X]], %[[R]] : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x?xf32>
// CHECK-NOT: loom.div
// CHECK: return %[[M]], %[[S]]
func.func @div_by_sqrt_shared(%x: tensor<?x8xf32>, %y: tensor<?x1xf32>) -> (tensor<?x?xf32>, tensor<?x1xf32>) {
  %s = loom.sqrt %y : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %d = loom.div %x, %s : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x?xf32>
  return %d, %s : tensor<?x?xf32>, tensor<?x1xf32>
}

// -----

// x / exp(y) and sqrt(y) / x are not the pattern.
// CHECK-LABEL: func.func @div_not_by_sqrt
// CHECK-NOT: loom.rsqrt
// CHECK-COUNT-2: loom.div
// CHECK-NOT: loom.rsqrt
func.func @div_not_by_sqrt(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = loom.exp %y : (tensor<4xf32>) -> tensor<4xf32>
  %a = loom.div %x, %e : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %s = loom.sqrt %y : (tensor<4xf32>) -> tensor<4xf32>
  %b = loom.div %s, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Splat constant folding
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @splat_arith
// CHECK-DAG: %[[ADD:.*]] = loom.constant dense<8.000000e+00> : tensor<2x3xf32>
// CHECK-DAG: %[[SUB:.*]] = loom.constant dense<4.000000e+00> : tensor<2x3xf32>
// CHECK-DAG: %[[MUL:.*]] = loom.constant dense<1.200000e+01> : tensor<2x3xf32>
// CHECK-DAG: %[[DIV:.*]] = loom.constant dense<3.000000e+00> : tensor<2x3xf32>
// CHECK-NOT: loom.add
// CHECK-NOT: loom.sub
// CHECK-NOT: loom.mul
// CHECK-NOT: loom.div
// CHECK: return %[[ADD]], %[[SUB]], %[[MUL]], %[[DIV]]
func.func @splat_arith() -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %a = loom.constant dense<6.0> : tensor<2x3xf32>
  %b = loom.constant dense<2.0> : tensor<f32>
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = loom.sub %a, %b : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %2 = loom.mul %a, %b : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = loom.div %a, %b : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// The fold rounds in the element type (bf16), and a chain folds completely.
// CHECK-LABEL: func.func @splat_chain_bf16
// CHECK: %[[C:.*]] = loom.constant dense<8.750000e-01> : tensor<4xbf16>
// CHECK-NOT: loom.add
// CHECK-NOT: loom.mul
// CHECK: return %[[C]]
func.func @splat_chain_bf16() -> tensor<4xbf16> {
  %a = loom.constant dense<0.5> : tensor<4xbf16>
  %b = loom.constant dense<2.0> : tensor<bf16>
  %q = loom.constant dense<0.25> : tensor<bf16>
  %0 = loom.add %a, %b : (tensor<4xbf16>, tensor<bf16>) -> tensor<4xbf16>
  %1 = loom.mul %0, %q : (tensor<4xbf16>, tensor<bf16>) -> tensor<4xbf16>
  %2 = loom.add %1, %q : (tensor<4xbf16>, tensor<bf16>) -> tensor<4xbf16>
  return %2 : tensor<4xbf16>
}

// -----

// A result declared with a dynamic dim cannot become a constant of that type.
// CHECK-LABEL: func.func @splat_dynamic_result
// CHECK: %[[M:.*]] = loom.mul {{.*}} : (tensor<2xf32>, tensor<f32>) -> tensor<?xf32>
// CHECK: return %[[M]]
func.func @splat_dynamic_result() -> tensor<?xf32> {
  %c = loom.constant dense<3.0> : tensor<2xf32>
  %d = loom.constant dense<4.0> : tensor<f32>
  %1 = loom.mul %c, %d : (tensor<2xf32>, tensor<f32>) -> tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// A gradient added to index_add(0, ...) (GPT-2's tied wte) becomes the
// table index_add adds into; not when the scatter starts from something
// else or has another use.
// CHECK-LABEL: func.func @add_into_index_add
// CHECK-SAME: (%[[X:.*]]: tensor<10x4xf32>, %[[I:.*]]: tensor<3xi32>, %[[G:.*]]: tensor<3x4xf32>)
// CHECK: %[[A:.*]] = loom.index_add %[[X]], %[[I]], %[[G]]
// CHECK: %[[B:.*]] = loom.index_add %[[X]], %[[I]], %[[G]]
// CHECK: %[[C:.*]] = loom.add %[[X]], %[[B]]
// CHECK: %[[Z:.*]] = loom.index_add %{{.*}}, %[[I]], %[[G]]
// CHECK: %[[D:.*]] = loom.add %[[Z]], %[[X]]
// CHECK: return %[[A]], %[[C]], %[[D]], %[[Z]]
func.func @add_into_index_add(%x: tensor<10x4xf32>, %i: tensor<3xi32>, %g: tensor<3x4xf32>) -> (tensor<10x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>) {
  %z = loom.constant dense<0.0> : tensor<10x4xf32>
  %s = loom.index_add %z, %i, %g : (tensor<10x4xf32>, tensor<3xi32>, tensor<3x4xf32>) -> tensor<10x4xf32>
  %a = loom.add %x, %s : (tensor<10x4xf32>, tensor<10x4xf32>) -> tensor<10x4xf32>
  %t = loom.index_add %x, %i, %g : (tensor<10x4xf32>, tensor<3xi32>, tensor<3x4xf32>) -> tensor<10x4xf32>
  %c = loom.add %x, %t : (tensor<10x4xf32>, tensor<10x4xf32>) -> tensor<10x4xf32>
  %u = loom.index_add %z, %i, %g : (tensor<10x4xf32>, tensor<3xi32>, tensor<3x4xf32>) -> tensor<10x4xf32>
  %d = loom.add %u, %x : (tensor<10x4xf32>, tensor<10x4xf32>) -> tensor<10x4xf32>
  return %a, %c, %d, %u : tensor<10x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>
}
