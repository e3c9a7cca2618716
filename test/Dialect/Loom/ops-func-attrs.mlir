// Round trip of the loom.param / loom.input / loom.output function argument
// and result attributes.
// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

// CHECK-LABEL: func.func @named(
// CHECK-SAME:    %arg0: tensor<?x?xi32> {loom.input = "tokens"}
// CHECK-SAME:    %arg1: tensor<50257x768xf32> {loom.param = "wte.weight"}
// CHECK-SAME:    %arg2: tensor<768xf32>)
// CHECK-SAME:    -> (tensor<?x?x768xf32> {loom.output = "hidden"}, tensor<f32>)
func.func @named(%arg0: tensor<?x?xi32> {loom.input = "tokens"}, %arg1: tensor<50257x768xf32> {loom.param = "wte.weight"}, %arg2: tensor<768xf32>) -> (tensor<?x?x768xf32> {loom.output = "hidden"}, tensor<f32>) {
  %0 = loom.embedding %arg1, %arg0 : (tensor<50257x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
  %1 = loom.constant dense<0.000000e+00> : tensor<f32>
  return %0, %1 : tensor<?x?x768xf32>, tensor<f32>
}

// Names only have to be unique within one function.
// CHECK-LABEL: func.func @same_names_in_another_function(
// CHECK-SAME:    {loom.input = "tokens"}
// CHECK-SAME:    {loom.param = "wte.weight"}
func.func @same_names_in_another_function(%arg0: tensor<?x?xi32> {loom.input = "tokens"}, %arg1: tensor<50257x768xf32> {loom.param = "wte.weight"}) -> (tensor<?x?x768xf32> {loom.output = "logits"}) {
  %0 = loom.embedding %arg1, %arg0 : (tensor<50257x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// Other dialects' argument attributes are not loom's business.
// CHECK-LABEL: func.func @other_attrs(
// CHECK-SAME:    {loom.param = "w", other.note = 1 : i64}
// CHECK-SAME:    -> (tensor<4xf32> {loom.output = "y"})
func.func @other_attrs(%arg0: tensor<4xf32> {loom.param = "w", other.note = 1 : i64}) -> (tensor<4xf32> {loom.output = "y"}) {
  return %arg0 : tensor<4xf32>
}

// Declarations carry the attributes too.
// CHECK-LABEL: func.func private @extern(
// CHECK-SAME:    tensor<4xf32> {loom.input = "x"}
// CHECK-SAME:    -> (tensor<4xf32> {loom.output = "x_out"})
func.func private @extern(tensor<4xf32> {loom.input = "x"}) -> (tensor<4xf32> {loom.output = "x_out"})

// Outputs are a namespace of their own: an output may be named like an input.
// CHECK-LABEL: func.func @output_named_like_an_input
// CHECK-SAME: {loom.input = "x"}
// CHECK-SAME: {loom.output = "x"}
func.func @output_named_like_an_input(%a: tensor<4xf32> {loom.input = "x"}) -> (tensor<4xf32> {loom.output = "x"}) {
  return %a : tensor<4xf32>
}
