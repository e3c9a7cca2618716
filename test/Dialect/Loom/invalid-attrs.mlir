// Verifier errors of the loom.param / loom.input / loom.output function
// argument and result attributes: non-empty string names, unique within a
// function (across arguments and results), no other loom.* keys.
// RUN: loom-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'loom.param' on argument #0 must be a non-empty string}}
func.func @param_empty(%w: tensor<4xf32> {loom.param = ""}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.input' on argument #1 must be a non-empty string}}
func.func @input_not_a_string(%w: tensor<4xf32> {loom.param = "w"}, %x: tensor<4xf32> {loom.input = 3 : i64}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.param' on argument #0 must be a non-empty string}}
func.func @param_symbol_ref(%w: tensor<4xf32> {loom.param = @w}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.output' on result #1 must be a non-empty string}}
func.func @output_empty(%x: tensor<4xf32>) -> (tensor<4xf32> {loom.output = "y"}, tensor<4xf32> {loom.output = ""}) {
  return %x, %x : tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.output' on result #0 must be a non-empty string}}
func.func @output_not_a_string(%x: tensor<4xf32>) -> (tensor<4xf32> {loom.output = unit}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{name "w" of argument #2 is also used by argument #0}}
func.func @duplicate_params(%a: tensor<4xf32> {loom.param = "w"}, %b: tensor<4xf32> {loom.param = "b"}, %c: tensor<4xf32> {loom.param = "w"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// Parameters and inputs share one namespace.
// expected-error @+1 {{name "x" of argument #1 is also used by argument #0}}
func.func @input_and_param_share_a_name(%a: tensor<4xf32> {loom.input = "x"}, %b: tensor<4xf32> {loom.param = "x"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{name "y" of result #1 is also used by result #0}}
func.func @duplicate_outputs(%a: tensor<4xf32> {loom.input = "x"}) -> (tensor<4xf32> {loom.output = "y"}, tensor<4xf32> {loom.output = "y"}) {
  return %a, %a : tensor<4xf32>, tensor<4xf32>
}

// -----

// Declarations are checked too.
// expected-error @+1 {{name "w" of argument #1 is also used by argument #0}}
func.func private @duplicate_in_declaration(tensor<4xf32> {loom.param = "w"}, tensor<4xf32> {loom.param = "w"})

// -----

// expected-error @+1 {{unknown loom argument attribute 'loom.weight' (expected loom.param, loom.input, loom.state, loom.cache, or after bufferization loom.output, loom.update or loom.arena)}}
func.func @unknown_argument_attribute(%w: tensor<4xf32> {loom.weight = "w"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// Out-parameters (after bufferization) keep their loom.output names: strings.
// expected-error @+1 {{'loom.output' on argument #0 must be a non-empty string}}
func.func @output_on_argument(%x: tensor<4xf32> {loom.output = 3 : i64}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.arena' must be a unit attribute}}
func.func @arena_not_unit(%x: tensor<4xf32>, %a: memref<64xi8> {loom.arena = "yes"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{unknown loom result attribute 'loom.param' (expected loom.output or loom.update)}}
func.func @param_on_result(%x: tensor<4xf32>) -> (tensor<4xf32> {loom.param = "y"}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{unknown loom result attribute 'loom.name' (expected loom.output or loom.update)}}
func.func @unknown_result_attribute(%x: tensor<4xf32>) -> (tensor<4xf32> {loom.name = "y"}) {
  return %x : tensor<4xf32>
}

// -----

// An argument is a model parameter or an input, not both.
// expected-error @+1 {{argument #1 has more than one of loom.param, loom.input and loom.state}}
func.func @param_and_input(%a: tensor<4xf32> {loom.input = "x"}, %b: tensor<4xf32> {loom.param = "w", loom.input = "y"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #0 has more than one of loom.param, loom.input and loom.state}}
func.func @param_and_input_same_name(%a: tensor<4xf32> {loom.param = "x", loom.input = "x"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// A training step's results name what they replace.
// expected-error @+1 {{result #0 updates param 'w', which no argument is}}
func.func @update_unknown(%w: tensor<4xf32> {loom.param = "v"}) -> (tensor<4xf32> {loom.update = "param:w"}) {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.update' on result #0 must be "param:NAME" or "state:NAME", got "grad:w"}}
func.func @update_bad_kind(%w: tensor<4xf32> {loom.param = "w"}) -> (tensor<4xf32> {loom.update = "grad:w"}) {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{result #0 updates state 'm' of type 'tensor<4xf32>' but has type 'tensor<2xf32>'}}
func.func @update_type(%m: tensor<4xf32> {loom.state = "m"}, %x: tensor<2xf32> {loom.input = "x"}) -> (tensor<2xf32> {loom.update = "state:m"}) {
  return %x : tensor<2xf32>
}

// -----

// expected-error @+1 {{name "m" of argument #1 is also used by argument #0}}
func.func @state_name_taken(%w: tensor<4xf32> {loom.param = "m"}, %m: tensor<4xf32> {loom.state = "m"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}
