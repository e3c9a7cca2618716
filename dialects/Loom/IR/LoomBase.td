//===- LoomBase.td - loom dialect, types and op base classes -*- tablegen -*-===//
//
// The loom dialect is loom's graph level: tensor semantics, builtin ranked
// tensor types, dynamic dims for batch and sequence. Every op infers its result
// type from its operands and attributes; a declared result type may be less
// static than the inferred one (`loom-infer-shapes` refines it), never
// incompatible.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_BASE_TD
#define LOOM_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Loom_Dialect : Dialect {
  let name = "loom";
  let cppNamespace = "::mlir::loom";
  let summary = "Graph-level tensor dialect of the loom transformer compiler";
  let description = [{
    Ops on builtin ranked tensors (f32, bf16, f16; i32/i64 for ids; i1 for
    masks) that describe transformer models for inference and training.
    Composite ops (attention, layer_norm, gelu, softmax, cross_entropy,
    contrastive_loss, ...) can be expressed in primitives by `loom-decompose`.

    Function arguments name model parameters and inputs with the discardable
    argument attributes `loom.param = "h.0.attn.c_attn.weight"` and
    `loom.input = "tokens"`; results may carry `loom.output = "logits"`.
    Names must be non-empty and unique within a function. After
    bufferization, out-parameters keep their `loom.output` names and the
    planned scratch buffer is marked `loom.arena`.

    A training step (loom-train-step) also takes optimizer state,
    `loom.state = "optim.m.wte"`, and marks each result that replaces a
    parameter or a state tensor with `loom.update = "param:wte"` /
    `"state:optim.m.wte"` (the runtime swaps the buffers after the call).
    A KV-cache step function (loom-decode-step) takes its key/value caches
    as state marked `loom.cache` as well: zero at session creation, never
    saved or loaded with the weights.

    The module carries what the artifact's manifest needs beyond the
    functions, so the manifest is a function of the IR alone (the spec file
    is the module's location): `loom.dims` (the bound dims, `{B = 4 : i64}`),
    `loom.params` (every parameter in declaration order: name, dtype, shape,
    init and tied aliases) and `loom.inputs` (every model input; the training
    step appends `optim.lr` and `optim.step`), and `loom.tokenizer` (the
    spec's tokenizer kind, when it names one), and `loom.checkpoints` (the
    spec's checkpoint maps, each a dictionary of `name` and `rules`, a
    rule `from` and `to` (unit `transpose` if set), or `from` with a unit
    `ignore` or `strip`; for
    `loom import-weights`). A training step records its
    hyperparameters in the function attribute `loom.optimizer`, and
    loom-plan-arena the arena size in `loom.arena_bytes`.
  }];
  let hasConstantMaterializer = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kParamAttrName = "loom.param";
    static constexpr ::llvm::StringLiteral kInputAttrName = "loom.input";
    static constexpr ::llvm::StringLiteral kOutputAttrName = "loom.output";
    static constexpr ::llvm::StringLiteral kArenaAttrName = "loom.arena";
    static constexpr ::llvm::StringLiteral kStateAttrName = "loom.state";
    static constexpr ::llvm::StringLiteral kCacheAttrName = "loom.cache";
    static constexpr ::llvm::StringLiteral kUpdateAttrName = "loom.update";
    // Module attributes (see the description) and function attributes.
    static constexpr ::llvm::StringLiteral kDimsAttrName = "loom.dims";
    static constexpr ::llvm::StringLiteral kParamsAttrName = "loom.params";
    static constexpr ::llvm::StringLiteral kInputsAttrName = "loom.inputs";
    static constexpr ::llvm::StringLiteral kTokenizerAttrName = "loom.tokenizer";
    static constexpr ::llvm::StringLiteral kCheckpointsAttrName = "loom.checkpoints";
    static constexpr ::llvm::StringLiteral kOptimizerAttrName = "loom.optimizer";
    static constexpr ::llvm::StringLiteral kArenaBytesAttrName = "loom.arena_bytes";
  }];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Loom_FloatElement : AnyTypeOf<[F32, F16, BF16]>;
def Loom_IndexElement : AnyTypeOf<[I32, I64]>;

def Loom_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Loom_IndexTensor : RankedTensorOf<[I32, I64]>;
def Loom_MaskTensor : RankedTensorOf<[I1]>;
def Loom_Tensor : RankedTensorOf<[F32, F16, BF16, I32, I64, I1]>;
def Loom_NumericTensor : RankedTensorOf<[F32, F16, BF16, I32, I64]>;
def Loom_FloatScalar : 0DTensorOf<[F32, F16, BF16]>;
def Loom_SeedScalar : 0DTensorOf<[I64]>;

def Loom_NonNegative : AttrConstraint<
    CPred<"!::llvm::cast<::mlir::FloatAttr>($_self).getValue().isNegative()">,
    "whose value is non-negative">;
def Loom_NonNegativeF64 : ConfinedAttr<F64Attr, [Loom_NonNegative]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Loom_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"erf", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::mlir::loom";
}

def Loom_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "elementwise comparison predicate", [
      I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
      I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
      I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>
    ]> {
  let cppNamespace = "::mlir::loom";
}

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

// Every loom op infers its result types; a declared type only has to be
// compatible (same rank and element type, dims equal where both are static).
class Loom_Op<string mnemonic, list<Trait> traits = []>
    : Op<Loom_Dialect, mnemonic,
         !listconcat([Pure, InferTypeOpAdaptorWithIsCompatible], traits)> {
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l,
                                            ::mlir::TypeRange r) {
      return ::mlir::loom::areCompatibleTensorTypes(l, r);
    }
  }];
}

// Marks ops that `loom-decompose` can rewrite into primitive loom ops.
def Loom_CompositeOpTrait : NativeOpTrait<"loom::CompositeOpTrait">;

class Loom_UnaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : Loom_Op<mnemonic, traits> {
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
}

// Elementwise binary op with numpy broadcasting; both operands share the
// element type.
class Loom_BinaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : Loom_Op<mnemonic, traits> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

class Loom_ReduceOp<string mnemonic, string what> : Loom_Op<mnemonic> {
  let summary = what # " over the given axes";
  let arguments = (ins Loom_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keep_dims);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keep_dims` $keep_dims^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // LOOM_BASE_TD
