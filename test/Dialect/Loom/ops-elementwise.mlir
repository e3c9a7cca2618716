// Round trip of the elementwise, constant, cast and dropout ops: the custom
// form prints back unchanged, and the generic form parses into the same ops.
// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant_f32_scalar(
// CHECK-NEXT:    %0 = loom.constant dense<9.99999974E-6> : tensor<f32>
// CHECK-NEXT:    return %0 : tensor<f32>
// CHECK-NEXT:  }
func.func @constant_f32_scalar() -> tensor<f32> {
  %0 = loom.constant dense<9.99999974E-6> : tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @constant_f32_dense(
// CHECK-NEXT:    %0 = loom.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:    return %0 : tensor<2x2xf32>
// CHECK-NEXT:  }
func.func @constant_f32_dense() -> tensor<2x2xf32> {
  %0 = loom.constant dense<[[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @constant_other_types(
// CHECK-NEXT:    %0 = loom.constant dense<[1, 2, 3]> : tensor<3xi32>
// CHECK-NEXT:    %1 = loom.constant dense<-100> : tensor<i64>
// CHECK-NEXT:    %2 = loom.constant dense<[true, false]> : tensor<2xi1>
// CHECK-NEXT:    %3 = loom.constant dense<5.000000e-01> : tensor<4xbf16>
// CHECK-NEXT:    %4 = loom.constant dense<0xFC00> : tensor<4xf16>
// CHECK-NEXT:    return %0, %1, %2, %3, %4 : tensor<3xi32>, tensor<i64>, tensor<2xi1>, tensor<4xbf16>, tensor<4xf16>
// CHECK-NEXT:  }
func.func @constant_other_types() -> (tensor<3xi32>, tensor<i64>, tensor<2xi1>, tensor<4xbf16>, tensor<4xf16>) {
  %0 = loom.constant dense<[1, 2, 3]> : tensor<3xi32>
  %1 = loom.constant dense<-100> : tensor<i64>
  %2 = loom.constant dense<[true, false]> : tensor<2xi1>
  %3 = loom.constant dense<5.000000e-01> : tensor<4xbf16>
  %4 = loom.constant dense<0xFC00> : tensor<4xf16>
  return %0, %1, %2, %3, %4 : tensor<3xi32>, tensor<i64>, tensor<2xi1>, tensor<4xbf16>, tensor<4xf16>
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add(
// CHECK-NEXT:    %0 = loom.add %arg0, %arg1 : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
// CHECK-NEXT:    return %0 : tensor<?x128x768xf32>
// CHECK-NEXT:  }
func.func @add(%arg0: tensor<?x128x768xf32>, %arg1: tensor<768xf32>) -> tensor<?x128x768xf32> {
  %0 = loom.add %arg0, %arg1 : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  return %0 : tensor<?x128x768xf32>
}

// CHECK-LABEL: func.func @add_int_and_scalar(
// CHECK-NEXT:    %0 = loom.add %arg0, %arg1 : (tensor<4x?xi32>, tensor<i32>) -> tensor<4x?xi32>
// CHECK-NEXT:    %1 = loom.add %arg2, %arg2 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
// CHECK-NEXT:    return %0, %1 : tensor<4x?xi32>, tensor<2xi64>
// CHECK-NEXT:  }
func.func @add_int_and_scalar(%arg0: tensor<4x?xi32>, %arg1: tensor<i32>, %arg2: tensor<2xi64>) -> (tensor<4x?xi32>, tensor<2xi64>) {
  %0 = loom.add %arg0, %arg1 : (tensor<4x?xi32>, tensor<i32>) -> tensor<4x?xi32>
  %1 = loom.add %arg2, %arg2 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1 : tensor<4x?xi32>, tensor<2xi64>
}

// CHECK-LABEL: func.func @add_less_static_result(
// CHECK-NEXT:    %0 = loom.add %arg0, %arg1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
// CHECK-NEXT:    return %0 : tensor<?x?xf32>
// CHECK-NEXT:  }
func.func @add_less_static_result(%arg0: tensor<2x3xf32>, %arg1: tensor<3xf32>) -> tensor<?x?xf32> {
  %0 = loom.add %arg0, %arg1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @sub(
// CHECK-NEXT:    %0 = loom.sub %arg0, %arg1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %1 = loom.sub %arg2, %arg2 : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
// CHECK-NEXT:    return %0, %1 : tensor<4x8xf32>, tensor<?xi64>
// CHECK-NEXT:  }
func.func @sub(%arg0: tensor<4x8xf32>, %arg1: tensor<4x1xf32>, %arg2: tensor<?xi64>) -> (tensor<4x8xf32>, tensor<?xi64>) {
  %0 = loom.sub %arg0, %arg1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %1 = loom.sub %arg2, %arg2 : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
  return %0, %1 : tensor<4x8xf32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @mul(
// CHECK-NEXT:    %0 = loom.mul %arg0, %arg1 : (tensor<4x8xbf16>, tensor<8xbf16>) -> tensor<4x8xbf16>
// CHECK-NEXT:    %1 = loom.mul %arg2, %arg3 : (tensor<2x1x3xf16>, tensor<5x1xf16>) -> tensor<2x5x3xf16>
// CHECK-NEXT:    return %0, %1 : tensor<4x8xbf16>, tensor<2x5x3xf16>
// CHECK-NEXT:  }
func.func @mul(%arg0: tensor<4x8xbf16>, %arg1: tensor<8xbf16>, %arg2: tensor<2x1x3xf16>, %arg3: tensor<5x1xf16>) -> (tensor<4x8xbf16>, tensor<2x5x3xf16>) {
  %0 = loom.mul %arg0, %arg1 : (tensor<4x8xbf16>, tensor<8xbf16>) -> tensor<4x8xbf16>
  %1 = loom.mul %arg2, %arg3 : (tensor<2x1x3xf16>, tensor<5x1xf16>) -> tensor<2x5x3xf16>
  return %0, %1 : tensor<4x8xbf16>, tensor<2x5x3xf16>
}

// CHECK-LABEL: func.func @div(
// CHECK-NEXT:    %0 = loom.div %arg0, %arg1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %1 = loom.div %arg2, %arg2 : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
// CHECK-NEXT:    return %0, %1 : tensor<4x8xf32>, tensor<3xi32>
// CHECK-NEXT:  }
func.func @div(%arg0: tensor<4x8xf32>, %arg1: tensor<4x1xf32>, %arg2: tensor<3xi32>) -> (tensor<4x8xf32>, tensor<3xi32>) {
  %0 = loom.div %arg0, %arg1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %1 = loom.div %arg2, %arg2 : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0, %1 : tensor<4x8xf32>, tensor<3xi32>
}

// CHECK-LABEL: func.func @maximum(
// CHECK-NEXT:    %0 = loom.maximum %arg0, %arg1 : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
// CHECK-NEXT:    %1 = loom.maximum %arg2, %arg3 : (tensor<?x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
// CHECK-NEXT:    return %0, %1 : tensor<4x1xf32>, tensor<?x?xi64>
// CHECK-NEXT:  }
func.func @maximum(%arg0: tensor<4x1xf32>, %arg1: tensor<f32>, %arg2: tensor<?x?xi64>, %arg3: tensor<?x1xi64>) -> (tensor<4x1xf32>, tensor<?x?xi64>) {
  %0 = loom.maximum %arg0, %arg1 : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %1 = loom.maximum %arg2, %arg3 : (tensor<?x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<4x1xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @pow(
// CHECK-NEXT:    %0 = loom.pow %arg0, %arg1 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %1 = loom.pow %arg2, %arg3 : (tensor<?x8xbf16>, tensor<1x8xbf16>) -> tensor<?x8xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<4x8xf32>, tensor<?x8xbf16>
// CHECK-NEXT:  }
func.func @pow(%arg0: tensor<4x8xf32>, %arg1: tensor<f32>, %arg2: tensor<?x8xbf16>, %arg3: tensor<1x8xbf16>) -> (tensor<4x8xf32>, tensor<?x8xbf16>) {
  %0 = loom.pow %arg0, %arg1 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %1 = loom.pow %arg2, %arg3 : (tensor<?x8xbf16>, tensor<1x8xbf16>) -> tensor<?x8xbf16>
  return %0, %1 : tensor<4x8xf32>, tensor<?x8xbf16>
}

// CHECK-LABEL: func.func @compare(
// CHECK-NEXT:    %0 = loom.compare eq, %arg0, %arg1 : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
// CHECK-NEXT:    %1 = loom.compare ne, %arg0, %arg1 : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
// CHECK-NEXT:    %2 = loom.compare lt, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
// CHECK-NEXT:    %3 = loom.compare le, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
// CHECK-NEXT:    %4 = loom.compare gt, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
// CHECK-NEXT:    %5 = loom.compare ge, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
// CHECK-NEXT:    return %0, %1, %2, %3, %4, %5 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>
// CHECK-NEXT:  }
func.func @compare(%arg0: tensor<?x?xi32>, %arg1: tensor<i32>, %arg2: tensor<4xf32>, %arg3: tensor<2x1xf32>) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>) {
  %0 = loom.compare eq, %arg0, %arg1 : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
  %1 = loom.compare ne, %arg0, %arg1 : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
  %2 = loom.compare lt, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
  %3 = loom.compare le, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
  %4 = loom.compare gt, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
  %5 = loom.compare ge, %arg2, %arg3 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>, tensor<2x4xi1>
}

// CHECK-LABEL: func.func @compare_i64(
// CHECK-NEXT:    %0 = loom.compare lt, %arg0, %arg1 : (tensor<8xi64>, tensor<8xi64>) -> tensor<8xi1>
// CHECK-NEXT:    return %0 : tensor<8xi1>
// CHECK-NEXT:  }
func.func @compare_i64(%arg0: tensor<8xi64>, %arg1: tensor<8xi64>) -> tensor<8xi1> {
  %0 = loom.compare lt, %arg0, %arg1 : (tensor<8xi64>, tensor<8xi64>) -> tensor<8xi1>
  return %0 : tensor<8xi1>
}

// CHECK-LABEL: func.func @select(
// CHECK-NEXT:    %0 = loom.select %arg0, %arg1, %arg2 : (tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
// CHECK-NEXT:    return %0 : tensor<2x4x8x8xf32>
// CHECK-NEXT:  }
func.func @select(%arg0: tensor<1x1x8x8xi1>, %arg1: tensor<2x4x8x8xf32>, %arg2: tensor<f32>) -> tensor<2x4x8x8xf32> {
  %0 = loom.select %arg0, %arg1, %arg2 : (tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  return %0 : tensor<2x4x8x8xf32>
}

// CHECK-LABEL: func.func @select_int(
// CHECK-NEXT:    %0 = loom.select %arg0, %arg1, %arg2 : (tensor<?xi1>, tensor<?xi32>, tensor<i32>) -> tensor<?xi32>
// CHECK-NEXT:    %1 = loom.select %arg0, %arg3, %arg3 : (tensor<?xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
// CHECK-NEXT:    return %0, %1 : tensor<?xi32>, tensor<3xi64>
// CHECK-NEXT:  }
func.func @select_int(%arg0: tensor<?xi1>, %arg1: tensor<?xi32>, %arg2: tensor<i32>, %arg3: tensor<3xi64>) -> (tensor<?xi32>, tensor<3xi64>) {
  %0 = loom.select %arg0, %arg1, %arg2 : (tensor<?xi1>, tensor<?xi32>, tensor<i32>) -> tensor<?xi32>
  %1 = loom.select %arg0, %arg3, %arg3 : (tensor<?xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0, %1 : tensor<?xi32>, tensor<3xi64>
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @neg(
// CHECK-NEXT:    %0 = loom.neg %arg0 : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %1 = loom.neg %arg1 : (tensor<?x2xi32>) -> tensor<?x2xi32>
// CHECK-NEXT:    %2 = loom.neg %arg2 : (tensor<i64>) -> tensor<i64>
// CHECK-NEXT:    %3 = loom.neg %arg3 : (tensor<3xbf16>) -> tensor<3xbf16>
// CHECK-NEXT:    return %0, %1, %2, %3 : tensor<4xf32>, tensor<?x2xi32>, tensor<i64>, tensor<3xbf16>
// CHECK-NEXT:  }
func.func @neg(%arg0: tensor<4xf32>, %arg1: tensor<?x2xi32>, %arg2: tensor<i64>, %arg3: tensor<3xbf16>) -> (tensor<4xf32>, tensor<?x2xi32>, tensor<i64>, tensor<3xbf16>) {
  %0 = loom.neg %arg0 : (tensor<4xf32>) -> tensor<4xf32>
  %1 = loom.neg %arg1 : (tensor<?x2xi32>) -> tensor<?x2xi32>
  %2 = loom.neg %arg2 : (tensor<i64>) -> tensor<i64>
  %3 = loom.neg %arg3 : (tensor<3xbf16>) -> tensor<3xbf16>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<?x2xi32>, tensor<i64>, tensor<3xbf16>
}

// CHECK-LABEL: func.func @exp(
// CHECK-NEXT:    %0 = loom.exp %arg0 : (tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK-NEXT:    %1 = loom.exp %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
// CHECK-NEXT:    %2 = loom.exp %arg2 : (tensor<f16>) -> tensor<f16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x64xf32>, tensor<8xbf16>, tensor<f16>
// CHECK-NEXT:  }
func.func @exp(%arg0: tensor<?x64xf32>, %arg1: tensor<8xbf16>, %arg2: tensor<f16>) -> (tensor<?x64xf32>, tensor<8xbf16>, tensor<f16>) {
  %0 = loom.exp %arg0 : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = loom.exp %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
  %2 = loom.exp %arg2 : (tensor<f16>) -> tensor<f16>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<8xbf16>, tensor<f16>
}

// CHECK-LABEL: func.func @log(
// CHECK-NEXT:    %0 = loom.log %arg0 : (tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK-NEXT:    %1 = loom.log %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x64xf32>, tensor<8xbf16>
// CHECK-NEXT:  }
func.func @log(%arg0: tensor<?x64xf32>, %arg1: tensor<8xbf16>) -> (tensor<?x64xf32>, tensor<8xbf16>) {
  %0 = loom.log %arg0 : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = loom.log %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
  return %0, %1 : tensor<?x64xf32>, tensor<8xbf16>
}

// CHECK-LABEL: func.func @sqrt(
// CHECK-NEXT:    %0 = loom.sqrt %arg0 : (tensor<?x1xf32>) -> tensor<?x1xf32>
// CHECK-NEXT:    %1 = loom.sqrt %arg1 : (tensor<4xf16>) -> tensor<4xf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x1xf32>, tensor<4xf16>
// CHECK-NEXT:  }
func.func @sqrt(%arg0: tensor<?x1xf32>, %arg1: tensor<4xf16>) -> (tensor<?x1xf32>, tensor<4xf16>) {
  %0 = loom.sqrt %arg0 : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %1 = loom.sqrt %arg1 : (tensor<4xf16>) -> tensor<4xf16>
  return %0, %1 : tensor<?x1xf32>, tensor<4xf16>
}

// CHECK-LABEL: func.func @rsqrt(
// CHECK-NEXT:    %0 = loom.rsqrt %arg0 : (tensor<?x1xf32>) -> tensor<?x1xf32>
// CHECK-NEXT:    %1 = loom.rsqrt %arg1 : (tensor<4xbf16>) -> tensor<4xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x1xf32>, tensor<4xbf16>
// CHECK-NEXT:  }
func.func @rsqrt(%arg0: tensor<?x1xf32>, %arg1: tensor<4xbf16>) -> (tensor<?x1xf32>, tensor<4xbf16>) {
  %0 = loom.rsqrt %arg0 : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %1 = loom.rsqrt %arg1 : (tensor<4xbf16>) -> tensor<4xbf16>
  return %0, %1 : tensor<?x1xf32>, tensor<4xbf16>
}

// CHECK-LABEL: func.func @erf(
// CHECK-NEXT:    %0 = loom.erf %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK-NEXT:    %1 = loom.erf %arg1 : (tensor<2xf16>) -> tensor<2xf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x3072xf32>, tensor<2xf16>
// CHECK-NEXT:  }
func.func @erf(%arg0: tensor<?x3072xf32>, %arg1: tensor<2xf16>) -> (tensor<?x3072xf32>, tensor<2xf16>) {
  %0 = loom.erf %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %1 = loom.erf %arg1 : (tensor<2xf16>) -> tensor<2xf16>
  return %0, %1 : tensor<?x3072xf32>, tensor<2xf16>
}

// CHECK-LABEL: func.func @tanh(
// CHECK-NEXT:    %0 = loom.tanh %arg0 : (tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK-NEXT:    %1 = loom.tanh %arg1 : (tensor<2xbf16>) -> tensor<2xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x?xf32>, tensor<2xbf16>
// CHECK-NEXT:  }
func.func @tanh(%arg0: tensor<?x?xf32>, %arg1: tensor<2xbf16>) -> (tensor<?x?xf32>, tensor<2xbf16>) {
  %0 = loom.tanh %arg0 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %1 = loom.tanh %arg1 : (tensor<2xbf16>) -> tensor<2xbf16>
  return %0, %1 : tensor<?x?xf32>, tensor<2xbf16>
}

// CHECK-LABEL: func.func @sigmoid(
// CHECK-NEXT:    %0 = loom.sigmoid %arg0 : (tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %1 = loom.sigmoid %arg1 : (tensor<f16>) -> tensor<f16>
// CHECK-NEXT:    return %0, %1 : tensor<3x4xf32>, tensor<f16>
// CHECK-NEXT:  }
func.func @sigmoid(%arg0: tensor<3x4xf32>, %arg1: tensor<f16>) -> (tensor<3x4xf32>, tensor<f16>) {
  %0 = loom.sigmoid %arg0 : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = loom.sigmoid %arg1 : (tensor<f16>) -> tensor<f16>
  return %0, %1 : tensor<3x4xf32>, tensor<f16>
}

// CHECK-LABEL: func.func @relu(
// CHECK-NEXT:    %0 = loom.relu %arg0 : (tensor<?x512xf32>) -> tensor<?x512xf32>
// CHECK-NEXT:    %1 = loom.relu %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x512xf32>, tensor<8xbf16>
// CHECK-NEXT:  }
func.func @relu(%arg0: tensor<?x512xf32>, %arg1: tensor<8xbf16>) -> (tensor<?x512xf32>, tensor<8xbf16>) {
  %0 = loom.relu %arg0 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  %1 = loom.relu %arg1 : (tensor<8xbf16>) -> tensor<8xbf16>
  return %0, %1 : tensor<?x512xf32>, tensor<8xbf16>
}

// CHECK-LABEL: func.func @silu(
// CHECK-NEXT:    %0 = loom.silu %arg0 : (tensor<?x1376xf32>) -> tensor<?x1376xf32>
// CHECK-NEXT:    %1 = loom.silu %arg1 : (tensor<8xf16>) -> tensor<8xf16>
// CHECK-NEXT:    return %0, %1 : tensor<?x1376xf32>, tensor<8xf16>
// CHECK-NEXT:  }
func.func @silu(%arg0: tensor<?x1376xf32>, %arg1: tensor<8xf16>) -> (tensor<?x1376xf32>, tensor<8xf16>) {
  %0 = loom.silu %arg0 : (tensor<?x1376xf32>) -> tensor<?x1376xf32>
  %1 = loom.silu %arg1 : (tensor<8xf16>) -> tensor<8xf16>
  return %0, %1 : tensor<?x1376xf32>, tensor<8xf16>
}

// CHECK-LABEL: func.func @gelu(
// CHECK-NEXT:    %0 = loom.gelu tanh %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK-NEXT:    %1 = loom.gelu erf %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK-NEXT:    %2 = loom.gelu erf %arg1 : (tensor<4xbf16>) -> tensor<4xbf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<4xbf16>
// CHECK-NEXT:  }
func.func @gelu(%arg0: tensor<?x3072xf32>, %arg1: tensor<4xbf16>) -> (tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<4xbf16>) {
  %0 = loom.gelu tanh %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %1 = loom.gelu erf %arg0 : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %2 = loom.gelu erf %arg1 : (tensor<4xbf16>) -> tensor<4xbf16>
  return %0, %1, %2 : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<4xbf16>
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @cast(
// CHECK-NEXT:    %0 = loom.cast %arg0 to bf16 : (tensor<8x768xf32>) -> tensor<8x768xbf16>
// CHECK-NEXT:    %1 = loom.cast %arg0 to f16 : (tensor<8x768xf32>) -> tensor<8x768xf16>
// CHECK-NEXT:    %2 = loom.cast %arg0 to i32 : (tensor<8x768xf32>) -> tensor<8x768xi32>
// CHECK-NEXT:    %3 = loom.cast %arg1 to f32 : (tensor<?x?xi1>) -> tensor<?x?xf32>
// CHECK-NEXT:    %4 = loom.cast %arg2 to i32 : (tensor<?xi64>) -> tensor<?xi32>
// CHECK-NEXT:    %5 = loom.cast %arg1 to i64 : (tensor<?x?xi1>) -> tensor<?x?xi64>
// CHECK-NEXT:    %6 = loom.cast %arg0 to i1 : (tensor<8x768xf32>) -> tensor<8x768xi1>
// CHECK-NEXT:    return %0, %1, %2, %3, %4, %5, %6 : tensor<8x768xbf16>, tensor<8x768xf16>, tensor<8x768xi32>, tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi64>, tensor<8x768xi1>
// CHECK-NEXT:  }
func.func @cast(%arg0: tensor<8x768xf32>, %arg1: tensor<?x?xi1>, %arg2: tensor<?xi64>) -> (tensor<8x768xbf16>, tensor<8x768xf16>, tensor<8x768xi32>, tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi64>, tensor<8x768xi1>) {
  %0 = loom.cast %arg0 to bf16 : (tensor<8x768xf32>) -> tensor<8x768xbf16>
  %1 = loom.cast %arg0 to f16 : (tensor<8x768xf32>) -> tensor<8x768xf16>
  %2 = loom.cast %arg0 to i32 : (tensor<8x768xf32>) -> tensor<8x768xi32>
  %3 = loom.cast %arg1 to f32 : (tensor<?x?xi1>) -> tensor<?x?xf32>
  %4 = loom.cast %arg2 to i32 : (tensor<?xi64>) -> tensor<?xi32>
  %5 = loom.cast %arg1 to i64 : (tensor<?x?xi1>) -> tensor<?x?xi64>
  %6 = loom.cast %arg0 to i1 : (tensor<8x768xf32>) -> tensor<8x768xi1>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<8x768xbf16>, tensor<8x768xf16>, tensor<8x768xi32>, tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xi64>, tensor<8x768xi1>
}

// CHECK-LABEL: func.func @cast_same_type(
// CHECK-NEXT:    %0 = loom.cast %arg0 to bf16 : (tensor<4xbf16>) -> tensor<4xbf16>
// CHECK-NEXT:    return %0 : tensor<4xbf16>
// CHECK-NEXT:  }
func.func @cast_same_type(%arg0: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = loom.cast %arg0 to bf16 : (tensor<4xbf16>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @dropout_training(
// CHECK-NEXT:    %0 = loom.dropout %arg0 seed(%arg1) {rate = 1.000000e-01 : f64, stream = 3 : i64, training} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
// CHECK-NEXT:    return %0 : tensor<?x768xf32>
// CHECK-NEXT:  }
func.func @dropout_training(%arg0: tensor<?x768xf32>, %arg1: tensor<i64>) -> tensor<?x768xf32> {
  %0 = loom.dropout %arg0 seed(%arg1) {rate = 1.000000e-01 : f64, stream = 3 : i64, training} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @dropout_default_stream(
// CHECK-NEXT:    %0 = loom.dropout %arg0 seed(%arg1) {rate = 5.000000e-01 : f64, training} : (tensor<4x8xbf16>, tensor<i64>) -> tensor<4x8xbf16>
// CHECK-NEXT:    return %0 : tensor<4x8xbf16>
// CHECK-NEXT:  }
func.func @dropout_default_stream(%arg0: tensor<4x8xbf16>, %arg1: tensor<i64>) -> tensor<4x8xbf16> {
  %0 = loom.dropout %arg0 seed(%arg1) {rate = 5.000000e-01 : f64, training} : (tensor<4x8xbf16>, tensor<i64>) -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// CHECK-LABEL: func.func @dropout_inference(
// CHECK-NEXT:    %0 = loom.dropout %arg0 {rate = 1.000000e-01 : f64} : (tensor<?x768xf32>) -> tensor<?x768xf32>
// CHECK-NEXT:    return %0 : tensor<?x768xf32>
// CHECK-NEXT:  }
func.func @dropout_inference(%arg0: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %0 = loom.dropout %arg0 {rate = 1.000000e-01 : f64} : (tensor<?x768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @dropout_zero_rate_training_without_seed(
// CHECK-NEXT:    %0 = loom.dropout %arg0 {rate = 0.000000e+00 : f64, training} : (tensor<2xf16>) -> tensor<2xf16>
// CHECK-NEXT:    return %0 : tensor<2xf16>
// CHECK-NEXT:  }
func.func @dropout_zero_rate_training_without_seed(%arg0: tensor<2xf16>) -> tensor<2xf16> {
  %0 = loom.dropout %arg0 {rate = 0.000000e+00 : f64, training} : (tensor<2xf16>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// Generic forms: an optional seed left out, the default stream (0) left out.
// CHECK-LABEL: func.func @dropout_generic(
// CHECK-NEXT:    %0 = loom.dropout %arg0 seed(%arg1) {rate = 2.500000e-01 : f64, stream = 7 : i64, training} : (tensor<?x8xf32>, tensor<i64>) -> tensor<?x8xf32>
// CHECK-NEXT:    %1 = loom.dropout %0 {rate = 2.500000e-01 : f64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK-NEXT:    return %1 : tensor<?x8xf32>
func.func @dropout_generic(%arg0: tensor<?x8xf32>, %arg1: tensor<i64>) -> tensor<?x8xf32> {
  %0 = "loom.dropout"(%arg0, %arg1) <{rate = 2.500000e-01 : f64, stream = 7 : i64, training}> : (tensor<?x8xf32>, tensor<i64>) -> tensor<?x8xf32>
  %1 = "loom.dropout"(%0) <{rate = 2.500000e-01 : f64, stream = 0 : i64}> : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @compare_generic(
// CHECK-NEXT:    %0 = loom.compare ge, %arg0, %arg1 : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
func.func @compare_generic(%arg0: tensor<3xi32>, %arg1: tensor<3xi32>) -> tensor<3xi1> {
  %0 = "loom.compare"(%arg0, %arg1) <{predicate = 5 : i32}> : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}
