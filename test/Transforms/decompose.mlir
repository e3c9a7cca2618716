// RUN: loom-opt %s -split-input-file --loom-decompose | FileCheck %s
// RUN: loom-opt %s -split-input-file --loom-decompose | FileCheck %s --check-prefix=NONE
// RUN: loom-opt %s -split-input-file --loom-decompose='ops=gelu' | FileCheck %s --check-prefix=GELU
// RUN: loom-opt %s -split-input-file --loom-decompose='ops=gelu,layer_norm' | FileCheck %s --check-prefix=GELU-LN
// RUN: loom-opt %s -split-input-file --loom-decompose='ops=attention' | FileCheck %s --check-prefix=ATTN
// RUN: loom-opt %s -split-input-file --loom-decompose='ops=cross_entropy' | FileCheck %s --check-prefix=CE
// RUN: not loom-opt %s --loom-decompose='ops=gelu,fused_mlp' 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not loom-opt %s --loom-decompose='ops=matmul' 2>&1 | FileCheck %s --check-prefix=ERR-PRIM
// RUN: not loom-opt %s --loom-decompose='ops=loom.gelu' 2>&1 | FileCheck %s --check-prefix=ERR-PREFIX

// Every composite loom op in primitives. The decomposition hoists and
// deduplicates its scalar constants at the top of the function (CHECK-DAG),
// then emits the primitives in order.

// No composite survives a full decomposition, anywhere in this file.
// NONE-NOT: loom.attention
// NONE-NOT: loom.layer_norm
// NONE-NOT: loom.rms_norm
// NONE-NOT: loom.l2_normalize
// NONE-NOT: loom.gelu
// NONE-NOT: loom.silu
// NONE-NOT: loom.softmax
// NONE-NOT: loom.log_softmax
// NONE-NOT: loom.cross_entropy
// NONE-NOT: loom.contrastive_loss
// NONE-NOT: loom.linear
// NONE-NOT: loom.patch_embed
// NONE-NOT: loom.split_heads
// NONE-NOT: loom.merge_heads

// An unknown name in ops= is an error before anything runs, listing the
// composites; so is a primitive op and the name with its dialect prefix.
// ERR: error: loom-decompose: 'fused_mlp' is not a composite loom op (expected one of: attention, layer_norm, rms_norm, l2_normalize, gelu, silu, softmax, log_softmax, cross_entropy, contrastive_loss, linear, patch_embed, split_heads, merge_heads)
// ERR-NOT: func.func
// ERR-PRIM: error: loom-decompose: 'matmul' is not a composite loom op
// ERR-PREFIX: error: loom-decompose: 'loom.gelu' is not a composite loom op

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

// Padding mask, default scale 1/sqrt(64): Q K^T * scale, masked softmax, * V.
// CHECK-LABEL: func.func @attention_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x5x64xf32>, %[[K:.*]]: tensor<2x4x7x64xf32>, %[[V:.*]]: tensor<2x4x7x64xf32>, %[[M:.*]]: tensor<2x1x1x7xi1>)
// CHECK-DAG: %[[NINF:.*]] = loom.constant dense<0xFF800000> : tensor<f32>
// CHECK-DAG: %[[SCALE:.*]] = loom.constant dense<1.250000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = loom.batch_matmul %[[Q]], %[[K]] transpose_rhs : (tensor<2x4x5x64xf32>, tensor<2x4x7x64xf32>) -> tensor<2x4x5x7xf32>
// CHECK: %[[SS:.*]] = loom.mul %[[S]], %[[SCALE]]
// CHECK: %[[MS:.*]] = loom.select %[[M]], %[[SS]], %[[NINF]] : (tensor<2x1x1x7xi1>, tensor<2x4x5x7xf32>, tensor<f32>) -> tensor<2x4x5x7xf32>
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[MS]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[MS]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[P:.*]] = loom.div %[[E]], %[[SUM]]
// CHECK: %[[O:.*]] = loom.batch_matmul %[[P]], %[[V]] : (tensor<2x4x5x7xf32>, tensor<2x4x7x64xf32>) -> tensor<2x4x5x64xf32>
// CHECK: return %[[O]]
// With ops=attention the softmax it makes stays a composite.
// ATTN-LABEL: func.func @attention_mask
// ATTN: %[[S:.*]] = loom.batch_matmul %{{.*}}, %{{.*}} transpose_rhs
// ATTN: %[[SS:.*]] = loom.mul %[[S]], %{{.*}}
// ATTN: %[[P:.*]] = loom.softmax %[[SS]] mask(%{{.*}}) axis = -1
// ATTN: %[[O:.*]] = loom.batch_matmul %[[P]], %{{.*}} :
// ATTN-NOT: loom.attention
// ATTN: return %[[O]]
func.func @attention_mask(%q: tensor<2x4x5x64xf32>, %k: tensor<2x4x7x64xf32>, %v: tensor<2x4x7x64xf32>, %m: tensor<2x1x1x7xi1>) -> tensor<2x4x5x64xf32> {
  %y = loom.attention %q, %k, %v mask(%m) : (tensor<2x4x5x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x7x64xf32>, tensor<2x1x1x7xi1>) -> tensor<2x4x5x64xf32>
  return %y : tensor<2x4x5x64xf32>
}

// -----

