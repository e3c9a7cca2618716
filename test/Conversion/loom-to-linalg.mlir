// RUN: loom-opt %s --convert-loom-to-linalg -split-input-file -mlir-print-local-scope | FileCheck %s
// RUN: loom-opt %s --convert-loom-to-linalg -split-input-file | FileCheck %s --check-prefix=NONE

// One case per lowering pattern of convert-loom-to-linalg: the linalg.generic
// indexing maps, iterator types and body ops, and the tensor ops of the shape
// lowerings. Maps are printed inline (-mlir-print-local-scope).

// No loom op survives anywhere in this file.
// NONE-NOT: loom.

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

// A dense constant becomes arith.constant with the same value.
// CHECK-LABEL: func.func @constant
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @constant() -> tensor<2x3xf32> {
  %0 = loom.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @constant_splat_int
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<7> : tensor<4xi32>
// CHECK-NEXT: return %[[C]]
func.func @constant_splat_int() -> tensor<4xi32> {
  %0 = loom.constant dense<7> : tensor<4xi32>
  return %0 : tensor<4xi32>
}

//===----------------------------------------------------------------------===//
// binary ops
//===----------------------------------------------------------------------===//

// -----

// Same shapes: identity maps, all loops parallel, the output an empty tensor.
// CHECK-LABEL: func.func @add_f32
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NEXT: } -> tensor<4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @add_f32(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = loom.add %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Integers: addi, subi, muli, signed division and signed maximum.
// CHECK-LABEL: func.func @binary_int
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: arith.addi %[[X]], %[[Y]] : i32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: arith.subi %[[X]], %[[Y]] : i32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: arith.muli %[[X]], %[[Y]] : i32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: arith.divsi %[[X]], %[[Y]] : i32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: arith.maxsi %[[X]], %[[Y]] : i32
func.func @binary_int(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = loom.add %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = loom.sub %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %2 = loom.mul %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %3 = loom.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %4 = loom.maximum %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// Floats (bf16 here): subf, mulf, divf, maximumf (NaN-propagating), powf.
// CHECK-LABEL: func.func @binary_float
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: arith.subf %[[X]], %[[Y]] : bf16
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: arith.mulf %[[X]], %[[Y]] : bf16
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: arith.divf %[[X]], %[[Y]] : bf16
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: arith.maximumf %[[X]], %[[Y]] : bf16
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: math.powf %[[X]], %[[Y]] : bf16
func.func @binary_float(%a: tensor<4xbf16>, %b: tensor<4xbf16>) -> (tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>) {
  %1 = loom.sub %a, %b : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  %2 = loom.mul %a, %b : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  %3 = loom.div %a, %b : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  %4 = loom.maximum %a, %b : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  %5 = loom.pow %a, %b : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  return %1, %2, %3, %4, %5 : tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>
}

// -----

// Broadcasting lives in the maps, the operand is never materialized at the
// result's size: a rank-0 operand reads `()`, missing leading dims are
// dropped, size-1 dims against a wider result are pinned to 0.
// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %[[S:.*]]: tensor<f32>, %[[ROW:.*]]: tensor<8xf32>, %[[COL:.*]]: tensor<4x1xf32>, %[[MID:.*]]: tensor<2x1x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[S]] : tensor<2x4x8xf32>, tensor<f32>) outs(%{{.*}} : tensor<2x4x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[ROW]] : tensor<2x4x8xf32>, tensor<8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[COL]], %[[X]] : tensor<4x1xf32>, tensor<2x4x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[MID]], %[[X]] : tensor<2x1x8xf32>, tensor<2x4x8xf32>)
func.func @broadcast(%x: tensor<2x4x8xf32>, %s: tensor<f32>, %row: tensor<8xf32>, %col: tensor<4x1xf32>, %mid: tensor<2x1x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  %0 = loom.add %x, %s : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %1 = loom.add %x, %row : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %2 = loom.add %col, %x : (tensor<4x1xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %3 = loom.add %mid, %x : (tensor<2x1x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %0, %1, %2, %3 : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// -----

// Both operands stretch (outer product); a size-1 dim that stays size 1 in
// the result keeps its loop.
// CHECK-LABEL: func.func @broadcast_both
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.mulf
// CHECK-LABEL: func.func @broadcast_size1_kept
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
func.func @broadcast_both(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %0 = loom.mul %a, %b : (tensor<4x1xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
func.func @broadcast_size1_kept(%a: tensor<1x8xf32>, %b: tensor<8xf32>) -> tensor<1x8xf32> {
  %0 = loom.mul %a, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

//===----------------------------------------------------------------------===//
// unary ops
//===----------------------------------------------------------------------===//

// -----

// Float negation is negf; integer negation is 0 - x.
// CHECK-LABEL: func.func @neg
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[N:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[N]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: i64, %{{.*}}: i64):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[N:.*]] = arith.subi %[[Z]], %[[X]] : i64
// CHECK-NEXT: linalg.yield %[[N]]
func.func @neg(%a: tensor<4xf32>, %b: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  %0 = loom.neg %a : (tensor<4xf32>) -> tensor<4xf32>
  %1 = loom.neg %b : (tensor<4xi64>) -> tensor<4xi64>
  return %0, %1 : tensor<4xf32>, tensor<4xi64>
}

// -----

// math ops, rsqrt as 1 / sqrt(x), sigmoid as 1 / (1 + exp(-x)), relu as
// maximumf(x, 0).
// CHECK-LABEL: func.func @unary
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.exp %[[X]] : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.log %[[X]] : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.sqrt %[[X]] : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[SQ:.*]] = math.sqrt %[[X]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[ONE]], %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.erf %[[X]] : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.tanh %[[X]] : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[N:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[X]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[M]]
func.func @unary(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = loom.exp %a : (tensor<4xf32>) -> tensor<4xf32>
  %1 = loom.log %a : (tensor<4xf32>) -> tensor<4xf32>
  %2 = loom.sqrt %a : (tensor<4xf32>) -> tensor<4xf32>
  %3 = loom.rsqrt %a : (tensor<4xf32>) -> tensor<4xf32>
  %4 = loom.erf %a : (tensor<4xf32>) -> tensor<4xf32>
  %5 = loom.tanh %a : (tensor<4xf32>) -> tensor<4xf32>
  %6 = loom.sigmoid %a : (tensor<4xf32>) -> tensor<4xf32>
  %7 = loom.relu %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// compare, select
//===----------------------------------------------------------------------===//

// -----

// Float predicates are ordered (false on NaN) except `ne`, which is unordered
// (true on NaN); the rank-0 rhs broadcasts; the output is i1.
// CHECK-LABEL: func.func @compare_float
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<f32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi1>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[A]], %[[B]] : tensor<4xf32>, tensor<f32>) outs(%[[E]] : tensor<4xi1>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: i1):
// CHECK-NEXT: %[[C:.*]] = arith.cmpf oeq, %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[C]] : i1
// CHECK-NEXT: } -> tensor<4xi1>
// CHECK: arith.cmpf une,
// CHECK: arith.cmpf olt,
// CHECK: arith.cmpf ole,
// CHECK: arith.cmpf ogt,
// CHECK: arith.cmpf oge,
func.func @compare_float(%a: tensor<4xf32>, %b: tensor<f32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = loom.compare eq, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %1 = loom.compare ne, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %2 = loom.compare lt, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %3 = loom.compare le, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %4 = loom.compare gt, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %5 = loom.compare ge, %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// Integer predicates are signed.
// CHECK-LABEL: func.func @compare_int
// CHECK: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i1):
// CHECK-NEXT: arith.cmpi eq, %[[X]], %[[Y]] : i32
// CHECK: arith.cmpi ne,
// CHECK: arith.cmpi slt,
// CHECK: arith.cmpi sle,
// CHECK: arith.cmpi sgt,
// CHECK: arith.cmpi sge,
func.func @compare_int(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = loom.compare eq, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %1 = loom.compare ne, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %2 = loom.compare lt, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %3 = loom.compare le, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %4 = loom.compare gt, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %5 = loom.compare ge, %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// All three operands broadcast; the result has the value type.
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[M:.*]]: tensor<1x8xi1>, %[[X:.*]]: tensor<4x8xf32>, %[[NINF:.*]]: tensor<f32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[M]], %[[X]], %[[NINF]] : tensor<1x8xi1>, tensor<4x8xf32>, tensor<f32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[C:.*]]: i1, %[[T:.*]]: f32, %[[F:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.select %[[C]], %[[T]], %[[F]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @select(%m: tensor<1x8xi1>, %x: tensor<4x8xf32>, %ninf: tensor<f32>) -> tensor<4x8xf32> {
  %0 = loom.select %m, %x, %ninf : (tensor<1x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

// -----

// Floats extend or truncate (round to nearest even); float -> int truncates
// toward zero (fptosi); ints convert as signed, i1 as 0/1 (uitofp); anything
// -> i1 is `!= 0` (une for floats: NaN is true); wider ints truncate.
// CHECK-LABEL: func.func @cast
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT: arith.truncf %[[X]] : f32 to bf16
// CHECK: ^bb0(%[[X:.*]]: bf16, %{{.*}}: f32):
// CHECK-NEXT: arith.extf %[[X]] : bf16 to f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i32):
// CHECK-NEXT: arith.fptosi %[[X]] : f32 to i32
// CHECK: ^bb0(%[[X:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: arith.sitofp %[[X]] : i32 to f32
// CHECK: ^bb0(%[[X:.*]]: i1, %{{.*}}: f32):
// CHECK-NEXT: arith.uitofp %[[X]] : i1 to f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i1):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[NZ:.*]] = arith.cmpf une, %[[X]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[NZ]] : i1
// CHECK: ^bb0(%[[X:.*]]: i64, %{{.*}}: i32):
// CHECK-NEXT: arith.trunci %[[X]] : i64 to i32
func.func @cast(%f: tensor<4xf32>, %h: tensor<4xbf16>, %i: tensor<4xi32>, %m: tensor<4xi1>, %l: tensor<4xi64>) -> (tensor<4xbf16>, tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xi32>) {
  %0 = loom.cast %f to bf16 : (tensor<4xf32>) -> tensor<4xbf16>
  %1 = loom.cast %h to f32 : (tensor<4xbf16>) -> tensor<4xf32>
  %2 = loom.cast %f to i32 : (tensor<4xf32>) -> tensor<4xi32>
  %3 = loom.cast %i to f32 : (tensor<4xi32>) -> tensor<4xf32>
  %4 = loom.cast %m to f32 : (tensor<4xi1>) -> tensor<4xf32>
  %5 = loom.cast %f to i1 : (tensor<4xf32>) -> tensor<4xi1>
  %6 = loom.cast %l to i32 : (tensor<4xi64>) -> tensor<4xi32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xbf16>, tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xi32>
}

// -----

// bf16 <-> f16 have the same width (neither extf nor truncf applies): through
// f32, which holds both exactly. int -> i1 is cmpi ne 0; i32 -> i64
// sign-extends, i1 -> i32 zero-extends.
// CHECK-LABEL: func.func @cast_more
// CHECK: ^bb0(%[[X:.*]]: bf16, %{{.*}}: f16):
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[X]] : bf16 to f32
// CHECK-NEXT: %[[N:.*]] = arith.truncf %[[W]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[N]] : f16
// CHECK: ^bb0(%[[X:.*]]: f16, %{{.*}}: bf16):
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT: %[[N:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[N]] : bf16
// CHECK: ^bb0(%[[X:.*]]: i32, %{{.*}}: i1):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i32
// CHECK-NEXT: arith.cmpi ne, %[[X]], %[[Z]] : i32
// CHECK: ^bb0(%[[X:.*]]: i32, %{{.*}}: i64):
// CHECK-NEXT: arith.extsi %[[X]] : i32 to i64
// CHECK: ^bb0(%[[X:.*]]: i1, %{{.*}}: i32):
// CHECK-NEXT: arith.extui %[[X]] : i1 to i32
func.func @cast_more(%h: tensor<4xbf16>, %g: tensor<4xf16>, %i: tensor<4xi32>, %m: tensor<4xi1>) -> (tensor<4xf16>, tensor<4xbf16>, tensor<4xi1>, tensor<4xi64>, tensor<4xi32>) {
  %0 = loom.cast %h to f16 : (tensor<4xbf16>) -> tensor<4xf16>
  %1 = loom.cast %g to bf16 : (tensor<4xf16>) -> tensor<4xbf16>
  %2 = loom.cast %i to i1 : (tensor<4xi32>) -> tensor<4xi1>
  %3 = loom.cast %i to i64 : (tensor<4xi32>) -> tensor<4xi64>
  %4 = loom.cast %m to i32 : (tensor<4xi1>) -> tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<4xf16>, tensor<4xbf16>, tensor<4xi1>, tensor<4xi64>, tensor<4xi32>
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

// -----

// keep iff top24(splitmix64(seed + stream * 0x9E3779B97F4A7C15 + (i + 1) *
// 0xBF58476D1CE4E5B9)) * 2^-24 >= rate, i the row-major linear index; kept
// elements scale by 1/(1-rate). The 64-bit constants print signed:
// 3 * 0x9E3779B97F4A7C15 mod 2^64 = -2691343689449507777,
// 0xBF58476D1CE4E5B9 = -4658895280553007687, 0x94D049BB133111EB =
// -7723592293110705685.
// CHECK-LABEL: func.func @dropout_training
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[SEED:.*]]: tensor<i64>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[SEED]] : tensor<2x3xf32>, tensor<i64>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %[[S:.*]]: i64, %{{.*}}: f32):
// CHECK-NEXT: %[[STREAM:.*]] = arith.constant -2691343689449507777 : i64
// CHECK-NEXT: %[[Z0:.*]] = arith.addi %[[S]], %[[STREAM]] : i64
// The linear index: (0 * 2 + i0) * 3 + i1.
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[I1:.*]] = linalg.index 1 : index
// CHECK: %[[C3:.*]] = arith.constant 3 : i64
// CHECK: %[[LIN:.*]] = arith.addi
// CHECK: %[[LIN1:.*]] = arith.addi %[[LIN]], %{{.*}} : i64
// CHECK: %[[G:.*]] = arith.constant -4658895280553007687 : i64
// CHECK: %[[MIX:.*]] = arith.muli %[[LIN1]], %[[G]] : i64
// CHECK: %[[Z1:.*]] = arith.addi %[[Z0]], %[[MIX]] : i64
// CHECK: arith.constant 30 : i64
// CHECK: arith.shrui %[[Z1]]
// CHECK: arith.xori
// CHECK: arith.constant -4658895280553007687 : i64
// CHECK: arith.muli
// CHECK: arith.constant 27 : i64
// CHECK: arith.shrui
// CHECK: arith.xori
// CHECK: arith.constant -7723592293110705685 : i64
// CHECK: arith.muli
// CHECK: arith.constant 31 : i64
// CHECK: arith.shrui
// CHECK: arith.xori
// CHECK: arith.constant 40 : i64
// CHECK: %[[TOP:.*]] = arith.shrui
// CHECK: %[[ULP:.*]] = arith.constant 5.9604644775390625E-8 : f64
// CHECK: %[[TF:.*]] = arith.uitofp %[[TOP]] : i64 to f64
// CHECK: %[[U:.*]] = arith.mulf %[[TF]], %[[ULP]] : f64
// CHECK: %[[RATE:.*]] = arith.constant 2.500000e-01 : f64
// CHECK: %[[KEEP:.*]] = arith.cmpf oge, %[[U]], %[[RATE]] : f64
// CHECK: %[[SCALE:.*]] = arith.constant 1.33333337 : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[V]], %[[SCALE]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.select %[[KEEP]], %[[SC]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @dropout_training(%x: tensor<2x3xf32>, %seed: tensor<i64>) -> tensor<2x3xf32> {
  %0 = loom.dropout %x seed(%seed) {rate = 2.500000e-01 : f64, stream = 3 : i64, training} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Without `training` (or with rate 0) dropout is the identity.
// CHECK-LABEL: func.func @dropout_inference
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[SEED:.*]]: tensor<i64>)
// CHECK-NEXT: return %[[X]], %[[X]] : tensor<2x3xf32>, tensor<2x3xf32>
func.func @dropout_inference(%x: tensor<2x3xf32>, %seed: tensor<i64>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = loom.dropout %x {rate = 2.500000e-01 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = loom.dropout %x seed(%seed) {rate = 0.000000e+00 : f64, training} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

//===----------------------------------------------------------------------===//
// index-only generics
//===----------------------------------------------------------------------===//

// -----

// No inputs: the value is the loop index plus the offset.
// CHECK-LABEL: func.func @positions
// CHECK: %[[E:.*]] = tensor.empty() : tensor<5xi64>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%[[E]] : tensor<5xi64>)
// CHECK-NEXT: ^bb0(%{{.*}}: i64):
// CHECK-NEXT: %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[II:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[OFF:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[P:.*]] = arith.addi %[[II]], %[[OFF]] : i64
// CHECK-NEXT: linalg.yield %[[P]] : i64
func.func @positions(%t: tensor<2x5xi32>) -> tensor<5xi64> {
  %0 = loom.positions %t axis = 1 {offset = 3 : i64} : (tensor<2x5xi32>) -> tensor<5xi64>
  return %0 : tensor<5xi64>
}

// -----

// mask[i, j] = j <= i + (Tk - Tq); here Tq = 3, Tk = 5.
// CHECK-LABEL: func.func @causal_mask
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<3x5xi1>)
// CHECK-NEXT: ^bb0(%{{.*}}: i1):
// CHECK-NEXT: %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[J:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[SHIFT:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[LIM:.*]] = arith.addi %[[I]], %[[SHIFT]] : index
// CHECK-NEXT: %[[M:.*]] = arith.cmpi sle, %[[J]], %[[LIM]] : index
// CHECK-NEXT: linalg.yield %[[M]] : i1
func.func @causal_mask(%s: tensor<2x3x5xf32>) -> tensor<3x5xi1> {
  %0 = loom.causal_mask %s : (tensor<2x3x5xf32>) -> tensor<3x5xi1>
  return %0 : tensor<3x5xi1>
}

// -----

// pe[..., k] = (k odd ? cos : sin)(p * exp((k / 2) * -2 ln(10000) / dim)),
// -2 ln(10000) / 16 = -1.15129256; the positions are read by all loops but
// the last.
// CHECK-LABEL: func.func @sinusoidal_encoding
// CHECK-SAME: (%[[P:.*]]: tensor<2x7xi64>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[P]] : tensor<2x7xi64>) outs(%{{.*}} : tensor<2x7x16xf32>)
// CHECK-NEXT: ^bb0(%[[POS:.*]]: i64, %{{.*}}: f32):
// CHECK-NEXT: %[[PF:.*]] = arith.sitofp %[[POS]] : i64 to f32
// CHECK-NEXT: %[[K:.*]] = linalg.index 2 : index
// CHECK-NEXT: %[[TWO:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[PAIR:.*]] = arith.divui %[[K]], %[[TWO]] : index
// CHECK-NEXT: %[[ODD:.*]] = arith.remui %[[K]], %[[TWO]] : index
// CHECK-NEXT: %[[PI:.*]] = arith.index_cast %[[PAIR]] : index to i64
// CHECK-NEXT: %[[PAIRF:.*]] = arith.uitofp %[[PI]] : i64 to f32
// CHECK-NEXT: %[[C:.*]] = arith.constant -1.15129256 : f32
// CHECK-NEXT: %[[ARG:.*]] = arith.mulf %[[PAIRF]], %[[C]] : f32
// CHECK-NEXT: %[[W:.*]] = math.exp %[[ARG]] : f32
// CHECK-NEXT: %[[ANGLE:.*]] = arith.mulf %[[PF]], %[[W]] : f32
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[ISODD:.*]] = arith.cmpi ne, %[[ODD]], %[[ZERO]] : index
// CHECK-NEXT: %[[SIN:.*]] = math.sin %[[ANGLE]] : f32
// CHECK-NEXT: %[[COS:.*]] = math.cos %[[ANGLE]] : f32
// CHECK-NEXT: %[[V:.*]] = arith.select %[[ISODD]], %[[COS]], %[[SIN]] : f32
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @sinusoidal_encoding(%p: tensor<2x7xi64>) -> tensor<2x7x16xf32> {
  %0 = loom.sinusoidal_encoding %p dim = 16 : (tensor<2x7xi64>) -> tensor<2x7x16xf32>
  return %0 : tensor<2x7x16xf32>
}

//===----------------------------------------------------------------------===//
// reductions
//===----------------------------------------------------------------------===//

// -----

// The accumulator is filled with 0; reduced dims are reduction loops; with
// keep_dims the output map pins them to 0. The sum may reassociate (so it
// vectorizes).
// CHECK-LABEL: func.func @reduce_sum_keep_dims
// CHECK-SAME: (%[[X:.*]]: tensor<4x8x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x1x3xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<4x1x3xf32>) -> tensor<4x1x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, 0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<4x8x3xf32>) outs(%[[ACC]] : tensor<4x1x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[IN]], %[[OUT]] fastmath<reassoc> : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @reduce_sum_keep_dims(%x: tensor<4x8x3xf32>) -> tensor<4x1x3xf32> {
  %0 = loom.reduce_sum %x axes = [1] keep_dims : (tensor<4x8x3xf32>) -> tensor<4x1x3xf32>
  return %0 : tensor<4x1x3xf32>
}

// -----

// Without keep_dims the reduced dims are dropped from the output map.
// CHECK-LABEL: func.func @reduce_sum
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>], iterator_types = ["reduction", "reduction", "parallel"]} ins(%{{.*}} : tensor<4x8x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
func.func @reduce_sum(%x: tensor<4x8x3xf32>) -> tensor<3xf32> {
  %0 = loom.reduce_sum %x axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// The mean is the sum divided by the number of reduced elements (8 * 3),
// a rank-0 constant broadcast into a second generic.
// CHECK-LABEL: func.func @reduce_mean
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK: arith.addf
// CHECK: %[[N:.*]] = arith.constant dense<2.400000e+01> : tensor<f32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[SUM]], %[[N]] : tensor<4xf32>, tensor<f32>) outs(%[[E]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[C:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[M:.*]] = arith.divf %[[S]], %[[C]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK: return %[[R]]
func.func @reduce_mean(%x: tensor<4x8x3xf32>) -> tensor<4xf32> {
  %0 = loom.reduce_mean %x axes = [1, -1] : (tensor<4x8x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// 16-bit floats accumulate in f32 and round once at the end.
// CHECK-LABEL: func.func @reduce_mean_keep_dims
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x1xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// CHECK: %[[N:.*]] = arith.constant dense<8.000000e+00> : tensor<f32>
// CHECK: %[[MEAN:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[SUM]], %[[N]] : tensor<4x1xf32>, tensor<f32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[MEAN]] : tensor<4x1xf32>) outs(%{{.*}} : tensor<4x1xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @reduce_mean_keep_dims(%x: tensor<4x8xbf16>) -> tensor<4x1xbf16> {
  %0 = loom.reduce_mean %x axes = [-1] keep_dims : (tensor<4x8xbf16>) -> tensor<4x1xbf16>
  return %0 : tensor<4x1xbf16>
}

// -----

// The max accumulator starts at -inf; maximumf propagates NaN.
// CHECK-LABEL: func.func @reduce_max
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<4x8x3xf32>) outs(%[[ACC]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[IN]], %[[OUT]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
func.func @reduce_max(%x: tensor<4x8x3xf32>) -> tensor<4x8xf32> {
  %0 = loom.reduce_max %x axes = [-1] : (tensor<4x8x3xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_max_keep_dims
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (0, d1)>], iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<1x8xf32>)
// CHECK: arith.maximumf
func.func @reduce_max_keep_dims(%x: tensor<4x8xf32>) -> tensor<1x8xf32> {
  %0 = loom.reduce_max %x axes = [0] keep_dims : (tensor<4x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

//===----------------------------------------------------------------------===//
// contractions
//===----------------------------------------------------------------------===//

// -----

// matmul is a batch_matmul without batch dims: loops (m, k, n), k the
// reduction, the accumulator zero-filled; the body is out + lhs * rhs, free
// to reassociate and contract into an FMA.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16x8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x16xf32>, tensor<16x8xf32>) outs(%[[ACC]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[O:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] fastmath<reassoc,contract> : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[O]], %[[P]] fastmath<reassoc,contract> : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @matmul(%a: tensor<4x16xf32>, %b: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %0 = loom.matmul %a, %b : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Loops (b0, b1, m, k, n): the innermost loop walks rows of rhs and out.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<2x3x4x16xf32>, tensor<2x3x16x8xf32>) outs(%{{.*}} : tensor<2x3x4x8xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batch_matmul(%a: tensor<2x3x4x16xf32>, %b: tensor<2x3x16x8xf32>) -> tensor<2x3x4x8xf32> {
  %0 = loom.batch_matmul %a, %b : (tensor<2x3x4x16xf32>, tensor<2x3x16x8xf32>) -> tensor<2x3x4x8xf32>
  return %0 : tensor<2x3x4x8xf32>
}

// -----

// Broadcast batch dims: lhs's size-1 batch dim is pinned to 0, rhs's missing
// leading batch dim is dropped.
// CHECK-LABEL: func.func @batch_matmul_broadcast
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<2x1x4x16xf32>, tensor<3x16x8xf32>) outs(%{{.*}} : tensor<2x3x4x8xf32>)
func.func @batch_matmul_broadcast(%a: tensor<2x1x4x16xf32>, %b: tensor<3x16x8xf32>) -> tensor<2x3x4x8xf32> {
  %0 = loom.batch_matmul %a, %b : (tensor<2x1x4x16xf32>, tensor<3x16x8xf32>) -> tensor<2x3x4x8xf32>
  return %0 : tensor<2x3x4x8xf32>
}

// -----

// A rank-2 rhs (shared weight) is read by the (k, n) loops only.
// CHECK-LABEL: func.func @batch_matmul_rank2_rhs
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<2x4x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<2x4x8xf32>)
func.func @batch_matmul_rank2_rhs(%a: tensor<2x4x16xf32>, %b: tensor<16x8xf32>) -> tensor<2x4x8xf32> {
  %0 = loom.batch_matmul %a, %b : (tensor<2x4x16xf32>, tensor<16x8xf32>) -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// transpose_rhs reads rhs as [..., N, K]: loops (b0, b1, m, n, k), k (the
// last) the reduction, so the innermost loop is a dot product of two rows.
// CHECK-LABEL: func.func @batch_matmul_transpose_rhs
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<2x3x4x16xf32>, tensor<2x3x5x16xf32>) outs(%{{.*}} : tensor<2x3x4x5xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batch_matmul_transpose_rhs(%q: tensor<2x3x4x16xf32>, %k: tensor<2x3x5x16xf32>) -> tensor<2x3x4x5xf32> {
  %0 = loom.batch_matmul %q, %k transpose_rhs : (tensor<2x3x4x16xf32>, tensor<2x3x5x16xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

//===----------------------------------------------------------------------===//
// data movement
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: return %[[T]]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = loom.transpose %x permutation = [2, 0, 1] : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// The copied (0) and inferred (-1) entries are resolved into a constant shape.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[S:.*]] = arith.constant dense<[2, 12]> : tensor<2xi64>
// CHECK: %[[R:.*]] = tensor.reshape %[[X]](%[[S]]) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
// CHECK: return %[[R]]
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %0 = loom.reshape %x shape = [0, -1] : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----

// Each input is inserted at its running offset along the (negative) axis.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x5xf32>, %[[C:.*]]: tensor<2x1xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x9xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x9xf32>
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[B]] into %[[I0]][0, 3] [2, 5] [1, 1] : tensor<2x5xf32> into tensor<2x9xf32>
// CHECK: %[[I2:.*]] = tensor.insert_slice %[[C]] into %[[I1]][0, 8] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x9xf32>
// CHECK: return %[[I2]]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>) -> tensor<2x9xf32> {
  %0 = loom.concat %a, %b, %c axis = -1 : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x9xf32>
  return %0 : tensor<2x9xf32>
}

// -----

// A negative start counts from the end of the dim: [-3, -1) of 7 is [4, 6);
// a negative axis counts from the last dim.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<2x7x4xf32>)
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[X]][0, 4, 0] [2, 2, 4] [1, 1, 1] : tensor<2x7x4xf32> to tensor<2x2x4xf32>
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[X]][0, 0, 0] [2, 1, 4] [1, 1, 1] : tensor<2x7x4xf32> to tensor<2x1x4xf32>
// CHECK: return %[[S0]], %[[S1]]
func.func @slice(%x: tensor<2x7x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x1x4xf32>) {
  %0 = loom.slice %x axis = 1 start = -3 end = -1 : (tensor<2x7x4xf32>) -> tensor<2x2x4xf32>
  %1 = loom.slice %x axis = -2 start = 0 end = 1 : (tensor<2x7x4xf32>) -> tensor<2x1x4xf32>
  return %0, %1 : tensor<2x2x4xf32>, tensor<2x1x4xf32>
}

// -----

// result[i, j] = input[i, j, indices[i, j]]: a generic over the indices with
// a tensor.extract of the input in its body.
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.*]]: tensor<3x5x10xf32>, %[[I:.*]]: tensor<3x5xi32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[I]] : tensor<3x5xi32>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK-NEXT: ^bb0(%[[IDX:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: %[[D0:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[D1:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[C:.*]] = arith.index_cast %[[IDX]] : i32 to index
// CHECK-NEXT: %[[V:.*]] = tensor.extract %[[X]][%[[D0]], %[[D1]], %[[C]]] : tensor<3x5x10xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @gather(%x: tensor<3x5x10xf32>, %i: tensor<3x5xi32>) -> tensor<3x5xf32> {
  %0 = loom.gather %x, %i : (tensor<3x5x10xf32>, tensor<3x5xi32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// result[b, t, j] = table[ids[b, t], j].
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.*]]: tensor<100x16xf32>, %[[IDS:.*]]: tensor<2x7xi64>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS]] : tensor<2x7xi64>) outs(%{{.*}} : tensor<2x7x16xf32>)
// CHECK-NEXT: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK-NEXT: %[[ROW:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK-NEXT: %[[COL:.*]] = linalg.index 2 : index
// CHECK-NEXT: %[[V:.*]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<100x16xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @embedding(%t: tensor<100x16xf32>, %ids: tensor<2x7xi64>) -> tensor<2x7x16xf32> {
  %0 = loom.embedding %t, %ids : (tensor<100x16xf32>, tensor<2x7xi64>) -> tensor<2x7x16xf32>
  return %0 : tensor<2x7x16xf32>
}

