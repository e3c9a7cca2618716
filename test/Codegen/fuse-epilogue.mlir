// RUN: loom-opt %s --split-input-file --loom-fuse-epilogue | FileCheck %s

// y = x·W + bias: the bias is broadcast into C first and the GEMM
// accumulates onto it; the pass that read the GEMM's result back is gone.

#mapA = affine_map<(m, k, n) -> (m, k)>
#mapB = affine_map<(m, k, n) -> (k, n)>
#mapC = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>

// CHECK-LABEL: func.func @bias
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<16x32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x32xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<32xf32>) outs(%[[E]] : tensor<8x32xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[G:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[R]] : tensor<8x32xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[G]]
func.func @bias(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %g = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g, %b : tensor<8x32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%gi: f32, %bi: f32, %o: f32):
    %s = arith.addf %gi, %bi : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// A residual plus a bias: the rest (r + bias) is computed into C, whose
// GEMM moves after it (r is computed after the GEMM here).

#mapA = affine_map<(m, k, n) -> (m, k)>
#mapB = affine_map<(m, k, n) -> (k, n)>
#mapC = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>

// CHECK-LABEL: func.func @residual
// CHECK: %[[RES:.*]] = math.exp
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x32xf32>, tensor<32xf32>)
// CHECK: arith.addf
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%[[R]] : tensor<8x32xf32>)
// CHECK: return %[[G]]
func.func @residual(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>, %r0: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %g = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%i: f32, %o: f32):
    %v = math.exp %i : f32
    linalg.yield %v : f32
  } -> tensor<8x32xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r, %g, %b : tensor<8x32xf32>, tensor<8x32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%ri: f32, %gi: f32, %bi: f32, %o: f32):
    %t = arith.addf %ri, %bi : f32
    %s = arith.addf %gi, %t : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Not fused: the GEMM's result has another user; the consumer multiplies;
// C does not start at zero.

#mapA = affine_map<(m, k, n) -> (m, k)>
#mapB = affine_map<(m, k, n) -> (k, n)>
#mapC = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// CHECK-LABEL: func.func @negative
// CHECK-COUNT-2: linalg.fill
// CHECK-COUNT-6: linalg.generic
func.func @negative(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %r: tensor<8x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %c1 = linalg.fill ins(%one : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %g = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g, %r : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%gi: f32, %ri: f32, %o: f32):
    %s = arith.addf %gi, %ri : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %g2 = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %z = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g2, %r : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%gi: f32, %ri: f32, %o: f32):
    %s = arith.mulf %gi, %ri : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %g3 = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c1 : tensor<8x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g3, %r : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%gi: f32, %ri: f32, %o: f32):
    %s = arith.addf %gi, %ri : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %y, %g, %z, %u : tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>
}