// Causal self-attention with dynamic batch and sequence, no padding mask.
// CHECK-LABEL: func.func @attention_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x64xf32>, %[[K:.*]]: tensor<?x4x?x64xf32>, %[[V:.*]]: tensor<?x4x?x64xf32>)
// CHECK-DAG: %[[NINF:.*]] = loom.constant dense<0xFF800000> : tensor<f32>
// CHECK-DAG: %[[SCALE:.*]] = loom.constant dense<1.250000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = loom.batch_matmul %[[Q]], %[[K]] transpose_rhs : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x4x?x?xf32>
// CHECK: %[[SS:.*]] = loom.mul %[[S]], %[[SCALE]]
// CHECK: %[[CM:.*]] = loom.causal_mask %[[SS]] : (tensor<?x4x?x?xf32>) -> tensor<?x?xi1>
// CHECK: %[[MS:.*]] = loom.select %[[CM]], %[[SS]], %[[NINF]]
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[MS]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[MS]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[P:.*]] = loom.div %[[E]], %[[SUM]]
// CHECK: %[[O:.*]] = loom.batch_matmul %[[P]], %[[V]] : (tensor<?x4x?x?xf32>, tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32>
// CHECK: return %[[O]]
// ATTN-LABEL: func.func @attention_causal
// ATTN: loom.softmax %{{.*}} causal axis = -1
func.func @attention_causal(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %y = loom.attention %q, %k, %v causal : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32>
  return %y : tensor<?x4x?x64xf32>
}

// -----