// -----

// index_add: a sequential loop over the ids carrying the table; each step
// adds one source row into the row its id names (an out-of-range id adds
// zeros to row 0).
// CHECK-LABEL: func.func @index_add
// CHECK-SAME: (%[[T:.*]]: tensor<100x16xf32>, %[[IDS:.*]]: tensor<2x7xi32>, %[[S:.*]]: tensor<2x7x16xf32>)
// CHECK: %[[FI:.*]] = tensor.collapse_shape %[[IDS]] {{\[}}[0, 1]] : tensor<2x7xi32> into tensor<14xi32>
// CHECK: %[[FS:.*]] = tensor.collapse_shape %[[S]] {{\[}}[0, 1], [2]] : tensor<2x7x16xf32> into tensor<14x16xf32>
// CHECK: %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[T]]) -> (tensor<100x16xf32>)
// CHECK: %[[ID:.*]] = tensor.extract %[[FI]][%[[K]]] : tensor<14xi32>
// CHECK: %[[IDX:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: %[[OK:.*]] = arith.andi
// CHECK: %[[ROW:.*]] = arith.select %[[OK]], %[[IDX]], %{{.*}} : index
// CHECK: %[[DST:.*]] = tensor.extract_slice %[[ACC]][%[[ROW]], 0] [1, 16] [1, 1] : tensor<100x16xf32> to tensor<16xf32>
// CHECK: %[[SRC:.*]] = tensor.extract_slice %[[FS]][%[[K]], 0] [1, 16] [1, 1] : tensor<14x16xf32> to tensor<16xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[SRC]] : tensor<16xf32>) outs(%[[DST]] : tensor<16xf32>)
// CHECK: arith.select %[[OK]]
// CHECK: arith.addf
// CHECK: %[[NEXT:.*]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[ROW]], 0] [1, 16] [1, 1]
// CHECK: scf.yield %[[NEXT]]
// CHECK: return %[[R]]
func.func @index_add(%t: tensor<100x16xf32>, %ids: tensor<2x7xi32>, %s: tensor<2x7x16xf32>) -> tensor<100x16xf32> {
  %0 = loom.index_add %t, %ids, %s : (tensor<100x16xf32>, tensor<2x7xi32>, tensor<2x7x16xf32>) -> tensor<100x16xf32>
  return %0 : tensor<100x16xf32>
}

