// Round trip of the neural network ops (embeddings, contractions, norms,
// softmax, attention, vision): the custom form prints back unchanged, and the
// generic form parses into the same ops.
// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @embedding(
// CHECK-NEXT:    %0 = loom.embedding %arg0, %arg1 : (tensor<50257x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
// CHECK-NEXT:    %1 = loom.embedding %arg2, %arg3 : (tensor<1024x64xbf16>, tensor<?xi64>) -> tensor<?x64xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x?x768xf32>, tensor<?x64xbf16>
// CHECK-NEXT:  }
func.func @embedding(%arg0: tensor<50257x768xf32>, %arg1: tensor<?x?xi32>, %arg2: tensor<1024x64xbf16>, %arg3: tensor<?xi64>) -> (tensor<?x?x768xf32>, tensor<?x64xbf16>) {
  %0 = loom.embedding %arg0, %arg1 : (tensor<50257x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
  %1 = loom.embedding %arg2, %arg3 : (tensor<1024x64xbf16>, tensor<?xi64>) -> tensor<?x64xbf16>
  return %0, %1 : tensor<?x?x768xf32>, tensor<?x64xbf16>
}

// CHECK-LABEL: func.func @index_add(
// CHECK-NEXT:    %0 = loom.index_add %arg0, %arg1, %arg2 : (tensor<50257x768xf32>, tensor<?x?xi32>, tensor<?x?x768xf32>) -> tensor<50257x768xf32>
// CHECK-NEXT:    return %0 : tensor<50257x768xf32>
func.func @index_add(%arg0: tensor<50257x768xf32>, %arg1: tensor<?x?xi32>, %arg2: tensor<?x?x768xf32>) -> tensor<50257x768xf32> {
  %0 = loom.index_add %arg0, %arg1, %arg2 : (tensor<50257x768xf32>, tensor<?x?xi32>, tensor<?x?x768xf32>) -> tensor<50257x768xf32>
  return %0 : tensor<50257x768xf32>
}

// CHECK-LABEL: func.func @sinusoidal_encoding(
// CHECK-NEXT:    %0 = loom.sinusoidal_encoding %arg0 dim = 512 : (tensor<?xi64>) -> tensor<?x512xf32>
// CHECK-NEXT:    %1 = loom.sinusoidal_encoding %arg1 dim = 4 : (tensor<2x7xi32>) -> tensor<2x7x4xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x512xf32>, tensor<2x7x4xf32>
// CHECK-NEXT:  }
func.func @sinusoidal_encoding(%arg0: tensor<?xi64>, %arg1: tensor<2x7xi32>) -> (tensor<?x512xf32>, tensor<2x7x4xf32>) {
  %0 = loom.sinusoidal_encoding %arg0 dim = 512 : (tensor<?xi64>) -> tensor<?x512xf32>
  %1 = loom.sinusoidal_encoding %arg1 dim = 4 : (tensor<2x7xi32>) -> tensor<2x7x4xf32>
  return %0, %1 : tensor<?x512xf32>, tensor<2x7x4xf32>
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul(
// CHECK-NEXT:    %0 = loom.matmul %arg0, %arg1 : (tensor<?x768xf32>, tensor<768x2304xf32>) -> tensor<?x2304xf32>
// CHECK-NEXT:    %1 = loom.matmul %arg2, %arg3 : (tensor<4x?xbf16>, tensor<8x16xbf16>) -> tensor<4x16xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x2304xf32>, tensor<4x16xbf16>
// CHECK-NEXT:  }
func.func @matmul(%arg0: tensor<?x768xf32>, %arg1: tensor<768x2304xf32>, %arg2: tensor<4x?xbf16>, %arg3: tensor<8x16xbf16>) -> (tensor<?x2304xf32>, tensor<4x16xbf16>) {
  %0 = loom.matmul %arg0, %arg1 : (tensor<?x768xf32>, tensor<768x2304xf32>) -> tensor<?x2304xf32>
  %1 = loom.matmul %arg2, %arg3 : (tensor<4x?xbf16>, tensor<8x16xbf16>) -> tensor<4x16xbf16>
  return %0, %1 : tensor<?x2304xf32>, tensor<4x16xbf16>
}

// CHECK-LABEL: func.func @batch_matmul(
// CHECK-NEXT:    %0 = loom.batch_matmul %arg0, %arg1 transpose_rhs : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    %1 = loom.batch_matmul %arg2, %arg1 : (tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>
// CHECK-NEXT:  }
func.func @batch_matmul(%arg0: tensor<?x12x?x64xf32>, %arg1: tensor<?x12x?x64xf32>, %arg2: tensor<?x12x?x?xf32>) -> (tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>) {
  %0 = loom.batch_matmul %arg0, %arg1 transpose_rhs : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
  %1 = loom.batch_matmul %arg2, %arg1 : (tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  return %0, %1 : tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>
}

// CHECK-LABEL: func.func @batch_matmul_broadcast(
// CHECK-NEXT:    %0 = loom.batch_matmul %arg0, %arg1 : (tensor<2x1x5x3xf16>, tensor<4x3x7xf16>) -> tensor<2x4x5x7xf16>
// CHECK-NEXT:    %1 = loom.batch_matmul %arg0, %arg2 : (tensor<2x1x5x3xf16>, tensor<3x7xf16>) -> tensor<2x1x5x7xf16>
// CHECK-NEXT:    return %0, %1 : tensor<2x4x5x7xf16>, tensor<2x1x5x7xf16>
// CHECK-NEXT:  }
func.func @batch_matmul_broadcast(%arg0: tensor<2x1x5x3xf16>, %arg1: tensor<4x3x7xf16>, %arg2: tensor<3x7xf16>) -> (tensor<2x4x5x7xf16>, tensor<2x1x5x7xf16>) {
  %0 = loom.batch_matmul %arg0, %arg1 : (tensor<2x1x5x3xf16>, tensor<4x3x7xf16>) -> tensor<2x4x5x7xf16>
  %1 = loom.batch_matmul %arg0, %arg2 : (tensor<2x1x5x3xf16>, tensor<3x7xf16>) -> tensor<2x1x5x7xf16>
  return %0, %1 : tensor<2x4x5x7xf16>, tensor<2x1x5x7xf16>
}

// CHECK-LABEL: func.func @linear(
// CHECK-NEXT:    %0 = loom.linear %arg0, %arg1, %arg2 : (tensor<?x?x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
// CHECK-NEXT:    %1 = loom.linear %arg0, %arg1 : (tensor<?x?x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x2304xf32>
// CHECK-NEXT:    %2 = loom.linear %arg0, %arg3 transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
// CHECK-NEXT:    %3 = loom.linear %arg0, %arg3, %arg4 transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<?x?x2304xf32>, tensor<?x?x2304xf32>, tensor<?x?x3072xf32>, tensor<?x?x3072xf32>
// CHECK-NEXT:  }
func.func @linear(%arg0: tensor<?x?x768xf32>, %arg1: tensor<768x2304xf32>, %arg2: tensor<2304xf32>, %arg3: tensor<3072x768xf32>, %arg4: tensor<3072xf32>) -> (tensor<?x?x2304xf32>, tensor<?x?x2304xf32>, tensor<?x?x3072xf32>, tensor<?x?x3072xf32>) {
  %0 = loom.linear %arg0, %arg1, %arg2 : (tensor<?x?x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
  %1 = loom.linear %arg0, %arg1 : (tensor<?x?x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x2304xf32>
  %2 = loom.linear %arg0, %arg3 transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
  %3 = loom.linear %arg0, %arg3, %arg4 transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
  return %0, %1, %2, %3 : tensor<?x?x2304xf32>, tensor<?x?x2304xf32>, tensor<?x?x3072xf32>, tensor<?x?x3072xf32>
}

// CHECK-LABEL: func.func @linear_bf16(
// CHECK-NEXT:    %0 = loom.linear %arg0, %arg1, %arg2 : (tensor<8x64xbf16>, tensor<64x32xbf16>, tensor<?xbf16>) -> tensor<8x32xbf16>
// CHECK-NEXT:    return %0 : tensor<8x32xbf16>
// CHECK-NEXT:  }
func.func @linear_bf16(%arg0: tensor<8x64xbf16>, %arg1: tensor<64x32xbf16>, %arg2: tensor<?xbf16>) -> tensor<8x32xbf16> {
  %0 = loom.linear %arg0, %arg1, %arg2 : (tensor<8x64xbf16>, tensor<64x32xbf16>, tensor<?xbf16>) -> tensor<8x32xbf16>
  return %0 : tensor<8x32xbf16>
}

//===----------------------------------------------------------------------===//
// Normalization and softmax
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm(
// CHECK-NEXT:    %0 = loom.layer_norm %arg0, %arg1, %arg2 epsilon = 1.000000e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
// CHECK-NEXT:    %1 = loom.layer_norm %arg0, %arg1 epsilon = 9.9999999999999998E-13 : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x?x768xf32>, tensor<?x?x768xf32>
// CHECK-NEXT:  }
func.func @layer_norm(%arg0: tensor<?x?x768xf32>, %arg1: tensor<768xf32>, %arg2: tensor<768xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>) {
  %0 = loom.layer_norm %arg0, %arg1, %arg2 epsilon = 1.000000e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %1 = loom.layer_norm %arg0, %arg1 epsilon = 9.9999999999999998E-13 : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %0, %1 : tensor<?x?x768xf32>, tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @layer_norm_bf16(
// CHECK-NEXT:    %0 = loom.layer_norm %arg0, %arg1, %arg1 epsilon = 0.000000e+00 : (tensor<4x?xbf16>, tensor<?xbf16>, tensor<?xbf16>) -> tensor<4x?xbf16>
// CHECK-NEXT:    return %0 : tensor<4x?xbf16>
// CHECK-NEXT:  }
func.func @layer_norm_bf16(%arg0: tensor<4x?xbf16>, %arg1: tensor<?xbf16>) -> tensor<4x?xbf16> {
  %0 = loom.layer_norm %arg0, %arg1, %arg1 epsilon = 0.000000e+00 : (tensor<4x?xbf16>, tensor<?xbf16>, tensor<?xbf16>) -> tensor<4x?xbf16>
  return %0 : tensor<4x?xbf16>
}

// CHECK-LABEL: func.func @rms_norm(
// CHECK-NEXT:    %0 = loom.rms_norm %arg0, %arg1 epsilon = 9.9999999999999995E-7 : (tensor<?x512xf32>, tensor<512xf32>) -> tensor<?x512xf32>
// CHECK-NEXT:    %1 = loom.rms_norm %arg2, %arg3 epsilon = 1.000000e-05 : (tensor<8xf16>, tensor<8xf16>) -> tensor<8xf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x512xf32>, tensor<8xf16>
// CHECK-NEXT:  }
func.func @rms_norm(%arg0: tensor<?x512xf32>, %arg1: tensor<512xf32>, %arg2: tensor<8xf16>, %arg3: tensor<8xf16>) -> (tensor<?x512xf32>, tensor<8xf16>) {
  %0 = loom.rms_norm %arg0, %arg1 epsilon = 9.9999999999999995E-7 : (tensor<?x512xf32>, tensor<512xf32>) -> tensor<?x512xf32>
  %1 = loom.rms_norm %arg2, %arg3 epsilon = 1.000000e-05 : (tensor<8xf16>, tensor<8xf16>) -> tensor<8xf16>
  return %0, %1 : tensor<?x512xf32>, tensor<8xf16>
}

// CHECK-LABEL: func.func @l2_normalize(
// CHECK-NEXT:    %0 = loom.l2_normalize %arg0 axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<?x512xf32>) -> tensor<?x512xf32>
// CHECK-NEXT:    %1 = loom.l2_normalize %arg1 axis = 0 epsilon = 0.000000e+00 : (tensor<4x3xbf16>) -> tensor<4x3xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x512xf32>, tensor<4x3xbf16>
// CHECK-NEXT:  }
func.func @l2_normalize(%arg0: tensor<?x512xf32>, %arg1: tensor<4x3xbf16>) -> (tensor<?x512xf32>, tensor<4x3xbf16>) {
  %0 = loom.l2_normalize %arg0 axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  %1 = loom.l2_normalize %arg1 axis = 0 epsilon = 0.000000e+00 : (tensor<4x3xbf16>) -> tensor<4x3xbf16>
  return %0, %1 : tensor<?x512xf32>, tensor<4x3xbf16>
}

// CHECK-LABEL: func.func @softmax(
// CHECK-NEXT:    %0 = loom.softmax %arg0 axis = -1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    %1 = loom.softmax %arg0 mask(%arg1) causal axis = -1 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    %2 = loom.softmax %arg0 mask(%arg1) axis = 3 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    %3 = loom.softmax %arg0 causal axis = -1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    %4 = loom.softmax %arg0 axis = 1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
// CHECK-NEXT:    return %0, %1, %2, %3, %4 : tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>
// CHECK-NEXT:  }
func.func @softmax(%arg0: tensor<?x12x?x?xf32>, %arg1: tensor<?x1x1x?xi1>) -> (tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>) {
  %0 = loom.softmax %arg0 axis = -1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
  %1 = loom.softmax %arg0 mask(%arg1) causal axis = -1 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
  %2 = loom.softmax %arg0 mask(%arg1) axis = 3 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
  %3 = loom.softmax %arg0 causal axis = -1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
  %4 = loom.softmax %arg0 axis = 1 : (tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32>
  return %0, %1, %2, %3, %4 : tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>
}

// CHECK-LABEL: func.func @softmax_low_precision(
// CHECK-NEXT:    %0 = loom.softmax %arg0 mask(%arg1) axis = 1 : (tensor<4x8xbf16>, tensor<8xi1>) -> tensor<4x8xbf16>
// CHECK-NEXT:    %1 = loom.softmax %arg2 causal axis = 1 : (tensor<3x3xf16>) -> tensor<3x3xf16>
// CHECK-NEXT:    return %0, %1 : tensor<4x8xbf16>, tensor<3x3xf16>
// CHECK-NEXT:  }
func.func @softmax_low_precision(%arg0: tensor<4x8xbf16>, %arg1: tensor<8xi1>, %arg2: tensor<3x3xf16>) -> (tensor<4x8xbf16>, tensor<3x3xf16>) {
  %0 = loom.softmax %arg0 mask(%arg1) axis = 1 : (tensor<4x8xbf16>, tensor<8xi1>) -> tensor<4x8xbf16>
  %1 = loom.softmax %arg2 causal axis = 1 : (tensor<3x3xf16>) -> tensor<3x3xf16>
  return %0, %1 : tensor<4x8xbf16>, tensor<3x3xf16>
}

// CHECK-LABEL: func.func @log_softmax(
// CHECK-NEXT:    %0 = loom.log_softmax %arg0 axis = -1 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
// CHECK-NEXT:    %1 = loom.log_softmax %arg0 axis = 0 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
// CHECK-NEXT:    %2 = loom.log_softmax %arg0 mask(%arg1) axis = 1 : (tensor<?x50257xf32>, tensor<?x1xi1>) -> tensor<?x50257xf32>
// CHECK-NEXT:    %3 = loom.log_softmax %arg2 causal axis = 2 : (tensor<2x5x5xbf16>) -> tensor<2x5x5xbf16>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<2x5x5xbf16>
// CHECK-NEXT:  }
func.func @log_softmax(%arg0: tensor<?x50257xf32>, %arg1: tensor<?x1xi1>, %arg2: tensor<2x5x5xbf16>) -> (tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<2x5x5xbf16>) {
  %0 = loom.log_softmax %arg0 axis = -1 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
  %1 = loom.log_softmax %arg0 axis = 0 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
  %2 = loom.log_softmax %arg0 mask(%arg1) axis = 1 : (tensor<?x50257xf32>, tensor<?x1xi1>) -> tensor<?x50257xf32>
  %3 = loom.log_softmax %arg2 causal axis = 2 : (tensor<2x5x5xbf16>) -> tensor<2x5x5xbf16>
  return %0, %1, %2, %3 : tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<?x50257xf32>, tensor<2x5x5xbf16>
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention_self(
// CHECK-NEXT:    %0 = loom.attention %arg0, %arg0, %arg0 causal : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK-NEXT:    %1 = loom.attention %arg0, %arg0, %arg0 : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>
// CHECK-NEXT:  }
func.func @attention_self(%arg0: tensor<?x12x?x64xf32>) -> (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) {
  %0 = loom.attention %arg0, %arg0, %arg0 causal : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  %1 = loom.attention %arg0, %arg0, %arg0 : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  return %0, %1 : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>
}

// CHECK-LABEL: func.func @attention_cross_masked(
// CHECK-NEXT:    %0 = loom.attention %arg0, %arg1, %arg2 mask(%arg3) {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x32xf32>
// CHECK-NEXT:    %1 = loom.attention %arg0, %arg1, %arg2 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x32xf32>
// CHECK-NEXT:    return %0, %1 : tensor<2x8x5x32xf32>, tensor<2x8x5x32xf32>
// CHECK-NEXT:  }
func.func @attention_cross_masked(%arg0: tensor<2x8x5x64xf32>, %arg1: tensor<2x8x7x64xf32>, %arg2: tensor<2x8x7x32xf32>, %arg3: tensor<2x1x1x7xi1>) -> (tensor<2x8x5x32xf32>, tensor<2x8x5x32xf32>) {
  %0 = loom.attention %arg0, %arg1, %arg2 mask(%arg3) {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x32xf32>
  %1 = loom.attention %arg0, %arg1, %arg2 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x32xf32>
  return %0, %1 : tensor<2x8x5x32xf32>, tensor<2x8x5x32xf32>
}

// The training step's attention: log-sum-exp and the blocked backward.
// CHECK-LABEL: func.func @attention_lse_grad(
// CHECK-NEXT:    %0 = loom.attention_lse %arg0, %arg1 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5xf32>
// CHECK-NEXT:    %grad_query, %grad_key, %grad_value = loom.attention_grad %arg0, %arg1, %arg2, %arg4, %0, %arg4 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x8x5x32xf32>, tensor<2x8x5xf32>, tensor<2x8x5x32xf32>, tensor<2x1x1x7xi1>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>)
// CHECK-NEXT:    %1 = loom.attention_lse %arg0, %arg1 {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>) -> tensor<2x8x5xf32>
// CHECK-NEXT:    %grad_query_0, %grad_key_1, %grad_value_2 = loom.attention_grad %arg0, %arg1, %arg2, %arg4, %1, %arg4 {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x8x5x32xf32>, tensor<2x8x5xf32>, tensor<2x8x5x32xf32>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>)
// CHECK-NEXT:    return %grad_query, %grad_key, %grad_value_2 : tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>
// CHECK-NEXT:  }
func.func @attention_lse_grad(%arg0: tensor<2x8x5x64xf32>, %arg1: tensor<2x8x7x64xf32>, %arg2: tensor<2x8x7x32xf32>, %arg3: tensor<2x1x1x7xi1>, %arg4: tensor<2x8x5x32xf32>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>) {
  %0 = loom.attention_lse %arg0, %arg1 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5xf32>
  %1:3 = loom.attention_grad %arg0, %arg1, %arg2, %arg4, %0, %arg4 mask(%arg3) causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x8x5x32xf32>, tensor<2x8x5xf32>, tensor<2x8x5x32xf32>, tensor<2x1x1x7xi1>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>)
  %2 = loom.attention_lse %arg0, %arg1 {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>) -> tensor<2x8x5xf32>
  %3:3 = loom.attention_grad %arg0, %arg1, %arg2, %arg4, %2, %arg4 {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>, tensor<2x8x5x32xf32>, tensor<2x8x5xf32>, tensor<2x8x5x32xf32>) -> (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>)
  return %1#0, %1#1, %3#2 : tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x32xf32>
}

// CHECK-LABEL: func.func @attention_dynamic_head_dim_with_scale(
// CHECK-NEXT:    %0 = loom.attention %arg0, %arg1, %arg1 {scale = 5.000000e-01 : f64} : (tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x?xbf16>) -> tensor<?x?xbf16>
// CHECK-NEXT:    return %0 : tensor<?x?xbf16>
// CHECK-NEXT:  }
func.func @attention_dynamic_head_dim_with_scale(%arg0: tensor<?x?xbf16>, %arg1: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %0 = loom.attention %arg0, %arg1, %arg1 {scale = 5.000000e-01 : f64} : (tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x?xbf16>) -> tensor<?x?xbf16>
  return %0 : tensor<?x?xbf16>
}

//===----------------------------------------------------------------------===//
// Vision
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @patchify(
// CHECK-NEXT:    %0 = loom.patchify %arg0 patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %1 = loom.patchify %arg1 patch = 8 : (tensor<2x?x?x32xbf16>) -> tensor<2x?x?xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x196x768xf32>, tensor<2x?x?xbf16>
// CHECK-NEXT:  }
func.func @patchify(%arg0: tensor<?x3x224x224xf32>, %arg1: tensor<2x?x?x32xbf16>) -> (tensor<?x196x768xf32>, tensor<2x?x?xbf16>) {
  %0 = loom.patchify %arg0 patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x768xf32>
  %1 = loom.patchify %arg1 patch = 8 : (tensor<2x?x?x32xbf16>) -> tensor<2x?x?xbf16>
  return %0, %1 : tensor<?x196x768xf32>, tensor<2x?x?xbf16>
}

// CHECK-LABEL: func.func @patch_embed(
// CHECK-NEXT:    %0 = loom.patch_embed %arg0, %arg1, %arg2 patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %1 = loom.patch_embed %arg0, %arg1 patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x196x768xf32>, tensor<?x196x768xf32>
// CHECK-NEXT:  }
func.func @patch_embed(%arg0: tensor<?x3x224x224xf32>, %arg1: tensor<768x3x16x16xf32>, %arg2: tensor<768xf32>) -> (tensor<?x196x768xf32>, tensor<?x196x768xf32>) {
  %0 = loom.patch_embed %arg0, %arg1, %arg2 patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x196x768xf32>
  %1 = loom.patch_embed %arg0, %arg1 patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>) -> tensor<?x196x768xf32>
  return %0, %1 : tensor<?x196x768xf32>, tensor<?x196x768xf32>
}

// CHECK-LABEL: func.func @patch_embed_f16(
// CHECK-NEXT:    %0 = loom.patch_embed %arg0, %arg1 patch = 4 : (tensor<1x1x8x8xf16>, tensor<?x1x4x4xf16>) -> tensor<1x4x?xf16>
// CHECK-NEXT:    return %0 : tensor<1x4x?xf16>
// CHECK-NEXT:  }
func.func @patch_embed_f16(%arg0: tensor<1x1x8x8xf16>, %arg1: tensor<?x1x4x4xf16>) -> tensor<1x4x?xf16> {
  %0 = loom.patch_embed %arg0, %arg1 patch = 4 : (tensor<1x1x8x8xf16>, tensor<?x1x4x4xf16>) -> tensor<1x4x?xf16>
  return %0 : tensor<1x4x?xf16>
}

// CHECK-LABEL: func.func @prepend_token(
// CHECK-NEXT:    %0 = loom.prepend_token %arg0, %arg1 : (tensor<?x196x768xf32>, tensor<1x1x768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    %1 = loom.prepend_token %arg0, %arg2 : (tensor<?x196x768xf32>, tensor<1x768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    %2 = loom.prepend_token %arg0, %arg3 : (tensor<?x196x768xf32>, tensor<768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x197x768xf32>, tensor<?x197x768xf32>, tensor<?x197x768xf32>
// CHECK-NEXT:  }
func.func @prepend_token(%arg0: tensor<?x196x768xf32>, %arg1: tensor<1x1x768xf32>, %arg2: tensor<1x768xf32>, %arg3: tensor<768xf32>) -> (tensor<?x197x768xf32>, tensor<?x197x768xf32>, tensor<?x197x768xf32>) {
  %0 = loom.prepend_token %arg0, %arg1 : (tensor<?x196x768xf32>, tensor<1x1x768xf32>) -> tensor<?x197x768xf32>
  %1 = loom.prepend_token %arg0, %arg2 : (tensor<?x196x768xf32>, tensor<1x768xf32>) -> tensor<?x197x768xf32>
  %2 = loom.prepend_token %arg0, %arg3 : (tensor<?x196x768xf32>, tensor<768xf32>) -> tensor<?x197x768xf32>
  return %0, %1, %2 : tensor<?x197x768xf32>, tensor<?x197x768xf32>, tensor<?x197x768xf32>
}

// CHECK-LABEL: func.func @prepend_token_dynamic(
// CHECK-NEXT:    %0 = loom.prepend_token %arg0, %arg1 : (tensor<?x?x?xbf16>, tensor<1x1x64xbf16>) -> tensor<?x?x64xbf16>
// CHECK-NEXT:    return %0 : tensor<?x?x64xbf16>
// CHECK-NEXT:  }
func.func @prepend_token_dynamic(%arg0: tensor<?x?x?xbf16>, %arg1: tensor<1x1x64xbf16>) -> tensor<?x?x64xbf16> {
  %0 = loom.prepend_token %arg0, %arg1 : (tensor<?x?x?xbf16>, tensor<1x1x64xbf16>) -> tensor<?x?x64xbf16>
  return %0 : tensor<?x?x64xbf16>
}
