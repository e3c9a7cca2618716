// RUN: loom-opt %s -loom-fuse-rows -cse | FileCheck %s

// A layer norm over [2, 16, 64] runs one batch entry (16 rows) per parallel
// iteration; its block temporary x - mean is [1, 16, 64], the shape of an
// unrelated tensor before the loop (an imported GPT's position embedding
// [1, T, d]). A tensor.empty temporary would be merged with that tensor's
// empty by cse, and every thread would write one buffer: the temporaries
// are alloc_tensors, private to the iteration.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#bcast = affine_map<(d0, d1, d2) -> (0, d1, d2)>
#vec = affine_map<(d0, d1, d2) -> (d2)>

// CHECK-LABEL: func.func @norm_after_embedding
// CHECK:         %[[OUTER:.*]] = tensor.empty() : tensor<1x16x64xf32>
// CHECK:         scf.for
// CHECK-NOT:       %[[OUTER]]
// CHECK:           bufferization.alloc_tensor() : tensor<1x16x64xf32>
// CHECK-NOT:       %[[OUTER]]
// CHECK:         } {loom.parallel}
func.func @norm_after_embedding(%x: tensor<2x16x64xf32>, %pos: tensor<1x16x64xf32>,
                                %g: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<2x16x64xf32>, tensor<1x16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %one = arith.constant 1.0 : f32
  %e1 = tensor.empty() : tensor<1x16x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%pos : tensor<1x16x64xf32>) outs(%e1 : tensor<1x16x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.mulf %in, %in : f32
    linalg.yield %t : f32
  } -> tensor<1x16x64xf32>
  %e = tensor.empty() : tensor<2x16x64xf32>
  %h = linalg.generic {indexing_maps = [#id, #bcast, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %pos : tensor<2x16x64xf32>, tensor<1x16x64xf32>) outs(%e : tensor<2x16x64xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %t = arith.addf %a, %c : f32
    linalg.yield %t : f32
  } -> tensor<2x16x64xf32>
  %s0 = tensor.empty() : tensor<2x16x1xf32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x16x1xf32>) -> tensor<2x16x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h : tensor<2x16x64xf32>) outs(%s : tensor<2x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.addf %in, %out fastmath<reassoc> : f32
    linalg.yield %t : f32
  } -> tensor<2x16x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sum : tensor<2x16x1xf32>) outs(%s0 : tensor<2x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.divf %in, %n : f32
    linalg.yield %t : f32
  } -> tensor<2x16x1xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h, %mean : tensor<2x16x64xf32>, tensor<2x16x1xf32>) outs(%e : tensor<2x16x64xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %t = arith.subf %a, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x16x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d : tensor<2x16x64xf32>) outs(%s : tensor<2x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.mulf %in, %in : f32
    %u = arith.addf %t, %out fastmath<reassoc> : f32
    linalg.yield %u : f32
  } -> tensor<2x16x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sq : tensor<2x16x1xf32>) outs(%s0 : tensor<2x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.divf %in, %n : f32
    %u = arith.addf %t, %eps : f32
    %v = math.sqrt %u : f32
    %w = arith.divf %one, %v : f32
    linalg.yield %w : f32
  } -> tensor<2x16x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #vec, #vec, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%d, %r, %g, %b : tensor<2x16x64xf32>, tensor<2x16x1xf32>, tensor<64xf32>, tensor<64xf32>) outs(%e : tensor<2x16x64xf32>) {
  ^bb0(%a: f32, %rr: f32, %gg: f32, %bb: f32, %out: f32):
    %t = arith.mulf %a, %rr : f32
    %u = arith.mulf %t, %gg : f32
    %v = arith.addf %u, %bb : f32
    linalg.yield %v : f32
  } -> tensor<2x16x64xf32>
  return %y, %p : tensor<2x16x64xf32>, tensor<1x16x64xf32>
}
