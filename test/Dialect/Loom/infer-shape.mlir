// Shape inference of the shape ops, gather and the reductions: every result is
// declared with `?` dims, and loom-infer-shapes refines it (and the signature
// of the function, which nothing calls) to the inferred type.
// RUN: loom-opt %s --loom-infer-shapes | FileCheck %s
// RUN: loom-opt %s --loom-infer-shapes | loom-opt --loom-infer-shapes | FileCheck %s

// 0 copies the input dim, -1 is inferred from the element count; copied
// dynamic dims cancel out, so [?,?,768] -> [0,0,12,-1] still gives 64.
// CHECK-LABEL: func.func @reshape(
// CHECK-SAME:    %arg0: tensor<?x?x768xf32>, %arg1: tensor<2x3x4xbf16>, %arg2: tensor<?x4x6xi32>) -> (tensor<?x?x12x64xf32>, tensor<24xbf16>, tensor<2x12xbf16>, tensor<4x3x2xbf16>, tensor<?x24xi32>) {
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [0, 0, 12, -1] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
// CHECK-NEXT:    %1 = loom.reshape %arg1 shape = [-1] : (tensor<2x3x4xbf16>) -> tensor<24xbf16>
// CHECK-NEXT:    %2 = loom.reshape %arg1 shape = [0, -1] : (tensor<2x3x4xbf16>) -> tensor<2x12xbf16>
// CHECK-NEXT:    %3 = loom.reshape %arg1 shape = [4, 0, 2] : (tensor<2x3x4xbf16>) -> tensor<4x3x2xbf16>
// CHECK-NEXT:    %4 = loom.reshape %arg2 shape = [0, -1] : (tensor<?x4x6xi32>) -> tensor<?x24xi32>
// CHECK-NEXT:    return %0, %1, %2, %3, %4 : tensor<?x?x12x64xf32>, tensor<24xbf16>, tensor<2x12xbf16>, tensor<4x3x2xbf16>, tensor<?x24xi32>
// CHECK-NEXT:  }
func.func @reshape(%a: tensor<?x?x768xf32>, %b: tensor<2x3x4xbf16>, %c: tensor<?x4x6xi32>) -> (tensor<?x?x?x?xf32>, tensor<?xbf16>, tensor<?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?xi32>) {
  %0 = loom.reshape %a shape = [0, 0, 12, -1] : (tensor<?x?x768xf32>) -> tensor<?x?x?x?xf32>
  %1 = loom.reshape %b shape = [-1] : (tensor<2x3x4xbf16>) -> tensor<?xbf16>
  %2 = loom.reshape %b shape = [0, -1] : (tensor<2x3x4xbf16>) -> tensor<?x?xbf16>
  %3 = loom.reshape %b shape = [4, 0, 2] : (tensor<2x3x4xbf16>) -> tensor<?x?x?xbf16>
  %4 = loom.reshape %c shape = [0, -1] : (tensor<?x4x6xi32>) -> tensor<?x?xi32>
  return %0, %1, %2, %3, %4 : tensor<?x?x?x?xf32>, tensor<?xbf16>, tensor<?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?xi32>
}

