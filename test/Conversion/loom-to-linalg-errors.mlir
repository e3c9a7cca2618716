// RUN: loom-opt %s --convert-loom-to-linalg -split-input-file -verify-diagnostics

// Errors of convert-loom-to-linalg. A dynamic shape is reported at the op
// with the hint to bind the dim; the conversion then fails to legalize that
// op (the second error).

func.func @dynamic_operand(%a: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{convert-loom-to-linalg: dynamic shapes are not supported yet; bind every dim (loomc --dim NAME=N)}}
  // expected-error @+1 {{failed to legalize operation 'loom.add' that was explicitly marked illegal}}
  %0 = loom.add %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Only the result is dynamic (positions of a dynamic dim).
func.func @dynamic_result(%t: tensor<2x?xi32>) -> tensor<?xi64> {
  // expected-error @+2 {{convert-loom-to-linalg: dynamic shapes are not supported yet; bind every dim (loomc --dim NAME=N)}}
  // expected-error @+1 {{failed to legalize operation 'loom.positions' that was explicitly marked illegal}}
  %0 = loom.positions %t axis = 1 : (tensor<2x?xi32>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// Structured ops check too.
func.func @dynamic_matmul(%a: tensor<?x16xf32>, %b: tensor<16x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{convert-loom-to-linalg: dynamic shapes are not supported yet; bind every dim (loomc --dim NAME=N)}}
  // expected-error @+1 {{failed to legalize operation 'loom.matmul' that was explicitly marked illegal}}
  %0 = loom.matmul %a, %b : (tensor<?x16xf32>, tensor<16x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A composite op has no lowering: it must be decomposed first (loom-decompose).
func.func @composite(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{failed to legalize operation 'loom.gelu' that was explicitly marked illegal}}
  %0 = loom.gelu tanh %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @composite_softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{failed to legalize operation 'loom.softmax' that was explicitly marked illegal}}
  %0 = loom.softmax %x axis = -1 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
