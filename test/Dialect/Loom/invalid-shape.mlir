// Verifier errors of the shape ops, gather and the reductions. A failed shape
// inference reports its own message and then InferTypeOpInterface's "failed
// to infer returned types".
// RUN: loom-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

func.func @reshape_copy_past_rank(%a: tensor<4x8xf32>) -> tensor<4x8x1xf32> {
  // expected-error @+2 {{'loom.reshape' op shape entry 2 is 0 (copy) but the input tensor<4x8xf32> has only 2 dims}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [0, 0, 0] : (tensor<4x8xf32>) -> tensor<4x8x1xf32>
  return %0 : tensor<4x8x1xf32>
}

// -----

func.func @reshape_two_inferred(%a: tensor<4x8xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'loom.reshape' op shape [-1, -1] has more than one -1 (inferred) entry}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [-1, -1] : (tensor<4x8xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_negative_size(%a: tensor<4x8xf32>) -> tensor<4x?xf32> {
  // expected-error @+2 {{'loom.reshape' op shape entry 1 is -2; sizes must be positive, 0 (copy) or -1 (infer)}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [4, -2] : (tensor<4x8xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @reshape_not_a_multiple(%a: tensor<4x8xf32>) -> tensor<3x?xf32> {
  // expected-error @+2 {{'loom.reshape' op cannot reshape tensor<4x8xf32> to [3, -1]: 32 elements are not a multiple of 3}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [3, -1] : (tensor<4x8xf32>) -> tensor<3x?xf32>
  return %0 : tensor<3x?xf32>
}

// -----

// Copied dims cancel: the dynamic batch and sequence dims do not hide that 768
// channels do not split into 7 heads.
func.func @reshape_not_a_multiple_dynamic(%a: tensor<?x?x768xf32>) -> tensor<?x?x7x?xf32> {
  // expected-error @+2 {{'loom.reshape' op cannot reshape tensor<?x?x768xf32> to [0, 0, 7, -1]: 768 elements are not a multiple of 7}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [0, 0, 7, -1] : (tensor<?x?x768xf32>) -> tensor<?x?x7x?xf32>
  return %0 : tensor<?x?x7x?xf32>
}

// -----

func.func @reshape_count_differs(%a: tensor<4x8xf32>) -> tensor<5x6xf32> {
  // expected-error @+2 {{'loom.reshape' op cannot reshape tensor<4x8xf32> to [5, 6]: element counts differ (32 vs 30)}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [5, 6] : (tensor<4x8xf32>) -> tensor<5x6xf32>
  return %0 : tensor<5x6xf32>
}

// -----

func.func @reshape_declared_differs(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.reshape' op inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>'}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [8, -1] : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reshape_result_element_type(%a: tensor<4x8xi32>) -> tensor<32xi64> {
  // expected-error @+2 {{'loom.reshape' op inferred type(s) 'tensor<32xi32>' are incompatible with return type(s) of operation 'tensor<32xi64>'}}
  // expected-error @+1 {{'loom.reshape' op failed to infer returned types}}
  %0 = loom.reshape %a shape = [32] : (tensor<4x8xi32>) -> tensor<32xi64>
  return %0 : tensor<32xi64>
}

// -----

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

func.func @transpose_wrong_length(%a: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+2 {{'loom.transpose' op permutation [1, 0, 2] has 3 entries but the input tensor<4x8xf32> has rank 2}}
  // expected-error @+1 {{'loom.transpose' op failed to infer returned types}}
  %0 = loom.transpose %a permutation = [1, 0, 2] : (tensor<4x8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @transpose_repeated(%a: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{'loom.transpose' op permutation [0, 0] is not a permutation of 0..1}}
  // expected-error @+1 {{'loom.transpose' op failed to infer returned types}}
  %0 = loom.transpose %a permutation = [0, 0] : (tensor<4x8xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @transpose_out_of_range(%a: tensor<2x3x4xi64>) -> tensor<2x3x4xi64> {
  // expected-error @+2 {{'loom.transpose' op permutation [0, 3, 1] is not a permutation of 0..2}}
  // expected-error @+1 {{'loom.transpose' op failed to infer returned types}}
  %0 = loom.transpose %a permutation = [0, 3, 1] : (tensor<2x3x4xi64>) -> tensor<2x3x4xi64>
  return %0 : tensor<2x3x4xi64>
}

// -----

func.func @transpose_declared_differs(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.transpose' op inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>'}}
  // expected-error @+1 {{'loom.transpose' op failed to infer returned types}}
  %0 = loom.transpose %a permutation = [1, 0] : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

func.func @concat_no_inputs() -> tensor<4xf32> {
  // expected-error @+2 {{'loom.concat' op needs at least one input}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = "loom.concat"() <{axis = 0 : i64}> : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'loom.concat' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %a axis = 2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_negative_axis_out_of_range(%a: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'loom.concat' op axis -3 is out of range for rank 2}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %a axis = -3 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_element_types_differ(%a: tensor<2x3xf32>, %b: tensor<2x3xbf16>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'loom.concat' op input #1 tensor<2x3xbf16> differs in rank or element type from input #0 tensor<2x3xf32>}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<2x3xbf16>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_ranks_differ(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'loom.concat' op input #2 tensor<3xf32> differs in rank or element type from input #0 tensor<2x3xf32>}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %a, %b axis = 1 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_other_dim_differs(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x8xf32> {
  // expected-error @+2 {{'loom.concat' op input #1 tensor<3x5xf32> differs from input #0 tensor<2x3xf32> in dim 0 (not the concat axis)}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @concat_declared_differs(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<2x9xf32> {
  // expected-error @+2 {{'loom.concat' op inferred type(s) 'tensor<2x8xf32>' are incompatible with return type(s) of operation 'tensor<2x9xf32>'}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %b axis = -1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x9xf32>
  return %0 : tensor<2x9xf32>
}

// -----

func.func @concat_f64(%a: tensor<2xf64>) -> tensor<4xf64> {
  // expected-error @+1 {{'loom.concat' op operand #0 must be variadic of ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer or 1-bit signless integer values, but got 'tensor<2xf64>'}}
  %0 = loom.concat %a, %a axis = 0 : (tensor<2xf64>, tensor<2xf64>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

func.func @slice_axis_out_of_range(%a: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+2 {{'loom.slice' op axis 3 is out of range for tensor<2x3x4xf32>}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 3 start = 0 end = 1 : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @slice_empty(%a: tensor<2x3x4xf32>) -> tensor<2x0x4xf32> {
  // expected-error @+2 {{'loom.slice' op range [2, 2) is empty or out of bounds for dim 1 of size 3}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 1 start = 2 end = 2 : (tensor<2x3x4xf32>) -> tensor<2x0x4xf32>
  return %0 : tensor<2x0x4xf32>
}

// -----

func.func @slice_start_past_end_of_dim(%a: tensor<2x3x4xf32>) -> tensor<2x?x4xf32> {
  // expected-error @+2 {{'loom.slice' op range [3, 5) is empty or out of bounds for dim 1 of size 3}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 1 start = 3 end = 5 : (tensor<2x3x4xf32>) -> tensor<2x?x4xf32>
  return %0 : tensor<2x?x4xf32>
}

// -----

func.func @slice_negative_start_before_dim(%a: tensor<2x3x4xf32>) -> tensor<2x3x?xf32> {
  // expected-error @+2 {{'loom.slice' op range [-5, 2) is empty or out of bounds for dim 2 of size 4}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = -1 start = -5 end = 2 : (tensor<2x3x4xf32>) -> tensor<2x3x?xf32>
  return %0 : tensor<2x3x?xf32>
}

// -----

func.func @slice_negative_end_before_start(%a: tensor<10xi32>) -> tensor<?xi32> {
  // expected-error @+2 {{'loom.slice' op range [-2, -4) is empty or out of bounds for dim 0 of size 10}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 0 start = -2 end = -4 : (tensor<10xi32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

func.func @slice_empty_dynamic(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'loom.slice' op range [3, 1) is empty}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 0 start = 3 end = 1 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @slice_declared_differs(%a: tensor<?x197x768xf32>) -> tensor<?x2x768xf32> {
  // expected-error @+2 {{'loom.slice' op inferred type(s) 'tensor<?x1x768xf32>' are incompatible with return type(s) of operation 'tensor<?x2x768xf32>'}}
  // expected-error @+1 {{'loom.slice' op failed to infer returned types}}
  %0 = loom.slice %a axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x2x768xf32>
  return %0 : tensor<?x2x768xf32>
}

// -----

//===----------------------------------------------------------------------===//
// split_heads / merge_heads
//===----------------------------------------------------------------------===//

func.func @split_heads_rank_1(%a: tensor<768xf32>) -> tensor<12x64xf32> {
  // expected-error @+2 {{'loom.split_heads' op input must have rank >= 2 ([..., T, D]), got tensor<768xf32>}}
  // expected-error @+1 {{'loom.split_heads' op failed to infer returned types}}
  %0 = loom.split_heads %a num_heads = 12 : (tensor<768xf32>) -> tensor<12x64xf32>
  return %0 : tensor<12x64xf32>
}

// -----

func.func @split_heads_not_divisible(%a: tensor<?x?x768xf32>) -> tensor<?x5x?x?xf32> {
  // expected-error @+2 {{'loom.split_heads' op channel dim 768 of tensor<?x?x768xf32> is not divisible by num_heads = 5}}
  // expected-error @+1 {{'loom.split_heads' op failed to infer returned types}}
  %0 = loom.split_heads %a num_heads = 5 : (tensor<?x?x768xf32>) -> tensor<?x5x?x?xf32>
  return %0 : tensor<?x5x?x?xf32>
}

// -----

func.func @split_heads_zero_heads(%a: tensor<?x?x768xf32>) -> tensor<?x?x?x?xf32> {
  // expected-error @+1 {{'loom.split_heads' op attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = loom.split_heads %a num_heads = 0 : (tensor<?x?x768xf32>) -> tensor<?x?x?x?xf32>
  return %0 : tensor<?x?x?x?xf32>
}

// -----

func.func @split_heads_declared_differs(%a: tensor<?x?x768xf32>) -> tensor<?x12x?x32xf32> {
  // expected-error @+2 {{'loom.split_heads' op inferred type(s) 'tensor<?x12x?x64xf32>' are incompatible with return type(s) of operation 'tensor<?x12x?x32xf32>'}}
  // expected-error @+1 {{'loom.split_heads' op failed to infer returned types}}
  %0 = loom.split_heads %a num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x32xf32>
  return %0 : tensor<?x12x?x32xf32>
}

// -----

func.func @merge_heads_rank_2(%a: tensor<4x8xf32>) -> tensor<32xf32> {
  // expected-error @+2 {{'loom.merge_heads' op input must have rank >= 3 ([..., H, T, Dh]), got tensor<4x8xf32>}}
  // expected-error @+1 {{'loom.merge_heads' op failed to infer returned types}}
  %0 = loom.merge_heads %a : (tensor<4x8xf32>) -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

func.func @merge_heads_declared_differs(%a: tensor<?x12x?x64xf32>) -> tensor<?x?x512xf32> {
  // expected-error @+2 {{'loom.merge_heads' op inferred type(s) 'tensor<?x?x768xf32>' are incompatible with return type(s) of operation 'tensor<?x?x512xf32>'}}
  // expected-error @+1 {{'loom.merge_heads' op failed to infer returned types}}
  %0 = loom.merge_heads %a : (tensor<?x12x?x64xf32>) -> tensor<?x?x512xf32>
  return %0 : tensor<?x?x512xf32>
}

// -----

//===----------------------------------------------------------------------===//
// positions / causal_mask / gather
//===----------------------------------------------------------------------===//

func.func @positions_axis_out_of_range(%a: tensor<?x?xi32>) -> tensor<?xi64> {
  // expected-error @+2 {{'loom.positions' op axis 2 is out of range for tensor<?x?xi32>}}
  // expected-error @+1 {{'loom.positions' op failed to infer returned types}}
  %0 = loom.positions %a axis = 2 : (tensor<?x?xi32>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @positions_result_i32(%a: tensor<?x?xi32>) -> tensor<?xi32> {
  // expected-error @+1 {{'loom.positions' op result #0 must be 1D tensor of 64-bit signless integer values, but got 'tensor<?xi32>'}}
  %0 = loom.positions %a axis = 1 : (tensor<?x?xi32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

func.func @positions_declared_differs(%a: tensor<2x7xi32>) -> tensor<8xi64> {
  // expected-error @+2 {{'loom.positions' op inferred type(s) 'tensor<7xi64>' are incompatible with return type(s) of operation 'tensor<8xi64>'}}
  // expected-error @+1 {{'loom.positions' op failed to infer returned types}}
  %0 = loom.positions %a axis = 1 : (tensor<2x7xi32>) -> tensor<8xi64>
  return %0 : tensor<8xi64>
}

// -----

func.func @causal_mask_rank_1(%a: tensor<8xf32>) -> tensor<8x8xi1> {
  // expected-error @+2 {{'loom.causal_mask' op scores must have rank >= 2 ([..., Tq, Tk]), got tensor<8xf32>}}
  // expected-error @+1 {{'loom.causal_mask' op failed to infer returned types}}
  %0 = loom.causal_mask %a : (tensor<8xf32>) -> tensor<8x8xi1>
  return %0 : tensor<8x8xi1>
}

// -----

func.func @causal_mask_more_queries_than_keys(%a: tensor<2x5x3xf32>) -> tensor<5x3xi1> {
  // expected-error @+2 {{'loom.causal_mask' op more queries (5) than keys (3) in tensor<2x5x3xf32>}}
  // expected-error @+1 {{'loom.causal_mask' op failed to infer returned types}}
  %0 = loom.causal_mask %a : (tensor<2x5x3xf32>) -> tensor<5x3xi1>
  return %0 : tensor<5x3xi1>
}

// -----

func.func @causal_mask_result_not_i1(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'loom.causal_mask' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4x4xf32>'}}
  %0 = loom.causal_mask %a : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @gather_rank(%a: tensor<4x10xf32>, %i: tensor<4x1xi32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.gather' op input tensor<4x10xf32> must have rank one more than indices tensor<4x1xi32>}}
  // expected-error @+1 {{'loom.gather' op failed to infer returned types}}
  %0 = loom.gather %a, %i : (tensor<4x10xf32>, tensor<4x1xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_leading_dims_differ(%a: tensor<4x10xf32>, %i: tensor<5xi32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.gather' op indices tensor<5xi32> do not match the leading dims of input tensor<4x10xf32> at dim 0}}
  // expected-error @+1 {{'loom.gather' op failed to infer returned types}}
  %0 = loom.gather %a, %i : (tensor<4x10xf32>, tensor<5xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_float_indices(%a: tensor<4x10xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = loom.gather %a, %i : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_result_element_type(%a: tensor<4x10xf32>, %i: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+2 {{'loom.gather' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xi64>'}}
  // expected-error @+1 {{'loom.gather' op failed to infer returned types}}
  %0 = loom.gather %a, %i : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

func.func @reduce_sum_no_axes(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'loom.reduce_sum' op needs at least one axis}}
  // expected-error @+1 {{'loom.reduce_sum' op failed to infer returned types}}
  %0 = loom.reduce_sum %a axes = [] : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reduce_sum_keep_dims_declared_differs(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.reduce_sum' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'loom.reduce_sum' op failed to infer returned types}}
  %0 = loom.reduce_sum %a axes = [1] keep_dims : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_mean_axis_out_of_range(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.reduce_mean' op axis 2 is out of range for tensor<4x8xf32>}}
  // expected-error @+1 {{'loom.reduce_mean' op failed to infer returned types}}
  %0 = loom.reduce_mean %a axes = [2] : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_mean_int(%a: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.reduce_mean' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x8xi32>'}}
  %0 = loom.reduce_mean %a axes = [1] : (tensor<4x8xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @reduce_max_axis_twice(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.reduce_max' op axis -1 is listed twice in [1, -1]}}
  // expected-error @+1 {{'loom.reduce_max' op failed to infer returned types}}
  %0 = loom.reduce_max %a axes = [1, -1] : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_max_without_keep_dims_declared_differs(%a: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+2 {{'loom.reduce_max' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error @+1 {{'loom.reduce_max' op failed to infer returned types}}
  %0 = loom.reduce_max %a axes = [-1] : (tensor<4x8xf32>) -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}
