//===- LoomNNOps.td - neural network ops -*- tablegen -*-===//

#ifndef LOOM_NN_OPS_TD
#define LOOM_NN_OPS_TD

include "Loom/IR/LoomBase.td"

//===----------------------------------------------------------------------===//
// Embeddings and positions
//===----------------------------------------------------------------------===//

def Loom_EmbeddingOp : Loom_Op<"embedding"> {
  let summary = "looks rows of a [V, D] table up by integer ids";
  let description = [{
    `result[..., :] = table[ids[...], :]`; the result shape is the ids' shape
    followed by `D`. Token, learned position and token-type embeddings are all
    this op.

    ```mlir
    %x = loom.embedding %wte, %tokens : (tensor<50257x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$table, Loom_IndexTensor:$ids);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $ids attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_IndexAddOp : Loom_Op<"index_add"> {
  let summary = "adds rows of a source into a [V, D] table at integer ids";
  let description = [{
    `result = input`, then `result[ids[k], :] += source[k, :]` for every
    position `k` of `ids` in order (repeated ids accumulate), as PyTorch's
    `index_add` along dim 0. `source` has the shape of `ids` followed by
    `D`; ids outside `[0, V)` add nothing. It is the gradient of `embedding`
    with respect to its table: `n * D` additions where a one-hot matmul
    takes `n * V * D` multiply-adds (GPT-2: 0.2M against 10G per step).

    ```mlir
    %g = loom.index_add %acc, %tokens, %rows : (tensor<50257x768xf32>, tensor<4x64xi32>, tensor<4x64x768xf32>) -> tensor<50257x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_IndexTensor:$ids,
                       Loom_FloatTensor:$source);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $ids `,` $source attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_SinusoidalEncodingOp : Loom_Op<"sinusoidal_encoding"> {
  let summary = "fixed sine/cosine position encoding of Vaswani et al.";
  let description = [{
    For integer positions `p` gives a vector of even size `dim`:
    `pe[2i] = sin(p / 10000^(2i/dim))`, `pe[2i+1] = cos(p / 10000^(2i/dim))`.
    The result shape is the positions' shape followed by `dim`, in f32.

    ```mlir
    %pe = loom.sinusoidal_encoding %pos dim = 512 : (tensor<?xi64>) -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins Loom_IndexTensor:$positions,
                       ConfinedAttr<I64Attr, [IntPositive]>:$dim);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $positions `dim` `=` $dim attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Loom_MatmulOp : Loom_Op<"matmul"> {
  let summary = "2-D matrix product [M, K] x [K, N] -> [M, N]";
  let description = [{
    ```mlir
    %c = loom.matmul %a, %b : (tensor<?x768xf32>, tensor<768x2304xf32>) -> tensor<?x2304xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$lhs, Loom_FloatTensor:$rhs);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_BatchMatmulOp : Loom_Op<"batch_matmul"> {
  let summary = "batched matrix product with broadcast batch dims";
  let description = [{
    numpy `matmul` on operands of rank >= 2: `[..., M, K] x [..., K, N] ->
    [..., M, N]`, batch dims broadcast. With `transpose_rhs` the rhs is read as
    `[..., N, K]` (attention's `Q K^T` without a transpose op).

    ```mlir
    %s = loom.batch_matmul %q, %k transpose_rhs : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$lhs, Loom_FloatTensor:$rhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_rhs` $transpose_rhs^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_LinearOp : Loom_Op<"linear", [Loom_CompositeOpTrait]> {
  let summary = "affine layer x W (+ b) on the last dim";
  let description = [{
    `input [..., in]`, `weight [in, out]` (GPT-2's Conv1D layout) or, with
    `transpose_weight`, `[out, in]` (torch.nn.Linear's layout), optional
    `bias [out]`; result `[..., out]`. The input has rank >= 2.

    ```mlir
    %y = loom.linear %x, %w, %b : (tensor<?x?x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
    %z = loom.linear %x, %wt transpose_weight : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_FloatTensor:$weight,
                       Optional<Loom_FloatTensor>:$bias,
                       UnitAttr:$transpose_weight);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`transpose_weight` $transpose_weight^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalization and softmax
//===----------------------------------------------------------------------===//

def Loom_LayerNormOp : Loom_Op<"layer_norm", [Loom_CompositeOpTrait]> {
  let summary = "layer normalization over the last dim";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma (+ beta)`, mean and biased
    variance over the last dim `D`; `gamma` and the optional `beta` are `[D]`.

    ```mlir
    %y = loom.layer_norm %x, %g, %b epsilon = 1.000000e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_FloatTensor:$gamma,
                       Optional<Loom_FloatTensor>:$beta,
                       Loom_NonNegativeF64:$epsilon);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma (`,` $beta^)? `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_RmsNormOp : Loom_Op<"rms_norm", [Loom_CompositeOpTrait]> {
  let summary = "root-mean-square normalization over the last dim";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * gamma` with `gamma [D]`.

    ```mlir
    %y = loom.rms_norm %x, %g epsilon = 1.000000e-06 : (tensor<?x512xf32>, tensor<512xf32>) -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_FloatTensor:$gamma,
                       Loom_NonNegativeF64:$epsilon);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_L2NormalizeOp : Loom_Op<"l2_normalize", [Loom_CompositeOpTrait]> {
  let summary = "x / max(||x||_2, epsilon) along an axis";
  let description = [{
    As torch.nn.functional.normalize; CLIP normalizes its embeddings with it.

    ```mlir
    %n = loom.l2_normalize %e axis = -1 epsilon = 9.9999999999999998E-13 : (tensor<?x512xf32>) -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, I64Attr:$axis,
                       Loom_NonNegativeF64:$epsilon);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_SoftmaxOp : Loom_Op<"softmax", [Loom_CompositeOpTrait]> {
  let summary = "softmax along an axis, with optional causal and padding masks";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis`. Entries where the optional
    i1 `mask` (broadcast to the input) is false, and with `causal` entries above
    the causal diagonal of the last two dims (see `loom.causal_mask`), get
    probability zero. A masked softmax runs along the last axis.

    ```mlir
    %p = loom.softmax %s mask(%pad) causal axis = -1 : (tensor<?x12x?x?xf32>, tensor<?x1x1x?xi1>) -> tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Optional<Loom_MaskTensor>:$mask,
                       I64Attr:$axis, UnitAttr:$causal);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `)`)? (`causal` $causal^)? `axis` `=` $axis
    attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_LogSoftmaxOp : Loom_Op<"log_softmax", [Loom_CompositeOpTrait]> {
  let summary = "log of the softmax along an axis, computed stably";
  let description = [{
    `x - max - log(sum(exp(x - max)))` along `axis`, with the same optional
    masks as `loom.softmax` (masked entries give -inf).

    ```mlir
    %lp = loom.log_softmax %logits axis = -1 : (tensor<?x50257xf32>) -> tensor<?x50257xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Optional<Loom_MaskTensor>:$mask,
                       I64Attr:$axis, UnitAttr:$causal);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `)`)? (`causal` $causal^)? `axis` `=` $axis
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Loom_AttentionOp : Loom_Op<"attention", [Loom_CompositeOpTrait]> {
  let summary = "scaled dot-product attention";
  let description = [{
    `softmax(scale * Q K^T [masked]) V` with `query [..., Tq, Dk]`,
    `key [..., Tk, Dk]`, `value [..., Tk, Dv]`, result `[..., Tq, Dv]`. Leading
    dims (batch, heads) must agree, so multi-head attention is
    `split_heads -> attention -> merge_heads`. Self-attention has `Tq == Tk`
    from one source; cross-attention takes keys and values from the encoder.
    `scale` defaults to `1/sqrt(Dk)` (then `Dk` must be static). `causal` and
    the optional i1 `mask` (broadcast to `[..., Tq, Tk]`, false = hidden) act
    as in `loom.softmax`.

    ```mlir
    %o = loom.attention %q, %k, %v causal : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
    %x = loom.attention %q, %k, %v mask(%pad) {scale = 1.250000e-01 : f64} : (tensor<2x8x5x64xf32>, tensor<2x8x7x64xf32>, tensor<2x8x7x64xf32>, tensor<2x1x1x7xi1>) -> tensor<2x8x5x64xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$query, Loom_FloatTensor:$key,
                       Loom_FloatTensor:$value, Optional<Loom_MaskTensor>:$mask,
                       UnitAttr:$causal, OptionalAttr<F64Attr>:$scale);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `)`)? (`causal` $causal^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

// The training step's attention (loom-autodiff's rule for loom.attention):
// the forward saves the row log-sum-exp of the scores instead of the
// probabilities, and the backward recomputes the probabilities from it one
// block at a time, so no [.., Tq, Tk] tensor is ever stored.

def Loom_AttentionLseOp : Loom_Op<"attention_lse"> {
  let summary = "row log-sum-exp of attention's scaled, masked scores";
  let description = [{
    `lse[..., i] = log(sum_j exp(s[..., i, j]))` over the visible keys of
    `s = scale * Q K^T`, with `query`, `key`, `mask`, `causal` and `scale`
    as in `loom.attention`; the result is `[..., Tq]`. With it the
    attention's probabilities are `exp(s - lse)`, which
    `loom.attention_grad` recomputes instead of reading a saved `[Tq, Tk]`
    tensor. A row without visible keys has `lse = -inf`.

    ```mlir
    %l = loom.attention_lse %q, %k causal : (tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>) -> tensor<2x12x64xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$query, Loom_FloatTensor:$key,
                       Optional<Loom_MaskTensor>:$mask,
                       UnitAttr:$causal, OptionalAttr<F64Attr>:$scale);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key (`mask` `(` $mask^ `)`)? (`causal` $causal^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_AttentionGradOp : Loom_Op<"attention_grad"> {
  let summary = "the gradients of loom.attention from its output and log-sum-exp";
  let description = [{
    Given `o = loom.attention(query, key, value)` (same `mask`, `causal`,
    `scale`), `lse = loom.attention_lse(query, key)` and the cotangent
    `grad_output` of `o`, returns the cotangents of query, key and value:
    with `P = exp(scale Q K^T - lse)` (0 where hidden), `D = rowsum(dO o)`,
    `dP = dO V^T` and `dS = P (dP - D)`: `dQ = scale dS K`,
    `dK = scale dS^T Q`, `dV = P^T dO`. convert-loom-to-linalg computes it
    one block of keys and queries at a time (FlashAttention-2's backward).

    ```mlir
    %dq, %dk, %dv = loom.attention_grad %q, %k, %v, %o, %l, %g causal : (tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>, tensor<2x12x64xf32>, tensor<2x12x64x64xf32>) -> (tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>, tensor<2x12x64x64xf32>)
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$query, Loom_FloatTensor:$key,
                       Loom_FloatTensor:$value, Loom_FloatTensor:$output,
                       Loom_FloatTensor:$lse, Loom_FloatTensor:$grad_output,
                       Optional<Loom_MaskTensor>:$mask,
                       UnitAttr:$causal, OptionalAttr<F64Attr>:$scale);
  let results = (outs Loom_FloatTensor:$grad_query,
                      Loom_FloatTensor:$grad_key,
                      Loom_FloatTensor:$grad_value);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $lse `,` $grad_output
    (`mask` `(` $mask^ `)`)? (`causal` $causal^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Vision
//===----------------------------------------------------------------------===//

def Loom_PatchifyOp : Loom_Op<"patchify"> {
  let summary = "[B, C, H, W] -> [B, (H/p)(W/p), C*p*p] non-overlapping patches";
  let description = [{
    Cuts an image batch into `patch x patch` tiles in row-major patch order;
    each patch is flattened in `(c, py, px)` order, which matches a conv weight
    `[D, C, p, p]` flattened to `[D, C*p*p]`. H and W must be divisible by
    `patch` when static.

    ```mlir
    %p = loom.patchify %img patch = 16 : (tensor<?x3x224x224xf32>) -> tensor<?x196x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$patch);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `patch` `=` $patch attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_PatchEmbedOp : Loom_Op<"patch_embed", [Loom_CompositeOpTrait]> {
  let summary = "strided conv patch embedding as patchify + matmul";
  let description = [{
    A `patch x patch` convolution with stride `patch`: `weight [D, C, p, p]`
    (torch Conv2d layout), optional `bias [D]`; `[B, C, H, W] -> [B, N, D]`
    with `N = (H/p)(W/p)`. Decomposes into `loom.patchify` and `loom.linear`.

    ```mlir
    %e = loom.patch_embed %img, %w, %b patch = 16 : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x196x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_FloatTensor:$weight,
                       Optional<Loom_FloatTensor>:$bias,
                       ConfinedAttr<I64Attr, [IntPositive]>:$patch);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `patch` `=` $patch attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_PrependTokenOp : Loom_Op<"prepend_token"> {
  let summary = "puts a learned token (ViT/CLIP class token) before a sequence";
  let description = [{
    `input [B, N, D]`, `token` of shape `[1, ..., 1, D]` (rank 1 to 3, as
    checkpoints store it); result `[B, N+1, D]` with the token, broadcast over
    the batch, at sequence position 0.

    ```mlir
    %h = loom.prepend_token %patches, %cls : (tensor<?x196x768xf32>, tensor<1x1x768xf32>) -> tensor<?x197x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Loom_FloatTensor:$token);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $token attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Loom_CrossEntropyOp : Loom_Op<"cross_entropy", [Loom_CompositeOpTrait]> {
  let summary = "mean softmax cross-entropy of logits against class ids";
  let description = [{
    `logits [..., C]`, integer `targets [...]`; gives the rank-0 mean of
    `-log_softmax(logits)[target]` over the positions whose target is not
    `ignore_index` (padding). With every target ignored the mean is NaN, as in
    PyTorch.

    ```mlir
    %loss = loom.cross_entropy %logits, %targets ignore_index = -100 : (tensor<?x?x50257xf32>, tensor<?x?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$logits, Loom_IndexTensor:$targets,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Loom_FloatScalar:$result);
  let assemblyFormat = [{
    $logits `,` $targets `ignore_index` `=` $ignore_index attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_ContrastiveLossOp : Loom_Op<"contrastive_loss", [Loom_CompositeOpTrait]> {
  let summary = "CLIP's symmetric InfoNCE loss with a learned temperature";
  let description = [{
    `image [N, D]` and `text [N, D]` embeddings are L2-normalized; with
    `logits = exp(logit_scale) * image . text^T` the loss is the mean of the
    cross-entropy of `logits` and of `logits^T` against the labels `0..N-1`
    (pair `i` matches pair `i`). `logit_scale` is a rank-0 learned parameter.

    ```mlir
    %l = loom.contrastive_loss %img, %txt, %s : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$image, Loom_FloatTensor:$text,
                       Loom_FloatScalar:$logit_scale);
  let results = (outs Loom_FloatScalar:$result);
  let assemblyFormat = [{
    $image `,` $text `,` $logit_scale attr-dict `:` functional-type(operands, results)
  }];
}

#endif // LOOM_NN_OPS_TD