// -----

// [B, C, H, W] -> [B, C, H/p, p, W/p, p] -> [B, H/p, W/p, C, p, p] ->
// [B, N, C*p*p]: each patch flattens in (c, py, px) order.
// CHECK-LABEL: func.func @patchify
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x12xf32>)
// CHECK: %[[S1:.*]] = arith.constant dense<[2, 3, 2, 4, 3, 4]> : tensor<6xi64>
// CHECK: %[[R1:.*]] = tensor.reshape %[[X]](%[[S1]]) : (tensor<2x3x8x12xf32>, tensor<6xi64>) -> tensor<2x3x2x4x3x4xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x2x3x3x4x4xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[R1]] : tensor<2x3x2x4x3x4xf32>) outs(%[[E]] : tensor<2x2x3x3x4x4xf32>) permutation = [0, 2, 4, 1, 3, 5]
// CHECK: %[[S2:.*]] = arith.constant dense<[2, 6, 48]> : tensor<3xi64>
// CHECK: %[[R2:.*]] = tensor.reshape %[[T]](%[[S2]]) : (tensor<2x2x3x3x4x4xf32>, tensor<3xi64>) -> tensor<2x6x48xf32>
// CHECK: return %[[R2]]
func.func @patchify(%img: tensor<2x3x8x12xf32>) -> tensor<2x6x48xf32> {
  %0 = loom.patchify %img patch = 4 : (tensor<2x3x8x12xf32>) -> tensor<2x6x48xf32>
  return %0 : tensor<2x6x48xf32>
}