// Explicit scale (the head dim is dynamic), rank 3, no mask: no select.
// CHECK-LABEL: func.func @attention_scale
// CHECK-SAME: (%[[Q:.*]]: tensor<2x5x?xf32>, %[[K:.*]]: tensor<2x7x?xf32>, %[[V:.*]]: tensor<2x7x3xf32>)
// CHECK: %[[SCALE:.*]] = loom.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = loom.batch_matmul %[[Q]], %[[K]] transpose_rhs : (tensor<2x5x?xf32>, tensor<2x7x?xf32>) -> tensor<2x5x7xf32>
// CHECK: %[[SS:.*]] = loom.mul %[[S]], %[[SCALE]]
// CHECK-NOT: loom.select
// CHECK-NOT: loom.causal_mask
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[SS]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[SS]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[P:.*]] = loom.div %[[E]], %[[SUM]]
// CHECK: %[[O:.*]] = loom.batch_matmul %[[P]], %[[V]] : (tensor<2x5x7xf32>, tensor<2x7x3xf32>) -> tensor<2x5x3xf32>
// CHECK: return %[[O]]
func.func @attention_scale(%q: tensor<2x5x?xf32>, %k: tensor<2x7x?xf32>, %v: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %y = loom.attention %q, %k, %v {scale = 2.500000e-01 : f64} : (tensor<2x5x?xf32>, tensor<2x7x?xf32>, tensor<2x7x3xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// The default scale takes Dk from the key when the query's is dynamic:
// 1/sqrt(16) = 0.25.
// CHECK-LABEL: func.func @attention_scale_from_key
// CHECK: loom.constant dense<2.500000e-01> : tensor<f32>
// CHECK: loom.batch_matmul
func.func @attention_scale_from_key(%q: tensor<3x?xf32>, %k: tensor<5x16xf32>, %v: tensor<5x2xf32>) -> tensor<3x2xf32> {
  %y = loom.attention %q, %k, %v : (tensor<3x?xf32>, tensor<5x16xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

//===----------------------------------------------------------------------===//
// normalization
//===----------------------------------------------------------------------===//

// -----

// (x - mean) * rsqrt(var + eps) * gamma (+ beta); the two layer norms share
// their epsilon constant.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x768xf32>, %[[G:.*]]: tensor<768xf32>, %[[B:.*]]: tensor<768xf32>)
// CHECK: %[[EPS:.*]] = loom.constant dense<9.99999974E-6> : tensor<f32>
// CHECK: %[[MEAN:.*]] = loom.reduce_mean %[[X]] axes = [-1] keep_dims : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
// CHECK: %[[C:.*]] = loom.sub %[[X]], %[[MEAN]]
// CHECK: %[[SQ:.*]] = loom.mul %[[C]], %[[C]]
// CHECK: %[[VAR:.*]] = loom.reduce_mean %[[SQ]] axes = [-1] keep_dims
// CHECK: %[[VE:.*]] = loom.add %[[VAR]], %[[EPS]]
// CHECK: %[[INV:.*]] = loom.rsqrt %[[VE]] : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
// CHECK: %[[N:.*]] = loom.mul %[[C]], %[[INV]]
// CHECK: %[[NG:.*]] = loom.mul %[[N]], %[[G]] : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
// CHECK: %[[Y:.*]] = loom.add %[[NG]], %[[B]] : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
// Without beta: no final add.
// CHECK: %[[MEAN2:.*]] = loom.reduce_mean %[[X]] axes = [-1] keep_dims
// CHECK: %[[C2:.*]] = loom.sub %[[X]], %[[MEAN2]]
// CHECK: %[[SQ2:.*]] = loom.mul %[[C2]], %[[C2]]
// CHECK: %[[VAR2:.*]] = loom.reduce_mean %[[SQ2]] axes = [-1] keep_dims
// CHECK: %[[VE2:.*]] = loom.add %[[VAR2]], %[[EPS]]
// CHECK: %[[INV2:.*]] = loom.rsqrt %[[VE2]]
// CHECK: %[[N2:.*]] = loom.mul %[[C2]], %[[INV2]]
// CHECK: %[[Z:.*]] = loom.mul %[[N2]], %[[G]]
// CHECK-NOT: loom.add
// CHECK: return %[[Y]], %[[Z]]
func.func @layer_norm(%x: tensor<?x?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>) {
  %y = loom.layer_norm %x, %g, %b epsilon = 1.000000e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %z = loom.layer_norm %x, %g epsilon = 1.000000e-05 : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %y, %z : tensor<?x?x768xf32>, tensor<?x?x768xf32>
}

// -----

// x * rsqrt(mean(x^2) + eps) * gamma, in bf16 (epsilon rounded to bf16).
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x512xbf16>, %[[G:.*]]: tensor<512xbf16>)
// CHECK: %[[EPS:.*]] = loom.constant dense<9.983770e-07> : tensor<bf16>
// CHECK: %[[SQ:.*]] = loom.mul %[[X]], %[[X]]
// CHECK: %[[MS:.*]] = loom.reduce_mean %[[SQ]] axes = [-1] keep_dims : (tensor<?x512xbf16>) -> tensor<?x1xbf16>
// CHECK: %[[ME:.*]] = loom.add %[[MS]], %[[EPS]]
// CHECK: %[[INV:.*]] = loom.rsqrt %[[ME]]
// CHECK: %[[N:.*]] = loom.mul %[[X]], %[[INV]]
// CHECK: %[[Y:.*]] = loom.mul %[[N]], %[[G]] : (tensor<?x512xbf16>, tensor<512xbf16>) -> tensor<?x512xbf16>
// CHECK: return %[[Y]]
func.func @rms_norm(%x: tensor<?x512xbf16>, %g: tensor<512xbf16>) -> tensor<?x512xbf16> {
  %y = loom.rms_norm %x, %g epsilon = 1.000000e-06 : (tensor<?x512xbf16>, tensor<512xbf16>) -> tensor<?x512xbf16>
  return %y : tensor<?x512xbf16>
}

// -----

// x / max(sqrt(sum(x^2)), eps) along the given axis.
// CHECK-LABEL: func.func @l2_normalize
// CHECK-SAME: (%[[X:.*]]: tensor<?x512xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK-DAG: %[[EPS:.*]] = loom.constant dense<9.99999996E-13> : tensor<f32>
// CHECK-DAG: %[[EPS2:.*]] = loom.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[SQ:.*]] = loom.mul %[[X]], %[[X]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[SQ]] axes = [-1] keep_dims : (tensor<?x512xf32>) -> tensor<?x1xf32>
// CHECK: %[[NORM:.*]] = loom.sqrt %[[SUM]]
// CHECK: %[[DEN:.*]] = loom.maximum %[[NORM]], %[[EPS]]
// CHECK: %[[Y:.*]] = loom.div %[[X]], %[[DEN]] : (tensor<?x512xf32>, tensor<?x1xf32>) -> tensor<?x512xf32>
// CHECK: %[[SQ2:.*]] = loom.mul %[[W]], %[[W]]
// CHECK: %[[SUM2:.*]] = loom.reduce_sum %[[SQ2]] axes = [0] keep_dims : (tensor<3x4xf32>) -> tensor<1x4xf32>
// CHECK: %[[NORM2:.*]] = loom.sqrt %[[SUM2]]
// CHECK: %[[DEN2:.*]] = loom.maximum %[[NORM2]], %[[EPS2]]
// CHECK: %[[Z:.*]] = loom.div %[[W]], %[[DEN2]] : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
// CHECK: return %[[Y]], %[[Z]]
func.func @l2_normalize(%x: tensor<?x512xf32>, %w: tensor<3x4xf32>) -> (tensor<?x512xf32>, tensor<3x4xf32>) {
  %y = loom.l2_normalize %x axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  %z = loom.l2_normalize %w axis = 0 epsilon = 5.000000e-01 : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y, %z : tensor<?x512xf32>, tensor<3x4xf32>
}

//===----------------------------------------------------------------------===//
// activations
//===----------------------------------------------------------------------===//

// -----

// 0.5 x (1 + erf(x / sqrt(2)))
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = loom.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[RSQRT2:.*]] = loom.constant dense<0.707106769> : tensor<f32>
// CHECK: %[[XS:.*]] = loom.mul %[[X]], %[[RSQRT2]]
// CHECK: %[[ERF:.*]] = loom.erf %[[XS]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[HX:.*]] = loom.mul %[[HALF]], %[[X]]
// CHECK: %[[OPE:.*]] = loom.add %[[ONE]], %[[ERF]]
// CHECK: %[[Y:.*]] = loom.mul %[[HX]], %[[OPE]] : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: return %[[Y]]
func.func @gelu_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = loom.gelu erf %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = loom.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[K:.*]] = loom.constant dense<0.797884583> : tensor<f32>
// CHECK-DAG: %[[C:.*]] = loom.constant dense<4.471500e-02> : tensor<f32>
// CHECK: %[[X2:.*]] = loom.mul %[[X]], %[[X]]
// CHECK: %[[X3:.*]] = loom.mul %[[X]], %[[X2]]
// CHECK: %[[CX3:.*]] = loom.mul %[[C]], %[[X3]]
// CHECK: %[[POLY:.*]] = loom.add %[[X]], %[[CX3]]
// CHECK: %[[ARG:.*]] = loom.mul %[[K]], %[[POLY]]
// CHECK: %[[T:.*]] = loom.tanh %[[ARG]]
// CHECK: %[[HX:.*]] = loom.mul %[[HALF]], %[[X]]
// CHECK: %[[OPT:.*]] = loom.add %[[ONE]], %[[T]]
// CHECK: %[[Y:.*]] = loom.mul %[[HX]], %[[OPT]]
// CHECK: return %[[Y]]
func.func @gelu_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = loom.gelu tanh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf16>)
// CHECK: %[[S:.*]] = loom.sigmoid %[[X]] : (tensor<4x8xf16>) -> tensor<4x8xf16>
// CHECK: %[[Y:.*]] = loom.mul %[[X]], %[[S]] : (tensor<4x8xf16>, tensor<4x8xf16>) -> tensor<4x8xf16>
// CHECK: return %[[Y]]
func.func @silu(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %y = loom.silu %x : (tensor<4x8xf16>) -> tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

// The primitives infer a more static type than the composites declare. A
// loom user takes it as is; func.return needs the declared type, which a
// reshape that copies every dim restores.
// CHECK-LABEL: func.func @declared_less_static
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK: %[[S:.*]] = loom.sigmoid %[[X]] : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[SI:.*]] = loom.mul %[[X]], %[[S]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[R:.*]] = loom.reshape %[[SI]] shape = [0, 0] : (tensor<4x8xf32>) -> tensor<?x?xf32>
// CHECK: %[[G:.*]] = loom.mul %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[E:.*]] = loom.exp %[[G]] : (tensor<4x8xf32>) -> tensor<?x?xf32>
// CHECK: return %[[R]], %[[E]]
func.func @declared_less_static(%x: tensor<4x8xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %y = loom.silu %x : (tensor<4x8xf32>) -> tensor<?x?xf32>
  %z = loom.gelu erf %x : (tensor<4x8xf32>) -> tensor<?x?xf32>
  %w = loom.exp %z : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y, %w : tensor<?x?xf32>, tensor<?x?xf32>
}

