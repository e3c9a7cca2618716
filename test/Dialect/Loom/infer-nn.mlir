// Shape inference of the neural network and loss ops: every result is declared
// with `?` dims, and loom-infer-shapes refines it (and the signature of the
// function, which nothing calls) to the inferred type.
// RUN: loom-opt %s --loom-infer-shapes | FileCheck %s
// RUN: loom-opt %s --loom-infer-shapes | loom-opt --loom-infer-shapes | FileCheck %s

// CHECK-LABEL: func.func @embedding(
// CHECK-SAME:    %arg0: tensor<50257x768xf32>, %arg1: tensor<2x?xi32>) -> tensor<2x?x768xf32> {
// CHECK-NEXT:    %0 = loom.embedding %arg0, %arg1 : (tensor<50257x768xf32>, tensor<2x?xi32>) -> tensor<2x?x768xf32>
// CHECK-NEXT:    return %0 : tensor<2x?x768xf32>
// CHECK-NEXT:  }
func.func @embedding(%t: tensor<50257x768xf32>, %ids: tensor<2x?xi32>) -> tensor<?x?x?xf32> {
  %0 = loom.embedding %t, %ids : (tensor<50257x768xf32>, tensor<2x?xi32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @sinusoidal_encoding(
// CHECK-SAME:    %arg0: tensor<2x7xi64>) -> tensor<2x7x512xf32> {
// CHECK-NEXT:    %0 = loom.sinusoidal_encoding %arg0 dim = 512 : (tensor<2x7xi64>) -> tensor<2x7x512xf32>
// CHECK-NEXT:    return %0 : tensor<2x7x512xf32>
// CHECK-NEXT:  }
func.func @sinusoidal_encoding(%p: tensor<2x7xi64>) -> tensor<?x?x?xf32> {
  %0 = loom.sinusoidal_encoding %p dim = 512 : (tensor<2x7xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:    %arg0: tensor<8x?xf32>, %arg1: tensor<768x2304xf32>) -> tensor<8x2304xf32> {
// CHECK-NEXT:    %0 = loom.matmul %arg0, %arg1 : (tensor<8x?xf32>, tensor<768x2304xf32>) -> tensor<8x2304xf32>
// CHECK-NEXT:    return %0 : tensor<8x2304xf32>
// CHECK-NEXT:  }
func.func @matmul(%a: tensor<8x?xf32>, %b: tensor<768x2304xf32>) -> tensor<?x?xf32> {
  %0 = loom.matmul %a, %b : (tensor<8x?xf32>, tensor<768x2304xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// transpose_rhs reads the rhs as [..., N, K]; batch dims broadcast (a
// missing batch dim counts as 1).
// CHECK-LABEL: func.func @batch_matmul(
// CHECK-SAME:    %arg0: tensor<2x12x5x64xf32>, %arg1: tensor<2x12x7x64xf32>, %arg2: tensor<2x1x5x3xf16>, %arg3: tensor<4x3x7xf16>, %arg4: tensor<3x6xf16>) -> (tensor<2x12x5x7xf32>, tensor<2x4x5x7xf16>, tensor<2x1x5x6xf16>) {
// CHECK-NEXT:    %0 = loom.batch_matmul %arg0, %arg1 transpose_rhs : (tensor<2x12x5x64xf32>, tensor<2x12x7x64xf32>) -> tensor<2x12x5x7xf32>
// CHECK-NEXT:    %1 = loom.batch_matmul %arg2, %arg3 : (tensor<2x1x5x3xf16>, tensor<4x3x7xf16>) -> tensor<2x4x5x7xf16>
// CHECK-NEXT:    %2 = loom.batch_matmul %arg2, %arg4 : (tensor<2x1x5x3xf16>, tensor<3x6xf16>) -> tensor<2x1x5x6xf16>
// CHECK-NEXT:    return %0, %1, %2 : tensor<2x12x5x7xf32>, tensor<2x4x5x7xf16>, tensor<2x1x5x6xf16>
// CHECK-NEXT:  }
func.func @batch_matmul(%q: tensor<2x12x5x64xf32>, %k: tensor<2x12x7x64xf32>, %a: tensor<2x1x5x3xf16>, %b: tensor<4x3x7xf16>, %w: tensor<3x6xf16>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>) {
  %0 = loom.batch_matmul %q, %k transpose_rhs : (tensor<2x12x5x64xf32>, tensor<2x12x7x64xf32>) -> tensor<?x?x?x?xf32>
  %1 = loom.batch_matmul %a, %b : (tensor<2x1x5x3xf16>, tensor<4x3x7xf16>) -> tensor<?x?x?x?xf16>
  %2 = loom.batch_matmul %a, %w : (tensor<2x1x5x3xf16>, tensor<3x6xf16>) -> tensor<?x?x?x?xf16>
  return %0, %1, %2 : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>
}

// A dynamic batch dim broadcast against 4 is 4.
// CHECK-LABEL: func.func @batch_matmul_dynamic_batch(
// CHECK-SAME:    %arg0: tensor<?x5x3xf32>, %arg1: tensor<4x3x7xf32>) -> tensor<4x5x7xf32> {
// CHECK-NEXT:    %0 = loom.batch_matmul %arg0, %arg1 : (tensor<?x5x3xf32>, tensor<4x3x7xf32>) -> tensor<4x5x7xf32>
// CHECK-NEXT:    return %0 : tensor<4x5x7xf32>
// CHECK-NEXT:  }
func.func @batch_matmul_dynamic_batch(%a: tensor<?x5x3xf32>, %b: tensor<4x3x7xf32>) -> tensor<?x?x?xf32> {
  %0 = loom.batch_matmul %a, %b : (tensor<?x5x3xf32>, tensor<4x3x7xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @linear(
// CHECK-SAME:    %arg0: tensor<?x7x768xf32>, %arg1: tensor<768x2304xf32>, %arg2: tensor<2304xf32>, %arg3: tensor<3072x768xf32>) -> (tensor<?x7x2304xf32>, tensor<?x7x3072xf32>) {
// CHECK-NEXT:    %0 = loom.linear %arg0, %arg1, %arg2 : (tensor<?x7x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x7x2304xf32>
// CHECK-NEXT:    %1 = loom.linear %arg0, %arg3 transpose_weight : (tensor<?x7x768xf32>, tensor<3072x768xf32>) -> tensor<?x7x3072xf32>
// CHECK-NEXT:    return %0, %1 : tensor<?x7x2304xf32>, tensor<?x7x3072xf32>
// CHECK-NEXT:  }
func.func @linear(%x: tensor<?x7x768xf32>, %w: tensor<768x2304xf32>, %b: tensor<2304xf32>, %wt: tensor<3072x768xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %0 = loom.linear %x, %w, %b : (tensor<?x7x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x?xf32>
  %1 = loom.linear %x, %wt transpose_weight : (tensor<?x7x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x?xf32>
  return %0, %1 : tensor<?x?x?xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @norms(
// CHECK-SAME:    %arg0: tensor<2x7x768xf32>, %arg1: tensor<768xf32>, %arg2: tensor<768xf32>) -> (tensor<2x7x768xf32>, tensor<2x7x768xf32>, tensor<2x7x768xf32>) {
// CHECK-NEXT:    %0 = loom.layer_norm %arg0, %arg1, %arg2 epsilon = 1.000000e-05 : (tensor<2x7x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x7x768xf32>
// CHECK-NEXT:    %1 = loom.rms_norm %0, %arg1 epsilon = 9.9999999999999995E-7 : (tensor<2x7x768xf32>, tensor<768xf32>) -> tensor<2x7x768xf32>
// CHECK-NEXT:    %2 = loom.l2_normalize %1 axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<2x7x768xf32>) -> tensor<2x7x768xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<2x7x768xf32>, tensor<2x7x768xf32>, tensor<2x7x768xf32>
// CHECK-NEXT:  }
func.func @norms(%x: tensor<2x7x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %0 = loom.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x7x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x?xf32>
  %1 = loom.rms_norm %0, %g epsilon = 1.0e-06 : (tensor<?x?x?xf32>, tensor<768xf32>) -> tensor<?x?x?xf32>
  %2 = loom.l2_normalize %1 axis = -1 epsilon = 1.0e-12 : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0, %1, %2 : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %arg0: tensor<2x12x5x5xf32>, %arg1: tensor<2x1x1x5xi1>) -> (tensor<2x12x5x5xf32>, tensor<2x12x5x5xf32>) {
// CHECK-NEXT:    %0 = loom.softmax %arg0 mask(%arg1) causal axis = -1 : (tensor<2x12x5x5xf32>, tensor<2x1x1x5xi1>) -> tensor<2x12x5x5xf32>
// CHECK-NEXT:    %1 = loom.log_softmax %0 axis = 1 : (tensor<2x12x5x5xf32>) -> tensor<2x12x5x5xf32>
// CHECK-NEXT:    return %0, %1 : tensor<2x12x5x5xf32>, tensor<2x12x5x5xf32>
// CHECK-NEXT:  }
func.func @softmax(%s: tensor<2x12x5x5xf32>, %m: tensor<2x1x1x5xi1>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %0 = loom.softmax %s mask(%m) causal axis = -1 : (tensor<2x12x5x5xf32>, tensor<2x1x1x5xi1>) -> tensor<?x?x?x?xf32>
  %1 = loom.log_softmax %0 axis = 1 : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %0, %1 : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
}

// The result is [..., Tq, Dv]: leading dims meet across query, key and value.
// CHECK-LABEL: func.func @attention(
// CHECK-SAME:    %arg0: tensor<2x8x5x64xf32>, %arg1: tensor<2x8x7x64xf32>, %arg2: tensor<?x8x?x32xf32>, %arg3: tensor<2x1x1x7xi1>) -> (tensor<2x8x5x32xf32>, tensor<2x8x5x64xf32>) {
// CHECK-NEXT:    %0 = loom.attention %arg0, %arg1, %arg2 mask(%arg3) : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<?x8x?x32xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x32xf32>
// CHECK-NEXT:    %1 = loom.attention %arg0, %arg1, %arg1 causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>) -> tensor<2x8x5x64xf32>
// CHECK-NEXT:    return %0, %1 : tensor<2x8x5x32xf32>, tensor<2x8x5x64xf32>
// CHECK-NEXT:  }
func.func @attention(%q: tensor<2x8x5x64xf32>, %k: tensor<2x8x7x64xf32>, %v: tensor<?x8x?x32xf32>, %m: tensor<2x1x1x7xi1>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %0 = loom.attention %q, %k, %v mask(%m) : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<?x8x?x32xf32>, tensor<2x1x1x7xi1>) -> tensor<?x?x?x?xf32>
  %1 = loom.attention %q, %k, %k causal : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>) -> tensor<?x?x?x?xf32>
  return %0, %1 : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
}

// A GPT-2 style chain: every dim is recovered from the input and weight.
// CHECK-LABEL: func.func @attention_block(
// CHECK-SAME:    %arg0: tensor<?x7x768xf32>, %arg1: tensor<768x2304xf32>) -> tensor<?x7x768xf32> {
// CHECK-NEXT:    %0 = loom.linear %arg0, %arg1 : (tensor<?x7x768xf32>, tensor<768x2304xf32>) -> tensor<?x7x2304xf32>
// CHECK-NEXT:    %1 = loom.slice %0 axis = -1 start = 0 end = 768 : (tensor<?x7x2304xf32>) -> tensor<?x7x768xf32>
// CHECK-NEXT:    %2 = loom.split_heads %1 num_heads = 12 : (tensor<?x7x768xf32>) -> tensor<?x12x7x64xf32>
// CHECK-NEXT:    %3 = loom.attention %2, %2, %2 causal {scale = 1.250000e-01 : f64} : (tensor<?x12x7x64xf32>, tensor<?x12x7x64xf32>, tensor<?x12x7x64xf32>) -> tensor<?x12x7x64xf32>
// CHECK-NEXT:    %4 = loom.merge_heads %3 : (tensor<?x12x7x64xf32>) -> tensor<?x7x768xf32>
// CHECK-NEXT:    return %4 : tensor<?x7x768xf32>
// CHECK-NEXT:  }
func.func @attention_block(%x: tensor<?x7x768xf32>, %w: tensor<768x2304xf32>) -> tensor<?x?x?xf32> {
  %0 = loom.linear %x, %w : (tensor<?x7x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x?xf32>
  %1 = loom.slice %0 axis = -1 start = 0 end = 768 : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %2 = loom.split_heads %1 num_heads = 12 : (tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %3 = loom.attention %2, %2, %2 causal {scale = 1.250000e-01 : f64} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %4 = loom.merge_heads %3 : (tensor<?x?x?x?xf32>) -> tensor<?x?x?xf32>
  return %4 : tensor<?x?x?xf32>
}

// [B,3,224,224] in patches of 16: N = 14*14 = 196, C*p*p = 768; the class
// token adds one position.
// CHECK-LABEL: func.func @vision(
// CHECK-SAME:    %arg0: tensor<?x3x224x224xf32>, %arg1: tensor<768x3x16x16xf32>, %arg2: tensor<768xf32>, %arg3: tensor<1x1x768xf32>) -> (tensor<?x196x768xf32>, tensor<?x196x768xf32>, tensor<?x197x768xf32>) {
// CHECK-NEXT:    %0 = loom.patchify %arg0 patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %1 = loom.patch_embed %arg0, %arg1, %arg2 patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x196x768xf32>
// CHECK-NEXT:    %2 = loom.prepend_token %1, %arg3 : (tensor<?x196x768xf32>, tensor<1x1x768xf32>) -> tensor<?x197x768xf32>
// CHECK-NEXT:    return %0, %1, %2 : tensor<?x196x768xf32>, tensor<?x196x768xf32>, tensor<?x197x768xf32>
// CHECK-NEXT:  }
func.func @vision(%img: tensor<?x3x224x224xf32>, %w: tensor<768x3x16x16xf32>, %b: tensor<768xf32>, %cls: tensor<1x1x768xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %0 = loom.patchify %img patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x?x?xf32>
  %1 = loom.patch_embed %img, %w, %b patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x?x?xf32>
  %2 = loom.prepend_token %1, %cls : (tensor<?x?x?xf32>, tensor<1x1x768xf32>) -> tensor<?x?x?xf32>
  return %0, %1, %2 : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>
}

// N = (32/8)*(48/8) = 24; a dynamic channel count leaves C*p*p unknown.
// CHECK-LABEL: func.func @patchify_non_square(
// CHECK-SAME:    %arg0: tensor<2x?x32x48xbf16>) -> tensor<2x24x?xbf16> {
// CHECK-NEXT:    %0 = loom.patchify %arg0 patch = 8 : (tensor<2x?x32x48xbf16>) -> tensor<2x24x?xbf16>
// CHECK-NEXT:    return %0 : tensor<2x24x?xbf16>
// CHECK-NEXT:  }
func.func @patchify_non_square(%img: tensor<2x?x32x48xbf16>) -> tensor<?x?x?xbf16> {
  %0 = loom.patchify %img patch = 8 : (tensor<2x?x32x48xbf16>) -> tensor<?x?x?xbf16>
  return %0 : tensor<?x?x?xbf16>
}

// CHECK-LABEL: func.func @prepend_token_rank_1(
// CHECK-SAME:    %arg0: tensor<4x?x?xf32>, %arg1: tensor<64xf32>) -> tensor<4x?x64xf32> {
// CHECK-NEXT:    %0 = loom.prepend_token %arg0, %arg1 : (tensor<4x?x?xf32>, tensor<64xf32>) -> tensor<4x?x64xf32>
// CHECK-NEXT:    return %0 : tensor<4x?x64xf32>
// CHECK-NEXT:  }
func.func @prepend_token_rank_1(%x: tensor<4x?x?xf32>, %cls: tensor<64xf32>) -> tensor<?x?x?xf32> {
  %0 = loom.prepend_token %x, %cls : (tensor<4x?x?xf32>, tensor<64xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// The losses are rank-0 (nothing to refine on them); their operands are
// refined on the way.
// CHECK-LABEL: func.func @cross_entropy(
// CHECK-SAME:    %arg0: tensor<?x7x768xf32>, %arg1: tensor<768x50257xf32>, %arg2: tensor<?x7xi32>) -> tensor<f32> {
// CHECK-NEXT:    %0 = loom.linear %arg0, %arg1 : (tensor<?x7x768xf32>, tensor<768x50257xf32>) -> tensor<?x7x50257xf32>
// CHECK-NEXT:    %1 = loom.cross_entropy %0, %arg2 ignore_index = -100 : (tensor<?x7x50257xf32>, tensor<?x7xi32>) -> tensor<f32>
// CHECK-NEXT:    return %1 : tensor<f32>
// CHECK-NEXT:  }
func.func @cross_entropy(%x: tensor<?x7x768xf32>, %w: tensor<768x50257xf32>, %t: tensor<?x7xi32>) -> tensor<f32> {
  %0 = loom.linear %x, %w : (tensor<?x7x768xf32>, tensor<768x50257xf32>) -> tensor<?x?x?xf32>
  %1 = loom.cross_entropy %0, %t ignore_index = -100 : (tensor<?x?x?xf32>, tensor<?x7xi32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// CHECK-LABEL: func.func @contrastive_loss(
// CHECK-SAME:    %arg0: tensor<8x768xf32>, %arg1: tensor<768x512xf32>, %arg2: tensor<8x512xf32>, %arg3: tensor<f32>) -> tensor<f32> {
// CHECK-NEXT:    %0 = loom.matmul %arg0, %arg1 : (tensor<8x768xf32>, tensor<768x512xf32>) -> tensor<8x512xf32>
// CHECK-NEXT:    %1 = loom.contrastive_loss %0, %arg2, %arg3 : (tensor<8x512xf32>, tensor<8x512xf32>, tensor<f32>) -> tensor<f32>
// CHECK-NEXT:    return %1 : tensor<f32>
// CHECK-NEXT:  }
func.func @contrastive_loss(%i: tensor<8x768xf32>, %pi: tensor<768x512xf32>, %t: tensor<8x512xf32>, %s: tensor<f32>) -> tensor<f32> {
  %0 = loom.matmul %i, %pi : (tensor<8x768xf32>, tensor<768x512xf32>) -> tensor<?x?xf32>
  %1 = loom.contrastive_loss %0, %t, %s : (tensor<?x?xf32>, tensor<8x512xf32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}
