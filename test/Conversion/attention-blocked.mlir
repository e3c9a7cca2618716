// RUN: loom-opt %s --split-input-file --convert-loom-to-linalg --canonicalize --cse | FileCheck %s

// The training step's attention (loom-autodiff's rule) lowered to blocked
// loops: nothing of [.., 160, 160] is ever built.
//
// attention_lse: one loom.parallel loop over (head, block of 64 rows)
// (2 heads x 2 full blocks, then the 32 remainder rows in a loop of their
// own). Per block Q_blkᵀ [16, 64] once, the running max at -inf and the
// sum at 0; under the causal mask the chunk loop runs to min(2,
// ceil((q0 + 64) / 64)) chunks of 64 keys, the last 32 keys only where the
// block reaches them (scf.if). Per chunk: K_chunk · Q_blkᵀ into [keys,
// rows] (a GEMM), then over (key, row) the scale, the causal select (from
// indices) and the chunk's row max; the new max and the rescale of the sum
// in place; the sum of exp over the chunk; lse = m + log(l).
//
// attention_grad: one loom.parallel loop over the heads carrying dQ (zero
// filled), dK and dV. Per chunk of 64 keys: Kᵀ and Vᵀ of the chunk once,
// dK_chunk and dV_chunk zeroed; the blocks of queries that see the chunk
// start at max(k0 - shift, 0) / 64 (shift = Tk - Tq = 0). Per block: D =
// rowsum(dO ∘ O), S = Q Kᵀ and dP = dO Vᵀ (GEMMs with B as stored), P and
// dS in place of S and dP, then dV += Pᵀ dO, dK += dSᵀ Q (A read
// transposed: map (d2, d0)) and dQ_blk += dS K, written back into dQ.
// CHECK-LABEL: func.func @causal
// CHECK-NOT:     160x160
// CHECK:         scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x2x160xf32>)
// CHECK:           linalg.transpose ins(%{{.*}} : tensor<64x16xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:           %[[END:.*]] = arith.ceildivsi
// CHECK:           %[[N:.*]] = arith.minsi %[[END]], %c2
// CHECK:           scf.for %{{.*}} = %c0 to %[[N]] step %c1 {{.*}} -> (tensor<64xf32>, tensor<64xf32>)
// CHECK:             linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:             linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} outs(%{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<64xf32>)
// CHECK:               arith.cmpi sle
// CHECK:               arith.select
// CHECK:               arith.cmpf ogt
// CHECK:             linalg.generic {{.*}} iterator_types = ["parallel"]}
// CHECK:               math.exp
// CHECK:             linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]}
// CHECK:               math.exp
// CHECK:           scf.if
// CHECK:           math.log
// CHECK:         } {loom.parallel}
// CHECK:         scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x2x160xf32>)
// CHECK:         } {loom.parallel}
// CHECK:         %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1x2x160x16xf32>
// CHECK:         %[[G:.*]]:3 = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[ZERO]], {{.*}}) -> (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c2 step %c1 {{.*}} -> (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>)
// CHECK:             %[[KT:.*]] = linalg.transpose ins(%{{.*}} : tensor<64x16xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:             %[[VT:.*]] = linalg.transpose ins(%{{.*}} : tensor<64x16xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:             %[[FROM:.*]] = arith.maxsi %{{.*}}, %c0
// CHECK:             %[[FIRST:.*]] = arith.divui %[[FROM]], %c64
// CHECK:             scf.for %{{.*}} = %[[FIRST]] to %c2 step %c1 {{.*}} -> (tensor<1x2x160x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>)
// CHECK:               %[[D:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK:               %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[KT]] : tensor<64x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:               %[[DP:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[VT]] : tensor<64x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:               %[[P:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[D]] : tensor<64xf32>, tensor<64xf32>) outs(%[[S]], %[[DP]] : tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK:                 math.exp
// CHECK:                 arith.cmpi sle
// CHECK:               linalg.generic {indexing_maps = [#map7, #map1, #map2], {{.*}} ins(%[[P]]#0, %{{.*}} : tensor<64x64xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<64x16xf32>)
// CHECK:               linalg.generic {indexing_maps = [#map7, #map1, #map2], {{.*}} ins(%[[P]]#1, %{{.*}} : tensor<64x64xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<64x16xf32>)
// CHECK:               linalg.generic {indexing_maps = [#map, #map1, #map2], {{.*}} ins(%[[P]]#1, %{{.*}} : tensor<64x64xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<64x16xf32>)
// CHECK:               tensor.insert_slice %{{.*}} into %{{.*}} [1, 1, 64, 16] [1, 1, 1, 1] : tensor<64x16xf32> into tensor<1x2x160x16xf32>
// CHECK:         } {loom.parallel}
// CHECK-NOT:     160x160
// CHECK:         return %[[G]]#0, %[[G]]#1, %[[G]]#2
func.func @causal(%q: tensor<1x2x160x16xf32>, %k: tensor<1x2x160x16xf32>, %v: tensor<1x2x160x16xf32>, %o: tensor<1x2x160x16xf32>, %g: tensor<1x2x160x16xf32>) -> (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>) {
  %l = loom.attention_lse %q, %k causal : (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>) -> tensor<1x2x160xf32>
  %dq, %dk, %dv = loom.attention_grad %q, %k, %v, %o, %l, %g causal : (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160xf32>, tensor<1x2x160x16xf32>) -> (tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>)
  return %dq, %dk, %dv : tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>, tensor<1x2x160x16xf32>
}

// -----

// BERT's padding mask [B, 1, 1, T]: sliced per batch entry and chunk of
// keys ([1, 1, 1, 64]) and read in the (row, key) generic through
// (d0, d1) -> (0, 0, 0, d1); no causal select, and every block sees every
// chunk (the block loop starts at 0).
// CHECK:       #[[MASK:.*]] = affine_map<(d0, d1) -> (0, 0, 0, d1)>
// CHECK-LABEL: func.func @padding_mask
// CHECK-NOT:     64x64xi1
// CHECK:         scf.for {{.*}} -> (tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>)
// CHECK:           %[[M:.*]] = tensor.extract_slice %arg3[%{{.*}}, 0, 0, 0] [1, 1, 1, 64] [1, 1, 1, 1] : tensor<2x1x1x64xi1> to tensor<1x1x1x64xi1>
// CHECK:           linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[MASK]], #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[M]] : tensor<64xf32>, tensor<64xf32>, tensor<1x1x1x64xi1>)
// CHECK-NOT:       arith.cmpi
// CHECK:           arith.select
// CHECK:         } {loom.parallel}
func.func @padding_mask(%q: tensor<2x2x64x16xf32>, %o: tensor<2x2x64x16xf32>, %l: tensor<2x2x64xf32>, %m: tensor<2x1x1x64xi1>) -> tensor<2x2x64x16xf32> {
  %dq, %dk, %dv = loom.attention_grad %q, %q, %q, %o, %l, %o mask(%m) : (tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64xf32>, tensor<2x2x64x16xf32>, tensor<2x1x1x64xi1>) -> (tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>)
  return %dk : tensor<2x2x64x16xf32>
}
