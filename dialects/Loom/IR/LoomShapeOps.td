//===- LoomShapeOps.td - reshape, transpose, concat, slice, ... -*- tablegen -*-===//

#ifndef LOOM_SHAPE_OPS_TD
#define LOOM_SHAPE_OPS_TD

include "Loom/IR/LoomBase.td"

def Loom_ReshapeOp : Loom_Op<"reshape"> {
  let summary = "reshape with copied (0) and inferred (-1) dims";
  let description = [{
    Reinterprets the elements (row-major) under a new shape. Each entry of
    `shape` is a size, `0` (copy the input's dim at the same position, which
    keeps dynamic batch and sequence dims) or `-1` (inferred from the element
    count; at most one). When both shapes are static the element counts must
    agree.

    ```mlir
    %y = loom.reshape %x shape = [0, 0, 12, 64] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $input `shape` `=` $shape attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Loom_TransposeOp : Loom_Op<"transpose"> {
  let summary = "permutes the dims of a tensor";
  let description = [{
    Result dim `i` is input dim `permutation[i]`.

    ```mlir
    %t = loom.transpose %w permutation = [1, 0] : (tensor<768x3072xf32>) -> tensor<3072x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Loom_ConcatOp : Loom_Op<"concat"> {
  let summary = "concatenates tensors along an axis";
  let description = [{
    All operands share element type and rank, and agree on every dim but
    `axis` (negative axes count from the end).

    ```mlir
    %c = loom.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Loom_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Loom_SliceOp : Loom_Op<"slice"> {
  let summary = "takes the half-open range [start, end) of one axis";
  let description = [{
    `start` and `end` index `axis` like Python: negative values count from the
    end of the dim, and `end` is clamped to the dim. Extracting the class token
    of a ViT is a slice of `[0, 1)` on the sequence axis.

    ```mlir
    %cls = loom.slice %h axis = 1 start = 0 end = 1 : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$end);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis `start` `=` $start `end` `=` $end attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Loom_UpdateSliceOp : Loom_Op<"update_slice"> {
  let summary = "writes `update` into `dest` at a run-time offset of one axis";
  let description = [{
    The result is `dest` with `update` written over the range
    `[start, start + n)` of `axis`, where `n` is the size of that axis in
    `update` and `start` the value of the i32/i64 scalar tensor `start`; every
    other dim of `update` equals `dest`'s. As XLA's `dynamic_update_slice`,
    `start` is clamped to `[0, size - n]`, so no value of it writes out of
    bounds. A KV-cache decoder appends a token's keys to its cache with it
    (`loomc --decode`); bufferized, it writes the cache in place.

    ```mlir
    %k = loom.update_slice %cache, %new, %pos axis = 2 : (tensor<1x12x1024x64xf32>, tensor<1x12x1x64xf32>, tensor<i64>) -> tensor<1x12x1024x64xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$dest, Loom_Tensor:$update,
                       0DTensorOf<[I32, I64]>:$start, I64Attr:$axis);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $dest `,` $update `,` $start `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

def Loom_SplitHeadsOp : Loom_Op<"split_heads", [Loom_CompositeOpTrait]> {
  let summary = "[..., T, H*Dh] -> [..., H, T, Dh]";
  let description = [{
    Splits the channel dim into `num_heads` heads and moves the head dim in
    front of the sequence dim, as multi-head attention needs. The channel dim
    must be divisible by `num_heads` when static.

    ```mlir
    %qh = loom.split_heads %q num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $input `num_heads` `=` $num_heads attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Loom_MergeHeadsOp : Loom_Op<"merge_heads", [Loom_CompositeOpTrait]> {
  let summary = "[..., H, T, Dh] -> [..., T, H*Dh]";
  let description = [{
    Inverse of `loom.split_heads`.

    ```mlir
    %o = loom.merge_heads %oh : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Loom_PositionsOp : Loom_Op<"positions"> {
  let summary = "the i64 positions 0..n-1 (+offset) of one dim of a tensor";
  let description = [{
    A 1-D i64 tensor `[offset, offset+1, ..., offset+n-1]` where `n` is the
    size of dim `axis` of `like` (which may be dynamic). Learned position
    embeddings look it up in their table; the contrastive loss uses it as the
    diagonal labels; a KV-cache decoder passes its cache length as offset.

    ```mlir
    %pos = loom.positions %tokens axis = 1 : (tensor<?x?xi32>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Loom_Tensor:$like, I64Attr:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$offset);
  let results = (outs 1DTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $like `axis` `=` $axis attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_CausalMaskOp : Loom_Op<"causal_mask"> {
  let summary = "the [Tq, Tk] i1 mask of a causal attention score tensor";
  let description = [{
    For scores of shape `[..., Tq, Tk]` gives `mask[i, j] = j <= i + (Tk - Tq)`:
    query `i` (the last `Tq` of `Tk` positions) sees keys up to itself.

    ```mlir
    %m = loom.causal_mask %scores : (tensor<?x12x?x?xf32>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Loom_Tensor:$scores);
  let results = (outs Loom_MaskTensor:$result);
  let assemblyFormat = "$scores attr-dict `:` functional-type(operands, results)";
}

def Loom_GatherOp : Loom_Op<"gather"> {
  let summary = "picks one element of the last axis per index (take_along_axis)";
  let description = [{
    For `input` of shape `[..., C]` and integer `indices` of shape `[...]`
    gives `result[...] = input[..., indices[...]]`. Cross-entropy uses it to pick
    the log-probability of the target class. Out-of-range indices are undefined
    (the runtime checks ids where they enter).

    ```mlir
    %picked = loom.gather %logp, %targets : (tensor<?x50257xf32>, tensor<?xi32>) -> tensor<?xf32>
    ```
  }];
  let arguments = (ins Loom_NumericTensor:$input, Loom_IndexTensor:$indices);
  let results = (outs Loom_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_ReduceSumOp : Loom_ReduceOp<"reduce_sum", "sum"> {
  let description = [{
    Sums over `axes` (distinct, negative counts from the end). Reduced dims are
    dropped, or kept with size 1 under `keep_dims`.

    ```mlir
    %s = loom.reduce_sum %x axes = [1] keep_dims : (tensor<4x8xf32>) -> tensor<4x1xf32>
    ```
  }];
}
def Loom_ReduceMeanOp : Loom_ReduceOp<"reduce_mean", "mean"> {
  let description = [{
    Arithmetic mean over `axes`; see `loom.reduce_sum` for the axes rules.

    ```mlir
    %m = loom.reduce_mean %x axes = [-1] keep_dims : (tensor<?x768xf32>) -> tensor<?x1xf32>
    ```
  }];
}
def Loom_ReduceMaxOp : Loom_ReduceOp<"reduce_max", "maximum"> {
  let description = [{
    Maximum over `axes`; see `loom.reduce_sum` for the axes rules.

    ```mlir
    %m = loom.reduce_max %x axes = [0, 1] : (tensor<4x8x3xf32>) -> tensor<3xf32>
    ```
  }];
}

#endif // LOOM_SHAPE_OPS_TD
