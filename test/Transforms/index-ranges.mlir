// RUN: loom-opt %s --loom-index-ranges --split-input-file --verify-diagnostics | FileCheck %s

// Each integer input gets the values its uses accept, over every function:
// token ids the rows of the embedding table (through a reshape), targets the
// classes of a cross-entropy plus its ignore_index; a float input and an
// integer input nothing bounds are left as they were.
// CHECK: loom.inputs = [
// CHECK-SAME: {dtype = "i32", name = "tokens", range = array<i64: 0, 256>, range_of = "embedding 'wte'", shape = array<i64: 2, 8>}
// CHECK-SAME: {dtype = "i32", ignore = -100 : i64, name = "targets", range = array<i64: 0, 256>, range_of = "cross_entropy over 256 classes", shape = array<i64: 2, 8>}
// CHECK-SAME: {dtype = "f32", name = "scale", shape = array<i64>}
// CHECK-SAME: {dtype = "i64", name = "free", shape = array<i64: 3>}
module attributes {loom.inputs = [
    {name = "tokens", dtype = "i32", shape = array<i64: 2, 8>},
    {name = "targets", dtype = "i32", shape = array<i64: 2, 8>},
    {name = "scale", dtype = "f32", shape = array<i64>},
    {name = "free", dtype = "i64", shape = array<i64: 3>}]} {
  func.func @forward(%wte: tensor<256x4xf32> {loom.param = "wte"},
                     %tokens: tensor<2x8xi32> {loom.input = "tokens"},
                     %free: tensor<3xi64> {loom.input = "free"})
      -> (tensor<16x4xf32> {loom.output = "x"}) {
    %flat = loom.reshape %tokens shape = [16] : (tensor<2x8xi32>) -> tensor<16xi32>
    %x = loom.embedding %wte, %flat : (tensor<256x4xf32>, tensor<16xi32>) -> tensor<16x4xf32>
    return %x : tensor<16x4xf32>
  }
  func.func @loss(%logits: tensor<2x8x256xf32> {loom.input = "logits"},
                  %targets: tensor<2x8xi32> {loom.input = "targets"})
      -> (tensor<f32> {loom.output = "loss"}) {
    %l = loom.cross_entropy %logits, %targets ignore_index = -100 : (tensor<2x8x256xf32>, tensor<2x8xi32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// The narrowest use wins; an id that also indexes an embedding loses the
// cross-entropy's ignore value (-100 would read row -100).
// CHECK: loom.inputs = [{dtype = "i64", name = "ids", range = array<i64: 0, 10>, range_of = "cross_entropy over 10 classes", shape = array<i64: 4>}]
module attributes {loom.inputs = [{name = "ids", dtype = "i64", shape = array<i64: 4>}]} {
  func.func @f(%t: tensor<50x2xf32> {loom.param = "t"}, %logits: tensor<4x10xf32> {loom.input = "logits"},
               %ids: tensor<4xi64> {loom.input = "ids"})
      -> (tensor<4x2xf32> {loom.output = "e"}, tensor<f32> {loom.output = "l"}) {
    %e = loom.embedding %t, %ids : (tensor<50x2xf32>, tensor<4xi64>) -> tensor<4x2xf32>
    %l = loom.cross_entropy %logits, %ids ignore_index = -100 : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<f32>
    return %e, %l : tensor<4x2xf32>, tensor<f32>
  }
}

// -----

// A sequence longer than the learned position table is an error at the
// embedding (the spec line), not an out-of-bounds read at run time.
module {
  func.func @f(%wpe: tensor<64x4xf32> {loom.param = "wpe"}, %tokens: tensor<1x100xi32> {loom.input = "tokens"})
      -> (tensor<100x4xf32> {loom.output = "p"}) {
    %pos = loom.positions %tokens axis = 1 : (tensor<1x100xi32>) -> tensor<100xi64>
    // expected-error @+1 {{position embedding 'wpe' has 64 rows, but the positions it looks up run from 0 to 99 (a dim of 100): bind a shorter sequence or enlarge the table}}
    %p = loom.embedding %wpe, %pos : (tensor<64x4xf32>, tensor<100xi64>) -> tensor<100x4xf32>
    return %p : tensor<100x4xf32>
  }
}
