// RUN: loom-opt %s --loom-fuse-siblings -split-input-file | FileCheck %s

// AdamW's shape: three elementwise generics over one parameter-sized space
// that all read the gradient %g merge into one generic with three outputs;
// the common input is listed once.
#id = affine_map<(d0, d1) -> (d0, d1)>
#s = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @adam_like
// CHECK-SAME: (%[[P:.*]]: tensor<4x8xf32>, %[[M:.*]]: tensor<4x8xf32>, %[[V:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<4x8xf32>, %[[LR:.*]]: tensor<f32>)
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[M]], %[[G]], %[[V]], %[[P]], %[[LR]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK-SAME: outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: ^bb0(%[[IM:.*]]: f32, %[[IG:.*]]: f32, %[[IV:.*]]: f32, %[[IP:.*]]: f32, %[[ILR:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: %[[NM:.*]] = arith.addf %[[IM]], %[[IG]]
// CHECK: %[[G2:.*]] = arith.mulf %[[IG]], %[[IG]]
// CHECK: %[[NV:.*]] = arith.addf %[[IV]], %[[G2]]
// CHECK: %[[NM2:.*]] = arith.addf %[[IM]], %[[IG]]
// CHECK: %[[STEP:.*]] = arith.mulf %[[ILR]], %[[NM2]]
// CHECK: %[[NP:.*]] = arith.subf %[[IP]], %[[STEP]]
// CHECK: linalg.yield %[[NM]], %[[NV]], %[[NP]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_like(%p: tensor<4x8xf32>, %m: tensor<4x8xf32>, %v: tensor<4x8xf32>, %g: tensor<4x8xf32>, %lr: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %nm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%m, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %nv = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%v, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e1 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %b2 = arith.mulf %b, %b : f32
    %r = arith.addf %a, %b2 : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %np = linalg.generic {indexing_maps = [#id, #id, #id, #s, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %m, %g, %lr : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %l: f32, %o: f32):
    %nm2 = arith.addf %b, %c : f32
    %s = arith.mulf %l, %nm2 : f32
    %r = arith.subf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %nm, %nv, %np : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Not merged: no common input (a shared scalar does not count); a use of
// the first between them; different loop ranges; a reduction.
#id = affine_map<(d0, d1) -> (d0, d1)>
#red = affine_map<(d0, d1) -> (d0)>
#sc = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @apart
// CHECK-COUNT-5: linalg.generic
func.func @apart(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %z: tensor<2x8xf32>, %k: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x8xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %k : tensor<4x8xf32>, tensor<f32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %kk: f32, %o: f32):
    %r = arith.mulf %i, %kk : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  // Reads %y and the scalar %k that %a reads too: no common stream.
  %b = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %k : tensor<4x8xf32>, tensor<f32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %kk: f32, %o: f32):
    %r = arith.mulf %i, %kk : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  // Reads %x and %a: %a's result is used here.
  %c = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %a : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %r = arith.addf %i, %j : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<2x8xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%z : tensor<2x8xf32>) outs(%e2 : tensor<2x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.negf %i : f32
    linalg.yield %r : f32
  } -> tensor<2x8xf32>
  %e3 = tensor.empty() : tensor<4xf32>
  %s = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "reduction"]} ins(%y : tensor<4x8xf32>) outs(%e3 : tensor<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %o : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %a, %b, %c, %d, %s : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x8xf32>, tensor<4xf32>
}