//===----------------------------------------------------------------------===//
// softmax family
//===----------------------------------------------------------------------===//

// -----

// Along a middle axis, no masks: exp(x - max) / sum.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>)
// CHECK-NOT: loom.constant
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[X]] axes = [1] keep_dims : (tensor<2x3x8xf32>) -> tensor<2x1x8xf32>
// CHECK: %[[SH:.*]] = loom.sub %[[X]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [1] keep_dims
// CHECK: %[[P:.*]] = loom.div %[[E]], %[[SUM]] : (tensor<2x3x8xf32>, tensor<2x1x8xf32>) -> tensor<2x3x8xf32>
// CHECK: return %[[P]]
func.func @softmax(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %y = loom.softmax %x axis = 1 : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Causal diagonal first, then the padding mask, both to -inf.
// CHECK-LABEL: func.func @softmax_mask_causal
// CHECK-SAME: (%[[X:.*]]: tensor<?x12x?x?xf32>, %[[M:.*]]: tensor<?x1x1x?xi1>)
// CHECK: %[[NINF:.*]] = loom.constant dense<0xFF800000> : tensor<f32>
// CHECK: %[[CM:.*]] = loom.causal_mask %[[X]] : (tensor<?x12x?x?xf32>) -> tensor<?x?xi1>
// CHECK: %[[S1:.*]] = loom.select %[[CM]], %[[X]], %[[NINF]] : (tensor<?x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
// CHECK: %[[S2:.*]] = loom.select %[[M]], %[[S1]], %[[NINF]] : (tensor<?x1x1x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[S2]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[S2]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[P:.*]] = loom.div %[[E]], %[[SUM]]
// CHECK: return %[[P]]
func.func @softmax_mask_causal(%x: tensor<?x12x?x?xf32>, %m: tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32> {
  %p = loom.softmax %x mask(%m) causal axis = -1 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
  return %p : tensor<?x12x?x?xf32>
}

// -----

// (x - max) - log(sum(exp(x - max)))
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<?x100xf32>)
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[X]] axes = [-1] keep_dims : (tensor<?x100xf32>) -> tensor<?x1xf32>
// CHECK: %[[SH:.*]] = loom.sub %[[X]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[LSE:.*]] = loom.log %[[SUM]] : (tensor<?x1xf32>) -> tensor<?x1xf32>
// CHECK: %[[Y:.*]] = loom.sub %[[SH]], %[[LSE]] : (tensor<?x100xf32>, tensor<?x1xf32>) -> tensor<?x100xf32>
// CHECK: return %[[Y]]
func.func @log_softmax(%x: tensor<?x100xf32>) -> tensor<?x100xf32> {
  %p = loom.log_softmax %x axis = -1 : (tensor<?x100xf32>) -> tensor<?x100xf32>
  return %p : tensor<?x100xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax_causal
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xf32>)
// CHECK: %[[NINF:.*]] = loom.constant dense<0xFF800000> : tensor<f32>
// CHECK: %[[CM:.*]] = loom.causal_mask %[[X]] : (tensor<4x4xf32>) -> tensor<4x4xi1>
// CHECK: %[[S:.*]] = loom.select %[[CM]], %[[X]], %[[NINF]]
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[S]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[S]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[LSE:.*]] = loom.log %[[SUM]]
// CHECK: %[[Y:.*]] = loom.sub %[[SH]], %[[LSE]]
// CHECK: return %[[Y]]
func.func @log_softmax_causal(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %p = loom.log_softmax %x causal axis = -1 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %p : tensor<4x4xf32>
}

