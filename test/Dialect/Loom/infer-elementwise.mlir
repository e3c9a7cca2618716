// Shape inference of the constant, broadcasting binary, compare/select, unary,
// cast and dropout ops: every result is declared with `?` dims, and loom-infer-
// shapes refines it (and the signature of the function, which nothing calls) to
// the inferred type.
// RUN: loom-opt %s --loom-infer-shapes | FileCheck %s
// RUN: loom-opt %s --loom-infer-shapes | loom-opt --loom-infer-shapes | FileCheck %s

// The generic form may declare a constant less statically than its value.
// CHECK-LABEL: func.func @constant_generic(
// CHECK-SAME:    ) -> tensor<2x3xf32> {
// CHECK-NEXT:    %0 = loom.constant dense<1.000000e+00> : tensor<2x3xf32>
// CHECK-NEXT:    return %0 : tensor<2x3xf32>
// CHECK-NEXT:  }
func.func @constant_generic() -> tensor<?x?xf32> {
  %0 = "loom.constant"() <{value = dense<1.0> : tensor<2x3xf32>}> : () -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// numpy broadcasting: [2,3]+[3] -> [2,3]; [?,1,768]+[4,768] -> [?,4,768];
// a `?` against a static dim other than 1 takes that dim: [?,3]+[5,1] -> [5,3].
// CHECK-LABEL: func.func @add_broadcast(
// CHECK-SAME:    %arg0: tensor<2x3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<?x1x768xf32>, %arg3: tensor<4x768xf32>, %arg4: tensor<?x3xf32>, %arg5: tensor<5x1xf32>) -> (tensor<2x3xf32>, tensor<?x4x768xf32>, tensor<5x3xf32>) {
// CHECK-NEXT:    %0 = loom.add %arg0, %arg1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %1 = loom.add %arg2, %arg3 : (tensor<?x1x768xf32>, tensor<4x768xf32>) -> tensor<?x4x768xf32>
// CHECK-NEXT:    %2 = loom.add %arg4, %arg5 : (tensor<?x3xf32>, tensor<5x1xf32>) -> tensor<5x3xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<2x3xf32>, tensor<?x4x768xf32>, tensor<5x3xf32>
// CHECK-NEXT:  }
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<?x1x768xf32>, %d: tensor<4x768xf32>, %e: tensor<?x3xf32>, %f: tensor<5x1xf32>) -> (tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?xf32>) {
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
  %1 = loom.add %c, %d : (tensor<?x1x768xf32>, tensor<4x768xf32>) -> tensor<?x?x?xf32>
  %2 = loom.add %e, %f : (tensor<?x3xf32>, tensor<5x1xf32>) -> tensor<?x?xf32>
  return %0, %1, %2 : tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?xf32>
}

