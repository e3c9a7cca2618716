//===- Passes.td - loom's code-generation passes -*- tablegen -*-===//
//
// Passes on upstream dialects between loom-to-linalg and the LLVM dialect:
// fusion, bufferization helpers, arena planning, kernel outlining and the
// packed entry points (docs/architecture.md, "Code generation").
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CODEGEN_PASSES_TD
#define LOOM_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomFuseEpilogue : Pass<"loom-fuse-epilogue"> {
  let summary = "Adds a GEMM's bias or residual into its C before the GEMM accumulates";
  let description = [{
    A contraction into a zero-filled C whose only user adds something to it
    elementwise (`y = A·B + rest`: a linear's bias, a residual connection, a
    backward's second cotangent) becomes `C = rest; C += A·B`: the rest is
    computed into C first (a generic with the consumer's other inputs) and
    the contraction accumulates onto it, so the GEMM kernel's C tiles start
    from it and no second pass reads the GEMM's result back. The sum's
    order changes from (A·B) + rest to rest + A·B.

    ```mlir
    %c = linalg.fill ins(%zero) outs(%e)
    %g = linalg.generic {contraction} ins(%a, %b) outs(%c)
    %y = linalg.generic {parallel} ins(%g, %bias) outs(%e) { addf %g_elt, %bias_elt }
    ```
    becomes
    ```mlir
    %r = linalg.generic {parallel} ins(%bias) outs(%e) { yield %bias_elt }
    %y = linalg.generic {contraction} ins(%a, %b) outs(%r)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::arith::ArithDialect"];
}

def LoomFuseElementwise : Pass<"loom-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg producers into consumers that read each element once";
  let description = [{
    `linalg-fuse-elementwise-ops` with a control: a producer is fused into its
    consumer only when the consumer's indexing map for it is a permutation of
    the consumer's loops, so every produced element is computed exactly once.
    Upstream's default also fuses, e.g., a layer-norm producer into the
    matmul that reads it, recomputing the normalization for every output
    column.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LoomFuseSiblings : Pass<"loom-fuse-siblings"> {
  let summary = "Merges elementwise generics that read a common input into one multi-output generic";
  let description = [{
    Producer-consumer fusion leaves siblings apart: AdamW's three updates of
    a parameter (new m, new v, new p) are three generics that each stream the
    gradient, and the new-p one reads m, v and the gradient again (eleven
    passes over parameter-sized arrays per step where seven suffice). Two
    all-parallel generics on tensors with the same static loop ranges,
    identity-mapped outputs they do not read, and at least one common input
    (same value, same indexing map) merge into one generic with both sets of
    outputs, placed at the later one, when nothing between them (nor the
    later one) uses the earlier one's results. The bodies are concatenated;
    `cse` afterwards shares the arithmetic they repeat (the new-p body
    recomputes m and v).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LoomFuseRows : Pass<"loom-fuse-rows"> {
  let summary = "Computes row normalizations (layer norm, softmax, their gradients) one block of rows at a time";
  let description = [{
    A layer norm is a chain of generics over the same rows: the row sum, the
    mean, x - mean, the sum of squares, the reciprocal deviation, the
    normalized output; a softmax is the row max, the sum of exponentials and
    the quotient. As separate kernels each streams the whole tensor from
    memory (five passes for a layer norm, three for a softmax). Here the
    last, all-parallel generic of such a chain is tiled along its outer
    (row) dimensions, and the reductions and elementwise producers that only
    the chain uses are fused into the tile loop
    (`scf::tileConsumerAndFuseProducersUsingSCF`): a block of rows (about
    `tile-bytes`) is read from memory once and every later pass over it hits
    L1. The tile loops are parallel (`loom.parallel`): threads take blocks of
    rows. The per-block reduction results are small buffers that
    loom-plan-arena puts on the stack.

    A chain qualifies when all its generics have the consumer's static loop
    ranges, reduce only the consumer's trailing (row) dimensions, and read
    each other through maps that keep every dimension in place or broadcast
    it (`d_i` or `0` at position `i`): then a block of rows of the consumer
    needs exactly that block of rows of every producer. Producers with users
    outside the chain (the residual stream x itself) are read, not fused,
    except row statistics (a row reduction, or a value computed per row
    such as the mean): those are computed in the loop too and yielded from
    it, so their other readers need no pass of their own. A training step's
    cross entropy is the case in point: its loss and its gradient share the
    logits' row max and sum of exponentials, and the gradient's loop
    computes both, the gradient, and hands the two to the loss (one read of
    each row of logits from memory, one write of its gradient, where four
    reads and two writes were). When those readers feed the chain itself (a
    layer norm's backward reading the forward's statistics) the chain is
    built without them, and the forward's own chain yields them. Readers
    placed before the loop are moved to just after it. A row reduction can
    end a chain too (a loss's sum of exponentials after its row max, when
    no gradient follows): the two then share one pass.
  }];
  let options = [
    Option<"tileBytes", "tile-bytes", "int64_t", /*default=*/"32768",
           "Bytes of one row block of the consumer's iteration space">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

def LoomFuseAttention : Pass<"loom-fuse-attention"> {
  let summary = "Computes attention one block of query rows at a time, without the [Tq, Tk] scores";
  let description = [{
    Attention as convert-loom-to-linalg leaves it is a chain over the whole
    score tensor [batch.., Tq, Tk]: the QKᵀ contraction, its scale, the
    causal select and/or a mask select (false: -inf), the softmax's row max,
    x - max, exp, row sum and quotient, then the PV contraction. At GPT-2's
    T = 1024 the scores are 48 MB per layer, written and re-read by every
    member, and the causal half above the diagonal is computed only to be
    masked. Here the chain becomes one `loom.parallel` loop over (batch..,
    block of `query-block` query rows), and per block over chunks of
    `key-block` keys:

    ```
    for each block of rows (threads take ranges of blocks):
      qt = Q_blkᵀ                                  [D, rows]
      pass 1, per chunk: s = K_chunk · qt          [kc, rows] (a GEMM)
        t = s's scale and masks (a causal mask from indices, none in chunks
        every row sees whole), stored in the block's scores [Tk, rows];
        m = max(m, t) over the chunk's keys        [rows]
      pass 2, per chunk: e = exp(t - m)            [kc, rows]
        l += e summed over keys; acc += eᵀ · V_chunk  [rows, Dv] (a GEMM)
      out[blk] = acc / l
    ```

    The scores are kept transposed, [keys, rows]: the chunk GEMM then reads
    K as stored and Q_blkᵀ (transposed once per block), where Q · Kᵀ would
    read K as a B stored [n, k] that loom-tile-contractions transposes into
    a packed block for every chunk of every block; and the row max and sum
    reduce over a chunk's outer dim, so they vectorize over the rows with
    no horizontal reduction per row and chunk. The block's scores (Tk ×
    rows floats, within `block-bytes`: 64 rows at T = 1024, 256 KiB, which
    stays in a Zen core's L2) and the chunk temporaries are block-sized
    tensors that loom-plan-arena puts on the stack; the chunk GEMMs are
    ordinary 2-D contractions for loom-tile-contractions. (On one GPT-2
    layer, 64 rows ran ~5% faster than 32 and 64-key chunks ~7% faster than
    128.) The temporaries are `bufferization.alloc_tensor`s and every
    generic updates its outputs in place: a `tensor.empty` in the loop (as
    loom-fuse-elementwise puts for an output the payload does not read)
    can be merged by CSE with an equal one outside it, which all threads
    would then share.

    Under loom's causal mask (key <= query + Tk - Tq), a block of rows [q0,
    q0 + rows) sees keys [0, q0 + rows + Tk - Tq) only: the chunk loops stop
    there (a run-time trip count; every chunk has a static size), so about
    half of QKᵀ, the softmax and PV is skipped, and consecutive iterations
    alternate light and heavy blocks so that threads' ranges cost alike.
    Rows and keys that are no multiple of the block sizes get a remainder
    block (a loop of its own) and a remainder chunk (under `scf.if` when
    causal) of static size.

    Results differ from the unfused chain only in rounding: the chunks sum
    in another order, and the quotient moves after PV ((Σ e v) / Σ e
    instead of Σ (e / Σ e) v: Dv divisions per row instead of Tk). The row
    max is `x > m ? x : m` (one instruction where maximumf takes six): a
    NaN score it skips still makes the row's sum and so the row NaN, as a
    NaN max would. Everything else is the chain's own payloads, cloned.
    Only that exact chain is matched (each intermediate read by the next
    member only), with f32 static shapes and a row of scores within 256
    KiB. A training step's attention matches too: loom-autodiff keeps
    `loom.attention` whole and its backward (`loom.attention_grad`, lowered
    blocked by convert-loom-to-linalg) reads the output and the saved
    log-sum-exp, not the probabilities.
  }];
  let options = [
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"64",
           "Query rows per block (at most)">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"64",
           "Keys per chunk">,
    Option<"blockBytes", "block-bytes", "int64_t", /*default=*/"262144",
           "Bytes of one block's scores (Tk x rows floats), at most (and at "
           "most 256 KiB, loom-plan-arena's bound for a loop's scratch)">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

def LoomTransposeRhs : Pass<"loom-transpose-rhs"> {
  let summary = "Gives contractions whose B is stored [n, k] a transposed [k, n] copy to read";
  let description = [{
    The register-blocked micro-kernel (`loom-tile-contractions`) loads a row
    of B's tile as one vector along n. With B stored `[..., n, k]` (linear
    weights in PyTorch's [out, in] layout, as BERT and ViT keep them; the
    backward dX = dY Wᵀ of every linear; QKᵀ) that row is strided, and the
    kernel ran at 16 GFLOP/s on BERT's FFN (K = 3072) instead of ~190.
    On tensors, before bufferization, such a contraction gets
    `linalg.transpose` of B into a new `[..., k, n]` tensor and reads that
    (the indexing map's last two results swapped), when enough rows of A
    (the product of the m dims) reuse the copy to repay it: `min-rows` when
    B's row stride is a multiple of 4 KiB (K a multiple of 1024: the
    strided loads then share one L1 set and the kernel is ~10× slower),
    `always-rows` otherwise (the strided kernel is ~30% slower; the copy,
    a plain loop nest, costs about as much as a 128-row GEMM over the same
    B). BERT-base B8 T128 forward: 6.1 s -> 2.4 s on two cores (before
    packing).

    Only batched B (attention's K in QKᵀ): an unbatched B stored [n, k]
    (every linear weight, the LM head, the backward's Wᵀ) is transposed
    block by block while `loom-tile-contractions` packs it, in cache, with
    no whole-weight copy through memory.
  }];
  let options = [
    Option<"minRows", "min-rows", "int64_t", /*default=*/"128",
           "Rows that justify the copy when B's row stride aliases in L1">,
    Option<"alwaysRows", "always-rows", "int64_t", /*default=*/"1024",
           "Rows that justify the copy for any B">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def LoomDistinctResults : Pass<"loom-distinct-results"> {
  let summary = "Gives a tensor returned more than once a copy per extra result; arguments read-only";
  let description = [{
    A value returned twice (`return %x, %x`, e.g. two outputs that CSE merged)
    becomes `return %x, %copy` with `%copy = bufferization.alloc_tensor()
    copy(%x)`, so every result bufferizes to its own buffer.
    `buffer-results-to-out-params{hoist-static-allocs}` replaces a returned
    allocation by the out-parameter and erases it, and crashes on a second
    return of the same allocation.

    It also marks every tensor argument `bufferization.writable = false`:
    parameters and inputs belong to the caller, so a value updated in place
    (the table carried through `index_add`'s loop) starts from a copy when
    it is an argument, and from the buffer itself when it is an
    intermediate.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def LoomUpdateInPlace : Pass<"loom-update-in-place"> {
  let summary = "Materializes each updated parameter or state tensor in its own argument";
  let description = [{
    A result marked `loom.update = "param:NAME"` (or `"state:NAME"`) is
    returned through `bufferization.materialize_in_destination` into the
    argument it replaces, and that argument becomes
    `bufferization.writable`. Run after loom-distinct-results (which makes
    every argument read-only) and before `eliminate-empty-tensors` and
    one-shot bufferization, which then write the update into the argument
    where no later read of the old value forbids it.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def LoomDropInPlaceResults : Pass<"loom-drop-in-place-results"> {
  let summary = "Drops update results that bufferized into their own argument";
  let description = [{
    After one-shot bufferization: a `loom.update` result that is its
    argument's buffer (the update was written in place) is removed from the
    function, and the argument takes the result's `loom.output` name (the
    manifest reports the parameter or state slot as written in place).
    Other update results stay outputs. Run before
    buffer-results-to-out-params.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def LoomPlanArena : Pass<"loom-plan-arena", "::mlir::ModuleOp"> {
  let summary = "Places every intermediate buffer of the entry functions in one arena";
  let description = [{
    After bufferization, every `memref.alloc` of a public function is replaced
    by a `memref.view` into a new last argument `%arena: memref<Nxi8>`, at an
    offset planned from the buffers' live ranges (first definition to last
    use, following view-like aliases), best fit by decreasing size, 64-byte
    aligned. Deallocations are dropped. The function gets the attribute
    `loom.arena_bytes = N`. Allocations must be static and outside loops.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def LoomLowerCopies : Pass<"loom-lower-copies"> {
  let summary = "Rewrites memref.copy as linalg.copy";
  let description = [{
    Copies between buffers with non-identity layouts (a result that is a
    slice of another buffer) lower to a call of MLIR's `memrefCopy` runtime
    helper, which the artifact would have to ship. As `linalg.copy` they
    become plain loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LoomTileContractions : Pass<"loom-tile-contractions", "::mlir::ModuleOp"> {
  let summary = "Tiles, peels and vectorizes every f32 contraction into a register-blocked micro-kernel";
  let description = [{
    Runs on bufferized IR (memrefs, static shapes), before
    `convert-linalg-to-loops`. Every `linalg.generic` that is a contraction
    (`C[b.., m, n] += A[b.., m, k] * B[b.., k, n]`, B possibly stored
    `[n, k]`) with one m, n and k dimension and f32 operands goes through one
    tiling strategy, generated as a transform-dialect script and run by the
    transform interpreter:

    1. cache tiles `[mc, nc, kc]` over (m, n, k), loop order n, k, m (batch
       dims tiled by 1, outermost);
    2. a register tile `[mr, nr]` (loop order n, m) and k by 1;
    3. every m/n/k loop peeled (innermost first), so full tiles have static
       sizes and every remainder (M = 1, 7; N = 50257; K = 17) is a smaller
       static tile, never a scalar loop or a mask;
    4. vectorization of every tile, then C hoisted out of the k loop
       (`fold_memref_alias_ops` + CSE + `hoist_redundant_vector_transfers`),
       and the contraction lowered to outer products = one broadcast-FMA
       per row of the tile per k.

    The full tile keeps its `mr x nr` accumulators in vector registers across
    k: 8 x 32 (16 zmm) for B stored `[k, n]`; B stored `[n, k]` reads B
    columns with scalar loads, which a taller 24 x 16 tile amortizes. See
    ../shared/research/mlir-matmul-recipe.md for the measurements.

    Register epilogues (`epilogues`): an elementwise generic that directly
    follows a contraction whose k fits one cache tile (so every C tile is
    final when it leaves the registers), reads C in place and computes
    with arith/math ops only (GELU, tanh or erf; a scale; a cast) is applied
    to each C row vector before it is stored: its other operands are read
    at the tile's indices (a vector along n, or a scalar broadcast), its
    result is stored where it writes (instead of C when that is C itself),
    and the separate pass over C disappears.
  }];
  let options = [
    Option<"mc", "mc", "int64_t", /*default=*/"256", "Cache tile along m">,
    Option<"nc", "nc", "int64_t", /*default=*/"384", "Cache tile along n">,
    Option<"kc", "kc", "int64_t", /*default=*/"768", "Cache tile along k">,
    Option<"mr", "mr", "int64_t", /*default=*/"8",
           "Register tile along m (B stored [k, n])">,
    Option<"nr", "nr", "int64_t", /*default=*/"32",
           "Register tile along n (B stored [k, n]): a multiple of 16">,
    Option<"mrTransposed", "mr-transposed", "int64_t", /*default=*/"24",
           "Register tile along m when B is stored [n, k]">,
    Option<"nrTransposed", "nr-transposed", "int64_t", /*default=*/"16",
           "Register tile along n when B is stored [n, k]">,
    Option<"packB", "pack-b", "bool", /*default=*/"true",
           "Copy each kc x nc block of B into a stack buffer before the m "
           "tiles that reuse it">,
    Option<"epilogues", "epilogues", "bool", /*default=*/"true",
           "Apply a following elementwise op (GELU) to C tiles in registers">,
  ];
  let dependentDialects = [
    "::mlir::transform::TransformDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def LoomOutlineKernels : Pass<"loom-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Moves every top-level loop nest into a function of its own";
  let description = [{
    After `convert-linalg-to-loops`, a training step is one function with
    thousands of loop nests; LLVM's optimizer is superlinear in function size
    (tiny_gpt's step: 50 s at -O1 as one function). Each top-level `scf.for`
    of a public function becomes a private `func.func @F__kN` called in its
    place, marked `noinline`. The kernel takes the function's arguments it
    uses (buffers stay bare pointers) and the scalars computed outside it;
    constants and view-like ops (`memref.view` into the arena, subviews,
    reshapes) are cloned into the kernel, so every memref argument keeps an
    identity layout. The call carries the loop's location, so each kernel
    traces back to its spec line.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def LoomDedupKernels : Pass<"loom-dedup-kernels", "::mlir::ModuleOp"> {
  let summary = "Keeps one copy of structurally identical kernels";
  let description = [{
    After `loom-outline-kernels`, the repeated blocks of a model (GPT-2's 12
    layers, their backward) produce kernels that differ only in their names
    and locations. Kernels are keyed by their signature and body printed in
    generic form without locations; every call of a duplicate is redirected
    to the first kernel with that key and the duplicates are erased, so LLVM
    optimizes and compiles each distinct kernel once. The kept kernel keeps
    the first instance's location (the spec line is the same for every
    instance of a block).

    ```mlir
    func.func private @f__k0(%a: memref<4xf32>) { ... }
    func.func private @f__k7(%a: memref<4xf32>) { ... same ... }
    call @f__k7(%x)
    ```
    becomes `call @f__k0(%x)` with `@f__k7` erased.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def LoomSelectKernels : Pass<"loom-select-kernels", "::mlir::ModuleOp"> {
  let summary = "Hands op instances to Halide kernels where they win";
  let description = [{
    loom's second kernel generator is Halide (runtime/kernels/: attention,
    softmax, layer norm, matmul; built for this CPU family at build time).
    An op instance a Halide kernel computes (static f32 shapes; attention
    without a mask operand) is a candidate. `kernels=mlir` keeps loom's own
    code everywhere, `kernels=halide` takes every candidate, `kernels=auto`
    (the default) asks the choice cache `loomc --autotune` fills
    (`cache=FILE`; docs/kernels.md) and otherwise a cost model. Without the
    options the module attributes `loom.kernels` / `loom.kernel_cache`
    decide (loomc sets them). Runs on loom ops before `loom-decompose`:

    ```mlir
    %o = loom.attention %q, %k, %v causal : (...) -> tensor<1x12x1024x64xf32>
    ```
    becomes
    ```mlir
    %e = tensor.empty() : tensor<1x12x1024x64xf32>
    %o = loom.kernel_call "attention" ins(%q, %k, %v : ...) outs(%e : ...)
           {causal = true, scale = 1.250000e-01 : f64} -> tensor<1x12x1024x64xf32>
    ```
    A linear becomes the GEMM call plus a `loom.add` of its bias.
  }];
  let options = [
    Option<"kernels", "kernels", "std::string", /*default=*/"\"\"",
           "mlir, halide or auto (empty: the module's loom.kernels, else auto)">,
    Option<"cache", "cache", "std::string", /*default=*/"\"\"",
           "the choice cache (empty: the module's loom.kernel_cache, else none)">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def LoomLowerKernelCalls : Pass<"loom-lower-kernel-calls", "::mlir::ModuleOp"> {
  let summary = "Calls the Halide kernels through their C ABI";
  let description = [{
    After bufferization, every `loom.kernel_call "K"` on buffers becomes a
    call of `i32 loom_kernel_K_f32(...)` (runtime/kernels/loom_kernels.h):
    the buffers' aligned pointers (they must be dense, offset 0: arena
    buffers and entry arguments are) and the extents and parameters the
    kernel takes. The call keeps the FLOPs and bytes of the op and
    `loom.generator = "halide"` for `loom-profile-sites`; the artifact is
    linked with the kernel library.

    ```mlir
    %p = memref.extract_aligned_pointer_as_index %q : memref<1x12x64x64xf32> -> index
    ...
    %r = llvm.call @loom_kernel_attention_f32(%pq, %pk, %pv, %po, %null, %c12, %c64, %c64, %c64, %scale, %causal)
           {loom.generator = "halide", loom.flops = ..., loom.bytes = ...}
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LoomProfileSites : Pass<"loom-profile-sites", "::mlir::ModuleOp"> {
  let summary = "Numbers every kernel call and times it when a profiler is attached";
  let description = [{
    Every call of a kernel (or of an external kernel library) in a public
    function is a *site*, numbered in function and program order. The pass
    records one dictionary per site in the module attribute
    `loom.kernel_sites` (id, function, kernel, the loop nest's FLOPs and
    compulsory bytes that `loom-outline-kernels` left on the call, the
    generator, and the call's location, which fuses the locations of every
    loom op the kernel implements), and brackets each call with
    `__loom_profile(site, 0)` / `__loom_profile(site, 1)`:

    ```mlir
    llvm.call @__loom_profile(%c7, %c0) : (i64, i32) -> ()
    call @forward__k7(%a, %b) {loom.flops = 1024 : i64, loom.bytes = 64 : i64}
    llvm.call @__loom_profile(%c7, %c1) : (i64, i32) -> ()
    ```

    `__loom_profile` (internal, inlined) calls the exported function pointer
    `loom_profile_hook` when it is not null; the runtime sets it when it
    opens the library and records times only for sessions being profiled,
    so an artifact is never compiled twice to be profiled. Runs after
    `loom-chunk-kernels`, on func/scf.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect"];
}

def LoomChunkKernels : Pass<"loom-chunk-kernels", "::mlir::ModuleOp"> {
  let summary = "Lets a kernel run any range of its outer parallel loop's iterations";
  let description = [{
    The first half of multithreading (`loom-dispatch-kernels` is the second).
    A kernel of `loom-outline-kernels` whose loop nest is an `scf.parallel`
    (from `convert-linalg-to-parallel-loops`), or an `scf.for` marked
    `loom.parallel` (the parallel cache-tile loops of
    `loom-tile-contractions`), and whose estimated work is at least
    `min-work`, gets two `index` arguments `begin` and `end`: it then runs
    iterations [begin, end) of one parallel dimension (the outermost with at
    least 4 iterations, else the one with the most). The kernel is marked
    `loom.parallel_trips = N` (its iteration count) and every call passes
    [0, N), so the code is still correct run serially. Iterations of a
    parallel dimension write disjoint elements, so any split gives the same
    bits: results do not depend on the thread count.

    ```mlir
    func.func private @f__k0(%a: memref<64x768xf32>, %b: memref<64x768xf32>) {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c768) step (%c1, %c1) { ... }
    ```
    becomes
    ```mlir
    func.func private @f__k0(%a: ..., %b: ..., %begin: index, %end: index)
        attributes {loom.parallel_trips = 64 : i64} {
      %lb = (0 + %begin * 1)  %ub = min(64, 0 + %end * 1)
      scf.parallel (%i, %j) = (%lb, %c0) to (%ub, %c768) ...
    ```
    Work is counted as the operations executed (a loop: its trip count times
    its body; a vector op counts once), a proxy for time: below `min-work` a
    dispatch costs more than it saves.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"16384",
           "Operations a kernel must execute to be split">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"];
}

def LoomDispatchKernels : Pass<"loom-dispatch-kernels", "::mlir::ModuleOp"> {
  let summary = "Calls range kernels through the runtime's parallel-for hook";
  let description = [{
    The second half of multithreading, on the LLVM dialect. Each call of a
    kernel marked `loom.parallel_trips = N` by `loom-chunk-kernels` becomes:
    store the arguments in a slot buffer (one per calling function, reused
    by its calls), then call the function pointer in the global
    `loom_parallel_for_hook` with (N, @K__range, slots), where
    `@K__range(slots, begin, end)` loads the arguments and calls the kernel
    on [begin, end). The hook starts as `@__loom_serial_for`, which runs
    the whole range on the calling thread, so a library loaded without the
    runtime stays correct; the runtime stores its thread pool's parallel-for
    there when it opens the library. A module that calls a Halide kernel
    (`loom_kernel_*`) defines the hook even without range kernels of its
    own: those kernels split their parallel loops through it.

    C view of the contract:
    ```c
    typedef void (*loom_range_fn)(void *slots, int64_t begin, int64_t end);
    extern void (*loom_parallel_for_hook)(int64_t n, loom_range_fn fn, void *slots);
    ```
    The hook returns when fn has run on every iteration of [0, n), split in
    any way.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LoomApproximateMath : Pass<"loom-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Replaces f32 tanh, exp and erf by MLIR's polynomial approximations";
  let description = [{
    `convert-math-to-libm` turns `math.tanh` and friends into calls of libm's
    scalar `tanhf`, `expf`, ... A call inside a loop stops LLVM's vectorizer,
    so GELU, softmax and the losses ran one element at a time (12% of GPT-2's
    forward in `tanhf`/`expm1f`). This pass rewrites the selected f32 math ops
    (scalar or vector) with upstream's `populateMathPolynomialApproximation
    Patterns`: range reduction and polynomials built from arith ops, which
    vectorize. Accuracy against the interpreter's double results stays within
    the compiled tests' libm tolerance (1e-6 per element, see
    `test/unit/CompiledVsInterpreterTest.cpp`), special values (inf, NaN,
    large arguments) included. Their `math.fma` and `math.floor` become
    `llvm.intr.fma` / `llvm.intr.floor` here (convert-math-to-libm would call
    `fmaf` / `floorf`; every `math.floor` of the module goes that way, which
    only changes a call into an instruction). Measured maxima: tanh 1.8e-7,
    erf 1.3e-7,
    exp 9.7e-8 relative. `log` is not approximated by default: upstream's
    approximation is off by 5% on subnormal arguments (log(1e-40)), and the
    losses take one log per row, so libm's costs nothing there. Ops not
    selected keep their libm calls.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "math ops to approximate (without `math.`; default tanh, exp, erf)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"];
}

def LoomPackedEntryPoints : Pass<"loom-packed-entry-points", "::mlir::ModuleOp"> {
  let summary = "Adds `void loom_F(void **slots)` wrappers for LLVM functions";
  let description = [{
    For every public `llvm.func @F` whose arguments are all pointers (the
    bare-pointer calling convention), adds `llvm.func @loom_F(%slots:
    !llvm.ptr)` that loads `slots[i]` and calls `@F`. One signature for every
    model: the runtime needs no per-model C prototype.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LoomMapToGpu : Pass<"loom-map-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Runs every linalg op of the entry functions as a CUDA kernel launch";
  let description = [{
    The CUDA target's mapping (after bufferization): every linalg op is
    generalized, its parallel dimensions moved ahead of its reductions, and
    lowered to an `scf.parallel` over the parallel dimensions (reductions run
    as `scf.for` inside). Each top-level `scf.parallel` becomes a
    `gpu.launch` over one linear index space: `threads` threads per block,
    ceil(iterations / threads) blocks, each thread guarded and delinearized
    back into the loop's indices, innermost dimension fastest (consecutive
    threads touch consecutive elements: coalesced). Whatever else still
    reads or writes memory on the host (a loop with no parallel dimension:
    a full reduction) runs as a one-thread launch, so the host code only
    launches kernels and every buffer may live in device memory; host code
    that would need a value read from a buffer is refused. Constant tables
    (`memref.get_global`) used by a kernel are referenced from inside it, so
    outlining copies them into the device module.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def LoomGpuEmulate : Pass<"loom-gpu-emulate", "::mlir::ModuleOp"> {
  let summary = "Runs gpu.launch bodies as host loops (the CUDA mapping, checked on a CPU)";
  let description = [{
    Replaces every `gpu.launch` by loops over its blocks and threads with the
    ids as induction variables. Exact for launches without barriers or
    shared memory (all loom-map-to-gpu makes): `loomc --target=cuda-emulate`
    compiles the CUDA target's mapping for the host, so the tests compare it
    with the interpreter where no GPU exists.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def LoomGpuOutline : Pass<"loom-gpu-outline", "::mlir::ModuleOp"> {
  let summary = "Outlines every gpu.launch into one gpu.module, identical kernels once";
  let description = [{
    As gpu-kernel-outlining (constants sunk into the kernel, the values it
    uses from above passed as arguments, `gpu.launch_func` in the launch's
    place), but every kernel goes into one `gpu.module @loom_kernels` and a
    kernel structurally identical to one already there is not added: the
    launch calls that one (every layer of a model launches the same
    kernels). Upstream's pass makes a device module per launch, each then
    compiled by LLVM and ptxas on its own, and its launches' verification
    looks each kernel up among all of them (quadratic: minutes for GPT-3's
    9000 launches). Constant globals a kernel uses are copied in once.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // LOOM_CODEGEN_PASSES_TD
