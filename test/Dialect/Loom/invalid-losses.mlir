// Verifier errors of the loss ops. A failed shape inference reports its own
// message and then InferTypeOpInterface's "failed to infer returned types".
// RUN: loom-opt %s -split-input-file -verify-diagnostics

func.func @cross_entropy_rank(%l: tensor<4x10xf32>, %t: tensor<4x1xi32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.cross_entropy' op logits tensor<4x10xf32> must have rank one more than targets tensor<4x1xi32>}}
  // expected-error @+1 {{'loom.cross_entropy' op failed to infer returned types}}
  %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<4x10xf32>, tensor<4x1xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_leading_dims_differ(%l: tensor<2x4x10xf32>, %t: tensor<2x5xi64>) -> tensor<f32> {
  // expected-error @+2 {{'loom.cross_entropy' op targets tensor<2x5xi64> do not match the leading dims of logits tensor<2x4x10xf32> at dim 1}}
  // expected-error @+1 {{'loom.cross_entropy' op failed to infer returned types}}
  %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x5xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_float_targets(%l: tensor<4x10xf32>, %t: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_result_not_scalar(%l: tensor<4x10xf32>, %t: tensor<4xi32>) -> tensor<1xf32> {
  // expected-error @+1 {{'loom.cross_entropy' op result #0 must be 0D tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<1xf32>'}}
  %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// The loss has the logits' element type.
func.func @cross_entropy_result_element_type(%l: tensor<4x10xbf16>, %t: tensor<4xi32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.cross_entropy' op inferred type(s) 'tensor<bf16>' are incompatible with return type(s) of operation 'tensor<f32>'}}
  // expected-error @+1 {{'loom.cross_entropy' op failed to infer returned types}}
  %0 = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<4x10xbf16>, tensor<4xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @contrastive_loss_dims_differ(%i: tensor<8x512xf32>, %t: tensor<8x256xf32>, %s: tensor<f32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.contrastive_loss' op image and text embeddings must both be [N, D] of one element type, got tensor<8x512xf32> and tensor<8x256xf32>}}
  // expected-error @+1 {{'loom.contrastive_loss' op failed to infer returned types}}
  %0 = loom.contrastive_loss %i, %t, %s : (tensor<8x512xf32>, tensor<8x256xf32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @contrastive_loss_rank(%i: tensor<2x8x512xf32>, %t: tensor<2x8x512xf32>, %s: tensor<f32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.contrastive_loss' op image and text embeddings must both be [N, D] of one element type, got tensor<2x8x512xf32> and tensor<2x8x512xf32>}}
  // expected-error @+1 {{'loom.contrastive_loss' op failed to infer returned types}}
  %0 = loom.contrastive_loss %i, %t, %s : (tensor<2x8x512xf32>, tensor<2x8x512xf32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @contrastive_loss_element_types_differ(%i: tensor<?x512xf32>, %t: tensor<?x512xbf16>, %s: tensor<f32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.contrastive_loss' op image and text embeddings must both be [N, D] of one element type, got tensor<?x512xf32> and tensor<?x512xbf16>}}
  // expected-error @+1 {{'loom.contrastive_loss' op failed to infer returned types}}
  %0 = loom.contrastive_loss %i, %t, %s : (tensor<?x512xf32>, tensor<?x512xbf16>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @contrastive_loss_scale_element_type(%i: tensor<?x512xf32>, %t: tensor<?x512xf32>, %s: tensor<bf16>) -> tensor<f32> {
  // expected-error @+2 {{'loom.contrastive_loss' op logit_scale tensor<bf16> must have element type f32}}
  // expected-error @+1 {{'loom.contrastive_loss' op failed to infer returned types}}
  %0 = loom.contrastive_loss %i, %t, %s : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<bf16>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @contrastive_loss_scale_not_scalar(%i: tensor<?x512xf32>, %t: tensor<?x512xf32>, %s: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.contrastive_loss' op operand #2 must be 0D tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<1xf32>'}}
  %0 = loom.contrastive_loss %i, %t, %s : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
