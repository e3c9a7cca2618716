//===- Passes.td - autodiff and the training step -*- tablegen -*-===//
//
// The passes that turn a model's @loss into a training step. Their options
// and defaults live here only: loomc --train, loom-opt and the tests all go
// through the generated option structs (and the `loom-training` pipeline of
// loom/Pipelines/Pipelines.h), so one set of defaults builds one step.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_AUTODIFF_PASSES_TD
#define LOOM_AUTODIFF_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomAutodiff : Pass<"loom-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode autodiff: builds @loss_grad from @loss";
  let description = [{
    From `func @loss(args) -> tensor<f32>` builds `@loss_grad(args) -> (loss,
    gradients)`: the gradients of the `loom.param` arguments (and, with
    `wrt=params,inputs`, of the float `loom.input` arguments) in argument
    order, named by `loom.output = "loss"` / `"grad.<name>"`. A VJP rule per
    op (keyed by op type, `compiler/lib/Autodiff/VJP*.cpp`); composites
    without a rule (patch_embed, contrastive_loss) are decomposed
    first. Saved activations: the backward reuses the forward values (no
    recomputation), except that the fused normalization rules recompute their
    statistics from the op's input, and attention saves its output and row
    log-sum-exp (`loom.attention_lse`) and recomputes its probabilities
    block by block in `loom.attention_grad`. Needs static shapes. `@loss` is kept.

    ```mlir
    func.func @loss(%x: tensor<4x3xf32> {loom.input = "x"},
                    %w: tensor<3x2xf32> {loom.param = "w"}) -> tensor<f32>
    ```
    gains
    ```mlir
    func.func @loss_grad(%x: ..., %w: ...)
        -> (tensor<f32> {loom.output = "loss"},
            tensor<3x2xf32> {loom.output = "grad.w"})
    ```
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"loss\"",
           "The function to differentiate">,
    Option<"wrt", "wrt", "std::string", /*default=*/"\"params\"",
           "Arguments to differentiate: params or params,inputs">,
  ];
  let dependentDialects = ["::mlir::loom::LoomDialect",
                           "::mlir::func::FuncDialect"];
}

def LoomTrainStep : Pass<"loom-train-step", "::mlir::ModuleOp"> {
  let summary = "Builds @train_step: forward, backward, clipping and the optimizer update";
  let description = [{
    From `@loss_grad` (loom-autodiff) builds
    `@train_step(params, inputs, state, optim.lr, optim.step) -> (loss,
    optim.grad_norm, new.<param>..., new.<state>...)`: @loss_grad's body,
    global-norm gradient clipping and the optimizer update (AdamW, or SGD with
    momentum) as plain loom elementwise ops, so the update fuses and lowers
    like the rest. The optimizer state arguments carry `loom.state =
    "optim.m.<p>"` (zero-initialized by the runtime); each result that
    replaces a parameter or state tensor carries `loom.update =
    "param:<p>"` / `"state:<s>"`. The baked-in hyperparameters are recorded in
    the function attribute `loom.optimizer`, and `optim.lr` / `optim.step`
    join the module's `loom.inputs` (the manifest lists them).

    Defaults are PyTorch's where they exist: AdamW with weight decay 0.01,
    SGD with momentum 0.9 and no weight decay, and the gradient norm clipped
    to 1. Weight decay applies to parameters of rank >= 2 only. Unless
    `keep-grad` is set, @loss_grad is erased afterwards (the step holds its
    body; compiling both would double the code).

    With `split-step`, the step is also available in two halves for
    data-parallel training (runtime/tools/train_dist.cpp): @loss_grad is
    kept, and for the i-th parameter p (in @loss_grad's result order)
    `@apply__<i>(p, grad.<p>, state of p, optim.lr, optim.step,
    optim.grad_norm) -> (new.<p>, new.<state of p>...)` clips grad.<p> by
    the given global norm and updates p and its state with the same ops as
    @train_step. The runtime all-reduces the gradients between the halves,
    takes the norm of the reduced gradients, and runs the apply functions
    of the parameters a rank owns (all of them, or 1/N with ZeRO-1).
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adamw\"",
           "adamw or sgd">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "AdamW beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "AdamW beta2">,
    Option<"eps", "eps", "double", /*default=*/"1e-8", "AdamW epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "Weight decay of the rank >= 2 parameters (decoupled for adamw, "
           "L2 for sgd); negative: the optimizer's default, 0.01 for adamw "
           "and 0 for sgd">,
    Option<"momentum", "momentum", "double", /*default=*/"-1.0",
           "SGD momentum; negative: the default, 0.9 (adamw has beta1)">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"1.0",
           "Bound on the global gradient norm (0: no clipping)">,
    Option<"keepGrad", "keep-grad", "bool", /*default=*/"false",
           "Keep @loss_grad as an entry point of its own">,
    Option<"splitStep", "split-step", "bool", /*default=*/"false",
           "Also split the step for data-parallel training: keep @loss_grad "
           "and add @apply__<i> per parameter (the update of parameter i from "
           "the inputs grad.<p> and optim.grad_norm)">,
  ];
  let dependentDialects = ["::mlir::loom::LoomDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // LOOM_AUTODIFF_PASSES_TD