//===----------------------------------------------------------------------===//
// losses
//===----------------------------------------------------------------------===//

// -----

// sum(valid ? lse - logits[target] : 0) / count(valid), lse = log Σ exp(x -
// max) + max per row, where ignored targets gather class 0 instead of a
// possibly out-of-range id. No log-softmax tensor: the max and the sum are
// built as softmax builds them (a training step's gradient shares them).
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[L:.*]]: tensor<?x?x100xf32>, %[[T:.*]]: tensor<?x?xi32>) -> tensor<f32>
// CHECK-DAG: %[[ZF:.*]] = loom.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ZI:.*]] = loom.constant dense<0> : tensor<i32>
// CHECK-DAG: %[[IGN:.*]] = loom.constant dense<-100> : tensor<i32>
// CHECK: %[[MAX:.*]] = loom.reduce_max %[[L]] axes = [-1] keep_dims
// CHECK: %[[SH:.*]] = loom.sub %[[L]], %[[MAX]]
// CHECK: %[[E:.*]] = loom.exp %[[SH]]
// CHECK: %[[SUM:.*]] = loom.reduce_sum %[[E]] axes = [-1] keep_dims
// CHECK: %[[LOGSUM:.*]] = loom.log %[[SUM]]
// CHECK: %[[LSE1:.*]] = loom.add %[[LOGSUM]], %[[MAX]] : (tensor<?x?x1xf32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
// CHECK: %[[LSE:.*]] = loom.reshape %[[LSE1]] shape = [0, 0] : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
// CHECK: %[[VALID:.*]] = loom.compare ne, %[[T]], %[[IGN]] : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
// CHECK: %[[SAFE:.*]] = loom.select %[[VALID]], %[[T]], %[[ZI]] : (tensor<?x?xi1>, tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi32>
// CHECK: %[[PICK:.*]] = loom.gather %[[L]], %[[SAFE]] : (tensor<?x?x100xf32>, tensor<?x?xi32>) -> tensor<?x?xf32>
// CHECK: %[[NLL:.*]] = loom.sub %[[LSE]], %[[PICK]] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK: %[[KEPT:.*]] = loom.select %[[VALID]], %[[NLL]], %[[ZF]] : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
// CHECK: %[[VF:.*]] = loom.cast %[[VALID]] to f32 : (tensor<?x?xi1>) -> tensor<?x?xf32>
// CHECK: %[[COUNT:.*]] = loom.reduce_sum %[[VF]] axes = [0, 1] : (tensor<?x?xf32>) -> tensor<f32>
// CHECK: %[[TOTAL:.*]] = loom.reduce_sum %[[KEPT]] axes = [0, 1] : (tensor<?x?xf32>) -> tensor<f32>
// CHECK: %[[LOSS:.*]] = loom.div %[[TOTAL]], %[[COUNT]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK: return %[[LOSS]]
// With ops=cross_entropy the same primitives (no composite is made).
// CE-LABEL: func.func @cross_entropy
// CE: loom.reduce_max
// CE: loom.gather %arg0
// CE-NOT: loom.cross_entropy
// CE-NOT: loom.log_softmax
// CE: return
func.func @cross_entropy(%l: tensor<?x?x100xf32>, %t: tensor<?x?xi32>) -> tensor<f32> {
  %p = loom.cross_entropy %l, %t ignore_index = -100 : (tensor<?x?x100xf32>, tensor<?x?xi32>) -> tensor<f32>
  return %p : tensor<f32>
}

// -----

// One position (rank-0 targets): nothing to sum, an i64 ignore index.
// CHECK-LABEL: func.func @cross_entropy_scalar
// CHECK-SAME: (%[[L:.*]]: tensor<10xbf16>, %[[T:.*]]: tensor<i64>)
// CHECK-DAG: %[[IGN:.*]] = loom.constant dense<7> : tensor<i64>
// CHECK-DAG: %[[ZF:.*]] = loom.constant dense<0.000000e+00> : tensor<bf16>
// CHECK: %[[VALID:.*]] = loom.compare ne, %[[T]], %[[IGN]] : (tensor<i64>, tensor<i64>) -> tensor<i1>
// CHECK: %[[PICK:.*]] = loom.gather %{{.*}}, %{{.*}} : (tensor<10xbf16>, tensor<i64>) -> tensor<bf16>
// CHECK: %[[NLL:.*]] = loom.sub %{{.*}}, %[[PICK]] : (tensor<bf16>, tensor<bf16>) -> tensor<bf16>
// CHECK: %[[KEPT:.*]] = loom.select %[[VALID]], %[[NLL]], %[[ZF]]
// CHECK: %[[COUNT:.*]] = loom.cast %[[VALID]] to bf16 : (tensor<i1>) -> tensor<bf16>
// CHECK-NOT: loom.reduce_sum
// CHECK: %[[LOSS:.*]] = loom.div %[[KEPT]], %[[COUNT]]
// CHECK: return %[[LOSS]]
func.func @cross_entropy_scalar(%l: tensor<10xbf16>, %t: tensor<i64>) -> tensor<bf16> {
  %p = loom.cross_entropy %l, %t ignore_index = 7 : (tensor<10xbf16>, tensor<i64>) -> tensor<bf16>
  return %p : tensor<bf16>
}

// -----