// A dynamic dim that is not copied leaves the -1 unknown.
// CHECK-LABEL: func.func @reshape_dynamic_not_copied(
// CHECK-SAME:    %arg0: tensor<4x?xf32>) -> tensor<2x?xf32> {
// CHECK-NEXT:    %0 = loom.reshape %arg0 shape = [2, -1] : (tensor<4x?xf32>) -> tensor<2x?xf32>
// CHECK-NEXT:    return %0 : tensor<2x?xf32>
// CHECK-NEXT:  }
func.func @reshape_dynamic_not_copied(%a: tensor<4x?xf32>) -> tensor<?x?xf32> {
  %0 = loom.reshape %a shape = [2, -1] : (tensor<4x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME:    %arg0: tensor<?x7x12x64xf32>, %arg1: tensor<2x?xi64>) -> (tensor<?x12x7x64xf32>, tensor<?x2xi64>) {
// CHECK-NEXT:    %0 = loom.transpose %arg0 permutation = [0, 2, 1, 3] : (tensor<?x7x12x64xf32>) -> tensor<?x12x7x64xf32>
// CHECK-NEXT:    %1 = loom.transpose %arg1 permutation = [1, 0] : (tensor<2x?xi64>) -> tensor<?x2xi64>
// CHECK-NEXT:    return %0, %1 : tensor<?x12x7x64xf32>, tensor<?x2xi64>
// CHECK-NEXT:  }
func.func @transpose(%a: tensor<?x7x12x64xf32>, %b: tensor<2x?xi64>) -> (tensor<?x?x?x?xf32>, tensor<?x?xi64>) {
  %0 = loom.transpose %a permutation = [0, 2, 1, 3] : (tensor<?x7x12x64xf32>) -> tensor<?x?x?x?xf32>
  %1 = loom.transpose %b permutation = [1, 0] : (tensor<2x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x?x?x?xf32>, tensor<?x?xi64>
}

// The concat axis adds up, the other dims meet; one dynamic size on the
// axis keeps it dynamic.
// CHECK-LABEL: func.func @concat(
// CHECK-SAME:    %arg0: tensor<2x3xf32>, %arg1: tensor<2x5xf32>, %arg2: tensor<?x1xf32>, %arg3: tensor<?x?xf32>) -> (tensor<2x8xf32>, tensor<2x9xf32>, tensor<6x3xf32>, tensor<?x3xf32>) {
// CHECK-NEXT:    %0 = loom.concat %arg0, %arg1 axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:    %1 = loom.concat %arg2, %arg0, %arg1 axis = -1 : (tensor<?x1xf32>, tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x9xf32>
// CHECK-NEXT:    %2 = loom.concat %arg0, %arg0, %arg0 axis = 0 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<6x3xf32>
// CHECK-NEXT:    %3 = loom.concat %arg0, %arg3 axis = 0 : (tensor<2x3xf32>, tensor<?x?xf32>) -> tensor<?x3xf32>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<2x9xf32>, tensor<6x3xf32>, tensor<?x3xf32>
// CHECK-NEXT:  }
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<?x1xf32>, %d: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %0 = loom.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<?x?xf32>
  %1 = loom.concat %c, %a, %b axis = -1 : (tensor<?x1xf32>, tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<?x?xf32>
  %2 = loom.concat %a, %a, %a axis = 0 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<?x?xf32>
  %3 = loom.concat %a, %d axis = 0 : (tensor<2x3xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1, %2, %3 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}

// Negative start/end count from the end of the dim and end is clamped;
// on a dynamic dim the size stays unknown.
// CHECK-LABEL: func.func @slice(
// CHECK-SAME:    %arg0: tensor<?x197x768xf32>) -> (tensor<?x1x768xf32>, tensor<?x196x768xf32>, tensor<?x197x256xf32>, tensor<?x197x1xf32>, tensor<?x197x768xf32>) {
// CHECK-NEXT:    %0 = loom.slice %arg0 axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
// CHECK-NEXT:    %1 = loom.slice %arg0 axis = 1 start = 1 end = 1000 : (tensor<?x197x768xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %2 = loom.slice %arg0 axis = -1 start = -512 end = -256 : (tensor<?x197x768xf32>) -> tensor<?x197x256xf32>
// CHECK-NEXT:    %3 = loom.slice %arg0 axis = 2 start = -1 end = 768 : (tensor<?x197x768xf32>) -> tensor<?x197x1xf32>
// CHECK-NEXT:    %4 = loom.slice %arg0 axis = 0 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    return %0, %1, %2, %3, %4 : tensor<?x1x768xf32>, tensor<?x196x768xf32>, tensor<?x197x256xf32>, tensor<?x197x1xf32>, tensor<?x197x768xf32>
// CHECK-NEXT:  }
func.func @slice(%a: tensor<?x197x768xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %0 = loom.slice %a axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x?x?xf32>
  %1 = loom.slice %a axis = 1 start = 1 end = 1000 : (tensor<?x197x768xf32>) -> tensor<?x?x?xf32>
  %2 = loom.slice %a axis = -1 start = -512 end = -256 : (tensor<?x197x768xf32>) -> tensor<?x?x?xf32>
  %3 = loom.slice %a axis = 2 start = -1 end = 768 : (tensor<?x197x768xf32>) -> tensor<?x?x?xf32>
  %4 = loom.slice %a axis = 0 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x?x?xf32>
  return %0, %1, %2, %3, %4 : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>
}

// [..., T, H*Dh] <-> [..., H, T, Dh].
// CHECK-LABEL: func.func @split_merge_heads(
// CHECK-SAME:    %arg0: tensor<?x7x768xf32>, %arg1: tensor<2x?x12x64xbf16>) -> (tensor<?x12x7x64xf32>, tensor<?x7x768xf32>, tensor<2x12x?xbf16>) {
// CHECK-NEXT:    %0 = loom.split_heads %arg0 num_heads = 12 : (tensor<?x7x768xf32>) -> tensor<?x12x7x64xf32>
// CHECK-NEXT:    %1 = loom.merge_heads %0 : (tensor<?x12x7x64xf32>) -> tensor<?x7x768xf32>
// CHECK-NEXT:    %2 = loom.merge_heads %arg1 : (tensor<2x?x12x64xbf16>) -> tensor<2x12x?xbf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x12x7x64xf32>, tensor<?x7x768xf32>, tensor<2x12x?xbf16>
// CHECK-NEXT:  }
func.func @split_merge_heads(%a: tensor<?x7x768xf32>, %b: tensor<2x?x12x64xbf16>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xbf16>) {
  %0 = loom.split_heads %a num_heads = 12 : (tensor<?x7x768xf32>) -> tensor<?x?x?x?xf32>
  %1 = loom.merge_heads %0 : (tensor<?x?x?x?xf32>) -> tensor<?x?x?xf32>
  %2 = loom.merge_heads %b : (tensor<2x?x12x64xbf16>) -> tensor<?x?x?xbf16>
  return %0, %1, %2 : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xbf16>
}

// CHECK-LABEL: func.func @positions(
// CHECK-SAME:    %arg0: tensor<2x7xi32>, %arg1: tensor<?x?x16xf32>) -> (tensor<7xi64>, tensor<16xi64>, tensor<?xi64>) {
// CHECK-NEXT:    %0 = loom.positions %arg0 axis = 1 : (tensor<2x7xi32>) -> tensor<7xi64>
// CHECK-NEXT:    %1 = loom.positions %arg1 axis = -1 {offset = 5 : i64} : (tensor<?x?x16xf32>) -> tensor<16xi64>
// CHECK-NEXT:    %2 = loom.positions %arg1 axis = 0 : (tensor<?x?x16xf32>) -> tensor<?xi64>
// CHECK-NEXT:    return %0, %1, %2 : tensor<7xi64>, tensor<16xi64>, tensor<?xi64>
// CHECK-NEXT:  }
func.func @positions(%a: tensor<2x7xi32>, %b: tensor<?x?x16xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xi64>) {
  %0 = loom.positions %a axis = 1 : (tensor<2x7xi32>) -> tensor<?xi64>
  %1 = loom.positions %b axis = -1 {offset = 5 : i64} : (tensor<?x?x16xf32>) -> tensor<?xi64>
  %2 = loom.positions %b axis = 0 : (tensor<?x?x16xf32>) -> tensor<?xi64>
  return %0, %1, %2 : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>
}

// CHECK-LABEL: func.func @causal_mask(
// CHECK-SAME:    %arg0: tensor<2x12x5x9xf32>, %arg1: tensor<?x12x?x9xf32>) -> (tensor<5x9xi1>, tensor<?x9xi1>) {
// CHECK-NEXT:    %0 = loom.causal_mask %arg0 : (tensor<2x12x5x9xf32>) -> tensor<5x9xi1>
// CHECK-NEXT:    %1 = loom.causal_mask %arg1 : (tensor<?x12x?x9xf32>) -> tensor<?x9xi1>
// CHECK-NEXT:    return %0, %1 : tensor<5x9xi1>, tensor<?x9xi1>
// CHECK-NEXT:  }
func.func @causal_mask(%a: tensor<2x12x5x9xf32>, %b: tensor<?x12x?x9xf32>) -> (tensor<?x?xi1>, tensor<?x?xi1>) {
  %0 = loom.causal_mask %a : (tensor<2x12x5x9xf32>) -> tensor<?x?xi1>
  %1 = loom.causal_mask %b : (tensor<?x12x?x9xf32>) -> tensor<?x?xi1>
  return %0, %1 : tensor<?x?xi1>, tensor<?x?xi1>
}

// The indices' shape and the leading dims of the input meet.
// CHECK-LABEL: func.func @gather(
// CHECK-SAME:    %arg0: tensor<?x50257xf32>, %arg1: tensor<8xi32>, %arg2: tensor<2x?x10xbf16>, %arg3: tensor<?x3xi64>) -> (tensor<8xf32>, tensor<2x3xbf16>) {
// CHECK-NEXT:    %0 = loom.gather %arg0, %arg1 : (tensor<?x50257xf32>, tensor<8xi32>) -> tensor<8xf32>
// CHECK-NEXT:    %1 = loom.gather %arg2, %arg3 : (tensor<2x?x10xbf16>, tensor<?x3xi64>) -> tensor<2x3xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<8xf32>, tensor<2x3xbf16>
// CHECK-NEXT:  }
func.func @gather(%a: tensor<?x50257xf32>, %i: tensor<8xi32>, %b: tensor<2x?x10xbf16>, %j: tensor<?x3xi64>) -> (tensor<?xf32>, tensor<?x?xbf16>) {
  %0 = loom.gather %a, %i : (tensor<?x50257xf32>, tensor<8xi32>) -> tensor<?xf32>
  %1 = loom.gather %b, %j : (tensor<2x?x10xbf16>, tensor<?x3xi64>) -> tensor<?x?xbf16>
  return %0, %1 : tensor<?xf32>, tensor<?x?xbf16>
}

// Reduced dims are dropped, or kept as 1 with keep_dims.
// CHECK-LABEL: func.func @reductions(
// CHECK-SAME:    %arg0: tensor<4x8x3xf32>, %arg1: tensor<?x768xbf16>) -> (tensor<4x1x3xf32>, tensor<3xf32>, tensor<4x8xf32>, tensor<?x1xbf16>, tensor<?xbf16>) {
// CHECK-NEXT:    %0 = loom.reduce_sum %arg0 axes = [1] keep_dims : (tensor<4x8x3xf32>) -> tensor<4x1x3xf32>
// CHECK-NEXT:    %1 = loom.reduce_max %arg0 axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %2 = loom.reduce_mean %arg0 axes = [-1] : (tensor<4x8x3xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %3 = loom.reduce_mean %arg1 axes = [-1] keep_dims : (tensor<?x768xbf16>) -> tensor<?x1xbf16>
// CHECK-NEXT:    %4 = loom.reduce_sum %arg1 axes = [1] : (tensor<?x768xbf16>) -> tensor<?xbf16>
// CHECK-NEXT:    return %0, %1, %2, %3, %4 : tensor<4x1x3xf32>, tensor<3xf32>, tensor<4x8xf32>, tensor<?x1xbf16>, tensor<?xbf16>
// CHECK-NEXT:  }
func.func @reductions(%a: tensor<4x8x3xf32>, %b: tensor<?x768xbf16>) -> (tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?xf32>, tensor<?x?xbf16>, tensor<?xbf16>) {
  %0 = loom.reduce_sum %a axes = [1] keep_dims : (tensor<4x8x3xf32>) -> tensor<?x?x?xf32>
  %1 = loom.reduce_max %a axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<?xf32>
  %2 = loom.reduce_mean %a axes = [-1] : (tensor<4x8x3xf32>) -> tensor<?x?xf32>
  %3 = loom.reduce_mean %b axes = [-1] keep_dims : (tensor<?x768xbf16>) -> tensor<?x?xbf16>
  %4 = loom.reduce_sum %b axes = [1] : (tensor<?x768xbf16>) -> tensor<?xbf16>
  return %0, %1, %2, %3, %4 : tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?xf32>, tensor<?x?xbf16>, tensor<?xbf16>
}
