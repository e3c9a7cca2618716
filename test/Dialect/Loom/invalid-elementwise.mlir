// Verifier errors of the elementwise, constant, cast and dropout ops. A failed
// shape inference reports its own message and then InferTypeOpInterface's
// "failed to infer returned types".
// RUN: loom-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

func.func @constant_not_a_tensor() -> tensor<4xf32> {
  // expected-error @+1 {{'loom.constant' op value must be a ranked tensor, got 'vector<4xf32>'}}
  %0 = "loom.constant"() <{value = dense<1.0> : vector<4xf32>}> : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @constant_f64() -> tensor<f64> {
  // expected-error @+1 {{'loom.constant' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer or 1-bit signless integer values, but got 'tensor<f64>'}}
  %0 = loom.constant dense<1.0> : tensor<f64>
  return %0 : tensor<f64>
}

// -----

func.func @constant_declared_type_differs() -> tensor<3xf32> {
  // expected-error @+2 {{'loom.constant' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'loom.constant' op failed to infer returned types}}
  %0 = "loom.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

func.func @add_incompatible_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'loom.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'loom.add' op failed to infer returned types}}
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @add_result_rank_differs(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'loom.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<?xf32>'}}
  // expected-error @+1 {{'loom.add' op failed to infer returned types}}
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'loom.add' op shapes [2, 3] and [4] do not broadcast}}
  // expected-error @+1 {{'loom.add' op failed to infer returned types}}
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_element_types_differ(%a: tensor<4xf32>, %b: tensor<4xbf16>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.add' op operands must share an element type, got tensor<4xf32> and tensor<4xbf16>}}
  // expected-error @+1 {{'loom.add' op failed to infer returned types}}
  %0 = loom.add %a, %b : (tensor<4xf32>, tensor<4xbf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_i1(%a: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'loom.add' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = loom.add %a, %a : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @add_unranked(%a: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'loom.add' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<*xf32>'}}
  %0 = loom.add %a, %a : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @sub_no_broadcast_dynamic(%a: tensor<?x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'loom.sub' op shapes [?, 3] and [2, 4] do not broadcast}}
  // expected-error @+1 {{'loom.sub' op failed to infer returned types}}
  %0 = loom.sub %a, %b : (tensor<?x3xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mul_element_types_differ(%a: tensor<4xi32>, %b: tensor<4xi64>) -> tensor<4xi32> {
  // expected-error @+2 {{'loom.mul' op operands must share an element type, got tensor<4xi32> and tensor<4xi64>}}
  // expected-error @+1 {{'loom.mul' op failed to infer returned types}}
  %0 = loom.mul %a, %b : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @div_result_element_type(%a: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+2 {{'loom.div' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  // expected-error @+1 {{'loom.div' op failed to infer returned types}}
  %0 = loom.div %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @maximum_no_broadcast(%a: tensor<5x1xi64>, %b: tensor<3x2xi64>) -> tensor<5x2xi64> {
  // expected-error @+2 {{'loom.maximum' op shapes [5, 1] and [3, 2] do not broadcast}}
  // expected-error @+1 {{'loom.maximum' op failed to infer returned types}}
  %0 = loom.maximum %a, %b : (tensor<5x1xi64>, tensor<3x2xi64>) -> tensor<5x2xi64>
  return %0 : tensor<5x2xi64>
}

// -----

func.func @pow_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.pow' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = loom.pow %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @pow_element_types_differ(%a: tensor<4xf32>, %b: tensor<f16>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.pow' op operands must share an element type, got tensor<4xf32> and tensor<f16>}}
  // expected-error @+1 {{'loom.pow' op failed to infer returned types}}
  %0 = loom.pow %a, %b : (tensor<4xf32>, tensor<f16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// compare / select
//===----------------------------------------------------------------------===//

func.func @compare_result_not_i1(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.compare' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = loom.compare eq, %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @compare_element_types_differ(%a: tensor<4xi32>, %b: tensor<i64>) -> tensor<4xi1> {
  // expected-error @+2 {{'loom.compare' op operands must share an element type, got tensor<4xi32> and tensor<i64>}}
  // expected-error @+1 {{'loom.compare' op failed to infer returned types}}
  %0 = loom.compare ne, %a, %b : (tensor<4xi32>, tensor<i64>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_no_broadcast(%a: tensor<4xf32>, %b: tensor<3xf32>) -> tensor<4xi1> {
  // expected-error @+2 {{'loom.compare' op shapes [4] and [3] do not broadcast}}
  // expected-error @+1 {{'loom.compare' op failed to infer returned types}}
  %0 = loom.compare lt, %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_bad_predicate(%a: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{custom op 'loom.compare' expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = loom.compare neq, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @select_condition_not_i1(%c: tensor<4xi32>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.select' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = loom.select %c, %a, %a : (tensor<4xi32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_element_types_differ(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.select' op operands must share an element type, got tensor<4xf32> and tensor<4xi32>}}
  // expected-error @+1 {{'loom.select' op failed to infer returned types}}
  %0 = loom.select %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_condition_no_broadcast(%c: tensor<3xi1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.select' op shapes [3] and [4] do not broadcast}}
  // expected-error @+1 {{'loom.select' op failed to infer returned types}}
  %0 = loom.select %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_condition_grows_result(%c: tensor<2x4xi1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.select' op inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'loom.select' op failed to infer returned types}}
  %0 = loom.select %c, %a, %a : (tensor<2x4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

func.func @neg_i1(%a: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'loom.neg' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = loom.neg %a : (tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @neg_result_differs(%a: tensor<4xi32>) -> tensor<5xi32> {
  // expected-error @+2 {{'loom.neg' op inferred type(s) 'tensor<4xi32>' are incompatible with return type(s) of operation 'tensor<5xi32>'}}
  // expected-error @+1 {{'loom.neg' op failed to infer returned types}}
  %0 = loom.neg %a : (tensor<4xi32>) -> tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

func.func @exp_int(%a: tensor<2x3xi32>) -> tensor<2x3xi32> {
  // expected-error @+1 {{'loom.exp' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x3xi32>'}}
  %0 = loom.exp %a : (tensor<2x3xi32>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @log_result_shape_differs(%a: tensor<?x4xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{'loom.log' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'loom.log' op failed to infer returned types}}
  %0 = loom.log %a : (tensor<?x4xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @sqrt_f64(%a: tensor<4xf64>) -> tensor<4xf64> {
  // expected-error @+1 {{'loom.sqrt' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xf64>'}}
  %0 = loom.sqrt %a : (tensor<4xf64>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @rsqrt_result_element_type(%a: tensor<4xf32>) -> tensor<4xbf16> {
  // expected-error @+2 {{'loom.rsqrt' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xbf16>'}}
  // expected-error @+1 {{'loom.rsqrt' op failed to infer returned types}}
  %0 = loom.rsqrt %a : (tensor<4xf32>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

func.func @erf_i64(%a: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'loom.erf' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi64>'}}
  %0 = loom.erf %a : (tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @tanh_unranked(%a: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'loom.tanh' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<*xf32>'}}
  %0 = loom.tanh %a : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @sigmoid_i1(%a: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'loom.sigmoid' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi1>'}}
  %0 = loom.sigmoid %a : (tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @relu_result_rank_differs(%a: tensor<4xf32>) -> tensor<4x1xf32> {
  // expected-error @+2 {{'loom.relu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error @+1 {{'loom.relu' op failed to infer returned types}}
  %0 = loom.relu %a : (tensor<4xf32>) -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @silu_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.silu' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = loom.silu %a : (tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @gelu_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.gelu' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = loom.gelu erf %a : (tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @gelu_bad_approximation(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{custom op 'loom.gelu' expected string or keyword containing one of the following enum values for attribute 'approximate' [erf, tanh]}}
  %0 = loom.gelu sigmoid %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

func.func @cast_to_f64(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'loom.cast' op dtype must be f32, f16, bf16, i32, i64 or i1, got f64}}
  // expected-error @+1 {{'loom.cast' op failed to infer returned types}}
  %0 = loom.cast %a to f64 : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cast_to_index(%a: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+2 {{'loom.cast' op dtype must be f32, f16, bf16, i32, i64 or i1, got index}}
  // expected-error @+1 {{'loom.cast' op failed to infer returned types}}
  %0 = loom.cast %a to index : (tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @cast_result_not_dtype(%a: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+2 {{'loom.cast' op inferred type(s) 'tensor<4xbf16>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  // expected-error @+1 {{'loom.cast' op failed to infer returned types}}
  %0 = loom.cast %a to bf16 : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @cast_from_f64(%a: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.cast' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 32-bit signless integer or 64-bit signless integer or 1-bit signless integer values, but got 'tensor<4xf64>'}}
  %0 = loom.cast %a to f32 : (tensor<4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

func.func @dropout_rate_one(%a: tensor<4xf32>, %seed: tensor<i64>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op rate must be in [0, 1), got 1.000000e+00}}
  %0 = loom.dropout %a seed(%seed) {rate = 1.0 : f64, training} : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_negative_rate(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op attribute 'rate' failed to satisfy constraint: 64-bit float attribute whose value is non-negative}}
  %0 = loom.dropout %a {rate = -0.1 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_rate_f32(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op attribute 'rate' failed to satisfy constraint: 64-bit float attribute whose value is non-negative}}
  %0 = loom.dropout %a {rate = 0.1 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_missing_rate(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op requires attribute 'rate'}}
  %0 = loom.dropout %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_training_without_seed(%a: tensor<?x768xf32>) -> tensor<?x768xf32> {
  // expected-error @+1 {{'loom.dropout' op training dropout with rate 1.000000e-01 needs a seed operand}}
  %0 = loom.dropout %a {rate = 0.1 : f64, training} : (tensor<?x768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

func.func @dropout_seed_i32(%a: tensor<4xf32>, %seed: tensor<i32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op operand #1 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = loom.dropout %a seed(%seed) {rate = 0.1 : f64, training} : (tensor<4xf32>, tensor<i32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_seed_not_scalar(%a: tensor<4xf32>, %seed: tensor<1xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.dropout' op operand #1 must be 0D tensor of 64-bit signless integer values, but got 'tensor<1xi64>'}}
  %0 = loom.dropout %a seed(%seed) {rate = 0.1 : f64, training} : (tensor<4xf32>, tensor<1xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'loom.dropout' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = loom.dropout %a {rate = 0.1 : f64} : (tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @dropout_result_differs(%a: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'loom.dropout' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'}}
  // expected-error @+1 {{'loom.dropout' op failed to infer returned types}}
  %0 = loom.dropout %a {rate = 0.1 : f64} : (tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
