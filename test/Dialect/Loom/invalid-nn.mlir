// Verifier errors of the neural network ops (embeddings, contractions, norms,
// softmax, attention, vision). A failed shape inference reports its own
// message and then InferTypeOpInterface's "failed to infer returned types".
// RUN: loom-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%t: tensor<2x3x4xf32>, %ids: tensor<?xi32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'loom.embedding' op table must be 2-D [V, D], got tensor<2x3x4xf32>}}
  // expected-error @+1 {{'loom.embedding' op failed to infer returned types}}
  %0 = loom.embedding %t, %ids : (tensor<2x3x4xf32>, tensor<?xi32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @index_add_source_shape(%t: tensor<10x4xf32>, %ids: tensor<2x3xi32>, %s: tensor<2x4xf32>) -> tensor<10x4xf32> {
  // expected-error @+2 {{'loom.index_add' op source tensor<2x4xf32> must be the ids' shape tensor<2x3xi32> followed by D = 4}}
  // expected-error @+1 {{'loom.index_add' op failed to infer returned types}}
  %0 = loom.index_add %t, %ids, %s : (tensor<10x4xf32>, tensor<2x3xi32>, tensor<2x4xf32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @index_add_table_rank(%t: tensor<10xf32>, %ids: tensor<2xi32>, %s: tensor<2x1xf32>) -> tensor<10xf32> {
  // expected-error @+2 {{'loom.index_add' op input must be 2-D [V, D], got tensor<10xf32>}}
  // expected-error @+1 {{'loom.index_add' op failed to infer returned types}}
  %0 = loom.index_add %t, %ids, %s : (tensor<10xf32>, tensor<2xi32>, tensor<2x1xf32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @embedding_float_ids(%t: tensor<10x4xf32>, %ids: tensor<?xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'loom.embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?xf32>'}}
  %0 = loom.embedding %t, %ids : (tensor<10x4xf32>, tensor<?xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @embedding_int_table(%t: tensor<10x4xi32>, %ids: tensor<?xi32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{'loom.embedding' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<10x4xi32>'}}
  %0 = loom.embedding %t, %ids : (tensor<10x4xi32>, tensor<?xi32>) -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

func.func @embedding_declared_differs(%t: tensor<10x4xf32>, %ids: tensor<2x3xi64>) -> tensor<2x3x5xf32> {
  // expected-error @+2 {{'loom.embedding' op inferred type(s) 'tensor<2x3x4xf32>' are incompatible with return type(s) of operation 'tensor<2x3x5xf32>'}}
  // expected-error @+1 {{'loom.embedding' op failed to infer returned types}}
  %0 = loom.embedding %t, %ids : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

func.func @sinusoidal_encoding_odd_dim(%p: tensor<?xi64>) -> tensor<?x7xf32> {
  // expected-error @+2 {{'loom.sinusoidal_encoding' op dim must be even (sine/cosine pairs), got 7}}
  // expected-error @+1 {{'loom.sinusoidal_encoding' op failed to infer returned types}}
  %0 = loom.sinusoidal_encoding %p dim = 7 : (tensor<?xi64>) -> tensor<?x7xf32>
  return %0 : tensor<?x7xf32>
}

// -----

func.func @sinusoidal_encoding_zero_dim(%p: tensor<?xi64>) -> tensor<?x0xf32> {
  // expected-error @+1 {{'loom.sinusoidal_encoding' op attribute 'dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = loom.sinusoidal_encoding %p dim = 0 : (tensor<?xi64>) -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

// The encoding is always f32.
func.func @sinusoidal_encoding_bf16(%p: tensor<?xi64>) -> tensor<?x8xbf16> {
  // expected-error @+2 {{'loom.sinusoidal_encoding' op inferred type(s) 'tensor<?x8xf32>' are incompatible with return type(s) of operation 'tensor<?x8xbf16>'}}
  // expected-error @+1 {{'loom.sinusoidal_encoding' op failed to infer returned types}}
  %0 = loom.sinusoidal_encoding %p dim = 8 : (tensor<?xi64>) -> tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

func.func @matmul_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+2 {{'loom.matmul' op operands must be 2-D, got tensor<2x3x4xf32> and tensor<4x5xf32>}}
  // expected-error @+1 {{'loom.matmul' op failed to infer returned types}}
  %0 = loom.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @matmul_element_types_differ(%a: tensor<3x4xf32>, %b: tensor<4x5xbf16>) -> tensor<3x5xf32> {
  // expected-error @+2 {{'loom.matmul' op rhs tensor<4x5xbf16> must have element type f32}}
  // expected-error @+1 {{'loom.matmul' op failed to infer returned types}}
  %0 = loom.matmul %a, %b : (tensor<3x4xf32>, tensor<4x5xbf16>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @matmul_contraction_dims_differ(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) -> tensor<3x6xf32> {
  // expected-error @+2 {{'loom.matmul' op contraction dims differ: lhs tensor<3x4xf32> has K = 4, rhs tensor<5x6xf32> has K = 5}}
  // expected-error @+1 {{'loom.matmul' op failed to infer returned types}}
  %0 = loom.matmul %a, %b : (tensor<3x4xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

func.func @matmul_declared_differs(%a: tensor<?x4xf32>, %b: tensor<4x6xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'loom.matmul' op inferred type(s) 'tensor<?x6xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'loom.matmul' op failed to infer returned types}}
  %0 = loom.matmul %a, %b : (tensor<?x4xf32>, tensor<4x6xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @batch_matmul_rank(%a: tensor<4xf32>, %b: tensor<4x5xf32>) -> tensor<5xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op operands must have rank >= 2, got tensor<4xf32> and tensor<4x5xf32>}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %a, %b : (tensor<4xf32>, tensor<4x5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @batch_matmul_element_types_differ(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf16>) -> tensor<2x3x5xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op operands must share an element type, got tensor<2x3x4xf32> and tensor<2x4x5xf16>}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %a, %b : (tensor<2x3x4xf32>, tensor<2x4x5xf16>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

func.func @batch_matmul_contraction_dims_differ(%a: tensor<2x3x4xf32>, %b: tensor<2x5x6xf32>) -> tensor<2x3x6xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op contraction dims differ: lhs tensor<2x3x4xf32> has K = 4, rhs tensor<2x5x6xf32> has K = 5}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %a, %b : (tensor<2x3x4xf32>, tensor<2x5x6xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

func.func @batch_matmul_contraction_dims_differ_transposed(%q: tensor<2x5x64xf32>, %k: tensor<2x7x32xf32>) -> tensor<2x5x7xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op contraction dims differ: lhs tensor<2x5x64xf32> has K = 64, rhs tensor<2x7x32xf32> has K = 32 (rhs transposed)}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %q, %k transpose_rhs : (tensor<2x5x64xf32>, tensor<2x7x32xf32>) -> tensor<2x5x7xf32>
  return %0 : tensor<2x5x7xf32>
}

// -----

func.func @batch_matmul_batch_no_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op batch dims of tensor<2x3x4xf32> and tensor<3x4x5xf32> do not broadcast}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %a, %b : (tensor<2x3x4xf32>, tensor<3x4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Without transpose_rhs the rhs is [K, N]: Q K^T needs the flag.
func.func @batch_matmul_declared_differs(%q: tensor<2x5x8xf32>, %k: tensor<2x8x8xf32>) -> tensor<2x5x5xf32> {
  // expected-error @+2 {{'loom.batch_matmul' op inferred type(s) 'tensor<2x5x8xf32>' are incompatible with return type(s) of operation 'tensor<2x5x5xf32>'}}
  // expected-error @+1 {{'loom.batch_matmul' op failed to infer returned types}}
  %0 = loom.batch_matmul %q, %k : (tensor<2x5x8xf32>, tensor<2x8x8xf32>) -> tensor<2x5x5xf32>
  return %0 : tensor<2x5x5xf32>
}

// -----

func.func @linear_input_rank_1(%x: tensor<768xf32>, %w: tensor<768x10xf32>) -> tensor<10xf32> {
  // expected-error @+2 {{'loom.linear' op input must have rank >= 2 ([..., in]), got tensor<768xf32>}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w : (tensor<768xf32>, tensor<768x10xf32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @linear_weight_rank_3(%x: tensor<?x768xf32>, %w: tensor<1x768x10xf32>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'loom.linear' op weight must be 2-D, got tensor<1x768x10xf32>}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<1x768x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A torch.nn.Linear [out, in] weight without transpose_weight.
func.func @linear_missing_transpose_weight(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>) -> tensor<?x3072xf32> {
  // expected-error @+2 {{'loom.linear' op contraction dims differ: lhs tensor<?x768xf32> has K = 768, rhs tensor<3072x768xf32> has K = 3072}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
  return %0 : tensor<?x3072xf32>
}

// -----

func.func @linear_transpose_weight_dims_differ(%x: tensor<?x768xf32>, %w: tensor<768x3072xf32>) -> tensor<?x768xf32> {
  // expected-error @+2 {{'loom.linear' op contraction dims differ: lhs tensor<?x768xf32> has K = 768, rhs tensor<768x3072xf32> has K = 3072 (rhs transposed)}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w transpose_weight : (tensor<?x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @linear_element_types_differ(%x: tensor<?x768xf32>, %w: tensor<768x10xbf16>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'loom.linear' op operands must share an element type, got tensor<?x768xf32> and tensor<768x10xbf16>}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<768x10xbf16>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @linear_bias_shape(%x: tensor<?x768xf32>, %w: tensor<768x10xf32>, %b: tensor<768xf32>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'loom.linear' op bias must be tensor<10xf32>, got tensor<768xf32>}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w, %b : (tensor<?x768xf32>, tensor<768x10xf32>, tensor<768xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @linear_bias_shape_transposed(%x: tensor<?x768xf32>, %w: tensor<10x768xf32>, %b: tensor<1x10xf32>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'loom.linear' op bias must be tensor<10xf32>, got tensor<1x10xf32>}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w, %b transpose_weight : (tensor<?x768xf32>, tensor<10x768xf32>, tensor<1x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @linear_bias_element_type(%x: tensor<?x768xf32>, %w: tensor<768x10xf32>, %b: tensor<10xbf16>) -> tensor<?x10xf32> {
  // expected-error @+2 {{'loom.linear' op bias tensor<10xbf16> must have element type f32}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w, %b : (tensor<?x768xf32>, tensor<768x10xf32>, tensor<10xbf16>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

func.func @layer_norm_rank_0(%x: tensor<f32>, %g: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+2 {{'loom.layer_norm' op input must have rank >= 1}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g epsilon = 1.0e-05 : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @layer_norm_gamma_shape(%x: tensor<?x768xf32>, %g: tensor<512xf32>) -> tensor<?x768xf32> {
  // expected-error @+2 {{'loom.layer_norm' op gamma must be tensor<768xf32>, got tensor<512xf32>}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g epsilon = 1.0e-05 : (tensor<?x768xf32>, tensor<512xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @layer_norm_beta_shape(%x: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<1x768xf32>) -> tensor<?x768xf32> {
  // expected-error @+2 {{'loom.layer_norm' op beta must be tensor<768xf32>, got tensor<1x768xf32>}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<?x768xf32>, tensor<768xf32>, tensor<1x768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @layer_norm_gamma_element_type(%x: tensor<?x768xf32>, %g: tensor<768xbf16>) -> tensor<?x768xf32> {
  // expected-error @+2 {{'loom.layer_norm' op gamma tensor<768xbf16> must have element type f32}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g epsilon = 1.0e-05 : (tensor<?x768xf32>, tensor<768xbf16>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @layer_norm_beta_element_type(%x: tensor<?x768xbf16>, %g: tensor<768xbf16>, %b: tensor<768xf16>) -> tensor<?x768xbf16> {
  // expected-error @+2 {{'loom.layer_norm' op beta tensor<768xf16> must have element type bf16}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<?x768xbf16>, tensor<768xbf16>, tensor<768xf16>) -> tensor<?x768xbf16>
  return %0 : tensor<?x768xbf16>
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<?x768xf32>, %g: tensor<768xf32>) -> tensor<?x768xf32> {
  // expected-error @+1 {{'loom.layer_norm' op attribute 'epsilon' failed to satisfy constraint: 64-bit float attribute whose value is non-negative}}
  %0 = loom.layer_norm %x, %g epsilon = -1.0e-05 : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @layer_norm_declared_differs(%x: tensor<?x768xf32>, %g: tensor<768xf32>) -> tensor<?x512xf32> {
  // expected-error @+2 {{'loom.layer_norm' op inferred type(s) 'tensor<?x768xf32>' are incompatible with return type(s) of operation 'tensor<?x512xf32>'}}
  // expected-error @+1 {{'loom.layer_norm' op failed to infer returned types}}
  %0 = loom.layer_norm %x, %g epsilon = 1.0e-05 : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @rms_norm_rank_0(%x: tensor<f16>, %g: tensor<1xf16>) -> tensor<f16> {
  // expected-error @+2 {{'loom.rms_norm' op input must have rank >= 1}}
  // expected-error @+1 {{'loom.rms_norm' op failed to infer returned types}}
  %0 = loom.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<f16>, tensor<1xf16>) -> tensor<f16>
  return %0 : tensor<f16>
}

// -----

func.func @rms_norm_gamma_rank(%x: tensor<?x?xf32>, %g: tensor<2x2xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'loom.rms_norm' op gamma must be tensor<?xf32>, got tensor<2x2xf32>}}
  // expected-error @+1 {{'loom.rms_norm' op failed to infer returned types}}
  %0 = loom.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<?x?xf32>, tensor<2x2xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @rms_norm_gamma_element_type(%x: tensor<?x512xf32>, %g: tensor<512xf16>) -> tensor<?x512xf32> {
  // expected-error @+2 {{'loom.rms_norm' op gamma tensor<512xf16> must have element type f32}}
  // expected-error @+1 {{'loom.rms_norm' op failed to infer returned types}}
  %0 = loom.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<?x512xf32>, tensor<512xf16>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @rms_norm_missing_epsilon(%x: tensor<?x512xf32>, %g: tensor<512xf32>) -> tensor<?x512xf32> {
  // expected-error @+1 {{'loom.rms_norm' op requires attribute 'epsilon'}}
  %0 = "loom.rms_norm"(%x, %g) : (tensor<?x512xf32>, tensor<512xf32>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @l2_normalize_axis_out_of_range(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  // expected-error @+2 {{'loom.l2_normalize' op axis 2 is out of range for tensor<?x512xf32>}}
  // expected-error @+1 {{'loom.l2_normalize' op failed to infer returned types}}
  %0 = loom.l2_normalize %x axis = 2 epsilon = 1.0e-12 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @l2_normalize_negative_epsilon(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  // expected-error @+1 {{'loom.l2_normalize' op attribute 'epsilon' failed to satisfy constraint: 64-bit float attribute whose value is non-negative}}
  %0 = loom.l2_normalize %x axis = 1 epsilon = -1.0 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

//===----------------------------------------------------------------------===//
// softmax / log_softmax
//===----------------------------------------------------------------------===//

func.func @softmax_axis_out_of_range(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.softmax' op axis -3 is out of range for tensor<4x8xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x axis = -3 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_masked_not_last_axis(%x: tensor<4x8xf32>, %m: tensor<4x8xi1>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.softmax' op a masked softmax must run along the last axis, got axis 0}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x mask(%m) axis = 0 : (tensor<4x8xf32>, tensor<4x8xi1>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_causal_not_last_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.softmax' op a masked softmax must run along the last axis, got axis -2}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x causal axis = -2 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_causal_rank_1(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'loom.softmax' op causal needs scores of rank >= 2 ([..., Tq, Tk]), got tensor<8xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x causal axis = 0 : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// The causal diagonal of [Tq, Tk] scores needs Tq <= Tk (as loom.causal_mask).
func.func @softmax_causal_more_queries_than_keys(%x: tensor<2x4x2xf32>) -> tensor<2x4x2xf32> {
  // expected-error @+2 {{'loom.softmax' op causal needs at least as many keys as queries, got 4 queries and 2 keys in tensor<2x4x2xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x causal axis = -1 : (tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// -----

func.func @softmax_mask_no_broadcast(%x: tensor<4x8xf32>, %m: tensor<3xi1>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.softmax' op mask tensor<3xi1> does not broadcast to the input tensor<4x8xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x mask(%m) axis = 1 : (tensor<4x8xf32>, tensor<3xi1>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_mask_higher_rank(%x: tensor<4x8xf32>, %m: tensor<2x4x8xi1>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.softmax' op mask tensor<2x4x8xi1> does not broadcast to the input tensor<4x8xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x mask(%m) axis = 1 : (tensor<4x8xf32>, tensor<2x4x8xi1>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// The mask broadcasts to the input; it may not stretch the input.
func.func @softmax_mask_stretches_input(%x: tensor<1x8xf32>, %m: tensor<4x8xi1>) -> tensor<1x8xf32> {
  // expected-error @+2 {{'loom.softmax' op mask tensor<4x8xi1> does not broadcast to the input tensor<1x8xf32>}}
  // expected-error @+1 {{'loom.softmax' op failed to infer returned types}}
  %0 = loom.softmax %x mask(%m) axis = 1 : (tensor<1x8xf32>, tensor<4x8xi1>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @softmax_mask_not_i1(%x: tensor<4x8xf32>, %m: tensor<4x8xi32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.softmax' op operand #1 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4x8xi32>'}}
  %0 = loom.softmax %x mask(%m) axis = 1 : (tensor<4x8xf32>, tensor<4x8xi32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_int(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  // expected-error @+1 {{'loom.softmax' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x8xi32>'}}
  %0 = loom.softmax %x axis = 1 : (tensor<4x8xi32>) -> tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

func.func @log_softmax_axis_out_of_range(%x: tensor<?x50257xf32>) -> tensor<?x50257xf32> {
  // expected-error @+2 {{'loom.log_softmax' op axis 2 is out of range for tensor<?x50257xf32>}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x axis = 2 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
  return %0 : tensor<?x50257xf32>
}

// -----

func.func @log_softmax_masked_not_last_axis(%x: tensor<4x8xf32>, %m: tensor<8xi1>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.log_softmax' op a masked softmax must run along the last axis, got axis 0}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x mask(%m) axis = 0 : (tensor<4x8xf32>, tensor<8xi1>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @log_softmax_causal_rank_1(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'loom.log_softmax' op causal needs scores of rank >= 2 ([..., Tq, Tk]), got tensor<8xf32>}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x causal axis = -1 : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @log_softmax_causal_more_queries_than_keys(%x: tensor<5x3xbf16>) -> tensor<5x3xbf16> {
  // expected-error @+2 {{'loom.log_softmax' op causal needs at least as many keys as queries, got 5 queries and 3 keys in tensor<5x3xbf16>}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x causal axis = 1 : (tensor<5x3xbf16>) -> tensor<5x3xbf16>
  return %0 : tensor<5x3xbf16>
}

// -----

func.func @log_softmax_mask_no_broadcast(%x: tensor<?x8xf32>, %m: tensor<?x4xi1>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'loom.log_softmax' op mask tensor<?x4xi1> does not broadcast to the input tensor<?x8xf32>}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x mask(%m) axis = -1 : (tensor<?x8xf32>, tensor<?x4xi1>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @log_softmax_declared_differs(%x: tensor<4x8xf32>) -> tensor<4x8xbf16> {
  // expected-error @+2 {{'loom.log_softmax' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x8xbf16>'}}
  // expected-error @+1 {{'loom.log_softmax' op failed to infer returned types}}
  %0 = loom.log_softmax %x axis = 1 : (tensor<4x8xf32>) -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

func.func @attention_rank_1(%q: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.attention' op query, key and value must share a rank >= 2, got tensor<4xf32>, tensor<4xf32>, tensor<4xf32>}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %q, %q : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @attention_ranks_differ(%q: tensor<2x5x64xf32>, %k: tensor<7x64xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op query, key and value must share a rank >= 2, got tensor<2x5x64xf32>, tensor<7x64xf32>, tensor<7x64xf32>}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %k : (tensor<2x5x64xf32>, tensor<7x64xf32>, tensor<7x64xf32>) -> tensor<2x5x64xf32>
  return %0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_element_types_differ(%q: tensor<5x64xf32>, %k: tensor<7x64xf32>, %v: tensor<7x64xbf16>) -> tensor<5x64xf32> {
  // expected-error @+2 {{'loom.attention' op query, key and value must share an element type, got tensor<5x64xf32>, tensor<7x64xf32>, tensor<7x64xbf16>}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %v : (tensor<5x64xf32>, tensor<7x64xf32>, tensor<7x64xbf16>) -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}

// -----

func.func @attention_leading_dims_differ(%q: tensor<2x8x5x64xf32>, %k: tensor<2x4x7x64xf32>, %v: tensor<2x8x7x64xf32>) -> tensor<2x8x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op leading (batch/head) dim 1 differs between query tensor<2x8x5x64xf32>, key tensor<2x4x7x64xf32> and value tensor<2x8x7x64xf32>}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %v : (tensor<2x8x5x64xf32>, tensor<2x4x7x64xf32>, tensor<2x8x7x64xf32>) -> tensor<2x8x5x64xf32>
  return %0 : tensor<2x8x5x64xf32>
}

// -----

func.func @attention_head_dims_differ(%q: tensor<2x5x64xf32>, %k: tensor<2x7x32xf32>) -> tensor<2x5x32xf32> {
  // expected-error @+2 {{'loom.attention' op query tensor<2x5x64xf32> and key tensor<2x7x32xf32> differ in the head dim}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %k : (tensor<2x5x64xf32>, tensor<2x7x32xf32>, tensor<2x7x32xf32>) -> tensor<2x5x32xf32>
  return %0 : tensor<2x5x32xf32>
}

// -----

func.func @attention_key_lengths_differ(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x6x64xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op key tensor<2x7x64xf32> and value tensor<2x6x64xf32> differ in the key length}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %v : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x6x64xf32>) -> tensor<2x5x64xf32>
  return %0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_default_scale_dynamic_head_dim(%q: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  // expected-error @+2 {{'loom.attention' op the default scale 1/sqrt(Dk) needs a static head dim; give scale explicitly}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %q, %q : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

func.func @attention_causal_more_queries_than_keys(%q: tensor<2x8x5x64xf32>, %k: tensor<2x8x3x64xf32>) -> tensor<2x8x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op causal needs at least as many keys as queries, got 5 queries and 3 keys}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %k causal : (tensor<2x8x5x64xf32>, tensor<2x8x3x64xf32>, tensor<2x8x3x64xf32>) -> tensor<2x8x5x64xf32>
  return %0 : tensor<2x8x5x64xf32>
}

// -----

func.func @attention_mask_no_broadcast(%q: tensor<2x8x5x64xf32>, %k: tensor<2x8x7x64xf32>, %m: tensor<2x1x1x6xi1>) -> tensor<2x8x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op mask tensor<2x1x1x6xi1> does not broadcast to the scores [2, 8, 5, 7]}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %k mask(%m) : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>, tensor<2x1x1x6xi1>) -> tensor<2x8x5x64xf32>
  return %0 : tensor<2x8x5x64xf32>
}

// -----

func.func @attention_mask_not_i1(%q: tensor<5x64xf32>, %m: tensor<5x5xf32>) -> tensor<5x64xf32> {
  // expected-error @+1 {{'loom.attention' op operand #3 must be ranked tensor of 1-bit signless integer values, but got 'tensor<5x5xf32>'}}
  %0 = loom.attention %q, %q, %q mask(%m) : (tensor<5x64xf32>, tensor<5x64xf32>, tensor<5x64xf32>, tensor<5x5xf32>) -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}

// -----

func.func @attention_declared_differs(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x7x32xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention' op inferred type(s) 'tensor<2x5x32xf32>' are incompatible with return type(s) of operation 'tensor<2x5x64xf32>'}}
  // expected-error @+1 {{'loom.attention' op failed to infer returned types}}
  %0 = loom.attention %q, %k, %v : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>) -> tensor<2x5x64xf32>
  return %0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_lse_head_dims_differ(%q: tensor<2x5x64xf32>, %k: tensor<2x7x32xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'loom.attention_lse' op query tensor<2x5x64xf32> and key tensor<2x7x32xf32> differ in the head dim}}
  // expected-error @+1 {{'loom.attention_lse' op failed to infer returned types}}
  %0 = loom.attention_lse %q, %k : (tensor<2x5x64xf32>, tensor<2x7x32xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @attention_lse_causal_too_few_keys(%q: tensor<2x8x64xf32>, %k: tensor<2x7x64xf32>) -> tensor<2x8xf32> {
  // expected-error @+2 {{'loom.attention_lse' op causal needs at least as many keys as queries, got 8 queries and 7 keys}}
  // expected-error @+1 {{'loom.attention_lse' op failed to infer returned types}}
  %0 = loom.attention_lse %q, %k causal : (tensor<2x8x64xf32>, tensor<2x7x64xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @attention_lse_declared_differs(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention_lse' op inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x5x64xf32>'}}
  // expected-error @+1 {{'loom.attention_lse' op failed to infer returned types}}
  %0 = loom.attention_lse %q, %k : (tensor<2x5x64xf32>, tensor<2x7x64xf32>) -> tensor<2x5x64xf32>
  return %0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_grad_mask(%q: tensor<2x8x5x64xf32>, %k: tensor<2x8x7x64xf32>, %o: tensor<2x8x5x64xf32>, %l: tensor<2x8x5xf32>, %m: tensor<2x1x1x6xi1>) -> tensor<2x8x5x64xf32> {
  // expected-error @+2 {{'loom.attention_grad' op mask tensor<2x1x1x6xi1> does not broadcast to the scores [2, 8, 5, 7]}}
  // expected-error @+1 {{'loom.attention_grad' op failed to infer returned types}}
  %0:3 = loom.attention_grad %q, %k, %k, %o, %l, %o mask(%m) : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x5x64xf32>, tensor<2x8x5xf32>, tensor<2x8x5x64xf32>, tensor<2x1x1x6xi1>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>)
  return %0#0 : tensor<2x8x5x64xf32>
}

// -----

func.func @attention_grad_output_shape(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x7x32xf32>, %o: tensor<2x5x64xf32>, %l: tensor<2x5xf32>, %g: tensor<2x5x32xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention_grad' op output must be tensor<2x5x32xf32> (the attention's), got tensor<2x5x64xf32>}}
  // expected-error @+1 {{'loom.attention_grad' op failed to infer returned types}}
  %0:3 = loom.attention_grad %q, %k, %v, %o, %l, %g : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>, tensor<2x5x64xf32>, tensor<2x5xf32>, tensor<2x5x32xf32>) -> (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>)
  return %0#0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_grad_grad_output_shape(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x7x32xf32>, %o: tensor<2x5x32xf32>, %l: tensor<2x5xf32>, %g: tensor<2x6x32xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention_grad' op grad_output must be tensor<2x5x32xf32> (the attention's), got tensor<2x6x32xf32>}}
  // expected-error @+1 {{'loom.attention_grad' op failed to infer returned types}}
  %0:3 = loom.attention_grad %q, %k, %v, %o, %l, %g : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>, tensor<2x5x32xf32>, tensor<2x5xf32>, tensor<2x6x32xf32>) -> (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>)
  return %0#0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_grad_lse_shape(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x7x32xf32>, %o: tensor<2x5x32xf32>, %l: tensor<2x5x1xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention_grad' op lse must be tensor<2x5xf32> (the attention's), got tensor<2x5x1xf32>}}
  // expected-error @+1 {{'loom.attention_grad' op failed to infer returned types}}
  %0:3 = loom.attention_grad %q, %k, %v, %o, %l, %o : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>, tensor<2x5x32xf32>, tensor<2x5x1xf32>, tensor<2x5x32xf32>) -> (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>)
  return %0#0 : tensor<2x5x64xf32>
}

// -----

func.func @attention_grad_declared_differs(%q: tensor<2x5x64xf32>, %k: tensor<2x7x64xf32>, %v: tensor<2x7x32xf32>, %o: tensor<2x5x32xf32>, %l: tensor<2x5xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+2 {{'loom.attention_grad' op inferred type(s) 'tensor<2x5x64xf32>', 'tensor<2x7x64xf32>', 'tensor<2x7x32xf32>' are incompatible with return type(s) of operation 'tensor<2x5x64xf32>', 'tensor<2x7x64xf32>', 'tensor<2x7x64xf32>'}}
  // expected-error @+1 {{'loom.attention_grad' op failed to infer returned types}}
  %0:3 = loom.attention_grad %q, %k, %v, %o, %l, %o : (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x32xf32>, tensor<2x5x32xf32>, tensor<2x5xf32>, tensor<2x5x32xf32>) -> (tensor<2x5x64xf32>, tensor<2x7x64xf32>, tensor<2x7x64xf32>)
  return %0#0 : tensor<2x5x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Vision
//===----------------------------------------------------------------------===//

func.func @patchify_rank_3(%x: tensor<3x224x224xf32>) -> tensor<3x196x768xf32> {
  // expected-error @+2 {{'loom.patchify' op image must be 4-D [B, C, H, W], got tensor<3x224x224xf32>}}
  // expected-error @+1 {{'loom.patchify' op failed to infer returned types}}
  %0 = loom.patchify %x patch = 16 : (tensor<3x224x224xf32>) -> tensor<3x196x768xf32>
  return %0 : tensor<3x196x768xf32>
}

// -----

func.func @patchify_height_not_divisible(%x: tensor<1x3x225x224xf32>) -> tensor<1x?x768xf32> {
  // expected-error @+2 {{'loom.patchify' op height 225 of tensor<1x3x225x224xf32> is not divisible by patch = 16}}
  // expected-error @+1 {{'loom.patchify' op failed to infer returned types}}
  %0 = loom.patchify %x patch = 16 : (tensor<1x3x225x224xf32>) -> tensor<1x?x768xf32>
  return %0 : tensor<1x?x768xf32>
}

// -----

func.func @patchify_width_not_divisible(%x: tensor<?x3x?x100xf32>) -> tensor<?x?x768xf32> {
  // expected-error @+2 {{'loom.patchify' op width 100 of tensor<?x3x?x100xf32> is not divisible by patch = 16}}
  // expected-error @+1 {{'loom.patchify' op failed to infer returned types}}
  %0 = loom.patchify %x patch = 16 : (tensor<?x3x?x100xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// -----

func.func @patchify_zero_patch(%x: tensor<1x3x224x224xf32>) -> tensor<1x?x?xf32> {
  // expected-error @+1 {{'loom.patchify' op attribute 'patch' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = loom.patchify %x patch = 0 : (tensor<1x3x224x224xf32>) -> tensor<1x?x?xf32>
  return %0 : tensor<1x?x?xf32>
}

// -----

func.func @patchify_declared_differs(%x: tensor<?x3x224x224xf32>) -> tensor<?x196x3xf32> {
  // expected-error @+2 {{'loom.patchify' op inferred type(s) 'tensor<?x196x768xf32>' are incompatible with return type(s) of operation 'tensor<?x196x3xf32>'}}
  // expected-error @+1 {{'loom.patchify' op failed to infer returned types}}
  %0 = loom.patchify %x patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x3xf32>
  return %0 : tensor<?x196x3xf32>
}

// -----

func.func @patch_embed_image_rank(%x: tensor<3x224x224xf32>, %w: tensor<768x3x16x16xf32>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.patch_embed' op image must be 4-D [B, C, H, W], got tensor<3x224x224xf32>}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<3x224x224xf32>, tensor<768x3x16x16xf32>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}

// -----

func.func @patch_embed_height_not_divisible(%x: tensor<?x3x30x32xf32>, %w: tensor<8x3x16x16xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+2 {{'loom.patch_embed' op height 30 of tensor<?x3x30x32xf32> is not divisible by patch = 16}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<?x3x30x32xf32>, tensor<8x3x16x16xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @patch_embed_weight_patch_size(%x: tensor<?x3x224x224xf32>, %w: tensor<768x3x14x14xf32>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.patch_embed' op weight must be [D, C, 16, 16] with C = 3, got tensor<768x3x14x14xf32>}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x14x14xf32>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}

// -----

func.func @patch_embed_weight_channels(%x: tensor<?x3x224x224xf32>, %w: tensor<768x1x16x16xf32>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.patch_embed' op weight must be [D, C, 16, 16] with C = 3, got tensor<768x1x16x16xf32>}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x1x16x16xf32>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}

// -----

// A dynamic channel count prints as ?.
func.func @patch_embed_weight_rank_dynamic_channels(%x: tensor<?x?x32x32xf32>, %w: tensor<8x48xf32>) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{'loom.patch_embed' op weight must be [D, C, 16, 16] with C = ?, got tensor<8x48xf32>}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<?x?x32x32xf32>, tensor<8x48xf32>) -> tensor<?x4x8xf32>
  return %0 : tensor<?x4x8xf32>
}

// -----

func.func @patch_embed_weight_element_type(%x: tensor<?x3x224x224xf32>, %w: tensor<768x3x16x16xbf16>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.patch_embed' op weight tensor<768x3x16x16xbf16> must have element type f32}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xbf16>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}

// -----

func.func @patch_embed_bias_shape(%x: tensor<?x3x224x224xf32>, %w: tensor<768x3x16x16xf32>, %b: tensor<512xf32>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.patch_embed' op bias must be tensor<768xf32>, got tensor<512xf32>}}
  // expected-error @+1 {{'loom.patch_embed' op failed to infer returned types}}
  %0 = loom.patch_embed %x, %w, %b patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<512xf32>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}

// -----

func.func @prepend_token_input_rank(%x: tensor<196x768xf32>, %t: tensor<1x1x768xf32>) -> tensor<197x768xf32> {
  // expected-error @+2 {{'loom.prepend_token' op input must be 3-D [B, N, D], got tensor<196x768xf32>}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<196x768xf32>, tensor<1x1x768xf32>) -> tensor<197x768xf32>
  return %0 : tensor<197x768xf32>
}

// -----

func.func @prepend_token_not_unit_leading_dims(%x: tensor<?x196x768xf32>, %t: tensor<2x768xf32>) -> tensor<?x197x768xf32> {
  // expected-error @+2 {{'loom.prepend_token' op token must be [1, ..., 1, 768] of f32 (rank 1 to 3), got tensor<2x768xf32>}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<?x196x768xf32>, tensor<2x768xf32>) -> tensor<?x197x768xf32>
  return %0 : tensor<?x197x768xf32>
}

// -----

func.func @prepend_token_channels_differ(%x: tensor<?x196x768xf32>, %t: tensor<1x1x512xf32>) -> tensor<?x197x768xf32> {
  // expected-error @+2 {{'loom.prepend_token' op token must be [1, ..., 1, 768] of f32 (rank 1 to 3), got tensor<1x1x512xf32>}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<?x196x768xf32>, tensor<1x1x512xf32>) -> tensor<?x197x768xf32>
  return %0 : tensor<?x197x768xf32>
}

// -----

func.func @prepend_token_element_type(%x: tensor<?x196x768xf32>, %t: tensor<768xbf16>) -> tensor<?x197x768xf32> {
  // expected-error @+2 {{'loom.prepend_token' op token must be [1, ..., 1, 768] of f32 (rank 1 to 3), got tensor<768xbf16>}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<?x196x768xf32>, tensor<768xbf16>) -> tensor<?x197x768xf32>
  return %0 : tensor<?x197x768xf32>
}

// -----

// A dynamic channel count prints as ?.
func.func @prepend_token_rank_4_dynamic_channels(%x: tensor<?x5x?xf32>, %t: tensor<1x1x1x8xf32>) -> tensor<?x6x?xf32> {
  // expected-error @+2 {{'loom.prepend_token' op token must be [1, ..., 1, ?] of f32 (rank 1 to 3), got tensor<1x1x1x8xf32>}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<?x5x?xf32>, tensor<1x1x1x8xf32>) -> tensor<?x6x?xf32>
  return %0 : tensor<?x6x?xf32>
}

// -----

func.func @prepend_token_declared_differs(%x: tensor<?x196x768xf32>, %t: tensor<1x1x768xf32>) -> tensor<?x196x768xf32> {
  // expected-error @+2 {{'loom.prepend_token' op inferred type(s) 'tensor<?x197x768xf32>' are incompatible with return type(s) of operation 'tensor<?x196x768xf32>'}}
  // expected-error @+1 {{'loom.prepend_token' op failed to infer returned types}}
  %0 = loom.prepend_token %x, %t : (tensor<?x196x768xf32>, tensor<1x1x768xf32>) -> tensor<?x196x768xf32>
  return %0 : tensor<?x196x768xf32>
}
