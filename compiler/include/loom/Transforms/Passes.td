//===- Passes.td - loom graph-level passes -*- tablegen -*-===//

#ifndef LOOM_TRANSFORMS_PASSES_TD
#define LOOM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomDecompose : Pass<"loom-decompose"> {
  let summary = "Expresses composite loom ops in primitive loom ops";
  let description = [{
    Rewrites composite ops (attention, layer_norm, rms_norm, l2_normalize,
    gelu, silu, softmax, log_softmax, cross_entropy, contrastive_loss, linear,
    patch_embed, split_heads, merge_heads) into primitives: elementwise ops,
    reductions, batch_matmul, reshape/transpose, gather, select. Composites
    produced by a decomposition (cross_entropy makes a log_softmax) are
    decomposed in turn when they are selected.

    `ops` limits the rewrite to the named ops (mnemonics without `loom.`),
    so a pipeline keeps the composites it has fused kernels for:

    ```
    loom-opt -loom-decompose='ops=gelu,layer_norm' in.mlir
    ```

    Before:
    ```mlir
    %y = loom.gelu tanh %x : (tensor<4xf32>) -> tensor<4xf32>
    ```
    After: `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))` in
    `loom.mul`, `loom.add`, `loom.tanh` and constants (x^3 as x * x * x).
  }];
  let dependentDialects = ["::mlir::loom::LoomDialect"];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Composite op mnemonics to decompose (default: all)">
  ];
}

def LoomInferShapes : Pass<"loom-infer-shapes"> {
  let summary = "Refines result types to the most static inferred shapes";
  let description = [{
    Declared result types of loom ops may be less static than what their
    operands imply (a front end may leave dims as `?`). This pass walks each
    function in order, replaces every loom result type by its inferred type
    where that is more static, and updates the signature of functions whose
    returned values changed type. Dims stay dynamic only where the inputs are.

    Before:
    ```mlir
    %y = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
    ```
    After:
    ```mlir
    %y = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
}

def LoomIndexRanges : Pass<"loom-index-ranges", "::mlir::ModuleOp"> {
  let summary = "Records the valid values of every integer input; checks position tables";
  let description = [{
    For every integer input (a function argument with `loom.input`), the
    values its uses accept: an embedding's ids index the table's rows, a
    gather's indices and a cross-entropy's targets the classes (the
    cross-entropy's `ignore_index` is valid too), followed through reshape,
    transpose, slice, concat and integer casts, intersected over every use
    and function. The entry of `loom.inputs` gains `range = array<i64: lo,
    hi>` (valid: lo <= v < hi), `range_of` (what bounds it, for messages) and
    `ignore` where applicable; the manifest carries them and the runtime
    checks each call's inputs against them.

    An embedding looked up by `loom.positions` of a static dim must have a
    row for each position: a sequence longer than a learned position table
    is an error at the embedding.
  }];
}

def LoomDecodeStep : Pass<"loom-decode-step", "::mlir::ModuleOp"> {
  let summary = "Adds a KV-cache step function: new tokens attend to a cache the runtime owns";
  let description = [{
    Clones `function` (the forward, generated with the step input's sequence
    dim bound to the number of new tokens Tq: 1 for a decode step, a chunk
    for prefill) into `name`, which processes Tq tokens at run-time
    positions `[pos, pos + Tq)` against a key/value cache of `max-len`
    positions:

    * the step input (`step-input`, `[B, Tq]`) becomes the input
      `<prefix>.tokens`, and a new i64 scalar input `<prefix>.pos` (valid
      values `[0, max-len - Tq]`, recorded in `loom.inputs` as a `range`)
      gives the position of its first token;
    * every `loom.positions` over a value computed from the step input is
      offset by `pos`;
    * every causal self-attention over the step input gets two state
      arguments `kv.<i>.key` / `kv.<i>.value` (`[..., max-len, Dh]`, marked
      `loom.cache`) that the function writes in place
      (`loom.update_slice` at `pos`, returned with `loom.update`), and
      attends over the first `key-len` cached positions with the mask
      `key <= pos + query` instead of `causal`. With `key-len` a bucket >=
      pos + Tq, a step costs O(key-len) attention, not O(max-len).
    * `keep-outputs=false` (prefill) drops the function's outputs, so what
      only they need (the LM head) is not computed.

    What a step needs from other inputs but not from the new tokens (an
    encoder-decoder's encoder output, its cross-attention keys and values,
    the source mask) is hoisted into the function `encoder` (default
    `encode`; empty: not hoisted): it computes those values once per
    source into state arguments `enc.<i>` (`loom.cache`), which the step
    reads instead of recomputing them. Every step function of a module
    shares one encoder; a step whose hoisted values differ from an existing
    encoder's results is an error.
  }];
  let options = [
    Option<"function", "function", "std::string", "\"forward\"",
           "the function to clone">,
    Option<"name", "name", "std::string", "\"decode\"",
           "the new function's name">,
    Option<"prefix", "prefix", "std::string", "\"decode\"",
           "the prefix of its token and position inputs">,
    Option<"stepInput", "step-input", "std::string", "\"tokens\"",
           "the input whose tokens the step processes">,
    Option<"maxLen", "max-len", "int64_t", "0",
           "positions in the cache (required)">,
    Option<"keyLen", "key-len", "int64_t", "0",
           "cached positions attended over (default max-len)">,
    Option<"keepOutputs", "keep-outputs", "bool", "true",
           "return the function's outputs (false for prefill)">,
    Option<"encoder", "encoder", "std::string", "\"encode\"",
           "the function computing what steps share (empty: none)">
  ];
}

#endif // LOOM_TRANSFORMS_PASSES_TD