// -----

// The token, broadcast over the batch into [B, 1, D], goes at sequence
// position 0, the input after it.
// CHECK-LABEL: func.func @prepend_token
// CHECK-SAME: (%[[X:.*]]: tensor<2x6x16xf32>, %[[CLS:.*]]: tensor<1x1x16xf32>)
// CHECK: %[[TE:.*]] = tensor.empty() : tensor<2x1x16xf32>
// CHECK: %[[TOK:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[CLS]] : tensor<1x1x16xf32>) outs(%[[TE]] : tensor<2x1x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x7x16xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[TOK]] into %[[E]][0, 0, 0] [2, 1, 16] [1, 1, 1] : tensor<2x1x16xf32> into tensor<2x7x16xf32>
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[X]] into %[[I0]][0, 1, 0] [2, 6, 16] [1, 1, 1] : tensor<2x6x16xf32> into tensor<2x7x16xf32>
// CHECK: return %[[I1]]
func.func @prepend_token(%x: tensor<2x6x16xf32>, %cls: tensor<1x1x16xf32>) -> tensor<2x7x16xf32> {
  %0 = loom.prepend_token %x, %cls : (tensor<2x6x16xf32>, tensor<1x1x16xf32>) -> tensor<2x7x16xf32>
  return %0 : tensor<2x7x16xf32>
}

// -----

// A rank-1 token broadcasts over batch and position.
// CHECK-LABEL: func.func @prepend_token_rank1
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<16xf32>) outs(%{{.*}} : tensor<2x1x16xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0] [2, 1, 16] [1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 0] [2, 6, 16] [1, 1, 1]
func.func @prepend_token_rank1(%x: tensor<2x6x16xf32>, %cls: tensor<16xf32>) -> tensor<2x7x16xf32> {
  %0 = loom.prepend_token %x, %cls : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x7x16xf32>
  return %0 : tensor<2x7x16xf32>
}