// CLIP: normalize both embeddings, logits = exp(s) * img . txt^T, then the
// mean of the cross-entropies of logits and logits^T against 0..N-1.
// CHECK-LABEL: func.func @contrastive_loss
// CHECK-SAME: (%[[I:.*]]: tensor<?x512xf32>, %[[T:.*]]: tensor<?x512xf32>, %[[S:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = loom.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[ZF:.*]] = loom.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ZI:.*]] = loom.constant dense<0> : tensor<i64>
// CHECK-DAG: %[[IGN:.*]] = loom.constant dense<-100> : tensor<i64>
// CHECK-DAG: %[[EPS:.*]] = loom.constant dense<9.99999996E-13> : tensor<f32>
// CHECK: %[[ISQ:.*]] = loom.mul %[[I]], %[[I]]
// CHECK: %[[ISUM:.*]] = loom.reduce_sum %[[ISQ]] axes = [-1] keep_dims
// CHECK: %[[INORM:.*]] = loom.sqrt %[[ISUM]]
// CHECK: %[[IDEN:.*]] = loom.maximum %[[INORM]], %[[EPS]]
// CHECK: %[[IN:.*]] = loom.div %[[I]], %[[IDEN]]
// CHECK: %[[TSQ:.*]] = loom.mul %[[T]], %[[T]]
// CHECK: %[[TSUM:.*]] = loom.reduce_sum %[[TSQ]] axes = [-1] keep_dims
// CHECK: %[[TNORM:.*]] = loom.sqrt %[[TSUM]]
// CHECK: %[[TDEN:.*]] = loom.maximum %[[TNORM]], %[[EPS]]
// CHECK: %[[TN:.*]] = loom.div %[[T]], %[[TDEN]]
// CHECK: %[[SIM:.*]] = loom.batch_matmul %[[IN]], %[[TN]] transpose_rhs : (tensor<?x512xf32>, tensor<?x512xf32>) -> tensor<?x?xf32>
// CHECK: %[[ES:.*]] = loom.exp %[[S]] : (tensor<f32>) -> tensor<f32>
// CHECK: %[[LOGITS:.*]] = loom.mul %[[SIM]], %[[ES]]
// CHECK: %[[LABELS:.*]] = loom.positions %[[LOGITS]] axis = 0 : (tensor<?x?xf32>) -> tensor<?xi64>
// CHECK: %[[LT:.*]] = loom.transpose %[[LOGITS]] permutation = [1, 0]
// Cross-entropy per image (rows of the logits) ...
// CHECK: %[[MAX1:.*]] = loom.reduce_max %[[LOGITS]] axes = [-1] keep_dims
// CHECK: %[[SH1:.*]] = loom.sub %[[LOGITS]], %[[MAX1]]
// CHECK: %[[E1:.*]] = loom.exp %[[SH1]]
// CHECK: %[[SUM1:.*]] = loom.reduce_sum %[[E1]] axes = [-1] keep_dims
// CHECK: %[[LOGSUM1:.*]] = loom.log %[[SUM1]]
// CHECK: %[[LSE1:.*]] = loom.add %[[LOGSUM1]], %[[MAX1]]
// CHECK: %[[RLSE1:.*]] = loom.reshape %[[LSE1]] shape = [0]
// CHECK: %[[V1:.*]] = loom.compare ne, %[[LABELS]], %[[IGN]]
// CHECK: %[[SAFE1:.*]] = loom.select %[[V1]], %[[LABELS]], %[[ZI]]
// CHECK: %[[P1:.*]] = loom.gather %[[LOGITS]], %[[SAFE1]]
// CHECK: %[[NLL1:.*]] = loom.sub %[[RLSE1]], %[[P1]]
// CHECK: %[[K1:.*]] = loom.select %[[V1]], %[[NLL1]], %[[ZF]]
// CHECK: %[[VF1:.*]] = loom.cast %[[V1]] to f32
// CHECK: %[[C1:.*]] = loom.reduce_sum %[[VF1]] axes = [0]
// CHECK: %[[T1:.*]] = loom.reduce_sum %[[K1]] axes = [0]
// CHECK: %[[CE1:.*]] = loom.div %[[T1]], %[[C1]]
// ... and per text (rows of the transposed logits).
// CHECK: %[[MAX2:.*]] = loom.reduce_max %[[LT]] axes = [-1] keep_dims
// CHECK: %[[SH2:.*]] = loom.sub %[[LT]], %[[MAX2]]
// CHECK: %[[E2:.*]] = loom.exp %[[SH2]]
// CHECK: %[[SUM2:.*]] = loom.reduce_sum %[[E2]] axes = [-1] keep_dims
// CHECK: %[[LOGSUM2:.*]] = loom.log %[[SUM2]]
// CHECK: %[[LSE2:.*]] = loom.add %[[LOGSUM2]], %[[MAX2]]
// CHECK: %[[RLSE2:.*]] = loom.reshape %[[LSE2]] shape = [0]
// CHECK: %[[V2:.*]] = loom.compare ne, %[[LABELS]], %[[IGN]]
// CHECK: %[[SAFE2:.*]] = loom.select %[[V2]], %[[LABELS]], %[[ZI]]
// CHECK: %[[P2:.*]] = loom.gather %[[LT]], %[[SAFE2]]
// CHECK: %[[NLL2:.*]] = loom.sub %[[RLSE2]], %[[P2]]
// CHECK: %[[K2:.*]] = loom.select %[[V2]], %[[NLL2]], %[[ZF]]
// CHECK: %[[VF2:.*]] = loom.cast %[[V2]] to f32
// CHECK: %[[C2:.*]] = loom.reduce_sum %[[VF2]] axes = [0]
// CHECK: %[[T2:.*]] = loom.reduce_sum %[[K2]] axes = [0]
// CHECK: %[[CE2:.*]] = loom.div %[[T2]], %[[C2]]
// CHECK: %[[SUM:.*]] = loom.add %[[CE1]], %[[CE2]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK: %[[LOSS:.*]] = loom.mul %[[SUM]], %[[HALF]]
// CHECK: return %[[LOSS]]
func.func @contrastive_loss(%a: tensor<?x512xf32>, %b: tensor<?x512xf32>, %s: tensor<f32>) -> tensor<f32> {
  %p = loom.contrastive_loss %a, %b, %s : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<f32>
  return %p : tensor<f32>
}