// A rank-0 operand broadcasts to anything; [?]+[1] stays [?].
// CHECK-LABEL: func.func @add_scalar_and_unknown(
// CHECK-SAME:    %arg0: tensor<?x8xi32>, %arg1: tensor<i32>, %arg2: tensor<?xi64>, %arg3: tensor<1xi64>) -> (tensor<?x8xi32>, tensor<?xi64>) {
// CHECK-NEXT:    %0 = loom.add %arg0, %arg1 : (tensor<?x8xi32>, tensor<i32>) -> tensor<?x8xi32>
// CHECK-NEXT:    %1 = loom.add %arg2, %arg3 : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
// CHECK-NEXT:    return %0, %1 : tensor<?x8xi32>, tensor<?xi64>
// CHECK-NEXT:  }
func.func @add_scalar_and_unknown(%a: tensor<?x8xi32>, %b: tensor<i32>, %c: tensor<?xi64>, %d: tensor<1xi64>) -> (tensor<?x?xi32>, tensor<?xi64>) {
  %0 = loom.add %a, %b : (tensor<?x8xi32>, tensor<i32>) -> tensor<?x?xi32>
  %1 = loom.add %c, %d : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  return %0, %1 : tensor<?x?xi32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @sub(
// CHECK-SAME:    %arg0: tensor<4x8xf32>, %arg1: tensor<4x1xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT:    %0 = loom.sub %arg0, %arg1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    return %0 : tensor<4x8xf32>
// CHECK-NEXT:  }
func.func @sub(%a: tensor<4x8xf32>, %b: tensor<4x1xf32>) -> tensor<?x?xf32> {
  %0 = loom.sub %a, %b : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @mul(
// CHECK-SAME:    %arg0: tensor<2x1x3xbf16>, %arg1: tensor<5x1xbf16>) -> tensor<2x5x3xbf16> {
// CHECK-NEXT:    %0 = loom.mul %arg0, %arg1 : (tensor<2x1x3xbf16>, tensor<5x1xbf16>) -> tensor<2x5x3xbf16>
// CHECK-NEXT:    return %0 : tensor<2x5x3xbf16>
// CHECK-NEXT:  }
func.func @mul(%a: tensor<2x1x3xbf16>, %b: tensor<5x1xbf16>) -> tensor<?x?x?xbf16> {
  %0 = loom.mul %a, %b : (tensor<2x1x3xbf16>, tensor<5x1xbf16>) -> tensor<?x?x?xbf16>
  return %0 : tensor<?x?x?xbf16>
}

// CHECK-LABEL: func.func @div(
// CHECK-SAME:    %arg0: tensor<?x8xf16>, %arg1: tensor<6x1xf16>) -> tensor<6x8xf16> {
// CHECK-NEXT:    %0 = loom.div %arg0, %arg1 : (tensor<?x8xf16>, tensor<6x1xf16>) -> tensor<6x8xf16>
// CHECK-NEXT:    return %0 : tensor<6x8xf16>
// CHECK-NEXT:  }
func.func @div(%a: tensor<?x8xf16>, %b: tensor<6x1xf16>) -> tensor<?x?xf16> {
  %0 = loom.div %a, %b : (tensor<?x8xf16>, tensor<6x1xf16>) -> tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// CHECK-LABEL: func.func @maximum(
// CHECK-SAME:    %arg0: tensor<4x1xf32>, %arg1: tensor<f32>) -> tensor<4x1xf32> {
// CHECK-NEXT:    %0 = loom.maximum %arg0, %arg1 : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
// CHECK-NEXT:    return %0 : tensor<4x1xf32>
// CHECK-NEXT:  }
func.func @maximum(%a: tensor<4x1xf32>, %b: tensor<f32>) -> tensor<?x?xf32> {
  %0 = loom.maximum %a, %b : (tensor<4x1xf32>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @pow(
// CHECK-SAME:    %arg0: tensor<4x8xf32>, %arg1: tensor<f32>) -> tensor<4x8xf32> {
// CHECK-NEXT:    %0 = loom.pow %arg0, %arg1 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
// CHECK-NEXT:    return %0 : tensor<4x8xf32>
// CHECK-NEXT:  }
func.func @pow(%a: tensor<4x8xf32>, %b: tensor<f32>) -> tensor<?x?xf32> {
  %0 = loom.pow %a, %b : (tensor<4x8xf32>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @compare(
// CHECK-SAME:    %arg0: tensor<4xf32>, %arg1: tensor<2x1xf32>) -> tensor<2x4xi1> {
// CHECK-NEXT:    %0 = loom.compare lt, %arg0, %arg1 : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<2x4xi1>
// CHECK-NEXT:    return %0 : tensor<2x4xi1>
// CHECK-NEXT:  }
func.func @compare(%a: tensor<4xf32>, %b: tensor<2x1xf32>) -> tensor<?x?xi1> {
  %0 = loom.compare lt, %a, %b : (tensor<4xf32>, tensor<2x1xf32>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @select(
// CHECK-SAME:    %arg0: tensor<1x1x8x8xi1>, %arg1: tensor<2x4x1x8xf32>, %arg2: tensor<f32>) -> tensor<2x4x8x8xf32> {
// CHECK-NEXT:    %0 = loom.select %arg0, %arg1, %arg2 : (tensor<1x1x8x8xi1>, tensor<2x4x1x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
// CHECK-NEXT:    return %0 : tensor<2x4x8x8xf32>
// CHECK-NEXT:  }
func.func @select(%m: tensor<1x1x8x8xi1>, %a: tensor<2x4x1x8xf32>, %b: tensor<f32>) -> tensor<?x?x?x?xf32> {
  %0 = loom.select %m, %a, %b : (tensor<1x1x8x8xi1>, tensor<2x4x1x8xf32>, tensor<f32>) -> tensor<?x?x?x?xf32>
  return %0 : tensor<?x?x?x?xf32>
}

// Unary ops keep the operand's type; refinement flows down the chain.
// CHECK-LABEL: func.func @unary(
// CHECK-SAME:    %arg0: tensor<4x8xf32>, %arg1: tensor<3xi64>) -> (tensor<4x8xf32>, tensor<3xi64>) {
// CHECK-NEXT:    %0 = loom.neg %arg1 : (tensor<3xi64>) -> tensor<3xi64>
// CHECK-NEXT:    %1 = loom.exp %arg0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %2 = loom.log %1 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %3 = loom.sqrt %2 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %4 = loom.rsqrt %3 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %5 = loom.erf %4 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %6 = loom.tanh %5 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %7 = loom.sigmoid %6 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %8 = loom.relu %7 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %9 = loom.silu %8 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    %10 = loom.gelu tanh %9 : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    return %10, %0 : tensor<4x8xf32>, tensor<3xi64>
// CHECK-NEXT:  }
func.func @unary(%a: tensor<4x8xf32>, %i: tensor<3xi64>) -> (tensor<?x?xf32>, tensor<?xi64>) {
  %0 = loom.neg %i : (tensor<3xi64>) -> tensor<?xi64>
  %1 = loom.exp %a : (tensor<4x8xf32>) -> tensor<?x?xf32>
  %2 = loom.log %1 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %3 = loom.sqrt %2 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %4 = loom.rsqrt %3 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %5 = loom.erf %4 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %6 = loom.tanh %5 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %7 = loom.sigmoid %6 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %8 = loom.relu %7 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %9 = loom.silu %8 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %10 = loom.gelu tanh %9 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %10, %0 : tensor<?x?xf32>, tensor<?xi64>
}

// cast keeps the shape and takes dtype as element type.
// CHECK-LABEL: func.func @cast(
// CHECK-SAME:    %arg0: tensor<8x768xf32>, %arg1: tensor<2x?xi1>) -> (tensor<8x768xbf16>, tensor<2x?xi32>) {
// CHECK-NEXT:    %0 = loom.cast %arg0 to bf16 : (tensor<8x768xf32>) -> tensor<8x768xbf16>
// CHECK-NEXT:    %1 = loom.cast %arg1 to i32 : (tensor<2x?xi1>) -> tensor<2x?xi32>
// CHECK-NEXT:    return %0, %1 : tensor<8x768xbf16>, tensor<2x?xi32>
// CHECK-NEXT:  }
func.func @cast(%a: tensor<8x768xf32>, %m: tensor<2x?xi1>) -> (tensor<?x?xbf16>, tensor<?x?xi32>) {
  %0 = loom.cast %a to bf16 : (tensor<8x768xf32>) -> tensor<?x?xbf16>
  %1 = loom.cast %m to i32 : (tensor<2x?xi1>) -> tensor<?x?xi32>
  return %0, %1 : tensor<?x?xbf16>, tensor<?x?xi32>
}

// CHECK-LABEL: func.func @dropout(
// CHECK-SAME:    %arg0: tensor<4x768xf32>, %arg1: tensor<i64>) -> tensor<4x768xf32> {
// CHECK-NEXT:    %0 = loom.dropout %arg0 seed(%arg1) {rate = 1.000000e-01 : f64, training} : (tensor<4x768xf32>, tensor<i64>) -> tensor<4x768xf32>
// CHECK-NEXT:    return %0 : tensor<4x768xf32>
// CHECK-NEXT:  }
func.func @dropout(%a: tensor<4x768xf32>, %s: tensor<i64>) -> tensor<?x?xf32> {
  %0 = loom.dropout %a seed(%s) {rate = 0.1 : f64, training} : (tensor<4x768xf32>, tensor<i64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
