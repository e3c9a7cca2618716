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

// -----

// The blocked attention keeps a row of Q, K or V in a block temporary on the
// stack (at most 256 KiB).
func.func @attention_grad_head_too_wide(%q: tensor<1x2x65537xf32>, %l: tensor<1x2xf32>) -> tensor<1x2x65537xf32> {
  // expected-error @+2 {{convert-loom-to-linalg: a head dim of 65537 does not fit a block of the blocked attention}}
  // expected-error @+1 {{failed to legalize operation 'loom.attention_grad' that was explicitly marked illegal}}
  %0:3 = loom.attention_grad %q, %q, %q, %q, %l, %q {scale = 1.000000e+00 : f64} : (tensor<1x2x65537xf32>, tensor<1x2x65537xf32>, tensor<1x2x65537xf32>, tensor<1x2x65537xf32>, tensor<1x2xf32>, tensor<1x2x65537xf32>) -> (tensor<1x2x65537xf32>, tensor<1x2x65537xf32>, tensor<1x2x65537xf32>)
  return %0#0 : tensor<1x2x65537xf32>
}

// -----

// loom-autodiff makes attention_lse and attention_grad for f32 attention
// only.
func.func @attention_lse_bf16(%q: tensor<1x4x8xbf16>) -> tensor<1x4xbf16> {
  // expected-error @+2 {{convert-loom-to-linalg: the blocked attention is f32 only, got 'tensor<1x4x8xbf16>'}}
  // expected-error @+1 {{failed to legalize operation 'loom.attention_lse' that was explicitly marked illegal}}
  %0 = loom.attention_lse %q, %q : (tensor<1x4x8xbf16>, tensor<1x4x8xbf16>) -> tensor<1x4xbf16>
  return %0 : tensor<1x4xbf16>
}