//===----------------------------------------------------------------------===//
// linear, patch_embed
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x768xf32>, %[[W:.*]]: tensor<768x2304xf32>, %[[B:.*]]: tensor<2304xf32>, %[[WT:.*]]: tensor<3072x768xf32>, %[[BT:.*]]: tensor<3072xf32>)
// With bias, GPT-2 Conv1D layout [in, out].
// CHECK: %[[M1:.*]] = loom.batch_matmul %[[X]], %[[W]] : (tensor<?x?x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x2304xf32>
// CHECK: %[[Y1:.*]] = loom.add %[[M1]], %[[B]] : (tensor<?x?x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
// Without bias, torch layout [out, in]: no add.
// CHECK: %[[Y2:.*]] = loom.batch_matmul %[[X]], %[[WT]] transpose_rhs : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
// With bias, torch layout.
// CHECK: %[[M3:.*]] = loom.batch_matmul %[[X]], %[[WT]] transpose_rhs
// CHECK: %[[Y3:.*]] = loom.add %[[M3]], %[[BT]] : (tensor<?x?x3072xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
// Without bias, Conv1D layout.
// CHECK: %[[Y4:.*]] = loom.batch_matmul %[[X]], %[[W]] :
// CHECK-NOT: loom.add
// CHECK: return %[[Y1]], %[[Y2]], %[[Y3]], %[[Y4]]
func.func @linear(%x: tensor<?x?x768xf32>, %w: tensor<768x2304xf32>, %b: tensor<2304xf32>, %wt: tensor<3072x768xf32>, %bt: tensor<3072xf32>) -> (tensor<?x?x2304xf32>, tensor<?x?x3072xf32>, tensor<?x?x3072xf32>, tensor<?x?x2304xf32>) {
  %y1 = loom.linear %x, %w, %b : (tensor<?x?x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
  %y2 = loom.linear %x, %wt transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
  %y3 = loom.linear %x, %wt, %bt transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
  %y4 = loom.linear %x, %w : (tensor<?x?x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x2304xf32>
  return %y1, %y2, %y3, %y4 : tensor<?x?x2304xf32>, tensor<?x?x3072xf32>, tensor<?x?x3072xf32>, tensor<?x?x2304xf32>
}

// -----

// patchify, weight [D, C, p, p] flattened to [D, C*p*p], then the linear it
// becomes is decomposed in turn (transpose_weight, bias).
// CHECK-LABEL: func.func @patch_embed
// CHECK-SAME: (%[[IMG:.*]]: tensor<?x3x224x224xf32>, %[[W:.*]]: tensor<768x3x16x16xf32>, %[[B:.*]]: tensor<768xf32>)
// CHECK: %[[P:.*]] = loom.patchify %[[IMG]] patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x768xf32>
// CHECK: %[[WF:.*]] = loom.reshape %[[W]] shape = [0, -1] : (tensor<768x3x16x16xf32>) -> tensor<768x768xf32>
// CHECK: %[[M:.*]] = loom.batch_matmul %[[P]], %[[WF]] transpose_rhs : (tensor<?x196x768xf32>, tensor<768x768xf32>) -> tensor<?x196x768xf32>
// CHECK: %[[Y:.*]] = loom.add %[[M]], %[[B]]
// CHECK: return %[[Y]]
func.func @patch_embed(%img: tensor<?x3x224x224xf32>, %w: tensor<768x3x16x16xf32>, %b: tensor<768xf32>) -> tensor<?x196x768xf32> {
  %e = loom.patch_embed %img, %w, %b patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x196x768xf32>
  return %e : tensor<?x196x768xf32>
}

// -----

// Without bias; non-square image, 8x8 patches of 1 channel: N = 2*4 = 8.
// CHECK-LABEL: func.func @patch_embed_no_bias
// CHECK: %[[P:.*]] = loom.patchify %{{.*}} patch = 8 : (tensor<2x1x16x32xf32>) -> tensor<2x8x64xf32>
// CHECK: %[[WF:.*]] = loom.reshape %{{.*}} shape = [0, -1] : (tensor<32x1x8x8xf32>) -> tensor<32x64xf32>
// CHECK: %[[Y:.*]] = loom.batch_matmul %[[P]], %[[WF]] transpose_rhs : (tensor<2x8x64xf32>, tensor<32x64xf32>) -> tensor<2x8x32xf32>
// CHECK-NOT: loom.add
// CHECK: return %[[Y]]
func.func @patch_embed_no_bias(%img: tensor<2x1x16x32xf32>, %w: tensor<32x1x8x8xf32>) -> tensor<2x8x32xf32> {
  %e = loom.patch_embed %img, %w patch = 8 : (tensor<2x1x16x32xf32>, tensor<32x1x8x8xf32>) -> tensor<2x8x32xf32>
  return %e : tensor<2x8x32xf32>
}

//===----------------------------------------------------------------------===//
// split_heads, merge_heads
//===----------------------------------------------------------------------===//

// -----

// [B, T, 768] -> [B, T, 12, 64] -> [B, 12, T, 64] and back; the copied (0)
// dims keep B and T dynamic while the head size stays static.
// CHECK-LABEL: func.func @heads
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x768xf32>, %[[H:.*]]: tensor<?x12x?x64xf32>)
// CHECK: %[[R:.*]] = loom.reshape %[[X]] shape = [0, 0, 12, -1] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
// CHECK: %[[S:.*]] = loom.transpose %[[R]] permutation = [0, 2, 1, 3] : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK: %[[T:.*]] = loom.transpose %[[H]] permutation = [0, 2, 1, 3] : (tensor<?x12x?x64xf32>) -> tensor<?x?x12x64xf32>
// CHECK: %[[M:.*]] = loom.reshape %[[T]] shape = [0, 0, -1] : (tensor<?x?x12x64xf32>) -> tensor<?x?x768xf32>
// CHECK: return %[[S]], %[[M]]
func.func @heads(%x: tensor<?x?x768xf32>, %h: tensor<?x12x?x64xf32>) -> (tensor<?x12x?x64xf32>, tensor<?x?x768xf32>) {
  %s = loom.split_heads %x num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %m = loom.merge_heads %h : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  return %s, %m : tensor<?x12x?x64xf32>, tensor<?x?x768xf32>
}

// -----

// Rank 2 (no batch) split, rank 5 merge (two leading dims).
// CHECK-LABEL: func.func @heads_other_ranks
// CHECK-SAME: (%[[X:.*]]: tensor<5x8xf32>, %[[H:.*]]: tensor<2x3x4x5x6xf32>)
// CHECK: %[[R:.*]] = loom.reshape %[[X]] shape = [0, 2, -1] : (tensor<5x8xf32>) -> tensor<5x2x4xf32>
// CHECK: %[[S:.*]] = loom.transpose %[[R]] permutation = [1, 0, 2] : (tensor<5x2x4xf32>) -> tensor<2x5x4xf32>
// CHECK: %[[T:.*]] = loom.transpose %[[H]] permutation = [0, 1, 3, 2, 4] : (tensor<2x3x4x5x6xf32>) -> tensor<2x3x5x4x6xf32>
// CHECK: %[[M:.*]] = loom.reshape %[[T]] shape = [0, 0, 0, -1] : (tensor<2x3x5x4x6xf32>) -> tensor<2x3x5x24xf32>
// CHECK: return %[[S]], %[[M]]
func.func @heads_other_ranks(%x: tensor<5x8xf32>, %h: tensor<2x3x4x5x6xf32>) -> (tensor<2x5x4xf32>, tensor<2x3x5x24xf32>) {
  %s = loom.split_heads %x num_heads = 2 : (tensor<5x8xf32>) -> tensor<2x5x4xf32>
  %m = loom.merge_heads %h : (tensor<2x3x4x5x6xf32>) -> tensor<2x3x5x24xf32>
  return %s, %m : tensor<2x5x4xf32>, tensor<2x3x5x24xf32>
}

//===----------------------------------------------------------------------===//
// ops= filter
//===----------------------------------------------------------------------===//

// -----

// ops=gelu decomposes the gelu only; ops=gelu,layer_norm both, not linear.
// GELU-LABEL: func.func @mlp
// GELU: %[[H:.*]] = loom.layer_norm
// GELU: %[[F:.*]] = loom.linear %[[H]]
// GELU-NOT: loom.gelu
// GELU: loom.tanh
// GELU-NOT: loom.gelu
// GELU: return
// GELU-LN-LABEL: func.func @mlp
// GELU-LN-NOT: loom.layer_norm
// GELU-LN: loom.rsqrt
// GELU-LN: %[[F:.*]] = loom.linear
// GELU-LN-NOT: loom.gelu
// GELU-LN: loom.tanh
// GELU-LN: return
// ATTN-LABEL: func.func @mlp
// ATTN: loom.layer_norm
// ATTN: loom.linear
// ATTN: loom.gelu tanh
// CHECK-LABEL: func.func @mlp
// CHECK-NOT: loom.layer_norm
// CHECK-NOT: loom.linear
// CHECK-NOT: loom.gelu
// CHECK: return
func.func @mlp(%x: tensor<?x768xf32>, %g: tensor<768xf32>, %w: tensor<768x3072xf32>) -> tensor<?x3072xf32> {
  %h = loom.layer_norm %x, %g epsilon = 1.0e-05 : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  %f = loom.linear %h, %w : (tensor<?x768xf32>, tensor<768x3072xf32>) -> tensor<?x3072xf32>
  %y = loom.gelu tanh %f : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  return %y : tensor<?x3072xf32>
}

// -----

// Primitive ops are left as they are.
// CHECK-LABEL: func.func @primitives_untouched
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x2xf32>)
// CHECK: %[[M:.*]] = loom.matmul %[[X]], %[[W]]
// CHECK: %[[R:.*]] = loom.relu %[[M]]
// CHECK: return %[[R]]
func.func @primitives_untouched(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %m = loom.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %r = loom.relu %m : (tensor<4x2xf32>) -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}
