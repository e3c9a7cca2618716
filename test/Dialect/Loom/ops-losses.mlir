// Round trip of the loss ops: the custom form prints back unchanged, and the
// generic form parses into the same ops.
// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

// CHECK-LABEL: func.func @cross_entropy(
// CHECK-NEXT:    %0 = loom.cross_entropy %arg0, %arg1 ignore_index = -100 : (tensor<?x?x50257xf32>, tensor<?x?xi32>) -> tensor<f32>
// CHECK-NEXT:    return %0 : tensor<f32>
// CHECK-NEXT:  }
func.func @cross_entropy(%arg0: tensor<?x?x50257xf32>, %arg1: tensor<?x?xi32>) -> tensor<f32> {
  %0 = loom.cross_entropy %arg0, %arg1 ignore_index = -100 : (tensor<?x?x50257xf32>, tensor<?x?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @cross_entropy_other_types(
// CHECK-NEXT:    %0 = loom.cross_entropy %arg0, %arg1 ignore_index = 0 : (tensor<8x10xbf16>, tensor<8xi64>) -> tensor<bf16>
// CHECK-NEXT:    %1 = loom.cross_entropy %arg2, %arg3 ignore_index = -1 : (tensor<10xf16>, tensor<i32>) -> tensor<f16>
// CHECK-NEXT:    return %0, %1 : tensor<bf16>, tensor<f16>
// CHECK-NEXT:  }
func.func @cross_entropy_other_types(%arg0: tensor<8x10xbf16>, %arg1: tensor<8xi64>, %arg2: tensor<10xf16>, %arg3: tensor<i32>) -> (tensor<bf16>, tensor<f16>) {
  %0 = loom.cross_entropy %arg0, %arg1 ignore_index = 0 : (tensor<8x10xbf16>, tensor<8xi64>) -> tensor<bf16>
  %1 = loom.cross_entropy %arg2, %arg3 ignore_index = -1 : (tensor<10xf16>, tensor<i32>) -> tensor<f16>
  return %0, %1 : tensor<bf16>, tensor<f16>
}

// CHECK-LABEL: func.func @contrastive_loss(
// CHECK-NEXT:    %0 = loom.contrastive_loss %arg0, %arg1, %arg2 : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<f32>
// CHECK-NEXT:    return %0 : tensor<f32>
// CHECK-NEXT:  }
func.func @contrastive_loss(%arg0: tensor<?x512xf32>, %arg1: tensor<?x512xf32>, %arg2: tensor<f32>) -> tensor<f32> {
  %0 = loom.contrastive_loss %arg0, %arg1, %arg2 : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @contrastive_loss_bf16(
// CHECK-NEXT:    %0 = loom.contrastive_loss %arg0, %arg1, %arg2 : (tensor<8x?xbf16>, tensor<?x64xbf16>, tensor<bf16>) -> tensor<bf16>
// CHECK-NEXT:    return %0 : tensor<bf16>
// CHECK-NEXT:  }
func.func @contrastive_loss_bf16(%arg0: tensor<8x?xbf16>, %arg1: tensor<?x64xbf16>, %arg2: tensor<bf16>) -> tensor<bf16> {
  %0 = loom.contrastive_loss %arg0, %arg1, %arg2 : (tensor<8x?xbf16>, tensor<?x64xbf16>, tensor<bf16>) -> tensor<bf16>
  return %0 : tensor<bf16>
}

// The generic form may leave ignore_index out: it defaults to -100.
// CHECK-LABEL: func.func @cross_entropy_generic_default_ignore_index(
// CHECK-NEXT:    %0 = loom.cross_entropy %arg0, %arg1 ignore_index = -100 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
// CHECK-NEXT:    return %0 : tensor<f32>
func.func @cross_entropy_generic_default_ignore_index(%arg0: tensor<4x10xf32>, %arg1: tensor<4xi32>) -> tensor<f32> {
  %0 = "loom.cross_entropy"(%arg0, %arg1) : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}
