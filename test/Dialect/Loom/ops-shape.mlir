// Round trip of the shape ops, gather and the reductions: the custom form
// prints back unchanged, and the generic form parses into the same ops.
// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape_copy_dims(
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [0, 0, 12, 64] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
// CHECK-NEXT:    return %0 : tensor<?x?x12x64xf32>
// CHECK-NEXT:  }
func.func @reshape_copy_dims(%arg0: tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32> {
  %0 = loom.reshape %arg0 shape = [0, 0, 12, 64] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
  return %0 : tensor<?x?x12x64xf32>
}

// CHECK-LABEL: func.func @reshape_infer_dim(
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [-1, 4] : (tensor<2x3x4xbf16>) -> tensor<6x4xbf16>
// CHECK-NEXT:    %1 = loom.reshape %arg0 shape = [24] : (tensor<2x3x4xbf16>) -> tensor<24xbf16>
// CHECK-NEXT:    %2 = loom.reshape %arg0 shape = [0, -1] : (tensor<2x3x4xbf16>) -> tensor<2x?xbf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<6x4xbf16>, tensor<24xbf16>, tensor<2x?xbf16>
// CHECK-NEXT:  }
func.func @reshape_infer_dim(%arg0: tensor<2x3x4xbf16>) -> (tensor<6x4xbf16>, tensor<24xbf16>, tensor<2x?xbf16>) {
  %0 = loom.reshape %arg0 shape = [-1, 4] : (tensor<2x3x4xbf16>) -> tensor<6x4xbf16>
  %1 = loom.reshape %arg0 shape = [24] : (tensor<2x3x4xbf16>) -> tensor<24xbf16>
  %2 = loom.reshape %arg0 shape = [0, -1] : (tensor<2x3x4xbf16>) -> tensor<2x?xbf16>
  return %0, %1, %2 : tensor<6x4xbf16>, tensor<24xbf16>, tensor<2x?xbf16>
}

// CHECK-LABEL: func.func @reshape_int_and_mask(
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [0, 2, 4] : (tensor<?x8xi32>) -> tensor<?x2x4xi32>
// CHECK-NEXT:    %1 = loom.reshape %arg1 shape = [4, 8] : (tensor<4x1x1x8xi1>) -> tensor<4x8xi1>
// CHECK-NEXT:    return %0, %1 : tensor<?x2x4xi32>, tensor<4x8xi1>
// CHECK-NEXT:  }
func.func @reshape_int_and_mask(%arg0: tensor<?x8xi32>, %arg1: tensor<4x1x1x8xi1>) -> (tensor<?x2x4xi32>, tensor<4x8xi1>) {
  %0 = loom.reshape %arg0 shape = [0, 2, 4] : (tensor<?x8xi32>) -> tensor<?x2x4xi32>
  %1 = loom.reshape %arg1 shape = [4, 8] : (tensor<4x1x1x8xi1>) -> tensor<4x8xi1>
  return %0, %1 : tensor<?x2x4xi32>, tensor<4x8xi1>
}

// CHECK-LABEL: func.func @reshape_to_scalar(
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [] : (tensor<1x1xf32>) -> tensor<f32>
// CHECK-NEXT:    return %0 : tensor<f32>
// CHECK-NEXT:  }
func.func @reshape_to_scalar(%arg0: tensor<1x1xf32>) -> tensor<f32> {
  %0 = loom.reshape %arg0 shape = [] : (tensor<1x1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @transpose(
// CHECK-NEXT:    %0 = loom.transpose %arg0 permutation = [1, 0] : (tensor<768x3072xf32>) -> tensor<3072x768xf32>
// CHECK-NEXT:    %1 = loom.transpose %arg1 permutation = [0, 2, 1, 3] : (tensor<?x?x12x64xf16>) -> tensor<?x12x?x64xf16>
// CHECK-NEXT:    %2 = loom.transpose %arg2 permutation = [1, 0] : (tensor<2x?xi64>) -> tensor<?x2xi64>
// CHECK-NEXT:    return %0, %1, %2 : tensor<3072x768xf32>, tensor<?x12x?x64xf16>, tensor<?x2xi64>
// CHECK-NEXT:  }
func.func @transpose(%arg0: tensor<768x3072xf32>, %arg1: tensor<?x?x12x64xf16>, %arg2: tensor<2x?xi64>) -> (tensor<3072x768xf32>, tensor<?x12x?x64xf16>, tensor<?x2xi64>) {
  %0 = loom.transpose %arg0 permutation = [1, 0] : (tensor<768x3072xf32>) -> tensor<3072x768xf32>
  %1 = loom.transpose %arg1 permutation = [0, 2, 1, 3] : (tensor<?x?x12x64xf16>) -> tensor<?x12x?x64xf16>
  %2 = loom.transpose %arg2 permutation = [1, 0] : (tensor<2x?xi64>) -> tensor<?x2xi64>
  return %0, %1, %2 : tensor<3072x768xf32>, tensor<?x12x?x64xf16>, tensor<?x2xi64>
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @concat(
// CHECK-NEXT:    %0 = loom.concat %arg0, %arg1 axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:    %1 = loom.concat %arg0, %arg2, %arg1 axis = -1 : (tensor<2x3xf32>, tensor<?x1xf32>, tensor<2x5xf32>) -> tensor<2x9xf32>
// CHECK-NEXT:    %2 = loom.concat %arg0, %arg2 axis = 1 : (tensor<2x3xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<2x8xf32>, tensor<2x9xf32>, tensor<?x4xf32>
// CHECK-NEXT:  }
func.func @concat(%arg0: tensor<2x3xf32>, %arg1: tensor<2x5xf32>, %arg2: tensor<?x1xf32>) -> (tensor<2x8xf32>, tensor<2x9xf32>, tensor<?x4xf32>) {
  %0 = loom.concat %arg0, %arg1 axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %1 = loom.concat %arg0, %arg2, %arg1 axis = -1 : (tensor<2x3xf32>, tensor<?x1xf32>, tensor<2x5xf32>) -> tensor<2x9xf32>
  %2 = loom.concat %arg0, %arg2 axis = 1 : (tensor<2x3xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  return %0, %1, %2 : tensor<2x8xf32>, tensor<2x9xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @concat_other_types(
// CHECK-NEXT:    %0 = loom.concat %arg0, %arg1 axis = 0 : (tensor<?x4xi64>, tensor<3x4xi64>) -> tensor<?x4xi64>
// CHECK-NEXT:    %1 = loom.concat %arg2, %arg2 axis = 0 : (tensor<2xi1>, tensor<2xi1>) -> tensor<4xi1>
// CHECK-NEXT:    %2 = loom.concat %arg3 axis = 0 : (tensor<8xbf16>) -> tensor<8xbf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x4xi64>, tensor<4xi1>, tensor<8xbf16>
// CHECK-NEXT:  }
func.func @concat_other_types(%arg0: tensor<?x4xi64>, %arg1: tensor<3x4xi64>, %arg2: tensor<2xi1>, %arg3: tensor<8xbf16>) -> (tensor<?x4xi64>, tensor<4xi1>, tensor<8xbf16>) {
  %0 = loom.concat %arg0, %arg1 axis = 0 : (tensor<?x4xi64>, tensor<3x4xi64>) -> tensor<?x4xi64>
  %1 = loom.concat %arg2, %arg2 axis = 0 : (tensor<2xi1>, tensor<2xi1>) -> tensor<4xi1>
  %2 = loom.concat %arg3 axis = 0 : (tensor<8xbf16>) -> tensor<8xbf16>
  return %0, %1, %2 : tensor<?x4xi64>, tensor<4xi1>, tensor<8xbf16>
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @slice(
// CHECK-NEXT:    %0 = loom.slice %arg0 axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
// CHECK-NEXT:    %1 = loom.slice %arg0 axis = 1 start = 1 end = 1000 : (tensor<?x197x768xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %2 = loom.slice %arg0 axis = -1 start = -512 end = -256 : (tensor<?x197x768xf32>) -> tensor<?x197x256xf32>
// CHECK-NEXT:    %3 = loom.slice %arg0 axis = 0 start = 1 end = 3 : (tensor<?x197x768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<?x1x768xf32>, tensor<?x196x768xf32>, tensor<?x197x256xf32>, tensor<?x197x768xf32>
// CHECK-NEXT:  }
func.func @slice(%arg0: tensor<?x197x768xf32>) -> (tensor<?x1x768xf32>, tensor<?x196x768xf32>, tensor<?x197x256xf32>, tensor<?x197x768xf32>) {
  %0 = loom.slice %arg0 axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
  %1 = loom.slice %arg0 axis = 1 start = 1 end = 1000 : (tensor<?x197x768xf32>) -> tensor<?x196x768xf32>
  %2 = loom.slice %arg0 axis = -1 start = -512 end = -256 : (tensor<?x197x768xf32>) -> tensor<?x197x256xf32>
  %3 = loom.slice %arg0 axis = 0 start = 1 end = 3 : (tensor<?x197x768xf32>) -> tensor<?x197x768xf32>
  return %0, %1, %2, %3 : tensor<?x1x768xf32>, tensor<?x196x768xf32>, tensor<?x197x256xf32>, tensor<?x197x768xf32>
}

// CHECK-LABEL: func.func @slice_int(
// CHECK-NEXT:    %0 = loom.slice %arg0 axis = 1 start = -1 end = 100 : (tensor<?x?xi32>) -> tensor<?x?xi32>
// CHECK-NEXT:    %1 = loom.slice %arg1 axis = 0 start = -3 end = 10 : (tensor<10xi64>) -> tensor<3xi64>
// CHECK-NEXT:    return %0, %1 : tensor<?x?xi32>, tensor<3xi64>
// CHECK-NEXT:  }
func.func @slice_int(%arg0: tensor<?x?xi32>, %arg1: tensor<10xi64>) -> (tensor<?x?xi32>, tensor<3xi64>) {
  %0 = loom.slice %arg0 axis = 1 start = -1 end = 100 : (tensor<?x?xi32>) -> tensor<?x?xi32>
  %1 = loom.slice %arg1 axis = 0 start = -3 end = 10 : (tensor<10xi64>) -> tensor<3xi64>
  return %0, %1 : tensor<?x?xi32>, tensor<3xi64>
}

//===----------------------------------------------------------------------===//
// split_heads / merge_heads
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @split_heads(
// CHECK-NEXT:    %0 = loom.split_heads %arg0 num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
// CHECK-NEXT:    %1 = loom.split_heads %arg1 num_heads = 4 : (tensor<5x64xbf16>) -> tensor<4x5x16xbf16>
// CHECK-NEXT:    %2 = loom.split_heads %arg2 num_heads = 8 : (tensor<2x3x?xf32>) -> tensor<2x8x3x?xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x12x?x64xf32>, tensor<4x5x16xbf16>, tensor<2x8x3x?xf32>
// CHECK-NEXT:  }
func.func @split_heads(%arg0: tensor<?x?x768xf32>, %arg1: tensor<5x64xbf16>, %arg2: tensor<2x3x?xf32>) -> (tensor<?x12x?x64xf32>, tensor<4x5x16xbf16>, tensor<2x8x3x?xf32>) {
  %0 = loom.split_heads %arg0 num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %1 = loom.split_heads %arg1 num_heads = 4 : (tensor<5x64xbf16>) -> tensor<4x5x16xbf16>
  %2 = loom.split_heads %arg2 num_heads = 8 : (tensor<2x3x?xf32>) -> tensor<2x8x3x?xf32>
  return %0, %1, %2 : tensor<?x12x?x64xf32>, tensor<4x5x16xbf16>, tensor<2x8x3x?xf32>
}

// CHECK-LABEL: func.func @merge_heads(
// CHECK-NEXT:    %0 = loom.merge_heads %arg0 : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
// CHECK-NEXT:    %1 = loom.merge_heads %arg1 : (tensor<4x5x16xf16>) -> tensor<5x64xf16>
// CHECK-NEXT:    %2 = loom.merge_heads %arg2 : (tensor<2x?x3x8xf32>) -> tensor<2x3x?xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x?x768xf32>, tensor<5x64xf16>, tensor<2x3x?xf32>
// CHECK-NEXT:  }
func.func @merge_heads(%arg0: tensor<?x12x?x64xf32>, %arg1: tensor<4x5x16xf16>, %arg2: tensor<2x?x3x8xf32>) -> (tensor<?x?x768xf32>, tensor<5x64xf16>, tensor<2x3x?xf32>) {
  %0 = loom.merge_heads %arg0 : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  %1 = loom.merge_heads %arg1 : (tensor<4x5x16xf16>) -> tensor<5x64xf16>
  %2 = loom.merge_heads %arg2 : (tensor<2x?x3x8xf32>) -> tensor<2x3x?xf32>
  return %0, %1, %2 : tensor<?x?x768xf32>, tensor<5x64xf16>, tensor<2x3x?xf32>
}

//===----------------------------------------------------------------------===//
// positions / causal_mask / gather
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @positions(
// CHECK-NEXT:    %0 = loom.positions %arg0 axis = 1 : (tensor<?x?xi32>) -> tensor<?xi64>
// CHECK-NEXT:    %1 = loom.positions %arg0 axis = -1 {offset = 128 : i64} : (tensor<?x?xi32>) -> tensor<?xi64>
// CHECK-NEXT:    %2 = loom.positions %arg1 axis = 1 : (tensor<2x7x16xf32>) -> tensor<7xi64>
// CHECK-NEXT:    %3 = loom.positions %arg1 axis = -1 : (tensor<2x7x16xf32>) -> tensor<16xi64>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<?xi64>, tensor<?xi64>, tensor<7xi64>, tensor<16xi64>
// CHECK-NEXT:  }
func.func @positions(%arg0: tensor<?x?xi32>, %arg1: tensor<2x7x16xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<7xi64>, tensor<16xi64>) {
  %0 = loom.positions %arg0 axis = 1 : (tensor<?x?xi32>) -> tensor<?xi64>
  %1 = loom.positions %arg0 axis = -1 {offset = 128 : i64} : (tensor<?x?xi32>) -> tensor<?xi64>
  %2 = loom.positions %arg1 axis = 1 : (tensor<2x7x16xf32>) -> tensor<7xi64>
  %3 = loom.positions %arg1 axis = -1 : (tensor<2x7x16xf32>) -> tensor<16xi64>
  return %0, %1, %2, %3 : tensor<?xi64>, tensor<?xi64>, tensor<7xi64>, tensor<16xi64>
}

// CHECK-LABEL: func.func @causal_mask(
// CHECK-NEXT:    %0 = loom.causal_mask %arg0 : (tensor<?x12x?x?xf32>) -> tensor<?x?xi1>
// CHECK-NEXT:    %1 = loom.causal_mask %arg1 : (tensor<3x5xbf16>) -> tensor<3x5xi1>
// CHECK-NEXT:    %2 = loom.causal_mask %arg2 : (tensor<4x4xi1>) -> tensor<4x4xi1>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x?xi1>, tensor<3x5xi1>, tensor<4x4xi1>
// CHECK-NEXT:  }
func.func @causal_mask(%arg0: tensor<?x12x?x?xf32>, %arg1: tensor<3x5xbf16>, %arg2: tensor<4x4xi1>) -> (tensor<?x?xi1>, tensor<3x5xi1>, tensor<4x4xi1>) {
  %0 = loom.causal_mask %arg0 : (tensor<?x12x?x?xf32>) -> tensor<?x?xi1>
  %1 = loom.causal_mask %arg1 : (tensor<3x5xbf16>) -> tensor<3x5xi1>
  %2 = loom.causal_mask %arg2 : (tensor<4x4xi1>) -> tensor<4x4xi1>
  return %0, %1, %2 : tensor<?x?xi1>, tensor<3x5xi1>, tensor<4x4xi1>
}

// CHECK-LABEL: func.func @gather(
// CHECK-NEXT:    %0 = loom.gather %arg0, %arg1 : (tensor<?x50257xf32>, tensor<?xi32>) -> tensor<?xf32>
// CHECK-NEXT:    %1 = loom.gather %arg2, %arg3 : (tensor<2x?x10xbf16>, tensor<2x3xi64>) -> tensor<2x3xbf16>
// CHECK-NEXT:    %2 = loom.gather %arg4, %arg5 : (tensor<5xi32>, tensor<i64>) -> tensor<i32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?xf32>, tensor<2x3xbf16>, tensor<i32>
// CHECK-NEXT:  }
func.func @gather(%arg0: tensor<?x50257xf32>, %arg1: tensor<?xi32>, %arg2: tensor<2x?x10xbf16>, %arg3: tensor<2x3xi64>, %arg4: tensor<5xi32>, %arg5: tensor<i64>) -> (tensor<?xf32>, tensor<2x3xbf16>, tensor<i32>) {
  %0 = loom.gather %arg0, %arg1 : (tensor<?x50257xf32>, tensor<?xi32>) -> tensor<?xf32>
  %1 = loom.gather %arg2, %arg3 : (tensor<2x?x10xbf16>, tensor<2x3xi64>) -> tensor<2x3xbf16>
  %2 = loom.gather %arg4, %arg5 : (tensor<5xi32>, tensor<i64>) -> tensor<i32>
  return %0, %1, %2 : tensor<?xf32>, tensor<2x3xbf16>, tensor<i32>
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reduce_sum(
// CHECK-NEXT:    %0 = loom.reduce_sum %arg0 axes = [1] keep_dims : (tensor<4x8xf32>) -> tensor<4x1xf32>
// CHECK-NEXT:    %1 = loom.reduce_sum %arg0 axes = [1] : (tensor<4x8xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %2 = loom.reduce_sum %arg0 axes = [0, 1] : (tensor<4x8xf32>) -> tensor<f32>
// CHECK-NEXT:    %3 = loom.reduce_sum %arg1 axes = [-1, 0] keep_dims : (tensor<?x?x8xbf16>) -> tensor<1x?x1xbf16>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<4x1xf32>, tensor<4xf32>, tensor<f32>, tensor<1x?x1xbf16>
// CHECK-NEXT:  }
func.func @reduce_sum(%arg0: tensor<4x8xf32>, %arg1: tensor<?x?x8xbf16>) -> (tensor<4x1xf32>, tensor<4xf32>, tensor<f32>, tensor<1x?x1xbf16>) {
  %0 = loom.reduce_sum %arg0 axes = [1] keep_dims : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %1 = loom.reduce_sum %arg0 axes = [1] : (tensor<4x8xf32>) -> tensor<4xf32>
  %2 = loom.reduce_sum %arg0 axes = [0, 1] : (tensor<4x8xf32>) -> tensor<f32>
  %3 = loom.reduce_sum %arg1 axes = [-1, 0] keep_dims : (tensor<?x?x8xbf16>) -> tensor<1x?x1xbf16>
  return %0, %1, %2, %3 : tensor<4x1xf32>, tensor<4xf32>, tensor<f32>, tensor<1x?x1xbf16>
}

// CHECK-LABEL: func.func @reduce_mean(
// CHECK-NEXT:    %0 = loom.reduce_mean %arg0 axes = [-1] keep_dims : (tensor<?x768xf32>) -> tensor<?x1xf32>
// CHECK-NEXT:    %1 = loom.reduce_mean %arg0 axes = [1] : (tensor<?x768xf32>) -> tensor<?xf32>
// CHECK-NEXT:    %2 = loom.reduce_mean %arg1 axes = [1] : (tensor<2x3x4xf16>) -> tensor<2x4xf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x1xf32>, tensor<?xf32>, tensor<2x4xf16>
// CHECK-NEXT:  }
func.func @reduce_mean(%arg0: tensor<?x768xf32>, %arg1: tensor<2x3x4xf16>) -> (tensor<?x1xf32>, tensor<?xf32>, tensor<2x4xf16>) {
  %0 = loom.reduce_mean %arg0 axes = [-1] keep_dims : (tensor<?x768xf32>) -> tensor<?x1xf32>
  %1 = loom.reduce_mean %arg0 axes = [1] : (tensor<?x768xf32>) -> tensor<?xf32>
  %2 = loom.reduce_mean %arg1 axes = [1] : (tensor<2x3x4xf16>) -> tensor<2x4xf16>
  return %0, %1, %2 : tensor<?x1xf32>, tensor<?xf32>, tensor<2x4xf16>
}

// CHECK-LABEL: func.func @reduce_max(
// CHECK-NEXT:    %0 = loom.reduce_max %arg0 axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %1 = loom.reduce_max %arg0 axes = [0, 1] keep_dims : (tensor<4x8x3xf32>) -> tensor<1x1x3xf32>
// CHECK-NEXT:    %2 = loom.reduce_max %arg1 axes = [1] keep_dims : (tensor<?x?xbf16>) -> tensor<?x1xbf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<3xf32>, tensor<1x1x3xf32>, tensor<?x1xbf16>
// CHECK-NEXT:  }
func.func @reduce_max(%arg0: tensor<4x8x3xf32>, %arg1: tensor<?x?xbf16>) -> (tensor<3xf32>, tensor<1x1x3xf32>, tensor<?x1xbf16>) {
  %0 = loom.reduce_max %arg0 axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<3xf32>
  %1 = loom.reduce_max %arg0 axes = [0, 1] keep_dims : (tensor<4x8x3xf32>) -> tensor<1x1x3xf32>
  %2 = loom.reduce_max %arg1 axes = [1] keep_dims : (tensor<?x?xbf16>) -> tensor<?x1xbf16>
  return %0, %1, %2 : tensor<3xf32>, tensor<1x1x3xf32>, tensor<?x1xbf16>
}

// The generic form may leave offset out: it defaults to 0 (and then is not
// printed).
// CHECK-LABEL: func.func @positions_generic(
// CHECK-NEXT:    %0 = loom.positions %arg0 axis = 0 : (tensor<5x2xf32>) -> tensor<5xi64>
// CHECK-NEXT:    %1 = loom.positions %arg0 axis = 1 {offset = 3 : i64} : (tensor<5x2xf32>) -> tensor<2xi64>
func.func @positions_generic(%arg0: tensor<5x2xf32>) -> (tensor<5xi64>, tensor<2xi64>) {
  %0 = "loom.positions"(%arg0) <{axis = 0 : i64}> : (tensor<5x2xf32>) -> tensor<5xi64>
  %1 = "loom.positions"(%arg0) <{axis = 1 : i64, offset = 3 : i64}> : (tensor<5x2xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<5xi64>, tensor<2xi64>
}
